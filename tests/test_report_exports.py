"""The report's files: columns and sheets, numbers as numbers, formula neutralisation,
the JSON keys the issue lists, streaming responses, and `fointracker report`."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from fointracker.models import Authority
from fointracker.services.report_exports import COUNCIL_COLUMNS, TIDY_COLUMNS
from tests.test_cli import run_cli
from tests.test_report import worked  # noqa: F401  (the worked-example campaign fixture)

QUESTION_KEYS = {"code", "n", "sum", "mean", "median", "min", "max"}
PAIR_KEYS = {"before", "after", "n", "cut", "increased", "unchanged", "total_change", "total_change_pct"}
SHEETS = ["Summary", "Figures", "Questions", "Responses"]


@pytest.fixture
def evil(session, worked):  # noqa: F811
    """The worked example with a council whose name starts with "@" (the note on Kent's
    2011/12 figure is already `=HYPERLINK(...)`)."""
    birmingham = session.scalar(select(Authority).where(Authority.code == "BIR"))
    birmingham.short_name = "@Birmingham"
    session.commit()
    yield worked
    _rename_council(session, "BIR", "Birmingham")


def _rename_council(session, code: str, name: str) -> None:
    """Put a council's name back: on PostgreSQL the register outlives each test."""
    session.rollback()
    session.scalar(select(Authority).where(Authority.code == code)).short_name = name
    session.commit()


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_tidy_csv_has_a_row_per_council_and_question(evil, login_as):
    response = login_as("staff").get(f"/campaigns/{evil.id}/report-tidy.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="report-' in response.headers["Content-Disposition"]
    assert "-tidy-" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(TIDY_COLUMNS)
    rows = _csv(response)
    assert len(rows) == 6 * 5  # every council asked, every question
    by_key = {(r["council_code"], r["question_code"]): r for r in rows}
    kent = by_key[("KEN", "B1112")]
    assert (kent["council"], kent["region"], kent["council_type"], kent["gss_code"]) == (
        "Kent",
        "South East",
        "County",
        "E10000016",
    )
    assert (kent["question"], kent["period"], kent["value"], kent["state"]) == (
        "Adult social care budget",
        "2011/12",
        "90000000",
        "provided",
    )
    assert kent["note"] == '\'=HYPERLINK("http://evil.example")'  # neutralised
    assert by_key[("BIR", "B1011")]["council"] == "'@Birmingham"
    assert by_key[("BIR", "B1011")]["state"] == "no_answer"
    hampshire = by_key[("HAM", "STAFF")]
    assert (hampshire["value"], hampshire["low"], hampshire["high"], hampshire["state"]) == ("", "0", "4", "provided")
    assert by_key[("HAM", "B1011")]["state"] == "estimate"
    assert by_key[("SWK", "STAFF")]["state"] == "refused" and by_key[("SWK", "STAFF")]["exemption"] == "s12"
    assert by_key[("HAM", "EIA")]["value"] == "no" and by_key[("KEN", "HOW")]["value"] == "In house"


def test_wide_csv_has_a_row_per_council_and_a_column_per_question(evil, login_as):
    response = login_as("staff").get(f"/campaigns/{evil.id}/report.csv")
    assert response.status_code == 200 and response.is_streamed
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join([*COUNCIL_COLUMNS, "B1011", "B1112", "STAFF", "EIA", "HOW", "estimates"])
    rows = {r["council_code"]: r for r in _csv(response)}
    assert sorted(rows) == ["BDG", "BIR", "CAM", "HAM", "KEN", "SWK"]
    assert (rows["HAM"]["B1011"], rows["HAM"]["STAFF"], rows["HAM"]["EIA"], rows["HAM"]["estimates"]) == (
        "50000000",
        "<5",
        "no",
        "B1011",
    )
    assert rows["SWK"]["B1011"] == "not held" and rows["SWK"]["STAFF"] == "refused"
    assert rows["BIR"]["council"] == "'@Birmingham" and rows["BIR"]["B1011"] == ""
    assert rows["CAM"]["STAFF"] == "30" and rows["CAM"]["estimates"] == "STAFF"


def _xlsx(response):
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.get_data()))


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows()]


def test_xlsx_sheets_numbers_and_formats(evil, login_as):
    book = _xlsx(login_as("author").get(f"/campaigns/{evil.id}/report.xlsx"))
    assert book.sheetnames[:4] == SHEETS
    # Figures: the sums and medians are numbers with a money format.
    figures = _rows(book["Figures"])
    header = [c.value for c in figures[1]]
    b1011 = next(row for row in figures if row[0].value == "B1011" and row[5].value == "All councils")
    total = b1011[header.index("Sum")]
    assert total.value == 180000000 and total.data_type == "n" and total.number_format == '"£"#,##0.00'
    assert b1011[header.index("n")].value == 4 and b1011[header.index("Median")].value == 35000000
    staff = next(row for row in figures if row[0].value == "STAFF" and row[5].value == "All councils")
    assert staff[header.index("Mean")].value == 65 and staff[header.index("Mean")].number_format == "#,##0.0"
    pair = next(row for row in figures if row[0].value == "B1011" and row[1].value == "B1112")
    assert pair[11].value == -13000000 and pair[12].value == pytest.approx(-7.222222)
    assert pair[12].number_format == '0.0"%"'
    # Responses: a row per council, the figures as numbers, the names neutralised.
    responses = _rows(book["Responses"])
    names = [c.value for c in responses[0]]
    assert names[:5] == ["Council code", "GSS code", "Council", "Region", "Council type"]
    assert names[-6:] == ["B1011", "B1112", "STAFF", "EIA", "HOW", "Estimates"]
    kent = next(row for row in responses if row[0].value == "KEN")
    cell = kent[names.index("B1112")]
    assert cell.value == 90000000 and cell.data_type == "n" and cell.number_format == '"£"#,##0.00'
    assert kent[names.index("Responded on")].is_date
    birmingham = next(row for row in responses if row[0].value == "BIR")
    assert birmingham[2].value == "'@Birmingham" and birmingham[2].data_type == "s"
    # Answers: the tidy table with the notes, neutralised.
    answers = _rows(book["Answers"])
    note = next(row for row in answers if row[0].value == "KEN" and row[6].value == "B1112")[15]
    assert note.value == '\'=HYPERLINK("http://evil.example")' and note.data_type == "s"
    assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows() for c in row)
    # Summary and Questions.
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[0][0] == "Report: Adult social care budgets"
    assert any(row[0] == "Response rate" for row in summary)
    questions = [[c.value for c in row] for row in book["Questions"].iter_rows()]
    assert questions[0][:4] == ["Code", "Question", "Period", "Type"]
    assert [row[0] for row in questions[1:]] == ["B1011", "B1112", "STAFF", "EIA", "HOW"]


def test_xlsx_survives_control_characters_stored_before_they_were_refused(request, session, evil, login_as):
    """Forms refuse control characters now; text stored earlier (or by a script) still exports,
    each such character shown as U+FFFD, where openpyxl would refuse the whole workbook."""
    from fointracker.models import Answer, Campaign

    kent = session.scalar(select(Authority).where(Authority.code == "KEN"))
    request.addfinalizer(lambda: _rename_council(session, "KEN", kent_name))
    kent_name, kent.short_name = kent.short_name, "Kent\x01County"
    session.get(Campaign, evil.id).title = "Adult social care\x0b budgets"
    note = session.scalar(select(Answer).where(Answer.note != "").limit(1))
    note.note = "Page 3\x1f of the reply"  # (PostgreSQL refuses NUL itself)
    session.commit()
    response = login_as("author").get(f"/campaigns/{evil.id}/report.xlsx")
    assert response.status_code == 200
    book = _xlsx(response)
    values = {c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert "Kent\ufffdCounty" in values and "Page 3\ufffd of the reply" in values
    assert "Report: Adult social care\ufffd budgets" in values


def test_json_has_the_keys_the_issue_lists(evil, login_as):
    response = login_as("staff").get(f"/campaigns/{evil.id}/report.json")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert [q["code"] for q in data["questions"]] == ["B1011", "B1112", "STAFF", "EIA", "HOW"]
    for question in data["questions"]:
        assert QUESTION_KEYS <= set(question)
        for group in question["by_region"] + question["by_type"]:
            assert QUESTION_KEYS - {"code"} <= set(group)
    [pair] = data["pairs"]
    assert PAIR_KEYS <= set(pair)
    assert (pair["before"], pair["after"], pair["total_change_pct"]) == ("B1011", "B1112", -7.222222)
    assert data["questions"][0]["sum"] == 180000000 and data["questions"][2]["mean"] == 65
    assert data["methodology"]["response_rate"].startswith("5 requests answered")


def test_every_download_streams_and_needs_a_campaign(evil, login_as):
    client = login_as("staff")
    for suffix in ("report.json", "report.csv", "report-tidy.csv", "report.xlsx"):
        response = client.get(f"/campaigns/{evil.id}/{suffix}")
        assert response.is_streamed, suffix
        response.close()
        assert client.get(f"/campaigns/999999/{suffix}").status_code == 404


def test_exports_of_a_campaign_without_questions(session, users, login_as):
    from tests.test_report import new_campaign

    campaign = new_campaign(session, users, "Empty")
    client = login_as("staff")
    assert client.get(f"/campaigns/{campaign.id}/report-tidy.csv").get_data(as_text=True).strip() == ",".join(
        TIDY_COLUMNS
    )
    data = json.loads(client.get(f"/campaigns/{campaign.id}/report.json").get_data(as_text=True))
    assert data["questions"] == [] and data["pairs"] == []
    book = _xlsx(client.get(f"/campaigns/{campaign.id}/report.xlsx"))
    assert book.sheetnames[:4] == SHEETS


@pytest.mark.slow
def test_cli_writes_every_format(app, evil, tmp_path):
    outputs = {}
    for fmt, name in (
        ("html", "r.html"),
        ("csv", "r.csv"),
        ("tidy-csv", "r-tidy.csv"),
        ("xlsx", "r.xlsx"),
        ("json", "r.json"),
    ):
        path = tmp_path / name
        campaign = str(evil.id) if fmt != "json" else "ADULT SOCIAL CARE BUDGETS"  # id, or title in any case
        result = run_cli(app, "report", campaign, "--format", fmt, "--output", str(path))
        assert result.returncode == 0, result.stderr
        outputs[fmt] = path
    html = outputs["html"].read_text(encoding="utf-8")
    assert "<style>" in html and "@media print" in html and 'rel="stylesheet"' not in html
    assert "<svg" in html and "Methodology" in html and "n = 4 councils" in html
    assert "<script" not in html
    wide = outputs["csv"].read_text(encoding="utf-8").splitlines()
    assert wide[0].startswith(",".join(COUNCIL_COLUMNS)) and len(wide) == 7
    tidy = list(csv.DictReader(outputs["tidy-csv"].open(encoding="utf-8", newline="")))
    assert len(tidy) == 30 and tidy[0].keys() == set(TIDY_COLUMNS)
    assert load_workbook(outputs["xlsx"]).sheetnames[:4] == SHEETS
    data = json.loads(outputs["json"].read_text(encoding="utf-8"))
    assert data["pairs"][0]["total_change"] == -13000000
    assert Decimal(str(data["questions"][0]["median"])) == Decimal(35000000)


def test_cli_unknown_campaign(app):
    result = run_cli(app, "report", "No such campaign", "--format", "json")
    assert result.returncode == 1
    assert "no campaign has the id or title 'No such campaign'" in result.stderr


def test_cli_writes_json_to_standard_output(app, evil):
    result = run_cli(app, "report", str(evil.id), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["campaign"]["title"] == "Adult social care budgets"
