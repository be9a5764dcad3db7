"""Sending what the outbox says is due: the sweep, the daily digests and the reaper.

Delivery guarantee: at least once, with stable Message-IDs. A row is claimed (status
'claimed' with a random token) in its own short transaction, sent, then marked sent;
a process that dies between the claim and the mark leaves the row claimed, and the
reaper puts it back to pending once the lease has expired, so it is sent again with the
same Message-ID (mail clients show it once). Nothing is marked sent that was not
handed to the SMTP server or accepted by the webhook.

Unlike the other services this module commits, in small transactions on purpose: a claim
and each row's mark must be durable before the next message goes out, so a crash never
sends a message twice under a new claim nor loses one marked sent.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..delivery import DeliveryError, Mailer, WebhookSender
from ..domain.localtime import LONDON
from ..domain.reminders import ReminderKind
from ..formatting import uk_date
from ..models import FoiRequest, Reminder, User

log = logging.getLogger("fointracker.outbox")

MAX_ATTEMPTS = 8
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
LEASE = timedelta(minutes=10)  # a claim older than this was lost (the sender died)


@dataclass
class SweepResult:
    sent: int = 0
    failed: int = 0
    superseded: int = 0
    cancelled: int = 0
    reaped: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.digests} digest(s), {self.failed} failed (will retry), "
            f"{self.superseded} superseded, {self.cancelled} cancelled, {self.reaped} reclaimed"
        )


@dataclass
class Outbox:
    """What the sweep needs from outside: where to send, and how links back are written."""

    mailer: Mailer
    webhooks: WebhookSender
    base_url: str
    sender_domain: str = "fointracker.local"
    fault: str = ""  # tests only: "crash_after_claim" makes the process die between claim and send

    @classmethod
    def from_config(cls, config) -> Outbox:
        from ..delivery import SmtpSettings

        settings = SmtpSettings.from_config(config)
        domain = settings.sender.rsplit("@", 1)[-1] if "@" in settings.sender else "fointracker.local"
        timeout = config.get("WEBHOOK_TIMEOUT_SECONDS")  # connect and read, each; default (3.05, 10)
        webhooks = WebhookSender((float(timeout), float(timeout))) if timeout else WebhookSender()
        return cls(
            Mailer(settings),
            webhooks,
            config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            domain,
            os.environ.get("FOINTRACKER_TEST_FAULT", ""),
        )

    def close(self) -> None:
        self.mailer.close()
        self.webhooks.close()


def _due(now: datetime):
    return and_(
        Reminder.status == "pending",
        Reminder.due_at <= now,
        or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
    )


def reap(session: Session, now: datetime) -> int:
    """Claims older than the lease were lost with their process: back to pending, counted as a try."""
    result = session.execute(
        update(Reminder)
        .where(Reminder.status == "claimed", Reminder.claimed_at < now - LEASE)
        .values(
            status=case((Reminder.attempts + 1 >= MAX_ATTEMPTS, "failed"), else_="pending"),
            claim_token=None,
            attempts=Reminder.attempts + 1,
            next_attempt_at=now,
            last_error="claimed but never confirmed sent (the sending process stopped)",
        )
    )
    session.commit()
    return result.rowcount


def supersede_stale(session: Session, now: datetime) -> int:
    """A 'due soon' or 'due today' about a date already past is superseded, not sent (after downtime)."""
    today = now.astimezone(LONDON).date()
    result = session.execute(
        # `due_at <= now` changes nothing (such a warning fired on or before its date, so before
        # today) but lets the (status, due_at) index find the rows: without it every sweep read
        # every pending row, and an idle sweep cost grew with the size of the outbox.
        update(Reminder)
        .where(
            Reminder.status == "pending",
            Reminder.due_at <= now,
            Reminder.kind.in_([ReminderKind.DUE_SOON.value, ReminderKind.DUE_TODAY.value]),
            Reminder.target_date < today,
        )
        .values(status="superseded", last_error="the deadline had passed before it could be sent")
    )
    session.commit()
    return result.rowcount


def claim(session: Session, now: datetime, limit: int, *, recipient_id: int | None = None) -> list[Reminder]:
    """Atomically take up to `limit` due rows: immediate ones, or (recipient_id) one user's digest."""
    ids = select(Reminder.id).where(_due(now))
    if recipient_id is None:
        immediate_users = select(User.id).where(User.reminder_mode == "immediate")
        ids = ids.where(or_(Reminder.channel == "webhook", Reminder.recipient_id.in_(immediate_users)))
    else:
        ids = ids.where(Reminder.recipient_id == recipient_id, Reminder.channel == "email")
    ids = ids.order_by(Reminder.due_at, Reminder.id).limit(limit).with_for_update(skip_locked=True)
    # A MATERIALIZED CTE, not `id IN (SELECT ... LIMIT ... FOR UPDATE SKIP LOCKED)`: PostgreSQL
    # may run such a subquery more than once in one UPDATE, and under concurrent sweepers it
    # claimed more than `limit` rows or none at all while due rows were left (the sweep then
    # stopped early). The CTE locks and limits once; the UPDATE takes exactly those rows.
    picked = ids.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    token = secrets.token_hex(16)
    # One UPDATE, first statement of its transaction: on SQLite it takes the write lock at once,
    # on PostgreSQL SKIP LOCKED keeps concurrent sweepers off each other's rows. The status
    # test in the WHERE makes a row claimable once, however the sweepers interleave.
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(select(picked.c.id)), Reminder.status == "pending")
        .values(status="claimed", claim_token=token, claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.claim_token == token)
            .options(
                joinedload(Reminder.user),
                joinedload(Reminder.request).joinedload(FoiRequest.authority),
                joinedload(Reminder.request).joinedload(FoiRequest.campaign),
            )
            .order_by(Reminder.due_at, Reminder.id)
        )
    )


def _unwanted(reminder: Reminder) -> str | None:
    user = reminder.user
    if reminder.channel == "email":
        if user is None or not user.active:
            return "the recipient can no longer log in"
        if reminder.kind in (user.reminder_kinds_off or []):
            return "the recipient turned this kind of reminder off"
    return None


def _mark(
    session: Session,
    reminder: Reminder,
    now: datetime,
    *,
    token: str,
    sent: bool,
    error: str = "",
    message_id: str = "",
) -> None:
    values: dict
    if sent:
        values = {"status": "sent", "sent_at": now, "message_id": message_id, "claim_token": None, "last_error": ""}
    else:
        attempts = reminder.attempts + 1
        final = attempts >= MAX_ATTEMPTS
        values = {
            "status": "failed" if final else "pending",
            "attempts": attempts,
            "claim_token": None,
            "last_error": error[:2000],
            "next_attempt_at": None if final else now + BACKOFF[min(attempts, len(BACKOFF)) - 1],
        }
    # Guarded by the claim token: a row reclaimed by the reaper meanwhile is left alone. The token
    # is the one this sweeper claimed with, passed in: `reminder.claim_token` would be re-read
    # from the database after the previous commit expired it, i.e. the *current* holder's token
    # (or NULL once that holder marked it sent), and the guard would let a sweeper that lost its
    # claim put a row another sweeper has sent back to pending.
    session.execute(
        update(Reminder).where(Reminder.id == reminder.id, Reminder.claim_token == token).values(**values),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def request_url(outbox: Outbox, request_id: int) -> str:
    return f"{outbox.base_url}/requests/{request_id}"


def describe(reminder: Reminder) -> str:
    """One line: what is due, for which council."""
    r = reminder.request
    kind = ReminderKind(reminder.kind)
    when = {
        ReminderKind.DUE_SOON: f"due {uk_date(reminder.target_date)} ({reminder.days_before} working day"
        f"{'' if reminder.days_before == 1 else 's'} left)",
        ReminderKind.DUE_TODAY: f"due today, {uk_date(reminder.target_date)}",
        ReminderKind.OVERDUE: f"was due {uk_date(reminder.target_date)}",
        ReminderKind.VERY_OVERDUE: f"very overdue since {uk_date(reminder.target_date)}",
        ReminderKind.REVIEW_DUE: f"internal review due {uk_date(reminder.target_date)}",
        ReminderKind.CLARIFICATION_OWED: f"the council asked us on {uk_date(reminder.target_date)}",
        ReminderKind.FIGURES_MISSING: f"answered {uk_date(reminder.target_date)}, figures not entered",
    }[kind]
    return f"{kind.label}: {r.authority.short_name} — {r.subject} — {when}"


def _email(outbox: Outbox, reminder: Reminder) -> EmailMessage:
    message = EmailMessage()
    message["To"] = reminder.user.email
    message["Subject"] = f"[fointracker] {describe(reminder)}"[:250]
    # Stable across retries: at-least-once delivery shows up once in the inbox.
    message["Message-ID"] = f"<reminder-{reminder.id}@{outbox.sender_domain}>"
    url = request_url(outbox, reminder.request_id)
    message.set_content(
        f"{describe(reminder)}\n\nCampaign: {reminder.request.campaign.title}\n"
        f"Open the request: {url}\n\nChange what you receive: {outbox.base_url}/account/reminders\n"
    )
    message.add_alternative(_html([(describe(reminder), url)], reminder.request.campaign.title, outbox), subtype="html")
    return message


def _html(items: list[tuple[str, str]], heading: str, outbox: Outbox) -> str:
    from markupsafe import escape

    rows = "".join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in items)
    return (
        f'<!doctype html><html><body><h1 style="font-size:18px">{escape(heading)}</h1><ul>{rows}</ul>'
        f'<p><a href="{escape(outbox.base_url)}/account/reminders">Change what you receive</a></p></body></html>'
    )


def deliver(
    session: Session, outbox: Outbox, reminder: Reminder, now: datetime, result: SweepResult, *, token: str
) -> None:
    """Send one claimed row; `token` is the claim token it was claimed with (see `_mark`)."""
    reason = _unwanted(reminder)
    if reason:
        session.execute(
            update(Reminder)
            .where(Reminder.id == reminder.id, Reminder.claim_token == token)
            .values(status="cancelled", claim_token=None, last_error=reason)
        )
        session.commit()
        result.cancelled += 1
        return
    try:
        if reminder.channel == "webhook":
            url = reminder.request.campaign.webhook_url
            if not url:
                raise DeliveryError("the campaign no longer has a webhook")
            outbox.webhooks.send(
                url,
                {
                    "text": f"{describe(reminder)} <{request_url(outbox, reminder.request_id)}>",
                    "reminder_id": reminder.id,
                    "kind": reminder.kind,
                    "request_id": reminder.request_id,
                },
            )
            message_id = f"webhook-{reminder.id}"
        else:
            message = _email(outbox, reminder)
            outbox.mailer.send(message)
            message_id = message["Message-ID"]
    except DeliveryError as exc:
        _mark(session, reminder, now, token=token, sent=False, error=str(exc))
        result.failed += 1
        result.errors.append(str(exc))
        return
    _mark(session, reminder, now, token=token, sent=True, message_id=message_id)
    result.sent += 1


def send_digests(session: Session, outbox: Outbox, now: datetime, result: SweepResult) -> None:
    """One email a day per digest user, at or after their hour, with everything that fell due."""
    local = now.astimezone(LONDON)
    users = session.scalars(
        select(User).where(
            User.active,
            User.reminder_mode == "digest",
            User.digest_hour <= local.hour,
            or_(User.last_digest_on.is_(None), User.last_digest_on < local.date()),
        )
    ).all()
    for user in users:
        reminders = claim(session, now, 1000, recipient_id=user.id)
        if outbox.fault == "crash_after_claim" and reminders:
            os._exit(3)
        token = reminders[0].claim_token if reminders else ""  # read before any commit expires it
        wanted = []
        for reminder in reminders:
            reason = _unwanted(reminder)
            if reason:
                session.execute(
                    update(Reminder)
                    .where(Reminder.id == reminder.id, Reminder.claim_token == token)
                    .values(status="cancelled", claim_token=None, last_error=reason)
                )
                result.cancelled += 1
            else:
                wanted.append(reminder)
        session.commit()
        if wanted:
            message = EmailMessage()
            message["To"] = user.email
            message["Subject"] = (
                f"[fointracker] {len(wanted)} reminder{'' if len(wanted) == 1 else 's'} for {uk_date(local.date())}"
            )
            message["Message-ID"] = f"<digest-{user.id}-{local.date().isoformat()}@{outbox.sender_domain}>"
            items = [(describe(r), request_url(outbox, r.request_id)) for r in wanted]
            message.set_content(
                "\n".join(f"- {text}\n  {url}" for text, url in items)
                + f"\n\nChange what you receive: {outbox.base_url}/account/reminders\n"
            )
            message.add_alternative(_html(items, f"Your reminders for {uk_date(local.date())}", outbox), subtype="html")
            try:
                outbox.mailer.send(message)
            except DeliveryError as exc:
                for reminder in wanted:
                    _mark(session, reminder, now, token=token, sent=False, error=str(exc))
                result.failed += len(wanted)
                result.errors.append(str(exc))
                continue  # last_digest_on stays: the digest is tried again at the next sweep
            for reminder in wanted:
                _mark(session, reminder, now, token=token, sent=True, message_id=message["Message-ID"])
            result.digests += 1
            result.sent += len(wanted)
        session.execute(update(User).where(User.id == user.id).values(last_digest_on=local.date()))
        session.commit()


def sweep(session: Session, outbox: Outbox, now: datetime | None = None, batch_size: int = 200) -> SweepResult:
    """Everything that is due by `now`: reap lost claims, drop stale warnings, send, digest."""
    # In UTC: SQLite stores an aware datetime's wall-clock time and drops its offset, so a
    # `--now` given with +01:00 would otherwise be compared (and stored) an hour out.
    now = clock.now() if now is None else (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC))
    session.commit()  # start from a clean transaction (see `claim`)
    result = SweepResult(reaped=reap(session, now), superseded=supersede_stale(session, now))
    while True:
        reminders = claim(session, now, batch_size)
        if not reminders:
            break
        if outbox.fault == "crash_after_claim":
            os._exit(3)  # tests: die holding the claim, as a killed process would
        token = reminders[0].claim_token  # read before the first commit expires it (see `_mark`)
        for reminder in reminders:
            try:
                deliver(session, outbox, reminder, now, result, token=token)
            except Exception as exc:  # a bug, not a delivery failure: record it on the row, go on
                session.rollback()
                log.exception("reminder %s could not be delivered", reminder.id)
                _mark(
                    session,
                    reminder,
                    now,
                    sent=False,
                    token=token,
                    error=f"internal error: {type(exc).__name__}: {exc}",
                )
                result.failed += 1
    send_digests(session, outbox, now, result)
    return result
