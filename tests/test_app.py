"""The application factory, configuration and the login wall."""

import re

import pytest

from fointracker import create_app
from fointracker.config import DEFAULT_SECRET_KEY, ConfigurationError, normalise_database_url
from fointracker.web import PUBLIC_ENDPOINTS


def test_production_refuses_default_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FOINTRACKER_ENV", "production")
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FOINTRACKER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="default secret key"):
        create_app()
    monkeypatch.setenv("FOINTRACKER_SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(ConfigurationError):
        create_app()


def test_production_starts_with_a_real_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FOINTRACKER_ENV", "production")
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FOINTRACKER_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FOINTRACKER_DATABASE_URL", "postgres://u:p@db.example/fointracker")
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/fointracker"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path))
    for name in ("FOINTRACKER_ENV", "FOINTRACKER_DATABASE_URL", "FOINTRACKER_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'fointracker.sqlite3'}"


def test_instance_config_file_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FOINTRACKER_DATABASE_URL", raising=False)
    (tmp_path / "config.py").write_text("PER_PAGE = 7\n")
    assert create_app().config["PER_PAGE"] == 7


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://a/b", "postgresql+psycopg://a/b"),
        ("postgresql://a/b", "postgresql+psycopg://a/b"),
        ("postgresql+psycopg://a/b", "postgresql+psycopg://a/b"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_engine_settings_per_backend(app):
    """SQLite: WAL, a busy timeout and foreign keys; PostgreSQL: connections checked before use."""
    from sqlalchemy import text

    from fointracker.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert db.engine.pool._pre_ping is True
            return
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _example_url(rule) -> str:
    values = {arg: ("KEN" if arg == "code" else "1") for arg in rule.arguments}
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
    return path


def test_every_url_but_login_static_and_healthz_needs_a_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if rule.endpoint.startswith("api."):  # the JSON API: a token, never a login (tests/test_api.py)
                assert response.status_code == 401, f"{method} {url} answered {response.status_code}"
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), f"{method} {url}"
                continue
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert response.headers["Location"].startswith("/login"), f"{method} {url}"
            checked += 1
    assert checked >= 15


def test_public_endpoints_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["database"] == "ok"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_reference_no_external_assets(login_as):
    client = login_as("admin")
    for url in ("/", "/campaigns/", "/requests/", "/councils/", "/admin/users"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), url
        assert "<script>" not in html  # no inline scripts: the CSP forbids them
