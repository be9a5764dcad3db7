"""The report as a Word document (#18): python-docx, for `fointracker report --format docx` and
report.docx (services.report_documents.docx_bytes). No Flask.

Headings as Word headings (Title, Heading 1-3) in the page's order; every table of the page
(responses by region and by type, each question's and each pair's figures overall, by
region and by type, the largest cuts) as a Word table an author can edit, with the page's
columns and captions; the charts as PNG pictures; the methodology and its caveats.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..formatting import uk_date
from .report import PairReport, PairStats, QuestionReport, Report
from .report_display import show_figure, show_percent
from .report_documents import CHART_WIDTH_MM, Figure, document_figures, svg_to_png, xml_text


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable  # a group's statistics -> the cell's text
    number: bool = True


def _cell(value, bold: bool = False, right: bool = False) -> str:
    """One table cell as WordprocessingML."""
    paragraph = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
    run = "<w:rPr><w:b/></w:rPr>" if bold else ""
    text = escape(xml_text(value))
    return f'<w:tc><w:p>{paragraph}<w:r>{run}<w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'


def _councils(n: int) -> str:
    return f"{n:,} council{'' if n == 1 else 's'}"


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _days(value) -> str:
    if value is None:
        return "–"
    return str(int(value)) if value == int(value) else f"{value:.1f}"


RESPONSE_COLUMNS = (
    Column("Councils asked", lambda g: g.councils),
    Column("Answered", lambda g: g.answered),
    Column("Response rate", lambda g: _pct(g.response_rate)),
    Column("On time", lambda g: g.on_time),
    Column("Late", lambda g: g.late),
    Column("Refused", lambda g: g.refused),
    Column("Not held", lambda g: g.not_held),
    Column("Outstanding", lambda g: g.outstanding),
    Column("Median working days to respond", lambda g: _days(g.median_working_days)),
)

EXTRA_STATES = (
    ("suppressed", "Suppressed (“<5”)"),
    ("not_held", "Not held"),
    ("not_collected", "Not collected"),
    ("refused", "Refused"),
    ("not_applicable", "Not applicable"),
)


def figure_columns(q: QuestionReport) -> list[Column]:
    """The columns of a question's tables, as the page's (templates/reports/_tables.html)."""
    info, o = q.question, q.overall
    qtype = info.qtype
    columns = [Column("Asked", lambda s: s.asked), Column("n", lambda s: s.n)]
    if info.is_numeric:
        columns += [
            Column("Total", lambda s: show_figure(s.total, qtype)),
            Column("Mean", lambda s: show_figure(s.mean, qtype, True)),
            Column("Minimum", lambda s: show_figure(s.minimum, qtype)),
            Column("Lower quartile", lambda s: show_figure(s.q1, qtype, True)),
            Column("Median", lambda s: show_figure(s.median, qtype, True)),
            Column("Upper quartile", lambda s: show_figure(s.q3, qtype, True)),
            Column("Maximum", lambda s: show_figure(s.maximum, qtype)),
        ]
    elif qtype == "yes_no":
        columns += [
            Column("Yes", lambda s: s.yes),
            Column("No", lambda s: s.no),
            Column("Yes (% of n)", lambda s: _pct(s.yes_pct)),
        ]
    elif qtype == "choice":
        columns += [Column(choice, lambda s, c=choice: s.choices.get(c, 0)) for choice in o.choices]
    columns.append(Column("Estimates", lambda s: s.estimates))
    columns += [Column(label, lambda s, k=key: getattr(s, k)) for key, label in EXTRA_STATES if getattr(o, key)]
    columns.append(Column("No answer", lambda s: s.missing))
    return columns


def pair_columns(p: PairReport) -> list[Column]:
    qtype = p.qtype
    return [
        Column("n (both figures)", lambda s: s.n),
        Column("Cut", lambda s: s.cut),
        Column("Increased", lambda s: s.increased),
        Column("Kept level", lambda s: s.unchanged),
        Column(f"Total {p.before.period_label or p.before.code}", lambda s: show_figure(s.before_total, qtype)),
        Column(f"Total {p.after.period_label or p.after.code}", lambda s: show_figure(s.after_total, qtype)),
        Column("Change", lambda s: show_figure(s.total_change, qtype)),
        Column("Change (% of total before)", lambda s: show_percent(s.total_change_pct, True)),
        Column("Median change (base)", lambda s: f"{show_percent(s.median_pct_change, True)} ({s.with_pct})"),
        Column("Estimates", lambda s: s.estimates),
    ]


class _Writer:
    """A python-docx document and the few ways this report writes into it."""

    def __init__(self):
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm, Pt

        self.document = Document()
        section = self.document.sections[0]
        # A4 landscape, as the print stylesheet: the figure tables are wide.
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(15))
        self.document.styles["Table Grid"].font.size = Pt(8)

    def heading(self, text: str, level: int) -> None:
        self.document.add_heading(xml_text(text), level)

    def paragraph(self, text: str = "", style: str | None = None, label: str | None = None):
        paragraph = self.document.add_paragraph(style=style)
        if label:
            paragraph.add_run(xml_text(label) + ": ").bold = True
        paragraph.add_run(xml_text(text))
        return paragraph

    def caption(self, text: str) -> None:
        self.paragraph(text, style="Caption")

    def figure(self, title: str, svg: str) -> None:
        from docx.shared import Mm

        self.document.add_picture(io.BytesIO(svg_to_png(svg)), width=Mm(CHART_WIDTH_MM))
        self.caption(title)

    def table(self, caption: str, first: str, columns: Sequence[Column], groups: Sequence) -> None:
        """A Word table: a header row (repeated on each page), then one row per group (its
        label, then a value per column). The rows are written as WordprocessingML and parsed
        at once: python-docx's add_row and cell.text take ~60 times as long, most of a
        large report's time."""
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        self.caption(caption)
        table = self.document.add_table(rows=0, cols=len(columns) + 1)
        table.style = "Table Grid"
        rows = ["<w:tr><w:trPr><w:tblHeader/></w:trPr>"]  # repeated at the top of each page
        rows += [_cell(text, bold=True) for text in (first, *(c.header for c in columns))]
        rows.append("</w:tr>")
        for label, *values in groups:
            bold = label == "All councils"  # the total row, bold as on the page
            rows.append("<w:tr>" + _cell(label, bold=bold))
            rows += [_cell(value, bold=bold, right=column.number) for column, value in zip(columns, values)]
            rows.append("</w:tr>")
        parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
        for row in list(parsed):
            table._tbl.append(row)

    def stats_table(self, caption: str, first: str, columns: Sequence[Column], stats: Sequence) -> None:
        self.table(caption, first, columns, [(s.label, *(c.cell(s) for c in columns)) for s in stats])


def _summary(w: _Writer, report: Report, figures: list[Figure]) -> None:
    o = report.responses.overall
    w.heading("Summary", 1)
    if report.responses.nothing_sent:
        w.paragraph("No request in this campaign has been sent yet, so there is nothing to report.")
    else:
        lines = [
            f"{o.councils} councils asked",
            f"{o.answered} answered ({_pct(o.response_rate)} of {o.sent} requests)",
            f"{o.on_time} on time, {o.late} late",
            f"{o.refused} refused, {o.not_held} not held",
            f"{o.outstanding} outstanding",
            f"median {_days(o.median_working_days)} working days to respond",
        ]
        for p in report.pairs:
            if p.overall.n:
                lines.append(
                    f"{p.title}: {p.overall.cut} of {_councils(p.overall.n)} cut; total change "
                    f"{show_figure(p.overall.total_change, p.qtype)} ({show_percent(p.overall.total_change_pct, True)})"
                )
        for line in lines:
            w.paragraph(line, style="List Bullet")
    for title, svg in figures:
        w.figure(title, svg)


def _methodology(w: _Writer, report: Report) -> None:
    m = report.methodology
    w.heading("Methodology", 1)
    if m is None:
        return
    for label, text in (
        ("What was asked", m.asked),
        ("Of whom", m.of_whom),
        ("When", m.when),
        ("Response rate", m.response_rate),
        ("Double entry", m.double_entry),
    ):
        if text:
            w.paragraph(text, label=label)
    w.heading("Caveats", 2)
    for caveat in m.caveats:
        w.paragraph(caveat, style="List Bullet")


def _responses(w: _Writer, report: Report, figures: list[Figure]) -> None:
    stats = report.responses
    o = stats.overall
    w.heading("Responses", 1)
    if stats.nothing_sent:
        w.paragraph("No request has been sent yet.")
        return
    w.paragraph(f"Base: n = {_councils(o.councils)} asked ({o.sent} requests sent).")
    for title, svg in figures:
        w.figure(title, svg)
    for heading, first, groups in (
        ("Responses by region", "Region", stats.by_region),
        ("Responses by council type", "Council type", stats.by_type),
    ):
        w.heading(heading, 2)
        rows = [(g.label, *(c.cell(g) for c in RESPONSE_COLUMNS)) for g in groups]
        rows.append(("All councils", *(c.cell(o) for c in RESPONSE_COLUMNS)))
        w.table(f"{heading}: n = {_councils(o.councils)} asked", first, RESPONSE_COLUMNS, rows)
    w.heading("Refusals by exemption", 2)
    if stats.exemptions:
        w.table(
            f"Requests citing each exemption: n = {stats.refusals_citing_exemptions} requests citing any "
            "(one may cite several)",
            "Exemption",
            [Column("Requests", lambda e: e.requests)],
            [(e.label, e.requests) for e in stats.exemptions],
        )
    else:
        w.paragraph("No response cited an exemption.")


def _question_base(q: QuestionReport) -> str:
    info, o = q.question, q.overall
    giving = (
        " giving a figure" if info.is_numeric else " answering yes or no" if info.qtype == "yes_no" else " answering"
    )
    text = f"{info.type_label}. Base: n = {_councils(o.n)}{giving}, of {_councils(o.asked)} asked"
    if o.estimates:
        text += f"; {o.estimates} of them estimated"
    if o.suppressed:
        text += f"; {o.suppressed} suppressed as a small number, not counted in n or the figures"
    if o.missing:
        text += f"; {o.missing} with no answer recorded"
    return text + "."


def _question(w: _Writer, q: QuestionReport, figures: list[Figure]) -> None:
    info, o = q.question, q.overall
    # Headings by label and period, never by code (#19); the code is in the base line.
    w.heading(info.title, 2)
    w.paragraph(f"Question {info.code}. " + _question_base(q))
    if info.help_text:
        w.paragraph(info.help_text)
    columns = figure_columns(q)
    w.stats_table(f"{info.title}, all councils: n = {_councils(o.n)}", "Councils", columns, [o])
    for heading, first, groups in (
        ("by region", "Region", q.by_region),
        ("by council type", "Council type", q.by_type),
    ):
        w.heading(heading.capitalize(), 3)
        w.stats_table(f"{info.title} {heading}: n = {_councils(o.n)} in all", first, columns, groups)
    for title, svg in figures:
        w.figure(title, svg)


def _pair_base(p: PairReport) -> str:
    o: PairStats = p.overall
    text = f"Base: n = {_councils(o.n)} giving both figures"
    text += f" ({o.estimates} with an estimate)." if o.estimates else "."
    if o.n:
        text += (
            f" {o.cut} cut, {o.increased} increased and {o.unchanged} kept level. In total the figure went from "
            f"{show_figure(o.before_total, p.qtype)} to {show_figure(o.after_total, p.qtype)}, a change of "
            f"{show_figure(o.total_change, p.qtype)} ({show_percent(o.total_change_pct, True)} of the total before: "
            "sum-based, not an average of percentages)."
        )
        if o.median_pct_change is not None:
            text += (
                f" The median council's change was {show_percent(o.median_pct_change, True)} "
                f"(n = {_councils(o.with_pct)} with a figure above zero before)."
            )
    return text


def _pair(w: _Writer, p: PairReport, figures: list[Figure]) -> None:
    o = p.overall
    w.heading(f"Change: {p.title}", 2)
    w.paragraph(_pair_base(p))
    columns = pair_columns(p)
    w.stats_table(f"Change, all councils: n = {_councils(o.n)}", "Councils", columns, [o])
    for heading, first, groups in (
        ("by region", "Region", p.by_region),
        ("by council type", "Council type", p.by_type),
    ):
        w.heading(f"Change {heading}", 3)
        w.stats_table(f"Change {heading}: n = {_councils(o.n)} in all", first, columns, groups)
    if not o.n:
        return
    for title, svg in figures:
        w.figure(title, svg)
    w.heading("The largest cuts", 3)
    if not p.top_cuts:
        w.paragraph("No council that gave both figures made a cut.")
        return
    qtype = p.qtype
    cut_columns = [
        Column("Council", lambda c: c.council + (" (estimate)" if c.estimate else ""), number=False),
        Column("Region", lambda c: c.region, number=False),
        Column("Council type", lambda c: c.council_type, number=False),
        Column(p.before.period_label or p.before.code, lambda c: show_figure(c.before, qtype)),
        Column(p.after.period_label or p.after.code, lambda c: show_figure(c.after, qtype)),
        Column("Change", lambda c: show_figure(c.change, qtype)),
        Column("Change (%)", lambda c: show_percent(c.pct, True)),
    ]
    w.table(
        f"The {len(p.top_cuts)} largest cuts: n = {_councils(o.cut)} that cut",
        "Rank",
        cut_columns,
        [(str(c.rank), *(col.cell(c) for col in cut_columns)) for c in p.top_cuts],
    )


def write_docx(report: Report, charts: Mapping[str, str], fileobj, extra_figures: Iterable[Figure] = ()) -> None:
    """The report as a Word document, written to `fileobj` (a path or a binary file).
    `charts`: page_context's SVG charts; `extra_figures`: more (title, SVG) after the summary."""
    figures = document_figures(charts, extra_figures, [q.question.code for q in report.questions])
    w = _Writer()
    w.heading(f"Report: {report.title}", 0)
    w.paragraph(f"Figures as recorded on {uk_date(report.generated_on)}.")
    _summary(w, report, figures.get("summary", []))
    _methodology(w, report)
    _responses(w, report, figures.get("responses", []))
    w.heading("Figures by question", 1)
    if not report.questions:
        w.paragraph("This campaign has no questions yet, so there are no figures to report.")
    elif not report.has_answers:
        w.paragraph("No figures have been entered yet.")
    else:
        w.paragraph(
            "n is the number of councils whose figure is counted. Estimates are counted and flagged; suppressed "
            "small numbers (“<5”), “not held”, “not collected” and refusals are not counted as zero but shown in "
            "their own columns. Quartiles are interpolated (as Excel's QUARTILE.INC)."
        )
        for q in report.questions:
            _question(w, q, figures.get(f"question-{q.question.code}", []))
    if report.pairs:
        w.heading("Changes between paired questions", 1)
        if report.has_answers:
            for p in report.pairs:
                _pair(w, p, figures.get(f"pair-{p.index}", []))
        else:
            w.paragraph("No figures have been entered yet.")
    if report.has_answers:
        w.heading("The figures council by council", 1)
        w.paragraph(
            "The answers behind every table above, council by council, are in the report's spreadsheet (XLSX) "
            "and in its full HTML file."
        )
    w.document.save(fileobj)
