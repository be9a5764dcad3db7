"""calendar links stored as a SHA-256 digest, not the token itself

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 02:00:00

A calendar link's token is a bearer secret: whoever has it reads that user's deadlines. The
database now keeps only its SHA-256 digest (a leaked backup opens nobody's calendar), so the
account page shows a new link once. Links made before this keep working: their digest is
computed here. Going back down cannot recover a token from its digest, so every link has to
be made again after a downgrade.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
    user = sa.table(
        "user",
        sa.column("id", sa.Integer),
        sa.column("calendar_token", sa.String),
        sa.column("calendar_token_hash", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(user.c.id, user.c.calendar_token).where(user.c.calendar_token.is_not(None))
    ).all()
    for user_id, token in rows:
        connection.execute(
            user.update()
            .where(user.c.id == user_id)
            .values(calendar_token_hash=hashlib.sha256(token.encode("utf-8")).hexdigest())
        )
    if rows and connection.dialect.name == "postgresql":
        # The updates queued 0007's deferred data-version trigger, and PostgreSQL will not alter
        # a table with trigger events pending: run them now.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_calendar_token"), type_="unique")
        batch_op.drop_column("calendar_token")
        batch_op.create_unique_constraint(batch_op.f("uq_user_calendar_token_hash"), ["calendar_token_hash"])


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_calendar_token_hash"), type_="unique")
        batch_op.drop_column("calendar_token_hash")
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_user_calendar_token"), ["calendar_token"])
