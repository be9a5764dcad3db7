"""campaign members: campaigns are the unit of access

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 12:00:00

campaign_member: who may see and work on each campaign (services.access). Admins see every
campaign; everyone else only the campaigns they are a member of. So that nobody loses access
on upgrade, every existing user becomes a member of every existing campaign; admins and
coordinators then take people out on the campaign form. Counted by 0007's data version, like
every table a cached page reads.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _count_writes(table: str) -> None:
    """0007's count_writes (a module whose name starts with a digit is loaded by path)."""
    spec = importlib.util.spec_from_file_location("_migration_0007", Path(__file__).with_name("0007_data_version.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.count_writes(table)


def upgrade():
    op.create_table(
        "campaign_member",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaign_member_campaign_id_campaign"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_campaign_member_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("campaign_id", "user_id", name=op.f("pk_campaign_member")),
    )
    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_member_user_id"), ["user_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _count_writes("campaign_member")
    # Everyone keeps what they could see before: every user, every campaign.
    op.execute('INSERT INTO campaign_member (campaign_id, user_id) SELECT campaign.id, "user".id FROM campaign, "user"')
    if bind.dialect.name == "postgresql":
        # The insert queued 0007's deferred data-version trigger; a later migration in this same
        # transaction could not alter the table with trigger events pending: run them now.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def downgrade():
    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_member_user_id"))
    op.drop_table("campaign_member")
