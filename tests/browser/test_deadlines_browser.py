"""The deadline calculator and a request's deadline, in Chromium."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_calculator_shows_due_date_and_skipped_days(logged_in):
    page = logged_in
    page.get_by_role("link", name="Deadline calculator").click()
    page.get_by_label("Regime").select_option("foia")
    page.get_by_label("Received by the council").fill("2009-03-12")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator(".due-date")).to_have_text("Tue 14 Apr 2009")
    skipped = page.locator("table.skipped")
    expect(skipped).to_contain_text("Saint Patrick's Day (Northern Ireland)")
    expect(skipped).to_contain_text("Easter Monday (England, Wales, Northern Ireland)")

    page.get_by_label("Regime").select_option("foisa")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator(".due-date")).to_have_text("Thu 9 Apr 2009")


def test_request_page_links_to_its_explanation(logged_in):
    page = logged_in
    page.goto("/campaigns/new")
    page.get_by_label("Title").fill("Deadline campaign")
    page.get_by_role("button", name="Save campaign").click()
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Council", exact=True).select_option(label="Glasgow City (GLG)")
    page.get_by_label("Subject").fill("Care budgets")
    page.get_by_label("Date sent").fill("2026-03-20")
    page.get_by_role("button", name="Save request").click()
    expect(page.get_by_text("Mon 20 Apr 2026", exact=True)).to_be_visible()  # FOISA: Easter Monday is not skipped
    page.get_by_role("link", name="How was this worked out?").click()
    expect(page.get_by_role("heading", name="How the deadline was worked out")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Scottish bank holidays")
