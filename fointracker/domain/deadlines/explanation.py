"""How a deadline was reached, day by day: the working days counted, the days skipped and
why, in segments (before, during and after a fee pause; the reg 7 extension; an extension
of working days), and the same as text for the command line and the calculator page.

Built on demand by ``Deadlines.explain()``; the rules it retraces are in ``rules.py``.
Pure module: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..regimes import CalendarName, Regime
from .calendar import CLOSURE_REASON_PREFIX, SkippedDay, WorkingCalendar, format_uk_date
from .rules import EXTENDED_LIMIT_WORKING_DAYS, TIME_LIMIT_WORKING_DAYS, Deadlines, _normal_pauses


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


def explain(d: Deadlines) -> Explanation:
    """The day-by-day account of `d` (``Deadlines.explain()``)."""
    cal = d._calendar()
    ev = d.events
    fmt = format_uk_date
    lines: list[str] = []
    segments: list[ExplanationSegment] = []
    # A late claim (d.extension_late) is recorded but moves nothing: count as if there were none.
    extensions_apply = not d.extension_late
    environmental_extension = ev.eir_extended and d.regime.is_environmental and extensions_apply
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
        kind = (
            ("pause", pause) if pause is not None else ("count", "ext" if count >= TIME_LIMIT_WORKING_DAYS else "base")
        )
        if (
            seg_title_kind is None
            or seg_title_kind[0] != kind[0]
            or (kind[0] == "pause" and seg_title_kind[1] != kind[1])
            or (kind[0] == "count" and seg_title_kind[1] != kind[1] and cal.is_working_day(day))
        ):
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
        segments.append(
            ExplanationSegment(
                f"Paused since {fmt(paused_at[0])}: fee not yet received", paused_at[0], paused_at[0], (), ()
            )
        )
    else:
        walked_to = last_day
        n = ev.extension_working_days
        if n and d.regime is not Regime.FOISA and extensions_apply:
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
        if ev.extension_claimed_due is not None and d.regime is not Regime.FOISA and extensions_apply:
            lines.append(f"The authority claimed an extension to {fmt(ev.extension_claimed_due)}.")
        lines.append(f"Response due by: {fmt(d.response_due)}.")
        if d.deferred_receipt_due != d.response_due:
            lines.append(
                f"Day 0, {fmt(d.clock_start)}, was not a working day: {_why_not_working(cal, d.clock_start)}. "
                "A council that deems the request received on the next working day counts to "
                f"{fmt(d.deferred_receipt_due)}; do not chase before then."
            )
        lines.append(f"Very overdue after {fmt(d.very_overdue)} (20 working days past the due date).")
    if d.review_due is not None:
        days = cal.working_days_between(ev.review_requested, d.review_due)
        lines.append(
            f"Internal review requested {fmt(ev.review_requested)}: due by {fmt(d.review_due)} ({days} working days)."
        )
    for warning in d.warnings:
        lines.append(f"Warning: {warning}")
    return Explanation(d.regime, d.calendar_name, tuple(segments), tuple(lines))


def _why_not_working(cal: WorkingCalendar, day: date) -> str:
    """Why `day` is not a working day, to follow "was not a working day: " ("a Saturday",
    "Boxing Day (England, Wales, Scotland, Northern Ireland)", "an office closure (…)")."""
    reason = cal.why_not_working(day)
    assert reason is not None, "only a non-working day 0 defers the count"
    if day.weekday() >= 5:
        return f"a {reason}"
    if reason.startswith(CLOSURE_REASON_PREFIX):
        return f"an office closure ({reason.removeprefix(CLOSURE_REASON_PREFIX)})"
    return reason
