from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..domain.lifecycle import Outcome, Status
from ..extensions import db
from .authority import Authority
from .campaign import Campaign
from .user import User


class FoiRequest(db.Model):
    """One FOI/EIR request to one council. Status and outcome are separate fields."""

    __tablename__ = "foi_request"
    __table_args__ = (
        Index("ix_foi_request_campaign_status", "campaign_id", "status"),
        Index("ix_foi_request_campaign_authority", "campaign_id", "authority_id"),
        # Every column the dashboard's per-campaign counts read (services.stats): they scan this
        # index instead of visiting 10,000 rows (migration 0006).
        Index(
            "ix_foi_request_dashboard",
            "campaign_id",
            "status",
            "outcome",
            "owner_id",
            "sent_on",
            "responded_on",
            "responded_on_time",
            "figures_entered",
            "response_due_on",
            "very_overdue_on",
            "review_due_on",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authority.id"), index=True)
    regime: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    sent_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)  # the council's receipt date: the clock's day 0
    council_reference: Mapped[str] = mapped_column(String(100), default="", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(30), default=Status.DRAFT.value, index=True)
    # Deadlines, one per column, derived from the timeline by services.deadlines and
    # recomputed whenever it changes. "Overdue" is never stored: it is today against these.
    response_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    deferred_due_on: Mapped[date | None] = mapped_column(Date)  # if the council defers a non-working-day receipt
    very_overdue_on: Mapped[date | None] = mapped_column(Date, index=True)  # last day that is merely overdue
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    clock_paused: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # fee or clarification outstanding
    # How the first response went, derived from the timeline like the deadlines.
    responded_on: Mapped[date | None] = mapped_column(Date, index=True)
    responded_on_time: Mapped[bool | None] = mapped_column(Boolean)  # by the due date in force then (extensions count)
    response_working_days: Mapped[int | None] = mapped_column()  # working days from receipt to the first response
    figures_entered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    outcome: Mapped[str | None] = mapped_column(String(30), index=True)
    # The latest "chased" event's date, derived from the timeline like the status (migration 0013).
    last_chased_on: Mapped[date | None] = mapped_column(Date)
    # The request this one was transferred or refined from ("not held, try X"; s.16 advice after a
    # s.12 refusal): a new request with its own clock. Deleting the original leaves this one.
    linked_request_id: Mapped[int | None] = mapped_column(ForeignKey("foi_request.id", ondelete="SET NULL"), index=True)
    # The unguessable part of this request's own reply address (FOINTRACKER_MAIL_REPLY_TO,
    # "foi+{token}@example.org"), made when its first letter is sent by email (#16, migration 0015).
    reply_token: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)

    campaign: Mapped[Campaign] = relationship()
    authority: Mapped[Authority] = relationship()
    owner: Mapped[User | None] = relationship()
    linked_request: Mapped[FoiRequest | None] = relationship(
        remote_side="FoiRequest.id", foreign_keys=[linked_request_id]
    )
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request",
        order_by="(RequestEvent.occurred_on, RequestEvent.id)",
        cascade="all, delete-orphan",
    )

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def outcome_enum(self) -> Outcome | None:
        return Outcome(self.outcome) if self.outcome else None

    def __repr__(self) -> str:
        return f"<FoiRequest {self.id} {self.regime} to {self.authority_id}>"


class RequestEvent(db.Model):
    """One step on a request's timeline (sent, acknowledged, response ...)."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("foi_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # kind-specific: outcome, exemptions, new date ...
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    request: Mapped[FoiRequest] = relationship(back_populates="events")
    created_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="event", order_by="Attachment.id", cascade="all, delete-orphan"
    )


class Attachment(db.Model):
    """A document attached to an event. Its bytes are in the content-addressed file store under
    sha256 (services/file_store.py), which several attachments (and mail attachments) may share;
    original_name is only data, shown and offered as the download's name (migration 0016)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("request_event.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))  # shown and used on download, never as a path
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the content, in the file store
    # The unit a person confirmed for the figures in this file ("units", "thousands", "millions";
    # domain.units), asked once per file when figures are taken from it (#17, migration 0017).
    figures_unit: Mapped[str | None] = mapped_column(String(20))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    event: Mapped[RequestEvent] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()
