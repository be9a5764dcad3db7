"""Two identical submits at once: both pass a service's "already exists" check before either
commits, and the second insert then breaks the unique key (an IntegrityError, a 500). Wrapped
in `refused_on_clash`, the second one gets the refusal the check would have given it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from ..models import Campaign


def _sqlite_columns(constraint: str) -> str | None:
    """SQLite names a unique key's columns, not the key: "campaign.title" for uq_campaign_title."""
    for table in Campaign.metadata.tables.values():
        for candidate in table.constraints:
            if candidate.name == constraint:
                return ", ".join(f"{table.name}.{column.name}" for column in candidate.columns)
    return None


def breaks(error: IntegrityError, constraint: str) -> bool:
    """Whether the IntegrityError is this unique key's (PostgreSQL names it; SQLite its columns)."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == constraint
    columns = _sqlite_columns(constraint)
    return columns is not None and str(error.orig) == f"UNIQUE constraint failed: {columns}"


@contextmanager
def refused_on_clash(constraint: str, refusal: Callable[[], Exception]):
    """An IntegrityError on `constraint` inside becomes `refusal()` (the caller rolls back, as
    for any refusal). Also a decorator: `@refused_on_clash("uq_campaign_title", lambda: …)`."""
    try:
        yield
    except IntegrityError as exc:
        if breaks(exc, constraint):
            raise refusal() from None
        raise
