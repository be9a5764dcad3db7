"""The rest of a request's life through the services and pages (issue #15; DESIGN.md §2,
"After the review and the complaint"): chasing, partial and further responses, transfers,
refined requests, decision notices, reopening, joint replies and the law's own checks."""

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import Attachment, Authority, Campaign, FoiRequest, RequestEvent
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import TimelineError, add_event, remove_event
from tests.conftest import post

TODAY = date(2026, 6, 1)  # every event below is in the past of this day


@pytest.fixture
def campaign_id(session, users):
    campaign = Campaign(title="Life", default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.commit()
    return campaign.id


def new_request(session, campaign_id, code="KEN", sent=date(2026, 3, 2)):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority.id,
            "regime": "foisa" if authority.nation == "Scotland" else "foia",
            "subject": "Budgets",
            "body": "Please send the budgets.",
            "sent_on": sent,
            "council_reference": "",
            "owner_id": None,
        },
        None,
    )
    session.commit()
    return foi_request


def event(session, foi_request, kind, on, warnings=None, **details):
    added = add_event(
        session, foi_request, kind=kind, occurred_on=on, details=details, user_id=None, today=TODAY, warnings=warnings
    )
    session.commit()
    return added


def test_chased_keeps_the_status_and_sets_last_chased_on(session, campaign_id):
    req = new_request(session, campaign_id)
    event(session, req, "chased", date(2026, 4, 2), method="email")
    chaser = event(session, req, "chased", date(2026, 4, 9), method="phone")
    assert (req.status, req.last_chased_on) == ("awaiting_response", date(2026, 4, 9))
    remove_event(session, chaser, reason="logged twice", user_id=None)
    session.commit()
    assert req.last_chased_on == date(2026, 4, 2)


def test_chasing_a_draft_is_refused(session, campaign_id):
    req = new_request(session, campaign_id, sent=None)
    with pytest.raises(TimelineError) as refused:
        add_event(session, req, kind="chased", occurred_on=date(2026, 4, 2), details={"method": "email"}, user_id=None)
    assert refused.value.field == "kind"
    session.rollback()


def test_on_time_figures_come_from_the_further_response_not_the_partial_one(session, campaign_id):
    """Received Mon 2 Mar 2026, due Tue 31 Mar (FOIA s.10(1)); part on 20 Mar, the rest on 10 Apr: late."""
    req = new_request(session, campaign_id)
    assert req.response_due_on == date(2026, 3, 31)
    event(session, req, "partial_response", date(2026, 3, 20))
    assert (req.status, req.responded_on, req.response_due_on) == ("awaiting_response", None, date(2026, 3, 31))
    event(session, req, "further_response", date(2026, 4, 10), outcome="successful")
    assert (req.status, req.outcome) == ("responded", "successful")
    assert (req.responded_on, req.responded_on_time) == (date(2026, 4, 10), False)


def test_transfer_creates_a_linked_draft_to_the_other_council_and_both_pages_link(session, campaign_id, login_as):
    req = new_request(session, campaign_id)
    other = session.scalar(select(Authority).where(Authority.code == "MDW"))
    transfer = event(session, req, "transferred", date(2026, 3, 10), authority_id=other.id)
    draft = session.get(FoiRequest, transfer.details["linked_request_id"])
    assert (req.status, req.outcome) == ("closed", "not_held")
    assert (draft.status, draft.authority_id, draft.campaign_id) == ("draft", other.id, campaign_id)
    assert (draft.linked_request_id, draft.subject, draft.body) == (req.id, req.subject, req.body)
    client = login_as("staff")
    original_page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert f'href="/requests/{draft.id}"' in original_page
    assert f'href="/requests/{req.id}"' in client.get(f"/requests/{draft.id}").get_data(as_text=True)


def test_transfer_to_the_same_council_is_refused(session, campaign_id):
    req = new_request(session, campaign_id)
    with pytest.raises(TimelineError) as refused:
        add_event(
            session,
            req,
            kind="transferred",
            occurred_on=date(2026, 3, 10),
            details={"authority_id": req.authority_id},
            user_id=None,
            today=TODAY,
        )
    assert refused.value.field == "authority_id"
    session.rollback()


def test_refined_request_after_s12_refusal_is_a_linked_draft_to_the_same_council_s16(session, campaign_id):
    req = new_request(session, campaign_id)
    event(session, req, "response_received", date(2026, 3, 20), outcome="refused", exemptions=["s12"])
    refined = event(session, req, "refined", date(2026, 3, 25))
    draft = session.get(FoiRequest, refined.details["linked_request_id"])
    assert (draft.authority_id, draft.linked_request_id, draft.status) == (req.authority_id, req.id, "draft")
    assert (req.status, req.outcome) == ("responded", "refused")


def test_decision_notice_page_shows_comply_and_appeal_dates(session, campaign_id, login_as):
    """ICO: comply within 35 days, appeal to the First-tier Tribunal within 28 (DESIGN.md §2)."""
    req = new_request(session, campaign_id)
    event(session, req, "response_received", date(2026, 3, 20), outcome="refused", exemptions=["s43"])
    event(session, req, "complaint_lodged", date(2026, 3, 23), regulator="ICO")
    event(session, req, "decision_notice", date(2026, 5, 4), regulator="ICO", outcome="upheld")
    assert req.status == "decided"
    page = login_as("staff").get(f"/requests/{req.id}").get_data(as_text=True)
    assert "comply by <strong>Mon 8 Jun 2026</strong>" in page
    assert "Appeal by <strong>Mon 1 Jun 2026</strong>" in page
    event(session, req, "disclosure", date(2026, 5, 29), after="decision", outcome="successful")
    assert (req.status, req.outcome) == ("closed", "successful")


def test_reopened_withdrawn_request_awaits_its_answer_again(session, campaign_id):
    req = new_request(session, campaign_id)
    event(session, req, "withdrawn", date(2026, 3, 5))
    assert (req.status, req.outcome, req.response_due_on) == ("withdrawn", "withdrawn", None)
    event(session, req, "reopened", date(2026, 3, 9))
    assert (req.status, req.outcome, req.response_due_on) == ("awaiting_response", None, date(2026, 3, 31))


def test_late_extension_is_recorded_with_a_warning_foia_s17(session, campaign_id, login_as):
    """Received 2 Mar 2026 (due 31 Mar); extension claimed 10 Apr: recorded, warned, still late."""
    req = new_request(session, campaign_id)
    warnings = []
    event(
        session, req, "extension_claimed", date(2026, 4, 10), warnings, reason="public_interest", new_date="2026-04-28"
    )
    assert req.status == "extended" and len(warnings) == 1 and "s.17" in warnings[0]


def test_late_extension_warning_is_flashed_on_the_page(session, campaign_id, login_as, time_machine):
    time_machine.move_to("2026-06-01 12:00")
    req = new_request(session, campaign_id)
    client = login_as("staff")
    response = post(
        client,
        f"/requests/{req.id}/events",
        {
            "kind": "extension_claimed",
            "occurred_on": "2026-04-10",
            "reason": "public_interest",
            "new_date": "2026-04-28",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "FOIA s.17(1)-(2)" in response.get_data(as_text=True)


def test_fee_notice_before_receipt_is_refused(session, campaign_id):
    req = new_request(session, campaign_id)
    with pytest.raises(TimelineError) as refused:
        add_event(session, req, kind="fee_notice", occurred_on=date(2026, 3, 1), user_id=None, today=TODAY)
    assert refused.value.field == "occurred_on"
    session.rollback()


def test_joint_reply_is_stored_once_and_downloadable_from_each_request(
    session, campaign_id, login_as, app, time_machine
):
    """A shared FOI service answers two councils with one letter (DESIGN.md §2, "Other paths")."""
    time_machine.move_to("2026-06-01 12:00")
    first, second = new_request(session, campaign_id, "KEN"), new_request(session, campaign_id, "MDW")
    client = login_as("staff")
    response = post(
        client,
        f"/requests/{first.id}/events",
        {
            "kind": "response_received",
            "occurred_on": "2026-03-20",
            "outcome": "successful",
            "also_answers": [str(second.id)],
            "files": (io.BytesIO(b"%PDF-1.4 joint reply"), "joint.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert [r.status for r in (first, second)] == ["responded", "responded"]
    stored = session.scalars(select(Attachment)).all()
    assert len(stored) == 1 and len([p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]) == 1
    joint = session.scalar(
        select(RequestEvent).where(RequestEvent.request_id == second.id, RequestEvent.kind == "response_received")
    )
    assert joint.details["joint_attachment_ids"] == [stored[0].id]
    url = f"/requests/{second.id}/documents/{stored[0].id}"
    assert url in client.get(f"/requests/{second.id}").get_data(as_text=True)
    download = client.get(url)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 joint reply"
    third = new_request(session, campaign_id, "BNE")  # not answered by the joint reply
    assert client.get(f"/requests/{third.id}/documents/{stored[0].id}").status_code == 404


def test_joint_reply_refused_for_a_request_that_cannot_take_it(session, campaign_id, login_as, time_machine):
    time_machine.move_to("2026-06-01 12:00")
    first, draft = new_request(session, campaign_id, "KEN"), new_request(session, campaign_id, "MDW", sent=None)
    response = post(
        login_as("staff"),
        f"/requests/{first.id}/events",
        {
            "kind": "response_received",
            "occurred_on": "2026-03-20",
            "outcome": "successful",
            "also_answers": [str(draft.id)],
            "files": (io.BytesIO(b"%PDF-1.4 joint reply"), "joint.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert first.status == "awaiting_response" and session.scalars(select(Attachment)).all() == []
