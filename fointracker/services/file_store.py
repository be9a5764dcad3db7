"""The content-addressed file store (#16): every document's bytes stored once, under their SHA-256.

Attachment, MailAttachment and MailMessage.raw_sha256 name content by its SHA-256; several rows may
name the same blob (the same PDF sent to three councils, a reply's attachment filed as a step's
document). Edges build the store with `FileStore.from_config(app.config)` and pass it to services.

Two places for the bytes, chosen by FILE_STORE:
- "folder" (default): a file UPLOAD_FOLDER/store/<first 2 hex>/<sha256>, written under a temporary
  name, fsync'd, then renamed into place (a reader never sees half a file; two writers of the same
  bytes write the same file).
- "database": the `stored_file` row's `data` (PostgreSQL BYTEA, SQLite BLOB), so that several web
  hosts behind a load balancer share nothing but PostgreSQL.

Either way every blob has a `stored_file` row (sha256, size, created_at; `data` NULL in the folder
store), written in the caller's transaction with INSERT .. ON CONFLICT DO NOTHING. One index of
what is stored, whatever the mode, so a check, a move between the stores or a garbage collection
reads one table, and a read falls back from one place to the other (an install that switched
modes still reads what it stored before). The cost is one small INSERT per new blob.

Nothing here deletes a blob: rows that stop naming one (a removed step, a deleted request) leave it
in place, like the files of removed steps before the store. A blob written for a transaction that
then rolled back is an orphan: harmless, never named by any row. (Deleting "our" blob after a
rollback could race with another transaction that found the same bytes already stored.)

Sizes are bounded (FILE_STORE_MAX_BYTES; uploads are bounded again by MAX_CONTENT_LENGTH, mail by
its MailLimits). `read` checks the bytes against their name: a missing or damaged blob raises
BlobMissing / BlobDamaged, never returns something else.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import StoredFile

MODES = ("folder", "database")
#: The largest blob, unless FILE_STORE_MAX_BYTES says otherwise: above an upload (MAX_CONTENT_LENGTH,
#: 25 MB by default) and a whole incoming message (MailLimits.max_bytes, 30 MB).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
CHUNK = 1024 * 1024
TEMP_PREFIX = ".incoming-"  # temporary files in the folder store (services.backup leaves them out)
SHA256 = re.compile(r"[0-9a-f]{64}")


class FileStoreError(RuntimeError):
    """The store cannot give back what a row names; the message says which blob and where it looked."""


class BlobMissing(FileStoreError):
    pass


class BlobDamaged(FileStoreError):
    pass


class BlobTooLarge(ValueError):
    def __init__(self, limit: int):
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        super().__init__(f"larger than the {size} limit")
        self.limit = limit


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


@dataclass(frozen=True)
class FileStore:
    folder: Path  # the folder store's root (used by "database" mode only to read blobs stored before a switch)
    mode: str = "folder"
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"FILE_STORE must be one of {', '.join(MODES)}, not {self.mode!r}")

    @classmethod
    def from_config(cls, config: Mapping) -> FileStore:
        return cls(
            Path(config["UPLOAD_FOLDER"]) / "store",
            str(config.get("FILE_STORE") or "folder").strip().lower(),
            int(config.get("FILE_STORE_MAX_BYTES") or DEFAULT_MAX_BYTES),
        )

    # --- writing --------------------------------------------------------------------------------------

    def put(self, session: Session, data: bytes) -> StoredBlob:
        """Store `data` (once: the same bytes again are not written twice) and say its name."""
        if len(data) > self.max_bytes:
            raise BlobTooLarge(self.max_bytes)
        blob = StoredBlob(hashlib.sha256(data).hexdigest(), len(data))
        if self.mode == "folder":
            path = self.path(blob.sha256)
            if not path.is_file():
                fd, temp = self._temp_file()
                try:
                    with os.fdopen(fd, "wb") as out:
                        out.write(data)
                        _sync(out)
                    _move_in(Path(temp), path)
                except BaseException:
                    Path(temp).unlink(missing_ok=True)
                    raise
            _record(session, blob, None)
        elif not session.scalar(
            select(StoredFile.sha256).where(StoredFile.sha256 == blob.sha256, StoredFile.data.is_not(None))
        ):  # (stored already: the bytes need not cross the wire again)
            _record(session, blob, data)
        return blob

    def put_stream(self, session: Session, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        """Store what `stream` holds, read in chunks, refusing more than `max_bytes` (and the store's
        own limit) with BlobTooLarge before anything is stored. The folder store never holds it all
        in memory; the database store must (a BYTEA value is written whole)."""
        limit = min(self.max_bytes, max_bytes) if max_bytes is not None else self.max_bytes
        if self.mode == "database":
            data = stream.read(limit + 1)
            if len(data) > limit:
                raise BlobTooLarge(limit)
            return self.put(session, data)
        digest, size = hashlib.sha256(), 0
        fd, temp = self._temp_file()
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise BlobTooLarge(limit)
                    digest.update(chunk)
                    out.write(chunk)
                _sync(out)
            blob = StoredBlob(digest.hexdigest(), size)
            path = self.path(blob.sha256)
            if path.is_file():
                os.unlink(temp)
            else:
                _move_in(Path(temp), path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _record(session, blob, None)
        return blob

    def _temp_file(self) -> tuple[int, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.folder)

    # --- reading --------------------------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """Where the folder store keeps (or would keep) this blob."""
        if not SHA256.fullmatch(sha256 or ""):
            raise BlobMissing(f"{sha256!r} is not the name of a stored file (a SHA-256 in hex)")
        return self.folder / sha256[:2] / sha256

    def locate(self, session: Session, sha256: str) -> Path | bytes:
        """The blob for a download: a file to stream (folder store) or its bytes (database store)."""
        path = self.path(sha256)
        if self.mode == "folder" and path.is_file():
            return path
        data = session.scalar(select(StoredFile.data).where(StoredFile.sha256 == sha256))
        if data is not None:
            return _checked(sha256, bytes(data), "in the database")
        if path.is_file():
            return path
        raise self._missing(session, sha256)

    def read(self, session: Session, sha256: str) -> bytes:
        """The blob's bytes, checked against its name."""
        found = self.locate(session, sha256)
        if isinstance(found, bytes):
            return found
        try:
            return _checked(sha256, found.read_bytes(), f"at {found}")
        except FileNotFoundError:  # gone between looking and reading
            raise self._missing(session, sha256) from None

    def exists(self, session: Session, sha256: str) -> bool:
        try:
            self.locate(session, sha256)
        except BlobMissing:
            return False
        return True

    def _missing(self, session: Session, sha256: str) -> BlobMissing:
        known = session.scalar(select(StoredFile.size).where(StoredFile.sha256 == sha256))
        where = f"not in the database and no file {self.path(sha256)}"
        if known is None:
            return BlobMissing(f"stored file {sha256} is not in the file store ({where})")
        return BlobMissing(
            f"stored file {sha256} ({known} bytes) is recorded but its bytes are missing ({where}): "
            "restore it from a backup"
        )


def _checked(sha256: str, data: bytes, where: str) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobDamaged(f"stored file {sha256} {where} is damaged: its bytes no longer match their SHA-256")
    return data


def _record(session: Session, blob: StoredBlob, data: bytes | None) -> None:
    """The blob's stored_file row, in the caller's transaction; an existing row is kept (and given the
    bytes if it has none: the database store taking over a blob the folder store wrote)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values = {"sha256": blob.sha256, "size": blob.size, "data": data, "created_at": clock.now()}
    inserted = session.execute(insert(StoredFile).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    if data is not None and inserted.rowcount == 0:
        session.execute(
            update(StoredFile)
            .where(StoredFile.sha256 == blob.sha256, StoredFile.data.is_(None))
            .values(data=data)
            .execution_options(synchronize_session=False)
        )


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _move_in(temp: Path, path: Path) -> None:
    """A complete, synced temporary file renamed to its content's name (readers never see half a
    file; two writers of the same bytes put the same file in place)."""
    path.parent.mkdir(exist_ok=True)
    os.chmod(temp, 0o640)
    os.replace(temp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """A rename or new file in `path` survives a crash (services.backup uses it too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
