"""The files that come with a reply (#16): names safe to show, what a ZIP holds (listed, never
extracted), and Outlook's winmail.dat (TNEF) opened into the files it carries when tnefparse can
read it. Names are for display and download only, never a path on disk."""

from __future__ import annotations

import io
import mimetypes
import re
import zipfile

from tnefparse.tnef import TNEF

from .decoding import decode_bytes, decode_header_value, one_line

MAX_FILENAME_CHARS = 180
MAX_NOTE_CHARS = 500
MAX_LISTED_MEMBERS = 30
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


def safe_filename(name: str | None, content_type: str = "application/octet-stream") -> str:
    """A name to show and offer on download: no folders, no control or direction-override
    characters, bounded (the extension kept), never empty."""
    name = one_line(decode_header_value(name or ""), 1000)
    name = re.split(r"[/\\]", name)[-1]  # "..\..\evil.exe" or "C:\Users\x\report.pdf" keep their last part
    name = name.strip(" .")
    if not name:
        extension = mimetypes.guess_extension(content_type or "") or ".bin"
        return "attachment" + extension
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 2] + "…." + extension
        else:
            name = name[: MAX_FILENAME_CHARS - 1] + "…"
    return name


def is_zip(filename: str, content_type: str) -> bool:
    return content_type in ZIP_TYPES or filename.lower().endswith(".zip")


def is_tnef(filename: str, content_type: str) -> bool:
    return content_type in TNEF_TYPES or filename.lower() == "winmail.dat"


def bounded_note(text: str) -> str:
    return text if len(text) <= MAX_NOTE_CHARS else text[: MAX_NOTE_CHARS - 1] + "…"


def _listing(names: list[str], total: int | None = None) -> str:
    shown = ", ".join(names[:MAX_LISTED_MEMBERS])
    more = (len(names) if total is None else total) - min(len(names), MAX_LISTED_MEMBERS)
    return shown + (f" and {more} more" if more > 0 else "")


def zip_note(data: bytes) -> str:
    """What a ZIP holds, by name, from its directory alone (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "not a readable ZIP file: kept as it came"
    if not members:
        return "an empty ZIP file"
    names = [one_line(info.filename, 120) or "(no name)" for info in members[: MAX_LISTED_MEMBERS + 1]]
    noun = "file" if len(members) == 1 else "files"
    return bounded_note(f"ZIP holds {len(members)} {noun}: {_listing(names, len(members))}")


def _tnef_name(attachment) -> str:
    for read in (attachment.long_filename, lambda: attachment.name):
        try:
            name = read()
        except Exception:  # tnefparse decodes names as UTF-8 and may fail on others
            continue
        if isinstance(name, bytes):
            name = decode_bytes(name.rstrip(b"\x00"))[0]
        if isinstance(name, str) and name.strip("\x00 "):
            return name.strip("\x00 ")
    raw = getattr(attachment, "_name", b"")
    return decode_bytes(raw.rstrip(b"\x00"))[0] if isinstance(raw, bytes) else ""


def tnef_files(data: bytes) -> tuple[list[tuple[str, str, bytes]], str]:
    """The files inside a winmail.dat as (filename, content type, bytes), and a note when there
    are none to take out (then the winmail.dat itself is kept, with that note)."""
    try:
        tnef = TNEF(data, do_checksum=False)
        files = []
        for attachment in tnef.attachments:
            content = attachment.data
            if not isinstance(content, bytes) or not content:
                continue
            name = safe_filename(_tnef_name(attachment))
            files.append((name, mimetypes.guess_type(name)[0] or "application/octet-stream", content))
    except Exception:  # tnefparse on hostile bytes raises anything (IndexError, struct.error, ValueError...)
        return [], "Outlook winmail.dat (TNEF) that could not be read: kept as it came"
    if not files:
        has_body = bool(getattr(tnef, "body", None) or getattr(tnef, "htmlbody", None) or tnef._rtfbody)
        if has_body:
            return [], "Outlook winmail.dat (TNEF) holding only the message's formatted text, no files"
        return [], "Outlook winmail.dat (TNEF) holding no files"
    return files, ""


def tnef_origin_note(filenames: list[str]) -> str:
    return bounded_note("came inside winmail.dat (Outlook TNEF), with: " + _listing(filenames))
