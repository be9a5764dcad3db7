"""Verifying many answers at once: a campaign's answers entered but not yet verified, filtered
by question and by who entered them, verified together.

Each answer goes through services.answers.verify_answer, so it is refused and audited exactly as
the single *Mark verified* button is: the person who entered a value can never verify it. Those
rows are skipped and counted, never an error for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from ..models import Answer, FoiRequest, Question, User
from .answers import verify_answer

#: At most this many answers are verified by one "all matching" (the rest stay for the next one).
MAX_AT_ONCE = 5000


class BulkVerifyError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    question_id: int | None = None
    entered_by_id: int | None = None


@dataclass
class VerifyResult:
    verified: int = 0
    skipped_own: int = 0  # entered by the verifier: someone else must verify them
    skipped_other: int = 0  # already verified meanwhile, or not an unverified answer of this campaign

    def __str__(self) -> str:
        words = [f"{self.verified:,} verified"]
        if self.skipped_own:
            words.append(f"{self.skipped_own:,} skipped because you entered them (someone else must verify them)")
        if self.skipped_other:
            words.append(f"{self.skipped_other:,} skipped because they were no longer waiting")
        return "; ".join(words)


def _conditions(campaign_id: int, filters: Filters):
    conditions = [FoiRequest.campaign_id == campaign_id, Answer.verified_by_id.is_(None)]
    if filters.question_id is not None:
        conditions.append(Answer.question_id == filters.question_id)
    if filters.entered_by_id is not None:
        conditions.append(Answer.entered_by_id == filters.entered_by_id)
    return and_(*conditions)


def unverified_statement(campaign_id: int, filters: Filters = Filters()) -> Select:
    """The answers waiting to be verified, by council then question, with what the page shows."""
    return (
        select(Answer)
        .join(FoiRequest, Answer.request_id == FoiRequest.id)
        .join(Question, Answer.question_id == Question.id)
        .options(
            joinedload(Answer.request).joinedload(FoiRequest.authority),
            joinedload(Answer.question),
            joinedload(Answer.entered_by),
            joinedload(Answer.source),
        )
        .where(_conditions(campaign_id, filters))
        .order_by(FoiRequest.id, Question.position, Question.id)
    )


def unverified_count(session: Session, campaign_id: int, filters: Filters = Filters()) -> int:
    return (
        session.scalar(
            select(func.count(Answer.id))
            .join(FoiRequest, Answer.request_id == FoiRequest.id)
            .where(_conditions(campaign_id, filters))
        )
        or 0
    )


def enterers(session: Session, campaign_id: int) -> list[tuple[int, str, int]]:
    """[(user id, name, answers waiting)]: who entered the campaign's unverified answers."""
    rows = session.execute(
        select(User, func.count(Answer.id))
        .join(Answer, Answer.entered_by_id == User.id)
        .join(FoiRequest, Answer.request_id == FoiRequest.id)
        .where(_conditions(campaign_id, Filters()))
        .group_by(User.id)
        .order_by(User.email)
    ).all()
    return [(user.id, user.display_name, count) for user, count in rows]


def verify_answers(session: Session, campaign_id: int, answer_ids: Iterable[int], user_id: int) -> VerifyResult:
    """Verify the chosen answers of `campaign_id`. Ids of other campaigns, or no longer
    waiting, are skipped and counted; so are the verifier's own. The caller commits."""
    ids = sorted({int(i) for i in answer_ids})
    result = VerifyResult()
    found: dict[int, Answer] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        found.update(
            (a.id, a)
            for a in session.scalars(
                select(Answer)
                .join(FoiRequest, Answer.request_id == FoiRequest.id)
                .where(Answer.id.in_(chunk), FoiRequest.campaign_id == campaign_id)
            )
        )
    for answer_id in ids:
        _verify_one(session, found.get(answer_id), user_id, result)
    return result


def verify_matching(
    session: Session, campaign_id: int, filters: Filters, user_id: int, confirmed_count: int
) -> VerifyResult:
    """Verify every answer the filters match, as many as the person saw and confirmed: if the
    count has changed since (someone entered or verified meanwhile), BulkVerifyError and nothing
    is verified, so nobody verifies what they did not see counted."""
    count = unverified_count(session, campaign_id, filters)
    if count != confirmed_count:
        raise BulkVerifyError(
            f"{count:,} answers match now, not the {confirmed_count:,} you confirmed: check the list and confirm again"
        )
    if count > MAX_AT_ONCE:
        raise BulkVerifyError(f"at most {MAX_AT_ONCE:,} answers at once: filter by question or by who entered them")
    result = VerifyResult()
    for answer in session.scalars(
        select(Answer)
        .join(FoiRequest, Answer.request_id == FoiRequest.id)
        .where(_conditions(campaign_id, filters))
        .order_by(Answer.id)
    ).all():
        _verify_one(session, answer, user_id, result)
    return result


def _verify_one(session: Session, answer: Answer | None, user_id: int, result: VerifyResult) -> None:
    if answer is None or answer.verified_by_id is not None:
        result.skipped_other += 1
    elif answer.entered_by_id is not None and answer.entered_by_id == user_id:
        result.skipped_own += 1
    else:
        verify_answer(session, answer, user_id)  # its own checks are the two above
        result.verified += 1
