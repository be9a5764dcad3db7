from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .campaign import Campaign
from .foi_request import Attachment, FoiRequest
from .user import User

# Exact decimals: money to the penny and beyond, never floats.
NUMBER = Numeric(24, 6)


class Question(db.Model):
    """One question a campaign asks every council (e.g. "Adult social-care budget 2010/11")."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("campaign_id", "code", name="uq_question_campaign_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # short, stable: used in imports and exports
    label: Mapped[str] = mapped_column(String(300))
    qtype: Mapped[str] = mapped_column(String(12))  # money, count, decimal, percentage, yes_no, choice, text
    period_label: Mapped[str] = mapped_column(String(20), default="")  # e.g. 2010/11
    pair_group: Mapped[str] = mapped_column(String(40), default="")  # two questions sharing it: before/after
    choices: Mapped[list | None] = mapped_column(JSON)  # for "choice"
    help_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship()


class Answer(db.Model):
    """What one council said to one question: a state, and a value where there is one."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("request_id", "question_id", name="uq_answer_request_question"),
        Index("ix_answer_question_state", "question_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("foi_request.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    # provided, estimate, not_held, not_collected, refused, not_applicable
    state: Mapped[str] = mapped_column(String(16))
    value_number: Mapped[Decimal | None] = mapped_column(NUMBER)  # money, count, decimal, percentage
    bound_low: Mapped[Decimal | None] = mapped_column(NUMBER)  # suppressed values such as "<5": a range
    bound_high: Mapped[Decimal | None] = mapped_column(NUMBER)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_text: Mapped[str] = mapped_column(Text, default="")  # text and choice answers
    raw: Mapped[str] = mapped_column(String(200), default="")  # as typed or imported, for checking
    exemption: Mapped[str] = mapped_column(String(20), default="")  # when refused
    source_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    source_page: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    request: Mapped[FoiRequest] = relationship()
    question: Mapped[Question] = relationship()
    source: Mapped[Attachment | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
