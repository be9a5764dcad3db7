"""request life: chasing, linked requests (transfer, refined) and campaign aggregation groups

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 12:00:00

- foi_request.last_chased_on: the date of the latest "chased" event, derived from the timeline by
  services.timeline.apply_events like the status (the dashboard's "overdue and not chased" reads it).
- foi_request.linked_request_id: the request this one was transferred or refined from (a transfer,
  "not held, try X"; a narrower request after a s.12 refusal, FOIA s.16 advice). ON DELETE SET NULL:
  deleting the original leaves the new request standing.
- campaign.aggregation_group: campaigns of the same group count together for the s.12 aggregation
  warning (Fees Regulations 2004 reg 5: requests "in pursuance of a campaign" within 60 working days).
- campaign.follow_up_templates: the campaign's own wording of the follow-up letters, JSON
  {"chaser": ..., "review": ..., "complaint": ...}; NULL or a missing key: the built-in wording
  (domain.letters). A plain ADD COLUMN on both databases.

On PostgreSQL these are plain ALTER TABLEs. SQLite cannot add a named foreign key with ON DELETE to
an existing table (a REFERENCES in ADD COLUMN is neither named nor reflected with its action), so
there foi_request is rebuilt (batch mode; env.py turns foreign keys off meanwhile), and the
triggers that lived on the old table come back: 0011's search triggers and 0012's campaign-version
triggers (both modules are loaded by path, as 0012 loads 0007). legacy_alter_table lets the rename
through while other tables' triggers name a foi_request that is, for a moment, missing.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LINK_FK = "fk_foi_request_linked_request_id_foi_request"


def _migration(filename: str):
    """Another migration's module (a name that starts with a digit is loaded by path)."""
    spec = importlib.util.spec_from_file_location(f"_migration_{filename[:4]}", Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_sqlite_request_triggers() -> tuple:
    # Triggers of other tables read foi_request (0012's, through request_id): while the table is
    # being swapped, SQLite's modern RENAME would check them against a missing table and fail.
    op.execute("PRAGMA legacy_alter_table = ON")
    search, versions = _migration("0011_search_indexes.py"), _migration("0012_campaign_versions.py")
    for name in search.SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    versions.uncount_campaign_writes("foi_request")
    return search, versions


def _restore_sqlite_request_triggers(search, versions) -> None:
    for name, body in search.SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    versions.count_campaign_writes("foi_request")
    op.execute("PRAGMA legacy_alter_table = OFF")


def upgrade():
    op.add_column("campaign", sa.Column("aggregation_group", sa.String(length=80), nullable=True))
    op.add_column("campaign", sa.Column("follow_up_templates", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("foi_request", sa.Column("last_chased_on", sa.Date(), nullable=True))
        op.add_column("foi_request", sa.Column("linked_request_id", sa.Integer(), nullable=True))
        op.create_foreign_key(LINK_FK, "foi_request", "foi_request", ["linked_request_id"], ["id"], ondelete="SET NULL")
        op.create_index("ix_foi_request_linked_request_id", "foi_request", ["linked_request_id"])
        return
    triggers = _drop_sqlite_request_triggers()
    with op.batch_alter_table("foi_request", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("last_chased_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("linked_request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(LINK_FK, "foi_request", ["linked_request_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_foi_request_linked_request_id", ["linked_request_id"])
    _restore_sqlite_request_triggers(*triggers)


def downgrade():
    op.drop_column("campaign", "follow_up_templates")
    op.drop_column("campaign", "aggregation_group")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_foi_request_linked_request_id", table_name="foi_request")
        op.drop_constraint(LINK_FK, "foi_request", type_="foreignkey")
        op.drop_column("foi_request", "linked_request_id")
        op.drop_column("foi_request", "last_chased_on")
        return
    triggers = _drop_sqlite_request_triggers()
    with op.batch_alter_table("foi_request", schema=None, recreate="always") as batch_op:
        batch_op.drop_index("ix_foi_request_linked_request_id")
        batch_op.drop_constraint(LINK_FK, type_="foreignkey")
        batch_op.drop_column("linked_request_id")
        batch_op.drop_column("last_chased_on")
    _restore_sqlite_request_triggers(*triggers)
