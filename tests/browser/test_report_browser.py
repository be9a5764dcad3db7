"""Figures to report in Chromium: enter figures for three councils, see the report update,
download each export."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Authority, Question, User
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request

pytestmark = pytest.mark.browser

FIGURES = {"KEN": ("£1,200,000", "1.0m"), "MAN": ("2.5m", "£2,500,000"), "GLG": ("£800,000", "£900,000")}


def test_enter_figures_report_updates_and_exports_download(logged_in, app):
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        campaign = save_campaign(
            db.session,
            None,
            {"title": "Living at the Margins", "description": "", "default_regime": "foia", "letter_template": ""},
            [coordinator.id],
            coordinator.id,
        )
        campaign_id = campaign.id
        for position, (code, period) in enumerate((("bme_2010", "2010/11"), ("bme_2011", "2011/12"))):
            db.session.add(
                Question(
                    campaign_id=campaign_id,
                    code=code,
                    label="Funding to BME organisations",
                    qtype="money",
                    period_label=period,
                    pair_group="bme_funding",
                    position=position,
                )
            )
        db.session.commit()
        request_ids = {}
        for code in FIGURES:
            council = db.session.scalar(select(Authority).where(Authority.code == code))
            request_ids[code] = create_request(
                db.session,
                {
                    "campaign_id": campaign_id,
                    "authority_id": council.id,
                    "regime": "foisa" if council.nation == "Scotland" else "foia",
                    "subject": "Funding",
                    "body": "",
                    "sent_on": clock.today() - timedelta(days=10),
                    "received_on": None,
                    "council_reference": "",
                    "owner_id": coordinator.id,
                },
                coordinator.id,
            ).id
        db.session.commit()

    page = logged_in
    page.goto(f"/campaigns/{campaign_id}/report")
    expect(page.get_by_role("heading", name="Figures by question")).to_be_visible()

    for code, (before, after) in FIGURES.items():
        page.goto(f"/requests/{request_ids[code]}/figures")
        inputs = page.locator("table.figures input[name$='-value']")
        inputs.nth(0).fill(before)
        inputs.nth(1).fill(after)
        page.get_by_role("button", name="Save figures").click()
        expect(page.get_by_text("2 of 2 questions answered")).to_be_visible()

    # A bad value names the question and saves nothing.
    page.goto(f"/requests/{request_ids['KEN']}/figures")
    page.locator("table.figures input[name$='-value']").nth(0).fill("lots")
    page.get_by_role("button", name="Save figures").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a number")

    page.goto(f"/campaigns/{campaign_id}/report")
    changes = page.locator("#changes")
    expect(changes).to_contain_text("n = 3")

    # The councils behind a figure are a click away, and back.
    changes.get_by_role("link", name="Per-council table (3 councils)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Change: Funding to BME organisations, 2010/11 to 2011/12, council by council"
    )
    rows = page.locator("table.report-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("−£200,000")  # the largest cut first: Kent's, £1.2m to £1.0m
    page.get_by_role("link", name="Back to the report").click()
    expect(page.get_by_role("heading", name="Figures by question")).to_be_visible()
    page.locator("#question-bme_2010").get_by_role("link", name="Per-council table (3 councils)").click()
    expect(page.locator("caption")).to_contain_text("bme_2010: 3 councils with an answer recorded (n = 3 counted)")
    page.goto(f"/campaigns/{campaign_id}/report")

    # Every export downloads from the page; the numbers are the ones typed in.
    with page.expect_download() as download:
        page.get_by_role("link", name="Tidy CSV").click()
    tidy = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(tidy) == 6
    assert {(r["council_code"], r["question_code"], r["value"]) for r in tidy if r["council_code"] == "MAN"} == {
        ("MAN", "bme_2010", "2500000"),
        ("MAN", "bme_2011", "2500000"),
    }

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV: a row per council").click()
    wide = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(wide) == 3

    with page.expect_download() as download:
        page.get_by_role("link", name="Full report (HTML file)").click()
    assert download.value.suggested_filename.endswith(".html")
    full = open(download.value.path(), encoding="utf-8").read()
    assert 'id="appendix-bme_2010"' in full and "bme_2011: 3 councils with an answer recorded" in full

    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()), read_only=True)
    assert {"Summary", "Figures", "Questions", "Responses"} <= set(workbook.sheetnames)

    report = page.request.get(f"/campaigns/{campaign_id}/report.json").json()
    by_code = {q["code"]: q for q in report["questions"]}
    assert by_code["bme_2010"]["n"] == 3 and by_code["bme_2010"]["sum"] == 4_500_000
    assert by_code["bme_2011"]["sum"] == 4_400_000 and by_code["bme_2011"]["median"] == 1_000_000
    pair = report["pairs"][0]
    assert (pair["before"], pair["after"], pair["n"]) == ("bme_2010", "bme_2011", 3)
    assert (pair["cut"], pair["increased"], pair["unchanged"]) == (1, 1, 1)
    assert pair["total_change"] == -100_000
    assert abs(pair["total_change_pct"] - (-100_000 / 4_500_000 * 100)) < 0.01  # sum-based, not a mean of %
