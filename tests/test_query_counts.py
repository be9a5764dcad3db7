"""The busy pages cost a fixed number of SQL statements however many requests there are (no N+1).

Each page is fetched with 100 requests in the database, then again with 10,000: the number
of statements must be small and the same both times. The wall time of each page is
printed (run with `pytest -s` to see it).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select, update

from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest, RequestEvent, User
from fointracker.services.deadlines import recompute_requests
from tests.conftest import login

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _fixture import add_requests  # noqa: E402

MAX_STATEMENTS = 15
OUTCOMES = ("successful", "partially_successful", "not_held", "refused", "ncnd")


def add_varied_requests(session, n: int, seed: int, staff_id: int) -> list[int]:
    """`add_requests`'s sent requests with real deadlines, then about half of them answered
    (with response events citing exemptions) and a third owned by the staff user. They go
    into the first two campaigns, which grow with each call."""
    ids = add_requests(session, n, seed=seed, campaigns=2)
    first_two = session.scalars(select(Campaign.id).order_by(Campaign.id).limit(2)).all()
    for offset, campaign_id in enumerate(first_two):
        session.execute(update(FoiRequest).where(FoiRequest.id.in_(ids[offset::2])).values(campaign_id=campaign_id))
    recompute_requests(session)
    rng = random.Random(seed)
    rows = session.execute(select(FoiRequest.id, FoiRequest.sent_on).where(FoiRequest.id.in_(ids))).all()
    changes, events = [], []
    for request_id, sent_on in rows:
        change = {"id": request_id}
        if rng.random() < 0.33:
            change["owner_id"] = staff_id
        if rng.random() < 0.5:
            outcome = rng.choice(OUTCOMES)
            days = rng.randint(1, 40)
            responded = sent_on + timedelta(days=days)
            change.update(
                status=rng.choice(("responded", "responded", "closed", "internal_review")),
                outcome=outcome,
                responded_on=responded,
                response_working_days=days * 5 // 7,
                responded_on_time=days <= 28,
                response_due_on=None,
                very_overdue_on=None,
                deferred_due_on=None,
                figures_entered=rng.random() < 0.5,
            )
            exemptions = rng.sample(["s12", "s40", "s43"], rng.randint(1, 2)) if outcome in ("refused", "ncnd") else []
            events.append(
                {
                    "request_id": request_id,
                    "kind": "response_received",
                    "occurred_on": responded,
                    "details": {"outcome": outcome, "exemptions": exemptions},
                    "note": "",
                }
            )
        changes.append(change)
    by_keys: dict[tuple, list] = {}
    for change in changes:  # one executemany per shape of change
        by_keys.setdefault(tuple(sorted(change)), []).append(change)
    for batch in by_keys.values():
        session.execute(update(FoiRequest), batch)
    session.execute(insert(RequestEvent), events)
    session.commit()
    return ids


def pages(campaign_id: int) -> list[tuple[str, str]]:
    return [
        ("coordinator", "/"),
        ("staff", "/"),
        ("admin", "/"),
        ("admin", "/?scope=mine"),
        ("staff", "/requests/"),
        ("staff", "/requests/?page=3"),
        ("staff", f"/requests/?campaign={campaign_id}&deadline=overdue&sort=council"),
        ("staff", "/requests/?status=responded&q=e&sort=newest"),
        ("author", f"/campaigns/{campaign_id}/statistics"),
        ("author", f"/campaigns/{campaign_id}"),
    ]


def measure(app, clients, campaign_id) -> dict[str, tuple[int, float]]:
    """{page: (statements, seconds)} for each page, fetched twice (the second one is measured)."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    results = {}
    with app.app_context():
        engine = db.engine
    for role, url in pages(campaign_id):
        client = clients[role]
        assert client.get(url).status_code == 200, url  # warm: templates compiled, calendars cached
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, url
        results[f"{role} {url}"] = (len(statements), elapsed)
    return results


@pytest.mark.slow
def test_pages_cost_the_same_statements_for_100_and_10000_requests(app, users):
    app.config["PER_PAGE"] = 25  # so that 100 requests have a page 3
    clients = {}
    for role in ("admin", "coordinator", "staff", "author"):
        clients[role] = app.test_client()
        assert login(clients[role], f"{role}@example.org").status_code == 302
    with app.app_context():
        add_varied_requests(db.session, 100, seed=1, staff_id=users["staff"])
        campaign_id = db.session.scalar(select(Campaign.id).order_by(Campaign.id))
        campaign = db.session.get(Campaign, campaign_id)
        campaign.coordinators.append(db.session.get(User, users["coordinator"]))
        db.session.commit()
    small = measure(app, clients, campaign_id)

    with app.app_context():
        add_varied_requests(db.session, 9_900, seed=2, staff_id=users["staff"])
        assert db.session.scalar(select(db.func.count(FoiRequest.id))) == 10_000
        in_campaign = select(db.func.count(FoiRequest.id)).where(FoiRequest.campaign_id == campaign_id)
        assert db.session.scalar(in_campaign) == 5_000
    large = measure(app, clients, campaign_id)

    print("\npage                                                                 statements    100 req   10,000 req")
    for page in small:
        print(f"{page:<70} {large[page][0]:>5} {small[page][1] * 1000:>9.1f} ms {large[page][1] * 1000:>9.1f} ms")
    for page in small:
        assert small[page][0] == large[page][0], f"{page}: {small[page][0]} statements, then {large[page][0]}"
        assert large[page][0] <= MAX_STATEMENTS, f"{page}: {large[page][0]} statements"
