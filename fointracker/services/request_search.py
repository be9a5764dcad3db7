"""The request list's text search, served by indexes.

A request matches when `q` is a case-insensitive substring of its reference, subject or body, or of
its council's official name, short name or code, with `%` and `_` taken literally: exactly the rows
of the plain scan, `column.icontains(q, autoescape=True)` OR'ed over the six columns
(tests/test_request_search.py compares the two on many queries). The indexes (migration 0011) only
narrow where the database looks:

- An OR across the join (council columns OR request columns) can use no index: the councils (a few
  hundred rows) are scanned first, and the condition on foi_request is "its own columns match OR its
  authority_id is one of those councils", each arm served by an index on foi_request.
- PostgreSQL: `reference, subject or body ILIKE '%q%'` (icontains there) on request_search_text,
  the three columns' copy that migration 0018 keeps beside foi_request (so that a write of a
  request's dates or status does not extract its letter's trigrams again), served by pg_trgm GIN
  indexes there; the requests are then `id = ANY (ARRAY(those))` OR `authority_id = ANY
  (ARRAY(the matching councils))`: two conditions on foi_request's own indexed columns, which the
  planner combines (BitmapOr). The trigram index is lossy; the recheck of the same conditions
  keeps the result exact. Queries with no trigram in them (one or two characters) are left to the
  planner.
- SQLite: the FTS5 trigram table request_search (external content: foi_request) finds candidates for
  queries of 3+ characters (a trigram index finds nothing shorter: those fall back to the scan, as
  does the rare query with a NUL, which web.py refuses anyway).
  FTS5 folds the case of all Unicode letters, SQLite's lower() and LIKE only ASCII, so FTS5 can find
  more ("É" for "é"), never fewer (both fold one character at a time, and FTS5's folding includes
  ASCII's). So the candidates, FTS5's OR the matching councils' requests, are rechecked with the
  scan's own condition.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, String, and_, any_, column, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from ..models import Authority, FoiRequest

REQUEST_COLUMNS = (FoiRequest.council_reference, FoiRequest.subject, FoiRequest.body)
AUTHORITY_COLUMNS = (Authority.official_name, Authority.short_name, Authority.code)
#: A trigram index can only find substrings of at least three characters.
FTS_MIN_LENGTH = 3

_request_search = table("request_search", column("rowid", Integer))
_search_text = table(  # PostgreSQL (migration 0018)
    "request_search_text",
    column("request_id", Integer),
    *(column(c.key, String) for c in REQUEST_COLUMNS),
)


def contains_any(columns, q: str) -> ColumnElement[bool]:
    """The plain scan's test: `q` a case-insensitive substring of any of `columns`, `%` and `_` literal."""
    return or_(*(c.icontains(q, autoescape=True) for c in columns))


def fts_phrase(q: str) -> str:
    """`q` as an FTS5 phrase: quoted, so that nothing in it is query syntax (a `"` is doubled)."""
    return '"' + q.replace('"', '""') + '"'


def search_condition(session: Session, q: str) -> ColumnElement[bool]:
    """A WHERE condition for the requests that `q` matches, on FoiRequest joined to its Authority (as
    the list's query is). See the module docstring."""
    councils = select(Authority.id).where(contains_any(AUTHORITY_COLUMNS, q))
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Both arms on foi_request's own indexed columns: one BitmapOr of two index scans.
        texts = select(_search_text.c.request_id).where(
            contains_any([_search_text.c[c.key] for c in REQUEST_COLUMNS], q)
        )
        of_texts = FoiRequest.id == any_(func.array(texts.scalar_subquery()))
        of_councils = FoiRequest.authority_id == any_(func.array(councils.scalar_subquery()))
        return or_(of_texts, of_councils)
    if dialect != "sqlite" or len(q) < FTS_MIN_LENGTH or "\x00" in q:  # FTS5's query parser stops at a NUL
        return scan_condition(q)
    # The candidates, a superset (FTS5's case folding is wider): SQLite reads them by a MULTI-INDEX
    # OR of the two lists. The scan's own test, on those rows only, decides.
    fts = select(_request_search.c.rowid).where(literal_column("request_search").match(fts_phrase(q)))
    candidates = or_(FoiRequest.id.in_(fts), FoiRequest.authority_id.in_(councils))
    return and_(candidates, scan_condition(q))


def scan_condition(q: str) -> ColumnElement[bool]:
    """The plain scan's condition (what the list used before the indexes; the tests compare the two),
    on FoiRequest joined to its Authority."""
    return contains_any(AUTHORITY_COLUMNS + REQUEST_COLUMNS, q)


#: What migrations 0011 and 0018 make beside the models: SQLite's FTS5 table (with its shadow
#: tables); PostgreSQL's copy of the text and its trigram indexes (before 0018, on foi_request).
SEARCH_INDEX_NAMES = frozenset(
    {"request_search", *(f"request_search_{s}" for s in ("config", "data", "docsize", "idx"))}
    | {f"ix_foi_request_{c.key}_trgm" for c in REQUEST_COLUMNS}
    | {"request_search_text", *(f"ix_request_search_text_{c.key}_trgm" for c in REQUEST_COLUMNS)}
)


def not_search_index(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name hook: autogenerate compares the models with the database, and the
    search index is in the database only (it would otherwise be dropped by `fointracker db migrate`)."""
    return name not in SEARCH_INDEX_NAMES
