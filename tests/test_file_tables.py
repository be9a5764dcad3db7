"""The tables in councils' own files (#17): each real-world shape read right, every read bounded,
damaged files refused with a reason."""

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fointracker.domain.figures import figure_from_cell
from fointracker.file_tables import TableLimits, TablesError, can_read, read_tables, unit_for_cell
from tests.figure_files.make import COUNCIL_BUDGETS, MAKERS, SPLIT_PDF_ROWS, make_all, sample
from tests.test_spreadsheet_bounds import MAIN, PARTS, huge_dimension, lying_zip_bomb, workbook


def texts(grid):
    return [[cell.text for cell in row] for row in grid.rows]


def test_an_xlsx_gives_cached_formula_values_text_as_typed_and_flags_hidden_rows_columns_and_sheets():
    tables = read_tables(sample("budget_merged.xlsx"), "budget_merged.xlsx")
    assert [(g.key, g.title, g.hidden) for g in tables.grids] == [
        ("sheet:Budget", "Budget", False),
        ("sheet:Notes", "Notes", False),
        ("sheet:Workings", "Workings", True),
    ]
    budget = tables.grid("sheet:Budget")
    assert budget.cell("B8").text == "1611.5"  # =SUM(B4:B7), its cached value
    assert budget.cell("C8").text == "0.3"  # 0.1 + 0.2 without float noise
    assert (budget.cell("C4").text, budget.cell("C5").text, budget.cell("B6").text) == (
        "1,234",
        "(1,234)",
        "£12,345.50",
    )
    assert tables.grid("sheet:Notes").cell("B2").text == "2011-03-31"
    assert [c.hidden for c in budget.rows[6]] == [True] * 5  # row 7
    assert budget.cell("E4").hidden and budget.cell("E4").text == "hidden column"
    assert not budget.cell("A6").hidden
    title = budget.cell("A1")
    assert title.span == (1, 4) and title.text.startswith("Anyshire")
    assert [(c.text, c.covered) for c in budget.rows[0][1:4]] == [("", True)] * 3
    assert budget.unit.code == "thousands" and tables.unit.code == "thousands"
    assert tables.grid("sheet:Notes").unit is None


def test_old_excel_xls_keeps_merges_hidden_rows_columns_and_sheets():
    tables = read_tables(sample("old_excel.xls"), "old_excel.xls")
    returns, lookup = tables.grids
    assert lookup.hidden and not returns.hidden
    assert returns.cell("A1").span == (1, 3) and returns.cell("B1").covered
    assert returns.cell("B4").text == "2500" and returns.cell("B6").text == "(350)"
    assert returns.cell("A5").hidden and not returns.cell("A4").hidden
    assert returns.cell("C6").hidden and returns.cell("C6").text == "note"
    assert returns.unit.code == "thousands"


def test_ods_reads_values_merges_and_hidden_rows_and_sheets():
    tables = read_tables(sample("council.ods"), "council.ods")
    spend, secret = tables.grids
    assert texts(spend) == [["Highways spend (£m)", ""], ["Roads", "12.5"], ["Draft line", "99"], ["Bridges", "3.25"]]
    assert spend.cell("A1").span == (1, 2) and spend.cell("B1").covered
    assert spend.cell("B3").hidden and not spend.cell("B2").hidden
    assert secret.hidden and spend.unit.code == "millions"


def test_a_pdf_table_split_across_pages_is_one_grid_with_its_header_once():
    tables = read_tables(sample("split_table.pdf"), "split_table.pdf")
    (grid,) = tables.grids
    assert (grid.key, grid.title) == ("pdf:1:1", "Pages 1\u20132, table 1")
    assert len(grid.rows) == SPLIT_PDF_ROWS + 1
    assert [r[0].text for r in grid.rows].count("Branch") == 1
    assert [c.text for c in grid.rows[-1]] == [f"Branch {SPLIT_PDF_ROWS}", f"{SPLIT_PDF_ROWS * 1000:,}", "4,500"]
    assert grid.cell("R11C3").text == "(100)"
    assert figure_from_cell("money", grid.cell("R11C3").text, None).number == -100


def test_a_scanned_pdf_says_so():
    with pytest.raises(TablesError, match="no text in this PDF: it is probably a scan"):
        read_tables(sample("scanned.pdf"), "scanned.pdf")


def test_a_word_table_shows_its_repeated_header_once_and_keeps_merges_top_left():
    tables = read_tables(sample("repeated_header.docx"), "repeated_header.docx")
    (grid,) = tables.grids
    assert (grid.key, grid.title) == ("docx:1", "Table 1")
    assert [r[0].text for r in grid.rows] == [
        "Department",
        "Libraries",
        "Museums",
        "Archives",
        "Total",
        "Note: figures are full-time equivalents",
    ]
    assert grid.cell("R4C3").span == (2, 1) and grid.cell("R5C3").covered and grid.cell("R5C3").text == ""
    assert grid.cell("R6C1").span == (1, 3)
    assert "repeated at row 4" in tables.problems[0]


def test_a_windows_csv_is_decoded_and_its_delimiter_sniffed():
    tables = read_tables(sample("windows.csv"), "windows.csv")
    assert texts(tables.grids[0]) == [["Service", "Net spend (£000s)"], ["Libraries", "1,234.5"], ["Parks", "£2,000"]]
    assert tables.unit.code == "thousands"
    assert texts(read_tables("\ufeffa,b\n1,2\n".encode(), "x.CSV").grids[0]) == [["a", "b"], ["1", "2"]]


@pytest.mark.parametrize("name", list(COUNCIL_BUDGETS))
def test_each_councils_budget_gives_its_figure_with_the_unit_that_applies(name):
    sheet, label_ref, label, value_ref, _value, expected = COUNCIL_BUDGETS[name]
    grid = read_tables(sample(name), name).grid(f"sheet:{sheet}")
    assert grid.cell(label_ref).text == label
    cell = grid.cell(value_ref)
    assert figure_from_cell("money", cell.text, unit_for_cell(grid, value_ref)).number == expected


def test_a_column_heading_unit_wins_over_the_sheet_title():
    data = "Budget (£m)\nService,Spend (£000s),Staff\nParks,12,3\n".encode()
    grid = read_tables(data, "mixed.csv").grids[0]
    assert grid.unit.code == "millions"
    assert unit_for_cell(grid, "B3").code == "thousands"
    assert unit_for_cell(grid, "C3").code == "millions"  # no heading of its own: the sheet's
    assert unit_for_cell(grid, "Z99").code == "millions"


def test_make_all_writes_every_file(tmp_path):
    paths = make_all(tmp_path)
    assert set(paths) >= {"budget_merged.xlsx", "split_table.pdf", *COUNCIL_BUDGETS}
    assert all(p.read_bytes() == sample(name) for name, p in paths.items())


def test_can_read_names_the_types():
    assert can_read("Return.XLSX") and can_read("a.ods") and can_read("b.pdf") and can_read("c.docx")
    assert not can_read("letter.doc") and not can_read("scan.png")


# --- Bounds and damage ---------------------------------------------------------------------


def test_too_many_rows_columns_or_cells_are_refused_naming_the_bound():
    with pytest.raises(TablesError, match="more than 10 rows"):
        read_tables(b"x\n" * 11, "a.csv", TableLimits(max_rows=10))
    with pytest.raises(TablesError, match="more than 3 columns"):
        read_tables(b"1,2,3,4\n", "a.csv", TableLimits(max_columns=3))
    with pytest.raises(TablesError, match="more than 6 cells"):
        read_tables(b"1,2,3\n4,5,6\n7\n", "a.csv", TableLimits(max_cells=6))
    with pytest.raises(TablesError, match="more than 9 rows"):  # it has 11
        read_tables(sample("council_a_budget.xlsx"), "a.xlsx", TableLimits(max_rows=9))
    with pytest.raises(TablesError, match="more than 3 cells"):
        read_tables(sample("budget_merged.xlsx"), "a.xlsx", TableLimits(max_cells=3))
    with pytest.raises(TablesError, match="more than 3 cells"):
        read_tables(sample("old_excel.xls"), "a.xls", TableLimits(max_cells=3))
    with pytest.raises(TablesError, match="more than 3 cells"):
        read_tables(sample("council.ods"), "a.ods", TableLimits(max_cells=3))
    with pytest.raises(TablesError, match="more than 3 cells"):
        read_tables(sample("repeated_header.docx"), "a.docx", TableLimits(max_cells=3))
    with pytest.raises(TablesError, match="more than 5 cells"):
        read_tables(sample("split_table.pdf"), "a.pdf", TableLimits(max_cells=5))
    with pytest.raises(TablesError, match="larger than"):
        read_tables(b"x" * 2000, "a.csv", TableLimits(max_bytes=1000))


def test_a_huge_xls_rectangle_is_refused_before_calamine_allocates_it():
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("a")
    sheet.write(0, 0, 1)
    sheet.write(65535, 255, 2)  # a 16.7-million-cell rectangle in 6 KB
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(TablesError, match="rows|column"):
        read_tables(out.getvalue(), "big.xls")


def test_hostile_workbooks_are_refused():
    with pytest.raises(TablesError, match="zip bomb"):
        read_tables(lying_zip_bomb(), "bomb.xlsx")
    with pytest.raises(TablesError, match="more than 5,000 rows"):
        read_tables(huge_dimension(), "wide.xlsx")
    with pytest.raises(TablesError, match="uses column XFD"):
        read_tables(huge_dimension(), "wide.xlsx", TableLimits(max_rows=20_000))


def test_a_zip_bomb_docx_or_ods_is_refused_before_it_is_parsed():
    for name in ("repeated_header.docx", "council.ods"):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(sample(name))) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in source.infolist():
                z.writestr(info, source.read(info.filename))
            z.writestr("padding.xml", b" " * 2_000_000)
        with pytest.raises(TablesError, match="unpacks to"):
            read_tables(out.getvalue(), name, TableLimits(max_unpacked_bytes=1_000_000))


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.xlsx", b"PK\x03\x04 not really a zip"),
        ("a.xlsx", sample("repeated_header.docx")),  # a zip, but no workbook inside
        ("a.xls", b"\xd0\xcf\x11\xe0 damaged"),
        ("a.xls", b"plain text"),
        ("a.ods", b"PK not a zip"),
        ("a.docx", b"PK not a zip"),
        ("a.docx", sample("council_a_budget.xlsx")),  # a zip, not a Word document
        ("a.pdf", b"%PDF-1.4 nothing else"),
        ("a.pdf", sample("budget_merged.xlsx")),
        ("a.odt", b"anything"),
    ],
)
def test_unreadable_or_corrupt_files_give_tables_error(name, data):
    with pytest.raises(TablesError):
        read_tables(data, name)


def test_a_truncated_file_of_every_kind_gives_tables_error_or_reads():
    for name in ("budget_merged.xlsx", "old_excel.xls", "council.ods", "repeated_header.docx", "split_table.pdf"):
        data = sample(name)
        for cut in (len(data) // 3, len(data) // 2, len(data) - 10):
            try:
                read_tables(data[:cut], name)
            except TablesError:
                pass


# ------------------------------------------------------------------ a cell's text, the quick way


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**16), max_value=10**16).map(float))
@settings(max_examples=400, deadline=None)
def test_a_whole_number_cell_reads_as_the_exact_path_reads_it(value):
    """tabular._cell_text writes whole floats with str(int(...)) for speed; it must say what the
    Decimal path (15 significant digits, no float noise) says, for every float."""
    from decimal import Decimal

    from fointracker.tabular import _cell_text

    number = Decimal(f"{value:.15g}")
    if not number.is_finite():
        expected = str(value)
    elif number != number.to_integral_value():
        expected = f"{number.normalize():f}"
    else:
        expected = f"{number:.0f}"
    assert _cell_text(value) == expected


# ------------------------------------------------------------------ the sheet scan, two ways


FAR = "XFD12000"  # a cell that would make calamine hold 196 million


@pytest.mark.parametrize(
    "row",
    [
        f'<row r="12000"><c r="{FAR}"><v>1</v></c></row>',  # written plainly: the byte scan refuses it
        f'<row r="12000"><c s="0" r="{FAR}"><v>1</v></c></row>',  # its reference not first
        f"<row r='12000'><c r='{FAR}'><v>1</v></c></row>",  # single quotes
        '<row r="12000"><c r="&#88;FD12000"><v>1</v></c></row>',  # the reference spelt with an entity
        f'<row r="12000"><c  r="{FAR}"><v>1</v></c></row>',  # two spaces
        f'<row r="12000"><x:c xmlns:x="{MAIN}" r="{FAR}"><x:v>1</x:v></x:c></row>',  # another prefix
        f'<row r="12000"><c\nr="{FAR}"><v>1</v></c></row>',  # a newline for a space
    ],
    ids=["plain", "not-first", "single-quotes", "entity", "two-spaces", "prefixed", "newline"],
)
def test_a_far_cell_however_it_is_written_is_refused(row):
    """The byte scan (tabular.SheetScan.of_bytes) reads sheets written as Excel writes them and
    leaves any other spelling to the element scan: a far cell is refused however it is written."""
    with pytest.raises(TablesError, match="column XFD|more than"):
        read_tables(workbook(row), "hostile.xlsx")


def workbook_sheet(inner: str) -> bytes:
    """A minimal .xlsx whose one sheet holds `inner` as written."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in PARTS.items():
            book.writestr(name, text)
        book.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{inner}</worksheet>')
    return out.getvalue()


def _both_scans(data: bytes):
    from fointracker import tabular
    from fointracker.file_tables.spreadsheets import _reading

    limits = TableLimits()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")):
            xml = archive.read(part)
            fast = tabular.SheetScan.of_bytes(xml, _reading(limits), {"1", "2", "3"})
            slow_reading = _reading(limits)
            slow = tabular.SheetScan(slow_reading, {"1", "2", "3"})
            parser = tabular.expat.ParserCreate()
            parser.StartElementHandler = slow.start
            parser.Parse(xml, True)
            yield part, fast, slow, slow_reading


@pytest.mark.parametrize("name", [n for n in [*MAKERS, *COUNCIL_BUDGETS] if n.endswith(".xlsx")])
def test_the_byte_scan_finds_what_the_element_scan_finds(name):
    for part, fast, slow, _reading in _both_scans(sample(name)):
        assert fast is not None, part  # openpyxl writes plainly
        assert (fast.hidden_rows, fast.hidden_columns, fast.merged, fast.percent) == (
            slow.hidden_rows, slow.hidden_columns, slow.merged, slow.percent,
        ), part  # fmt: skip


def test_the_byte_scan_reads_hidden_rows_columns_merges_and_percentages():
    sheet = (
        '<cols><col min="2" max="3" hidden="1"/></cols><sheetData>'
        '<row r="1"><c r="A1" s="1"><v>0.5</v></c><c r="B1" s="0"><v>2</v></c><c r="C1" s="1"/></row>'
        '<row r="4" hidden="1"><c r="A4" t="s" s="1"><v>0</v></c></row></sheetData>'
        '<mergeCells count="1"><mergeCell ref="A6:B7"/></mergeCells>'
    )
    data = workbook_sheet(sheet)
    [(_part, fast, slow, reading)] = list(_both_scans(data))
    assert fast.hidden_rows == slow.hidden_rows == {4}
    assert fast.hidden_columns == slow.hidden_columns == {2, 3}
    assert fast.merged == slow.merged == [(6, 1, 7, 2)]
    assert fast.percent == slow.percent == {(1, 1), (4, 1)}  # C1 is empty: nothing to show as a percentage
    assert reading.cells == 3


def test_reading_leaves_the_cycle_collector_as_it_was():
    """read_tables holds the collector off while it reads (collector.collector_paused), and
    gives it back however the read ends, or leaves it off if it was off."""
    import gc

    read_tables(sample("council_a_budget.xlsx"), "a.xlsx")
    assert gc.isenabled()
    with pytest.raises(TablesError):
        read_tables(huge_dimension(), "wide.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        read_tables(sample("council_a_budget.xlsx"), "a.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def _column_of(values) -> str:
    return "".join(f'<row r="{r}"><c r="A{r}"><v>{v}</v></c></row>' for r, v in enumerate(values, start=1))


def test_a_sheet_of_exactly_the_cells_allowed_is_read_and_one_more_is_refused():
    limits = TableLimits(max_cells=4)
    [grid] = read_tables(workbook_sheet(f"<sheetData>{_column_of([1, 2, 3, 4])}</sheetData>"), "a.xlsx", limits).grids
    assert [row[0].text for row in grid.rows] == ["1", "2", "3", "4"]
    with pytest.raises(TablesError, match="more than 4 cells"):
        read_tables(workbook_sheet(f"<sheetData>{_column_of([1, 2, 3, 4, 5])}</sheetData>"), "a.xlsx", limits)


def test_a_sheet_the_byte_scan_leaves_to_expat_is_counted_once():
    """A hidden row without its number sends the sheet to the element scan: its cells count once."""
    rows = _column_of([1, 2, 3]) + '<row hidden="1"><c r="A4"><v>4</v></c></row>'
    [(_part, fast, slow, reading)] = list(_both_scans(workbook_sheet(f"<sheetData>{rows}</sheetData>")))
    assert fast is None and slow.hidden_rows == {4} and reading.cells == 4
    [grid] = read_tables(workbook_sheet(f"<sheetData>{rows}</sheetData>"), "a.xlsx", TableLimits(max_cells=4)).grids
    assert [(row[0].text, row[0].hidden) for row in grid.rows][-1] == ("4", True)
