"""figures from files (#17): provenance, saved mappings, a file's confirmed unit, double entry

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-14 12:00:00

- answer.source_sheet / source_cell / source_unit / source_mapping_id: where a figure taken from a
  file came from (with the existing source_attachment_id and raw), and the mapping that took it.
- attachment.figures_unit: the unit a person confirmed for a file's figures.
- file_mapping: a saved mapping (models/figures.py), counted by 0012's campaign versions.
- second_entry: double entry's blind second entries, counted by their request.
- campaign.double_entry.

Plain ADD COLUMNs (nullable or with a server default), so no table is rebuilt and 0011's and 0012's triggers stay.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from fointracker.models.figures import NUMBER

revision = "0017"
down_revision = "0016"
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
        "file_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("updated_at", tz, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_file_mapping_campaign_id_campaign"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authority.id"], name=op.f("fk_file_mapping_authority_id_authority"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_file_mapping_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_mapping")),
    )
    op.create_index("ix_file_mapping_campaign_id", "file_mapping", ["campaign_id"])
    op.create_index("ix_file_mapping_authority_id", "file_mapping", ["authority_id"])
    op.create_table(
        "second_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("value_number", NUMBER, nullable=True),
        sa.Column("bound_low", NUMBER, nullable=True),
        sa.Column("bound_high", NUMBER, nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=False),
        sa.Column("raw", sa.String(length=200), nullable=False),
        sa.Column("exemption", sa.String(length=20), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", tz, nullable=False),
        sa.Column("settled_by_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", tz, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["foi_request.id"], name=op.f("fk_second_entry_request_id_foi_request"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["question.id"], name=op.f("fk_second_entry_question_id_question"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_second_entry_entered_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["settled_by_id"], ["user.id"], name=op.f("fk_second_entry_settled_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_entry")),
        sa.UniqueConstraint("request_id", "question_id", name="uq_second_entry_request_question"),
    )
    op.create_index("ix_second_entry_request_id", "second_entry", ["request_id"])
    op.add_column("answer", sa.Column("source_sheet", sa.String(length=120), server_default="", nullable=False))
    op.add_column("answer", sa.Column("source_cell", sa.String(length=40), server_default="", nullable=False))
    op.add_column("answer", sa.Column("source_unit", sa.String(length=20), server_default="", nullable=False))
    op.add_column("answer", sa.Column("source_mapping_id", sa.Integer(), nullable=True))  # no FK: see the model
    op.add_column("attachment", sa.Column("figures_unit", sa.String(length=20), nullable=True))
    op.add_column("campaign", sa.Column("double_entry", sa.Boolean(), server_default=sa.false(), nullable=False))
    versions = _campaign_versions()
    versions.count_campaign_writes("file_mapping")
    versions.count_campaign_writes("second_entry")


def downgrade():
    versions = _campaign_versions()
    versions.uncount_campaign_writes("second_entry")
    versions.uncount_campaign_writes("file_mapping")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("double_entry")
    op.drop_column("attachment", "figures_unit")
    op.drop_column("answer", "source_mapping_id")
    op.drop_column("answer", "source_unit")
    op.drop_column("answer", "source_cell")
    op.drop_column("answer", "source_sheet")
    op.drop_index("ix_second_entry_request_id", table_name="second_entry")
    op.drop_table("second_entry")
    op.drop_index("ix_file_mapping_authority_id", table_name="file_mapping")
    op.drop_index("ix_file_mapping_campaign_id", table_name="file_mapping")
    op.drop_table("file_mapping")
