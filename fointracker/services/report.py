"""The campaign report: how councils responded, and what their figures add up to.

Everything is aggregated in SQL, a fixed number of statements whatever the size of the
campaign (DESIGN.md §3):

- responses: `services.stats.campaign_statistics` (asked, answered on time or late,
  refused by exemption, not held, outstanding, median working days);
- per question: one statement for every question at once: the campaign's answers are
  read once, GROUP BY question, region and council type, into a CTE, which is rolled up
  to all councils, each region and each council type (a UNION ALL of three GROUP BYs
  over its few hundred rows): counts by answer state, n, sum, minimum and maximum. One
  more for the medians and quartiles, which returns only the rows at the needed
  positions (on SQLite window functions, `sql_stats.percentile_select`; on PostgreSQL
  sorted arrays under GROUPING SETS, `sql_stats.percentile_arrays_select`, a third of
  the cost there), and one for choice questions;
- per before/after pair: the two figures of every council are folded into one row per
  pair and council (a CTE); one statement rolls them up the same way (councils that cut,
  increased, kept level; totals; a histogram of percentage change), one finds the median
  percentage change and one the ten largest cuts of each pair.

What counts. A figure is counted when the answer's state is "provided" or "estimate" and
it has a value. Estimates are counted and flagged (their number is in every table).
Suppressed small numbers ("<5": a range in bound_low/bound_high, no value) are left out
of n, sums and means and counted separately as "suppressed". Not held, not collected,
refused and not applicable are never zeros: they are counted by state. The base of
every figure is n, the councils whose figure it counts. Percentage change is sum-based
(the change in the total over the total before, for the councils that gave both
figures), never the mean of the councils' percentages; the median of the councils'
percentage changes is given beside it, over the councils with a positive "before".

Exact numbers on both backends. PostgreSQL sums `numeric` exactly. SQLite stores Numeric
as REAL, so there each value is summed and compared as a whole number of millionths
(`CAST(ROUND(v * 1000000) AS INTEGER)`; SQLite's integer SUM is exact, up to totals of
about 9.2 trillion). The few rows medians and quartiles are interpolated from come back
as Decimals and are finished in Python. Results are rounded once, half up: money to the
penny, everything else to 6 decimal places, so both backends print the same numbers.

The statements depend only on the campaign and its questions, so they are built once and
kept (`_statements`): a report asked for again goes straight to SQLAlchemy's compiled SQL.

One request is one council's return: a council sent two requests in one campaign would
count twice (the methodology note says so when it happens).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Float,
    Select,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm import join as orm_join
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from .. import clock
from ..domain.figures import AnswerState, QuestionType, format_number
from ..domain.regimes import REGIME_LABELS, Regime
from ..models import Answer, Authority, Campaign, FoiRequest, Question
from ..models.figures import NUMBER
from .sql_stats import (
    QUARTILES,
    interpolate_percentiles,
    percentage,
    percentile_arrays_select,
    percentile_select,
)
from .stats import CampaignStats, GroupStats, campaign_statistics

MONEY = QuestionType.MONEY.value
MONEY_PLACES = Decimal("0.01")
OTHER_PLACES = Decimal("0.000001")
SQLITE_SCALE = 1_000_000  # SQLite sums whole millionths (Numeric(24, 6) has 6 decimal places)
TOP_CUTS = 10
VALUE_STATES = (AnswerState.PROVIDED.value, AnswerState.ESTIMATE.value)
NO_VALUE_STATES = ("not_held", "not_collected", "refused", "not_applicable")
MEDIAN = Fraction(1, 2)
DIMENSIONS = {"all": None, "region": Authority.region, "type": Authority.type_name}
ALL_COUNCILS = "All councils"
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


# ---------------------------------------------------------------- rounding and display


def round_figure(value: Decimal | None, qtype: str) -> Decimal | None:
    """Money to the penny, everything else to 6 decimal places, half up; None stays None."""
    if value is None:
        return None
    places = MONEY_PLACES if qtype == MONEY else OTHER_PLACES
    return value.quantize(places, rounding=ROUND_HALF_UP)


def round_percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(OTHER_PLACES, rounding=ROUND_HALF_UP)


def percent_change(before: Decimal, after: Decimal) -> Decimal | None:
    """(after - before) / before as a percentage; None when before is not positive."""
    if before is None or after is None or before <= 0:
        return None
    return (after - before) * 100 / before


def show_figure(value: Decimal | None, qtype: str, derived: bool = False) -> str:
    """A figure as the report prints it: £1,234,567.50 / 1,234 / 12.5%. `derived` figures
    (means, medians, quartiles) of counts get one decimal place."""
    if value is None:
        return "–"
    qtype = QuestionType(qtype)
    if qtype is QuestionType.MONEY:
        places = Decimal(1) if abs(value) >= 1000 else MONEY_PLACES
    elif qtype is QuestionType.COUNT:
        places = Decimal("0.1") if derived else Decimal(1)
    elif qtype is QuestionType.PERCENTAGE:
        places = Decimal("0.1")
    else:
        places = Decimal("0.01")
    text = format_number(value.quantize(places, rounding=ROUND_HALF_UP), qtype)
    return "−" + text[1:] if text.startswith("-") else text  # a minus sign: no line break after it


def show_percent(value: Decimal | float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    value = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{abs(value):,}%"
    if value < 0:
        return "−" + text
    return ("+" + text) if signed and value > 0 else text


# ---------------------------------------------------------------- what the report holds


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    code: str
    label: str
    qtype: str
    period_label: str
    pair_group: str
    position: int
    help_text: str
    choices: tuple[str, ...]

    @property
    def is_numeric(self) -> bool:
        return QuestionType(self.qtype).is_numeric

    @property
    def title(self) -> str:
        return f"{self.label} ({self.period_label})" if self.period_label else self.label

    @property
    def type_label(self) -> str:
        return QuestionType(self.qtype).label


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
class QuestionReport:
    question: QuestionInfo
    overall: FigureStats
    by_region: list[FigureStats]
    by_type: list[FigureStats]


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


@dataclass
class PairReport:
    index: int
    before: QuestionInfo
    after: QuestionInfo
    overall: PairStats
    by_region: list[PairStats]
    by_type: list[PairStats]
    top_cuts: list[Cut]

    @property
    def qtype(self) -> str:
        return self.before.qtype

    @property
    def title(self) -> str:
        return f"{self.before.title} → {self.after.title}"


@dataclass
class Period:
    first_sent: date | None = None
    last_sent: date | None = None
    last_response: date | None = None
    requests: int = 0  # sent
    councils: int = 0  # distinct councils sent one


@dataclass
class Methodology:
    asked: str
    of_whom: str
    when: str
    response_rate: str
    caveats: list[str]


@dataclass
class Report:
    campaign_id: int
    title: str
    description: str
    regime: str
    generated_on: date
    responses: CampaignStats
    period: Period
    questions: list[QuestionReport]
    pairs: list[PairReport]
    methodology: Methodology | None = None
    unpaired: list[str] = field(default_factory=list)  # why some pair groups are not compared

    @property
    def has_answers(self) -> bool:
        return any(q.overall.answers for q in self.questions)

    @property
    def question_infos(self) -> list[QuestionInfo]:
        return [q.question for q in self.questions]


# ---------------------------------------------------------------- SQL building blocks


def _count_if(condition, label: str):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)


class _Sql:
    """The few expressions whose SQL differs by backend (see the module docstring)."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite

    @classmethod
    def of(cls, session: Session) -> _Sql:
        return cls(session.get_bind().dialect.name == "sqlite")

    def units(self, column):
        """A value to compare exactly: itself, or on SQLite a whole number of millionths."""
        return cast(func.round(column * SQLITE_SCALE), BigInteger) if self.sqlite else column

    def exact_sum(self, column, label: str):
        if self.sqlite:
            return type_coerce(func.sum(self.units(column)), BigInteger).label(label)
        return type_coerce(func.sum(column), NUMBER).label(label)

    def label(self, column):
        """A text column to group by: on PostgreSQL in the "C" collation, whose byte-wise sorting
        is several times faster than a language's; the report orders its groups itself."""
        return column if self.sqlite else column.collate("C")

    def from_sum(self, value) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-6) if self.sqlite else Decimal(value)


def _dimension_selects(columns, keys, from_, where) -> Select:
    """The same aggregate overall, by region and by council type, as one UNION ALL:
    columns dim, grp, *keys, *columns."""
    parts = []
    for dim, group in DIMENSIONS.items():
        grp = group if group is not None else literal_column("''")
        stmt = (
            select(literal_column(f"'{dim}'").label("dim"), grp.label("grp"), *keys, *columns)
            .select_from(from_)
            .where(*where)
            .group_by(*keys, *([group] if group is not None else []))
        )
        parts.append(stmt)
    return union_all(*parts)


def _rollups(fine, keys: Sequence[str], columns: dict[str, str]) -> Select:
    """A CTE aggregated by (*keys, region, type_name), rolled up to all councils, each region
    and each council type: one UNION ALL with columns dim, grp, *keys, *columns. `columns`
    maps each aggregate column to how it combines ("sum", "min" or "max"). The rows of the
    campaign are read once, into `fine`; the roll-ups read its few hundred rows."""
    combine = {"sum": func.sum, "min": func.min, "max": func.max}
    parts = []
    for dim, group in (("all", None), ("region", fine.c.region), ("type", fine.c.type_name)):
        key_columns = [fine.c[k] for k in keys]
        grp = group if group is not None else literal_column("''")
        parts.append(
            select(
                literal_column(f"'{dim}'").label("dim"),
                grp.label("grp"),
                *key_columns,
                *(
                    type_coerce(combine[how](fine.c[name]), fine.c[name].type).label(name)
                    for name, how in columns.items()
                ),
            ).group_by(*key_columns, *([group] if group is not None else []))
        )
    return union_all(*parts)


def _dimension_percentiles(sql: _Sql, base, value, fractions, keys, where=(), carry=()) -> Select:
    """The rows the percentiles of `value` need, over the CTE `base` (which has region and
    type_name columns), for all councils, by region and by type: columns g0 (dim), g1 (grp),
    g2 (the key), value, rn, n and the carried columns. On SQLite a UNION ALL of three
    `percentile_select`s; on PostgreSQL one GROUP BY GROUPING SETS over sorted arrays
    (`percentile_arrays_select`), which returns the same rows."""
    groupings = (("all", None), ("region", base.c.region), ("type", base.c.type_name))
    if not sql.sqlite:
        return percentile_arrays_select(value, fractions, keys, groupings, base, where, carry)
    parts = []
    for dim, group in groupings:
        groups = [*keys, *([group] if group is not None else [])]
        sub = percentile_select(value, fractions, groups, where, base, carry).subquery()
        grp = sub.c[f"g{len(keys)}"] if group is not None else literal_column("''")
        parts.append(
            select(
                literal_column(f"'{dim}'").label("g0"),
                grp.label("g1"),
                sub.c.g0.label("g2"),
                sub.c.value,
                sub.c.rn,
                sub.c.n,
                *(sub.c[c.key] for c in carry),
            )
        )
    return union_all(*parts)


def _answers_from():
    return orm_join(Answer, FoiRequest, Answer.request_id == FoiRequest.id).join(
        Authority, Authority.id == FoiRequest.authority_id
    )


def _group_label(dim: str, grp: str | None) -> str:
    return ALL_COUNCILS if dim == "all" else (grp or "(none)")


def campaign_questions(session: Session, campaign_id: int) -> list[QuestionInfo]:
    """The campaign's questions in order (position, then id)."""
    rows = session.scalars(
        select(Question).where(Question.campaign_id == campaign_id).order_by(Question.position, Question.id)
    )
    return [
        QuestionInfo(
            q.id,
            q.code,
            q.label,
            q.qtype,
            q.period_label or "",
            q.pair_group or "",
            q.position or 0,
            q.help_text or "",
            tuple(q.choices or ()),
        )
        for q in rows
    ]


def question_pairs(questions: Sequence[QuestionInfo]) -> tuple[list[tuple[QuestionInfo, QuestionInfo]], list[str]]:
    """The before/after pairs, and why any pair group is not compared.

    Numeric questions sharing a pair group are ordered by position (then period label):
    two make one pair, "before" first; three or more make consecutive pairs (a series of
    years). A group with questions of different types, or only one numeric question, is
    not compared.
    """
    groups: dict[str, list[QuestionInfo]] = defaultdict(list)
    for question in questions:
        if question.pair_group:
            groups[question.pair_group].append(question)
    pairs, unpaired = [], []
    for name, members in groups.items():
        numeric = sorted((q for q in members if q.is_numeric), key=lambda q: (q.position, q.period_label, q.id))
        if len(numeric) < 2:
            unpaired.append(f"Pair group “{name}” has fewer than two numeric questions, so nothing is compared.")
            continue
        if len({q.qtype for q in numeric}) > 1:
            unpaired.append(
                f"Pair group “{name}” mixes questions of different types "
                f"({', '.join(q.code for q in numeric)}), so they are not compared."
            )
            continue
        pairs.extend(zip(numeric, numeric[1:]))
    return pairs, unpaired


# ---------------------------------------------------------------- statements


def figures_statement(sql: _Sql, campaign_id: int) -> Select:
    """Every question's counts, n, sum, min and max: overall, by region, by type."""
    a = Answer
    valued = a.state.in_(VALUE_STATES)
    number = and_(valued, a.value_number.is_not(None))
    suppressed = and_(valued, a.value_number.is_(None), a.bound_high.is_not(None))
    number_only = case((number, a.value_number))
    columns = [
        func.count(a.id).label("answers"),
        _count_if(number, "n_number"),
        sql.exact_sum(number_only, "total"),
        type_coerce(func.min(number_only), NUMBER).label("minimum"),
        type_coerce(func.max(number_only), NUMBER).label("maximum"),
        _count_if(and_(valued, a.value_bool.is_(True)), "yes"),
        _count_if(and_(valued, a.value_bool.is_(False)), "no"),
        _count_if(and_(valued, a.value_text != ""), "n_text"),
        _count_if(
            and_(a.state == AnswerState.ESTIMATE.value, ~and_(a.value_number.is_(None), a.bound_high.is_not(None))),
            "estimates",
        ),
        _count_if(suppressed, "suppressed"),
        *(_count_if(a.state == state, state) for state in NO_VALUE_STATES),
    ]
    region, type_name = sql.label(Authority.region), sql.label(Authority.type_name)
    fine = (
        select(a.question_id.label("question_id"), region.label("region"), type_name.label("type_name"), *columns)
        .select_from(_answers_from())
        .where(FoiRequest.campaign_id == campaign_id)
        .group_by(a.question_id, region, type_name)
    ).cte("answer_groups")
    how = {c.name: "sum" for c in columns} | {"minimum": "min", "maximum": "max"}
    return _rollups(fine, ["question_id"], how)


def quartiles_statement(sql: _Sql, campaign_id: int, question_ids: Sequence[int]) -> Select:
    """The rows the median and quartiles of every numeric question need: overall, by region, by type."""
    a = Answer
    base = (
        select(
            a.question_id.label("question_id"),
            sql.label(Authority.region).label("region"),
            sql.label(Authority.type_name).label("type_name"),
            a.value_number.label("value"),
        )
        .select_from(_answers_from())
        .where(
            FoiRequest.campaign_id == campaign_id,
            a.state.in_(VALUE_STATES),
            a.value_number.is_not(None),
            a.question_id.in_(list(question_ids)),
        )
    ).cte("figure_values")
    return _dimension_percentiles(sql, base, base.c.value, QUARTILES, [base.c.question_id])


def choices_statement(campaign_id: int, question_ids: Sequence[int]) -> Select:
    a = Answer
    return _dimension_selects(
        [func.count(a.id).label("answers")],
        [a.question_id.label("question_id"), a.value_text.label("choice")],
        _answers_from(),
        [
            FoiRequest.campaign_id == campaign_id,
            a.state.in_(VALUE_STATES),
            a.question_id.in_(list(question_ids)),
            a.value_text != "",
        ],
    )


class _PairJoin:
    """Every council's two figures of every pair, read once into a CTE (`base`).

    The pairs are a few literal rows (pair, question id, side); the answers to those
    questions are read through the (question_id, state) index and folded into one row per
    pair and council (GROUP BY pair, request: the "before" side's figure and the "after"
    side's), kept when both are there. `bu` and `au` are the two figures as compared and
    summed exactly (see _Sql.units)."""

    def __init__(self, sql: _Sql, campaign_id: int, pairs: Sequence[tuple[QuestionInfo, QuestionInfo]]):
        self.sql = sql
        rows = [
            select(
                literal_column(str(int(i))).label("pair"),
                literal_column(str(int(q.id))).label("question_id"),
                literal_column(str(side)).label("side"),
            )
            for i, pair in enumerate(pairs)
            for side, q in enumerate(pair)
        ]
        sides = union_all(*rows).cte("pair_sides")
        a = Answer
        figures = (
            select(
                sides.c.pair,
                a.request_id,
                type_coerce(func.max(case((sides.c.side == 0, a.value_number))), NUMBER).label("before"),
                type_coerce(func.max(case((sides.c.side == 1, a.value_number))), NUMBER).label("after"),
                func.max(case((a.state == AnswerState.ESTIMATE.value, 1), else_=0)).label("estimate"),
            )
            .select_from(sides)
            .join(a, a.question_id == sides.c.question_id)
            .where(a.state.in_(VALUE_STATES), a.value_number.is_not(None))
            .group_by(sides.c.pair, a.request_id)
            .having(func.count() == 2)
        ).subquery("pair_figures")
        self.base = (
            select(
                figures.c.pair,
                sql.label(Authority.region).label("region"),
                sql.label(Authority.type_name).label("type_name"),
                Authority.code.label("code"),
                Authority.short_name.label("short_name"),
                FoiRequest.id.label("request_id"),
                figures.c.before,
                figures.c.after,
                sql.units(figures.c.before).label("bu"),
                sql.units(figures.c.after).label("au"),
                figures.c.estimate,
            )
            .select_from(figures)
            .join(FoiRequest, FoiRequest.id == figures.c.request_id)
            .join(Authority, Authority.id == FoiRequest.authority_id)
            .where(FoiRequest.campaign_id == campaign_id)
        ).cte("pair_values")


def pairs_statement(join: _PairJoin) -> Select:
    """Every pair's counts, totals and change histogram: overall, by region, by type."""
    p = join.base
    bu, au = p.c.bu, p.c.au
    columns = [
        func.count().label("n"),
        _count_if(au < bu, "cut"),
        _count_if(au > bu, "increased"),
        _count_if(au == bu, "unchanged"),
        func.sum(p.c.estimate).label("estimates"),
        func.sum(bu).label("before_total"),
        func.sum(au).label("after_total"),
        _count_if(bu > 0, "with_pct"),
    ]
    change = 100 * (au - bu)  # percentage change p compared without dividing: p <= k  <=>  100(a - b) <= k b
    for i, (_label, low, high, low_in, high_in) in enumerate(CHANGE_BINS):
        conditions = [bu > 0]
        if low is not None:
            conditions.append(change >= low * bu if low_in else change > low * bu)
        if high is not None:
            conditions.append(change <= high * bu if high_in else change < high * bu)
        columns.append(_count_if(and_(*conditions), f"bin{i}"))
    fine = (select(p.c.pair, p.c.region, p.c.type_name, *columns).group_by(p.c.pair, p.c.region, p.c.type_name)).cte(
        "pair_groups"
    )
    return _rollups(fine, ["pair"], {c.name: "sum" for c in columns})


def pair_median_statement(join: _PairJoin) -> Select:
    """The rows the median percentage change of each pair needs (councils with a positive before).
    The database orders by the change; the two figures come along to compute it exactly."""
    p = join.base
    ordering = case((p.c.bu > 0, cast(p.c.au - p.c.bu, Float) / cast(p.c.bu, Float)))  # floats: only to order by
    return _dimension_percentiles(join.sql, p, ordering, [MEDIAN], [p.c.pair], carry=[p.c.before, p.c.after])


def top_cuts_statement(join: _PairJoin) -> Select:
    """The TOP_CUTS largest cuts (in amount) of each pair, councils named."""
    p = join.base
    ranked = (
        select(
            p.c.pair,
            p.c.code,
            p.c.short_name,
            p.c.region,
            p.c.type_name,
            p.c.before,
            p.c.after,
            p.c.estimate,
            func.row_number()
            .over(partition_by=p.c.pair, order_by=((p.c.bu - p.c.au).desc(), p.c.short_name, p.c.code, p.c.request_id))
            .label("rn"),
        ).where(p.c.au < p.c.bu)
    ).subquery()
    return select(ranked).where(ranked.c.rn <= TOP_CUTS).order_by(ranked.c.pair, ranked.c.rn)


def period_statement(campaign_id: int) -> Select:
    r = FoiRequest
    return select(
        func.min(r.sent_on),
        func.max(r.sent_on),
        func.max(r.responded_on),
        func.count(r.id),
        func.count(distinct(r.authority_id)),
    ).where(r.campaign_id == campaign_id, r.sent_on.is_not(None))


@dataclass(frozen=True)
class _Statements:
    """The report's aggregate statements for one campaign and its questions."""

    questions: tuple[QuestionInfo, ...]
    pairs: tuple[tuple[QuestionInfo, QuestionInfo], ...]
    unpaired: tuple[str, ...]
    figures: Select | None = None
    quartiles: Select | None = None
    choices: Select | None = None
    pair_totals: Select | None = None
    pair_medians: Select | None = None
    top_cuts: Select | None = None

    def named(self) -> dict[str, Select]:
        """The statements the report needs, by name, in the order they are listed above."""
        names = ("figures", "quartiles", "choices", "pair_totals", "pair_medians", "top_cuts")
        return {name: stmt for name in names if (stmt := getattr(self, name)) is not None}

    def all(self) -> list[Select]:
        return list(self.named().values())


@lru_cache(maxsize=64)
def _statements(sqlite: bool, campaign_id: int, questions: tuple[QuestionInfo, ...]) -> _Statements:
    """Built once per campaign and set of questions, and kept: SQLAlchemy statements are
    immutable, and a kept one also keeps its cache key, so a report that is asked for
    again goes straight to the compiled SQL."""
    sql = _Sql(sqlite)
    pairs, unpaired = question_pairs(questions)
    built = {}
    if questions:
        built["figures"] = figures_statement(sql, campaign_id)
        numeric = [q.id for q in questions if q.is_numeric]
        if numeric:
            built["quartiles"] = quartiles_statement(sql, campaign_id, numeric)
        choice = [q.id for q in questions if q.qtype == QuestionType.CHOICE.value]
        if choice:
            built["choices"] = choices_statement(campaign_id, choice)
    if pairs:
        join = _PairJoin(sql, campaign_id, pairs)
        built.update(
            pair_totals=pairs_statement(join),
            pair_medians=pair_median_statement(join),
            top_cuts=top_cuts_statement(join),
        )
    return _Statements(questions, tuple(pairs), tuple(unpaired), **built)


def report_statements(session: Session, campaign_id: int) -> _Statements:
    return _statements(_Sql.of(session).sqlite, campaign_id, tuple(campaign_questions(session, campaign_id)))


def aggregate_statements(session: Session, campaign_id: int) -> list[Select]:
    """The report's own aggregate statements, as `build_report` runs them (for benchmarks:
    the bare SQL a report rests on, besides `campaign_statistics`)."""
    return [period_statement(campaign_id), *report_statements(session, campaign_id).all()]


# ---------------------------------------------------------------- the report

# The heaviest statements run in a thread of their own, on a connection of their own, while
# the others run in line (see `_statement_lanes`).
_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="report-sql")
# Which, by backend: the split that evens the two lanes out on the benchmark's campaign
# (benchmarks/bench_report.py), counting campaign_statistics in the in-line lane.
_RUN_BESIDE = {"sqlite": ("quartiles", "top_cuts"), "postgresql": ("quartiles", "pair_medians")}


def _own_connection_sees_same_data(engine: Engine) -> bool:
    """False for a database that only one connection can see (SQLite in memory)."""
    return not isinstance(engine.pool, (SingletonThreadPool, StaticPool))


def _without_parallel_workers(connection) -> None:
    """PostgreSQL: no parallel workers for the rest of this transaction. The report already
    runs two statements at once; workers for statements of a few tens of milliseconds cost
    more to start than they save, and compete with the other lane for the same cores."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


@contextmanager
def _statement_lanes(session: Session, statements: _Statements, parallel: bool):
    """Yields a function that returns every aggregate statement's rows, by name (a statement the
    report does not need is left out).

    The statements are independent reads, so the heaviest (`_RUN_BESIDE`) start at once on a
    second connection in a thread, while the caller runs its own statements (the response
    statistics) and the function runs the rest on the session: the database works on two at
    once (SQLite releases the GIL while it runs a statement; PostgreSQL runs a backend per
    connection), and the report takes about as long as the slower lane rather than the sum.
    Each statement reads the data committed when it starts, which is what every statement of
    the report reads under PostgreSQL's READ COMMITTED in any case. With `parallel` False, or
    on a database only one connection can see, all run in line."""
    wanted = statements.named()
    engine = session.get_bind()
    beside = {name: stmt for name, stmt in wanted.items() if name in _RUN_BESIDE.get(engine.dialect.name, ())}
    if not parallel or not beside or not _own_connection_sees_same_data(engine):
        yield lambda: {name: session.execute(stmt).all() for name, stmt in wanted.items()}
        return

    def fetch_beside() -> dict[str, list[Row]]:
        with engine.connect() as connection:
            _without_parallel_workers(connection)
            return {name: connection.execute(stmt).all() for name, stmt in beside.items()}

    future = _BESIDE.submit(fetch_beside)

    def fetch_rows() -> dict[str, list[Row]]:
        rows = {name: session.execute(stmt).all() for name, stmt in wanted.items() if name not in beside}
        rows.update(future.result())
        return rows

    try:
        _without_parallel_workers(session.connection())
        yield fetch_rows
    finally:
        if not future.cancel():
            wait([future])  # never leave the other lane running on its own


def build_report(session: Session, campaign: Campaign, today: date | None = None, parallel: bool = True) -> Report:
    """Everything the report page and the exports print, in a fixed number of statements
    (the heaviest on a second connection at the same time unless `parallel` is False)."""
    sql = _Sql.of(session)
    statements = report_statements(session, campaign.id)
    with _statement_lanes(session, statements, parallel) as fetch_rows:
        stats = campaign_statistics(session, campaign.id)
        first, last, last_response, requests, councils = session.execute(period_statement(campaign.id)).one()
        rows = fetch_rows()
    period = Period(first, last, last_response, requests or 0, councils or 0)
    questions, pairs = list(statements.questions), list(statements.pairs)
    asked = {("all", ALL_COUNCILS): stats.overall.councils}
    asked.update({("region", g.label): g.councils for g in stats.by_region})
    asked.update({("type", g.label): g.councils for g in stats.by_type})
    report = Report(
        campaign.id,
        campaign.title,
        campaign.description or "",
        campaign.default_regime,
        today or clock.today(),
        stats,
        period,
        [],
        [],
        unpaired=list(statements.unpaired),
    )
    if questions:
        report.questions = _question_reports(sql, statements, asked, rows)
    if pairs:
        report.pairs = _pair_reports(sql, statements, rows)
    report.methodology = methodology(report)
    return report


def _question_reports(
    sql: _Sql, statements: _Statements, asked: dict, rows: dict[str, list[Row]]
) -> list[QuestionReport]:
    questions = statements.questions
    by_id = {q.id: q for q in questions}
    found: dict[tuple[str, str, int], FigureStats] = {}  # (dim, group label, question id)
    labels: dict[tuple[str, int], set[str]] = defaultdict(set)  # (dim, question id): group labels seen

    def stats_for(dim: str, grp: str | None, question_id: int) -> FigureStats:
        label = _group_label(dim, grp)
        key = (dim, label, question_id)
        found_stats = found.get(key)
        if found_stats is None:
            found_stats = found[key] = FigureStats(label, asked=asked.get((dim, label), 0))
            labels[(dim, question_id)].add(label)
        return found_stats

    for row in (r._mapping for r in rows["figures"]):
        question = by_id.get(row["question_id"])
        if question is None:  # an answer to another campaign's question: not ours to count
            continue
        s = stats_for(row["dim"], row["grp"], question.id)
        s.answers = int(row["answers"])
        s.estimates, s.suppressed = int(row["estimates"]), int(row["suppressed"])
        s.not_held, s.not_collected = int(row["not_held"]), int(row["not_collected"])
        s.refused, s.not_applicable = int(row["refused"]), int(row["not_applicable"])
        s.yes, s.no = int(row["yes"]), int(row["no"])
        qtype = QuestionType(question.qtype)
        if qtype.is_numeric:
            s.n = int(row["n_number"])
            total = sql.from_sum(row["total"])
            if s.n:
                s.total = round_figure(total, question.qtype)
                s.mean = round_figure(total / s.n, question.qtype)
                s.minimum = round_figure(Decimal(row["minimum"]), question.qtype)
                s.maximum = round_figure(Decimal(row["maximum"]), question.qtype)
        elif qtype is QuestionType.YES_NO:
            s.n = s.yes + s.no
        else:
            s.n = int(row["n_text"])

    if statements.quartiles is not None:
        for (dim, grp, question_id), values in interpolate_percentiles(rows["quartiles"], QUARTILES, 3).items():
            s = stats_for(dim, grp, question_id)
            qtype = by_id[question_id].qtype
            s.q1, s.median, s.q3 = (round_figure(value, qtype) for value in values)
    if statements.choices is not None:
        for row in (r._mapping for r in rows["choices"]):
            stats_for(row["dim"], row["grp"], row["question_id"]).choices[row["choice"]] = int(row["answers"])

    asked_labels = {dim: {label for (d, label) in asked if d == dim} for dim in ("region", "type")}
    reports = []
    for question in questions:
        overall = stats_for("all", None, question.id)
        groups = {
            dim: [
                stats_for(dim, label, question.id) for label in sorted(asked_labels[dim] | labels[(dim, question.id)])
            ]
            for dim in ("region", "type")
        }
        if question.qtype == QuestionType.CHOICE.value:
            for s in [overall, *groups["region"], *groups["type"]]:
                s.choices = {c: s.choices.get(c, 0) for c in question.choices} | {
                    c: k for c, k in sorted(s.choices.items()) if c not in question.choices
                }
        reports.append(QuestionReport(question, overall, groups["region"], groups["type"]))
    return reports


def _pair_reports(sql: _Sql, statements: _Statements, rows: dict[str, list[Row]]) -> list[PairReport]:
    pairs = statements.pairs
    found: dict[tuple[str, str, int], PairStats] = {}  # (dim, group label, pair index)

    def stats_for(dim: str, grp: str | None, index: int) -> PairStats:
        label = _group_label(dim, grp)
        key = (dim, label, int(index))
        if key not in found:
            found[key] = PairStats(label)
        return found[key]

    for row in (r._mapping for r in rows["pair_totals"]):
        index = int(row["pair"])
        qtype = pairs[index][0].qtype
        s = stats_for(row["dim"], row["grp"], index)
        s.n, s.cut, s.increased, s.unchanged = (int(row[k]) for k in ("n", "cut", "increased", "unchanged"))
        s.estimates, s.with_pct = int(row["estimates"]), int(row["with_pct"])
        before, after = sql.from_sum(row["before_total"]), sql.from_sum(row["after_total"])
        if s.n:
            s.before_total, s.after_total = round_figure(before, qtype), round_figure(after, qtype)
            s.total_change = round_figure(after - before, qtype)
            s.total_change_pct = round_percent(percent_change(before, after)) if before > 0 else None
        s.bins = [(label, int(row[f"bin{i}"])) for i, (label, *_rest) in enumerate(CHANGE_BINS)]

    def exact_change(row) -> Decimal:
        return percent_change(Decimal(row.before), Decimal(row.after))

    medians = interpolate_percentiles(rows["pair_medians"], [MEDIAN], 3, exact_change)
    for (dim, grp, index), (median,) in medians.items():
        stats_for(dim, grp, index).median_pct_change = round_percent(median)

    cuts: dict[int, list[Cut]] = defaultdict(list)
    for row in (r._mapping for r in rows["top_cuts"]):
        index = int(row["pair"])
        qtype = pairs[index][0].qtype
        cuts[index].append(
            Cut(
                row["code"],
                row["short_name"],
                row["region"],
                row["type_name"],
                round_figure(Decimal(row["before"]), qtype),
                round_figure(Decimal(row["after"]), qtype),
                bool(row["estimate"]),
                rank=int(row["rn"]),
            )
        )

    reports = []
    for index, (before, after) in enumerate(pairs):
        overall = stats_for("all", None, index)
        if not overall.bins:
            overall.bins = [(label, 0) for label, *_rest in CHANGE_BINS]
        by = {
            dim: [found[k] for k in sorted(found, key=lambda k: k[1]) if k[0] == dim and k[2] == index]
            for dim in ("region", "type")
        }
        reports.append(PairReport(index, before, after, overall, by["region"], by["type"], cuts.get(index, [])))
    return reports


# ---------------------------------------------------------------- the methodology note


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def methodology(report: Report) -> Methodology:
    """What was asked, of whom, when, the response rate and the caveats, in words."""
    o = report.responses.overall
    questions = report.question_infos
    if questions:
        periods = sorted({q.period_label for q in questions if q.period_label})
        asked = (
            f"{_plural(len(questions), 'question')} ({', '.join(q.code for q in questions)})"
            + (f", covering {', '.join(periods)}" if periods else "")
            + "."
        )
    else:
        asked = "No questions have been defined for this campaign yet."
    types = ", ".join(f"{g.councils} {g.label}" for g in sorted(report.responses.by_type, key=lambda g: -g.councils))
    regime = f"the {Regime(report.regime).act}" if report.regime in REGIME_LABELS else report.regime
    of_whom = (
        f"{_plural(o.councils, 'council')} were sent a request under {regime} (Scottish councils under "
        f"the Scottish equivalent)" + (f": {types}." if types else ".")
    )
    p = report.period
    if p.first_sent:
        sent = (
            f"on {p.first_sent:%-d %B %Y}"
            if p.first_sent == p.last_sent
            else f"between {p.first_sent:%-d %B %Y} and {p.last_sent:%-d %B %Y}"
        )
        when = f"Requests were sent {sent}"
        when += (
            f"; the last response counted arrived on {p.last_response:%-d %B %Y}"
            if p.last_response
            else "; no response has arrived yet"
        )
        when += f". Figures as recorded on {report.generated_on:%-d %B %Y}."
    else:
        when = "No request has been sent yet."
    rate = o.response_rate
    response_rate = (
        f"{_plural(o.answered, 'request')} answered out of {o.sent:,} sent"
        + (f" ({show_percent(rate)})" if rate is not None else "")
        + f"; {o.on_time:,} on time and {o.late:,} late; {o.refused:,} refused, "
        f"{o.not_held:,} said the information was not held, {o.outstanding:,} still outstanding."
    )
    caveats = [
        "Every table states its base: n is the number of councils whose figure is counted. Councils that did "
        "not answer a question, or answered that the information is not held, not collected or exempt, are not "
        "counted as zero; they are shown in their own columns.",
    ]
    estimates = sum(q.overall.estimates for q in report.questions)
    if estimates:
        caveats.append(
            f"{_plural(estimates, 'figure')} {'is an estimate' if estimates == 1 else 'are estimates'} "
            "given by the council; they are counted and flagged in every table."
        )
    suppressed = sum(q.overall.suppressed for q in report.questions)
    if suppressed:
        caveats.append(
            f"{_plural(suppressed, 'figure')} {'was' if suppressed == 1 else 'were'} suppressed by the "
            "council as a small number (such as “fewer than 5”); they are left out of n, totals, means "
            "and medians, and counted as “suppressed”."
        )
    if report.pairs:
        caveats.append(
            "Changes compare only the councils that gave both figures. The percentage change is "
            "sum-based (the change in the total over the total before), not the average of the "
            "councils' own percentages; the median change is of the councils' own percentages, over "
            "those with a figure above zero before."
        )
    caveats.extend(report.unpaired)
    if p.requests > p.councils:
        extra = p.requests - p.councils
        caveats.append(
            f"{extra:,} more request{'' if extra == 1 else 's'} than councils: some councils were sent "
            "more than one request, and each request's figures are counted."
        )
    caveats.append(
        "Money is rounded to the penny and other figures to six decimal places after adding up; "
        "quartiles are interpolated (the method of Excel's QUARTILE.INC)."
    )
    return Methodology(asked, of_whom, when, response_rate, caveats)


# ---------------------------------------------------------------- per-council tables


def request_filter(campaign_id: int):
    """The requests a report's per-council tables list: the campaign's sent requests, and any
    other of its requests that has an answer recorded."""
    other = aliased(Answer, name="any_answer")
    has_answer = exists().where(other.request_id == FoiRequest.id).correlate(FoiRequest)
    return and_(FoiRequest.campaign_id == campaign_id, or_(FoiRequest.sent_on.is_not(None), has_answer))


def council_answers_statement(campaign_id: int) -> Select:
    """One row per council (request) and question, with the answer if there is one, in
    council order: the tidy table, and the source of the wide one."""
    a = Answer
    return (
        select(
            FoiRequest.id.label("request_id"),
            FoiRequest.status,
            FoiRequest.outcome,
            FoiRequest.responded_on,
            FoiRequest.responded_on_time,
            FoiRequest.response_working_days,
            Authority.code,
            Authority.gss_code,
            Authority.short_name,
            Authority.region,
            Authority.type_name,
            Authority.nation,
            Question.id.label("question_id"),
            Question.code.label("question_code"),
            Question.label.label("question"),
            Question.period_label,
            Question.qtype,
            a.state,
            a.value_number,
            a.bound_low,
            a.bound_high,
            a.value_bool,
            a.value_text,
            a.raw,
            a.exemption,
            a.note,
        )
        .select_from(FoiRequest)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .join(Question, Question.campaign_id == FoiRequest.campaign_id)
        .outerjoin(a, and_(a.request_id == FoiRequest.id, a.question_id == Question.id))
        .where(request_filter(campaign_id))
        .order_by(Authority.short_name, Authority.code, FoiRequest.id, Question.position, Question.id)
    )


def question_council_rows(session: Session, campaign_id: int, question_id: int | None = None) -> dict[int, list]:
    """{question id: the answers to it, council by council}: the table behind each question's
    figures (every question's, or only `question_id`'s)."""
    a = Answer
    stmt = (
        select(
            a.question_id,
            Authority.code,
            Authority.short_name,
            Authority.region,
            Authority.type_name,
            a.state,
            a.value_number,
            a.bound_low,
            a.bound_high,
            a.value_bool,
            a.value_text,
            a.raw,
            a.exemption,
            a.note,
        )
        .select_from(_answers_from())
        .where(FoiRequest.campaign_id == campaign_id)
        .order_by(a.question_id, Authority.short_name, Authority.code, FoiRequest.id)
    )
    if question_id is not None:
        stmt = stmt.where(a.question_id == question_id)
    rows: dict[int, list] = defaultdict(list)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        rows[row.question_id].append(row)
    return rows


def pair_council_rows(session: Session, report: Report) -> dict[int, list[PairCouncilRow]]:
    """{pair index: the councils that gave both figures, largest cut first}: the table behind
    each pair's figures."""
    return pairs_council_rows(session, report.campaign_id, [(pair.before, pair.after) for pair in report.pairs])


def pairs_council_rows(
    session: Session, campaign_id: int, pairs: Sequence[tuple[QuestionInfo, QuestionInfo]]
) -> dict[int, list[PairCouncilRow]]:
    """`pair_council_rows` for these (before, after) pairs, keyed by their place in `pairs`."""
    if not pairs:
        return {}
    p = _PairJoin(_Sql.of(session), campaign_id, pairs).base
    stmt = select(p).order_by(p.c.pair, p.c.au - p.c.bu, p.c.short_name, p.c.code, p.c.request_id)
    rows: dict[int, list[PairCouncilRow]] = defaultdict(list)
    for row in session.execute(stmt):
        rows[int(row.pair)].append(
            PairCouncilRow(
                row.code,
                row.short_name,
                row.region,
                row.type_name,
                Decimal(row.before),
                Decimal(row.after),
                bool(row.estimate),
            )
        )
    return rows


def answer_text(qtype: str, state: str | None, number, low, high, boolean, text: str, raw: str) -> str:
    """An answer in words, for tables: the figure, "<5"-style ranges, or the state."""
    if state is None:
        return ""
    if state in VALUE_STATES:
        if number is not None:
            return show_figure(Decimal(number), qtype)
        if high is not None:
            return raw or f"{Decimal(low).normalize():f} to {Decimal(high).normalize():f}"
        if boolean is not None:
            return "Yes" if boolean else "No"
        return text or raw
    return AnswerState(state).label


def iter_rows(session: Session, stmt: Select, batch: int = 1000) -> Iterator:
    """A statement's rows, read from the database `batch` at a time (a server-side cursor on
    PostgreSQL), so exports stream with flat memory."""
    result = session.execute(stmt.execution_options(yield_per=batch))
    for partition in result.partitions():
        yield from partition


# ---------------------------------------------------------------- JSON


def _number(value):
    """A Decimal as a JSON number: an int when whole, else a float (figures are already rounded)."""
    if value is None:
        return None
    number = float(value)
    return int(value) if number.is_integer() and abs(number) < 2**53 else number


def _figure_json(s: FigureStats) -> dict:
    return {
        "group": s.label,
        "asked": s.asked,
        "answers": s.answers,
        "n": s.n,
        "sum": _number(s.total),
        "mean": _number(s.mean),
        "median": _number(s.median),
        "min": _number(s.minimum),
        "q1": _number(s.q1),
        "q3": _number(s.q3),
        "max": _number(s.maximum),
        "estimates": s.estimates,
        "suppressed": s.suppressed,
        "not_held": s.not_held,
        "not_collected": s.not_collected,
        "refused": s.refused,
        "not_applicable": s.not_applicable,
        "no_answer": s.missing,
        "yes": s.yes,
        "no": s.no,
        "choices": dict(s.choices),
    }


def _pair_json(s: PairStats) -> dict:
    return {
        "group": s.label,
        "n": s.n,
        "cut": s.cut,
        "increased": s.increased,
        "unchanged": s.unchanged,
        "estimates": s.estimates,
        "before_total": _number(s.before_total),
        "after_total": _number(s.after_total),
        "total_change": _number(s.total_change),
        "total_change_pct": _number(s.total_change_pct),
        "median_pct_change": _number(s.median_pct_change),
        "median_pct_change_base": s.with_pct,
    }


def _group_json(g: GroupStats) -> dict:
    return {
        "group": g.label,
        "asked": g.councils,
        "sent": g.sent,
        "answered": g.answered,
        "on_time": g.on_time,
        "late": g.late,
        "refused": g.refused,
        "not_held": g.not_held,
        "outstanding": g.outstanding,
        "withdrawn": g.withdrawn,
        "median_working_days": g.median_working_days,
    }


def report_json(report: Report) -> dict:
    """The report as plain JSON-able data (what /report.json and `--format json` write)."""
    stats = report.responses
    m = report.methodology
    return {
        "campaign": {"id": report.campaign_id, "title": report.title},
        "generated_on": report.generated_on.isoformat(),
        "responses": {
            **_group_json(stats.overall),
            "refused_by_exemption": [
                {"code": e.code, "label": e.label, "requests": e.requests} for e in stats.exemptions
            ],
            "by_region": [_group_json(g) for g in stats.by_region],
            "by_type": [_group_json(g) for g in stats.by_type],
        },
        "questions": [
            {
                "code": q.question.code,
                "label": q.question.label,
                "type": q.question.qtype,
                "period": q.question.period_label,
                "pair_group": q.question.pair_group,
                **{k: v for k, v in _figure_json(q.overall).items() if k != "group"},
                "by_region": [_figure_json(s) for s in q.by_region],
                "by_type": [_figure_json(s) for s in q.by_type],
            }
            for q in report.questions
        ],
        "pairs": [
            {
                "before": p.before.code,
                "after": p.after.code,
                **{k: v for k, v in _pair_json(p.overall).items() if k != "group"},
                "distribution": [{"bin": label, "councils": count} for label, count in p.overall.bins],
                "top_cuts": [
                    {
                        "rank": c.rank,
                        "council_code": c.code,
                        "council": c.council,
                        "region": c.region,
                        "council_type": c.council_type,
                        "before": _number(c.before),
                        "after": _number(c.after),
                        "change": _number(c.change),
                        "change_pct": _number(round_percent(c.pct)),
                        "estimate": c.estimate,
                    }
                    for c in p.top_cuts
                ],
                "by_region": [_pair_json(s) for s in p.by_region],
                "by_type": [_pair_json(s) for s in p.by_type],
            }
            for p in report.pairs
        ],
        "methodology": None
        if m is None
        else {
            "asked": m.asked,
            "of_whom": m.of_whom,
            "when": m.when,
            "response_rate": m.response_rate,
            "caveats": list(m.caveats),
        },
    }
