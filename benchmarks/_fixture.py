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


def current_councils(session, at_least: int) -> list[int]:
    """The ids of `at_least` current councils, by name: the register has about 380, so made-up
    English districts ("Benchtown 001" …) are added when more are wanted."""
    ids = list(
        session.scalars(
            select(Authority.id).where(Authority.end_date.is_(None)).order_by(Authority.short_name, Authority.code)
        )
    )
    for index in range(at_least - len(ids)):
        name = f"Benchtown {index + 1:03d}"
        council = Authority(
            code=f"BZ{index + 1:03d}",
            official_name=f"{name} District Council",
            short_name=name,
            type_code="NMD",
            type_name="Non-metropolitan district",
            nation="England",
            region="South East",
        )
        session.add(council)
        session.flush()
        ids.append(council.id)
    session.commit()
    return ids[:at_least]


def add_batch_campaign(session, title: str, *, coordinator_id: int, webhook: bool = True) -> Campaign:
    """A campaign as one that sends a batch looks: a letter with every placeholder, a
    coordinator, and (by default) a webhook, so each request's reminders go to the owner,
    the coordinator and the webhook."""
    from fointracker.models import User

    campaign = Campaign(
        title=title,
        default_regime="foia",
        letter_template=(
            "Dear {authority_name} ({authority_short_name}, {authority_code}),\n\n"
            "Under the {regime_name}, for our campaign “{campaign_title}”, please send us ...\n\n{today}"
        ),
        webhook_url="https://hooks.example.org/bench" if webhook else "",
        created_by_id=coordinator_id,
    )
    campaign.coordinators.append(session.get(User, coordinator_id))
    session.add(campaign)
    session.commit()
    return campaign


def bench_user(session, email: str, role: str = "staff") -> int:
    """A user's id, made if need be."""
    from fointracker.models import User

    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, password_hash="x")
        session.add(user)
        session.commit()
    return user.id


# --------------------------------------------------------------------------- timing and goals (every benchmark)


def timed(fn, *args, **kwargs):
    """(wall ms, CPU ms of this process, what fn returned). CPU beside wall tells this process's
    own work from waiting (on the database server, or on other work sharing the machine)."""
    import time

    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, value


def round_trips_ms(session, runs: int = 20) -> list[float]:
    """`runs` timings of a `SELECT 1` on the session's connection: the floor of any statement
    on this engine, which no change to the app can make faster."""
    from sqlalchemy import text

    statement = text("SELECT 1")
    return [timed(session.execute, statement)[0] for _ in range(runs)]


def goal(text: str, ok: bool) -> bool:
    """Print one goal's verdict as scripts/bench.sh collects it: `goal: <text>: PASS|FAIL`.
    Measured values go in parentheses (or on lines of their own), so that bench.sh lines the same
    goal up across backends."""
    print(f"goal: {text}: {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def load_average() -> str:
    """The machine's 1/5/15-minute load averages: how busy the cores were around a measurement."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --------------------------------------------------------------------------- search (bench_search.py)

SEARCH_TOPICS = (
    "Pothole repairs",
    "Adult social care waiting lists",
    "Children's services agency staff",
    "Temporary accommodation spending",
    "Library opening hours",
    "Council tax arrears",
    "Parking fines issued",
    "Bin collections missed",
    "Street lighting energy costs",
    "Planning enforcement notices",
    "Housing repairs backlog",
    "School transport contracts",
    "Fly-tipping prosecutions",
    "Public toilet closures",
    "Grass verge cutting",
    "Consultancy spending",
    "Cyber security incidents",
    "Staff sickness absence",
    "Leisure centre subsidies",
    "Air quality monitoring",
)


def add_search_texts(session, ids: list[int], *, seed: int = 1) -> None:
    """Give the requests `ids` subjects and bodies like real ones (add_requests leaves them bare):
    twenty topics and years in the subjects, a letter of about 400 characters naming the topic."""
    from sqlalchemy import update

    rng = random.Random(seed)
    rows = []
    for request_id in ids:
        topic = rng.choice(SEARCH_TOPICS)
        year = rng.randint(2019, 2026)
        rows.append(
            {
                "id": request_id,
                "subject": f"{topic} {year}",
                "body": (
                    "Under the Freedom of Information Act 2000, please send me the following information. "
                    f"1. {topic} for the financial year {year}/{(year + 1) % 100:02d}, by month. "
                    f"2. The same figures for {year - 1}/{year % 100:02d}, so that the two can be compared. "
                    "3. Any report to councillors on this subject in that period. "
                    "Please send the figures as a spreadsheet if you can. Thank you."
                ),
            }
        )
    session.execute(update(FoiRequest), rows)
    session.commit()
