from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .foi_request import FoiRequest
from .user import User


class Reminder(db.Model):
    """The outbox: one row per reminder that should go (or went) to one recipient.

    Planned in the same transaction as the deadline change that calls for it; the
    unique key makes planning idempotent. status: pending -> claimed -> sent, or back
    to pending with a later next_attempt_at after a failure (failed after the last try);
    superseded when the deadline it was about no longer applies; cancelled when the
    recipient turned that kind off.
    """

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint(
            "request_id", "kind", "days_before", "target_date", "recipient", "channel", name="uq_reminder_key"
        ),
        Index("ix_reminder_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("foi_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    days_before: Mapped[int] = mapped_column(default=0)
    target_date: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(40))  # "user:<id>" or "campaign:<id>" (its webhook)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email or webhook
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)

    request: Mapped[FoiRequest] = relationship()
    user: Mapped[User | None] = relationship()


class SchedulerLease(db.Model):
    """Who runs the scheduler, and its heartbeat. On SQLite the row is also the lock (a lease
    that expires); on PostgreSQL the lock is an advisory lock and the row only reports."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sweep_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sweep_summary: Mapped[str] = mapped_column(String(300), default="")
