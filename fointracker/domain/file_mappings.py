"""Saved mappings (#17): where a council's file keeps each answer, by cell or by label.

A rule finds one question's figure in a file's tables: by "cell" (a sheet's title and a cell
reference, for councils that fill in the same template) or by "label" (the figure right of, or
below, the cell whose text is "net budget 2010/11", case and spacing ignored, for councils whose
files are laid out differently). Labels are compared without their unit text, so "Net budget
(£000s)" in one council's file matches "net budget £m" in another's: the unit is the file's, not
the rule's. Pure module: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .figures import FigureError, QuestionType, figure_from_cell

BY = ("cell", "label")
DIRECTIONS = ("right", "below")
MAX_RULES = 200
MAX_LABEL = 200
MAX_SHEET = 120
MAX_CODE = 40
MAX_SHOWN = 60  # characters of a label or a cell's text quoted in a reason

_REF = re.compile(r"^(?:[A-Z]{1,3}[1-9][0-9]{0,6}|R[1-9][0-9]{0,6}C[1-9][0-9]{0,4})$")

# Unit text at the end of a label: "(£000s)", "£'000", "[£m]", "- £ thousands", "(£)", "in millions".
_UNIT_WORDS = (
    r"(?:£|gbp)\s*'?\s*(?:000'?s?|k|m|mn|bn|thousands?|millions?|billions?)?"
    r"|(?<![\w,.'])'?000'?s"
    r"|(?:in\s+)?(?:thousands|millions|pounds)"
)
_UNIT_TAIL = re.compile(rf"[\s:,\-–]*(?:[(\[]\s*(?:{_UNIT_WORDS})\s*[)\]]|(?:{_UNIT_WORDS}))[\s:]*$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


class MappingError(ValueError):
    """The rules are not a mapping this tool can apply: the reason, in words."""


@dataclass(frozen=True)
class Rule:
    question: str  # the question's code: rules travel between campaigns by code
    by: str  # "cell" | "label"
    sheet: str = ""  # by cell: the grid's title ("Budget", "Page 2, table 1")
    cell: str = ""  # by cell: "C7" or "R3C2"
    label: str = ""  # by label: the label's text as the first council's file has it
    direction: str = ""  # by label: where the figure is from the label, "right" | "below"

    def to_json(self) -> dict:
        if self.by == "cell":
            return {"question": self.question, "by": "cell", "sheet": self.sheet, "cell": self.cell}
        return {"question": self.question, "by": "label", "label": self.label, "direction": self.direction}

    def describe(self) -> str:
        """The rule in words: "Budget!C7", "right of 'Net budget 2010/11'"."""
        if self.by == "cell":
            return f"{self.sheet}!{self.cell}" if self.sheet else self.cell
        return f"{self.direction} of {shown(self.label)}"


@dataclass(frozen=True)
class Found:
    question: str
    sheet: str  # the grid's title (answer.source_sheet)
    ref: str  # answer.source_cell
    text: str  # the cell's text, as the file has it
    grid_key: str = ""  # FileTables.grid(key): the grid's own unit


@dataclass(frozen=True)
class Missing:
    question: str
    why: str


def shown(text: str) -> str:
    """Quoted for a reason, cut short: a hostile 10,000-character label is not echoed whole."""
    text = " ".join(str(text).split())
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")


def normalise(text: str) -> str:
    """What a label is compared by: case and spacing ignored (no spaces at all, so "2010 / 11" is
    "2010/11"), compatibility forms folded (a non-breaking space is a space), a trailing colon gone."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return _SPACES.sub("", text).rstrip(":")


def without_unit(text: str) -> str:
    """The label without its trailing unit text: "Net budget (£000s)" -> "Net budget"."""
    text = str(text or "")
    stripped = _UNIT_TAIL.sub("", text)
    return stripped if stripped.strip() else text


def label_key(text: str) -> str:
    """The key two labels match by: normalised, without unit text."""
    return normalise(without_unit(text))


# ------------------------------------------------------------------------------ rules as stored


def _text(value, name: str, limit: int, index: int) -> str:
    if not isinstance(value, str):
        raise MappingError(f"rule {index}: {name} must be text")
    value = " ".join(value.split())
    if not value:
        raise MappingError(f"rule {index}: {name} is missing")
    if len(value) > limit:
        raise MappingError(f"rule {index}: {name} is longer than {limit} characters")
    return value


def rules_from_json(data) -> list[Rule]:
    """The rules of a stored mapping (FileMapping.rules), checked; MappingError with the reason."""
    if not isinstance(data, list):
        raise MappingError("a mapping's rules are a list")
    if len(data) > MAX_RULES:
        raise MappingError(f"a mapping has at most {MAX_RULES} rules")
    rules = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise MappingError(f"rule {index} is not a rule")
        question = _text(item.get("question"), "the question", MAX_CODE, index)
        by = item.get("by")
        if by == "cell":
            cell = _text(item.get("cell"), "the cell", 20, index).upper()
            if not _REF.match(cell):
                raise MappingError(f"rule {index}: {shown(cell)} is not a cell reference (e.g. C7, or R3C2 in a table)")
            sheet = _text(item.get("sheet"), "the sheet", MAX_SHEET, index)
            rules.append(Rule(question, "cell", sheet=sheet, cell=cell))
        elif by == "label":
            label = _text(item.get("label"), "the label", MAX_LABEL, index)
            direction = item.get("direction")
            if direction not in DIRECTIONS:
                raise MappingError(f"rule {index}: the direction is right or below")
            rules.append(Rule(question, "label", label=label, direction=direction))
        else:
            raise MappingError(f"rule {index}: a rule is by cell or by label")
    return rules


def rules_to_json(rules: Iterable[Rule]) -> list[dict]:
    data = [rule.to_json() for rule in rules]
    rules_from_json(data)  # what is stored can be read back
    return data


# ------------------------------------------------------------------------------ finding figures


def is_number_like(text: str) -> bool:
    """A figure, nil or a state word ("1,234", "(56)", "-", "not held"): not a label."""
    try:
        figure_from_cell(QuestionType.DECIMAL, text)
    except FigureError:
        return False
    return True


def _position(grid, ref: str) -> tuple[int, int] | None:
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell.ref == ref:
                return r, c
    return None


def _value_from(grid, r: int, c: int, direction: str):
    """The first non-empty cell right of (below) the label at (r, c): a label merged across
    columns leaves empty cells before its figure. None if there is none."""
    if direction == "right":
        cells = grid.rows[r][c + 1 :]
    else:
        cells = [row[c] for row in grid.rows[r + 1 :] if c < len(row)]
    return next((cell for cell in cells if cell.text.strip()), None)


def label_for(grid, ref: str) -> tuple[str, str] | None:
    """The label that names the cell `ref` of `grid`, as (label text, direction): the nearest
    non-empty, non-numeric cell to its left in the same row ("right"), else above it in the same
    column ("below"); only a label that finds this very cell again in this grid (once: a label
    used twice with different figures names neither). None when no label names it."""
    where = _position(grid, ref)
    if where is None:
        return None
    r, c = where
    row = grid.rows[r]
    candidates = [
        (
            next((cell for cell in reversed(row[:c]) if cell.text.strip() and not is_number_like(cell.text)), None),
            "right",
        ),
        (
            next(
                (
                    above[c]
                    for above in reversed(grid.rows[:r])
                    if c < len(above) and above[c].text.strip() and not is_number_like(above[c].text)
                ),
                None,
            ),
            "below",
        ),
    ]
    for label, direction in candidates:
        if label is None or len(label.text) > MAX_LABEL:
            continue
        text = " ".join(label.text.split())
        found = apply_rules(_OneGrid(grid), [Rule("?", "label", label=text, direction=direction)])[0]
        if isinstance(found, Found) and found.ref == ref:
            return text, direction
    return None


@dataclass
class _OneGrid:
    """A grid as FileTables, for checking a label within its own grid."""

    grid: object

    @property
    def grids(self):
        return [self.grid]


def _ordered(tables) -> list:
    return [g for g in tables.grids if not g.hidden] + [g for g in tables.grids if g.hidden]


class _LabelIndex:
    """Every cell of the file by its label key, built once for all of a mapping's label rules."""

    def __init__(self, tables, wanted: set[str]):
        self.cells: dict[str, list] = {}
        if not wanted:
            return
        lengths = {len(k) for k in wanted}
        shortest = min(lengths)
        for grid in _ordered(tables):
            for r, row in enumerate(grid.rows):
                for c, cell in enumerate(row):
                    text = cell.text
                    if len(text) < shortest or len(text) > MAX_LABEL * 2:
                        continue
                    key = label_key(text)
                    if key in wanted:
                        self.cells.setdefault(key, []).append((grid, r, c))


def apply_rules(tables, rules: Iterable[Rule]) -> list[Found | Missing]:
    """Each rule's figure in the file, or why it was not found. A label rule searches every grid
    (visible sheets and rows first: a hidden working sheet's copy of a label counts only when no
    visible one has a figure); two matches with different figures are ambiguous, and Missing."""
    rules = list(rules)
    index = _LabelIndex(tables, {label_key(r.label) for r in rules if r.by == "label"})
    by_title = {}
    for grid in _ordered(tables):
        by_title.setdefault(grid.title, grid)
        by_title.setdefault(normalise(grid.title), grid)
    results: list[Found | Missing] = []
    for rule in rules:
        if rule.by == "cell":
            results.append(_by_cell(rule, by_title))
        else:
            results.append(_by_label(rule, index.cells.get(label_key(rule.label), [])))
    return results


def _by_cell(rule: Rule, by_title: dict) -> Found | Missing:
    grid = by_title.get(rule.sheet) or by_title.get(normalise(rule.sheet))
    if grid is None:
        return Missing(rule.question, f"no sheet {shown(rule.sheet)}")
    cell = grid.cell(rule.cell)
    if cell is None:
        return Missing(rule.question, f"no cell {rule.cell} in {shown(grid.title)}")
    if not cell.text.strip():
        return Missing(rule.question, f"cell {rule.cell} of {shown(grid.title)} is empty")
    return Found(rule.question, grid.title, cell.ref, cell.text, grid.key)


def _by_label(rule: Rule, places: list) -> Found | Missing:
    name = shown(rule.label)
    if not places:
        return Missing(rule.question, f"no cell labelled {name}")
    found = []
    other = "below" if rule.direction == "right" else "right"
    for grid, r, c in places:
        # The "the number beside or below" the label: councils lay the same table out
        # either way, so the saved direction is tried first, then the other.
        cell = _value_from(grid, r, c, rule.direction)
        if cell is None:
            cell = _value_from(grid, r, c, other)
            cell = cell if cell is not None and any(ch.isdigit() for ch in cell.text) else None  # a figure, not a label
        if cell is not None:
            visible = not grid.hidden and not cell.hidden and not grid.rows[r][c].hidden
            found.append((visible, grid, cell))
    if not found:
        return Missing(rule.question, f"no figure right of or below {name}")
    if any(visible for visible, _g, _c in found):
        found = [f for f in found if f[0]]
    values = {" ".join(cell.text.split()) for _v, _g, cell in found}
    if len(values) > 1:
        places_shown = ", ".join(f"{grid.title}!{cell.ref} {shown(cell.text)}" for _v, grid, cell in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        return Missing(rule.question, f"{name} labels {len(found)} cells with different figures: {places_shown}{more}")
    _visible, grid, cell = found[0]
    return Found(rule.question, grid.title, cell.ref, cell.text, grid.key)
