"""campaign versions: a number per campaign that writes to its data move on (replaces 0007's data_version)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:00:00

services.read_cache keeps the report and the dashboard per worker process, and serves them only
while the data they were computed from is unchanged. 0007 keyed them on one install-wide number:
on PostgreSQL every writing commit queued on its one row, and any write anywhere dropped every
cached report. Now `campaign_version` holds one number per campaign, and row 0 for the data no
campaign owns (the council register, closure days, users...). Triggers on every table, on both
backends, move on the numbers of the campaigns a transaction wrote to:

- a table with a campaign_id column (and `campaign` itself, by id): that campaign;
- a table with a request_id (answer, request_event, reminder) through foi_request, and one with an
  event_id (attachment) through request_event: the request's campaign;
- any other table: row 0. An UPDATE moves both the old row's campaign and the new one's.

PostgreSQL: for each row written, the WHEN clause of a deferred constraint trigger notes the
row's campaign in a transaction-local setting (no table is written then); the first note of a
transaction queues the trigger, which runs at COMMIT, in the committing transaction, and moves
on every noted campaign in one statement, in campaign order: the new numbers become visible
exactly when the data does, each campaign's row is locked only while the transaction commits,
writers to different campaigns touch different rows, and two commits lock rows in the same order
(so they cannot deadlock). TRUNCATE, which row triggers do not see, moves on every row at once.
SQLite serialises writers anyway: plain AFTER triggers upsert the row for each row written.

A number is max(n + 1, microseconds since 1970): it never repeats a value it had, even after a
restore from an older backup (services.backup moves every row on after a restore) or after
the table's rows are lost (the next write re-creates a row, larger). A missing row means
"cannot vouch": read_cache then does not cache.

Not counted: alembic_version, campaign_version itself, and tables no cached page reads that are
written all the time: scheduler_lease (the heartbeat), login_attempt, user_session (each
request), audit_entry (beside nearly every write: it would move row 0 and so drop every
campaign's report whenever a figure is typed; only the request and figures pages read it,
uncached). Nor SQLite's FTS5 index request_search and its shadow tables (0011), derived from
foi_request and authority. Every other table must be counted, tests/test_read_cache.py checks
it: a new table's migration calls this migration's `count_campaign_writes(table)` after
creating it (load this file by path, as 0010 loads 0007), instead of 0007's count_writes.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NOT_COUNTED = (
    "alembic_version",
    "campaign_version",
    "scheduler_lease",
    "login_attempt",
    "user_session",
    "audit_entry",
)
DERIVED_PREFIX = "request_search"  # 0011's SQLite FTS5 table and its shadow tables

PG_MICROSECONDS = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
SQLITE_MICROSECONDS = "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"

# PostgreSQL: the function a table's WHEN clause calls with its rows' values (OLD, NEW) of the
# column that says their campaign (campaign_key), by kind of table.
PG_NOTE = {
    "campaign": "fointracker_note_campaigns",
    "request": "fointracker_note_requests",
    "event": "fointracker_note_events",
    "none": "fointracker_note_campaigns",
}

PG_FUNCTIONS = (
    # Notes campaigns a and b (the row's old and new one; either may be null) as written by this
    # transaction. True when the set was empty: the first note since the last bump queues the
    # deferred trigger (one event, not one per row).
    """
CREATE FUNCTION fointracker_note_campaigns(a integer, b integer DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    before text := coalesce(current_setting('fointracker.campaigns_written', true), '');
    written text := before;
BEGIN
    IF a IS NOT NULL AND strpos(written, ',' || a || ',') = 0 THEN
        written := CASE WHEN written = '' THEN ',' ELSE written END || a || ',';
    END IF;
    IF b IS NOT NULL AND strpos(written, ',' || b || ',') = 0 THEN
        written := CASE WHEN written = '' THEN ',' ELSE written END || b || ',';
    END IF;
    IF written = before THEN
        RETURN false;
    END IF;
    PERFORM set_config('fointracker.campaigns_written', written, true);
    RETURN before = '';
END
$$
""",
    # One scalar lookup per key: ~7 µs a row, where an = ANY(array) subquery took ~30
    # (benchmarks/bench_cache_writers.py, 24,000 answers).
    """
CREATE FUNCTION fointracker_note_requests(a integer, b integer DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    campaign_a integer;
    campaign_b integer;
BEGIN
    SELECT campaign_id INTO campaign_a FROM foi_request WHERE id = a;
    IF b <> a THEN  -- an UPDATE that moved the row (null: one row, or the same)
        SELECT campaign_id INTO campaign_b FROM foi_request WHERE id = b;
    END IF;
    RETURN fointracker_note_campaigns(campaign_a, campaign_b);
END
$$
""",
    """
CREATE FUNCTION fointracker_note_events(a integer, b integer DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    request_a integer;
    request_b integer;
BEGIN
    SELECT request_id INTO request_a FROM request_event WHERE id = a;
    IF b <> a THEN  -- an UPDATE that moved the row (null: one row, or the same)
        SELECT request_id INTO request_b FROM request_event WHERE id = b;
    END IF;
    RETURN fointracker_note_requests(request_a, request_b);
END
$$
""",
    # At COMMIT: move on every campaign noted, in campaign order (so that commits cannot deadlock).
    f"""
CREATE FUNCTION fointracker_bump_campaign_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    written text := coalesce(current_setting('fointracker.campaigns_written', true), '');
BEGIN
    IF written <> '' THEN
        PERFORM set_config('fointracker.campaigns_written', '', true);
        INSERT INTO campaign_version AS v (campaign_id, n)
        SELECT id::integer, {PG_MICROSECONDS} FROM unnest(string_to_array(trim(BOTH ',' FROM written), ',')) AS id
        ORDER BY 1
        ON CONFLICT (campaign_id) DO UPDATE SET n = greatest(v.n + 1, excluded.n);
    END IF;
    RETURN NULL;
END
$$
""",
    # TRUNCATE touches every campaign's data: every row moves on.
    f"""
CREATE FUNCTION fointracker_campaign_versions_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaign_version AS v (campaign_id, n)
    SELECT campaign_id, {PG_MICROSECONDS} FROM campaign_version ORDER BY 1
    ON CONFLICT (campaign_id) DO UPDATE SET n = greatest(v.n + 1, excluded.n);
    RETURN NULL;
END
$$
""",
)
PG_FUNCTION_NAMES = (
    "fointracker_note_campaigns(integer, integer)",
    "fointracker_note_requests(integer, integer)",
    "fointracker_note_events(integer, integer)",
    "fointracker_bump_campaign_versions()",
    "fointracker_campaign_versions_truncated()",
)
ROW_VALUES = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}  # what each event's trigger sees


def counted_tables(bind) -> list[str]:
    return sorted(
        table
        for table in sa.inspect(bind).get_table_names()
        if table not in NOT_COUNTED and not table.startswith(DERIVED_PREFIX)
    )


def campaign_key(bind, table: str) -> tuple[str, str | None]:
    """How a table's rows find their campaign: (kind, the column that says it)."""
    columns = {column["name"] for column in sa.inspect(bind).get_columns(table)}
    if table == "campaign":
        return "campaign", "id"
    for kind, column in (("campaign", "campaign_id"), ("request", "request_id"), ("event", "event_id")):
        if column in columns:
            return kind, column
    return "none", None


def count_campaign_writes(table: str) -> None:
    """Triggers that move on the campaign versions of what a write to `table` touches (see above).
    A new table's migration calls this once the table exists."""
    bind = op.get_bind()
    kind, column = campaign_key(bind, table)
    if bind.dialect.name == "postgresql":
        for event, rows in ROW_VALUES.items():
            keys = "0" if column is None else ", ".join(f'{row}."{column}"' for row in rows)
            op.execute(
                f'CREATE CONSTRAINT TRIGGER campaign_version_{event} AFTER {event.upper()} ON "{table}" '
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({PG_NOTE[kind]}({keys})) "
                "EXECUTE FUNCTION fointracker_bump_campaign_versions()"
            )
        op.execute(
            f'CREATE TRIGGER campaign_version_truncate AFTER TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION fointracker_campaign_versions_truncated()"
        )
        return
    for event, rows in ROW_VALUES.items():
        # Flat SELECTs, no DISTINCT: a row met twice is moved on twice, which is harmless, and a
        # figures import pays ~2 µs an answer instead of ~6 (benchmarks/bench_cache_writers.py).
        keys = [f'{row}."{column}"' for row in rows]
        op.execute(
            f'CREATE TRIGGER "campaign_version_{table}_{event}" AFTER {event.upper()} ON "{table}" BEGIN '
            f"INSERT INTO campaign_version (campaign_id, n) {_sqlite_campaigns(kind, keys)} "
            "ON CONFLICT (campaign_id) DO UPDATE SET n = max(n + 1, excluded.n); END"
        )


def _sqlite_campaigns(kind: str, keys: list[str]) -> str:
    """SQLite: a SELECT of (campaign_id, new number) for the rows whose values (OLD, NEW) of the
    column that says their campaign are `keys`. (Each has a WHERE: SQLite's upsert needs one.)"""
    now = SQLITE_MICROSECONDS
    if kind == "campaign":
        return " UNION ALL ".join(f"SELECT {key}, {now} WHERE {key} IS NOT NULL" for key in keys)
    if kind == "request":
        return f"SELECT campaign_id, {now} FROM foi_request WHERE id IN ({', '.join(keys)})"
    if kind == "event":
        return (
            f"SELECT f.campaign_id, {now} FROM request_event AS e JOIN foi_request AS f ON f.id = e.request_id "
            f"WHERE e.id IN ({', '.join(keys)})"
        )
    return f"SELECT 0, {now} WHERE true"


def uncount_campaign_writes(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in (*ROW_VALUES, "truncate"):
            op.execute(f'DROP TRIGGER IF EXISTS campaign_version_{event} ON "{table}"')
        return
    for event in ROW_VALUES:
        op.execute(f'DROP TRIGGER IF EXISTS "campaign_version_{table}_{event}"')


def _migration(filename: str):
    """Another migration's module (a name that starts with a digit is loaded by path)."""
    spec = importlib.util.spec_from_file_location(f"_migration_{filename[:4]}", Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    # 0007's install-wide number goes: its triggers, its function, its table.
    if postgresql:
        for table in sa.inspect(bind).get_table_names():
            op.execute(f'DROP TRIGGER IF EXISTS data_version_rows ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS data_version_truncate ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS fointracker_bump_data_version()")
    op.drop_table("data_version")

    op.create_table(
        "campaign_version",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_version")),
    )
    now = PG_MICROSECONDS if postgresql else SQLITE_MICROSECONDS
    op.execute(f"INSERT INTO campaign_version (campaign_id, n) SELECT 0, {now} UNION SELECT id, {now} FROM campaign")
    if postgresql:
        for function in PG_FUNCTIONS:
            op.execute(function)
    for table in counted_tables(bind):
        count_campaign_writes(table)


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for table in counted_tables(bind):
        uncount_campaign_writes(table)
    if postgresql:
        for function in PG_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION {function}")
    op.drop_table("campaign_version")

    # 0007's number back, counted as 0007 and 0009 counted it.
    data_version = _migration("0007_data_version.py")
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute(f"INSERT INTO data_version (id, n) VALUES (1, {PG_MICROSECONDS if postgresql else 0})")
    if not postgresql:
        return
    op.execute(data_version.BUMP_FUNCTION)
    for table in sa.inspect(bind).get_table_names():
        if table in data_version.NOT_COUNTED or table.startswith(DERIVED_PREFIX):
            continue
        if table == "user_session":  # 0009: not its last_seen_at heartbeat
            op.execute(
                "CREATE CONSTRAINT TRIGGER data_version_rows AFTER INSERT OR DELETE OR UPDATE OF user_id, ended_at "
                'ON "user_session" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                "EXECUTE FUNCTION fointracker_bump_data_version()"
            )
            op.execute(
                'CREATE TRIGGER data_version_truncate AFTER TRUNCATE ON "user_session" '
                "FOR EACH STATEMENT EXECUTE FUNCTION fointracker_bump_data_version()"
            )
        else:
            data_version.count_writes(table)
