"""data version: a counter every committed write moves on (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 23:55:00

services.read_cache keeps the dashboard's counts and the report page per worker process, and
serves them only while the database holds the same data. On SQLite, PRAGMA data_version tells
that. PostgreSQL's own measure, the snapshot, is cluster-wide: every commit in any database of
the server (or autovacuum's) would drop the caches. So on PostgreSQL a one-row table,
data_version, is moved on by every transaction that writes to the app's tables, as it commits:

- a deferred constraint trigger on each table, for each row inserted, updated or deleted: it
  runs at COMMIT, in the committing transaction, so the new number becomes visible exactly
  when the data does; the first one of a transaction bumps the number (a transaction-local
  setting skips the rest). At commit a transaction waits for nothing else, so waiting for the
  counter's row lock cannot deadlock; commits that write are serialised for that one update.
- a statement trigger for TRUNCATE (which row triggers do not see).

The number is max(n + 1, microseconds since 1970): it never repeats a value it had, even after a
restore from an older backup or a TRUNCATE of the table (the next write re-creates the row).

Not counted: scheduler_lease (the scheduler's heartbeat, every 30 s) and login_attempt (each
login), which no cached page reads; a cache of a page that reads them must count them first.
Every other table must be counted: tests/test_read_cache.py checks it, so a new table's
migration adds `count_writes(table)`, as below.

Superseded by 0012 (a number per campaign, on both backends): a table created after 0012 calls
0012's `count_campaign_writes(table)` instead.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NOT_COUNTED = ("alembic_version", "data_version", "scheduler_lease", "login_attempt")

BUMP_FUNCTION = """
CREATE FUNCTION fointracker_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fointracker.data_version_bumped', true) = 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('fointracker.data_version_bumped', 'yes', true);
    INSERT INTO data_version (id, n) VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (id) DO UPDATE SET n = greatest(data_version.n + 1, excluded.n);
    RETURN NULL;
END
$$
"""


def count_writes(table: str) -> None:
    op.execute(
        f'CREATE CONSTRAINT TRIGGER data_version_rows AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fointracker_bump_data_version()"
    )
    op.execute(
        f'CREATE TRIGGER data_version_truncate AFTER TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION fointracker_bump_data_version()"
    )


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, n) VALUES (1, 0)")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(BUMP_FUNCTION)
    for table in sorted(set(sa.inspect(bind).get_table_names()) - set(NOT_COUNTED)):
        count_writes(table)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in sorted(set(sa.inspect(bind).get_table_names()) - set(NOT_COUNTED)):
            op.execute(f'DROP TRIGGER IF EXISTS data_version_rows ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS data_version_truncate ON "{table}"')
        op.execute("DROP FUNCTION fointracker_bump_data_version()")
    op.drop_table("data_version")
