"""Tables in a text PDF (pdfplumber), page by page, within TableLimits' pages, cells and time.

A table that runs on over a page break is one table to the person reading it: the last table
on a page and the first on the next, with as many columns, the first ending low on its page
and the second starting high on its, are joined into one grid ("Pages 2–3, table 1", key
"pdf:2:1"), the header row the second page repeats left out. A PDF with no text at all is a
scan: no tables can be read from it.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from . import FileTables, TableLimits, TablesError, make_grid

MAX_PAGE_CHARS = 200_000  # a page beyond this is not a table a council typed
LOW, HIGH = 0.5, 0.5  # a continued table ends below half its page, and goes on above half the next


@dataclass
class _Found:
    first_page: int
    number: int  # its place on its first page
    last_page: int
    rows: list[list[str]]
    ends_low: bool  # its last part reaches the lower half of the page


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def read_pdf(data: bytes, limits: TableLimits) -> FileTables:
    import pdfplumber

    deadline = time.monotonic() + limits.max_seconds
    tables = FileTables()
    found: list[_Found] = []
    any_text = False
    cells = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = pdf.pages
            if len(pages) > limits.max_pages:
                tables.problems.append(f"Only the first {limits.max_pages} of {len(pages)} pages were read.")
            for number, page in enumerate(pages[: limits.max_pages], start=1):
                if time.monotonic() > deadline:
                    raise TablesError(f"took longer than {limits.max_seconds:g} seconds to read: split the file")
                chars = len(page.chars)
                any_text = any_text or chars > 0
                if chars > MAX_PAGE_CHARS:
                    tables.problems.append(
                        f"Page {number} was not read: it holds more than {MAX_PAGE_CHARS:,} characters."
                    )
                    continue
                on_page = page.find_tables()
                for index, table in enumerate(on_page, start=1):
                    rows = [[_text(v) for v in row] for row in table.extract()]
                    if not rows:
                        continue
                    cells += sum(len(r) for r in rows)
                    if cells > limits.max_cells:
                        raise TablesError(f"more than {limits.max_cells:,} cells in its tables: split the file")
                    top, bottom = table.bbox[1], table.bbox[3]
                    height = float(page.height) or 1.0
                    previous = found[-1] if found else None
                    if (
                        index == 1
                        and previous is not None
                        and previous.last_page == number - 1
                        and previous.ends_low
                        and top < HIGH * height
                        and len(rows[0]) == len(previous.rows[0])
                    ):
                        if rows[0] == previous.rows[0]:  # the header, repeated on the new page
                            rows = rows[1:]
                        previous.rows.extend(rows)
                        previous.last_page, previous.ends_low = number, bottom > LOW * height
                        continue
                    if len(found) >= limits.max_grids:
                        raise TablesError(f"more than {limits.max_grids} tables: split the file")
                    found.append(_Found(number, index, number, rows, bottom > LOW * height))
                page.close()  # frees the page's parsed objects: memory stays flat over many pages
    except TablesError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged or hostile file
        raise TablesError(f"the PDF cannot be read ({exc.__class__.__name__})") from None
    if not any_text:
        raise TablesError("no text in this PDF: it is probably a scan")
    for table in found:
        if len(table.rows) > limits.max_rows or len(table.rows[0]) > limits.max_columns:
            raise TablesError(
                f"a table has more than {limits.max_rows:,} rows or {limits.max_columns:,} columns: split the file"
            )
        pages = (
            f"Page {table.first_page}"
            if table.first_page == table.last_page
            else f"Pages {table.first_page}\u2013{table.last_page}"
        )
        tables.grids.append(
            make_grid(
                f"pdf:{table.first_page}:{table.number}", f"{pages}, table {table.number}", table.rows, sheet_refs=False
            )
        )
    if not tables.grids:
        tables.problems.append("No tables were found in this PDF.")
    return tables
