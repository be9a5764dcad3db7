"""Secrets never reach a log: with every logger at DEBUG, logging in (right and wrong
password), changing a password, creating users (the admin form and the CLI), creating and
using a calendar link, a reminder sweep against an SMTP server that refuses the login, and
two forced 500s leave no password, secret key, feed token or SMTP password in any record,
its arguments or its traceback. (tests/test_production.py checks the production log file
of a gunicorn run and the access line; this covers the flows and the error paths.)"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Reminder, User
from tests.conftest import PASSWORD, login
from tests.reminders_support import free_port

from .pages import session_csrf_token
from .world import build_world

PLAIN = logging.Formatter("%(name)s %(levelname)s %(message)s")  # message, arguments and traceback, unredacted


def logged_text(caplog) -> str:
    return "\n".join(PLAIN.format(record) for record in caplog.records)


class RefusingSmtp:
    """An SMTP server on loopback that offers AUTH and refuses every login (remembering what was tried)."""

    def __init__(self):
        self.tried: list[bytes] = []

        def authenticator(_server, _session, _envelope, _mechanism, auth_data):
            self.tried.append(bytes(auth_data.password))
            return AuthResult(success=False, handled=False)

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
            ready_timeout=10,
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def test_no_secret_reaches_the_logs(app, people, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    secret_key = "sk-" + secrets.token_hex(16)
    smtp_password = "smtp-" + secrets.token_hex(8)
    new_password = "changed-" + secrets.token_hex(8)
    form_password = "formmade-" + secrets.token_hex(8)
    app.config["SECRET_KEY"] = secret_key
    build_world(app, people)

    # Logging in, wrongly and rightly; changing a password; an admin creating a user.
    client = app.test_client()
    assert login(client, "staff@example.org", "wrong-" + PASSWORD).status_code == 200
    assert login(client, "staff@example.org").status_code == 302
    token = session_csrf_token(client)
    assert (
        client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": new_password,
                "confirm": new_password,
                "csrf_token": token,
            },
        ).status_code
        == 302
    )
    assert client.post("/account/reminders/calendar-link", data={"calendar-csrf_token": token}).status_code == 302
    feed_url = re.search(
        r'id="calendar-url" type="text" readonly value="([^"]+)"',
        client.get("/account/reminders").get_data(as_text=True),
    ).group(1)
    feed_token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(f"/calendar/{feed_token}.ics").status_code == 200
    assert client.get(f"/calendar/{feed_token[:-2]}xx.ics").status_code == 404
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    admin_token = session_csrf_token(admin)
    for password in (form_password, ""):  # given, and generated (shown once, in the page)
        created = admin.post(
            "/admin/users/new",
            data={
                "email": f"new{len(password)}@example.org",
                "role": "staff",
                "password": password,
                "csrf_token": admin_token,
            },
            follow_redirects=True,
        )
        assert created.status_code == 200
    generated = re.search(r"Their password is (\S+) ", created.get_data(as_text=True)).group(1)

    # The CLI prints the password it generates: to its output, never to a log.
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["users", "create", "--email", "cli@example.org", "--role", "author", "--generate-password"]
        )
    assert result.exit_code == 0, result.output
    cli_password = result.output.split("Password: ")[1].strip()

    # A sweep with SMTP credentials, against a server that refuses them.
    with app.app_context():
        db.session.execute(update(User).where(User.email == "staff@example.org").values(reminder_mode="immediate"))
        reminder = db.session.scalar(
            select(Reminder)
            .where(
                Reminder.channel == "email",
                Reminder.status == "pending",
                Reminder.recipient_id == people["staff"],
                Reminder.target_date >= clock.today(),
            )
            .order_by(Reminder.id)
        )
        reminder.due_at = clock.now() - timedelta(minutes=5)
        reminder_id = reminder.id
        db.session.commit()
        db.session.remove()
    with RefusingSmtp() as smtp:
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp.port,
            SMTP_USERNAME="fointracker",
            SMTP_PASSWORD=smtp_password,
            SMTP_TIMEOUT=10,
        )
        with app.app_context():
            swept = app.test_cli_runner().invoke(args=["reminders", "run"])
        assert swept.exit_code == 0, swept.output
    assert smtp_password.encode() in smtp.tried  # the password really was used
    with app.app_context():
        failed = db.session.get(Reminder, reminder_id)
        assert failed.attempts == 1 and failed.last_error
        last_error = failed.last_error
        db.session.remove()
    outbox_page = admin.get("/admin/reminders").get_data(as_text=True)

    # A forced 500 and a forced 503, logged with their tracebacks as in production: a failure while a
    # password is in the form, and a database error while a calendar token is being written.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    from fointracker.services import users as user_service

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(user_service, "start_login", broken)
    assert login(app.test_client(), "admin@example.org").status_code == 500
    monkeypatch.undo()
    with app.app_context():
        dialect = db.engine.dialect
    execute = dialect.do_execute

    def connection_lost(cursor, statement, parameters, context=None):
        if statement.startswith("UPDATE") and "calendar_token" in statement:
            raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        return execute(cursor, statement, parameters, context)

    from fointracker.services import preferences

    attempted_token = secrets.token_urlsafe(32)
    monkeypatch.setattr(dialect, "do_execute", connection_lost)
    monkeypatch.setattr(preferences.secrets, "token_urlsafe", lambda _n: attempted_token)
    # A lost connection answers 503 (try again), still without the token in any log line.
    assert admin.post("/account/reminders/calendar-link", data={"calendar-csrf_token": admin_token}).status_code == 503
    monkeypatch.undo()
    with app.app_context():
        new_token = db.session.scalar(select(User.calendar_token_hash).where(User.email == "admin@example.org"))
    assert new_token is None  # nothing saved
    logged = logged_text(caplog)
    assert "Exception on /login [POST]" in logged
    assert "database unavailable" in logged and "UPDATE" in logged and "server closed the connection" in logged

    secrets_used = {
        "the login password": PASSWORD,
        "a wrong password": "wrong-" + PASSWORD,
        "the new password": new_password,
        "a password given on the form": form_password,
        "a generated password": generated,
        "the CLI's password": cli_password,
        "the secret key": secret_key,
        "the SMTP password": smtp_password,
        "the feed token": feed_token,
        "the feed token being written": attempted_token,
    }
    for what, secret in secrets_used.items():
        assert secret not in logged, f"{what} is in the log"
        assert secret not in last_error and secret not in swept.output, f"{what} is in the outbox's error"
    assert smtp_password not in outbox_page
    assert len(caplog.records) > 20  # the flows above did log (access lines, the sweep, the errors)
