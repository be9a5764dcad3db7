"""The content-addressed file store (#16): every document's bytes stored once under their
SHA-256. (First cut, folder only: helper S adds the PostgreSQL store, Attachment, backups.)

Edges build one with `FileStore.from_config(app.config)` and pass it to the services."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


@dataclass(frozen=True)
class FileStore:
    folder: Path

    @classmethod
    def from_config(cls, config: Mapping) -> FileStore:
        return cls(Path(config["UPLOAD_FOLDER"]) / "store")

    def _path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    def put(self, session: Session, data: bytes) -> StoredBlob:
        """Store `data` (once: the same bytes again are not written twice) and say its name."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return StoredBlob(sha, len(data))

    def read(self, session: Session, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()
