"""Our window to ask for an internal review when the council never answered (EIR reg 11(2),
FOISA s.20(5)(a), EISR reg 16(2); none for FOIA), as the dashboard, the request page, the
calendar feed and the reminder planner show it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from fointracker.domain.deadlines import get_calendar
from fointracker.domain.reminders import ReminderKind, RequestFacts, plan
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User
from fointracker.services.preferences import new_calendar_token
from tests.conftest import login
from tests.test_dashboard_chasing import _row

TODAY = date(2026, 11, 26)  # Thu
DUE = date(2026, 10, 7)  # Wed: 40 working days later (UK calendar, s.10(6)) is Thu 3 Dec 2026
WINDOW_CLOSES = date(2026, 12, 3)


@pytest.fixture
def pinned():
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def unanswered_scene(app, users, pinned):
    with app.app_context():
        s = db.session
        campaign = Campaign(title="Air quality", default_regime="eir", created_by_id=users["admin"])
        s.add(campaign)
        s.flush()
        councils = s.scalars(select(Authority.id).where(Authority.nation == "England").order_by(Authority.id)).all()
        ids = {}
        for regime, council in (("eir", councils[0]), ("foia", councils[1])):
            row = FoiRequest(
                **_row(campaign.id, council, users["staff"], regime=regime, subject=f"{regime} unanswered")
                | {"response_due_on": DUE, "very_overdue_on": date(2026, 11, 4)}
            )
            s.add(row)
            s.flush()
            ids[regime] = row.id
        s.commit()
        return ids


def test_eir_reg_11_2_unanswered_request_window_on_the_dashboard_and_request_page(app, unanswered_scene):
    """EIR reg 11(2): due Wed 7 Oct 2026 and never answered, the review may be asked for until
    Thu 3 Dec 2026; FOIA offers none (the ICO takes the complaint without a review)."""
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    html = client.get("/").get_data(as_text=True)
    ours = html.split('id="our-deadlines"', 1)[1].split("<h2", 1)[0]
    assert f'/requests/{unanswered_scene["eir"]}"' in ours and "Thu 3 Dec 2026" in ours
    assert f'/requests/{unanswered_scene["foia"]}"' not in ours
    page = client.get(f"/requests/{unanswered_scene['eir']}").get_data(as_text=True)
    section = page.split('id="our-deadlines"', 1)[1].split("<h2", 1)[0]
    assert "Ask for an internal review by" in section and "Thu 3 Dec 2026" in section
    assert "reg 11(2)" in section
    assert 'id="our-deadlines"' not in client.get(f"/requests/{unanswered_scene['foia']}").get_data(as_text=True)


def test_calendar_feed_has_the_unanswered_review_window(app, unanswered_scene, users):
    with app.app_context():
        user = db.session.get(User, users["staff"])
        token = new_calendar_token(db.session, user, user.id)
        db.session.commit()
    events = {
        str(e["uid"]): e
        for e in Calendar.from_ical(app.test_client().get(f"/calendar/{token}.ics").data).walk("VEVENT")
    }
    uid = f"request-{unanswered_scene['eir']}-ours-review_request@fointracker"
    assert events[uid].decoded("dtstart") == WINDOW_CLOSES
    assert f"request-{unanswered_scene['foia']}-ours-review_request@fointracker" not in events


def test_reminder_before_the_unanswered_review_window_closes_foisa_s20_5_a():
    """FOISA s.20(5)(a): due Mon 30 Mar 2026 and unanswered: window to Thu 28 May 2026 (Scottish
    calendar), warned five working days before, on Wed 20 May (Mon 25 May skipped). Once a
    response is recorded the request is "responded" and the window runs from the response."""
    facts = RequestFacts(
        status="awaiting_response",
        response_due_on=date(2026, 3, 30),
        deferred_due_on=None,
        very_overdue_on=date(2026, 4, 28),
        review_due_on=None,
        clarification_requested_on=None,
        responded_on=None,
        figures_wanted=False,
        regime="foisa",
    )
    warnings = [p for p in plan(facts, get_calendar("scotland")) if p.kind is ReminderKind.REVIEW_WINDOW_CLOSES]
    assert [(p.target_date, p.fire_on) for p in warnings] == [(date(2026, 5, 28), date(2026, 5, 20))]
    foia = RequestFacts(**{**facts.__dict__, "regime": "foia"})
    assert not [p for p in plan(foia, get_calendar("uk")) if p.kind is ReminderKind.REVIEW_WINDOW_CLOSES]
