"""A campaign's webhook cannot reach the machine or the internal network (server-side request
forgery): refused when saved, checked again at each send against the address actually
connected to, no redirects followed, and never a reply body kept or shown."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fointracker.delivery import DeliveryError, WebhookSender, resolve_webhook
from fointracker.domain.webhooks import WebhookRefused
from fointracker.extensions import db
from fointracker.models import Campaign
from fointracker.services.campaigns import CampaignError, save_campaign
from tests.conftest import login
from tests.reminders_support import (  # noqa: F401  (fixtures)
    add_campaign,
    add_request,
    add_user,
    configure,
    planning_clock,
    reminder_rows,
    smtp_server,
    sweep_cli,
    webhook_server,
)
from tests.test_reminder_delivery import SENT, SOON5_AT

CAMPAIGN = {"title": "Hooks", "description": "", "default_regime": "foia", "letter_template": ""}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/internal",
        "http://localhost/internal",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.0.10:8065/hooks/x",
        "ftp://hooks.example.org/x",
        "gopher://127.0.0.1:25/",
    ],
)
def test_saving_an_internal_webhook_is_refused(session, url):
    with pytest.raises(CampaignError) as refused:
        save_campaign(session, None, {**CAMPAIGN, "webhook_url": url}, [], None)
    assert refused.value.field == "webhook_url"
    session.rollback()


def test_an_admin_can_allow_an_internal_host(session):
    campaign = save_campaign(
        session,
        None,
        {**CAMPAIGN, "webhook_url": "http://127.0.0.1:9/hook"},
        [],
        None,
        webhook_allowed_hosts=["127.0.0.1"],
    )
    assert campaign.webhook_url == "http://127.0.0.1:9/hook"


def test_the_campaign_form_says_why(app, users, client):
    assert login(client, "coordinator@example.org").status_code == 302
    with app.app_context():
        campaign = save_campaign(db.session, None, CAMPAIGN, [users["coordinator"]], users["admin"])
        db.session.commit()
        campaign_id = campaign.id
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    from tests.conftest import CSRF_RE

    token = CSRF_RE.search(page)
    response = client.post(
        f"/campaigns/{campaign_id}/edit",
        data={
            **CAMPAIGN,
            "coordinators": str(users["coordinator"]),
            "webhook_url": "http://127.0.0.1:5432/internal",
            "csrf_token": token.group(1) or token.group(2),
        },
    )
    assert response.status_code == 200
    assert "loopback" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).webhook_url == ""


def test_every_address_a_name_resolves_to_is_checked():
    def resolver(addresses):
        return lambda host, port, **_: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    target, address = resolve_webhook("https://hooks.example.org/x", (), resolver(["93.184.216.34"]))
    assert (target.host, address) == ("hooks.example.org", "93.184.216.34")
    for addresses in (["93.184.216.34", "10.0.0.1"], ["2606:4700:4700::1111", "::ffff:127.0.0.1"], ["fe80::1"]):
        with pytest.raises(WebhookRefused):
            resolve_webhook("https://hooks.example.org/x", (), resolver(addresses))


@pytest.fixture
def hooked(session, app, smtp_server, webhook_server, planning_clock):
    """A request whose campaign's webhook is the loopback receiver, and the outbox pointed at it."""
    configure(app, smtp_server)
    owner = add_user(session, "owner@example.org", mode="immediate")
    campaign = add_campaign(session, webhook_url=webhook_server.url)
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    return campaign


def webhook_row(session):
    [row] = [
        r for r in reminder_rows(session) if r.channel == "webhook" and r.kind == "due_soon" and r.days_before == 5
    ]
    return row


def test_a_stored_internal_webhook_is_not_posted_to(session, app, hooked, webhook_server):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = []  # saved before the rule, or the admin took the host back
    sweep_cli(app, SOON5_AT)
    assert webhook_server.hits == 0
    row = webhook_row(session)
    assert row.status == "pending" and "refused" in row.last_error and "loopback" in row.last_error


def test_a_reply_body_is_never_kept_or_shown(session, app, hooked, webhook_server, users, client):
    webhook_server.mode = "error"  # answers 500 with the body "internal error"
    sweep_cli(app, SOON5_AT)
    assert webhook_server.hits == 1
    row = webhook_row(session)
    assert row.last_error == "webhook answered HTTP 500"
    assert login(client, "admin@example.org").status_code == 302
    page = client.get("/admin/reminders?channel=webhook").get_data(as_text=True)
    assert "webhook answered HTTP 500" in page and "internal error" not in page


class Redirector:
    """Answers POST /hook with a redirect to /internal, and records every path asked for."""

    def __init__(self):
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                owner.paths.append(self.path)
                self.send_response(307 if self.path == "/hook" else 200)
                self.send_header("Location", "/internal")
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"secret")

            do_GET = do_POST = _any  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_redirects_are_not_followed():
    server = Redirector()
    try:
        with pytest.raises(DeliveryError, match="HTTP 307$"):
            WebhookSender(allowed_hosts=["127.0.0.1"]).send(server.url, {"text": "hi"})
        assert server.paths == ["/hook"]
    finally:
        server.close()


def test_the_sender_connects_to_the_address_it_checked(monkeypatch, webhook_server):
    """DNS rebinding: the name is resolved once, checked, and that address is the one connected
    to. A second lookup would get 127.0.0.2, where nothing listens."""
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = webhook_server.url.replace("127.0.0.1", "hooks.test")
    WebhookSender(allowed_hosts="hooks.test").send(url, {"text": "hello"})
    assert lookups == ["hooks.test"]
    assert webhook_server.payloads() == [{"text": "hello"}]
    with pytest.raises(DeliveryError, match="refused.*loopback"):
        WebhookSender().send(url, {"text": "again"})  # not allowed by name: its address is checked
    assert len(webhook_server.payloads()) == 1
