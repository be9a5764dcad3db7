"""Reminders about our own deadlines (domain.our_deadlines) and an internal review the council
has not answered: the pure planner, then through the outbox sync on the real database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fointracker.domain.deadlines import get_calendar
from fointracker.domain.reminders import ReminderKind, RequestFacts, is_stale, plan
from fointracker.models import Reminder
from fointracker.services.outbox import describe
from fointracker.services.timeline import add_event
from tests.reminders_support import add_campaign, add_request, add_user, planning_clock, reminder_rows  # noqa: F401

UK = get_calendar("uk")
SCOTLAND = get_calendar("scotland")
K = ReminderKind


def facts(**overrides) -> RequestFacts:
    values = dict(
        status="responded",
        response_due_on=None,
        deferred_due_on=None,
        very_overdue_on=None,
        review_due_on=None,
        clarification_requested_on=None,
        responded_on=None,
        figures_wanted=False,
    )
    values.update(overrides)
    return RequestFacts(**values)


def by_kind(planned) -> dict:
    return {p.kind: p for p in planned}


def test_review_window_warning_five_working_days_before_it_closes_foia_code():
    """Response Mon 2 Mar 2026: ask for a review by Thu 30 Apr 2026 (40 working days, s.45 Code);
    warned on Thu 23 Apr, five working days before."""
    planned = by_kind(plan(facts(regime="foia", timeline=(("response_received", date(2026, 3, 2)),)), UK))
    warning = planned[K.REVIEW_WINDOW_CLOSES]
    assert (warning.target_date, warning.fire_on, warning.days_before) == (date(2026, 4, 30), date(2026, 4, 23), 5)


def test_no_review_window_warning_once_the_review_was_asked_for():
    timeline = (("response_received", date(2026, 3, 2)), ("review_requested", date(2026, 3, 20)))
    planned = by_kind(plan(facts(status="internal_review", regime="foia", timeline=timeline), UK))
    assert K.REVIEW_WINDOW_CLOSES not in planned


def test_ico_complaint_warning_before_six_weeks_after_the_review_outcome():
    timeline = (
        ("response_received", date(2026, 3, 2)),
        ("review_requested", date(2026, 3, 20)),
        ("review_outcome", date(2026, 4, 14)),
    )
    warning = by_kind(plan(facts(regime="foia", timeline=timeline), UK))[K.COMPLAINT_WINDOW_CLOSES]
    # Tue 26 May 2026; five working days before skips the spring bank holiday (Mon 25 May).
    assert (warning.target_date, warning.fire_on) == (date(2026, 5, 26), date(2026, 5, 18))


def test_sic_s47_4_b_warning_while_the_review_is_unanswered_and_review_overdue():
    """FOISA: review asked for on Tue 10 Mar 2026, due Wed 8 Apr (s.21(1)). The day after, the
    council is overdue; and the s.47(4)(b) window (to Thu 8 Oct 2026) gets its warning."""
    timeline = (("response_received", date(2026, 3, 2)), ("review_requested", date(2026, 3, 10)))
    planned = by_kind(
        plan(
            facts(status="internal_review", review_due_on=date(2026, 4, 8), regime="foisa", timeline=timeline), SCOTLAND
        )
    )
    assert (planned[K.REVIEW_OVERDUE].target_date, planned[K.REVIEW_OVERDUE].fire_on) == (
        date(2026, 4, 8),
        date(2026, 4, 9),
    )
    assert planned[K.COMPLAINT_WINDOW_CLOSES].target_date == date(2026, 10, 8)
    assert planned[K.COMPLAINT_WINDOW_CLOSES].fire_on == date(2026, 10, 1)


def test_review_overdue_only_while_the_review_is_under_way():
    assert K.REVIEW_OVERDUE not in by_kind(plan(facts(status="responded", review_due_on=date(2026, 4, 8)), UK))


def test_appeal_warning_before_the_tribunal_28_days():
    """An ICO decision notice of Thu 1 Oct 2026: appeal by Thu 29 Oct (GRC Rules r.22(1)(b))."""
    timeline = (("complaint_lodged", date(2026, 5, 1)), ("decision_notice", date(2026, 10, 1)))
    warning = by_kind(plan(facts(status="closed", regime="foia", timeline=timeline), UK))[K.APPEAL_WINDOW_CLOSES]
    assert (warning.target_date, warning.fire_on) == (date(2026, 10, 29), date(2026, 10, 22))


def test_a_window_warning_about_a_passed_date_is_stale_but_review_overdue_is_not():
    today = date(2026, 5, 1)
    assert is_stale(K.REVIEW_WINDOW_CLOSES, date(2026, 4, 30), today)
    assert not is_stale(K.REVIEW_WINDOW_CLOSES, today, today)
    assert not is_stale(K.REVIEW_OVERDUE, date(2026, 1, 7), today)


def test_without_regime_or_timeline_no_window_is_planned():
    assert plan(facts(timeline=(("response_received", date(2026, 3, 2)),)), UK) == []


# ---------------------------------------------------------------- through the outbox


@pytest.fixture
def owner(session, planning_clock):
    return add_user(session, "owner@example.org")


def test_the_outbox_follows_our_windows_through_the_timeline(session, owner):
    campaign_id = add_campaign(session, coordinator_ids=[])
    req = add_request(session, campaign_id, sent_on=date(2026, 3, 2), owner_id=owner)
    today = date(2026, 11, 23)  # events may be recorded up to today; planning happens on 2 Mar 2026
    add_event(
        session,
        req,
        kind="response_received",
        occurred_on=date(2026, 3, 20),
        user_id=None,
        today=today,
        details={"outcome": "refused"},
    )
    [window] = reminder_rows(session, Reminder.kind == "review_window_closes")
    assert (window.target_date, window.status) == (UK.add_working_days(date(2026, 3, 20), 40), "pending")
    assert "ask for a review by" in describe(window)
    add_event(session, req, kind="review_requested", occurred_on=date(2026, 3, 25), user_id=None, today=today)
    assert {r.status for r in reminder_rows(session, Reminder.kind == "review_window_closes")} == {"superseded"}
    assert {r.status for r in reminder_rows(session, Reminder.kind == "review_overdue")} == {"pending"}
    add_event(session, req, kind="review_outcome", occurred_on=date(2026, 4, 14), user_id=None, today=today)
    assert {r.status for r in reminder_rows(session, Reminder.kind == "review_overdue")} == {"superseded"}
    [complaint] = reminder_rows(session, Reminder.kind == "complaint_window_closes")
    assert (complaint.target_date, complaint.status) == (date(2026, 5, 26), "pending")


# ---------------------------------------------------------------- the dashboard's bound


@settings(max_examples=60, deadline=None)
@given(
    today=st.dates(date(2026, 1, 1), date(2029, 12, 31)),
    closed=st.lists(st.dates(date(2025, 9, 1), date(2029, 12, 31)), max_size=25),
)
def test_the_dashboards_bound_keeps_every_review_window_still_open(today, closed):
    """earliest_open_review_window: every response whose 40-working-day window is still open
    today, on any regime's calendar (closure days too), came on or after it, and the bound is
    tight: on the day before it, no calendar's window is open."""
    from datetime import timedelta

    from fointracker.domain.deadlines.calendar import ClosureOverride
    from fointracker.domain.regimes import Regime
    from fointracker.services.deadlines import Calendars
    from fointracker.services.our_deadlines import RECENT_ENOUGH, earliest_open_review_window

    calendars = Calendars([ClosureOverride(day, "Office closed") for day in closed])
    bound = earliest_open_review_window(calendars, today)
    calendar_of = [calendars.for_regime(regime) for regime in Regime]

    def open_on_some_calendar(response):
        return any(calendar.add_working_days(response, 40) >= today for calendar in calendar_of)

    oldest = today - timedelta(days=RECENT_ENOUGH["response"])
    assert oldest <= bound <= today
    assert open_on_some_calendar(bound)
    assert bound == oldest or not open_on_some_calendar(bound - timedelta(days=1))
