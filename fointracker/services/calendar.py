"""Admins' closure days. Each change recomputes every open request's deadlines in the same transaction (the caller commits)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.deadlines import why_never_working
from ..domain.regimes import CalendarName
from ..models import ClosureDay
from .audit import record, snapshot
from .clashes import refused_on_clash
from .deadlines import recompute_requests

CALENDAR_CHOICES = {"all": "Both calendars"} | {
    name.value: f"{name.short_label} calendar ({', '.join(regime.label for regime in name.regimes)})"
    for name in CalendarName
}
CLOSURE_FIELDS = ("day", "name", "calendar", "remove")


class ClosureError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


DAY_LISTED = "this day is already listed for that calendar"


@refused_on_clash("uq_closure_day_day_calendar_remove", lambda: ClosureError("day", DAY_LISTED))
def add_closure(session: Session, *, day: date, name: str, calendar: str, remove: bool, user_id: int | None) -> int:
    """Add a closure (or remove a holiday); returns how many requests' deadlines moved."""
    if calendar not in CALENDAR_CHOICES:
        raise ClosureError("calendar", "choose a calendar")
    if not name.strip():
        raise ClosureError("name", "give the day a name, e.g. “Office move”")
    if remove and why_never_working(day):  # weekends, Christmas Day, Good Friday (FOIA s.10(6))
        raise ClosureError("day", why_never_working(day))
    clash = session.scalar(
        select(ClosureDay.id).where(
            ClosureDay.day == day, ClosureDay.calendar == calendar, ClosureDay.remove.is_(remove)
        )
    )
    if clash is not None:
        raise ClosureError("day", DAY_LISTED)
    closure = ClosureDay(day=day, name=name.strip(), calendar=calendar, remove=remove, created_by_id=user_id)
    session.add(closure)
    session.flush()
    record(
        session,
        user_id=user_id,
        entity_type="closure_day",
        entity_id=closure.id,
        action="created",
        after=snapshot(closure, CLOSURE_FIELDS),
    )
    return recompute_requests(session)


def delete_closure(session: Session, closure: ClosureDay, user_id: int | None) -> int:
    record(
        session,
        user_id=user_id,
        entity_type="closure_day",
        entity_id=closure.id,
        action="deleted",
        before=snapshot(closure, CLOSURE_FIELDS),
    )
    session.delete(closure)
    session.flush()
    return recompute_requests(session)
