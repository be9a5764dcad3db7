"""Chasing and our own deadlines as people see them: the dashboard's to-do (due in the next 5
working days, overdue and not chased, the signed-in user's drafts, our windows closing soon),
the request page, the request list's "Last chased" column and the calendar feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import insert, select

from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User
from fointracker.services.foi_requests import create_request
from fointracker.services.preferences import new_calendar_token
from fointracker.services.timeline import add_event
from tests.conftest import login
from tests.test_dashboard import listed, todo_number

THURSDAY = date(2026, 11, 26)
TUESDAY = date(2026, 12, 1)  # after St Andrew's Day (Mon 30 Nov), a UK bank holiday under FOIA s.10(6)


@pytest.fixture
def pinned():
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        yield


def _row(campaign_id, authority_id, owner_id, **columns):
    values = {
        "campaign_id": campaign_id,
        "authority_id": authority_id,
        "regime": "foia",
        "subject": "Adult social care budgets",
        "body": "",
        "council_reference": "",
        "status": "awaiting_response",
        "clock_paused": False,
        "figures_entered": False,
        "sent_on": date(2026, 10, 1),
        "received_on": date(2026, 10, 1),
        "owner_id": owner_id,
        "outcome": None,
        "response_due_on": None,
        "deferred_due_on": None,
        "very_overdue_on": date(2027, 1, 29),
        "review_due_on": None,
        "responded_on": None,
        "responded_on_time": None,
        "last_chased_on": None,
    }
    values.update(columns)
    return values


@pytest.fixture
def chase_scene(app, users, pinned):
    with app.app_context():
        s = db.session
        campaign = Campaign(title="Care budgets", default_regime="foia", created_by_id=users["admin"])
        s.add(campaign)
        s.flush()
        councils = s.scalars(select(Authority.id).where(Authority.nation == "England").order_by(Authority.id)).all()
        staff = users["staff"]
        overdue = date(2026, 11, 16)
        rows = [_row(campaign.id, councils[i % len(councils)], staff, response_due_on=TUESDAY) for i in range(51)]
        rows += [
            _row(campaign.id, councils[0], staff, response_due_on=overdue, subject="never chased"),
            # chased Fri 20 Nov: 4 working days ago (Mon-Thu), so recently enough
            _row(campaign.id, councils[1], staff, response_due_on=overdue, last_chased_on=date(2026, 11, 20)),
            # chased Thu 19 Nov: 5 working days ago, time to chase again
            _row(campaign.id, councils[2], staff, response_due_on=overdue, last_chased_on=date(2026, 11, 19)),
            # due yesterday, but the council may count from a deferred receipt: not before today
            _row(campaign.id, councils[3], staff, response_due_on=date(2026, 11, 25), deferred_due_on=THURSDAY),
        ]
        s.execute(insert(FoiRequest), rows)
        create_request(
            s,
            {"campaign_id": campaign.id, "authority_id": councils[4], "regime": "foia", "subject": "Staff draft"},
            staff,
        )
        create_request(
            s,
            {"campaign_id": campaign.id, "authority_id": councils[5], "regime": "foia", "subject": "Admin draft"},
            users["admin"],
        )
        answered = create_request(
            s,
            {
                "campaign_id": campaign.id,
                "authority_id": councils[6],
                "regime": "foia",
                "subject": "Answered in October",
                "sent_on": date(2026, 9, 10),
                "owner_id": staff,
            },
            staff,
        )
        add_event(
            s,
            answered,
            kind="response_received",
            occurred_on=date(2026, 10, 1),
            user_id=staff,
            today=THURSDAY,
            details={"outcome": "refused"},
        )
        s.commit()
        return {"campaign": campaign.id, "answered": answered.id, "users": users}


def test_due_in_the_next_5_working_days_counts_tuesday_on_a_thursday(app, chase_scene, pinned):
    """Thu 26 Nov 2026, 51 requests due Tue 1 Dec: "by Sunday" had 0; the next 5 working days
    (Fri 27, Tue 1, Wed 2, Thu 3, Fri 4 Dec: St Andrew's Day skipped) have all 51."""
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Thu 26 Nov 2026" in html
    assert todo_number(html, "due_next_working_days") == 51
    assert listed(client, {"deadline": "due_this_week"}) == 0  # what the old bucket counted
    assert listed(client, {"todo": "due_next_working_days"}) == 51


def test_overdue_and_not_chased_for_5_working_days(app, chase_scene, pinned):
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert todo_number(html, "overdue") == 4
    # never chased, and chased 5 working days ago; not the one chased 4 working days ago, nor the
    # one whose deferred-receipt date is today (DESIGN §2: chase only after it).
    assert todo_number(html, "overdue_not_chased") == 2
    assert listed(client, {"todo": "overdue_not_chased"}) == 2


def test_the_signed_in_users_drafts_are_those_they_created(app, chase_scene, pinned):
    """The request has no creator column: the audit trail's "created" entry says who."""
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert todo_number(html, "my_drafts") == 1
    drafts = html.split('id="your-drafts"', 1)[1].split("<h2", 1)[0]
    assert "Staff draft" in drafts and "Admin draft" not in drafts
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    assert todo_number(admin.get("/").get_data(as_text=True), "my_drafts") == 1  # the admin's own


def test_our_windows_closing_soon_on_the_dashboard_and_the_request_page(app, chase_scene, pinned):
    """A FOIA response on Thu 1 Oct 2026: ask for a review by Thu 26 Nov 2026 (40 working days,
    s.45 Code of Practice), today: listed as closing."""
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/").get_data(as_text=True)
    ours = html.split('id="our-deadlines"', 1)[1].split("<h2", 1)[0]
    assert "Ask for an internal review by" in ours and "Thu 26 Nov 2026" in ours
    assert f'/requests/{chase_scene["answered"]}"' in ours
    page = client.get(f"/requests/{chase_scene['answered']}").get_data(as_text=True)
    section = page.split('id="our-deadlines"', 1)[1].split("<h2", 1)[0]
    assert "Ask for an internal review by" in section and "Thu 26 Nov 2026" in section
    assert "s.45 Code of Practice" in section


def test_last_chased_column_in_the_request_list(app, chase_scene, pinned):
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/requests/", query_string={"todo": "overdue"}).get_data(as_text=True)
    assert '<th scope="col">Last chased</th>' in html
    assert "Fri 20 Nov 2026" in html and "Thu 19 Nov 2026" in html


def test_calendar_feed_names_our_deadlines(app, chase_scene, pinned):
    with app.app_context():
        user = db.session.get(User, chase_scene["users"]["staff"])
        token = new_calendar_token(db.session, user, user.id)
        db.session.commit()
    body = app.test_client().get(f"/calendar/{token}.ics").data
    events = {str(e["uid"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    uid = f"request-{chase_scene['answered']}-ours-review_request@fointracker"
    assert uid in events
    event = events[uid]
    assert event.decoded("dtstart") == THURSDAY
    assert str(event["summary"]).startswith("Our last day — Ask for an internal review:")
    assert "s.45 Code of Practice" in str(event["description"])
    assert not any("-ours-" in u for u in events if u != uid)
    assert re.search(r"response-due", " ".join(events))  # the council's deadlines are still there
    assert timedelta(days=1) == event.decoded("dtend") - event.decoded("dtstart")
