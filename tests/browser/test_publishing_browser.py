"""Publishing in Chromium (#18): an author publishes the report, a visitor who is not logged in
(a fresh browser context) reads it and downloads its data set, the author republishes with a
change note and version 1 stays readable, then unpublishes and the public address is gone."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from fointracker import clock
from fointracker.extensions import db
from tests.browser.conftest import log_in
from tests.conftest import make_user
from tests.test_report import answer, councils, new_campaign, new_question, new_request

pytestmark = pytest.mark.browser


def _campaign(app) -> int:
    with app.app_context():
        s = db.session
        users = {"admin": make_user(app, "admin@example.org", "admin")}
        campaign = new_campaign(s, users, title="Youth services budgets")
        before = new_question(s, campaign, "Y1011", "money", 1, pair_group="youth", period="2010/11")
        after = new_question(s, campaign, "Y1112", "money", 2, pair_group="youth", period="2011/12")
        workers = new_question(s, campaign, "WORKERS", "count", 3, label="Youth workers employed")
        sent = clock.today() - timedelta(days=40)
        for code, (b, a, w) in {"KEN": (900_000, 700_000, 40), "MAN": (500_000, 520_000, 3)}.items():
            request = new_request(s, campaign, councils(s, [code])[code], sent=sent)
            answer(s, request, before, number=str(b))
            answer(s, request, after, number=str(a), note="Phoned Jo Bloggs")
            answer(s, request, workers, number=str(w))
        s.commit()
        return campaign.id


def test_publish_read_logged_out_republish_and_unpublish(page, browser, live_server, app):
    campaign_id = _campaign(app)
    make_user(app, "author@example.org", "author", "correct horse battery")
    log_in(page, "author@example.org")
    page.on("dialog", lambda dialog: dialog.accept())  # "Take the public report ... down?"

    page.goto(f"/campaigns/{campaign_id}/report")
    page.get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Publish the report")).to_be_visible()
    page.get_by_label("Published by").fill("Youth Watch")
    page.get_by_label("Introduction").fill("What councils spent on youth services.")
    page.get_by_label("Change note").fill("First publication")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published version 1.")).to_be_visible()
    public_path = "/p/youth-services-budgets"
    expect(page.locator("#public-url")).to_have_attribute("href", public_path)

    # A visitor: a fresh context, no cookies, no login. Public pages are cached (5 minutes, a
    # version an hour), so each later visit is a new visitor's, with an empty cache.
    contexts = []

    def visitor_page():
        context = browser.new_context(base_url=live_server, locale="en-GB", accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    try:
        visitor = visitor_page()
        response = visitor.goto(public_path)
        assert response.status == 200 and response.headers["cache-control"] == "public, max-age=300"
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Youth services budgets")
        expect(visitor.get_by_text("What councils spent on youth services.")).to_be_visible()
        expect(visitor.locator("#citation")).to_contain_text("Youth Watch (")
        expect(visitor.get_by_role("link", name="Log in")).to_have_count(0)
        # The map of every council, drawn when it was published: Kent's cut colours its hex.
        expect(visitor.locator("#map svg path.hex")).to_have_count(361)
        expect(visitor.get_by_role("heading", name="Map: Change (%)")).to_be_visible()
        visitor.get_by_text("The map as a table (2 councils)").click()
        expect(visitor.locator("#map table")).to_contain_text("−22.2% (£900,000 to £700,000)")
        assert contexts[0].cookies() == []
        with visitor.expect_download() as download:
            visitor.get_by_role("link", name="Data set (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        workers = {r["council_code"]: r["value"] for r in rows if r["question_code"] == "WORKERS"}
        assert workers == {"KEN": "40", "MAN": "<5"}  # Manchester's 3 is suppressed
        assert "note" not in rows[0] and "Phoned Jo Bloggs" not in visitor.content()

        # The author republishes with a change note.
        page.get_by_label("Change note").fill("Manchester's figures corrected")
        page.get_by_role("button", name="Publish a new version").click()
        expect(page.get_by_text("Published version 2.")).to_be_visible()
        expect(page.locator("#versions")).to_contain_text("Manchester's figures corrected")

        visitor = visitor_page()
        visitor.goto(public_path)
        expect(visitor.locator("#versions")).to_contain_text("Manchester's figures corrected")
        visitor.get_by_role("link", name="Version 1").click()
        expect(visitor.get_by_role("status")).to_contain_text("A newer version, version 2")
        assert visitor.url.endswith(f"{public_path}/v/1")

        # Unpublished: every address of it is gone.
        page.get_by_role("button", name="Unpublish").click()
        expect(page.get_by_text("Unpublished")).to_be_visible()
        visitor = visitor_page()
        assert visitor.goto(public_path).status == 404
        assert visitor.goto(f"{public_path}/v/1").status == 404
        assert visitor.goto(f"{public_path}/data.csv").status == 404
    finally:
        for context in contexts:
            context.close()
