"""Letters by email (#16): queueing, the outbox worker against a real SMTP server on loopback
(aiosmtpd), exactly once under concurrent workers and crashes, retries, the rate limit, reply
addresses, thread headers, the step on the timeline, and the pages that send."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from fointracker import clock
from fointracker.delivery import Mailer, SmtpSettings
from fointracker.domain.localtime import LONDON
from fointracker.domain.mail.references import token_from_addresses
from fointracker.extensions import db
from fointracker.models import Authority, FoiRequest, MailMessage, RequestEvent
from fointracker.services.foi_requests import create_request
from fointracker.services.letters import follow_up_letters
from fointracker.services.mail_sending import (
    SendingError,
    cancel,
    queue_letter,
    queue_requests,
    reap,
    retry,
    send_due,
)
from fointracker.services.outbox import LEASE, MAX_ATTEMPTS
from tests.conftest import login, post
from tests.reminders_support import SmtpServer, _Collector, add_campaign, as_utc, smtp_server  # noqa: F401

REPLY_TO = "foi+{token}@replies.example.org"
LETTER = "Dear council,\n\nPlease tell me your adult social care budget for 2025/26.\n\nYours faithfully,\n"


def _setup(app, smtp, **extra):
    app.config.update(smtp.config(), MAIL_REPLY_TO=REPLY_TO, MAIL_PER_MINUTE=100, **extra)


def _councils(session, n: int) -> list[Authority]:
    found = list(
        session.scalars(
            select(Authority)
            .where(Authority.nation == "England", Authority.end_date.is_(None))
            .order_by(Authority.code)
            .limit(n)
        )
    )
    for authority in found:
        authority.foi_email = f"foi@{authority.code.lower()}.gov.example"
    session.commit()
    return found


def _drafts(session, n: int, *, campaign_id: int | None = None, subject: str = "Adult social care budgets"):
    campaign_id = campaign_id or add_campaign(session)
    requests = []
    for authority in _councils(session, n):
        requests.append(
            create_request(
                session,
                {
                    "campaign_id": campaign_id,
                    "authority_id": authority.id,
                    "regime": "foia",
                    "subject": subject,
                    "body": LETTER,
                    "sent_on": None,
                    "received_on": None,
                    "council_reference": "",
                    "owner_id": None,
                },
                None,
            )
        )
    session.commit()
    return requests


def _mailer(app) -> Mailer:
    return Mailer(SmtpSettings.from_config(app.config))


def _send(app, now=None):
    mailer = _mailer(app)
    try:
        return send_due(db.session, mailer, app.config, now)
    finally:
        mailer.close()


def _rows(session, *conditions) -> list[MailMessage]:
    session.commit()
    session.expire_all()
    return list(session.scalars(select(MailMessage).where(*conditions).order_by(MailMessage.id)))


# ---------------------------------------------------------------- one letter, end to end


def test_a_request_letter_goes_once_with_its_reply_address_and_is_recorded_sent_on_the_london_day(
    app, session, smtp_server
):
    _setup(app, smtp_server)
    # 23:30 UTC in summer is 00:30 the next day in London: the step is dated the London day.
    with time_machine.travel(datetime(2026, 6, 9, 23, 30, tzinfo=UTC), tick=True):
        (foi_request,) = _drafts(session, 1)
        queued = queue_letter(session, foi_request, "request", None, config=app.config)
        session.commit()
        before = clock.now()
        result = _send(app)
        after = clock.now()
    assert (result.sent, result.failed, result.claimed) == (1, 0, 1)
    (message,) = smtp_server.messages
    foi_request = session.get(FoiRequest, foi_request.id)
    assert message["To"] == foi_request.authority.foi_email
    assert message["From"] == smtp_server.config()["MAIL_FROM"]
    assert message["Reply-To"] == f"foi+{foi_request.reply_token}@replies.example.org"
    assert f"FT-{foi_request.id}" in message["Subject"] and "Adult social care budgets" in message["Subject"]
    assert message["Message-ID"] == queued.message_id
    assert message["Message-ID"].startswith(f"<ft.{foi_request.id}.") and message["Message-ID"].endswith(
        "@replies.example.org>"
    )
    assert "adult social care budget for 2025/26" in message.get_content()
    (row,) = _rows(session)
    assert row.status == "sent" and row.last_error == ""
    sent_at = as_utc(row.sent_at)
    assert before <= sent_at <= after  # when the server accepted it, not when it was queued
    event = session.get(RequestEvent, row.event_id)
    assert event.kind == "sent" and event.request_id == foi_request.id
    assert event.occurred_on == sent_at.astimezone(LONDON).date() == datetime(2026, 6, 10).date()
    assert foi_request.sent_on == event.occurred_on and foi_request.status == "awaiting_response"
    assert foi_request.response_due_on is not None  # the deadlines followed the step
    # A second click, and a second run: nothing more.
    with pytest.raises(SendingError, match="sent by email already"):
        queue_letter(session, foi_request, "request", None, config=app.config)
    session.rollback()
    assert _send(app).claimed == 0
    assert len(smtp_server.messages) == 1


def test_a_second_click_while_queued_does_not_queue_again(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    with pytest.raises(SendingError, match="already queued"):
        queue_letter(session, foi_request, "request", None, config=app.config)
    session.rollback()
    assert len(_rows(session)) == 1


def test_a_council_without_an_address_is_not_queued_and_is_named(app, session, smtp_server):
    _setup(app, smtp_server)
    first, second = _drafts(session, 2)
    second.authority.foi_email = ""
    session.commit()
    result = queue_requests(session, [first, second], None, config=app.config)
    session.commit()
    assert [m.request_id for m in result.queued] == [first.id]
    ((refused, why),) = result.refused
    assert refused.id == second.id and "has no FOI address" in why and second.authority.short_name in why


def test_each_request_has_its_own_unguessable_reply_address(app, session, smtp_server):
    _setup(app, smtp_server)
    requests = _drafts(session, 5)
    queue_requests(session, requests, None, config=app.config)
    session.commit()
    _send(app)
    replies = [m["Reply-To"] for m in smtp_server.messages]
    assert len(set(replies)) == 5
    session.expire_all()
    by_token = {session.get(FoiRequest, r.id).reply_token: r.id for r in requests}
    for address in replies:
        token = token_from_addresses(REPLY_TO, [address])
        assert token in by_token and len(token) >= 26 and token.isalnum() and token == token.lower()


def test_without_a_reply_domain_replies_go_to_the_campaign_sender(app, session, smtp_server):
    app.config.update(smtp_server.config(), MAIL_REPLY_TO="", MAIL_PER_MINUTE=100)
    (foi_request,) = _drafts(session, 1)
    foi_request.campaign.mail_from = "Social Care Watch <foi@watch.example.org>"
    session.commit()
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    _send(app)
    (message,) = smtp_server.messages
    assert message["Reply-To"] is None
    assert message["From"] == "Social Care Watch <foi@watch.example.org>"
    assert message["Message-ID"].endswith("@watch.example.org>")
    assert session.get(FoiRequest, foi_request.id).reply_token is None


# ---------------------------------------------------------------- exactly once


def test_two_workers_at_once_send_each_letter_once(app, session, smtp_server):
    _setup(app, smtp_server)
    requests = _drafts(session, 24)
    queue_requests(session, requests, None, config=app.config)
    session.commit()
    smtp_server.delay = 0.02  # both workers are mid-run together
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            mailer = _mailer(app)
            try:
                barrier.wait(10)
                results.append(send_due(db.session, mailer, app.config))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                mailer.close()
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert sum(r.sent for r in results) == 24
    counts = smtp_server.message_ids()
    assert len(counts) == 24 and set(counts.values()) == {1}
    rows = _rows(session)
    assert {r.status for r in rows} == {"sent"}
    assert session.query(RequestEvent).filter(RequestEvent.kind == "sent").count() == 24


def test_a_crash_after_the_server_accepted_is_not_sent_again_blindly(app, session, smtp_server):
    """The letter went, then the worker died before marking it: the row is failed for a person to
    check (it may have gone), never sent again on its own."""
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()

    class Crash(BaseException):
        pass

    class DiesAfterSending(Mailer):
        def fault_point(self, point):
            raise Crash(point)

    mailer = DiesAfterSending(SmtpSettings.from_config(app.config))
    with pytest.raises(Crash):
        send_due(db.session, mailer, app.config)
    mailer.close()
    session.rollback()
    assert len(smtp_server.messages) == 1
    (row,) = _rows(session)
    assert row.status == "sending"
    # The next runs, within the lease and after it (the crashed sender's lock is gone).
    assert _send(app).claimed == 0
    later = clock.now() + LEASE + timedelta(seconds=1)
    assert reap(session, later) == 1
    (row,) = _rows(session)
    assert row.status == "failed" and "may have gone" in row.last_error
    assert _send(app, later).claimed == 0
    assert len(smtp_server.messages) == 1
    assert session.get(FoiRequest, foi_request.id).sent_on is None  # nothing recorded that is not known


def test_a_crash_before_handing_over_is_sent_after_the_lease(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    message = queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    # A claim by a sender that died (its process lock is not held): claimed, never handed over.
    message.status, message.claim_token, message.claimed_at = "claimed", "0" * 16 + "1" * 16, clock.now()
    session.commit()
    assert _send(app).claimed == 0  # still within the lease
    later = clock.now() + LEASE + timedelta(seconds=1)
    result = _send(app, later)
    assert (result.reaped, result.sent) == (1, 1)
    assert len(smtp_server.messages) == 1


# ---------------------------------------------------------------- refusals and retries


class _Refusing(_Collector):
    """Refuses the next `refusals` messages with a permanent-looking 554, then accepts."""

    refusals = 0

    async def handle_DATA(self, server, session, envelope):
        if _Refusing.refusals > 0:
            _Refusing.refusals -= 1
            return "554 5.7.1 Message refused"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def refusing_smtp():
    from aiosmtpd.controller import Controller

    server = SmtpServer()
    server._controller = Controller(_Refusing(server), hostname=server.host, port=server.port, ready_timeout=10)
    server._controller.start()
    try:
        yield server
    finally:
        _Refusing.refusals = 0
        server.stop()


def test_a_refused_letter_is_retried_after_its_back_off_then_sent(app, session, refusing_smtp):
    _setup(app, refusing_smtp)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    _Refusing.refusals = 1
    now = clock.now()
    result = _send(app, now)
    assert (result.sent, result.failed) == (0, 1)
    (row,) = _rows(session)
    assert row.status == "queued" and row.attempts == 1 and "554" in row.last_error
    assert as_utc(row.next_attempt_at) == now + timedelta(minutes=1)
    assert _send(app, now + timedelta(seconds=30)).claimed == 0  # not due yet
    result = _send(app, now + timedelta(minutes=2))
    assert result.sent == 1
    (row,) = _rows(session)
    assert row.status == "sent" and row.last_error == "" and row.event_id is not None
    assert len(refusing_smtp.messages) == 1


def test_after_the_last_try_a_letter_is_failed_visible_and_can_be_retried_or_cancelled(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    smtp_server.stop()  # the server is down: connection refused
    now = clock.now()
    for _attempt in range(MAX_ATTEMPTS):
        assert _send(app, now).failed == 1
        (row,) = _rows(session)
        now = as_utc(row.next_attempt_at) if row.next_attempt_at else now
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "SMTP" in row.last_error
    assert _send(app, now + timedelta(days=1)).claimed == 0
    retry(session, row)
    session.commit()
    smtp_server.start()
    assert _send(app, now + timedelta(days=1)).sent == 1
    (row,) = _rows(session)
    with pytest.raises(SendingError):
        cancel(session, row)  # a sent letter cannot be cancelled


# ---------------------------------------------------------------- the rate limit


def test_no_more_than_the_rate_in_any_minute_across_workers(app, session, smtp_server):
    _setup(app, smtp_server)
    app.config["MAIL_PER_MINUTE"] = 5
    queue_requests(session, _drafts(session, 12), None, config=app.config)
    session.commit()
    # One clock for the sends and for the letters' accept times: the window counts sent_at.
    with time_machine.travel(clock.now(), tick=True) as traveller:
        first = _send(app)
        assert (first.claimed, first.sent, first.held_back) == (5, 5, 7)
        traveller.shift(timedelta(seconds=30))
        assert _send(app).claimed == 0  # the same minute: none
        traveller.shift(timedelta(seconds=31))
        # Two workers a minute later share one allowance.
        results = []

        def worker():
            with app.app_context():
                results.append(_send(app))
                db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(r.claimed for r in results) == [0, 5]
    assert len(smtp_server.messages) == 10


# ---------------------------------------------------------------- follow-ups in the thread


def test_a_chaser_is_sent_in_the_thread_and_recorded_as_chased_by_email(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    first = queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    _send(app)
    # The council's acknowledgement, filed on the request by the intake.
    session.add(
        MailMessage(
            direction="in",
            status="filed",
            campaign_id=foi_request.campaign_id,
            request_id=foi_request.id,
            message_id="<ack.1@council.gov.example>",
            subject="Re: your request",
            received_at=clock.now() + timedelta(seconds=5),
        )
    )
    foi_request = session.get(FoiRequest, foi_request.id)
    foi_request.council_reference = "FOI/2026/0042"
    session.commit()
    (letter,) = [
        x for x in follow_up_letters(foi_request, foi_request.events, clock.today()) if x.kind.value == "chaser"
    ]
    chaser = queue_letter(session, foi_request, "chaser", None, body=letter.text, config=app.config)
    session.commit()
    assert chaser.in_reply_to == "<ack.1@council.gov.example>"
    assert chaser.thread_references == f"{first.message_id} <ack.1@council.gov.example>"
    _send(app)
    sent = smtp_server.messages[-1]
    assert sent["In-Reply-To"] == "<ack.1@council.gov.example>"
    assert sent["References"].split() == [first.message_id, "<ack.1@council.gov.example>"]
    assert "FOI/2026/0042" in sent["Subject"] and f"FT-{foi_request.id}" in sent["Subject"]
    assert sent["Reply-To"] == f"foi+{foi_request.reply_token}@replies.example.org"  # the same reply address
    row = _rows(session, MailMessage.letter_kind == "chaser")[0]
    event = session.get(RequestEvent, row.event_id)
    assert event.kind == "chased" and event.details == {"method": "email"}
    assert session.get(FoiRequest, foi_request.id).last_chased_on == event.occurred_on
    with pytest.raises(SendingError):  # the same chaser, the same day: once
        queue_letter(session, foi_request, "chaser", None, body=letter.text, config=app.config)


def test_a_letter_still_asking_to_be_completed_is_not_queued(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    _send(app)
    foi_request = session.get(FoiRequest, foi_request.id)
    with pytest.raises(SendingError, match=r"complete the letter first"):
        queue_letter(session, foi_request, "review", None, body="I am not satisfied with it: [say what is missing].")


# ---------------------------------------------------------------- the pages and the command


def test_the_request_page_sends_once_and_shows_the_email_on_the_timeline(app, client, users, smtp_server):
    _setup(app, smtp_server)
    with app.app_context():
        (foi_request,) = _drafts(db.session, 1)
        request_id = foi_request.id
    login(client, "staff@example.org")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Send by email" in page
    response = post(client, f"/mail/requests/{request_id}/send", {}, follow_redirects=True)
    assert "Queued 1 letter" in response.get_data(as_text=True)
    again = post(client, f"/mail/requests/{request_id}/send", {}, follow_redirects=True).get_data(as_text=True)
    assert "already queued" in again
    outbox = client.get("/mail/outbox").get_data(as_text=True)
    assert "Queued" in outbox and f"FT-{request_id}" in outbox
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "The email sent" in page and "adult social care budget for 2025/26" in page
    assert len(smtp_server.messages) == 1


def test_the_request_list_sends_the_ticked(app, client, users, smtp_server):
    _setup(app, smtp_server)
    with app.app_context():
        requests = _drafts(db.session, 3)
        ids = [r.id for r in requests]
        requests[2].authority.foi_email = ""
        db.session.commit()
    login(client, "coordinator@example.org")
    response = post(client, "/mail/send", {"ids": [str(i) for i in ids]}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Queued 2 letters" in text and "has no FOI address" in text
    with app.app_context():
        assert {m.request_id for m in _rows(db.session)} == set(ids[:2])


def test_the_cli_reports_a_refusal_with_exit_status_1(app, session, smtp_server):
    _setup(app, smtp_server)
    (foi_request,) = _drafts(session, 1)
    queue_letter(session, foi_request, "request", None, config=app.config)
    session.commit()
    smtp_server.stop()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1 and "1 failed" in result.output


def test_retry_and_cancel_need_the_csrf_token_and_membership(app, client, users, smtp_server):
    _setup(app, smtp_server)
    with app.app_context():
        (foi_request,) = _drafts(db.session, 1)
        message = queue_letter(db.session, foi_request, "request", None, config=app.config)
        db.session.commit()
        message_id = message.id
    login(client, "staff@example.org")
    assert client.post(f"/mail/outbox/{message_id}/cancel").status_code == 400  # no CSRF token
    assert post(client, f"/mail/outbox/{message_id}/cancel", {}).status_code == 302
    with app.app_context():
        assert db.session.get(MailMessage, message_id).status == "cancelled"
    author = app.test_client()
    login(author, "author@example.org")
    assert post(author, f"/mail/outbox/{message_id}/retry", {}).status_code == 403
