"""Issue #15's deadline rules, each a worked example from the Acts (DESIGN.md §2).

Late extension claims (FOIA s.10(3), s.17(1)-(2); EIR reg 7(1), 7(3)), the extensions each
regime has (FOISA: none), fees notices (FOIA s.9, s.10(2)) and their lapse (FOIA s.9(2),
FOISA s.9(4), EIR: the ICO's 60 working days), and the days no admin can make working
(FOIA s.10(6): Christmas Day, Good Friday)."""

from datetime import date as D

import pytest

from fointracker.domain.deadlines import (
    CalendarName,
    ClockEvents,
    ClosureOverride,
    compute_deadlines,
    fee_lapses_on,
    get_calendar,
    why_never_working,
)
from fointracker.domain.deadlines.checks import event_problems

UK = get_calendar(CalendarName.UK)

# --------------------------------------------------------------------------- late extension claims


def test_foia_s17_public_interest_extension_claimed_after_the_due_date_does_not_move_it():
    """FOIA s.10(3), s.17(1)-(2): received Mon 2 Mar 2026 (due Tue 31 Mar), extension claimed
    10 Apr to 28 Apr, answered 27 Apr: still due 31 Mar, so the answer (working day 37) is late."""
    events = ClockEvents(extension_claimed_due=D(2026, 4, 28), extension_claimed_on=D(2026, 4, 10))
    d = compute_deadlines("foia", D(2026, 3, 2), events)
    assert d.statutory_due == d.response_due == D(2026, 3, 31)
    assert d.extension_late
    assert UK.working_days_between(D(2026, 3, 2), D(2026, 4, 27)) == 37
    assert D(2026, 4, 27) > d.response_due
    assert d.deferred_receipt_due == D(2026, 3, 31)
    assert d.very_overdue == UK.add_working_days(D(2026, 3, 31), 20)
    assert len(d.warnings) == 1 and "FOIA s.17(1)-(2)" in d.warnings[0] and "Fri 10 Apr 2026" in d.warnings[0]


def test_foia_s10_3_extension_claimed_in_time_moves_the_date():
    """The same claim made on the 20th working day itself (s.17(1): within the time for compliance) stands."""
    for claimed_on in (D(2026, 3, 20), D(2026, 3, 31)):
        events = ClockEvents(extension_claimed_due=D(2026, 4, 28), extension_claimed_on=claimed_on)
        d = compute_deadlines("foia", D(2026, 3, 2), events)
        assert d.response_due == D(2026, 4, 28) and not d.extension_late, claimed_on


def test_eir_reg_7_3_late_extension_to_40_working_days_is_ignored():
    """EIR reg 7(1) and 7(3): the 40-working-day extension must be notified within the 20 working days."""
    in_time = compute_deadlines(
        "eir", D(2026, 3, 2), ClockEvents(eir_extended=True, extension_claimed_on=D(2026, 3, 30))
    )
    assert in_time.response_due == UK.add_working_days(D(2026, 3, 2), 40)
    late = compute_deadlines("eir", D(2026, 3, 2), ClockEvents(eir_extended=True, extension_claimed_on=D(2026, 4, 1)))
    assert late.response_due == late.statutory_due == D(2026, 3, 31)
    assert "EIR reg 7(3)" in late.warnings[0]
    # The explanation counts 20 days, not 40, and names the late claim once.
    text = late.explain().text()
    assert "day 20: Tue 31 Mar 2026" in text and "day 21:" not in text and "reg 7 extension" not in text
    assert text.count("after the statutory due date") == 1


def test_late_extension_working_days_are_ignored_and_explained_once():
    """s.17(1)-(2): extension days claimed late add nothing; --explain says why once."""
    late = ClockEvents(extension_working_days=10, extension_claimed_on=D(2026, 4, 10))
    d = compute_deadlines("foia", D(2026, 3, 2), late)
    assert d.response_due == D(2026, 3, 31)
    text = d.explain().text()
    assert "Extension of 10 working days" not in text
    assert text.count("does not move the date") == 1
    on_time = compute_deadlines("foia", D(2026, 3, 2), ClockEvents(extension_working_days=10))
    assert on_time.response_due == UK.add_working_days(D(2026, 3, 31), 10)


def test_late_claim_is_measured_against_the_date_after_a_fee_pause():
    """FOIA s.10(2): the statutory date after a paid fee pause is the one a claim must come by."""
    pause = ((D(2026, 3, 9), D(2026, 3, 13)),)  # 5 working days disregarded: due Thu 9 Apr 2026 (Easter skipped)
    statutory = compute_deadlines("foia", D(2026, 3, 2), ClockEvents(fee_pauses=pause)).statutory_due
    assert statutory == D(2026, 4, 9)
    claim = ClockEvents(fee_pauses=pause, extension_claimed_due=D(2026, 5, 1), extension_claimed_on=statutory)
    assert compute_deadlines("foia", D(2026, 3, 2), claim).response_due == D(2026, 5, 1)
    late = ClockEvents(fee_pauses=pause, extension_claimed_due=D(2026, 5, 1), extension_claimed_on=D(2026, 4, 10))
    assert compute_deadlines("foia", D(2026, 3, 2), late).response_due == statutory


# --------------------------------------------------------------------------- event checks


def deadlines(regime="foia", received=D(2026, 3, 2)):
    return compute_deadlines(regime, received)


def test_eir_has_no_public_interest_extension_only_reg_7():
    """EIR reg 7(1): complex and voluminous, 40 working days; s.10(3) is FOIA's alone."""
    for regime in ("eir", "eisr"):
        errors, _ = event_problems(
            regime,
            "extension_claimed",
            D(2026, 3, 20),
            {"reason": "public_interest", "new_date": "2026-04-28"},
            deadlines(regime),
            D(2026, 3, 2),
        )
        assert [field for field, _ in errors] == ["reason"] and "reg 7" in errors[0][1]
        assert event_problems(
            regime, "extension_claimed", D(2026, 3, 20), {"reason": "eir_complex"}, deadlines(regime), D(2026, 3, 2)
        ) == ([], [])


def test_foisa_has_no_extension_at_all():
    """FOISA s.10: 20 working days, no public-interest or other extension."""
    for reason in ("public_interest", "eir_complex", "review"):
        errors, _ = event_problems(
            "foisa", "extension_claimed", D(2026, 3, 20), {"reason": reason}, deadlines("foisa"), D(2026, 3, 2)
        )
        assert errors and errors[0][0] == "reason" and "FOISA" in errors[0][1], reason


def test_reg_7_extension_is_refused_under_foia():
    """EIR reg 7 is the Regulations' alone; FOIA has s.10(3)."""
    errors, _ = event_problems(
        "foia", "extension_claimed", D(2026, 3, 20), {"reason": "eir_complex"}, deadlines(), D(2026, 3, 2)
    )
    assert errors[0][0] == "reason"
    ok = event_problems(
        "foia",
        "extension_claimed",
        D(2026, 3, 20),
        {"reason": "public_interest", "new_date": "2026-04-28"},
        deadlines(),
        D(2026, 3, 2),
    )
    assert ok == ([], [])


def test_s17_extension_claimed_after_the_due_date_is_a_warning_not_an_error():
    """FOIA s.17(1)-(2): recorded, but the request stays late (2026-03-02, due 31 Mar, claimed 10 Apr)."""
    errors, warnings = event_problems(
        "foia",
        "extension_claimed",
        D(2026, 4, 10),
        {"reason": "public_interest", "new_date": "2026-04-28"},
        deadlines(),
        D(2026, 3, 2),
    )
    assert errors == [] and len(warnings) == 1 and "does not move the date" in warnings[0]
    # An internal review's extension is not the response's: no warning.
    assert event_problems(
        "foia", "extension_claimed", D(2026, 4, 10), {"reason": "review"}, deadlines(), D(2026, 3, 2)
    ) == ([], [])


def test_s9_fees_notice_before_receipt_is_refused_and_after_the_due_date_warned():
    """FOIA s.9, s.10(2): no fee before there is a request; a late notice does not pause the clock."""
    errors, _ = event_problems("foia", "fee_notice", D(2026, 3, 1), {}, deadlines(), D(2026, 3, 2))
    assert [field for field, _ in errors] == ["occurred_on"]
    assert event_problems("foia", "fee_notice", D(2026, 3, 2), {}, deadlines(), D(2026, 3, 2)) == ([], [])
    assert event_problems("foia", "fee_notice", D(2026, 3, 31), {}, deadlines(), D(2026, 3, 2)) == ([], [])
    errors, warnings = event_problems("foia", "fee_notice", D(2026, 4, 1), {}, deadlines(), D(2026, 3, 2))
    assert errors == [] and "does not pause the clock" in warnings[0]
    # And the engine agrees: the late notice moves nothing.
    late = compute_deadlines("foia", D(2026, 3, 2), ClockEvents(fee_pauses=((D(2026, 4, 1), None),)))
    assert late.response_due == D(2026, 3, 31) and not late.paused


def test_checks_without_deadlines_or_receipt_only_check_what_they_can():
    assert event_problems("foia", "fee_notice", D(2026, 3, 1), {}, None, None) == ([], [])
    assert event_problems("foia", "note", D(2026, 3, 1), {}, None, None) == ([], [])


# --------------------------------------------------------------------------- fees lapse


@pytest.mark.parametrize(
    ("regime", "notice", "lapses"),
    [
        ("foia", D(2026, 3, 2), D(2026, 6, 2)),  # three months beginning with 2 Mar end on 1 Jun
        ("foisa", D(2026, 3, 2), D(2026, 6, 2)),  # FOISA s.9(4): the same
        ("foia", D(2026, 8, 31), D(2026, 11, 30)),  # no 31 Nov: the month's last day
        ("foia", D(2023, 11, 30), D(2024, 2, 29)),  # leap year
        ("foia", D(2026, 11, 15), D(2027, 2, 15)),  # across the year end
    ],
)
def test_s9_2_unpaid_fee_lapses_after_three_months(regime, notice, lapses):
    """FOIA s.9(2), FOISA s.9(4): the fee must be paid within three months of the fees notice."""
    assert fee_lapses_on(regime, notice) == lapses


def test_eir_unpaid_fee_lapses_after_60_working_days():
    """EIR: "a reasonable period"; the ICO uses 60 working days (UK calendar: Easter and May holidays skipped)."""
    sixtieth = UK.add_working_days(D(2026, 3, 2), 60)
    assert UK.working_days_between(D(2026, 3, 2), sixtieth) == 60
    assert sixtieth == D(2026, 6, 1)
    assert fee_lapses_on("eir", D(2026, 3, 2)) == D(2026, 6, 2)
    # EISR counts on Scotland's calendar (FOISA s.73): St Patrick's Day and Easter Monday are working
    # days there, so the 60th working day is Thu 28 May 2026 and the fee lapses on Fri 29 May.
    assert fee_lapses_on("eisr", D(2026, 3, 2)) == D(2026, 5, 29)


# --------------------------------------------------------------------------- days no admin can remove


def test_s10_6_good_friday_and_christmas_day_can_never_be_working_days():
    """FOIA s.10(6) names Christmas Day and Good Friday (3 Apr 2026); weekends likewise."""
    assert "Good Friday" in why_never_working(D(2026, 4, 3))
    assert "Christmas Day" in why_never_working(D(2026, 12, 25))
    assert "weekends" in why_never_working(D(2026, 3, 7))
    assert why_never_working(D(2026, 4, 6)) is None  # Easter Monday: a bank holiday a proclamation may move
    for name in CalendarName:
        cal = get_calendar(
            name,
            [
                ClosureOverride(D(2026, 4, 3), "Good Friday worked", remove=True),
                ClosureOverride(D(2026, 12, 25), "Christmas worked", remove=True),
            ],
        )
        assert not cal.is_working_day(D(2026, 4, 3)) and not cal.is_working_day(D(2026, 12, 25))
        assert len(cal.ignored_overrides) == 2
