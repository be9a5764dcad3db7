"""Eight identical submits at once (a double-clicked button, a retrying proxy): one is saved,
the others get the form error a later submit would have, never a 500 (IntegrityError) — for
a campaign's title, a question's code, a user's email and a closure day. Real threads, each
with its own client and database connection, released together."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from fointracker.extensions import db
from fointracker.models import Campaign, ClosureDay, Question, User
from fointracker.services.campaigns import save_campaign
from tests.conftest import csrf_token, login

THREADS = 8


def submit_at_once(app, email: str, url: str, data: dict) -> list:
    """POST the same form from THREADS logged-in clients at the same moment: their responses
    (or what they raised: the test app propagates exceptions, so that would be a 500)."""
    clients = []
    for _ in range(THREADS):
        client = app.test_client()
        assert login(client, email).status_code == 302
        clients.append((client, csrf_token(client, url)))
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def run(i: int) -> None:
        client, token = clients[i]
        barrier.wait()
        try:
            results[i] = client.post(url, data={**data, "csrf_token": token})
        except Exception as exc:  # noqa: BLE001 (reported below)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def rows(app, model) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return value


def new_campaign(app) -> int:
    with app.app_context():
        campaign_id = save_campaign(db.session, None, {"title": "Q", "default_regime": "foia"}, [], None).id
        db.session.commit()
        return campaign_id


# What is submitted (the URL may need a campaign), the error the others get, the table that gets one row.
CASES = {
    "campaign title": (
        lambda app: "/campaigns/new",
        {"title": "Parks", "default_regime": "foia", "letter_template": "", "webhook_url": ""},
        "another campaign already has this title",
        Campaign,
    ),
    "question code": (
        lambda app: f"/campaigns/{new_campaign(app)}/questions/new",
        {"code": "asc_budget", "label": "Budget", "qtype": "money", "period_label": "2010/11"},
        "already has",
        Question,
    ),
    "user email": (
        lambda app: "/admin/users/new",
        {"email": "new.person@example.org", "name": "New", "role": "staff", "password": "a long enough password 1"},
        "already exists",
        User,
    ),
    "closure day": (
        lambda app: "/deadlines/closures",
        {"day": date(2031, 6, 4).isoformat(), "name": "Move", "calendar": "all"},
        "already listed",
        ClosureDay,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_identical_submits_at_once(app, users, case):
    url, data, message, model = CASES[case]
    before = rows(app, model)
    results = submit_at_once(app, "admin@example.org", url(app), data)
    failures = [r for r in results if isinstance(r, Exception) or r.status_code >= 500]
    assert not failures, failures
    saved = [r for r in results if r.status_code == 302]
    refused = [r for r in results if r.status_code in (200, 400)]  # the form again, with its error
    assert len(saved) == 1 and len(refused) == THREADS - 1, [r.status_code for r in results]
    for response in refused:
        assert message in response.get_data(as_text=True)
    assert rows(app, model) == before + 1
