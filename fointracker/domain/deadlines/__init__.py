"""Statutory deadlines for UK information requests (FOIA, EIR, FOISA, EISR).

Pure package: no Flask, no database. The README's *Deadlines* section says what the app
does with these dates; each module's docstring lists the rules it implements and the
sections of the Acts and Regulations they come from:

* ``calendar``: the working-day calendars (which days count, bank holidays, admins'
  closure overrides), ``get_calendar`` and ``format_uk_date``;
* ``rules``: ``compute_deadlines`` (counting from day 0, clarification, fee pauses,
  extensions and late claims of them, internal review, very overdue), ``deadline_state``,
  the review and complaint windows and ``fee_lapses_on``;
* ``checks``: ``event_problems``, what the law refuses or warns about in a new timeline
  event (an extension the regime does not have, a fees notice before receipt, a late
  extension or fees notice);
* ``explanation``: the day-by-day account ``Deadlines.explain()`` returns.

The regimes themselves (``Regime``, ``CalendarName``) are ``fointracker.domain.regimes``.
"""

from __future__ import annotations

from ..regimes import CalendarName, Regime, calendar_name_for
from .calendar import (
    ClosureOverride,
    SkippedDay,
    WorkingCalendar,
    format_uk_date,
    get_calendar,
    why_never_working,
)
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
    fee_lapses_on,
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
    "fee_lapses_on",
    "format_uk_date",
    "get_calendar",
    "review_request_deadline",
    "why_never_working",
]
