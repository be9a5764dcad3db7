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

The answers are gone through once (`tally_answers`: counted by question, council region,
council type and kind of answer, and each numeric question's figures set apart); every
table, for all councils, each region and each council type, is worked out from that.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import takewhile
from operator import gt, itemgetter, lt

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


@dataclass
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


@dataclass
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


# ---------------------------------------------------------------- one pass over the answers

# An answer as the report reads it (services.report_answers.answers_statement): a tuple of these.
ANSWER_FIELDS = (
    "question_id",
    "region",  # the council's
    "type_name",
    "state",
    "counted",  # state provided or estimate, and value_number set: a figure the report counts
    "suppressed",  # bound_high set: given as a range ("<5")
    "value_bool",
    "value_text",
    "value_number",
    "request_id",
)
QUESTION, REGION, TYPE, STATE, COUNTED, SUPPRESSED, BOOL, TEXT, NUMBER, REQUEST = range(len(ANSWER_FIELDS))
_KIND = itemgetter(slice(QUESTION, NUMBER))  # what answers are counted by: question, group and kind
# FigureStats' counts, in the order `_counts_of` refers to them.
_COUNTS = ("answers", "n_number", "yes", "no", "n_text", "estimates", "suppressed", *NO_VALUE_STATES)
# A counted figure of a numeric question, as `tally_answers` sets it apart: a tuple of these.
FIGURE_FIELDS = ("value", "region", "type_name", "request_id", "estimate")
_VALUE = itemgetter(0)


def _counts_of(state: str, counted, suppressed, boolean: bool | None, text: str | None) -> tuple[int, ...]:
    """Which of _COUNTS (their indexes) an answer of this kind counts in."""
    valued = state in VALUE_STATES
    range_only = not counted and suppressed  # a range and no figure
    adds = (
        True,
        bool(counted),
        valued and boolean is not None and bool(boolean),
        valued and boolean is not None and not boolean,
        valued and bool(text),
        state == ESTIMATE and not range_only,
        valued and range_only,
        *(state == other for other in NO_VALUE_STATES),
    )
    return tuple(i for i, add in enumerate(adds) if add)


@dataclass
class AnswerTally:
    """The answers, counted and sorted out (`tally_answers`)."""

    # ANSWER_FIELDS up to value_text (question, region, type and what was answered): how many answers
    kinds: Counter
    # question id: its counted figures (FIGURE_FIELDS tuples), smallest first (numeric questions only)
    figures: dict[int, list[tuple]]


def tally_answers(answers: Iterable[tuple], numeric: Iterable[int]) -> AnswerTally:
    """The answers (tuples in ANSWER_FIELDS order; a figure as a Decimal or its exact text),
    counted by question, region, type and kind, and the counted figures of the `numeric`
    questions set apart by question, in order: every group's figures, taken from them in
    turn, come out in order too, so nothing is sorted twice."""
    answers = answers if isinstance(answers, list) else list(answers)
    figures: dict[int, list[tuple]] = {qid: [] for qid in numeric}
    for qid, region, type_name, state, counted, _suppressed, _bool, _text, number, request_id in answers:
        if counted:
            found = figures.get(qid)
            if found is not None:
                found.append((Decimal(number), region, type_name, request_id, state == ESTIMATE))
    for found in figures.values():
        found.sort(key=_VALUE)
    return AnswerTally(Counter(map(_KIND, answers)), figures)


def question_figures(
    tally: AnswerTally,
    questions: Sequence[tuple[int, str, Sequence[str]]],
    asked: Mapping[tuple[str, str], int],
) -> dict[int, QuestionFigures]:
    """Every question's figures, overall, by region and by type: {question id: QuestionFigures}.

    `questions`: (id, type, choices offered) of each; `asked`: the councils asked per group,
    {("all", ALL_COUNCILS) | ("region", label) | ("type", label): count}. Each question lists
    every group asked and every group that answered it, in label order."""
    qtypes = {qid: qtype for qid, qtype, _choices in questions}
    choice_questions = {qid for qid, qtype, _choices in questions if qtype == "choice"}
    counts: dict[tuple, list[int]] = {}  # (question id, dimension, label): _COUNTS
    chosen: dict[tuple, Counter] = defaultdict(Counter)  # (question id, dimension, label): {choice: answers}
    adds_of: dict[tuple, tuple] = {}
    for kind, answers in tally.kinds.items():
        qid = kind[QUESTION]
        if qid not in qtypes:  # an answer to another campaign's question: not ours to count
            continue
        what = kind[STATE:]
        adds = adds_of.get(what)
        if adds is None:
            adds = adds_of[what] = _counts_of(*what)
        groups = (
            (qid, "all", ALL_COUNCILS),
            (qid, "region", kind[REGION] or NO_GROUP),
            (qid, "type", kind[TYPE] or NO_GROUP),
        )
        for group in groups:
            found = counts.get(group)
            if found is None:
                found = counts[group] = [0] * len(_COUNTS)
            for i in adds:
                found[i] += answers
        if qid in choice_questions and kind[TEXT] and kind[STATE] in VALUE_STATES:
            for group in groups:
                chosen[group][kind[TEXT]] += answers

    stats: dict[tuple, FigureStats] = {}

    def stats_for(group: tuple) -> FigureStats:
        s = stats.get(group)
        if s is None:
            s = stats[group] = FigureStats(group[2], asked=asked.get(group[1:], 0))
            c = counts.get(group)
            if c is not None:
                s.answers, _n, s.yes, s.no, _text, s.estimates, s.suppressed = c[:7]
                s.not_held, s.not_collected, s.refused, s.not_applicable = c[7:]
                qtype = qtypes[group[0]]
                s.n = c[1] if qtype in NUMERIC_TYPES else (c[2] + c[3] if qtype == "yes_no" else c[4])
            if group in chosen:
                s.choices = dict(chosen[group])
        return s

    for qid, figures in tally.figures.items():
        if qid not in qtypes or not figures:
            continue
        qtype = qtypes[qid]
        by_region: dict[str, list[Decimal]] = defaultdict(list)
        by_type: dict[str, list[Decimal]] = defaultdict(list)
        for value, region, type_name, _request, _estimate in figures:  # in order: so is each group's list
            by_region[region or NO_GROUP].append(value)
            by_type[type_name or NO_GROUP].append(value)
        _add_figures(stats_for((qid, "all", ALL_COUNCILS)), list(map(_VALUE, figures)), qtype)
        for dim, groups in (("region", by_region), ("type", by_type)):
            for label, values in groups.items():
                _add_figures(stats_for((qid, dim, label)), values, qtype)

    labels: dict[tuple[int, str], set[str]] = defaultdict(set)
    for qid, dim, label in counts:
        labels[qid, dim].add(label)
    asked_labels = {dim: {label for d, label in asked if d == dim} for dim in DIMENSIONS}
    found = {}
    for qid, qtype, offered in questions:
        overall = stats_for((qid, "all", ALL_COUNCILS))
        groups = {
            dim: [stats_for((qid, dim, label)) for label in sorted(asked_labels[dim] | labels[qid, dim])]
            for dim in DIMENSIONS
        }
        if qtype == "choice":
            for s in (overall, *groups["region"], *groups["type"]):
                s.choices = {c: s.choices.get(c, 0) for c in offered} | {
                    c: k for c, k in sorted(s.choices.items()) if c not in offered
                }
        found[qid] = QuestionFigures(overall, groups["region"], groups["type"])
    return found


_QUARTILE_TERMS = tuple((q.numerator, q.denominator) for q in QUARTILES)


def _add_figures(s: FigureStats, ordered: list[Decimal], qtype: str) -> None:
    """Sum, mean, minimum, quartiles and maximum of a group's sorted figures."""
    places = MONEY_PLACES if qtype == MONEY else OTHER_PLACES
    total = sum(ordered, Decimal(0))
    last = len(ordered) - 1
    quartiles = []
    for num, den in _QUARTILE_TERMS:  # percentile(), inlined: this runs for every question and group
        low, step = divmod(num * last, den)
        below = ordered[low]
        quartile = below if step == 0 else below + (ordered[low + 1] - below) * step / den
        quartiles.append(quartile.quantize(places, rounding=ROUND_HALF_UP))
    s.q1, s.median, s.q3 = quartiles
    s.total = total.quantize(places, rounding=ROUND_HALF_UP)
    s.mean = (total / (last + 1)).quantize(places, rounding=ROUND_HALF_UP)
    s.minimum = ordered[0].quantize(places, rounding=ROUND_HALF_UP)
    s.maximum = ordered[last].quantize(places, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- before/after pairs


def pair_rows(tally: AnswerTally, before_id: int, after_id: int) -> list[tuple]:
    """The councils (requests) that gave both figures of a pair, each a PAIR_FIELDS tuple."""
    after_side = {figure[3]: figure for figure in tally.figures.get(after_id, ())}
    rows = []
    for before, region, type_name, request_id, estimate in tally.figures.get(before_id, ()):
        a = after_side.get(request_id)
        if a is not None:
            after = a[0]
            change = after - before
            if before > _ZERO:
                pct = change * _HUNDRED / before
                rows.append(
                    (before, after, estimate or a[4], pct, change_bin(pct), region, type_name, request_id, change)
                )
            else:  # no percentage change from nothing
                rows.append((before, after, estimate or a[4], None, None, region, type_name, request_id, change))
    return rows


PAIR_FIELDS = ("before", "after", "estimate", "pct_change", "change_bin", "region", "type_name", "request_id", "change")
_CHANGE = itemgetter(8)


def largest_cut_first(councils: Mapping[int, tuple[str, str]]):
    """The order of pair rows, given each request's council (code, short name): largest cut
    first (the most negative change), then council name, code and request."""

    def order(row: tuple):
        code, name = councils[row[7]]
        return (row[8], name, code, row[7])

    return order


def largest_cuts(rows: Sequence[tuple], councils: Mapping[int, tuple[str, str]], count: int = TOP_CUTS) -> list:
    """The `count` rows that cut the most, in `largest_cut_first` order. Sorted by the change
    alone first (a key in C): only the rows tied with the last one taken need the councils' names."""
    by_change = sorted(rows, key=_CHANGE)
    taken = [row for row in by_change[:count] if row[8] < _ZERO]
    if len(taken) == count:
        last = taken[-1][8]
        taken += takewhile(lambda row: row[8] == last, by_change[count:])  # the sort put ties right after
    return sorted(taken, key=largest_cut_first(councils))[:count]


def pair_figures(rows: Sequence[tuple], qtype: str, councils: Mapping[int, tuple[str, str]]) -> PairFigures:
    """A pair's figures (rows from `pair_rows`), overall, by region and by type, and its largest
    cuts, whose councils `councils` names: {request id: (code, short name)}."""
    # Those with a percentage change first, by it: so is every group, split off by stable sorts.
    items = sorted((row for row in rows if row[3] is not None), key=_PCT)
    items += (row for row in rows if row[3] is None)
    overall = _pair_stats(ALL_COUNCILS, items, qtype)
    by_region: dict[str, list[tuple]] = defaultdict(list)
    by_type: dict[str, list[tuple]] = defaultdict(list)
    for row in items:
        by_region[row[5] or NO_GROUP].append(row)
        by_type[row[6] or NO_GROUP].append(row)
    groups = {
        dim: [_pair_stats(label, found[label], qtype) for label in sorted(found)]
        for dim, found in (("region", by_region), ("type", by_type))
    }
    top_cuts = []
    for rank, (b, a, estimate, _pct, _bin, region, type_name, request_id, _change) in enumerate(
        largest_cuts(rows, councils), 1
    ):
        code, name = councils[request_id]
        before, after = round_figure(b, qtype), round_figure(a, qtype)
        top_cuts.append(Cut(code, name, region, type_name, before, after, estimate, rank=rank))
    return PairFigures(overall, groups["region"], groups["type"], top_cuts)


_BEFORE, _AFTER, _ESTIMATE, _PCT, _BIN = (itemgetter(i) for i in range(5))


def _pair_stats(label: str, items: list[tuple], qtype: str) -> PairStats:
    """One group's figures of a pair, from its rows (PAIR_FIELDS), those with a percentage
    change first, in its order."""
    bins = Counter(map(_BIN, items))
    s = PairStats(label, bins=[(spec[0], bins[i]) for i, spec in enumerate(CHANGE_BINS)])
    if not items:
        return s
    befores, afters = list(map(_BEFORE, items)), list(map(_AFTER, items))
    before, after = sum(befores, Decimal(0)), sum(afters, Decimal(0))
    s.n = len(items)
    s.cut, s.increased = sum(map(lt, afters, befores)), sum(map(gt, afters, befores))
    s.unchanged = s.n - s.cut - s.increased
    s.estimates = sum(map(_ESTIMATE, items))
    s.before_total, s.after_total = round_figure(before, qtype), round_figure(after, qtype)
    s.total_change = round_figure(after - before, qtype)
    s.total_change_pct = round_percent(percent_change(before, after))
    s.with_pct = s.n - bins[None]
    if s.with_pct:
        s.median_pct_change = round_percent(percentile(list(map(_PCT, items[: s.with_pct])), MEDIAN))
    return s
