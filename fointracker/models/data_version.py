from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DataVersion(db.Model):
    """One row (id 1) on PostgreSQL: a number that every committed transaction writing to the
    app's tables moves on, in that same transaction (migration 0007's triggers). The per-process
    caches of services.read_cache are keyed on it. Unused on SQLite, where PRAGMA data_version
    does the same job."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
