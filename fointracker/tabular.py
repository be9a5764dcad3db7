"""Reading a table whose first row names its columns: CSV, or the first sheet of an XLSX.

Why this exists: two importers read such tables, the council register (register.py)
and a campaign's figures (services/figures_import.py). Both decode the file, match
row 1 to the columns they know, walk the data rows by spreadsheet number, and report
every problem as (row, column, reason). That part is written once, here; each importer
keeps its own checks, and describes itself in a ``Layout``, including the words it has
always used for the problems the two share.

Rows are numbered as in a spreadsheet: the header is row 1, the first data row 2.
Row 0 is the file as a whole. Pure module: no Flask and no SQLAlchemy.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

Problem = tuple[int, str, str]  # (row, column, reason)


def format_problem(problem: Problem) -> str:
    row, column, reason = problem
    return f"row {row}, column {column}: {reason}" if row else f"{column}: {reason}"


class TableError(ValueError):
    """The table has problems; ``problems`` lists (row, column, reason)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(format_problem(p) for p in self.problems)


@dataclass(frozen=True)
class Layout:
    """What an importer reads, and how it words a table's problems."""

    error: type[TableError]  # raised when the table cannot be read at all
    columns: tuple[str, ...]  # row 1 must name each of these
    optional: tuple[str, ...] | None  # and may name these; None: every other column is read too
    no_header: str  # the reason given for a blank row 1
    twice: str  # ... for a column named twice
    missing: str  # ... for a column in ``columns`` not named
    not_utf8: str  # advice for a file that is not UTF-8
    file_column: str = "file"  # the "column" of a problem with the whole file
    file_row: bool = False  # such a problem names its line (else it is row 0)
    aliases: Mapping[str, str] = field(default_factory=dict)  # other names for columns
    fold_case: bool = False  # "Question Code" names question_code
    delimiters: str = ","  # a CSV uses the first of these found in its first line
    max_rows: int | None = None

    def file_error(self, line: int, reason: str) -> TableError:
        return self.error([(line if self.file_row else 0, self.file_column, reason)])

    def name(self, cell: str) -> str:
        name = "_".join(cell.strip().lower().split()) if self.fold_case else cell.strip()
        return self.aliases.get(name, name)


# --- Reading a file into rows of text -------------------------------------------------


def read_csv(data: bytes | str, layout: Layout) -> list[list[str]]:
    """A CSV's rows as text; bytes must be UTF-8 (the BOM spreadsheet programs add is dropped)."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise layout.file_error(line, f"not UTF-8 text (byte {exc.start + 1}): {layout.not_utf8}") from None
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in layout.delimiters if d in first), layout.delimiters[0])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
        raise layout.file_error(1, f"not a readable CSV file: {exc}") from None
    return _bounded(rows, layout)


def read_xlsx(data: bytes, layout: Layout) -> tuple[list[list[str]], list[str]]:
    """The first sheet's rows as text (blank rows kept, so numbers are the sheet's), and notes
    about reading it. The only place a workbook is opened."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    notes = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise layout.file_error(1, f"not a readable .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        if len(workbook.worksheets) > 1:
            notes.append(f"Read the first sheet, “{sheet.title}”, only.")
        rows: list[list[str]] = []
        for cells in sheet.iter_rows():
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            while number is not None and len(rows) < number - 1:
                rows.append([])  # keep spreadsheet row numbers
            rows.append([_cell_text(c) for c in cells])
            if layout.max_rows is not None and len(rows) > layout.max_rows + 1:
                break
    finally:
        workbook.close()
    return _bounded(rows, layout), notes


def _cell_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        # A spreadsheet keeps 15 significant digits (what it shows); beyond them a float
        # holds only binary noise (0.1 + 0.2 = 0.30000000000000004), dropped here.
        number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        if "%" in (getattr(cell, "number_format", "") or ""):  # 12% is stored as 0.12
            return f"{(number * 100).normalize():f}%"
        return f"{number.normalize():f}" if number != number.to_integral_value() else f"{number:.0f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _bounded(rows: list[list[str]], layout: Layout) -> list[list[str]]:
    if layout.max_rows is not None and len(rows) > layout.max_rows + 1:
        raise layout.file_error(1, f"more than {layout.max_rows:,} rows: split the file")
    return rows


# --- Rows by column name --------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """A data row: its spreadsheet number, its cells, and the problems found in it."""

    number: int
    cells: list[str]
    position: Mapping[str, int]
    problems: list[Problem] = field(default_factory=list)

    def __getitem__(self, column: str) -> str:
        """The cell's text, stripped; blank if the header lacks the column or the row is short."""
        index = self.position.get(column)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""

    def __contains__(self, column: str) -> bool:
        """Whether the header names ``column``."""
        return column in self.position

    def problem(self, column: str, reason: str) -> None:
        self.problems.append((self.number, column, reason))


@dataclass
class Table:
    """Rows read by column name. ``problems`` are the header's; ``ignored`` the header cells
    of columns not read."""

    header: list[str]
    position: dict[str, int]
    ignored: list[str]
    problems: list[Problem]
    rows: list[list[str]]  # from row 2

    def __iter__(self) -> Iterator[Row]:
        """Each row that is not blank."""
        for number, cells in enumerate(self.rows, start=2):
            if any(cell.strip() for cell in cells):
                yield Row(number, cells, self.position)


def table(rows: list[list[str]], layout: Layout) -> Table:
    """Match row 1 to the layout's columns; raises ``layout.error`` if row 1 is blank."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise layout.error([(1, "(header)", layout.no_header)])
    known = None if layout.optional is None else layout.columns + layout.optional
    position: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, cell in enumerate(rows[0]):
        name = layout.name(cell)
        if not name:
            continue
        if known is not None and name not in known:
            ignored.append(cell.strip())
        elif name in position:
            problems.append((1, name, layout.twice))
        else:
            position[name] = index
    problems += [(1, name, layout.missing) for name in layout.columns if name not in position]
    return Table(rows[0], position, ignored, problems, rows[1:])
