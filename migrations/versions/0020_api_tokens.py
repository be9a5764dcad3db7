"""personal API tokens (#18): api_token

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:00:00

api_token: one row per personal token of the JSON API (models/api_token.py), its SHA-256 digest and
a short visible prefix, never the token.

Not counted by 0012's campaign versions, like user_session: no cached page reads it, and every API
call moves its last_used_at (at most once a minute), which would move row 0 and so drop every
campaign's cached report and dashboard while a notebook polls (tests/test_read_cache.py NOT_COUNTED).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("last_used_at", tz, nullable=True),
        sa.Column("revoked_at", tz, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])


def downgrade():
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_table("api_token")
