"""The report's hex map on the worked example of tests/test_report.py: each measure's values,
county councils colouring their districts (a district's own figure winning), the table
alternative, and the map on the report page and in the standalone file."""

from __future__ import annotations

import csv
import re
from html import unescape

from sqlalchemy import event

from fointracker.extensions import db
from fointracker.services.report import build_report
from fointracker.services.report_map import (
    DISTRICT_COUNTIES,
    build_report_map,
    choose_measure,
    map_measures,
    report_map_svg,
    status_category,
)
from tests.test_report import answer, councils, new_request, worked  # noqa: F401  (fixture)

RED_10_TO_25, NO_CHANGE, GREEN_10_TO_25, RED_25_TO_50 = "#f4a582", "#e4e7ea", "#98cf9f", "#d6604d"
HATCHED = "url(#report-map-none)"


def districts_of(county: str) -> list[str]:
    with DISTRICT_COUNTIES.open(encoding="utf-8", newline="") as f:
        return [row["district_gss_code"] for row in csv.DictReader(f) if row["county_code"] == county]


def fills(svg: str) -> dict[str, str]:
    return dict(re.findall(r'data-gss="(\w+)" d="[^"]+" fill="([^"]+)"', svg))


def hover(svg: str, gss: str) -> str:
    return unescape(re.search(rf'data-gss="{gss}"[^>]*><title>(.*?)</title>', svg).group(1))


def test_the_measures_and_the_default(session, worked):  # noqa: F811
    report = build_report(session, worked)
    keys = [m.key for m in map_measures(report)]
    assert keys == ["pair:0", "question:B1011", "question:B1112", "question:STAFF", "question:EIA", "status"]
    assert choose_measure(report, None).key == "pair:0"
    assert choose_measure(report, "question:EIA").key == "question:EIA"
    assert choose_measure(report, "question:HOW").key == "pair:0"  # a choice question is not mapped
    assert choose_measure(report, "x" * 500).key == "pair:0"


def test_a_pairs_change_colours_each_council_and_a_countys_districts(session, worked):  # noqa: F811
    report = build_report(session, worked)
    found = build_report_map(session, report, choose_measure(report, "pair:0"))
    shown = fills(found.svg)
    assert len(shown) == 361
    kent, hampshire, cambridgeshire = districts_of("KEN"), districts_of("HAM"), districts_of("CAM")
    assert len(kent) == 12 and all(shown[gss] == RED_10_TO_25 for gss in kent)  # −10.0%
    assert all(shown[gss] == GREEN_10_TO_25 for gss in hampshire)  # +10.0%: "up by 10% to 25%"
    assert all(shown[gss] == RED_25_TO_50 for gss in cambridgeshire)  # −40.0%
    barking = councils(session, ["BDG"])["BDG"].gss_code
    assert shown[barking] == NO_CHANGE
    coloured = len(kent) + len(hampshire) + len(cambridgeshire) + 1
    assert sum(1 for fill in shown.values() if fill != HATCHED) == coloured
    assert found.base == f"n = 4 councils with a figure, of 6 asked, colouring {coloured} of 361 hexes."
    assert "Kent County Council" not in hover(found.svg, kent[0])  # short names, as in the report's tables
    assert hover(found.svg, kent[0]).endswith("−10.0% (£100,000,000 to £90,000,000) (Kent, county council)")
    rows = {row.council: (row.value, row.shown) for row in found.rows}
    assert rows["Kent"] == ("−10.0% (£100,000,000 to £90,000,000)", "the hexes of its 12 districts")
    assert rows["Southwark"] == ("no figure for both", "its own hex")
    assert rows["Birmingham"][1] == "its own hex"
    assert list(rows) == sorted(rows)  # council order


def test_a_districts_own_figure_wins_over_its_countys(session, worked):  # noqa: F811
    report = build_report(session, worked)
    ashford = councils(session, ["ASF"])["ASF"]
    req = new_request(session, worked, ashford)
    pair = report.pairs[0]
    answer(session, req, _question(session, pair.before.id), number="10")
    answer(session, req, _question(session, pair.after.id), number="20")
    session.commit()
    report = build_report(session, worked)
    found = build_report_map(session, report, choose_measure(report, "pair:0"))
    shown = fills(found.svg)
    assert shown[ashford.gss_code] == "#1f6f3a"  # +100%: its own, not Kent's −10%
    assert hover(found.svg, ashford.gss_code) == "Ashford: +100.0% (£10 to £20)"
    others = [gss for gss in districts_of("KEN") if gss != ashford.gss_code]
    assert all(shown[gss] == RED_10_TO_25 for gss in others)
    rows = {row.council: row.shown for row in found.rows}
    assert rows["Kent"] == "the hexes of its 12 districts (1 with a figure of their own)"
    assert "a district's own figure wins for its hex" in unescape(found.svg)  # the desc says how


def _question(session, question_id):
    from fointracker.models import Question

    return session.get(Question, question_id)


def test_a_value_a_yes_no_answer_and_the_status(session, worked):  # noqa: F811
    report = build_report(session, worked)
    staff = build_report_map(session, report, choose_measure(report, "question:STAFF"))
    assert staff.base.startswith("n = 3 councils with a figure, of 6 asked")  # HAM's "<5" and SWK's refusal: none
    hampshire = districts_of("HAM")
    assert fills(staff.svg)[hampshire[0]] == HATCHED
    assert hover(staff.svg, hampshire[0]).endswith(": <5 (Hampshire, county council)")  # the hover says why
    assert "Quantiles" in staff.svg or "quantiles" in staff.svg

    eia = build_report_map(session, report, choose_measure(report, "question:EIA"))
    shown = fills(eia.svg)
    assert shown[districts_of("KEN")[0]] == "#0b5f8a" and shown[hampshire[0]] == "#e08a00"
    assert "Yes (" in eia.svg and "No (" in eia.svg
    assert eia.base.startswith("n = 4 councils with a figure")  # BDG's "not collected" is no figure

    svg, rows = report_map_svg(session, report, "status")
    table = {row.council: row.value for row in rows}
    assert table == {
        "Barking and Dagenham": "Answered on time",
        "Birmingham": "Outstanding",
        "Cambridgeshire": "Answered on time",
        "Hampshire": "Answered late",
        "Kent": "Answered on time",
        "Southwark": "Refused",
    }
    assert "Answered on time (" in svg and "Outstanding (1)" in svg


def test_status_categories():
    assert status_category("draft", None, None) is None
    assert status_category("withdrawn", None, None) == "Withdrawn"
    assert status_category("closed", "ncnd", True) == "Refused"
    assert status_category("responded", "not_held", False) == "Information not held"
    assert status_category("extended", None, None) == "Outstanding"
    assert status_category("responded", "successful", None) == "Answered"


def test_the_map_reads_one_statement(session, worked):  # noqa: F811
    report = build_report(session, worked)
    seen = []
    listen = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for measure in map_measures(report):
            seen.clear()
            build_report_map(session, report, measure)
            assert len(seen) == 1, (measure.key, seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_the_report_page_and_the_file_have_the_map_and_its_table(app, worked, login_as, tmp_path):  # noqa: F811
    client = login_as("staff")
    base = f"/campaigns/{worked.id}/report"
    html = client.get(base).get_data(as_text=True)
    assert '<section id="map"' in html and html.count('<path class="hex"') == 361
    assert '<select id="map-measure" name="map">' in html
    assert '<option value="pair:0" selected>' in html
    assert "<summary>The map as a table (6 councils)</summary>" in html
    assert '<th scope="row">Kent</th><td>−10.0% (£100,000,000 to £90,000,000)</td>' in html

    chosen = client.get(f"{base}?map=question:EIA").get_data(as_text=True)
    assert '<option value="question:EIA" selected>' in chosen and "Map: Equality impact assessment done" in chosen
    assert chosen.count('<path class="hex"') == 361
    assert client.get(f"{base}?map=nonsense").get_data(as_text=True) == html  # unknown: the default
    assert client.get(base).get_data(as_text=True) == html  # the cached body is the default's still

    output = tmp_path / "report.html"
    result = app.test_cli_runner().invoke(args=["report", str(worked.id), "--format", "html", "--output", str(output)])
    assert result.exit_code == 0, result.output
    standalone = output.read_text(encoding="utf-8")
    assert '<section id="map"' in standalone and standalone.count('<path class="hex"') == 361
    assert "<summary>The map as a table (6 councils)</summary>" in standalone
    assert "<form" not in standalone  # the file cannot submit (its policy says form-action 'none')
    assert "style=" not in standalone.split('<section id="map"')[1].split("</section>")[0]


def test_each_question_has_its_chart_on_the_report_and_its_own_page(worked, login_as):  # noqa: F811
    client = login_as("staff")
    base = f"/campaigns/{worked.id}/report"
    html = client.get(base).get_data(as_text=True)
    for code in ("B1011", "B1112", "STAFF"):
        assert f'aria-labelledby="chart-distribution-{code}-title' in html, code
    assert 'aria-labelledby="chart-yes-no-EIA-title' in html
    assert (
        "chart-distribution-EIA" not in html and "chart-distribution-HOW" not in html and "chart-yes-no-HOW" not in html
    )
    # B1011: £10m, £20m, £50m and £100m (HAM's estimate counted), in £20m bins; SWK's "not held" is not a zero.
    assert "£0 to £20m: 1; £20m to £40m: 1; £40m to £60m: 1; £60m to £80m: 0; £80m to £100m: 1." in html
    # EIA by region: KEN and HAM in the South East, CAM in the East of England, SWK in London.
    assert (
        "East of England: 1 yes, 0 no (100% yes); London: 1 yes, 0 no (100% yes); South East: 1 yes, 1 no (50% yes)"
        in html
    )

    page = client.get(f"{base}/questions/B1011").get_data(as_text=True)
    assert "£0 to £20m: 1; £20m to £40m: 1; £40m to £60m: 1; £60m to £80m: 0; £80m to £100m: 1." in page
    eia = client.get(f"{base}/questions/EIA").get_data(as_text=True)
    assert "South East: 1 yes, 1 no (50% yes)" in eia
    assert "<svg" not in client.get(f"{base}/questions/HOW").get_data(as_text=True)  # a choice: no chart
