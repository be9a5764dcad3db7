"""Sending what the outbox says is due: the sweep, the daily digests and the reaper.

Delivery guarantee: at least once, with stable Message-IDs, and nothing due dropped for our
faults. A sweep runs as a *sender* that holds a process lock (see fointracker.process_locks)
for as long as it lives; its claims carry its id (the first 16 characters of the claim
token). A row is claimed (status 'claimed') in its own short transaction, and just before
it is sent the sender checks it still holds the claim and that the reminder is still true
(re-planned from the request as it is now); then it is sent, then marked sent. The reaper
takes back only claims older than the lease whose sender is dead (its lock is free), so a
live but slow sender keeps what it claimed, and a dead one's rows are sent again with the
same Message-ID. A reminder that could not go on its day (a crash, an outage, downtime) is
sent late and says so; only a reminder the request's own progress made untrue is dropped
(superseded). Nothing is marked sent that was not handed to the SMTP server or accepted by
the webhook; the one duplicate left is a crash between the server's acceptance and our mark.

Unlike the other services this module commits, in small transactions on purpose: a claim
and each row's mark must be durable before the next message goes out, so a crash never
sends a message twice under a new claim nor loses one marked sent.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sys
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..delivery import DeliveryError, Mailer, WebhookSender
from ..domain.localtime import LONDON
from ..domain.reminders import ReminderKind, plan
from ..formatting import uk_date
from ..models import FoiRequest, Reminder, RequestEvent, User
from ..process_locks import ProcessLock, is_held
from .deadlines import Calendars
from .reminders import DEFAULT_SETTINGS, campaign_audiences, facts_for, recipients_for

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
LEASE = timedelta(minutes=10)  # a claim older than this, whose sender is dead, was lost
DIGEST_MAX_ITEMS = 1000  # items in one digest email; more are sent as further emails the same day
HOLDER_CHARS = 16  # a claim token is the sender's id (16 hex characters) and 16 of its own


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
    # Tests only (FOINTRACKER_TEST_FAULT): "<crash|pause>_<after_claim|after_send>" makes the process
    # die (os._exit(3)), or stop and wait to be killed, right after a claim commits or right after
    # the server accepted a message and before it is marked sent.
    fault: str = ""
    digest_max_items: int = DIGEST_MAX_ITEMS

    @classmethod
    def from_config(cls, config) -> Outbox:
        from ..delivery import SmtpSettings

        settings = SmtpSettings.from_config(config)
        domain = settings.sender.rsplit("@", 1)[-1] if "@" in settings.sender else "fointracker.local"
        return cls(
            Mailer(settings),
            WebhookSender.from_config(config),  # timeout and allowed hosts
            config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            domain,
            os.environ.get("FOINTRACKER_TEST_FAULT", ""),
            int(config.get("REMINDER_DIGEST_MAX_ITEMS", DIGEST_MAX_ITEMS)),
        )

    def close(self) -> None:
        self.mailer.close()
        self.webhooks.close()

    def fault_point(self, point: str) -> None:
        if self.fault == f"crash_{point}":
            os._exit(3)  # tests: die here, as a killed process would
        if self.fault == f"pause_{point}":
            sys.stderr.write(f"fault: paused {point}\n")
            sys.stderr.flush()
            while True:  # tests: wait here to be killed (SIGKILL)
                _time.sleep(60)


def _lock_name(sender_id: str) -> str:
    return f"outbox-sender-{sender_id}"


class Sender:
    """One sweep's identity while it lives: claims made with its id are its own until it dies."""

    def __init__(self, session: Session):
        self.id = secrets.token_hex(HOLDER_CHARS // 2)
        self._lock = ProcessLock(session.get_bind(), _lock_name(self.id))

    def __enter__(self) -> Sender:
        if not self._lock.acquire():  # a fresh random name: only a broken lock directory refuses it
            raise RuntimeError("could not take the outbox sender's process lock")
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release(remove=True)


def _due(now: datetime, due_by: datetime | None = None):
    return and_(
        Reminder.status == "pending",
        Reminder.due_at <= now if due_by is None else Reminder.due_at < due_by,
        or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
    )


def reap(session: Session, now: datetime, lease: timedelta = LEASE) -> int:
    """Claims older than the lease whose sender is dead: back to pending, counted as a try.

    A live sender's claims are never taken back, however long it takes (a slow SMTP server):
    it checks each row is still its own just before sending it."""
    expired = and_(Reminder.status == "claimed", Reminder.claimed_at < now - lease)
    tokens = [t for t in session.scalars(select(Reminder.claim_token).where(expired).distinct()) if t]
    session.commit()
    engine = session.get_bind()
    live = {h for h in {t[:HOLDER_CHARS] for t in tokens} if is_held(engine, _lock_name(h))}
    dead = [t for t in tokens if t[:HOLDER_CHARS] not in live]
    if not dead:
        return 0
    result = session.execute(
        update(Reminder)
        .where(expired, Reminder.claim_token.in_(dead))
        .values(
            status=case((Reminder.attempts + 1 >= MAX_ATTEMPTS, "failed"), else_="pending"),
            claim_token=None,
            attempts=Reminder.attempts + 1,
            next_attempt_at=now,
            last_error="claimed but never confirmed sent (the sending process stopped)",
        ),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return result.rowcount


def claim(
    session: Session,
    now: datetime,
    limit: int,
    *,
    recipient_id: int | None = None,
    sender_id: str = "",
    due_by: datetime | None = None,
) -> list[Reminder]:
    """Atomically take up to `limit` due rows: immediate ones, or (recipient_id) one user's digest
    (`due_by`: rows due before then, i.e. the rest of the digest's day). Without `sender_id` the
    claim has no live sender behind it and is reaped once the lease has passed."""
    ids = select(Reminder.id).where(_due(now, due_by))
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
    token = (sender_id or secrets.token_hex(HOLDER_CHARS // 2)) + secrets.token_hex(HOLDER_CHARS // 2)
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


_FACT_COLUMNS = (
    FoiRequest.id,
    FoiRequest.regime,
    FoiRequest.owner_id,
    FoiRequest.campaign_id,
    FoiRequest.status,
    FoiRequest.response_due_on,
    FoiRequest.deferred_due_on,
    FoiRequest.very_overdue_on,
    FoiRequest.review_due_on,
    FoiRequest.responded_on,
    FoiRequest.outcome,
    FoiRequest.figures_entered,
)


def untrue(session: Session, reminders: Sequence[Reminder], calendars: Calendars) -> dict[int, str]:
    """{reminder id: why} for the reminders the requests *as they are now* no longer call for
    (answered, deadline moved, recipient no longer the owner or a coordinator, webhook removed).

    Read fresh from the database at the moment of sending: a claim may have waited (a slow or
    dead sender) while the request moved on. A warning about a date now past is still true: it
    is sent late, saying so."""
    request_ids = {r.request_id for r in reminders}
    rows = {row.id: row for row in session.execute(select(*_FACT_COLUMNS).where(FoiRequest.id.in_(request_ids)))}
    events: dict[int, list] = {i: [] for i in request_ids}
    for event in session.execute(
        select(RequestEvent.request_id, RequestEvent.kind, RequestEvent.occurred_on).where(
            RequestEvent.request_id.in_(request_ids)
        )
    ):
        events[event.request_id].append(event)
    audiences = campaign_audiences(session, {row.campaign_id for row in rows.values()})
    wanted: dict[int, tuple[set, set]] = {}
    for request_id, row in rows.items():
        planned = plan(facts_for(row, events[request_id]), calendars.for_regime(row.regime), DEFAULT_SETTINGS)
        coordinators, has_webhook = audiences[row.campaign_id]
        recipients = recipients_for(row.owner_id, coordinators, row.campaign_id, has_webhook)
        wanted[request_id] = ({p.key for p in planned}, {(key, channel) for key, _uid, channel in recipients})
    reasons = {}
    for reminder in reminders:
        keys, recipients = wanted.get(reminder.request_id, (set(), set()))
        if (reminder.kind, reminder.days_before, reminder.target_date) not in keys:
            reasons[reminder.id] = "no longer true when it was to be sent: the request has moved on"
        elif (reminder.recipient, reminder.channel) not in recipients:
            reasons[reminder.id] = "no longer true when it was to be sent: the recipient no longer follows the request"
    return reasons


def _close(session: Session, ids: Sequence[int], token: str, status: str, reason: str) -> None:
    """Cancel or supersede claimed rows (guarded by the claim token)."""
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.claim_token == token)
        .values(status=status, claim_token=None, last_error=reason),
        execution_options={"synchronize_session": False},
    )


def _screen(
    session: Session, reminders: Sequence[Reminder], token: str, result: SweepResult, calendars: Calendars
) -> list[Reminder]:
    """The claimed rows that are still ours and still to be sent, now; the others are closed.
    One transaction, so the rows loaded by the claim are not expired and re-read one by one."""
    # The fence: still claimed with our token (not reaped, not superseded by a re-plan meanwhile).
    held = set(
        session.scalars(
            select(Reminder.id).where(
                Reminder.id.in_([r.id for r in reminders]), Reminder.claim_token == token, Reminder.status == "claimed"
            )
        )
    )
    mine = [r for r in reminders if r.id in held]
    wanted = []
    reasons = untrue(session, mine, calendars) if mine else {}
    for reminder in mine:
        unwanted = _unwanted(reminder)
        if unwanted:
            _close(session, [reminder.id], token, "cancelled", unwanted)
            result.cancelled += 1
        elif reminder.id in reasons:
            _close(session, [reminder.id], token, "superseded", reasons[reminder.id])
            result.superseded += 1
        else:
            wanted.append(reminder)
    session.commit()
    return wanted


def _mark_sent(session: Session, ids: Sequence[int], now: datetime, *, token: str, message_id: str) -> None:
    # Guarded by the claim token: a row reclaimed by the reaper meanwhile is left alone. The token
    # is the one this sweeper claimed with, passed in: `reminder.claim_token` would be re-read
    # from the database after the previous commit expired it, i.e. the *current* holder's token
    # (or NULL once that holder marked it sent), and the guard would let a sweeper that lost its
    # claim put a row another sweeper has sent back to pending.
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.claim_token == token)
        .values(status="sent", sent_at=now, message_id=message_id, claim_token=None, last_error=""),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def _mark_failed(session: Session, ids: Sequence[int], now: datetime, *, token: str, error: str) -> None:
    """Another try used: back to pending after its back-off, or failed after the last one."""
    attempts = Reminder.attempts + 1
    session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.claim_token == token)
        .values(
            status=case((attempts >= MAX_ATTEMPTS, "failed"), else_="pending"),
            attempts=attempts,
            claim_token=None,
            last_error=error[:2000],
            next_attempt_at=case(
                *[(attempts == n, now + wait) for n, wait in enumerate(BACKOFF, start=1)],
                else_=None,
            ),
        ),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def request_url(outbox: Outbox, request_id: int) -> str:
    return f"{outbox.base_url}/requests/{request_id}"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def due_day(reminder: Reminder) -> date:
    """The day the reminder was to reach its recipient (London)."""
    return _utc(reminder.due_at).astimezone(LONDON).date()


def is_late(reminder: Reminder, today: date | None) -> bool:
    """Planned before it fell due, but going out on a later day (a crash, an outage, downtime).
    A reminder planned after its day (a request logged late) is news, not late."""
    if today is None or due_day(reminder) >= today:
        return False
    return reminder.created_at is None or _utc(reminder.created_at) <= _utc(reminder.due_at)


def describe(reminder: Reminder, today: date | None = None) -> str:
    """One line: what is due, for which council (and, sent on a later day than due, that it is late)."""
    r = reminder.request
    kind = ReminderKind(reminder.kind)
    late = is_late(reminder, today)
    days = f"{reminder.days_before} working day{'' if reminder.days_before == 1 else 's'}"
    when = {
        ReminderKind.DUE_SOON: f"due {uk_date(reminder.target_date)} ({days}' warning)"
        if late
        else f"due {uk_date(reminder.target_date)} ({days} left)",
        ReminderKind.DUE_TODAY: f"due {uk_date(reminder.target_date)}"
        if late
        else f"due today, {uk_date(reminder.target_date)}",
        ReminderKind.OVERDUE: f"was due {uk_date(reminder.target_date)}",
        ReminderKind.VERY_OVERDUE: f"very overdue since {uk_date(reminder.target_date)}",
        ReminderKind.REVIEW_DUE: f"internal review due {uk_date(reminder.target_date)}",
        ReminderKind.REVIEW_OVERDUE: f"the internal review was due {uk_date(reminder.target_date)}",
        ReminderKind.REVIEW_WINDOW_CLOSES: f"ask for a review by {uk_date(reminder.target_date)} ({days} left)",
        ReminderKind.COMPLAINT_WINDOW_CLOSES: f"complain by {uk_date(reminder.target_date)} ({days} left)",
        ReminderKind.APPEAL_WINDOW_CLOSES: f"appeal by {uk_date(reminder.target_date)} ({days} left)",
        ReminderKind.CLARIFICATION_OWED: f"the council asked us on {uk_date(reminder.target_date)}",
        ReminderKind.FIGURES_MISSING: f"answered {uk_date(reminder.target_date)}, figures not entered",
    }[kind]
    line = f"{kind.label}: {r.authority.short_name} — {r.subject} — {when}"
    return f"{line} — sent late: it was due to reach you on {uk_date(due_day(reminder))}" if late else line


LATE_NOTE = "We could not send this on the day it was due (our fault, not yours); it is sent late, not dropped."


def _email(outbox: Outbox, reminder: Reminder, today: date | None = None) -> EmailMessage:
    message = EmailMessage()
    message["To"] = reminder.user.email
    message["Subject"] = f"[fointracker] {describe(reminder, today)}"[:250]
    # Stable across retries: at-least-once delivery shows up once in the inbox.
    message["Message-ID"] = f"<reminder-{reminder.id}@{outbox.sender_domain}>"
    url = request_url(outbox, reminder.request_id)
    note = f"{LATE_NOTE}\n\n" if is_late(reminder, today) else ""
    message.set_content(
        f"{describe(reminder, today)}\n\n{note}Campaign: {reminder.request.campaign.title}\n"
        f"Open the request: {url}\n\nChange what you receive: {outbox.base_url}/account/reminders\n"
    )
    message.add_alternative(
        _html([(describe(reminder, today), url)], reminder.request.campaign.title, outbox), subtype="html"
    )
    return message


def _html(items: list[tuple[str, str]], heading: str, outbox: Outbox) -> str:
    from markupsafe import escape

    rows = "".join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in items)
    return (
        f'<!doctype html><html><body><h1 style="font-size:18px">{escape(heading)}</h1><ul>{rows}</ul>'
        f'<p><a href="{escape(outbox.base_url)}/account/reminders">Change what you receive</a></p></body></html>'
    )


def deliver(
    session: Session,
    outbox: Outbox,
    reminder: Reminder,
    now: datetime,
    result: SweepResult,
    *,
    token: str,
    calendars: Calendars | None = None,
) -> None:
    """Send one claimed row; `token` is the claim token it was claimed with (see `_mark_sent`).
    Just before sending: still ours, still wanted, still true (see `_screen`)."""
    today = now.astimezone(LONDON).date()
    if not _screen(session, [reminder], token, result, calendars or Calendars.from_db(session)):
        return
    try:
        if reminder.channel == "webhook":
            url = reminder.request.campaign.webhook_url
            if not url:
                raise DeliveryError("the campaign no longer has a webhook")
            outbox.webhooks.send(
                url,
                {
                    "text": f"{describe(reminder, today)} <{request_url(outbox, reminder.request_id)}>",
                    "reminder_id": reminder.id,
                    "kind": reminder.kind,
                    "request_id": reminder.request_id,
                },
            )
            message_id = f"webhook-{reminder.id}"
        else:
            message = _email(outbox, reminder, today)
            outbox.mailer.send(message)
            message_id = message["Message-ID"]
    except DeliveryError as exc:
        _mark_failed(session, [reminder.id], now, token=token, error=str(exc))
        result.failed += 1
        result.errors.append(str(exc))
        return
    outbox.fault_point("after_send")
    _mark_sent(session, [reminder.id], now, token=token, message_id=message_id)
    result.sent += 1


def _digest(outbox: Outbox, user_id: int, email: str, reminders: Sequence[Reminder], today: date) -> EmailMessage:
    message = EmailMessage()
    message["To"] = email
    n = len(reminders)
    message["Subject"] = f"[fointracker] {n} reminder{'' if n == 1 else 's'} for {uk_date(today)}"
    # Named by its content: the same digest sent again (a crash after the server took it) shows
    # once; a different one the same day (more items, a later part) is not hidden as a repeat.
    content = hashlib.sha256(",".join(str(r.id) for r in sorted(reminders, key=lambda r: r.id)).encode()).hexdigest()
    message["Message-ID"] = f"<digest-{user_id}-{today.isoformat()}-{content[:12]}@{outbox.sender_domain}>"
    items = [(describe(r, today), request_url(outbox, r.request_id)) for r in reminders]
    note = f"{LATE_NOTE}\n\n" if any(is_late(r, today) for r in reminders) else ""
    message.set_content(
        note
        + "\n".join(f"- {text}\n  {url}" for text, url in items)
        + f"\n\nChange what you receive: {outbox.base_url}/account/reminders\n"
    )
    message.add_alternative(_html(items, f"Your reminders for {uk_date(today)}", outbox), subtype="html")
    return message


def _owed(session: Session, user_id: int, due_by: datetime) -> bool:
    """Whether any of the user's digest items for the day is still unsent (waiting for a retry,
    or held by a sender): then the day's digest is not done."""
    owed = session.scalar(
        select(
            exists().where(
                Reminder.recipient_id == user_id,
                Reminder.channel == "email",
                Reminder.status.in_(("pending", "claimed")),
                Reminder.due_at < due_by,
            )
        )
    )
    session.commit()
    return bool(owed)


def send_digests(
    session: Session,
    outbox: Outbox,
    now: datetime,
    result: SweepResult,
    *,
    sender_id: str = "",
    calendars: Calendars | None = None,
) -> None:
    """One email a day per digest user, at or after their hour, with everything due that day
    (whatever their hour: a 06:00 digest lists the day's 07:00 reminders) and anything owed
    from earlier days (sent late, saying so). More than `digest_max_items` go as several emails.
    The day is done only when nothing due by its end is left unsent."""
    calendars = calendars or Calendars.from_db(session)
    local = now.astimezone(LONDON)
    today = local.date()
    day_end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    users = session.execute(
        select(User.id, User.email).where(
            User.active,
            User.reminder_mode == "digest",
            User.digest_hour <= local.hour,
            or_(User.last_digest_on.is_(None), User.last_digest_on < today),
        )
    ).all()
    session.commit()
    for user_id, email in users:
        failed = False
        while not failed:
            reminders = claim(
                session, now, outbox.digest_max_items, recipient_id=user_id, sender_id=sender_id, due_by=day_end
            )
            if not reminders:
                break
            outbox.fault_point("after_claim")
            token = reminders[0].claim_token  # read before any commit expires it
            wanted = _screen(session, reminders, token, result, calendars)
            if not wanted:
                continue
            message = _digest(outbox, user_id, email, wanted, today)
            try:
                outbox.mailer.send(message)
            except DeliveryError as exc:
                _mark_failed(session, [r.id for r in wanted], now, token=token, error=str(exc))
                result.failed += len(wanted)
                result.errors.append(str(exc))
                failed = True  # last_digest_on stays: the digest is tried again at a later sweep
                continue
            outbox.fault_point("after_send")
            _mark_sent(session, [r.id for r in wanted], now, token=token, message_id=message["Message-ID"])
            result.digests += 1
            result.sent += len(wanted)
        if not failed and not _owed(session, user_id, day_end):
            session.execute(update(User).where(User.id == user_id).values(last_digest_on=today))
            session.commit()


def sweep(session: Session, outbox: Outbox, now: datetime | None = None, batch_size: int = 200) -> SweepResult:
    """Everything that is due by `now`: reap dead senders' claims, send, digest."""
    # In UTC: SQLite stores an aware datetime's wall-clock time and drops its offset, so a
    # `--now` given with +01:00 would otherwise be compared (and stored) an hour out.
    now = clock.now() if now is None else (now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC))
    session.commit()  # start from a clean transaction (see `claim`)
    result = SweepResult(reaped=reap(session, now))
    calendars = Calendars.from_db(session)
    session.commit()
    with Sender(session) as sender:
        while True:
            reminders = claim(session, now, batch_size, sender_id=sender.id)
            if not reminders:
                break
            outbox.fault_point("after_claim")
            token = reminders[0].claim_token  # read before the first commit expires it (see `_mark_sent`)
            for reminder in reminders:
                try:
                    deliver(session, outbox, reminder, now, result, token=token, calendars=calendars)
                except Exception as exc:  # a bug, not a delivery failure: record it on the row, go on
                    session.rollback()
                    log.exception("reminder %s could not be delivered", reminder.id)
                    _mark_failed(
                        session, [reminder.id], now, token=token, error=f"internal error: {type(exc).__name__}: {exc}"
                    )
                    result.failed += 1
        send_digests(session, outbox, now, result, sender_id=sender.id, calendars=calendars)
    return result
