"""A campaign's questions: create, edit, reorder and delete them, with their rules.

- `code` is short and stable (`[a-z0-9_]+`, unique in the campaign): imports and exports use it.
- A "one of a list" question needs its choices; other types take none.
- A comparison group (`pair_group`) holds exactly two numeric questions of the same type,
  the before and after of a pair (e.g. a budget in 2010/11 and in 2011/12). A pair is
  made from either side: name the group on both questions (the first waits for its
  partner), or choose the question to pair with; taking one question out of a pair (or
  deleting it) dissolves the pair.
- Deleting a question that has answers needs `confirm=True`; the answers are deleted
  with it and every one is kept in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.figures import QuestionType
from ..models import Answer, Campaign, Question
from .answers import campaign_questions, sync_campaign, write_answer
from .audit import record, snapshot
from .clashes import refused_on_clash

CODE_RE = re.compile(r"[a-z0-9_]+")
CODE_TAKEN = "another question of this campaign already has this code"
QUESTION_FIELDS = ("code", "label", "qtype", "period_label", "pair_group", "choices", "help_text")
AUDIT_FIELDS = QUESTION_FIELDS + ("position",)
LIMITS = {"code": 40, "label": 300, "period_label": 20, "pair_group": 40, "help_text": 5000}


class QuestionError(ValueError):
    """The change was refused; `errors` maps each field to the reason (`field` and
    `message` are the first)."""

    def __init__(self, errors: dict[str, str] | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {errors: message or ""}
        self.errors = errors
        self.field, self.message = next(iter(errors.items()))
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


def split_choices(value) -> list[str]:
    """Choices from a list or from text with one choice per line."""
    if value is None:
        return []
    items = value.splitlines() if isinstance(value, str) else list(value)
    return [" ".join(str(item).split()) for item in items if str(item).strip()]


def _clean(values: Mapping) -> dict:
    cleaned = {
        name: (values.get(name) or "").strip()
        for name in ("code", "label", "qtype", "period_label", "pair_group", "help_text")
    }
    cleaned["label"] = " ".join(cleaned["label"].split())
    cleaned["choices"] = split_choices(values.get("choices"))
    return cleaned


def _answer_count(session: Session, question_id: int | None) -> int:
    if question_id is None:
        return 0
    return session.scalar(select(func.count(Answer.id)).where(Answer.question_id == question_id)) or 0


def _check(
    session: Session, campaign_id: int, values: dict, question: Question | None, pair_with: int | None
) -> Question | None:
    """Every problem at once as QuestionError; otherwise the pair's other question (or None)."""
    errors: dict[str, str] = {}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = f"at most {limit} characters"
    code = values["code"]
    if not code:
        errors["code"] = "a question needs a short code, e.g. asc_budget_1011"
    elif not CODE_RE.fullmatch(code):
        errors["code"] = "use only lower-case letters, digits and _ (e.g. asc_budget_1011)"
    else:
        clash = session.scalar(select(Question.id).where(Question.campaign_id == campaign_id, Question.code == code))
        if clash is not None and (question is None or clash != question.id):
            errors["code"] = f"another question of this campaign already has the code {code!r}"
    if not values["label"]:
        errors["label"] = "a question needs a label"
    try:
        qtype = QuestionType(values["qtype"])
    except ValueError:
        errors["qtype"] = "choose the kind of answer"
        qtype = None
    choices = values["choices"]
    if qtype is QuestionType.CHOICE:
        if len(choices) < 2:
            errors["choices"] = "a “one of a list” question needs at least two choices, one per line"
        elif len({c.casefold() for c in choices}) != len(choices):
            errors["choices"] = "each choice must be different"
        elif any(len(c) > 200 for c in choices):
            errors["choices"] = "a choice is at most 200 characters"
    elif choices and qtype is not None:
        errors["choices"] = "only a “one of a list” question has choices: clear them or change the type"

    answered = _answer_count(session, question.id if question else None)
    if question is not None and answered and qtype is not None and qtype.value != question.qtype:
        errors["qtype"] = (
            f"{answered} answer(s) were given as {QuestionType(question.qtype).label.lower()}: "
            "the type of an answered question cannot change"
        )
    if question is not None and answered and qtype is QuestionType.CHOICE and "choices" not in errors:
        wanted = {c.casefold() for c in choices}
        used = sorted(
            set(
                session.scalars(
                    select(Answer.value_text).where(Answer.question_id == question.id, Answer.value_text != "")
                )
            )
        )
        missing = [u for u in used if u.casefold() not in wanted]
        if missing:
            errors["choices"] = "answers already use " + ", ".join(repr(m) for m in missing) + ": keep these choices"

    partner = _check_pair(session, campaign_id, values, question, pair_with, qtype, errors)
    if errors:
        raise QuestionError(errors)
    return partner


def _check_pair(
    session: Session,
    campaign_id: int,
    values: dict,
    question: Question | None,
    pair_with: int | None,
    qtype: QuestionType | None,
    errors: dict[str, str],
) -> Question | None:
    group = values["pair_group"]
    if not group:
        if pair_with:
            errors["pair_group"] = "name the comparison group the two questions share (e.g. asc_budget)"
        return None
    members = [
        q
        for q in session.scalars(
            select(Question)
            .where(Question.campaign_id == campaign_id, Question.pair_group == group)
            .order_by(Question.position, Question.id)
        )
        if question is None or q.id != question.id
    ]
    if pair_with:
        other = session.get(Question, pair_with)
        if other is None or other.campaign_id != campaign_id or (question is not None and other.id == question.id):
            errors["pair_with"] = "choose another question of this campaign"
            return None
        if other.pair_group and other.pair_group != group:
            errors["pair_with"] = f"{other.code} is already in the comparison group {other.pair_group!r}"
            return None
        if other not in members:
            members.append(other)
    if not members:
        # The first of a pair waits for the second, which joins by naming the same group (#19: following
        # the help text on the first question had ended in "choose the question to pair with").
        if qtype is not None and not qtype.is_numeric:
            errors["pair_group"] = "only numeric questions (money, count, decimal, percentage) form a before/after pair"
        return None
    if len(members) > 1:
        errors["pair_group"] = (
            f"the group {group!r} already has two questions ("
            + ", ".join(q.code for q in members)
            + "): a group pairs exactly two"
        )
        return None
    partner = members[0]
    if qtype is not None and not qtype.is_numeric:
        errors["pair_group"] = "only numeric questions (money, count, decimal, percentage) form a before/after pair"
    elif qtype is not None and partner.qtype != qtype.value:
        errors["pair_group"] = (
            f"the pair must be of the same type: {partner.code} is {QuestionType(partner.qtype).label.lower()}"
        )
    return partner


def _dissolve(session: Session, campaign_id: int, group: str, keep: set[int], user_id: int | None) -> None:
    """Take every other question out of `group` (a pair left with one question is no pair)."""
    if not group:
        return
    for other in session.scalars(
        select(Question).where(Question.campaign_id == campaign_id, Question.pair_group == group)
    ):
        if other.id in keep:
            continue
        before = snapshot(other, ("pair_group",))
        other.pair_group = ""
        record(
            session,
            user_id=user_id,
            entity_type="question",
            entity_id=other.id,
            action="updated",
            before=before,
            after=snapshot(other, ("pair_group",)),
        )


def _set_partner(session: Session, partner: Question | None, group: str, user_id: int | None) -> None:
    if partner is None or partner.pair_group == group:
        return
    before = snapshot(partner, ("pair_group",))
    partner.pair_group = group
    record(
        session,
        user_id=user_id,
        entity_type="question",
        entity_id=partner.id,
        action="updated",
        before=before,
        after=snapshot(partner, ("pair_group",)),
    )


@refused_on_clash("uq_question_campaign_code", lambda: QuestionError({"code": CODE_TAKEN}))
def create_question(
    session: Session, campaign: Campaign, values: Mapping, user_id: int | None, pair_with: int | None = None
) -> Question:
    """Add a question at the end of the campaign's list."""
    cleaned = _clean(values)
    partner = _check(session, campaign.id, cleaned, None, pair_with)
    position = (session.scalar(select(func.max(Question.position)).where(Question.campaign_id == campaign.id)) or 0) + 1
    question = Question(
        campaign_id=campaign.id, position=position, **{**cleaned, "choices": cleaned["choices"] or None}
    )
    session.add(question)
    session.flush()
    _set_partner(session, partner, cleaned["pair_group"], user_id)
    record(
        session,
        user_id=user_id,
        entity_type="question",
        entity_id=question.id,
        action="created",
        after={"campaign_id": campaign.id, **snapshot(question, AUDIT_FIELDS)},
    )
    session.flush()
    sync_campaign(session, campaign.id, user_id)  # a new question is unanswered everywhere
    session.flush()
    return question


@refused_on_clash("uq_question_campaign_code", lambda: QuestionError({"code": CODE_TAKEN}))
def update_question(
    session: Session, question: Question, values: Mapping, user_id: int | None, pair_with: int | None = None
) -> Question:
    """Edit a question (fields not in `values` keep their value)."""
    cleaned = _clean({**{name: getattr(question, name) for name in QUESTION_FIELDS}, **values})
    partner = _check(session, question.campaign_id, cleaned, question, pair_with)
    before = snapshot(question, AUDIT_FIELDS)
    old_group = question.pair_group
    for key, value in cleaned.items():
        setattr(question, key, value if key != "choices" else (value or None))
    if old_group != cleaned["pair_group"]:
        _dissolve(session, question.campaign_id, old_group, {question.id}, user_id)
    _set_partner(session, partner, cleaned["pair_group"], user_id)
    record(
        session,
        user_id=user_id,
        entity_type="question",
        entity_id=question.id,
        action="updated",
        before=before,
        after=snapshot(question, AUDIT_FIELDS),
    )
    session.flush()
    return question


def delete_question(session: Session, question: Question, user_id: int | None, confirm: bool = False) -> int:
    """Delete a question. With answers it needs `confirm`; they go with it, each one
    recorded in the audit trail. Returns how many answers were deleted."""
    answers = list(session.scalars(select(Answer).where(Answer.question_id == question.id)))
    if answers and not confirm:
        raise QuestionError(
            "confirm", f"{len(answers)} answer(s) to this question would be deleted with it: confirm to delete them too"
        )
    campaign_id = question.campaign_id
    for answer in answers:
        write_answer(
            session, request_id=answer.request_id, question=question, existing=answer, values=None, user_id=user_id
        )
    _dissolve(session, campaign_id, question.pair_group, {question.id}, user_id)
    record(
        session,
        user_id=user_id,
        entity_type="question",
        entity_id=question.id,
        action="deleted",
        before={"campaign_id": campaign_id, **snapshot(question, AUDIT_FIELDS), "answers": len(answers)},
    )
    session.delete(question)
    session.flush()
    sync_campaign(session, campaign_id, user_id)  # one question fewer may complete some requests
    session.flush()
    return len(answers)


def reorder_questions(session: Session, campaign: Campaign, ordered_ids: list[int], user_id: int | None) -> None:
    """Put the campaign's questions in this order (every question exactly once)."""
    questions = campaign_questions(session, campaign.id)
    by_id = {q.id: q for q in questions}
    if sorted(ordered_ids) != sorted(by_id) or len(set(ordered_ids)) != len(ordered_ids):
        raise QuestionError("order", "give every question of the campaign exactly once")
    before = {"questions": [q.code for q in questions]}
    for position, question_id in enumerate(ordered_ids, start=1):
        by_id[question_id].position = position
    record(
        session,
        user_id=user_id,
        entity_type="campaign",
        entity_id=campaign.id,
        action="questions_reordered",
        before=before,
        after={"questions": [by_id[i].code for i in ordered_ids]},
    )
    session.flush()


def move_question(session: Session, question: Question, offset: int, user_id: int | None) -> None:
    """Move a question up (offset -1) or down (+1) the list."""
    ids = [q.id for q in campaign_questions(session, question.campaign_id)]
    index = ids.index(question.id)
    target = max(0, min(len(ids) - 1, index + offset))
    if target == index:
        return
    ids.insert(target, ids.pop(index))
    reorder_questions(session, question.campaign, ids, user_id)


def answer_count(session: Session, question: Question) -> int:
    return _answer_count(session, question.id)
