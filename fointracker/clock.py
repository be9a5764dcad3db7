"""The one place fointracker asks what time and day it is.

The app's clock is the truth: every "today" and "now" comes from here, never from the
database (`CURRENT_DATE`, `now()`), so the web workers, the scheduler and the database
cannot disagree about the date, and a test (or `faketime`) that moves this process's clock
moves everything. "Today" is the date in Europe/London, whatever the machine's zone:
deadlines are UK working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from .domain.localtime import LONDON


def now() -> datetime:
    """The current moment, timezone-aware, in UTC (how every timestamp is stored)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the UK."""
    return now().astimezone(LONDON).date()
