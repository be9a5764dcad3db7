"""The report as a Word document (DOCX) and as a PDF (#18). No Flask.

- PDF: WeasyPrint prints the standalone HTML file (templates/reports/standalone.html, the
  stylesheet inlined, as `--format html` writes it) with its print stylesheet: the printout
  is the layout, so the PDF and the browser's print are one design. Nothing is fetched:
  `NoFetching` refuses every URL but data: URIs, so no text in a report (a council's name, a
  note) can make WeasyPrint open a file or reach a server.
- DOCX (services.report_docx): python-docx. The report's headings as Word headings (Title, Heading 1-3), its tables
  as Word tables an author can edit (responses, each question's and each pair's figures
  overall, by region and by type, the largest cuts), its charts as PNG pictures (the SVG of
  fointracker.charts drawn by cairosvg, which fetches nothing either), and the methodology.
  The per-council tables stay in the HTML and XLSX files: thousands of rows are a
  spreadsheet's job, and leaving them out keeps the document's cost to the report's
  aggregates, whatever the number of councils.

Text stored before control characters were refused (and any other character XML 1.0 cannot
hold) is shown as U+FFFD, as the XLSX export does: python-docx and the SVG parser refuse it.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from ..models import Campaign
from .report import Report, build_report
from .report_exports import page_context

# Characters XML 1.0 cannot hold: C0 controls but tab, line feed and carriage return; lone
# surrogates; U+FFFE and U+FFFF.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The PDF prints the per-council tables while they hold at most this many rows in all (~6 ms
# of WeasyPrint's time each: a 150-council campaign of 10 questions has ~2,000); beyond, a
# note sends the reader to the HTML file and the XLSX, so a 400-council campaign of 60
# questions (24,000 rows, some 800 pages) costs its figures' pages only.
PDF_MAX_COUNCIL_ROWS = 2500
# WeasyPrint only, over the print stylesheet: a grid kept whole (break-inside: avoid) that is
# taller than a page stops WeasyPrint 70 with an AssertionError (the summary's headline list
# of a campaign with many pairs), so the headline may break across pages in the PDF.
PDF_CSS = ".report ul.headline { break-inside: auto !important; }"  # (the document's own styles come later)
CHART_PIXELS = 1200  # the PNG's width: ~185 dpi printed 16.5 cm wide
CHART_WIDTH_MM = 165

Figure = tuple[str, str]  # (title, SVG text)


def xml_text(text) -> str:
    """`text` as a string XML can hold (see the module docstring)."""
    return XML_INVALID.sub("\ufffd", "" if text is None else str(text))


# ---------------------------------------------------------------- PDF


def _no_fetching_class():
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        """WeasyPrint's fetcher, for data: URIs only: everything else is refused (not fetched)."""

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise ValueError("the report's PDF fetches nothing")
            return super().fetch(url, headers)

    return NoFetching


def pdf_bytes(html: str) -> bytes:
    """The PDF of the standalone report HTML, laid out by its print stylesheet."""
    from weasyprint import CSS, HTML

    # WeasyPrint warns of each screen-only CSS feature of app.css it ignores (overflow-x,
    # grid's auto-fit ...), every time: noise in the app's log, not news.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = _no_fetching_class()(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=xml_text(html), base_url=None, url_fetcher=fetcher, media_type="print")
    return document.write_pdf(stylesheets=[CSS(string=PDF_CSS, url_fetcher=fetcher)])


# ---------------------------------------------------------------- charts as pictures


def _refuse_url(url, resource_type):
    """cairosvg's fetcher: data: URIs only (the charts use none); anything else draws nothing."""
    if url and url.lower().startswith("data:"):
        from urllib.request import urlopen

        with urlopen(url) as response:  # a data: URI is decoded in place, never fetched
            return response.read()
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'


def svg_to_png(svg: str) -> bytes:
    from cairosvg.surface import PNGSurface

    # (svg2png does not pass url_fetcher on; the surface's convert does, to the parser.)
    return PNGSurface.convert(
        bytestring=xml_text(svg).encode("utf-8"), output_width=CHART_PIXELS, url_fetcher=_refuse_url, unsafe=False
    )


def document_figures(
    charts: Mapping[str, str], extra_figures: Iterable[Figure] = (), question_codes: Iterable[str] = ()
) -> dict[str, list[Figure]]:
    """{section: [(title, SVG)]}: where each chart of `page_context(...)["charts"]` goes in the
    document: "responses"; "pair-<index>" for change-<index> and cuts-<index>;
    "question-<code>" for question-<code> and question-<code>-<anything> (the longest of
    `question_codes` that fits); any other chart, and each of `extra_figures` (the hex map),
    after the summary."""
    codes = sorted(question_codes, key=len, reverse=True)
    placed: dict[str, list[Figure]] = {}
    for key, svg in charts.items():
        section = "summary"
        if key == "responses":
            section = "responses"
        elif (match := re.fullmatch(r"(?:change|cuts)-(\d+)", key)) is not None:
            section = f"pair-{match.group(1)}"
        elif key.startswith("question-"):
            rest = key.removeprefix("question-")
            code = next((c for c in codes if rest == c or rest.startswith(f"{c}-")), None)
            section = f"question-{code}" if code is not None else section
        placed.setdefault(section, []).append((_svg_title(str(svg)) or key, str(svg)))
    placed.setdefault("summary", []).extend(extra_figures)
    return placed


def _svg_title(svg: str) -> str:
    from html import unescape

    match = re.search(r"<title[^>]*>(.*?)</title>", svg, re.S)
    return unescape(match.group(1)) if match else ""


# ---------------------------------------------------------------- DOCX


def docx_bytes(
    session: Session, campaign: Campaign, report: Report | None = None, extra_figures: Iterable[Figure] | None = None
) -> bytes:
    """The Word document of `campaign`'s report (`report` if given, else built now); after its
    summary, `extra_figures`, by default the map of every council (its default measure)."""
    report = report or build_report(session, campaign)
    if extra_figures is None and not report.period.requests:  # nothing sent: nothing to map
        extra_figures = ()
    if extra_figures is None:
        from .report_map import build_report_map, choose_measure

        found = build_report_map(session, report, choose_measure(report, None), chart_id="docx-map")
        extra_figures = [(f"Map of every council: {found.measure.label}. {found.base}", found.svg)]
    charts = page_context(session, campaign, report=report)["charts"]
    from .report_docx import write_docx  # (which uses this module's charts and text)

    out = io.BytesIO()
    write_docx(report, charts, out, extra_figures)
    return out.getvalue()
