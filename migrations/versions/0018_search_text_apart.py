"""search text apart: PostgreSQL's trigram indexes move off foi_request

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 17:05:00

Migration 0011 put pg_trgm GIN indexes on foi_request's reference, subject and body. Every new
version of a row writes every index of the table, and a deadline column changing is never a HOT
update (the dashboard's covering index holds them), so each write of a request (a timeline step,
a status, a recompute after a bank holiday changes) extracted the trigrams of its whole letter
again. With letters of ~1,400 characters, an UPDATE of 6,623 requests' due dates took 1.0–1.3 s,
and 0.24–0.30 s without those indexes (issue #14; bench_recompute.py's fixture has empty letters).

PostgreSQL: the three columns are copied into request_search_text (one row per request, kept in
step by a trigger that fires only when one of them changes), and the trigram indexes are there.
services.request_search finds the matching requests through it. SQLite is unchanged: its FTS5
table (0011) is already apart, and external content.

The name begins with request_search, as 0011's SQLite tables do: migration 0012's campaign-version
triggers are not put on it (a write to it is a write to foi_request, which moves the numbers), and
autogenerate leaves it alone (services.request_search.SEARCH_INDEX_NAMES).
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = ("council_reference", "subject", "body")
OLD_INDEXES = {column: f"ix_foi_request_{column}_trgm" for column in COLUMNS}  # 0011's
NEW_INDEXES = {column: f"ix_request_search_text_{column}_trgm" for column in COLUMNS}
CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE TABLE request_search_text (
            request_id integer PRIMARY KEY REFERENCES foi_request (id) ON DELETE CASCADE ON UPDATE CASCADE,
            council_reference varchar(100),
            subject varchar(300),
            body text
        )"""
    )
    op.execute(
        "INSERT INTO request_search_text (request_id, council_reference, subject, body) "
        "SELECT id, council_reference, subject, body FROM foi_request"
    )
    op.execute(
        """CREATE FUNCTION fointracker_copy_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO request_search_text (request_id, council_reference, subject, body)
            VALUES (NEW.id, NEW.council_reference, NEW.subject, NEW.body)
            ON CONFLICT (request_id) DO UPDATE SET council_reference = EXCLUDED.council_reference,
                subject = EXCLUDED.subject, body = EXCLUDED.body;
            RETURN NULL;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER request_search_text_insert AFTER INSERT ON foi_request "
        "FOR EACH ROW EXECUTE FUNCTION fointracker_copy_search_text()"
    )
    op.execute(
        f"CREATE TRIGGER request_search_text_update AFTER UPDATE OF {', '.join(COLUMNS)} ON foi_request "
        f"FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION fointracker_copy_search_text()"
    )
    for column, name in NEW_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON request_search_text USING gin ({column} gin_trgm_ops)")
    for name in OLD_INDEXES.values():
        op.execute(f"DROP INDEX {name}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, name in OLD_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON foi_request USING gin ({column} gin_trgm_ops)")
    op.execute("DROP TRIGGER request_search_text_update ON foi_request")
    op.execute("DROP TRIGGER request_search_text_insert ON foi_request")
    op.execute("DROP FUNCTION fointracker_copy_search_text()")
    op.execute("DROP TABLE request_search_text")
