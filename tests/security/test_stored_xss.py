"""Stored and reflected XSS: a script payload in every text a user can write (through the
services, and through the real forms where the form adds something: flash messages, the
import preview) is rendered inert on every page of the app, in the printable report with
its SVG charts, in the standalone HTML report and in the reminder email; and no link
ever carries a script URL."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from fointracker.extensions import db
from fointracker.models import Reminder
from fointracker.services.outbox import Outbox, _email
from tests.api_support import bearer, token_for
from tests.conftest import login

from .pages import html_problems, rule_url, session_csrf_token
from .world import build_world

# Raw forms the payloads take; none of them may reach a page unescaped.
LIVE_TAGS = re.compile(r"<script>xss\(|<img src=x onerror=xss\(|<svg/onload=xss\(", re.I)
SHORT_FIELDS = {"question.period_label": 20, "question.pair_group": 40, "answer.source_page": 40}


class Payloads:
    """A numbered payload per field, so each field's text can be found on the pages."""

    def __init__(self):
        self.fields: dict[str, int] = {}

    def __call__(self, field: str, plain: str) -> str:
        n = self.fields.setdefault(field, len(self.fields) + 1)
        if field == "attachment.filename":  # a file name: no slashes (they are cut), and an allowed extension
            return f"\"'><img src=x onerror=xss({n})>.pdf"
        if field == "authority.website":
            return f"javascript:xss({n})//\"'><img src=x onerror=xss({n})>"
        if field in SHORT_FIELDS:
            value = f"<svg/onload=xss({n})>"
            assert len(value) <= SHORT_FIELDS[field]
            return value
        return f"<script>xss({n})</script>\"'><img src=x onerror=xss({n})>"


def _pages(client, app, world, api_headers: dict) -> dict[str, str]:
    """Every GET page; the JSON API's with the admin's token (`api_headers`)."""
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "calendar.feed", "auth.login"):
            continue
        url = rule_url(app, rule, world.params)
        response = client.get(url, headers=api_headers if rule.endpoint.startswith("api.") else {})
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data()  # streamed downloads: read to the end, which closes their context
        response.close()
        if response.mimetype == "text/html":  # downloads carry the text as data (CSV, JSON, XLSX)
            pages[url] = body.decode()
        else:
            assert response.headers["X-Content-Type-Options"] == "nosniff" and response.mimetype != "text/plain"
    other = world.request_ids[1]  # the URLs above name the first request; the second one's pages too
    for url in (f"/requests/{other}", f"/requests/{other}/edit"):
        pages[url] = client.get(url).get_data(as_text=True)
    return pages


def test_stored_payloads_are_inert_everywhere(app, people, tmp_path):
    """Every page (and the import preview, a flash message, the standalone report, the SVG
    charts, the reminder email) with a payload in every field."""
    payloads = Payloads()
    world = build_world(app, people, text=payloads)
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    token = session_csrf_token(admin)
    pages = _pages(admin, app, world, bearer(token_for(app, "admin@example.org")))

    # Through the forms: a campaign (the flash message names it) and an import preview (names the file).
    n = payloads.fields.setdefault("form.campaign.title", len(payloads.fields) + 1)
    created = admin.post(
        "/campaigns/new",
        data={
            "title": f"<script>xss({n})</script>",
            "default_regime": "foia",
            "letter_template": "",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    pages["after creating a campaign"] = created.get_data(as_text=True)
    n = payloads.fields.setdefault("form.import.filename", len(payloads.fields) + 1)
    preview = admin.post(
        f"/campaigns/{world.campaign_id}/figures/import",
        data={
            "file": (io.BytesIO(b"authority,question,value\nKEN,how,In house\n"), f"<img src=x onerror=xss({n})>.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    pages["import preview"] = preview.get_data(as_text=True)
    # The standalone report (`fointracker report --format html`).
    output = tmp_path / "report.html"
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["report", str(world.campaign_id), "--format", "html", "--output", str(output)]
        )
    assert result.exit_code == 0, result.output
    pages["standalone report"] = output.read_text(encoding="utf-8")

    failures = []
    for where, html in pages.items():
        failures += [f"{where}: {m.group(0)!r} live in the page" for m in LIVE_TAGS.finditer(html)]
        failures += [
            f"{where}: {problem}"
            for problem in html_problems(html)
            if "script URL" in problem or "event handler" in problem or "without src" in problem
        ]
    assert not failures, "\n".join(failures)
    # Every field was on some page (escaped), or the check above proved nothing about it.
    everything = "\n".join(pages.values())
    unseen = [field for field, n in payloads.fields.items() if f"xss({n})" not in everything]
    assert not unseen, f"never rendered: {unseen}"

    # The report's SVG charts name councils and questions: escaped there too.
    charts = re.findall(r"<svg\b.*?</svg>", pages[f"/campaigns/{world.campaign_id}/report"], re.S)
    assert len(charts) >= 3  # responses, the pair's histogram and its largest cuts
    in_charts = "\n".join(charts)
    for field in ("authority.short_name", "question.label"):
        assert f"xss({payloads.fields[field]})" in in_charts, f"{field} is not in any chart"
    assert "&lt;script&gt;" in in_charts and not LIVE_TAGS.search(in_charts)

    # The reminder email's HTML part.
    with app.app_context():
        reminder = db.session.get(Reminder, world.params["reminder_id"])
        email_html = _email(Outbox.from_config(app.config), reminder).get_body(("html",)).get_content()
    subjects = [f"xss({payloads.fields[field]})" for field in ("request.subject", "request2.subject")]
    assert any(subject in email_html for subject in subjects)
    assert f"xss({payloads.fields['campaign.title']})" in email_html and not LIVE_TAGS.search(email_html)


def test_reflected_input_is_inert(app, people):
    world = build_world(app, people)
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    evil = "<script>xss(1)</script>\"'><img src=x onerror=xss(1)>"
    urls = [
        f"/requests/?q={quote(evil)}&status={quote(evil)}&region={quote(evil)}&todo={quote(evil)}",
        f"/campaigns/?q={quote(evil)}",
        f"/councils/?q={quote(evil)}&nation={quote(evil)}",
        f"/admin/reminders?q={quote(evil)}&status={quote(evil)}",
        f"/campaigns/{world.campaign_id}/batch?q={quote(evil)}&codes={quote(evil)}&region={quote(evil)}",
        f"/deadlines/calculator?regime={quote(evil)}&received={quote(evil)}",
        f"/?scope={quote(evil)}",
        f"/councils/{quote(evil)}",
        f"/no/such/page/{quote(evil)}",
    ]
    for url in urls:
        response = admin.get(url)
        assert response.status_code in (200, 404), url
        assert not LIVE_TAGS.search(response.get_data(as_text=True)), url
    anonymous = app.test_client()
    login_page = anonymous.get(f"/login?next={quote(evil)}").get_data(as_text=True)
    assert not LIVE_TAGS.search(login_page) and "xss(1)" in login_page  # kept for after login, escaped


def test_a_council_website_must_be_a_web_address(app, people):
    from sqlalchemy import select

    from fointracker.models import Authority

    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    token = session_csrf_token(admin)
    for website in ("javascript://example.org/%0Aalert(1)", "data://text/html,x", "vbscript://x.example/"):
        response = admin.post(
            "/councils/KEN/edit",
            data={
                "official_name": "Kent County Council",
                "short_name": "Kent",
                "website": website,
                "csrf_token": token,
            },
        )
        assert response.status_code == 200 and "must start with https://" in response.get_data(as_text=True)
    assert (
        admin.post(
            "/councils/KEN/edit",
            data={
                "official_name": "Kent County Council",
                "short_name": "Kent",
                "website": "https://www.kent.gov.uk/",
                "csrf_token": token,
            },
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(Authority.website).where(Authority.code == "KEN")) == "https://www.kent.gov.uk/"
