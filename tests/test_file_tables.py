"""The tables in councils' own files (#17): each real-world shape read right, every read bounded,
damaged files refused with a reason."""

import io
import zipfile

import pytest

from fointracker.domain.figures import figure_from_cell
from fointracker.file_tables import TableLimits, TablesError, can_read, read_tables, unit_for_cell
from tests.figure_files.make import COUNCIL_BUDGETS, SPLIT_PDF_ROWS, make_all, sample
from tests.test_spreadsheet_bounds import huge_dimension, lying_zip_bomb


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
