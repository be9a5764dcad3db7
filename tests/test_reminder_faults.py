"""Issue 20: reminders under faults are never lost, never stale, never sent twice (except after a
crash between the SMTP server's acceptance and our record of it). Real parts: an SMTP server on
loopback that is held, stopped and restarted; `fointracker reminders run` and `fointracker
scheduler` processes killed with SIGKILL at chosen points (FOINTRACKER_TEST_FAULT=pause_<point>
makes a process stop there and wait to be killed). Time moves with `--now`, never by waiting;
every wait below is for a state, with a deadline far beyond what it needs.

Requests are sent to councils on Monday 2 March 2026 (see test_reminder_delivery.py): due soon
(5) Tue 24 March 07:00Z, due soon (1) Mon 30 March 06:00Z (BST), due today Tue 31 March 06:00Z,
overdue Wed 1 April 06:00Z. A digest at 08:00 London is 07:00Z from 29 March.
"""

from __future__ import annotations

import os
import re
import signal
import time
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import update

from fointracker.extensions import db
from fointracker.models import Reminder, User
from fointracker.scheduler import heartbeat_status
from fointracker.services.outbox import MAX_ATTEMPTS
from tests.reminders_support import (  # noqa: F401  (fixtures)
    MAIL_DOMAIN,
    add_campaign,
    add_request,
    add_user,
    configure,
    council_codes,
    parts,
    planning_clock,
    reminder_rows,
    smtp_server,
    start_fointracker,
    stop_process,
    sweep_cli,
    utc,
)

SENT = date(2026, 3, 2)
SOON5_AT = "2026-03-24T07:00:00Z"
PATIENCE = 90.0  # seconds to wait for a state a process reaches in well under one


@pytest.fixture
def outbox_app(app, smtp_server):
    configure(app, smtp_server)
    return app


def wait_until(predicate, timeout: float = PATIENCE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def claimed(session) -> list[Reminder]:
    return reminder_rows(session, Reminder.status == "claimed")


def kill(process) -> None:
    """SIGKILL, as the OOM killer or a power cut would: no handler, no clean-up."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=PATIENCE)
    assert process.returncode == -signal.SIGKILL


def killed_after(app, smtp, session, point: str, now: str, expect) -> None:
    """Run a sweep that stops at `point` (after_claim or after_send), wait until `expect()`
    holds, then kill it."""
    process = start_fointracker(
        app, "reminders", "run", "--now", now, smtp=smtp, FOINTRACKER_TEST_FAULT=f"pause_{point}"
    )
    try:
        assert wait_until(lambda: process.poll() is None and expect()), stop_process(process)
    finally:
        if process.poll() is None:
            kill(process)


@contextmanager
def held_sender(app, smtp, session, *, claims: int):
    """`reminders run --now SOON5_AT`, alive and stuck on its first message (the SMTP server holds
    it) once it has claimed `claims` rows, for the block; then let go. Yields {"out": its output}
    (filled in after the block); the run must have succeeded."""
    smtp.gate.clear()
    process = start_fointracker(app, "reminders", "run", "--now", SOON5_AT, smtp=smtp, FOINTRACKER_SMTP_TIMEOUT=600)
    output: dict[str, str] = {}
    try:
        assert wait_until(lambda: len(claimed(session)) == claims), stop_process(process)
        yield output
        smtp.gate.set()
        output["out"], err = process.communicate(timeout=PATIENCE)
    finally:
        smtp.gate.set()
        stop_process(process)
    assert process.returncode == 0, err


def answer(session, request, on: date) -> None:
    from fointracker.services.timeline import add_event

    add_event(
        session,
        request,
        kind="response_received",
        occurred_on=on,
        details={"outcome": "successful"},
        user_id=None,
        today=on,
    )
    session.commit()


# ---------------------------------------------------------------- 1. a live, slow sender


def test_a_live_but_slow_sender_keeps_its_claim(session, outbox_app, smtp_server, planning_clock):
    """Sender A claims 12 reminders and is stuck on the first (the SMTP server holds it). A sweep
    11 minutes later (past the 10-minute lease) must not take back what A, alive, holds; when
    the server lets go, A sends each of the 12 once. (It used to reclaim and resend 11.)"""
    users = [add_user(session, f"user{i}@example.org") for i in range(12)]
    add_request(session, add_campaign(session, coordinator_ids=users[1:]), sent_on=SENT, owner_id=users[0])
    with held_sender(outbox_app, smtp_server, session, claims=12):
        result = sweep_cli(outbox_app, "2026-03-24T07:11:00Z")
        assert "0 reclaimed" in result.output and "0 sent" in result.output
        assert len(claimed(session)) == 12 and len({r.claim_token for r in claimed(session)}) == 1
    rows = reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 0)}
    assert smtp_server.message_ids() == {f"<reminder-{r.id}@{MAIL_DOMAIN}>": 1 for r in rows}
    sweep_cli(outbox_app, "2026-03-24T08:00:00Z")
    assert len(smtp_server.messages) == 12


# ---------------------------------------------------------------- 2. a sweeper killed mid-digest


def test_a_digest_claimed_by_a_killed_sweeper_is_sent_late_not_dropped(
    session, outbox_app, smtp_server, planning_clock
):
    """A sweeper is killed (SIGKILL) right after claiming a digest user's six due-today
    reminders at 08:00 on their day. Five minutes later the claim may still be alive: left
    alone, and the day's digest is not marked done. The next morning the claim is taken back
    and the six go out in that day's digest, saying they are late. (They used to be
    superseded: "the deadline had passed before it could be sent".)"""
    digest = add_user(session, "digest@example.org", mode="digest")
    campaign = add_campaign(session)
    for code in council_codes(session, 6):
        add_request(session, campaign, sent_on=SENT, owner_id=digest, code=code)
    sweep_cli(outbox_app, "2026-03-30T07:00:00Z")  # the warnings, on their days
    smtp_server.clear()

    killed_after(
        outbox_app, smtp_server, session, "after_claim", "2026-03-31T07:00:00Z", lambda: len(claimed(session)) == 6
    )
    assert {r.kind for r in claimed(session)} == {"due_today"} and smtp_server.messages == []
    result = sweep_cli(outbox_app, "2026-03-31T07:05:00Z")
    assert "0 reclaimed" in result.output and len(claimed(session)) == 6
    assert session.get(User, digest).last_digest_on == date(2026, 3, 30)  # the 31st is still owed

    result = sweep_cli(outbox_app, "2026-04-01T07:00:00Z")  # the next morning's digest
    assert "6 reclaimed" in result.output
    rows = reminder_rows(session, Reminder.kind.in_(["due_today", "overdue"]))
    assert {(r.kind, r.status) for r in rows} == {("due_today", "sent"), ("overdue", "sent")} and len(rows) == 12
    [mail] = smtp_server.to("digest@example.org")
    text = parts(mail)["text/plain"]
    assert text.count("Response due today") == 6 and text.count("Response overdue") == 6
    assert text.count("sent late: it was due to reach you on Tue 31 Mar 2026") == 6
    assert "sent late" in parts(mail)["text/html"]
    assert session.get(User, digest).last_digest_on == date(2026, 4, 1)


# ---------------------------------------------------------------- 3. an SMTP outage at 08:00


def test_a_five_minute_smtp_outage_at_eight_delays_the_digest_but_drops_nothing(
    session, outbox_app, smtp_server, planning_clock
):
    """SMTP is down from 08:00 to 08:05 on the due date; the scheduler sweeps every 2 minutes.
    The digests fail, wait for their back-off, and go out the same morning, not late. (A sweep
    during the back-off used to mark the day's digest done, and the next day's sweep dropped
    the due-today reminders as stale.)"""
    users = [add_user(session, f"digest{i}@example.org", mode="digest") for i in range(2)]
    campaign = add_campaign(session, coordinator_ids=users[1:])
    add_request(session, campaign, sent_on=SENT, owner_id=users[0])
    sweep_cli(outbox_app, "2026-03-30T07:00:00Z")
    smtp_server.clear()
    smtp_server.stop()
    for minute in (0, 2, 4):
        sweep_cli(outbox_app, f"2026-03-31T07:{minute:02d}:00Z")
    assert smtp_server.messages == []
    assert {u.last_digest_on for u in session.scalars(db.select(User).where(User.id.in_(users)))} == {date(2026, 3, 30)}
    smtp_server.start()
    minute = 6
    while len(smtp_server.messages) < 2 and minute < 60:
        sweep_cli(outbox_app, f"2026-03-31T07:{minute:02d}:00Z")
        minute += 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["digest0@example.org", "digest1@example.org"]
    for mail in smtp_server.messages:
        text = parts(mail)["text/plain"]
        assert "due today, Tue 31 Mar 2026" in text and "sent late" not in text
    assert {r.status for r in reminder_rows(session, Reminder.kind == "due_today")} == {"sent"}
    sweep_cli(outbox_app, "2026-04-01T07:00:00Z")  # the next day: the overdue digest, nothing stale
    assert not reminder_rows(session, Reminder.status == "superseded")


# ---------------------------------------------------------------- 4. more items than one digest takes


def test_a_digest_with_more_items_than_one_email_takes_is_split_and_loses_nothing(
    session, outbox_app, smtp_server, planning_clock
):
    """REMINDER_DIGEST_MAX_ITEMS (1,000 by default; 10 here, to keep it quick) caps one email,
    not the day: 24 items due go out as 10 + 10 + 4 the same morning. (1,100 items used to lose
    the 100 past the cap: the day was marked done after the first email.)"""
    configure(outbox_app, REMINDER_DIGEST_MAX_ITEMS=10)
    digest = add_user(session, "digest@example.org", mode="digest")
    campaign = add_campaign(session)
    for code in council_codes(session, 6):
        add_request(session, campaign, sent_on=SENT, owner_id=digest, code=code)
    due = [r for r in reminder_rows(session) if r.kind != "very_overdue"]
    assert len(due) == 24
    sweep_cli(outbox_app, "2026-04-01T07:00:00Z")
    mails = smtp_server.to("digest@example.org")
    assert sorted(len(re.findall(r"^- ", parts(m)["text/plain"], re.M)) for m in mails) == [4, 10, 10]
    assert len({m["Message-ID"] for m in mails}) == 3
    assert {r.status for r in reminder_rows(session, Reminder.id.in_([r.id for r in due]))} == {"sent"}
    assert session.get(User, digest).last_digest_on == date(2026, 4, 1)


# ---------------------------------------------------------------- 5. a digest before 07:00


def test_a_six_oclock_digest_lists_what_is_due_that_day(session, outbox_app, smtp_server, planning_clock):
    """Reminders fall due at 07:00; a 06:00 digest lists the whole day's, due today included.
    (It used to list only what was due by 06:00, then mark the day done.)"""
    early = add_user(session, "early@example.org", mode="digest", digest_hour=6)
    add_request(session, add_campaign(session), sent_on=SENT, owner_id=early)
    sweep_cli(outbox_app, "2026-03-30T05:00:00Z")  # 06:00 BST on the 1-day warning's day
    sweep_cli(outbox_app, "2026-03-31T05:00:00Z")  # 06:00 BST on the due date
    first, second = smtp_server.to("early@example.org")
    assert "Response due soon" in parts(first)["text/plain"]
    assert "due today, Tue 31 Mar 2026" in parts(second)["text/plain"]
    assert "sent late" not in parts(second)["text/plain"]
    [row] = reminder_rows(session, Reminder.kind == "due_today")
    assert row.status == "sent"


# ---------------------------------------------------------------- 6. retry now


def test_retry_now_starts_a_fresh_series_of_attempts(session, outbox_app, smtp_server, planning_clock):
    """A failed reminder (8 attempts) retried by an admin survives one more transient error: it
    waits for its back-off (attempt 1 of a new series) instead of failing again at once."""
    from fointracker.services.reminder_admin import retry_now

    owner = add_user(session, "owner@example.org")
    add_request(session, add_campaign(session), sent_on=SENT, owner_id=owner)
    [row] = reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)
    session.execute(
        update(Reminder)
        .where(Reminder.id == row.id)
        .values(status="failed", attempts=MAX_ATTEMPTS, last_error="SMTP down", next_attempt_at=None)
    )
    session.commit()
    retry_now(session, session.get(Reminder, row.id), None, utc("2026-03-25T09:00:00Z"))
    session.commit()
    smtp_server.stop()
    sweep_cli(outbox_app, "2026-03-25T09:00:00Z")
    [row] = reminder_rows(session, Reminder.id == row.id)
    assert (row.status, row.attempts) == ("pending", 1)
    smtp_server.start()
    sweep_cli(outbox_app, "2026-03-25T09:05:00Z")
    assert reminder_rows(session, Reminder.id == row.id)[0].status == "sent"
    assert len(smtp_server.messages) == 1


# ---------------------------------------------------------------- 7. still true when sent


def test_a_reclaimed_reminder_about_an_answered_request_is_not_sent(session, outbox_app, smtp_server, planning_clock):
    """A sweeper is killed holding a reminder; the request is answered meanwhile. Taken back
    after the lease, the reminder is no longer true: superseded, not sent."""
    owner = add_user(session, "owner@example.org")
    request = add_request(session, add_campaign(session), sent_on=SENT, owner_id=owner)
    killed_after(outbox_app, smtp_server, session, "after_claim", SOON5_AT, lambda: len(claimed(session)) == 1)
    answer(session, request, date(2026, 3, 24))
    result = sweep_cli(outbox_app, "2026-03-24T07:11:00Z")
    assert "0 sent" in result.output
    sweep_cli(outbox_app, "2026-04-02T07:00:00Z")  # later, only what the answer calls for
    assert [m["Subject"].split(":")[0] for m in smtp_server.messages] == ["[fointracker] Response without figures"]
    [row] = reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)
    assert row.status == "superseded" and row.sent_at is None


def test_a_live_sender_rechecks_each_reminder_just_before_sending_it(session, outbox_app, smtp_server, planning_clock):
    """Sender A claims reminders about three requests and is held sending the first; two of
    the requests are answered meanwhile. A sends the first (it was in flight) and not the other
    two, which it finds superseded when it comes to them."""
    owner = add_user(session, "owner@example.org")
    campaign = add_campaign(session)
    requests = [add_request(session, campaign, sent_on=SENT, owner_id=owner, code=c) for c in council_codes(session, 3)]
    with held_sender(outbox_app, smtp_server, session, claims=3) as output:
        for request in requests[1:]:
            answer(session, session.merge(request), date(2026, 3, 23))
    assert "1 sent" in output["out"]  # the other two: superseded by the answer, so no longer A's to send
    rows = {r.request_id: r for r in reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)}
    assert [rows[r.id].status for r in requests] == ["sent", "superseded", "superseded"]
    assert smtp_server.message_ids() == {f"<reminder-{rows[requests[0].id].id}@{MAIL_DOMAIN}>": 1}


def test_the_check_at_sending_re_plans_the_request_as_it_is_now(session, outbox_app, smtp_server, planning_clock):
    """Even what changed without a re-plan is caught at the moment of sending: a coordinator
    taken off the campaign behind the planner's back gets nothing; the owner does."""
    from fointracker.models import campaign_coordinators

    owner, former = add_user(session, "owner@example.org"), add_user(session, "former@example.org")
    campaign = add_campaign(session, coordinator_ids=[former])
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    session.execute(campaign_coordinators.delete().where(campaign_coordinators.c.user_id == former))
    session.commit()
    result = sweep_cli(outbox_app, SOON5_AT)
    assert "1 sent" in result.output and "1 superseded" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["owner@example.org"]
    [row] = reminder_rows(
        session, Reminder.recipient_id == former, Reminder.kind == "due_soon", Reminder.days_before == 5
    )
    assert row.status == "superseded" and "no longer follows" in row.last_error


# ---------------------------------------------------------------- the one duplicate left


def test_only_a_crash_between_acceptance_and_our_record_sends_twice(session, outbox_app, smtp_server, planning_clock):
    """Killed after the server accepted the first message and before marking it sent: that
    message goes again (same Message-ID, so mail clients show it once); the rest once."""
    users = [add_user(session, f"user{i}@example.org") for i in range(3)]
    add_request(session, add_campaign(session, coordinator_ids=users[1:]), sent_on=SENT, owner_id=users[0])
    killed_after(outbox_app, smtp_server, session, "after_send", SOON5_AT, lambda: len(smtp_server.messages) == 1)
    [first] = smtp_server.messages
    sweep_cli(outbox_app, "2026-03-24T07:11:00Z")
    rows = reminder_rows(session, Reminder.kind == "due_soon", Reminder.days_before == 5)
    assert {r.status for r in rows} == {"sent"}
    counts = smtp_server.message_ids()
    assert counts[first["Message-ID"]] == 2
    assert sorted(counts.values()) == [1, 1, 2]


# ---------------------------------------------------------------- 8. a scheduler killed with -9


def test_a_killed_scheduler_is_replaced_at_once(session, app, smtp_server):
    """kill -9 releases the scheduler's lock with the process (an advisory lock on PostgreSQL,
    an flock beside the database on SQLite): a new scheduler starts at once instead of being
    refused until the 90-second lease has run out."""
    first = start_fointracker(app, "scheduler", "--sweep-minutes", "60", smtp=smtp_server)
    second = None
    try:

        def holder_is(process):
            session.rollback()
            status = heartbeat_status(session)
            return status.get("state") == "running" and status["holder"].endswith(f":{process.pid}")

        assert wait_until(lambda: holder_is(first)), stop_process(first)
        kill(first)
        second = start_fointracker(app, "scheduler", "--sweep-minutes", "60", smtp=smtp_server)
        assert wait_until(lambda: holder_is(second) or second.poll() is not None), stop_process(second)
        assert second.poll() is None, stop_process(second)  # not "another scheduler is running"
        assert holder_is(second)
        second.send_signal(signal.SIGTERM)
        _out, err = second.communicate(timeout=PATIENCE)
        assert second.returncode == 0, err
    finally:
        stop_process(first)
        if second is not None:
            stop_process(second)
