from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .campaign import Campaign
from .foi_request import FoiRequest, RequestEvent
from .user import User


class MailMessage(db.Model):
    """One email to or from a council (#16).

    Outgoing (direction "out"), this row is the outbox for letters, like Reminder is for
    reminders: queued -> claimed -> sent, or back to queued with a later next_attempt_at after a
    failure (failed after the last try); cancelled when nobody wants it sent any more. sent_at is
    when the mail server accepted it, and event_id the *Sent* (or chased ...) step it recorded.

    Incoming ("in"): filed (request_id set, match_reason says why) or triage (request_id NULL,
    match_reason says why nothing matched, problems what was wrong with it). The step the text
    suggests waits in `suggestion` until a person confirms or corrects it (suggestion_state), and
    event_id is then the step it became. dedupe_key ("mid:<Message-ID>" or "sha:<content hash>")
    is unique, so the same message delivered twice, by any door, is filed once.
    """

    __tablename__ = "mail_message"
    __table_args__ = (
        Index("ix_mail_message_direction_status", "direction", "status", "next_attempt_at"),
        Index("ix_mail_message_request", "request_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" or "in"
    status: Mapped[str] = mapped_column(String(12))  # out: queued claimed sent failed cancelled; in: filed triage
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("foi_request.id", ondelete="SET NULL"))
    # Out: which letter ("request", "chaser", "review", "complaint"); in: "" (see suggestion).
    letter_kind: Mapped[str] = mapped_column(String(20), default="")
    message_id: Mapped[str] = mapped_column(String(255), default="", index=True)  # the header, with <>
    in_reply_to: Mapped[str] = mapped_column(String(255), default="")
    thread_references: Mapped[str] = mapped_column(Text, default="")  # the References header: Message-IDs
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    to_addr: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    reply_to: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")  # plain text; for mail in, quoted history removed
    quoted_text: Mapped[str] = mapped_column(Text, default="")  # mail in: the quoted history, folded away
    raw_sha256: Mapped[str | None] = mapped_column(String(64))  # the original message in the file store
    size: Mapped[int] = mapped_column(default=0)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(10), default="")  # in: imap, pipe, upload; out: smtp
    match_reason: Mapped[str] = mapped_column(String(500), default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    is_auto_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_bounce: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # {"kind": EventKind value, "details": {...}, "phrases": ["..."]}, or {} when nothing is suggested.
    suggestion: Mapped[dict] = mapped_column(JSON, default=dict)
    suggestion_state: Mapped[str] = mapped_column(String(12), default="")  # "", pending, confirmed, dismissed
    event_id: Mapped[int | None] = mapped_column(ForeignKey("request_event.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # out: accepted by the server
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # in: when it reached us
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)

    campaign: Mapped[Campaign | None] = relationship()
    request: Mapped[FoiRequest | None] = relationship()
    event: Mapped[RequestEvent | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="message", order_by="MailAttachment.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.direction} {self.status} request {self.request_id}>"


class MailAttachment(db.Model):
    """A file that came with (or went with) a message, its bytes in the content-addressed file
    store under sha256. When the message's step is confirmed the files become the step's documents
    (Attachment rows naming the same content, stored once)."""

    __tablename__ = "mail_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # shown and used on download, never as a path
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")  # e.g. the files a winmail.dat or ZIP holds

    message: Mapped[MailMessage] = relationship(back_populates="attachments")
