"""mail out and in (#16): the mail_message outbox and intake, their attachments, reply tokens

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-13 12:00:00

- mail_message: one email to or from a council (models/mail.py). Outgoing rows are the letters'
  outbox; incoming rows are filed to a request or wait in triage. dedupe_key is unique, so a
  message delivered twice is filed once. Counted by 0012's campaign versions by its campaign_id
  (the dashboard's to-do reads bounced mail).
- mail_attachment: the files of a message, their bytes in the file store. No cached page reads
  it, so 0012's triggers are not put on it (they would move row 0, every page's version, on).
- foi_request.reply_token: the request's own reply address; authority.foi_email_failing_since /
  foi_email_failure and campaign_contact.failing_since / failure: a bounced address;
  campaign.mail_from and campaign.auto_confirm_acknowledgements.

Plain ADD COLUMNs on both backends (nullable or with a server default): no table is rebuilt, so
0011's and 0012's triggers stay as they are.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
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
    op.add_column("foi_request", sa.Column("reply_token", sa.String(length=40), nullable=True))
    op.create_index("ix_foi_request_reply_token", "foi_request", ["reply_token"], unique=True)
    op.add_column("authority", sa.Column("foi_email_failing_since", tz, nullable=True))
    op.add_column("authority", sa.Column("foi_email_failure", sa.String(length=500), server_default="", nullable=False))
    op.add_column("campaign_contact", sa.Column("failing_since", tz, nullable=True))
    op.add_column("campaign_contact", sa.Column("failure", sa.String(length=500), server_default="", nullable=False))
    op.add_column("campaign", sa.Column("mail_from", sa.String(length=254), server_default="", nullable=False))
    op.add_column(
        "campaign",
        sa.Column("auto_confirm_acknowledgements", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("letter_kind", sa.String(length=20), server_default="", nullable=False),
        sa.Column("message_id", sa.String(length=255), server_default="", nullable=False),
        sa.Column("in_reply_to", sa.String(length=255), server_default="", nullable=False),
        sa.Column("thread_references", sa.Text(), server_default="", nullable=False),
        sa.Column("from_addr", sa.String(length=320), server_default="", nullable=False),
        sa.Column("to_addr", sa.Text(), server_default="", nullable=False),
        sa.Column("reply_to", sa.String(length=320), server_default="", nullable=False),
        sa.Column("subject", sa.String(length=500), server_default="", nullable=False),
        sa.Column("body_text", sa.Text(), server_default="", nullable=False),
        sa.Column("quoted_text", sa.Text(), server_default="", nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=10), server_default="", nullable=False),
        sa.Column("match_reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("problems", sa.Text(), server_default="", nullable=False),
        sa.Column("is_auto_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_bounce", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("suggestion", sa.JSON(), nullable=False),
        sa.Column("suggestion_state", sa.String(length=12), server_default="", nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", tz, nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", tz, nullable=True),
        sa.Column("sent_at", tz, nullable=True),
        sa.Column("received_at", tz, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("updated_at", tz, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_mail_message_campaign_id_campaign"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["foi_request.id"], name=op.f("fk_mail_message_request_id_foi_request"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["request_event.id"], name=op.f("fk_mail_message_event_id_request_event"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_mail_message_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_message_dedupe_key")),
    )
    op.create_index("ix_mail_message_campaign_id", "mail_message", ["campaign_id"])
    op.create_index("ix_mail_message_message_id", "mail_message", ["message_id"])
    op.create_index("ix_mail_message_claim_token", "mail_message", ["claim_token"])
    op.create_index("ix_mail_message_direction_status", "mail_message", ["direction", "status", "next_attempt_at"])
    op.create_index("ix_mail_message_request", "mail_message", ["request_id", "created_at"])
    op.create_table(
        "mail_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_message.id"],
            name=op.f("fk_mail_attachment_message_id_mail_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachment")),
    )
    op.create_index("ix_mail_attachment_message_id", "mail_attachment", ["message_id"])
    _campaign_versions().count_campaign_writes("mail_message")


def downgrade():
    _campaign_versions().uncount_campaign_writes("mail_message")
    op.drop_index("ix_mail_attachment_message_id", table_name="mail_attachment")
    op.drop_table("mail_attachment")
    for name in (
        "ix_mail_message_request",
        "ix_mail_message_direction_status",
        "ix_mail_message_claim_token",
        "ix_mail_message_message_id",
        "ix_mail_message_campaign_id",
    ):
        op.drop_index(name, table_name="mail_message")
    op.drop_table("mail_message")
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("auto_confirm_acknowledgements")
        batch.drop_column("mail_from")
    with op.batch_alter_table("campaign_contact") as batch:
        batch.drop_column("failure")
        batch.drop_column("failing_since")
    op.drop_column("authority", "foi_email_failure")
    op.drop_column("authority", "foi_email_failing_since")
    op.drop_index("ix_foi_request_reply_token", table_name="foi_request")
    op.drop_column("foi_request", "reply_token")
