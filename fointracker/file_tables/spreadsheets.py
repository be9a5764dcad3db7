"""Spreadsheets as grids: XLSX/XLSM, XLS, ODS (values by python-calamine: a formula gives its
cached value) and CSV.

Calamine holds each sheet's whole rectangle in memory (a 5 KB .xls with cells at A1 and IV65536
took 1 GB), so every sheet's cells are first counted on the raw file, within TableLimits, and
what calamine does not tell (hidden rows and columns, merged ranges of an .ods) is read on the
way: the XML of an .xlsx or .ods (after fointracker.tabular's zip-bomb checks), the records of
an .xls.
"""

from __future__ import annotations

import csv
import io
import struct
import time
from dataclasses import dataclass, field

from .. import tabular
from ..tabular import _cell_text
from . import FileTables, TableLimits, TablesError, make_grid


@dataclass
class SheetLayout:
    """What a sheet's values do not tell; rows and columns 1-based."""

    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    percent: set[tuple[int, int]] = field(default_factory=set)  # numbers shown as percentages
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, column, last row, column
    hidden: bool = False


def _reading(limits: TableLimits) -> tabular._Reading:
    return tabular._Reading(None, limits.spreadsheet_limits())


def _bounded(scan, *args):
    """Run a scan, turning tabular's refusals into TablesError."""
    try:
        return scan(*args)
    except tabular._Bound as exc:
        raise TablesError(str(exc)) from None
    except tabular._Unreadable as exc:
        raise TablesError(f"the spreadsheet cannot be read ({exc})") from None


# --- XLSX -----------------------------------------------------------------------------


def read_xlsx(data: bytes, limits: TableLimits) -> FileTables:
    layouts = _bounded(_xlsx_layouts, data, limits)
    return _calamine_tables(data, layouts, limits)


def _xlsx_layouts(data: bytes, limits: TableLimits) -> dict[str, SheetLayout]:
    reading = _reading(limits)
    with tabular._checked_archive(data, reading) as archive:
        main = next(
            (t for kind, t in tabular._relationships(archive, "", reading).values() if kind == "officeDocument"), ""
        )
        main = main or "xl/workbook.xml"
        links = tabular._relationships(archive, main, reading)
        sheets: list[tuple[str, str, bool]] = []  # (name, relationship id, hidden)

        def sheet(tag, attrs):
            if tag == "sheet" and len(sheets) <= limits.max_grids:
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
                sheets.append((attrs.get("name", ""), rid, attrs.get("state", "visible") != "visible"))

        tabular._parse(archive, main, reading, sheet)
        if len(sheets) > limits.max_grids:
            raise tabular._Bound(f"more than {limits.max_grids} sheets")
        names = set(archive.namelist())
        parts = {kind: target for kind, target in links.values()}
        if parts.get("sharedStrings") in names:
            tabular._count_strings(archive, parts["sharedStrings"], reading)
        styles = parts.get("styles") if parts.get("styles") in names else None
        percent_styles = tabular._percent_styles(archive, styles, reading)
        layouts = {}
        for name, rid, hidden in sheets:
            kind, part = links.get(rid, ("", ""))
            if kind == "worksheet" and part in names:
                layouts[name] = _xlsx_sheet(archive, part, reading, percent_styles, limits)
                layouts[name].hidden = hidden
        return layouts


def _xlsx_sheet(archive, part: str, reading, percent_styles: set[str], limits: TableLimits) -> SheetLayout:
    # Held once in memory: _checked_archive has bounded what every part unpacks to.
    scan = tabular.SheetScan.of_bytes(archive.read(part), reading, percent_styles, limits.max_merges)
    if scan is None:
        scan = tabular.SheetScan(reading, percent_styles, limits.max_merges)
        tabular._parse(archive, part, reading, scan.start, raw=True)
    return SheetLayout(scan.hidden_rows, scan.hidden_columns, scan.percent, scan.merged)


# --- XLS (BIFF records inside an OLE file) ---------------------------------------------

_BOF, _EOF, _BOUNDSHEET, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x002F
_ROW, _COLINFO, _MERGEDCELLS = 0x0208, 0x007D, 0x00E5
_CELLS = {0x0006, 0x0203, 0x0204, 0x00FD, 0x027E, 0x0205, 0x0201, 0x00D6}  # row, column first
_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column ... last column


def read_xls(data: bytes, limits: TableLimits) -> FileTables:
    layouts = _bounded(_xls_layouts, data, limits)
    return _calamine_tables(data, layouts, limits)


def _xls_layouts(data: bytes, limits: TableLimits) -> dict[str, SheetLayout]:
    import olefile  # with extract-msg (Outlook .msg uploads)

    reading = _reading(limits)
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                raise tabular._Unreadable("no workbook inside")
            reading.too_big(ole.get_size(stream), "its workbook is")
            book = ole.openstream(stream).read()
    except (OSError, ValueError, struct.error) as exc:
        raise tabular._Unreadable(exc.__class__.__name__) from None
    sheets: dict[int, tuple[str, bool]] = {}  # BOF offset -> (name, hidden)
    layouts: dict[str, SheetLayout] = {}
    layout: SheetLayout | None = None
    width = records = 0
    offset, biff8 = 0, True
    while offset + 4 <= len(book):
        kind, size = struct.unpack_from("<HH", book, offset)
        body = book[offset + 4 : offset + 4 + size]
        if kind == _BOF:
            if offset == 0:
                biff8 = len(body) >= 2 and struct.unpack_from("<H", body)[0] == 0x0600
            elif offset in sheets:
                name, hidden = sheets[offset]
                layout = layouts[name] = SheetLayout(hidden=hidden)
                width = 0
            else:
                layout = None  # a chart or macro sheet
        elif kind == _FILEPASS:
            raise tabular._Unreadable("password-protected: save it without a password")
        elif kind == _BOUNDSHEET and len(body) >= 8:
            if len(sheets) >= limits.max_grids:
                raise tabular._Bound(f"more than {limits.max_grids} sheets")
            position, state, sheet_type, length = struct.unpack_from("<IBBB", body)
            if biff8:
                wide = len(body) > 7 and body[7] & 1
                raw = body[8 : 8 + length * (2 if wide else 1)]
                name = raw.decode("utf-16-le" if wide else "latin-1", errors="replace")
            else:
                name = body[7 : 7 + length].decode("cp1252", errors="replace")
            if sheet_type == 0:
                sheets[position] = (name, state & 3 != 0)
        elif layout is not None and len(body) >= 4:
            if kind in _CELLS or kind in _MULTI:
                row, column = struct.unpack_from("<HH", body)
                last = struct.unpack_from("<H", body, len(body) - 2)[0] if kind in _MULTI else column
                reading.cell(row + 1, last + 1, width)
                reading.cells += max(last - column, 0)
                width = max(width, last + 1)
            elif kind == _ROW and len(body) >= 14:
                row, options = struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, 12)[0]
                if options & 0x20 and row < limits.max_rows:
                    layout.hidden_rows.add(row + 1)
            elif kind == _COLINFO and len(body) >= 10:
                first, last = struct.unpack_from("<HH", body)
                if struct.unpack_from("<H", body, 8)[0] & 1:
                    layout.hidden_columns.update(range(first + 1, min(last + 1, limits.max_columns) + 1))
            elif kind == _MERGEDCELLS and len(body) >= 2:
                (count,) = struct.unpack_from("<H", body)
                for n in range(min(count, (len(body) - 2) // 8)):
                    if len(layout.merged) >= limits.max_merges:
                        raise tabular._Bound(f"more than {limits.max_merges:,} merged ranges in a sheet")
                    top, bottom, left, right = struct.unpack_from("<HHHH", body, 2 + 8 * n)
                    layout.merged.append((top + 1, left + 1, bottom + 1, right + 1))
        records += 1
        if not records % 10_000:
            reading.tick()
        offset += 4 + size
    return layouts


# --- ODS ------------------------------------------------------------------------------


def read_ods(data: bytes, limits: TableLimits) -> FileTables:
    layouts = _bounded(_ods_layouts, data, limits)
    return _calamine_tables(data, layouts, limits)


def _ods_layouts(data: bytes, limits: TableLimits) -> dict[str, SheetLayout]:
    reading = _reading(limits)
    layouts: dict[str, SheetLayout] = {}
    hidden_styles: set[str] = set()  # table styles with display="false": hidden sheets
    place = {"sheet": None, "style": "", "row": 0, "rows": 1, "column": 0, "columns": 0, "width": 0, "cell": None}

    def count_cell():
        cell = place["cell"]
        if cell is None:
            return
        place["cell"] = None
        first, repeat = cell
        last_row, last_column = place["row"] + place["rows"] - 1, first + repeat - 1
        reading.cell(last_row, last_column, place["width"])
        reading.cells += place["rows"] * repeat - 1
        place["width"] = max(place["width"], last_column)

    def number(attrs, name):
        value = attrs.get(name, "1")
        return min(int(value), 1 << 24) if value.isdigit() and value != "0" else 1

    def start(tag, attrs):
        layout = layouts.get(place["sheet"]) if place["sheet"] is not None else None
        if tag == "style":
            place["style"] = attrs.get("style:name", "")
        elif tag == "table-properties" and attrs.get("table:display") == "false":
            hidden_styles.add(place["style"])
        elif tag == "table":
            if len(layouts) >= limits.max_grids:
                raise tabular._Bound(f"more than {limits.max_grids} sheets")
            place.update(sheet=attrs.get("table:name", ""), row=0, rows=1, width=0, cell=None)
            layouts[place["sheet"]] = SheetLayout(hidden=attrs.get("table:style-name") in hidden_styles)
        elif layout is None:
            return
        elif tag == "table-column":
            repeat = number(attrs, "table:number-columns-repeated")
            first = place.setdefault("columns", 0) + 1
            place["columns"] = first + repeat - 1
            if attrs.get("table:visibility", "visible") != "visible":
                layout.hidden_columns.update(range(first, min(first + repeat - 1, limits.max_columns) + 1))
        elif tag == "table-row":
            place["row"] += place["rows"]
            place["rows"], place["column"] = number(attrs, "table:number-rows-repeated"), 0
            if attrs.get("table:visibility", "visible") != "visible":
                first = place["row"]
                layout.hidden_rows.update(range(first, min(first + place["rows"] - 1, limits.max_rows) + 1))
        elif tag in ("table-cell", "covered-table-cell"):
            count_cell()
            repeat = number(attrs, "table:number-columns-repeated")
            first = place["column"] + 1
            place["column"] += repeat
            if tag == "table-cell" and "office:value-type" in attrs:
                place["cell"] = (first, repeat)
                count_cell()
            elif tag == "table-cell":
                place["cell"] = None
                place["pending"] = (first, repeat)  # has content if a paragraph follows
            columns = number(attrs, "table:number-columns-spanned")
            rows = number(attrs, "table:number-rows-spanned")
            if tag == "table-cell" and (columns > 1 or rows > 1):
                if len(layout.merged) >= limits.max_merges:
                    raise tabular._Bound(f"more than {limits.max_merges:,} merged ranges in a sheet")
                layout.merged.append((place["row"], first, place["row"] + rows - 1, first + columns - 1))
        elif tag == "p" and place.get("pending"):
            place["cell"], place["pending"] = place["pending"], None
            count_cell()

    def end(tag):
        if tag in ("table-cell", "covered-table-cell"):
            place["pending"] = None
        elif tag == "table":
            place["sheet"], place["columns"] = None, 0

    with tabular._checked_archive(data, reading) as archive:
        # tabular._parse strips tags' prefixes but not attributes': "table:name" as written.
        tabular._parse(archive, "content.xml", reading, start, end)
    return layouts


# --- Values, through python-calamine ---------------------------------------------------


def _calamine_tables(data: bytes, layouts: dict[str, SheetLayout], limits: TableLimits) -> FileTables:
    import python_calamine

    deadline = time.monotonic() + limits.max_seconds
    tables = FileTables()
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            for meta in book.sheets_metadata[: limits.max_grids]:
                if time.monotonic() > deadline:
                    raise TablesError(f"took longer than {limits.max_seconds:g} seconds to read: split the file")
                name = meta.name
                layout = layouts.get(name)
                if layout is None:  # a chart sheet, or one the scan did not find: not read blind
                    tables.problems.append(f"Sheet “{name}” was not read: it holds no cells")
                    continue
                sheet = book.get_sheet_by_name(name)
                values = sheet.to_python(skip_empty_area=False, nrows=limits.max_rows + 1)  # as the scan allows
                merged = layout.merged or [
                    (top + 1, left + 1, bottom + 1, right + 1)
                    for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])[: limits.max_merges]
                ]
                if layout.percent:
                    texts = [
                        [_cell_text(v, (r, c) in layout.percent) for c, v in enumerate(row, start=1)]
                        for r, row in enumerate(values, start=1)
                    ]
                else:
                    texts = [[_cell_text(v) for v in row] for row in values]
                hidden = layout.hidden or str(meta.visible).rsplit(".", 1)[-1] != "Visible"
                tables.grids.append(
                    make_grid(
                        f"sheet:{name}",
                        name,
                        texts,
                        hidden=hidden,
                        hidden_rows=layout.hidden_rows,
                        hidden_columns=layout.hidden_columns,
                        merged=merged,
                    )
                )
    except python_calamine.CalamineError as exc:
        raise TablesError(f"the spreadsheet cannot be read ({exc.__class__.__name__})") from None
    except BaseException as exc:
        # calamine panics on some damaged files (a pyo3 PanicException, a BaseException).
        if type(exc).__name__ != "PanicException":
            raise
        raise TablesError("the spreadsheet cannot be read (damaged)") from None
    return tables


# --- CSV ------------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without the BOM spreadsheet programs add), else windows-1252, the
    encoding Excel on Windows saves "CSV" in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv(data: bytes, limits: TableLimits) -> FileTables:
    text = decode_csv(data)
    if len(text) > limits.max_unpacked_bytes:
        raise TablesError("the file is too large to read")
    sample = text[:65_536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str]] = []
    cells = width = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) >= limits.max_rows:
                raise TablesError(f"more than {limits.max_rows:,} rows: split the file")
            if len(row) > limits.max_columns:
                raise TablesError(f"row {len(rows) + 1} has more than {limits.max_columns:,} columns")
            width, cells = max(width, len(row)), cells + len(row)
            if cells > limits.max_cells or (len(rows) + 1) * width > limits.max_cells:
                raise TablesError(f"more than {limits.max_cells:,} cells (rows × columns in use): split the file")
            rows.append(row)
    except csv.Error as exc:
        raise TablesError(f"not a readable CSV file ({exc})") from None
    return FileTables([make_grid("sheet:CSV", "CSV", rows)])
