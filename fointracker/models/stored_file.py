from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db


class StoredFile(db.Model):
    """One file's bytes in the content-addressed file store (services/file_store.py), named by their
    SHA-256: what Attachment, MailAttachment and MailMessage.raw_sha256 point at. A row exists for
    every blob in either store; `data` holds the bytes in the database store and is NULL when they
    are a file in the folder store (UPLOAD_FOLDER/store/<2 hex>/<sha256>). Rows are never updated
    but to fill in `data`, and never deleted by the app (migration 0016)."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    def __repr__(self) -> str:
        return f"<StoredFile {self.sha256[:12]} {self.size} bytes>"
