"""Formula injection in every export: with a formula in every text a user can write (campaign
title, council names, subjects, references, question labels, periods, choices, text answers,
notes, an owner's email), no cell of the request CSV, the wide and tidy report CSVs or any
sheet of the XLSX starts with = + - @ tab or carriage return unless it is a number; and
numbers, negative ones included, stay numbers.

(tests/test_report_exports.py and tests/test_bulk_and_export.py check a council name and a
note, and a title, subject and reference; this is every field, every file, every cell.)"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from itertools import cycle

from openpyxl import load_workbook
from sqlalchemy import select

from fointracker.exports import FORMULA_STARTS
from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest
from fointracker.services.answers import AnswerInput, save_answers
from fointracker.services.batch import bulk_assign_owner
from fointracker.services.questions import create_question
from tests.conftest import login

from .conftest import add_person
from .world import build_world

SHORT = {"question.period_label": 20, "question.pair_group": 40, "answer.source_page": 40}


class Formulas:
    """A formula per field, each starting with the next of = + - @ tab CR."""

    def __init__(self):
        self.starts = cycle(FORMULA_STARTS)
        self.given: dict[str, str] = {}

    def __call__(self, field: str, plain: str) -> str:
        if field in ("attachment.filename", "authority.website", "authority.foi_email"):
            return plain  # not in any export (and a file name keeps its extension)
        if field not in self.given:
            start = next(self.starts)
            body = f"{start}cmd|' /C calc'!A{len(self.given)}" if field not in SHORT else f"{start}1+{len(self.given)}"
            self.given[field] = body[: SHORT.get(field, 200)]
        return self.given[field]


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_no_export_cell_can_run_as_a_formula(app, people):
    formulas = Formulas()
    world = build_world(app, people, text=formulas)
    with app.app_context():
        campaign = db.session.get(Campaign, world.campaign_id)
        # A negative figure (a change in reserves) and an owner whose email starts with "-" (valid).
        reserves = create_question(
            db.session,
            campaign,
            {"code": "reserves", "label": "Change in reserves", "qtype": "money"},
            people["author"],
        )
        answered = db.session.get(FoiRequest, world.request_ids[0])
        save_answers(db.session, answered, {reserves.id: AnswerInput(raw="-5000")}, people["staff"])
        owner = add_person("-owner+tag@example.org", "staff")
        bulk_assign_owner(db.session, world.request_ids, owner, people["coordinator"])
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    texts = {
        name: client.get(url).get_data(as_text=True)
        for name, url in (
            ("requests", "/requests/export.csv"),
            ("wide", f"/campaigns/{world.campaign_id}/report.csv"),
            ("tidy", f"/campaigns/{world.campaign_id}/report-tidy.csv"),
        )
    }
    book = load_workbook(io.BytesIO(client.get(f"/campaigns/{world.campaign_id}/report.xlsx").get_data()))

    failures, neutralised = [], 0
    for name, text in texts.items():
        for cell in _csv_cells(text):
            if cell.startswith(FORMULA_STARTS) and not _is_number(cell):
                failures.append(f"{name} CSV: {cell!r}")
            neutralised += cell.startswith("'")
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    failures.append(f"XLSX {sheet.title}!{cell.coordinate}: a formula {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    failures.append(f"XLSX {sheet.title}!{cell.coordinate}: {cell.value!r}")
                neutralised += isinstance(cell.value, str) and cell.value.startswith("'")
    assert not failures, "\n".join(failures)

    # Every formula reached some file (neutralised), or the check above proved nothing about it.
    everything = "\n".join(texts.values()) + "\n".join(
        str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None
    )
    exported = {
        "campaign.title",
        "authority.short_name",
        "request.subject",
        "request.council_reference",
        "question.label",
        "question.period_label",
        "question.choice",
        "answer.value_text",
        "answer.note",
    }
    for field in exported:
        core = formulas.given[field].lstrip("".join(FORMULA_STARTS)).strip()
        assert core in everything, f"{field} is in no export"
    assert neutralised >= len(exported)
    assert "'-owner+tag@example.org" in texts["requests"]

    # Numbers stay numbers: the negative figure in the tidy CSV, and in the workbook as a numeric cell.
    tidy = list(csv.DictReader(io.StringIO(texts["tidy"])))
    assert [row["value"] for row in tidy if row["question_code"] == "reserves" and row["council_code"] == "KEN"] == [
        "-5000"
    ]
    numeric = [
        cell
        for sheet in (book["Answers"], book["Responses"])
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == -5000
    ]
    assert len(numeric) == 2 and all(cell.data_type == "n" for cell in numeric)
    pair = [cell for row in book["Figures"].iter_rows() for cell in row if cell.value == -100000]
    assert pair and all(cell.data_type == "n" for cell in pair)  # the pair's total change (a cut)
    with app.app_context():
        assert db.session.scalar(select(FoiRequest.owner_id).where(FoiRequest.id == world.request_ids[0])) == owner
