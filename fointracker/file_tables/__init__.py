"""The tables in a council's file (#17): spreadsheet sheets, Word tables, PDF tables, as grids
of cells with their references, for the file viewer and saved mappings.

Files are hostile: every read is bounded (TableLimits: bytes, unpacked size, rows, columns,
cells, grids, pages, seconds). Zipped files (.xlsx, .ods, .docx) pass fointracker/tabular.py's
zip-bomb checks before any parser sees them, and each sheet's cells are counted on the raw
file before python-calamine, which holds a sheet's whole rectangle in memory, reads it.
Readers by file type: spreadsheets.py (XLSX, XLS, ODS, CSV), pdf.py, word.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..collector import collector_paused
from ..domain.units import Unit, detect_unit, unit_in
from ..tabular import Limits, column_letters


class TablesError(ValueError):
    """The file cannot be read as tables: the reason, in words for the person who uploaded it."""


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 5_000  # per grid
    max_columns: int = 200
    max_cells: int = 200_000  # in the whole file
    max_grids: int = 100
    max_unpacked_bytes: int = 50 * 1024 * 1024  # all of a zipped file's parts, unpacked
    max_pages: int = 60  # of a PDF
    max_seconds: float = 30.0
    max_merges: int = 10_000  # merged ranges in a sheet

    def spreadsheet_limits(self) -> Limits:
        """The same bounds as fointracker.tabular states them, for its checks."""
        return Limits(self.max_rows, self.max_columns, self.max_cells, self.max_unpacked_bytes, self.max_seconds)


@dataclass(slots=True)  # slots: a sheet holds thousands (bench_mappings)
class Cell:
    ref: str  # "C7" in a sheet; "R3C2" (1-based row, column) in a PDF or Word table
    text: str  # as the file shows it (a formula's cached value; numbers without float noise; dates ISO)
    hidden: bool = False  # in a hidden row or column
    span: tuple[int, int] = (1, 1)  # (rows, columns) a merged cell covers; its text is in this, the top-left
    covered: bool = False  # inside a merged range, not its top-left: always blank


@dataclass
class Grid:
    key: str  # stable within the file: "sheet:<name>", "pdf:<page>:<n>", "docx:<n>"
    title: str  # what a person calls it and answer.source_sheet stores: "Budget", "Page 2, table 1", "Table 1"
    rows: list[list[Cell]] = field(default_factory=list)  # rectangular
    hidden: bool = False  # a hidden sheet
    unit: Unit | None = None  # the unit its headings state, if any
    _index: dict[str, tuple[int, int]] | None = field(default=None, init=False, repr=False, compare=False)

    def position(self, ref: str) -> tuple[int, int] | None:
        """(row index, column index) of the cell `ref` in `rows`, 0-based."""
        if self._index is None:
            self._index = {cell.ref: (i, j) for i, row in enumerate(self.rows) for j, cell in enumerate(row)}
        return self._index.get(ref.strip().upper() if ref else "")

    def cell(self, ref: str) -> Cell | None:
        where = self.position(ref)
        return None if where is None else self.rows[where[0]][where[1]]


@dataclass
class FileTables:
    grids: list[Grid] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what was left out or refused, in words

    @property
    def unit(self) -> Unit | None:
        """The file's unit as its headings state it (the first grid that states one)."""
        return next((g.unit for g in self.grids if g.unit is not None), None)

    def grid(self, key: str) -> Grid | None:
        return next((g for g in self.grids if g.key == key), None)


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
FIGURE_FILE_SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv", ".docx", ".pdf")


def can_read(filename: str) -> bool:
    return filename.lower().endswith(FIGURE_FILE_SUFFIXES)


HEADING_ROWS = 10  # a grid's unit is stated in its first rows ...
HEADING_COLUMNS = 2  # ... or in its first columns (row labels: "Net budget (£000s)")


def grid_unit(rows: list[list[Cell]]) -> Unit | None:
    texts = (cell.text for row in rows[:HEADING_ROWS] for cell in row)
    labels = (cell.text for row in rows[HEADING_ROWS:] for cell in row[:HEADING_COLUMNS])
    return detect_unit(texts) or detect_unit(labels)


def make_grid(
    key: str,
    title: str,
    values: list[list[str]],
    *,
    sheet_refs: bool = True,
    hidden: bool = False,
    hidden_rows: set[int] = frozenset(),
    hidden_columns: set[int] = frozenset(),
    merged: list[tuple[int, int, int, int]] = (),
) -> Grid:
    """A rectangular grid from rows of text. Rows and columns are 1-based in `hidden_rows`,
    `hidden_columns` and `merged` (first row, first column, last row, last column); a merged
    range keeps only its top-left cell's text."""
    width = max((len(r) for r in values), default=0)
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for top, left, bottom, right in merged:
        bottom, right = min(bottom, len(values)), min(right, width)
        if top > bottom or left > right or (top, left) in covered:
            continue
        spans[(top, left)] = (bottom - top + 1, right - left + 1)
        covered.update((r, c) for r in range(top, bottom + 1) for c in range(left, right + 1) if (r, c) != (top, left))
    # Built for speed (bench_mappings: 150 files of ~10,000 cells): column letters once per
    # column, and the merged and hidden look-ups only where the sheet has any.
    letters = [column_letters(c) if sheet_refs else f"C{c}" for c in range(1, width + 1)]
    plain = (1, 1)
    rows = []
    for r, row in enumerate(values, start=1):
        row_hidden = r in hidden_rows
        prefix, suffix = ("", str(r)) if sheet_refs else (f"R{r}", "")  # "C7", "R7C3"
        texts = row if len(row) == width else [*row, *[""] * (width - len(row))]
        if not (spans or covered or hidden_columns):
            rows.append(
                [
                    Cell(f"{prefix}{letter}{suffix}", text, row_hidden, plain, False)
                    for letter, text in zip(letters, texts)
                ]
            )
            continue
        cells = []
        for c, (letter, text) in enumerate(zip(letters, texts), start=1):
            is_covered = (r, c) in covered
            cells.append(
                Cell(
                    f"{prefix}{letter}{suffix}",
                    "" if is_covered else text,
                    row_hidden or c in hidden_columns,
                    spans.get((r, c), plain),
                    is_covered,
                )
            )
        rows.append(cells)
    return Grid(key, title, rows, hidden=hidden, unit=grid_unit(rows))


_NUMBERISH = re.compile(r"^[\s£$€()+\-−.,%\d]*$")


def unit_for_cell(grid: Grid, ref: str) -> Unit | None:
    """The unit that applies to the cell `ref`: the nearest heading above it in its column that
    states one, else its row's label to the left, else the grid's own (e.g. its title's)."""
    where = grid.position(ref)
    if where is None:
        return grid.unit
    i, j = where
    above = (grid.rows[k][j].text for k in range(i - 1, -1, -1))
    left = (grid.rows[i][k].text for k in range(j - 1, -1, -1))
    for texts in (above, left):
        for text in texts:
            if text and not _NUMBERISH.match(text):
                unit = unit_in(text)
                if unit is not None:
                    return unit
    return grid.unit


def read_tables(data: bytes, filename: str, limits: TableLimits = TableLimits()) -> FileTables:
    """Every table in the file. Raises TablesError when it cannot be read."""
    if len(data) > limits.max_bytes:
        raise TablesError(f"the file is larger than {limits.max_bytes / (1024 * 1024):g} MB")
    # A sheet makes ~10,000 cell objects and no cycles; the collector traversing them again
    # and again was 40% of reading a council's file (bench_mappings: 45 to 27 ms a file).
    with collector_paused():
        return _read_tables(data, filename, limits)


def _read_tables(data: bytes, filename: str, limits: TableLimits) -> FileTables:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        from .spreadsheets import read_csv

        return read_csv(data, limits)
    if name.endswith((".xlsx", ".xlsm")):
        from .spreadsheets import read_xlsx

        return read_xlsx(data, limits)
    if name.endswith(".xls"):
        from .spreadsheets import read_xls

        return read_xls(data, limits)
    if name.endswith(".ods"):
        from .spreadsheets import read_ods

        return read_ods(data, limits)
    if name.endswith(".docx"):
        from .word import read_docx

        return read_docx(data, limits)
    if name.endswith(".pdf"):
        from .pdf import read_pdf

        return read_pdf(data, limits)
    raise TablesError("only spreadsheets (XLSX, XLS, ODS, CSV), Word documents (DOCX) and PDFs have tables to read")
