"""The report's files: tidy CSV, wide CSV, XLSX and JSON, each written as a stream.

Shared by the web views (a streamed Response) and `fointracker report` (a file). No Flask.

- tidy CSV: one row per council and question (every council asked, every question, with
  the state "no_answer" where nothing is recorded), for R, pandas or a pivot table;
- wide CSV: one row per council, one column per question (the figure, or what the council
  said instead: "not held", "<5" ...), and a column naming the estimates;
- XLSX: Summary (methodology and responses), Figures (every table of the report),
  Questions, Responses (the wide table with each council's response), and Answers (the
  tidy table, with notes); numbers are numbers, with number formats;
- JSON: `report_json`.

The per-council rows are read `yield_per` rows at a time (a server-side cursor on
PostgreSQL) and written as they come, so memory stays flat however big the campaign.
Text cells that a spreadsheet would take for a formula (= + - @) are neutralised with a
leading apostrophe in CSV and XLSX alike (`exports.neutralise`); numbers stay numbers.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from .. import clock
from ..charts import bar_chart, change_histogram, top_cuts_chart
from ..collector import collector_paused
from ..domain.figures import AnswerState, QuestionType
from ..domain.lifecycle import Outcome, Status
from ..domain.report_statistics import CHANGE_BINS
from ..domain.text import replace_control_characters
from ..exports import csv_stream, neutralise
from ..models import Campaign
from .report import Report, build_report, pair_council_rows, report_json
from .report_answers import (
    QuestionInfo,
    campaign_questions,
    council_answers_statement,
    iter_rows,
    question_council_rows,
)
from .report_display import answer_text, show_figure, show_percent, source_of

TIDY_COLUMNS = (
    "council_code",
    "gss_code",
    "council",
    "region",
    "council_type",
    "nation",
    "question_code",
    "question",
    "period",
    "question_type",
    "value",
    "low",
    "high",
    "state",
    "exemption",
    "note",
    "source",  # a figure's provenance (#17): 'budget.xlsx, Budget!C7 “1,234” (£000s)'; "" if typed
)
COUNCIL_COLUMNS = ("council_code", "gss_code", "council", "region", "council_type")
NO_ANSWER = "no_answer"
BATCH_ROWS = 1000
XLSX_CHUNK = 64 * 1024

# Spreadsheet number formats by question type (values of percentage questions are stored as 12.5 for 12.5%).
NUMBER_FORMATS = {"money": '"£"#,##0.00', "count": "#,##0", "decimal": "#,##0.00####", "percentage": '0.0#"%"'}
DERIVED_FORMATS = {**NUMBER_FORMATS, "count": "#,##0.0"}  # means, medians and quartiles of counts
PERCENT_FORMAT = '0.0"%"'
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    mimetype: str
    binary: bool = False


FORMATS = {
    "json": ExportFormat("json", "application/json"),
    "csv": ExportFormat("csv", "text/csv"),  # the wide CSV
    "tidy-csv": ExportFormat("csv", "text/csv"),
    "xlsx": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", binary=True),
    "html": ExportFormat("html", "text/html"),
    # Built whole, not streamed (services.report_documents):
    "docx": ExportFormat(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", binary=True
    ),
    "pdf": ExportFormat("pdf", "application/pdf", binary=True),
}


def export_filename(campaign: Campaign, fmt: str, today: date | None = None) -> str:
    """report-<id>-<title as a slug>[-tidy]-<date>.<ext>: ASCII only, safe in a header."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in campaign.title.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:50] or "campaign"
    suffix = "-tidy" if fmt == "tidy-csv" else ""
    return f"report-{campaign.id}-{slug}{suffix}-{(today or clock.today()).isoformat()}.{FORMATS[fmt].extension}"


# ---------------------------------------------------------------- values


def plain_number(value) -> Decimal | None:
    """A stored figure exactly as entered, without trailing zeros or an exponent (1200000, 12.5)."""
    if value is None:
        return None
    return Decimal(format(Decimal(value).normalize(), "f"))


def _value(row):
    """The value of an answer row for the tidy CSV: a number, yes/no or text; empty for a range."""
    if row.state not in (AnswerState.PROVIDED.value, AnswerState.ESTIMATE.value):
        return None
    if row.value_number is not None:
        return plain_number(row.value_number)
    if row.value_bool is not None:
        return "yes" if row.value_bool else "no"
    return row.value_text or None


def _wide_cell(row):
    """One council's answer to one question, for the wide tables: the figure, or what was said."""
    if row.state is None:
        return None
    value = _value(row)
    if value is not None:
        return value
    if row.bound_high is not None:  # suppressed: "<5" as the council wrote it
        return row.raw or f"{plain_number(row.bound_low)} to {plain_number(row.bound_high)}"
    return AnswerState(row.state).label.lower()


# ---------------------------------------------------------------- CSV


def tidy_rows(session: Session, campaign_id: int) -> Iterator[tuple]:
    for row in iter_rows(session, council_answers_statement(campaign_id), BATCH_ROWS):
        yield tidy_row(row)


def tidy_row(row) -> tuple:
    """One row of council_answers_statement as the tidy table's TIDY_COLUMNS (also the JSON API's)."""
    return (
        row.code,
        row.gss_code,
        row.short_name,
        row.region,
        row.type_name,
        row.nation,
        row.question_code,
        row.question,
        row.period_label,
        row.qtype,
        _value(row),
        plain_number(row.bound_low),
        plain_number(row.bound_high),
        row.state or NO_ANSWER,
        row.exemption,
        row.note,
        source_of(row),
    )


def tidy_csv(session: Session, campaign_id: int) -> Iterator[str]:
    """The tidy CSV as text chunks: one row per council and question."""
    return csv_stream(TIDY_COLUMNS, tidy_rows(session, campaign_id))


def _by_council(session: Session, campaign_id: int) -> Iterator[list]:
    """The per-council rows grouped into one list per council (request), in council order:
    consecutive rows of one stream, so only one council is held at a time."""
    rows = iter_rows(session, council_answers_statement(campaign_id), BATCH_ROWS)
    for _request_id, group in itertools.groupby(rows, key=lambda row: row.request_id):
        yield list(group)


def wide_header(questions: list[QuestionInfo]) -> list[str]:
    return [*COUNCIL_COLUMNS, *(q.code for q in questions), "estimates"]


def wide_rows(session: Session, campaign_id: int, questions: list[QuestionInfo]) -> Iterator[list]:
    for group in _by_council(session, campaign_id):
        first = group[0]
        answers = {row.question_id: row for row in group}
        cells = [_wide_cell(answers[q.id]) if q.id in answers else None for q in questions]
        estimates = [row.question_code for row in group if row.state == AnswerState.ESTIMATE.value]
        yield [
            first.code,
            first.gss_code,
            first.short_name,
            first.region,
            first.type_name,
            *cells,
            "; ".join(estimates),
        ]


def wide_csv(session: Session, campaign_id: int) -> Iterator[str]:
    """The wide CSV as text chunks: one row per council, one column per question."""
    questions = campaign_questions(session, campaign_id)
    return csv_stream(wide_header(questions), wide_rows(session, campaign_id, questions))


# ---------------------------------------------------------------- JSON


def json_chunks(report: Report) -> Iterator[str]:
    """The report's JSON, a piece at a time: each top-level entry, and each question and pair,
    on a line of its own. Each piece goes through the C encoder in one call; an indented
    `iterencode` runs the pure-Python one, several times slower on a 400-council report."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    with collector_paused():  # ~30,000 objects, no cycles (benchmarks/bench_report.py)
        data = report_json(report)
    yield "{"
    for index, (key, value) in enumerate(data.items()):
        yield f"{',' if index else ''}\n{encode(key)}: "
        if isinstance(value, list) and value:
            yield "[\n" + ",\n".join(encode(item) for item in value) + "\n]"
        else:
            yield encode(value)
    yield "\n}\n"


# ---------------------------------------------------------------- XLSX


class _Sheet:
    """A write-only worksheet that neutralises text and formats numbers, cell by cell."""

    def __init__(self, workbook, title: str, widths: dict[str, float] | None = None):
        from openpyxl.styles import Font

        self.ws = workbook.create_sheet(title)
        self.bold = Font(bold=True)
        for column, width in (widths or {}).items():
            self.ws.column_dimensions[column].width = width

    def cell(self, value, number_format: str | None = None, bold: bool = False):
        from openpyxl.cell import WriteOnlyCell

        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
        elif isinstance(value, str):
            value = replace_control_characters(neutralise(value)) if value else None
        cell = WriteOnlyCell(self.ws, value=value)
        if number_format and isinstance(value, (int, float)):
            cell.number_format = number_format
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        if bold:
            cell.font = self.bold
        return cell

    def row(self, *values, formats: dict[int, str] | None = None, bold: bool = False) -> None:
        formats = formats or {}
        self.ws.append([self.cell(v, formats.get(i), bold) for i, v in enumerate(values)])

    def header(self, *names) -> None:
        self.row(*names, bold=True)

    def blank(self) -> None:
        self.ws.append([])


def _pct(value: float | None):
    return None if value is None else round(value, 6)


def _summary_sheet(workbook, report: Report) -> None:
    sheet = _Sheet(workbook, "Summary", {"A": 28, "B": 14, "C": 12, "D": 12, "E": 12})
    sheet.row(f"Report: {report.title}", bold=True)
    sheet.row("Figures as recorded on", report.generated_on)
    sheet.blank()
    m = report.methodology
    sheet.row("Methodology", bold=True)
    for label, text in (
        ("What was asked", m.asked),
        ("Of whom", m.of_whom),
        ("When", m.when),
        ("Response rate", m.response_rate),
    ):
        sheet.row(label, text)
    for caveat in m.caveats:
        sheet.row("Caveat", caveat)
    sheet.blank()
    sheet.row("Responses", bold=True)
    sheet.header(
        "Breakdown",
        "Group",
        "Councils asked",
        "Requests sent",
        "Answered",
        "Answered (% of sent)",
        "On time",
        "Late",
        "Refused",
        "Not held",
        "Outstanding",
        "Withdrawn",
        "Median working days",
    )
    stats = report.responses
    groups = (
        [("All", stats.overall)]
        + [("Region", g) for g in stats.by_region]
        + [("Council type", g) for g in stats.by_type]
    )
    for kind, g in groups:
        sheet.row(
            kind,
            g.label,
            g.councils,
            g.sent,
            g.answered,
            _pct(g.response_rate),
            g.on_time,
            g.late,
            g.refused,
            g.not_held,
            g.outstanding,
            g.withdrawn,
            g.median_working_days,
            formats={5: PERCENT_FORMAT, 12: "0.0"},
        )
    if stats.exemptions:
        sheet.blank()
        sheet.row("Refusals by exemption", bold=True)
        sheet.header("Exemption", "Code", "Requests citing it")
        for e in stats.exemptions:
            sheet.row(e.label, e.code, e.requests)


def _figures_sheet(workbook, report: Report) -> None:
    sheet = _Sheet(workbook, "Figures", {"A": 12, "B": 40, "C": 10, "D": 12, "E": 14, "F": 26})
    sheet.row("Figures by question (n = councils whose figure is counted)", bold=True)
    sheet.header(
        "Question code",
        "Question",
        "Period",
        "Type",
        "Breakdown",
        "Group",
        "Councils asked",
        "Answers",
        "n",
        "Sum",
        "Mean",
        "Median",
        "Minimum",
        "Lower quartile",
        "Upper quartile",
        "Maximum",
        "Estimates",
        "Suppressed",
        "Not held",
        "Not collected",
        "Refused",
        "Not applicable",
        "No answer",
        "Yes",
        "No",
        "Yes (% of yes and no)",
    )
    for q in report.questions:
        info = q.question
        plain, derived = NUMBER_FORMATS.get(info.qtype), DERIVED_FORMATS.get(info.qtype)
        formats = {
            9: plain,
            10: derived,
            11: derived,
            12: plain,
            13: derived,
            14: derived,
            15: plain,
            25: PERCENT_FORMAT,
        }
        for kind, s in (
            [("All", q.overall)] + [("Region", s) for s in q.by_region] + [("Council type", s) for s in q.by_type]
        ):
            yes_no = info.qtype == QuestionType.YES_NO.value
            sheet.row(
                info.code,
                info.label,
                info.period_label,
                info.type_label,
                kind,
                s.label,
                s.asked,
                s.answers,
                s.n,
                s.total,
                s.mean,
                s.median,
                s.minimum,
                s.q1,
                s.q3,
                s.maximum,
                s.estimates,
                s.suppressed,
                s.not_held,
                s.not_collected,
                s.refused,
                s.not_applicable,
                s.missing,
                s.yes if yes_no else None,
                s.no if yes_no else None,
                _pct(s.yes_pct) if yes_no else None,
                formats=formats,
            )
    if report.pairs:
        sheet.blank()
        sheet.row(
            "Changes between paired questions (n = councils giving both figures; % change is sum-based)", bold=True
        )
        sheet.header(
            "Before",
            "After",
            "Breakdown",
            "Group",
            "n",
            "Cut",
            "Increased",
            "Unchanged",
            "Estimates",
            "Total before",
            "Total after",
            "Total change",
            "Change (% of total before)",
            "Median change (%)",
            "Base of the median (before > 0)",
        )
        for p in report.pairs:
            money = NUMBER_FORMATS.get(p.qtype)
            formats = {9: money, 10: money, 11: money, 12: PERCENT_FORMAT, 13: PERCENT_FORMAT}
            for kind, s in (
                [("All", p.overall)] + [("Region", s) for s in p.by_region] + [("Council type", s) for s in p.by_type]
            ):
                sheet.row(
                    p.before.code,
                    p.after.code,
                    kind,
                    s.label,
                    s.n,
                    s.cut,
                    s.increased,
                    s.unchanged,
                    s.estimates,
                    s.before_total,
                    s.after_total,
                    s.total_change,
                    s.total_change_pct,
                    s.median_pct_change,
                    s.with_pct,
                    formats=formats,
                )
        sheet.blank()
        sheet.row("Distribution of percentage change (councils with a figure above zero before)", bold=True)
        sheet.header("Before", "After", *(label for label, *_rest in CHANGE_BINS))
        for p in report.pairs:
            sheet.row(p.before.code, p.after.code, *(count for _label, count in p.overall.bins))
        sheet.blank()
        sheet.row("Largest cuts", bold=True)
        sheet.header(
            "Before",
            "After",
            "Rank",
            "Council code",
            "Council",
            "Region",
            "Council type",
            "Before value",
            "After value",
            "Change",
            "Change (%)",
            "Estimate",
        )
        for p in report.pairs:
            money = NUMBER_FORMATS.get(p.qtype)
            for c in p.top_cuts:
                sheet.row(
                    p.before.code,
                    p.after.code,
                    c.rank,
                    c.code,
                    c.council,
                    c.region,
                    c.council_type,
                    c.before,
                    c.after,
                    c.change,
                    c.pct,
                    c.estimate,
                    formats={7: money, 8: money, 9: money, 10: PERCENT_FORMAT},
                )


def _questions_sheet(workbook, questions: list[QuestionInfo]) -> None:
    sheet = _Sheet(workbook, "Questions", {"A": 12, "B": 50, "C": 10, "D": 14, "E": 12, "G": 30, "H": 50})
    sheet.header("Code", "Question", "Period", "Type", "Pair group", "Position", "Choices", "Help text")
    for q in questions:
        sheet.row(
            q.code, q.label, q.period_label, q.type_label, q.pair_group, q.position, "; ".join(q.choices), q.help_text
        )


def _responses_sheet(workbook, session: Session, campaign_id: int, questions: list[QuestionInfo]) -> None:
    sheet = _Sheet(workbook, "Responses", {"A": 10, "B": 12, "C": 28, "D": 20, "E": 22, "F": 18, "G": 18})
    sheet.ws.freeze_panes = "D2"
    sheet.header(
        "Council code",
        "GSS code",
        "Council",
        "Region",
        "Council type",
        "Status",
        "Outcome",
        "Responded on",
        "On time",
        "Working days to respond",
        *(q.code for q in questions),
        "Estimates",
    )
    formats = {10 + i: NUMBER_FORMATS.get(q.qtype) for i, q in enumerate(questions)}
    for group in _by_council(session, campaign_id):
        first = group[0]
        answers = {row.question_id: row for row in group}
        estimates = [row.question_code for row in group if row.state == AnswerState.ESTIMATE.value]
        sheet.row(
            first.code,
            first.gss_code,
            first.short_name,
            first.region,
            first.type_name,
            Status(first.status).label,
            Outcome(first.outcome).label if first.outcome else None,
            first.responded_on,
            first.responded_on_time,
            first.response_working_days,
            *(_wide_cell(answers[q.id]) if q.id in answers else None for q in questions),
            "; ".join(estimates),
            formats=formats,
        )


def _answers_sheet(workbook, session: Session, campaign_id: int) -> None:
    """The tidy table, with notes and exemptions: what lies behind every cell of Responses."""
    sheet = _Sheet(workbook, "Answers", {"A": 10, "C": 28, "D": 20, "E": 22, "G": 12, "H": 40, "K": 14, "P": 40})
    sheet.ws.freeze_panes = "A2"
    sheet.header(*(name.replace("_", " ").capitalize() for name in TIDY_COLUMNS))
    for row in iter_rows(session, council_answers_statement(campaign_id), BATCH_ROWS):
        number_format = NUMBER_FORMATS.get(row.qtype)  # the value, low and high columns
        sheet.row(*tidy_row(row), formats={10: number_format, 11: number_format, 12: number_format})


def write_xlsx(session: Session, report: Report, fileobj) -> None:
    """The workbook, written to `fileobj` (a file name or a binary file open for writing)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    questions = report.question_infos
    _summary_sheet(workbook, report)
    _figures_sheet(workbook, report)
    _questions_sheet(workbook, questions)
    _responses_sheet(workbook, session, report.campaign_id, questions)
    _answers_sheet(workbook, session, report.campaign_id)
    workbook.save(fileobj)


def xlsx_chunks(session: Session, report: Report) -> Iterator[bytes]:
    """The workbook as byte chunks. An XLSX is a zip whose directory comes last, so it cannot
    be sent before it is finished: openpyxl's write-only workbook writes the rows to disk as
    they are read (flat memory), the finished file goes to a temporary file, and that file is
    streamed in chunks and deleted."""
    with tempfile.TemporaryFile(prefix="fointracker-report-", suffix=".xlsx") as tmp:
        write_xlsx(session, report, tmp)
        tmp.seek(0)
        while chunk := tmp.read(XLSX_CHUNK):
            yield chunk


def export_chunks(session: Session, campaign: Campaign, fmt: str) -> Iterator:
    """The chunks of one export (`fmt`: json, csv, tidy-csv or xlsx). The report's aggregates are
    computed now, before the first chunk, so a failure is an error response, not a cut-off file."""
    if fmt == "csv":
        return wide_csv(session, campaign.id)
    if fmt == "tidy-csv":
        return tidy_csv(session, campaign.id)
    if fmt == "json":
        return json_chunks(build_report(session, campaign))
    if fmt == "xlsx":
        return xlsx_chunks(session, build_report(session, campaign))
    raise ValueError(f"unknown export format {fmt!r}")


# ---------------------------------------------------------------- the page (and the standalone HTML file)


def page_context(
    session: Session,
    campaign: Campaign,
    standalone: bool = False,
    report: Report | None = None,
    map_measure: str | None = None,
) -> dict:
    """What templates/reports/report.html and standalone.html render: the report (`report` if
    given: reports.views passes its cached one), its charts (SVG text), the map of `map_measure`
    (services.report_map; the default measure if None) and, for the standalone file, the
    per-council tables behind the figures."""
    from markupsafe import Markup

    from .report_charts import distribution_chart, has_distribution, yes_no_chart
    from .report_map import build_report_map, choose_measure, map_measures

    report = report or build_report(session, campaign)
    o = report.responses.overall
    charts = {
        "responses": Markup(
            bar_chart(
                "Response status",
                [
                    ("Councils asked", o.councils),
                    ("Answered on time", o.on_time),
                    ("Answered late", o.late),
                    ("Refused", o.refused),
                    ("Information not held", o.not_held),
                    ("Outstanding", o.outstanding),
                    ("Withdrawn", o.withdrawn),
                ],
                f"Requests by status; n = {o.councils} councils asked",
                "chart-responses",
            )
        )
    }
    for p in report.pairs:
        s = p.overall
        charts[f"change-{p.index}"] = Markup(
            change_histogram(
                f"Distribution of change: {p.title}",
                s.bins,
                f"Councils by percentage change; n = {s.with_pct} councils with a figure above zero before",
                f"chart-change-{p.index}",
            )
        )
        charts[f"cuts-{p.index}"] = Markup(
            top_cuts_chart(
                f"Largest cuts: {p.title}",
                [
                    (c.council, c.change, show_figure(c.change, p.qtype) + (" (estimate)" if c.estimate else ""))
                    for c in p.top_cuts
                ],
                f"The {len(p.top_cuts)} largest cuts in amount, of {s.cut} councils that cut",
                f"chart-cuts-{p.index}",
            )
        )
    for q in report.questions:
        info = q.question
        if has_distribution(info) and q.figures:
            chart = distribution_chart(info, q.figures, f"chart-distribution-{info.code}")
            charts[f"distribution-{info.code}"] = Markup(chart)
        if info.qtype == "yes_no" and (q.overall.yes or q.overall.no):
            groups = [(s.label, s.yes, s.no) for s in q.by_region]
            charts[f"yes-no-{info.code}"] = Markup(yes_no_chart(info, groups, f"chart-yes-no-{info.code}"))
    # The per-council tables only for the standalone file: the page links to each one's own page instead.
    appendix = standalone and report.has_answers
    return {
        "report": report,
        "campaign": campaign,
        "charts": charts,
        "report_map": build_report_map(session, report, choose_measure(report, map_measure)),
        "map_measures": map_measures(report),
        "standalone": standalone,
        "council_answers": question_council_rows(session, campaign.id) if appendix else {},
        "pair_rows": pair_council_rows(session, report) if appendix else {},
        "show_figure": show_figure,
        "show_percent": show_percent,
        "answer_text": answer_text,
        "source_of": source_of,
    }
