"""The report as a Word document and a PDF (#18): what the DOCX holds (headings, a Word table
per breakdown of each question and pair with the report's figures, the charts as pictures, the
methodology), that the PDF is the report's pages, that neither fetches anything, and that text
XML cannot hold does not break them."""

from __future__ import annotations

import http.server
import io
import threading
from decimal import Decimal

import pdfplumber
import pytest
from docx import Document
from sqlalchemy import select

from fointracker.models import Answer, Authority, Campaign, Question
from fointracker.services.report import build_report
from fointracker.services.report_display import show_figure
from fointracker.services.report_documents import document_figures, docx_bytes, pdf_bytes, xml_text
from fointracker.services.report_docx import write_docx
from fointracker.services.report_exports import page_context
from tests.conftest import sqlite_pass_only
from tests.test_cli import run_cli
from tests.test_report import answer, new_campaign, new_question, new_request, worked  # noqa: F401
from tests.test_report_exports import _rename_council

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
QUESTION_HEADINGS = [  # by label and period, never by code (#19)
    "Adult social care budget (2010/11)",
    "Adult social care budget (2011/12)",
    "Social workers employed",
    "Equality impact assessment done",
    "How services are provided",
]


def blocks(document) -> list[tuple]:
    """The body in order: ("p", style, text) for a paragraph, ("t", rows of cell texts) for a table."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    found = []
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, document)
            found.append(("p", paragraph.style.name, paragraph.text))
        elif element.tag.endswith("}tbl"):
            found.append(("t", [[cell.text for cell in row.cells] for row in Table(element, document).rows]))
    return found


def tables_by_caption(document) -> dict[str, list[list[str]]]:
    """Each table under the caption just before it."""
    found, caption = {}, None
    for block in blocks(document):
        if block[0] == "p":
            caption = block[2] if block[1] == "Caption" else None
        elif caption is not None:
            found[caption] = block[1]
    return found


def headings(document, style: str) -> list[str]:
    return [text for kind, *rest in blocks(document) if kind == "p" for name, text in [rest] if name == style]


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def _docx(response):
    assert response.status_code == 200, response.status_code
    return Document(io.BytesIO(response.get_data()))


def test_docx_has_the_report_as_headings_tables_pictures_and_methodology(worked, login_as):  # noqa: F811
    client = login_as("staff")
    response = client.get(f"/campaigns/{worked.id}/report.docx")
    assert response.mimetype == DOCX_TYPE and response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="report-') and disposition.endswith('.docx"')
    document = _docx(response)
    data = report_json_of(client, worked)

    assert headings(document, "Title") == ["Report: Adult social care budgets"]
    assert headings(document, "Heading 1") == [
        "Summary",
        "Methodology",
        "Responses",
        "Figures by question",
        "Changes between paired questions",
        "The figures council by council",
    ]
    assert QUESTION_HEADINGS == [h for h in headings(document, "Heading 2") if h in QUESTION_HEADINGS]
    assert "Change: Adult social care budget, 2010/11 to 2011/12" in headings(document, "Heading 2")

    # Each question: a table for all councils, by region and by type, with the report's figures.
    tables = tables_by_caption(document)
    for q in data["questions"]:
        code, n = f"{q['label']} ({q['period']})" if q["period"] else q["label"], q["n"]  # tables by title
        councils = f"{n} council{'' if n == 1 else 's'}"
        overall = tables[f"{code}, all councils: n = {councils}"]
        assert len(overall) == 2 and overall[1][0] == "All councils"
        assert column(overall, "n") == [str(n)] and column(overall, "Asked") == [str(q["asked"])]
        assert column(overall, "No answer") == [str(q["no_answer"])]
        by_region = tables[f"{code} by region: n = {councils} in all"]
        assert [row[0] for row in by_region[1:]] == [g["group"] for g in q["by_region"]]
        assert column(by_region, "n") == [str(g["n"]) for g in q["by_region"]]
        by_type = tables[f"{code} by council type: n = {councils} in all"]
        assert column(by_type, "n") == [str(g["n"]) for g in q["by_type"]]
        if q["type"] in ("money", "count"):
            assert column(overall, "Total") == [show_figure(Decimal(str(q["sum"])), q["type"])]
            assert column(overall, "Maximum") == [show_figure(Decimal(str(q["max"])), q["type"])]
        if q["type"] == "yes_no":
            assert (column(overall, "Yes"), column(overall, "No")) == ([str(q["yes"])], [str(q["no"])])
        if q["type"] == "choice":
            assert column(overall, "Mixed") == [str(q["choices"]["Mixed"])]
    assert column(tables["Adult social care budget (2010/11), all councils: n = 4 councils"], "Total") == [
        "£180,000,000"
    ]
    assert column(tables["Social workers employed, all councils: n = 3 councils"], "Suppressed (“<5”)") == ["1"]

    # The pair: its tables and its largest cuts.
    [pair] = data["pairs"]
    change = tables["Change, all councils: n = 4 councils"]
    assert column(change, "Cut") == [str(pair["cut"])] and column(change, "Change") == ["−£13,000,000"]
    cuts = tables["The 2 largest cuts: n = 2 councils that cut"]
    assert [row[1] for row in cuts[1:]] == [c["council"] for c in pair["top_cuts"]] == ["Kent", "Cambridgeshire"]
    responses = tables["Responses by region: n = 6 councils asked"]
    assert responses[-1][:3] == ["All councils", "6", str(data["responses"]["answered"])]

    # The charts as PNG pictures: response status, the pair's distribution and its largest cuts.
    pictures = [shape._inline.graphic.graphicData.pic.blipFill.blip.embed for shape in document.inline_shapes]
    # ... and each numeric question's distribution, yes/no by region, and the map of every council.
    assert len(pictures) == 8
    for rel_id in pictures:
        assert document.part.related_parts[rel_id].blob.startswith(b"\x89PNG")
    captions = headings(document, "Caption")
    assert "Response status" in captions and "Largest cuts: Adult social care budget, 2010/11 to 2011/12" in " ".join(
        captions
    )

    # The methodology, as paragraphs.
    texts = [text for kind, *rest in blocks(document) if kind == "p" for _style, text in [rest]]
    m = data["methodology"]
    assert f"What was asked: {m['asked']}" in texts and f"Response rate: {m['response_rate']}" in texts
    bullets = [text for kind, style, text in (b for b in blocks(document) if b[0] == "p") if style == "List Bullet"]
    assert set(m["caveats"]) <= set(bullets) and "6 councils asked" in bullets


def report_json_of(client, campaign) -> dict:
    import json

    return json.loads(client.get(f"/campaigns/{campaign.id}/report.json").get_data(as_text=True))


def test_the_word_document_and_the_pdf_carry_the_map(session, worked):  # noqa: F811
    """#18: the map of every council is in the DOCX, a picture after the summary (and in the PDF:
    test_pdf_is_the_printed_report)."""
    document = Document(io.BytesIO(docx_bytes(session, worked)))
    captions = [b[2] for b in blocks(document) if b[0] == "p" and b[1] == "Caption"]
    assert any(
        c.startswith("Map of every council: Change (%): Adult social care budget, 2010/11 to 2011/12") for c in captions
    )


def test_extra_figures_go_after_the_summary(session, worked):  # noqa: F811
    """The hex map (built elsewhere, as SVG) joins the document in one argument."""
    report = build_report(session, worked)
    charts = page_context(session, worked, report=report)["charts"]
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="10" height="10"/></svg>'
    out = io.BytesIO()
    write_docx(report, charts, out, extra_figures=[("Map of councils", svg)])
    document = Document(out)
    assert len(document.inline_shapes) == 8  # the report's 7 charts and this one, instead of the map
    order = [b[2] for b in blocks(document) if b[0] == "p" and b[1] in ("Heading 1", "Caption")]
    assert order.index("Summary") < order.index("Map of councils") < order.index("Methodology")
    charts = {"responses": "<svg/>", "cuts-2": "<svg/>", "question-Q-1-spread": "<svg/>", "question-Q": "<svg/>"}
    placed = document_figures({**charts, "map": "<svg/>"}, question_codes=["Q", "Q-1"])
    assert {key: len(found) for key, found in placed.items()} == {
        "responses": 1,
        "pair-2": 1,
        "question-Q-1": 1,
        "question-Q": 1,
        "summary": 1,
    }


@sqlite_pass_only  # WeasyPrint's layout, not the database
def test_pdf_is_the_printed_report(worked, login_as):  # noqa: F811
    client = login_as("author")
    response = client.get(f"/campaigns/{worked.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    data = response.get_data()
    assert data.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [page.extract_text() for page in pdf.pages]
        assert pdf.pages[0].width > pdf.pages[0].height  # A4 landscape, as the print stylesheet says
    text = "\n".join(pages)
    assert "Report: Adult social care budgets" in pages[0]
    assert "Adult social care budget (2010/11)" in text and "£180,000,000" in text
    assert "Map of every council" in text
    assert "Methodology" in text and "B1011: 5 councils with an answer recorded (n = 4 counted)" in text
    assert "Per-council table" not in text  # the links are left out of the printout
    assert len(pages) > 1


@sqlite_pass_only  # WeasyPrint's layout, not the database
def test_a_big_campaign_prints_on_many_pages_with_every_council(session, users, login_as):
    """80 councils: every council of the appendix is in the PDF, over several pages."""
    codes = session.scalars(
        select(Authority.code).where(Authority.end_date.is_(None)).order_by(Authority.code).limit(80)
    ).all()
    campaign = new_campaign(session, users, "Libraries")
    before = new_question(session, campaign, "L1", "count", 1, pair_group="l", period="2020", label="Libraries open")
    after = new_question(session, campaign, "L2", "count", 2, pair_group="l", period="2024", label="Libraries open")
    authorities = session.scalars(select(Authority).where(Authority.code.in_(codes))).all()
    for i, authority in enumerate(authorities):
        req = new_request(session, campaign, authority)
        answer(session, req, before, number=str(10 + i))
        answer(session, req, after, number=str(10 + i - i % 3))
    session.commit()
    response = login_as("staff").get(f"/campaigns/{campaign.id}/report.pdf")
    with pdfplumber.open(io.BytesIO(response.get_data())) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
        assert len(pdf.pages) > 3
    last = max(authorities, key=lambda a: a.short_name).short_name
    assert "Libraries open (2024), council by council" in text and last in text


class _Counting(http.server.BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):  # noqa: N802
        _Counting.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body::before { content: 'FETCHED-BY-HTTP'; }")

    def log_message(self, *args):
        pass


@sqlite_pass_only  # WeasyPrint's layout, not the database
def test_the_pdf_fetches_nothing(tmp_path):
    """No URL in the HTML, over HTTP or from a file, is fetched: data: URIs only. WeasyPrint's
    own fetcher does fetch them (the control), so the test can fail."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = tmp_path / "local.css"
    local.write_text("h1::after { content: 'READ-FROM-FILE'; }", encoding="utf-8")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f'<link rel="stylesheet" href="{local.as_uri()}">'
        f"<style>@import url({base}/import.css); p {{ background: url({base}/bg.png); }}</style></head>"
        f'<body><h1>Title</h1><p>text</p><img src="{base}/img.png" alt="">'
        '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%221%22 height=%221%22/%3E" '
        'alt=""></body></html>'
    )
    try:
        _Counting.asked = []
        text = _pdf_text(pdf_bytes(html))
        assert _Counting.asked == [] and "FETCHED-BY-HTTP" not in text and "READ-FROM-FILE" not in text
        assert "Title" in text

        from weasyprint import HTML

        text = _pdf_text(HTML(string=html).write_pdf())  # WeasyPrint's default: it fetches
        assert _Counting.asked and "READ-FROM-FILE" in text
    finally:
        server.shutdown()
        server.server_close()


def _pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() for page in pdf.pages)


def test_text_xml_cannot_hold_is_shown_not_fatal(request, session, worked, login_as):  # noqa: F811
    """Control characters stored before forms refused them, in a campaign's title, a question's
    label and a council's name (also in a chart): both files are made, each such character as U+FFFD."""
    kent = session.scalar(select(Authority).where(Authority.code == "KEN"))
    request.addfinalizer(lambda: _rename_council(session, "KEN", "Kent"))
    kent.short_name = "Kent\x01County\x1b"
    session.get(Campaign, worked.id).title = "Adult social care\x0b budgets"
    question = session.scalar(select(Question).where(Question.campaign_id == worked.id, Question.code == "STAFF"))
    question.label = "Social\x08 workers"
    note = session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.note == "").limit(1))
    note.note = "Page 3\x1f of the reply"
    session.commit()
    client = login_as("author")
    document = _docx(client.get(f"/campaigns/{worked.id}/report.docx"))
    assert headings(document, "Title") == ["Report: Adult social care\ufffd budgets"]
    assert "Social\ufffd workers" in headings(document, "Heading 2")
    cuts = tables_by_caption(document)["The 2 largest cuts: n = 2 councils that cut"]
    assert cuts[1][1] == "Kent\ufffdCounty\ufffd"
    assert len(document.inline_shapes) == 8  # the largest-cuts chart and the map name Kent too

    pdf = client.get(f"/campaigns/{worked.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    assert "Social" in _pdf_text(pdf.get_data())


def test_xml_text():
    assert xml_text("a\x00b\x0bc\td\ne\rf\ud800g\ufffeh\uffff") == "a\ufffdb\ufffdc\td\ne\rf\ufffdg\ufffdh\ufffd"
    assert xml_text(None) == "" and xml_text(12) == "12"


def test_documents_of_a_campaign_without_questions(session, users, login_as):
    campaign = new_campaign(session, users, "Empty")
    client = login_as("staff")
    document = _docx(client.get(f"/campaigns/{campaign.id}/report.docx"))
    texts = [b[2] for b in blocks(document) if b[0] == "p"]
    assert "No request in this campaign has been sent yet, so there is nothing to report." in texts
    assert "This campaign has no questions yet, so there are no figures to report." in texts
    assert len(document.inline_shapes) == 0
    pdf = client.get(f"/campaigns/{campaign.id}/report.pdf")
    assert "Report: Empty" in _pdf_text(pdf.get_data())


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_the_documents_need_a_login_and_a_campaign(client, login_as, worked, fmt):  # noqa: F811
    response = client.get(f"/campaigns/{worked.id}/report.{fmt}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login_as("staff").get(f"/campaigns/999999/report.{fmt}").status_code == 404


@sqlite_pass_only  # WeasyPrint's layout, not the database
def test_cli_writes_docx_and_pdf(app, worked, tmp_path):  # noqa: F811
    docx_path, pdf_path = tmp_path / "r.docx", tmp_path / "r.pdf"
    for fmt, path in (("docx", docx_path), ("pdf", pdf_path)):
        result = run_cli(app, "report", str(worked.id), "--format", fmt, "--output", str(path))
        assert result.returncode == 0, result.stderr
        assert f"Wrote the {fmt} report" in result.stderr
    assert headings(Document(str(docx_path)), "Title") == ["Report: Adult social care budgets"]
    assert "Report: Adult social care budgets" in _pdf_text(pdf_path.read_bytes())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report-")] == []  # no temporary file left

    result = app.test_cli_runner().invoke(args=["report", str(worked.id), "--format", "pdf"])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"%PDF")  # standard output's bytes


def test_the_pdf_leaves_out_per_council_tables_beyond_its_bound(worked, login_as, monkeypatch):  # noqa: F811
    """Past PDF_MAX_COUNCIL_ROWS rows the per-council tables are left out with a note (the
    figures' pages stay); the HTML file keeps them all."""
    monkeypatch.setattr("fointracker.reports.views.PDF_MAX_COUNCIL_ROWS", 10)
    client = login_as("staff")
    text = _pdf_text(client.get(f"/campaigns/{worked.id}/report.pdf").get_data())
    assert "Adult social care budget (2010/11)" in text and "£180,000,000" in text
    assert "council by council" in text.lower() and "B1011: 5 councils with an answer recorded" not in text
    assert "(27 rows)" in text and "spreadsheet (XLSX)" in text  # 23 answers and 4 pair councils
    html = client.get(f"/campaigns/{worked.id}/report.html").get_data(as_text=True)
    assert "B1011: 5 councils with an answer recorded (n = 4 counted)" in html


def test_a_downloaded_document_follows_the_data(session, worked, login_as):  # noqa: F811
    """The PDF and the DOCX are kept with the cached report (one store, `CachedReport.documents`): a
    change to the figures makes new ones. The DOCX shows it; a PDF costs seconds of WeasyPrint."""
    client = login_as("staff")
    first = _docx(client.get(f"/campaigns/{worked.id}/report.docx"))
    assert column(
        tables_by_caption(first)["Adult social care budget (2010/11), all councils: n = 4 councils"], "Total"
    ) == ["£180,000,000"]
    question = session.scalar(select(Question).where(Question.campaign_id == worked.id, Question.code == "B1011"))
    changed = session.scalar(
        select(Answer).where(Answer.question_id == question.id, Answer.value_number == Decimal(10000000))
    )
    changed.value_number = Decimal(11000000)
    session.commit()
    again = _docx(client.get(f"/campaigns/{worked.id}/report.docx"))
    assert column(
        tables_by_caption(again)["Adult social care budget (2010/11), all councils: n = 4 councils"], "Total"
    ) == ["£181,000,000"]


@sqlite_pass_only  # WeasyPrint's layout, not the database
def test_a_summary_longer_than_a_page_prints():
    """The headline list (a grid kept whole in print) of a campaign with many pairs is taller than
    a page: WeasyPrint 70 fails on such a grid unless it may break (report_documents.PDF_CSS)."""
    from pathlib import Path

    import fointracker

    css = (Path(fointracker.__file__).parent / "static" / "app.css").read_text(encoding="utf-8")
    items = "".join(f"<li><strong>{i}</strong> P{i}_2010 → P{i}_2011: cut</li>" for i in range(60))
    html = f"<html><head><style>{css}</style></head><body><article class='report'><ul class='headline'>{items}</ul>"
    text = _pdf_text(pdf_bytes(html + "</article></body></html>"))
    assert "P0_2010" in text and "P59_2010" in text
