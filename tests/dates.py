"""Dates for tests, derived from the one clock (`fointracker.clock.today()`).

Never search the calendar in one direction from a guessed start: a bank holiday in the
window moves the answer past the start. These helpers scan a whole window instead, so
they hold on any day of any year (`.ci/run` runs the date-dependent tests under faketime).
"""

from __future__ import annotations

from datetime import date, timedelta

from fointracker.domain.deadlines import WorkingCalendar

# Twenty working days never span more than 20 weeks, whatever the holidays.
_WINDOW_DAYS = 140
_TIME_LIMIT_WORKING_DAYS = 20  # FOIA s.10(1), FOISA s.10(1), EIR reg 5(2)(a)


def received_for_due(calendar: WorkingCalendar, due: date, working_days: int = _TIME_LIMIT_WORKING_DAYS) -> date:
    """The latest working day whose response, `working_days` later, is due on `due`
    (FOIA s.10(1): day 0 is the day of receipt). `due` must be a working day."""
    assert calendar.is_working_day(due), f"{due} is not a working day"
    for back in range(1, _WINDOW_DAYS):
        received = due - timedelta(days=back)
        if calendar.is_working_day(received) and calendar.add_working_days(received, working_days) == due:
            return received
    raise AssertionError(f"no receipt date gives {due}")
