"""Logging in, roles, the rate limit and `next`."""

import pytest

from tests.conftest import csrf_token, login, post


def test_login_and_logout(client, users):
    response = login(client, "staff@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    post(client, "/logout", {})
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, users):
    response = login(client, "staff@example.org", "not the password")
    assert response.status_code == 200
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_passwords_are_hashed_at_production_strength(app):
    """The app's own paths hash with scrypt at werkzeug's production cost (n=32768), whatever
    cheaper hash the test fixtures give their users (tests/conftest.py's QUICK_HASH_METHOD)."""
    from fointracker.extensions import db
    from fointracker.services.users import change_password, create_user, set_password

    with app.app_context():
        user = create_user(db.session, email="hashed@example.org", role="staff", password="correct horse battery")
        assert "correct horse" not in user.password_hash
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert user.check_password("correct horse battery") and not user.check_password("wrong horse battery")
        first = user.password_hash
        change_password(db.session, user, "a much longer secret")
        assert user.password_hash.startswith("scrypt:32768:8:1$") and user.password_hash != first
        set_password(db.session, email="hashed@example.org", password="another long secret")
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert user.check_password("another long secret")


def test_login_is_rate_limited(app, client, users):
    limit = app.config["LOGIN_RATE_LIMIT"]
    for _ in range(limit):
        assert login(client, "staff@example.org", "wrong").status_code == 200
    # Even the right password is refused while the limit holds.
    response = login(client, "staff@example.org")
    assert response.status_code == 429
    assert "Too many failed logins" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": "staff@example.org", "password": "correct horse battery"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/campaigns/", "/campaigns/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_local_pages(client, users, target, expected):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": "staff@example.org", "password": "correct horse battery", "next": target, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    "role, url, allowed",
    [
        ("staff", "/campaigns/new", False),
        ("author", "/campaigns/new", False),
        ("coordinator", "/campaigns/new", True),
        ("admin", "/campaigns/new", True),
        ("author", "/requests/new", False),
        ("staff", "/requests/new", True),
        ("coordinator", "/admin/", False),
        ("staff", "/admin/users", False),
        ("admin", "/admin/users", True),
        ("coordinator", "/councils/KEN/edit", False),
        ("admin", "/councils/KEN/edit", True),
    ],
)
def test_roles_are_enforced_on_the_server(login_as, role, url, allowed):
    client = login_as(role)
    get = client.get(url)
    assert get.status_code == (200 if allowed else 403)
    if not allowed and url.endswith(("new", "edit")):  # a crafted POST to a form is refused as well
        assert post(client, url, {"title": "x"}).status_code == 403


def test_change_password(login_as):
    client = login_as("staff")
    response = post(
        client,
        "/account/password",
        {
            "current_password": "correct horse battery",
            "new_password": "a much longer secret",
            "confirm": "a much longer secret",
        },
    )
    assert response.status_code == 302
    post(client, "/logout", {})
    assert login(client, "staff@example.org", "a much longer secret").status_code == 302


def test_admin_creates_user_with_generated_password(login_as, app):
    client = login_as("admin")
    response = post(
        client,
        "/admin/users/new",
        {"email": "New@Example.org", "name": "New", "role": "staff", "password": ""},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "User new@example.org created" in html and "Their password is" in html
    bad = post(client, "/admin/users/new", {"email": "new@example.org", "role": "staff", "password": ""})
    assert "already exists" in bad.get_data(as_text=True)


def test_inactive_user_cannot_log_in(login_as, app, users):
    client = login_as("admin")
    post(client, f"/admin/users/{users['staff']}/edit", {"name": "", "role": "staff"})  # unticked = inactive
    other = app.test_client()
    assert login(other, "staff@example.org").status_code == 200
