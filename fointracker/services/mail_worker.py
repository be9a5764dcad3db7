"""The mail outbox worker (#16): sends the letters services.mail_sending queued, exactly once, at
most MAIL_PER_MINUTE a minute across every host, and records each step on the timeline. Why each
mark is committed where it is, and what a crash leaves behind: services/mail_sending.py's docstring.

Commits, in small transactions on purpose (as services.outbox does): a claim and each mark must be
durable before the next step, so a crash never sends a letter twice nor loses one marked sent."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..delivery import DeliveryError, Mailer
from ..domain.localtime import LONDON
from ..domain.mail.outgoing import LABEL, STEP_FOR, build_message, step_details
from ..models import FoiRequest, MailMessage
from ..process_locks import is_held
from .outbox import BACKOFF, HOLDER_CHARS, LEASE, MAX_ATTEMPTS, Sender, _lock_name
from .timeline import TimelineError, add_event

log = logging.getLogger("fointracker.mail_sending")

DEFAULT_PER_MINUTE = 20
IN_FLIGHT = ("claimed", "sending")
THROTTLE_LOCK = "fointracker-mail-throttle"


def per_minute(config: Mapping) -> int:
    try:
        return max(0, int(config.get("MAIL_PER_MINUTE", DEFAULT_PER_MINUTE)))
    except (TypeError, ValueError):
        return DEFAULT_PER_MINUTE


# ---------------------------------------------------------------- the worker


@dataclass
class SendResult:
    sent: int = 0
    claimed: int = 0
    failed: int = 0  # refused by the server this run (retried later, or failed for good)
    cancelled: int = 0  # no longer to be sent (the request was marked sent by hand, or deleted)
    reaped: int = 0
    held_back: int = 0  # due but over the rate: left for a later run
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.sent} letter(s) sent, {self.failed} failed, {self.cancelled} cancelled, "
            f"{self.held_back} held back by the rate limit, {self.reaped} reclaimed"
        )


def _due(now: datetime):
    return (
        (MailMessage.direction == "out")
        & (MailMessage.status == "queued")
        & or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now)
    )


def reap(session: Session, now: datetime, lease: timedelta = LEASE) -> int:
    """Claims older than the lease whose sender is dead (its process lock free): a claimed row goes
    back to the queue (never handed over); a row it was sending is failed, saying it may have gone."""
    expired = (
        (MailMessage.direction == "out") & MailMessage.status.in_(IN_FLIGHT) & (MailMessage.claimed_at < now - lease)
    )
    tokens = [t for t in session.scalars(select(MailMessage.claim_token).where(expired).distinct()) if t]
    session.commit()
    engine = session.get_bind()
    dead = [t for t in tokens if not is_held(engine, _lock_name(t[:HOLDER_CHARS]))]
    if not dead:
        return 0
    mine = expired & MailMessage.claim_token.in_(dead)
    back = session.execute(
        update(MailMessage)
        .where(mine, MailMessage.status == "claimed")
        .values(
            status="queued",
            claim_token=None,
            next_attempt_at=now,
            last_error="the sending process stopped before sending it",
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    unknown = session.execute(
        update(MailMessage)
        .where(mine, MailMessage.status == "sending")
        .values(
            status="failed",
            claim_token=None,
            last_error="the sending process stopped while handing this letter to the mail server: it may have "
            "gone. Check the Sent folder or wait for the council's acknowledgement, then Retry or Cancel.",
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    return back + unknown


def _take_throttle_lock(session: Session) -> None:
    """Serialise count-then-claim across every worker sharing the database, for this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(THROTTLE_LOCK.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
    else:  # SQLite: a write, even of no row, takes the database's write lock until the commit
        session.execute(update(MailMessage).where(MailMessage.id == -1).values(status="queued"))


def claim(session: Session, now: datetime, limit: int, *, rate: int, sender_id: str) -> tuple[str, list[int], int]:
    """Take up to `limit` due rows within the rate: (claim token, their ids, how many due were left)."""
    session.commit()
    _take_throttle_lock(session)
    recent = session.scalar(
        select(func.count(MailMessage.id)).where(
            MailMessage.direction == "out",
            or_(MailMessage.sent_at > now - timedelta(seconds=60), MailMessage.status.in_(IN_FLIGHT)),
        )
    )
    room = max(0, min(limit, rate - (recent or 0)))
    token = sender_id + secrets.token_hex(HOLDER_CHARS // 2)
    ids = []
    if room:
        ids = list(
            session.scalars(
                select(MailMessage.id)
                .where(_due(now))
                .order_by(MailMessage.created_at, MailMessage.id)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            session.execute(
                update(MailMessage)
                .where(MailMessage.id.in_(ids), MailMessage.status == "queued")
                .values(status="claimed", claim_token=token, claimed_at=now),
                execution_options={"synchronize_session": False},
            )
    left = session.scalar(select(func.count(MailMessage.id)).where(_due(now), MailMessage.claim_token.is_(None)))
    session.commit()
    claimed = list(session.scalars(select(MailMessage.id).where(MailMessage.claim_token == token)))
    session.commit()
    return token, claimed, left or 0


def _fence(session: Session, message_id: int, token: str, from_status: str, **values) -> bool:
    """Move a row we hold on (guarded by our claim token and its status); False if it is no longer ours."""
    done = session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.claim_token == token, MailMessage.status == from_status)
        .values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    return bool(done)


def _still_wanted(message: MailMessage) -> str | None:
    foi_request = message.request
    if foi_request is None:
        return "the request was deleted"
    if message.letter_kind == "request" and foi_request.sent_on is not None:
        return "the request was recorded as sent meanwhile (by hand or another way)"
    return None


def _record_step(session: Session, message: MailMessage, accepted_at: datetime) -> str:
    """The step on the timeline, dated the London day the server accepted the letter; "" or why not."""
    foi_request = message.request
    kind = STEP_FOR[message.letter_kind]
    occurred_on = accepted_at.astimezone(LONDON).date()
    label = LABEL[message.letter_kind]
    try:
        with session.begin_nested():
            event = add_event(
                session,
                foi_request,
                kind=kind.value,
                occurred_on=occurred_on,
                details=step_details(message.letter_kind, foi_request.regime),
                note=f"{label} sent by email to {message.to_addr} (our ref. FT-{foi_request.id}).",
                user_id=message.created_by_id,
                today=occurred_on,
            )
        message.event_id = event.id
        return ""
    except TimelineError as exc:
        return f"sent, but the step could not be recorded on the timeline: {exc.message}"
    except Exception as exc:  # a bug: the letter went all the same, and its mark must not be lost with it
        log.exception("letter %s was sent but its step could not be recorded", message.id)
        return f"sent, but the step could not be recorded on the timeline (internal error: {type(exc).__name__})"


def _send_one(session: Session, mailer: Mailer, message_id: int, token: str, now: datetime, result: SendResult):
    message = session.scalar(
        select(MailMessage)
        .where(MailMessage.id == message_id)
        .options(joinedload(MailMessage.request).joinedload(FoiRequest.campaign))
    )
    unwanted = _still_wanted(message)
    if unwanted:
        if _fence(
            session,
            message_id,
            token,
            "claimed",
            status="cancelled",
            claim_token=None,
            dedupe_key=None,
            last_error=unwanted,
        ):
            result.cancelled += 1
        return
    email = build_message(
        from_addr=message.from_addr,
        to_addr=message.to_addr,
        subject=message.subject,
        body=message.body_text,
        message_id=message.message_id,
        reply_to=message.reply_to,
        in_reply_to=message.in_reply_to,
        references=message.thread_references,
        date=clock.now(),
    )
    # The point of no return: from here a crash leaves the row "sending", failed by the reaper for a person to check.
    if not _fence(session, message_id, token, "claimed", status="sending", attempts=MailMessage.attempts + 1):
        return
    try:
        mailer.send(email)
    except DeliveryError as exc:
        attempts = message.attempts  # already counted by the "sending" mark
        last = attempts >= MAX_ATTEMPTS
        wait = BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else BACKOFF[0]
        _fence(
            session,
            message_id,
            token,
            "sending",
            status="failed" if last else "queued",
            claim_token=None,
            last_error=str(exc)[:2000],
            next_attempt_at=None if last else now + wait,
        )
        result.failed += 1
        result.errors.append(str(exc))
        return
    accepted_at = clock.now()
    mailer_fault_point(mailer)
    marked = session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.claim_token == token, MailMessage.status == "sending")
        .values(status="sent", sent_at=accepted_at, claim_token=None, last_error=""),
        execution_options={"synchronize_session": False},
    ).rowcount
    if marked:
        session.refresh(message)
        problem = _record_step(session, message, accepted_at)
        if problem:
            message.last_error = problem
        session.commit()
        result.sent += 1
    else:
        session.rollback()


def mailer_fault_point(mailer) -> None:
    """Tests only: a Mailer given a `fault_point` (see services.outbox.Outbox.fault_point) dies here,
    after the server accepted and before the mark."""
    point = getattr(mailer, "fault_point", None)
    if point is not None:
        point("after_send")


def send_due(
    session: Session, mailer: Mailer, config: Mapping, now: datetime | None = None, batch_size: int = 100
) -> SendResult:
    """Reap dead senders' claims, then send what is due, no more than MAIL_PER_MINUTE in any 60 s."""
    now = clock.now() if now is None else (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC))
    session.commit()
    result = SendResult(reaped=reap(session, now))
    rate = per_minute(config)
    with Sender(session) as sender:
        token, ids, left = claim(session, now, batch_size, rate=rate, sender_id=sender.id)
        result.claimed, result.held_back = len(ids), left
        for message_id in ids:
            try:
                _send_one(session, mailer, message_id, token, now, result)
            except Exception as exc:  # a bug, not a refusal: recorded on the row (never resent blindly)
                session.rollback()
                log.exception("letter %s could not be sent", message_id)
                session.execute(
                    update(MailMessage)
                    .where(MailMessage.id == message_id, MailMessage.claim_token == token)
                    .values(
                        status="failed",
                        claim_token=None,
                        last_error=f"internal error: {type(exc).__name__}: {exc}. It may have gone if it was being "
                        "handed to the mail server: check the Sent folder before retrying."[:2000],
                    ),
                    execution_options={"synchronize_session": False},
                )
                session.commit()
                result.failed += 1
    return result
