"""CSRF on every form: every rule that accepts a POST refuses one without the session's token
(or with another session's token) with the "Form expired" page, and nothing is written,
not a row in any table and not a file. (That every POST form carries the token is checked
on every page of the URL matrix, test_access_matrix.py.) And GETs never write at all."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.foi_requests.figures_views import stamp
from fointracker.models import Answer, Authority, User
from fointracker.services.api_tokens import create_token
from fointracker.services.sessions import start_session
from tests.conftest import PASSWORD, login

from .pages import changed_tables, rule_url, session_csrf_token, snapshot
from .world import build_world


def payloads(world, kent_id: int, stamp: str) -> dict[str, dict]:
    """A form a browser could send to each POST rule: the change a forged request would make
    (test_the_forged_forms_are_real shows that each one, sent with the token, does change things).
    `stamp`: the figures grid's stamp of the world's first answer."""
    today = clock.today().isoformat()
    q = world.question_ids
    return {
        "auth.login": {"email": "coordinator@example.org", "password": PASSWORD},
        "auth.logout": {},
        "auth.change_password": {
            "current_password": PASSWORD,
            "new_password": "attacker chose this",
            "confirm": "attacker chose this",
        },
        "auth.reminder_preferences": {"mode": "immediate", "digest_hour": "3", "kinds": ["overdue"]},
        "auth.calendar_link": {},
        "auth.api_tokens": {"name": "Forged"},
        "admin.new_user": {"email": "intruder@example.org", "role": "admin", "password": "a long password!"},
        "admin.edit_user": {"name": "Intruder", "role": "admin", "active": "y", "new_password": "a long password!"},
        "admin.retry_reminder": {},
        "campaigns.create": {"title": "Forged", "default_regime": "foia"},
        "campaigns.edit": {"title": "Forged too", "default_regime": "foia", "description": "changed"},
        "campaigns.batch": {
            "authority_ids": [str(kent_id)],
            "subject": "Forged",
            "step": "create",
            "allow_duplicates": "y",
        },
        "campaigns.batch_create": {},  # JSON, below
        "campaigns.new_question": {"code": "forged", "label": "Forged", "qtype": "count"},
        "campaigns.edit_question": {"code": "budget_1011", "label": "Forged", "qtype": "money"},
        "campaigns.delete_question_view": {"confirm": "y"},
        "campaigns.move_question_view": {"direction": "down"},
        "campaigns.import_figures": {"file": (io.BytesIO(b"authority,question,value\nKEN,how,Forged\n"), "f.csv")},
        "campaigns.confirm_import": {
            "token": "0" * 32 + ".csv",
            "filename": "f.csv",
            "fingerprint": "x",
            "step": "import",
        },
        "foi_requests.create": {
            "campaign_id": str(world.campaign_id),
            "authority_id": str(kent_id),
            "subject": "Forged",
            "sent_on": today,
        },
        "foi_requests.edit": {"regime": "foia", "subject": "Forged", "body": "changed"},
        "foi_requests.bulk": {"ids": [str(i) for i in world.request_ids], "action": "add_note", "note": "Forged"},
        "foi_requests.add": {
            "kind": "note",
            "occurred_on": today,
            "note": "Forged",
            "files": (io.BytesIO(b"%PDF forged"), "forged.pdf"),
        },
        "foi_requests.add_attachments": {"files": (io.BytesIO(b"%PDF forged"), "forged.pdf")},
        "foi_requests.edit_event": {
            "occurred_on": world.event_day.isoformat(),
            "note": "Forged",
            "change_reason": "forged",
        },
        "foi_requests.remove": {"change_reason": "forged"},
        "foi_requests.figures_entered": {"entered": "1"},
        "foi_requests.figures": {f"q{q['before']}-value": "1", f"q{q['before']}-stamp": stamp},
        "foi_requests.verify": {},
        "authorities.edit": {"official_name": "Forged", "short_name": "Forged"},
        "authorities.campaign_address": {"foi_email": "forged@example.org"},
        "deadlines.closures": {"day": today, "name": "Forged", "calendar": "all"},
        "deadlines.delete": {},
        "mail.send_campaign": {},
        "mail.merge_zip": {},
        "mail.merge_csv": {},
        "mail.send_selected": {"ids": [str(i) for i in world.request_ids]},
        "mail.send_request": {},
        "mail.send_follow_up": {"subject": "Forged", "body": "Forged chaser"},
        "mail.retry_letter": {},
        "mail.cancel_letter": {},
        "mail.upload": {"files": (io.BytesIO(b"From: a@b.example\r\nSubject: Forged\r\n\r\nForged"), "forged.eml")},
        "mail.upload_to_request": {
            "files": (io.BytesIO(b"From: a@b.example\r\nSubject: Forged 2\r\n\r\nForged"), "forged2.eml")
        },
        "mail.assign_to_request": {"request_id": str(world.request_ids[1])},
        "mail.confirm_step": {},
        "mail.correct": {"kind": "note", "occurred_on": today, "note": "Forged"},
        "mail.dismiss_step": {},
        # The world's document is a CSV: "Net budget (£000s)" and "1,234" in B1 (world.py).
        "figures.confirm_file_unit": {"unit": "thousands"},
        "figures.take_cell": {"question": str(q["after"]), "grid": "sheet:CSV", "ref": "B1"},
        # Saved mappings (#17): saved from the figure take_cell took (FIRST), the world's deleted.
        "figures.save_file_mapping": {"name": "Forged", "by": "cell", "scope": "campaign"},
        "figures.accept_mapping": {"mapping": str(world.params["mapping_id"]), "request": str(world.request_ids[0])},
        "figures.delete_file_mapping": {},
        # The world's four answers were saved together: their ids follow answer_id (verified first, below).
        "figures.bulk_verify": {
            "campaign": str(world.campaign_id),
            "ids": [str(world.params["answer_id"] + n) for n in range(4)],
            "action": "selected",
        },
        "figures.second_entry": {f"q{q['before']}-value": "1"},
        "figures.settle_mismatch": {"choice": "second"},
        # Publishing (#18): a new version, and taking the report down.
        "publishing.publish_page": {
            "sections": ["summary", "methodology"],
            "questions": ["budget_1011"],
            "threshold": "5",
            "licence": "cc0-1.0",
            "note": "Forged",
        },
        "publishing.unpublish_view": {},
    }


def _uploads(app) -> list[str]:
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _dirs, files in os.walk(folder) for f in files)


@pytest.fixture
def world(app, people):
    return build_world(app, people)


@pytest.fixture
def forms(app, world, people):
    with app.app_context():
        kent_id = db.session.scalar(select(Authority.id).where(Authority.code == "KEN"))
        answer = db.session.scalar(select(Answer).where(Answer.question_id == world.question_ids["before"]))
        grid_stamp = stamp(answer)
        admin = db.session.get(User, people["admin"])
        start_session(db.session, admin, user_agent="Phone", ip="192.0.2.9")
        phone = admin.session_id
        api_token = create_token(db.session, admin, "Notebook")[0].id
        db.session.commit()
        db.session.remove()
    # auth.end_session: the admin's other session (their phone), which a forged form would end;
    # auth.revoke_api_token: the admin's API token, which a forged form would revoke.
    return payloads(world, kent_id, grid_stamp) | {
        "kent_id": kent_id,
        "auth.end_session": {"session_id": str(phone)},
        "auth.revoke_api_token": {"token_id": str(api_token)},
    }


def form_post_rules(app) -> list:
    """The rules that take a POST from a browser's session. The JSON API's (api.*) read no cookie:
    they take a bearer token, which no other site can make a browser send, so they need no CSRF
    token (test_the_api_ignores_the_session_cookie)."""
    return sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods and not r.endpoint.startswith("api.")),
        key=lambda r: r.endpoint,
    )


def _send(client, url: str, endpoint: str, forms: dict, token: str | None, header_token: str | None = None):
    if endpoint == "campaigns.batch_create":  # JSON: the token travels in a header
        headers = {"X-CSRFToken": header_token} if header_token else {}
        return client.post(
            url,
            json={"authority_ids": [forms["kent_id"]], "subject": "Forged", "allow_duplicates": True},
            headers=headers,
        )
    data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in forms[endpoint].items()}
    if token is not None:
        data["csrf_token"] = token
    return client.post(url, data=data, content_type="multipart/form-data")


def test_every_post_needs_the_sessions_token(app, people, world, forms):
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    other = app.test_client()
    assert login(other, "coordinator@example.org").status_code == 302
    foreign_token = session_csrf_token(other)
    own_token = session_csrf_token(admin)
    assert foreign_token != own_token

    post_rules = form_post_rules(app)
    missing = sorted({r.endpoint for r in post_rules} - set(forms))
    assert not missing, f"new POST rules: give them a forged form in payloads(): {missing}"
    before, files_before = snapshot(app), _uploads(app)
    failures = []
    for rule in post_rules:
        url = rule_url(app, rule, world.params)
        for variant, token in (
            ("no token", None),
            ("another session's token", foreign_token),
            ("a made-up token", "IjAwMDAi.aaaa.bbbb"),
        ):
            response = _send(admin, url, rule.endpoint, forms, token, token)
            html = response.get_data(as_text=True)
            if response.status_code != 400 or "security token" not in html:
                failures.append(f"POST {url} ({rule.endpoint}) with {variant}: {response.status_code}")
    assert not failures, "\n".join(failures)
    after = snapshot(app)
    assert not changed_tables(before, after), f"a refused POST wrote to {changed_tables(before, after)}"
    assert _uploads(app) == files_before
    # The refused logout left the session alone, and the real token still works.
    assert admin.get("/").status_code == 200
    assert admin.post("/logout", data={"csrf_token": own_token}).status_code == 302
    assert admin.get("/").status_code == 302


def test_the_api_ignores_the_session_cookie(app, people, world):
    """A logged-in browser posting to the JSON API (as a forged cross-site request would) is
    refused as having no token, and nothing is written."""
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    api_rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint.startswith("api.")]
    assert len(api_rules) >= 2
    before = snapshot(app)
    today = clock.today().isoformat()
    bodies = {
        "api.events": {"kind": "note", "occurred_on": today, "note": "Forged"},
        "api.set_answers": {"answers": [{"question_id": world.question_ids["text"], "value": "Forged"}]},
    }
    for rule in api_rules:
        url = rule_url(app, rule, world.params)
        for token in (None, session_csrf_token(admin)):
            headers = {"X-CSRFToken": token} if token else {}
            response = admin.post(url, json=bodies[rule.endpoint], headers=headers)
            assert response.status_code == 401, f"POST {url}: {response.status_code}"
    assert not changed_tables(before, snapshot(app))


def test_gets_never_write(app, people, world):
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    before, files_before = snapshot(app), _uploads(app)
    served = 0
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            response = admin.get(rule_url(app, rule, world.params))
            assert response.status_code < 500
            served += response.status_code == 200
            response.close()
    assert served >= 35
    assert not changed_tables(before, snapshot(app))
    assert _uploads(app) == files_before


# Forged forms that change nothing even with the token: already logged in (login), only the
# session (logout), the world's reminder is pending, not failed (retry), a made-up upload
# (confirm), and the upload preview writes only its file (import).
WRITES_NO_ROW = {
    "auth.login",
    "auth.logout",
    "admin.retry_reminder",
    "campaigns.confirm_import",
    "campaigns.import_figures",
    # The world has no drafts to send or merge (its requests are sent), and its letter is queued, not failed.
    "mail.send_campaign",
    "mail.merge_zip",
    "mail.merge_csv",
    "mail.send_selected",
    "mail.send_request",
    "mail.retry_letter",
    # The world has one reply: moved (assign), then its step recorded (confirm), nothing is left to
    # correct or dismiss.
    "mail.correct",
    "mail.dismiss_step",
    # The world's campaign has no double entry (#17): no second entry to make, no mismatch to settle.
    "figures.second_entry",
    "figures.settle_mismatch",
    # Every council of the world with a reply has figures: none is left for a saved mapping to fill.
    "figures.accept_mapping",
}
# Verify the staff member's figure before the admin re-enters it (nobody verifies their own);
# those that take away what others need, last.
# A figure taken from the world's spreadsheet first, for "Save as mapping" to save.
FIRST = ("foi_requests.verify", "figures.confirm_file_unit", "figures.take_cell")
LAST = (
    "campaigns.delete_question_view",
    "foi_requests.remove",
    "deadlines.delete",
    "auth.change_password",
    "auth.logout",
)


def test_the_forged_forms_are_real(app, people, world, forms):
    """Sent with the token, each forged form is accepted and writes: so the refusals above are
    the CSRF check's doing, not the forms' own mistakes."""
    admin = app.test_client()
    assert login(admin, "admin@example.org").status_code == 302
    token = session_csrf_token(admin)

    def order(rule):
        if rule.endpoint in FIRST:
            return -1, rule.endpoint
        return (1 + LAST.index(rule.endpoint) if rule.endpoint in LAST else 0), rule.endpoint

    rules = sorted(form_post_rules(app), key=order)
    failures = []
    for rule in rules:
        url = rule_url(app, rule, world.params)
        before, files_before = snapshot(app), _uploads(app)
        response = _send(admin, url, rule.endpoint, forms, token, token)
        response.close()  # a streamed download (the mail merge) ends here, inside its own context
        wrote = changed_tables(before, snapshot(app)) or _uploads(app) != files_before
        if response.status_code >= 400:
            failures.append(f"POST {url} ({rule.endpoint}) with the token: {response.status_code}")
        elif not wrote and rule.endpoint not in WRITES_NO_ROW:
            failures.append(f"POST {url} ({rule.endpoint}) with the token changed nothing")
    assert not failures, "\n".join(failures)
