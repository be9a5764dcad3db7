"""Documents attached to timeline events.

Files are stored under random names in the upload folder (outside the web root);
the name the user gave is kept only as data, for display and as the download name.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ..models import Attachment, RequestEvent

ALLOWED_EXTENSIONS = {
    "pdf",
    "csv",
    "txt",
    "rtf",
    "xls",
    "xlsx",
    "ods",
    "doc",
    "docx",
    "odt",
    "eml",
    "msg",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "tif",
    "tiff",
    "zip",
}


class AttachmentError(ValueError):
    pass


@dataclass
class StoredFile:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def display_name(raw: str) -> str:
    """The user's file name made harmless: no directories, no control characters, bounded length."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    name = name.lstrip(".") or "document"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot else name[:200]
    return name


def check_upload(upload: FileStorage) -> str:
    """The cleaned display name, or AttachmentError saying why the file is refused."""
    name = display_name(upload.filename or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise AttachmentError(
            f"{name}: files of this type are not accepted (allowed: " + ", ".join(sorted(ALLOWED_EXTENSIONS)) + ")"
        )
    return name


def store(upload: FileStorage, folder: str | os.PathLike, max_bytes: int) -> StoredFile:
    """Write the upload under a random name; refuse empty or oversized files (nothing left behind)."""
    name = check_upload(upload)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    target = folder / stored_name
    digest, size = hashlib.sha256(), 0
    try:
        with open(target, "xb") as out:
            while chunk := upload.stream.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentError(f"{name}: larger than the {max_bytes // (1024 * 1024)} MB limit")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise AttachmentError(f"{name}: the file is empty")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    # From the allowed extension, never the client's claim (a "text/html" PDF must not come back as a page).
    content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    return StoredFile(name, stored_name, content_type, size, digest.hexdigest())


def attach(
    session: Session, event: RequestEvent, uploads: list[FileStorage], folder, max_bytes: int, user_id: int | None
) -> list[Path]:
    """Store files and add their rows to the session (the caller commits).

    Returns the paths written, so the caller can delete them if its commit fails.
    All files are checked before any is written: one bad file refuses them all.
    """
    uploads = [u for u in uploads if u and u.filename]
    for upload in uploads:
        check_upload(upload)
    written: list[Path] = []
    try:
        for upload in uploads:
            stored = store(upload, folder, max_bytes)
            written.append(Path(folder) / stored.stored_name)
            event.attachments.append(
                Attachment(
                    original_name=stored.original_name,
                    stored_name=stored.stored_name,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    uploaded_by_id=user_id,
                )
            )
    except BaseException:
        discard(written)
        raise
    return written


def discard(paths: list[Path]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)
