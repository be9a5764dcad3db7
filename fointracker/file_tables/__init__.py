"""The tables in a council's file (#17): spreadsheet sheets, Word tables, PDF tables, as grids
of cells with their references, for the file viewer and saved mappings. Bounded like every
spreadsheet read (fointracker/tabular.py). (First cut, CSV and spreadsheets via calamine:
helper T completes it.)"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..domain.units import Unit, detect_unit
from ..tabular import _cell_text, column_letters


class TablesError(ValueError):
    """The file cannot be read as tables: the reason, in words for the person who uploaded it."""


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 5_000
    max_columns: int = 200
    max_cells: int = 200_000
    max_grids: int = 100


@dataclass(frozen=True)
class Cell:
    ref: str  # "C7" in a sheet; "R3C2" (1-based row, column) in a PDF or Word table
    text: str  # as the file shows it (a formula's cached value; numbers without float noise)
    hidden: bool = False  # in a hidden row or column


@dataclass
class Grid:
    key: str  # stable within the file: "sheet:<name>", "pdf:<page>:<n>", "docx:<n>"
    title: str  # what a person calls it and answer.source_sheet stores: "Budget", "Page 2, table 1", "Table 1"
    rows: list[list[Cell]] = field(default_factory=list)  # rectangular
    hidden: bool = False  # a hidden sheet
    unit: Unit | None = None  # the unit its headings state, if any

    def cell(self, ref: str) -> Cell | None:
        for row in self.rows:
            for cell in row:
                if cell.ref == ref:
                    return cell
        return None


@dataclass
class FileTables:
    grids: list[Grid] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

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


def _grid(key: str, title: str, values: list[list[str]], sheet_refs: bool = True) -> Grid:
    width = max((len(r) for r in values), default=0)
    rows = [
        [
            Cell(f"{column_letters(c)}{r}" if sheet_refs else f"R{r}C{c}", row[c - 1] if c <= len(row) else "")
            for c in range(1, width + 1)
        ]
        for r, row in enumerate(values, start=1)
    ]
    return Grid(key, title, rows, unit=detect_unit(text for row in values for text in row))


def read_tables(data: bytes, filename: str, limits: TableLimits = TableLimits()) -> FileTables:
    """Every table in the file. Raises TablesError when it cannot be read."""
    if len(data) > limits.max_bytes:
        raise TablesError(f"the file is larger than {limits.max_bytes // (1024 * 1024)} MB")
    name = filename.lower()
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig", errors="replace")
        return FileTables([_grid("sheet:CSV", "CSV", [row for row in csv.reader(io.StringIO(text))])])
    if name.endswith(SPREADSHEET_SUFFIXES):
        import python_calamine

        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            grids = []
            for sheet_name in book.sheet_names:
                values = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
                grids.append(_grid(f"sheet:{sheet_name}", sheet_name, [[_cell_text(v) for v in row] for row in values]))
        except python_calamine.CalamineError as exc:
            raise TablesError(f"the spreadsheet cannot be read ({exc.__class__.__name__})") from None
        return FileTables(grids)
    raise TablesError("only spreadsheets (XLSX, XLS, ODS, CSV), Word documents and PDFs have tables to read")
