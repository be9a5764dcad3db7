"""Real parts for the reminder tests: an SMTP server and a webhook receiver on loopback,
the subprocess plumbing for `python -m fointracker ...`, and builders that create
campaigns and requests through the services (so reminders are planned the way the app
plans them).

Import the fixtures into a test module to use them:

    from tests.reminders_support import smtp_server, webhook_server  # noqa: F401
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from fointracker.models import Authority, Reminder, User

BASE_URL = "https://foi.example.org"
MAIL_FROM = "reminders@example.org"
MAIL_DOMAIN = "example.org"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- SMTP


class _Collector:
    """aiosmtpd handler: keeps every message it accepts, optionally held at a gate."""

    def __init__(self, sink: SmtpServer):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        while not sink.gate.is_set():  # held: the client waits for "250", as with a slow server
            await asyncio.sleep(0.01)
        if sink.delay:
            await asyncio.sleep(sink.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with sink.lock:
            sink.messages.append(message)
            sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a fixed free port; stop() makes the port refuse connections
    ("SMTP down"), start() brings a fresh server back on the same port."""

    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list = []
        self.envelopes: list = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        self.delay = 0.0
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        if self._controller is None:
            controller = Controller(_Collector(self), hostname=self.host, port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return True
            time.sleep(0.05)
        return False

    def config(self) -> dict:
        """Flask config keys pointing the outbox at this server."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": self.port,
            "SMTP_SECURITY": "none",
            "MAIL_FROM": MAIL_FROM,
            "BASE_URL": BASE_URL,
            "SMTP_TIMEOUT": 10,
        }

    def env(self) -> dict:
        """The same, as FOINTRACKER_* environment variables for a subprocess."""
        return {f"FOINTRACKER_{key}": str(value) for key, value in self.config().items()}


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.gate.set()
        server.stop()


def parts(message) -> dict[str, str]:
    """{content type: decoded text} of a (multipart) message."""
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


# ---------------------------------------------------------------- webhooks


class WebhookServer:
    """A threaded HTTP server on 127.0.0.1 standing in for Slack/Teams/Mattermost.

    mode: "ok" answers 200; "error" answers 500; "slow" sleeps `slow_seconds` before
    answering (longer than the sender's timeout). `received` holds the JSON bodies that
    were answered 200 (delivered); `hits` counts every POST, whatever the answer.
    """

    def __init__(self):
        self.mode = "ok"
        self.slow_seconds = 3.0
        self.received: list[dict] = []
        self.hits = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.hits += 1
                    mode = receiver.mode
                if mode == "slow":
                    receiver.stopping.wait(receiver.slow_seconds)
                    self._answer(200, b"ok (too late)")
                    return
                if mode == "error":
                    self._answer(500, b"internal error")
                    return
                payload = json.loads(body)
                with receiver.lock:
                    receiver.received.append({"payload": payload, "content_type": self.headers.get("Content-Type")})
                self._answer(200, b"ok")

            def _answer(self, status: int, body: bytes):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def payloads(self) -> list[dict]:
        with self.lock:
            return [item["payload"] for item in self.received]

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def webhook_server():
    server = WebhookServer()
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------- the planner's clock


class PlanningClock:
    """The outbox sync drops warnings about dates already past *as of the wall clock*; tests
    that log requests on fixed dates pin that clock to the day they pretend it is."""

    def __init__(self, monkeypatch, when: datetime):
        import fointracker.services.reminders as planning

        self.now = when
        # Only the planner's view of the clock: the sweeps in these tests take `--now` themselves.
        monkeypatch.setattr(planning, "clock", SimpleNamespace(now=lambda: self.now))

    def set(self, when: datetime | str) -> None:
        self.now = utc(when) if isinstance(when, str) else when


@pytest.fixture
def planning_clock(monkeypatch):
    """Planning happens on 2 March 2026, 09:00 UTC unless a test moves the clock."""
    return PlanningClock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


# ---------------------------------------------------------------- the app, in and out of process


# The webhook receiver listens on loopback, which the app refuses unless an admin allows the host.
WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def configure(app, smtp: SmtpServer | None = None, **extra) -> None:
    """Point the app's outbox at the test servers (in-process sweeps and CLI runs)."""
    app.config["WEBHOOK_ALLOWED_HOSTS"] = WEBHOOK_ALLOWED_HOSTS
    if smtp is not None:
        app.config.update(smtp.config())
    app.config.update(extra)


def subprocess_env(app, smtp: SmtpServer | None = None, **extra) -> dict:
    env = dict(
        os.environ,
        FOINTRACKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        FOINTRACKER_INSTANCE_PATH=str(Path(app.config["UPLOAD_FOLDER"]).parent),
        FOINTRACKER_WEBHOOK_ALLOWED_HOSTS=json.dumps(WEBHOOK_ALLOWED_HOSTS),
    )
    env.pop("FOINTRACKER_TEST_FAULT", None)
    if smtp is not None:
        env.update(smtp.env())
    env.update({key: str(value) for key, value in extra.items()})
    return env


def fointracker_command(*args) -> list[str]:
    return [sys.executable, "-m", "fointracker", *args]


def run_fointracker(app, *args, smtp: SmtpServer | None = None, timeout: float = 120, **env_extra):
    """`python -m fointracker ARGS` against the test database, as an operator runs it."""
    return subprocess.run(
        fointracker_command(*args),
        capture_output=True,
        text=True,
        env=subprocess_env(app, smtp, **env_extra),
        timeout=timeout,
    )


def start_fointracker(app, *args, smtp: SmtpServer | None = None, **env_extra) -> subprocess.Popen:
    return subprocess.Popen(
        fointracker_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(app, smtp, **env_extra),
    )


def stop_process(process: subprocess.Popen, timeout: float = 15) -> tuple[str, str]:
    """Make sure a child is gone (terminate, then kill) and return its output."""
    if process.poll() is None:
        process.terminate()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=timeout)
    return out, err


def sweep_cli(app, now: str):
    """`fointracker reminders run --now NOW` in-process (a fresh app context, so a fresh session)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["reminders", "run", "--now", now])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------- data, through the services


def add_user(
    session,
    email: str,
    *,
    role: str = "staff",
    mode: str = "immediate",
    digest_hour: int = 8,
    kinds_off: list[str] | None = None,
) -> int:
    """A user with reminder preferences (no password hashing: these users never log in)."""
    user = User(
        email=email,
        role=role,
        password_hash="!",
        reminder_mode=mode,
        digest_hour=digest_hour,
        reminder_kinds_off=list(kinds_off or []),
    )
    session.add(user)
    session.commit()
    return user.id


def add_campaign(
    session,
    title: str = "Social care budgets",
    *,
    coordinator_ids=(),
    webhook_url: str = "",
    created_by: int | None = None,
) -> int:
    from fointracker.services.campaigns import save_campaign

    campaign = save_campaign(
        session,
        None,
        {
            "title": title,
            "description": "",
            "default_regime": "foia",
            "letter_template": "",
            "webhook_url": webhook_url,
        },
        list(coordinator_ids),
        created_by,
        webhook_allowed_hosts=WEBHOOK_ALLOWED_HOSTS,
    )
    session.commit()
    return campaign.id


def add_request(
    session,
    campaign_id: int,
    *,
    sent_on: date | None,
    owner_id: int | None,
    code: str = "KEN",
    received_on: date | None = None,
    subject: str = "Adult social care budgets",
):
    """A request created through services.foi_requests (which plans its reminders)."""
    from fointracker.services.foi_requests import create_request

    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority.id,
            "regime": "foisa" if authority.nation == "Scotland" else "foia",
            "subject": subject,
            "body": "",
            "sent_on": sent_on,
            "received_on": received_on,
            "council_reference": "",
            "owner_id": owner_id,
        },
        None,
    )
    session.commit()
    return foi_request


def council_codes(session, n: int, nation: str = "England") -> list[str]:
    return list(
        session.scalars(
            select(Authority.code)
            .where(Authority.nation == nation, Authority.end_date.is_(None))
            .order_by(Authority.code)
            .limit(n)
        )
    )


def reminder_rows(session, *conditions) -> list[Reminder]:
    """Fresh from the database (other sessions and processes may have written)."""
    session.commit()
    session.expire_all()
    return list(session.scalars(select(Reminder).where(*conditions).order_by(Reminder.id)))


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive UTC datetimes back, PostgreSQL aware ones."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


__all__ = ["smtp_server", "webhook_server", "planning_clock"]
