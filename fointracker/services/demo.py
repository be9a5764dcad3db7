"""Demo data for trying the app: one clearly labelled campaign and an admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..domain.regimes import Regime, regime_for_authority
from ..models import Authority, Campaign, FoiRequest
from .authorities import import_register
from .bulk_requests import create_requests
from .campaigns import letter_for, save_campaign
from .demo_campaign import add_questions, play_out
from .users import create_user, find_user, generate_password, set_password

DEMO_TITLE = "[DEMO] Living at the Margins — social-care cuts and BME communities"
DEMO_LETTER = """Dear {authority_name},

Under the {regime_name}, please provide:
1. Your adult social-care budget for 2024/25 and 2025/26.
2. Funding given to Black and minority-ethnic voluntary and community organisations in each year.
3. Whether an equality impact assessment was carried out on any change to that funding.

Yours faithfully,
[DEMO] Campaign team
"""


@dataclass
class SeedResult:
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join(self.lines)


def seed(
    session: Session,
    *,
    admin_email: str,
    admin_password: str | None,
    today: date | None = None,
    request_count: int = 150,
) -> SeedResult:
    """Flushes everything; the caller commits (or rolls back on a UserError)."""
    result = SeedResult()
    today = today or clock.today()
    # The admin first: a refused email or password (UserError) leaves nothing half-seeded.
    # Matched as at login; a password given for an existing admin replaces theirs (a second demo run
    # cannot show the first one's generated password again).
    admin = find_user(session, admin_email)
    if admin is None:
        password = admin_password or generate_password()
        admin = create_user(session, email=admin_email, role="admin", password=password, name="Demo admin")
        admin_line = f"Admin user: {admin.email}  password: {password}"
    elif admin_password:
        admin = set_password(session, email=admin.email, password=admin_password)
        admin_line = f"Admin user: {admin.email}  password: {admin_password} (set now)"
    else:
        admin_line = (
            f"Admin user {admin.email} already exists; its password is unchanged. To set a new one: "
            f"fointracker users set-password --email {admin.email} --generate-password "
            f"(or seed again with --admin-password; scripts/demo.sh passes DEMO_ADMIN_PASSWORD)."
        )
    if not session.scalar(select(func.count(Authority.id))):
        result.lines.append(f"Councils: {import_register(session)}.")
    result.lines.append(admin_line)

    if session.scalar(select(Campaign.id).where(Campaign.title == DEMO_TITLE)) is not None:
        result.lines.append("Demo campaign already present; nothing added.")
        return result

    campaign = save_campaign(
        session,
        None,
        {
            "title": DEMO_TITLE,
            "description": "Demonstration data, not a real campaign. Safe to explore and change.",
            "default_regime": Regime.FOIA.value,
            "letter_template": DEMO_LETTER,
        },
        [admin.id],
        admin.id,
    )

    councils = session.scalars(
        select(Authority)
        .where(Authority.social_care, Authority.end_date.is_(None))
        .order_by(Authority.code)
        .limit(request_count)
    ).all()
    values = []
    for index, council in enumerate(councils):
        # Spread the sent dates over the last four months, a few left as drafts.
        sent_on = None if index % 10 == 9 else today - timedelta(days=3 + (index * 11) % 120)
        regime = regime_for_authority(campaign.default_regime, council.nation)
        values.append(
            {
                "campaign_id": campaign.id,
                "authority_id": council.id,
                "regime": regime,
                "subject": "[DEMO] Adult social-care funding and BME organisations",
                "body": letter_for(campaign, council, regime, today),
                "sent_on": sent_on,
                "received_on": sent_on,
                "council_reference": f"FOI-{1000 + index}" if index % 3 == 0 else "",
                "owner_id": admin.id,
            }
        )
    # In bulk, as a batch is created (a request at a time was a third of the seed's time).
    ids = create_requests(session, values, admin.id)
    requests = list(session.scalars(select(FoiRequest).where(FoiRequest.id.in_(ids)).order_by(FoiRequest.id)))
    story = play_out(session, requests, add_questions(session, campaign, admin.id), today, admin.id)
    result.lines.append(
        f"Demo campaign “{DEMO_TITLE}” with {len(councils)} requests: {story.answered} answered "
        f"({story.refused} refused), figures from {story.with_figures}, {story.outstanding} still outstanding."
    )
    return result
