"""A production run as the README describes it: `fointracker db upgrade`, gunicorn with the shipped
config and several workers, one `fointracker scheduler`; logs on stdout carrying request ids;
/healthz. Then the logging rules in-process, where caplog can see the records."""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from fointracker import clock, create_app
from fointracker.extensions import db
from fointracker.logging_setup import LineFormatter
from fointracker.models import SchedulerLease
from tests.conftest import (
    CSRF_RE,
    PASSWORD,
    PG_URL,
    _config,
    _reset_postgres,
    login,
    make_user,
    need,
)

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
BIN = Path(sys.executable).parent  # the console scripts installed beside this Python
REFUSAL = "Refusing to start in production with the default secret key"
# What every line the app and gunicorn write looks like (deploy/gunicorn.conf.py, logging_setup.LINE_FORMAT).
LINE_RE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) \[(\d+)\] "
    r"([\w.]+) req=([A-Za-z0-9._-]+) (.*)$"
)
GENERATED_ID = re.compile(r"[0-9a-f]{12}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, tmp_path: Path, secret_key: str | None) -> dict:
    """The environment an operator sets (deploy/fointracker.env.example), nothing from this shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FOINTRACKER_", "GUNICORN_")) and k not in ("WEB_CONCURRENCY", "PORT")
    }
    env.update(
        FOINTRACKER_ENV="production",
        FOINTRACKER_DATABASE_URL=database_url,
        FOINTRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        PYTHONUNBUFFERED="1",
    )
    if secret_key is not None:
        env["FOINTRACKER_SECRET_KEY"] = secret_key
    return env


class Processes:
    """Children started by a test, each in its own session, all stopped at teardown."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list[tuple[subprocess.Popen, Path, Path]] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        out, err = self.tmp_path / f"{name}.out", self.tmp_path / f"{name}.err"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            process = subprocess.Popen(
                command, env=env, cwd=self.tmp_path, stdout=stdout, stderr=stderr, start_new_session=True
            )
        process.out_path, process.err_path = out, err
        self.started.append((process, out, err))
        return process

    @staticmethod
    def stop(process: subprocess.Popen, timeout: float = 15) -> int:
        """SIGTERM (gunicorn's and the scheduler's clean stop), then SIGKILL the whole group."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # workers a master left behind, if any
        except ProcessLookupError:
            pass
        return process.wait(timeout)

    def stop_all(self) -> None:
        for process, _out, _err in self.started:
            self.stop(process)


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def wait_until(condition, timeout: float, what: str, *watched: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in watched:
            if process.poll() is not None:
                pytest.fail(
                    f"{process.args[0]} exited with {process.returncode} while waiting for {what}:\n"
                    f"{process.out_path.read_text(errors='replace')[-3000:]}\n"
                    f"{process.err_path.read_text(errors='replace')[-3000:]}"
                )
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def healthz(base: str):
    try:
        return requests.get(f"{base}/healthz", timeout=5)
    except requests.RequestException:  # not listening yet, or no worker booted yet to answer
        return None


def session_cookie(response) -> str:
    """The session cookie's value, after checking its flags: Secure (so over the plain http of this
    test a browser would keep it to itself: the test sends it back by hand, as a TLS proxy's client would)."""
    headers = response.raw.headers.getlist("Set-Cookie")  # each cookie (the device cookie too)
    header = next((h for h in headers if h.startswith("session=")), "")
    assert header, headers
    flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"secure", "httponly"} <= flags, header
    assert "SameSite=Lax" in header, header
    return header.split(";")[0].split("=", 1)[1]


@pytest.mark.slow
def test_production_run(app, database_url, tmp_path, processes):
    fointracker, gunicorn = BIN / "fointracker", BIN / "gunicorn"
    need(fointracker.exists() and gunicorn.exists(), f"the fointracker and gunicorn commands are not in {BIN}")
    secret_key = secrets.token_urlsafe(48)
    env = production_env(database_url, tmp_path, secret_key)
    try:
        # A default-key start is refused; checked alongside the real start, to save time.
        refused_web = processes.start(
            "refused-web",
            [
                str(gunicorn),
                "-c",
                str(GUNICORN_CONF),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{free_port()}",
                "fointracker:create_app()",
            ],
            production_env(database_url, tmp_path, None),
        )

        with app.app_context():
            version_before = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        upgrade = subprocess.run(
            [str(fointracker), "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert upgrade.returncode == 0, upgrade.stderr
        assert "Running upgrade" not in upgrade.stderr  # already at head: a no-op
        with app.app_context():
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == version_before
        admin_id = make_user(app, "prod-admin@example.org", "admin")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = processes.start(
            "web",
            [str(gunicorn), "-c", str(GUNICORN_CONF), "-w", "3", "-b", f"127.0.0.1:{port}", "fointracker:create_app()"],
            env,
        )
        scheduler = processes.start("scheduler", [str(fointracker), "scheduler"], env)

        def scheduler_running():
            response = healthz(base)
            return (
                response
                if response is not None
                and response.status_code == 200
                and response.json()["scheduler"]["state"] == "running"
                else None
            )

        health = wait_until(scheduler_running, 30, "/healthz with a running scheduler", web, scheduler).json()
        assert health["status"] == "ok" and health["database"] == "ok"
        assert health["scheduler"]["holder"].endswith(f":{scheduler.pid}")  # it is this scheduler's heartbeat
        assert health["scheduler"]["stale"] is False and health["scheduler"]["seconds_since_heartbeat"] <= 10

        # Request ids: a sane one is kept, anything else replaced.
        sent_id = "prodtest-1.a_B"
        kept = requests.get(f"{base}/login", headers={"X-Request-ID": sent_id}, timeout=5)
        assert kept.status_code == 200 and kept.headers["X-Request-ID"] == sent_id
        replaced = requests.get(
            f"{base}/login?next=/requests%3Fq%3Dsecretsearch", timeout=5, headers={"X-Request-ID": "no spaces; allowed"}
        )
        generated_id = replaced.headers["X-Request-ID"]
        assert GENERATED_ID.fullmatch(generated_id), generated_id
        calendar_token = secrets.token_urlsafe(24)
        assert requests.get(f"{base}/calendar/{calendar_token}.ics", timeout=5).status_code == 404

        # Several at once.
        with ThreadPoolExecutor(max_workers=9) as pool:
            statuses = list(pool.map(lambda _: requests.get(f"{base}/login", timeout=10).status_code, range(18)))
        assert statuses == [200] * 18
        # A sync worker serves one connection at a time: while one waits for the rest of a half-sent
        # request, the next request must be answered by another worker (the log shows which).
        with socket.create_connection(("127.0.0.1", port), timeout=30) as held:
            held.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: prodtest-held\r\n")
            time.sleep(0.5)  # accepted by a worker, which now waits for the blank line
            other = requests.get(f"{base}/login", headers={"X-Request-ID": "prodtest-other"}, timeout=10)
            assert other.status_code == 200
            held.sendall(b"Connection: close\r\n\r\n")
            reply = b""
            while chunk := held.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]

        # Logging in through gunicorn, with the cookie a browser behind TLS would send back.
        page = requests.get(f"{base}/login", timeout=5)
        cookie = session_cookie(page)
        match = CSRF_RE.search(page.text)
        token = match.group(1) or match.group(2)
        logged_in = requests.post(
            f"{base}/login",
            headers={"Cookie": f"session={cookie}"},
            allow_redirects=False,
            data={"email": "prod-admin@example.org", "password": PASSWORD, "csrf_token": token},
            timeout=10,
        )
        assert logged_in.status_code == 302 and logged_in.headers["Location"] in ("/", f"{base}/"), logged_in.text
        dashboard = requests.get(
            f"{base}/",
            headers={"Cookie": f"session={session_cookie(logged_in)}", "X-Request-ID": "prodtest-dashboard"},
            timeout=10,
        )
        assert dashboard.status_code == 200 and "Log out" in dashboard.text
        assert requests.get(f"{base}/", timeout=5, allow_redirects=False).status_code == 302  # no cookie, no page

        # The scheduler stops cleanly on SIGTERM, and /healthz says so at once.
        assert processes.stop(scheduler) == 0, scheduler.err_path.read_text()
        after = healthz(base)
        assert after.status_code == 200 and after.json()["scheduler"]["state"] == "stopped"
        assert after.json()["scheduler"]["stale"] is False

        web.send_signal(signal.SIGTERM)  # a graceful stop, which takes a moment: the CLI check runs meanwhile
        refused_cli = subprocess.run(
            [str(fointracker), "scheduler"],
            env=production_env(database_url, tmp_path, None),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused_cli.returncode != 0
        assert refused_cli.stderr.strip().splitlines() == [refused_cli.stderr.strip()], refused_cli.stderr
        assert refused_cli.stderr.startswith("Error: " + REFUSAL)

        # The SIGTERM above, finishing: not another one, which would kill a master mid-way through
        # its graceful stop (as happened on a loaded machine, where the stop outlasted the CLI check).
        assert web.wait(timeout=60) == 0
        log_lines = web.out_path.read_text().splitlines()
        assert web.err_path.read_text() == ""  # everything went to stdout

        assert wait_until(lambda: refused_web.poll() is not None, 30, "the default-key gunicorn to give up")
        assert refused_web.returncode != 0
        assert REFUSAL in refused_web.err_path.read_text() + refused_web.out_path.read_text()
    finally:
        if PG_URL:
            _reset_postgres(app)  # the users and the lease this test made

    # Every line is one whole record in the documented format.
    parsed = [LINE_RE.match(line) for line in log_lines]
    assert log_lines and all(parsed), [line for line, m in zip(log_lines, parsed) if not m][:5]
    access = [m for m in parsed if m.group(3) == "fointracker.access"]
    by_id = {m.group(4): m.group(5) for m in access}
    assert by_id[sent_id].startswith("GET /login 200 ")
    assert by_id[generated_id].startswith("GET /login 200 ") and by_id[generated_id].endswith(" query_keys=next")
    assert by_id["prodtest-dashboard"].startswith("GET / 200 ") and f"user={admin_id}" in by_id["prodtest-dashboard"]
    assert any(m.group(5).startswith("GET /calendar/[redacted].ics 404 ") for m in access)
    assert any(m.group(5).startswith("POST /login 302 ") for m in access)
    worker_of = {m.group(4): m.group(2) for m in access}
    assert worker_of["prodtest-held"] != worker_of["prodtest-other"], "one worker answered both"
    assert any(m.group(3) == "gunicorn.error" and "Booting worker" in m.group(5) for m in parsed)
    whole_log = "\n".join(log_lines)
    for secret in (secret_key, PASSWORD, calendar_token, "secretsearch", cookie, "no spaces"):
        assert secret not in whole_log, f"{secret!r} is in the log"


# --------------------------------------------------------------------------- in-process


def test_records_carry_the_request_id_and_an_access_line(client, users, caplog):
    caplog.set_level(logging.DEBUG, logger="fointracker")
    assert login(client, "coordinator@example.org").status_code == 302
    caplog.clear()
    response = client.get("/", headers={"X-Request-ID": "caplog-1"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "caplog-1"
    access = [r for r in caplog.records if r.name == "fointracker.access"]
    assert len(access) == 1 and access[0].request_id == "caplog-1"
    assert access[0].getMessage().startswith("GET / 200 ")
    assert access[0].getMessage().endswith(f" user={users['coordinator']}")
    logging.getLogger("fointracker.test").info("outside any request")
    assert caplog.records[-1].request_id == "-"


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("abc-123_X.y", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_if_sane(client, sent, kept):
    answered = client.get("/login", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    if kept:
        assert answered == sent
    else:
        assert answered != sent and GENERATED_ID.fullmatch(answered)


def test_secrets_stay_out_of_the_access_line(client, caplog):
    caplog.set_level(logging.INFO, logger="fointracker")
    client.get("/calendar/tok3n-value.ics")
    client.get("/login?next=%2Frequests%3Fq%3Dmy-search&email=someone%40example.org")
    lines = [r.getMessage() for r in caplog.records if r.name == "fointracker.access"]
    assert lines[0].startswith("GET /calendar/[redacted].ics 404 ")
    assert lines[1].startswith("GET /login 200 ") and lines[1].endswith(" query_keys=email,next")
    assert not any(s in line for line in lines for s in ("tok3n-value", "my-search", "someone"))


def test_an_unhandled_exception_is_logged_with_its_traceback_and_request_id(app, client, users, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page, not a test-client exception

    @app.route("/calendar/<token>.ics/boom")  # a token in the path, to see it redacted in the error line
    def boom(token):
        raise RuntimeError("boom for the log")

    caplog.set_level(logging.INFO, logger="fointracker")
    assert login(client, "staff@example.org").status_code == 302
    response = client.get("/calendar/s3cret-tok.ics/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "boom-1"
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "boom for the log" not in page and "Traceback" not in page
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].request_id == "boom-1"
    assert errors[0].exc_info and isinstance(errors[0].exc_info[1], RuntimeError)
    access = [r.getMessage() for r in caplog.records if r.name == "fointracker.access"]
    assert access[-1].startswith("GET /calendar/[redacted].ics/boom 500 ")

    line = LineFormatter().format(errors[0])  # what stdout gets in production
    assert "\n" not in line and LINE_RE.match(line)
    assert "req=boom-1" in line and "Traceback (most recent call last):" in line
    assert "RuntimeError: boom for the log" in line and "s3cret-tok" not in line


def test_production_logging_writes_one_line_per_record_to_stdout(monkeypatch, tmp_path, database_url, capsys):
    monkeypatch.setenv("FOINTRACKER_ENV", "production")
    monkeypatch.setenv("FOINTRACKER_SECRET_KEY", "y" * 40)
    monkeypatch.setenv("FOINTRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path))
    try:
        production = create_app()
        production.test_client().get("/login", headers={"X-Request-ID": "stdout-1"})
        out = capsys.readouterr().out.splitlines()
        assert [line for line in out if "req=stdout-1" in line and " GET /login 200 " in line], out
        assert all(LINE_RE.match(line) for line in out), out
    finally:
        # A testing app puts the loggers back as pytest expects them (propagating, no handler of ours).
        create_app(_config(database_url, tmp_path))
    assert logging.getLogger("fointracker").propagate is True
    assert not [h for h in logging.getLogger("fointracker").handlers if getattr(h, "_fointracker", False)]


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    unreachable = create_app(_config(f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/nowhere", tmp_path))
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error" and response.json["database"].startswith("error: ")
    assert response.json["scheduler"] == {"state": "unknown"}


def test_healthz_says_when_the_heartbeat_is_stale(app, client):
    now = clock.now()
    with app.app_context():
        db.session.add(
            SchedulerLease(
                name="scheduler",
                holder="gone:1",
                acquired_at=now - timedelta(hours=3),
                heartbeat_at=now - timedelta(hours=2),
                expires_at=now - timedelta(hours=2),
            )
        )
        db.session.commit()
    scheduler = client.get("/healthz").json["scheduler"]
    assert scheduler["state"] == "stopped" and scheduler["stale"] is True


def test_behind_a_trusted_proxy_the_rate_limit_counts_each_client_separately(database_url, tmp_path, users):
    """Every request reaches gunicorn from the TLS proxy's address. With TRUSTED_PROXIES=1 the client's
    own address (X-Forwarded-For) is used, so one client's failed logins do not lock everyone out."""
    proxied = create_app({**_config(database_url, tmp_path), "TRUSTED_PROXIES": 1, "LOGIN_RATE_LIMIT": 2})
    client = proxied.test_client()

    def attempt(client_address: str, password: str):
        token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
        return client.post(
            "/login",
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            headers={"X-Forwarded-For": client_address},
            data={
                "email": "admin@example.org" if password == PASSWORD else "nobody@example.org",
                "password": password,
                "csrf_token": token.group(1) or token.group(2),
            },
        )

    for _ in range(2):
        assert attempt("203.0.113.5", "wrong password").status_code == 200
    assert attempt("203.0.113.5", "wrong password").status_code == 429
    assert attempt("198.51.100.7", PASSWORD).status_code == 302  # another client, through the same proxy


@pytest.mark.parametrize("value", ["two", -1, True])
def test_trusted_proxies_must_be_a_count(database_url, tmp_path, value):
    from fointracker.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        create_app({**_config(database_url, tmp_path), "TRUSTED_PROXIES": value})
