"""Loading the council register into the database and editing councils."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Authority
from ..register import COLUMNS, AuthorityRecord, read_register
from .audit import record, snapshot

# Register columns copied onto Authority (all but the key). The FOI address, its source and the
# day it was checked are ours (the council page, services.contacts), never overwritten.
REGISTER_FIELDS = tuple(column for column in COLUMNS if column != "code")
EDITABLE_FIELDS = ("official_name", "short_name", "foi_email", "foi_email_source", "foi_email_checked_on", "website")


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _values(rec: AuthorityRecord) -> dict:
    values = {name: getattr(rec, name) for name in REGISTER_FIELDS}
    values["replaced_by"] = ",".join(rec.replaced_by)
    values["alt_names"] = "|".join(rec.alt_names)
    return values


def import_register(session: Session, source=None) -> ImportSummary:
    """Idempotent upsert by code. The file is validated whole first; the caller commits."""
    records = read_register(source)
    existing = {a.code: a for a in session.scalars(select(Authority))}
    summary = ImportSummary()
    for rec in records:
        values = _values(rec)
        authority = existing.get(rec.code)
        if authority is None:
            session.add(Authority(code=rec.code, **values))
            summary.created += 1
        elif any(getattr(authority, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(authority, key, value)
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    return summary


def update_authority(session: Session, authority: Authority, changes: dict, user_id: int | None) -> None:
    before = snapshot(authority, EDITABLE_FIELDS)
    for key in EDITABLE_FIELDS:
        if key not in changes:
            continue
        value = changes[key]
        setattr(authority, key, value if key == "foi_email_checked_on" else (value or "").strip())
    record(
        session,
        user_id=user_id,
        entity_type="authority",
        entity_id=authority.id,
        action="updated",
        before=before,
        after=snapshot(authority, EDITABLE_FIELDS),
    )
    session.flush()
