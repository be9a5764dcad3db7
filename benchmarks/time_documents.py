"""How long the report's Word document and PDF take to build (#18).

    python benchmarks/time_documents.py [--councils 150] [--questions 10] [--database-url ...]

Builds one campaign (benchmarks/bench_report.py's fixture: four in five councils answered,
answers in every state) with the first QUESTIONS of its 60 questions (pairs of money
questions first, then counts, percentages and yes/no), then times, once each: the built report,
the standalone HTML file (every per-council table in its appendix), the PDF printed from it
(WeasyPrint; per-council tables up to PDF_MAX_COUNCIL_ROWS rows), and the DOCX (python-docx; charts through cairosvg). Prints the sizes, the PDF's
pages and the seconds (wall-clock, and CPU). Not part of the test suite; no goal is checked.
"""

from __future__ import annotations

import argparse
import time

import bench_report
from bench_report import build, make_app

from fointracker.extensions import db
from fointracker.models import Campaign
from fointracker.reports.standalone import standalone_html
from fointracker.services.report import build_report
from fointracker.services.report_documents import PDF_MAX_COUNCIL_ROWS, docx_bytes, pdf_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--councils", type=int, default=150)
    parser.add_argument("--questions", type=int, default=10)
    args = parser.parse_args()
    every_question = bench_report._questions
    bench_report._questions = lambda campaign_id: every_question(campaign_id)[: args.questions]
    app = make_app(args.database_url)
    with app.app_context():
        [campaign_id] = build(db.session, 1, args.councils)
        campaign = db.session.get(Campaign, campaign_id)
        timings = {}

        def timed(name, fn):
            start, cpu = time.perf_counter(), time.process_time()
            value = fn()
            timings[name] = time.perf_counter() - start
            timings[f"{name} cpu"] = time.process_time() - cpu
            return value

        report = timed("report", lambda: build_report(db.session, campaign))
        with app.test_request_context():
            html = timed("html", lambda: standalone_html(campaign, report))
            printed = timed("printed", lambda: standalone_html(campaign, report, PDF_MAX_COUNCIL_ROWS))
        pdf = timed("pdf", lambda: pdf_bytes(printed))
        docx = timed("docx", lambda: docx_bytes(db.session, campaign, report))
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = len(document.pages)
    print(f"{args.councils} councils × {args.questions} questions ({len(report.pairs)} pairs):")
    print(f"  report built   {timings['report']:6.2f} s ({timings['report cpu']:5.2f} s CPU)")
    print(f"  HTML file      {timings['html']:6.2f} s ({timings['html cpu']:5.2f} s CPU)  {len(html) / 1e6:5.1f} MB")
    left_out = "per-council tables left out" if "more than this PDF prints" in printed else "every table"
    print(
        f"  PDF            {timings['pdf']:6.2f} s ({timings['pdf cpu']:5.2f} s CPU)  {len(pdf) / 1e6:5.1f} MB, {pages} pages ({left_out})"
    )
    print(f"  DOCX           {timings['docx']:6.2f} s ({timings['docx cpu']:5.2f} s CPU)  {len(docx) / 1e6:5.1f} MB")


if __name__ == "__main__":
    main()
