from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..domain.regimes import Regime
from ..extensions import db
from .user import User

campaign_coordinators = Table(
    "campaign_coordinator",
    db.metadata,
    Column("campaign_id", ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)

# Who may see and work on a campaign (services.access): admins see every campaign, everyone else
# only those they are a member of. Its coordinators are always members too.
campaign_members = Table(
    "campaign_member",
    db.metadata,
    Column("campaign_id", ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Campaign(db.Model):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    default_regime: Mapped[str] = mapped_column(String(8), default=Regime.FOIA.value)
    letter_template: Mapped[str] = mapped_column(Text, default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="", server_default="")  # Slack/Teams/Mattermost
    # Campaigns of the same group count together for the s.12 aggregation warning (Fees
    # Regulations 2004 reg 5: requests "in pursuance of a campaign" within 60 working days).
    aggregation_group: Mapped[str | None] = mapped_column(String(80))
    # Its own wording of the follow-up letters, {"chaser"|"review"|"complaint": text}; a missing
    # key (or NULL) uses the built-in wording (domain.letters.BUILT_IN_FOLLOW_UPS).
    follow_up_templates: Mapped[dict | None] = mapped_column(JSON)
    # Mail (#16): the address the campaign's letters come from (empty: the install's MAIL_FROM),
    # and whether an acknowledgement recognised in a reply is recorded without a person confirming.
    mail_from: Mapped[str] = mapped_column(String(254), default="", server_default="")
    auto_confirm_acknowledgements: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Double entry (#17): a second person enters each council's figures blind; mismatches are settled.
    double_entry: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    coordinators: Mapped[list[User]] = relationship(secondary=campaign_coordinators, order_by=User.email)
    members: Mapped[list[User]] = relationship(secondary=campaign_members, order_by=User.email)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Campaign {self.title!r}>"
