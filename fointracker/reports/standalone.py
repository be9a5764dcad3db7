"""The whole report as one HTML file, its stylesheet inlined: the page's download, `fointracker
report --format html`, and what `--format pdf` (and report.pdf) print (services.report_documents)."""

from __future__ import annotations

from flask import current_app, render_template

from ..extensions import db
from ..services.report import Report
from ..services.report_exports import page_context


def standalone_html(campaign, report: Report | None = None, max_council_rows: int | None = None) -> str:
    """Needs a request context (its template's url_for): the CLI makes a test one. With
    `max_council_rows`, per-council tables of more rows in all are left out, and a note says
    where they are: the PDF's bound (services.report_documents.PDF_MAX_COUNCIL_ROWS)."""
    with open(f"{current_app.static_folder}/app.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    context = page_context(db.session, campaign, standalone=True, report=report)
    rows = sum(map(len, context["council_answers"].values())) + sum(map(len, context["pair_rows"].values()))
    if max_council_rows is not None and rows > max_council_rows:
        context.update(council_answers={}, pair_rows={}, council_rows_left_out=rows)
    return render_template("reports/standalone.html", css=css, **context)
