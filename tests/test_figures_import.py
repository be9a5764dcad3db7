"""Importing figures from CSV and XLSX: dry run, all or nothing, every error with its row and column."""

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from fointracker.extensions import db
from fointracker.models import Answer, AuditEntry, Campaign, FoiRequest, Question
from fointracker.services.answers import answer_content, save_answers
from fointracker.services.figures_import import ImportFileError, apply_plan, import_figures, plan_import
from tests.conftest import post
from tests.test_cli import run_cli
from tests.test_questions_and_entry import make_campaign, make_request, q

TITLE = "Living at the Margins"


@pytest.fixture
def campaign(app, users):
    """Requests to Kent (twice: the later one gets the figures), Durham, Manchester and Barnet;
    questions: a before/after money pair, a yes/no, a count and a percentage."""
    with app.app_context():
        s = db.session
        campaign = make_campaign(s, users["admin"], TITLE)
        ids = {code: make_request(s, campaign, code).id for code in ("KEN", "DUR", "MAN", "BNE")}
        ids["KEN2"] = make_request(s, campaign, "KEN", sent=date(2026, 4, 1)).id
        before = q(s, campaign, "asc_1011", label="Adult social-care budget", period_label="2010/11")
        q(
            s,
            campaign,
            "asc_1112",
            label="Adult social-care budget",
            period_label="2011/12",
            pair_group="asc",
            pair_with=before.id,
        )
        q(s, campaign, "eia", "yes_no", label="Equality impact assessment done?")
        q(s, campaign, "bme_groups", "count", label="BME groups funded")
        q(s, campaign, "share", "percentage", label="Share of budget cut")
        return {"id": campaign.id, "requests": ids}


GOOD_CSV = (
    "authority,question,value,state,note\n"
    'E10000016,asc_1011,"£1,234,567.89",,Table 1\n'
    "Durham County,asc_1011,£3.4bn,,\n"
    "Manchester City Council,eia,Yes,,\n"
    "Barnet London Borough Council,bme_groups,<5,,\n"
    "MAN,asc_1112,c. 2m,,from the cabinet paper\n"
    "Barnet,share,12.5%,,\n"
    "Kent,eia,,refused,\n"
    "Durham,Adult social-care budget 2011/12,not held,,\n"
)


def _plan(app, data: bytes | str, name="figures.csv"):
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.title == TITLE))
        return plan_import(db.session, campaign, name, data.encode() if isinstance(data, str) else data)


def _answers(app):
    with app.app_context():
        return {(a.request_id, a.question.code): answer_content(a) for a in db.session.scalars(select(Answer))}


def _count(app, model=Answer):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_a_dry_run_lists_the_changes_and_lenient_matches_and_writes_nothing(app, campaign):
    audit_before = _count(app, AuditEntry)
    plan = _plan(app, GOOD_CSV)
    assert plan.ok, plan.error_lines()
    assert (plan.rows, len(plan.changes), plan.unchanged) == (8, 8, 0)
    first = plan.changes[0]
    assert (first.row, first.council, first.question_code, first.old, first.new) == (
        2,
        "Kent County Council (KEN)",
        "asc_1011",
        "—",
        "£1,234,567.89",
    )
    assert [c.new for c in plan.changes[1:]] == [
        "£3,400,000,000",
        "Yes",
        "0 to 4 (suppressed)",
        "c. £2,000,000",
        "12.5%",
        "Refused",
        "Not held",
    ]
    assert "'Durham County' matched Durham County Council (DUR) (row 3)" in plan.lenient
    assert "'Barnet London Borough Council' matched London Borough of Barnet (BNE) (row 5)" in plan.lenient
    assert not any("Manchester" in line or "E10000016" in line for line in plan.lenient)  # exact: not listed
    assert any(
        "Kent County Council (KEN) has 2 requests in this campaign" in n
        and f"request #{campaign['requests']['KEN2']}" in n
        for n in plan.notes
    )
    assert _count(app) == 0 and _count(app, AuditEntry) == audit_before


def test_a_good_file_imports_exactly(app, users, campaign):
    plan = _plan(app, GOOD_CSV)
    with app.app_context():
        apply_plan(db.session, plan, users["staff"])
        db.session.commit()
    got = _answers(app)
    r = campaign["requests"]
    assert got[(r["KEN2"], "asc_1011")]["value_number"] == Decimal("1234567.89")
    assert got[(r["KEN2"], "asc_1011")]["note"] == "Table 1"
    assert (r["KEN"], "asc_1011") not in got  # the earlier Kent request is left alone
    assert got[(r["DUR"], "asc_1011")]["value_number"] == Decimal("3400000000")
    assert got[(r["MAN"], "eia")]["value_bool"] is True
    assert (got[(r["BNE"], "bme_groups")]["bound_low"], got[(r["BNE"], "bme_groups")]["bound_high"]) == (0, 4)
    assert (got[(r["MAN"], "asc_1112")]["state"], got[(r["MAN"], "asc_1112")]["value_number"]) == ("estimate", 2000000)
    assert got[(r["MAN"], "asc_1112")]["raw"] == "c. 2m"
    assert got[(r["BNE"], "share")]["value_number"] == Decimal("12.5")
    assert got[(r["KEN2"], "eia")]["state"] == "refused"
    assert got[(r["DUR"], "asc_1112")]["state"] == "not_held"
    assert len(got) == 8
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "answer")).all()
        assert len(entries) == 8 and {e.user_id for e in entries} == {users["staff"]}
    # The same file again: nothing to change.
    again = _plan(app, GOOD_CSV)
    assert (len(again.changes), again.unchanged) == (0, 8)


def test_import_updates_and_keeps_notes_and_completes_requests(app, users, campaign):
    r = campaign["requests"]
    with app.app_context():
        save_answers(
            db.session,
            db.session.get(FoiRequest, r["MAN"]),
            {
                db.session.scalar(select(Question.id).where(Question.code == "eia")): (
                    "no",
                    "",
                    "",
                    "p. 4 of the reply",
                    None,
                    "",
                )
            },
            users["staff"],
        )
        db.session.commit()
    rows = "authority,question,value\n" + "".join(
        f"Manchester,{code},{value}\n"
        for code, value in (
            ("asc_1011", "£10m"),
            ("asc_1112", "£9.5m"),
            ("eia", "yes"),
            ("bme_groups", "3"),
            ("share", "5%"),
        )
    )
    plan = _plan(app, rows)
    eia = next(c for c in plan.changes if c.question_code == "eia")
    assert (eia.old, eia.new, eia.created) == ("No", "Yes", False)
    with app.app_context():
        apply_plan(db.session, plan, None)
        db.session.commit()
        manchester = db.session.get(FoiRequest, r["MAN"])
        assert manchester.figures_entered is True  # every question answered, in the same commit
        answer = db.session.scalar(
            select(Answer).join(Question).where(Question.code == "eia", Answer.request_id == r["MAN"])
        )
        assert answer.value_bool is True and answer.note == "p. 4 of the reply"  # a blank note keeps the note


def test_a_file_with_errors_changes_nothing_and_reports_every_error(app, users, campaign):
    r = campaign["requests"]
    with app.app_context():
        qid = db.session.scalar(select(Question.id).where(Question.code == "asc_1011"))
        save_answers(db.session, db.session.get(FoiRequest, r["KEN2"]), {qid: ("£1m", "", "", "", None, "")}, None)
        db.session.commit()
    before, audit_before = _answers(app), _count(app, AuditEntry)
    bad = (
        "authority,question,value,state,exemption\n"
        "Kent,asc_1011,£1.2 zillion,,\n"  # 2 value
        "Atlantis,asc_1011,5,,\n"  # 3 authority
        "Kent,nope,5,,\n"  # 4 question
        "Manchester,eia,maybe,,\n"  # 5 value
        "Barnet,bme_groups,12,perhaps,\n"  # 6 state
        "Northampton,asc_1011,5,,\n"  # 7 not in the campaign
        "Kent,asc_1112,£5m,,\n"  # 8 fine ...
        "Kent County Council,asc_1112,6,,\n"  # 9 ... but the same answer twice
        ",asc_1011,5,,\n"  # 10 no council
        "\n"  # a blank line is skipped
        "Durham,bme_groups,4,refused,s40\n"  # 12 a refusal has no value
        "Durham,eia,yes,,s99\n"  # 13 unknown exemption
        "Durham,share,7%,,s40\n"  # 14 exemption without refusal
        "Durham,asc_1011,12345678901234567,,\n"  # 15 too many digits to keep exactly
    )
    plan = _plan(app, bad)
    assert not plan.ok
    found = {(row, column) for row, column, _ in plan.errors}
    assert found == {
        (2, "value"),
        (3, "authority"),
        (4, "question"),
        (5, "value"),
        (6, "state"),
        (7, "authority"),
        (9, "question"),
        (10, "authority"),
        (12, "value"),
        (13, "exemption"),
        (14, "exemption"),
        (15, "value"),
    }
    lines = plan.error_lines()
    assert "row 2, column value: '£1.2 zillion' is not a number" in lines[0]
    assert "row 3, column authority: no council called 'Atlantis'" in lines[1]
    assert any(
        line.startswith("row 4, column question: no question with the code or label 'nope' (codes: asc_1011,")
        for line in lines
    )
    assert any(
        "row 7, column authority: 'Northampton' is Northampton Borough Council (NOR), which this campaign has "
        "no request for" in line
        for line in lines
    )
    assert any("row 9, column question: asc_1112 for Kent is also at row 8" in line for line in lines)
    assert any("row 12, column value: a “refused” answer has no value, but '4' was given" in line for line in lines)
    with app.app_context():
        with pytest.raises(ImportFileError):
            apply_plan(db.session, plan, None)
        result = import_figures(db.session, db.session.get(Campaign, campaign["id"]), "bad.csv", bad.encode(), None)
        assert result.applied is False
    assert _answers(app) == before and _count(app, AuditEntry) == audit_before


def test_an_xlsx_file_imports_exactly(app, campaign, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    sheet.append(["Authority", "Question", "Value", "Note"])
    sheet.append(["E10000016", "asc_1011", 1234567.89, "typed as a number"])
    sheet.append(["Durham County Council", "asc_1011", 3400000000, None])
    sheet.append(["Manchester", "eia", True, None])
    sheet.append(["Barnet", "share", 0.125, None])
    sheet.cell(row=5, column=3).number_format = "0.0%"  # shows 12.5%, holds 0.125
    sheet.append([None, None, None, None])  # a blank row
    sheet.append(["Barnet", "bme_groups", "<5", None])
    sheet.append(["Durham", "share", 0.1 + 0.2, "a formula's float"])  # 0.30000000000000004 as the sheet shows it
    book.create_sheet("Notes").append(["ignored"])
    path = tmp_path / "figures.xlsx"
    book.save(path)
    plan = _plan(app, path.read_bytes(), "figures.xlsx")
    assert plan.ok, plan.error_lines()
    assert [c.row for c in plan.changes] == [2, 3, 4, 5, 7, 8]  # spreadsheet row numbers
    assert "Read the first sheet, “Figures”, only." in plan.notes
    with app.app_context():
        apply_plan(db.session, plan, None)
        db.session.commit()
    got, r = _answers(app), campaign["requests"]
    assert got[(r["KEN2"], "asc_1011")]["value_number"] == Decimal("1234567.89")
    assert got[(r["DUR"], "asc_1011")]["value_number"] == Decimal("3400000000")
    assert got[(r["MAN"], "eia")]["value_bool"] is True
    assert got[(r["BNE"], "share")]["value_number"] == Decimal("12.5")
    assert got[(r["BNE"], "bme_groups")]["bound_high"] == 4
    assert got[(r["DUR"], "share")]["value_number"] == Decimal("0.3")


def test_an_xlsx_file_with_errors_names_the_row_and_column(app, campaign, tmp_path):
    book = Workbook()
    book.active.append(["authority", "question", "value"])
    book.active.append(["Kent", "asc_1011", "lots"])
    book.active.append(["Kent", "eia", 3])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    plan = _plan(app, path.read_bytes(), "bad.xlsx")
    assert [(row, column) for row, column, _ in plan.errors] == [(2, "value"), (3, "value")]
    assert "'3': answer yes or no" in plan.errors[1][2]


def test_bom_header_problems_and_unreadable_files(app, campaign):
    with_bom = "\ufeff" + GOOD_CSV
    plan = _plan(app, with_bom.encode("utf-8"))
    assert plan.ok and len(plan.changes) == 8
    plan = _plan(app, "council;question;value\nKent;asc_1011;£1\n")  # "council" for authority; semicolons
    assert plan.ok and plan.changes[0].new == "£1"
    plan = _plan(app, "authority,question,amount,extra\nKent,asc_1011,1\n")
    assert plan.errors == [(1, "value", "missing column (the header needs authority, question and value)")]
    assert plan.notes == ["Columns not used: 'amount', 'extra'."]
    plan = _plan(app, "authority,question,value\n")
    assert plan.errors == [(2, "(row)", "the file has a header but no rows of figures")]
    plan = _plan(app, "authority,question,value\nKent,asc_1011,£1\n".encode("cp1252"))
    assert plan.errors[0][:2] == (0, "file") and "not UTF-8" in plan.errors[0][2]
    assert _plan(app, b"a,b", "figures.xls").error_lines() == ["file: figures.xls: import a .csv (UTF-8) or .xlsx file"]
    assert "not a readable .xlsx workbook" in _plan(app, b"not a zip", "figures.xlsx").errors[0][2]
    assert _count(app) == 0


def test_an_ambiguous_name_lists_the_candidates(app, users):
    with app.app_context():
        s = db.session
        campaign = make_campaign(s, users["admin"], TITLE)
        make_request(s, campaign, "DOR", sent=date(2018, 3, 1))
        make_request(s, campaign, "DST")
        q(s, campaign, "budget")
    plan = _plan(app, "authority,question,value\nThe Dorset Council,budget,1\nE06000059,budget,2\n")
    assert plan.errors == [
        (
            2,
            "authority",
            "'The Dorset Council' could be any of: Dorset Council (DST); "
            "Dorset County Council (DOR): give the GSS code",
        )
    ]  # current first
    assert _plan(app, "authority,question,value\nE06000059,budget,2\n").changes[0].council == "Dorset Council (DST)"


# --- the command line -------------------------------------------------------------


def test_cli_dry_run_then_import(app, campaign, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = run_cli(app, "figures", "import", TITLE.upper(), str(path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (
        "Dry run, nothing written: 8 rows read: 8 changes (8 new, 0 updated), 0 unchanged, 0 errors." in result.stdout
    )
    assert "'Durham County' matched Durham County Council (DUR) (row 3)" in result.stdout
    assert "row 2: Kent County Council (KEN) · asc_1011: — → £1,234,567.89" in result.stdout
    assert _count(app) == 0
    result = run_cli(app, "figures", "import", str(campaign["id"]), str(path))
    assert result.returncode == 0, result.stderr
    assert "Imported: 8 rows read: 8 changes" in result.stdout
    assert _count(app) == 8


def test_cli_reports_every_error_and_imports_nothing(app, campaign, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "authority,question,value\nKent,asc_1011,£1m\nAtlantis,asc_1011,5\nKent,eia,perhaps\n", encoding="utf-8"
    )
    result = run_cli(app, "figures", "import", TITLE, str(path))
    assert result.returncode == 1
    assert "row 3, column authority: no council called 'Atlantis'" in result.stderr
    assert "row 4, column value: 'perhaps': answer yes or no" in result.stderr
    assert "nothing imported: 2 error(s)" in result.stderr
    assert _count(app) == 0
    missing = run_cli(app, "figures", "import", "No such campaign", str(path))
    assert missing.returncode == 1 and "no campaign with the id or title 'No such campaign'" in missing.stderr


# --- the web ----------------------------------------------------------------------


def _upload(client, campaign_id, text: str | bytes, name="figures.csv"):
    data = text.encode() if isinstance(text, str) else text
    return post(
        client,
        f"/campaigns/{campaign_id}/figures/import",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def test_web_upload_preview_then_confirm(app, login_as, campaign):
    client = login_as("staff")
    page = client.get(f"/campaigns/{campaign['id']}/figures/import")
    assert page.status_code == 200 and "Check the file" in page.get_data(as_text=True)
    response = _upload(client, campaign["id"], GOOD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Import 8 changes" in html and "Council names matched leniently" in html
    assert "&#39;Durham County&#39; matched Durham County Council (DUR) (row 3)" in html
    assert "£1,234,567.89" in html
    assert _count(app) == 0  # nothing until confirmed
    folder = Path(app.config["UPLOAD_FOLDER"]) / "figure-imports"
    assert len(list(folder.iterdir())) == 1
    token, fingerprint = _hidden(html, "token"), _hidden(html, "fingerprint")
    assert token.endswith(".csv") and "figures" not in token  # a generated name
    response = post(
        client,
        f"/campaigns/{campaign['id']}/figures/import/confirm",
        {"token": token, "filename": "figures.csv", "fingerprint": fingerprint, "step": "import"},
        follow_redirects=True,
    )
    assert "Imported 8 changes from figures.csv" in response.get_data(as_text=True)
    assert _count(app) == 8
    assert list(folder.iterdir()) == []  # the upload is deleted once imported
    again = post(
        client,
        f"/campaigns/{campaign['id']}/figures/import/confirm",
        {"token": token, "filename": "figures.csv", "fingerprint": fingerprint, "step": "import"},
        follow_redirects=True,
    )
    assert "expired or was already imported" in again.get_data(as_text=True)


def test_web_upload_with_errors_shows_them_and_stores_nothing(app, login_as, campaign):
    client = login_as("staff")
    response = _upload(client, campaign["id"], "authority,question,value\nAtlantis,asc_1011,5\nKent,eia,perhaps\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing can be imported until these are fixed" in html
    assert "no council called &#39;Atlantis&#39;" in html and "answer yes or no" in html
    assert "Import 0 changes" not in html and 'name="token"' not in html
    folder = Path(app.config["UPLOAD_FOLDER"]) / "figure-imports"
    assert not folder.exists() or list(folder.iterdir()) == []
    response = _upload(client, campaign["id"], b"x", "figures.pdf")
    assert response.status_code == 400 and "import a .csv (UTF-8) or .xlsx file" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_web_confirm_refuses_a_stale_preview_and_cancel_deletes_the_upload(app, login_as, users, campaign):
    client = login_as("staff")
    html = _upload(client, campaign["id"], GOOD_CSV).get_data(as_text=True)
    token, fingerprint = _hidden(html, "token"), _hidden(html, "fingerprint")
    with app.app_context():  # someone enters one of the figures meanwhile
        qid = db.session.scalar(select(Question.id).where(Question.code == "eia"))
        save_answers(
            db.session,
            db.session.get(FoiRequest, campaign["requests"]["MAN"]),
            {qid: ("yes", "", "", "", None, "")},
            users["coordinator"],
        )
        db.session.commit()
    response = post(
        client,
        f"/campaigns/{campaign['id']}/figures/import/confirm",
        {"token": token, "filename": "figures.csv", "fingerprint": fingerprint, "step": "import"},
    )
    assert response.status_code == 409
    assert "The figures changed since the preview" in response.get_data(as_text=True)
    assert "Import 7 changes" in response.get_data(as_text=True)
    assert _count(app) == 1
    response = post(
        client,
        f"/campaigns/{campaign['id']}/figures/import/confirm",
        {"token": token, "filename": "figures.csv", "fingerprint": fingerprint, "step": "cancel"},
        follow_redirects=True,
    )
    assert "Import cancelled" in response.get_data(as_text=True)
    assert list((Path(app.config["UPLOAD_FOLDER"]) / "figure-imports").iterdir()) == []
    assert _count(app) == 1
    forged = post(
        client,
        f"/campaigns/{campaign['id']}/figures/import/confirm",
        {"token": "../../fointracker.sqlite3", "fingerprint": "x", "step": "import"},
        follow_redirects=True,
    )
    assert "expired or was already imported" in forged.get_data(as_text=True)


def test_authors_cannot_import(app, login_as, campaign):
    client = login_as("author")
    assert client.get(f"/campaigns/{campaign['id']}/figures/import").status_code == 403
