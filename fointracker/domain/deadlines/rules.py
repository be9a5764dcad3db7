"""The deadline rules: when a response (and an internal review) is due, and where a
deadline stands today. The choices made where the law leaves room are listed here so that
the code, the tests and the UI all say the same thing.

Counting
    The day of receipt is day 0 and day 1 is the first working day after it
    (FOIA s.10(1) "the twentieth working day following the date of receipt";
    ICO LTT47; WhatDoTheyKnow). A receipt on a non-working day therefore gives
    the same due date as a receipt on the working day before it.
    ``Deadlines.deferred_receipt_due`` is the date a council gets if it instead
    deems such a receipt to arrive on the next working day (2018 Code of
    Practice wording): one working day later. Chase only after that date.
    Working days are those of the regime's calendar (``calendar.py``).

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
    * A late claim does not move the date: the notice of a s.10(3) extension must
      be given within the 20 working days (FOIA s.17(1)-(2)), and so must an EIR
      reg 7 one (reg 7(3)). When ``ClockEvents.extension_claimed_on`` is after the
      statutory date, every extension above is ignored with a warning:
      ``response_due`` stays the statutory date and a later answer is late. (The
      timeline gives the date of the first claim that extends the response;
      ``services.deadlines.clock_from_timeline``.) A claim on the statutory date
      itself is in time.
    ``statutory_due`` is always the plain 20-working-day date (after
    clarification and fee pauses); ``response_due`` includes the extensions.

Fees that lapse (``fee_lapses_on``)
    FOIA s.9(2) and FOISA s.9(4): the fee must be paid within three months
    beginning with the day the fees notice is given, so an unpaid fee lapses on
    the same day number three months on (the period ends the day before); when
    that month has no such day, on the month's last day (the shorter reading,
    which never keeps a request alive longer than the Act). EIR/EISR say only "a
    reasonable period": the ICO uses 60 working days, so the fee lapses on the
    day after the 60th working day after the notice.

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

Performance
    ``compute_deadlines`` has an inline fast path for requests without
    clarification, fee or extension (two list look-ups in the calendar's tables).
    The day-by-day explanation is built only when ``Deadlines.explain()`` is called.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import calendar as _stdcalendar
import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from ..regimes import CalendarName, Regime
from .calendar import WorkingCalendar, format_uk_date, statutory_calendar

if TYPE_CHECKING:
    from .explanation import Explanation

TIME_LIMIT_WORKING_DAYS = 20
# The years a date given to the calculator may fall in: a deadline near year 9999 would
# overflow Python's dates, and nothing real lies outside these.
CALCULABLE_YEARS = range(1900, 2200)
EXTENDED_LIMIT_WORKING_DAYS = 40
VERY_OVERDUE_WORKING_DAYS = 20
FEE_PAYMENT_MONTHS = 3  # FOIA s.9(2), FOISA s.9(4)
EIR_FEE_PAYMENT_WORKING_DAYS = 60  # "a reasonable period": the ICO's figure
FOIA_PI_EXTENSION_EXPECTED_WORKING_DAYS = 20
REVIEW_REQUEST_WINDOW_WORKING_DAYS = 40


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
    extension_claimed_on: date | None = None  # the day the authority claimed the extension
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


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which makes
# compute_deadlines about a third slower (benchmarks/bench_deadlines.py). Treat it as a value.
@dataclass(slots=True)
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
    extension_late: bool = False  # claimed after the statutory date: recorded, ignored
    events: ClockEvents = field(default=NO_EVENTS, repr=False, compare=False)
    calendar: WorkingCalendar | None = field(default=None, repr=False, compare=False)

    def explain(self) -> Explanation:
        """Day-by-day account of how the dates were reached (computed on demand)."""
        from .explanation import explain  # explanation.py builds on this module

        return explain(self)

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
        return self.calendar if self.calendar is not None else statutory_calendar(self.calendar_name)


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
    cal = calendar if calendar is not None else statutory_calendar(CalendarName.UK)
    if cal.working_days_between(today, response_due) <= due_soon_working_days:
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TIME


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
    cal_name = regime.calendar_name
    cal = statutory_calendar(cal_name) if calendar is None else calendar
    ev = events

    # Fast path (most open requests): no clarification, fee or extension; the calendar's
    # tables read inline (see WorkingCalendar._build).
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
            j = k + (TIME_LIMIT_WORKING_DAYS - 1)  # index in `work` of the due date
            if j + VERY_OVERDUE_WORKING_DAYS < len(work):
                due = date.fromordinal(work[j])
                # receipt on a non-working day: the deferred count ends one working day later
                deferred = due if k != prefix[i] else date.fromordinal(work[j + 1])
                review_due = None
                warnings = []
                if ev.review_requested is not None:
                    days = _review_working_days(regime, ev.review_extended, warnings)
                    review_due = date.fromordinal(cal._add(ev.review_requested.toordinal(), days))
                return Deadlines(
                    regime=regime,
                    calendar_name=cal_name,
                    received=received,
                    clock_start=received,
                    statutory_due=due,
                    response_due=due,
                    deferred_receipt_due=deferred,
                    very_overdue=date.fromordinal(work[j + VERY_OVERDUE_WORKING_DAYS]),
                    review_due=review_due,
                    paused=False,
                    warnings=tuple(warnings),
                    events=ev,
                    calendar=cal,
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
    extension_late = False
    if not simple and statutory is not None and _claimed_late(regime, ev, statutory, warnings):
        simple = extension_late = True
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
    return Deadlines(
        regime=regime,
        calendar_name=cal_name,
        received=received,
        clock_start=clock_start,
        statutory_due=statutory_due,
        response_due=response_due,
        deferred_receipt_due=deferred_due,
        very_overdue=very_overdue,
        review_due=review_due,
        paused=paused,
        warnings=tuple(warnings),
        extension_late=extension_late,
        events=ev,
        calendar=cal,
    )


def _claimed_late(regime: Regime, ev: ClockEvents, statutory: int, warnings: list[str]) -> bool:
    """True when the extension in `ev` was claimed after the statutory date (`statutory`, an
    ordinal): the claim is recorded but does not move the date (FOIA s.17(1)-(2), EIR reg 7(3))."""
    claimed_on = ev.extension_claimed_on
    if claimed_on is None or claimed_on.toordinal() <= statutory or regime is Regime.FOISA:
        return False  # FOISA: no extension at all, which _extended_due already says
    rule = {Regime.FOIA: "FOIA s.17(1)-(2)", Regime.EIR: "EIR reg 7(3)"}.get(regime, f"{regime.label} reg 7")
    warnings.append(
        f"The extension was claimed on {format_uk_date(claimed_on)}, after the statutory due date "
        f"{format_uk_date(date.fromordinal(statutory))}: {rule} requires the notice within the 20 working days. "
        "It is recorded but does not move the date; the request is late."
    )
    return True


def review_request_deadline(
    regime: Regime | str, response_received: date, calendar: WorkingCalendar | None = None
) -> date:
    """Last day to ask for an internal review: 40 working days after the response
    (FOISA s.20(5) and EISR reg 16(2) statutory; EIR reg 11(2); FOIA Code of Practice)."""
    regime = Regime(regime)
    cal = calendar if calendar is not None else statutory_calendar(regime.calendar_name)
    return cal.add_working_days(response_received, REVIEW_REQUEST_WINDOW_WORKING_DAYS)


def complaint_deadline(regime: Regime | str, final_response: date) -> date:
    """Last day to complain to the regulator: the ICO (FOIA, EIR) within six weeks of the
    final response; the Scottish Information Commissioner (FOISA, EISR) within six months
    of the review response (same day number six months later, or the month's last day)."""
    regime = Regime(regime)
    if not regime.is_scottish:
        return final_response + timedelta(weeks=6)
    return _add_months(final_response, 6)


def fee_lapses_on(regime: Regime | str, notice_given: date, calendar: WorkingCalendar | None = None) -> date:
    """The first day on which a fee still unpaid has lapsed (the request need not be answered).

    FOIA s.9(2), FOISA s.9(4): three months beginning with the day the fees notice is given,
    so the same day number three months on (or that month's last day). EIR/EISR: a reasonable
    period, which the ICO takes as 60 working days: the day after the 60th working day.
    `calendar` defaults to the regime's statutory calendar."""
    regime = Regime(regime)
    if not regime.is_environmental:
        return _add_months(notice_given, FEE_PAYMENT_MONTHS)
    cal = calendar if calendar is not None else statutory_calendar(regime.calendar_name)
    return cal.add_working_days(notice_given, EIR_FEE_PAYMENT_WORKING_DAYS) + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    """The same day number `months` later, or that month's last day."""
    month = day.month + months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, _stdcalendar.monthrange(year, month)[1]))
