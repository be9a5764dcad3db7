"""`fointracker.clock` is the one place the app reads the time: today is the UK's date."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from fointracker import clock

pytestmark = pytest.mark.today  # under faketime, the clock must still give the UK's date

PACKAGE = Path(clock.__file__).parent


def test_today_is_the_date_in_london_not_utc():
    # 23:30 UTC on Mon 30 Mar 2026 is 00:30 on Tue 31 Mar in London (BST began on 29 Mar).
    with time_machine.travel(datetime(2026, 3, 30, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 3, 31)
        assert clock.now() == datetime(2026, 3, 30, 23, 30, tzinfo=UTC)
    # In winter London is on UTC: 23:30 UTC on Wed 2 Dec 2026 is still the 2nd.
    with time_machine.travel(datetime(2026, 12, 2, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 2)


def test_nothing_else_in_the_package_reads_the_system_clock():
    """Every "today" and "now" goes through fointracker.clock (and so can be moved in tests and
    under faketime as one); the database's CURRENT_DATE/now() are never asked either."""
    forbidden = re.compile(
        r"date\.today\(|datetime\.(utc)?now\(|\bCURRENT_DATE\b|\bfunc\.now\(|"
        r"\bCURRENT_TIMESTAMP\b"
    )
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []
