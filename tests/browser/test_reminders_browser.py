"""A coordinator chooses immediate alerts, turns a kind off, and takes their calendar feed."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Authority, User
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request

pytestmark = pytest.mark.browser


def test_reminder_preferences_and_calendar_feed(logged_in, app):
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        campaign_id = save_campaign(
            db.session, None, {"title": "Roads 2026", "default_regime": "foia"}, [coordinator.id], coordinator.id
        ).id
        kent = db.session.scalar(select(Authority.id).where(Authority.code == "KEN"))
        request = create_request(
            db.session,
            {
                "campaign_id": campaign_id,
                "authority_id": kent,
                "regime": "foia",
                "subject": "Potholes",
                "body": "",
                "owner_id": coordinator.id,
                "sent_on": clock.today() - timedelta(days=2),
            },
            coordinator.id,
        )
        db.session.commit()
        request_id, due = request.id, request.response_due_on
    page = logged_in

    page.get_by_role("link", name="Reminders", exact=True).click()
    expect(page.get_by_role("heading", name="Your reminders")).to_be_visible()
    expect(page.get_by_label("A daily digest", exact=False)).to_be_checked()
    expect(page.get_by_label("Digest time (Europe/London)")).to_have_value("8")
    page.get_by_label("Immediately", exact=False).check()
    page.get_by_label("Response overdue", exact=True).uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your reminder preferences have been saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_label("Immediately", exact=False)).to_be_checked()
    expect(page.get_by_label("Response overdue", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Response very overdue", exact=True)).to_be_checked()
    with app.app_context():
        saved = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        assert saved.reminder_mode == "immediate" and saved.reminder_kinds_off == ["overdue"]

    page.get_by_role("button", name="Create my calendar link").click()
    expect(page.get_by_text("Your calendar link has been created.")).to_be_visible()
    url = page.get_by_label("Your calendar address").input_value()
    assert "/calendar/" in url and url.endswith(".ics")
    response = page.request.get(url)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.body()).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"request-{request_id}-response-due@fointracker"]
    assert events[0].decoded("DTSTART") == due
    assert str(events[0]["SUMMARY"]) == "Response due: Kent — Potholes"

    page.get_by_role("button", name="Regenerate my calendar link").click()
    expect(page.get_by_text("the old one no longer works")).to_be_visible()
    assert page.get_by_label("Your calendar address").input_value() != url
    assert page.request.get(url).status == 404
