"""council addresses: where each council's FOI address came from, and a campaign's own addresses

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12 12:00:00

- authority.foi_email_source, authority.foi_email_checked_on: where the register's FOI address
  came from ("council website", an imported file's name) and when it was last checked. No
  licensed dataset of council FOI addresses exists, so every address is the group's own.
- campaign_contact: a campaign's own address for a council, used instead of the register's
  (services.contacts). Counted by 0012's campaign versions, like every table a cached page reads.

Plain ADD COLUMNs on both backends: authority is not rebuilt, so 0011's search triggers and
0012's triggers on it stay as they are.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _campaign_versions():
    """0012's module (a name that starts with a digit is loaded by path)."""
    path = Path(__file__).with_name("0012_campaign_versions.py")
    spec = importlib.util.spec_from_file_location("_migration_0012", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    op.add_column("authority", sa.Column("foi_email_source", sa.String(length=200), server_default="", nullable=False))
    op.add_column("authority", sa.Column("foi_email_checked_on", sa.Date(), nullable=True))
    op.create_table(
        "campaign_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("foi_email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
            name=op.f("fk_campaign_contact_authority_id_authority"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaign_contact_campaign_id_campaign"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_contact")),
        sa.UniqueConstraint("campaign_id", "authority_id", name="uq_campaign_contact_campaign_id_authority_id"),
    )
    op.create_index("ix_campaign_contact_authority_id", "campaign_contact", ["authority_id"])
    _campaign_versions().count_campaign_writes("campaign_contact")


def downgrade():
    _campaign_versions().uncount_campaign_writes("campaign_contact")
    op.drop_index("ix_campaign_contact_authority_id", table_name="campaign_contact")
    op.drop_table("campaign_contact")
    op.drop_column("authority", "foi_email_checked_on")
    op.drop_column("authority", "foi_email_source")
