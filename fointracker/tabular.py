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
import functools
import io
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from xml.parsers import expat

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


# --- Bounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much of a file is read, at most (config: SPREADSHEET_MAX_*). A file beyond any
    bound is refused with a message naming it, and reading stops as soon as one is passed:
    a 1.8 KB workbook claiming 16,384 columns once took 1.2 GB."""

    max_rows: int = 50_000  # data rows (a campaign's tidy figures: 400 councils x 60 questions is 24,000)
    max_columns: int = 200
    max_cells: int = 1_000_000  # rows x columns in use: a reader holds the whole rectangle
    max_unpacked_bytes: int = 50 * 1024 * 1024  # a CSV's size, or all of an .xlsx's parts unpacked
    max_seconds: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping) -> Limits:
        default = cls()
        return cls(
            int(config.get("SPREADSHEET_MAX_ROWS", default.max_rows)),
            int(config.get("SPREADSHEET_MAX_COLUMNS", default.max_columns)),
            int(config.get("SPREADSHEET_MAX_CELLS", default.max_cells)),
            int(float(config.get("SPREADSHEET_MAX_UNPACKED_MB", 50)) * 1024 * 1024),
            float(config.get("SPREADSHEET_MAX_SECONDS", default.max_seconds)),
        )

    def rows_for(self, layout: Layout) -> int:
        return min(self.max_rows, layout.max_rows) if layout.max_rows is not None else self.max_rows


class _Bound(Exception):
    """A bound was passed; the message says which."""


class _Reading:
    """One read's bounds and clock."""

    def __init__(self, layout: Layout | None, limits: Limits | None):
        self.layout, self.limits = layout, limits or Limits()
        self.rows = self.limits.rows_for(layout) if layout is not None else self.limits.max_rows
        self.deadline = time.monotonic() + self.limits.max_seconds
        self.cells = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Bound(f"took longer than {self.limits.max_seconds:g} seconds to read: split the file")

    def too_big(self, size: int, what: str) -> None:
        if size > self.limits.max_unpacked_bytes:
            raise _Bound(f"{what} {file_size(size)}, more than the {file_size(self.limits.max_unpacked_bytes)} read")

    def cells_in_use(self, count: int, last_row: int, widest: int) -> None:
        """A whole sheet's `count` cells at once, reaching row `last_row` and column `widest`:
        the same bounds `cell` checks one by one."""
        self.cells += count - 1
        self.cell(last_row, widest, widest)

    def cell(self, row: int, column: int, width: int) -> None:
        """A cell in use at (row, column), the rows read so far being `width` columns wide."""
        if row > self.rows + 1:  # row 1 is the header
            raise _Bound(f"more than {self.rows:,} rows: split the file")
        if column > self.limits.max_columns:
            raise _Bound(
                f"uses column {column_letters(column)} (column {column:,}); at most "
                f"{self.limits.max_columns:,} columns are read: delete the unused columns, or copy the figures "
                "to a new sheet"
            )
        self.cells += 1
        if self.cells > self.limits.max_cells or row * max(width, column) > self.limits.max_cells:
            raise _Bound(f"more than {self.limits.max_cells:,} cells (rows × columns in use): split the file")
        if not self.cells % 10_000:
            self.tick()


def file_size(size: float) -> str:
    """1536 -> "1.5 KB", 52428800 -> "50 MB"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}".replace(f".0 {unit}", f" {unit}")
    return f"{size:,.0f} bytes"


def column_letters(number: int) -> str:
    """3 -> "C", 16384 -> "XFD"."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- Reading a file into rows of text -------------------------------------------------


def read_csv(data: bytes | str, layout: Layout, limits: Limits | None = None) -> list[list[str]]:
    """A CSV's rows as text; bytes must be UTF-8 (the BOM spreadsheet programs add is dropped)."""
    reading = _Reading(layout, limits)
    try:
        reading.too_big(len(data), "the file is")
    except _Bound as exc:
        raise layout.file_error(1, str(exc)) from None
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
    rows: list[list[str]] = []
    width = 0
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(cells)
            width = max(width, len(cells))
            reading.cell(len(rows), max(len(cells), 1), width)  # a blank line counts too
            reading.cells += max(len(cells) - 1, 0)
    except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
        raise layout.file_error(1, f"not a readable CSV file: {exc}") from None
    except _Bound as exc:
        raise layout.file_error(1, str(exc)) from None
    return rows


def read_xlsx(data: bytes, layout: Layout, limits: Limits | None = None) -> tuple[list[list[str]], list[str]]:
    """The first sheet's rows as text (blank rows kept, so numbers are the sheet's), and notes
    about reading it. The only place a workbook is opened.

    The workbook is checked before it is parsed: every part's real unpacked size (not only
    the size it declares) against the bound, then the sheet's cells (stopping at the first
    beyond a bound). Only then does python-calamine read it: it holds the sheet's whole
    rectangle in memory, and aborts the process when that cannot be allocated."""
    reading = _Reading(layout, limits)
    try:
        book = _checked_workbook(data, reading)
        rows = _calamine_rows(data, book, reading)
    except _Bound as exc:
        raise layout.file_error(1, str(exc)) from None
    except _Unreadable as exc:
        raise layout.file_error(1, f"not a readable .xlsx workbook ({exc})") from None
    notes = [f"Read the first sheet, “{book.sheet}”, only."] if book.worksheets > 1 else []
    return rows, notes


class _Unreadable(Exception):
    """Not a workbook this reader can open; the message says what was wrong, briefly."""


@dataclass
class _Book:
    sheet: str  # the first worksheet's name
    worksheets: int
    percent: set[tuple[int, int]]  # (row, column) of numbers shown as percentages


_MAX_PARTS = 1000  # an .xlsx has tens; each part listed costs memory before anything is read
_MAX_DIRECTORY = 1024 * 1024


class ArchiveError(ValueError):
    """A zipped file (.xlsx, .ods, .docx) refused before it is parsed: the reason, in words."""


def checked_archive(data: bytes, limits: Limits | None = None) -> zipfile.ZipFile:
    """The zip archive of an .xlsx, .ods or .docx, once every part's real unpacked size and
    checksum are checked against the bounds (the checks read_xlsx makes, for other readers:
    the file tables of #17). Raises ArchiveError naming the bound or the damage."""
    try:
        return _checked_archive(data, _Reading(None, limits))
    except _Bound as exc:
        raise ArchiveError(str(exc)) from None
    except _Unreadable as exc:
        raise ArchiveError(f"not a readable file ({exc})") from None


def _checked_workbook(data: bytes, reading: _Reading) -> _Book:
    archive = _checked_archive(data, reading)
    with archive:
        return _scan_workbook(archive, reading)


def _checked_archive(data: bytes, reading: _Reading) -> zipfile.ZipFile:
    reading.too_big(len(data), "the file is")
    _check_directory_size(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _Unreadable(exc.__class__.__name__) from None
    if len(parts) > _MAX_PARTS:
        raise _Unreadable(f"{len(parts):,} parts")
    reading.too_big(sum(p.file_size for p in parts), "it unpacks to")  # the sizes it declares ...
    for part in parts:
        _check_part(data, part, reading)  # ... and what they really unpack to
    return archive


def _check_directory_size(data: bytes) -> None:
    """Refuses a zip whose central directory is huge before zipfile lists it in memory."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end >= 0 and len(data) >= end + 22:
        (size,) = struct.unpack_from("<L", data, end + 12)
        if size > _MAX_DIRECTORY:
            raise _Unreadable("its list of parts is too long")


def _check_part(data: bytes, part: zipfile.ZipInfo, reading: _Reading) -> None:
    """Unpack one part without keeping it: its real size must be the declared one (a zip
    bomb can declare a small size), its checksum right."""
    if part.flag_bits & 0x1:
        raise _Unreadable("password-protected: save it without a password")
    header = data[part.header_offset : part.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _Unreadable("damaged")
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    start = part.header_offset + 30 + name_length + extra_length
    packed = data[start : start + part.compress_size]
    if part.compress_type == zipfile.ZIP_STORED:
        size, crc = len(packed), zlib.crc32(packed)
    elif part.compress_type == zipfile.ZIP_DEFLATED:
        inflate, size, crc = zlib.decompressobj(-15), 0, 0
        try:
            for offset in range(0, len(packed), 1 << 16):
                pending = packed[offset : offset + (1 << 16)]
                while pending:
                    out = inflate.decompress(pending, 1 << 20)
                    size, crc = size + len(out), zlib.crc32(out, crc)
                    if size > part.file_size:
                        raise _Bound(f"a part unpacks to more than it declares ({part.filename}): a zip bomb?")
                    pending = inflate.unconsumed_tail
                reading.tick()
        except zlib.error:
            raise _Unreadable("damaged") from None
    else:
        raise _Unreadable(f"packed with method {part.compress_type}")
    if size != part.file_size or crc != part.CRC:
        raise _Unreadable("damaged")


def _parse(archive: zipfile.ZipFile, name: str, reading: _Reading, start, end=None, *, raw: bool = False) -> None:
    """Stream the XML part `name` through expat, calling start(tag, attrs) (and end(tag))
    with tags without their namespace prefix (`raw`: as written, for a caller that strips them
    itself, saving a call per element)."""
    parser = expat.ParserCreate()
    if raw:
        parser.StartElementHandler, parser.EndElementHandler = start, end
    else:
        parser.StartElementHandler = lambda tag, attrs: start(tag.rpartition(":")[2], attrs)
        if end is not None:
            parser.EndElementHandler = lambda tag: end(tag.rpartition(":")[2])

    def refuse_entities(*_args):  # no workbook declares entities; an XML bomb does
        raise _Unreadable("it declares XML entities")

    parser.EntityDeclHandler = refuse_entities
    try:
        with archive.open(name) as part:
            while chunk := part.read(1 << 16):
                parser.Parse(chunk, False)
                reading.tick()
        parser.Parse(b"", True)
    except KeyError:
        raise _Unreadable(f"no part {name}") from None
    except expat.ExpatError as exc:
        raise _Unreadable(f"{name}: {expat.errors.messages[exc.code]}") from None


def _relationships(archive: zipfile.ZipFile, part: str, reading: _Reading) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, the target's part name)."""
    folder, base = posixpath.split(part)
    found: dict[str, tuple[str, str]] = {}

    def start(tag, attrs):
        if tag == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], target)

    _parse(archive, posixpath.join(folder, "_rels", base + ".rels"), reading, start)
    return found


_PERCENT_FORMATS = {9, 10}  # the built-in 0% and 0.00%


def _scan_workbook(archive: zipfile.ZipFile, reading: _Reading) -> _Book:
    main = next((t for kind, t in _relationships(archive, "", reading).values() if kind == "officeDocument"), "")
    links = _relationships(archive, main or "xl/workbook.xml", reading)
    sheets: list[tuple[str, str]] = []  # (name, relationship id), in the workbook's order

    def sheet(tag, attrs):
        if tag == "sheet":
            sheets.append((attrs.get("name", ""), next((v for k, v in attrs.items() if k.endswith(":id")), "")))

    _parse(archive, main or "xl/workbook.xml", reading, sheet)
    worksheets = [(name, links[rid][1]) for name, rid in sheets if links.get(rid, ("",))[0] == "worksheet"]
    if not worksheets:
        raise _Unreadable("no worksheet")
    parts = {kind: target for kind, target in links.values()}

    names = set(archive.namelist())
    if parts.get("sharedStrings") in names:
        _count_strings(archive, parts["sharedStrings"], reading)
    percent_styles = _percent_styles(archive, parts.get("styles") if parts.get("styles") in names else None, reading)
    scan = SheetScan(reading, percent_styles)
    _parse(archive, worksheets[0][1], reading, scan.start, raw=True)
    return _Book(worksheets[0][0], len(worksheets), scan.percent)


class SheetScan:
    """One .xlsx worksheet's XML, element by element (expat's start handler): the cells with
    something in them counted against the bounds, those styled as percentages, hidden rows and
    columns, merged ranges. Cells are most of a sheet's elements, so they take the fewest steps
    (bench_mappings: this scan was 40% of reading a council's file)."""

    def __init__(self, reading: _Reading, percent_styles: set[str], max_merges: int = 10_000):
        self.reading, self.percent_styles, self.max_merges = reading, percent_styles, max_merges
        self.row = self.column = self.width = 0
        self.style: str | None = None
        self.open = False  # inside a cell that has shown no content yet
        self.percent: set[tuple[int, int]] = set()
        self.hidden_rows: set[int] = set()
        self.hidden_columns: set[int] = set()
        self.merged: list[tuple[int, int, int, int]] = []
        self._columns: dict[str, int] = {}  # letters -> number, computed once per column

    def start(self, tag: str, attrs: dict) -> None:
        if ":" in tag:  # any prefix: calamine reads a cell by its local name
            tag = tag.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                match = _REFERENCE.fullmatch(ref)
                if match is None:
                    raise _Unreadable(f"cell reference {ref[:20]!r}")
                letters = match.group(1)
                column = self._columns.get(letters)
                if column is None:
                    column = self._columns[letters] = _column_number(letters)
                self.column, self.row = column, int(match.group(2))
            else:
                self.column += 1
            self.style, self.open = attrs.get("s"), True
        elif self.open and tag in _CONTENT_TAGS:  # the cell has something in it
            self.open = False
            row, column = self.row, self.column
            self.reading.cell(row, column, self.width)
            if column > self.width:
                self.width = column
            if self.style is not None and self.style in self.percent_styles:
                self.percent.add((row, column))
        elif tag in _LAYOUT_TAGS:
            self._other(tag, attrs)

    @classmethod
    def of_bytes(cls, xml: bytes, reading: _Reading, percent_styles: set[str], max_merges: int = 10_000):
        """The same scan on the sheet's bytes, by regular expressions (bench_mappings: the element
        by element scan, a Python call per cell, was half of reading a council's file). None when
        the sheet is not written plainly, as Excel and the libraries write it (each cell's
        reference its first attribute, in double quotes), or on any doubt: every "<c" and ":c"
        tag the bytes hold must be a cell read here. The caller then streams the sheet through
        expat instead. Stricter, never laxer: `<c ...></c>` counts as a cell in use, and the
        largest row and column in use set the extent."""
        root = _ROOT_ELEMENT.search(xml, 0, 4096)
        if root is None:
            return None
        patterns = _sheet_patterns(root.group(1))
        cells = patterns.cells.findall(xml)
        if len(cells) != sum(xml.count(start + end) for start in (b"<c", b":c") for end in _TAG_ENDS):
            return None
        scan = cls(reading, percent_styles, max_merges)
        limits = reading.limits
        if b"hidden" in xml:  # first: a row this scan cannot place sends the sheet to expat uncounted
            for attributes in patterns.hidden_rows.findall(xml):
                number = _ROW_NUMBER.search(attributes)
                if number is None:
                    return None
                if int(number.group(1)) <= limits.max_rows:
                    scan.hidden_rows.add(int(number.group(1)))
            for attributes in patterns.hidden_columns.findall(xml):
                first, last = _COLUMN_MIN.search(attributes), _COLUMN_MAX.search(attributes)
                if first and last:
                    last_column = min(int(last.group(1)), limits.max_columns)
                    scan.hidden_columns.update(range(int(first.group(1)), last_column + 1))
        in_use = [(letters, number) for letters, number, empty in cells if not empty]
        if in_use:
            last_row = max(map(int, (number for _letters, number in in_use)))
            widest = max(_column_number(letters.decode("ascii")) for letters in {letters for letters, _n in in_use})
            reading.cells_in_use(len(in_use), last_row, widest)
        reading.tick()
        if b"mergeCell" in xml:
            for ref in patterns.merges.findall(xml):
                scan._other("mergeCell", {"ref": ref.decode("ascii")})
        if percent_styles:
            for letters, number, attributes in patterns.cell_attributes.findall(xml):
                if attributes.endswith(b"/"):  # empty: nothing to show as a percentage
                    continue
                style = _CELL_STYLE.search(attributes)
                if style and style.group(1).decode("ascii") in percent_styles:
                    scan.percent.add((int(number), _column_number(letters.decode("ascii"))))
        return scan

    def _other(self, tag: str, attrs: dict) -> None:
        limits = self.reading.limits
        if tag == "row":
            number = attrs.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.column = 0
            if attrs.get("hidden") in ("1", "true") and self.row <= limits.max_rows:
                self.hidden_rows.add(self.row)
        elif tag == "col" and attrs.get("hidden") in ("1", "true"):
            first, last = attrs.get("min", ""), attrs.get("max", "")
            if first.isdigit() and last.isdigit():
                self.hidden_columns.update(range(int(first), min(int(last), limits.max_columns) + 1))
        elif tag == "mergeCell":
            if len(self.merged) >= self.max_merges:
                raise _Bound(f"more than {self.max_merges:,} merged ranges in a sheet")
            first, _, last = attrs.get("ref", "").partition(":")
            a, b = _REFERENCE.fullmatch(first), _REFERENCE.fullmatch(last or first)
            if a and b:
                self.merged.append(
                    (int(a.group(2)), _column_number(a.group(1)), int(b.group(2)), _column_number(b.group(1)))
                )


_ROOT_PREFIX = re.compile(rb"<(\w+:)?sst[\s>/]")


def _count_strings(archive: zipfile.ZipFile, name: str, reading: _Reading) -> None:
    """Each shared string is kept in memory: as many as cells, at most. Counted on the bytes
    (far faster than parsing; text cannot hold a raw "<"), stopping at the bound."""
    strings, tail, starts = 0, b"", None
    with archive.open(name) as part:
        while chunk := part.read(1 << 20):
            text = tail + chunk
            if starts is None:
                root = _ROOT_PREFIX.search(text)
                prefix = root.group(1) or b"" if root else b""
                starts = [b"<" + prefix + b"si" + end for end in (b">", b" ", b"/", b"\t", b"\n", b"\r")]
            tail = text[-16:]
            # What lies wholly in the tail is counted again with the next chunk: not now.
            strings += sum(text.count(start) - tail.count(start) for start in starts)
            if strings > reading.limits.max_cells:
                raise _Bound(f"more than {reading.limits.max_cells:,} different texts: split the file")
            reading.tick()
    if starts and strings + sum(tail.count(start) for start in starts) > reading.limits.max_cells:
        raise _Bound(f"more than {reading.limits.max_cells:,} different texts: split the file")


_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_CONTENT_TAGS = frozenset(("v", "is", "f"))
_LAYOUT_TAGS = frozenset(("row", "col", "mergeCell"))
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_TAG_ENDS = (b" ", b"\t", b"\n", b"\r", b"/", b">")
_CELL_STYLE = re.compile(rb"\ss=\"([0-9]+)\"")
_ROW_NUMBER = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([0-9]{1,7})[\"']")
_COLUMN_MIN = re.compile(rb"(?:^|\s)min\s*=\s*[\"']([0-9]{1,5})[\"']")
_COLUMN_MAX = re.compile(rb"(?:^|\s)max\s*=\s*[\"']([0-9]{1,5})[\"']")


@dataclass(frozen=True)
class _SheetPatterns:
    cells: re.Pattern  # (letters, row, "/" when empty)
    cell_attributes: re.Pattern  # (letters, row, the other attributes)
    hidden_rows: re.Pattern
    hidden_columns: re.Pattern
    merges: re.Pattern


@functools.lru_cache(maxsize=8)
def _sheet_patterns(prefix: bytes | None) -> _SheetPatterns:
    """A sheet's patterns, starting with its literal tags ("<c r=", "<x:c r="): a literal start
    lets the regular expression engine skip ahead, several times faster than an optional prefix."""
    p = re.escape(prefix or b"")
    return _SheetPatterns(
        re.compile(rb"<" + p + rb"c r=\"([A-Z]{1,3})([0-9]{1,7})\"[^>]*?(/?)>"),
        re.compile(rb"<" + p + rb"c r=\"([A-Z]{1,3})([0-9]{1,7})\"([^>]*)>"),
        re.compile(rb"<" + p + rb"row\s([^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"'][^>]*)>"),
        re.compile(rb"<" + p + rb"col\s([^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"'][^>]*)>"),
        re.compile(rb"<" + p + rb"mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Za-z0-9$:]{1,40})[\"']"),
    )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _percent_styles(archive: zipfile.ZipFile, part: str | None, reading: _Reading) -> set[str]:
    """The cell styles (their `s` numbers) that show a number as a percentage."""
    if part is None:
        return set()
    formats: dict[str, str] = {}
    styles: list[str] = []
    inside: list[str] = []

    def start(tag, attrs):
        inside.append(tag)
        if tag == "numFmt":
            formats[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif tag == "xf" and len(inside) > 1 and inside[-2] == "cellXfs":
            styles.append(attrs.get("numFmtId", "0"))

    _parse(archive, part, reading, start, lambda _tag: inside.pop())
    return {
        str(index)
        for index, number in enumerate(styles)
        if (number.isdigit() and int(number) in _PERCENT_FORMATS) or "%" in formats.get(number, "")
    }


def _calamine_rows(data: bytes, book: _Book, reading: _Reading) -> list[list[str]]:
    import python_calamine

    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            values = workbook.get_sheet_by_name(book.sheet).to_python(skip_empty_area=False, nrows=reading.rows + 1)
    except python_calamine.CalamineError as exc:
        raise _Unreadable(exc.__class__.__name__) from None
    reading.tick()
    return [
        [_cell_text(value, (number, column) in book.percent) for column, value in enumerate(cells, start=1)]
        for number, cells in enumerate(values, start=1)
    ]


def _cell_text(value, percent: bool = False) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is float and not percent and value.is_integer() and 0 < abs(value) < 1e15:
        return str(int(value))  # the common case, as the Decimal path below gives it (bench_mappings)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        # A spreadsheet keeps 15 significant digits (what it shows); beyond them a float
        # holds only binary noise (0.1 + 0.2 = 0.30000000000000004), dropped here.
        number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            return str(value)
        if percent:  # 12% is stored as 0.12
            return f"{(number * 100).normalize():f}%"
        return f"{number.normalize():f}" if number != number.to_integral_value() else f"{number:.0f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


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
