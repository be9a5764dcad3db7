"""The rows a use case wrote, comparable between two runs of it (tests/test_batch.py and
tests/test_bulk_and_export.py compare the bulk paths with the one-request-at-a-time ones)."""

from __future__ import annotations

from sqlalchemy import JSON, Text, cast, select

from fointracker.models import AuditEntry, Authority, FoiRequest, Reminder, RequestEvent

WRITTEN = (FoiRequest, RequestEvent, Reminder, AuditEntry)
MOMENTS = {"id", "created_at", "updated_at", "at"}  # differ between two runs by nature


def written_rows(session) -> dict[str, list[tuple]]:
    """Every row of the tables a request's changes write, in id order, with request ids as
    council codes (ids differ between runs on PostgreSQL, whose sequences do not roll back) and
    JSON as stored text (so that SQL NULL and JSON null differ). A request's council must be
    unique among the requests."""
    code_of = dict(session.execute(select(FoiRequest.id, Authority.code).join(FoiRequest.authority)).all())
    assert len(set(code_of.values())) == len(code_of), "two requests to one council"
    tables = {}
    for model in WRITTEN:
        table = model.__table__
        columns = [
            cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c
            for c in table.columns
            if c.name not in MOMENTS
        ]
        rows = []
        for row in session.execute(select(*columns).order_by(table.c.id)).mappings():
            row = dict(row)
            if "request_id" in row:
                row["request_id"] = code_of[row["request_id"]]
            if row.get("entity_type") == "request":
                row["entity_id"] = code_of[row["entity_id"]]
            rows.append(tuple(sorted(row.items())))
        tables[table.name] = rows
    return tables
