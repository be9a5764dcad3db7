"""user sessions that can be ended; login throttling by address, account and device

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00

user_session: one row per login. The browser holds a random id (in the signed session cookie and
in the remember cookie); the table keeps only its SHA-256 digest, so a leaked backup logs nobody
in. Every request looks its row up (one indexed lookup): logout, a password change or a disabled
account set ended_at, and the cookies stop working on every web host at once.

login_attempt gains what the throttle counts by (services.login_throttle): the device cookie's id
of an attempt made with one, and whether the attempt counts against the account (it does not
when it came from an address or device that has logged in to that account before).

user_session is counted by 0007's data version for inserts, deletes and the ending of a session,
but not for last_seen_at, moved at most once a minute per session: no cached page reads the table,
and counting the heartbeat would drop the dashboard's caches every few seconds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index("ix_user_session_user_ip", ["user_id", "ip"], unique=False)
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("counts_for_account", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index(batch_op.f("ix_login_attempt_device"), ["device"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER data_version_rows AFTER INSERT OR DELETE OR UPDATE OF user_id, ended_at "
            'ON "user_session" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
            "EXECUTE FUNCTION fointracker_bump_data_version()"
        )
        op.execute(
            'CREATE TRIGGER data_version_truncate AFTER TRUNCATE ON "user_session" '
            "FOR EACH STATEMENT EXECUTE FUNCTION fointracker_bump_data_version()"
        )


def downgrade():
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_device"))
        batch_op.drop_column("counts_for_account")
        batch_op.drop_column("device")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index("ix_user_session_user_ip")
    op.drop_table("user_session")
