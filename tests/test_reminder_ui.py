"""Reminders seen by people: preferences, the secret calendar feed, the admin's outbox, /healthz."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from fointracker import clock
from fointracker.domain.reminders import ReminderKind
from fointracker.extensions import db
from fointracker.formatting import uk_date
from fointracker.models import (
    AuditEntry,
    Authority,
    FoiRequest,
    Reminder,
    SchedulerLease,
    User,
)
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.preferences import PreferenceError, save_preferences
from tests.conftest import post

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime

ALL_KINDS = [kind.value for kind in ReminderKind]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _authority(code: str) -> int:
    return db.session.scalar(select(Authority.id).where(Authority.code == code))


def _request(campaign_id: int, code: str, subject: str, owner_id: int | None, sent_on: date) -> FoiRequest:
    return create_request(
        db.session,
        {
            "campaign_id": campaign_id,
            "authority_id": _authority(code),
            "regime": "foia",
            "subject": subject,
            "body": "",
            "sent_on": sent_on,
            "owner_id": owner_id,
        },
        owner_id,
    )


def _last_saturday() -> date:
    today = clock.today()
    return today - timedelta(days=(today.weekday() - 5) % 7 or 7)


@pytest.fixture
def world(app, users):
    """Coordinated campaign (coordinator) with a staff-owned request; another campaign with one request
    owned by the coordinator, one in internal review owned by them, and one owned by staff only."""
    with app.app_context():
        coordinated = save_campaign(
            db.session,
            None,
            {"title": "Coordinated", "default_regime": "foia"},
            [users["coordinator"]],
            users["coordinator"],
        ).id
        other = save_campaign(db.session, None, {"title": "Other", "default_regime": "foia"}, [], users["admin"]).id
        saturday = _last_saturday()  # a weekend receipt: the deferred-receipt date differs
        in_coordinated = _request(coordinated, "KEN", "Care homes", users["staff"], saturday)
        owned = _request(other, "MAN", "Parking fines", users["coordinator"], clock.today() - timedelta(days=3))
        review = _request(other, "LDS", "Libraries", users["coordinator"], clock.today() - timedelta(days=60))
        someone_elses = _request(other, "BIR", "Potholes", users["staff"], clock.today() - timedelta(days=3))
        # An internal review under way: only the review deadline is open.
        review.status, review.response_due_on, review.deferred_due_on = "internal_review", None, None
        review.very_overdue_on, review.review_due_on = None, clock.today() + timedelta(days=12)
        db.session.commit()
        return {
            "coordinated": coordinated,
            "other": other,
            "in_coordinated": (in_coordinated.id, in_coordinated.response_due_on, in_coordinated.deferred_due_on),
            "owned": (owned.id, owned.response_due_on),
            "review": (review.id, review.review_due_on),
            "someone_elses": someone_elses.id,
        }


# --- preferences -------------------------------------------------------------------------------


def test_preferences_page_shows_the_defaults(login_as):
    client = login_as("staff")
    html = client.get("/account/reminders").get_data(as_text=True)
    assert 'value="digest" checked' in html or re.search(r'checked[^>]*value="digest"', html)
    assert re.search(r'<option selected value="8">08:00</option>', html)
    assert "Europe/London" in html
    for kind in ReminderKind:  # every kind wanted
        assert re.search(rf'<input checked id="kinds-\d+" name="kinds" type="checkbox" value="{kind.value}">', html)
    assert 'href="/account/reminders">Reminders</a>' in html  # the header links here


def test_preferences_save_and_are_audited(login_as, app, users):
    client = login_as("staff")
    wanted = [k for k in ALL_KINDS if k not in ("overdue", "figures_missing")]
    response = post(client, "/account/reminders", {"mode": "immediate", "digest_hour": "18", "kinds": wanted})
    assert response.status_code == 302
    assert "saved" in client.get("/account/reminders").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, users["staff"])
        assert (user.reminder_mode, user.digest_hour) == ("immediate", 18)
        assert user.reminder_kinds_off == ["overdue", "figures_missing"]
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.entity_id == users["staff"])
        )
        assert entry.action == "updated" and entry.user_id == users["staff"]
        assert entry.before == {"digest_hour": 8, "reminder_kinds_off": [], "reminder_mode": "digest"}
        assert entry.after == {
            "digest_hour": 18,
            "reminder_kinds_off": ["overdue", "figures_missing"],
            "reminder_mode": "immediate",
        }
    html = client.get("/account/reminders").get_data(as_text=True)
    assert re.search(r'<option selected value="18">18:00</option>', html)
    assert '<input id="kinds-2" name="kinds" type="checkbox" value="overdue">' in html  # unticked


@pytest.mark.parametrize("hour", ["24", "-1", "eight"])
def test_a_bad_hour_is_a_field_error_and_nothing_is_saved(login_as, app, users, hour):
    client = login_as("staff")
    response = post(client, "/account/reminders", {"mode": "immediate", "digest_hour": hour, "kinds": ALL_KINDS})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="digest_hour-error"' in html and "Please correct the following" in html
    with app.app_context():
        user = db.session.get(User, users["staff"])
        assert (user.reminder_mode, user.digest_hour) == ("digest", 8)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "user")) is None


def test_an_unknown_kind_is_refused(login_as, app, users):
    client = login_as("staff")
    response = post(client, "/account/reminders", {"mode": "digest", "digest_hour": "8", "kinds": ["spam"]})
    assert response.status_code == 200 and 'id="kinds-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, users["staff"]).reminder_kinds_off in (None, [])


def test_the_service_validates_too(app, users):
    with app.app_context():
        user = db.session.get(User, users["staff"])
        for kwargs, field in (
            ({"mode": "weekly"}, "mode"),
            ({"digest_hour": 24}, "digest_hour"),
            ({"digest_hour": True}, "digest_hour"),
            ({"kinds_off": ["spam"]}, "kinds"),
        ):
            values = {"mode": "digest", "digest_hour": 8, "kinds_off": [], **kwargs}
            with pytest.raises(PreferenceError) as caught:
                save_preferences(db.session, user, actor_id=user.id, **values)
            assert caught.value.field == field
        db.session.rollback()
        assert db.session.get(User, users["staff"]).digest_hour == 8
        # None (an older row) counts as nothing turned off.
        user.reminder_kinds_off = None
        save_preferences(
            db.session, user, mode="digest", digest_hour=7, kinds_off=["overdue", "overdue"], actor_id=None
        )
        assert db.session.get(User, users["staff"]).reminder_kinds_off == ["overdue"]


def test_preferences_need_a_login_and_a_csrf_token(client, login_as):
    response = client.get("/account/reminders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    logged_in = login_as("staff")
    refused = logged_in.post("/account/reminders", data={"mode": "immediate", "digest_hour": "8"})
    assert refused.status_code == 400


# --- the calendar feed -------------------------------------------------------------------------


def _create_link(client) -> str:
    assert post(client, "/account/reminders/calendar-link", {}).status_code == 302
    html = client.get("/account/reminders").get_data(as_text=True)
    match = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _path(url: str) -> str:
    assert url.startswith("http://localhost/calendar/") and url.endswith(".ics")
    return url[len("http://localhost") :]


def _events(app, path: str) -> dict[str, object]:
    response = app.test_client().get(path)  # no session: calendar apps cannot log in
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    assert "fointracker" in str(calendar["X-WR-CALNAME"])
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_owned_and_coordinated_deadlines_only(login_as, app, world):
    client = login_as("coordinator")
    page = client.get("/account/reminders").get_data(as_text=True)
    assert "Create my calendar link" in page and 'id="calendar-url"' not in page
    url = _create_link(client)
    events = _events(app, _path(url))

    coordinated_id, coordinated_due, deferred_due = world["in_coordinated"]
    owned_id, owned_due = world["owned"]
    review_id, review_due = world["review"]
    assert set(events) == {
        f"request-{coordinated_id}-response-due@fointracker",
        f"request-{owned_id}-response-due@fointracker",
        f"request-{review_id}-review-due@fointracker",
    }
    assert not any(str(world["someone_elses"]) in uid for uid in events)

    for uid, day in (
        (f"request-{coordinated_id}-response-due@fointracker", coordinated_due),
        (f"request-{owned_id}-response-due@fointracker", owned_due),
        (f"request-{review_id}-review-due@fointracker", review_due),
    ):
        event = events[uid]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and start == day  # all-day: a DATE, not a DATE-TIME
        assert end == day + timedelta(days=1)

    owned = events[f"request-{owned_id}-response-due@fointracker"]
    assert str(owned["SUMMARY"]) == "Response due: Manchester — Parking fines"
    assert str(owned["URL"]) == f"http://127.0.0.1:5000/requests/{owned_id}"
    assert "Campaign: Other" in str(owned["DESCRIPTION"])
    coordinated = events[f"request-{coordinated_id}-response-due@fointracker"]
    assert "Campaign: Coordinated" in str(coordinated["DESCRIPTION"])
    assert deferred_due != coordinated_due and uk_date(deferred_due) in str(coordinated["DESCRIPTION"])
    review = events[f"request-{review_id}-review-due@fointracker"]
    assert str(review["SUMMARY"]) == "Internal review due: Leeds — Libraries"

    # Raw text: all-day events as RFC 5545 writes them.
    raw = app.test_client().get(_path(url)).get_data(as_text=True)
    assert f"DTSTART;VALUE=DATE:{owned_due:%Y%m%d}" in raw


def test_the_feed_uses_base_url_and_drops_closed_deadlines(login_as, app, world):
    app.config["BASE_URL"] = "https://foi.example.org/"
    client = login_as("coordinator")
    path = _path(_create_link(client))
    owned_id, _ = world["owned"]
    with app.app_context():
        req = db.session.get(FoiRequest, owned_id)
        req.status, req.response_due_on, req.deferred_due_on, req.very_overdue_on = "responded", None, None, None
        db.session.commit()
    events = _events(app, path)
    assert f"request-{owned_id}-response-due@fointracker" not in events
    assert all(str(e["URL"]).startswith("https://foi.example.org/requests/") for e in events.values())


def test_another_users_feed_shows_only_theirs(login_as, app, world, users):
    client = login_as("staff")  # owns the Kent and Birmingham requests, coordinates nothing
    events = _events(app, _path(_create_link(client)))
    assert set(events) == {
        f"request-{world['in_coordinated'][0]}-response-due@fointracker",
        f"request-{world['someone_elses']}-response-due@fointracker",
    }


def test_regenerating_invalidates_the_old_url_and_is_audited_without_the_token(login_as, app, users):
    client = login_as("coordinator")
    old = _path(_create_link(client))
    assert app.test_client().get(old).status_code == 200
    page = client.get("/account/reminders").get_data(as_text=True)
    assert "Regenerate my calendar link" in page
    new = _path(_create_link(client))
    assert new != old
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200
    token = new[len("/calendar/") : -len(".ics")]
    assert len(token) >= 43
    page = client.get("/account/reminders").get_data(as_text=True)  # shown once, then never again
    assert token not in page and "You have a calendar link." in page
    with app.app_context():
        stored = db.session.get(User, users["coordinator"]).calendar_token_hash
        assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored  # only its digest
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == users["coordinator"])
            .order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["calendar link created", "calendar link regenerated"]
        logged = json.dumps([[e.before, e.after] for e in entries])
        assert token not in logged and old.split("/")[-1][:-4] not in logged


def test_unknown_tokens_and_inactive_users_get_a_plain_404(login_as, app, users):
    anonymous = app.test_client()
    assert anonymous.get("/calendar/nope.ics").status_code == 404
    assert anonymous.get("/calendar/" + "x" * 200 + ".ics").status_code == 404
    client = login_as("coordinator")
    path = _path(_create_link(client))
    with app.app_context():
        db.session.get(User, users["coordinator"]).active = False
        db.session.commit()
    response = anonymous.get(path)
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.get_data()


def test_the_feed_is_not_cached_and_sends_no_referrer(login_as, app):
    client = login_as("coordinator")
    response = app.test_client().get(_path(_create_link(client)))
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


# --- the admin's outbox ------------------------------------------------------------------------


def _reminder(request_id: int, **values) -> Reminder:
    defaults = {
        "kind": "due_today",
        "days_before": 0,
        "target_date": date(2026, 3, 2),
        "recipient": "user:1",
        "channel": "email",
        "due_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        "status": "pending",
    }
    reminder = Reminder(request_id=request_id, **{**defaults, **values})
    db.session.add(reminder)
    return reminder


@pytest.fixture
def outbox(app, world, users):
    """Three hand-made rows beside whatever the real planner made."""
    with app.app_context():
        owned_id, _ = world["owned"]
        coordinated_id = world["in_coordinated"][0]
        failed = _reminder(
            owned_id,
            kind="overdue",
            recipient=f"user:{users['coordinator']}",
            recipient_id=users["coordinator"],
            status="failed",
            attempts=8,
            last_error="SMTP localhost:25: ConnectionRefusedError: boom",
        )
        sent = _reminder(
            coordinated_id,
            kind="review_due",
            recipient=f"user:{users['staff']}",
            recipient_id=users["staff"],
            status="sent",
            attempts=1,
            sent_at=datetime(2026, 3, 2, 8, 1, tzinfo=UTC),
        )
        hook = _reminder(
            coordinated_id,
            kind="very_overdue",
            recipient=f"campaign:{world['coordinated']}",
            channel="webhook",
            status="pending",
            attempts=2,
            last_error="HTTP 500 from the webhook",
            next_attempt_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        )
        db.session.commit()
        return {"failed": failed.id, "sent": sent.id, "hook": hook.id}


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-reminder-id="(\d+)"', html)}


def test_the_outbox_lists_rows_with_attempts_errors_and_times(login_as, app, outbox):
    client = login_as("admin")
    assert "/admin/reminders" in client.get("/admin/").get_data(as_text=True)
    response = client.get("/admin/reminders")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert {outbox["failed"], outbox["sent"], outbox["hook"]} <= _ids(html)
    assert "ConnectionRefusedError: boom" in html and "HTTP 500 from the webhook" in html
    assert "Mon 2 Mar 2026 08:00" in html and "Mon 2 Mar 2026 09:00" in html and "Mon 2 Mar 2026 08:01" in html
    assert "Webhook of Coordinated" in html
    row = re.search(rf'data-reminder-id="{outbox["failed"]}">(.*?)</tr>', html, re.S).group(1)
    assert "<td>8</td>" in row and "Retry now" in row and "Response overdue" in row
    sent_row = re.search(rf'data-reminder-id="{outbox["sent"]}">(.*?)</tr>', html, re.S).group(1)
    assert "Retry now" not in sent_row
    with app.app_context():
        total = db.session.query(Reminder).count()
        pending = db.session.query(Reminder).filter_by(status="pending").count()
    assert re.search(r'status=failed">Failed</a>: <strong>1</strong>', html)
    assert re.search(r'status=sent">Sent</a>: <strong>1</strong>', html)
    assert re.search(rf'status=pending">Pending</a>: <strong>{pending}</strong>', html)
    assert total > 3  # the real planner's rows are listed too


def test_the_outbox_filters(login_as, app, outbox, users):
    client = login_as("admin")
    assert _ids(client.get("/admin/reminders?status=failed").get_data(as_text=True)) == {outbox["failed"]}
    assert _ids(client.get("/admin/reminders?channel=webhook").get_data(as_text=True)) == {outbox["hook"]}
    assert _ids(client.get("/admin/reminders?kind=review_due").get_data(as_text=True)) == {outbox["sent"]}
    by_council = _ids(client.get("/admin/reminders?q=manchester&status=failed").get_data(as_text=True))
    assert by_council == {outbox["failed"]}
    by_recipient = client.get("/admin/reminders?q=staff@example.org&kind=review_due").get_data(as_text=True)
    assert _ids(by_recipient) == {outbox["sent"]}
    nothing = client.get("/admin/reminders?q=Atlantis").get_data(as_text=True)
    assert _ids(nothing) == set() and "No reminder matches" in nothing
    # Values the filters do not understand are ignored, not an error.
    assert client.get("/admin/reminders?status=bogus&kind=zzz").status_code == 200


def test_the_outbox_pages(login_as, app, outbox):
    client = login_as("admin")
    with app.app_context():
        total = db.session.query(Reminder).count()
    first = client.get("/admin/reminders").get_data(as_text=True)
    if total > 50:
        assert len(_ids(first)) == 50 and "Next ›" in first
        second = client.get("/admin/reminders?page=2").get_data(as_text=True)
        assert _ids(first).isdisjoint(_ids(second))
    else:
        assert len(_ids(first)) == total
    # Failed rows come first.
    assert _ids(first) and re.search(r'data-reminder-id="(\d+)"', first).group(1) == str(outbox["failed"])


def test_retry_now_puts_a_failed_row_back_to_pending(login_as, app, outbox, users):
    client = login_as("admin")
    before = clock.now().replace(tzinfo=None) - timedelta(seconds=5)
    response = post(client, f"/admin/reminders/{outbox['failed']}/retry", {"back": "/admin/reminders?status=failed"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/reminders?status=failed"
    with app.app_context():
        row = db.session.get(Reminder, outbox["failed"])
        # A fresh series of attempts (issue 20: keeping 8 failed it again after one more error).
        assert row.status == "pending" and row.attempts == 0
        assert row.last_error  # kept: it says why it failed before
        next_attempt = (
            row.next_attempt_at.replace(tzinfo=None)
            if row.next_attempt_at.tzinfo is None
            else row.next_attempt_at.astimezone(UTC).replace(tzinfo=None)
        )
        assert next_attempt >= before
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "reminder"))
        assert entry.entity_id == outbox["failed"] and entry.action == "retried" and entry.user_id == users["admin"]
        assert entry.before["status"] == "failed" and entry.after["status"] == "pending"
    assert "will be tried again" in client.get("/admin/reminders").get_data(as_text=True)

    # A pending row already due (waiting for its next attempt) can be hurried too.
    assert post(client, f"/admin/reminders/{outbox['hook']}/retry", {}).status_code == 302
    with app.app_context():
        row = db.session.get(Reminder, outbox["hook"])
        assert row.status == "pending" and row.attempts == 0


def test_retry_refuses_sent_rows_and_foreign_redirects(login_as, app, outbox):
    client = login_as("admin")
    response = post(client, f"/admin/reminders/{outbox['sent']}/retry", {"back": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/reminders"
    assert "was not retried" in client.get("/admin/reminders").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Reminder, outbox["sent"]).status == "sent"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "reminder")) is None
    assert post(client, "/admin/reminders/999999/retry", {}).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "staff", "author"])
def test_the_outbox_is_for_admins_only(login_as, app, outbox, role):
    client = login_as(role)
    assert client.get("/admin/reminders").status_code == 403
    assert post(client, f"/admin/reminders/{outbox['failed']}/retry", {}).status_code == 403
    with app.app_context():
        assert db.session.get(Reminder, outbox["failed"]).status == "failed"


def _lease(app, seconds_ago: int) -> None:
    now = clock.now()
    beat = now - timedelta(seconds=seconds_ago)
    with app.app_context():
        db.session.add(
            SchedulerLease(
                name="scheduler",
                holder="worker-1:4242",
                acquired_at=beat,
                heartbeat_at=beat,
                expires_at=beat + timedelta(seconds=90),
                last_sweep_at=beat,
                last_sweep_summary="3 sent, 0 digest(s)",
            )
        )
        db.session.commit()


def test_the_outbox_shows_the_scheduler_heartbeat(login_as, app):
    client = login_as("admin")
    assert 'data-scheduler-state="never started"' in client.get("/admin/reminders").get_data(as_text=True)
    _lease(app, 10)
    html = client.get("/admin/reminders").get_data(as_text=True)
    assert 'data-scheduler-state="running"' in html and "worker-1:4242" in html and "3 sent, 0 digest(s)" in html
    with app.app_context():
        lease = db.session.get(SchedulerLease, "scheduler")
        lease.heartbeat_at = clock.now() - timedelta(minutes=12, seconds=5)
        db.session.commit()
    html = client.get("/admin/reminders").get_data(as_text=True)
    assert 'data-scheduler-state="stopped"' in html and "no heartbeat for 12 minutes" in html


def test_healthz_reports_the_scheduler_without_failing_for_it(client, app):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["scheduler"] == {"state": "never started"}
    _lease(app, 5)
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["scheduler"]["state"] == "running"
    assert health.json["scheduler"]["holder"] == "worker-1:4242"
    with app.app_context():
        lease = db.session.get(SchedulerLease, "scheduler")
        lease.heartbeat_at = clock.now() - timedelta(hours=2)
        db.session.commit()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "ok"
    assert (
        health.json["scheduler"]["state"] == "stopped" and health.json["scheduler"]["seconds_since_heartbeat"] >= 7200
    )


def test_retry_leaves_a_pending_row_that_is_not_due_yet(login_as, app, world, users):
    with app.app_context():
        future = _reminder(
            world["owned"][0],
            recipient=f"user:{users['coordinator']}",
            recipient_id=users["coordinator"],
            due_at=clock.now() + timedelta(days=3),
        )
        db.session.commit()
        future_id = future.id
    client = login_as("admin")
    html = client.get("/admin/reminders?status=pending&q=Manchester").get_data(as_text=True)
    row = re.search(rf'data-reminder-id="{future_id}">(.*?)</tr>', html, re.S).group(1)
    assert "Retry now" not in row
    post(client, f"/admin/reminders/{future_id}/retry", {})
    assert "it is not due yet" in client.get("/admin/reminders").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Reminder, future_id).next_attempt_at is None


def test_the_feed_groups_a_campaigns_deadlines_of_one_day():
    """A batch puts many deadlines on one day: one event per campaign and day lists them (#19)."""
    from fointracker.calendar_feed.feed import Deadline, grouped

    day, other_day = date(2027, 3, 1), date(2027, 3, 2)

    def deadline(n: int, when: date, campaign_id: int = 1) -> Deadline:
        url = f"https://foi.example.org/requests/{n}"
        return Deadline(
            f"request-{n}@fointracker", when, f"Response due: Council {n}", url, url, campaign_id, f"C{campaign_id}"
        )

    items = [deadline(n, day) for n in (3, 1, 2)] + [deadline(4, other_day), deadline(5, day, campaign_id=2)]
    events = {item.uid: item for item in grouped(items, "https://foi.example.org/")}
    assert set(events) == {"campaign-1-2027-03-01@fointracker", "request-4@fointracker", "request-5@fointracker"}
    group = events["campaign-1-2027-03-01@fointracker"]
    assert group.day == day and group.summary == "3 deadlines: C1"
    assert group.url == "https://foi.example.org/campaigns/1"
    assert group.description.splitlines() == [
        line for n in (1, 2, 3) for line in (f"Response due: Council {n}", f"https://foi.example.org/requests/{n}")
    ]
    assert events["request-4@fointracker"] == items[3]  # alone on its day: as it was
