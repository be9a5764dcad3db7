"""Recording events and documents through the request page."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import (
    Attachment,
    AuditEntry,
    Authority,
    Campaign,
    FoiRequest,
    RequestEvent,
)
from fointracker.services.foi_requests import create_request
from tests.conftest import post

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime


def _request(app, users, sent=date(2026, 3, 2)):
    with app.app_context():
        campaign = Campaign(title="Timeline", default_regime="foia", created_by_id=users["admin"])
        db.session.add(campaign)
        db.session.commit()
        kent = db.session.scalar(select(Authority).where(Authority.code == "KEN"))
        request_id = create_request(
            db.session,
            {
                "campaign_id": campaign.id,
                "authority_id": kent.id,
                "regime": "foia",
                "subject": "Budgets",
                "body": "",
                "sent_on": sent,
                "received_on": None,
                "council_reference": "",
                "owner_id": None,
            },
            None,
        ).id
        db.session.commit()
        return request_id


def _add(client, request_id, **data):
    data.setdefault("occurred_on", "2026-03-05")
    return post(client, f"/requests/{request_id}/events", data, content_type="multipart/form-data")


def test_refusal_with_exemption_and_document(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    response = _add(
        client,
        request_id,
        kind="response_received",
        outcome="refused",
        exemptions=["s12", "s40"],
        note="Cost limit",
        files=[(io.BytesIO(b"%PDF-1.4 test"), "../../etc/Refusal letter.pdf")],
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        req = db.session.get(FoiRequest, request_id)
        assert (req.status, req.outcome) == ("responded", "refused")
        assert req.responded_on == date(2026, 3, 5) and req.responded_on_time is True
        event = db.session.scalar(select(RequestEvent).where(RequestEvent.kind == "response_received"))
        assert event.details == {"outcome": "refused", "exemptions": ["s12", "s40"]}
        attachment = db.session.scalar(select(Attachment))
        assert attachment.original_name == "Refusal letter.pdf"  # no path survives
        stored = Path(app.config["UPLOAD_FOLDER"]) / "store" / attachment.sha256[:2] / attachment.sha256
        assert stored.read_bytes() == b"%PDF-1.4 test"  # named by its content, never by the user
        attachment_id = attachment.id
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Refused; citing s.12 cost limit, s.40 personal data" in page
    download = client.get(f"/requests/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    assert 'attachment; filename="Refusal letter.pdf"' in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    anonymous = app.test_client().get(f"/requests/attachments/{attachment_id}")
    assert anonymous.status_code == 302  # documents only for logged-in users


def test_an_event_that_makes_no_sense_is_refused_with_the_reason(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    response = _add(client, request_id, kind="clarification_sent")
    # The form offers only events that make sense, so a crafted post is refused as an invalid choice...
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    # ... and one the form offers but the dates make impossible is refused with the reason.
    response = _add(client, request_id, kind="acknowledged", occurred_on="2026-02-27")
    assert response.status_code == 400
    assert "before the request was sent" in response.get_data(as_text=True)
    response = _add(client, request_id, kind="response_received", outcome="")
    assert "Outcome: say what the answer was" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(RequestEvent.id))) == 1


def test_disallowed_file_type_refuses_the_whole_event(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    response = _add(
        client,
        request_id,
        kind="acknowledged",
        files=[(io.BytesIO(b"ok"), "letter.pdf"), (io.BytesIO(b"MZ"), "payload.exe")],
    )
    assert response.status_code == 400
    assert "payload.exe: files of this type are not accepted" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(RequestEvent.id))) == 1
        assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert not [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_upload_size_limit(login_as, app, users):
    request_id = _request(app, users)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = login_as("staff")
    response = _add(client, request_id, kind="acknowledged", files=[(io.BytesIO(b"x" * 5000), "big.pdf")])
    assert response.status_code == 413
    assert "limited to" in response.get_data(as_text=True)


def test_edit_and_remove_need_a_reason_and_are_audited(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    _add(client, request_id, kind="fee_notice", occurred_on="2026-03-05")
    with app.app_context():
        event_id = db.session.scalar(select(RequestEvent.id).where(RequestEvent.kind == "fee_notice"))
    url = f"/requests/{request_id}/events/{event_id}/edit"
    assert "Why are you changing it?" in client.get(url).get_data(as_text=True)
    no_reason = post(client, url, {"occurred_on": "2026-03-06", "note": ""})
    assert "This field is required" in no_reason.get_data(as_text=True)
    ok = post(client, url, {"occurred_on": "2026-03-06", "note": "", "change_reason": "date was wrong"})
    assert ok.status_code == 302
    removed = post(client, f"/requests/{request_id}/events/{event_id}/remove", {"change_reason": "duplicate"})
    assert removed.status_code == 302
    with app.app_context():
        req = db.session.get(FoiRequest, request_id)
        assert req.status == "awaiting_response" and not req.clock_paused
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "request").order_by(AuditEntry.id)
        ).all()
        assert actions[-3:] == ["event added", "event edited", "event removed"]


def test_removing_sent_is_refused_when_later_events_depend_on_it(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    _add(client, request_id, kind="acknowledged")
    with app.app_context():
        sent_id = db.session.scalar(select(RequestEvent.id).where(RequestEvent.kind == "sent"))
    response = post(
        client, f"/requests/{request_id}/events/{sent_id}/remove", {"change_reason": "oops"}, follow_redirects=True
    )
    assert "Not removed" in response.get_data(as_text=True)


def test_documents_added_to_an_event_later_from_the_request_page(login_as, app, users):
    import re

    request_id = _request(app, users)
    client = login_as("staff")
    assert _add(client, request_id, kind="response_received", outcome="successful").status_code == 302
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+/attachments)"', page)
    assert len(forms) == 2  # one for each event: sent, and the response
    with app.app_context():
        response_id = db.session.scalar(select(RequestEvent.id).where(RequestEvent.kind == "response_received"))
    action = f"/requests/{request_id}/events/{response_id}/attachments"
    assert action in forms
    answer = post(
        client,
        action,
        {
            "files": [
                (io.BytesIO(b"a,b\n1,2\n"), "Budget 2011.csv"),
                (io.BytesIO(b"%PDF-1.4 cover"), "Cover letter.pdf"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"#event-{response_id}")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "2 document(s) added." in page and "Budget 2011.csv" in page and "Cover letter.pdf" in page
    nothing = post(client, action, {}, content_type="multipart/form-data")
    assert "Choose at least one file to upload." in client.get(nothing.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
        assert {a.event_id for a in db.session.scalars(select(Attachment))} == {response_id}


def test_authors_cannot_record_events(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("author")
    assert _add(client, request_id, kind="acknowledged").status_code == 403
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Record what happened" not in page and "Add documents" not in page


def test_future_dates_are_refused(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    response = _add(client, request_id, kind="acknowledged", occurred_on=tomorrow)
    assert "in the future" in response.get_data(as_text=True)


def test_figures_entered_toggle(login_as, app, users):
    request_id = _request(app, users)
    client = login_as("staff")
    _add(client, request_id, kind="response_received", outcome="successful")
    assert "Mark figures entered" in client.get(f"/requests/{request_id}").get_data(as_text=True)
    post(client, f"/requests/{request_id}/figures-entered", {"entered": "1"})
    with app.app_context():
        assert db.session.get(FoiRequest, request_id).figures_entered is True
