"""services.file_figures (#17): take_figure reads the file again from the store, parses the cell as
the entry grid would with the unit applied, and writes the answer with its provenance; the
figures grid keeps a taken figure's provenance while it is left as it was, and clears it when retyped."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from fointracker.domain.provenance import position_text, source_text
from fointracker.domain.units import UNITS
from fointracker.extensions import db
from fointracker.models import Answer, Attachment, AuditEntry, FoiRequest, Question
from fointracker.services.answers import AnswerInput, save_answers
from fointracker.services.file_figures import (
    TakeError,
    figure_documents,
    next_unanswered,
    parse_cell,
    questions_with_answers,
    take_figure,
)
from tests.test_file_viewer import answer, client_for, confirm, store_of, take, world  # noqa: F401

MEMBERSHIP_ENFORCED = True


def _take(app, world, code, ref, unit="thousands", grid="sheet:Budget", user=None):
    with app.app_context():
        s = db.session
        attachment = s.get(Attachment, world.attachment_id)
        question = s.get(Question, world.questions[code])
        taken = take_figure(s, attachment, grid, ref, question, unit, user, store_of(app))
        s.commit()
        return taken.id


def test_provenance_in_words():
    assert source_text("budget.xlsx", "Budget", "C7", "thousands") == "budget.xlsx, Budget!C7 (£000s)"
    assert source_text("budget.xlsx", "Budget", "C7", "units") == "budget.xlsx, Budget!C7"
    assert source_text("reply.pdf", "Page 2, table 1", "R3C2", "millions") == (
        "reply.pdf, Page 2, table 1, row 3, column 2 (£m)"
    )
    assert source_text("budget.xlsx", "", "", "") == "" and source_text(None, "", "", "thousands") == ""
    # The cell's own text, as the council wrote it, spaces folded and a long one cut.
    assert (
        source_text("budget.xlsx", "Budget", "C7", "thousands", "(1,234)") == "budget.xlsx, Budget!C7 “(1,234)” (£000s)"
    )
    assert (
        source_text("a.docx", "Table 1", "R2C3", "units", "  12\n500 ") == "a.docx, Table 1, row 2, column 3 “12 500”"
    )
    long = "£" + "9" * 60
    assert source_text("a.xlsx", "S", "A1", "", long) == f"a.xlsx, S!A1 “{long[:40]}…”"
    assert position_text("Table 1", "R10C4") == "Table 1, row 10, column 4"


@pytest.mark.parametrize(
    "qtype, text, unit, expected",
    [
        ("money", "1,234", "thousands", Decimal(1234000)),
        ("money", "(1,234)", "thousands", Decimal(-1234000)),
        ("money", "£1,234", "units", Decimal(1234)),
        ("money", "2.5", "millions", Decimal(2500000)),
        ("count", "65", "units", Decimal(65)),
        ("percentage", "12.5%", "thousands", Decimal("12.5")),  # a unit never scales a percentage
    ],
)
def test_a_cell_parses_as_the_grid_parses_it_with_the_unit(qtype, text, unit, expected):
    question = Question(code="q", label="Q", qtype=qtype, choices=None)
    assert parse_cell(question, text, UNITS[unit]).number == expected


def test_take_figure_writes_the_answer_with_provenance_and_audits_it(app, world, users):
    answer_id = _take(app, world, "b1011", "B2", user=users["staff"])
    with app.app_context():
        s = db.session
        taken = s.get(Answer, answer_id)
        assert taken.value_number == Decimal(1234000)
        assert (taken.source_sheet, taken.source_cell, taken.source_unit, taken.raw) == (
            "Budget", "B2", "thousands", "1,234",
        )  # fmt: skip
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "answer")).all()
        assert entry.after["source_sheet"] == "Budget" and entry.user_id == users["staff"]


def test_take_figure_refuses_without_a_unit_and_for_another_campaigns_question(app, world, users):
    with app.app_context():
        s = db.session
        attachment = s.get(Attachment, world.attachment_id)
        question = s.get(Question, world.questions["b1011"])
        with pytest.raises(TakeError, match="confirm the file's unit"):
            take_figure(s, attachment, "sheet:Budget", "B2", question, None, users["staff"], store_of(app))
        stranger = Question(campaign_id=world.campaign_id + 1000, code="x", label="X", qtype="money")
        with pytest.raises(TakeError, match="not one of this request's campaign"):
            take_figure(s, attachment, "sheet:Budget", "B2", stranger, "units", users["staff"], store_of(app))
        assert s.scalar(select(Answer)) is None


def test_the_file_is_read_again_not_trusted(app, world, users):
    """Only the grid and the cell are named: the value comes from the stored file."""
    _take(app, world, "staff", "B5", unit="units")
    assert answer(app, world, "staff").value_number == Decimal(65)
    with pytest.raises(TakeError, match="no cell 'B99'"):
        _take(app, world, "staff", "B99", unit="units")
    with pytest.raises(TakeError, match="cell A5 says 'Staff \\(FTE\\)': not a number for a count question"):
        _take(app, world, "staff", "A5", unit="units")


def test_documents_and_the_next_question(app, world):
    with app.app_context():
        s = db.session
        foi_request = s.get(FoiRequest, world.request_id)
        assert [d.original_name for d in figure_documents(s, foi_request.id)] == ["budget.xlsx"]
        rows = questions_with_answers(s, foi_request)
        assert next_unanswered(rows).code == "b1011"
        assert next_unanswered(rows, world.questions["staff"]).code == "b1112"
        assert next_unanswered(rows, world.questions["b1112"]).code == "b1011"  # round again


def _grid_entries(app, world, **changes) -> dict:
    """The figures grid as it posts the world's answers back, with `changes` {code: raw}."""
    with app.app_context():
        entries = {}
        for a in db.session.scalars(select(Answer).where(Answer.request_id == world.request_id)):
            code = next(c for c, qid in world.questions.items() if qid == a.question_id)
            entries[a.question_id] = AnswerInput(
                raw=changes.get(code, a.raw), note=a.note, source_attachment_id=a.source_attachment_id
            )
        return entries


def _save(app, world, entries, user_id):
    with app.app_context():
        s = db.session
        result = save_answers(s, s.get(FoiRequest, world.request_id), entries, user_id)
        s.commit()
        return result


def test_an_unchanged_grid_save_keeps_provenance_a_retyped_value_clears_it(app, world, users):
    _take(app, world, "b1011", "B2")
    _take(app, world, "save", "B3")
    # Saved as shown ("1,234" under £000s): nothing changes, the value stays £1,234,000.
    result = _save(app, world, _grid_entries(app, world), users["coordinator"])
    assert result.unchanged == 2 and result.changed == 0
    kept = answer(app, world, "b1011")
    assert kept.value_number == Decimal(1234000) and kept.source_cell == "B2" and kept.source_unit == "thousands"
    # A note added beside it: still the file's figure.
    entries = _grid_entries(app, world)
    qid = world.questions["b1011"]
    entries[qid] = AnswerInput(raw="1,234", note="checked", source_attachment_id=world.attachment_id)
    assert _save(app, world, entries, users["coordinator"]).updated == 1
    noted = answer(app, world, "b1011")
    assert noted.note == "checked" and noted.source_cell == "B2" and noted.value_number == Decimal(1234000)
    # Retyped: a typed figure, the provenance gone (the document may still be cited).
    result = _save(app, world, _grid_entries(app, world, save="-60,000"), users["coordinator"])
    assert result.updated == 1
    retyped = answer(app, world, "save")
    assert retyped.value_number == Decimal(-60000)
    assert (retyped.source_sheet, retyped.source_cell, retyped.source_unit) == ("", "", "")
    assert retyped.source_attachment_id == world.attachment_id
    assert answer(app, world, "b1011").source_cell == "B2"


def test_the_figures_page_round_trip_keeps_provenance(app, world):
    """Through the real page: the grid shows the cell's text; saving it untouched keeps the figure."""
    client = client_for(app, "staff")
    confirm(client, world)
    take(client, world, "b1011", "B2")
    html = client.get(f"/requests/{world.request_id}/figures").get_data(as_text=True)
    form = dict(re.findall(r'<input type="hidden" name="(q\d+-stamp)" value="([^"]*)"', html))
    data = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1), **form}
    for qid in world.questions.values():
        data.setdefault(f"q{qid}-value", "")
    qid = world.questions["b1011"]
    data.update({f"q{qid}-value": "1,234", f"q{qid}-source": str(world.attachment_id)})
    response = client.post(f"/requests/{world.request_id}/figures", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    kept = answer(app, world, "b1011")
    assert kept.value_number == Decimal(1234000) and kept.source_cell == "B2"
