"""The report page, the per-council tables behind its figures, and its downloads. Thin: the
numbers come from services.report (and services.report_details for one table), the files from
services.report_exports (the Word document and the PDF from services.report_documents, built
whole), and the other downloads stream (stream_with_context keeps the database
session open while the generator runs). The page and report.json share one built report per
campaign and day, kept per worker process while the campaign's data is unchanged."""

from dataclasses import dataclass, field

from flask import (
    Response,
    abort,
    render_template,
    request,
    stream_with_context,
)
from markupsafe import Markup

from .. import clock
from ..auth.permissions import get_campaign_or_404
from ..extensions import db
from ..services.read_cache import VersionedCache
from ..services.report import Report, answer_text, build_report, show_figure, show_percent
from ..services.report_charts import question_charts
from ..services.report_details import pair_table as find_pair_table
from ..services.report_details import question_table as find_question_table
from ..services.report_display import source_of
from ..services.report_documents import PDF_MAX_COUNCIL_ROWS, docx_bytes, pdf_bytes
from ..services.report_exports import (
    FORMATS,
    export_chunks,
    export_filename,
    json_chunks,
    page_context,
)
from ..services.report_map import choose_measure
from . import bp
from .standalone import standalone_html

STANDALONE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# The built report per campaign and day, per worker process, while the campaign's data (and the
# data no campaign owns) is unchanged: services.read_cache says why that is safe. A few are kept.
report_cache = VersionedCache(max_entries=16)


@dataclass
class CachedReport:
    """A built report, and the page body rendered from it (per script root, as its links are, and
    per measure of its map):
    rendering takes ~30 ms, several times a cached visit's cost (benchmarks/load.py)."""

    report: Report
    page_bodies: dict[tuple[str, str], Markup] = field(default_factory=dict)  # by script root and map measure
    documents: dict[str, bytes] = field(default_factory=dict)  # the PDF and the DOCX: seconds to build


def cached_report(campaign) -> CachedReport:
    """The campaign's report for today. The caller has checked (get_campaign_or_404) that the user
    may see the campaign; the report holds nothing of any other, nor anything that depends on who
    is looking."""
    today = clock.today()
    return report_cache.get_or_compute(
        db.session,
        ("report", campaign.id, today),
        lambda: CachedReport(build_report(db.session, campaign, today)),
        (campaign.id,),
    )


@bp.route("/campaigns/<id:campaign_id>/report")
def report(campaign_id: int):
    campaign = get_campaign_or_404(campaign_id)
    cached = cached_report(campaign)
    # ?map= chooses the map's measure: one body per measure the report offers (unknown: the default).
    measure = choose_measure(cached.report, request.args.get("map")).key
    key = (request.script_root, measure)
    body = cached.page_bodies.get(key)
    if body is None:
        context = page_context(db.session, campaign, report=cached.report, map_measure=measure)
        body = cached.page_bodies[key] = Markup(render_template("reports/_report.html", **context))
    return render_template("reports/report.html", campaign=campaign, report_body=body)


@bp.route("/campaigns/<id:campaign_id>/report/questions/<question_code>")
def question_table(campaign_id: int, question_code: str):
    """The answers behind one question's figures, council by council."""
    campaign = get_campaign_or_404(campaign_id)
    table = find_question_table(db.session, campaign.id, question_code)
    if table is None:
        abort(404)
    charts = {name: Markup(svg) for name, svg in question_charts(table.question, table.rows).items()}
    return render_template(
        "reports/question_table.html",
        campaign=campaign,
        table=table,
        charts=charts,
        answer_text=answer_text,
        source_of=source_of,
    )


@bp.route("/campaigns/<id:campaign_id>/report/pairs/<id(min=0):pair_index>")
def pair_table(campaign_id: int, pair_index: int):
    """Every council's two figures of one before/after pair."""
    campaign = get_campaign_or_404(campaign_id)
    table = find_pair_table(db.session, campaign.id, pair_index)
    if table is None:
        abort(404)
    return render_template(
        "reports/pair_table.html", campaign=campaign, table=table, show_figure=show_figure, show_percent=show_percent
    )


@bp.route("/campaigns/<id:campaign_id>/report.html")
def report_html(campaign_id: int):
    """The whole report as one HTML file, stylesheet inlined and every per-council table in its
    appendix: for printing or sending on (the same file as `fointracker report --format html`)."""
    campaign = get_campaign_or_404(campaign_id)
    html = standalone_html(campaign)
    return Response(
        html,
        content_type="text/html; charset=utf-8",  # as given (a mimetype would get a second charset)
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{export_filename(campaign, "html")}"',
            # A file to save, not a page; were it shown, its inline stylesheet is all it may use.
            "Content-Security-Policy": STANDALONE_POLICY,
        },
    )


def _download(campaign_id: int, fmt: str) -> Response:
    campaign = get_campaign_or_404(campaign_id)
    chunks = export_chunks(db.session, campaign, fmt)
    spec = FORMATS[fmt]
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{export_filename(campaign, fmt)}"',
    }
    content_type = spec.mimetype if spec.binary else f"{spec.mimetype}; charset=utf-8"
    return Response(stream_with_context(chunks), content_type=content_type, headers=headers)


@bp.route("/campaigns/<id:campaign_id>/report.json")
def report_json(campaign_id: int):
    """The report's figures, the same built report the page shows."""
    campaign = get_campaign_or_404(campaign_id)
    chunks = json_chunks(cached_report(campaign).report)  # built before the first chunk: a failure is an error response
    content_type = f"{FORMATS['json'].mimetype}; charset=utf-8"
    # A download like the other formats (#19: it had opened in the tab); programs read it all the same.
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{export_filename(campaign, "json")}"',
    }
    return Response(chunks, content_type=content_type, headers=headers)


@bp.route("/campaigns/<id:campaign_id>/report.csv")
def report_csv(campaign_id: int):
    """One row per council, one column per question."""
    return _download(campaign_id, "csv")


@bp.route("/campaigns/<id:campaign_id>/report-tidy.csv")
def report_tidy_csv(campaign_id: int):
    """One row per council and question."""
    return _download(campaign_id, "tidy-csv")


@bp.route("/campaigns/<id:campaign_id>/report.xlsx")
def report_xlsx(campaign_id: int):
    return _download(campaign_id, "xlsx")


def _document(campaign_id: int, fmt: str) -> Response:
    """The PDF or the DOCX, built whole (seconds for a big campaign), and kept with the cached
    report while the campaign's data is unchanged: a second download is free."""
    campaign = get_campaign_or_404(campaign_id)
    cached = cached_report(campaign)
    data = cached.documents.get(fmt)
    if data is None:
        if fmt == "pdf":
            html = standalone_html(campaign, cached.report, max_council_rows=PDF_MAX_COUNCIL_ROWS)
            data = pdf_bytes(html)
        else:
            data = docx_bytes(db.session, campaign, cached.report)
        cached.documents[fmt] = data
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{export_filename(campaign, fmt)}"',
    }
    return Response(data, content_type=FORMATS[fmt].mimetype, headers=headers)


@bp.route("/campaigns/<id:campaign_id>/report.docx")
def report_docx(campaign_id: int):
    """The report as a Word document: its tables as Word tables, its charts as pictures."""
    return _document(campaign_id, "docx")


@bp.route("/campaigns/<id:campaign_id>/report.pdf")
def report_pdf(campaign_id: int):
    """The full report file (report.html) printed to PDF by its print stylesheet."""
    return _document(campaign_id, "pdf")
