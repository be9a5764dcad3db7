"""A throwaway database full of requests, for the benchmarks (not a test fixture)."""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from fointracker import create_app  # noqa: E402
from fointracker.extensions import db  # noqa: E402
from fointracker.models import Authority, Campaign, FoiRequest, RequestEvent, User  # noqa: E402


def make_app(database_url: str | None = None):
    """A migrated database with the council register: a temporary SQLite file unless a URL is given."""
    from flask_migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="fointracker-bench-"))
    url = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp / "uploads")}
    )
    with app.app_context():
        if database_url:  # start from an empty schema
            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        from fointracker.services.authorities import import_register

        import_register(db.session)
        db.session.commit()
    return app


def add_requests(session, n: int, *, seed: int = 1, today: date = date(2026, 11, 23), campaigns: int = 1) -> list[int]:
    """n sent requests spread over the councils and the last 90 days; a tenth with clock events."""
    rng = random.Random(seed)
    user = session.scalar(select(User).limit(1))
    if user is None:
        user = User(email="bench@example.org", role="admin", password_hash="x")
        session.add(user)
        session.flush()
    campaign_ids = []
    for index in range(campaigns):
        campaign = Campaign(title=f"Benchmark {seed}-{index}", default_regime="foia", created_by_id=user.id)
        session.add(campaign)
        session.flush()
        campaign_ids.append(campaign.id)
    councils = session.execute(select(Authority.id, Authority.nation).where(Authority.end_date.is_(None))).all()
    rows, events = [], []
    for i in range(n):
        authority_id, nation = councils[i % len(councils)]
        sent = today - timedelta(days=rng.randint(0, 90))
        rows.append(
            {
                "campaign_id": campaign_ids[i % campaigns],
                "authority_id": authority_id,
                "regime": "foisa" if nation == "Scotland" else "foia",
                "subject": f"Request {i}",
                "body": "",
                "sent_on": sent,
                "received_on": sent,
                "council_reference": f"REF-{i}",
                "owner_id": user.id,
                "status": "awaiting_response",
                "outcome": None,
                "clock_paused": False,
            }
        )
    result = session.execute(insert(FoiRequest).returning(FoiRequest.id, sort_by_parameter_order=True), rows)
    ids = list(result.scalars())
    for request_id, row in zip(ids, rows):
        events.append(
            {
                "request_id": request_id,
                "kind": "sent",
                "occurred_on": row["sent_on"],
                "details": {},
                "note": "",
                "created_by_id": user.id,
            }
        )
        if rng.random() < 0.1:
            events.append(
                {
                    "request_id": request_id,
                    "kind": "acknowledged",
                    "occurred_on": row["sent_on"] + timedelta(days=2),
                    "details": {},
                    "note": "",
                    "created_by_id": user.id,
                }
            )
    session.execute(insert(RequestEvent), events)
    session.commit()
    return ids
