"""A published report (#18) reveals nothing but itself: every public URL, fetched logged out
from a database holding another campaign, users with names and email addresses, notes on
requests and answers, letters and mail, shows none of it, links nowhere but to the report's own
addresses (and its licence), sets no cookie, and names no other part of the install. A report
taken down, and a campaign never published, answer 404 like an address that never existed."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

from openpyxl import load_workbook
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import Answer, Campaign, FoiRequest, MailMessage, RequestEvent, User
from fointracker.services.publishing import published_report_of, unpublish
from fointracker.web import PUBLIC_ENDPOINTS
from tests.test_report import councils, new_question, new_request

from .conftest import add_person
from .pages import header_problems, html_problems, rule_url
from .test_export_formulas import Formulas
from .world import build_world

PUBLIC_REPORT_ENDPOINTS = sorted(e for e in PUBLIC_ENDPOINTS if e.startswith("publishing."))
OTHER_TITLE = "Secret second campaign about libraries"


def _other_campaign(app, people) -> None:
    """Another campaign, never published, with a request, a figure and notes of its own; and named users."""
    with app.app_context():
        s = db.session
        other = Campaign(title=OTHER_TITLE, default_regime="foia", description="Nobody outside may know.")
        s.add(other)
        s.flush()
        durham = councils(s, ["DUR"])["DUR"]
        request = new_request(s, other, durham)
        request.subject = "Library closures in Durham"
        question = new_question(s, other, "LIBS", "count", 1, label="Libraries closed")
        s.add(Answer(request_id=request.id, question_id=question.id, state="provided", value_number=Decimal(77)))
        s.add(RequestEvent(request_id=request.id, kind="note", occurred_on=request.sent_on, note="Phoned Jo Bloggs"))
        for role, person in people.items():
            s.get(User, person).name = f"Named {role.title()} Person"
        add_person("whistleblower@example.net", "staff", "Wanda Whistleblower")
        s.commit()
        s.remove()


def _secrets(app) -> set[str]:
    """Every personal or internal text in the database that no public page may show."""
    with app.app_context():
        s = db.session
        found = {u.email for u in s.scalars(select(User))} | {u.name for u in s.scalars(select(User)) if u.name}
        found |= {n for n in s.scalars(select(RequestEvent.note)) if n}
        found |= {n for n in s.scalars(select(Answer.note)) if n}
        found |= {r.body for r in s.scalars(select(FoiRequest)) if r.body}
        found |= {r.council_reference for r in s.scalars(select(FoiRequest)) if r.council_reference}
        found |= {m.subject for m in s.scalars(select(MailMessage)) if m.subject}
        found |= {c.description for c in s.scalars(select(Campaign)) if c.description}
        found |= {OTHER_TITLE, "Libraries closed", "Library closures in Durham", "LIBS"}
        s.remove()
    return {text.strip() for text in found if len(text.strip()) >= 4}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("href", "src", "action") and value]


def _body_text(response) -> str:
    data = response.get_data()
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(data))
        return "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    return data.decode("utf-8")


def _public_urls(app, world) -> list[str]:
    return [
        rule_url(app, rule, world.params)
        for rule in app.url_map.iter_rules()
        if rule.endpoint in PUBLIC_REPORT_ENDPOINTS
    ]


def test_public_pages_show_nothing_personal_and_nothing_else_of_the_install(app, people):
    world = build_world(app, people)
    _other_campaign(app, people)
    secrets = _secrets(app)
    slug = world.params["slug"]
    client = app.test_client()
    urls = _public_urls(app, world)
    assert len(urls) == 6
    seen = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert not header_problems(response), (url, header_problems(response))
        text = _body_text(response)
        assert "Kent" in text, url  # the report itself is there (Kent cut its budget)
        leaked = sorted(secret for secret in secrets if secret in text)
        assert not leaked, f"{url} shows {leaked}"
        for internal in ("/campaigns/", "/requests/", "/login", "/admin", "/mail/", "/account", "/figures/"):
            assert internal not in text, f"{url} names {internal}"
        if response.mimetype == "text/html":
            assert not html_problems(text), url
            parser = _Links()
            parser.feed(text)
            for link in parser.links:
                assert (link.startswith(f"/p/{slug}") or link.startswith("#") or link == "/static/app.css") or re.match(
                    r"https://(creativecommons\.org|www\.nationalarchives\.gov\.uk)/", link
                ), (url, link)
            assert "<form" not in text and "csrf" not in text
            seen += 1
    assert seen == 2
    # The snapshot holds the report's figures: nothing of who published it, even by id.
    with app.app_context():
        campaign = db.session.get(Campaign, world.campaign_id)
        published = published_report_of(db.session, campaign.id)
        assert published.slug == slug
        db.session.remove()


def test_no_public_address_reaches_anything_unpublished(app, people):
    world = build_world(app, people)
    _other_campaign(app, people)
    client = app.test_client()
    slug = world.params["slug"]
    with app.app_context():
        other_id = db.session.scalar(select(Campaign.id).where(Campaign.title == OTHER_TITLE))
        db.session.remove()
    for url in (
        "/p/secret-second-campaign-about-libraries",
        f"/p/{other_id}",
        f"/p/{world.campaign_id}",
        f"/p/{slug}/v/2",
        f"/p/{slug}/v/0",
        f"/p/{slug}/v/99999999999",
        f"/p/{slug}/../campaigns",
        f"/p/{slug}/data.json",
        "/p/",
    ):
        response = client.get(url)
        assert response.status_code in (404, 302), url  # 302: an unknown address goes to the login page
        assert OTHER_TITLE not in response.get_data(as_text=True)
    # Taken down: every address of it is a 404, the same page as an address that never existed.
    with app.app_context():
        unpublish(db.session, published_report_of(db.session, world.campaign_id), None)
        db.session.commit()
        db.session.remove()
    never = client.get("/p/never-published").get_data(as_text=True)
    for url in _public_urls(app, world):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.get_data(as_text=True)
        assert body == never and "There is no published report at this address" in body
        # The public layout's 404: no cookie, no link into the install.
        assert "Set-Cookie" not in response.headers and not header_problems(response), url
        assert "/login" not in body and 'href="/"' not in body and "fointracker" not in body


def test_public_downloads_neutralise_formulas(app, people):
    """Every text of the world starts with a formula character: none reaches a public download live."""
    world = build_world(app, people, text=Formulas())
    client = app.test_client()
    slug = world.params["slug"]
    csv_text = client.get(f"/p/{slug}/data.csv").get_data(as_text=True)
    cells = [cell for line in csv_text.splitlines() for cell in line.split(",")]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    book = load_workbook(io.BytesIO(client.get(f"/p/{slug}/data.xlsx").get_data()))
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), (sheet.title, cell.value)
    assert any("'" in c for c in cells)
