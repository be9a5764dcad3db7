"""Session cookies, the login rate limit (across workers, per address and per email, without
telling which accounts exist) and redirects that must stay on this site (`next` after
login, `back` after a bulk action or a reminder retry).

tests/test_auth.py already covers the basic lockout and five `next` values; these are the
systematic versions."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from fointracker import clock, create_app
from fointracker.extensions import db
from fointracker.services.users import finish_login, start_login
from tests.conftest import PASSWORD, _config, login

from .pages import session_csrf_token
from .world import build_world


def cookie_flags(response) -> dict[str, dict]:
    """{cookie name: {attribute (lower case): value}} for every Set-Cookie of a response."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parts = [p.strip() for p in header.split(";")]
        name = parts[0].split("=", 1)[0]
        cookies[name] = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    return cookies


def _log_in_remembered(client):
    token = session_csrf_token(client, "/login")
    return client.post(
        "/login", data={"email": "staff@example.org", "password": PASSWORD, "remember": "y", "csrf_token": token}
    )


def test_production_cookies_are_secure_httponly_and_samesite(monkeypatch, tmp_path, database_url, people):
    monkeypatch.setenv("FOINTRACKER_ENV", "production")
    monkeypatch.setenv("FOINTRACKER_SECRET_KEY", "a-real-secret-" + "x" * 40)
    monkeypatch.setenv("FOINTRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FOINTRACKER_UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.delenv("FOINTRACKER_SESSION_COOKIE_SECURE", raising=False)
    production = create_app()
    try:
        client = production.test_client()
        response = _log_in_remembered(client)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        cookies = cookie_flags(response)
        assert {"session", "remember_token"} <= set(cookies)
        for name in ("session", "remember_token"):
            flags = cookies[name]
            assert flags.get("secure") is True, f"{name} is not Secure"
            assert flags.get("httponly") is True, f"{name} is not HttpOnly"
            assert str(flags.get("samesite", "")).lower() == "lax", f"{name} has SameSite={flags.get('samesite')}"
        assert client.get("/").status_code == 200
    finally:
        with production.app_context():
            db.engine.dispose()


def test_development_cookies_and_logout(app, client, people):
    response = _log_in_remembered(client)
    assert response.status_code == 302
    cookies = cookie_flags(response)
    for name in ("session", "remember_token"):
        assert cookies[name].get("httponly") is True, name
        assert str(cookies[name].get("samesite", "")).lower() == "lax", name
        assert "secure" not in cookies[name], f"{name}: Secure would break plain-http development"
    # Logging out ends a remembered login too.
    assert client.get("/").status_code == 200
    logout = client.post("/logout", data={"csrf_token": session_csrf_token(client)})
    assert logout.status_code == 302
    cleared = cookie_flags(logout)
    assert cleared["remember_token"].get("expires", "").endswith("1970 00:00:00 GMT")
    assert client.get("/").status_code == 302


# ---------------------------------------------------------------- the login rate limit


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, email: str, password: str):
    token = session_csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_the_lockout_holds_across_workers(app, people, database_url, tmp_path):
    """Failures are counted in the database, so another process serving the next attempt refuses it too."""
    other_worker = create_app(_config(database_url, tmp_path))
    try:
        first, second = app.test_client(), other_worker.test_client()
        limit = app.config["LOGIN_RATE_LIMIT"]
        for attempt in range(limit):
            worker = first if attempt % 2 == 0 else second
            assert _attempt(worker, "staff@example.org", "wrong password").status_code == 200
        for worker in (first, second):
            refused = _attempt(worker, "staff@example.org", PASSWORD)
            assert refused.status_code == 429 and "Too many failed logins" in refused.get_data(as_text=True)
            assert worker.get("/").status_code == 302
    finally:
        with other_worker.app_context():
            db.engine.dispose()


def test_guessing_is_stopped_per_address_and_per_account(app, people):
    # One address trying many accounts: the next account it tries is refused, even with the right password...
    attacker = from_address(app, "203.0.113.9")
    for n in range(app.config["LOGIN_RATE_LIMIT"]):
        # A made-up X-Forwarded-For does not make it another address (no proxy is trusted by default).
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"10.9.8.{n}"
        assert _attempt(attacker, f"guess{n}@example.org", "password123").status_code == 200
    assert _attempt(attacker, "author@example.org", PASSWORD).status_code == 429
    # ... while the same account from another address is not.
    assert _attempt(from_address(app, "198.51.100.7"), "author@example.org", PASSWORD).status_code == 302
    # One account tried from many addresses (however its email is typed): its owner is refused too.
    for n in range(app.config["LOGIN_RATE_LIMIT"]):
        botnet = from_address(app, f"192.0.2.{n + 1}")
        assert _attempt(botnet, "Admin@Example.ORG", f"guess {n}").status_code == 200
    assert _attempt(from_address(app, "198.51.100.50"), "admin@example.org", PASSWORD).status_code == 429


def test_failures_say_nothing_about_which_accounts_exist(app, people):
    from fointracker.models import User

    with app.app_context():
        db.session.get(User, people["author"]).active = False
        db.session.commit()
    answers = set()
    for n, (email, password) in enumerate(
        (
            ("staff@example.org", "wrong password"),
            ("nobody@example.org", "wrong password"),
            ("author@example.org", PASSWORD),
        )
    ):  # right password, inactive
        client = from_address(app, f"192.0.2.{100 + n}")
        response = _attempt(client, email, password)
        flashes = re.findall(r"<p class=\"flash ([^\"]*)\">(.*?)</p>", response.get_data(as_text=True))
        answers.add((response.status_code, tuple(flashes)))
    assert len(answers) == 1, answers
    assert answers.pop()[0] == 200


def authenticate(app, email: str, password: str, remote_addr: str, now=None):
    """A login through the services, as the login view makes it (two commits)."""
    from fointracker.auth.views import throttle_policy

    with app.test_request_context():
        policy = throttle_policy()
        ticket = start_login(db.session, email=email, remote_addr=remote_addr, device=None, policy=policy, now=now)
        db.session.commit()
        outcome = finish_login(db.session, ticket, password, policy, now=now)
        db.session.commit()
        return outcome


def test_old_failures_fall_out_of_the_window(app, people):
    window = app.config["LOGIN_RATE_WINDOW_SECONDS"]
    then = clock.now() - timedelta(seconds=window + 60)
    for _ in range(app.config["LOGIN_RATE_LIMIT"] + 1):
        authenticate(app, "staff@example.org", "wrong", "192.0.2.1", now=then)
    ok = authenticate(app, "staff@example.org", PASSWORD, "192.0.2.1")
    assert ok.user is not None and not ok.rate_limited


# ---------------------------------------------------------------- redirects stay on this site

HOSTILE_TARGETS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nLocation: https://evil.example",
    "/\x00//evil.example",
    "//evil.example@example.org",
    "/login?next=//evil.example",
    "https://example.org@evil.example/",
    "\u3002evil.example",
    "/．/evil.example",
]


def lands_on_this_site(location: str) -> bool:
    """What a browser would make of the Location: tabs and newlines dropped, backslashes read as
    slashes, leading spaces and controls stripped; then it must be a path on this host."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").lstrip("".join(map(chr, range(0x21))))
    parts = urlsplit(seen)
    return seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


def test_the_browser_view_of_a_location():
    assert lands_on_this_site("/campaigns/?q=x")
    for target in ("//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", " //evil"):
        assert not lands_on_this_site(target), target


def test_next_never_leaves_the_site(app, people):
    email = "staff@example.org"
    failures = []
    for target in HOSTILE_TARGETS:
        client = app.test_client()
        page = client.get("/login", query_string={"next": target})
        token = session_csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": email, "password": PASSWORD, "next": target, "csrf_token": token}
        )
        location = response.headers.get("Location", "")
        if "\x00" in target:  # refused outright, like any NUL byte (web.refuse_unusable_input)
            if (page.status_code, response.status_code) != (400, 400):
                failures.append(f"next={target!r}: {page.status_code}, {response.status_code}, not 400")
        elif page.status_code != 200 or response.status_code != 302 or not lands_on_this_site(location):
            failures.append(f"next={target!r}: login page {page.status_code}, then {response.status_code} {location!r}")
    assert not failures, "\n".join(failures)
    client = app.test_client()
    local = "/requests/?q=Kent&status=draft"
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": local, "csrf_token": session_csrf_token(client, "/login")},
    )
    assert response.headers["Location"] == local  # a local next is kept


def test_back_after_bulk_and_retry_never_leaves_the_site(app, people):
    world = build_world(app, people)
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    token = session_csrf_token(client)
    reminder = world.params["reminder_id"]
    for target in HOSTILE_TARGETS + [
        "/admin/reminders//evil.example",
        "/admin/reminders\\evil.example",
        "/admin/reminders\r\nX-Evil: 1",
        "/admin/reminders\t/evil",
    ]:
        if "\x00" in target:
            continue  # refused outright (test_next_never_leaves_the_site)
        retried = client.post(f"/admin/reminders/{reminder}/retry", data={"back": target, "csrf_token": token})
        assert retried.status_code == 302 and lands_on_this_site(retried.headers["Location"]), (target, retried)
        bulk = client.post(
            "/requests/bulk",
            data={
                "back": target,
                "ids": [str(world.request_ids[0])],
                "action": "add_note",
                "note": "",
                "csrf_token": token,
            },
        )
        assert bulk.status_code == 302 and lands_on_this_site(bulk.headers["Location"]), (target, bulk)
        assert bulk.headers["Location"].startswith("/requests/")
