"""The whole report as one HTML file, its stylesheet inlined: the page's download, `fointracker
report --format html`, and what `--format pdf` (and report.pdf) print (services.report_documents)."""

from __future__ import annotations

from flask import current_app, render_template

from ..extensions import db
from ..services.report_exports import page_context


def standalone_html(campaign) -> str:
    """Needs a request context (its template's url_for): the CLI makes a test one."""
    with open(f"{current_app.static_folder}/app.css", encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    return render_template("reports/standalone.html", css=css, **page_context(db.session, campaign, standalone=True))
