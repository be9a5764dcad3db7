"""A request's audit entries in words (domain.history), with the names its ids stand for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.history import HistoryEntry, describe
from ..models import AuditEntry, Authority, Campaign, User

# The ids an audit entry may hold, and where their names are: one query per kind, for the whole page.
_NAMED = {
    "owner_id": (User, lambda user: user.display_name),
    "authority_id": (Authority, lambda council: council.short_name),
    "campaign_id": (Campaign, lambda campaign: campaign.title),
}


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    entry: HistoryEntry


def request_history(session: Session, audit: Sequence[AuditEntry]) -> list[HistoryRow]:
    """The entries (newest first, as given) in words."""
    wanted: dict[str, set] = defaultdict(set)
    for entry in audit:
        for values in (entry.before or {}, entry.after or {}):
            for field in _NAMED.keys() & values.keys():
                if isinstance(values[field], int):
                    wanted[field].add(values[field])
    names: dict[tuple[str, object], str] = {}
    for field, ids in wanted.items():
        model, name = _NAMED[field]
        for row in session.scalars(select(model).where(model.id.in_(ids))):
            names[field, row.id] = name(row)
    return [
        HistoryRow(
            entry.at,
            entry.user.display_name if entry.user else "system",
            describe(entry.action, entry.before, entry.after, lambda field, value: names.get((field, value))),
        )
        for entry in audit
    ]
