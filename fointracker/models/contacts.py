from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CampaignContact(db.Model):
    """A campaign's own FOI address for one council, used instead of the register's
    (Authority.foi_email): say, a council's adult social care team that answers this campaign's
    requests. services.contacts.foi_address says which address a request goes to."""

    __tablename__ = "campaign_contact"
    __table_args__ = (
        UniqueConstraint("campaign_id", "authority_id", name="uq_campaign_contact_campaign_id_authority_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authority.id", ondelete="CASCADE"), index=True)
    foi_email: Mapped[str] = mapped_column(String(254))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # as Authority's (#16)
    failure: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return f"<CampaignContact campaign {self.campaign_id} authority {self.authority_id} {self.foi_email}>"
