"""The file viewer (#17): a council's spreadsheet (made by openpyxl, read back from the file store)
shown as grids of cells; the unit confirmed once per file; a cell taken for a question with its
provenance, audited; who may see and do what (membership enforced); CSRF; hostile cells escaped."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from fointracker.extensions import db
from fointracker.models import Answer, Attachment, AuditEntry, Authority, FoiRequest
from fointracker.services.attachments import attach
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event
from tests.conftest import csrf_token, login, make_user

MEMBERSHIP_ENFORCED = True  # services.access as in production: members see their campaigns only


def budget_xlsx() -> bytes:
    """A council's answer: a heading stating £000s, a figure stored as text with a thousands
    separator, one in brackets, a note instead of a figure, a hostile cell, a second sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Adult social care (£000s)", "2010/11", "2011/12"])
    sheet.append(["Net budget", "1,234", 1100])
    sheet.append(["Savings", "(56)", "see note 3"])
    sheet.append(["<script>alert('x')</script>", "", ""])
    sheet.append(["Staff (FTE)", 65, 60])
    staff = book.create_sheet("Notes")
    staff.append(["Note 3", "Figures are provisional"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class World:
    campaign_id: int
    request_id: int
    attachment_id: int
    other_attachment_id: int
    questions: dict[str, int]


def store_of(app) -> FileStore:
    return FileStore.from_config(app.config)


def add_document(app, session, foi_request: FoiRequest, data: bytes, name: str, user_id: int) -> int:
    first = not foi_request.events
    event = add_event(
        session, foi_request, kind="response_received" if first else "note", occurred_on=date(2026, 3, 20),
        details={"outcome": "successful"} if first else {}, note="" if first else "More files", user_id=user_id,
    )  # fmt: skip
    upload = FileStorage(io.BytesIO(data), filename=name)
    attach(session, event, [upload], store_of(app), app.config["MAX_CONTENT_LENGTH"], user_id)
    session.commit()
    return session.scalar(select(Attachment.id).where(Attachment.original_name == name).order_by(Attachment.id.desc()))


@pytest.fixture
def world(app, users) -> World:
    make_user(app, "outsider@example.org", "staff")
    with app.app_context():
        s = db.session
        campaign = save_campaign(
            s,
            None,
            {"title": "Care budgets", "description": "", "default_regime": "foia", "letter_template": ""},
            [users["coordinator"]],
            users["admin"],
            member_ids=[users["staff"], users["author"]],
        )
        s.commit()
        kent = s.scalar(select(Authority).where(Authority.code == "KEN"))
        foi_request = create_request(
            s,
            {
                "campaign_id": campaign.id, "authority_id": kent.id, "regime": "foia", "subject": "Budgets",
                "body": "", "sent_on": date(2026, 3, 2), "received_on": None, "council_reference": "",
                "owner_id": None,
            },
            users["staff"],
        )  # fmt: skip
        s.commit()
        questions = {}
        for code, qtype, period in (
            ("b1011", "money", "2010/11"),
            ("save", "money", "2010/11"),
            ("staff", "count", ""),
            ("b1112", "money", "2011/12"),
        ):
            question = create_question(
                s, campaign, {"code": code, "label": f"{code} label", "qtype": qtype, "period_label": period}, None
            )
            questions[code] = question.id
        s.commit()
        attachment_id = add_document(app, s, foi_request, budget_xlsx(), "budget.xlsx", users["staff"])
        other_id = add_document(app, s, foi_request, b"%PDF-1.4 not really", "letter.txt", users["staff"])
        return World(campaign.id, foi_request.id, attachment_id, other_id, questions)


def client_for(app, role_or_email: str):
    client = app.test_client()
    email = role_or_email if "@" in role_or_email else f"{role_or_email}@example.org"
    assert login(client, email).status_code == 302
    return client


def viewer_url(world, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/figures/documents/{world.attachment_id}" + (f"?{query}" if query else "")


def post_form(client, url, data, page="/"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def confirm(client, world, unit="thousands"):
    return post_form(client, f"/figures/documents/{world.attachment_id}/unit", {"unit": unit, "grid": "sheet:Budget"})


def take(client, world, code, ref, grid="sheet:Budget"):
    return post_form(
        client,
        f"/figures/documents/{world.attachment_id}/take",
        {"question": str(world.questions[code]), "grid": grid, "ref": ref},
    )


def answer(app, world, code) -> Answer | None:
    with app.app_context():
        found = db.session.scalar(
            select(Answer).where(Answer.request_id == world.request_id, Answer.question_id == world.questions[code])
        )
        if found is not None:
            db.session.expunge(found)
        return found


# --------------------------------------------------------------------------- showing the file


def test_the_viewer_shows_the_sheets_with_references_and_the_questions(app, world):
    client = client_for(app, "staff")
    html = client.get(viewer_url(world)).get_data(as_text=True)
    assert "Take figures from budget.xlsx" in html
    assert 'aria-current="page">Budget</a>' in html and ">Notes</a>" in html  # both sheets, the first chosen
    assert re.search(r"<th scope=\"col\">A</th><th scope=\"col\">B</th><th scope=\"col\">C</th>", html)
    assert 'id="cell-B2"' in html and ">1,234<" in html
    assert "The headings say <strong>thousands (£000s)</strong>" in html
    # Until the unit is confirmed, cells are not buttons.
    assert 'name="ref"' not in html and "Confirm the unit before taking a figure" in html
    for code in ("b1011", "save", "staff", "b1112"):
        assert f"{code} label" in html
    notes = client.get(viewer_url(world, grid="sheet:Notes")).get_data(as_text=True)
    assert "Figures are provisional" in notes and 'aria-current="page">Notes</a>' in notes


def test_a_hostile_cell_is_escaped(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    html = client.get(viewer_url(world)).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_a_file_without_tables_says_what_to_do(app, world):
    client = client_for(app, "staff")
    response = client.get(f"/figures/documents/{world.other_attachment_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "has no tables to read" in html and "Download it" in html


# --------------------------------------------------------------------------- access


def test_who_may_see_and_take(app, world):
    # A staff user who is not a member of the campaign: as if the file did not exist.
    outsider = client_for(app, "outsider@example.org")
    assert outsider.get(viewer_url(world)).status_code == 404
    assert confirm(outsider, world).status_code == 404
    assert take(outsider, world, "b1011", "B2").status_code == 404
    # An author (a member) reads the file but does not enter figures.
    author = client_for(app, "author")
    html = author.get(viewer_url(world)).get_data(as_text=True)
    assert "1,234" in html and "Confirm unit" not in html
    assert confirm(author, world).status_code == 403
    assert take(author, world, "b1011", "B2").status_code == 403
    assert answer(app, world, "b1011") is None
    # Anonymous: to the login page.
    assert app.test_client().get(viewer_url(world)).status_code == 302
    # Staff (a member) and the admin (every campaign) take figures.
    for role in ("staff", "admin"):
        client = client_for(app, role)
        assert confirm(client, world).status_code == 302
        assert take(client, world, "staff", "B5").status_code == 302


def test_posts_need_the_csrf_token(app, world):
    client = client_for(app, "staff")
    url = f"/figures/documents/{world.attachment_id}"
    assert client.post(url + "/unit", data={"unit": "thousands"}).status_code == 400
    assert (
        client.post(
            url + "/take", data={"question": world.questions["b1011"], "grid": "sheet:Budget", "ref": "B2"}
        ).status_code
        == 400
    )
    with app.app_context():
        assert db.session.get(Attachment, world.attachment_id).figures_unit is None
    assert answer(app, world, "b1011") is None


# --------------------------------------------------------------------------- taking figures


def test_the_unit_must_be_confirmed_before_the_first_figure(app, world):
    client = client_for(app, "staff")
    response = take(client, world, "b1011", "B2")
    assert response.status_code == 400
    assert "confirm the file&#39;s unit" in response.get_data(as_text=True)
    assert answer(app, world, "b1011") is None
    assert confirm(client, world).status_code == 302
    with app.app_context():
        assert db.session.get(Attachment, world.attachment_id).figures_unit == "thousands"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "attachment"))
        assert entry.after == {"figures_unit": "thousands"} and entry.before == {"figures_unit": None}


def test_taking_a_cell_applies_the_unit_and_keeps_its_provenance(app, world, users):
    client = client_for(app, "staff")
    confirm(client, world)
    response = take(client, world, "b1011", "B2")
    assert response.status_code == 302
    # The next unanswered question is chosen, and the page returns to the cell.
    assert f"question={world.questions['save']}" in response.headers["Location"]
    assert response.headers["Location"].endswith("#cell-B2")
    taken = answer(app, world, "b1011")
    assert taken.value_number == Decimal(1234000) and taken.state == "provided"
    assert (taken.source_attachment_id, taken.source_sheet, taken.source_cell, taken.source_unit, taken.raw) == (
        world.attachment_id, "Budget", "B2", "thousands", "1,234",
    )  # fmt: skip
    assert taken.entered_by_id == users["staff"]
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.entity_type == "answer", AuditEntry.entity_id == taken.id)
        )
        assert entry.action == "created"
        assert entry.after["source_cell"] == "B2" and entry.after["source_unit"] == "thousands"
        assert entry.after["value_number"] == "1234000" and entry.after["raw"] == "1,234"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "b1011 saved: £1,234,000, from budget.xlsx, Budget!B2 “1,234” (£000s)." in html
    assert f'<option value="{world.questions["save"]}" selected>' in html


def test_brackets_are_negative_and_counts_are_scaled_too(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    assert take(client, world, "save", "B3").status_code == 302
    assert answer(app, world, "save").value_number == Decimal(-56000)
    confirm(client, world, "units")
    assert take(client, world, "staff", "B5").status_code == 302
    staff = answer(app, world, "staff")
    assert staff.value_number == Decimal(65) and staff.source_unit == "units"


def test_a_cell_that_is_not_a_figure_writes_nothing_and_says_why(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    response = take(client, world, "b1112", "C3")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing saved: cell C3 says &#39;see note 3&#39;: not a number for a money question." in html
    assert 'class="picked"' in html and 'href="#cell-C3"' in html
    assert answer(app, world, "b1112") is None
    # A cell that is not in the file, and a grid that is not.
    assert take(client, world, "b1112", "Z99").status_code == 400
    assert take(client, world, "b1112", "B2", grid="sheet:Nope").status_code == 400
    assert answer(app, world, "b1112") is None


def test_changing_the_unit_leaves_taken_figures_alone_and_offers_to_take_them_again(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    response = confirm(client, world, "millions")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 figure already taken from this file used another unit and were not changed" in html
    assert answer(app, world, "b1011").value_number == Decimal(1234000)  # not silently changed
    assert "Take again with millions (£m)" in html
    take(client, world, "b1011", "B2")
    again = answer(app, world, "b1011")
    assert again.value_number == Decimal(1234000000) and again.source_unit == "millions"


def test_provenance_is_shown_on_the_figures_grid_with_a_link_to_the_cell(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    html = client.get(f"/requests/{world.request_id}/figures").get_data(as_text=True)
    assert "from budget.xlsx, Budget!B2 “1,234” (£000s)" in html
    assert f"/figures/documents/{world.attachment_id}?sheet=Budget&amp;cell=B2" in html
    # The request page and its figures page offer the files that can be read, and only those.
    for page in (f"/requests/{world.request_id}/figures", f"/requests/{world.request_id}"):
        html = client.get(page).get_data(as_text=True)
        assert "Take figures from a file" in html, page
        assert f'href="/figures/documents/{world.attachment_id}"' in html, page
        assert f'href="/figures/documents/{world.other_attachment_id}"' not in html, page


def test_the_report_tables_and_tidy_csv_name_the_source(app, world):
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/campaigns/{world.campaign_id}/report-tidy.csv").get_data(as_text=True))
        )
    )
    sources = {r["question_code"]: r["source"] for r in rows}
    assert sources["b1011"] == "budget.xlsx, Budget!B2 “1,234” (£000s)" and sources["staff"] == ""
    html = client.get(f"/campaigns/{world.campaign_id}/report/questions/b1011").get_data(as_text=True)
    assert "budget.xlsx, Budget!B2 “1,234” (£000s)" in html


def test_many_rows_are_paged(app, world, users):
    book = Workbook()
    sheet = book.active
    sheet.title = "Long"
    for n in range(1, 1203):
        sheet.append([f"Line {n}", n])
    out = io.BytesIO()
    book.save(out)
    with app.app_context():
        foi_request = db.session.get(FoiRequest, world.request_id)
        long_id = add_document(app, db.session, foi_request, out.getvalue(), "long.xlsx", users["staff"])
    client = client_for(app, "staff")
    html = client.get(f"/figures/documents/{long_id}").get_data(as_text=True)
    assert "Rows page 1 of 3" in html and ">Line 500<" in html and ">Line 501<" not in html
    html = client.get(f"/figures/documents/{long_id}?cell=B1100").get_data(as_text=True)
    assert "Rows page 3 of 3" in html and 'id="cell-B1100"' in html


def test_hidden_rows_are_folded_and_marked(app):
    from fointracker.figures.viewer_views import FoldedRows, ShownRow, grid_page
    from fointracker.file_tables import Cell, Grid

    rows = [[Cell(f"A{n}", f"a{n}", hidden=n in (2, 3)), Cell(f"B{n}", "", hidden=n in (2, 3))] for n in range(1, 5)]
    shown, columns, pages = grid_page(Grid("sheet:S", "S", rows), 1, show_hidden=False)
    assert columns == ["A", "B"] and pages == 1
    assert [type(r) for r in shown] == [ShownRow, FoldedRows, ShownRow]
    assert (shown[1].first, shown[1].last, shown[1].count) == ("2", "3", 2)
    shown, _columns, _pages = grid_page(Grid("sheet:S", "S", rows), 1, show_hidden=True)
    assert [r.hidden for r in shown] == [False, True, True, False]


def test_every_sample_shape_renders(app, world, users):
    from fointracker.file_tables import can_read
    from tests.figure_files.make import MAKERS, sample

    client = client_for(app, "staff")
    names = sorted(name for name in MAKERS if can_read(name))
    assert names
    with app.app_context():
        foi_request = db.session.get(FoiRequest, world.request_id)
        ids = {name: add_document(app, db.session, foi_request, sample(name), name, users["staff"]) for name in names}
    for name, attachment_id in ids.items():
        response = client.get(f"/figures/documents/{attachment_id}")
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        if name == "scanned.pdf":  # no text to read: the page says why instead of a grid
            assert "probably a scan" in html
        else:
            assert 'class="viewer-grid"' in html, name
