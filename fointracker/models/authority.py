from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db


class Authority(db.Model):
    """A council, current or abolished, from the shipped register (fointracker/data)."""

    __tablename__ = "authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # mySociety local-authority-code
    gss_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    official_name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(120), index=True)
    type_code: Mapped[str] = mapped_column(String(8), index=True)
    type_name: Mapped[str] = mapped_column(String(80), default="")
    nation: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    social_care: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    replaced_by: Mapped[str] = mapped_column(String(60), default="")  # comma-separated codes
    website: Mapped[str] = mapped_column(String(300), default="")
    foi_email: Mapped[str] = mapped_column(String(254), default="")
    # Where the FOI address came from ("council website", an imported file's name) and when someone
    # last checked it: no licensed dataset of these addresses exists (README), so each is ours.
    foi_email_source: Mapped[str] = mapped_column(String(200), default="")
    foi_email_checked_on: Mapped[date | None] = mapped_column(Date)
    # Set when mail to foi_email bounced (a delivery status notification, #16); cleared when the
    # address is changed. The reason is the bounce's own words.
    foi_email_failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    foi_email_failure: Mapped[str] = mapped_column(String(500), default="")
    alt_names: Mapped[str] = mapped_column(Text, default="")  # pipe-separated
    wdtk_id: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)

    @property
    def is_current(self) -> bool:
        return self.end_date is None

    @property
    def is_scottish(self) -> bool:
        return self.nation == "Scotland"

    @property
    def successor_codes(self) -> list[str]:
        return [code for code in self.replaced_by.split(",") if code]

    def __repr__(self) -> str:
        return f"<Authority {self.code} {self.short_name}>"
