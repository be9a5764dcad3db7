"""The admin's view of the reminder outbox: filtered listing, counts by status, "retry now"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from .. import clock
from ..models import Authority, Campaign, FoiRequest, Reminder, User
from .audit import record

STATUSES = ("pending", "claimed", "sent", "failed", "superseded", "cancelled")
CHANNELS = ("email", "webhook")
RETRYABLE = ("failed", "pending")


class RetryError(ValueError):
    pass


def status_counts(session: Session) -> dict[str, int]:
    """{status: rows}, every status present (zero when none), in one query."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(session.execute(select(Reminder.status, func.count(Reminder.id)).group_by(Reminder.status)).all())
    return counts


def outbox_query(
    *, status: str | None = None, kind: str | None = None, channel: str | None = None, q: str | None = None
):
    """The listing: failed rows first, then the latest due first; search by recipient or council."""
    stmt = (
        select(Reminder)
        .join(Reminder.request)
        .join(FoiRequest.authority)
        .join(FoiRequest.campaign)
        .outerjoin(Reminder.user)
        .options(
            contains_eager(Reminder.request).contains_eager(FoiRequest.authority),
            contains_eager(Reminder.request).contains_eager(FoiRequest.campaign),
            contains_eager(Reminder.user),
        )
    )
    if status:
        stmt = stmt.where(Reminder.status == status)
    if kind:
        stmt = stmt.where(Reminder.kind == kind)
    if channel:
        stmt = stmt.where(Reminder.channel == channel)
    if q and q.strip():
        q = q.strip()  # a bound parameter, matched literally (% and _ are escaped)
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(q, autoescape=True)
                    for column in (
                        User.email,
                        User.name,
                        Reminder.recipient,
                        Authority.short_name,
                        Authority.official_name,
                        Authority.code,
                        Campaign.title,
                    )
                )
            )
        )
    return stmt.order_by(case((Reminder.status == "failed", 0), else_=1), Reminder.due_at.desc(), Reminder.id.desc())


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored in UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def can_retry(reminder: Reminder, now: datetime) -> bool:
    """Failed rows, and pending rows already due (waiting for their next attempt)."""
    return reminder.status == "failed" or (reminder.status == "pending" and aware(reminder.due_at) <= now)


def retry_now(session: Session, reminder: Reminder, actor_id: int | None, now: datetime | None = None) -> None:
    """Back to pending with its next attempt now and a fresh series of attempts (the count starts
    again from 0; the last error is kept, it says why it failed before). Audited."""
    now = now or clock.now()
    if not can_retry(reminder, now):
        if reminder.status == "pending":
            raise RetryError("it is not due yet; it will be sent when it falls due")
        raise RetryError(
            f"only failed reminders, or pending ones already due, can be retried (this one is {reminder.status})"
        )
    before = {
        "status": reminder.status,
        "attempts": reminder.attempts,
        "next_attempt_at": _iso(reminder.next_attempt_at),
    }
    # Conditional UPDATE: a sweep that claimed the row in the meantime wins.
    changed = session.execute(
        update(Reminder)
        .where(Reminder.id == reminder.id, Reminder.status.in_(RETRYABLE))
        .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not changed:
        raise RetryError("the reminder changed meanwhile (a sweep took it); reload the page")
    record(
        session,
        user_id=actor_id,
        entity_type="reminder",
        entity_id=reminder.id,
        action="retried",
        before=before,
        after={"status": "pending", "attempts": 0, "next_attempt_at": now.isoformat()},
    )
    session.flush()


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None


def age_text(seconds: int | None) -> str:
    """'45 seconds', '12 minutes', '3 hours', '2 days'."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
