"""Sessions that can be ended (user_session: logout, password changes, disabled accounts, the
sessions page), the login throttle that slows guessing without locking owners out, and the
rules for new passwords and emails (issue 13)."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import fointracker.auth as auth_package
from fointracker import clock, create_app
from fointracker.extensions import db
from fointracker.models import LoginAttempt, User, UserSession
from fointracker.services.sessions import token_digest
from fointracker.services.users import finish_login, start_login
from tests.conftest import PASSWORD, login
from tests.test_cli import run_cli

from .pages import session_csrf_token
from .test_login_and_sessions import _attempt, cookie_flags, from_address

REMEMBER = "remember_token"


def log_in(app, email: str = "staff@example.org", *, remember: bool = False, address: str = "127.0.0.1"):
    client = from_address(app, address)
    token = session_csrf_token(client, "/login")
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def with_cookies(app, source, names=("session", REMEMBER)):
    """A new browser holding copies of `source`'s cookies (as a thief would)."""
    thief = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def only_remember_cookie(app, source):
    return with_cookies(app, source, names=(REMEMBER,))


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


# ---------------------------------------------------------------- ending sessions


def test_a_cookie_copied_before_logout_is_dead_after_it(app, people):
    browser = log_in(app, remember=True)
    copy, remembered = with_cookies(app, browser), only_remember_cookie(app, browser)
    assert logged_in(copy) and logged_in(remembered)
    assert browser.post("/logout", data={"csrf_token": session_csrf_token(browser)}).status_code == 302
    assert not logged_in(browser)
    assert not logged_in(with_cookies(app, copy)), "the session cookie copied before logout still works"
    assert not logged_in(only_remember_cookie(app, remembered)), "the remember cookie still works after logout"


def test_the_remember_cookie_names_the_session_not_the_user(app, people):
    browser = log_in(app, remember=True)
    token = browser.get_cookie(REMEMBER).value.split("|")[0]
    assert token != str(people["staff"]) and len(token) >= 32
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.token_hash == token_digest(token)))
        assert row is not None and row.user_id == people["staff"]
        assert db.session.scalar(select(func.count()).where(UserSession.token_hash == token)) == 0  # only a digest


def test_a_password_change_ends_every_other_session_and_remember_token(app, people):
    laptop = log_in(app, remember=True)
    phone = log_in(app, remember=True, address="192.0.2.77")
    stolen = only_remember_cookie(app, phone)
    token = session_csrf_token(laptop)
    changed = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new and unusual one",
            "confirm": "a new and unusual one",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert not logged_in(phone) and not logged_in(stolen)
    assert logged_in(laptop)  # the browser that changed it goes on, in a new session ...
    assert logged_in(only_remember_cookie(app, laptop))  # ... remembered again
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(UserSession.ended_at.is_(None))) == 1


def test_disabling_an_account_or_resetting_its_password_ends_its_sessions(app, people):
    staff = log_in(app, remember=True)
    admin = log_in(app, "admin@example.org")
    edit = f"/admin/users/{people['staff']}/edit"
    token = session_csrf_token(admin)
    assert admin.post(edit, data={"name": "", "role": "staff", "csrf_token": token}).status_code == 302  # disabled
    assert not logged_in(staff) and not logged_in(only_remember_cookie(app, staff))
    assert admin.post(edit, data={"role": "staff", "active": "y", "csrf_token": token}).status_code == 302
    assert not logged_in(staff), "enabling the account again brought an old session back"
    # A reset on the command line ends the sessions too.
    staff = log_in(app, remember=True)
    result = run_cli(app, "users", "set-password", "--email", "staff@example.org", "--generate-password")
    assert result.returncode == 0, result.stderr
    assert not logged_in(staff) and not logged_in(only_remember_cookie(app, staff))


def test_the_sessions_page_lists_them_and_ends_another(app, people, monkeypatch):
    laptop = log_in(app)
    phone = app.test_client()
    phone.environ_base.update(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="Phone browser <b>")
    assert login(phone, "staff@example.org").status_code == 302
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Phone browser &lt;b&gt;" in page and "192.0.2.44" in page and "(this session)" in page
    assert 'href="/account/sessions"' in page  # under the account menu
    with app.app_context():
        phone_id = db.session.scalar(select(UserSession.id).where(UserSession.ip == "192.0.2.44"))
        other = db.session.get(User, people["admin"])
        from fointracker.services.sessions import start_session

        start_session(db.session, other, user_agent="admin's", ip="192.0.2.1")
        admins_id = other.session_id
        db.session.commit()
    # Without the CSRF token: refused, nothing ended.
    assert laptop.post("/account/sessions/end", data={"session_id": phone_id}).status_code == 400
    assert logged_in(phone)
    token = session_csrf_token(laptop)
    # Someone else's session is not one's own to end.
    laptop.post("/account/sessions/end", data={"session_id": admins_id, "csrf_token": token})
    with app.app_context():
        assert db.session.get(UserSession, admins_id).ended_at is None
    assert laptop.post("/account/sessions/end", data={"session_id": phone_id, "csrf_token": token}).status_code == 302
    assert not logged_in(phone) and logged_in(laptop)
    assert "192.0.2.44" not in laptop.get("/account/sessions").get_data(as_text=True)


def test_last_seen_moves_at_most_once_a_minute(app, people, monkeypatch):
    browser = log_in(app)

    def last_seen():
        with app.app_context():
            return db.session.scalar(select(UserSession.last_seen_at))

    first = last_seen()
    assert logged_in(browser) and last_seen() == first
    later = clock.now() + timedelta(minutes=2)
    monkeypatch.setattr(auth_package, "clock", SimpleNamespace(now=lambda: later))
    assert logged_in(browser)
    moved = last_seen()
    assert moved != first and moved.replace(tzinfo=None) == later.replace(tzinfo=None)
    page = browser.get("/account/sessions").get_data(as_text=True)
    from fointracker.formatting import uk_datetime

    assert uk_datetime(later) in page  # `Mon 2 Mar 2026 14:05`, Europe/London


def test_the_csrf_secret_is_new_after_login_and_logout(app, people):
    client = from_address(app, "127.0.0.1")
    before_login = session_csrf_token(client, "/login")
    client.post("/login", data={"email": "staff@example.org", "password": PASSWORD, "csrf_token": before_login})
    assert client.post("/logout", data={"csrf_token": before_login}).status_code == 400  # a token from before login
    assert logged_in(client)
    after_login = session_csrf_token(client)
    assert client.post("/logout", data={"csrf_token": after_login}).status_code == 302
    assert session_csrf_token(client, "/login") != after_login


def test_production_remember_cookie_is_secure_when_the_operator_says_so(monkeypatch, tmp_path, database_url, people):
    monkeypatch.setenv("FOINTRACKER_ENV", "production")
    monkeypatch.setenv("FOINTRACKER_SECRET_KEY", "a-real-secret-" + "x" * 40)
    monkeypatch.setenv("FOINTRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FOINTRACKER_SESSION_COOKIE_SECURE", "true")
    production = create_app()
    try:
        client = production.test_client()
        token = session_csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": "staff@example.org", "password": PASSWORD, "remember": "y", "csrf_token": token}
        )
        cookies = cookie_flags(response)
        for name in ("session", REMEMBER, "fointracker_device"):
            assert cookies[name].get("secure") is True, f"{name} is not Secure"
    finally:
        with production.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- the throttle: no lock-out


def test_guessing_from_many_addresses_does_not_lock_the_owner_out(app, people):
    limit = app.config["LOGIN_RATE_LIMIT"]
    usual = log_in(app, "admin@example.org", address="198.51.100.20")  # the owner's office, and a known browser
    usual.post("/logout", data={"csrf_token": session_csrf_token(usual)})
    for n in range(limit + 3):
        _attempt(from_address(app, f"192.0.2.{n + 1}"), "admin@example.org", f"guess {n}")
    # A stranger's address is slowed for this account ...
    assert _attempt(from_address(app, "203.0.113.80"), "admin@example.org", PASSWORD).status_code == 429
    # ... while the owner gets in from an address they have used ...
    assert _attempt(from_address(app, "198.51.100.20"), "admin@example.org", PASSWORD).status_code == 302
    # ... and from a new address with the browser they logged in with before (its device cookie).
    usual.environ_base["REMOTE_ADDR"] = "203.0.113.81"
    assert _attempt(usual, "admin@example.org", PASSWORD).status_code == 302


def test_delays_grow_and_pass(app, people):
    from fointracker.auth.views import throttle_policy

    limit = app.config["LOGIN_RATE_LIMIT"]
    start = clock.now() - timedelta(minutes=30)

    def attempt(at, password="wrong"):
        with app.test_request_context():
            policy = throttle_policy()
            ticket = start_login(
                db.session, email="staff@example.org", remote_addr="192.0.2.5", device=None, policy=policy, now=at
            )
            db.session.commit()
            outcome = finish_login(db.session, ticket, password, policy, now=at)
            db.session.commit()
            return outcome

    for n in range(limit):
        assert not attempt(start + timedelta(seconds=n)).rate_limited
    last = start + timedelta(seconds=limit - 1)
    assert attempt(last + timedelta(seconds=10)).rate_limited  # the first delay: 30 s
    assert attempt(last + timedelta(seconds=20)).rate_limited  # refusals do not make it longer
    assert not attempt(last + timedelta(seconds=31)).rate_limited
    last += timedelta(seconds=31)
    assert attempt(last + timedelta(seconds=45)).rate_limited  # the next: 60 s
    assert attempt(last + timedelta(seconds=61), PASSWORD).user is not None


@pytest.mark.parametrize("spread", ["one address", "many addresses"])
def test_concurrent_guesses_check_at_most_the_limit(app, people, monkeypatch, spread):
    """40 guesses at once (against the real database: SQLite's file or PostgreSQL): at most the
    limit's worth of passwords are checked; the rest are told to wait."""
    limit = app.config["LOGIN_RATE_LIMIT"]
    checked, lock = [], threading.Lock()
    real_check = User.check_password

    def counting_check(user, password):
        with lock:
            checked.append(password)
        return real_check(user, password)

    monkeypatch.setattr(User, "check_password", counting_check)
    from fointracker.auth.views import throttle_policy

    barrier = threading.Barrier(40)
    errors = []

    def guess(n: int):
        try:
            with app.test_request_context():
                policy = throttle_policy()
                address = "192.0.2.200" if spread == "one address" else f"10.0.{n // 250}.{n % 250}"
                barrier.wait()
                ticket = start_login(
                    db.session, email="staff@example.org", remote_addr=address, device=None, policy=policy
                )
                db.session.commit()
                finish_login(db.session, ticket, f"guess {n}", policy)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert 1 <= len(checked) <= limit, f"{len(checked)} guesses checked against a limit of {limit}"
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == len(checked)


# ---------------------------------------------------------------- passwords and emails


def test_common_passwords_are_refused_everywhere(app, people, monkeypatch):
    from fointracker.services.users import UserError, create_user

    with app.app_context():
        for weak in ("password12", "1234567890", "short"):
            with pytest.raises(UserError):
                create_user(db.session, email="new@example.org", role="staff", password=weak)
    browser = log_in(app)
    token = session_csrf_token(browser)
    for weak in ("password12", "1234567890"):
        page = browser.post(
            "/account/password",
            data={"current_password": PASSWORD, "new_password": weak, "confirm": weak, "csrf_token": token},
        )
        assert page.status_code == 200 and "10,000 most common" in page.get_data(as_text=True)
    admin = log_in(app, "admin@example.org")
    page = admin.post(
        "/admin/users/new",
        data={
            "email": "weak@example.org",
            "role": "staff",
            "password": "password12",
            "csrf_token": session_csrf_token(admin),
        },
    )
    assert page.status_code == 200 and "10,000 most common" in page.get_data(as_text=True)
    monkeypatch.setattr("fointracker.cli._interactive", lambda: True)
    result = run_cli(app, "users", "set-password", "--email", "staff@example.org", input_text="password12\n" * 2)
    assert result.returncode != 0 and "10,000 most common" in result.stdout + result.stderr
    result = run_cli(
        app, "users", "create", "--email", "x@example.org", "--role", "staff", input_text="1234567890\n" * 2
    )
    assert result.returncode != 0 and "10,000 most common" in result.stdout + result.stderr


def test_users_create_refuses_what_the_login_form_refuses(app, people):
    for email in ("a@b", "two@@example.org", "no-domain@", "space in@example.org"):
        result = run_cli(app, "users", "create", "--email", email, "--role", "staff", "--generate-password")
        assert result.returncode != 0, email
        page = _attempt(app.test_client(), email, PASSWORD)
        assert "Invalid email address" in page.get_data(as_text=True), email


def test_a_generated_password_never_travels_in_the_session_cookie(app, people):
    admin = log_in(app, "admin@example.org")
    response = admin.post(
        "/admin/users/new",
        data={"email": "new@example.org", "role": "staff", "password": "", "csrf_token": session_csrf_token(admin)},
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = response.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    assert len(password) >= 10
    serializer = app.session_interface.get_signing_serializer(app)
    assert password not in str(serializer.loads(admin.get_cookie("session").value))
    fresh = app.test_client()
    token = session_csrf_token(fresh, "/login")
    assert (
        fresh.post("/login", data={"email": "new@example.org", "password": password, "csrf_token": token}).status_code
        == 302
    )


def test_users_compare_by_row_without_a_session(app, people):
    """User.get_id() is the session's id, which only the logged-in user has: comparing other
    users (`user in campaign.coordinators`) must not need it."""
    with app.app_context():
        staff, admin = db.session.get(User, people["staff"]), db.session.get(User, people["admin"])
        assert staff in [admin, staff] and staff != admin
        with pytest.raises(AttributeError):
            staff.get_id()
