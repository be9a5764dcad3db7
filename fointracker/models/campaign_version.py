from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CampaignVersion(db.Model):
    """A number per campaign (campaign_id 0: the data no campaign owns) that every committed
    transaction writing that campaign's data moves on, in that same transaction (migration
    0012's triggers). The per-process caches of services.read_cache are keyed on it. Written
    only by those triggers."""

    __tablename__ = "campaign_version"

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
