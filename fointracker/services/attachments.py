"""Documents attached to timeline events.

Their bytes live in the content-addressed file store (services/file_store.py), named by their
SHA-256, outside the web root; the name the user gave is kept only as data, for display and as the
download name. Several attachments may name the same content.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from typing import BinaryIO

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from ..models import Attachment, RequestEvent
from .file_store import BlobTooLarge, FileStore, StoredBlob

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


def store_upload(
    session: Session, upload: FileStorage, store: FileStore, max_bytes: int
) -> tuple[str, str, StoredBlob]:
    """Put the upload in the file store, read in chunks; refuse empty or oversized files.

    Returns (display name, content type, blob)."""
    name = check_upload(upload)
    first = upload.stream.read(1)
    if not first:
        raise AttachmentError(f"{name}: the file is empty")
    try:
        blob = store.put_stream(session, _Prepended(first, upload.stream), max_bytes)
    except BlobTooLarge as exc:
        raise AttachmentError(f"{name}: {exc}") from None
    # From the allowed extension, never the client's claim (a "text/html" PDF must not come back as a page).
    content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    return name, content_type, blob


class _Prepended:
    """A stream with a few bytes already read put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(n)
        head, self.head = self.head, b""
        if n < 0:
            return head + self.rest.read()
        return head + self.rest.read(max(n - len(head), 0)) if n > len(head) else head


def attach(
    session: Session,
    event: RequestEvent,
    uploads: list[FileStorage],
    store: FileStore,
    max_bytes: int,
    user_id: int | None,
) -> list[Attachment]:
    """Put the files in the store and add their rows to the session (the caller commits).

    All files are checked before any is stored: one bad file refuses them all. A refused or rolled
    back upload may leave a blob no row names: harmless (file_store's docstring says why nothing
    deletes it)."""
    uploads = [u for u in uploads if u and u.filename]
    for upload in uploads:
        check_upload(upload)
    added = []
    for upload in uploads:
        name, content_type, blob = store_upload(session, upload, store, max_bytes)
        added.append(attach_stored(session, event, name, content_type, blob, user_id))
    return added


def attach_stored(
    session: Session,
    event: RequestEvent,
    filename: str,
    content_type: str,
    blob: StoredBlob,
    user_id: int | None,
) -> Attachment:
    """A document on `event` naming content already in the file store (mail filing: a message's
    text and attachments become the step's documents, stored once)."""
    attachment = Attachment(
        original_name=display_name(filename)[:255],
        content_type=(content_type or "application/octet-stream")[:120],
        size=blob.size,
        sha256=blob.sha256,
        uploaded_by_id=user_id,
    )
    event.attachments.append(attachment)
    session.flush()
    return attachment
