"""Double entry (a campaign's option): a second person enters a council's figures blind, and a
third settles where the two differ.

The first entry is the Answer; the second is a SecondEntry of the same request and question,
made by someone who entered none of that council's answers, without seeing them. The two agree
when their figure is the same (state, value, range, yes/no, text, exemption: the fields
answers.FIGURE_FIELDS says need verifying again when they change); the comparison is made
whenever it is read, in SQL, so a first entry corrected later is compared as it is now. A
mismatch waits for a third person, neither enterer, who keeps the first value, takes the second
or types another: the Answer is written through answers.write_answer (audited as typed entry)
and the SecondEntry marked settled, audited too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, not_, select
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..domain.figures import FigureError
from ..domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from ..models import Answer, Campaign, FoiRequest, Question, SecondEntry
from .answers import (
    FIGURE_FIELDS,
    AnswerInput,
    AnswersError,
    answer_content,
    campaign_questions,
    content_of,
    parse_exemption,
    parse_for,
    question_name,
    sync_figures_entered,
    values_from,
    write_answer,
)
from .audit import record

SECOND_FIELDS = ("state", "value_number", "bound_low", "bound_high", "value_bool", "value_text", "raw", "exemption")
# Provenance of a figure read off a file: a value typed instead no longer came from that cell.
NO_FILE_CELL = {"source_sheet": "", "source_cell": "", "source_unit": "", "source_mapping_id": None}
CHOICES = ("first", "second", "typed")


class DoubleEntryError(ValueError):
    pass


@dataclass
class SecondEntryResult:
    agreed: int = 0
    mismatched: int = 0

    def __str__(self) -> str:
        return (
            f"{self.agreed:,} agreed with the first entry, {self.mismatched:,} differed "
            "(listed for a third person to settle)"
        )


@dataclass(frozen=True)
class DoubleEntryCounts:
    figures: int  # the campaign's answers
    entered_twice: int  # of them, entered a second time by someone else
    settled: int  # mismatches a third person settled
    waiting: int  # mismatches not settled yet


# ---------------------------------------------------------------- comparing


def agrees():
    """SQL: the SecondEntry's figure is the Answer's (both joined; NULL-safe)."""
    return and_(
        Answer.id.is_not(None),
        *(getattr(Answer, name).is_not_distinct_from(getattr(SecondEntry, name)) for name in FIGURE_FIELDS),
    )


def agrees_with(answer: Answer | None, values: Mapping) -> bool:
    """The same comparison in Python, for what was just typed."""
    if answer is None:
        return False
    first, second = answer_content(answer), content_of(values)
    return all(first[name] == second[name] for name in FIGURE_FIELDS)


def _with_answer(stmt: Select) -> Select:
    return stmt.join(FoiRequest, SecondEntry.request_id == FoiRequest.id).outerjoin(
        Answer, and_(Answer.request_id == SecondEntry.request_id, Answer.question_id == SecondEntry.question_id)
    )


# ---------------------------------------------------------------- the second entry


def first_enterers(session: Session, request_id: int) -> set[int]:
    """Who entered this council's answers (as they are now)."""
    return set(
        session.scalars(
            select(Answer.entered_by_id).where(Answer.request_id == request_id, Answer.entered_by_id.is_not(None))
        )
    )


def refusal(session: Session, foi_request: FoiRequest, user_id: int) -> str | None:
    """Why `user_id` may not make the second entry of this council, or None."""
    if not foi_request.campaign.double_entry:
        return "double entry is off for this campaign (a coordinator turns it on in the campaign's settings)"
    if user_id in first_enterers(session, foi_request.id):
        return "you entered some of this council's figures: the second entry must be someone else's"
    return None


@dataclass
class SecondRow:
    question: Question
    answered: bool  # there is a first entry to compare with
    second: SecondEntry | None
    status: str  # "" (not entered twice yet), "agreed", "differs" (waiting for a third person) or "settled"


def second_entry_rows(session: Session, foi_request: FoiRequest) -> list[SecondRow]:
    """The campaign's questions, each with whether it has a first entry and its second entry.
    Carries no value of the first entry: the page built from it is blind."""
    answers = {a.question_id: a for a in session.scalars(select(Answer).where(Answer.request_id == foi_request.id))}
    seconds = {
        s.question_id: s for s in session.scalars(select(SecondEntry).where(SecondEntry.request_id == foi_request.id))
    }
    rows = []
    for question in campaign_questions(session, foi_request.campaign_id):
        second = seconds.get(question.id)
        status = ""
        if second is not None and second.settled_at is not None:
            status = "settled"
        elif second is not None:
            figure = {name: getattr(second, name) for name in SECOND_FIELDS}
            status = "agreed" if agrees_with(answers.get(question.id), figure) else "differs"
        rows.append(SecondRow(question, question.id in answers, second, status))
    return rows


def _parsed_values(question: Question, entry: AnswerInput) -> dict:
    """The figure typed for `question` as second-entry columns; FigureError with the reason."""
    for text in (entry.raw, entry.state, entry.exemption):
        if text and control_character(text):
            raise FigureError(CONTROL_CHARACTER_MESSAGE)
    exemption = parse_exemption(entry.exemption)
    if not (entry.raw or "").strip() and not (entry.state or "").strip():
        raise FigureError("no value given: type one, or choose a state such as “not held”")
    parsed = parse_for(question, entry.raw, entry.state)
    if exemption and parsed.state.value != "refused":
        raise FigureError("an exemption goes only with a refused answer")
    values = values_from(parsed, raw=entry.raw, exemption=exemption, note="", source_attachment_id=None, source_page="")
    return {name: values[name] for name in SECOND_FIELDS}


def save_second_entries(
    session: Session, foi_request: FoiRequest, entries: Mapping[int, AnswerInput], user_id: int
) -> SecondEntryResult:
    """Store the second entry of each question typed (blank rows are left for later), all or
    nothing: AnswersError lists every problem. Only questions with a first entry and no second
    one yet take one. The caller commits."""
    reason = refusal(session, foi_request, user_id)
    if reason:
        raise DoubleEntryError(reason)
    rows = {row.question.id: row for row in second_entry_rows(session, foi_request)}
    errors: dict[int, dict[str, str]] = {}
    planned: list[tuple[Question, dict]] = []
    for question_id, entry in entries.items():
        row = rows.get(question_id)
        if row is None:
            errors[question_id] = {"value": "not a question of this request's campaign"}
            continue
        entry = AnswerInput.of(entry)
        if entry.is_blank:
            continue
        if not row.answered:
            errors[question_id] = {"value": "this question has no first entry yet to compare with"}
        elif row.second is not None:
            errors[question_id] = {"value": "already entered twice"}
        else:
            try:
                planned.append((row.question, _parsed_values(row.question, entry)))
            except FigureError as exc:
                errors[question_id] = {"value": str(exc)}
    if errors:
        raise AnswersError(errors, {qid: question_name(row.question) for qid, row in rows.items()})
    answers = {a.question_id: a for a in session.scalars(select(Answer).where(Answer.request_id == foi_request.id))}
    result = SecondEntryResult()
    for question, values in planned:
        second = SecondEntry(request_id=foi_request.id, question_id=question.id, entered_by_id=user_id, **values)
        session.add(second)
        session.flush()
        agreed = agrees_with(answers.get(question.id), values)
        if agreed:
            result.agreed += 1
        else:
            result.mismatched += 1
        record(
            session,
            user_id=user_id,
            entity_type="second_entry",
            entity_id=second.id,
            action="created",
            # Not the value: the audit trail is read on the figures page, and a later second
            # enterer of another council must not learn anything from it either.
            after={"request_id": foi_request.id, "question": question.code, "agreed": agreed},
        )
    session.flush()
    return result


# ---------------------------------------------------------------- mismatches and settling


def mismatch_statement(campaign_id: int) -> Select:
    """The campaign's mismatches waiting to be settled (SecondEntry rows, for pagination), by
    council then question."""
    return (
        _with_answer(select(SecondEntry))
        .join(Question, SecondEntry.question_id == Question.id)
        .where(FoiRequest.campaign_id == campaign_id, SecondEntry.settled_at.is_(None), not_(agrees()))
        .order_by(FoiRequest.id, Question.position, Question.id)
    )


def mismatch_rows(
    session: Session, seconds: list[SecondEntry]
) -> list[tuple[SecondEntry, Answer | None, Question, FoiRequest]]:
    """Each mismatch of a page with its first entry, question and council."""
    if not seconds:
        return []
    ids = [s.id for s in seconds]
    found = session.execute(
        _with_answer(select(SecondEntry.id, Answer, Question, FoiRequest))
        .join(Question, SecondEntry.question_id == Question.id)
        .options(joinedload(FoiRequest.authority))
        .where(SecondEntry.id.in_(ids))
    ).all()
    by_id = {row[0]: row[1:] for row in found}
    return [(s, *by_id[s.id]) for s in seconds if s.id in by_id]


def mismatch_count(session: Session, campaign_id: int) -> int:
    return (
        session.scalar(
            _with_answer(select(func.count(SecondEntry.id))).where(
                FoiRequest.campaign_id == campaign_id, SecondEntry.settled_at.is_(None), not_(agrees())
            )
        )
        or 0
    )


def find_mismatch(session: Session, request_id: int, question_id: int) -> tuple[SecondEntry, Answer | None] | None:
    """The mismatch of one council's question waiting to be settled, or None."""
    found = session.execute(
        _with_answer(select(SecondEntry, Answer)).where(
            SecondEntry.request_id == request_id,
            SecondEntry.question_id == question_id,
            SecondEntry.settled_at.is_(None),
            not_(agrees()),
        )
    ).first()
    return None if found is None else (found[0], found[1])


def settle_refusal(second: SecondEntry, answer: Answer | None, user_id: int) -> str | None:
    """Why `user_id` may not settle this mismatch, or None: a third person settles it."""
    if second.entered_by_id == user_id:
        return "you made the second entry: a third person must settle it"
    if answer is not None and answer.entered_by_id == user_id:
        return "you made the first entry: a third person must settle it"
    return None


def settle(
    session: Session,
    second: SecondEntry,
    answer: Answer | None,
    *,
    choice: str,
    typed: AnswerInput | None = None,
    user_id: int,
) -> str:
    """Settle one mismatch: keep the first value ("first"), take the second ("second") or the
    value typed ("typed"). Writes the Answer through write_answer, marks the SecondEntry settled,
    both audited; returns write_answer's word for what happened to the Answer. The caller commits.
    DoubleEntryError (or FigureError for a typed value) and nothing is written."""
    reason = settle_refusal(second, answer, user_id)
    if reason:
        raise DoubleEntryError(reason)
    if second.settled_at is not None:
        raise DoubleEntryError("this mismatch is already settled")
    if choice not in CHOICES:
        raise DoubleEntryError("choose the first value, the second, or type one")
    question = session.get(Question, second.question_id)
    keep = answer_content(answer) if answer is not None else None
    if choice == "first":
        if keep is None:
            raise DoubleEntryError("the first entry has been cleared since: take the second value or type one")
        values = keep
    else:
        if choice == "second":
            figure = {name: getattr(second, name) for name in SECOND_FIELDS}
        else:
            figure = _parsed_values(question, typed or AnswerInput())
        # A value typed again keeps the answer's note, document and page, but no longer came from a file's cell.
        values = {**(keep or content_of({})), **figure, **NO_FILE_CELL}
    action = write_answer(
        session, request_id=second.request_id, question=question, existing=answer, values=values, user_id=user_id
    )
    second.settled_by_id, second.settled_at = user_id, clock.now()
    record(
        session,
        user_id=user_id,
        entity_type="second_entry",
        entity_id=second.id,
        action="settled",
        before={"settled_by_id": None},
        after={"settled_by_id": user_id, "kept": choice, "request_id": second.request_id, "question": question.code},
    )
    session.flush()
    foi_request = session.get(FoiRequest, second.request_id)
    sync_figures_entered(session, [foi_request], user_id)
    session.flush()
    return action


# ---------------------------------------------------------------- the report


def double_entry_counts(session: Session, campaign: Campaign) -> DoubleEntryCounts | None:
    """How many of the campaign's figures were entered twice and how many mismatches were settled
    (counted in SQL); None when the campaign does not do double entry (and the report reads
    nothing more than it did: tests/test_report.py counts its statements)."""
    if not campaign.double_entry:
        return None
    twice, settled, waiting = session.execute(
        _with_answer(
            select(
                func.count(Answer.id),
                func.count(SecondEntry.settled_at),
                func.count(SecondEntry.id).filter(and_(SecondEntry.settled_at.is_(None), not_(agrees()))),
            )
        ).where(FoiRequest.campaign_id == campaign.id)
    ).one()
    figures = session.scalar(
        select(func.count(Answer.id))
        .join(FoiRequest, Answer.request_id == FoiRequest.id)
        .where(FoiRequest.campaign_id == campaign.id)
    )
    return DoubleEntryCounts(figures or 0, twice or 0, settled or 0, waiting or 0)
