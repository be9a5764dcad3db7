"""Working-day calendars: which days count, and why the others do not.

Calendars
    FOIA and EIR: Saturdays, Sundays, Christmas Day and a bank holiday in *any*
    part of the United Kingdom (FOIA s.10(6), EIR reg 2(1)): the union of the
    England, Wales, Scotland and Northern Ireland holidays of the ``holidays``
    package. FOISA and EISR: the same with Scotland's bank holidays only
    (FOISA s.73). Christmas Day is always a non-working day. Which regime counts
    on which calendar is ``fointracker.domain.regimes.calendar_name_for``.

Holidays
    From the ``holidays`` package, including substitute days and one-off
    proclaimed holidays (e.g. the 2022 state funeral; Scotland's 15 June 2026
    holiday, which FOIA counts too, as a bank holiday in a part of the UK).
    Admins change a calendar with ``ClosureOverride``; ``get_calendar`` returns
    the shared calendar for a set of overrides.

Closures and removals
    An office closure (``remove=False``) is still a working day in law (FOIA
    s.10(6), FOISA s.73; the ICO's LTT47: "where offices close for privilege
    days ... these do not count as non-working days"). A calendar with closures
    is therefore only the council's own expectation; the statutory deadlines use
    a calendar with the removals alone (``services.deadlines.Calendars``). A
    removal (``remove=True``: a bank holiday moved by proclamation under the
    Banking and Financial Dealings Act 1971 s.1(3)) does change the statutory
    calendar, except for the days no proclamation can touch: weekends, Christmas
    Day and Good Friday, which FOIA s.10(6) names (``why_never_working``; for
    FOISA, Good Friday is a Scottish bank holiday in the 1971 Act's Schedule 1,
    and the same rule is kept for both calendars).

Performance
    Each calendar keeps a sorted list of working-day ordinals and a prefix count
    indexed by date ordinal, so adding or counting working days is two list
    look-ups. The tables cover only the years in use: nothing until the first
    question, then that year and _MARGIN_YEARS either side, extended on demand.
    Every web worker used to build 1990-2080 on its first request (~70 ms of CPU
    for both calendars, most of it the holidays package at ~1.5 ms per year and
    nation; now ~10 ms); holidays are computed once per year and calendar, so an
    extension computes only the new years. (Importing the holidays package, ~0.2 s,
    is still paid once per process, on first use.) The ordinal methods (``_add``,
    ``_between``, ``_working`` and the ``_st`` tables) are the deadline rules' fast
    interface (``rules.py``); everyone else uses the date methods.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

from ..regimes import CalendarName

_NATIONS = (("ENG", "England"), ("WLS", "Wales"), ("SCT", "Scotland"), ("NIR", "Northern Ireland"))
_CALENDAR_SUBDIVISIONS = {
    CalendarName.UK: _NATIONS,
    CalendarName.SCOTLAND: (("SCT", "Scotland"),),
}
_MARGIN_YEARS = 2  # built around a year asked about, each side
_MIN_YEAR, _MAX_YEAR = 1, 9998
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CLOSURE_REASON_PREFIX = "Office closure: "  # then the admin's name for the closure


@dataclass(frozen=True)
class ClosureOverride:
    """An admin's change to a calendar.

    ``remove=False``: an extra closure day (a non-working day).
    ``remove=True``: a bank holiday declared a working day. Weekends, Christmas
    Day and Good Friday are non-working by statute and cannot be removed (such
    overrides are listed in ``WorkingCalendar.ignored_overrides``). When one day has both an
    addition and a removal, the addition wins.
    ``calendar=None`` applies to both calendars.
    """

    day: date
    name: str
    calendar: CalendarName | None = None
    remove: bool = False

    def __post_init__(self):
        if isinstance(self.day, datetime):
            object.__setattr__(self, "day", self.day.date())
        if self.calendar is not None and not isinstance(self.calendar, CalendarName):
            object.__setattr__(self, "calendar", CalendarName(self.calendar))


def why_never_working(day: date) -> str | None:
    """Why `day` can never be made a working day (FOIA s.10(6) names Saturdays, Sundays,
    Christmas Day and Good Friday), or None when an admin may remove its holiday."""
    if day.weekday() >= 5:
        return "weekends are never working days"
    if (day.month, day.day) == (12, 25):
        return "Christmas Day is never a working day (FOIA s.10(6), FOISA s.73 name it)"
    if "Good Friday" in _holiday_reasons_in(CalendarName.UK, day.year).get(day.toordinal(), ""):
        return "Good Friday is never a working day (FOIA s.10(6) names it)"
    return None


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str


@cache  # a few hundred bytes a year; years are asked for again as the tables grow
def _holiday_reasons_in(name: CalendarName, year: int) -> dict[int, str]:
    """{date ordinal: "Easter Monday (England, Wales, Northern Ireland)"} for one year."""
    import holidays as holidays_package  # imported lazily: it is the slow part of start-up

    nations = _CALENDAR_SUBDIVISIONS[name]
    table: dict[int, dict[str, list[str]]] = {}
    for code, nation in nations:
        for day, names in holidays_package.UK(subdiv=code, years=year).items():
            entry = table.setdefault(day.toordinal(), {})
            for holiday_name in names.split("; "):
                entry.setdefault(holiday_name.strip(), []).append(nation)
    # Christmas Day is a non-working day by statute, whatever the package says.
    entry = table.setdefault(date(year, 12, 25).toordinal(), {})
    if not any(holiday_name.startswith("Christmas Day") for holiday_name in entry):
        entry["Christmas Day"] = [nation for _, nation in nations]
    return {
        ordinal: "; ".join(f"{holiday_name} ({', '.join(where)})" for holiday_name, where in entry.items())
        for ordinal, entry in table.items()
    }


def _holiday_reasons(name: CalendarName, first_year: int, last_year: int) -> dict[int, str]:
    """{date ordinal: reason} for the years first_year..last_year."""
    reasons: dict[int, str] = {}
    for year in range(first_year, last_year + 1):
        reasons.update(_holiday_reasons_in(name, year))
    return reasons


class WorkingCalendar:
    """Working days under one of the two statutory calendars, with admin overrides.

    Instances are immutable from the outside and shared (see ``get_calendar``);
    the covered range of years, none at first, grows on demand behind a lock.
    """

    def __init__(self, name: CalendarName | str, overrides: Iterable[ClosureOverride] = ()):
        self.name = CalendarName(name)
        self.overrides = frozenset(o for o in overrides if o.calendar is None or o.calendar is self.name)
        self._lock = threading.Lock()
        self._years: tuple[int, int] | None = None  # (first, last) year covered; None: nothing built yet
        self._st: tuple[int, list[int], list[int]] = (0, [0], [])  # covers no day: every look-up builds
        self._closures, self._removed, self.ignored_overrides = self._classify_overrides()
        self._info: tuple[dict[int, str], dict[int, str], dict[int, str]] = ({}, self._closures, self._removed)

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.name.value} overrides={len(self.overrides)}>"

    # ---------------------------------------------------------------- building

    def _classify_overrides(self) -> tuple[dict[int, str], dict[int, str], tuple[ClosureOverride, ...]]:
        """(closure days, bank holidays made working days, overrides that cannot apply), by ordinal."""
        closures: dict[int, str] = {}
        removed: dict[int, str] = {}
        ignored = []
        for override in sorted(self.overrides, key=lambda o: (o.day, o.remove, o.name)):
            ordinal = override.day.toordinal()
            if not override.remove:
                closures[ordinal] = override.name
            elif (
                ordinal in _holiday_reasons_in(self.name, override.day.year) and why_never_working(override.day) is None
            ):
                removed[ordinal] = override.name
            else:
                ignored.append(override)
        for ordinal in closures:
            removed.pop(ordinal, None)
        return closures, removed, tuple(ignored)

    def _build(self, first_year: int, last_year: int) -> None:
        holidays = _holiday_reasons(self.name, first_year, last_year)
        base = date(first_year, 1, 1).toordinal()
        end = date(last_year + 1, 1, 1).toordinal()
        closures, removed = self._closures, self._removed
        prefix = [0] * (end - base + 1)
        work = []
        count = 0
        weekday = (base - 1) % 7
        for i, ordinal in enumerate(range(base, end)):
            if weekday < 5 and ordinal not in closures and (ordinal not in holidays or ordinal in removed):
                count += 1
                work.append(ordinal)
            prefix[i + 1] = count
            weekday = 0 if weekday == 6 else weekday + 1
        self._info = (holidays, closures, removed)
        self._years = (first_year, last_year)
        self._st = (base, prefix, work)  # assigned last, in one step: readers see old or new

    def _ensure(self, ordinal: int, extra_working_days: int = 0) -> None:
        """Cover `ordinal` and at least `extra_working_days` working days after it."""
        with self._lock:
            year = date.fromordinal(max(1, min(ordinal, date.max.toordinal()))).year
            first, last = self._years or (year, year)
            first = min(first, max(_MIN_YEAR, year - _MARGIN_YEARS))
            last = max(last, min(_MAX_YEAR, year + _MARGIN_YEARS))
            while True:
                if (first, last) != self._years:
                    self._build(first, last)
                base, prefix, work = self._st
                i = ordinal - base + 1
                if not 0 <= i < len(prefix):
                    raise ValueError(f"{ordinal} is outside the supported range of dates")
                if extra_working_days <= 0 or prefix[i] + extra_working_days - 1 < len(work):
                    return
                if last >= _MAX_YEAR:
                    raise ValueError("the result is outside the supported range of dates")
                last = min(_MAX_YEAR, last + max(_MARGIN_YEARS, extra_working_days // 200 + 2))

    # ---------------------------------------------------------------- ordinal core

    def _upto(self, ordinal: int) -> int:
        """Number of working days on or before `ordinal` (within the covered range)."""
        base, prefix, _ = self._st
        i = ordinal - base + 1
        if 0 <= i < len(prefix):
            return prefix[i]
        self._ensure(ordinal)
        return self._upto(ordinal)

    def _add(self, ordinal: int, n: int) -> int:
        """Ordinal of the n-th working day strictly after `ordinal` (n >= 1)."""
        base, prefix, work = self._st
        i = ordinal - base + 1
        if 0 <= i < len(prefix):
            j = prefix[i] + n - 1
            if j < len(work):
                return work[j]
        self._ensure(ordinal, n)
        return self._add(ordinal, n)

    def _between(self, start: int, end: int) -> int:
        """Working days d with start < d <= end."""
        if end <= start:
            return 0
        base, prefix, _ = self._st
        i = start - base + 1
        k = end - base + 1
        if 0 <= i and k < len(prefix):
            return prefix[k] - prefix[i]
        self._ensure(start)
        self._ensure(end)
        return self._between(start, end)

    def _working(self, ordinal: int) -> bool:
        base, prefix, _ = self._st
        i = ordinal - base
        if 0 <= i and i + 1 < len(prefix):
            return prefix[i + 1] != prefix[i]
        self._ensure(ordinal)
        return self._working(ordinal)

    # ---------------------------------------------------------------- public API

    def is_working_day(self, d: date) -> bool:
        return self._working(d.toordinal())

    def why_not_working(self, d: date) -> str | None:
        """Why `d` is not a working day ("Saturday", "Easter Monday (England, ...)",
        "Office closure: ..."), or None when it is one."""
        ordinal = d.toordinal()
        if self._working(ordinal):
            return None
        weekday = (ordinal - 1) % 7
        if weekday >= 5:
            return _WEEKDAY_NAMES[weekday]
        holidays, closures, removed = self._info
        if ordinal in holidays and ordinal not in removed:
            return holidays[ordinal]
        return CLOSURE_REASON_PREFIX + closures[ordinal]

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start`; `start` itself when n == 0."""
        if n == 0:
            return start
        if n < 0:
            raise ValueError("n must not be negative")
        return date.fromordinal(self._add(start.toordinal(), n))

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days d with start < d <= end (0 when end <= start)."""
        return self._between(start.toordinal(), end.toordinal())

    def skipped_days(self, start: date, end: date) -> list[SkippedDay]:
        """The non-working days d with start < d <= end, each with its reason."""
        out = []
        day = start + timedelta(days=1)
        while day <= end:
            reason = self.why_not_working(day)
            if reason is not None:
                out.append(SkippedDay(day, reason))
            day += timedelta(days=1)
        return out

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return date.fromordinal(self._add(d.toordinal(), 1))

    def previous_or_same_working_day(self, d: date) -> date:
        ordinal = d.toordinal()
        k = self._upto(ordinal)
        if k == 0:
            self._ensure(ordinal - 3660)
            k = self._upto(ordinal)
        return date.fromordinal(self._st[2][k - 1])


_BASE_CALENDARS: dict[CalendarName, WorkingCalendar] = {}
_BASE_LOCK = threading.Lock()


def statutory_calendar(name: CalendarName) -> WorkingCalendar:
    """The shared calendar `name` without admin overrides."""
    cal = _BASE_CALENDARS.get(name)
    if cal is None:
        with _BASE_LOCK:
            cal = _BASE_CALENDARS.get(name)
            if cal is None:
                cal = _BASE_CALENDARS[name] = WorkingCalendar(name)
    return cal


@lru_cache(maxsize=64)
def _calendar_with(name: CalendarName, overrides: frozenset[ClosureOverride]) -> WorkingCalendar:
    return WorkingCalendar(name, overrides)


def get_calendar(name: CalendarName | str, overrides: Iterable[ClosureOverride] = ()) -> WorkingCalendar:
    """The shared calendar for `name` with the overrides that apply to it.

    Cached per (name, overrides); overrides for the other calendar are left out of
    the key, so a Scotland-only closure does not rebuild the UK calendar.
    """
    name = CalendarName(name)
    relevant = frozenset(o for o in overrides if o.calendar is None or o.calendar is name)
    if not relevant:
        return statutory_calendar(name)
    return _calendar_with(name, relevant)


def format_uk_date(d: date | None) -> str:
    """`Mon 2 Mar 2026`, independent of the locale; "" for None."""
    if d is None:
        return ""
    return f"{_DAY_ABBR[d.weekday()]} {d.day} {_MONTH_ABBR[d.month]} {d.year}"
