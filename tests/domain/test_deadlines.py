"""The statutory deadline engine (fointracker.domain.deadlines): worked examples checked
by hand against a calendar, properties over 2000-2070, and a naive day-by-day model.

No Flask here: the module under test is pure.
"""

from __future__ import annotations

import ast
import inspect
from datetime import date, timedelta
from functools import cache

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fointracker.domain import deadlines as dl
from fointracker.domain import regimes as regimes_module
from fointracker.domain.deadlines import (
    CalendarName,
    ClockEvents,
    ClosureOverride,
    DeadlineState,
    Regime,
    calendar_name_for,
    complaint_deadline,
    compute_deadlines,
    deadline_state,
    format_uk_date,
    get_calendar,
    review_request_deadline,
)

D = date
UK = get_calendar(CalendarName.UK)
SCOTLAND = get_calendar(CalendarName.SCOTLAND)


# --------------------------------------------------------------------------- a naive model


@cache
def naive_holidays(subdivs: tuple[str, ...]) -> frozenset[date]:
    days = set()
    for subdiv in subdivs:
        days.update(holidays.UK(subdiv=subdiv, years=range(1995, 2081)).keys())
    days.update(date(y, 12, 25) for y in range(1995, 2081))
    return frozenset(days)


NAIVE_SUBDIVS = {CalendarName.UK: ("ENG", "WLS", "SCT", "NIR"), CalendarName.SCOTLAND: ("SCT",)}


def naive_working(day: date, name: CalendarName, closures=frozenset(), subdivs=None) -> bool:
    off = naive_holidays(subdivs or NAIVE_SUBDIVS[name])
    return day.weekday() < 5 and day not in off and day not in closures


def naive_add(start: date, n: int, name: CalendarName, **kw) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if naive_working(day, name, **kw):
            n -= 1
    return day


def naive_due(received: date, name: CalendarName, n: int = 20, pauses=()) -> date | None:
    """Walk day by day: a working day counts unless it lies in a fee pause (inclusive);
    a working day inside an unpaid pause stops the clock (None)."""
    day, count = received, 0
    while count < n:
        day += timedelta(days=1)
        if not naive_working(day, name):
            continue
        inside = [p for p in pauses if p[0] <= day and (p[1] is None or day <= p[1])]
        if any(p[1] is None for p in inside):
            return None
        if not inside:
            count += 1
    return day


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2070, 12, 31))
regimes = st.sampled_from(list(Regime))
calendar_names = st.sampled_from(list(CalendarName))


# --------------------------------------------------------------------------- purity and API


def test_package_imports_no_web_or_database_code():
    modules = [dl, dl.calendar, dl.rules, dl.explanation, regimes_module]
    imported, relative = set(), set()
    for module in modules:
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level:
                relative.add((module.__name__, node.level, node.module))
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
    assert imported <= {
        "__future__",
        "calendar",
        "enum",
        "threading",
        "collections",
        "dataclasses",
        "datetime",
        "functools",
        "typing",
        "holidays",
    }, imported
    # Relative imports stay inside the package and fointracker.domain.regimes.
    assert {(level, name) for _, level, name in relative} <= {
        (1, "calendar"),
        (1, "rules"),
        (1, "explanation"),
        (2, "regimes"),
    }, relative


def test_regime_properties():
    assert [r.label for r in Regime] == ["FOIA", "EIR", "FOISA", "EISR"]
    assert [r.is_scottish for r in Regime] == [False, False, True, True]
    assert calendar_name_for(Regime.FOIA) is CalendarName.UK
    assert calendar_name_for("eir") is CalendarName.UK
    assert calendar_name_for(Regime.FOISA) is CalendarName.SCOTLAND
    assert calendar_name_for("eisr") is CalendarName.SCOTLAND
    assert Regime("foia") == "foia"


def test_format_uk_date():
    assert format_uk_date(D(2026, 3, 2)) == "Mon 2 Mar 2026"
    assert format_uk_date(D(2025, 12, 25)) == "Thu 25 Dec 2025"
    assert format_uk_date(None) == ""


def test_regime_may_be_given_as_a_string():
    assert compute_deadlines("foia", D(2009, 3, 12)) == compute_deadlines(Regime.FOIA, D(2009, 3, 12))


# --------------------------------------------------------------------------- peer vectors (Alaveteli spec)


def test_alaveteli_vector_2009_counts_holidays_of_every_uk_nation():
    # Thu 12 Mar 2009. Skipped: Tue 17 Mar (St Patrick's Day, NI), Fri 10 Apr (Good
    # Friday), Mon 13 Apr (Easter Monday). Days 1-20: 13, 16, 18, 19, 20, 23-27,
    # 30 Mar-3 Apr, 6-9 Apr (day 19), 14 Apr (day 20).
    d = compute_deadlines(Regime.FOIA, D(2009, 3, 12))
    assert d.response_due == D(2009, 4, 14)
    assert d.statutory_due == d.deferred_receipt_due == d.response_due
    # With England & Wales holidays only, 17 Mar counts and day 20 is Thu 9 Apr: wrong.
    england_only = naive_add(D(2009, 3, 12), 20, CalendarName.UK, subdivs=("ENG",))
    assert england_only == D(2009, 4, 9)
    assert d.response_due != england_only


def test_alaveteli_vector_2007_sunday_receipt_and_very_overdue():
    # Sun 14 Oct 2007 is day 0; day 1 is Mon 15 Oct; four clear weeks end Fri 9 Nov.
    d = compute_deadlines(Regime.FOIA, D(2007, 10, 14))
    assert d.response_due == D(2007, 11, 9)
    # The council that defers a Sunday receipt to Monday counts one working day later.
    assert d.deferred_receipt_due == D(2007, 11, 12)
    # 20 working days after Fri 9 Nov: 12-16, 19-23, 26-29 Nov (Fri 30 Nov is St Andrew's
    # Day, a Scottish bank holiday, skipped on the UK calendar), 3-7 Dec, Mon 10 Dec.
    assert d.very_overdue == D(2007, 12, 10)
    # "very overdue after 2007-12-10": 10 Dec is still only overdue.
    assert d.state(D(2007, 12, 10)) is DeadlineState.OVERDUE
    assert d.state(D(2007, 12, 11)) is DeadlineState.VERY_OVERDUE


# --------------------------------------------------------------------------- holidays by nation


def test_st_andrews_day_substitute_in_scotland():
    # 30 Nov 2025 is a Sunday; Scotland's substitute is Mon 1 Dec 2025.
    assert D(2025, 11, 30).weekday() == 6
    assert SCOTLAND.why_not_working(D(2025, 12, 1)) == "Saint Andrew's Day (observed) (Scotland)"
    assert UK.why_not_working(D(2025, 12, 1)) == "Saint Andrew's Day (observed) (Scotland)"
    # Received Fri 28 Nov 2025 (FOISA): Mon 1 Dec skipped; 2-5 Dec (4), 8-12 (9), 15-19 (14),
    # 22-24 (17), 25 and 26 Dec skipped, 29, 30, 31 Dec (20).
    assert compute_deadlines(Regime.FOISA, D(2025, 11, 28)).response_due == D(2025, 12, 31)
    # An England-only count would use 1 Dec and end on Tue 30 Dec.
    assert naive_add(D(2025, 11, 28), 20, CalendarName.UK, subdivs=("ENG",)) == D(2025, 12, 30)


def test_st_andrews_day_on_a_weekday():
    assert UK.why_not_working(D(2026, 11, 30)) == "Saint Andrew's Day (Scotland)"
    assert SCOTLAND.why_not_working(D(2026, 11, 30)) == "Saint Andrew's Day (Scotland)"


def test_easter_monday_counts_under_foisa_but_not_foia():
    # Received Wed 11 Mar 2026. FOIA: 12, 13, 16 (3); 17 Mar St Patrick's skipped; 18-20 (6);
    # 23-27 (11); 30 Mar-2 Apr (15); Good Friday 3 Apr and Easter Monday 6 Apr skipped;
    # 7-10 Apr (19); Mon 13 Apr (20).
    # FOISA: 12, 13, 16-20 (7); 23-27 (12); 30 Mar-2 Apr (16); 3 Apr skipped; 6-9 Apr (20).
    assert UK.why_not_working(D(2026, 4, 6)) == "Easter Monday (England, Wales, Northern Ireland)"
    assert SCOTLAND.is_working_day(D(2026, 4, 6))
    assert compute_deadlines(Regime.FOIA, D(2026, 3, 11)).response_due == D(2026, 4, 13)
    assert compute_deadlines(Regime.EIR, D(2026, 3, 11)).response_due == D(2026, 4, 13)
    assert compute_deadlines(Regime.FOISA, D(2026, 3, 11)).response_due == D(2026, 4, 9)
    assert compute_deadlines(Regime.EISR, D(2026, 3, 11)).response_due == D(2026, 4, 9)


def test_st_patricks_day():
    # Received Mon 10 Mar 2025. FOIA: 11-14 (4); Mon 17 Mar skipped; 18-21 (8); 24-28 (13);
    # 31 Mar-4 Apr (18); 7, 8 Apr (20). FOISA counts 17 Mar and ends a day earlier.
    assert UK.why_not_working(D(2025, 3, 17)) == "Saint Patrick's Day (Northern Ireland)"
    assert compute_deadlines(Regime.FOIA, D(2025, 3, 10)).response_due == D(2025, 4, 8)
    assert compute_deadlines(Regime.FOISA, D(2025, 3, 10)).response_due == D(2025, 4, 7)


def test_the_twelfth():
    # 12 Jul 2025 is a Saturday; Northern Ireland takes Mon 14 Jul. Received Mon 30 Jun 2025.
    # FOIA: 1-4 Jul (4); 7-11 (9); 14 skipped; 15-18 (13); 21-25 (18); 28, 29 (20).
    assert UK.why_not_working(D(2025, 7, 14)) == "Battle of the Boyne (observed) (Northern Ireland)"
    assert UK.why_not_working(D(2023, 7, 12)) == "Battle of the Boyne (Northern Ireland)"
    assert compute_deadlines(Regime.FOIA, D(2025, 6, 30)).response_due == D(2025, 7, 29)
    assert compute_deadlines(Regime.FOISA, D(2025, 6, 30)).response_due == D(2025, 7, 28)


def test_christmas_and_second_of_january_in_scotland():
    # Received Fri 5 Dec 2025 (FOISA): 8-12 Dec (5); 15-19 (10); 22-24 (13); 25, 26 Dec skipped;
    # 29-31 Dec (16); 1 and 2 Jan skipped (2 Jan is Scotland's New Year Holiday); 5-8 Jan (20).
    assert SCOTLAND.why_not_working(D(2026, 1, 2)) == "New Year Holiday (Scotland)"
    assert SCOTLAND.why_not_working(D(2025, 12, 25)) == "Christmas Day (Scotland)"
    assert compute_deadlines(Regime.FOISA, D(2025, 12, 5)).response_due == D(2026, 1, 8)
    # FOIA counts Scotland's 2 January too (a bank holiday in any part of the UK).
    assert compute_deadlines(Regime.FOIA, D(2025, 12, 5)).response_due == D(2026, 1, 8)
    assert naive_add(D(2025, 12, 5), 20, CalendarName.UK, subdivs=("ENG",)) == D(2026, 1, 7)


def test_christmas_day_is_never_a_working_day():
    for year in range(1995, 2081):
        christmas = D(year, 12, 25)
        assert not UK.is_working_day(christmas)
        assert not SCOTLAND.is_working_day(christmas)


def test_reasons_for_weekends():
    assert UK.why_not_working(D(2026, 3, 7)) == "Saturday"
    assert UK.why_not_working(D(2026, 3, 8)) == "Sunday"
    assert UK.why_not_working(D(2026, 3, 9)) is None


# --------------------------------------------------------------------------- receipt on a non-working day


def test_saturday_receipt_is_like_the_friday_before():
    # Fri 27 Feb 2026: 2-6 Mar (5); 9-13 (10); 16 (11); 17 Mar skipped; 18-20 (14);
    # 23-27 (19); Mon 30 Mar (20).
    friday = compute_deadlines(Regime.FOIA, D(2026, 2, 27))
    saturday = compute_deadlines(Regime.FOIA, D(2026, 2, 28))
    assert friday.response_due == saturday.response_due == D(2026, 3, 30)
    assert friday.deferred_receipt_due == D(2026, 3, 30)
    assert saturday.deferred_receipt_due == D(2026, 3, 31)


def test_bank_holiday_receipt_is_deferred_too():
    # Received on Easter Monday 2026 (FOIA): same as Thu 2 Apr; deferred one working day.
    holiday = compute_deadlines(Regime.FOIA, D(2026, 4, 6))
    thursday = compute_deadlines(Regime.FOIA, D(2026, 4, 2))
    assert holiday.response_due == thursday.response_due
    assert holiday.deferred_receipt_due == UK.next_working_day(holiday.response_due)
    # Under FOISA Easter Monday is a working day: nothing to defer.
    foisa = compute_deadlines(Regime.FOISA, D(2026, 4, 6))
    assert foisa.deferred_receipt_due == foisa.response_due


# --------------------------------------------------------------------------- events


def test_clarification_restarts_the_clock():
    events = ClockEvents(clarification_received=D(2026, 3, 11))
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), events)
    assert d.clock_start == D(2026, 3, 11)
    assert d.response_due == D(2026, 4, 13)  # as a request received on 11 Mar (worked above)
    assert d.received == D(2026, 3, 2)


def test_clarification_on_a_saturday():
    # Sat 14 Mar 2026 is day 0: 16 (1); 17 skipped; 18-20 (4); 23-27 (9); 30 Mar-2 Apr (13);
    # 3 and 6 Apr skipped; 7-10 (17); 13-15 Apr (20). Deferred: Thu 16 Apr.
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(clarification_received=D(2026, 3, 14)))
    assert d.response_due == D(2026, 4, 15)
    assert d.deferred_receipt_due == D(2026, 4, 16)


def test_clarification_before_receipt_is_ignored_with_a_warning():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(clarification_received=D(2026, 2, 1)))
    assert d.clock_start == D(2026, 3, 2)
    assert d.response_due == compute_deadlines(Regime.FOIA, D(2026, 3, 2)).response_due
    assert any("clarification" in w for w in d.warnings)


def test_fee_pause_worked_example():
    # Received Mon 2 Mar 2026: without a fee, 3-6 Mar (4), 9-13 (9), 16 (10), 17 skipped,
    # 18-20 (13), 23-27 (18), 30, 31 Mar (20).
    plain = compute_deadlines(Regime.FOIA, D(2026, 3, 2))
    assert plain.response_due == D(2026, 3, 31)
    # Notice Tue 10 Mar, fee received Fri 20 Mar: disregarded working days 10-13, 16, 18-20
    # (8; 17 Mar is a holiday anyway). 8 working days after 31 Mar: 1, 2 Apr; Easter 3 and 6
    # Apr skipped; 7-10, 13, 14 Apr.
    events = ClockEvents(fee_pauses=((D(2026, 3, 10), D(2026, 3, 20)),))
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), events)
    assert d.response_due == d.statutory_due == D(2026, 4, 14)
    assert UK.working_days_between(D(2026, 3, 9), D(2026, 3, 20)) == 8
    assert not d.paused


def test_unpaid_fee_pauses_the_clock():
    events = ClockEvents(fee_pauses=((D(2026, 3, 10), None),))
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), events)
    assert d.paused
    assert d.response_due is None and d.statutory_due is None and d.very_overdue is None
    assert d.deferred_receipt_due is None
    assert d.state(D(2026, 6, 1)) is DeadlineState.PAUSED
    assert "fee not yet received" in d.explain().text()


def test_fee_notice_after_the_due_date_does_not_move_it():
    # Due 31 Mar 2026; a notice on 1 Apr is too late to stop the clock.
    paid = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(fee_pauses=((D(2026, 4, 1), D(2026, 4, 8)),)))
    unpaid = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(fee_pauses=((D(2026, 4, 1), None),)))
    assert paid.response_due == unpaid.response_due == D(2026, 3, 31)
    assert not unpaid.paused


def test_fee_notice_on_the_due_date_moves_it():
    # Notice on day 20 (31 Mar 2026) and fee received the same day: that day is disregarded,
    # so the 20th counted day is the next working day, Wed 1 Apr.
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(fee_pauses=((D(2026, 3, 31), D(2026, 3, 31)),)))
    assert d.response_due == D(2026, 4, 1)


def test_fee_received_before_notice_is_ignored_with_a_warning():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(fee_pauses=((D(2026, 3, 10), D(2026, 3, 5)),)))
    assert d.response_due == D(2026, 3, 31)
    assert d.warnings


def test_public_interest_extension_within_twenty_working_days_has_no_warning():
    # Statutory 31 Mar 2026; 20 more working days: 1, 2 Apr (2), 7-10 (6), 13-17 (11),
    # 20-24 (16), 27-30 Apr (20).
    ok = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(extension_claimed_due=D(2026, 4, 30)))
    assert ok.statutory_due == D(2026, 3, 31)
    assert ok.response_due == D(2026, 4, 30)
    assert ok.warnings == ()
    assert ok.very_overdue == UK.add_working_days(D(2026, 4, 30), 20)


def test_public_interest_extension_beyond_forty_working_days_warns():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(extension_claimed_due=D(2026, 5, 1)))
    assert d.response_due == D(2026, 5, 1)  # FOIA s.10(3): the claim stands ...
    assert len(d.warnings) == 1 and "40 working days" in d.warnings[0]  # ... with a warning


def test_claimed_date_earlier_than_statutory_changes_nothing():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(extension_claimed_due=D(2026, 3, 20)))
    assert d.response_due == D(2026, 3, 31)
    assert d.warnings == ()


def test_foisa_has_no_extension():
    plain = compute_deadlines(Regime.FOISA, D(2026, 3, 2))
    events = ClockEvents(extension_claimed_due=D(2026, 4, 30), extension_working_days=5)
    d = compute_deadlines(Regime.FOISA, D(2026, 3, 2), events)
    assert d.response_due == plain.response_due
    assert len(d.warnings) == 1 and "FOISA has no" in d.warnings[0]


def test_eir_forty_working_day_extension():
    # EIR received Mon 2 Mar 2026: day 20 is 31 Mar, day 40 is 30 Apr (as above).
    d = compute_deadlines(Regime.EIR, D(2026, 3, 2), ClockEvents(eir_extended=True))
    assert d.statutory_due == D(2026, 3, 31)
    assert d.response_due == D(2026, 4, 30)
    assert d.warnings == ()
    assert UK.working_days_between(D(2026, 3, 2), d.response_due) == 40
    # EISR uses Scotland's calendar: no St Patrick's Day or Easter Monday, so earlier.
    s = compute_deadlines(Regime.EISR, D(2026, 3, 2), ClockEvents(eir_extended=True))
    assert SCOTLAND.working_days_between(D(2026, 3, 2), s.response_due) == 40
    assert s.response_due < d.response_due


def test_eir_extension_on_foia_is_ignored_with_a_warning():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(eir_extended=True))
    assert d.response_due == D(2026, 3, 31)
    assert len(d.warnings) == 1 and "EIR reg 7" in d.warnings[0]


def test_eir_extension_claim_is_held_at_forty_working_days():
    d = compute_deadlines(Regime.EIR, D(2026, 3, 2), ClockEvents(extension_claimed_due=D(2026, 6, 1)))
    assert d.response_due == D(2026, 4, 30)
    assert len(d.warnings) == 1 and "at most 40" in d.warnings[0]
    within = compute_deadlines(Regime.EIR, D(2026, 3, 2), ClockEvents(extension_claimed_due=D(2026, 4, 20)))
    assert within.response_due == D(2026, 4, 20) and within.warnings == ()


def test_extension_working_days():
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), ClockEvents(extension_working_days=2))
    assert d.response_due == D(2026, 4, 2)  # 31 Mar + 1 Apr, 2 Apr
    with pytest.raises(ValueError):
        ClockEvents(extension_working_days=-1)


def test_review_due_by_regime():
    # Review requested Wed 1 Jul 2026. UK calendar: 2, 3 (2); 6-10 (7); Mon 13 Jul is the
    # Battle of the Boyne (observed; 12 Jul is a Sunday), skipped; 14-17 (11); 20-24 (16);
    # 27-30 Jul (20). Scotland counts 13 Jul: Wed 29 Jul.
    events = ClockEvents(review_requested=D(2026, 7, 1))
    assert compute_deadlines(Regime.FOIA, D(2026, 3, 2), events).review_due == D(2026, 7, 30)
    assert compute_deadlines(Regime.FOISA, D(2026, 3, 2), events).review_due == D(2026, 7, 29)
    assert compute_deadlines(Regime.EISR, D(2026, 3, 2), events).review_due == D(2026, 7, 29)
    # 40 working days (FOIA extended review; EIR reg 11(4) always): 31 Jul (21); Mon 3 Aug is
    # Scotland's summer bank holiday, skipped on the UK calendar; 4-7 Aug (25); 10-14 (30);
    # 17-21 (35); 24-28 Aug (40).
    extended = ClockEvents(review_requested=D(2026, 7, 1), review_extended=True)
    assert compute_deadlines(Regime.FOIA, D(2026, 3, 2), extended).review_due == D(2026, 8, 28)
    assert compute_deadlines(Regime.EIR, D(2026, 3, 2), events).review_due == D(2026, 8, 28)
    # FOISA s.21: 20 working days, no extension.
    foisa = compute_deadlines(Regime.FOISA, D(2026, 3, 2), extended)
    assert foisa.review_due == D(2026, 7, 29)
    assert foisa.warnings and "s.21" in foisa.warnings[0]


def test_asking_for_review_and_complaint_windows():
    assert review_request_deadline(Regime.FOIA, D(2026, 3, 2)) == UK.add_working_days(D(2026, 3, 2), 40)
    assert review_request_deadline(Regime.FOISA, D(2026, 3, 2)) == SCOTLAND.add_working_days(D(2026, 3, 2), 40)
    assert complaint_deadline(Regime.FOIA, D(2026, 3, 2)) == D(2026, 4, 13)
    assert complaint_deadline(Regime.FOISA, D(2026, 8, 31)) == D(2027, 2, 28)


# --------------------------------------------------------------------------- overrides


def test_added_closure_day():
    closure = ClosureOverride(D(2026, 3, 20), "Office move")
    cal = get_calendar(CalendarName.UK, [closure])
    assert cal.why_not_working(D(2026, 3, 20)) == "Office closure: Office move"
    # 20 Mar was day 13 of the request received 2 Mar: the due date moves from 31 Mar to 1 Apr.
    assert compute_deadlines(Regime.FOIA, D(2026, 3, 2), calendar=cal).response_due == D(2026, 4, 1)
    assert get_calendar(CalendarName.UK, [closure]) is cal  # cached
    assert get_calendar(CalendarName.UK) is UK and UK.is_working_day(D(2026, 3, 20))


def test_closure_for_the_other_calendar_does_not_apply():
    closure = ClosureOverride(D(2026, 3, 20), "Edinburgh office move", calendar=CalendarName.SCOTLAND)
    assert get_calendar(CalendarName.UK, [closure]) is UK
    cal = get_calendar(CalendarName.SCOTLAND, [closure])
    assert not cal.is_working_day(D(2026, 3, 20))
    assert ClosureOverride(D(2026, 3, 20), "x", calendar="scotland").calendar is CalendarName.SCOTLAND


def test_removed_holiday_becomes_a_working_day():
    # The admin declares Easter Monday 2026 a working day: received 11 Mar, due 10 Apr not 13 Apr.
    cal = get_calendar(CalendarName.UK, [ClosureOverride(D(2026, 4, 6), "Easter Monday", remove=True)])
    assert cal.is_working_day(D(2026, 4, 6))
    assert compute_deadlines(Regime.FOIA, D(2026, 3, 11), calendar=cal).response_due == D(2026, 4, 10)


def test_weekends_and_christmas_cannot_be_removed():
    overrides = [
        ClosureOverride(D(2026, 3, 7), "Saturday opening", remove=True),
        ClosureOverride(D(2026, 12, 25), "Christmas", remove=True),
    ]
    cal = get_calendar(CalendarName.UK, overrides)
    assert not cal.is_working_day(D(2026, 3, 7))
    assert not cal.is_working_day(D(2026, 12, 25))
    assert set(cal.ignored_overrides) == set(overrides)


def test_calendar_mismatch_warns():
    d = compute_deadlines(Regime.FOISA, D(2026, 3, 2), calendar=UK)
    assert d.warnings and "calendar" in d.warnings[0]


# --------------------------------------------------------------------------- state


def test_deadline_state_boundaries():
    due, very = D(2007, 11, 9), D(2007, 12, 10)  # Fri; very overdue after Mon 10 Dec
    state = lambda today: deadline_state(today, due, very, UK)  # noqa: E731
    assert state(D(2007, 11, 1)) is DeadlineState.ON_TIME  # 6 working days to go
    assert state(D(2007, 11, 2)) is DeadlineState.DUE_SOON  # 5 working days to go
    assert state(D(2007, 11, 8)) is DeadlineState.DUE_SOON
    assert state(D(2007, 11, 9)) is DeadlineState.DUE_TODAY
    assert state(D(2007, 11, 10)) is DeadlineState.OVERDUE
    assert state(D(2007, 12, 10)) is DeadlineState.OVERDUE
    assert state(D(2007, 12, 11)) is DeadlineState.VERY_OVERDUE
    assert deadline_state(D(2007, 11, 1), None, None, UK) is DeadlineState.PAUSED
    assert deadline_state(D(2007, 11, 8), due, very, UK, due_soon_working_days=0) is DeadlineState.ON_TIME


def test_state_on_the_deferred_date():
    d = compute_deadlines(Regime.FOIA, D(2026, 2, 28))  # Saturday: due 30 Mar, deferred 31 Mar
    assert d.state(D(2026, 3, 31)) is DeadlineState.OVERDUE
    assert d.state(D(2026, 3, 31), deferred=True) is DeadlineState.DUE_TODAY


# --------------------------------------------------------------------------- explanation


def test_explanation_lists_counted_and_skipped_days():
    d = compute_deadlines(Regime.FOIA, D(2009, 3, 12))
    e = d.explain()
    counted = [c for s in e.segments for c in s.counted]
    skipped = {s.day: s.reason for seg in e.segments for s in seg.skipped}
    assert [c.number for c in counted] == list(range(1, 21))
    assert counted[0].day == D(2009, 3, 13) and counted[-1].day == d.response_due
    assert skipped[D(2009, 3, 17)] == "Saint Patrick's Day (Northern Ireland)"
    assert skipped[D(2009, 4, 10)].startswith("Good Friday")
    assert skipped[D(2009, 4, 13)] == "Easter Monday (England, Wales, Northern Ireland)"
    assert "day 20: Tue 14 Apr 2009" in e.text()


def test_explanation_of_a_fee_pause_has_three_segments():
    events = ClockEvents(fee_pauses=((D(2026, 3, 10), D(2026, 3, 20)),))
    e = compute_deadlines(Regime.FOIA, D(2026, 3, 2), events).explain()
    assert [s.title.split(":")[0].split(" ")[0] for s in e.segments] == ["Working", "Fee", "Working"]
    pause = e.segments[1]
    assert sum(1 for s in pause.skipped if s.reason.startswith("Fee pause")) == 8
    assert e.segments[-1].counted[-1] == dl.CountedDay(20, D(2026, 4, 14))


def test_explanation_of_eir_extension_and_warnings():
    d = compute_deadlines(
        Regime.EIR, D(2026, 3, 2), ClockEvents(eir_extended=True, extension_claimed_due=D(2026, 6, 1))
    )
    e = d.explain()
    counted = [c for s in e.segments for c in s.counted]
    assert counted[-1] == dl.CountedDay(40, D(2026, 4, 30))
    assert any("reg 7 extension" in s.title for s in e.segments)
    assert any(line.startswith("Warning:") for line in e.lines)


@pytest.mark.parametrize(
    "received, calendar, why",
    [
        (D(2026, 12, 5), UK, "a Saturday"),
        (D(2026, 4, 6), UK, "Easter Monday (England, Wales, Northern Ireland)"),
        (
            D(2026, 12, 24),
            get_calendar(CalendarName.UK, [ClosureOverride(D(2026, 12, 24), "Christmas Eve closure")]),
            "an office closure (Christmas Eve closure)",
        ),
    ],
)
def test_explanation_says_why_day_0_was_not_a_working_day(received, calendar, why):
    d = compute_deadlines(Regime.FOIA, received, calendar=calendar)
    assert d.deferred_receipt_due > d.response_due
    text = d.explain().text()
    assert (
        f"Day 0, {format_uk_date(received)}, was not a working day: {why}. A council that deems the request "
        f"received on the next working day counts to {format_uk_date(d.deferred_receipt_due)}"
    ) in text
    assert "Day 0 was not a working day" not in text


def test_explanation_is_lazy(monkeypatch):
    def refuse(_):
        raise AssertionError("explanation built during compute")

    monkeypatch.setattr(dl.explanation, "explain", refuse)
    events = ClockEvents(fee_pauses=((D(2026, 3, 10), D(2026, 3, 20)),), review_requested=D(2026, 5, 1))
    d = compute_deadlines(Regime.FOIA, D(2026, 3, 2), events)
    assert d.response_due == D(2026, 4, 14)
    with pytest.raises(AssertionError):
        d.explain()


# --------------------------------------------------------------------------- calendar vs a naive model


@settings(max_examples=300, deadline=None)
@given(start=dates, n=st.integers(0, 70), name=calendar_names)
def test_add_working_days_matches_naive(start, n, name):
    cal = get_calendar(name)
    assert cal.add_working_days(start, n) == naive_add(start, n, name)


@settings(max_examples=300, deadline=None)
@given(start=dates, span=st.integers(-10, 120), name=calendar_names)
def test_between_and_skipped_match_naive(start, span, name):
    cal = get_calendar(name)
    end = start + timedelta(days=span)
    days = [start + timedelta(days=i) for i in range(1, span + 1)]
    assert cal.working_days_between(start, end) == sum(naive_working(d, name) for d in days)
    assert [s.day for s in cal.skipped_days(start, end)] == [d for d in days if not naive_working(d, name)]
    assert cal.is_working_day(start) == naive_working(start, name)
    assert all(s.reason for s in cal.skipped_days(start, end))


@settings(max_examples=200, deadline=None)
@given(day=dates, name=calendar_names)
def test_next_and_previous_working_day(day, name):
    cal = get_calendar(name)
    nxt = cal.next_working_day(day)
    assert nxt > day and naive_working(nxt, name)
    assert all(not naive_working(day + timedelta(days=i), name) for i in range(1, (nxt - day).days))
    prev = cal.previous_or_same_working_day(day)
    assert prev <= day and naive_working(prev, name)
    assert all(not naive_working(prev + timedelta(days=i), name) for i in range(1, (day - prev).days + 1))


def test_dates_outside_the_precomputed_range():
    for start in (D(1950, 6, 1), D(2150, 12, 20)):
        for name in CalendarName:
            cal = get_calendar(name)
            due = cal.add_working_days(start, 20)
            assert cal.working_days_between(start, due) == 20
            assert cal.is_working_day(due)
            naive = start
            for _ in range(20):
                naive += timedelta(days=1)
                while not cal.is_working_day(naive):
                    naive += timedelta(days=1)
            assert due == naive
    assert UK.why_not_working(D(2150, 12, 25)).startswith("Christmas Day")  # a Friday
    assert UK.why_not_working(D(2151, 12, 25)) == "Saturday"
    # 1 Jan 1950 was a Sunday: two Scottish holidays share Mon 2 Jan.
    assert (
        SCOTLAND.why_not_working(D(1950, 1, 2)) == "New Year Holiday (Scotland); New Year's Day (observed) (Scotland)"
    )


def test_a_calendar_covers_only_the_years_in_use():
    """Nothing is built until asked, then the year asked about and two either side; more on demand.
    (Building 1990-2080 up front cost every web worker its first request: see calendar.py.)"""
    cal = dl.WorkingCalendar(CalendarName.UK)
    assert cal._years is None
    assert cal.add_working_days(D(2026, 11, 23), 20) == D(2026, 12, 22)
    assert cal._years == (2024, 2028)
    assert cal.why_not_working(D(2021, 12, 28)) == "Boxing Day (observed) (England, Wales, Scotland, Northern Ireland)"
    assert cal._years == (2019, 2028)


@pytest.mark.parametrize("name", list(CalendarName))
def test_a_far_date_asked_first_works(name):
    """A fresh calendar whose first question is centuries away answers as the holidays package says,
    then still answers for today's dates."""
    cal = dl.WorkingCalendar(name)
    start = D(2399, 12, 20)
    off = {day for subdiv in NAIVE_SUBDIVS[name] for day in holidays.UK(subdiv=subdiv, years=range(2399, 2401))}
    off |= {D(2399, 12, 25), D(2400, 12, 25)}
    day, n = start, 0
    while n < 30:
        day += timedelta(days=1)
        n += day.weekday() < 5 and day not in off
    assert cal.add_working_days(start, 30) == day
    assert cal.working_days_between(start, day) == 30
    assert cal.why_not_working(D(2400, 12, 25)).startswith("Christmas Day")  # a Monday
    assert cal.add_working_days(D(2026, 3, 2), 20) == naive_add(D(2026, 3, 2), 20, name)


def test_overrides_are_judged_whatever_years_are_built():
    """Whether an override can apply (a bank holiday made a working day, not a weekend) does not
    depend on which years the calendar has built yet."""
    easter_1985 = ClosureOverride(D(1985, 4, 8), "Easter Monday worked", remove=True)
    saturday = ClosureOverride(D(2026, 3, 7), "Saturday opening", remove=True)
    cal = dl.WorkingCalendar(CalendarName.UK, [easter_1985, saturday])
    assert cal.ignored_overrides == (saturday,)
    assert cal.is_working_day(D(1985, 4, 8)) and not UK.is_working_day(D(1985, 4, 8))


# --------------------------------------------------------------------------- properties of deadlines


@settings(max_examples=300, deadline=None)
@given(received=dates, regime=regimes)
def test_due_date_is_the_twentieth_working_day(received, regime):
    d = compute_deadlines(regime, received)
    cal = get_calendar(regime.calendar_name)
    assert cal.is_working_day(d.response_due)
    assert cal.working_days_between(received, d.response_due) == 20
    assert cal.working_days_between(received, d.response_due - timedelta(days=1)) == 19
    assert d.response_due == naive_add(received, 20, regime.calendar_name)
    assert cal.working_days_between(d.response_due, d.very_overdue) == 20
    if cal.is_working_day(received):
        assert d.deferred_receipt_due == d.response_due
    else:
        assert d.deferred_receipt_due == cal.next_working_day(d.response_due)


@settings(max_examples=300, deadline=None)
@given(received=dates, regime=regimes, offset=st.integers(-5, 40), length=st.integers(0, 30), paid=st.booleans())
def test_fee_pause_moves_due_by_the_disregarded_working_days(received, regime, offset, length, paid):
    cal = get_calendar(regime.calendar_name)
    plain = compute_deadlines(regime, received).response_due
    notice = received + timedelta(days=offset)
    fee_received = notice + timedelta(days=length) if paid else None
    d = compute_deadlines(regime, received, ClockEvents(fee_pauses=((notice, fee_received),)))
    if notice > plain:
        assert d.response_due == plain and not d.paused
    elif fee_received is None:
        assert d.paused and d.response_due is None
    else:
        # Working days from the notice to the fee received, inclusive, that lie after day 0.
        disregarded = cal.working_days_between(max(received, notice - timedelta(days=1)), fee_received)
        assert d.response_due == cal.add_working_days(plain, disregarded)
    assert d.response_due == naive_due(received, regime.calendar_name, pauses=((notice, fee_received),))


@settings(max_examples=200, deadline=None)
@given(
    received=dates,
    regime=regimes,
    pauses=st.lists(st.tuples(st.integers(-5, 45), st.one_of(st.none(), st.integers(0, 20))), max_size=3),
)
def test_several_fee_pauses_match_naive_walk(received, regime, pauses):
    spans = tuple(
        (received + timedelta(days=a), None if n is None else received + timedelta(days=a + n)) for a, n in pauses
    )
    d = compute_deadlines(regime, received, ClockEvents(fee_pauses=spans))
    expected = naive_due(received, regime.calendar_name, pauses=spans)
    assert d.response_due == expected
    assert d.paused == (expected is None)
    if expected is not None:
        counted = [c for s in d.explain().segments for c in s.counted]
        assert counted[-1] == dl.CountedDay(20, expected)


@settings(max_examples=200, deadline=None)
@given(received=dates, regime=regimes, offset=st.integers(1, 30), length=st.integers(0, 15))
def test_deferred_receipt_due_counts_from_the_next_working_day(received, regime, offset, length):
    cal = get_calendar(regime.calendar_name)
    notice = received + timedelta(days=offset)
    events = ClockEvents(fee_pauses=((notice, notice + timedelta(days=length)),))
    d = compute_deadlines(regime, received, events)
    deemed = received if cal.is_working_day(received) else cal.next_working_day(received)
    assert d.deferred_receipt_due == compute_deadlines(regime, deemed, events).response_due


@settings(max_examples=300, deadline=None)
@given(a=dates, gap=st.integers(0, 60), regime=regimes)
def test_later_receipt_never_gives_an_earlier_due_date(a, gap, regime):
    b = a + timedelta(days=gap)
    da, db = compute_deadlines(regime, a), compute_deadlines(regime, b)
    assert da.response_due <= db.response_due
    assert da.deferred_receipt_due <= db.deferred_receipt_due
    assert da.very_overdue <= db.very_overdue


@settings(max_examples=100, deadline=None)
@given(received=dates, regime=regimes, closures=st.lists(st.integers(-3, 45), min_size=1, max_size=5))
def test_an_added_closure_never_makes_a_due_date_earlier(received, regime, closures):
    days = {received + timedelta(days=k) for k in closures}
    overrides = [ClosureOverride(day, f"closure {i}") for i, day in enumerate(sorted(days))]
    cal = get_calendar(regime.calendar_name, overrides)
    before = compute_deadlines(regime, received)
    after = compute_deadlines(regime, received, calendar=cal)
    assert after.response_due >= before.response_due
    assert cal.working_days_between(received, after.response_due) == 20
    assert after.response_due == naive_add(received, 20, regime.calendar_name, closures=frozenset(days))


@settings(max_examples=300, deadline=None)
@given(received=dates)
def test_uk_count_is_never_earlier_than_scotlands(received):
    # The UK calendar's non-working days include all of Scotland's.
    assert (
        compute_deadlines(Regime.FOIA, received).response_due >= compute_deadlines(Regime.FOISA, received).response_due
    )


@settings(max_examples=200, deadline=None)
@given(received=dates, regime=regimes, clarify=st.integers(0, 60))
def test_clarification_is_a_new_day_zero(received, regime, clarify):
    c = received + timedelta(days=clarify)
    d = compute_deadlines(regime, received, ClockEvents(clarification_received=c))
    assert d.response_due == compute_deadlines(regime, c).response_due
    assert d.clock_start == c


@settings(max_examples=200, deadline=None)
@given(
    received=dates,
    regime=regimes,
    eir=st.booleans(),
    extra=st.integers(0, 30),
    claim=st.one_of(st.none(), st.integers(0, 120)),
)
def test_response_due_is_never_before_statutory_due(received, regime, eir, extra, claim):
    events = ClockEvents(
        eir_extended=eir,
        extension_working_days=extra,
        extension_claimed_due=None if claim is None else received + timedelta(days=claim),
    )
    d = compute_deadlines(regime, received, events)
    cal = get_calendar(regime.calendar_name)
    assert d.statutory_due <= d.response_due <= d.deferred_receipt_due
    if regime is Regime.FOISA:
        assert d.response_due == d.statutory_due
    if regime.is_environmental:
        assert cal.working_days_between(received, d.response_due) <= 40
    if not events.extension_claimed_due:
        assert cal.is_working_day(d.response_due)
    assert d.explain().lines  # always explainable
