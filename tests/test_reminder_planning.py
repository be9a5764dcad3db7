"""Which reminders a request gets, and how the outbox follows its deadlines.

The first half tests the pure planner (domain.reminders) on fixed dates; the second half
the outbox sync (services.reminders) through the services that change a request, against
the real database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from fointracker.domain.deadlines import compute_deadlines, get_calendar
from fointracker.domain.reminders import (
    ReminderKind,
    RequestFacts,
    fire_at,
    is_stale,
    plan,
    working_days_before,
)
from fointracker.models import Reminder
from fointracker.services.batch import bulk_assign_owner
from fointracker.services.calendar import add_closure, delete_closure
from fointracker.services.deadlines import recompute_requests
from fointracker.services.reminders import plan_request
from fointracker.services.timeline import add_event, remove_event, set_figures_entered
from tests.reminders_support import add_campaign, add_request, add_user, as_utc, planning_clock, reminder_rows  # noqa: F401

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime

UK = get_calendar("uk")
SCOTLAND = get_calendar("scotland")
TODAY = date(2026, 11, 23)
K = ReminderKind


def facts(**overrides) -> RequestFacts:
    values = dict(
        status="awaiting_response",
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
    return {(p.kind, p.days_before): p for p in planned}


# ---------------------------------------------------------------- the pure planner


def test_due_soon_fires_5_and_1_working_days_before_skipping_bank_holidays():
    # Due Tuesday 7 April 2026. Good Friday (3 Apr) and Easter Monday (6 Apr) are not working days.
    due = date(2026, 4, 7)
    planned = by_kind(plan(facts(response_due_on=due, deferred_due_on=due), UK))
    assert planned[(K.DUE_SOON, 5)].fire_on == date(2026, 3, 27)  # Fri: 27, 30, 31 Mar, 1, 2 Apr
    assert planned[(K.DUE_SOON, 1)].fire_on == date(2026, 4, 2)  # Thu before Easter, not Mon 6
    assert planned[(K.DUE_TODAY, 0)].fire_on == due
    assert {p.target_date for p in planned.values()} == {due}
    # Easter Monday is not a bank holiday in Scotland: FOISA counts it.
    scottish = by_kind(plan(facts(response_due_on=due, deferred_due_on=due), SCOTLAND))
    assert scottish[(K.DUE_SOON, 1)].fire_on == date(2026, 4, 6)
    assert scottish[(K.DUE_SOON, 5)].fire_on == date(2026, 3, 30)


def test_due_soon_skips_christmas_and_the_substitute_days():
    # Due Tue 5 Jan 2027: Mon 4 Jan is Scotland's substitute for 2 Jan (a bank holiday in a part of the UK),
    # Fri 1 Jan, Mon 28 Dec (substitute Boxing Day) and Fri 25 Dec are not working days either.
    planned = by_kind(plan(facts(response_due_on=date(2027, 1, 5)), UK))
    assert planned[(K.DUE_SOON, 1)].fire_on == date(2026, 12, 31)
    assert planned[(K.DUE_SOON, 5)].fire_on == date(2026, 12, 23)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)),
    st.integers(1, 15),
    st.sampled_from([UK, SCOTLAND]),
)
def test_due_soon_is_exactly_n_working_days_before_on_a_working_day(day, n, calendar):
    due = calendar.previous_or_same_working_day(day)
    fire = working_days_before(calendar, due, n)
    assert calendar.is_working_day(fire)
    assert calendar.working_days_between(fire, due) == n


def test_overdue_waits_for_the_deferred_receipt_date():
    # Received Saturday 7 March 2026: statutory due Wed 8 April, a council deferring the receipt
    # to Monday says Thu 9 April. Chase on Fri 10 April, about the statutory date.
    deadlines = compute_deadlines("foia", date(2026, 3, 7))
    assert (deadlines.response_due, deadlines.deferred_receipt_due) == (date(2026, 4, 8), date(2026, 4, 9))
    planned = by_kind(
        plan(
            facts(
                response_due_on=deadlines.response_due,
                deferred_due_on=deadlines.deferred_receipt_due,
                very_overdue_on=deadlines.very_overdue,
            ),
            UK,
        )
    )
    overdue = planned[(K.OVERDUE, 0)]
    assert overdue.fire_on == date(2026, 4, 10) and overdue.target_date == date(2026, 4, 8)
    # Received on a working day: the two dates agree and the chase comes the next working day.
    plain = compute_deadlines("foia", date(2026, 3, 2))
    planned = by_kind(
        plan(
            facts(
                response_due_on=plain.response_due,
                deferred_due_on=plain.deferred_receipt_due,
                very_overdue_on=plain.very_overdue,
            ),
            UK,
        )
    )
    assert planned[(K.OVERDUE, 0)].fire_on == date(2026, 4, 1)  # due Tue 31 March


def test_very_overdue_fires_the_working_day_after_very_overdue_on():
    # very_overdue_on is the last day that is merely overdue (Thu 30 April 2026).
    planned = by_kind(plan(facts(response_due_on=date(2026, 3, 31), very_overdue_on=date(2026, 4, 30)), UK))
    very = planned[(K.VERY_OVERDUE, 0)]
    assert (very.target_date, very.fire_on) == (date(2026, 4, 30), date(2026, 5, 1))
    # ... and over a bank holiday weekend: Fri 1 May -> Tue 5 May (Mon 4 May is Early May bank holiday).
    planned = by_kind(plan(facts(very_overdue_on=date(2026, 5, 1)), UK))
    assert planned[(K.VERY_OVERDUE, 0)].fire_on == date(2026, 5, 5)


def test_clarification_we_owe_after_more_than_three_working_days():
    asked = date(2026, 3, 9)  # Monday
    planned = by_kind(plan(facts(status="clarification_requested", clarification_requested_on=asked), UK))
    owed = planned[(K.CLARIFICATION_OWED, 0)]
    assert owed.fire_on == date(2026, 3, 13)  # Friday: owed for 4 working days, i.e. more than 3
    assert UK.working_days_between(asked, owed.fire_on) == 4 and owed.target_date == asked
    # Over Easter: asked Thu 2 April -> 7, 8, 9, 10 April.
    planned = by_kind(plan(facts(status="clarification_requested", clarification_requested_on=date(2026, 4, 2)), UK))
    assert planned[(K.CLARIFICATION_OWED, 0)].fire_on == date(2026, 4, 10)
    # Answered (status moved on): nothing owed.
    assert not plan(facts(status="awaiting_response", clarification_requested_on=asked), UK)


def test_figures_missing_after_five_working_days():
    responded = date(2026, 3, 9)  # Monday; St Patrick's Day (Tue 17 March) is a bank holiday in NI
    planned = by_kind(plan(facts(status="responded", responded_on=responded, figures_wanted=True), UK))
    missing = planned[(K.FIGURES_MISSING, 0)]
    assert missing.fire_on == date(2026, 3, 18)  # 10, 11, 12, 13, 16, [17], 18
    assert UK.working_days_between(responded, missing.fire_on) == 6 and missing.target_date == responded
    # FOISA counts 17 March (not a Scottish holiday): a day earlier.
    scottish = by_kind(plan(facts(status="responded", responded_on=responded, figures_wanted=True), SCOTLAND))
    assert scottish[(K.FIGURES_MISSING, 0)].fire_on == date(2026, 3, 17)
    assert not plan(facts(status="responded", responded_on=responded, figures_wanted=False), UK)


def test_review_due_only_while_in_internal_review():
    review = date(2026, 5, 12)
    planned = by_kind(plan(facts(status="internal_review", review_due_on=review), UK))
    assert planned[(K.REVIEW_DUE, 0)].fire_on == review
    assert not plan(facts(status="responded", review_due_on=review), UK)


def test_paused_clock_plans_no_response_reminders():
    assert plan(facts(status="fee_requested"), UK) == []


def test_fire_at_is_seven_in_the_morning_london_time():
    assert fire_at(date(2026, 1, 15)) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)  # GMT
    assert fire_at(date(2026, 7, 15)) == datetime(2026, 7, 15, 6, 0, tzinfo=UTC)  # BST
    assert fire_at(date(2026, 3, 29)) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # clocks went forward at 01:00
    assert fire_at(date(2026, 10, 25)) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # and back


def test_only_warnings_about_a_passed_date_are_stale():
    today = date(2026, 4, 8)
    assert is_stale(K.DUE_SOON, date(2026, 4, 7), today)
    assert is_stale(K.DUE_TODAY, date(2026, 4, 7), today)
    assert not is_stale(K.DUE_TODAY, today, today)
    assert not is_stale(K.OVERDUE, date(2026, 4, 7), today)
    assert not is_stale(K.VERY_OVERDUE, date(2026, 1, 7), today)


# ---------------------------------------------------------------- the outbox in the database

SENT = date(2026, 3, 2)  # Monday; due Tuesday 31 March 2026


@pytest.fixture
def people(session, planning_clock):
    # Requests are logged on the day they are sent (2 March 2026), so every warning is still ahead.
    return {
        "owner": add_user(session, "owner@example.org"),
        "other": add_user(session, "other@example.org"),
        "coord1": add_user(session, "coord1@example.org", role="coordinator"),
        "coord2": add_user(session, "coord2@example.org", role="coordinator", mode="digest"),
    }


@pytest.fixture
def campaign_id(session, people):
    return add_campaign(
        session, coordinator_ids=[people["coord1"], people["coord2"]], webhook_url="https://hooks.example.org/T000/B000"
    )


def keys(rows, **fixed):
    return {
        (r.kind, r.days_before, r.target_date)
        for r in rows
        if all(getattr(r, name) == value for name, value in fixed.items())
    }


def by_status(rows) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for row in rows:
        out.setdefault(row.status, set()).add(row.id)
    return out


def test_creating_a_request_plans_rows_for_owner_coordinators_and_the_webhook(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    assert req.response_due_on == date(2026, 3, 31)
    expected = {
        (p.kind.value, p.days_before, p.target_date): p
        for p in plan(
            facts(
                response_due_on=req.response_due_on,
                deferred_due_on=req.deferred_due_on,
                very_overdue_on=req.very_overdue_on,
            ),
            UK,
        )
    }
    assert {k[0] for k in expected} == {"due_soon", "due_today", "overdue", "very_overdue"}
    rows = reminder_rows(session, Reminder.request_id == req.id)
    recipients = {(r.recipient, r.recipient_id, r.channel) for r in rows}
    assert recipients == {
        (f"user:{people['owner']}", people["owner"], "email"),
        (f"user:{people['coord1']}", people["coord1"], "email"),
        (f"user:{people['coord2']}", people["coord2"], "email"),
        (f"campaign:{campaign_id}", None, "webhook"),
    }
    assert len(rows) == len(expected) * 4
    for row in rows:
        assert (row.kind, row.days_before, row.target_date) in expected
        assert as_utc(row.due_at) == fire_at(expected[(row.kind, row.days_before, row.target_date)].fire_on)
        assert (row.status, row.attempts, row.sent_at, row.claim_token) == ("pending", 0, None, None)


def test_a_request_logged_after_its_due_date_gets_no_stale_warnings(session, people, campaign_id, planning_clock):
    planning_clock.set("2026-04-01T09:00:00Z")  # logged the day after it was due
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    rows = reminder_rows(session, Reminder.request_id == req.id)
    assert {r.kind for r in rows} == {"overdue", "very_overdue"}
    assert {r.status for r in rows} == {"pending"}


def test_owner_who_is_also_a_coordinator_gets_one_copy_and_no_webhook_means_no_webhook_rows(session, people):
    campaign = add_campaign(session, "No hook", coordinator_ids=[people["coord1"]])
    req = add_request(session, campaign, sent_on=SENT, owner_id=people["coord1"])
    rows = reminder_rows(session, Reminder.request_id == req.id)
    assert {r.recipient for r in rows} == {f"user:{people['coord1']}"}
    assert len(rows) == len(keys(rows))
    draft = add_request(session, campaign, sent_on=None, owner_id=people["owner"])
    assert reminder_rows(session, Reminder.request_id == draft.id) == []  # no deadline, no reminders


def test_planning_twice_adds_nothing_and_the_key_is_unique(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    before = [(r.id, r.status, r.due_at) for r in reminder_rows(session)]
    plan_request(session, req, UK)
    recompute_requests(session, replan=True)
    recompute_requests(session, replan=True)
    assert [(r.id, r.status, r.due_at) for r in reminder_rows(session)] == before
    one = reminder_rows(session)[0]
    with pytest.raises(IntegrityError):
        session.execute(
            insert(Reminder).values(
                request_id=one.request_id,
                kind=one.kind,
                days_before=one.days_before,
                target_date=one.target_date,
                recipient=one.recipient,
                recipient_id=one.recipient_id,
                channel=one.channel,
                due_at=one.due_at,
                status="pending",
                attempts=0,
                last_error="",
                message_id="",
                created_at=one.created_at,
                updated_at=one.created_at,
            )
        )
    session.rollback()


def test_fee_notice_supersedes_the_due_reminders_and_payment_plans_new_ones(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    original = {r.id for r in reminder_rows(session)}
    add_event(session, req, kind="fee_notice", occurred_on=date(2026, 3, 9), user_id=None, today=TODAY)
    rows = reminder_rows(session)
    assert {r.id for r in rows} == original  # nothing new while the clock is stopped
    assert {r.status for r in rows} == {"superseded"}
    assert all(r.last_error for r in rows)  # says why
    add_event(session, req, kind="fee_paid", occurred_on=date(2026, 3, 13), user_id=None, today=TODAY)
    session.refresh(req)
    new_due = req.response_due_on
    assert new_due == UK.add_working_days(date(2026, 3, 31), 5)
    rows = reminder_rows(session)
    fresh = [r for r in rows if r.id not in original]
    assert fresh and {r.status for r in fresh} == {"pending"}
    assert {r.target_date for r in fresh if r.kind != "very_overdue"} == {new_due}
    assert {r.status for r in rows if r.id in original} == {"superseded"}


def test_a_deadline_that_moves_back_revives_the_old_rows(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    original = {r.id: (r.kind, r.days_before, r.target_date, r.recipient) for r in reminder_rows(session)}
    extension = add_event(
        session,
        req,
        kind="extension_claimed",
        occurred_on=date(2026, 3, 20),
        user_id=None,
        today=TODAY,
        details={"reason": "public_interest", "new_date": "2026-04-28"},
    )
    rows = reminder_rows(session)
    extended = {r.id for r in rows if r.id not in original}
    assert {r.status for r in rows if r.id in original} == {"superseded"}
    assert {r.target_date for r in rows if r.id in extended and r.kind != "very_overdue"} == {date(2026, 4, 28)}
    remove_event(session, extension, reason="logged on the wrong request", user_id=None)
    rows = {r.id: r for r in reminder_rows(session)}
    # The same rows (same ids, same keys) are pending again; the extension's are superseded.
    assert {i for i, r in rows.items() if r.status == "pending"} == set(original)
    assert all(
        (rows[i].kind, rows[i].days_before, rows[i].target_date, rows[i].recipient) == key
        for i, key in original.items()
    )
    assert all(rows[i].attempts == 0 and rows[i].next_attempt_at is None for i in original)
    assert {rows[i].status for i in extended} == {"superseded"}
    # The fee notice case too: pause, then remove the notice.
    notice = add_event(session, req, kind="fee_notice", occurred_on=date(2026, 3, 9), user_id=None, today=TODAY)
    assert {r.status for r in reminder_rows(session, Reminder.id.in_(original))} == {"superseded"}
    remove_event(session, notice, reason="sent to us by mistake", user_id=None)
    assert {r.status for r in reminder_rows(session, Reminder.id.in_(original))} == {"pending"}
    assert len(reminder_rows(session)) == len(original) + len(extended)


def test_sent_rows_are_never_touched(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    sent_at = datetime(2026, 3, 24, 7, 0, tzinfo=UTC)
    first = reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)
    for row in first:
        row.status, row.sent_at, row.message_id = "sent", sent_at, f"<reminder-{row.id}@example.org>"
    session.commit()
    snapshot = {r.id: (r.status, r.sent_at, r.message_id, r.due_at, r.updated_at) for r in first}
    add_event(session, req, kind="fee_notice", occurred_on=date(2026, 3, 25), user_id=None, today=TODAY)
    add_event(session, req, kind="fee_paid", occurred_on=date(2026, 3, 27), user_id=None, today=TODAY)
    bulk_assign_owner(session, [req.id], people["other"], None)
    add_closure(session, day=date(2026, 4, 15), name="Office move", calendar="all", remove=False, user_id=None)
    after = {
        r.id: (r.status, r.sent_at, r.message_id, r.due_at, r.updated_at)
        for r in reminder_rows(session, Reminder.id.in_(snapshot))
    }
    assert after == snapshot


def test_a_new_owner_takes_over_the_owners_reminders(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    old_owner = {r.id for r in reminder_rows(session, Reminder.recipient_id == people["owner"])}
    coordinators = by_status(reminder_rows(session, Reminder.recipient_id.in_([people["coord1"], people["coord2"]])))
    assert bulk_assign_owner(session, [req.id], people["other"], None) == 1
    assert {r.status for r in reminder_rows(session, Reminder.id.in_(old_owner))} == {"superseded"}
    new_owner = reminder_rows(session, Reminder.recipient_id == people["other"])
    assert {r.status for r in new_owner} == {"pending"}
    assert keys(new_owner) == keys(reminder_rows(session, Reminder.id.in_(old_owner)))
    # Coordinators and the webhook are untouched: same rows, still pending.
    assert (
        by_status(reminder_rows(session, Reminder.recipient_id.in_([people["coord1"], people["coord2"]])))
        == coordinators
    )
    # Giving it back revives the first owner's rows.
    bulk_assign_owner(session, [req.id], people["owner"], None)
    assert {r.status for r in reminder_rows(session, Reminder.id.in_(old_owner))} == {"pending"}
    assert {r.status for r in reminder_rows(session, Reminder.recipient_id == people["other"])} == {"superseded"}


def test_an_office_closure_leaves_the_reminders_alone(session, people, campaign_id):
    """An office closure is a working day in law (FOIA s.10(6), ICO LTT47): reminders keep the statutory date."""
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    before = {(r.id, r.status, r.target_date, r.due_at) for r in reminder_rows(session)}
    add_closure(session, day=date(2026, 3, 18), name="Office move", calendar="all", remove=False, user_id=None)
    session.refresh(req)
    assert req.response_due_on == date(2026, 3, 31)
    assert {(r.id, r.status, r.target_date, r.due_at) for r in reminder_rows(session)} == before


def test_a_holiday_removal_moves_the_reminders_and_deleting_it_moves_them_back(session, people, campaign_id):
    """St Patrick's Day 2026 (NI) declared a working day: the FOIA date (s.10(6)) is a working day earlier."""
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    before = {r.id: r for r in reminder_rows(session)}
    add_closure(session, day=date(2026, 3, 17), name="Moved by proclamation", calendar="all", remove=True, user_id=None)
    session.refresh(req)
    assert req.response_due_on == date(2026, 3, 30)  # one working day earlier
    rows = reminder_rows(session)
    moved = [r for r in rows if r.id not in before]
    assert {r.status for r in rows if r.id in before} == {"superseded"}
    assert {r.target_date for r in moved if r.kind in ("due_soon", "due_today", "overdue")} == {date(2026, 3, 30)}
    soon = {(r.days_before, r.recipient): r for r in moved if r.kind == "due_soon"}
    calendar = get_calendar("uk", _overrides(session))
    for (n, _recipient), row in soon.items():
        assert as_utc(row.due_at) == fire_at(working_days_before(calendar, date(2026, 3, 30), n))
    from fointracker.models import ClosureDay

    delete_closure(session, session.scalar(select(ClosureDay)), None)
    assert {r.status for r in reminder_rows(session, Reminder.id.in_(before))} == {"pending"}
    assert {r.status for r in reminder_rows(session, Reminder.id.in_([r.id for r in moved]))} == {"superseded"}


def _overrides(session):
    from fointracker.services.deadlines import load_overrides

    return load_overrides(session)


def test_clarification_and_figures_reminders_come_and_go_with_the_timeline(session, people, campaign_id):
    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    add_event(session, req, kind="clarification_requested", occurred_on=date(2026, 3, 9), user_id=None, today=TODAY)
    owed = reminder_rows(session, Reminder.kind == "clarification_owed")
    assert {(r.target_date, as_utc(r.due_at), r.status) for r in owed} == {
        (date(2026, 3, 9), fire_at(date(2026, 3, 13)), "pending")
    }
    assert len(owed) == 4  # owner, two coordinators, the webhook
    add_event(session, req, kind="clarification_sent", occurred_on=date(2026, 3, 11), user_id=None, today=TODAY)
    assert {r.status for r in reminder_rows(session, Reminder.kind == "clarification_owed")} == {"superseded"}
    add_event(
        session,
        req,
        kind="response_received",
        occurred_on=date(2026, 4, 2),
        user_id=None,
        today=TODAY,
        details={"outcome": "successful"},
    )
    rows = reminder_rows(session)
    assert {r.status for r in rows if r.kind in ("due_soon", "due_today", "overdue", "very_overdue")} == {
        "superseded"
    }  # answered: no more chasing
    figures = [r for r in rows if r.kind == "figures_missing"]
    assert {(r.target_date, as_utc(r.due_at), r.status) for r in figures} == {
        (date(2026, 4, 2), fire_at(UK.add_working_days(date(2026, 4, 2), 6)), "pending")
    }
    set_figures_entered(session, req, True, None)
    assert {r.status for r in reminder_rows(session, Reminder.kind == "figures_missing")} == {"superseded"}
    set_figures_entered(session, req, False, None)
    assert {r.status for r in reminder_rows(session, Reminder.kind == "figures_missing")} == {"pending"}


def test_changing_the_campaigns_coordinators_and_webhook_replans(session, people, campaign_id):
    from fointracker.models import Campaign
    from fointracker.services.campaigns import save_campaign

    req = add_request(session, campaign_id, sent_on=SENT, owner_id=people["owner"])
    campaign = session.get(Campaign, campaign_id)
    save_campaign(
        session,
        campaign,
        {
            "title": campaign.title,
            "description": "",
            "default_regime": "foia",
            "letter_template": "",
            "webhook_url": "",
        },
        [people["other"]],
        None,
    )
    rows = reminder_rows(session, Reminder.request_id == req.id)
    live = {r.recipient for r in rows if r.status == "pending"}
    assert live == {f"user:{people['owner']}", f"user:{people['other']}"}
    assert {r.status for r in rows if r.recipient in (f"user:{people['coord1']}", f"campaign:{campaign_id}")} == {
        "superseded"
    }


def test_the_bulk_recompute_plans_every_request_in_one_go(session, people, campaign_id):
    reqs = [
        add_request(session, campaign_id, sent_on=SENT + timedelta(days=i), owner_id=people["owner"], code=code)
        for i, code in enumerate(["KEN", "SUR", "ESS"])
    ]
    session.execute(Reminder.__table__.delete())
    session.commit()
    recompute_requests(session, replan=True)
    rows = reminder_rows(session)
    assert {r.request_id for r in rows} == {r.id for r in reqs}
    for req in reqs:
        assert len([r for r in rows if r.request_id == req.id]) == 5 * 4  # 5 reminders x 4 recipients
