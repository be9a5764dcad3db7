"""The campaign report's numbers: a worked example checked figure by figure, then random
campaigns whose every aggregate is recomputed in plain Python (Decimal and Fraction, groups
by itertools-style dictionaries), on whichever backend the suite runs (SQLite, or
PostgreSQL with FOINTRACKER_TEST_DATABASE_URL)."""

from __future__ import annotations

import itertools
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from fointracker.charts import bar_chart, change_histogram, top_cuts_chart
from fointracker.domain.report_statistics import QUARTILES, percentile
from fointracker.extensions import db
from fointracker.models import Answer, Authority, Campaign, FoiRequest, Question
from fointracker.services.campaigns import find_campaign
from fointracker.services.report import (
    CHANGE_BINS,
    build_report,
    pair_council_rows,
    report_json,
    show_figure,
    show_percent,
)
from fointracker.services.report_answers import counts_statement, figures_statement, question_pairs
from fointracker.services.report_exports import json_chunks

D = Decimal
SENT = date(2026, 3, 2)


# ---------------------------------------------------------------- building campaigns


def new_campaign(session, users, title="Adult social care budgets") -> Campaign:
    campaign = Campaign(title=title, default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.commit()
    return campaign


def councils(session, codes) -> dict[str, Authority]:
    return {a.code: a for a in session.scalars(select(Authority).where(Authority.code.in_(list(codes))))}


def new_request(
    session, campaign, authority, *, status="responded", outcome="successful", on_time=True, days=12, sent=SENT
) -> FoiRequest:
    answered = status not in ("awaiting_response", "draft")
    req = FoiRequest(
        campaign_id=campaign.id,
        authority_id=authority.id,
        regime="foia",
        subject="Budgets",
        sent_on=sent,
        received_on=sent,
        status=status,
        outcome=outcome if answered else None,
        responded_on=sent + timedelta(days=days) if answered else None,
        responded_on_time=on_time if answered else None,
        response_working_days=days if answered else None,
    )
    session.add(req)
    session.flush()
    return req


def new_question(
    session, campaign, code, qtype, position, *, pair_group="", period="", label=None, choices=None
) -> Question:
    q = Question(
        campaign_id=campaign.id,
        code=code,
        label=label or code.title(),
        qtype=qtype,
        period_label=period,
        pair_group=pair_group,
        position=position,
        choices=choices,
    )
    session.add(q)
    session.flush()
    return q


def answer(
    session,
    req,
    question,
    state="provided",
    number=None,
    *,
    low=None,
    high=None,
    boolean=None,
    text="",
    note="",
    exemption="",
    raw="",
) -> Answer:
    a = Answer(
        request_id=req.id,
        question_id=question.id,
        state=state,
        value_number=None if number is None else D(number),
        bound_low=low,
        bound_high=high,
        value_bool=boolean,
        value_text=text,
        note=note,
        exemption=exemption,
        raw=raw,
    )
    session.add(a)
    return a


# ---------------------------------------------------------------- the worked example


@pytest.fixture
def worked(session, users):
    """Six councils asked; five answered. Budgets 2010/11 and 2011/12 (a pair), social
    workers (a count, one suppressed), an equality impact assessment (yes/no), a choice."""
    campaign = new_campaign(session, users)
    c = councils(session, ["KEN", "HAM", "CAM", "BDG", "SWK", "BIR"])
    req = {
        "KEN": new_request(session, campaign, c["KEN"], days=10),
        "HAM": new_request(session, campaign, c["HAM"], on_time=False, days=30),
        "CAM": new_request(session, campaign, c["CAM"], outcome="partially_successful", days=14),
        "BDG": new_request(session, campaign, c["BDG"], status="closed", days=20),
        "SWK": new_request(session, campaign, c["SWK"], status="closed", outcome="refused", days=16),
        "BIR": new_request(session, campaign, c["BIR"], status="awaiting_response"),
    }
    before = new_question(
        session, campaign, "B1011", "money", 1, pair_group="budget", period="2010/11", label="Adult social care budget"
    )
    after = new_question(
        session, campaign, "B1112", "money", 2, pair_group="budget", period="2011/12", label="Adult social care budget"
    )
    staff = new_question(session, campaign, "STAFF", "count", 3, label="Social workers employed")
    eia = new_question(session, campaign, "EIA", "yes_no", 4, label="Equality impact assessment done")
    how = new_question(
        session,
        campaign,
        "HOW",
        "choice",
        5,
        label="How services are provided",
        choices=["In house", "Contracted", "Mixed"],
    )
    answer(session, req["KEN"], before, number="100000000")
    answer(session, req["HAM"], before, "estimate", "50000000")
    answer(session, req["CAM"], before, number="20000000")
    answer(session, req["BDG"], before, number="10000000")
    answer(session, req["SWK"], before, "not_held")
    answer(session, req["KEN"], after, number="90000000", note='=HYPERLINK("http://evil.example")')
    answer(session, req["HAM"], after, number="55000000")
    answer(session, req["CAM"], after, number="12000000")
    answer(session, req["BDG"], after, number="10000000")
    answer(session, req["SWK"], after, number="8000000")
    answer(session, req["KEN"], staff, number="120")
    answer(session, req["HAM"], staff, low=D(0), high=D(4), raw="<5")
    answer(session, req["CAM"], staff, "estimate", "30")
    answer(session, req["BDG"], staff, number="45")
    answer(session, req["SWK"], staff, "refused", exemption="s12")
    answer(session, req["KEN"], eia, boolean=True)
    answer(session, req["HAM"], eia, boolean=False)
    answer(session, req["CAM"], eia, boolean=True)
    answer(session, req["BDG"], eia, "not_collected")
    answer(session, req["SWK"], eia, boolean=True)
    answer(session, req["KEN"], how, text="In house")
    answer(session, req["HAM"], how, text="Mixed")
    answer(session, req["CAM"], how, text="Mixed")
    session.commit()
    return campaign


def _q(report, code):
    return next(q for q in report.questions if q.question.code == code)


def _group(groups, label):
    return next(g for g in groups if g.label == label)


def test_worked_example_responses(session, worked):
    report = build_report(session, worked, today=date(2026, 5, 1))
    o = report.responses.overall
    assert (o.councils, o.answered, o.on_time, o.late, o.refused, o.outstanding) == (6, 5, 4, 1, 1, 1)
    assert o.median_working_days == 16.0  # 10, 14, 16, 20, 30
    assert report.period.first_sent == SENT and report.period.requests == 6
    m = report.methodology
    assert m.asked.startswith("5 questions (B1011, B1112, STAFF, EIA, HOW), covering 2010/11, 2011/12")
    assert "6 councils were sent a request under the Freedom of Information Act 2000" in m.of_whom
    assert "3 County" in m.of_whom and "2 London borough" in m.of_whom
    assert m.when == (
        "Requests were sent on Mon 2 Mar 2026; the last response counted arrived on Wed 1 Apr 2026. "
        "Figures as recorded on Fri 1 May 2026."
    )
    assert m.response_rate.startswith("5 requests answered out of 6 sent (83.3%); 4 on time and 1 late; 1 refused")
    assert any("2 figures are estimates" in c for c in m.caveats)
    assert any("1 figure was suppressed" in c for c in m.caveats)
    assert any("sum-based" in c for c in m.caveats)


def test_worked_example_money_question(session, worked):
    report = build_report(session, worked)
    s = _q(report, "B1011").overall
    assert (s.asked, s.answers, s.n, s.estimates, s.not_held, s.missing) == (6, 5, 4, 1, 1, 1)
    assert s.total == D("180000000.00") and s.mean == D("45000000.00")
    assert (s.minimum, s.q1, s.median, s.q3, s.maximum) == (
        D("10000000.00"),
        D("17500000.00"),
        D("35000000.00"),
        D("62500000.00"),
        D("100000000.00"),
    )
    by_region = _q(report, "B1011").by_region
    assert [g.label for g in by_region] == ["East of England", "London", "South East", "West Midlands"]
    south_east = _group(by_region, "South East")
    assert (south_east.asked, south_east.n, south_east.total, south_east.median, south_east.estimates) == (
        2,
        2,
        D("150000000.00"),
        D("75000000.00"),
        1,
    )
    london = _group(by_region, "London")
    assert (london.asked, london.n, london.total, london.not_held) == (2, 1, D("10000000.00"), 1)
    midlands = _group(by_region, "West Midlands")
    assert (midlands.asked, midlands.n, midlands.total, midlands.missing) == (1, 0, None, 1)
    county = _group(_q(report, "B1011").by_type, "County")
    assert (county.n, county.total, county.median, county.q1) == (
        3,
        D("170000000.00"),
        D("50000000.00"),
        D("35000000.00"),
    )


def test_worked_example_suppressed_count_and_yes_no(session, worked):
    report = build_report(session, worked)
    staff = _q(report, "STAFF").overall
    # "<5" is counted as suppressed, and left out of n, the sum and the mean.
    assert (staff.n, staff.suppressed, staff.estimates, staff.refused) == (3, 1, 1, 1)
    assert (staff.total, staff.mean, staff.median, staff.minimum, staff.maximum) == (
        D("195.000000"),
        D("65.000000"),
        D("45.000000"),
        D("30.000000"),
        D("120.000000"),
    )
    eia = _q(report, "EIA").overall
    assert (eia.n, eia.yes, eia.no, eia.not_collected, eia.yes_pct) == (4, 3, 1, 1, 75.0)
    assert eia.total is None
    assert _group(_q(report, "EIA").by_region, "London").yes == 1
    how = _q(report, "HOW").overall
    assert how.choices == {"In house": 1, "Contracted": 0, "Mixed": 2} and how.n == 3


def test_worked_example_pair_is_sum_based(session, worked):
    report = build_report(session, worked)
    [pair] = report.pairs
    assert (pair.before.code, pair.after.code) == ("B1011", "B1112")
    p = pair.overall
    # SWK gave only the 2011/12 figure: not compared.
    assert (p.n, p.cut, p.increased, p.unchanged, p.estimates) == (4, 2, 1, 1, 1)
    assert (p.before_total, p.after_total, p.total_change) == (D("180000000.00"), D("167000000.00"), D("-13000000.00"))
    # Sum-based: -13m / 180m = -7.222...%. The mean of the councils' percentages
    # (-10%, +10%, -40%, 0%) would be -10%: different, and not what we report.
    assert p.total_change_pct == D("-7.222222")
    rows = pair_council_rows(session, report)[0]
    assert sorted(r.pct for r in rows) == [D(-40), D(-10), D(0), D(10)]
    mean_of_percentages = sum(r.pct for r in rows) / len(rows)
    assert mean_of_percentages == D(-10) and p.total_change_pct != mean_of_percentages
    assert p.median_pct_change == D("-5.000000")
    assert dict(p.bins) == {
        "Cut by 50% or more": 0,
        "Cut by 25% to 50%": 1,
        "Cut by 10% to 25%": 1,
        "Cut by less than 10%": 0,
        "No change": 1,
        "Up by less than 10%": 0,
        "Up by 10% to 25%": 1,
        "Up by 25% to 50%": 0,
        "Up by 50% or more": 0,
    }
    assert [(c.rank, c.code, c.change, c.pct) for c in pair.top_cuts] == [
        (1, "KEN", D("-10000000.00"), D(-10)),
        (2, "CAM", D("-8000000.00"), D(-40)),
    ]
    south_east = _group(pair.by_region, "South East")
    assert (
        south_east.n,
        south_east.cut,
        south_east.increased,
        south_east.total_change,
        south_east.total_change_pct,
        south_east.median_pct_change,
    ) == (2, 1, 1, D("-5000000.00"), D("-3.333333"), D("0.000000"))
    county = _group(pair.by_type, "County")
    assert (county.n, county.total_change) == (3, D("-13000000.00"))


GOLDEN = Path(__file__).parent / "fixtures" / "report_worked_example.json"


def test_worked_example_json_is_the_golden_file_on_every_backend(session, worked):
    """The worked example's JSON, byte for byte as /report.json sends it, is the file in
    tests/fixtures (made on SQLite; the suite runs it on PostgreSQL too, so both backends
    give the same bytes). To write it again after a deliberate change to the report:
    FOINTRACKER_WRITE_GOLDEN=1 pytest tests/test_report.py -k golden, and read the diff."""
    report = build_report(session, worked, today=date(2026, 5, 1))
    report.campaign_id = 1  # the one thing that depends on the database's sequences
    text = "".join(json_chunks(report))
    if os.environ.get("FOINTRACKER_WRITE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_report_on_a_database_in_memory(tmp_path):
    """SQLite in memory: a database only one connection can see."""
    from flask_migrate import upgrade

    from fointracker import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        campaign = Campaign(title="In memory", default_regime="foia")
        db.session.add(campaign)
        db.session.commit()
        db.session.add(Question(campaign_id=campaign.id, code="Q1", label="Q", qtype="count"))
        db.session.commit()
        report = build_report(db.session, campaign)
        assert [q.question.code for q in report.questions] == ["Q1"] and report.questions[0].overall.n == 0


def test_worked_example_json_states_every_base(session, worked):
    data = report_json(build_report(session, worked))
    b1011 = data["questions"][0]
    assert {k: b1011[k] for k in ("code", "n", "sum", "mean", "median", "min", "max")} == {
        "code": "B1011",
        "n": 4,
        "sum": 180000000,
        "mean": 45000000,
        "median": 35000000,
        "min": 10000000,
        "max": 100000000,
    }
    assert data["questions"][2]["suppressed"] == 1
    [pair] = data["pairs"]
    assert {
        k: pair[k]
        for k in ("before", "after", "n", "cut", "increased", "unchanged", "total_change", "total_change_pct")
    } == {
        "before": "B1011",
        "after": "B1112",
        "n": 4,
        "cut": 2,
        "increased": 1,
        "unchanged": 1,
        "total_change": -13000000,
        "total_change_pct": -7.222222,
    }
    assert data["responses"]["asked"] == 6


def test_report_page_shows_bases_flags_and_charts(worked, login_as):
    client = login_as("author")
    html = client.get(f"/campaigns/{worked.id}/report").get_data(as_text=True)
    assert "n = 4 councils" in html  # every table states its base
    assert "Estimates" in html and "1 suppressed (“&lt;5”)" in html  # what is not counted, in one column
    assert html.count("<svg") >= 3 and "<title" in html
    assert "style=" not in html  # the CSP forbids inline styles
    assert "−7.2%" in html and "Kent" in html
    assert "Methodology" in html and "sum-based" in html


def test_report_page_empty_states(session, users, login_as):
    campaign = new_campaign(session, users, "Nothing yet")
    client = login_as("staff")
    html = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert "has no questions yet" in html
    new_question(session, campaign, "Q1", "money", 1)
    session.commit()
    html = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert "No figures have been entered yet" in html
    assert client.get("/campaigns/999999/report").status_code == 404


def test_the_campaign_page_links_to_the_report(worked, login_as):
    html = login_as("staff").get(f"/campaigns/{worked.id}").get_data(as_text=True)
    assert f'href="/campaigns/{worked.id}/report"' in html


def test_find_campaign_by_id_or_title(session, worked):
    assert find_campaign(session, str(worked.id)) is worked
    assert find_campaign(session, "ADULT SOCIAL CARE budgets") is worked
    assert find_campaign(session, "Adult social") is None
    # Titles are unique only as typed: a title that names two campaigns names neither.
    session.add(Campaign(title="Straße", default_regime="foia"))
    session.commit()
    assert find_campaign(session, "STRASSE").title == "Straße"  # casefold, not only ASCII
    session.add(Campaign(title="STRASSE", default_regime="foia"))
    session.commit()
    assert find_campaign(session, "strasse") is None


def test_the_report_reads_the_answers_twice_counted_and_their_figures(session, worked):
    session.refresh(worked)  # not counted: the commit that made the campaign expired it
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        build_report(session, worked)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # The questions, three for the response statistics, the period, the answers counted,
    # their figures, and the councils asked.
    assert len(statements) == 8, statements
    assert sum(1 for s in statements if "FROM answer" in s) == 2, statements


def test_pairs_from_pair_groups():
    from fointracker.services.report_answers import QuestionInfo

    def q(id_, code, qtype="money", group="g", position=0, period=""):
        return QuestionInfo(id_, code, code, qtype, period, group, position, "", ())

    pairs, unpaired = question_pairs(
        [
            q(3, "C", position=3),
            q(1, "A", position=1),
            q(2, "B", position=2),
            q(4, "X", group="lonely"),
            q(5, "Y", "count", "mixed"),
            q(6, "Z", group="mixed"),
            q(7, "P", period="2011/12", group="p"),
            q(8, "R", period="2010/11", group="p"),
        ]
    )
    assert [(b.code, a.code) for b, a in pairs] == [("A", "B"), ("B", "C"), ("R", "P")]
    assert len(unpaired) == 2


def test_display_helpers():
    assert show_figure(D("1234567.5"), "money") == "£1,234,568"
    assert show_figure(D("12.345"), "money") == "£12.35"
    assert show_figure(D("65.25"), "count", derived=True) == "65.3"
    assert show_figure(D("12.5"), "percentage") == "12.5%"
    assert show_figure(None, "money") == "–"
    assert show_percent(D("-7.222222")) == "−7.2%" and show_percent(D("3"), signed=True) == "+3.0%"


def test_charts_are_accessible_svg_without_styles_or_scripts():
    for svg in (
        bar_chart("Responses", [("On time", 4), ("Late & slow", 1)], "n = 6 councils", "c1"),
        change_histogram("Change", [(label, i) for i, (label, *_r) in enumerate(CHANGE_BINS)], "n = 36", "c2"),
        top_cuts_chart("Cuts", [("Kent <County>", D("-10000000"), "−£10,000,000")], "n = 4", "c3"),
        bar_chart("Nothing", [], "n = 0", "c4"),
    ):
        assert svg.startswith("<svg") and 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "style" not in svg and "<script" not in svg and "http://www.w3.org/2000/svg" in svg
        assert "<text" in svg
    assert "Late &amp; slow" in bar_chart("R", [("Late & slow", 1)], "", "c5")
    assert "Kent &lt;County&gt;" in top_cuts_chart("Cuts", [("Kent <County>", D(-1), "−£1")], "", "c6")


# ---------------------------------------------------------------- percentiles helper


def _quantile(values, fraction: Fraction) -> Fraction:
    """The inclusive (type 7) percentile, by the textbook formula, in exact fractions."""
    values = sorted(Fraction(v) for v in values)
    h = fraction * (len(values) - 1)
    low = int(h)
    if low + 1 >= len(values):
        return values[low]
    return values[low] + (h - low) * (values[low + 1] - values[low])


@given(
    st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from([Fraction(0), Fraction(1, 10), *QUARTILES, Fraction(4, 5), Fraction(1)]),
)
def test_percentile_matches_the_textbook_formula(values, fraction):
    """The report's quartiles and median changes: the inclusive (type 7) percentile, exactly
    for terminating fractions (what the report uses: quarters and halves)."""
    assert Fraction(percentile(sorted(values), fraction)) == _quantile(values, fraction)


# ---------------------------------------------------------------- random campaigns against plain Python

CODES = ("KEN", "HAM", "CAM", "BDG", "SWK", "BIR", "MAN", "BNS", "ESX", "LND", "GLG", "ABD", "AGY", "ABC")
STATES = (
    "provided",
    "provided",
    "provided",
    "estimate",
    "not_held",
    "not_collected",
    "refused",
    "not_applicable",
    "suppressed",
    None,
)


@dataclass
class Spec:
    """One random answer: council, question and what was said (None: no answer recorded)."""

    state: str | None
    value: Decimal | None


def value_strategy(qtype):
    if qtype == "money":
        return st.decimals(min_value=-1_000_000, max_value=2_000_000_000, places=2, allow_nan=False)
    if qtype == "count":
        return st.integers(0, 100_000).map(Decimal)
    if qtype == "percentage":
        return st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
    return st.decimals(min_value=-100_000, max_value=100_000, places=6, allow_nan=False)


QTYPES = ("money", "count", "decimal", "percentage")


@st.composite
def campaigns(draw):
    qtype = draw(st.sampled_from(QTYPES))
    other = draw(st.sampled_from(QTYPES))
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True))
    small_values = draw(st.booleans())  # few distinct small values: ties, unchanged pairs, zero "before"s
    answers = {}
    for code in codes:
        for question, qt in (("BEFORE", qtype), ("AFTER", qtype), ("OTHER", other)):
            state = draw(st.sampled_from(STATES))
            value = None
            if state in ("provided", "estimate"):
                value = Decimal(draw(st.integers(0, 4))) if small_values else draw(value_strategy(qt))
            answers[(code, question)] = Spec(state, value)
    return {"qtype": qtype, "other": other, "codes": codes, "answers": answers}


def _r(value: Fraction | Decimal | None, qtype: str):
    if value is None:
        return None
    places = Decimal("0.01") if qtype == "money" else Decimal("0.000001")
    exact = Fraction(value)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def expected_figures(values: list[Decimal], specs: list[Spec], asked: int, qtype: str) -> dict:
    values = sorted(values)
    counts = defaultdict(int)
    for spec in specs:
        counts[spec.state] += 1
    n = len(values)
    total = sum(values, Decimal(0))
    return {
        "asked": asked,
        "answers": sum(1 for s in specs if s.state is not None),
        "n": n,
        "total": _r(total, qtype) if n else None,
        "mean": _r(Fraction(total) / n, qtype) if n else None,
        "minimum": _r(values[0], qtype) if n else None,
        "maximum": _r(values[-1], qtype) if n else None,
        "q1": _r(_quantile(values, Fraction(1, 4)), qtype) if n else None,
        "median": _r(_quantile(values, Fraction(1, 2)), qtype) if n else None,
        "q3": _r(_quantile(values, Fraction(3, 4)), qtype) if n else None,
        "estimates": counts["estimate"],
        "suppressed": counts["suppressed"],
        "not_held": counts["not_held"],
        "not_collected": counts["not_collected"],
        "refused": counts["refused"],
        "not_applicable": counts["not_applicable"],
    }


def actual_figures(s) -> dict:
    return {
        k: getattr(s, k)
        for k in (
            "asked",
            "answers",
            "n",
            "total",
            "mean",
            "minimum",
            "maximum",
            "q1",
            "median",
            "q3",
            "estimates",
            "suppressed",
            "not_held",
            "not_collected",
            "refused",
            "not_applicable",
        )
    }


def expected_pair(pairs: list[tuple[Decimal, Decimal, bool]], qtype: str) -> dict:
    """pairs: (before, after, estimate) of the councils that gave both figures."""
    n = len(pairs)
    before = sum((b for b, _, _ in pairs), Decimal(0))
    after = sum((a for _, a, _ in pairs), Decimal(0))
    changes = [Fraction(a - b) * 100 / Fraction(b) for b, a, _ in pairs if b > 0]
    bins = [0] * len(CHANGE_BINS)
    for pct in changes:
        for i, (_label, low, high, low_in, high_in) in enumerate(CHANGE_BINS):
            if low is not None and not (pct >= low if low_in else pct > low):
                continue
            if high is not None and not (pct <= high if high_in else pct < high):
                continue
            bins[i] += 1
    assert sum(bins) == len(changes)  # the bins cover every change exactly once
    return {
        "n": n,
        "cut": sum(1 for b, a, _ in pairs if a < b),
        "increased": sum(1 for b, a, _ in pairs if a > b),
        "unchanged": sum(1 for b, a, _ in pairs if a == b),
        "estimates": sum(1 for *_, e in pairs if e),
        "before_total": _r(before, qtype) if n else None,
        "after_total": _r(after, qtype) if n else None,
        "total_change": _r(after - before, qtype) if n else None,
        "total_change_pct": _r(Fraction(after - before) * 100 / Fraction(before), "percentage")
        if n and before > 0
        else None,
        "with_pct": len(changes),
        "median_pct_change": _r(_quantile(changes, Fraction(1, 2)), "percentage") if changes else None,
        "bins": bins,
    }


def actual_pair(s) -> dict:
    out = {
        k: getattr(s, k)
        for k in (
            "n",
            "cut",
            "increased",
            "unchanged",
            "estimates",
            "before_total",
            "after_total",
            "total_change",
            "total_change_pct",
            "with_pct",
            "median_pct_change",
        )
    }
    out["bins"] = [count for _label, count in s.bins]
    return out


_titles = itertools.count()


def build_random(session, users, spec) -> tuple[Campaign, dict[str, Authority]]:
    campaign = new_campaign(session, users, f"Random {next(_titles)}")
    c = councils(session, spec["codes"])
    questions = {
        "BEFORE": new_question(session, campaign, "BEFORE", spec["qtype"], 1, pair_group="pair", period="2010/11"),
        "AFTER": new_question(session, campaign, "AFTER", spec["qtype"], 2, pair_group="pair", period="2011/12"),
        "OTHER": new_question(session, campaign, "OTHER", spec["other"], 3),
    }
    requests = {code: new_request(session, campaign, c[code]) for code in spec["codes"]}
    for (code, question), a in spec["answers"].items():
        if a.state is None:
            continue
        if a.state == "suppressed":
            answer(session, requests[code], questions[question], "provided", low=D(0), high=D(4), raw="<5")
        else:
            answer(session, requests[code], questions[question], a.state, a.value)
    session.commit()
    return campaign, c


def check_random(session, users, spec) -> None:
    campaign, c = build_random(session, users, spec)
    report = build_report(session, campaign)
    groupings = {
        "all": lambda code: "All councils",
        "region": lambda code: c[code].region,
        "type": lambda code: c[code].type_name,
    }
    qtypes = {"BEFORE": spec["qtype"], "AFTER": spec["qtype"], "OTHER": spec["other"]}
    for q in report.questions:
        code_q = q.question.code
        for dim, group_of in groupings.items():
            groups = defaultdict(list)
            for code in spec["codes"]:
                groups[group_of(code)].append(code)
            actual = {"all": [q.overall], "region": q.by_region, "type": q.by_type}[dim]
            assert sorted(s.label for s in actual) == sorted(groups)
            for s in actual:
                members = groups[s.label]
                specs = [spec["answers"][(code, code_q)] for code in members]
                values = [a.value for a in specs if a.state in ("provided", "estimate")]
                assert actual_figures(s) == expected_figures(values, specs, len(members), qtypes[code_q]), (
                    dim,
                    s.label,
                    code_q,
                )
    [pair] = report.pairs
    for dim, group_of in groupings.items():
        groups = defaultdict(list)
        for code in spec["codes"]:
            b, a = spec["answers"][(code, "BEFORE")], spec["answers"][(code, "AFTER")]
            if b.value is not None and a.value is not None:
                groups[group_of(code)].append((b.value, a.value, "estimate" in (b.state, a.state)))
        actual = {"all": [pair.overall], "region": pair.by_region, "type": pair.by_type}[dim]
        if dim != "all":
            assert sorted(s.label for s in actual) == sorted(groups)
        for s in actual:
            assert actual_pair(s) == expected_pair(groups.get(s.label, []), spec["qtype"]), (dim, s.label)
    # The ten largest cuts: by amount, then council name.
    cuts = sorted(
        (
            (spec["answers"][(code, "BEFORE")].value - spec["answers"][(code, "AFTER")].value, c[code].short_name, code)
            for code in spec["codes"]
            if spec["answers"][(code, "BEFORE")].value is not None
            and spec["answers"][(code, "AFTER")].value is not None
            and spec["answers"][(code, "AFTER")].value < spec["answers"][(code, "BEFORE")].value
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )[:10]
    assert [(cut.code, cut.change) for cut in pair.top_cuts] == [
        (code, _r(-amount, spec["qtype"])) for amount, _name, code in cuts
    ]
    data = report_json(report)
    assert [q["n"] for q in data["questions"]] == [q.overall.n for q in report.questions]


def test_aggregates_match_python_on_random_campaigns(session, users):
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(spec=campaigns())
    def check(spec):
        check_random(session, users, spec)

    check()


@pytest.mark.slow
def test_aggregates_match_python_on_larger_seeded_campaigns(session, users):
    """Every council code of the register's current councils, several seeds: more groups,
    more ties and more than ten cuts."""
    codes = session.scalars(
        select(Authority.code).where(Authority.end_date.is_(None)).order_by(Authority.code).limit(60)
    ).all()
    for seed in range(3):
        rng = random.Random(seed)
        qtype = QTYPES[seed % len(QTYPES)]
        chosen = rng.sample(codes, 40)
        answers = {}
        for code in chosen:
            for question in ("BEFORE", "AFTER", "OTHER"):
                state = rng.choice(STATES)
                value = None
                if state in ("provided", "estimate"):
                    value = Decimal(rng.randint(0, 1_000_000)) / (100 if qtype != "count" else 1)
                answers[(code, question)] = Spec(state, value)
        check_random(session, users, {"qtype": qtype, "other": "money", "codes": chosen, "answers": answers})


def test_the_counts_and_figures_statements_count_every_answer_once(session, worked):
    counted = session.execute(counts_statement(worked.id)).all()
    figures = session.execute(figures_statement(worked.id)).all()
    assert figures and sum(row.answers for row in counted) + len(figures) == 23  # the worked example's answers


def test_the_counts_read_only_the_answers_that_are_not_plain_figures(session, worked):
    """The counts statement is answered from the partial index ix_answer_request_counted (migration
    0021): its predicate is spelt with the index's constants, which a bound parameter would hide
    from both planners, and then every answer of the campaign would be visited again."""
    compiled = counts_statement(worked.id).compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    connection = session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a test's tables are tiny
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    else:  # bound as the app binds them: SQLite ignores the index for a predicate with a parameter
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        plan = "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params))
    assert "ix_answer_request_counted" in plan, plan
