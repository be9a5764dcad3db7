"""Figures straight from the councils' own files, end to end (#17, "Done when"): one council's
spreadsheet mapped by clicking a cell, the mapping saved by its label, applied to five other
councils' differently shaped files (the label in other places and cases, the figure beside or
below it, in £000s and £m), the preview accepted, and the figures seen with their provenance in
the report and the tidy CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Answer, Authority, User
from fointracker.services.attachments import attach
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event
from tests.figure_files.make import COUNCIL_BUDGETS, sample

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILES = dict(
    zip(
        ("KEN", "CAM", "HAM", "SWK", "BDG", "BIR"),
        (
            "council_0_budget.xlsx",
            "council_a_budget.xlsx",
            "council_b_budget.xlsx",
            "council_c_budget.xlsx",
            "council_d_budget.xlsx",
            "council_e_budget.xlsx",
        ),
    )
)


def _six_councils_answered_with_their_spreadsheets(app, coordinator_email: str) -> tuple[int, dict[str, int]]:
    """A campaign with one money question; six councils answered, each with its own budget file."""
    with app.app_context():
        s = db.session
        user_id = s.scalar(select(User.id).where(User.email == coordinator_email))
        campaign = save_campaign(
            s,
            None,
            {"title": "Living at the margins", "description": "", "default_regime": "foia", "letter_template": ""},
            [user_id],
            user_id,
        )
        create_question(
            s,
            campaign,
            {"code": "b1011", "label": "Net budget 2010/11", "qtype": "money", "period_label": "2010/11"},
            user_id,
        )
        attachments = {}
        for code, name in FILES.items():
            authority = s.scalar(select(Authority).where(Authority.code == code))
            request = create_request(
                s,
                {
                    "campaign_id": campaign.id,
                    "authority_id": authority.id,
                    "regime": "foia",
                    "subject": "Adult social care budgets",
                    "body": "",
                    "sent_on": clock.today() - timedelta(days=40),
                    "received_on": None,
                    "council_reference": "",
                    "owner_id": None,
                },
                user_id,
            )
            event = add_event(
                s,
                request,
                kind="response_received",
                occurred_on=clock.today() - timedelta(days=10),
                details={"outcome": "successful"},
                user_id=user_id,
            )
            attach(
                s,
                event,
                [FileStorage(io.BytesIO(sample(name)), filename=name)],
                FileStore.from_config(app.config),
                app.config["MAX_CONTENT_LENGTH"],
                user_id,
            )
            s.flush()
            attachments[code] = event.attachments[-1].id
        s.commit()
        return campaign.id, attachments


def test_one_file_mapped_by_clicking_applied_to_five_others_with_provenance(app, logged_in):
    campaign_id, attachments = _six_councils_answered_with_their_spreadsheets(app, "coordinator@example.org")
    page = logged_in

    # Kent's spreadsheet: confirm its unit once, then click the figure for the question.
    page.goto(f"/figures/documents/{attachments['KEN']}")
    page.get_by_label("Figures in this file are").select_option("units")
    page.get_by_role("button", name="Confirm unit").click()
    page.get_by_label("Question", exact=True).select_option(label="b1011: Net budget 2010/11 (2010/11)")
    page.get_by_role("button", name="B6: 987654").click()
    expect(page.locator("body")).to_contain_text("Budget!B6")

    # Saved as a mapping by its label, for every council of the campaign.
    page.get_by_label("Name").fill("Net budget by label")
    page.get_by_label("Kent's files, in this and later campaigns").uncheck()  # the campaign's mapping only
    page.get_by_role("button", name="Save as mapping").click()
    page.goto(f"/figures/campaigns/{campaign_id}/mappings")
    page.get_by_role("link", name="Preview Net budget by label").click()

    # The preview finds each of the five other councils' figure, wherever its file keeps it.
    expect(page.locator("input[name=request]")).to_have_count(5)
    for code, name in FILES.items():
        if code != "KEN":
            expect(page.locator("body")).to_contain_text(f"{COUNCIL_BUDGETS[name][5]:,}")
    page.get_by_role("button", name="Save the ticked councils' figures").click()
    expect(page.get_by_role("heading", name="Net budget by label: applied")).to_be_visible()

    with app.app_context():
        answers = {
            code: db.session.scalar(
                select(Answer).join(Answer.request).where(Answer.request.has(authority_id=authority_id))
            )
            for code, authority_id in db.session.execute(
                select(Authority.code, Authority.id).where(Authority.code.in_(FILES))
            ).all()
        }
        for code, name in FILES.items():
            sheet, _label_ref, _label, value_ref, _held, expected = COUNCIL_BUDGETS[name]
            answer = answers[code]
            assert answer.value_number == expected, code
            assert (answer.source_attachment_id, answer.source_sheet, answer.source_cell) == (
                attachments[code],
                sheet,
                value_ref,
            ), code
            assert (answer.source_mapping_id is None) == (code == "KEN"), code  # Kent's was clicked

    # The report's per-council table and the tidy CSV say where each figure came from.
    page.goto(f"/campaigns/{campaign_id}/report/questions/b1011")
    table = page.locator("body")
    expect(table).to_contain_text("council_c_budget.xlsx")
    expect(table).to_contain_text("Budget!B12")
    tidy = page.request.get(f"/campaigns/{campaign_id}/report-tidy.csv")
    assert tidy.ok
    rows = list(csv.DictReader(io.StringIO(tidy.text())))
    sources = {row["source"] for row in rows}
    assert any("council_d_budget.xlsx" in s and "2010-11!B5" in s for s in sources), sources
    assert len([s for s in sources if ".xlsx" in s]) == len(FILES)
