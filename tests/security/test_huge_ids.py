"""Ids beyond PostgreSQL's integer (2³¹−1) in a URL, a form or a query string are no row's:
404 or 400, never a 500 (on PostgreSQL the lookup itself used to fail)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from fointracker.domain.text import MAX_ID
from tests.conftest import login

from .pages import methods, session_csrf_token

HUGE = 99_999_999_999


def test_the_id_converter_bounds_every_int_rule(app):
    int_rules = [r for r in app.url_map.iter_rules() if r.arguments]
    converters = {type(c).__name__ for r in int_rules for c in r._converters.values()}
    assert "IntegerConverter" not in converters, "use <id:…> (fointracker.web.IdConverter) for ids"
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        assert adapter.match(f"/requests/{MAX_ID}")[1] == {"request_id": MAX_ID}
        for bad in (MAX_ID + 1, 0, HUGE):
            with pytest.raises(Exception) as raised:
                adapter.match(f"/requests/{bad}")
            assert getattr(raised.value, "code", None) == 404


def is_number(rule, argument: str) -> bool:
    return isinstance(rule._converters[argument], NumberConverter)


def test_every_rule_with_an_id_answers_a_huge_id_with_404(app, people):
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    token = session_csrf_token(client)
    rules = [r for r in app.url_map.iter_rules() if any(is_number(r, a) for a in r.arguments)]
    assert len(rules) >= 18
    failures = []
    for rule in rules:
        with app.test_request_context():
            path = rule.rule
            for argument in rule.arguments:
                path = re.sub(f"<[^>]*:{argument}>|<{argument}>", str(HUGE) if is_number(rule, argument) else "x", path)
        for method in methods(rule):
            response = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
            if response.status_code != 404:
                failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url, data",
    [
        ("/requests/bulk", {"ids": str(HUGE), "action": "add_note", "note": "x"}),
        ("/requests/bulk", {"ids": ["1", str(HUGE)], "action": "mark_sent", "date": "2024-01-02"}),
        ("/requests/bulk", {"ids": "1", "action": "assign_owner", "owner": str(HUGE)}),
        ("/requests/new", {"campaign_id": str(HUGE), "authority_id": str(HUGE), "owner_id": str(HUGE)}),
    ],
)
def test_huge_ids_in_forms_are_refused_not_500(app, people, url, data):
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    token = session_csrf_token(client)
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code in (302, 400, 404, 200), response.status_code


@pytest.mark.parametrize(
    "url",
    [
        f"/requests/?campaign={HUGE}",
        f"/requests/?owner={HUGE}",
        f"/requests/?authority={HUGE}",
        f"/requests/new?campaign={HUGE}",
        f"/admin/reminders?request={HUGE}",
    ],
)
def test_huge_ids_in_query_strings_are_not_500(app, people, url):
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    response = client.get(url)
    assert response.status_code in (200, 302, 400, 404), response.status_code


def test_huge_council_ids_in_a_batch_are_a_400(app, people):
    from fointracker.extensions import db
    from fointracker.services.campaigns import save_campaign

    with app.app_context():
        campaign = save_campaign(db.session, None, {"title": "Huge ids", "letter_template": ""}, [], None)
        db.session.commit()
        campaign_id = campaign.id
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    token = session_csrf_token(client)
    response = client.post(
        f"/campaigns/{campaign_id}/batch/create",
        json={"authority_ids": [HUGE], "subject": "s"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400 and "authority_ids" in response.get_json()["errors"]
    response = client.post(
        f"/campaigns/{campaign_id}/batch", data={"authority_ids": str(HUGE), "subject": "s", "csrf_token": token}
    )
    assert response.status_code == 200
