"""Load test: 20 people browsing while 5 enter events and figures, against gunicorn on loopback.

    python benchmarks/load.py [--database-url postgresql+psycopg://...] [--duration 45] [--max-requests 20000]

One run, one backend (a temporary SQLite file in WAL mode unless a PostgreSQL URL is given;
its public schema is dropped and rebuilt, so give it a database of its own):

1. Builds a migrated database with the council register, 25 users, 25 campaigns and 10,000
   sent requests with timelines (about half answered, some refused and under review, some
   waiting for a clarification, a few withdrawn; the open ones spread over 90 days, so many
   are overdue), the deadline columns and reminders computed by the app's own
   `recompute_requests`, and 20 questions with figures in 3 of the campaigns.
2. Starts gunicorn on a free loopback port exactly as deployed: `gunicorn -c
   deploy/gunicorn.conf.py 'fointracker:create_app()'`, its workers, worker class and timeouts
   unchanged (2 x CPUs + 1 sync workers: 5 on 2 cores; WEB_CONCURRENCY, the file's own knob,
   is honoured if set), only its address given (FOINTRACKER_BIND), with the production app
   configuration (FOINTRACKER_ENV=production, a random secret key, cookies not marked Secure
   because the test talks plain HTTP to 127.0.0.1: FOINTRACKER_SESSION_COOKIE_SECURE=false).
3. Logs each of the 25 users in once, through the real login form.
4. Mixed phase (--duration s): 20 readers open the dashboard, request lists (filters,
   search, sorting, pagination), request pages, campaign pages, statistics and the report
   page, with a think time between clicks (--think-ms, 1 s on average: far faster than
   people click, so 25 "people" here are a busy office); 5 writers, each on requests of its own, record
   an acknowledgement, then a response, then fill in the request's figures, through the
   real forms with their CSRF tokens, following each redirect as a browser would.
   Beside them a probe asks for /healthz four times a second, as a load balancer does: the
   floor, what any request costs on this server and machine at that moment. Per endpoint:
   p50/p95 and its share of the server's time (the durations in the app's own access lines),
   and the machine's load average, sampled each second.
5. Capacity phases, no think time, the same 25 logged-in sessions: /healthz (the floor:
   routing, headers, two one-row queries and a JSON answer) and the dashboard, alternated in
   --rounds rounds of --phase/--rounds seconds each, so background load hits both alike. The
   CPU gunicorn and this client spend per request is printed beside the rates: on a shared
   machine it is steadier than the rates themselves.
6. Stops gunicorn and checks the database: every write the server acknowledged (a redirect)
   is there (event kind and request; each figure's value), and no 5xx or "database is
   locked" appeared in a response or in gunicorn's log.

Goals (exit status 1 if one fails): no 5xx, no "database is locked", no lost write; p95 under
300 ms over the 25 users' requests in the mixed phase; the dashboard's throughput at least a
third of /healthz's. Every request is bounded: per-phase time and --max-requests, a 60 s client
timeout, and gunicorn is stopped at the end whatever happens. About 2 to 3 minutes a backend.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import requests
from _fixture import add_requests, goal, load_average, make_app
from sqlalchemy import func, insert, select, text, update
from werkzeug.security import generate_password_hash

from fointracker import clock
from fointracker.domain.lifecycle import TransitionError, replay
from fointracker.extensions import db
from fointracker.models import (
    Answer,
    Campaign,
    FoiRequest,
    Question,
    RequestEvent,
    User,
    campaign_coordinators,
    campaign_members,
)
from fointracker.services.deadlines import recompute_requests

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 10_000
CAMPAIGNS = 25
FIGURE_CAMPAIGNS = 3
READERS = 20
WRITERS = 5
PASSWORD = "load-bench-password"
P95_GOAL_MS = 300.0
THROUGHPUT_GOAL = 1 / 3
CLIENT_TIMEOUT = 60
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STAMP = re.compile(r'name="q(\d+)-stamp" value="([^"]*)"')
EVENT_ANCHOR = re.compile(r"/requests/(\d+)#event-(\d+)$")
LOCKED = b"database is locked"
READER_ROLES = ("staff", "coordinator", "staff", "admin", "author")  # 8 staff, 4 of each other role


# --------------------------------------------------------------------------- the database


@dataclass
class Dataset:
    url: str
    request_ids: list[int]
    campaign_ids: list[int]
    figure_campaign_ids: list[int]
    questions: dict[int, str]  # question id -> qtype (questions of the figure campaigns)
    users: list[tuple[int, str, str]]  # (id, email, role): READERS readers, then WRITERS writers
    writer_targets: list[list[int]]  # per writer: requests awaiting a response, its own


QUESTIONS = (
    [
        ("money", f"M{i}_{p}", f"Spending line {i}", period, f"line{i}")
        for i in range(6)
        for p, period in (("a", "2010/11"), ("b", "2011/12"))
    ]
    + [("count", f"C{i}", f"Count {i}", "", "") for i in range(4)]
    + [("percentage", f"P{i}", f"Rate {i}", "", "") for i in range(2)]
    + [("yes_no", f"Y{i}", f"Policy {i}", "", "") for i in range(2)]
)


def _timelines(rng: random.Random, rows, acknowledged: set[int], today: date, creator: int):
    """Per request: its extra events (answers, reviews, clarifications, withdrawals) and the
    status and outcome they lead to, replayed through the app's own state machine."""
    events, states = [], []
    for request_id, sent_on in rows:
        age = (today - sent_on).days
        extra: list[tuple[str, date, dict]] = []
        roll = rng.random()
        if age >= 5 and roll < 0.55:
            answered = sent_on + timedelta(days=rng.randint(3, min(age, 45)))
            outcome = rng.choices(["successful", "partially_successful", "refused", "not_held"], [6, 2, 1, 1])[0]
            details = {"outcome": outcome}
            if outcome == "refused":
                details["exemptions"] = rng.choice([["s12"], ["s40", "s43"], ["s43"]])
            elif outcome == "partially_successful":
                details["exemptions"] = ["s43"]
            extra.append(("response_received", answered, details))
            if outcome in ("refused", "partially_successful") and (today - answered).days >= 2 and rng.random() < 0.4:
                review = answered + timedelta(days=rng.randint(1, (today - answered).days))
                extra.append(("review_requested", review, {}))
                if (today - review).days >= 10 and rng.random() < 0.5:
                    extra.append(
                        (
                            "review_outcome",
                            review + timedelta(days=rng.randint(5, (today - review).days)),
                            {"outcome": rng.choice(["successful", outcome])},
                        )
                    )
        elif age >= 3 and roll < 0.62:
            extra.append(("clarification_requested", sent_on + timedelta(days=rng.randint(1, age)), {}))
        elif roll < 0.64:
            extra.append(("withdrawn", sent_on + timedelta(days=rng.randint(0, age)), {}))
        timeline = [("sent", sent_on, {})]
        if request_id in acknowledged:
            timeline.append(("acknowledged", min(sent_on + timedelta(days=2), today), {}))
        timeline = sorted(timeline + extra, key=lambda e: e[1])
        try:
            status, outcome = replay([(kind, details) for kind, _, details in timeline])
        except TransitionError:  # e.g. an acknowledgement dated after a withdrawal: keep it simple
            extra, status, outcome = [], *replay([("sent", {})])
        states.append({"id": request_id, "status": status.value, "outcome": outcome.value if outcome else None})
        events += [
            {
                "request_id": request_id,
                "kind": kind,
                "occurred_on": day,
                "details": details,
                "note": "",
                "created_by_id": creator,
            }
            for kind, day, details in extra
        ]
    return events, states


def _answers(rng: random.Random, request_ids, questions: list[tuple[int, str]], user_id: int) -> list[dict]:
    rows = []
    for request_id in request_ids:
        for question_id, qtype in questions:
            row = {
                "request_id": request_id,
                "question_id": question_id,
                "state": "provided",
                "value_number": None,
                "bound_low": None,
                "bound_high": None,
                "value_bool": None,
                "value_text": "",
                "raw": "",
                "exemption": "",
                "source_page": "",
                "note": "",
                "entered_by_id": user_id,
            }
            if rng.random() < 0.05:
                row["state"] = "not_held"
            elif qtype == "yes_no":
                row["value_bool"] = rng.random() < 0.6
            elif qtype == "percentage":
                row["value_number"] = Decimal(rng.randint(0, 10000)) / 100
            elif qtype == "count":
                row["value_number"] = Decimal(rng.randint(0, 5000))
            else:
                row["value_number"] = Decimal(rng.randint(10_000, 500_000_000)) / 100
            rows.append(row)
    return rows


def build(database_url: str | None, seed: int = 7) -> tuple[object, Dataset]:
    rng = random.Random(seed)
    today = clock.today()
    app = make_app(database_url)
    with app.app_context():
        session = db.session
        password_hash = generate_password_hash(PASSWORD)  # one scrypt, shared: building stays fast
        roles = [READER_ROLES[i % len(READER_ROLES)] for i in range(READERS)] + ["staff"] * WRITERS
        emails = [f"reader{i + 1:02d}@load.example.org" for i in range(READERS)] + [
            f"writer{i + 1}@load.example.org" for i in range(WRITERS)
        ]
        result = session.execute(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {"email": e, "role": r, "name": e.split("@")[0], "password_hash": password_hash, "active": True}
                for e, r in zip(emails, roles)
            ],
        )
        user_ids = list(result.scalars())
        session.commit()
        ids = add_requests(session, REQUESTS, seed=seed, today=today, campaigns=CAMPAIGNS)
        # The fixture dates acknowledgements two days after sending, which for the newest requests
        # is in the future: they are brought back to today, as no one records tomorrow's post.
        session.execute(
            update(RequestEvent)
            .where(RequestEvent.kind == "acknowledged", RequestEvent.occurred_on > today)
            .values(occurred_on=today)
        )

        # Owners: the people who work requests (staff and coordinators, writers included), three
        # to a campaign, as a team shares a campaign's councils.
        owners = [uid for uid, role in zip(user_ids, roles) if role in ("staff", "coordinator")]
        campaign_ids = sorted({cid for cid in session.scalars(select(FoiRequest.campaign_id).distinct())})
        team = {cid: [owners[(k * 3 + j) % len(owners)] for j in range(3)] for k, cid in enumerate(campaign_ids)}
        session.execute(
            update(FoiRequest),
            [
                {"id": rid, "owner_id": team[cid][i % 3]}
                for i, (rid, cid) in enumerate(session.execute(select(FoiRequest.id, FoiRequest.campaign_id)))
            ],
        )
        # Everyone a member of every campaign, as migration 0010 left an existing install (readers
        # browse any campaign; admins would see them all anyway).
        session.execute(
            insert(campaign_members), [{"campaign_id": cid, "user_id": uid} for cid in campaign_ids for uid in user_ids]
        )
        coordinators = [uid for uid, role in zip(user_ids, roles) if role == "coordinator"]
        session.execute(
            insert(campaign_coordinators),
            [
                {"campaign_id": campaign_ids[(i * 2 + k) % len(campaign_ids)], "user_id": uid}
                for i, uid in enumerate(coordinators)
                for k in range(2)
            ],
        )

        rows = session.execute(select(FoiRequest.id, FoiRequest.sent_on).order_by(FoiRequest.id)).all()
        acknowledged = set(session.scalars(select(RequestEvent.request_id).where(RequestEvent.kind == "acknowledged")))
        events, states = _timelines(rng, rows, acknowledged, today, user_ids[0])
        session.execute(insert(RequestEvent), events)
        session.execute(update(FoiRequest), states)
        session.commit()
        recompute_requests(session)  # the deadline columns and reminders, as the app computes them
        session.commit()

        figure_campaigns = campaign_ids[:FIGURE_CAMPAIGNS]
        questions: dict[int, str] = {}
        answered_ids = set()
        for campaign_id in figure_campaigns:
            result = session.execute(
                insert(Question).returning(Question.id, Question.qtype, sort_by_parameter_order=True),
                [
                    {
                        "campaign_id": campaign_id,
                        "qtype": qtype,
                        "code": code,
                        "label": label,
                        "period_label": period,
                        "pair_group": pair,
                        "position": n + 1,
                        "help_text": "",
                        "choices": None,
                    }
                    for n, (qtype, code, label, period, pair) in enumerate(QUESTIONS)
                ],
            )
            campaign_questions = [tuple(row) for row in result]
            questions.update(campaign_questions)
            done = [
                rid
                for rid in session.scalars(
                    select(FoiRequest.id).where(
                        FoiRequest.campaign_id == campaign_id,
                        FoiRequest.outcome.in_(["successful", "partially_successful"]),
                    )
                )
                if rng.random() < 0.7
            ]
            answered_ids.update(done)
            session.execute(insert(Answer), _answers(rng, done, campaign_questions, user_ids[-1]))
        # Figures entered: every request with answers, and two in three elsewhere (the dashboard's
        # "figures not entered" bucket keeps the rest).
        answered_elsewhere = [
            rid
            for rid in session.scalars(
                select(FoiRequest.id).where(
                    FoiRequest.campaign_id.not_in(figure_campaigns),
                    FoiRequest.outcome.in_(["successful", "partially_successful"]),
                )
            )
            if rng.random() < 0.67
        ]
        entered = sorted(answered_ids) + answered_elsewhere
        session.execute(update(FoiRequest), [{"id": rid, "figures_entered": True} for rid in entered])
        session.commit()

        targets = list(
            session.scalars(
                select(FoiRequest.id)
                .where(FoiRequest.campaign_id.in_(figure_campaigns), FoiRequest.status == "awaiting_response")
                .order_by(FoiRequest.id)
            )
        )
        rng.shuffle(targets)
        if db.engine.dialect.name == "postgresql":  # what autovacuum does to a live database
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        url = db.engine.url.render_as_string(hide_password=False)
        dataset = Dataset(
            url=url,
            request_ids=ids,
            campaign_ids=campaign_ids,
            figure_campaign_ids=figure_campaigns,
            questions=questions,
            users=list(zip(user_ids, emails, roles)),
            writer_targets=[targets[w::WRITERS] for w in range(WRITERS)],
        )
        db.session.remove()
        db.engine.dispose()  # the server has the database to itself from here on
    return app, dataset


def describe_database(app) -> str:
    with app.app_context():
        session = db.session
        total = session.scalar(select(func.count()).select_from(FoiRequest))
        by_status = dict(session.execute(select(FoiRequest.status, func.count()).group_by(FoiRequest.status)).all())
        overdue = session.scalar(
            select(func.count()).select_from(FoiRequest).where(FoiRequest.response_due_on < clock.today())
        )
        events = session.scalar(select(func.count()).select_from(RequestEvent))
        answers = session.scalar(select(func.count()).select_from(Answer))
        campaigns = session.scalar(select(func.count()).select_from(Campaign))
        db.session.remove()
        db.engine.dispose()
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(by_status.items(), key=lambda kv: -kv[1]))
    return (
        f"{total:,} requests in {campaigns} campaigns ({statuses}; {overdue:,} overdue), "
        f"{events:,} timeline events, {answers:,} figures"
    )


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, started as deployed: `-c deploy/gunicorn.conf.py`."""

    CONFIG = "deploy/gunicorn.conf.py"

    def __init__(self, database_url: str, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "gunicorn.log"
        env = {
            **os.environ,
            "FOINTRACKER_ENV": "production",
            "FOINTRACKER_SECRET_KEY": secrets.token_urlsafe(48),
            # Plain HTTP on loopback: a browser would not send a Secure cookie back.
            "FOINTRACKER_SESSION_COOKIE_SECURE": "false",
            "FOINTRACKER_DATABASE_URL": database_url,
            "FOINTRACKER_INSTANCE_PATH": str(workdir / "instance"),
            "FOINTRACKER_UPLOAD_FOLDER": str(workdir / "uploads"),
            "FOINTRACKER_BIND": f"127.0.0.1:{self.port}",  # the config file's own setting for its address
            "PYTHONPATH": str(ROOT),
        }
        # Nothing else on the command line: workers, worker class and timeouts are the file's.
        self.command = [sys.executable, "-m", "gunicorn", "-c", self.CONFIG, "fointracker:create_app()"]
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_text()[-3000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()

    def workers(self) -> list[int]:
        """The worker processes' ids (the arbiter's children)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's arbiter and its workers."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")


# --------------------------------------------------------------------------- the clients


@dataclass
class Sample:
    phase: str
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    ms: float
    locked: bool
    started: float


@dataclass
class Write:
    user_id: int
    request_id: int
    what: str  # "acknowledged", "response_received" or "figures"
    event_id: int | None = None
    figures: dict[int, str] = field(default_factory=dict)  # question id -> the value typed


class Recorder:
    def __init__(self):
        self.samples: list[Sample] = []
        self.writes: list[Write] = []
        self.rejected: list[str] = []  # writes the server answered without saving (a form error)
        self.lock = threading.Lock()
        self.count = 0

    def take(self, limit: int) -> bool:
        """One more request in this phase, if the limit allows."""
        with self.lock:
            if self.count >= limit:
                return False
            self.count += 1
            return True


class Client:
    """One person: a requests.Session, logged in once through the login form."""

    def __init__(self, base: str, user: tuple[int, str, str], recorder: Recorder):
        self.base = base
        self.user_id, self.email, self.role = user
        self.http = requests.Session()
        self.recorder = recorder
        self.phase = "login"

    def call(self, kind: str, method: str, path: str, data=None) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, data=data, allow_redirects=False, timeout=CLIENT_TIMEOUT
            )
            status, locked = response.status_code, LOCKED in response.content
        except requests.RequestException:
            response, status, locked = None, 0, False
        ms = (time.perf_counter() - started) * 1000
        with self.recorder.lock:
            self.recorder.samples.append(Sample(self.phase, kind, status, ms, locked, started))
        return response

    def login(self) -> None:
        page = self.call("login", "GET", "/login")
        token = CSRF.search(page.text).group(1)
        answer = self.call(
            "login", "POST", "/login", {"csrf_token": token, "email": self.email, "password": PASSWORD, "next": ""}
        )
        if answer is None or answer.status_code != 302:
            raise RuntimeError(f"{self.email} could not log in: {answer and answer.status_code}")


def follow(client: Client, response: requests.Response | None, kind: str) -> requests.Response | None:
    """What a browser does after a form's redirect: load the page it points to."""
    if response is None or response.status_code != 302:
        return None
    location = urlsplit(response.headers["Location"])
    return client.call(kind, "GET", location.path + (f"?{location.query}" if location.query else ""))


class Reader:
    """Browses like a person: mostly the dashboard, lists and requests; sometimes statistics and reports."""

    LIST_FILTERS = (
        "",
        "status=awaiting_response",
        "deadline=overdue",
        "deadline=very_overdue",
        "deadline=due_this_week",
        "todo=figures_missing",
        "status=responded&outcome=refused",
        "q=Borough",
        "q=REF-12",
        "sort=council",
        "sort=newest",
        "region=London",
    )

    def __init__(self, client: Client, dataset: Dataset, rng: random.Random):
        self.client, self.dataset, self.rng = client, dataset, rng

    def one(self) -> None:
        roll, d, rng = self.rng.random(), self.dataset, self.rng
        if roll < 0.22:
            scope = "" if rng.random() < 0.7 else "?scope=all"
            self.client.call("dashboard", "GET", "/" + scope)
        elif roll < 0.52:
            query = rng.choice(self.LIST_FILTERS)
            if rng.random() < 0.3:
                query = f"campaign={rng.choice(d.campaign_ids)}" + (f"&{query}" if query else "")
            if rng.random() < 0.15:
                query = f"owner={self.client.user_id}" + (f"&{query}" if query else "")
            # Further pages of the whole list (200 of them); a filtered list from its first page.
            page = rng.randint(2, 200) if not query and rng.random() < 0.4 else 1
            self.client.call("request list", "GET", f"/requests/?{query}&page={page}".replace("?&", "?"))
        elif roll < 0.74:
            self.client.call("request page", "GET", f"/requests/{rng.choice(d.request_ids)}")
        elif roll < 0.80:
            self.client.call("campaign page", "GET", f"/campaigns/{rng.choice(d.campaign_ids)}")
        elif roll < 0.90:
            self.client.call("statistics", "GET", f"/campaigns/{rng.choice(d.campaign_ids)}/statistics")
        else:
            self.client.call("report", "GET", f"/campaigns/{rng.choice(d.figure_campaign_ids)}/report")


class Writer:
    """Works through its own requests: acknowledgement, response, then the figures, via the forms."""

    def __init__(self, client: Client, dataset: Dataset, targets: list[int], rng: random.Random):
        self.client, self.dataset, self.rng = client, dataset, rng
        self.targets = list(targets)
        self.steps = []  # the steps left for the current request

    def _event(self, request_id: int, kind: str, extra: dict) -> None:
        page = self.client.call("request page", "GET", f"/requests/{request_id}")
        if page is None or page.status_code != 200:
            return
        token = CSRF.search(page.text).group(1)
        answer = self.client.call(
            "event post",
            "POST",
            f"/requests/{request_id}/events",
            {
                "csrf_token": token,
                "kind": kind,
                "occurred_on": clock.today().isoformat(),
                "note": f"load test: {self.client.email}",
                **extra,
            },
        )
        if answer is not None and answer.status_code == 302:
            match = EVENT_ANCHOR.search(answer.headers.get("Location", ""))
            with self.client.recorder.lock:
                self.client.recorder.writes.append(
                    Write(self.client.user_id, request_id, kind, int(match.group(2)) if match else None)
                )
            follow(self.client, answer, "request page")
        elif answer is not None and answer.status_code < 500:
            with self.client.recorder.lock:
                self.client.recorder.rejected.append(f"{kind} on request {request_id}: HTTP {answer.status_code}")

    def _figures(self, request_id: int) -> None:
        page = self.client.call("figures page", "GET", f"/requests/{request_id}/figures")
        if page is None or page.status_code != 200:
            return
        form = {"csrf_token": CSRF.search(page.text).group(1)}
        typed = {}
        for question_id, stamp in STAMP.findall(page.text):
            question_id = int(question_id)
            qtype = self.dataset.questions[question_id]
            if qtype == "yes_no":
                value = self.rng.choice(["yes", "no"])
            elif qtype == "percentage":
                value = f"{self.rng.randint(0, 10000) / 100:.2f}"
            elif qtype == "count":
                value = str(self.rng.randint(0, 5000))
            else:
                value = f"{self.rng.randint(1000, 99_999_999)}.{self.rng.randint(0, 99):02d}"
            typed[question_id] = value
            form.update(
                {
                    f"q{question_id}-value": value,
                    f"q{question_id}-state": "",
                    f"q{question_id}-exemption": "",
                    f"q{question_id}-source": "",
                    f"q{question_id}-page": "",
                    f"q{question_id}-note": "",
                    f"q{question_id}-stamp": stamp,
                }
            )
        answer = self.client.call("figures post", "POST", f"/requests/{request_id}/figures", form)
        if answer is not None and answer.status_code == 302:
            with self.client.recorder.lock:
                self.client.recorder.writes.append(Write(self.client.user_id, request_id, "figures", figures=typed))
            follow(self.client, answer, "figures page")
        elif answer is not None and answer.status_code < 500:
            with self.client.recorder.lock:
                self.client.recorder.rejected.append(f"figures on request {request_id}: HTTP {answer.status_code}")

    def one(self) -> None:
        if not self.steps:
            if not self.targets:
                self.client.call("request list", "GET", "/requests/?status=awaiting_response")
                return
            request_id = self.targets.pop()
            self.steps = [
                (self._event, request_id, "acknowledged", {}),
                (self._event, request_id, "response_received", {"outcome": "successful"}),
                (self._figures, request_id),
            ]
        step, *args = self.steps.pop(0)
        step(*args)


def run_phase(
    name: str, actors, recorder: Recorder, seconds: float, limit: int, think_ms: float, rng_seed: int
) -> float:
    """Each actor in a thread of its own, calling actor.one() until time or the count runs out.
    Think time: uniform between half and one and a half times `think_ms` (0: back to back).
    Returns the elapsed time."""
    recorder.count = 0
    for actor in actors:
        actor.client.phase = name
    deadline = time.monotonic() + seconds
    stop = threading.Event()

    def loop(actor, seed):
        rng = random.Random(seed)
        while not stop.is_set() and time.monotonic() < deadline and recorder.take(limit):
            actor.one()
            if think_ms:
                stop.wait(rng.uniform(0.5 * think_ms, 1.5 * think_ms) / 1000)

    threads = [threading.Thread(target=loop, args=(actor, rng_seed + i), daemon=True) for i, actor in enumerate(actors)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + CLIENT_TIMEOUT + 5)
    stop.set()
    return time.monotonic() - started


class Fixed:
    """The same request over and over (the capacity phases)."""

    def __init__(self, client: Client, kind: str, path: str):
        self.client, self.kind, self.path = client, kind, path

    def one(self) -> None:
        self.client.call(self.kind, "GET", self.path)


# --------------------------------------------------------------------------- checks and figures


def verify_writes(app, writes: list[Write], writer_ids: set[int]) -> tuple[list[str], int, int]:
    """Every acknowledged write, looked up in the database. Returns (what is missing or wrong,
    events checked, figures checked)."""
    problems, events_checked, figures_checked = [], 0, 0
    with app.app_context():
        session = db.session
        found = {
            e.id: e for e in session.scalars(select(RequestEvent).where(RequestEvent.created_by_id.in_(writer_ids)))
        }
        claimed = set()
        for write in writes:
            if write.what == "figures":
                answers = {
                    a.question_id: a
                    for a in session.scalars(select(Answer).where(Answer.request_id == write.request_id))
                }
                for question_id, typed in write.figures.items():
                    figures_checked += 1
                    answer = answers.get(question_id)
                    if answer is None:
                        problems.append(f"request {write.request_id}: figure for question {question_id} missing")
                        continue
                    if typed in ("yes", "no"):
                        ok = answer.value_bool is (typed == "yes")
                    else:
                        ok = answer.value_number is not None and Decimal(answer.value_number) == Decimal(typed)
                    if not ok or answer.entered_by_id != write.user_id:
                        problems.append(
                            f"request {write.request_id}: question {question_id} holds "
                            f"{answer.value_number if answer.value_bool is None else answer.value_bool} "
                            f"by user {answer.entered_by_id}, not {typed} by {write.user_id}"
                        )
                continue
            events_checked += 1
            event = found.get(write.event_id)
            claimed.add(write.event_id)
            if event is None or event.kind != write.what or event.request_id != write.request_id:
                problems.append(f"request {write.request_id}: {write.what} event {write.event_id} not found")
        responded = {w.request_id for w in writes if w.what == "response_received"}
        for request_id in responded:
            status = session.scalar(select(FoiRequest.status).where(FoiRequest.id == request_id))
            if status != "responded":
                problems.append(f"request {request_id}: status {status} after its response was recorded")
        unclaimed = len(set(found) - claimed)
        db.session.remove()
        db.engine.dispose()
    if unclaimed:  # saved although the client saw no redirect (e.g. it timed out): reported, not lost
        print(f"  note: {unclaimed} event(s) saved whose acknowledgement the client did not see")
    return problems, events_checked, figures_checked


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def latency_table(samples: list[Sample], title: str, server_ms: dict[str, float]) -> list[str]:
    """Per kind of request: count, errors, percentiles, and its shares of the requests and of the
    server's time (`server_ms`: milliseconds the app spent on each kind, from its access lines)."""
    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    server_total = sum(server_ms.values()) or float("nan")
    lines = [
        title,
        f"  {'kind':<16}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'requests':>10}{'server time':>13}",
    ]
    order = sorted(by_kind, key=lambda k: -len(by_kind[k]))
    for kind in order + ["all"]:
        rows = samples if kind == "all" else by_kind[kind]
        ms = [s.ms for s in rows]
        errors = sum(1 for s in rows if s.status == 0 or s.status >= 500)
        spent = server_total if kind == "all" else server_ms.get(kind, 0.0)
        lines.append(
            f"  {kind:<16}{len(rows):>7}{errors:>8}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
            f"{percentile(ms, 99):>9.1f}{max(ms, default=float('nan')):>9.1f}"
            f"{len(rows) / max(1, len(samples)):>10.0%}{spent / server_total:>13.0%}"
        )
    return lines


ACCESS_LINE = re.compile(r"\b(GET|POST) (/\S*) (\d{3}) ([\d.]+)ms user=")
ROUTES = (  # (method, path pattern, the client's name for it)
    ("GET", re.compile(r"/"), "dashboard"),
    ("GET", re.compile(r"/requests/"), "request list"),
    ("GET", re.compile(r"/requests/\d+"), "request page"),
    ("POST", re.compile(r"/requests/\d+/events"), "event post"),
    ("GET", re.compile(r"/requests/\d+/figures"), "figures page"),
    ("POST", re.compile(r"/requests/\d+/figures"), "figures post"),
    ("GET", re.compile(r"/campaigns/\d+"), "campaign page"),
    ("GET", re.compile(r"/campaigns/\d+/statistics"), "statistics"),
    ("GET", re.compile(r"/campaigns/\d+/report"), "report"),
)


def server_time_by_kind(log: str) -> dict[str, float]:
    """Milliseconds the app spent per kind of request, summed from its access lines in `log`
    (wall time inside a worker: its CPU, plus its waits on the database and for a core)."""
    spent: dict[str, float] = defaultdict(float)
    for method, path, _status, ms in ACCESS_LINE.findall(log):
        kind = next((k for m, pattern, k in ROUTES if m == method and pattern.fullmatch(path)), "other")
        spent[kind] += float(ms)
    return spent


class Probe:
    """Beside a phase: /healthz four times a second, as a load balancer asks (the floor), and the
    machine's 1-minute load average once a second."""

    def __init__(self, base: str, recorder: Recorder, phase: str):
        self.client = Client(base, (0, "probe", "none"), recorder)
        self.client.phase = phase
        self.loads: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = 0
        while not self.stop.wait(0.25):
            self.client.call("healthz", "GET", "/healthz")
            tick += 1
            if tick % 4 == 0:
                self.loads.append(float(load_average().split()[0]))

    def __enter__(self) -> Probe:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(CLIENT_TIMEOUT + 5)


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine so far (all cores; /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL database of the test's own (its schema is dropped); default: SQLite",
    )
    parser.add_argument("--duration", type=float, default=45, help="seconds of the mixed phase (default 45)")
    parser.add_argument(
        "--phase",
        type=float,
        default=10,
        help="seconds of each capacity phase, /healthz and the dashboard (default 10)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="the capacity phases alternate in this many rounds")
    parser.add_argument("--max-requests", type=int, default=20_000, help="at most this many requests per phase")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=1000,
        help="mean pause between a person's clicks in the mixed phase (uniform ½..1½×; default "
        "1000: a person clicking far faster than people do)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file and gunicorn's log")
    args = parser.parse_args()

    print(f"load before building: {load_average()} (1/5/15-minute load average, {os.cpu_count()} cores)", flush=True)
    started = time.perf_counter()
    app, dataset = build(args.database_url)
    backend = "postgresql" if dataset.url.startswith("postgresql") else "sqlite"
    print(f"built on {backend} in {time.perf_counter() - started:.1f} s: {describe_database(app)}", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="fointracker-load-"))
    server = Server(dataset.url, workdir)
    recorder = Recorder()
    try:
        server.wait_ready()
        workers = len(server.workers())
        print(f"gunicorn -c {Server.CONFIG}: {workers} workers on {server.base} (production settings)", flush=True)
        clients = [Client(server.base, user, recorder) for user in dataset.users]
        for client in clients:
            client.login()
        readers = [Reader(c, dataset, random.Random(100 + i)) for i, c in enumerate(clients[:READERS])]
        writers = [
            Writer(c, dataset, dataset.writer_targets[i], random.Random(200 + i))
            for i, c in enumerate(clients[READERS:])
        ]

        # Warm-up: a few pages per reader (templates compiled, caches and connection pools filled).
        run_phase("warm-up", readers, recorder, 10, READERS * 6, 0, 1)

        load_before = load_average()
        print(
            f"mixed phase: {READERS} readers + {WRITERS} writers, {args.duration:g} s, think time "
            f"{args.think_ms:g} ms mean; load average {load_before}",
            flush=True,
        )
        log_start = len(server.log_text())
        cpu_before = (server.cpu_seconds(), time.process_time(), machine_busy_seconds())
        with Probe(server.base, recorder, "mixed floor") as probe:
            mixed_seconds = run_phase(
                "mixed", readers + writers, recorder, args.duration, args.max_requests, args.think_ms, 1000
            )
        mixed_cpu = [
            after - before
            for before, after in zip(cpu_before, (server.cpu_seconds(), time.process_time(), machine_busy_seconds()))
        ]
        mixed_log = server.log_text()[log_start:]

        healthz = [Fixed(c, "healthz", "/healthz") for c in clients]
        dashboards = [Fixed(c, "dashboard", "/") for c in clients]
        spent = {"healthz": 0.0, "dashboard": 0.0}
        server_cpu = {"healthz": 0.0, "dashboard": 0.0}
        client_cpu = {"healthz": 0.0, "dashboard": 0.0}
        slice_seconds = args.phase / args.rounds
        for round_ in range(args.rounds):
            for name, actors, seed in (("healthz", healthz, 2000), ("dashboard", dashboards, 3000)):
                cpu, mine = server.cpu_seconds(), time.process_time()
                spent[name] += run_phase(
                    f"capacity {name} {round_}", actors, recorder, slice_seconds, args.max_requests, 0, seed
                )
                server_cpu[name] += server.cpu_seconds() - cpu
                client_cpu[name] += time.process_time() - mine
        load_after = load_average()
    finally:
        server.stop()
    log = server.log_text()
    if args.keep:
        print(f"kept: gunicorn's log {server.log_path}; the database {dataset.url}")

    mixed = [s for s in recorder.samples if s.phase == "mixed"]
    floor = [s.ms for s in recorder.samples if s.phase == "mixed floor"]
    capacity = {
        name: [s for s in recorder.samples if s.phase.startswith(f"capacity {name}")]
        for name in ("healthz", "dashboard")
    }
    rates = {name: sum(1 for s in samples if 200 <= s.status < 300) / spent[name] for name, samples in capacity.items()}
    writer_ids = {c.user_id for c in clients[READERS:]}
    problems, events_checked, figures_checked = verify_writes(app, recorder.writes, writer_ids)

    everything = recorder.samples
    server_errors = [s for s in everything if s.status >= 500]
    no_answer = [s for s in everything if s.status == 0]
    locked_responses = [s for s in everything if s.locked]
    locked_in_log = log.count("database is locked")
    tracebacks = log.count("Traceback")
    timeouts = log.count("WORKER TIMEOUT")
    other = defaultdict(int)
    for s in everything:
        if 400 <= s.status < 500:
            other[(s.kind, s.status)] += 1
    p95 = percentile([s.ms for s in mixed], 95)
    ratio = rates["dashboard"] / rates["healthz"] if rates["healthz"] else 0.0

    print()
    print(
        f"backend: {backend}; gunicorn -c {Server.CONFIG}, {workers} sync workers on {os.cpu_count()} cores; "
        f"load average {load_before} before the mixed phase, {load_after} after the capacity phases; 1-minute "
        f"load during the mixed phase {min(probe.loads, default=float('nan')):.2f}-"
        f"{max(probe.loads, default=float('nan')):.2f}"
    )
    print(
        f"mixed phase: {len(mixed):,} requests in {mixed_seconds:.1f} s = {len(mixed) / mixed_seconds:.1f}/s; "
        f"writes acknowledged: {sum(1 for w in recorder.writes if w.what != 'figures')} events, "
        f"{sum(1 for w in recorder.writes if w.what == 'figures')} figure grids "
        f"({figures_checked} figures)"
    )
    gunicorn_cpu, client_cpu_mixed, machine_cpu = (seconds / mixed_seconds for seconds in mixed_cpu)
    print(
        f"CPU during the mixed phase, in cores busy (of {os.cpu_count()}): gunicorn {gunicorn_cpu:.2f}, this "
        f"client {client_cpu_mixed:.2f}, the whole machine {machine_cpu:.2f} (so everything else "
        f"{max(0.0, machine_cpu - gunicorn_cpu - client_cpu_mixed):.2f}, PostgreSQL included)"
    )
    print(
        f"floor: /healthz during the mixed phase, {len(floor)} probes: p50 {percentile(floor, 50):.1f} ms, "
        f"p95 {percentile(floor, 95):.1f} ms (what any request waited for a worker and a core)"
    )
    table = latency_table(
        mixed,
        "mixed phase latency, the 25 users (writers' page loads included); shares of the requests and of the "
        "server's time (the app's access lines):",
        server_time_by_kind(mixed_log),
    )
    for line in table:
        print(line)
    print(f"capacity, {len(clients)} clients back to back, {args.rounds} alternating rounds:")
    for name in ("healthz", "dashboard"):
        ms = [s.ms for s in capacity[name]]
        print(
            f"  {name:<10} {rates[name]:8.1f} req/s over {spent[name]:.1f} s "
            f"(p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms; "
            f"CPU a request: gunicorn {server_cpu[name] * 1000 / max(1, len(ms)):.1f} ms, "
            f"this client {client_cpu[name] * 1000 / max(1, len(ms)):.1f} ms)"
        )
    print(
        f"responses: {len(everything):,} in all; 5xx {len(server_errors)}; no answer {len(no_answer)}; "
        f"'database is locked' in {len(locked_responses)} bodies and {locked_in_log} log lines; "
        f"gunicorn log: {tracebacks} tracebacks, {timeouts} worker timeouts"
    )
    if other:
        print("  4xx: " + ", ".join(f"{kind} {status} ×{n}" for (kind, status), n in sorted(other.items())))
    if recorder.rejected:
        print(f"  writes refused by a form error: {len(recorder.rejected)}, e.g. {recorder.rejected[:3]}")
    for problem in problems[:10]:
        print(f"  LOST: {problem}")
    if tracebacks:
        print("  gunicorn log (end):\n" + log[-2000:])

    print()
    results = [
        goal("no 5xx and every request answered", not server_errors and not no_answer),
        goal("no 'database is locked' (responses and gunicorn log)", not locked_responses and not locked_in_log),
        goal(
            f"no lost write ({events_checked} events and {figures_checked} figures acknowledged, all found; "
            f"{len(recorder.rejected)} refused)",
            not problems and not recorder.rejected and events_checked > 0 and figures_checked > 0,
        ),
        goal(
            f"mixed phase p95 under {P95_GOAL_MS:g} ms, 25 users (p95 {p95:.0f} ms; /healthz p95 "
            f"{percentile(floor, 95):.0f} ms)",
            p95 < P95_GOAL_MS,
        ),
        goal(
            f"dashboard throughput at least 1/3 of /healthz's ({ratio:.2f})",
            ratio >= THROUGHPUT_GOAL,
        ),
    ]
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
        if backend == "sqlite":  # the temporary folder _fixture.make_app made for the database
            shutil.rmtree(Path(dataset.url.removeprefix("sqlite:///")).parent, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
