"""Log in, create a campaign, create a request, find it in the filtered list — in Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_campaign_and_request_round_trip(logged_in):
    page = logged_in
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="Campaigns").first.click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Title").fill("Browser campaign")
    page.get_by_label("Default regime").select_option("foia")
    page.get_by_label("Request letter").fill("Dear {authority_name}, please tell us about {campaign_title}.")
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_role("heading", name="Browser campaign")).to_be_visible()
    expect(page.get_by_text("Campaign “Browser campaign” created.")).to_be_visible()

    page.get_by_role("link", name="New request").click()
    expect(page.get_by_label("Campaign")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Council", exact=True).select_option(label="Manchester (MAN)")
    page.get_by_label("Subject").fill("Adult social-care budget")
    page.get_by_label("Date sent").fill("2026-03-02")
    page.get_by_label("Council's reference").fill("MCC-FOI-77")
    page.get_by_role("button", name="Save request").click()
    expect(page.get_by_role("heading", name="Request to Manchester")).to_be_visible()
    expect(page.get_by_text("Mon 2 Mar 2026").first).to_be_visible()

    page.get_by_role("link", name="Requests").first.click()
    page.get_by_label("Search").fill("MCC-FOI-77")
    page.get_by_label("Region").select_option("North West")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.requests tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Manchester")
    expect(rows.first).to_contain_text("Awaiting response")

    page.get_by_label("Region").select_option("London")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No request matches these filters.")).to_be_visible()


def test_form_errors_are_shown_next_to_the_field(logged_in):
    page = logged_in
    page.goto("/campaigns/new")
    page.get_by_label("Title").fill("Bad letter")
    page.get_by_label("Request letter").fill("Dear {council}")
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown placeholder {council}")
    expect(page.get_by_label("Request letter")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value("Bad letter")  # nothing typed is lost
