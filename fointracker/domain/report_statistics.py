"""The campaign report's statistics, from the answers as plain values. Pure module.

What counts. A figure is counted when the answer's state is "provided" or "estimate" and
it has a value. Estimates are counted and flagged (their number is in every table).
Suppressed small numbers ("<5": a range in bound_low/bound_high, no value) are left out
of n, sums and means and counted separately as "suppressed". Not held, not collected,
refused and not applicable are never zeros: they are counted by state. The base of
every figure is n, the councils whose figure it counts. Percentage change is sum-based
(the change in the total over the total before, for the councils that gave both
figures), never the mean of the councils' percentages; the median of the councils'
percentage changes is given beside it, over the councils with a positive "before".

Exact numbers. Every figure is a Decimal as stored (Numeric(24, 6): at most 15
significant digits, domain.figures.MAX_SIGNIFICANT_DIGITS), so sums are exact in the
default decimal context; results are rounded once, half up: money to the penny,
everything else to 6 decimal places. Quartiles are interpolated (type 7: Excel's
QUARTILE.INC, `statistics.quantiles(method="inclusive")`).

What it is given (services.report_answers reads both): the figures, once, sorted here
(`figures_by_question`); and every other answer counted by the database, by question and group
of councils, in COUNT_FIELDS (those rules above, in SQL: the answers' other columns never cross
to Python). Every table, for all councils, each region and each council type, is worked out
from those two.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import takewhile
from operator import add, eq, itemgetter, lt, sub

MONEY = "money"
NUMERIC_TYPES = frozenset({"money", "count", "decimal", "percentage"})
MONEY_PLACES = Decimal("0.01")
OTHER_PLACES = Decimal("0.000001")
TOP_CUTS = 10
ESTIMATE = "estimate"
VALUE_STATES = ("provided", ESTIMATE)
NO_VALUE_STATES = ("not_held", "not_collected", "refused", "not_applicable")
QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))
MEDIAN = Fraction(1, 2)
ALL_COUNCILS = "All councils"
NO_GROUP = "(none)"  # a council with no region (or type) recorded
DIMENSIONS = ("region", "type")
# Percentage change bins for the histogram: (label, lowest, highest, lowest included, highest included).
CHANGE_BINS = (
    ("Cut by 50% or more", None, -50, False, True),
    ("Cut by 25% to 50%", -50, -25, False, True),
    ("Cut by 10% to 25%", -25, -10, False, True),
    ("Cut by less than 10%", -10, 0, False, False),
    ("No change", 0, 0, True, True),
    ("Up by less than 10%", 0, 10, False, False),
    ("Up by 10% to 25%", 10, 25, True, False),
    ("Up by 25% to 50%", 25, 50, True, False),
    ("Up by 50% or more", 50, None, True, False),
)
# CHANGE_BINS' edges: cuts' bins are closed above, rises' closed below.
_BIN_EDGES = tuple(Decimal(edge) for edge in (-50, -25, -10, 0, 10, 25, 50))
_NO_CHANGE_BIN = 4
_BIN_LABELS = tuple(spec[0] for spec in CHANGE_BINS)
_ZERO, _HUNDRED = Decimal(0), Decimal(100)  # Decimal against Decimal: no int to convert, row after row


# ---------------------------------------------------------------- arithmetic


def percentage(part: int | None, whole: int | None) -> float | None:
    """part as a percentage of whole; None when there is no base to divide by."""
    if not whole:
        return None
    return 100.0 * (part or 0) / whole


def round_figure(value: Decimal | None, qtype: str) -> Decimal | None:
    """Money to the penny, everything else to 6 decimal places, half up; None stays None."""
    if value is None:
        return None
    places = MONEY_PLACES if qtype == MONEY else OTHER_PLACES
    return value.quantize(places, rounding=ROUND_HALF_UP)


def round_percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(OTHER_PLACES, rounding=ROUND_HALF_UP)


def percent_change(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    """(after - before) / before as a percentage; None when before is not positive."""
    if before is None or after is None or before <= 0:
        return None
    return (after - before) * 100 / before


def percentile(ordered: Sequence[Decimal], fraction: Fraction) -> Decimal:
    """The interpolated percentile of sorted, non-empty values: at position h = p(n - 1)
    (0-based), v[floor h] + (h - floor h)(v[ceil h] - v[floor h])."""
    low, step = divmod(fraction.numerator * (len(ordered) - 1), fraction.denominator)
    below = ordered[low]
    return below if step == 0 else below + (ordered[low + 1] - below) * step / fraction.denominator


def change_bin(pct: Decimal) -> int:
    """The CHANGE_BINS index of a percentage change. Exact: a change of two figures of at most
    15 significant digits is never within the default context's 28 digits of an edge."""
    if pct < _ZERO:
        return bisect_left(_BIN_EDGES, pct)
    if pct == _ZERO:
        return _NO_CHANGE_BIN
    return bisect_right(_BIN_EDGES, pct) + 1


def group_label(grp: str | None) -> str:
    return grp or NO_GROUP


# ---------------------------------------------------------------- what a table holds


@dataclass(slots=True)  # slots: a report makes ~1,300 of these (benchmarks/bench_report.py)
class FigureStats:
    """One question's figures for one group of councils (all of them, a region, a type)."""

    label: str
    asked: int = 0  # councils asked in the group
    answers: int = 0  # answers recorded, in any state
    n: int = 0  # councils whose figure is counted: the base of everything below
    total: Decimal | None = None
    mean: Decimal | None = None
    median: Decimal | None = None
    minimum: Decimal | None = None
    q1: Decimal | None = None
    q3: Decimal | None = None
    maximum: Decimal | None = None
    estimates: int = 0  # of the n
    suppressed: int = 0  # given as a range ("<5"): not in n
    not_held: int = 0
    not_collected: int = 0
    refused: int = 0
    not_applicable: int = 0
    yes: int = 0
    no: int = 0
    choices: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        """Councils asked that have no answer to the question recorded."""
        return max(self.asked - self.answers, 0)

    @property
    def yes_pct(self) -> float | None:
        return percentage(self.yes, self.yes + self.no)


@dataclass(slots=True)
class PairStats:
    """One before/after pair for one group of councils."""

    label: str
    n: int = 0  # councils giving both figures
    cut: int = 0
    increased: int = 0
    unchanged: int = 0
    estimates: int = 0  # councils either of whose figures is an estimate
    before_total: Decimal | None = None
    after_total: Decimal | None = None
    total_change: Decimal | None = None
    total_change_pct: Decimal | None = None  # sum-based
    with_pct: int = 0  # councils with a positive "before": the base of the median change
    median_pct_change: Decimal | None = None
    bins: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class PairCouncilRow:
    """One council's two figures of a pair."""

    code: str
    council: str
    region: str
    council_type: str
    before: Decimal
    after: Decimal
    estimate: bool

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def pct(self) -> Decimal | None:
        return percent_change(self.before, self.after)


@dataclass
class Cut(PairCouncilRow):
    """A council among a pair's largest cuts."""

    rank: int = 0


@dataclass(frozen=True)
class QuestionFigures:
    overall: FigureStats
    by_region: list[FigureStats]
    by_type: list[FigureStats]


@dataclass(frozen=True)
class PairFigures:
    overall: PairStats
    by_region: list[PairStats]
    by_type: list[PairStats]
    top_cuts: list[Cut]


# ---------------------------------------------------------------- the answers, counted and their figures

# Every answer is counted once: a figure (provided or estimated, with a value: FIGURE_FIELDS, read
# apart) here, as it is added in; every other answer by the database (services.report_answers.
# counts_statement), by question and group of councils: a tuple of COUNTED_FIELDS, whose "answers"
# and "estimates" leave out the figures read apart (their yes, no and text counts leave out
# nothing). "choice" is a choice question's given answer, else None.
COUNT_FIELDS = ("answers", "yes", "no", "n_text", "estimates", "suppressed", *NO_VALUE_STATES)
COUNTED_FIELDS = ("question_id", "region", "type_name", "choice", *COUNT_FIELDS)
# A counted figure (services.report_answers.figures_statement): a tuple of these; the value a
# Decimal, or its exact text (SQLite: see models.figures.exact_figure).
FIGURE_FIELDS = ("question_id", "value", "request_id", "estimate")
# A council asked (services.report_answers.read_councils): {request id: a tuple of these}.
COUNCIL_FIELDS = ("code", "name", "region", "type_name")
FIGURE_VALUE = itemgetter(1)  # a figure's value (FIGURE_FIELDS)


def figures_by_question(figures: Sequence[tuple]) -> dict[int, list[tuple]]:
    """{question id: its figures (FIGURE_FIELDS tuples, values as Decimals), smallest first}.
    Every group's figures, taken from these in turn, come out in order too, so nothing is
    sorted twice."""
    if figures and type(figures[0][1]) is not Decimal:  # SQLite's exact text of each figure
        figures = [(qid, Decimal(value), request_id, estimate) for qid, value, request_id, estimate in figures]
    found: dict[int, list[tuple]] = defaultdict(list)
    for figure in figures:
        found[figure[0]].append(figure)
    for of_question in found.values():
        of_question.sort(key=FIGURE_VALUE)
    return found


def question_figures(
    counted: Iterable[tuple],
    figures: Mapping[int, list[tuple]],
    councils: Mapping[int, tuple],
    questions: Sequence[tuple[int, str, Sequence[str]]],
    asked: Mapping[tuple[str, str], int],
) -> dict[int, QuestionFigures]:
    """Every question's figures, overall, by region and by type: {question id: QuestionFigures}.

    `counted`: COUNTED_FIELDS tuples, as finely grouped as the database gives them (summed here
    into each region, type and all councils); `figures`: from `figures_by_question`; `councils`:
    {request id: COUNCIL_FIELDS}; `questions`: (id, type, choices offered) of each; `asked`: the
    councils asked per group, {("all", ALL_COUNCILS) | ("region", label) | ("type", label):
    count}. Each question lists every group asked and every group that answered it, in label
    order."""
    qtypes = {qid: qtype for qid, qtype, _choices in questions}
    counts: dict[tuple, list[int]] = {}  # (question id, dimension, label): COUNT_FIELDS
    chosen: dict[tuple, Counter] = defaultdict(Counter)  # (question id, dimension, label): {choice: answers}
    for qid, region, type_name, choice, *found in counted:
        if qid not in qtypes:  # an answer to another campaign's question: not ours to count
            continue
        for group in _groups_of(qid, region, type_name):
            have = counts.get(group)
            counts[group] = found if have is None else list(map(add, have, found))  # never added to in place
            if choice:
                chosen[group][choice] += found[3]  # n_text: the given answers with this text

    stats: dict[tuple, FigureStats] = {}

    def stats_for(group: tuple) -> FigureStats:
        s = stats.get(group)
        if s is None:
            s = stats[group] = FigureStats(group[2], asked=asked.get(group[1:], 0))
            c = counts.get(group)
            if c is not None:
                s.answers, s.yes, s.no, text, s.estimates, s.suppressed = c[:6]
                s.not_held, s.not_collected, s.refused, s.not_applicable = c[6:]
                qtype = qtypes[group[0]]
                if qtype not in NUMERIC_TYPES:  # a numeric question's n: its figures (`_add_figures`)
                    s.n = s.yes + s.no if qtype == "yes_no" else text
            if group in chosen:
                s.choices = dict(chosen[group])
        return s

    groups = {request_id: (c[2] or NO_GROUP, c[3] or NO_GROUP) for request_id, c in councils.items()}
    for qid, found in figures.items():
        qtype = qtypes.get(qid)
        if qtype is None:  # another campaign's question
            continue
        if qtype not in NUMERIC_TYPES:  # a figure given to a question that asks for none: an answer still
            _add_answers(stats_for, qid, found, groups)
            continue
        by_region: dict[str, list[Decimal]] = defaultdict(list)
        by_type: dict[str, list[Decimal]] = defaultdict(list)
        estimates = []  # the groups of each estimate
        for _qid, value, request_id, estimate in found:  # in order: so is each group's list
            region, type_name = groups[request_id]
            by_region[region].append(value)
            by_type[type_name].append(value)
            if estimate:
                estimates.append((region, type_name))
        _add_figures(stats_for((qid, "all", ALL_COUNCILS)), list(map(FIGURE_VALUE, found)), qtype, len(estimates))
        for dim, of_dim, flagged in (
            ("region", by_region, Counter(region for region, _type in estimates)),
            ("type", by_type, Counter(type_name for _region, type_name in estimates)),
        ):
            for label, values in of_dim.items():
                _add_figures(stats_for((qid, dim, label)), values, qtype, flagged[label])

    labels: dict[tuple[int, str], set[str]] = defaultdict(set)
    for qid, dim, label in (*counts, *stats):  # every group with an answer
        labels[qid, dim].add(label)
    asked_labels = {dim: {label for d, label in asked if d == dim} for dim in DIMENSIONS}
    found = {}
    for qid, qtype, offered in questions:
        overall = stats_for((qid, "all", ALL_COUNCILS))
        of_dim = {
            dim: [stats_for((qid, dim, label)) for label in sorted(asked_labels[dim] | labels[qid, dim])]
            for dim in DIMENSIONS
        }
        if qtype == "choice":
            for s in (overall, *of_dim["region"], *of_dim["type"]):
                s.choices = {c: s.choices.get(c, 0) for c in offered} | {
                    c: k for c, k in sorted(s.choices.items()) if c not in offered
                }
        found[qid] = QuestionFigures(overall, of_dim["region"], of_dim["type"])
    return found


def _groups_of(qid: int, region: str | None, type_name: str | None) -> tuple[tuple, ...]:
    """The groups an answer to question `qid` from a council of this region and type counts in."""
    return ((qid, "all", ALL_COUNCILS), (qid, "region", region or NO_GROUP), (qid, "type", type_name or NO_GROUP))


def _add_answers(stats_for, qid: int, found: list[tuple], groups: Mapping[int, tuple[str, str]]) -> None:
    """Figures given to a question that is not numeric counted as answers (and estimates) only."""
    for _qid, _value, request_id, estimate in found:
        region, type_name = groups[request_id]
        for group in _groups_of(qid, region, type_name):
            s = stats_for(group)
            s.answers += 1
            s.estimates += bool(estimate)


_QUARTILE_TERMS = tuple((q.numerator, q.denominator) for q in QUARTILES)


def _add_figures(s: FigureStats, ordered: list[Decimal], qtype: str, estimates: int) -> None:
    """A group's sorted figures (`estimates` of them estimates) counted in, and their sum, mean,
    minimum, quartiles and maximum."""
    n = s.n = len(ordered)
    s.answers += n
    s.estimates += estimates
    places = MONEY_PLACES if qtype == MONEY else OTHER_PLACES
    total = sum(ordered, _ZERO)
    quartiles = []
    for num, den in _QUARTILE_TERMS:  # percentile(), inlined: this runs for every question and group
        low, step = divmod(num * (n - 1), den)
        below = ordered[low]
        quartile = below if step == 0 else below + (ordered[low + 1] - below) * step / den
        quartiles.append(quartile.quantize(places, rounding=ROUND_HALF_UP))
    s.q1, s.median, s.q3 = quartiles
    s.total = total.quantize(places, rounding=ROUND_HALF_UP)
    s.mean = (total / n).quantize(places, rounding=ROUND_HALF_UP)
    s.minimum = ordered[0].quantize(places, rounding=ROUND_HALF_UP)
    s.maximum = ordered[-1].quantize(places, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- before/after pairs


def pair_rows(
    figures: Mapping[int, list[tuple]], before_id: int, after_id: int, councils: Mapping[int, tuple]
) -> list[tuple]:
    """The councils (requests) that gave both figures of a pair, each a PAIR_FIELDS tuple;
    `figures` from `figures_by_question`, `councils` {request id: COUNCIL_FIELDS}."""
    after_side = {figure[2]: figure for figure in figures.get(after_id, ())}
    rows = []
    for _qid, before, request_id, estimate in figures.get(before_id, ()):
        a = after_side.get(request_id)
        if a is not None:
            after = a[1]
            change = after - before
            c = councils[request_id]
            if before > _ZERO:
                rows.append(
                    (before, after, estimate or a[3], change * _HUNDRED / before, c[2], c[3], request_id, change)
                )
            else:  # no percentage change from nothing
                rows.append((before, after, estimate or a[3], None, c[2], c[3], request_id, change))
    return rows


PAIR_FIELDS = ("before", "after", "estimate", "pct_change", "region", "type_name", "request_id", "change")
_CHANGE = itemgetter(7)


def largest_cut_first(councils: Mapping[int, tuple]):
    """The order of pair rows, given each request's council (COUNCIL_FIELDS): largest cut
    first (the most negative change), then council name, code and request."""

    def order(row: tuple):
        council = councils[row[6]]
        return (row[7], council[1], council[0], row[6])

    return order


def largest_cuts(rows: Sequence[tuple], councils: Mapping[int, tuple], count: int = TOP_CUTS) -> list:
    """The `count` rows that cut the most, in `largest_cut_first` order. Sorted by the change
    alone first (a key in C): only the rows tied with the last one taken need the councils' names."""
    by_change = sorted(rows, key=_CHANGE)
    taken = [row for row in by_change[:count] if row[7] < _ZERO]
    if len(taken) == count:
        last = taken[-1][7]
        taken += takewhile(lambda row: row[7] == last, by_change[count:])  # the sort put ties right after
    return sorted(taken, key=largest_cut_first(councils))[:count]


def pair_figures(rows: Sequence[tuple], qtype: str, councils: Mapping[int, tuple]) -> PairFigures:
    """A pair's figures (rows from `pair_rows`), overall, by region and by type, and its largest
    cuts, whose councils `councils` names: {request id: COUNCIL_FIELDS}."""
    # Those with a percentage change first, by it: so is every group, split off by stable sorts.
    items = sorted((row for row in rows if row[3] is not None), key=_PCT)
    items += (row for row in rows if row[3] is None)
    overall = _pair_stats(ALL_COUNCILS, items, qtype)
    by_region: dict[str, list[tuple]] = defaultdict(list)
    by_type: dict[str, list[tuple]] = defaultdict(list)
    for row in items:
        by_region[row[4] or NO_GROUP].append(row)
        by_type[row[5] or NO_GROUP].append(row)
    groups = {
        dim: [_pair_stats(label, found[label], qtype) for label in sorted(found)]
        for dim, found in (("region", by_region), ("type", by_type))
    }
    top_cuts = []
    for rank, (b, a, estimate, _pct, region, type_name, request_id, _change) in enumerate(
        largest_cuts(rows, councils), 1
    ):
        code, name = councils[request_id][:2]
        before, after = round_figure(b, qtype), round_figure(a, qtype)
        top_cuts.append(Cut(code, name, region, type_name, before, after, bool(estimate), rank=rank))
    return PairFigures(overall, groups["region"], groups["type"], top_cuts)


_BEFORE, _AFTER, _ESTIMATE, _PCT = (itemgetter(i) for i in range(4))
# Where each of CHANGE_BINS ends among sorted percentage changes: cuts' bins are closed above
# (bisect_right), rises' closed below (bisect_left), "No change" is 0 alone. So change_bin.
_BIN_ENDS = (
    *((bisect_right, edge) for edge in _BIN_EDGES if edge < _ZERO),
    (bisect_left, _ZERO),
    (bisect_right, _ZERO),
    *((bisect_left, edge) for edge in _BIN_EDGES if edge > _ZERO),
)


def _pair_stats(label: str, items: list[tuple], qtype: str) -> PairStats:
    """One group's figures of a pair, from its rows (PAIR_FIELDS), those with a percentage
    change first, in its order: so the bins, cuts and rises among them are runs of it, found by
    bisection (as change_bin does), not row by row."""
    s = PairStats(label)
    n = len(items)
    pcts = list(map(_PCT, items))
    with_pct = n
    if n and pcts[-1] is None:  # those with no percentage change (from nothing): last
        with_pct = pcts.index(None)
        del pcts[with_pct:]
    ends = [0, *(find(pcts, edge) for find, edge in _BIN_ENDS), with_pct]
    s.bins = list(zip(_BIN_LABELS, map(sub, ends[1:], ends[:-1])))
    if not n:
        return s
    before, after = sum(map(_BEFORE, items), _ZERO), sum(map(_AFTER, items), _ZERO)
    rest = items[with_pct:]
    s.n = n
    s.cut = ends[4] + sum(map(lt, map(_AFTER, rest), map(_BEFORE, rest)))
    s.unchanged = ends[5] - ends[4] + sum(map(eq, map(_AFTER, rest), map(_BEFORE, rest)))
    s.increased = n - s.cut - s.unchanged
    s.estimates = sum(map(_ESTIMATE, items))
    s.before_total, s.after_total = round_figure(before, qtype), round_figure(after, qtype)
    s.total_change = round_figure(after - before, qtype)
    s.total_change_pct = round_percent(percent_change(before, after))
    s.with_pct = with_pct
    if with_pct:
        s.median_pct_change = round_percent(percentile(pcts, MEDIAN))
    return s
