"""Statutory deadlines for UK information requests (FOIA, EIR, FOISA, EISR).

Pure package: no Flask, no database. The README's *Deadlines* section says what the app
does with these dates; each module's docstring lists the rules it implements and the
sections of the Acts and Regulations they come from:

* ``calendar``: the working-day calendars (which days count, bank holidays, admins'
  closure overrides), ``get_calendar`` and ``format_uk_date``;
* ``rules``: ``compute_deadlines`` (counting from day 0, clarification, fee pauses,
  extensions, internal review, very overdue), ``deadline_state`` and the review and
  complaint windows;
* ``explanation``: the day-by-day account ``Deadlines.explain()`` returns.

The regimes themselves (``Regime``, ``CalendarName``) are ``fointracker.domain.regimes``.
"""

from __future__ import annotations

from ..regimes import CalendarName, Regime, calendar_name_for
from .calendar import ClosureOverride, SkippedDay, WorkingCalendar, format_uk_date, get_calendar
from .explanation import CountedDay, Explanation, ExplanationSegment
from .rules import (
    CALCULABLE_YEARS,
    NO_EVENTS,
    ClockEvents,
    Deadlines,
    DeadlineState,
    complaint_deadline,
    compute_deadlines,
    deadline_state,
    review_request_deadline,
)

__all__ = [
    "CALCULABLE_YEARS",
    "CalendarName",
    "ClockEvents",
    "ClosureOverride",
    "CountedDay",
    "DeadlineState",
    "Deadlines",
    "Explanation",
    "ExplanationSegment",
    "NO_EVENTS",
    "Regime",
    "SkippedDay",
    "WorkingCalendar",
    "calendar_name_for",
    "complaint_deadline",
    "compute_deadlines",
    "deadline_state",
    "format_uk_date",
    "get_calendar",
    "review_request_deadline",
]
