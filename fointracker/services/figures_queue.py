"""The figures queue: a campaign's councils whose reply has come, with documents, and whose
figures are still to be entered, oldest reply first.

"A reply has come": the request has a first response (responded_on) or an outcome whose reply
holds figures (a successful or partial answer recorded some other way). "Still to be entered":
`figures_entered` is false, which services.answers keeps true exactly when every question has an
answer, so a council half entered stays in the queue. A reply with no document has nothing to
enter figures from, so it waits outside the queue until its documents are uploaded.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..domain.lifecycle import FIGURE_OUTCOMES
from ..models import Answer, Attachment, FoiRequest, RequestEvent


def has_documents():
    """SQL: the request has at least one document on its timeline."""
    return exists(
        select(Attachment.id)
        .join(RequestEvent, Attachment.event_id == RequestEvent.id)
        .where(RequestEvent.request_id == FoiRequest.id)
    )


def waiting_for_figures():
    """SQL: a reply has come, with documents, and the figures are still to be entered."""
    return and_(
        or_(FoiRequest.responded_on.is_not(None), FoiRequest.outcome.in_(FIGURE_OUTCOMES)),
        FoiRequest.figures_entered == false(),
        has_documents(),
    )


def in_queue(campaign_id: int):
    """SQL: the conditions of the queue for `campaign_id`."""
    return and_(FoiRequest.campaign_id == campaign_id, waiting_for_figures())


# Oldest reply first; a request with an outcome but no recorded response date after them all.
QUEUE_ORDER = (FoiRequest.responded_on.is_(None), FoiRequest.responded_on, FoiRequest.id)


def queue_statement(campaign_id: int) -> Select:
    """The queue's requests, in order, with their councils loaded (for pagination)."""
    return (
        select(FoiRequest).options(joinedload(FoiRequest.authority)).where(in_queue(campaign_id)).order_by(*QUEUE_ORDER)
    )


def queue_size(session: Session, campaign_id: int) -> int:
    return session.scalar(select(func.count(FoiRequest.id)).where(in_queue(campaign_id))) or 0


def answered_counts(session: Session, request_ids: list[int]) -> dict[int, int]:
    """{request id: how many answers it has}, for a page of the queue (half-entered councils)."""
    if not request_ids:
        return {}
    return dict(
        session.execute(
            select(Answer.request_id, func.count(Answer.id))
            .where(Answer.request_id.in_(request_ids))
            .group_by(Answer.request_id)
        ).all()
    )


def next_in_queue(session: Session, campaign_id: int, after: FoiRequest) -> int | None:
    """The id of the request that follows `after` in the queue (whether or not `after` is still
    in it: it usually just left, its figures saved), going round to the start when `after` was
    the last; never `after` itself. None when nothing else is waiting."""
    if after.responded_on is None:
        later = and_(FoiRequest.responded_on.is_(None), FoiRequest.id > after.id)
    else:
        later = or_(
            FoiRequest.responded_on > after.responded_on,
            and_(FoiRequest.responded_on == after.responded_on, FoiRequest.id > after.id),
            FoiRequest.responded_on.is_(None),
        )
    base = select(FoiRequest.id).where(in_queue(campaign_id), FoiRequest.id != after.id).order_by(*QUEUE_ORDER)
    found = session.scalar(base.where(later).limit(1))
    if found is None:
        found = session.scalar(base.limit(1))  # round to the oldest still waiting
    return found


def queue_sizes(session: Session, campaign_ids: list[int]) -> dict[int, int]:
    """{campaign id: how many councils wait in its queue}, for the campaigns listed."""
    if not campaign_ids:
        return {}
    return dict(
        session.execute(
            select(FoiRequest.campaign_id, func.count(FoiRequest.id))
            .where(FoiRequest.campaign_id.in_(campaign_ids), waiting_for_figures())
            .group_by(FoiRequest.campaign_id)
        ).all()
    )
