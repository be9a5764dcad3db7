"""published reports (#18): a campaign's report at a public address, and its frozen versions

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:00:00

- published_report: one per campaign, its stable slug, its current version, online or not;
- published_report_version: each publication's snapshot (JSON text), options, note and who
  published it. Both carry campaign_id, so 0012's triggers count their writes as the campaign's.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
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
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "published_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("is_published", sa.Boolean(), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("changed_at", tz, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_published_report_campaign_id_campaign"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_report")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_published_report_campaign_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_published_report_slug")),
    )
    op.create_table(
        "published_report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("published_report_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_report_id"],
            ["published_report.id"],
            name=op.f("fk_published_report_version_published_report_id_published_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_published_report_version_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user.id"],
            name=op.f("fk_published_report_version_published_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_report_version")),
        sa.UniqueConstraint("published_report_id", "number", name="uq_published_report_version_number"),
    )
    op.create_index(
        "ix_published_report_version_published_report_id", "published_report_version", ["published_report_id"]
    )
    op.create_index("ix_published_report_version_campaign_id", "published_report_version", ["campaign_id"])
    versions = _campaign_versions()
    versions.count_campaign_writes("published_report")
    versions.count_campaign_writes("published_report_version")


def downgrade():
    versions = _campaign_versions()
    versions.uncount_campaign_writes("published_report_version")
    versions.uncount_campaign_writes("published_report")
    op.drop_index("ix_published_report_version_campaign_id", table_name="published_report_version")
    op.drop_index("ix_published_report_version_published_report_id", table_name="published_report_version")
    op.drop_table("published_report_version")
    op.drop_table("published_report")
