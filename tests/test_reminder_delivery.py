"""Delivering the outbox, with real parts: an SMTP server (aiosmtpd) and a webhook receiver
(http.server) on loopback, and `python -m fointracker reminders run` in subprocesses for
the crash and concurrency cases. Runs on SQLite and PostgreSQL alike.

The request most tests use is sent to Kent on Monday 2 March 2026 and logged that morning,
so (FOIA, UK calendar) it is due Tuesday 31 March and its reminders fire at 07:00 London on:
due soon (5) Tue 24 March (GMT: 07:00Z), due soon (1) Mon 30 March (BST from 29 March:
06:00Z), due today Tue 31 March, overdue Wed 1 April, very overdue Fri 1 May.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from fointracker.extensions import db
from fointracker.models import Reminder, User
from fointracker.services.outbox import MAX_ATTEMPTS
from tests.reminders_support import (  # noqa: F401  (fixtures)
    BASE_URL,
    MAIL_DOMAIN,
    add_campaign,
    add_request,
    add_user,
    as_utc,
    configure,
    council_codes,
    free_port,
    parts,
    planning_clock,
    reminder_rows,
    run_fointracker,
    smtp_server,
    start_fointracker,
    stop_process,
    sweep_cli,
    utc,
    webhook_server,
)
from tests.test_cli import run_cli

SENT = date(2026, 3, 2)
DUE = date(2026, 3, 31)
SOON5_AT = "2026-03-24T07:00:00Z"  # 07:00 GMT
SOON1_AT = "2026-03-30T06:00:00Z"  # 07:00 BST
OVERDUE_AT = "2026-04-01T06:00:00Z"


@pytest.fixture
def owner(session, planning_clock):
    return add_user(session, "owner@example.org", mode="immediate")


@pytest.fixture
def outbox_app(app, smtp_server):
    configure(app, smtp_server)
    return app


def message_id(row) -> str:
    return f"<reminder-{row.id}@{MAIL_DOMAIN}>"


def rows_of(session, **fixed):
    return [r for r in reminder_rows(session) if all(getattr(r, k) == v for k, v in fixed.items())]


# ---------------------------------------------------------------- email, immediate and digest


def test_immediate_user_gets_one_email_per_due_reminder(session, outbox_app, smtp_server, owner):
    campaign = add_campaign(session)
    req = add_request(session, campaign, sent_on=SENT, owner_id=owner)
    sweep_cli(outbox_app, "2026-03-24T06:59:59Z")  # 06:59 GMT: not yet
    assert smtp_server.messages == []
    result = sweep_cli(outbox_app, SOON5_AT)
    assert "1 sent" in result.output
    [row] = rows_of(session, status="sent")
    assert (row.kind, row.days_before, row.recipient_id) == ("due_soon", 5, owner)
    [message] = smtp_server.messages
    assert message["Message-ID"] == message_id(row) == row.message_id
    assert message["To"] == "owner@example.org" and message["From"] == "reminders@example.org"
    assert "Response due soon" in message["Subject"] and "Kent" in message["Subject"]
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    url = f"{BASE_URL}/requests/{req.id}"
    assert url in body["text/plain"] and f'href="{url}"' in body["text/html"]
    assert "due Tue 31 Mar 2026 (5 working days left)" in body["text/plain"]
    assert as_utc(row.sent_at) == utc(SOON5_AT) and row.attempts == 0 and row.claim_token is None
    # The same sweep again, or a later one with nothing new, sends nothing more.
    sweep_cli(outbox_app, SOON5_AT)
    sweep_cli(outbox_app, "2026-03-27T12:00:00Z")
    assert len(smtp_server.messages) == 1
    sweep_cli(outbox_app, "2026-03-30T06:30:00Z")  # 07:30 BST: the 1-day warning
    assert [m["Message-ID"] for m in smtp_server.messages][1:] == [
        message_id(r) for r in rows_of(session, kind="due_soon", days_before=1)
    ]


def test_now_with_an_offset_is_honoured(session, outbox_app, smtp_server, owner):
    """`--now` with a UTC offset means that instant: 06:59 BST is before the 07:00 BST send time."""
    campaign = add_campaign(session)
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    sweep_cli(outbox_app, "2026-03-24T08:00:00+01:00")  # 07:00 GMT (due soon 5): sent
    assert len(smtp_server.messages) == 1
    sweep_cli(outbox_app, "2026-03-30T06:59:00+01:00")  # 05:59 UTC, one minute before the next
    assert len(smtp_server.messages) == 1
    assert {r.status for r in rows_of(session, days_before=1)} == {"pending"}
    sweep_cli(outbox_app, "2026-03-30T07:00:00+01:00")
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize(
    "season, before, at, later, day",
    [
        ("winter (GMT)", "2026-03-24T07:59:00Z", "2026-03-24T08:00:00Z", "2026-03-24T17:00:00Z", date(2026, 3, 24)),
        ("summer (BST)", "2026-03-30T06:59:00Z", "2026-03-30T07:00:00Z", "2026-03-30T16:00:00Z", date(2026, 3, 30)),
    ],
    ids=["GMT", "BST"],
)
def test_digest_user_gets_one_digest_at_eight_london_time(
    session, outbox_app, smtp_server, planning_clock, season, before, at, later, day
):
    digest = add_user(session, "digest@example.org", mode="digest")  # default hour: 08:00 London
    immediate = add_user(session, "now@example.org", mode="immediate")
    campaign = add_campaign(session, coordinator_ids=[immediate])
    requests = [
        add_request(session, campaign, sent_on=SENT, owner_id=digest, code=code) for code in ("KEN", "ESS", "SUR")
    ]
    if season.startswith("summer"):  # the 5-day warnings went out on 24 March
        sweep_cli(outbox_app, "2026-03-24T09:00:00Z")
        smtp_server.clear()
    sweep_cli(outbox_app, before)  # 07:59 London: the immediate user's alerts only
    assert {m["To"] for m in smtp_server.messages} == {"now@example.org"}
    assert len(smtp_server.messages) == 3
    due_for_digest = rows_of(session, recipient_id=digest, status="pending")
    due_for_digest = [r for r in due_for_digest if as_utc(r.due_at) <= utc(at)]
    assert len(due_for_digest) == 3
    sweep_cli(outbox_app, at)  # 08:00 London
    [mail] = smtp_server.to("digest@example.org")
    # Named by the day and its content (issue 20: a later digest the same day is not hidden as a repeat).
    assert re.fullmatch(rf"<digest-{digest}-{day.isoformat()}-[0-9a-f]{{12}}@{MAIL_DOMAIN}>", mail["Message-ID"])
    body = parts(mail)
    for req in requests:
        url = f"{BASE_URL}/requests/{req.id}"
        assert url in body["text/plain"] and f'href="{url}"' in body["text/html"]
    assert body["text/plain"].count("Response due soon") == 3
    sent = rows_of(session, recipient_id=digest, status="sent")
    assert {r.id for r in sent} >= {r.id for r in due_for_digest}
    assert {r.message_id for r in sent if as_utc(r.sent_at) == utc(at)} == {mail["Message-ID"]}
    assert session.get(User, digest).last_digest_on == day
    sweep_cli(outbox_app, later)  # the same day: no second digest
    assert len(smtp_server.to("digest@example.org")) == 1


def test_new_users_get_a_daily_digest_at_eight_with_every_kind(session, users):
    user = session.get(User, users["staff"])  # created by services.users.create_user
    assert (user.reminder_mode, user.digest_hour, user.reminder_kinds_off or []) == ("digest", 8, [])


def test_kinds_turned_off_are_cancelled_not_sent(session, outbox_app, smtp_server, planning_clock):
    quiet = add_user(session, "quiet@example.org", mode="immediate", kinds_off=["due_soon"])
    quiet_digest = add_user(session, "quiet-digest@example.org", mode="digest", kinds_off=["due_soon"])
    campaign = add_campaign(session, coordinator_ids=[quiet_digest])
    add_request(session, campaign, sent_on=SENT, owner_id=quiet)
    sweep_cli(outbox_app, "2026-03-24T09:00:00Z")
    assert smtp_server.messages == []
    cancelled = rows_of(session, status="cancelled")
    assert {(r.recipient_id, r.kind, r.days_before) for r in cancelled} == {
        (quiet, "due_soon", 5),
        (quiet_digest, "due_soon", 5),
    }
    assert all("turned this kind" in r.last_error and r.sent_at is None for r in cancelled)
    # Due today goes out on its day (a sweep that missed it would send it late: issue 20).
    sweep_cli(outbox_app, "2026-03-31T09:00:00Z")
    smtp_server.clear()
    sweep_cli(outbox_app, "2026-04-01T09:00:00Z")  # overdue is still wanted
    assert sorted(m["To"] for m in smtp_server.messages) == ["quiet-digest@example.org", "quiet@example.org"]
    assert all("overdue" in m["Subject"].lower() or "reminder" in m["Subject"].lower() for m in smtp_server.messages)


def test_webhook_gets_json_with_a_text_field(session, outbox_app, smtp_server, webhook_server, owner):
    campaign = add_campaign(session, webhook_url=webhook_server.url)
    req = add_request(session, campaign, sent_on=SENT, owner_id=owner)
    sweep_cli(outbox_app, SOON5_AT)
    [hook] = rows_of(session, channel="webhook", status="sent")
    [payload] = webhook_server.payloads()
    assert webhook_server.received[0]["content_type"] == "application/json"
    assert "Response due soon" in payload["text"] and "Kent" in payload["text"]
    assert f"{BASE_URL}/requests/{req.id}" in payload["text"]
    assert (payload["reminder_id"], payload["kind"], payload["request_id"]) == (hook.id, "due_soon", req.id)
    assert hook.message_id == f"webhook-{hook.id}"
    assert len(smtp_server.messages) == 1  # and the owner's email, separately


# ---------------------------------------------------------------- faults


def test_smtp_down_is_retried_later_and_nothing_is_marked_sent(session, outbox_app, smtp_server, owner):
    campaign = add_campaign(session)
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    smtp_server.stop()
    result = sweep_cli(outbox_app, SOON5_AT)
    assert "1 failed" in result.output
    [row] = rows_of(session, kind="due_soon", days_before=5)
    assert (row.status, row.attempts, row.sent_at, row.message_id, row.claim_token) == ("pending", 1, None, "", None)
    assert "SMTP" in row.last_error and str(smtp_server.port) in row.last_error
    assert as_utc(row.next_attempt_at) > utc(SOON5_AT)
    smtp_server.start()
    sweep_cli(outbox_app, "2026-03-24T07:00:30Z")  # before the back-off has passed: not retried yet
    assert smtp_server.messages == []
    assert rows_of(session, id=row.id)[0].attempts == 1
    sweep_cli(outbox_app, "2026-03-24T07:10:00Z")
    sweep_cli(outbox_app, "2026-03-24T07:20:00Z")
    assert list(smtp_server.message_ids().values()) == [1]
    [row] = rows_of(session, id=row.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert smtp_server.messages[0]["Message-ID"] == message_id(row)


def test_digest_with_smtp_down_is_sent_once_smtp_is_back(session, outbox_app, smtp_server, planning_clock):
    digest = add_user(session, "digest@example.org", mode="digest")
    campaign = add_campaign(session)
    add_request(session, campaign, sent_on=SENT, owner_id=digest)
    smtp_server.stop()
    sweep_cli(outbox_app, "2026-03-24T08:00:00Z")
    [row] = rows_of(session, kind="due_soon", days_before=5)
    assert (row.status, row.attempts) == ("pending", 1) and "SMTP" in row.last_error
    assert session.get(User, digest).last_digest_on is None  # the digest is still owed today
    smtp_server.start()
    sweep_cli(outbox_app, "2026-03-24T08:30:00Z")
    sweep_cli(outbox_app, "2026-03-24T09:30:00Z")
    assert len(smtp_server.to("digest@example.org")) == 1
    assert rows_of(session, id=row.id)[0].status == "sent"


@pytest.mark.parametrize("fault", ["error", "slow"])
def test_webhook_failure_is_retried_later(session, outbox_app, smtp_server, webhook_server, owner, fault):
    configure(outbox_app, WEBHOOK_TIMEOUT_SECONDS=0.5)
    # The slow hook would hold the request for a minute; the sender must give up after its 0.5 s
    # timeout. The bound is half that minute, so a loaded 2-core machine cannot break it.
    webhook_server.mode, webhook_server.slow_seconds = fault, 60.0
    campaign = add_campaign(session, webhook_url=webhook_server.url)
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    started = time.monotonic()
    sweep_cli(outbox_app, SOON5_AT)
    assert time.monotonic() - started < 30.0  # the sender gave up after its timeout, not the hook's minute
    [hook] = rows_of(session, channel="webhook", kind="due_soon", days_before=5)
    assert (hook.status, hook.attempts, hook.sent_at) == ("pending", 1, None)
    assert ("HTTP 500" if fault == "error" else "Timeout") in hook.last_error
    assert as_utc(hook.next_attempt_at) > utc(SOON5_AT)
    assert webhook_server.hits == 1 and webhook_server.received == []
    assert rows_of(session, channel="email", kind="due_soon", days_before=5)[0].status == "sent"  # unaffected
    webhook_server.mode = "ok"
    sweep_cli(outbox_app, "2026-03-24T07:10:00Z")
    sweep_cli(outbox_app, "2026-03-24T07:20:00Z")
    assert [p["reminder_id"] for p in webhook_server.payloads()] == [hook.id]
    assert rows_of(session, id=hook.id)[0].status == "sent"


def test_after_the_last_attempt_the_row_is_failed_and_stays_visible(session, outbox_app, smtp_server, owner):
    campaign = add_campaign(session)
    add_request(session, campaign, sent_on=SENT, owner_id=owner)
    smtp_server.stop()
    now = utc(SOON5_AT)
    [row] = rows_of(session, kind="due_soon", days_before=5)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        sweep_cli(outbox_app, now.isoformat())
        [row] = rows_of(session, id=row.id)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert row.status == "pending" and as_utc(row.next_attempt_at) > now
            now = as_utc(row.next_attempt_at)
    assert (row.status, row.next_attempt_at, row.sent_at) == ("failed", None, None)
    assert "SMTP" in row.last_error
    smtp_server.start()
    sweep_cli(outbox_app, (now + timedelta(days=1)).isoformat())
    assert smtp_server.messages == []  # failed is final: an admin sees it, the sweep does not retry it
    assert rows_of(session, id=row.id)[0].status == "failed"
    failed = session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "failed"))
    assert failed == 1


def test_crash_between_claim_and_send_is_reaped_and_sent_once(session, outbox_app, smtp_server, planning_clock):
    """A sweeper killed after claiming (FOINTRACKER_TEST_FAULT=crash_after_claim makes the
    process os._exit(3) right after its claim commits) leaves its rows 'claimed'. They are not
    sent again while the claim may still be alive: a sweep 5 minutes later leaves them alone.
    Once the 10-minute lease has passed, the next sweep's reaper puts them back to pending
    (counting the lost try) and the same sweep sends each of them exactly once."""
    users = [add_user(session, f"user{i}@example.org", mode="immediate") for i in range(3)]
    campaign = add_campaign(session, coordinator_ids=users[1:])
    add_request(session, campaign, sent_on=SENT, owner_id=users[0])
    crashed = run_fointracker(
        outbox_app, "reminders", "run", "--now", SOON5_AT, smtp=smtp_server, FOINTRACKER_TEST_FAULT="crash_after_claim"
    )
    assert crashed.returncode == 3, crashed.stderr
    claimed = rows_of(session, status="claimed")
    assert len(claimed) == 3 and all(as_utc(r.claimed_at) == utc(SOON5_AT) for r in claimed)
    assert len({r.claim_token for r in claimed}) == 1
    assert smtp_server.messages == []

    sweep_cli(outbox_app, "2026-03-24T07:05:00Z")  # the claim may still be alive
    assert {r.status for r in rows_of(session, kind="due_soon", days_before=5)} == {"claimed"}
    assert smtp_server.messages == []

    result = sweep_cli(outbox_app, "2026-03-24T07:11:00Z")  # the lease (10 min) has expired
    assert "3 reclaimed" in result.output and "3 sent" in result.output
    rows = rows_of(session, kind="due_soon", days_before=5)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    counts = smtp_server.message_ids()
    assert counts == {message_id(r): 1 for r in rows}
    sweep_cli(outbox_app, "2026-03-24T07:30:00Z")
    assert len(smtp_server.messages) == 3


def test_a_sweeper_that_lost_its_claim_does_not_undo_the_sweeper_that_took_over(
    session, app, smtp_server, planning_clock
):
    """Sweeper A claims, then stalls past the lease (a hanging SMTP server: 20 s a try, 200 rows
    a batch). Sweeper B reaps the claim and sends. When A carries on and fails, its updates
    must not touch rows it no longer holds: they stay 'sent', and are not queued again."""
    from sqlalchemy.orm import Session

    from fointracker.services.outbox import Outbox, SweepResult, claim, deliver, sweep

    users = [add_user(session, f"user{i}@example.org", mode="immediate") for i in range(3)]
    campaign = add_campaign(session, coordinator_ids=users[1:])
    add_request(session, campaign, sent_on=SENT, owner_id=users[0])
    configure(app, smtp_server)
    t = utc(SOON5_AT)
    slow = Session(db.engine)
    try:
        held = claim(slow, t, 200)  # sweeper A
        assert len(held) == 3
        token = held[0].claim_token  # as `sweep` does, before any commit
        down = Outbox.from_config({**app.config, "SMTP_PORT": free_port()})  # nothing listens there
        result_a = SweepResult()
        deliver(slow, down, held[0], t + timedelta(minutes=1), result_a, token=token)  # A fails a row ...
        assert result_a.failed == 1
        with app.app_context():  # ... stalls; sweeper B comes along after the lease has expired
            outbox = Outbox.from_config(app.config)
            result_b = sweep(db.session, outbox, t + timedelta(minutes=11))
            outbox.close()
        assert (result_b.reaped, result_b.sent) == (2, 3)
        for reminder in held[1:]:  # A wakes up and fails the rows B has sent meanwhile
            deliver(slow, down, reminder, t + timedelta(minutes=12), result_a, token=token)
        down.close()
    finally:
        slow.close()
    rows = rows_of(session, kind="due_soon", days_before=5)
    assert {r.status for r in rows} == {"sent"}
    assert smtp_server.message_ids() == {message_id(r): 1 for r in rows}
    sweep_cli(app, "2026-03-24T08:00:00Z")
    assert len(smtp_server.messages) == 3  # nothing queued again


def test_concurrent_claims_take_at_most_a_batch_each_and_leave_nothing_due_behind(session, app, planning_clock):
    """Four claimers at once, each taking batches of 200 until nothing is left for it. Each
    claim takes at most 200 rows, no row twice, and when they have all stopped nothing due is
    still pending. (On PostgreSQL `id IN (SELECT ... LIMIT ... FOR UPDATE SKIP LOCKED)` broke
    all three: claims of 300 rows, and claimers stopping with rows left.)"""
    import threading

    from sqlalchemy.orm import Session

    from fointracker.services.outbox import claim

    users = [add_user(session, f"user{i}@example.org", mode="immediate") for i in range(4)]
    campaign = add_campaign(session, coordinator_ids=users[1:])
    for code in council_codes(session, 50):
        add_request(session, campaign, sent_on=SENT, owner_id=users[0], code=code)
    now, engine = utc("2026-03-20T09:00:00Z"), db.engine
    for _round in range(3):
        session.execute(
            update(Reminder).values(
                due_at=utc("2026-03-20T08:00:00Z"), status="pending", claim_token=None, claimed_at=None
            )
        )
        session.commit()
        barrier, claims, errors = threading.Barrier(4), [], []

        def claimer(barrier=barrier, claims=claims, errors=errors):  # this round's lists
            own = Session(engine)
            try:
                barrier.wait()
                while True:
                    rows = claim(own, now, 200)
                    if not rows:
                        return
                    claims.append([r.id for r in rows])
                    time.sleep(0.02)  # "sending"
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                own.close()

        threads = [threading.Thread(target=claimer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert claims and max(len(ids) for ids in claims) <= 200
        claimed = [i for ids in claims for i in ids]
        assert len(claimed) == len(set(claimed)) == 1000
        assert rows_of(session, status="pending") == []


@pytest.mark.slow
def test_four_sweepers_in_separate_processes_deliver_each_reminder_once(session, app, smtp_server, planning_clock):
    """Four `fointracker reminders run` processes over the same database and 1,000 due
    reminders (five batches of 200). The SMTP server holds every message until all four
    processes hold a claim at once, so they really overlap; then each Message-ID must arrive
    exactly once and every row be 'sent'."""
    users = [add_user(session, f"user{i}@example.org", mode="immediate") for i in range(4)]
    campaign = add_campaign(session, coordinator_ids=users[1:])
    for code in council_codes(session, 50):
        add_request(session, campaign, sent_on=SENT, owner_id=users[0], code=code)
    now = "2026-03-20T09:00:00Z"  # before every target date: nothing is stale
    session.execute(update(Reminder).values(due_at=utc("2026-03-20T08:00:00Z")))
    session.commit()
    total = session.scalar(select(func.count()).select_from(Reminder))
    assert total == 1000
    smtp_server.gate.clear()
    processes = [
        start_fointracker(app, "reminders", "run", "--now", now, smtp=smtp_server, FOINTRACKER_SMTP_TIMEOUT=90)
        for _ in range(4)
    ]
    try:
        tokens: set[str] = set()
        deadline = time.monotonic() + 60
        while len(tokens) < 4 and time.monotonic() < deadline and all(p.poll() is None for p in processes):
            time.sleep(0.1)
            session.rollback()
            tokens = set(session.scalars(select(Reminder.claim_token).where(Reminder.status == "claimed").distinct()))
        smtp_server.gate.set()
        outputs = [p.communicate(timeout=180) for p in processes]
    finally:
        smtp_server.gate.set()
        for process in processes:
            stop_process(process)
    for process, (_out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    assert len(tokens) == 4, ("the four sweepers never held claims at the same time", [out for out, _err in outputs])
    counts = smtp_server.message_ids()
    rows = reminder_rows(session)
    assert counts == {message_id(r): 1 for r in rows}
    assert {r.status for r in rows} == {"sent"}
    assert all(r.message_id == message_id(r) for r in rows)
    reported = sum(int(re.search(r"(\d+) sent", out).group(1)) for out, _err in outputs)
    assert reported == total


def test_after_two_days_of_downtime_what_fell_due_is_sent_once(
    session, outbox_app, smtp_server, webhook_server, planning_clock, owner
):
    """The scheduler last swept on Monday 30 March at 05:00 UTC and was down until Wednesday
    1 April 09:00. Request A (due Tue 31 March) missed its 1-day warning and its due-today
    alert: the downtime was our fault, so they are sent late, saying so (until issue 20 they
    were superseded, i.e. dropped); its overdue alert (Wed 1 April) goes out. Request B's
    very-overdue alert (Tue 31 March) goes out, late too. Once each."""
    campaign = add_campaign(session, webhook_url=webhook_server.url)
    planning_clock.set("2026-01-30T09:00:00Z")
    b = add_request(session, campaign, sent_on=date(2026, 1, 30), owner_id=owner, code="ESS")
    assert b.very_overdue_on == date(2026, 3, 30)
    planning_clock.set("2026-03-02T09:00:00Z")
    a = add_request(session, campaign, sent_on=SENT, owner_id=owner)
    sweep_cli(outbox_app, "2026-03-30T05:00:00Z")  # the last sweep before the outage
    smtp_server.clear()
    webhook_server.received.clear()
    sent_before = {r.id for r in rows_of(session, status="sent")}

    result = sweep_cli(outbox_app, "2026-04-01T09:00:00Z")  # restart, two days later
    rows = {r.id: r for r in reminder_rows(session)}
    newly_sent = {
        (r.request_id, r.kind, r.days_before, r.channel)
        for r in rows.values()
        if r.status == "sent" and r.id not in sent_before
    }
    late = {(a.id, "due_soon", 1), (a.id, "due_today", 0)}
    assert newly_sent == {
        (request_id, kind, days, channel)
        for request_id, kind, days in {*late, (a.id, "overdue", 0), (b.id, "very_overdue", 0)}
        for channel in ("email", "webhook")
    }
    assert not [r for r in rows.values() if r.status == "superseded"]
    assert "0 superseded" in result.output
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    # Late: everything that fell due during the outage (A's warnings, B's very overdue of 31 March).
    assert sum("sent late" in s for s in subjects) == 3 and not any("— due today," in s for s in subjects)
    assert sum("sent late" in p["text"] for p in webhook_server.payloads()) == 3
    assert sorted(smtp_server.message_ids().values()) == [1, 1, 1, 1]
    assert len(webhook_server.payloads()) == 4
    sweep_cli(outbox_app, "2026-04-01T09:05:00Z")  # a second sweep sends nothing
    assert len(smtp_server.messages) == 4 and len(webhook_server.payloads()) == 4


def test_run_with_a_bad_now_exits_2_with_a_clear_message(app):
    result = run_cli(app, "reminders", "run", "--now", "bad")  # in this process: no Python start-up
    assert result.returncode == 2
    assert "--now" in result.stderr and "'bad' is not an ISO date-time" in result.stderr
    assert "Traceback" not in result.stderr
