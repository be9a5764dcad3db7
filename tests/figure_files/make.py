"""Files shaped like councils' answers (#17), written by the real writers (openpyxl, xlwt,
odfpy, python-docx, fpdf2) on demand, never committed as binaries. README.md lists each file.

    make_all(folder) -> {name: path}    every file, written into `folder`
    sample(name) -> bytes               one file's bytes (made once per test run)

Formulas: openpyxl writes a formula with an empty cached value (<v></v>), as a program that
never calculated would; Excel stores the value it last calculated. The workbook is therefore
written by openpyxl and its sheet XML patched to hold the cached value, as Excel saves it, so
a reader that uses cached values (python-calamine) sees the figure.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

# --- Helpers ----------------------------------------------------------------------------


def _xlsx_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_cached_values(data: bytes, cached: dict[str, dict[str, str]]) -> bytes:
    """The workbook with each formula cell's cached value filled in, as Excel saves it.
    `cached`: sheet part name ("xl/worksheets/sheet1.xml") -> {cell ref: value}."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            for ref, value in cached.get(info.filename, {}).items():
                text = part.decode()
                start = text.index(f'<c r="{ref}"')
                end = text.index("</c>", start)
                cell = text[start:end]
                assert "<v></v>" in cell, f"{ref} is not a formula cell"
                text = text[:start] + cell.replace("<v></v>", f"<v>{value}</v>") + text[end:]
                part = text.encode()
            target.writestr(info, part)
    return out.getvalue()


# --- The real-world shapes -------------------------------------------------------------


def budget_merged_xlsx() -> bytes:
    """Several sheets; a merged title stating "£000s"; numbers stored as text, negatives in
    brackets, £ and thousand separators typed into cells; a hidden row, a hidden column, a
    hidden sheet; a formula total with its cached value."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet["A1"] = "Anyshire County Council: revenue budget 2010/11 (£000s)"
    sheet.merge_cells("A1:D1")
    sheet.append([])
    sheet.append(["Service", "2009/10", "2010/11", "Change"])  # row 3
    sheet.append(["Libraries", 1200, "1,234", "34"])  # row 4: a number stored as text
    sheet.append(["Museums", 410.5, "(1,234)", "-1,644.5"])  # row 5: negative in brackets, as text
    sheet.append(["Youth services", "£12,345.50", 13000, 654.5])  # row 6: £ and separators, as text
    sheet.append(["Old line (withdrawn)", 1, 2, 1])  # row 7: hidden
    sheet.row_dimensions[7].hidden = True
    sheet.append(["Total", "=SUM(B4:B7)", 0.1 + 0.2, None])  # row 8: formula; a float with noise
    sheet.column_dimensions["E"].hidden = True
    sheet["E3"] = "Working"
    sheet["E4"] = "hidden column"
    notes = book.create_sheet("Notes")
    notes["A1"] = "Figures supplied under FOI ref 2010-123."
    notes["A2"] = "Prepared"
    notes["B2"] = __import__("datetime").date(2011, 3, 31)
    workings = book.create_sheet("Workings")
    workings["A1"] = "Internal workings"
    workings["B2"] = 42
    workings.sheet_state = "hidden"
    return _with_cached_values(_xlsx_bytes(book), {"xl/worksheets/sheet1.xml": {"B8": "1611.5"}})


def old_excel_xls() -> bytes:
    """Old Excel (BIFF8, xlwt): a merged heading, a hidden row and column, a hidden sheet."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Returns")
    sheet.write_merge(0, 0, 0, 2, "Children's services spend (£'000)")
    sheet.write(2, 0, "Item")
    sheet.write(2, 1, "2010/11")
    sheet.write(3, 0, "Fostering")
    sheet.write(3, 1, 2500)
    sheet.write(4, 0, "Adoption (withdrawn)")
    sheet.write(4, 1, 7)
    sheet.row(4).hidden = True
    sheet.write(5, 0, "Residential")
    sheet.write(5, 1, "(350)")
    sheet.write(5, 2, "note")
    sheet.col(2).hidden = True
    hidden = book.add_sheet("Lookup")
    hidden.write(0, 0, "codes")
    hidden.visibility = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def council_ods() -> bytes:
    """An OpenDocument sheet (odfpy): a "£m" heading spanning two columns, a hidden row, a
    hidden sheet."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    hidden_table = Style(name="HiddenTable", family="table")
    hidden_table.addElement(TableProperties(display="false"))
    document.automaticstyles.addElement(hidden_table)

    def row(*cells, hidden=False):
        element = TableRow(visibility="collapse") if hidden else TableRow()
        for cell in cells:
            element.addElement(cell)
        return element

    def text(value, **kw):
        cell = TableCell(valuetype="string", **kw)
        cell.addElement(P(text=value))
        return cell

    def number(value):
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=str(value)))
        return cell

    table = Table(name="Spend")
    table.addElement(row(text("Highways spend (£m)", numbercolumnsspanned=2), CoveredTableCell()))
    table.addElement(row(text("Roads"), number(12.5)))
    table.addElement(row(text("Draft line"), number(99), hidden=True))
    table.addElement(row(text("Bridges"), number(3.25)))
    document.spreadsheet.addElement(table)
    secret = Table(name="Hidden", stylename=hidden_table)
    secret.addElement(row(text("not for publication")))
    document.spreadsheet.addElement(secret)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


SPLIT_PDF_ROWS = 45  # enough to run onto a second page


def split_table_pdf() -> bytes:
    """A text PDF whose one table runs over two pages, fpdf2 repeating its header row."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.cell(text="Library visits by branch, 2010/11")
    pdf.ln(12)
    with pdf.table(col_widths=(60, 40, 40), text_align="LEFT") as table:
        table.row(["Branch", "Visits", "Spend (GBP)"])
        for n in range(1, SPLIT_PDF_ROWS + 1):
            table.row([f"Branch {n}", f"{n * 1000:,}", f"({n * 10:,})" if n % 10 == 0 else f"{n * 100:,}"])
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF with no text at all, as a scanner makes (here: only a drawn box)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def repeated_header_docx() -> bytes:
    """A Word table whose header row is typed again halfway down, with a cell merged across
    two columns and one merged down two rows."""
    import docx

    document = docx.Document()
    document.add_paragraph("Our response to your request: staffing (FTE)")
    table = document.add_table(rows=7, cols=3)
    rows = [
        ["Department", "2009/10", "2010/11"],
        ["Libraries", "12.5", "11"],
        ["Museums", "4", "3.5"],
        ["Department", "2009/10", "2010/11"],  # the header again, as after a page break
        ["Archives", "2", "2"],
        ["Total", "18.5", "16.5"],
        ["Note: figures are full-time equivalents", "", ""],
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(6, 0).merge(table.cell(6, 2))  # the note across the table
    table.cell(4, 2).merge(table.cell(5, 2))  # 2 merged down into the total row
    table.cell(4, 2).text = "2"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def windows_csv() -> bytes:
    """A CSV from Excel on Windows: windows-1252 ("£" is byte A3), semicolons between fields."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Service", "Net spend (£000s)"])
    writer.writerow(["Libraries", "1,234.5"])
    writer.writerow(["Parks", "£2,000"])
    return out.getvalue().encode("cp1252")


# --- Five (and one) councils' budgets, shaped differently: label "Net budget 2010/11" -------

# name -> (sheet, label cell, label text, value cell, value as the cell holds it, expected figure)
COUNCIL_BUDGETS = {
    "council_0_budget.xlsx": ("Budget", "A6", "Net budget 2010/11", "B6", 987654, 987654),
    "council_a_budget.xlsx": ("Summary", "A9", "Net budget 2010/11", "B9", 1234567, 1234567),
    "council_b_budget.xlsx": ("Revenue", "B4", "NET BUDGET  2010/11", "B5", "£2,345,678", 2345678),
    "council_c_budget.xlsx": ("Budget", "A12", "Net Budget 2010/11 (£000s)", "B12", 3456.5, 3456500),
    "council_d_budget.xlsx": ("2010-11", "A5", " net budget 2010/11 ", "B5", 4.2, 4200000),
    "council_e_budget.xlsx": ("Budget Book", "C20", "Net budget   2010/11", "D20", "=D18-D19", 5678901),
}


def council_budget(name: str) -> bytes:
    import openpyxl

    sheet_name, label_ref, label, value_ref, value, _expected = COUNCIL_BUDGETS[name]
    book = openpyxl.Workbook()
    first = book.active
    if name == "council_b_budget.xlsx":  # the figures are on the second sheet
        first.title = "Notes"
        first["A1"] = "Read with the covering letter."
        sheet = book.create_sheet(sheet_name)
    else:
        first.title = sheet_name
        sheet = first
    sheet["A1"] = {
        "council_d_budget.xlsx": "Revenue budget (£m)",  # the unit in the title only
        "council_e_budget.xlsx": "Budget book 2010/11",
    }.get(name, f"Revenue budget 2010/11: {name.split('_')[1].upper()} council")
    sheet[label_ref] = label
    sheet[value_ref] = value
    # Neighbours that look alike, so that a rule must match the label, not just "budget".
    row = int(value_ref[1:])
    sheet.cell(row + 2, 1, "Net budget 2009/10")
    sheet.cell(row + 2, 2, 111)
    cached: dict[str, dict[str, str]] = {}
    if name == "council_e_budget.xlsx":
        sheet["C18"], sheet["D18"] = "Gross spend", 7000000
        sheet["C19"], sheet["D19"] = "Income", 1321099
        sheet.merge_cells("A20:B20")
        cached = {"xl/worksheets/sheet1.xml": {value_ref: "5678901"}}
    return _with_cached_values(_xlsx_bytes(book), cached)


MAKERS: dict[str, Callable[[], bytes]] = {
    "budget_merged.xlsx": budget_merged_xlsx,
    "old_excel.xls": old_excel_xls,
    "council.ods": council_ods,
    "split_table.pdf": split_table_pdf,
    "scanned.pdf": scanned_pdf,
    "repeated_header.docx": repeated_header_docx,
    "windows.csv": windows_csv,
    **{name: (lambda name=name: council_budget(name)) for name in COUNCIL_BUDGETS},
}


@cache
def sample(name: str) -> bytes:
    """One file's bytes, made once per process."""
    return MAKERS[name]()


def make_all(folder: Path | str | None = None) -> dict[str, Path]:
    """Every file, written into `folder` (a new temporary folder if None)."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="figure-files-"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in MAKERS:
        path = folder / name
        path.write_bytes(sample(name))
        paths[name] = path
    return paths


if __name__ == "__main__":
    import sys

    for name, path in make_all(sys.argv[1] if len(sys.argv) > 1 else "figure_files_out").items():
        print(name, path)
