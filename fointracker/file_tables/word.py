"""Tables in a Word document (.docx, python-docx), after fointracker.tabular's zip-bomb checks.

Merged cells keep their text in the top-left cell (a horizontal merge is one w:tc spanning
columns; a vertical one continues down with w:vMerge). A header row typed again further down
the table (as councils do at a page break) is left out, so a label rule sees one header.
"""

from __future__ import annotations

import io

from .. import tabular
from . import FileTables, TableLimits, TablesError, make_grid


def read_docx(data: bytes, limits: TableLimits) -> FileTables:
    try:
        tabular.checked_archive(data, limits.spreadsheet_limits()).close()
    except tabular.ArchiveError as exc:
        raise TablesError(str(exc)) from None
    import docx
    from docx.table import _Cell

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx/lxml raise several kinds on a damaged file
        raise TablesError(f"the Word document cannot be read ({exc.__class__.__name__})") from None
    tables = FileTables()
    cells = 0
    for number, table in enumerate(document.tables, start=1):
        if number > limits.max_grids:
            raise TablesError(f"more than {limits.max_grids} tables: split the document")
        values: list[list[str]] = []
        merged: list[tuple[int, int, int, int]] = []
        origin: dict[int, int] = {}  # column -> index in `merged` of the vertical merge it continues
        for r, tr in enumerate(table._tbl.tr_lst, start=1):
            if r > limits.max_rows:
                raise TablesError(f"table {number} has more than {limits.max_rows:,} rows: split the document")
            row: list[str] = [""] * tr.grid_before
            for tc in tr.tc_lst:
                column, span = len(row) + 1, max(tc.grid_span, 1)
                if column + span - 1 > limits.max_columns:
                    raise TablesError(f"table {number} has more than {limits.max_columns:,} columns")
                if tc.vMerge == "continue" and column in origin:
                    top, left, _bottom, right = merged[origin[column]]
                    merged[origin[column]] = (top, left, r, right)
                    row.extend([""] * span)
                    continue
                row.append(" ".join(_Cell(tc, table).text.split()))
                row.extend([""] * (span - 1))
                if tc.vMerge == "restart" or span > 1:
                    merged.append((r, column, r, column + span - 1))
                    if tc.vMerge == "restart":
                        origin[column] = len(merged) - 1
                elif column in origin:
                    del origin[column]
            cells += len(row)
            if cells > limits.max_cells:
                raise TablesError(f"more than {limits.max_cells:,} cells in its tables: split the document")
            values.append(row)
        kept, dropped = _without_repeated_header(values, merged)
        if dropped:
            tables.problems.append(
                f"Table {number}: its header row, repeated at row{'s' if len(dropped) > 1 else ''} "
                + ", ".join(map(str, dropped))
                + ", is shown once."
            )
        tables.grids.append(make_grid(f"docx:{number}", f"Table {number}", kept, sheet_refs=False, merged=merged))
    return tables


def _without_repeated_header(values, merged):
    """The rows without later copies of the first row; the row numbers dropped. Merged ranges
    are renumbered in place (a range over a dropped row loses it)."""
    if len(values) < 2 or not any(text.strip() for text in values[0]):
        return values, []
    header = [" ".join(t.split()).lower() for t in values[0]]
    dropped = [r for r, row in enumerate(values[1:], start=2) if [" ".join(t.split()).lower() for t in row] == header]
    if not dropped:
        return values, []

    def moved(r):
        return r - sum(1 for d in dropped if d < r)

    for i, (top, left, bottom, right) in enumerate(merged):
        merged[i] = (moved(top), left, moved(bottom) - (1 if bottom in dropped else 0), right)
    return [row for r, row in enumerate(values, start=1) if r not in dropped], dropped
