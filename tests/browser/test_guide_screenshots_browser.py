"""The guides' screenshots (docs/guide-*.md), taken here on the demo campaign as each role sees it,
so they show the product as it is: `bash scripts/screenshots.sh` writes them to docs/images.

In the suite they are written to a temporary folder; the test checks that every picture a guide
shows is one it takes, and that every one it takes is in docs/images (a new picture needs the script).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest, User
from fointracker.services.demo import seed
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user, sqlite_pass_only

pytestmark = [pytest.mark.browser, sqlite_pass_only]

DOCS = Path(__file__).resolve().parents[2] / "docs"
VIEWPORT = {"width": 1100, "height": 720}


def shots(campaign: int, answered: int, overdue: str) -> dict[str, list[tuple[str, str]]]:
    """{role: [(picture name, URL)]}: what each guide shows."""
    return {
        "staff": [
            ("staff-dashboard", "/?scope=mine"),
            ("staff-batch", f"/campaigns/{campaign}/batch?region=London"),
            ("staff-request", f"/requests/{answered}"),
            ("staff-figures", f"/requests/{answered}/figures"),
            ("staff-mail", "/mail/"),
        ],
        "coordinator": [
            ("coordinator-dashboard", "/?scope=all"),
            ("coordinator-overdue", overdue),
            ("coordinator-campaign", f"/campaigns/{campaign}"),
            ("coordinator-statistics", f"/campaigns/{campaign}/statistics"),
        ],
        "author": [
            ("author-questions", f"/campaigns/{campaign}/questions"),
            ("author-verify", f"/figures/verify?campaign={campaign}"),
            ("author-report", f"/campaigns/{campaign}/report"),
            ("author-map", f"/campaigns/{campaign}/report#map"),
            ("author-publish", f"/campaigns/{campaign}/publish"),
        ],
        "admin": [
            ("admin-users", "/admin/users"),
            ("admin-new-user", "/admin/users/new"),
            ("admin-closures", "/deadlines/closures"),
            ("admin-reminders", "/admin/reminders"),
        ],
    }


def _world(app) -> tuple[int, int, str]:
    people = {
        role: make_user(app, f"{role}@example.org", role, PASSWORD) for role in ("coordinator", "staff", "author")
    }
    with app.app_context():
        seed(db.session, admin_email="admin@example.org", admin_password=PASSWORD)
        db.session.commit()
        campaign = db.session.scalar(select(Campaign))
        for role, user_id in people.items():
            user = db.session.get(User, user_id)
            campaign.members.append(user)
            if role == "coordinator":
                campaign.coordinators.append(user)
        answered = db.session.scalar(
            select(FoiRequest.id).where(FoiRequest.figures_entered.is_(True)).order_by(FoiRequest.id)
        )
        db.session.commit()
        return campaign.id, answered, f"/requests/?campaign={campaign.id}&deadline=overdue&sort=due"


def test_the_guides_pictures_are_taken_from_the_product(browser, live_server, app, tmp_path):
    out = Path(os.environ.get("FOINTRACKER_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    campaign, answered, overdue = _world(app)
    taken = set()
    for role, pictures in shots(campaign, answered, overdue).items():
        context = browser.new_context(base_url=live_server, locale="en-GB", viewport=VIEWPORT)
        page = context.new_page()
        log_in(page, f"{role}@example.org")
        for name, url in pictures:
            response = page.goto(url)  # None: a move within the page just shown (#map)
            assert response is None or response.status == 200, f"{name}: {url} answered {response.status}"
            if "#" in url:
                page.locator("#" + url.split("#", 1)[1]).scroll_into_view_if_needed()
            page.screenshot(path=out / f"{name}.jpg", type="jpeg", quality=70)
            taken.add(f"{name}.jpg")
        context.close()
    shown = {
        picture
        for guide in DOCS.glob("guide-*.md")
        for picture in re.findall(r"!\[[^\]]*\]\(images/([^)]+)\)", guide.read_text(encoding="utf-8"))
    }
    assert shown <= taken, f"the guides show pictures this test does not take: {sorted(shown - taken)}"
    committed = {path.name for path in (DOCS / "images").glob("*.jpg")}
    assert taken <= committed, f"new pictures: run bash scripts/screenshots.sh ({sorted(taken - committed)})"
