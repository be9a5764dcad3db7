"""Taking figures from a council's own file (#17): the file viewer's use cases.

The file is read again from the file store for every figure taken: the browser names only the
grid and the cell, never their text. A cell's text is parsed as the entry grid parses what is
typed, with the file's unit (confirmed once per file, `Attachment.figures_unit`) applied, and
written through services.answers.write_answer with its provenance, audited like typed entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import figures as figure_rules
from ..domain.figures import FigureError, ParsedAnswer, QuestionType, check_storable
from ..domain.provenance import source_text
from ..domain.text import replace_control_characters
from ..domain.units import UNITS, Unit, apply_unit
from ..file_tables import FileTables, TablesError, can_read, read_tables
from ..models import Answer, Attachment, FoiRequest, Question, RequestEvent
from .answers import campaign_questions, sync_figures_entered, values_from, write_answer
from .audit import record

#: Question types whose figures a unit multiplies (never percentages, yes/no, choices or text).
SCALED_TYPES = frozenset({QuestionType.MONEY.value, QuestionType.COUNT.value, QuestionType.DECIMAL.value})


class TakeError(ValueError):
    """Nothing was written: the reason, in words for the person at the viewer."""


def unit_of(code: str | None) -> Unit | None:
    return UNITS.get(code or "")


def read_file(session: Session, attachment: Attachment, store) -> FileTables:
    """The file's tables, read from the file store (TablesError if it has none to read)."""
    if not can_read(attachment.original_name):
        raise TablesError("only spreadsheets (XLSX, XLS, ODS, CSV), Word documents and PDFs have tables to read")
    return read_tables(store.read(session, attachment.sha256), attachment.original_name)


def request_of(session: Session, attachment: Attachment) -> FoiRequest:
    return session.scalar(
        select(FoiRequest)
        .join(RequestEvent, RequestEvent.request_id == FoiRequest.id)
        .where(RequestEvent.id == attachment.event_id)
    )


def figure_documents(session: Session, request_id: int) -> list[Attachment]:
    """The request's documents the viewer can read, oldest first."""
    documents = session.scalars(
        select(Attachment)
        .join(RequestEvent, Attachment.event_id == RequestEvent.id)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.occurred_on, Attachment.id)
    )
    return [d for d in documents if can_read(d.original_name)]


def parse_cell(question: Question, text: str, unit: Unit | None) -> ParsedAnswer:
    """The cell's text parsed as the entry grid parses it, the unit applied to scaled figures."""
    figure_from_cell = getattr(figure_rules, "figure_from_cell", None)
    if figure_from_cell is not None and question.qtype != QuestionType.CHOICE.value:
        return check_storable(figure_from_cell(question.qtype, text, unit))
    from .answers import parse_for

    parsed = parse_for(question, text, None)
    if question.qtype not in SCALED_TYPES or unit is None or unit.multiplier == 1:
        return parsed

    def scaled(value: Decimal | None) -> Decimal | None:
        return None if value is None else apply_unit(value, unit)

    return check_storable(
        ParsedAnswer(parsed.state, scaled(parsed.number), scaled(parsed.low), scaled(parsed.high), None, "")
    )


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def cell_problem(question: Question, ref: str, text: str, exc: FigureError) -> str:
    """ "cell C7 says 'see note 3': not a number for a money question"."""
    reason = str(exc)
    for quoted in (_shown(text), repr(text)):
        reason = reason.removeprefix(quoted).removeprefix(":").strip()
    reason = re.sub(r"\s*\(write e\.g\..*\)$", "", reason).removeprefix("is ")
    kind = question.qtype.replace("_", "/")
    article = "an" if kind[:1] in "aeiou" else "a"
    return f"cell {ref} says {_shown(text)}: {reason} for {article} {kind} question"


@dataclass(frozen=True)
class Taken:
    answer: Answer
    action: str  # write_answer's: "created", "updated", "unchanged"


def take_figure(
    session: Session,
    attachment: Attachment,
    grid_key: str,
    ref: str,
    question: Question,
    unit_code: str | None,
    user_id: int | None,
    store,
) -> Answer:
    """Write `question`'s answer for the attachment's request from the cell `ref` of the grid
    `grid_key`, with its provenance. TakeError (nothing written) if the unit is not confirmed,
    the grid or cell is not in the file, or the cell's text is not an answer to the question."""
    return take(session, attachment, grid_key, ref, question, unit_code, user_id, store).answer


def take(session, attachment, grid_key, ref, question, unit_code, user_id, store) -> Taken:
    """`take_figure`, also saying what write_answer did."""
    foi_request = request_of(session, attachment)
    if foi_request is None or question.campaign_id != foi_request.campaign_id:
        raise TakeError("that question is not one of this request's campaign")
    unit = unit_of(unit_code or attachment.figures_unit)
    if unit is None:
        raise TakeError("confirm the file's unit (as shown, £000s or £m) before taking a figure from it")
    try:
        tables = read_file(session, attachment, store)
    except TablesError as exc:
        raise TakeError(f"the file cannot be read: {exc}") from None
    grid = tables.grid(grid_key)
    ref = (ref or "").strip().upper()
    cell = grid.cell(ref) if grid is not None else None
    if cell is None:
        raise TakeError(f"there is no cell {ref[:20]!r} in {grid.title if grid else 'this file'}")
    text = replace_control_characters(cell.text.strip())
    if not text:
        raise TakeError(f"cell {ref} is empty")
    try:
        parsed = parse_cell(question, text, unit)
    except FigureError as exc:
        raise TakeError(cell_problem(question, ref, text, exc)) from None
    existing = session.scalar(
        select(Answer).where(Answer.request_id == foi_request.id, Answer.question_id == question.id)
    )
    values = values_from(
        parsed,
        raw=text,
        exemption="",
        note=existing.note if existing is not None else "",
        source_attachment_id=attachment.id,
        source_page="",
    )
    values.update(
        source_sheet=grid.title[:120],
        source_cell=ref[:40],
        source_unit=unit.code if question.qtype in SCALED_TYPES else "",
        source_mapping_id=None,
    )
    action = write_answer(
        session, request_id=foi_request.id, question=question, existing=existing, values=values, user_id=user_id
    )
    session.flush()
    sync_figures_entered(session, [foi_request], user_id)
    session.flush()
    answer = session.scalar(
        select(Answer).where(Answer.request_id == foi_request.id, Answer.question_id == question.id)
    )
    return Taken(answer, action)


def confirm_unit(session: Session, attachment: Attachment, unit_code: str, user_id: int | None) -> list[Answer]:
    """Set the file's unit, audited. Figures already taken from the file are left as they are:
    returns those taken with another unit, for the person to take again if they choose."""
    unit = unit_of(unit_code)
    if unit is None:
        raise TakeError("choose one of: " + ", ".join(u.label for u in UNITS.values()))
    before = attachment.figures_unit
    if before != unit.code:
        attachment.figures_unit = unit.code
        record(
            session,
            user_id=user_id,
            entity_type="attachment",
            entity_id=attachment.id,
            action="updated",
            before={"figures_unit": before},
            after={"figures_unit": unit.code},
        )
        session.flush()
    return [a for a in taken_from(session, attachment) if a.source_unit and a.source_unit != unit.code]


def taken_from(session: Session, attachment: Attachment) -> list[Answer]:
    """The answers whose figures were taken from this file (any request, though it is the attachment's own)."""
    return list(
        session.scalars(
            select(Answer)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.source_attachment_id == attachment.id, Answer.source_cell != "")
            .order_by(Question.position, Question.id)
        )
    )


def answer_source(answer: Answer | None) -> str:
    """An answer's provenance in words ('budget.xlsx, Budget!C7 “1,234” (£000s)'), "" for a typed figure."""
    if answer is None or not answer.source_cell:
        return ""
    name = answer.source.original_name if answer.source is not None else ""
    return source_text(name, answer.source_sheet, answer.source_cell, answer.source_unit, answer.raw)


def questions_with_answers(session: Session, foi_request: FoiRequest) -> list[tuple[Question, Answer | None]]:
    answers = {a.question_id: a for a in session.scalars(select(Answer).where(Answer.request_id == foi_request.id))}
    return [(q, answers.get(q.id)) for q in campaign_questions(session, foi_request.campaign_id)]


def next_unanswered(rows: list[tuple[Question, Answer | None]], after_id: int | None = None) -> Question | None:
    """The first question without an answer after `after_id` (wrapping round), or None."""
    ids = [q.id for q, _a in rows]
    start = ids.index(after_id) + 1 if after_id in ids else 0
    ordered = rows[start:] + rows[:start]
    return next((q for q, a in ordered if a is None), None)
