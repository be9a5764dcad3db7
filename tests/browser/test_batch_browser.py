"""Batch creation in Chromium: choose 20 councils, preview the letters, create them with
progress shown, and find them in the request list."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import FoiRequest
from fointracker.services.campaigns import save_campaign

pytestmark = pytest.mark.browser


def test_coordinator_sends_a_batch_to_twenty_councils_with_progress(logged_in, app):
    with app.app_context():
        campaign_id = save_campaign(
            db.session,
            None,
            {
                "title": "Planning enforcement",
                "description": "",
                "default_regime": "foia",
                "letter_template": "Dear {authority_name},\nUnder the {regime_name} please send ...",
            },
            [],
            None,
        ).id
        db.session.commit()
    sent_on = clock.today() - timedelta(days=1)
    page = logged_in
    page.goto(f"/campaigns/{campaign_id}")
    page.get_by_role("link", name="Send to many councils").click()
    page.get_by_label("Nation").select_option("England")
    page.get_by_label("Region").select_option("East Midlands")
    page.get_by_label("Council type").select_option("NMD")
    page.get_by_role("button", name="Show councils").click()

    boxes = page.locator("input[name=authority_ids]")
    expect(boxes).to_have_count(29)
    expect(page.get_by_text("29 of 29 ticked")).to_be_visible()  # all ticked by default
    page.get_by_role("button", name="Select none").click()
    expect(page.get_by_text("0 of 29 ticked")).to_be_visible()
    for i in range(20):
        boxes.nth(i).check()
    expect(page.get_by_text("20 of 29 ticked")).to_be_visible()
    page.get_by_label("Amber Valley").uncheck()  # each council's box carries its name
    page.get_by_label("Amber Valley").check()
    page.get_by_label("Subject").fill("Planning enforcement 2026")
    page.get_by_label("Date sent").fill(sent_on.isoformat())
    page.get_by_role("button", name="Preview letters").click()

    expect(page.get_by_role("heading", name="Preview: 20 letters")).to_be_visible()
    expect(page.locator("ol.letters details")).to_have_count(20)
    letter = page.locator("ol.letters details").first
    expect(letter.locator("pre.letter")).to_be_hidden()  # collapsed until opened
    letter.locator("summary").click()
    expect(letter.locator("pre.letter")).to_contain_text("Dear Amber Valley Borough Council,\nUnder the FOIA 2000")

    page.wait_for_load_state()  # batch.js (deferred) has bound the form: the JavaScript path, not the plain post
    page.get_by_role("button", name="Create 20 requests").click()
    status = page.get_by_role("status").filter(has_text="created")
    expect(status).to_contain_text("Done: created 20 requests.")  # the JavaScript path: same page, no reload
    expect(page.locator("progress.batch-progress")).to_have_attribute("value", "20")
    expect(page.get_by_role("button", name="Create 20 requests")).to_be_hidden()
    with app.app_context():
        assert db.session.scalar(select(func.count(FoiRequest.id))) == 20

    page.get_by_role("link", name="See them in the request list").click()
    rows = page.locator("table.requests tbody tr")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("Amber Valley")
    expect(rows.first).to_contain_text("Awaiting response")


def test_batch_in_chunks_survives_a_failed_chunk_and_reruns_safely(logged_in, app):
    """33 London councils go in two chunks; the second fails once, and running again
    creates only what is missing (councils already asked are skipped)."""
    with app.app_context():
        campaign_id = save_campaign(
            db.session,
            None,
            {
                "title": "London housing",
                "description": "",
                "default_regime": "foia",
                "letter_template": "Dear {authority_short_name}",
            },
            [],
            None,
        ).id
        db.session.commit()
    page = logged_in
    page.goto(f"/campaigns/{campaign_id}/batch?region=London")
    expect(page.get_by_text("33 of 33 ticked")).to_be_visible()
    page.get_by_role("button", name="Preview letters").click()
    # The preview is a new page: observe its status line only once it has loaded.
    expect(page.get_by_role("heading", name="Preview: 33 letters")).to_be_visible()
    page.wait_for_load_state()  # and batch.js (deferred) has bound the form
    page.evaluate("""() => {
        window.statusTexts = [];
        const status = document.querySelector("[data-batch-status]");
        new MutationObserver(() => window.statusTexts.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    calls = []

    def fail_second_chunk(route):
        calls.append(route.request.post_data_json)
        if len(calls) == 2:
            route.fulfill(status=500, content_type="text/html", body="<h1>boom</h1>")
        else:
            route.continue_()

    page.route("**/batch/create", fail_second_chunk)
    page.get_by_role("button", name="Create 33 requests").click()
    status = page.locator("[data-batch-status]")
    expect(status).to_contain_text("Stopped after creating 25 requests: the server answered 500.")
    expect(status).to_contain_text("Running it again is safe")
    assert [len(c["authority_ids"]) for c in calls] == [25, 8]
    assert calls[0]["subject"] == "London housing" and calls[0]["sent_on"] is None
    assert any("Created 25 of 33…" in text for text in page.evaluate("window.statusTexts"))

    page.unroute("**/batch/create")
    page.get_by_role("button", name="Create 33 requests").click()  # enabled again
    expect(status).to_contain_text(
        "Done: created 8 requests. Skipped 25 already asked in this campaign: Barking and Dagenham, Barnet,"
    )
    with app.app_context():
        requests = db.session.scalars(select(FoiRequest)).all()
        assert len(requests) == 33 and {r.status for r in requests} == {"draft"}
