"""Published reports (#18): a campaign's report at a public address, and its versions.

A version's `snapshot` is everything its public page and downloads show, frozen when it was
published (JSON text, services.publishing): later changes to the campaign's data do not reach it.
`published_by_id` is kept for the campaign's own records and never shown publicly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .campaign import Campaign
from .user import User


class PublishedReport(db.Model):
    """One per campaign: its stable public address (`slug`) and whether it is online."""

    __tablename__ = "published_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    campaign: Mapped[Campaign] = relationship()


class PublishedReportVersion(db.Model):
    __tablename__ = "published_report_version"
    __table_args__ = (UniqueConstraint("published_report_id", "number", name="uq_published_report_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    published_report_id: Mapped[int] = mapped_column(ForeignKey("published_report.id", ondelete="CASCADE"), index=True)
    # The campaign again, so that 0012's triggers count a version as the campaign's write.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the snapshot: the public ETag
    size: Mapped[int] = mapped_column(Integer)  # bytes of the snapshot (UTF-8)
    snapshot: Mapped[str] = mapped_column(Text, deferred=True)

    published_report: Mapped[PublishedReport] = relationship()
    published_by: Mapped[User | None] = relationship()
