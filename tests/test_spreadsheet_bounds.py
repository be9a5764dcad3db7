"""Reading spreadsheets within bounds (issue 13): hostile workbooks are refused with a message
naming the bound, quickly and in little memory, leaving nothing on disk; and import previews
stay within their quotas."""

import io
import os
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from fointracker.services import import_previews
from fointracker.services.figures_import import ImportFileError, read_table
from fointracker.tabular import Limits
from tests.test_cli import run_cli
from tests.test_figures_import import TITLE, _count, _upload, campaign  # noqa: F401 (a fixture)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="Figures" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
}
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>authority</t></is></c><c r="B1" t="inlineStr"><is><t>question</t>'
    '</is></c><c r="C1" t="inlineStr"><is><t>value</t></is></c></row>'
)


def workbook(rows: str, dimension: str = "A1:C1", shared: str | None = None) -> bytes:
    """A minimal .xlsx, written part by part, so that it can say what no spreadsheet program would."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in PARTS.items():
            book.writestr(name, text)
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
            f"<sheetData>{HEADER}{rows}</sheetData></worksheet>",
        )
        if shared is not None:
            book.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def huge_dimension() -> bytes:
    """1.6 KB that claims A1:XFD12000, with a value in its last cell: a reader that allocates
    the rectangle needs 196 million cells (calamine aborts the process, openpyxl took 1.2 GB)."""
    return workbook('<row r="12000"><c r="XFD12000"><v>1</v></c></row>', "A1:XFD12000")


def shared_strings_bomb() -> bytes:
    """3 million tiny shared strings, about 120 KB packed."""
    strings = "<si><t>x</t></si>" * 3_000_000
    return workbook("", shared=f'<sst xmlns="{MAIN}" count="3000000" uniqueCount="3000000">{strings}</sst>')


def lying_zip_bomb() -> bytes:
    """A sheet that unpacks to 5 MB but declares 1 KB, in its local header and in the
    central directory alike (what zipfile.ZipInfo and a reader trusting it would see)."""
    data = bytearray(workbook("<row r='2'>" + " " * 5_000_000 + "</row>"))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    part = archive.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<L", data, part.header_offset + 22, 1024)  # local header: uncompressed size
    directory = bytes(data).index(b"PK\x01\x02" + bytes(data)[archive.start_dir + 4 : archive.start_dir + 6])
    entry = directory
    while True:  # the central directory entry of the sheet
        name_length, extra, comment = struct.unpack_from("<HHH", data, entry + 28)
        if data[entry + 46 : entry + 46 + name_length] == part.filename.encode():
            break
        entry += 46 + name_length + extra + comment
    struct.pack_into("<L", data, entry + 24, 1024)
    return bytes(data)


def read(data: bytes, limits: Limits | None = None):
    """read_table on `data`, with its time and peak traced memory."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return read_table("figures.xlsx", data, limits), time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    except ImportFileError as exc:
        return exc, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "build, message",
    [
        (huge_dimension, "uses column XFD (column 16,384); at most 200 columns are read"),
        (shared_strings_bomb, "more than 1,000,000 different texts"),
        (lying_zip_bomb, "a part unpacks to more than it declares (xl/worksheets/sheet1.xml)"),
        (
            lambda: workbook('<row r="2"><v>' + "1" * 60_000_000 + "</v></row>"),
            "it unpacks to 57.2 MB, more than the 50 MB read",
        ),
        (lambda: workbook('<row r="50002"><c r="A50002"><v>1</v></c></row>'), "more than 50,000 rows"),
        (lambda: workbook('<row r="6000"><c r="GR6000"><v>1</v></c></row>'), "more than 1,000,000 cells"),
    ],
    ids=["huge-dimension", "shared-strings", "zip-bomb", "unpacked-size", "rows", "cells"],
)
def test_a_hostile_workbook_is_refused_naming_the_bound_in_bounded_memory(build, message):
    data = build()
    error, _seconds, peak = read(data)
    assert isinstance(error, ImportFileError), error
    assert error.problems[0][:2] == (0, "file") and message in error.problems[0][2]
    assert peak < 200 * 1024 * 1024


def test_a_huge_dimension_alone_is_not_a_problem():
    """The issue's own file: dimension A1:XFD12000, one value in A12000. The dimension is not
    believed: 12,000 rows of one column, read in a few MB."""
    rows, _seconds, peak = read(workbook('<row r="12000"><c r="A12000"><v>7</v></c></row>', "A1:XFD12000"))
    rows, _notes = rows
    assert len(rows) == 12000 and rows[0] == ["authority", "question", "value"] and rows[-1][0] == "7"
    assert peak < 50 * 1024 * 1024


def test_the_bounds_are_settings_and_reading_stops_at_them():
    limits = Limits(max_rows=10, max_columns=3, max_cells=40, max_unpacked_bytes=10_000, max_seconds=30)
    sheet = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 30))
    error, _s, _p = read(workbook(sheet), limits)
    assert "more than 10 rows: split the file" in str(error)
    error, _s, _p = read(workbook('<row r="2"><c r="D2"><v>1</v></c></row>'), limits)
    assert "uses column D (column 4); at most 3 columns are read" in str(error)
    error, _s, _p = read(workbook("<row r='2'><c r='A2'><v>" + "1" * 20_000 + "</v></c></row>"), limits)
    assert "it unpacks to 21.3 KB, more than the 9.8 KB read" in str(error)
    error, _s, _p = read_table_csv("a,b,c,d\n1,2,3,4\n", limits)
    assert "at most 3 columns are read" in str(error)
    assert Limits.from_config({"SPREADSHEET_MAX_ROWS": "5", "SPREADSHEET_MAX_UNPACKED_MB": 1}) == Limits(
        max_rows=5, max_unpacked_bytes=1024 * 1024
    )


def read_table_csv(text: str, limits: Limits):
    try:
        return read_table("figures.csv", text.encode(), limits), 0, 0
    except ImportFileError as exc:
        return exc, 0, 0


def test_a_workbook_with_percentages_blank_rows_and_an_offset_start_reads_as_the_sheet_shows():
    styles = (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="9"/></cellXfs></styleSheet>'
    )
    data = workbook('<row r="3"><c r="B3" s="1"><v>0.125</v></c><c r="C3" s="2"><v>0.3</v></c></row>')
    with zipfile.ZipFile(io.BytesIO(data), "a") as book:
        book.writestr("xl/styles.xml", styles)
        rels = PARTS["xl/_rels/workbook.xml.rels"].replace(
            "</Relationships>",
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>',
        )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as book:  # again, with the styles linked
        for name, text in {**PARTS, "xl/_rels/workbook.xml.rels": rels, "xl/styles.xml": styles}.items():
            book.writestr(name, text)
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER}<row r="3"><c r="B3" s="1"><v>0.125</v></c>'
            '<c r="C3" s="2"><v>0.3</v></c></row></sheetData></worksheet>',
        )
    (rows, notes), _s, _p = read(data.getvalue())
    assert rows == [["authority", "question", "value"], ["", "", ""], ["", "12.5%", "30%"]] and notes == []


# --- the web and the command line: a clear error, nothing left behind ----------------


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_a_hostile_upload_gets_a_clear_error_and_leaves_no_file(app, login_as, campaign):  # noqa: F811
    client = login_as("admin")
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = _files(folder)
    for data, message in (
        (huge_dimension(), "at most 200 columns are read"),
        (lying_zip_bomb(), "unpacks to more than it declares"),
    ):
        response = _upload(client, campaign["id"], data, "figures.xlsx")
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html
        assert 'name="token"' not in html
        assert _files(folder) == before
    assert _count(app) == 0


def test_the_command_line_is_bounded_too(app, campaign, tmp_path):  # noqa: F811
    path = tmp_path / "figures.xlsx"
    path.write_bytes(huge_dimension())
    result = run_cli(app, "figures", "import", TITLE, str(path))
    assert result.returncode == 1 and "at most 200 columns are read" in result.stderr
    app.config["SPREADSHEET_MAX_UNPACKED_MB"] = 0.001
    result = run_cli(app, "figures", "import", TITLE, str(path))
    assert result.returncode == 1 and "larger than the 1 KB read (SPREADSHEET_MAX_UNPACKED_MB)" in result.stderr
    assert _count(app) == 0


# --- import previews within quotas --------------------------------------------------


def test_previews_keep_within_quotas_oldest_first(tmp_path):
    quotas = import_previews.Quotas(per_user=100, total=250)
    now = time.time()

    def kept(user, size, age):
        token = import_previews.keep(tmp_path, b"x" * size, "csv", user, quotas, now=now)
        os.utime(tmp_path / token, (now - age, now - age))
        return token

    a1, a2, b1 = kept(1, 40, 50), kept(1, 40, 40), kept(2, 90, 30)
    a3 = kept(1, 40, 20)  # user 1 would hold 120 of 100: their oldest goes
    assert not (tmp_path / a1).exists() and (tmp_path / a2).exists() and (tmp_path / b1).exists()
    c1 = kept(3, 90, 10)  # 170 + 90 > 250: the oldest of anyone's goes (a2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([b1, a3, c1])
    with pytest.raises(import_previews.PreviewQuotaError, match=r"larger than the .* you may keep for previews"):
        import_previews.keep(tmp_path, b"x" * 101, "csv", 1, quotas, now=now)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([b1, a3, c1])  # nothing lost for a refusal
    stale = kept(2, 1, 0)
    os.utime(tmp_path / stale, (now - 25 * 3600, now - 25 * 3600))
    kept(4, 1, 0)  # each upload sweeps what is a day old
    assert not (tmp_path / stale).exists()
    assert import_previews.find(tmp_path, b1, 2) == tmp_path / b1
    assert import_previews.find(tmp_path, b1, 1) is None  # someone else's
    assert import_previews.find(tmp_path, "../" + b1, 2) is None


def test_an_upload_over_the_preview_quota_says_so_and_keeps_nothing(app, login_as, campaign):  # noqa: F811
    from tests.test_figures_import import GOOD_CSV

    app.config["IMPORT_PREVIEWS_MAX_MB_PER_USER"] = len(GOOD_CSV) / 2 / (1024 * 1024)
    client = login_as("admin")
    response = _upload(client, campaign["id"], GOOD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "you may keep for previews" in html and 'name="token"' not in html
    assert _files(Path(app.config["UPLOAD_FOLDER"]) / "figure-imports") == []
