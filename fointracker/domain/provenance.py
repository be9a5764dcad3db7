"""A figure's provenance in words (#17): 'budget.xlsx, Budget!C7 “1,234” (£000s)'. Shared by the entry
grid, the file viewer, the report's per-council tables and the tidy CSV's `source` column."""

from __future__ import annotations

import re

# Short forms of domain.units' codes, as people write them beside a figure ("units": nothing to say).
UNIT_SHORT = {"thousands": "£000s", "millions": "£m"}

_TABLE_POSITION = re.compile(r"^R(\d+)C(\d+)$")


def position_text(sheet: str, cell: str) -> str:
    """Where in the file: "Budget!C7" in a sheet, "Page 2, table 1, row 3, column 2" in a PDF or Word table."""
    if not cell:
        return sheet
    found = _TABLE_POSITION.match(cell)
    if found:
        where = f"row {found.group(1)}, column {found.group(2)}"
        return f"{sheet}, {where}" if sheet else where
    return f"{sheet}!{cell}" if sheet else cell


RAW_SHOWN = 40  # characters of the cell's own text shown; a longer text is cut with "…"


def source_text(document: str | None, sheet: str, cell: str, unit: str, raw: str = "") -> str:
    """The whole provenance in one line: the document, where in it, the cell's own text as the
    council wrote it, and the unit applied; "" for a typed figure (no sheet or cell)."""
    if not (sheet or cell):
        return ""
    text = ", ".join(part for part in (document or "", position_text(sheet, cell)) if part)
    raw = " ".join((raw or "").split())
    if raw:
        text += f" “{raw[:RAW_SHOWN]}…”" if len(raw) > RAW_SHOWN else f" “{raw}”"
    short = UNIT_SHORT.get(unit or "")
    return f"{text} ({short})" if short else text
