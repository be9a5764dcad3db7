"""CSV exports, shared by every area that offers one.

Cells are neutralised against formula injection (a council name or a subject typed as
`=HYPERLINK(...)` must not run when the file is opened in a spreadsheet), and files are
produced as a stream of text chunks, so an export never holds the whole table in memory.
Pure module: no Flask, no database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

# What spreadsheets read as the start of a formula (OWASP's list: = + - @, and tab and
# carriage return, which some of them strip before looking).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ROWS_PER_CHUNK = 200


def neutralise(value) -> str:
    """One cell as text: None is empty, dates are ISO, booleans true/false, and text that a
    spreadsheet would take for a formula is prefixed with a single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)  # numbers are data, even negative ones
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_stream(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV text for `header` and `rows`, in chunks of ROWS_PER_CHUNK rows.

    Rows are read lazily, one at a time, so a generator over a database cursor streams.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    pending = 1
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
        pending += 1
        if pending >= ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
