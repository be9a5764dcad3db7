"""The JSON API (/api/v1): personal tokens, access as the web app enforces it, cursor pages,
writes through the timeline's and the grid's services, and the report's JSON."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import ApiToken, RequestEvent, User
from tests.api_support import bearer, token_for
from tests.conftest import csrf_token, login
from tests.security.conftest import people  # noqa: F401  (a fixture)
from tests.security.world import build_world, outsider_email

MEMBERSHIP_ENFORCED = True  # tests/conftest.py: campaigns' members only, as in production
pytestmark = pytest.mark.today  # the world's dates are relative to today


@pytest.fixture
def world(app, people):  # noqa: F811
    return build_world(app, people)


def _logged_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


# ---------------------------------------------------------------- tokens


def test_a_token_is_shown_once_stored_hashed_and_revocable(app, people):  # noqa: F811
    client = _logged_in(app, "staff@example.org")
    response = client.post(
        "/account/api-tokens", data={"name": "Budget notebook", "csrf_token": csrf_token(client, "/account/api-tokens")}
    )
    assert response.status_code == 302
    page = client.get("/account/api-tokens").get_data(as_text=True)
    token = page.split('id="new-token" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("fit_") and len(token) > 40
    again = client.get("/account/api-tokens").get_data(as_text=True)
    assert token not in again  # shown once
    assert "<td>Budget notebook</td>" in again and token[:12] in again  # listed by its name and first characters
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr([getattr(row, c.key) for c in ApiToken.__table__.columns])
        assert row.last_used_at is None
        token_id = row.id
    api = app.test_client()
    served = api.get("/api/v1/campaigns", headers=bearer(token))
    assert served.status_code == 200
    assert "Set-Cookie" not in served.headers and served.headers["Cache-Control"] == "no-store"  # no session made
    with app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None
    # Revoked on the account page (a CSRF-checked form): the token stops working.
    refused = client.post("/account/api-tokens/revoke", data={"token_id": token_id})
    assert refused.status_code == 400  # no CSRF token: not revoked
    assert api.get("/api/v1/campaigns", headers=bearer(token)).status_code == 200
    client.post(
        "/account/api-tokens/revoke",
        data={"token_id": token_id, "csrf_token": csrf_token(client, "/account/api-tokens")},
    )
    response = api.get("/api/v1/campaigns", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401
    assert "<td>Budget notebook</td>" not in client.get("/account/api-tokens").get_data(as_text=True)


def test_anothers_token_cannot_be_revoked(app, people):  # noqa: F811
    token = token_for(app, "author@example.org")
    client = _logged_in(app, "staff@example.org")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(
        "/account/api-tokens/revoke",
        data={"token_id": token_id, "csrf_token": csrf_token(client, "/account/api-tokens")},
    )
    assert app.test_client().get("/api/v1/campaigns", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer fit_not-a-token", "Basic c3RhZmY6cGFzcw==", "Bearer " + "x" * 5000, "fit_abc"],
)
def test_no_valid_token_is_401(app, people, header):  # noqa: F811
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/api/v1/campaigns", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/json"


def test_a_session_cookie_is_no_login_to_the_api(app, people):  # noqa: F811
    """A browser's login cannot be ridden to the API (which takes no CSRF token): it needs the token."""
    client = _logged_in(app, "admin@example.org")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/campaigns").status_code == 401
    response = client.post("/api/v1/requests/1/events", json={"kind": "note", "occurred_on": "2026-01-05"})
    assert response.status_code == 401


def test_a_deactivated_users_tokens_stop_working(app, people):  # noqa: F811
    token = token_for(app, "staff@example.org")
    client = app.test_client()
    assert client.get("/api/v1/campaigns", headers=bearer(token)).status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.email == "staff@example.org").values(active=False))
        db.session.commit()
    assert client.get("/api/v1/campaigns", headers=bearer(token)).status_code == 401


# ---------------------------------------------------------------- access


def test_an_outsider_gets_404_for_everything_of_the_campaign(app, world):
    token = token_for(app, outsider_email("coordinator"))
    client = app.test_client()
    assert client.get("/api/v1/campaigns", headers=bearer(token)).get_json() == {"items": []}
    assert client.get("/api/v1/requests", headers=bearer(token)).get_json() == {"items": [], "next_cursor": None}
    campaign, request_id = world.campaign_id, world.request_ids[0]
    for url in (
        f"/api/v1/campaigns/{campaign}",
        f"/api/v1/campaigns/{campaign}/questions",
        f"/api/v1/campaigns/{campaign}/answers",
        f"/api/v1/campaigns/{campaign}/report",
        f"/api/v1/requests/{request_id}",
        f"/api/v1/requests/{request_id}/events",
    ):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 404, url
        assert response.get_json()["code"] == 404
    today = clock.today().isoformat()
    posted = client.post(
        f"/api/v1/requests/{request_id}/events", json={"kind": "note", "occurred_on": today}, headers=bearer(token)
    )
    assert posted.status_code == 404


def test_a_role_does_through_the_api_only_what_it_may_on_the_pages(app, world):
    request_id, today = world.request_ids[1], clock.today().isoformat()
    note = {"kind": "note", "occurred_on": today, "note": "From the notebook"}
    answer = {"answers": [{"question_id": world.question_ids["text"], "value": "Some text"}]}
    author = token_for(app, "author@example.org")
    client = app.test_client()
    assert client.get(f"/api/v1/requests/{request_id}", headers=bearer(author)).status_code == 200
    assert client.post(f"/api/v1/requests/{request_id}/events", json=note, headers=bearer(author)).status_code == 403
    assert client.post(f"/api/v1/requests/{request_id}/answers", json=answer, headers=bearer(author)).status_code == 403
    # 403 for any id, as on the pages: it says nothing about what exists.
    assert client.post("/api/v1/requests/999999/events", json=note, headers=bearer(author)).status_code == 403
    staff = token_for(app, "staff@example.org")
    assert client.post(f"/api/v1/requests/{request_id}/events", json=note, headers=bearer(staff)).status_code == 201
    assert client.post(f"/api/v1/requests/{request_id}/answers", json=answer, headers=bearer(staff)).status_code == 200


# ---------------------------------------------------------------- pages


def _all_pages(client, url: str, token: str, limit: int, cursor: str | None = None) -> list[list[dict]]:
    pages = []
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, query_string=query, headers=bearer(token)).get_json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100


def test_requests_page_by_cursor_without_duplicates_or_gaps(app, world, people):  # noqa: F811
    token = token_for(app, "admin@example.org")
    client = app.test_client()
    with app.app_context():  # a few more requests, to page through
        for code in ("ESS", "DEV", "NFK"):
            _new_request(world.campaign_id, code, people["staff"])
    whole = client.get("/api/v1/requests", query_string={"limit": 200}, headers=bearer(token)).get_json()
    assert whole["next_cursor"] is None
    ids = [r["id"] for r in whole["items"]]
    assert len(ids) >= 5 and ids == sorted(ids)
    pages = _all_pages(client, "/api/v1/requests", token, 2)
    assert [len(p) for p in pages] == [2] * (len(ids) // 2) + ([len(ids) % 2] if len(ids) % 2 else [])
    assert [r["id"] for p in pages for r in p] == ids
    # A request added while a client pages comes after its cursor: nothing read moves or repeats.
    first = client.get("/api/v1/requests", query_string={"limit": 2}, headers=bearer(token)).get_json()
    with app.app_context():
        added = _new_request(world.campaign_id, "KEN", people["staff"])
    rest = _all_pages(client, "/api/v1/requests", token, 2, cursor=first["next_cursor"])
    assert [r["id"] for r in first["items"]] + [r["id"] for p in rest for r in p] == ids + [added]


def _new_request(campaign_id: int, council_code: str, owner_id: int) -> int:
    from fointracker.models import Authority
    from fointracker.services.foi_requests import create_request

    council = db.session.scalar(select(Authority).where(Authority.code == council_code))
    created = create_request(
        db.session,
        {
            "campaign_id": campaign_id,
            "authority_id": council.id,
            "regime": "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": clock.today() - timedelta(days=5),
            "received_on": None,
            "council_reference": "",
            "owner_id": owner_id,
        },
        owner_id,
    )
    db.session.commit()
    return created.id


def test_the_request_list_filters_as_the_page_does(app, world):
    """Each filter finds through the API exactly the requests the request list page lists."""
    token = token_for(app, "staff@example.org")
    client, web = app.test_client(), _logged_in(app, "staff@example.org")

    def api_ids(**query):
        body = client.get("/api/v1/requests", query_string=query, headers=bearer(token)).get_json()
        return {r["id"] for r in body["items"]}

    def page_ids(**query):
        html = web.get("/requests/", query_string=query).get_data(as_text=True)
        return {int(found) for found in re.findall(r'href="/requests/(\d+)"', html)}

    everything = api_ids()
    assert set(world.request_ids) <= everything
    filters = [
        {},
        {"status": "responded"},
        {"status": "awaiting_response"},
        {"outcome": "successful"},
        {"q": "Kent"},
        {"q": "REF-1"},
        {"region": "South East"},
        {"campaign": world.campaign_id},
        {"deadline": "overdue"},
        {"deadline": "on_time"},
    ]
    for query in filters:
        assert api_ids(**query) == page_ids(**query), query
    assert api_ids(status="responded") == {world.request_ids[0]}
    assert api_ids(council="KEN") == api_ids(q="Kent")
    assert api_ids(campaign=999999) == set()


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 201}, {"cursor": "nonsense"}, {"cursor": "W10"}, {"status": "lost"}, {"campaign": -1}],
)
def test_bad_list_arguments_are_422_naming_them(app, people, query):  # noqa: F811
    token = token_for(app, "staff@example.org")
    response = app.test_client().get("/api/v1/requests", query_string=query, headers=bearer(token))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == set(query)


def test_tidy_answers_page_by_cursor_and_match_the_tidy_csv(app, world):
    token = token_for(app, "author@example.org")
    client = app.test_client()
    url = f"/api/v1/campaigns/{world.campaign_id}/answers"
    whole = client.get(url, query_string={"limit": 200}, headers=bearer(token)).get_json()
    rows = whole["items"]
    keys = [(r["request_id"], r["question_id"]) for r in rows]
    assert len(keys) == len(set(keys)) and keys == sorted(keys)
    paged = [r for p in _all_pages(client, url, token, 3) for r in p]
    assert paged == rows
    # The same rows as the tidy CSV the report page offers, column for column.
    web = _logged_in(app, "author@example.org")
    body = web.get(f"/campaigns/{world.campaign_id}/report-tidy.csv").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(table) == len(rows)

    def plain(value):
        return "" if value is None else str(value)

    by_key = {(r["council_code"], r["question_code"]): r for r in rows}
    for line in table:
        row = by_key[(line["council_code"], line["question_code"])]
        for column in ("council", "question", "state", "exemption", "note", "source", "period"):
            assert plain(row[column]) == line[column], column
        if line["value"]:
            assert plain(row["value"]) == line["value"] or float(line["value"]) == row["value"]


def test_the_report_endpoint_is_byte_for_byte_report_json(app, world):
    token = token_for(app, "author@example.org")
    api = app.test_client().get(f"/api/v1/campaigns/{world.campaign_id}/report", headers=bearer(token))
    web = _logged_in(app, "author@example.org").get(f"/campaigns/{world.campaign_id}/report.json")
    assert api.status_code == web.status_code == 200
    assert api.get_data() == web.get_data()
    assert api.mimetype == "application/json"


# ---------------------------------------------------------------- writes


def test_an_event_added_through_the_api_is_on_the_web_timeline(app, world):
    token = token_for(app, "staff@example.org")
    request_id = world.request_ids[1]
    today = clock.today()
    response = app.test_client().post(
        f"/api/v1/requests/{request_id}/events",
        json={"kind": "chased", "occurred_on": today.isoformat(), "details": {"method": "phone"}, "note": "Rang them"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["event"]["kind"] == "chased" and body["event"]["details"] == {"method": "phone"}
    assert body["request"]["last_chased_on"] == today.isoformat()
    page = _logged_in(app, "staff@example.org").get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Rang them" in page
    with app.app_context():
        event = db.session.get(RequestEvent, body["event"]["id"])
        assert event.created_by_id == world_user_id(app, "staff@example.org")
    events = app.test_client().get(f"/api/v1/requests/{request_id}/events", headers=bearer(token)).get_json()
    assert events["items"][-1]["id"] == body["event"]["id"]


def world_user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


@pytest.mark.parametrize(
    "event, field",
    [
        ({"kind": "review_outcome", "details": {"outcome": "successful"}}, "kind"),  # no review was asked for
        ({"kind": "note", "occurred_on": "tomorrow"}, "occurred_on"),
        ({"kind": "chased", "details": {"method": "pigeon"}}, "details"),
        ({"kind": "chased"}, "details"),  # how we chased is required, as on the form
        ({"kind": "landed"}, "kind"),
    ],
)
def test_an_event_the_timeline_refuses_is_422_naming_the_field(app, world, event, field):
    token = token_for(app, "coordinator@example.org")
    request_id = world.request_ids[1]
    occurred_on = clock.today() + timedelta(days=1) if event.get("occurred_on") == "tomorrow" else clock.today()
    payload = {**event, "occurred_on": occurred_on.isoformat()}
    with app.app_context():
        before = db.session.scalar(select(db.func.count(RequestEvent.id)))
    response = app.test_client().post(f"/api/v1/requests/{request_id}/events", json=payload, headers=bearer(token))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert field in body["errors"]["json"], body
    assert body["message"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(RequestEvent.id))) == before


def test_answers_set_through_the_api_as_the_grid_parses_them(app, world):
    token = token_for(app, "staff@example.org")
    client = app.test_client()
    request_id = world.request_ids[1]
    payload = {
        "answers": [
            {"question_id": world.question_ids["before"], "value": "£1.2m"},
            {"question_id": world.question_ids["after"], "value": "<5"},
        ]
    }
    response = client.post(f"/api/v1/requests/{request_id}/answers", json=payload, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2
    again = client.post(f"/api/v1/requests/{request_id}/answers", json=payload, headers=bearer(token))
    assert again.get_json() == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 2}
    rows = [
        r
        for page in _all_pages(client, f"/api/v1/campaigns/{world.campaign_id}/answers", token, 200)
        for r in page
        if r["request_id"] == request_id
    ]
    by_question = {r["question_id"]: r for r in rows}
    assert by_question[world.question_ids["before"]]["value"] == 1200000
    suppressed = by_question[world.question_ids["after"]]
    assert (suppressed["state"], suppressed["value"], suppressed["low"], suppressed["high"]) == ("provided", None, 0, 5)


def test_invalid_answers_are_422_naming_the_entry_and_field_and_save_nothing(app, world):
    token = token_for(app, "staff@example.org")
    client = app.test_client()
    request_id = world.request_ids[1]
    payload = {
        "answers": [
            {"question_id": world.question_ids["text"], "value": "Fine"},
            {"question_id": world.question_ids["before"], "value": "lots"},
        ]
    }
    response = client.post(f"/api/v1/requests/{request_id}/answers", json=payload, headers=bearer(token))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]["answers"]
    assert list(errors) == ["1"] and "value" in errors["1"]
    unknown = {"answers": [{"question": "NOPE", "value": "1"}]}
    response = client.post(f"/api/v1/requests/{request_id}/answers", json=unknown, headers=bearer(token))
    assert response.status_code == 422 and "question" in response.get_json()["errors"]["json"]["answers"]["0"]
    neither = {"answers": [{"value": "1"}]}
    response = client.post(f"/api/v1/requests/{request_id}/answers", json=neither, headers=bearer(token))
    assert response.status_code == 422
    with app.app_context():
        from fointracker.models import Answer

        assert db.session.scalar(select(Answer).where(Answer.request_id == request_id)) is None


def test_a_body_over_the_bound_is_413(app, people):  # noqa: F811
    token = token_for(app, "staff@example.org")
    big = {"kind": "note", "occurred_on": "2026-01-05", "note": "x" * (2 * 1024 * 1024)}
    response = app.test_client().post("/api/v1/requests/1/events", json=big, headers=bearer(token))
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


# ---------------------------------------------------------------- the document and its page


def test_the_openapi_document_and_reference_are_for_users_of_the_api(app, people):  # noqa: F811
    anonymous = app.test_client()
    assert anonymous.get("/api/openapi.json").status_code == 302  # to the login page
    assert anonymous.get("/api/openapi.json", headers=bearer("fit_wrong")).status_code == 401
    token = token_for(app, "author@example.org")
    spec = anonymous.get("/api/openapi.json", headers=bearer(token)).get_json()
    assert spec["openapi"] == "3.1.0"
    assert {"/api/v1/requests", "/api/v1/campaigns/{campaign_id}/answers"} <= set(spec["paths"])
    page = _logged_in(app, "author@example.org").get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "POST /api/v1/requests/{request_id}/events" in html and "TidyAnswer" in html
