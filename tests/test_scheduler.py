"""The scheduler: one at a time per database, a heartbeat admins can see, a real process that
sends what is due, and never a scheduler inside the web app."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from fointracker import clock, create_app
from fointracker.extensions import db
from fointracker.models import Reminder, SchedulerLease
from fointracker.scheduler import LEASE_SECONDS, SchedulerLock, heartbeat_status
from tests.reminders_support import (  # noqa: F401  (fixtures)
    add_campaign,
    add_request,
    add_user,
    planning_clock,
    reminder_rows,
    run_fointracker,
    smtp_server,
    start_fointracker,
    stop_process,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # for the tests that never release on the wall clock


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_second_lock_is_refused_while_the_first_holds_it(session):
    first, second = SchedulerLock(session, holder="host-a:1"), SchedulerLock(session, holder="host-b:2")
    t0 = clock.now() - timedelta(seconds=60)
    try:
        assert first.acquire(t0)
        assert not second.acquire(t0 + timedelta(seconds=30))
        assert first.heartbeat(t0 + timedelta(seconds=30))
        assert not second.acquire(t0 + timedelta(seconds=59))
        first.release()
        assert second.acquire()
        assert session.get(SchedulerLease, "scheduler").holder == "host-b:2"
        assert not first.heartbeat()  # the first has lost it for good
    finally:
        first.release()
        second.release()


def test_a_stale_lease_is_not_taken_over_while_its_holder_lives(session):
    """The lock lives as long as its holder, whatever the heartbeat says: a PostgreSQL advisory
    lock on the holder's connection, or on SQLite an flock on a file beside the database. It is
    granted to another once released (or once the holder dies: see test_reminder_faults.py).
    (Until issue 20 a SQLite lease not renewed for LEASE_SECONDS was taken over from a live
    holder, so two schedulers ran; and a killed one blocked a new one for the whole lease.)"""
    first, second = SchedulerLock(session, holder="host-a:1"), SchedulerLock(session, holder="host-b:2")
    try:
        assert first.acquire(T0)
        late = T0 + timedelta(seconds=LEASE_SECONDS + 1)
        assert not second.acquire(T0 + timedelta(seconds=LEASE_SECONDS - 1))
        assert not second.acquire(late)
        first.release()
        assert second.acquire(late)
        assert session.get(SchedulerLease, "scheduler").holder == "host-b:2"
        assert not first.heartbeat(late)  # it notices it lost the lease and stops
    finally:
        second.release()
        first.release()


def test_heartbeat_status_running_then_stopped(session):
    t0 = clock.now().replace(microsecond=0) - timedelta(seconds=200)
    assert heartbeat_status(session, t0) == {"state": "never started"}
    lock = SchedulerLock(session, holder="host-a:1")
    try:
        assert lock.acquire(t0)
        status = heartbeat_status(session, t0 + timedelta(seconds=5))
        assert (status["state"], status["holder"], status["last_sweep_at"]) == ("running", "host-a:1", None)
        assert heartbeat_status(session, t0 + timedelta(seconds=LEASE_SECONDS + 1))["state"] == "stopped"
        assert lock.heartbeat(t0 + timedelta(seconds=190), summary="3 sent, 0 digest(s)")
        status = heartbeat_status(session, t0 + timedelta(seconds=195))
        assert (status["state"], status["last_sweep"], status["seconds_since_heartbeat"]) == (
            "running",
            "3 sent, 0 digest(s)",
            5,
        )
        assert status["last_sweep_at"].startswith((t0 + timedelta(seconds=190)).strftime("%Y-%m-%dT%H:%M:%S"))
        assert heartbeat_status(session)["state"] == "running"
    finally:
        lock.release()
    assert heartbeat_status(session)["state"] == "stopped"  # a clean stop shows at once


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_scheduler_process_delivers_refuses_a_second_and_stops_cleanly(
    session, app, smtp_server, planning_clock, stop_signal
):
    owner = add_user(session, "owner@example.org", mode="immediate")
    req = add_request(session, add_campaign(session), sent_on=date(2026, 3, 2), owner_id=owner)
    # One reminder due a minute ago by the wall clock (the scheduler sweeps at the real time).
    [overdue] = reminder_rows(session, Reminder.kind == "overdue")
    session.execute(update(Reminder).where(Reminder.id != overdue.id).values(due_at=datetime(2099, 1, 1, tzinfo=UTC)))
    session.execute(update(Reminder).where(Reminder.id == overdue.id).values(due_at=clock.now() - timedelta(minutes=1)))
    session.commit()

    first = start_fointracker(app, "scheduler", "--sweep-minutes", "0.02", smtp=smtp_server)
    try:
        assert smtp_server.wait_for(1, timeout=30), stop_process(first)
        [message] = smtp_server.messages
        assert message["Message-ID"] == f"<reminder-{overdue.id}@example.org>"
        assert f"/requests/{req.id}" in message.get_body(("plain",)).get_content()
        deadline = time.monotonic() + 10
        while reminder_rows(session, Reminder.id == overdue.id)[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reminder_rows(session, Reminder.id == overdue.id)[0].status == "sent"
        session.rollback()
        status = heartbeat_status(session)
        assert status["state"] == "running" and status["holder"].endswith(f":{first.pid}")

        second = run_fointracker(app, "scheduler", "--sweep-minutes", "0.02", smtp=smtp_server, timeout=60)
        assert second.returncode == 1
        assert "another scheduler is running" in second.stderr
        assert first.poll() is None  # the first carries on

        time.sleep(1.5)  # a few more sweeps: nothing is sent twice
        assert len(smtp_server.messages) == 1
        first.send_signal(stop_signal)
        out, err = first.communicate(timeout=30)
    finally:
        stop_process(first)
    assert first.returncode == 0, err
    session.rollback()
    assert heartbeat_status(session)["state"] == "stopped"
    # The lock is free again: a new scheduler may start at once.
    lock = SchedulerLock(session, holder="next:1")
    try:
        assert lock.acquire()
    finally:
        lock.release()


@pytest.mark.parametrize("moment", ["lease_taken", "jobs_starting"])
def test_a_signal_at_any_moment_of_start_up_stops_the_scheduler(session, app, smtp_server, moment):
    """A SIGTERM landing while APScheduler hands the first jobs to its pool was swallowed by it
    (it logs and carries on after any exception there) and the scheduler ran on (CI, stop 24):
    signals only set a flag the main thread polls, so every moment of start-up stops it."""
    process = start_fointracker(app, "scheduler", "--sweep-minutes", "60", smtp=smtp_server)
    try:
        if moment == "lease_taken":
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not heartbeat_status(session).get("holder", "").endswith(
                f":{process.pid}"
            ):
                session.rollback()
                time.sleep(0.02)
        elif moment == "jobs_starting":  # logged just before the scheduler hands out its first jobs
            for line in process.stderr:
                if "scheduler started" in line:
                    break
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    finally:
        stop_process(process)
    assert process.returncode == 0, err
    assert "scheduler stopped" in err
    session.rollback()
    assert heartbeat_status(session).get("state", "stopped") == "stopped"


def test_creating_the_app_and_serving_a_request_starts_no_scheduler(app, database_url, tmp_path):
    before = {t.ident for t in threading.enumerate()}
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code in (200, 503)
    app.test_client().get("/login")
    started = [t for t in threading.enumerate() if t.ident not in before]
    assert started == [], [t.name for t in started]
    with app.app_context():
        assert db.session.scalar(select(SchedulerLease.name)) is None  # nobody took the lease
        db.session.remove()
        db.engine.dispose()
