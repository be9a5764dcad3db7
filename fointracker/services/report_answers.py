"""What the campaign report reads: the campaign's questions, its answers, and the
per-council tables behind its figures.

The report's tables come from the campaign's answers counted by the database
(`counts_statement`) and their figures, read once (`figures_statement`), which
domain.report_statistics works through; a figure's council (its groups, and its name in the
before/after tables) from one more small read (`read_councils`).

On SQLite a figure is stored as a REAL; models.figures.exact_figure reads it through SQLite's
own text form, exact for every figure the app accepts (at most 15 significant digits,
domain.figures.MAX_SIGNIFICANT_DIGITS), so both backends give the same Decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import Select, and_, case, distinct, exists, func, not_, null, or_, select
from sqlalchemy.orm import Session, aliased

from ..domain.figures import QuestionType
from ..domain.report_statistics import (
    COUNT_FIELDS,
    ESTIMATE,
    NO_VALUE_STATES,
    VALUE_STATES,
    PairCouncilRow,
    figures_by_question,
    largest_cut_first,
    pair_rows,
)
from ..models import Answer, Attachment, Authority, FoiRequest, Question
from ..models.figures import counted_in_sql, exact_figure, sql_word

SourceDocument = aliased(Attachment, name="source_document")

# ---------------------------------------------------------------- questions


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
        """The label with its period, once: "Budget (2024/25)", and "Budget 2024/25" as it was written."""
        if not self.period_label or self.label.rstrip(" )").endswith(self.period_label):
            return self.label
        return f"{self.label} ({self.period_label})"

    @property
    def subject(self) -> str:
        """The label without a period it ends with ("Budget 2024/25" → "Budget"): what a pair compares."""
        label, period = self.label, self.period_label
        if period and label.rstrip(" )").endswith(period):
            label = label.rstrip(" )").removesuffix(period).rstrip(" ,(-–")
        return label or self.label

    @property
    def type_label(self) -> str:
        return QuestionType(self.qtype).label


def pair_heading(before: QuestionInfo, after: QuestionInfo) -> str:
    """A before/after pair in words, by its labels and periods, never its codes (#19): "Adult social
    care budget, 2024/25 to 2025/26"; two different labels are both named."""
    if before.subject == after.subject and before.period_label and after.period_label:
        return f"{before.subject}, {before.period_label} to {after.period_label}"
    return f"{before.title} → {after.title}"


def campaign_questions(session: Session, campaign_id: int) -> list[QuestionInfo]:
    """The campaign's questions in order (position, then id). Columns, not ORM objects: the
    report reads them on every build (benchmarks/bench_report.py)."""
    q = Question
    rows = session.connection().execute(
        select(q.id, q.code, q.label, q.qtype, q.period_label, q.pair_group, q.position, q.help_text, q.choices)
        .where(q.campaign_id == campaign_id)
        .order_by(q.position, q.id)
    )
    return [
        QuestionInfo(
            qid,
            code,
            label,
            qtype,
            period_label or "",
            pair_group or "",
            position or 0,
            help_text or "",
            tuple(choices or ()),
        )
        for qid, code, label, qtype, period_label, pair_group, position, help_text, choices in rows
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


# ---------------------------------------------------------------- the answers: counted, and their figures


def _states(*states: str) -> list:
    return [sql_word(state) for state in states]


def _is_figure():
    """An answer whose figure is read (figures_statement): provided or estimated, with a value."""
    a = Answer
    return and_(a.state.in_(_states(*VALUE_STATES)), a.value_number.is_not(None))


@lru_cache(maxsize=64)
def counts_statement(campaign_id: int, choice_questions: tuple[int, ...] = ()) -> Select:
    """The campaign's answers counted by question and council (region, type): the columns of
    domain.report_statistics.COUNTED_FIELDS, by the rules of its docstring. The figures read apart
    (figures_statement) are left out of the answers and estimates here, and only the answers that
    have more to count are read (models.figures.counted_in_sql); answers to the `choice_questions`
    are counted by their text too (the "choice" column). Built once and kept, as
    services.stats keeps its statements; the answer states are written in (models.figures.sql_word)."""
    a = Answer
    valued = a.state.in_(_states(*VALUE_STATES))
    figure = _is_figure()
    range_only = and_(a.value_number.is_(None), a.bound_high.is_not(None))  # "<5": a range, no figure
    has_text = a.value_text != sql_word("")
    when = {
        "answers": not_(figure),
        "yes": and_(valued, a.value_bool.is_(True)),
        "no": and_(valued, a.value_bool.is_(False)),
        "n_text": and_(valued, has_text),
        "estimates": and_(a.state == sql_word(ESTIMATE), not_(range_only), not_(figure)),
        "suppressed": and_(valued, range_only),
        **{state: a.state == sql_word(state) for state in NO_VALUE_STATES},
    }
    assert tuple(when) == COUNT_FIELDS
    groups = [a.question_id, Authority.region, Authority.type_name]
    choice = null()
    if choice_questions:
        choice = case((and_(a.question_id.in_(choice_questions), valued, has_text), a.value_text))
        groups.append(choice)
    return (
        select(
            *groups[:3], choice.label("choice"), *(func.count().filter(cond).label(name) for name, cond in when.items())
        )
        .select_from(a)
        .join(FoiRequest, FoiRequest.id == a.request_id)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .where(FoiRequest.campaign_id == campaign_id, counted_in_sql())
        .group_by(*groups)
    )


@lru_cache(maxsize=64)
def figures_statement(campaign_id: int, question_ids: tuple[int, ...] | None = None) -> Select:
    """The figures of the campaign's answers (or only of `question_ids`), provided or estimated:
    the columns of domain.report_statistics.FIGURE_FIELDS (the figure as models.figures.exact_figure
    reads it). Built once and kept, like counts_statement."""
    a = Answer
    stmt = (
        select(
            a.question_id,
            exact_figure(a.value_number).label("value"),
            a.request_id,
            (a.state == sql_word(ESTIMATE)).label("estimate"),
        )
        .join(FoiRequest, FoiRequest.id == a.request_id)
        .where(FoiRequest.campaign_id == campaign_id, _is_figure())
    )
    if question_ids is not None:
        stmt = stmt.where(a.question_id.in_(question_ids))
    return stmt


def read_councils(session: Session, campaign_id: int) -> dict[int, tuple]:
    """{request id: its council's domain.report_statistics.COUNCIL_FIELDS} for the campaign's
    requests: the groups a figure counts in, and the names in the before/after tables."""
    rows = session.connection().execute(
        select(FoiRequest.id, Authority.code, Authority.short_name, Authority.region, Authority.type_name)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .where(FoiRequest.campaign_id == campaign_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def read_counts(session: Session, campaign_id: int, choice_questions: Sequence[int] = ()) -> list:
    """`counts_statement`'s rows."""
    return session.connection().execute(counts_statement(campaign_id, tuple(choice_questions))).all()


def read_figures(session: Session, campaign_id: int, question_ids: Sequence[int] | None = None) -> dict[int, list]:
    """The campaign's figures (or `question_ids`'), by question, smallest first
    (domain.report_statistics.figures_by_question). The driver's own tuples: the columns need no
    conversion (the estimate flag may be 0 or 1), and Core's rows around them were a tenth of
    the report's time (benchmarks/bench_report.py)."""
    ids = None if question_ids is None else tuple(question_ids)
    result = session.connection().execute(figures_statement(campaign_id, ids))
    with result:
        rows = result.cursor.fetchall()
    return figures_by_question(rows)


@dataclass
class Period:
    first_sent: date | None = None
    last_sent: date | None = None
    last_response: date | None = None
    requests: int = 0  # sent
    councils: int = 0  # distinct councils sent one


def read_period(session: Session, campaign_id: int) -> Period:
    """When the campaign's requests went out and the last response came back."""
    r = FoiRequest
    first, last, last_response, requests, councils = (
        session.connection()
        .execute(
            select(
                func.min(r.sent_on),
                func.max(r.sent_on),
                func.max(r.responded_on),
                func.count(r.id),
                func.count(distinct(r.authority_id)),
            ).where(r.campaign_id == campaign_id, r.sent_on.is_not(None))
        )
        .one()
    )
    return Period(first, last, last_response, requests or 0, councils or 0)


# ---------------------------------------------------------------- per-council tables


def request_filter(campaign_id: int):
    """The requests a report's per-council tables list: the campaign's sent requests, and any
    other of its requests that has an answer recorded."""
    other = aliased(Answer, name="any_answer")
    has_answer = exists().where(other.request_id == FoiRequest.id).correlate(FoiRequest)
    return and_(FoiRequest.campaign_id == campaign_id, or_(FoiRequest.sent_on.is_not(None), has_answer))


def _answer_as_shown(a) -> tuple:
    """An answer's columns as the per-council tables show it (answer_text's arguments, and more)."""
    return (a.state, a.value_number, a.bound_low, a.bound_high, a.value_bool, a.value_text, a.raw, a.exemption, a.note)


def _answer_source(a) -> tuple:
    """A figure's provenance (#17): the document's name (outer-joined as `SourceDocument`), the
    sheet or table, the cell and the unit applied; domain.provenance.source_text puts them in words."""
    return (
        SourceDocument.original_name.label("source_document"),
        a.source_sheet,
        a.source_cell,
        a.source_unit,
    )


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
            *_answer_as_shown(a),
            *_answer_source(a),
        )
        .select_from(FoiRequest)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .join(Question, Question.campaign_id == FoiRequest.campaign_id)
        .outerjoin(a, and_(a.request_id == FoiRequest.id, a.question_id == Question.id))
        .outerjoin(SourceDocument, SourceDocument.id == a.source_attachment_id)
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
            *_answer_as_shown(a),
            *_answer_source(a),
        )
        .select_from(a)
        .join(FoiRequest, FoiRequest.id == a.request_id)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .outerjoin(SourceDocument, SourceDocument.id == a.source_attachment_id)
        .where(FoiRequest.campaign_id == campaign_id)
        .order_by(a.question_id, Authority.short_name, Authority.code, FoiRequest.id)
    )
    if question_id is not None:
        stmt = stmt.where(a.question_id == question_id)
    rows: dict[int, list] = defaultdict(list)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        rows[row.question_id].append(row)
    return rows


def pairs_council_rows(
    session: Session, campaign_id: int, pairs: Sequence[tuple[QuestionInfo, QuestionInfo]]
) -> dict[int, list[PairCouncilRow]]:
    """{place in `pairs`: the councils that gave both figures of that (before, after) pair,
    largest cut first}: the table behind each pair's figures."""
    if not pairs:
        return {}
    figures = read_figures(session, campaign_id, sorted({q.id for pair in pairs for q in pair}))
    councils = read_councils(session, campaign_id)
    tables: dict[int, list[PairCouncilRow]] = defaultdict(list)
    for index, (before, after) in enumerate(pairs):
        for b, a, estimate, _pct, region, type_name, request_id, _change in sorted(
            pair_rows(figures, before.id, after.id, councils), key=largest_cut_first(councils)
        ):
            code, name = councils[request_id][:2]
            tables[index].append(PairCouncilRow(code, name, region, type_name, b, a, bool(estimate)))
    return tables


def iter_rows(session: Session, stmt: Select, batch: int = 1000) -> Iterator:
    """A statement's rows, read from the database `batch` at a time (a server-side cursor on
    PostgreSQL), so exports stream with flat memory."""
    result = session.execute(stmt.execution_options(yield_per=batch))
    for partition in result.partitions():
        yield from partition
