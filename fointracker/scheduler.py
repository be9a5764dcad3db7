"""The clock: APScheduler in its own process (`fointracker scheduler`), one at a time.

The database is the source of truth; this only decides *when* the sweep runs. Web
workers never start it. One scheduler holds the lock, which is released with the process
(a kill -9 included), so a new scheduler can start at once: a PostgreSQL advisory lock (held
by a dedicated connection for the life of the process), or on SQLite an `flock` on a file
beside the database (fointracker.process_locks). The lease row carries the heartbeat shown
to admins and on /healthz, on both backends.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from . import clock
from .extensions import db
from .models import SchedulerLease
from .process_locks import ProcessLock

log = logging.getLogger("fointracker.scheduler")

LEASE_NAME = "scheduler"
LEASE_SECONDS = 90
HEARTBEAT_SECONDS = 30
STOP_POLL_SECONDS = 0.2  # how soon a stop request is noticed
ADVISORY_LOCK_KEY = 0x464F4954  # "FOIT"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


class SchedulerLock:
    """Take the lock, renew the heartbeat, let go."""

    def __init__(self, session, holder: str | None = None):
        self.session = session
        self.holder = holder or holder_name()
        self._pg_connection = None
        self._file_lock: ProcessLock | None = None

    def acquire(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        if db.engine.dialect.name == "postgresql":
            self._pg_connection = db.engine.connect()
            got = self._pg_connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}
            ).scalar()
            self._pg_connection.commit()
            if not got:
                self._pg_connection.close()
                self._pg_connection = None
                return False
            self._upsert_lease(now)
            return True
        # SQLite: the file lock is the lock. Holding it, the lease row is ours whatever it says
        # (an unexpired lease left by a scheduler that died without letting go).
        self._file_lock = ProcessLock(db.engine, LEASE_NAME)
        if not self._file_lock.acquire():
            self._file_lock = None
            return False
        if not self._upsert_lease(now):
            self._file_lock.release()
            self._file_lock = None
            return False
        return True

    def _upsert_lease(self, now: datetime) -> bool:
        """Write the lease row as ours (the caller holds the lock); False if another created it first."""
        expires = now + timedelta(seconds=LEASE_SECONDS)
        query = update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME)
        taken = self.session.execute(
            query.values(holder=self.holder, acquired_at=now, heartbeat_at=now, expires_at=expires)
        ).rowcount
        if not taken:
            exists = self.session.scalar(select(SchedulerLease.name).where(SchedulerLease.name == LEASE_NAME))
            if exists:
                self.session.rollback()
                return False
            try:
                self.session.add(
                    SchedulerLease(
                        name=LEASE_NAME, holder=self.holder, acquired_at=now, heartbeat_at=now, expires_at=expires
                    )
                )
                self.session.flush()
            except IntegrityError:  # another scheduler created it first
                self.session.rollback()
                return False
        self.session.commit()
        return True

    def heartbeat(self, now: datetime | None = None, summary: str | None = None) -> bool:
        """Renew the lease; False if another process has taken it (then stop)."""
        now = now or clock.now()
        values = {"heartbeat_at": now, "expires_at": now + timedelta(seconds=LEASE_SECONDS)}
        if summary is not None:
            values.update(last_sweep_at=now, last_sweep_summary=summary[:300])
        renewed = self.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
            .values(**values)
        ).rowcount
        self.session.commit()
        return bool(renewed)

    def release(self) -> None:
        self.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
            .values(expires_at=clock.now())
        )
        self.session.commit()
        if self._pg_connection is not None:
            self._pg_connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
            self._pg_connection.commit()
            self._pg_connection.close()
            self._pg_connection = None
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None


def heartbeat_status(session, now: datetime | None = None) -> dict:
    """What admins and /healthz see: who runs the scheduler and whether it is alive."""
    now = now or clock.now()
    lease = session.get(SchedulerLease, LEASE_NAME)
    if lease is None:
        return {"state": "never started"}
    heartbeat = lease.heartbeat_at if lease.heartbeat_at.tzinfo else lease.heartbeat_at.replace(tzinfo=UTC)
    age = (now - heartbeat).total_seconds()
    expires = lease.expires_at if lease.expires_at.tzinfo else lease.expires_at.replace(tzinfo=UTC)
    # A scheduler that stopped cleanly released its lease (expires_at = the time it stopped):
    # it is stopped at once, not only when its last heartbeat has aged past the lease.
    running = age <= LEASE_SECONDS and expires > now
    return {
        "state": "running" if running else "stopped",
        "holder": lease.holder,
        "heartbeat_at": heartbeat.isoformat(),
        "seconds_since_heartbeat": int(age),
        "last_sweep_at": lease.last_sweep_at.isoformat() if lease.last_sweep_at else None,
        "last_sweep": lease.last_sweep_summary,
    }


def run_scheduler(app, sweep_minutes: float = 2.0) -> int:
    """Block, running the sweep every few minutes (digests go out from the same sweep), until
    SIGTERM or Ctrl-C, or until the lease is lost."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from .delivery import Mailer, SmtpSettings
    from .services.outbox import Outbox, sweep

    stop = _StopRequest()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (systemd, docker stop, kill) and Ctrl-C only set a flag that the main thread
        # polls. Raising from the handler was lost whenever the signal landed inside APScheduler,
        # which logs and carries on after any exception while it hands a job to its pool (CI, stop
        # 24). Installed before the lock is taken, so that a signal during set-up stops it too.
        signal.signal(signal.SIGTERM, stop.request)
        signal.signal(signal.SIGINT, stop.request)
    with app.app_context():
        lock = SchedulerLock(db.session)
        if not lock.acquire():
            status = heartbeat_status(db.session)
            log.error("another scheduler is running (%s); this one stops", status)
            return 1
        outbox = letter_mailer = scheduler = None
        try:  # from here on, however it stops, the lock is let go
            outbox = Outbox.from_config(app.config)
            letter_mailer = Mailer(SmtpSettings.from_config(app.config))
            scheduler = BackgroundScheduler(timezone="Europe/London")

            def sweep_job():
                with app.app_context():
                    try:
                        result = sweep(db.session, outbox)
                        log.info("sweep: %s", result)
                        summary = str(result)
                    except Exception:  # logged with its traceback; the next run tries again
                        db.session.rollback()
                        log.exception("sweep failed")
                        summary = "sweep failed: see the scheduler's log"
                    if not lock.heartbeat(summary=summary):
                        log.error("lost the scheduler lease; stopping")
                        stop.request()

            def fee_lapse_job():
                # Unpaid fees lapse (FOIA s.9(2), FOISA s.9(4); EIR: 60 working days): once a day
                # and at start-up, so a day missed in an outage is caught up.
                from .services.deadlines import lapse_unpaid_fees

                with app.app_context():
                    try:
                        lapsed = lapse_unpaid_fees(db.session, clock.today())
                        db.session.commit()
                        log.info("fees lapsed: %s request(s)", lapsed)
                    except Exception:  # logged with its traceback; tomorrow's run tries again
                        db.session.rollback()
                        log.exception("fee lapse job failed")

            def imap_job(settings):
                # The IMAP door (services/mail_imap.py): a poll that fails is logged; the next one tries again.
                from .services.file_store import FileStore
                from .services.mail_imap import ImapBusy, ImapError, poll

                with app.app_context():
                    try:
                        result = poll(lambda: db.session, settings, FileStore.from_config(app.config), app.config)
                        if result.seen:
                            log.info("IMAP poll of %s: %s", settings.describe(), result)
                    except ImapBusy as error:
                        log.info("IMAP poll skipped: %s", error)
                    except ImapError as error:
                        log.error("IMAP poll failed: %s", error)
                    except Exception:  # logged with its traceback; the next poll tries again
                        log.exception("IMAP poll failed")
                    finally:
                        db.session.rollback()

            def mail_send_job():
                # Letters by email (services/mail_sending.py): the outbox once a minute, on its own SMTP
                # connection (the reminder sweep's runs in another thread); a failed run is logged.
                from .services.mail_sending import send_due

                with app.app_context():
                    try:
                        result = send_due(db.session, letter_mailer, app.config)
                        if result.claimed or result.reaped:
                            log.info("mail send: %s", result)
                    except Exception:
                        db.session.rollback()
                        log.exception("mail send failed")

            def heartbeat_job():
                with app.app_context():
                    if not lock.heartbeat():
                        log.error("lost the scheduler lease; stopping")
                        stop.request()

            scheduler.add_job(
                sweep_job,
                "interval",
                minutes=sweep_minutes,
                next_run_time=clock.now(),
                max_instances=1,
                coalesce=True,
                id="sweep",
            )
            scheduler.add_job(
                fee_lapse_job,
                "cron",
                hour=1,
                minute=30,
                next_run_time=clock.now(),
                max_instances=1,
                coalesce=True,
                id="fee_lapse",
            )
            scheduler.add_job(
                heartbeat_job, "interval", seconds=HEARTBEAT_SECONDS, max_instances=1, coalesce=True, id="heartbeat"
            )
            _add_imap_job(scheduler, app.config, imap_job)
            scheduler.add_job(
                mail_send_job,
                "interval",
                minutes=1,
                next_run_time=clock.now(),
                max_instances=1,
                coalesce=True,
                id="mail_send",
            )
            log.info("scheduler started as %s; sweeping every %s minutes", lock.holder, sweep_minutes)
            if not stop.requested:  # a signal during set-up: no sweep starts
                scheduler.start()
            while scheduler.running and not stop.requested:
                time.sleep(STOP_POLL_SECONDS)
        finally:
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=True)  # let a sweep under way finish before letting go
            for closing in (outbox, letter_mailer):
                if closing is not None:
                    closing.close()
            lock.release()
        log.info("scheduler stopped")
        return 0


class _StopRequest:
    """Set by a signal handler or a job thread; read by the main thread. A plain attribute, not a
    threading.Event: setting an Event takes a lock the interrupted main thread may hold."""

    requested = False

    def request(self, _signum=None, _frame=None) -> None:
        self.requested = True


def _add_imap_job(scheduler, config, job) -> None:
    """Poll the mailbox every IMAP_POLL_SECONDS when IMAP_URL is set (a bad URL is logged, not fatal)."""
    from .services.mail_imap import ImapError, ImapSettings

    try:
        settings = ImapSettings.from_config(config)
    except ImapError as error:
        log.error("not polling IMAP: %s", error)
        return
    if settings is None:
        return
    try:
        seconds = max(5.0, float(config.get("IMAP_POLL_SECONDS") or 60))
    except (TypeError, ValueError):
        seconds = 60.0
    scheduler.add_job(
        job,
        "interval",
        args=[settings],
        seconds=seconds,
        next_run_time=clock.now(),
        max_instances=1,
        coalesce=True,
        id="imap",
    )
    log.info("polling %s every %s seconds", settings.describe(), seconds)
