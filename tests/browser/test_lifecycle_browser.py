"""A campaign's life in Chromium: a batch to 20 councils, an acknowledgement, a clarification
round trip, a refusal under s.12 and a full answer; the dashboard and the statistics agree."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import User
from fointracker.services.campaigns import save_campaign

pytestmark = pytest.mark.browser


def _record(page, kind: str, **fields):
    page.get_by_label("What happened").select_option(label=kind)
    for label, value in fields.items():
        if label == "exemption":
            page.get_by_label(value, exact=True).check()
        else:
            page.get_by_label(label).select_option(label=value)
    page.get_by_role("button", name="Add to timeline").click()
    expect(page.get_by_text(f"{kind} recorded.")).to_be_visible()


def test_campaign_lifecycle(logged_in, app):
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        campaign_id = save_campaign(
            db.session,
            None,
            {
                "title": "Social care 2026",
                "description": "",
                "default_regime": "foia",
                "letter_template": "Dear {authority_name}",
            },
            [coordinator.id],
            coordinator.id,
        ).id
        db.session.commit()
    page = logged_in
    sent_on = clock.today() - timedelta(days=14)

    # A batch to 20 London boroughs.
    page.goto(f"/campaigns/{campaign_id}/batch?region=London")
    page.get_by_role("button", name="Select none").click()
    boxes = page.locator("input[name=authority_ids]")
    for i in range(20):
        boxes.nth(i).check()
    page.get_by_label("Subject").fill("Adult social care")
    page.get_by_label("Date sent").fill(sent_on.isoformat())
    page.get_by_role("button", name="Preview letters").click()
    page.wait_for_load_state()  # batch.js (deferred) has bound the form: the JavaScript path, not the plain post
    page.get_by_role("button", name="Create 20 requests").click()
    expect(page.get_by_role("status").filter(has_text="created")).to_contain_text("Done: created 20 requests.")

    page.goto(f"/requests/?campaign={campaign_id}&sort=council")
    links = page.locator("table.requests tbody tr td:nth-child(2) a")
    expect(links).to_have_count(20)
    first_four = [links.nth(i).get_attribute("href") for i in range(4)]

    page.goto(first_four[0])
    _record(page, "Acknowledged")
    expect(page.locator(".timeline")).to_contain_text("Acknowledged")

    page.goto(first_four[1])
    _record(page, "Clarification requested")
    expect(page.locator(".facts")).to_contain_text("Paused until our clarification reaches the council")
    _record(page, "Clarification sent")
    expect(page.locator(".facts")).to_contain_text("Awaiting response")

    page.goto(first_four[2])
    _record(page, "Response received", Outcome="Refused", exemption="s.12 cost limit")
    expect(page.locator(".timeline")).to_contain_text("Refused; citing s.12 cost limit")

    page.goto(first_four[3])
    _record(page, "Response received", Outcome="Successful")

    # The dashboard: 20 sent, 2 answered (both on time), 1 refused, 18 outstanding.
    page.get_by_role("link", name="Dashboard").click()
    row = page.locator("table.progress tbody tr").filter(has_text="Social care 2026")
    cells = row.locator("td.num")
    expect(cells.nth(0)).to_have_text("20")
    expect(cells.nth(1)).to_have_text("2")
    expect(cells.nth(2)).to_have_text("2")
    expect(cells.nth(3)).to_have_text("0")
    expect(cells.nth(4)).to_have_text("1")
    expect(cells.nth(6)).to_have_text("18")
    expect(page.locator("#todo-figures_missing td.num")).to_have_text("1")  # the full answer, figures not entered
    expect(page.locator("#todo-clarification_owed td.num")).to_have_text("0")
    page.locator("#todo-figures_missing td a").first.click()
    expect(page.locator("table.requests tbody tr")).to_have_count(1)

    # The statistics page.
    page.goto(f"/campaigns/{campaign_id}/statistics")
    expect(page.get_by_text("n = 20 councils").first).to_be_visible()
    responses = page.locator("table.statistics").first
    expect(responses.locator("tr").filter(has_text="Answered (response rate)")).to_contain_text("2 (10.0%)")
    expect(responses.locator("tr").filter(has_text="Outstanding")).to_contain_text("18 (90.0%)")
    exemptions = page.locator("table.statistics").filter(has_text="Requests citing each exemption")
    expect(exemptions.locator("tbody tr")).to_have_count(1)
    expect(exemptions).to_contain_text("s.12 cost limit")
    region = page.locator("table.statistics").filter(has_text="By region")
    expect(region.locator("tbody tr")).to_have_count(1)
    expect(region.locator("tbody tr").first).to_contain_text("London")
