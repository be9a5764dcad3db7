"""Charts for the report, as SVG text. Pure module: no Flask, no database.

The SVG is meant to be written inline into the page (and into the standalone HTML file),
so it works offline and in print, with no script, web font or CDN. It is styled only
with presentation attributes (fill, stroke, font-size), never `style` attributes, which
the Content-Security-Policy forbids. Each chart is an image with a <title> and a <desc>
(`role="img"`, `aria-labelledby`), the desc listing every value, and every bar carries
its number as text, so nothing depends on colour. Sizes are in a viewBox: the chart
scales to the width it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"
INK = "#1d2329"
MUTED = "#5b6670"
LINE = "#8a96a0"
BAR = "#0b5f8a"
DOWN = "#a61b1b"
UP = "#1f6f3a"
LEVEL = "#5b6670"
CHAR_WIDTH = 7.6  # a generous average width of a 13px character: labels are laid out without font metrics
MAX_LABEL = 32


def _x(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    ident = escape(chart_id, quote=True)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_x(height)}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="chart" font-family="{FONT}" font-size="13" '
        f'fill="{INK}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _empty(chart_id: str, title: str, description: str) -> str:
    parts = _open(chart_id, title, description, 40)
    parts.append(f'<text x="0" y="24" fill="{MUTED}">No figures to chart.</text>')
    return "\n".join(parts + ["</svg>"])


def horizontal_bars(title: str, rows: Sequence[tuple[str, float, str, str]], description: str, chart_id: str) -> str:
    """One bar per row: (label, magnitude >= 0, the value as text, fill colour)."""
    summary = "; ".join(f"{label}: {text}" for label, _m, text, _f in rows)
    full = f"{description}. {summary}." if description else f"{summary}."
    if not rows:
        return _empty(chart_id, title, description or title)
    label_width = max(len(_short(label)) for label, *_rest in rows) * CHAR_WIDTH + 8
    value_width = max(len(text) for _l, _m, text, _f in rows) * CHAR_WIDTH + 12
    bar_left = label_width + 6
    bar_space = max(WIDTH - bar_left - value_width, 60)
    largest = max((abs(m) for _l, m, _t, _f in rows), default=0) or 1
    row_height, bar_height, top = 26, 18, 6
    height = top * 2 + row_height * len(rows)
    parts = _open(chart_id, title, full, height)
    for i, (label, magnitude, text, fill) in enumerate(rows):
        y = top + i * row_height
        width = bar_space * abs(magnitude) / largest
        short = _short(label)
        label_text = escape(short) if short == label else f"<title>{escape(label)}</title>{escape(short)}"
        parts.append(f'<text x="{_x(label_width)}" y="{_x(y + 13)}" text-anchor="end">{label_text}</text>')
        parts.append(
            f'<rect x="{_x(bar_left)}" y="{_x(y)}" width="{_x(max(width, 1))}" height="{bar_height}" fill="{fill}"/>'
        )
        parts.append(f'<text x="{_x(bar_left + width + 6)}" y="{_x(y + 13)}">{escape(text)}</text>')
    parts.append(
        f'<line x1="{_x(bar_left)}" y1="{top - 2}" x2="{_x(bar_left)}" y2="{_x(height - top + 2)}" '
        f'stroke="{LINE}" stroke-width="1"/>'
    )
    return "\n".join(parts + ["</svg>"])


def bar_chart(title: str, bars: Sequence[tuple[str, float]], description: str, chart_id: str, fill: str = BAR) -> str:
    """Counts as horizontal bars (e.g. the response status of the councils asked)."""
    return horizontal_bars(title, [(label, value, f"{value:,}", fill) for label, value in bars], description, chart_id)


def _tone(label: str) -> str:
    lower = label.lower()
    if lower.startswith(("cut", "down", "fall")):
        return DOWN
    if lower.startswith(("up", "rise", "increase")):
        return UP
    return LEVEL


def _two_lines(label: str) -> tuple[str, str]:
    words = label.split()
    if len(words) < 2:
        return label, ""
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:best]), " ".join(words[best:])


def change_histogram(
    title: str, bins: Sequence[tuple[str, int]], description: str, chart_id: str, fill: str | None = None
) -> str:
    """How many councils fall in each band of percentage change: columns, cuts in red on the
    left, increases in green on the right, each with its count above and its band below.
    With a `fill`, every column has it: a distribution of values (`value_histogram`)."""
    summary = "; ".join(f"{label}: {count:,}" for label, count in bins)
    full = f"{description}. {summary}." if description else f"{summary}."
    if not bins or not any(count for _label, count in bins):
        return _empty(chart_id, title, full)
    left, right, top, bottom = 10, 10, 22, 44
    height = 250
    plot_height = height - top - bottom
    slot = (WIDTH - left - right) / len(bins)
    largest = max(count for _label, count in bins) or 1
    parts = _open(chart_id, title, full, height)
    base = top + plot_height
    for i, (label, count) in enumerate(bins):
        bar_height = plot_height * count / largest
        x = left + i * slot + 4
        centre = left + i * slot + slot / 2
        parts.append(
            f'<rect x="{_x(x)}" y="{_x(base - bar_height)}" width="{_x(slot - 8)}" '
            f'height="{_x(max(bar_height, 0.5))}" fill="{fill or _tone(label)}"/>'
        )
        parts.append(f'<text x="{_x(centre)}" y="{_x(base - bar_height - 6)}" text-anchor="middle">{count:,}</text>')
        first, second = _two_lines(label)
        parts.append(
            f'<text x="{_x(centre)}" y="{_x(base + 16)}" text-anchor="middle" font-size="11">{escape(first)}</text>'
        )
        if second:
            parts.append(
                f'<text x="{_x(centre)}" y="{_x(base + 30)}" text-anchor="middle" font-size="11">'
                f"{escape(second)}</text>"
            )
    parts.append(
        f'<line x1="{left}" y1="{_x(base)}" x2="{WIDTH - right}" y2="{_x(base)}" stroke="{LINE}" stroke-width="1"/>'
    )
    return "\n".join(parts + ["</svg>"])


def top_cuts_chart(title: str, cuts: Sequence[tuple[str, object, str]], description: str, chart_id: str) -> str:
    """The largest cuts as horizontal bars: (council, change (negative), change as text)."""
    return horizontal_bars(
        title, [(name, abs(float(change)), text, DOWN) for name, change, text in cuts], description, chart_id
    )


def value_histogram(title: str, bins: Sequence[tuple[str, int]], description: str, chart_id: str) -> str:
    """How many councils' figures fall in each bin of a question's values (domain.distribution)."""
    return change_histogram(title, bins, description, chart_id, fill=BAR)


YES, NO = "#0b5f8a", "#e08a00"  # as the map's yes/no (services.report_map.YES_NO)


def yes_no_bars(title: str, rows: Sequence[tuple[str, int, int]], description: str, chart_id: str) -> str:
    """Yes and no answers per group (label, yes, no) as stacked horizontal bars, each with its
    counts and the share saying yes written beside it."""
    texts = [
        f"{yes:,} yes, {no:,} no ({100 * yes / (yes + no):.0f}% yes)" if yes + no else "none" for _l, yes, no in rows
    ]
    summary = "; ".join(f"{label}: {text}" for (label, _y, _n), text in zip(rows, texts))
    full = f"{description}. {summary}." if description else f"{summary}."
    if not rows or not any(yes + no for _l, yes, no in rows):
        return _empty(chart_id, title, full)
    label_width = max(len(_short(label)) for label, *_rest in rows) * CHAR_WIDTH + 8
    value_width = max(len(text) for text in texts) * CHAR_WIDTH + 12
    bar_left = label_width + 6
    bar_space = max(WIDTH - bar_left - value_width, 60)
    largest = max(yes + no for _l, yes, no in rows) or 1
    row_height, bar_height, top = 26, 18, 30
    height = top + 6 + row_height * len(rows)
    parts = _open(chart_id, title, full, height)
    parts.append(f'<rect x="{_x(bar_left)}" y="6" width="14" height="14" fill="{YES}"/>')
    parts.append(f'<text x="{_x(bar_left + 20)}" y="18">Yes</text>')
    parts.append(f'<rect x="{_x(bar_left + 70)}" y="6" width="14" height="14" fill="{NO}"/>')
    parts.append(f'<text x="{_x(bar_left + 90)}" y="18">No</text>')
    for i, ((label, yes, no), text) in enumerate(zip(rows, texts)):
        y = top + i * row_height
        yes_width, no_width = bar_space * yes / largest, bar_space * no / largest
        short = _short(label)
        label_text = escape(short) if short == label else f"<title>{escape(label)}</title>{escape(short)}"
        parts.append(f'<text x="{_x(label_width)}" y="{_x(y + 13)}" text-anchor="end">{label_text}</text>')
        if yes:
            parts.append(
                f'<rect x="{_x(bar_left)}" y="{_x(y)}" width="{_x(yes_width)}" height="{bar_height}" fill="{YES}"/>'
            )
        if no:
            parts.append(
                f'<rect x="{_x(bar_left + yes_width)}" y="{_x(y)}" width="{_x(no_width)}" height="{bar_height}" '
                f'fill="{NO}"/>'
            )
        parts.append(f'<text x="{_x(bar_left + yes_width + no_width + 6)}" y="{_x(y + 13)}">{escape(text)}</text>')
    return "\n".join(parts + ["</svg>"])
