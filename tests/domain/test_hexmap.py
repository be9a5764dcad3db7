"""The hex map without a database: the shipped layout, the odd-r geometry, the colour bands and
the SVG (hatching, titles, escaping, no style attributes)."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import math
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fointracker.domain.hexmap import (
    SQRT3,
    HexValue,
    Layout,
    MapSpec,
    category_scale,
    diverging_change_scale,
    hex_corners,
    lay_out,
    odd_r_neighbours,
    parse_hexjson,
    quantile_breaks,
    render_hex_map,
    round_significant,
    sequential_scale,
)
from fointracker.domain.report_statistics import CHANGE_BINS

DATA = Path(__file__).resolve().parents[2] / "fointracker" / "data"
HEXJSON = DATA / "uk-local-authority-districts-2023.hexjson"


def layout() -> Layout:
    return parse_hexjson(HEXJSON.read_text(encoding="utf-8"))


def register() -> dict[str, dict]:
    with (DATA / "authorities.csv").open(encoding="utf-8", newline="") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def test_the_shipped_layout_is_the_documented_file_with_its_licence():
    assert hashlib.sha256(HEXJSON.read_bytes()).hexdigest() == (
        "dc1692514e184c0299619fee3377ef09cdaabd3190c408a08b337e5eb99a88d7"
    )
    assert "Copyright (c) 2017- Open Innovations" in (DATA / "LICENSE-hexmaps.txt").read_text(encoding="utf-8")
    hexes = layout().hexes
    assert len(hexes) == 361
    assert len({(h.q, h.r) for h in hexes}) == 361  # no two councils share a cell


def test_every_current_council_but_a_county_has_a_hex():
    on_map = layout().by_gss
    current = [r for r in register().values() if not r["end_date"]]
    assert {r["gss_code"] for r in current if r["type_code"] != "CTY"} == set(on_map)
    assert not any(r["gss_code"] in on_map for r in current if r["type_code"] == "CTY")


def test_every_district_has_a_county_council_and_a_hex():
    councils = register()
    on_map = layout().by_gss
    with (DATA / "district_counties.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 164
    for row in rows:
        district, county = councils[row["district_code"]], councils[row["county_code"]]
        assert county["type_code"] == "CTY" and not county["end_date"], row
        assert district["type_code"] == "NMD" and district["gss_code"] == row["district_gss_code"], row
        assert row["district_gss_code"] in on_map, row
    counties = {r["code"] for r in councils.values() if r["type_code"] == "CTY" and not r["end_date"]}
    assert {row["county_code"] for row in rows} == counties  # every county has districts


def test_odd_r_neighbours_are_one_hex_apart_and_touching():
    geometry = lay_out(layout())
    cells = {(h.q, h.r): h.gss_code for h in layout().hexes}
    touching = 0
    for (q, r), code in cells.items():
        x, y = geometry.centres[code]
        for cell in odd_r_neighbours(q, r):
            if cell in cells:
                nx, ny = geometry.centres[cells[cell]]
                assert math.isclose(math.hypot(nx - x, ny - y), SQRT3 * geometry.size, rel_tol=1e-9)
                touching += 1
        # ... and no other cell is that close
        for other, other_code in cells.items():
            if other != (q, r) and other not in odd_r_neighbours(q, r):
                ox, oy = geometry.centres[other_code]
                assert math.hypot(ox - x, oy - y) > SQRT3 * geometry.size + 0.01
    assert touching > 361  # the layout is mostly contiguous


@given(st.integers(-50, 50), st.integers(-50, 50))
def test_odd_r_neighbourhood_is_symmetric(q, r):
    around = odd_r_neighbours(q, r)
    assert len(set(around)) == 6 and (q, r) not in around
    assert all((q, r) in odd_r_neighbours(*cell) for cell in around)


def test_every_hex_is_inside_the_viewbox_and_north_is_up():
    found = layout()
    geometry = lay_out(found)
    for code, (x, y) in geometry.centres.items():
        for cx, cy in hex_corners(x, y, geometry.size):
            assert 0 <= cx <= geometry.width and 0 <= cy <= geometry.height, code
    names = {h.name: h.gss_code for h in found.hexes}
    assert geometry.centres[names["Shetland Islands"]][1] < geometry.centres[names["Cornwall"]][1]
    svg = render_hex_map(found, MapSpec("t", "d", diverging_change_scale()))
    width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    assert width >= geometry.width and height >= geometry.height
    assert svg.count('<path class="hex"') == 361


def test_the_diverging_scale_uses_the_reports_change_bands():
    scale = diverging_change_scale()
    assert [b.label for b in scale.bands] == [label for label, *_ in CHANGE_BINS]
    assert scale.bands[0].colour == "#a61b1b" and scale.bands[-1].colour == "#1f6f3a"  # charts.DOWN, charts.UP
    assert scale.band_of(Decimal("-60")) == 0 and scale.band_of(Decimal(0)) == 4 and scale.band_of(Decimal(75)) == 8
    assert scale.band_of(Decimal("-10")) == 2  # a cut of exactly 10% is "10% to 25%", as in the histogram


figures = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(st.lists(figures, min_size=1, max_size=200))
def test_sequential_bands_hold_every_value_once_in_order(values):
    scale = sequential_scale(values, str)
    breaks = scale.breaks
    assert list(breaks) == sorted(set(breaks)) and len(scale.bands) == len(breaks) + 1 <= 5
    assert all(min(values) <= b < max(values) for b in breaks)
    for value in values:
        band = scale.band_of(value)
        assert (band == 0 or value > breaks[band - 1]) and (band == len(breaks) or value <= breaks[band])
    counts = [0] * len(scale.bands)
    for value in values:
        counts[scale.band_of(value)] += 1
    assert counts[0] and counts[-1]  # neither end band is empty


@given(figures.filter(lambda d: d != 0))
def test_breaks_are_rounded_to_two_significant_figures(value):
    rounded = round_significant(value)
    assert len(rounded.normalize().as_tuple().digits) <= 2
    assert abs(rounded - value) <= abs(value) / 10


def test_quantile_breaks_of_even_values():
    assert quantile_breaks([Decimal(v) for v in range(1, 101)]) == tuple(Decimal(v) for v in (20, 40, 60, 80))
    assert quantile_breaks([Decimal(7)] * 10) == ()  # one value: one band
    assert sequential_scale([Decimal(7)] * 10, str).bands[0].label == "All values"


def small_layout() -> Layout:
    text = (
        '{"layout": "odd-r", "hexes": {'
        '"A1": {"n": "Alpha & <Sons>", "q": 0, "r": 0}, "B1": {"n": "Beta", "q": 1, "r": 0},'
        '"C1": {"n": "Gamma", "q": 0, "r": 1}}}'
    )
    return parse_hexjson(text)


def test_councils_with_no_figure_are_hatched_and_named():
    scale = category_scale(["Yes", "No"], {"Yes": "#0b5f8a", "No": "#e08a00"})
    spec = MapSpec(
        "EIA done?", "Base: n = 2.", scale, {"A1": HexValue("Yes", "Yes"), "B1": HexValue(None, "Not held")}, "m1"
    )
    svg = render_hex_map(small_layout(), spec)
    assert '<pattern id="m1-none"' in svg
    hexes = dict(re.findall(r'data-gss="(\w+)" d="[^"]+" fill="([^"]+)"', svg))
    assert hexes == {"A1": "#0b5f8a", "B1": "url(#m1-none)", "C1": "url(#m1-none)"}
    assert "<title>Beta: Not held</title>" in svg and "<title>Gamma: no figure</title>" in svg
    assert "Yes (1)" in svg and "No (0)" in svg and "No figure (2)" in svg  # the legend counts
    assert "no figure: 2 of 3 hexes" in svg  # and the desc


def test_the_svg_escapes_names_and_has_no_style_attribute():
    scale = category_scale(["<b>odd</b>"])
    spec = MapSpec('Map "of" <things>', "d & e", scale, {"A1": HexValue("<b>odd</b>", "<script>x</script>")}, "m2")
    svg = render_hex_map(small_layout(), spec)
    assert "style=" not in svg and "<script" not in svg and "<b>" not in svg
    assert "Alpha &amp; &lt;Sons&gt;: &lt;script&gt;" in svg
    assert "Map &quot;of&quot; &lt;things&gt;" in svg or 'Map "of" &lt;things&gt;' in svg
    assert 'role="img"' in svg and 'aria-labelledby="m2-title m2-desc"' in svg


def test_the_district_table_is_what_its_script_builds():
    """scripts/build_district_counties.py on the documented source (when it is beside the
    repository, as for the register's own check) gives the shipped file byte for byte."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "build_district_counties.py"
    spec = importlib.util.spec_from_file_location("build_district_counties", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    source = module.DEFAULT_DATA_DIR / module.SOURCE
    if not source.exists():
        pytest.skip(f"the source is not beside the repository ({module.SOURCE})")
    data = source.read_bytes()
    assert module.git_blob_id(data) == module.EXPECTED_BLOB
    assert module.build(data) == (DATA / "district_counties.csv").read_text(encoding="utf-8")
