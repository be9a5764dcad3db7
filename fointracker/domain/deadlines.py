"""Statutory deadlines for UK information requests (FOIA, EIR, FOISA, EISR).

Pure module: no Flask, no database. DESIGN.md section 2 is the specification; the
choices this module makes where the law leaves room are listed here so that the
code, the tests and the UI all say the same thing.

Counting
    The day of receipt is day 0 and day 1 is the first working day after it
    (FOIA s.10(1) "the twentieth working day following the date of receipt";
    ICO LTT47; WhatDoTheyKnow). A receipt on a non-working day therefore gives
    the same due date as a receipt on the working day before it.
    ``Deadlines.deferred_receipt_due`` is the date a council gets if it instead
    deems such a receipt to arrive on the next working day (2018 Code of
    Practice wording): one working day later. Chase only after that date.

Calendars
    FOIA and EIR: Saturdays, Sundays, Christmas Day and a bank holiday in *any*
    part of the United Kingdom (FOIA s.10(6), EIR reg 2(1)): the union of the
    England, Wales, Scotland and Northern Ireland holidays of the ``holidays``
    package. FOISA and EISR: the same with Scotland's bank holidays only
    (FOISA s.73). Christmas Day is always a non-working day.

Clarification
    ``ClockEvents.clarification_received`` (the latest one) becomes day 0 and the
    20 working days start again (FOIA s.1(3), FOISA s.1(3)). A date before the
    receipt is ignored with a warning.

Fees (FOIA s.9 and s.10(2))
    The working days from the day the fees notice is given to the day the fee is
    received, inclusive, are disregarded. Only working days after day 0 can be
    disregarded, and a notice given after the date the response would otherwise
    be due does not move it (the notice must be given within the time for
    compliance; a late notice does not cure a breach). So for one paid pause with
    its notice on or before the otherwise-due date D, the new date is exactly
    ``add_working_days(D, p)`` where p is the number of working days in
    [notice, fee received] after day 0. While a fee is unpaid (and its notice was
    given in time) the clock is paused: ``response_due`` is None and
    ``paused`` is True. The same rule is applied under every regime.

Extensions
    * EIR/EISR reg 7 (``eir_extended``): 40 working days instead of 20. Ignored
      with a warning under FOIA and FOISA.
    * ``extension_working_days``: that many working days added after the due
      date (the EIR-extended one if any).
    * ``extension_claimed_due``: the date the authority says it will answer by;
      it becomes the due date when later.
    * FOIA s.10(3) has no fixed limit ("such time as is reasonable"): the claim
      stands, with a warning when it goes beyond 40 working days in total
      (the ICO expects no more than 20 extra working days).
    * EIR/EISR allow at most 40 working days (reg 7): a later claim is held at
      the 40th working day, with a warning.
    * FOISA has no extension of any kind: claims and extension days are ignored
      with a warning, and the statutory date stands.
    ``statutory_due`` is always the plain 20-working-day date (after
    clarification and fee pauses); ``response_due`` includes the extensions.

Internal review (day 0 is the day the review request was received)
    FOIA: 20 working days (s.45 Code of Practice), 40 when ``review_extended``.
    EIR: 40 working days (reg 11(4) is itself 40; ``review_extended`` changes
    nothing). FOISA s.21(1) and EISR reg 16(4): 20 working days, statutory, no
    extension (``review_extended`` is ignored with a warning).

Very overdue
    ``very_overdue`` is the 20th working day after ``response_due``: the last day
    that is merely overdue. A request is VERY_OVERDUE on the days *after* it.
    This reproduces Alaveteli's "very overdue after 2007-12-10" for a request
    sent on Sunday 2007-10-14 (due 2007-11-09; St Andrew's Day, Friday 30 Nov
    2007, is skipped on the UK calendar).

Deadline state (``deadline_state``)
    PAUSED when there is no due date; VERY_OVERDUE when today > very_overdue;
    OVERDUE when today > due; DUE_TODAY when today == due (so a request on its
    due date is never missing from both the awaiting and the overdue lists);
    DUE_SOON when the due date is at most N working days after today; else
    ON_TIME.

Holidays
    From the ``holidays`` package, including substitute days and one-off
    proclaimed holidays (e.g. the 2022 state funeral; Scotland's 15 June 2026
    holiday, which FOIA counts too, as a bank holiday in a part of the UK).
    Admins change a calendar with ``ClosureOverride``; ``get_calendar`` returns
    the shared calendar for a set of overrides.

Performance
    Each calendar keeps a sorted list of working-day ordinals and a prefix count
    indexed by date ordinal (1990-2080, extended on demand), so adding or counting
    working days is two list look-ups. ``compute_deadlines`` has an inline fast path
    for requests without clarification, fee or extension, and builds ``Deadlines``
    without the frozen-dataclass ``__init__``. The explanation is built only when
    ``Deadlines.explain()`` is called.
"""
from __future__ import annotations

import calendar as _stdcalendar
import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import lru_cache

__all__ = [
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

TIME_LIMIT_WORKING_DAYS = 20
# The years a date given to the calculator may fall in: a deadline near year 9999 would
# overflow Python's dates, and nothing real lies outside these.
CALCULABLE_YEARS = range(1900, 2200)
EXTENDED_LIMIT_WORKING_DAYS = 40
VERY_OVERDUE_WORKING_DAYS = 20
FOIA_PI_EXTENSION_EXPECTED_WORKING_DAYS = 20
REVIEW_REQUEST_WINDOW_WORKING_DAYS = 40


# --------------------------------------------------------------------------- regimes


class Regime(str, enum.Enum):
    FOIA = "foia"
    EIR = "eir"
    FOISA = "foisa"
    EISR = "eisr"

    @property
    def label(self) -> str:
        """Short name: FOIA, EIR, FOISA, EISR."""
        return self.value.upper()

    @property
    def act(self) -> str:
        return _REGIME_ACTS[self]

    @property
    def is_scottish(self) -> bool:
        return self is Regime.FOISA or self is Regime.EISR

    @property
    def is_environmental(self) -> bool:
        return self is Regime.EIR or self is Regime.EISR

    @property
    def calendar_name(self) -> CalendarName:
        return _REGIME_CALENDAR[self]


_REGIME_ACTS = {
    Regime.FOIA: "Freedom of Information Act 2000",
    Regime.EIR: "Environmental Information Regulations 2004",
    Regime.FOISA: "Freedom of Information (Scotland) Act 2002",
    Regime.EISR: "Environmental Information (Scotland) Regulations 2004",
}


class CalendarName(str, enum.Enum):
    UK = "uk"
    SCOTLAND = "scotland"

    @property
    def label(self) -> str:
        """What the calendar excludes, for the UI."""
        return _CALENDAR_LABELS[self]

    @property
    def short_label(self) -> str:
        return "UK" if self is CalendarName.UK else "Scotland"


_CALENDAR_LABELS = {
    CalendarName.UK: "UK: weekends, Christmas Day and bank holidays in any part of the UK",
    CalendarName.SCOTLAND: "Scotland: weekends, Christmas Day and Scottish bank holidays",
}

_REGIME_CALENDAR = {
    Regime.FOIA: CalendarName.UK,
    Regime.EIR: CalendarName.UK,
    Regime.FOISA: CalendarName.SCOTLAND,
    Regime.EISR: CalendarName.SCOTLAND,
}


def calendar_name_for(regime: Regime | str) -> CalendarName:
    return _REGIME_CALENDAR[Regime(regime)]


# --------------------------------------------------------------------------- calendars

_NATIONS = (("ENG", "England"), ("WLS", "Wales"), ("SCT", "Scotland"), ("NIR", "Northern Ireland"))
_CALENDAR_SUBDIVISIONS = {
    CalendarName.UK: _NATIONS,
    CalendarName.SCOTLAND: (("SCT", "Scotland"),),
}
_FIRST_YEAR = 1990
_LAST_YEAR = 2080
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ClosureOverride:
    """An admin's change to a calendar.

    ``remove=False``: an extra closure day (a non-working day).
    ``remove=True``: a bank holiday declared a working day. Weekends and Christmas
    Day are non-working by statute and cannot be removed (such overrides are
    listed in ``WorkingCalendar.ignored_overrides``). When one day has both an
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


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str


@lru_cache(maxsize=32)
def _holiday_reasons(name: CalendarName, first_year: int, last_year: int) -> dict[int, str]:
    """{date ordinal: "Easter Monday (England, Wales, Northern Ireland)"} for the years."""
    import holidays as holidays_package  # imported lazily: it is the slow part of start-up

    years = range(first_year, last_year + 1)
    nations = _CALENDAR_SUBDIVISIONS[name]
    table: dict[int, dict[str, list[str]]] = {}
    for code, nation in nations:
        for day, names in holidays_package.UK(subdiv=code, years=years).items():
            entry = table.setdefault(day.toordinal(), {})
            for holiday_name in names.split("; "):
                entry.setdefault(holiday_name.strip(), []).append(nation)
    all_nations = [nation for _, nation in nations]
    for year in years:  # Christmas Day is a non-working day by statute, whatever the package says
        entry = table.setdefault(date(year, 12, 25).toordinal(), {})
        if not any(holiday_name.startswith("Christmas Day") for holiday_name in entry):
            entry["Christmas Day"] = list(all_nations)
    return {
        ordinal: "; ".join(f"{holiday_name} ({', '.join(where)})" for holiday_name, where in entry.items())
        for ordinal, entry in table.items()
    }


def _is_weekend(ordinal: int) -> bool:
    return (ordinal - 1) % 7 >= 5  # ordinal 1 (1 Jan 0001) was a Monday


class WorkingCalendar:
    """Working days under one of the two statutory calendars, with admin overrides.

    Instances are immutable from the outside and shared (see ``get_calendar``);
    the covered range of years grows on demand behind a lock.
    """

    def __init__(self, name: CalendarName | str, overrides: Iterable[ClosureOverride] = ()):
        self.name = CalendarName(name)
        self.overrides = frozenset(
            o for o in overrides if o.calendar is None or o.calendar is self.name
        )
        self._lock = threading.Lock()
        self._years = (0, -1)
        self._st: tuple[int, list[int], list[int]] = (0, [0], [])
        self._info: tuple[dict[int, str], dict[int, str], dict[int, str]] = ({}, {}, {})
        self.ignored_overrides: tuple[ClosureOverride, ...] = ()
        self._build(_FIRST_YEAR, _LAST_YEAR)

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.name.value} overrides={len(self.overrides)}>"

    # ---------------------------------------------------------------- building

    def _build(self, first_year: int, last_year: int) -> None:
        holidays = _holiday_reasons(self.name, first_year, last_year)
        base = date(first_year, 1, 1).toordinal()
        end = date(last_year + 1, 1, 1).toordinal()
        closures: dict[int, str] = {}
        removed: dict[int, str] = {}
        ignored = []
        for override in sorted(self.overrides, key=lambda o: (o.day, o.remove, o.name)):
            ordinal = override.day.toordinal()
            if not override.remove:
                closures[ordinal] = override.name
            elif (
                ordinal in holidays
                and not _is_weekend(ordinal)
                and not (override.day.month == 12 and override.day.day == 25)
            ):
                removed[ordinal] = override.name
            else:
                ignored.append(override)
        for ordinal in closures:
            removed.pop(ordinal, None)
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
        self.ignored_overrides = tuple(ignored)
        self._info = (holidays, closures, removed)
        self._years = (first_year, last_year)
        self._st = (base, prefix, work)  # assigned last, in one step: readers see old or new

    def _ensure(self, ordinal: int, extra_working_days: int = 0) -> None:
        """Cover `ordinal` and at least `extra_working_days` working days after it."""
        with self._lock:
            year = date.fromordinal(max(1, min(ordinal, date.max.toordinal()))).year
            first, last = self._years
            first = min(first, max(1, year - 5))
            last = max(last, min(9998, year + 5))
            while True:
                if (first, last) != self._years:
                    self._build(first, last)
                base, prefix, work = self._st
                i = ordinal - base + 1
                if not 0 <= i < len(prefix):
                    raise ValueError(f"{ordinal} is outside the supported range of dates")
                if extra_working_days <= 0 or prefix[i] + extra_working_days - 1 < len(work):
                    return
                if last >= 9998:
                    raise ValueError("the result is outside the supported range of dates")
                last = min(9998, last + max(10, extra_working_days // 200 + 2))

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
        return f"Office closure: {closures[ordinal]}"

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


def _base_calendar(name: CalendarName) -> WorkingCalendar:
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
        return _base_calendar(name)
    return _calendar_with(name, relevant)


# --------------------------------------------------------------------------- events and results


@dataclass(frozen=True)
class ClockEvents:
    """What has happened to a request that moves its clock. All dates are the dates
    the authority received (or gave) the thing."""

    clarification_received: date | None = None
    fee_pauses: tuple[tuple[date, date | None], ...] = ()
    eir_extended: bool = False
    extension_working_days: int = 0
    extension_claimed_due: date | None = None
    review_requested: date | None = None
    review_extended: bool = False

    def __post_init__(self):
        if not isinstance(self.fee_pauses, tuple) or any(not isinstance(p, tuple) for p in self.fee_pauses):
            object.__setattr__(self, "fee_pauses", tuple(tuple(p) for p in self.fee_pauses))
        for pause in self.fee_pauses:
            if len(pause) != 2 or pause[0] is None:
                raise ValueError(f"a fee pause is (notice given, fee received or None), not {pause!r}")
        if self.extension_working_days < 0:
            raise ValueError("extension_working_days must not be negative")


NO_EVENTS = ClockEvents()


@dataclass(frozen=True)
class CountedDay:
    number: int
    day: date


@dataclass(frozen=True)
class ExplanationSegment:
    """A run of days from `first` to `last` inclusive: what counted and what did not."""

    title: str
    first: date
    last: date
    counted: tuple[CountedDay, ...]
    skipped: tuple[SkippedDay, ...]


@dataclass(frozen=True)
class Explanation:
    regime: Regime
    calendar_name: CalendarName
    segments: tuple[ExplanationSegment, ...]
    lines: tuple[str, ...]

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Deadlines:
    regime: Regime
    calendar_name: CalendarName
    received: date
    clock_start: date  # day 0: the receipt, or the latest clarification
    statutory_due: date | None  # 20 working days (after clarification and fee pauses)
    response_due: date | None  # after extensions; None while paused
    deferred_receipt_due: date | None  # as the council counts if it defers a non-working-day receipt
    very_overdue: date | None  # last day that is merely overdue
    review_due: date | None
    paused: bool
    warnings: tuple[str, ...] = ()
    events: ClockEvents = field(default=NO_EVENTS, repr=False, compare=False)
    calendar: WorkingCalendar | None = field(default=None, repr=False, compare=False)

    def explain(self) -> Explanation:
        """Day-by-day account of how the dates were reached (computed on demand)."""
        return _explain(self)

    def state(self, today: date, *, deferred: bool = False, due_soon_working_days: int = 5) -> DeadlineState:
        """`deadline_state` for the response; with deferred=True for the deferred-receipt date
        (what to use before chasing)."""
        due = self.deferred_receipt_due if deferred else self.response_due
        very = self.very_overdue
        if deferred and due is not None and self.response_due is not None and due != self.response_due:
            very = self._calendar()._add(due.toordinal(), VERY_OVERDUE_WORKING_DAYS)
            very = date.fromordinal(very)
        return deadline_state(today, due, very, self._calendar(), due_soon_working_days)

    def _calendar(self) -> WorkingCalendar:
        return self.calendar if self.calendar is not None else _base_calendar(self.calendar_name)


# --------------------------------------------------------------------------- computing


def _due_after(cal: WorkingCalendar, start: int, n: int, pauses: list[tuple[int, int | None]]) -> int | None:
    """Ordinal of the n-th counted working day after day 0 = `start`, where working days
    inside a fee pause (inclusive) do not count; None while an unpaid pause holds the clock."""
    if not pauses:
        return cal._add(start, n)
    pos = start
    remaining = n
    for notice, paid in pauses:
        if paid is not None and paid <= pos:
            continue
        if notice > pos + 1:
            available = cal._between(pos, notice - 1)
            if available >= remaining:
                break  # due before this pause began: it does not move the date
            remaining -= available
        if paid is None:
            return None
        pos = paid
    return cal._add(pos, remaining)


def _normal_pauses(fee_pauses, warnings: list[str] | None) -> list[tuple[int, int | None]]:
    out = []
    for notice, paid in fee_pauses:
        if paid is not None and paid < notice:
            if warnings is not None:
                warnings.append(
                    f"Fee pause ignored: the fee received date {format_uk_date(paid)} is before "
                    f"the notice date {format_uk_date(notice)}."
                )
            continue
        out.append((notice.toordinal(), None if paid is None else paid.toordinal()))
    out.sort(key=lambda p: p[0])
    return out


def _extended_due(regime, cal, start, statutory, pauses, ev, warnings):
    """Apply the extensions in `ev` to the statutory date; returns the response due ordinal."""
    due = statutory
    limit = None
    if ev.eir_extended:
        if regime.is_environmental:
            limit = _due_after(cal, start, EXTENDED_LIMIT_WORKING_DAYS, pauses)
            due = limit
        elif warnings is not None:
            warnings.append(
                f"The 40-working-day extension (EIR reg 7) does not apply to {regime.label} "
                "requests; it has been ignored."
            )
    n = ev.extension_working_days
    claimed = ev.extension_claimed_due
    if regime is Regime.FOISA:
        if (n or claimed is not None) and warnings is not None:
            what = []
            if n:
                what.append(f"an extension of {n} working days")
            if claimed is not None:
                what.append(f"an extension to {format_uk_date(claimed)}")
            warnings.append(
                "FOISA has no public-interest (or any other) extension: "
                + " and ".join(what)
                + f" cannot move the deadline, which stays {format_uk_date(date.fromordinal(due))}."
            )
        return due
    if n:
        due = cal._add(due, n)
    if claimed is not None:
        c = claimed.toordinal()
        if c > due:
            due = c
    if regime.is_environmental:
        if due != statutory and due != limit:
            if limit is None:
                limit = _due_after(cal, start, EXTENDED_LIMIT_WORKING_DAYS, pauses)
            if due > limit:
                if warnings is not None:
                    warnings.append(
                        f"{regime.label} reg 7 allows at most 40 working days: the extension to "
                        f"{format_uk_date(date.fromordinal(due))} is beyond that, so the response is due "
                        f"by {format_uk_date(date.fromordinal(limit))}."
                    )
                due = limit
    elif due != statutory and warnings is not None:
        expected = cal._add(statutory, FOIA_PI_EXTENSION_EXPECTED_WORKING_DAYS)
        if due > expected:
            extra = cal._between(statutory, due)
            warnings.append(
                f"The extension to {format_uk_date(date.fromordinal(due))} goes beyond 40 working days in "
                f"total ({extra} working days past the statutory date); the ICO expects a public-interest "
                "extension (FOIA s.10(3)) of no more than 20 working days."
            )
    return due


def _review_working_days(regime: Regime, extended: bool, warnings: list[str] | None) -> int:
    if regime is Regime.FOIA:
        return EXTENDED_LIMIT_WORKING_DAYS if extended else TIME_LIMIT_WORKING_DAYS
    if regime is Regime.EIR:
        return EXTENDED_LIMIT_WORKING_DAYS  # reg 11(4)
    if extended and warnings is not None:
        rule = "FOISA s.21(1)" if regime is Regime.FOISA else "EISR reg 16(4)"
        warnings.append(
            f"{rule} gives 20 working days for a review with no extension; the review is due "
            "20 working days after the request for it."
        )
    return TIME_LIMIT_WORKING_DAYS


def compute_deadlines(
    regime: Regime | str,
    received: date,
    events: ClockEvents = NO_EVENTS,
    calendar: WorkingCalendar | None = None,
) -> Deadlines:
    """Every deadline of one request. `calendar` defaults to the regime's statutory
    calendar without overrides (pass ``get_calendar(name, overrides)`` to use them)."""
    if regime.__class__ is not Regime:
        regime = Regime(regime)
    if received.__class__ is not date:
        if isinstance(received, datetime):
            received = received.date()
        elif not isinstance(received, date):
            raise TypeError(f"received must be a date, not {type(received).__name__}")
    cal_name = _REGIME_CALENDAR[regime]
    cal = (_BASE_CALENDARS.get(cal_name) or _base_calendar(cal_name)) if calendar is None else calendar
    ev = events

    # Fast path (most open requests): no clarification, fee or extension; all look-ups inline.
    if cal.name is cal_name and (
        ev is NO_EVENTS
        or (
            ev.clarification_received is None
            and not ev.fee_pauses
            and not ev.eir_extended
            and not ev.extension_working_days
            and ev.extension_claimed_due is None
        )
    ):
        base, prefix, work = cal._st
        i = received.toordinal() - base
        if 0 <= i and i + 1 < len(prefix):
            k = prefix[i + 1]  # working days on or before the receipt
            j = k + (TIME_LIMIT_WORKING_DAYS - 1)
            if j + VERY_OVERDUE_WORKING_DAYS + 1 < len(work):
                due = _fromordinal(work[j])
                # receipt on a non-working day: the deferred count ends one working day later
                deferred = due if k != prefix[i] else _fromordinal(work[j + 1])
                review_due = None
                warnings = ()
                if ev.review_requested is not None:
                    notes: list[str] = []
                    days = _review_working_days(regime, ev.review_extended, notes)
                    review_due = _fromordinal(cal._add(ev.review_requested.toordinal(), days))
                    warnings = tuple(notes)
                return _new_deadlines(
                    regime, cal_name, received, received, due, due, deferred,
                    _fromordinal(work[j + VERY_OVERDUE_WORKING_DAYS]), review_due, False, warnings, ev, cal,
                )

    warnings: list[str] = []
    if cal.name is not cal_name:
        warnings.append(
            f"This {regime.label} request is counted on the {cal.name.value} calendar, "
            f"not the statutory {cal_name.value} one."
        )
    r = received.toordinal()
    start = r
    clock_start = received
    if ev.clarification_received is not None:
        c = ev.clarification_received.toordinal()
        if c >= r:
            start = c
            clock_start = date.fromordinal(c)
        else:
            warnings.append(
                f"The clarification date {format_uk_date(ev.clarification_received)} is before the "
                "request was received; it has been ignored."
            )
    pauses = _normal_pauses(ev.fee_pauses, warnings) if ev.fee_pauses else []
    simple = not (ev.eir_extended or ev.extension_working_days or ev.extension_claimed_due is not None)

    statutory = _due_after(cal, start, TIME_LIMIT_WORKING_DAYS, pauses)
    if statutory is None:
        statutory_due = response_due = deferred_due = very_overdue = None
        paused = True
    else:
        paused = False
        due = statutory if simple else _extended_due(regime, cal, start, statutory, pauses, ev, warnings)
        if cal._working(start):
            deferred = due
        else:
            # The council deems receipt on the next working day: count again from there.
            next_start = cal._add(start, 1)
            if simple and not pauses:
                deferred = cal._add(due, 1)
            else:
                deferred_statutory = _due_after(cal, next_start, TIME_LIMIT_WORKING_DAYS, pauses)
                if deferred_statutory is None:
                    deferred = due
                elif simple:
                    deferred = deferred_statutory
                else:
                    deferred = _extended_due(regime, cal, next_start, deferred_statutory, pauses, ev, None)
                    if deferred < due:
                        deferred = due
        statutory_due = date.fromordinal(statutory)
        response_due = statutory_due if due == statutory else date.fromordinal(due)
        deferred_due = response_due if deferred == due else date.fromordinal(deferred)
        very_overdue = date.fromordinal(cal._add(due, VERY_OVERDUE_WORKING_DAYS))

    review_due = None
    if ev.review_requested is not None:
        days = _review_working_days(regime, ev.review_extended, warnings)
        review_due = date.fromordinal(cal._add(ev.review_requested.toordinal(), days))

    return _new_deadlines(
        regime,
        cal_name,
        received,
        clock_start,
        statutory_due,
        response_due,
        deferred_due,
        very_overdue,
        review_due,
        paused,
        tuple(warnings) if warnings else (),
        ev,
        cal,
    )


_fromordinal = date.fromordinal
_object_new = object.__new__


def _new_deadlines(
    regime, calendar_name, received, clock_start, statutory_due, response_due, deferred_receipt_due,
    very_overdue, review_due, paused, warnings, events, calendar,
) -> Deadlines:
    """Deadlines(...) without the frozen dataclass __init__ (one object.__setattr__ per
    field): about three times faster, and compute_deadlines makes a lot of these."""
    obj = _object_new(Deadlines)
    obj.__dict__.update(
        regime=regime, calendar_name=calendar_name, received=received, clock_start=clock_start,
        statutory_due=statutory_due, response_due=response_due, deferred_receipt_due=deferred_receipt_due,
        very_overdue=very_overdue, review_due=review_due, paused=paused, warnings=warnings,
        events=events, calendar=calendar,
    )
    return obj


assert [f.name for f in fields(Deadlines)] == list(_new_deadlines.__code__.co_varnames[:13]), \
    "_new_deadlines must set every field of Deadlines"


# --------------------------------------------------------------------------- explanation


def _explain(d: Deadlines) -> Explanation:
    cal = d._calendar()
    ev = d.events
    fmt = format_uk_date
    lines: list[str] = []
    segments: list[ExplanationSegment] = []
    environmental_extension = ev.eir_extended and d.regime.is_environmental
    target = EXTENDED_LIMIT_WORKING_DAYS if environmental_extension else TIME_LIMIT_WORKING_DAYS

    lines.append(
        f"{d.regime.label} ({d.regime.act}): {TIME_LIMIT_WORKING_DAYS} working days"
        + (" extended to 40 (reg 7)" if environmental_extension else "")
        + f". Calendar: {d.calendar_name.label}."
    )
    lines.append(f"Request received {fmt(d.received)}.")
    if d.clock_start != d.received:
        lines.append(f"Clarification received {fmt(d.clock_start)}: the count starts again from there.")
    lines.append(f"Day 0 is {fmt(d.clock_start)}; day 1 is the next working day.")

    pauses = [
        (date.fromordinal(a), None if b is None else date.fromordinal(b))
        for a, b in _normal_pauses(ev.fee_pauses, None)
    ]

    def pause_for(day: date):
        for notice, paid in pauses:
            if notice <= day and (paid is None or day <= paid):
                return (notice, paid)
        return None

    # Walk day by day; a new segment starts on entering or leaving a fee pause, and
    # when the count passes day 20 into the reg 7 extension.
    seg_title_kind = None  # ("count", first_number) or ("pause", (notice, paid))
    seg_first = None
    counted: list[CountedDay] = []
    skipped: list[SkippedDay] = []
    last_day = d.clock_start
    count = 0

    def close_segment(last: date):
        nonlocal seg_title_kind, seg_first, counted, skipped
        if seg_title_kind is None:
            return
        kind, info = seg_title_kind
        if kind == "pause":
            notice, paid = info
            title = (
                f"Fee pause: notice given {fmt(notice)}, "
                + (f"fee received {fmt(paid)}" if paid else "fee not yet received")
                + " (working days disregarded)"
            )
        elif counted:
            lo, hi = counted[0].number, counted[-1].number
            title = f"Working days {lo}–{hi}" if lo != hi else f"Working day {lo}"
            if lo > TIME_LIMIT_WORKING_DAYS:
                title += " (reg 7 extension)"
        else:
            title = "Non-working days"
        segments.append(ExplanationSegment(title, seg_first, last, tuple(counted), tuple(skipped)))
        lines.append(title + ":")
        for item in sorted([*counted, *skipped], key=lambda x: x.day):
            if isinstance(item, CountedDay):
                lines.append(f"  day {item.number}: {fmt(item.day)}")
            else:
                lines.append(f"  skipped {fmt(item.day)}: {item.reason}")
        seg_title_kind, seg_first, counted, skipped = None, None, [], []

    paused_at = None
    day = d.clock_start
    while count < target:
        day = day + timedelta(days=1)
        pause = pause_for(day)
        if pause is not None and pause[1] is None and cal.is_working_day(day):
            paused_at = pause
            close_segment(last_day)
            break
        kind = ("pause", pause) if pause is not None else (
            "count", "ext" if count >= TIME_LIMIT_WORKING_DAYS else "base"
        )
        if seg_title_kind is None or seg_title_kind[0] != kind[0] or (
            kind[0] == "pause" and seg_title_kind[1] != kind[1]
        ) or (kind[0] == "count" and seg_title_kind[1] != kind[1] and cal.is_working_day(day)):
            close_segment(last_day)
            seg_title_kind, seg_first = kind, day
        reason = cal.why_not_working(day)
        if reason is not None:
            skipped.append(SkippedDay(day, reason))
        elif pause is not None:
            notice, paid = pause
            skipped.append(SkippedDay(day, f"Fee pause (notice given {fmt(notice)}, fee received {fmt(paid)})"))
        else:
            count += 1
            counted.append(CountedDay(count, day))
        last_day = day
    else:
        close_segment(last_day)

    if paused_at is not None:
        lines.append(
            f"Paused: fees notice given {fmt(paused_at[0])}, fee not yet received; "
            f"{count} working days counted so far, {TIME_LIMIT_WORKING_DAYS - count} to go once it is paid."
        )
        segments.append(ExplanationSegment(
            f"Paused since {fmt(paused_at[0])}: fee not yet received", paused_at[0], paused_at[0], (), ()
        ))
    else:
        walked_to = last_day
        n = ev.extension_working_days
        if n and d.regime is not Regime.FOISA:
            first = walked_to + timedelta(days=1)
            ext_counted, ext_skipped = [], []
            for i in range(1, n + 1):
                nxt = cal.next_working_day(walked_to)
                ext_skipped.extend(cal.skipped_days(walked_to, nxt - timedelta(days=1)))
                ext_counted.append(CountedDay(count + i, nxt))
                walked_to = nxt
            title = f"Extension of {n} working days"
            segments.append(ExplanationSegment(title, first, walked_to, tuple(ext_counted), tuple(ext_skipped)))
            lines.append(title + ":")
            for item in sorted([*ext_counted, *ext_skipped], key=lambda x: x.day):
                if isinstance(item, CountedDay):
                    lines.append(f"  extension day {item.number - count}: {fmt(item.day)}")
                else:
                    lines.append(f"  skipped {fmt(item.day)}: {item.reason}")
        lines.append(f"Statutory due date: {fmt(d.statutory_due)}.")
        if ev.extension_claimed_due is not None and d.regime is not Regime.FOISA:
            lines.append(f"The authority claimed an extension to {fmt(ev.extension_claimed_due)}.")
        lines.append(f"Response due by: {fmt(d.response_due)}.")
        if d.deferred_receipt_due != d.response_due:
            lines.append(
                f"Day 0 was not a working day: a council that deems the request received on the next "
                f"working day counts to {fmt(d.deferred_receipt_due)}; do not chase before then."
            )
        lines.append(f"Very overdue after {fmt(d.very_overdue)} (20 working days past the due date).")
    if d.review_due is not None:
        days = cal.working_days_between(ev.review_requested, d.review_due)
        lines.append(
            f"Internal review requested {fmt(ev.review_requested)}: due by {fmt(d.review_due)} "
            f"({days} working days)."
        )
    for warning in d.warnings:
        lines.append(f"Warning: {warning}")
    return Explanation(d.regime, d.calendar_name, tuple(segments), tuple(lines))


# --------------------------------------------------------------------------- state and helpers


class DeadlineState(str, enum.Enum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    VERY_OVERDUE = "very_overdue"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def deadline_state(
    today: date,
    response_due: date | None,
    very_overdue: date | None,
    calendar: WorkingCalendar | None = None,
    due_soon_working_days: int = 5,
) -> DeadlineState:
    """Where a deadline stands on `today`.

    PAUSED: no due date. VERY_OVERDUE: today > very_overdue (the very_overdue date
    itself is only OVERDUE, as in "very overdue after ..."). OVERDUE: today > due.
    DUE_TODAY: today == due. DUE_SOON: the due date is at most
    `due_soon_working_days` working days after today. ON_TIME otherwise.
    `calendar` defaults to the UK calendar.
    """
    if response_due is None:
        return DeadlineState.PAUSED
    if very_overdue is not None and today > very_overdue:
        return DeadlineState.VERY_OVERDUE
    if today > response_due:
        return DeadlineState.OVERDUE
    if today == response_due:
        return DeadlineState.DUE_TODAY
    cal = calendar if calendar is not None else _base_calendar(CalendarName.UK)
    if cal.working_days_between(today, response_due) <= due_soon_working_days:
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TIME


def format_uk_date(d: date | None) -> str:
    """`Mon 2 Mar 2026`, independent of the locale; "" for None."""
    if d is None:
        return ""
    return f"{_DAY_ABBR[d.weekday()]} {d.day} {_MONTH_ABBR[d.month]} {d.year}"


def review_request_deadline(
    regime: Regime | str, response_received: date, calendar: WorkingCalendar | None = None
) -> date:
    """Last day to ask for an internal review: 40 working days after the response
    (FOISA s.20(5) and EISR reg 16(2) statutory; EIR reg 11(2); FOIA Code of Practice)."""
    regime = Regime(regime)
    cal = calendar if calendar is not None else _base_calendar(_REGIME_CALENDAR[regime])
    return cal.add_working_days(response_received, REVIEW_REQUEST_WINDOW_WORKING_DAYS)


def complaint_deadline(regime: Regime | str, final_response: date) -> date:
    """Last day to complain to the regulator: the ICO (FOIA, EIR) within six weeks of the
    final response; the Scottish Information Commissioner (FOISA, EISR) within six months
    of the review response (same day number six months later, or the month's last day)."""
    regime = Regime(regime)
    if not regime.is_scottish:
        return final_response + timedelta(weeks=6)
    month = final_response.month + 6
    year = final_response.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(final_response.day, _stdcalendar.monthrange(year, month)[1])
    return date(year, month, day)
