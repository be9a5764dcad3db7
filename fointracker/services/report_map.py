"""The report's hex map of every council: which measures it can show, the value of each council
for one (one statement), and the SVG (domain.hexmap) with a plain table beside it.

Councils are matched to hexes by GSS code. County councils have no hex: a county's value is
shown on each of its districts' hexes (fointracker/data/district_counties.csv), except where the
district has a figure of its own, which wins for its hex (the legend and the table say so).
Councils with no hex and no districts (abolished ones) are in the table only.

`report_map_svg(session, report, measure)` is what other parts (documents, the public page) call.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..domain.figures import QuestionType
from ..domain.hexmap import (
    Geometry,
    HexValue,
    Layout,
    MapSpec,
    Scale,
    category_scale,
    diverging_change_scale,
    lay_out,
    parse_hexjson,
    render_hex_map,
    sequential_scale,
)
from ..domain.lifecycle import OPEN_STATUSES, Outcome, Status
from ..domain.report_statistics import VALUE_STATES, percent_change
from ..models import Answer, Authority, FoiRequest
from ..models.figures import exact_figure
from .report import PairReport, QuestionInfo, Report
from .report_answers import request_filter
from .report_display import answer_text, show_figure, show_percent

DATA = Path(__file__).resolve().parent.parent / "data"
HEXJSON = DATA / "uk-local-authority-districts-2023.hexjson"
DISTRICT_COUNTIES = DATA / "district_counties.csv"
STATUS = "status"
MAX_MEASURE = 80  # a ?map= longer than any measure's key is not looked at

# Response status, in legend order: each request is in exactly one (`status_category`).
STATUS_CATEGORIES = {
    "Answered on time": "#1f6f3a",
    "Answered late": "#98cf9f",
    "Refused": "#a61b1b",
    "Information not held": "#e08a00",
    "Outstanding": "#0b5f8a",
    "Withdrawn": "#5b6670",
    "Answered": "#4e9f5c",  # answered, but no deadline to judge it by
}
YES_NO = {"Yes": "#0b5f8a", "No": "#e08a00"}
OWN_WINS = "A county council's figure colours its districts; a district's own figure wins for its hex."


@cache
def hex_layout() -> Layout:
    """The shipped layout, parsed once per process."""
    return parse_hexjson(HEXJSON.read_text(encoding="utf-8"))


@cache
def hex_geometry() -> Geometry:
    """Where the shipped layout's hexes are drawn, worked out once per process."""
    return lay_out(hex_layout())


@cache
def county_districts() -> dict[str, tuple[str, ...]]:
    """{county council code: the GSS codes of its districts' hexes}."""
    found: dict[str, list[str]] = defaultdict(list)
    with DISTRICT_COUNTIES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            found[row["county_code"]].append(row["district_gss_code"])
    return {county: tuple(sorted(codes)) for county, codes in found.items()}


# ---------------------------------------------------------------- which measures


@dataclass(frozen=True)
class MapMeasure:
    key: str  # "pair:<index>", "question:<code>" or "status"
    label: str
    pair: PairReport | None = None
    question: QuestionInfo | None = None


def map_measures(report: Report) -> list[MapMeasure]:
    """Every measure the map can show for this report: each pair's change, each numeric or
    yes/no question, and the response status."""
    measures = [MapMeasure(f"pair:{p.index}", f"Change (%): {p.title}", pair=p) for p in report.pairs]
    for q in report.questions:
        info = q.question
        if info.is_numeric or info.qtype == QuestionType.YES_NO.value:
            measures.append(MapMeasure(f"question:{info.code}", info.title, question=info))
    measures.append(MapMeasure(STATUS, "Response status"))
    return measures


def choose_measure(report: Report, key: str | None) -> MapMeasure:
    """The measure `key` names, or the default: the first pair, else the first numeric question,
    else the response status."""
    measures = map_measures(report)
    if key and len(key) <= MAX_MEASURE:
        for measure in measures:
            if measure.key == key:
                return measure
    for measure in measures:
        if measure.pair is not None or (measure.question is not None and measure.question.is_numeric):
            return measure
    return measures[-1]


# ---------------------------------------------------------------- values, council by council


@dataclass(frozen=True)
class CouncilValue:
    code: str
    gss_code: str
    name: str
    type_code: str
    value: object  # a Decimal, a category, or None: no figure
    text: str


def _requests(campaign_id: int, *columns):
    return (
        select(FoiRequest.id, Authority.code, Authority.gss_code, Authority.short_name, Authority.type_code, *columns)
        .select_from(FoiRequest)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .where(request_filter(campaign_id))
    )


def _figure(state, number) -> Decimal | None:
    return Decimal(number) if state in VALUE_STATES and number is not None else None


def _pair_values(session: Session, report: Report, pair: PairReport) -> list[CouncilValue]:
    before, after = aliased(Answer, name="before_answer"), aliased(Answer, name="after_answer")
    stmt = (
        _requests(
            report.campaign_id,
            before.state,
            exact_figure(before.value_number),
            after.state,
            exact_figure(after.value_number),
        )
        .outerjoin(before, (before.request_id == FoiRequest.id) & (before.question_id == pair.before.id))
        .outerjoin(after, (after.request_id == FoiRequest.id) & (after.question_id == pair.after.id))
    )
    found = []
    for _id, code, gss, name, type_code, b_state, b_number, a_state, a_number in session.execute(stmt):
        b, a = _figure(b_state, b_number), _figure(a_state, a_number)
        pct = percent_change(b, a)
        if pct is not None:
            text = f"{show_percent(pct, True)} ({show_figure(b, pair.qtype)} to {show_figure(a, pair.qtype)})"
        elif b is not None and a is not None:
            text = f"{show_figure(b, pair.qtype)} to {show_figure(a, pair.qtype)}: no percentage change from nothing"
        else:
            text = "no figure for both"
        found.append(CouncilValue(code, gss or "", name, type_code, pct, text))
    return found


def _question_values(session: Session, report: Report, info: QuestionInfo) -> list[CouncilValue]:
    a = Answer
    stmt = _requests(
        report.campaign_id,
        a.state,
        exact_figure(a.value_number),
        a.bound_low,
        a.bound_high,
        a.value_bool,
        a.value_text,
        a.raw,
    ).outerjoin(a, (a.request_id == FoiRequest.id) & (a.question_id == info.id))
    found = []
    for _id, code, gss, name, type_code, state, number, low, high, boolean, text, raw in session.execute(stmt):
        shown = answer_text(info.qtype, state, number, low, high, boolean, text or "", raw or "") or "no answer"
        if info.is_numeric:
            value = _figure(state, number)
        else:
            value = None if state not in VALUE_STATES or boolean is None else ("Yes" if boolean else "No")
        found.append(CouncilValue(code, gss or "", name, type_code, value, shown))
    return found


def status_category(status: str, outcome: str | None, responded_on_time: bool | None) -> str | None:
    """A request's place in STATUS_CATEGORIES (None: not sent)."""
    if status == Status.DRAFT.value:
        return None
    if status == Status.WITHDRAWN.value:
        return "Withdrawn"
    if outcome in (Outcome.REFUSED.value, Outcome.NEITHER_CONFIRM_NOR_DENY.value):
        return "Refused"
    if outcome == Outcome.NOT_HELD.value:
        return "Information not held"
    if Status(status) in OPEN_STATUSES:
        return "Outstanding"
    if responded_on_time is None:
        return "Answered"
    return "Answered on time" if responded_on_time else "Answered late"


def _status_values(session: Session, report: Report) -> list[CouncilValue]:
    r = FoiRequest
    stmt = _requests(report.campaign_id, r.status, r.outcome, r.responded_on_time)
    found = []
    for _id, code, gss, name, type_code, status, outcome, on_time in session.execute(stmt):
        category = status_category(status, outcome, on_time)
        found.append(CouncilValue(code, gss or "", name, type_code, category, category or "not sent"))
    return found


def council_values(session: Session, report: Report, measure: MapMeasure) -> list[CouncilValue]:
    """Each council's value of `measure`, in one statement; a council asked twice keeps its
    first request's value (or the first that has one), in council-name order."""
    if measure.pair is not None:
        rows = _pair_values(session, report, measure.pair)
    elif measure.question is not None:
        rows = _question_values(session, report, measure.question)
    else:
        rows = _status_values(session, report)
    by_code: dict[str, CouncilValue] = {}
    for row in rows:
        kept = by_code.get(row.code)
        if kept is None or (kept.value is None and row.value is not None):
            by_code[row.code] = row
    return sorted(by_code.values(), key=lambda c: (c.name, c.code))


# ---------------------------------------------------------------- the map


@dataclass(frozen=True)
class MapRow:
    """A row of the table beside the map: the council, its value, and where the map shows it."""

    council: str
    value: str
    shown: str


@dataclass(frozen=True)
class ReportMap:
    measure: MapMeasure
    svg: str
    rows: list[MapRow]
    base: str


def _scale(report: Report, measure: MapMeasure, values: list[CouncilValue]) -> Scale:
    if measure.pair is not None:
        return diverging_change_scale()
    if measure.question is not None and measure.question.is_numeric:
        qtype = measure.question.qtype
        return sequential_scale([c.value for c in values if c.value is not None], lambda d: show_figure(d, qtype))
    if measure.question is not None:
        return category_scale(list(YES_NO), YES_NO)
    present = {c.value for c in values}
    return category_scale([name for name in STATUS_CATEGORIES if name in present] or ["Outstanding"], STATUS_CATEGORIES)


def _legend_title(measure: MapMeasure) -> str:
    if measure.pair is not None:
        return "Percentage change"
    if measure.question is not None:
        return f"{measure.question.code}: {measure.question.type_label}"
    return "Response status"


def build_report_map(session: Session, report: Report, measure: MapMeasure, chart_id: str = "report-map") -> ReportMap:
    layout = hex_layout()
    on_map = layout.by_gss
    districts_of = county_districts()
    values = council_values(session, report, measure)
    hexes: dict[str, HexValue] = {}
    rows: list[MapRow] = []
    for c in values:  # own figures first: they win over a county's
        if c.gss_code in on_map and (c.value is not None or c.gss_code not in hexes):
            hexes[c.gss_code] = HexValue(c.value, c.text)
    for c in values:
        districts = districts_of.get(c.code, ())
        if c.gss_code in on_map:
            rows.append(MapRow(c.name, c.text, "its own hex"))
        elif districts:
            taken = 0
            for gss in districts:
                if gss not in hexes or hexes[gss].value is None:
                    hexes[gss] = HexValue(c.value, f"{c.text} ({c.name}, county council)")
                    taken += 1
            own = len(districts) - taken
            shown = f"the hexes of its {len(districts)} districts"
            rows.append(MapRow(c.name, c.text, shown + (f" ({own} with a figure of their own)" if own else "")))
        else:
            rows.append(MapRow(c.name, c.text, "not on the map (no hex)"))
    with_figure = sum(1 for c in values if c.value is not None)
    coloured = sum(1 for cell in hexes.values() if cell.value is not None)
    noun = "councils" if with_figure != 1 else "council"
    base = f"n = {with_figure:,} {noun} with a figure, of {len(values):,} asked, colouring {coloured:,} of {len(on_map):,} hexes."
    scale = _scale(report, measure, values)
    spec = MapSpec(
        f"Map: {measure.label}",
        f"Every UK council as a hexagon, coloured by {measure.label}. {base} {OWN_WINS}",
        scale,
        hexes,
        chart_id,
        _legend_title(measure),
    )
    return ReportMap(measure, render_hex_map(layout, spec, hex_geometry()), rows, base)


def report_map_svg(session: Session, report: Report, measure: str | None = None) -> tuple[str, list[MapRow]]:
    """The map of `measure` (a key of `map_measures`; the default if None or unknown) as SVG
    text, and the table rows of its screen-reader alternative: for documents and other pages."""
    found = build_report_map(session, report, choose_measure(report, measure))
    return found.svg, found.rows
