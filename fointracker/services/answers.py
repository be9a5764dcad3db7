"""Entering a request's figures: the grid's answers, all or nothing, audited; verification.

Also keeps `FoiRequest.figures_entered` in step with the answers: True once every
question of the campaign has an answer for the request, False while any is missing
(set in the same commit, and the request's reminders re-planned).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..domain.event_details import EXEMPTIONS
from ..domain.figures import (
    AnswerState,
    FigureError,
    ParsedAnswer,
    check_storable,
    describe_answer,
    parse_answer,
    parse_state,
    stored_number,
)
from ..domain.text import CONTROL_CHARACTER_MESSAGE, control_character
from ..models import Answer, Attachment, FoiRequest, Question, RequestEvent
from .audit import record, snapshot

#: What an answer holds, as audited.
ANSWER_FIELDS = (
    "state",
    "value_number",
    "bound_low",
    "bound_high",
    "value_bool",
    "value_text",
    "raw",
    "exemption",
    "source_attachment_id",
    "source_page",
    "source_sheet",  # provenance of a figure taken from a file (#17): see models.figures.Answer
    "source_cell",
    "source_unit",
    "source_mapping_id",
    "note",
)
#: The figure itself: a change to any of these needs verifying again.
FIGURE_FIELDS = ("state", "value_number", "bound_low", "bound_high", "value_bool", "value_text", "exemption")
#: Everything but `raw` (how it was typed): an edit that changes only `raw` changes nothing.
CONTENT_FIELDS = tuple(f for f in ANSWER_FIELDS if f != "raw")
NUMBER_FIELDS = ("value_number", "bound_low", "bound_high")
MAX_NOTE = 10000
MAX_PAGE = 40
MAX_RAW = 200


class AnswersError(ValueError):
    """Nothing was saved. `errors` maps question id -> field -> reason (fields: value,
    state, exemption, source, page, note); `labels` names the questions for messages."""

    def __init__(self, errors: dict[int, dict[str, str]], labels: Mapping[int, str] | None = None):
        self.errors = errors
        self.labels = dict(labels or {})
        super().__init__(str(self))

    def __str__(self) -> str:
        return "; ".join(
            f"{self.labels.get(qid, f'question {qid}')}: {field}: {reason}"
            for qid, fields in self.errors.items()
            for field, reason in fields.items()
        )


class VerifyError(ValueError):
    pass


@dataclass(frozen=True)
class AnswerInput:
    """One row of the grid as typed. `state` blank: worked out from `raw`."""

    raw: str = ""
    state: str | None = ""
    exemption: str = ""
    note: str = ""
    source_attachment_id: int | None = None
    source_page: str = ""

    @classmethod
    def of(cls, value) -> AnswerInput:
        if isinstance(value, AnswerInput):
            return value
        if isinstance(value, Mapping):
            return cls(**value)
        return cls(*value)

    @property
    def is_blank(self) -> bool:
        return not any(
            (
                (self.raw or "").strip(),
                (self.state or "").strip(),
                (self.exemption or "").strip(),
                (self.note or "").strip(),
                self.source_attachment_id,
                (self.source_page or "").strip(),
            )
        )


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __str__(self) -> str:
        return f"{self.created} added, {self.updated} changed, {self.deleted} cleared, {self.unchanged} unchanged"


def question_name(question: Question) -> str:
    period = f" {question.period_label}" if question.period_label else ""
    return f"{question.label}{period} ({question.code})"


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _exemption_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for code, label in EXEMPTIONS.items():
        words = label.split(" ")
        cited = " ".join(words[:2]) if words[0] in ("EIR", "FOISA") else words[0]  # "EIR 12(4)(a)", "s.40"
        for key in (code, label, cited):
            keys[_alnum(key)] = code
        if code.startswith("eir_"):
            keys[_alnum(words[1])] = code  # "12(4)(b)"
    return keys


_EXEMPTION_KEYS = _exemption_keys()


def parse_exemption(text: str | None) -> str:
    """An exemption code from event_details.EXEMPTIONS as people write it ("s40", "s.40",
    "section 40", "EIR 12(4)(b)", "eir_12_4_b"); blank gives ""."""
    value = " ".join((text or "").split())
    if not value:
        return ""
    key = _alnum(value.casefold().replace("section", "s").replace("regulation", "eir"))
    if key in _EXEMPTION_KEYS:
        return _EXEMPTION_KEYS[key]
    raise FigureError(f"{value!r} is not an exemption this tool knows (e.g. s12, s40, s43, eir_12_4_b)")


def content_of(values: Mapping) -> dict:
    """Answer columns made comparable: numbers exact (see domain.figures.stored_number),
    blank text as ""."""
    content = {name: values.get(name) for name in ANSWER_FIELDS}
    for name in NUMBER_FIELDS:
        content[name] = stored_number(content[name])
    for name in ("value_text", "raw", "exemption", "source_page", "source_sheet", "source_cell", "source_unit", "note"):
        content[name] = content[name] or ""
    return content


def answer_content(answer: Answer | None) -> dict | None:
    """An answer's content, as `content_of`; None for no answer."""
    if answer is None:
        return None
    return content_of({name: getattr(answer, name) for name in ANSWER_FIELDS})


def values_from(
    parsed: ParsedAnswer, *, raw: str, exemption: str, note: str, source_attachment_id: int | None, source_page: str
) -> dict:
    """The columns of an answer for what was parsed."""
    return {
        "state": parsed.state.value,
        "value_number": parsed.number,
        "bound_low": parsed.low,
        "bound_high": parsed.high,
        "value_bool": parsed.boolean,
        "value_text": parsed.text,
        "raw": (raw or "").strip()[:MAX_RAW],
        "exemption": exemption if parsed.state is AnswerState.REFUSED else "",
        "source_attachment_id": source_attachment_id,
        "source_page": source_page,
        "note": note,
    }


def parse_for(question: Question, raw: str, state: str | AnswerState | None) -> ParsedAnswer:
    """Parse one value for `question`; FigureError with the reason."""
    if not isinstance(state, AnswerState):
        state = parse_state(state)
    return check_storable(parse_answer(question.qtype, raw or "", question.choices, state))


def describe(question: Question, content: Mapping | None) -> str:
    """An answer's content in words, "—" for none."""
    if content is None:
        return "—"
    words = describe_answer(
        question.qtype,
        content["state"],
        content["value_number"],
        content["bound_low"],
        content["bound_high"],
        content["value_bool"],
        content["value_text"] or "",
    )
    if content.get("exemption"):
        words += f" ({EXEMPTIONS.get(content['exemption'], content['exemption'])})"
    return words


def _audit_state(content: Mapping, question: Question | None = None, request_id: int | None = None) -> dict:
    state = {k: (str(v) if v is not None and k in NUMBER_FIELDS else v) for k, v in content.items()}
    if question is not None:
        state["question"] = question.code
    if request_id is not None:
        state["request_id"] = request_id
    return state


def write_answer(
    session: Session,
    *,
    request_id: int,
    question: Question,
    existing: Answer | None,
    values: dict | None,
    user_id: int | None,
) -> str:
    """Create, update or (values None) delete one answer, audited. Returns "created",
    "updated", "deleted" or "unchanged". The caller flushes and commits."""
    old = answer_content(existing)
    if values is None:
        if existing is None:
            return "unchanged"
        record(
            session,
            user_id=user_id,
            entity_type="answer",
            entity_id=existing.id,
            action="deleted",
            before=_audit_state(old, question, request_id),
        )
        session.delete(existing)
        return "deleted"
    new = content_of(values)
    if old is not None and all(old[k] == new[k] for k in CONTENT_FIELDS):
        return "unchanged"
    if existing is None:
        create_answers(session, [(request_id, question, values)], user_id)
        return "created"
    figure_changed = any(old[k] != new[k] for k in FIGURE_FIELDS)
    for key, value in new.items():
        setattr(existing, key, value)
    existing.entered_by_id = user_id
    before, after = _audit_state(old), _audit_state(answer_content(existing))
    if figure_changed and existing.verified_by_id is not None:
        before["verified_by_id"], after["verified_by_id"] = existing.verified_by_id, None
        existing.verified_by_id, existing.verified_at = None, None  # a new figure needs checking again
    record(
        session,
        user_id=user_id,
        entity_type="answer",
        entity_id=existing.id,
        action="updated",
        before=before,
        after=after,
    )
    return "updated"


def create_answers(session: Session, items: list[tuple[int, Question, dict]], user_id: int | None) -> None:
    """Create answers that do not exist yet, (request id, question, values) each, in one flush
    (one batched INSERT: bench_mappings writes 1,500 at once), each audited as created."""
    answers = [
        Answer(request_id=request_id, question_id=question.id, entered_by_id=user_id, **content_of(values))
        for request_id, question, values in items
    ]
    session.add_all(answers)
    session.flush()
    for answer, (request_id, question, _values) in zip(answers, items, strict=True):
        record(
            session,
            user_id=user_id,
            entity_type="answer",
            entity_id=answer.id,
            action="created",
            after=_audit_state(answer_content(answer), question, request_id),
        )


def request_attachment_ids(session: Session, request_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Attachment.id)
            .join(RequestEvent, Attachment.event_id == RequestEvent.id)
            .where(RequestEvent.request_id == request_id)
        )
    )


def campaign_questions(session: Session, campaign_id: int) -> list[Question]:
    return list(
        session.scalars(
            select(Question).where(Question.campaign_id == campaign_id).order_by(Question.position, Question.id)
        )
    )


def check_answers(
    session: Session, foi_request: FoiRequest, entries: Mapping[int, object]
) -> list[tuple[Question, dict | None]]:
    """The checks of `save_answers`, writing nothing: [(question, column values or None to
    clear)], or AnswersError listing every problem."""
    questions = {q.id: q for q in campaign_questions(session, foi_request.campaign_id)}
    attachments = request_attachment_ids(session, foi_request.id)
    from_files = {
        a.question_id: a
        for a in session.scalars(
            select(Answer).where(
                Answer.request_id == foi_request.id,
                (Answer.source_cell != "") | Answer.source_mapping_id.is_not(None),
            )
        )
    }
    errors: dict[int, dict[str, str]] = {}
    planned: list[tuple[Question, dict | None]] = []
    for question_id, entry in entries.items():
        question = questions.get(question_id)
        if question is None:
            errors[question_id] = {"value": "not a question of this request's campaign"}
            continue
        problems: dict[str, str] = {}
        entry = AnswerInput.of(entry)
        if entry.is_blank:
            planned.append((question, None))
            continue
        note, page = (entry.note or "").strip(), (entry.source_page or "").strip()
        if len(note) > MAX_NOTE:
            problems["note"] = f"a note is at most {MAX_NOTE} characters"
        if len(page) > MAX_PAGE:
            problems["page"] = f"at most {MAX_PAGE} characters (e.g. 4, or 4-5)"
        source = entry.source_attachment_id
        if source is not None and source not in attachments:
            problems["source"] = "not a document of this request"
        try:
            exemption = parse_exemption(entry.exemption)
        except FigureError as exc:
            problems["exemption"] = str(exc)
            exemption = ""
        parsed = None
        try:
            state = parse_state(entry.state)
        except FigureError as exc:
            problems["state"] = str(exc)
        else:
            if state is None and not (entry.raw or "").strip():
                problems["value"] = "no value given: type one, or choose a state such as “not held”"
            else:
                try:
                    parsed = parse_for(question, entry.raw, state)
                except FigureError as exc:
                    problems["value"] = str(exc)
        if parsed is not None and exemption and parsed.state is not AnswerState.REFUSED:
            problems["exemption"] = "an exemption goes only with a refused answer"
        for name, text in (("value", entry.raw), ("note", note), ("page", page)):
            if text and control_character(text):
                problems[name] = CONTROL_CHARACTER_MESSAGE
        if problems:
            errors[question_id] = problems
            continue
        values = values_from(
            parsed, raw=entry.raw, exemption=exemption, note=note, source_attachment_id=source, source_page=page
        )
        planned.append((question, kept_from_file(from_files.get(question_id), values, parsed)))
    if errors:
        raise AnswersError(errors, {qid: question_name(q) for qid, q in questions.items()})
    return planned


def kept_from_file(existing: Answer | None, values: dict, parsed: ParsedAnswer) -> dict:
    """A figure taken from a file (#17) that the grid posts back as it was shown (same text, state,
    exemption and document) keeps its value and provenance: the text is the cell's, and the value
    has the file's unit applied, so parsing the text again would lose both. A note or page may
    change with it. Anything retyped is a typed figure: `values`, without provenance."""
    if existing is None:
        return values
    unchanged = (
        values["raw"] == (existing.raw or "")
        and parsed.state.value == existing.state
        and values["exemption"] == (existing.exemption or "")
        and values["source_attachment_id"] == existing.source_attachment_id
    )
    if not unchanged:
        return values
    kept = answer_content(existing)
    kept.update(note=values["note"], source_page=values["source_page"])
    return kept


def save_answers(
    session: Session, foi_request: FoiRequest, entries: Mapping[int, object], user_id: int | None
) -> SaveResult:
    """Save the grid for one request: {question_id: (raw, state, exemption, note,
    source_attachment_id, source_page)}. All or nothing: if any field is wrong,
    AnswersError lists every problem and nothing is written. A row left wholly blank
    clears that question's answer."""
    planned = check_answers(session, foi_request, entries)
    existing = {a.question_id: a for a in session.scalars(select(Answer).where(Answer.request_id == foi_request.id))}
    result = SaveResult()
    for question, values in planned:
        action = write_answer(
            session,
            request_id=foi_request.id,
            question=question,
            existing=existing.get(question.id),
            values=values,
            user_id=user_id,
        )
        setattr(result, action, getattr(result, action) + 1)
    session.flush()
    sync_figures_entered(session, [foi_request], user_id)
    session.flush()
    return result


def answer_counts(session: Session, request_ids: Iterable[int]) -> dict[int, int]:
    ids = list(request_ids)
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Answer.request_id, func.count(Answer.id))
            .where(Answer.request_id.in_(ids))
            .group_by(Answer.request_id)
        ).all()
    )


def sync_figures_entered(session: Session, requests: Iterable[FoiRequest], user_id: int | None, calendars=None) -> int:
    """Set each request's `figures_entered` from its answers (all the campaign's questions
    answered) and re-plan the reminders of those that changed. A campaign without
    questions leaves the flag alone (it is then set by hand). Caller commits.
    Returns how many changed."""
    from .deadlines import Calendars, recompute_request

    requests = list(requests)
    if not requests:
        return 0
    campaign_ids = {r.campaign_id for r in requests}
    totals = dict(
        session.execute(
            select(Question.campaign_id, func.count(Question.id))
            .where(Question.campaign_id.in_(campaign_ids))
            .group_by(Question.campaign_id)
        ).all()
    )
    answered = answer_counts(session, [r.id for r in requests])
    changed = 0
    for foi_request in requests:
        total = totals.get(foi_request.campaign_id, 0)
        if not total:
            continue
        entered = answered.get(foi_request.id, 0) >= total
        if bool(foi_request.figures_entered) == entered:
            continue
        before = snapshot(foi_request, ("figures_entered",))
        foi_request.figures_entered = entered
        calendars = calendars or Calendars.from_db(session)
        recompute_request(session, foi_request, calendars)  # the "figures missing" reminder comes or goes
        record(
            session,
            user_id=user_id,
            entity_type="request",
            entity_id=foi_request.id,
            action="updated",
            before=before,
            after=snapshot(foi_request, ("figures_entered",)),
        )
        changed += 1
    return changed


def sync_campaign(session: Session, campaign_id: int, user_id: int | None) -> int:
    """`sync_figures_entered` for every request of a campaign (after its questions change)."""
    requests = session.scalars(select(FoiRequest).where(FoiRequest.campaign_id == campaign_id)).all()
    return sync_figures_entered(session, requests, user_id)


def verify_answer(session: Session, answer: Answer, user_id: int) -> Answer:
    """A second person confirms the answer against the source."""
    if answer.entered_by_id is not None and answer.entered_by_id == user_id:
        raise VerifyError("you entered this answer last: someone else must verify it")
    if answer.verified_by_id is not None:
        raise VerifyError("this answer is already verified")
    answer.verified_by_id, answer.verified_at = user_id, clock.now()
    record(
        session,
        user_id=user_id,
        entity_type="answer",
        entity_id=answer.id,
        action="verified",
        before={"verified_by_id": None},
        after={"verified_by_id": user_id},
    )
    session.flush()
    return answer


def grid_rows(session: Session, foi_request: FoiRequest) -> list[tuple[Question, Answer | None]]:
    """The campaign's questions in order, each with this request's answer (or None)."""
    answers = {a.question_id: a for a in session.scalars(select(Answer).where(Answer.request_id == foi_request.id))}
    return [(q, answers.get(q.id)) for q in campaign_questions(session, foi_request.campaign_id)]
