"""The requester's own deadlines (domain.our_deadlines): worked examples, each naming its rule."""

from datetime import date

import pytest

from fointracker.domain.deadlines import get_calendar
from fointracker.domain.our_deadlines import Window, open_deadlines, our_deadlines
from fointracker.domain.regimes import CalendarName

UK = get_calendar(CalendarName.UK)
SCOTLAND = get_calendar(CalendarName.SCOTLAND)


def windows(regime, *timeline):
    calendar = SCOTLAND if regime in ("foisa", "eisr") else UK
    return [(d.window, d.due) for d in our_deadlines(regime, timeline, calendar)]


def test_foia_review_request_40_working_days_code_of_practice_skips_st_patricks_and_easter():
    """FOIA s.45 Code: 40 working days after a response on Mon 2 Mar 2026. The UK calendar
    (s.10(6)) skips St Patrick's Day (17 Mar), Good Friday (3 Apr) and Easter Monday (6 Apr)."""
    assert windows("foia", ("response_received", date(2026, 3, 2))) == [(Window.REVIEW_REQUEST, date(2026, 4, 30))]


def test_foisa_s20_5_review_request_on_the_scottish_calendar():
    """FOISA s.20(5): the same response, Scottish calendar (s.73): only Good Friday skipped,
    so two working days earlier than under FOIA."""
    [deadline] = our_deadlines("foisa", [("response_received", date(2026, 3, 2))], SCOTLAND)
    assert (deadline.window, deadline.due) == (Window.REVIEW_REQUEST, date(2026, 4, 28))
    assert "s.20(5)" in deadline.rule


def test_eir_reg_11_2_review_request_window():
    [deadline] = our_deadlines("eir", [("response_received", date(2026, 3, 2))], UK)
    assert deadline.due == date(2026, 4, 30) and "reg 11(2)" in deadline.rule


def test_no_review_window_once_a_review_was_requested_foia():
    assert windows("foia", ("response_received", date(2026, 3, 2)), ("review_requested", date(2026, 3, 20))) == []


def test_ico_complaint_six_weeks_after_the_review_outcome():
    """ICO complaint guidance: six weeks after the review outcome of Tue 14 Apr 2026."""
    got = windows(
        "foia",
        ("response_received", date(2026, 3, 2)),
        ("review_requested", date(2026, 3, 20)),
        ("review_outcome", date(2026, 4, 14)),
    )
    assert got == [(Window.ICO_COMPLAINT, date(2026, 5, 26))]


def test_foisa_s47_4_a_six_months_after_the_review_outcome_month_end():
    """FOISA s.47(4)(a): six months after a review outcome of 31 Aug 2026 ends on 28 Feb 2027."""
    got = windows(
        "foisa",
        ("response_received", date(2026, 3, 2)),
        ("review_requested", date(2026, 3, 10)),
        ("review_outcome", date(2026, 8, 31)),
    )
    assert got == [(Window.SIC_APPLICATION, date(2027, 2, 28))]


def test_foisa_s47_4_b_unanswered_review_six_months_after_its_due_date():
    """FOISA s.47(4)(b) with s.21(1): a review asked for on Tue 10 Mar 2026 was due on the 20th
    working day, Wed 8 Apr 2026 (Good Friday skipped); unanswered, the application to the
    Commissioner may be made until six months after that, Thu 8 Oct 2026."""
    [deadline] = our_deadlines(
        "foisa", [("response_received", date(2026, 3, 2)), ("review_requested", date(2026, 3, 10))], SCOTLAND
    )
    assert (deadline.window, deadline.counted_from, deadline.due) == (
        Window.SIC_APPLICATION_UNANSWERED,
        date(2026, 4, 8),
        date(2026, 10, 8),
    )
    assert "s.47(4)(b)" in deadline.rule


def test_no_complaint_window_once_a_complaint_was_lodged():
    got = windows(
        "foia",
        ("response_received", date(2026, 3, 2)),
        ("review_requested", date(2026, 3, 20)),
        ("review_outcome", date(2026, 4, 14)),
        ("complaint_lodged", date(2026, 5, 1)),
    )
    assert got == []


@pytest.mark.parametrize("kind", ["decision_notice", "complaint_decision"])
def test_ico_decision_notice_first_tier_tribunal_within_28_days(kind):
    """FOIA s.57 and GRC Rules r.22(1)(b): 28 days after a decision notice of 1 Oct 2026."""
    got = windows(
        "foia", ("review_outcome", date(2026, 4, 14)), ("complaint_lodged", date(2026, 5, 1)), (kind, date(2026, 10, 1))
    )
    assert got == [(Window.TRIBUNAL_APPEAL, date(2026, 10, 29))]


def test_sic_decision_court_of_session_within_42_days_foisa_s56():
    got = windows("foisa", ("complaint_lodged", date(2026, 5, 1)), ("decision_notice", date(2026, 10, 1)))
    assert got == [(Window.COURT_OF_SESSION_APPEAL, date(2026, 11, 12))]


def test_no_appeal_window_once_the_appeal_was_lodged():
    assert windows("foia", ("decision_notice", date(2026, 10, 1)), ("appeal_lodged", date(2026, 10, 20))) == []


def test_a_further_response_opens_the_review_window_again():
    """The review window runs from the latest response (a partial one, then the rest on Tue 1 Sep
    2026: 40 working days with no bank holiday in between end on Tue 27 Oct 2026)."""
    got = windows("foia", ("partial_response", date(2026, 3, 2)), ("further_response", date(2026, 9, 1)))
    assert got == [(Window.REVIEW_REQUEST, date(2026, 10, 27))]


def test_withdrawn_closes_every_window_and_other_kinds_are_ignored():
    assert windows("foia", ("response_received", date(2026, 3, 2)), ("withdrawn", date(2026, 3, 5))) == []
    assert windows("foia", ("sent", date(2026, 2, 1)), ("note", date(2026, 2, 3)), ("chased", date(2026, 3, 3))) == []


def test_same_day_response_and_review_request_keep_their_order():
    assert windows("foia", ("response_received", date(2026, 3, 2)), ("review_requested", date(2026, 3, 2))) == []


def test_a_closed_window_is_returned_but_not_open():
    [deadline] = our_deadlines("foia", [("response_received", date(2026, 3, 2))], UK)
    assert deadline.closed_on(date(2026, 5, 1)) and not deadline.closed_on(date(2026, 4, 30))
    assert open_deadlines([deadline], date(2026, 5, 1)) == []


# ---------------------------------------------------------------- no response by the due date

NO_RESPONSE_DUE = {"foisa": date(2026, 3, 30), "eisr": date(2026, 3, 30), "eir": date(2026, 3, 31)}


def unanswered(regime, *timeline, today=date(2026, 4, 1)):
    calendar = SCOTLAND if regime in ("foisa", "eisr") else UK
    due = NO_RESPONSE_DUE.get(regime, date(2026, 3, 31))
    return our_deadlines(regime, timeline, calendar, response_due=due, today=today)


def test_foisa_s20_5_a_review_40_working_days_after_the_time_for_compliance_expired():
    """FOISA s.20(5)(a): received Mon 2 Mar 2026, due Mon 30 Mar (s.10(1), Scottish calendar) and
    unanswered: the requirement for review may be made within 40 working days after that expiry,
    until Thu 28 May 2026 (Good Friday 3 Apr, 4 May and 25 May skipped; Easter Monday is a working
    day in Scotland)."""
    [deadline] = unanswered("foisa")
    assert (deadline.window, deadline.counted_from, deadline.due) == (
        Window.REVIEW_REQUEST,
        date(2026, 3, 30),
        date(2026, 5, 28),
    )
    assert "s.20(5)(a)" in deadline.rule and "none came" in deadline.rule


def test_eisr_reg_16_2_review_when_no_response_came():
    """EISR reg 16(2): the same 40 working days after the time for compliance expired."""
    [deadline] = unanswered("eisr")
    assert deadline.due == date(2026, 5, 28) and "reg 16(2)" in deadline.rule


def test_eir_reg_11_2_review_40_working_days_after_the_due_date():
    """EIR reg 11(2): 40 working days after the date the applicant believes the authority failed to
    comply; we take the due date, Tue 31 Mar 2026 (St Patrick's Day skipped, s.10(6) calendar).
    Good Friday, Easter Monday, 4 May and 25 May skipped: Mon 1 Jun 2026."""
    [deadline] = unanswered("eir")
    assert (deadline.window, deadline.due) == (Window.REVIEW_REQUEST, date(2026, 6, 1))
    assert "reg 11(2)" in deadline.rule


def test_foia_no_review_window_when_no_response_came():
    """FOIA: the s.45 Code counts the review window from a response; when none comes the ICO
    accepts a complaint about the failure to respond without an internal review."""
    assert unanswered("foia") == []


def test_no_response_window_only_once_the_due_date_has_passed():
    assert unanswered("foisa", today=date(2026, 3, 30)) == []  # due today: not yet late
    assert [d.due for d in unanswered("foisa", today=date(2026, 3, 31))] == [date(2026, 5, 28)]
    # Without today (the reminder planner plans ahead), the window is returned for the due date.
    got = our_deadlines("foisa", [], SCOTLAND, response_due=date(2026, 3, 30))
    assert [d.due for d in got] == [date(2026, 5, 28)]
    assert our_deadlines("foisa", [], SCOTLAND, today=date(2026, 4, 1)) == []  # nothing owed


def test_after_a_partial_response_the_later_review_window_counts_eir_reg_11_2():
    """A partial answer on Mon 2 Mar 2026 opens a window to Thu 30 Apr; the rest still owed past
    Tue 31 Mar opens one to Mon 1 Jun: the later is shown. A partial answer on Mon 20 Apr (window
    to Thu 18 Jun) is later than the failure's, and stays."""
    [early] = unanswered("eir", ("partial_response", date(2026, 3, 2)))
    assert (early.counted_from, early.due) == (date(2026, 3, 31), date(2026, 6, 1))
    [late] = unanswered("eir", ("partial_response", date(2026, 4, 20)), today=date(2026, 4, 21))
    assert (late.counted_from, late.due) == (date(2026, 4, 20), date(2026, 6, 18))


def test_no_response_window_once_a_review_was_asked_for_foisa():
    assert [d.window for d in unanswered("foisa", ("review_requested", date(2026, 4, 2)))] == [
        Window.SIC_APPLICATION_UNANSWERED
    ]
