"""A hex map of UK councils, as SVG text. Pure module: no Flask, no database.

The layout is HexJSON (the ODI's format; Open Innovations' map of 361 councils, shipped in
fointracker/data): each hex has offset coordinates `q` (column) and `r` (row), with layout
`odd-r`: pointy-topped hexes, odd rows pushed half a hex to the right. Rows count upwards
(Shetland has the largest `r`), so the map is drawn with `r` flipped.

Colour comes from a Scale: diverging for a percentage change (the report's change bands, cuts
red and rises green as in fointracker.charts), sequential for a value (quantile breaks rounded
to two significant figures), or categories (yes/no, response status). Councils with no figure
are hatched (an SVG <pattern>), so "no figure" never looks like a low one. Every hex carries a
<title> (council: value) and the legend states each band and how many councils are in it; the
svg's <desc> states the base. Presentation attributes only (no `style`), as charts.py.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from .report_statistics import CHANGE_BINS, change_bin

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"
INK = "#1d2329"
MUTED = "#5b6670"
HATCH = "#8a96a0"
EDGE = "#ffffff"
HEX_SIZE = 9.0  # centre to corner, in viewBox units
MAP_LEFT, MAP_TOP = 6.0, 6.0
LEGEND_GAP = 24.0
LEGEND_WIDTH = 230.0
SQRT3 = math.sqrt(3)

# Cuts dark to light red, no change grey, rises light to dark green: the ends are charts.DOWN and charts.UP.
DIVERGING = ("#a61b1b", "#d6604d", "#f4a582", "#fbd9cc", "#e4e7ea", "#d2ecd6", "#98cf9f", "#4e9f5c", "#1f6f3a")
SEQUENTIAL = ("#deebf7", "#9ecae1", "#5a9fcc", "#2c6fa8", "#0b3f73")  # light to dark: low to high
CATEGORY_COLOURS = ("#0b5f8a", "#e08a00", "#6a3d9a", "#1f6f3a", "#a61b1b", "#5b6670", "#b15928", "#8c6bb1")
MAX_SEQUENTIAL_BINS = len(SEQUENTIAL)


# ---------------------------------------------------------------- the layout


@dataclass(frozen=True)
class Hex:
    gss_code: str
    name: str
    q: int
    r: int
    region: str


@dataclass(frozen=True)
class Layout:
    hexes: tuple[Hex, ...]

    @property
    def by_gss(self) -> dict[str, Hex]:
        return {h.gss_code: h for h in self.hexes}


def parse_hexjson(text: str) -> Layout:
    """The hexes of a HexJSON document (layout odd-r only), in GSS-code order."""
    data = json.loads(text)
    if data.get("layout") != "odd-r":
        raise ValueError(f"unsupported HexJSON layout {data.get('layout')!r}")
    hexes = tuple(
        Hex(code, str(h.get("n", code)), int(h["q"]), int(h["r"]), str(h.get("region", "")))
        for code, h in sorted(data["hexes"].items())
    )
    return Layout(hexes)


def odd_r_neighbours(q: int, r: int) -> list[tuple[int, int]]:
    """The six cells touching (q, r) in an odd-r layout: odd rows sit half a hex right, so
    their neighbours above and below are at q and q + 1; even rows' at q - 1 and q."""
    shift = r & 1  # 1 for odd rows, negative ones included
    return [
        (q + 1, r),
        (q - 1, r),
        (q - 1 + shift, r - 1),
        (q + shift, r - 1),
        (q - 1 + shift, r + 1),
        (q + shift, r + 1),
    ]


@dataclass(frozen=True)
class Geometry:
    """Where each hex's centre is drawn, and the size of the map."""

    centres: dict[str, tuple[float, float]]
    width: float
    height: float
    size: float


def lay_out(layout: Layout, size: float = HEX_SIZE) -> Geometry:
    """Centres of pointy-topped hexes of `size` (centre to corner), north up, the map's top-left
    corner at (MAP_LEFT, MAP_TOP)."""
    if not layout.hexes:
        return Geometry({}, 2 * MAP_LEFT, 2 * MAP_TOP, size)
    step_x, step_y = SQRT3 * size, 1.5 * size
    xs = {h.gss_code: step_x * (h.q + 0.5 * (h.r & 1)) for h in layout.hexes}
    min_x, max_x = min(xs.values()), max(xs.values())
    min_r, max_r = min(h.r for h in layout.hexes), max(h.r for h in layout.hexes)
    half_width = step_x / 2
    centres = {
        h.gss_code: (MAP_LEFT + half_width + xs[h.gss_code] - min_x, MAP_TOP + size + step_y * (max_r - h.r))
        for h in layout.hexes
    }
    width = (max_x - min_x) + step_x + 2 * MAP_LEFT
    height = step_y * (max_r - min_r) + 2 * size + 2 * MAP_TOP
    return Geometry(centres, width, height, size)


def hex_corners(x: float, y: float, size: float) -> list[tuple[float, float]]:
    """A pointy-topped hexagon's corners, clockwise from the top."""
    half = SQRT3 * size / 2
    return [
        (x, y - size),
        (x + half, y - size / 2),
        (x + half, y + size / 2),
        (x, y + size),
        (x - half, y + size / 2),
        (x - half, y - size / 2),
    ]


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def hex_path(x: float, y: float, size: float) -> str:
    half, s2 = SQRT3 * size / 2, size / 2
    return f"M{_n(x)} {_n(y - size)}l{_n(half)} {_n(s2)}v{_n(size)}l{_n(-half)} {_n(s2)}l{_n(-half)} {_n(-s2)}v{_n(-size)}z"


# ---------------------------------------------------------------- colour scales


@dataclass(frozen=True)
class Band:
    label: str
    colour: str


@dataclass(frozen=True)
class Scale:
    """How values become colours: `bands` in legend order and `band_of(value) -> band index`."""

    kind: str  # "diverging", "sequential" or "categories"
    bands: tuple[Band, ...]
    note: str  # how the bands were chosen, for the legend
    breaks: tuple[Decimal, ...] = ()  # sequential: the upper edges of every band but the last
    categories: tuple[str, ...] = ()

    def band_of(self, value) -> int:
        if self.kind == "diverging":
            return change_bin(Decimal(value))
        if self.kind == "sequential":
            return bisect_left(self.breaks, Decimal(value))
        return self.categories.index(value)


def diverging_change_scale() -> Scale:
    """Percentage change in the report's own bands (domain.report_statistics.CHANGE_BINS)."""
    bands = tuple(Band(label, colour) for (label, *_edges), colour in zip(CHANGE_BINS, DIVERGING))
    return Scale("diverging", bands, "Bands of percentage change, as in the report's histogram.")


def round_significant(value: Decimal, digits: int = 2) -> Decimal:
    """`value` rounded to `digits` significant figures (half even): a break a reader can say."""
    if value == 0:
        return Decimal(0)
    exponent = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent))


def quantile_breaks(values: Sequence[Decimal], bins: int = MAX_SEQUENTIAL_BINS) -> tuple[Decimal, ...]:
    """Breaks between up to `bins` bands of about equal numbers of councils: the quantiles
    (nearest rank) rounded to two significant figures, strictly increasing, each below the
    largest value and not below the smallest (so neither end band is empty)."""
    ordered = sorted(values)
    if len(ordered) < 2:
        return ()
    breaks: list[Decimal] = []
    for k in range(1, bins):
        rank = max(math.ceil(k * len(ordered) / bins) - 1, 0)
        edge = round_significant(ordered[rank])
        if ordered[0] <= edge < ordered[-1] and (not breaks or edge > breaks[-1]):
            breaks.append(edge)
    return tuple(breaks)


def sequential_scale(values: Sequence[Decimal], show) -> Scale:
    """Bands of a question's values; `show(Decimal) -> str` writes a break as the report does."""
    breaks = quantile_breaks(values)
    colours = _spread(SEQUENTIAL, len(breaks) + 1)
    labels = []
    for i in range(len(breaks) + 1):
        if not breaks:
            labels.append("All values")
        elif i == 0:
            labels.append(f"{show(breaks[0])} or less")
        elif i == len(breaks):
            labels.append(f"Over {show(breaks[-1])}")
        else:
            labels.append(f"Over {show(breaks[i - 1])} to {show(breaks[i])}")
    note = "Bands of about equal numbers of councils (quantiles, rounded to 2 significant figures)."
    return Scale("sequential", tuple(Band(label, c) for label, c in zip(labels, colours)), note, breaks=breaks)


def _spread(palette: Sequence[str], count: int) -> list[str]:
    """`count` colours from a light-to-dark palette, as far apart as they can be."""
    if count <= 1:
        return [palette[len(palette) // 2]]
    return [palette[round(i * (len(palette) - 1) / (count - 1))] for i in range(count)]


def category_scale(categories: Sequence[str], colours: Mapping[str, str] | None = None, note: str = "") -> Scale:
    colours = colours or {}
    bands = tuple(
        Band(name, colours.get(name, CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)])) for i, name in enumerate(categories)
    )
    return Scale("categories", bands, note, categories=tuple(categories))


# ---------------------------------------------------------------- the map


@dataclass(frozen=True)
class HexValue:
    """What one hex shows: `value` (a number or a category; None: no figure, hatched) and `text`,
    the hover title after the council's name (e.g. "−12.5%", or "Kent County Council: −3%")."""

    value: object
    text: str


@dataclass
class MapSpec:
    title: str
    description: str  # the measure and the base, in words; the desc adds the bands' counts
    scale: Scale
    values: dict[str, HexValue] = field(default_factory=dict)  # by GSS code
    chart_id: str = "hexmap"
    legend_title: str = ""  # the legend's heading (the title if blank)


def _legend(spec: MapSpec, counts: list[int], missing: int, x: float, ident: str) -> tuple[list[str], float]:
    parts = [f'<g class="hexmap-legend" transform="translate({_n(x)} 0)">']
    y = 18.0
    parts.append(
        f'<text x="0" y="{_n(y)}" font-weight="bold">{escape(_short(spec.legend_title or spec.title, 30))}</text>'
    )
    y += 10
    for band, count in zip(spec.scale.bands, counts):
        y += 20
        parts.append(
            f'<rect x="0" y="{_n(y - 12)}" width="16" height="14" fill="{band.colour}" stroke="{MUTED}" stroke-width="0.5"/>'
        )
        parts.append(f'<text x="22" y="{_n(y)}">{escape(_short(band.label, 26))} ({count:,})</text>')
    y += 20
    parts.append(
        f'<rect x="0" y="{_n(y - 12)}" width="16" height="14" fill="url(#{ident}-none)" stroke="{MUTED}" stroke-width="0.5"/>'
    )
    parts.append(f'<text x="22" y="{_n(y)}">No figure ({missing:,})</text>')
    for line in _wrap(spec.scale.note, 34):
        y += 16
        parts.append(f'<text x="0" y="{_n(y)}" font-size="11" fill="{MUTED}">{escape(line)}</text>')
    parts.append("</g>")
    return parts, y + 10


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def render_hex_map(layout: Layout, spec: MapSpec, geometry: Geometry | None = None) -> str:
    """The map as an inline SVG: a path per hex (filled by its band, or hatched when it has no
    figure) with a <title>, and a legend of the bands with their counts."""
    geometry = geometry or lay_out(layout)
    ident = escape(spec.chart_id, quote=True)
    counts = [0] * len(spec.scale.bands)
    shaded: dict[str, int] = {}
    for code, cell in spec.values.items():
        if cell.value is not None and code in geometry.centres:
            band = spec.scale.band_of(cell.value)
            shaded[code] = band
            counts[band] += 1
    missing = len(geometry.centres) - len(shaded)
    legend_x = geometry.width + LEGEND_GAP
    legend, legend_bottom = _legend(spec, counts, missing, legend_x, ident)
    width = legend_x + LEGEND_WIDTH
    height = max(geometry.height, legend_bottom)
    bands_text = "; ".join(f"{b.label}: {c:,}" for b, c in zip(spec.scale.bands, counts))
    desc = f"{spec.description} {bands_text}; no figure: {missing:,} of {len(geometry.centres):,} hexes."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="chart hexmap" font-family="{FONT}" font-size="12" '
        f'fill="{INK}">',
        f'<title id="{ident}-title">{escape(spec.title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        "<defs>",
        f'<pattern id="{ident}-none" patternUnits="userSpaceOnUse" width="5" height="5" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{HATCH}" stroke-width="1.6"/></pattern>',
        "</defs>",
        f'<g class="hexmap-hexes" stroke="{EDGE}" stroke-width="0.8">',
    ]
    by_gss = layout.by_gss
    for code, (x, y) in geometry.centres.items():
        cell = spec.values.get(code)
        band = shaded.get(code)
        fill = f"url(#{ident}-none)" if band is None else spec.scale.bands[band].colour
        text = cell.text if cell is not None else "no figure"
        name = by_gss[code].name
        parts.append(
            f'<path class="hex" data-gss="{escape(code, quote=True)}" d="{hex_path(x, y, geometry.size)}" '
            f'fill="{fill}"><title>{escape(name)}: {escape(text)}</title></path>'
        )
    parts.append("</g>")
    parts.extend(legend)
    parts.append("</svg>")
    return "\n".join(parts)
