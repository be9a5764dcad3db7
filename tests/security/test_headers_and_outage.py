"""HSTS in production; `Cache-Control: no-store` on every response to a logged-in user and on
the login page (not on static files); one charset on the exports; a database outage answers
503 with Retry-After (a plain page, or JSON for a JSON call), never a 500."""

from __future__ import annotations

import socket

import pytest

from fointracker import create_app
from fointracker.extensions import db
from fointracker.services.campaigns import save_campaign
from tests.conftest import _config, csrf_token, login

HSTS = "max-age=31536000; includeSubDomains"


def test_hsts_only_in_production(app, tmp_path, monkeypatch):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    monkeypatch.setenv("FOINTRACKER_SESSION_COOKIE_SECURE", "false")
    production = create_app({**_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path), "ENV": "production"})
    client = production.test_client()
    for url in ("/login", "/static/app.css", "/healthz", "/nowhere"):
        assert client.get(url).headers.get("Strict-Transport-Security") == HSTS, url


def test_no_store_for_logged_in_pages_and_the_login_page(app, users):
    client = app.test_client()
    assert client.get("/login").headers.get("Cache-Control") == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")
    assert login(client, "staff@example.org").status_code == 302
    for url in ("/", "/requests/", "/campaigns/", "/account/password", "/nowhere"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_exports_name_one_charset(app, users):
    with app.app_context():
        campaign_id = save_campaign(db.session, None, {"title": "Charset", "default_regime": "foia"}, [], None).id
        db.session.commit()
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    for url in (
        "/requests/export.csv",
        f"/campaigns/{campaign_id}/report.csv",
        f"/campaigns/{campaign_id}/report-tidy.csv",
        f"/campaigns/{campaign_id}/report.html",
    ):
        content_type = client.get(url).headers["Content-Type"]
        assert content_type.count("charset") == 1 and content_type.endswith("charset=utf-8"), (url, content_type)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture
def outage(app, users, tmp_path):
    """A logged-in client's cookies, and an app like `app` whose database does not answer."""
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    url = f"postgresql+psycopg://fointracker:fointracker@127.0.0.1:{closed_port()}/gone"
    down = create_app({**_config(url, tmp_path), "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 3}}})
    down_client = down.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            down_client.set_cookie(name, cookie.value)
    return down_client


def check_503(response, json: bool):
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    if json:
        assert response.is_json and "database" in response.get_json()["error"]
    else:
        assert response.mimetype == "text/html" and "Service unavailable" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_a_database_outage_is_a_503_page(outage):
    check_503(outage.get("/"), json=False)
    check_503(outage.get("/requests/12"), json=False)
    anonymous = outage.application.test_client()
    token = csrf_token(anonymous, "/login")
    check_503(
        anonymous.post("/login", data={"email": "a@example.org", "password": "x", "csrf_token": token}), json=False
    )


def test_a_database_outage_is_json_for_json_calls(outage):
    check_503(outage.get("/campaigns/1/report.json"), json=True)
    check_503(outage.post("/campaigns/1/batch/create", json={"authority_ids": [1]}), json=True)


def test_healthz_still_reports_the_outage(outage):
    assert outage.get("/healthz").status_code == 503


def test_a_database_outage_is_the_apis_own_json_error(outage):
    """The JSON API's error shape (its OpenAPI document's Error), with Retry-After."""
    response = outage.get("/api/v1/campaigns", headers={"Authorization": "Bearer fit_" + "a" * 43})
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["code"] == 503 and "database" in body["message"]
