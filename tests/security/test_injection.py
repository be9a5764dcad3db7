"""Search boxes and filters against injection and odd input: SQL-ish text, LIKE wildcards,
unicode, very long values, NUL bytes and numbers too big for the database are never a 500,
change nothing, and find what they say. Search text is matched literally: `%` finds the
rows that contain a percent sign, not every row."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Authority
from fointracker.services.foi_requests import create_request
from tests.conftest import login

from .pages import changed_tables, session_csrf_token, snapshot
from .world import build_world

PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE foi_request; --',
    '1 UNION SELECT password_hash FROM "user" --',
    "%",
    "_",
    "\\",
    "Ünïcödé 😀 ﷽",
    "a" * 5000,
    "-1",
    "0",
    "1e308",
    "9999-12-31",
    "../../etc/passwd",
]
HUGE = "99999999999999999999999"  # beyond any database integer; on `page` it is a 404, so tried one filter at a time
# Each list page and the parameters it reads.
LISTS = {
    "/requests/": ("q", "campaign", "status", "outcome", "region", "owner", "deadline", "todo", "sort", "page"),
    "/requests/export.csv": ("q", "campaign", "status", "outcome", "region", "owner", "deadline", "todo", "sort"),
    "/campaigns/": ("q", "page"),
    "/councils/": ("q", "nation", "region", "type_code", "social_care", "status", "page"),
    "/admin/reminders": ("q", "status", "kind", "channel", "page"),
    "/admin/users": ("page",),
    "/campaigns/{campaign}/batch": ("q", "nation", "region", "type_code", "social_care", "codes"),
    "/": ("scope",),
    "/deadlines/calculator": ("regime", "received", "clarified", "fee_notice", "fee_paid", "extension"),
    "/deadlines/closures": ("year",),
}
# Values that get through the forms' checks to the date arithmetic and the closures page.
EXTREMES = (
    [
        ("/deadlines/calculator", {"regime": "foia", "received": day, "extension": extension})
        for day in ("9999-12-31", "0001-01-01")
        for extension in ("0", "200")
    ]
    + [
        (
            "/deadlines/calculator",
            {
                "regime": "foisa",
                "received": "9999-12-20",
                "fee_notice": "9999-12-21",
                "fee_paid": "9999-12-30",
                "clarified": "9999-12-29",
            },
        )
    ]
    + [("/deadlines/closures", {"year": year}) for year in ("0", "1", "-5", "9999", "10000", HUGE)]
    + [
        (url, {"page": page})
        for url in ("/requests/", "/campaigns/", "/councils/", "/admin/users", "/admin/reminders")
        for page in ("0", "-1", HUGE)
    ]
)


def _get(client, url: str, params: dict):
    response = client.get(f"{url}?{urlencode(params)}")
    response.get_data()  # streamed exports run to the end
    response.close()
    return response


def test_filters_never_fail_and_change_nothing(app, people):
    world = build_world(app, people)
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    before = snapshot(app)
    failures = []
    for template, names in LISTS.items():
        url = template.format(campaign=world.campaign_id)
        tries = [{name: payload for name in names} for payload in PAYLOADS]  # every filter at once
        tries += [{name: HUGE} for name in names]  # and one at a time
        for params in tries:
            try:
                response = _get(admin, url, params)
            except Exception as exc:  # TESTING propagates exceptions: a 500
                failures.append(f"{url} {params!r:.120}: raised {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if response.status_code != (404 if params.get("page") in (HUGE, "0", "-1") else 200):
                failures.append(f"{url} {params!r:.120}: answered {response.status_code}")
    for url, params in EXTREMES:
        try:
            response = _get(admin, url, params)
        except Exception as exc:
            failures.append(f"{url} {params!r}: raised {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if response.status_code != (404 if "page" in params and params["page"] != "1" else 200):
            failures.append(f"{url} {params!r}: answered {response.status_code}")
    assert not failures, "\n".join(failures[:40])
    assert not changed_tables(before, snapshot(app))
    # A year no date can hold shows this year's closures; page numbers past the end are not found.
    assert str(clock.today().year) in admin.get("/deadlines/closures?year=10000").get_data(as_text=True)
    assert admin.get("/councils/?page=2").status_code == 200  # the register has more than one page
    far = admin.get("/deadlines/calculator?regime=foia&received=9999-12-31").get_data(as_text=True)
    assert "give a date between 1900 and 2199" in far


def test_a_nul_byte_is_refused_and_nothing_is_written(app, people):
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    token = session_csrf_token(admin)
    before = snapshot(app)
    for url in (
        "/requests/?q=a%00b",
        "/councils/?region=%00",
        "/admin/reminders?q=%00",
        "/requests/export.csv?q=%00",
        "/campaigns/?q=x&page=%00",
    ):
        assert admin.get(url).status_code == 400, url
    response = admin.post(
        "/campaigns/new", data={"title": "Budgets\x00", "default_regime": "foia", "csrf_token": token}
    )
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    campaign = admin.post("/campaigns/new", data={"title": "Budgets", "default_regime": "foia", "csrf_token": token})
    assert campaign.status_code == 302
    before = snapshot(app)
    chunk = admin.post(
        campaign.headers["Location"] + "/batch/create",
        json={"authority_ids": [1], "subject": "x\x00"},
        headers={"X-CSRFToken": token},
    )
    assert chunk.status_code == 400
    assert not changed_tables(before, snapshot(app))


def _export_ids(client, **params) -> set[int]:
    response = client.get("/requests/export.csv?" + urlencode(params))
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}


def test_search_text_is_matched_literally(app, people):
    world = build_world(app, people)
    with app.app_context():
        leeds = db.session.scalar(select(Authority).where(Authority.code == "LDS"))
        odd = create_request(
            db.session,
            {
                "campaign_id": world.campaign_id,
                "authority_id": leeds.id,
                "regime": "foia",
                "subject": "100% of the budget_2011 (O'Brien's \\ question)",
                "body": "",
                "sent_on": clock.today(),
                "received_on": None,
                "council_reference": "",
                "owner_id": None,
            },
            people["staff"],
        ).id
        db.session.commit()
        db.session.remove()
    everything = set(world.request_ids) | {odd}
    client = app.test_client()
    assert login(client, "staff@example.org").status_code == 302
    assert _export_ids(client) == everything
    for text in ("%", "_", "100%", "t_2", "O'Brien", "\\", "' OR 1=1 --", "%' OR '1'='1", "budget_2011"):
        expected = {odd} if text in "100% of the budget_2011 (O'Brien's \\ question)" else set()
        assert _export_ids(client, q=text) == expected, text
    assert _export_ids(client, q="BUDGETS") == set(world.request_ids)  # case does not matter
    # The other search boxes.
    page = client.get("/campaigns/?q=%25").get_data(as_text=True)
    assert not re.findall(r'href="/campaigns/\d+"', page)
    for q in ("%", "_", "' OR 1=1 --"):
        councils = client.get("/councils/?" + urlencode({"q": q, "status": "all"})).get_data(as_text=True)
        assert not re.findall(r'href="/councils/[A-Z0-9]+"', councils), q
    assert len(re.findall(r'href="/councils/[A-Z0-9]+"', client.get("/councils/?q=kent").get_data(as_text=True))) >= 1
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    for q in ("%", "_"):
        outbox = admin.get("/admin/reminders?" + urlencode({"q": q})).get_data(as_text=True)
        assert not re.findall(r'data-reminder-id="\d+"', outbox), q
        batch = admin.get(f"/campaigns/{world.campaign_id}/batch?" + urlencode({"q": q})).get_data(as_text=True)
        assert not re.findall(r'name="authority_ids"[^>]*value="\d+"', batch), q
    assert re.findall(r'data-reminder-id="\d+"', admin.get("/admin/reminders?q=staff").get_data(as_text=True))


def test_the_calendar_feed_cannot_be_injected_into(app, people):
    """A subject with line breaks stays one property of one event (the iCalendar escapes them)."""
    world = build_world(app, people)
    with app.app_context():
        leeds = db.session.scalar(select(Authority).where(Authority.code == "LDS"))
        create_request(
            db.session,
            {
                "campaign_id": world.campaign_id,
                "authority_id": leeds.id,
                "regime": "foia",
                "subject": "Budgets\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:forged",
                "body": "",
                "sent_on": clock.today() - timedelta(days=1),
                "received_on": None,
                "council_reference": "",
                "owner_id": people["staff"],
            },
            people["staff"],
        )
        db.session.commit()
        db.session.remove()
    feed = app.test_client().get(f"/calendar/{world.feed_token}.ics").get_data(as_text=True)
    lines = feed.replace("\r\n ", "").split("\r\n")  # unfold
    assert not any(line.startswith("SUMMARY:forged") for line in lines)
    assert sum(line == "BEGIN:VEVENT" for line in lines) == sum(line == "END:VEVENT" for line in lines)
    assert any("END:VEVENT\\nBEGIN:VEVENT" in line or "END:VEVENT\\r\\nBEGIN" in line for line in lines)
