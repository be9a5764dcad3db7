"""search indexes: the request list's text search

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:20:00

The list's search (services.request_search) looked for a substring of six columns by reading every
request: 385 ms at 50,000 requests on PostgreSQL (benchmarks/bench_search.py). It now finds the
requests by their own reference, subject and body through an index (the councils, a few hundred
rows, are still read whole):

- PostgreSQL: pg_trgm GIN indexes on the three columns, which serve the search's own
  `column ILIKE '%q%'` (what SQLAlchemy's icontains is there). pg_trgm is a trusted extension
  (PostgreSQL 13+): the database's owner may create it. Downgrade leaves the extension (it holds
  no data; other objects may use it).
- SQLite: request_search, an FTS5 table with the trigram tokenizer (SQLite 3.34+) over the same
  three columns, with foi_request as its external content (the text is not stored twice), kept in
  step by the three triggers below, and filled here from the existing requests.

A later migration that rebuilds foi_request on SQLite (batch_alter_table copies, drops and renames
it) loses these triggers with the old table and must create them again (SQLITE_TRIGGERS);
tests/test_request_search.py checks that writes through the app still reach the index.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("council_reference", "subject", "body")
PG_INDEXES = {column: f"ix_foi_request_{column}_trgm" for column in COLUMNS}

# An external-content FTS5 table is given the old text to take out ('delete'). Only writes to the
# searched columns touch the index (a status change does not).
SQLITE_TRIGGERS = {
    "request_search_insert": """AFTER INSERT ON foi_request BEGIN
        INSERT INTO request_search (rowid, council_reference, subject, body)
        VALUES (new.id, new.council_reference, new.subject, new.body);
    END""",
    "request_search_delete": """AFTER DELETE ON foi_request BEGIN
        INSERT INTO request_search (request_search, rowid, council_reference, subject, body)
        VALUES ('delete', old.id, old.council_reference, old.subject, old.body);
    END""",
    "request_search_update": """AFTER UPDATE OF id, council_reference, subject, body ON foi_request BEGIN
        INSERT INTO request_search (request_search, rowid, council_reference, subject, body)
        VALUES ('delete', old.id, old.council_reference, old.subject, old.body);
        INSERT INTO request_search (rowid, council_reference, subject, body)
        VALUES (new.id, new.council_reference, new.subject, new.body);
    END""",
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column, name in PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON foi_request USING gin ({column} gin_trgm_ops)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE request_search USING fts5(council_reference, subject, body, "
        "content='foi_request', content_rowid='id', tokenize='trigram')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO request_search (request_search) VALUES ('rebuild')")  # the existing requests


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_INDEXES.values():
            op.execute(f"DROP INDEX {name}")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE request_search")
