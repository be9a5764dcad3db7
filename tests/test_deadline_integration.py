"""Stored deadlines follow the timeline and the admins' calendar changes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fointracker.domain.deadlines import compute_deadlines, deadline_state, get_calendar
from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, Campaign, ClosureDay, FoiRequest
from fointracker.services.calendar import add_closure, delete_closure
from fointracker.services.deadlines import Calendars, recompute_requests, state_condition
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import TimelineError, add_event, remove_event, update_event
from tests.conftest import post

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime

TODAY = date(2026, 11, 23)


@pytest.fixture
def campaign_id(session, users):
    campaign = Campaign(title="Deadlines", default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.commit()
    return campaign.id


def new_request(session, campaign_id, code="KEN", sent=date(2026, 3, 12), regime=None, received=None):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority.id,
            "regime": regime or ("foisa" if authority.nation == "Scotland" else "foia"),
            "subject": "Budgets",
            "body": "",
            "sent_on": sent,
            "received_on": received,
            "council_reference": "",
            "owner_id": None,
        },
        None,
    )
    session.commit()
    return foi_request


def test_creating_a_sent_request_stores_its_deadlines(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2009, 3, 12))
    assert req.response_due_on == date(2009, 4, 14)  # FOIA s.10(6): any UK bank holiday, so St Patrick's and Easter
    expected = compute_deadlines("foia", date(2009, 3, 12))
    assert (req.deferred_due_on, req.very_overdue_on) == (expected.deferred_receipt_due, expected.very_overdue)
    assert req.review_due_on is None and req.clock_paused is False


def test_scottish_request_uses_the_scottish_calendar(session, campaign_id):
    # Easter Monday 2026 (6 April) is not a Scottish bank holiday, so FOISA is a day earlier.
    uk = new_request(session, campaign_id, code="KEN", sent=date(2026, 3, 20))
    scot = new_request(session, campaign_id, code="GLG", sent=date(2026, 3, 20))
    assert uk.response_due_on == date(2026, 4, 21)
    assert scot.response_due_on == date(2026, 4, 20)


def test_draft_has_no_deadline(session, campaign_id):
    req = new_request(session, campaign_id, sent=None)
    assert req.status == "draft" and req.response_due_on is None


def test_clarification_pauses_then_restarts_the_clock(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    add_event(session, req, kind="clarification_requested", occurred_on=date(2026, 3, 5), user_id=None, today=TODAY)
    assert req.status == "clarification_requested" and req.clock_paused and req.response_due_on is None
    add_event(session, req, kind="clarification_sent", occurred_on=date(2026, 3, 10), user_id=None, today=TODAY)
    assert req.status == "awaiting_response" and not req.clock_paused
    assert req.response_due_on == get_calendar("uk").add_working_days(date(2026, 3, 10), 20)


def test_fee_notice_pauses_and_payment_moves_the_date(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    plain_due = req.response_due_on
    add_event(session, req, kind="fee_notice", occurred_on=date(2026, 3, 9), user_id=None, today=TODAY)
    assert req.clock_paused and req.response_due_on is None and req.status == "fee_requested"
    add_event(session, req, kind="fee_paid", occurred_on=date(2026, 3, 13), user_id=None, today=TODAY)
    calendar = get_calendar("uk")
    disregarded = calendar.working_days_between(date(2026, 3, 8), date(2026, 3, 13))  # 9..13 inclusive
    assert disregarded == 5
    assert req.response_due_on == calendar.add_working_days(plain_due, disregarded)


def test_public_interest_extension_records_the_new_date(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    add_event(
        session,
        req,
        kind="extension_claimed",
        occurred_on=date(2026, 3, 20),
        details={"reason": "public_interest", "new_date": "2026-04-27"},
        user_id=None,
        today=TODAY,
    )
    assert req.status == "extended" and req.response_due_on == date(2026, 4, 27)


def test_editing_and_removing_events_recompute_and_are_audited(session, campaign_id, users):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    original_due = req.response_due_on
    event = add_event(
        session, req, kind="clarification_requested", occurred_on=date(2026, 3, 4), user_id=users["staff"], today=TODAY
    )
    sent_back = add_event(
        session, req, kind="clarification_sent", occurred_on=date(2026, 3, 6), user_id=users["staff"], today=TODAY
    )
    first_due = req.response_due_on
    update_event(
        session,
        sent_back,
        occurred_on=date(2026, 3, 16),
        details={},
        note="",
        reason="typo in date",
        user_id=users["staff"],
        today=TODAY,
    )
    assert req.response_due_on == get_calendar("uk").add_working_days(date(2026, 3, 16), 20) != first_due
    with pytest.raises(TimelineError, match="inconsistent"):
        remove_event(session, event, reason="entered by mistake", user_id=users["staff"])  # would orphan the reply
    remove_event(session, sent_back, reason="entered by mistake", user_id=users["staff"])
    remove_event(session, event, reason="entered by mistake", user_id=users["staff"])
    assert req.status == "awaiting_response" and req.response_due_on == original_due
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "request", AuditEntry.entity_id == req.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "created",
        "event added",
        "event added",
        "event edited",
        "event removed",
        "event removed",
    ]
    edit = entries[3]
    assert edit.before["occurred_on"] == "2026-03-06" and edit.after["occurred_on"] == "2026-03-16"
    assert edit.after["reason"] == "typo in date"
    assert edit.before["response_due_on"] == first_due.isoformat()


def test_an_event_that_makes_no_sense_is_refused_and_nothing_changes(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    with pytest.raises(TimelineError, match="no outstanding fees notice"):
        add_event(session, req, kind="fee_paid", occurred_on=date(2026, 3, 5), user_id=None, today=TODAY)
    with pytest.raises(TimelineError, match="in the future"):
        add_event(session, req, kind="acknowledged", occurred_on=TODAY + timedelta(days=1), user_id=None, today=TODAY)
    with pytest.raises(TimelineError, match="before the request was sent"):
        add_event(session, req, kind="acknowledged", occurred_on=date(2026, 3, 1), user_id=None, today=TODAY)
    session.expire_all()
    assert req.status == "awaiting_response" and [e.kind for e in req.events] == ["sent"]


def test_review_due_date_is_stored_while_in_review(session, campaign_id):
    req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    add_event(
        session,
        req,
        kind="response_received",
        occurred_on=date(2026, 3, 20),
        details={"outcome": "refused", "exemptions": ["s12"]},
        user_id=None,
        today=TODAY,
    )
    assert req.response_due_on is None and req.outcome == "refused"
    add_event(session, req, kind="review_requested", occurred_on=date(2026, 4, 1), user_id=None, today=TODAY)
    assert req.status == "internal_review"
    assert req.review_due_on == get_calendar("uk").add_working_days(date(2026, 4, 1), 20)


def test_holiday_removal_recomputes_open_requests_only(session, campaign_id, users):
    """A bank holiday moved by proclamation (remove=True) moves open FOIA dates (s.10(6)); not the answered."""
    open_req = new_request(session, campaign_id, sent=date(2026, 3, 2))
    answered = new_request(session, campaign_id, code="MAN", sent=date(2026, 3, 2))
    add_event(
        session,
        answered,
        kind="response_received",
        occurred_on=date(2026, 3, 10),
        details={"outcome": "successful"},
        user_id=None,
        today=TODAY,
    )
    scottish = new_request(session, campaign_id, code="GLG", sent=date(2026, 3, 2))
    before_uk, before_scot = open_req.response_due_on, scottish.response_due_on
    assert (
        add_closure(
            session, day=date(2026, 3, 16), name="Office move", calendar="uk", remove=False, user_id=users["admin"]
        )
        == 0
    )  # an office closure is a working day in law (FOIA s.10(6)): nothing moves
    moved = add_closure(
        session, day=date(2026, 3, 17), name="Proclamation", calendar="uk", remove=True, user_id=users["admin"]
    )
    assert moved == 1
    session.expire_all()
    assert before_uk == date(2026, 3, 31) and open_req.response_due_on == date(2026, 3, 30)  # St Patrick's Day
    assert scottish.response_due_on == before_scot  # the Scottish calendar was not touched
    assert answered.response_due_on is None
    removal = session.scalars(select(ClosureDay).where(ClosureDay.remove.is_(True))).one()
    delete_closure(session, removal, users["admin"])
    session.expire_all()
    assert open_req.response_due_on == before_uk


def test_recompute_requests_changes_nothing_when_nothing_moved(session, campaign_id):
    for code in ("KEN", "MAN", "GLG"):
        new_request(session, campaign_id, code=code, sent=date(2026, 3, 2))
    assert recompute_requests(session) == 0


def test_state_filters_in_sql_match_the_domain_rule(session, campaign_id):
    calendars = Calendars(())
    councils = session.scalars(
        select(Authority).where(Authority.end_date.is_(None), Authority.social_care).order_by(Authority.code).limit(60)
    ).all()
    today = date(2026, 5, 11)
    for offset, council in enumerate(councils):
        new_request(session, campaign_id, code=council.code, sent=today - timedelta(days=offset * 1 + 10))
    rows = session.scalars(select(FoiRequest)).all()
    expected = {state: set() for state in ("due_today", "due_soon", "overdue", "very_overdue", "on_time")}
    for r in rows:
        state = deadline_state(today, r.response_due_on, r.very_overdue_on, calendars.for_regime(r.regime), 5).value
        expected[state].add(r.id)
    expected["overdue"] |= expected["very_overdue"]  # the overdue filter includes very overdue
    assert all(expected[s] for s in expected), {s: len(v) for s, v in expected.items()}
    for state, ids in expected.items():
        got = set(session.scalars(select(FoiRequest.id).where(state_condition(state, today, calendars, 5))))
        assert got == ids, state


def test_request_page_shows_due_date_calendar_and_explanation(login_as, app, campaign_id):
    with app.app_context():
        req_id = new_request(db.session, campaign_id, sent=date(2009, 3, 12)).id
    client = login_as("staff")
    page = client.get(f"/requests/{req_id}").get_data(as_text=True)
    assert "Tue 14 Apr 2009" in page and "bank holidays in any part of the UK" in page
    explanation = client.get(f"/requests/{req_id}/deadline").get_data(as_text=True)
    assert "Saint Patrick&#39;s Day (Northern Ireland)" in explanation
    assert "Easter Monday (England, Wales, Northern Ireland)" in explanation


def test_calculator_page(login_as):
    client = login_as("author")
    html = client.get("/deadlines/calculator?regime=foisa&received=2026-03-20").get_data(as_text=True)
    assert "Mon 20 Apr 2026" in html and "Scottish bank holidays" in html
    html = client.get("/deadlines/calculator?regime=foia&received=2026-03-20&fee_notice=2026-03-23").get_data(
        as_text=True
    )
    assert "Fee received: give both the notice date and the payment date, or neither" in html
    html = client.get("/deadlines/calculator?regime=foia&received=2026-02-31").get_data(as_text=True)
    assert "Received by the council: Not a valid date value." in html


def test_admin_closure_page_keeps_statutory_dates(login_as, app, campaign_id):
    """FOIA s.10(6), FOISA s.73: a closure is a working day; it gives the council's expected date only."""
    with app.app_context():
        req_id = new_request(db.session, campaign_id, sent=date(2026, 3, 2)).id
        before = db.session.get(FoiRequest, req_id).response_due_on
    client = login_as("admin")
    response = post(
        client,
        "/deadlines/closures",
        {"day": "2026-03-16", "name": "Strike day", "calendar": "all"},
        follow_redirects=True,
    )
    assert "Statutory deadlines do not move" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FoiRequest, req_id).response_due_on == before
    bad = post(client, "/deadlines/closures", {"day": "2026-03-14", "name": "x", "calendar": "all", "remove": "y"})
    assert "weekends are never working days" in bad.get_data(as_text=True)
    page = client.get("/deadlines/closures?year=2026").get_data(as_text=True)
    assert "Saint Andrew" in page and "Strike day" in page
