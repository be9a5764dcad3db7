"""A published version's downloads, from its snapshot only (services.publishing): the tidy CSV
and an XLSX workbook (About: title, version, licence, citation, methodology; Data: the tidy
table). The project's CSV and XLSX writers (exports.csv_stream, report_exports._Sheet) neutralise
text a spreadsheet would take for a formula. No Flask, no database."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from ..exports import csv_stream
from .report_exports import NUMBER_FORMATS, _Sheet

NUMBER_COLUMNS = ("value", "low", "high")


def data_filename(snapshot: dict, extension: str) -> str:
    """<slug-free title>-v<n>.<ext>: ASCII only, safe in a header."""
    title = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in snapshot["title"].lower())
    title = "-".join(part for part in title.split("-") if part)[:50] or "report"
    return f"{title}-v{snapshot['version']}-data.{extension}"


def csv_chunks(snapshot: dict) -> Iterator[str]:
    data = snapshot["dataset"]
    return csv_stream(data["columns"], data["rows"])


def _number(text):
    """A number kept as exact text in the snapshot, as a Decimal for the workbook ("<5" stays text)."""
    if not isinstance(text, str):
        return text
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    return number if number.is_finite() else text


def xlsx_bytes(snapshot: dict, public_url: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    about = _Sheet(workbook, "About", {"A": 24, "B": 100})
    about.row(snapshot["title"], bold=True)
    if snapshot.get("publisher"):
        about.row("Published by", snapshot["publisher"])
    about.row("Version", snapshot["version"])
    about.row("Published on", date.fromisoformat(snapshot["published_on"]))
    about.row("Address", public_url)
    about.row("Licence", snapshot["licence"]["name"])
    about.row("Licence URL", snapshot["licence"]["url"])
    about.row("Suggested citation", snapshot["citation"])
    methodology = snapshot["report"].get("methodology") or {}
    for label, key in (("What was asked", "asked"), ("Of whom", "of_whom"), ("When", "when")):
        if methodology.get(key):
            about.row(label, methodology[key])
    for caveat in methodology.get("caveats", []):
        about.row("Caveat", caveat)
    data = snapshot["dataset"]
    columns = data["columns"]
    sheet = _Sheet(workbook, "Data", {"A": 10, "C": 28, "D": 20, "E": 22, "H": 40})
    sheet.ws.freeze_panes = "A2"
    sheet.header(*(name.replace("_", " ").capitalize() for name in columns))
    numeric = [columns.index(c) for c in NUMBER_COLUMNS if c in columns]
    qtype_at = columns.index("question_type")
    for row in data["rows"]:
        cells = list(row)
        number_format = NUMBER_FORMATS.get(row[qtype_at])
        if number_format:
            for index in numeric:
                cells[index] = _number(cells[index])
        sheet.row(*cells, formats=dict.fromkeys(numeric, number_format) if number_format else None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
