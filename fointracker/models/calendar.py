from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .user import User


class ClosureDay(db.Model):
    """An admin's change to the working-day calendars: an extra closure, or a holiday removed."""

    __tablename__ = "closure_day"
    __table_args__ = (UniqueConstraint("day", "calendar", "remove", name="uq_closure_day_day_calendar_remove"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    name: Mapped[str] = mapped_column(String(120))
    calendar: Mapped[str] = mapped_column(String(10), default="all")  # all, uk or scotland
    remove: Mapped[bool] = mapped_column(Boolean, default=False)  # True: a holiday declared a working day
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    created_by: Mapped[User | None] = relationship()
