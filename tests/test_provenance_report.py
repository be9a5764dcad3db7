"""Provenance in the report (#17): the per-council tables (the question's page and the standalone
file's appendix) gain a Source column where a figure was taken from a file, the tidy CSV and the
workbook's Answers sheet a `source` column; the report JSON is unchanged by provenance."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import Answer
from fointracker.services.report_exports import TIDY_COLUMNS
from tests.test_file_viewer import answer, client_for, confirm, take, world  # noqa: F401

MEMBERSHIP_ENFORCED = True
SOURCE = "budget.xlsx, Budget!B2 “1,234” (£000s)"


def test_the_tidy_csv_ends_with_a_source_column(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    text = client.get(f"/campaigns/{world.campaign_id}/report-tidy.csv").get_data(as_text=True)
    header = text.splitlines()[0].split(",")
    assert header[-1] == "source" and header[:-1] == list(TIDY_COLUMNS[:-1])
    rows = {r["question_code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["b1011"]["source"] == SOURCE and rows["b1011"]["value"] == "1234000"
    assert rows["save"]["source"] == "" and rows["save"]["state"] == "no_answer"


def test_the_workbook_answers_sheet_names_the_source(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    book = load_workbook(io.BytesIO(client.get(f"/campaigns/{world.campaign_id}/report.xlsx").get_data()))
    rows = [[c.value for c in row] for row in book["Answers"].iter_rows()]
    assert rows[0][-1] == "Source"
    b1011 = next(r for r in rows if r[6] == "b1011")
    assert b1011[-1] == SOURCE and b1011[10] == 1234000


def test_the_per_council_tables_show_the_source_only_where_there_is_one(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    take(client, world, "staff", "B5")
    page = client.get(f"/campaigns/{world.campaign_id}/report/questions/b1011").get_data(as_text=True)
    assert '<th scope="col">Source</th>' in page and f"<td>{SOURCE}</td>" in page
    # A typed figure's table is as it was: no Source column.
    with app.app_context():
        typed = db.session.scalar(select(Answer).where(Answer.question_id == world.questions["staff"]))
        typed.source_sheet, typed.source_cell, typed.source_unit = "", "", ""
        db.session.commit()
    page = client.get(f"/campaigns/{world.campaign_id}/report/questions/staff").get_data(as_text=True)
    assert '<th scope="col">Source</th>' not in page
    standalone = client.get(f"/campaigns/{world.campaign_id}/report.html").get_data(as_text=True)
    assert f"<td>{SOURCE}</td>" in standalone


def test_the_report_json_does_not_change_with_provenance(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    with_provenance = client.get(f"/campaigns/{world.campaign_id}/report.json").get_data()
    with app.app_context():
        taken = db.session.scalar(select(Answer).where(Answer.question_id == world.questions["b1011"]))
        taken.source_sheet, taken.source_cell, taken.source_unit, taken.source_attachment_id = "", "", "", None
        db.session.commit()
    assert client.get(f"/campaigns/{world.campaign_id}/report.json").get_data() == with_provenance
    assert answer(app, world, "b1011").source_cell == ""
