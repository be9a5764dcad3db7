"""Sending letters by email (#16): queueing a request's letter or a follow-up, and the outbox
worker that hands them to the mail server, once, at most MAIL_PER_MINUTE a minute.

A queued letter is a MailMessage (direction "out", status "queued") holding everything that will
go: the council's address, our sender, the request's own reply address, the subject with our
reference FT-<id>, the letter, its Message-ID and thread headers. The worker (`send_due`) claims
due rows, sends them through delivery.Mailer, and records the step on the timeline (timeline.add_event:
the deadlines follow) dated the London day the server accepted it.

Exactly once, not at least once (unlike reminders, services.outbox): a letter sent twice is a
second FOI request to the council. A row goes queued -> claimed -> sending -> sent, each mark
committed before the next step:
- claimed: ours, not yet handed over. A sender that dies here loses nothing: the reaper puts the
  row back in the queue once the lease has passed and the sender's process lock is free.
- sending: committed just before the SMTP transaction. A sender that dies here (or between the
  server's "250" and our mark) leaves a row nobody can know the fate of. It is *not* sent again
  blindly: the reaper marks it failed, saying it may have gone, and a person checks the mailbox's
  Sent folder (or waits for the council's acknowledgement) before pressing Retry or Cancel. A lost
  letter shows in the outbox; a duplicate request cannot be taken back.
- A refusal from the server (DeliveryError) was not accepted: the row goes back to the queue after
  a back-off, failed after the last try, its error kept and shown. (The one ambiguous refusal, the
  connection dropping after the message's last byte, is retried with the same Message-ID, which
  receiving systems use to drop repeats.)

The throttle counts in the database, so web hosts and schedulers sharing it share it: a claim
takes at most MAIL_PER_MINUTE minus the letters sent in the last 60 seconds and those in flight,
counted and claimed under a lock (SQLite's write lock, PostgreSQL's transaction advisory lock).

Queueing flushes and the caller commits; the worker (services/mail_worker.py) commits, in small
transactions on purpose (as services.outbox does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..domain.mail.outgoing import (
    LABEL,
    LETTER_KINDS,
    address_domain,
    new_message_id,
    subject_line,
    thread_headers,
    unfinished_part,
)
from ..domain.mail.references import new_reply_token, our_mail_reference, reply_address
from ..models import FoiRequest, MailMessage
from .contacts import checked_address, foi_address


class SendingError(ValueError):
    """A letter that cannot be queued (or retried, cancelled): the message says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- queueing


def dedupe_key(foi_request: FoiRequest, letter_kind: str, today: date) -> str:
    """What makes a letter the same letter, held (unique) by the row while it is queued, in flight,
    sent or failed: the request letter once per request; a follow-up once a day per kind (a second
    chaser a fortnight later is a new letter, a second click is not)."""
    if letter_kind == "request":
        return f"out:{foi_request.id}:request"
    return f"out:{foi_request.id}:{letter_kind}:{today.isoformat()}"


def thread_message_ids(session: Session, request_id: int) -> list[str]:
    """The Message-IDs of the request's thread so far, ours (sent) and the council's, oldest first."""
    when = func.coalesce(MailMessage.sent_at, MailMessage.received_at, MailMessage.created_at)
    return list(
        session.scalars(
            select(MailMessage.message_id)
            .where(
                MailMessage.request_id == request_id,
                MailMessage.message_id != "",
                or_(MailMessage.direction == "in", MailMessage.status == "sent"),
            )
            .order_by(when, MailMessage.id)
        )
    )


def reply_to_for(foi_request: FoiRequest, config: Mapping) -> str:
    """The request's own reply address (MAIL_REPLY_TO, e.g. foi+{token}@example.org), its token made
    on first use; "" when no reply domain is configured."""
    template = (config.get("MAIL_REPLY_TO") or "").strip()
    if not template:
        return ""
    token = foi_request.reply_token or new_reply_token()
    try:
        address = reply_address(template, token)
    except ValueError as exc:
        raise SendingError(f"the reply address setting MAIL_REPLY_TO is wrong: {exc}") from None
    foi_request.reply_token = token
    return address


def sender_for(foi_request: FoiRequest, config: Mapping) -> str:
    return (foi_request.campaign.mail_from or "").strip() or config.get("MAIL_FROM", "fointracker@localhost")


def existing_letter(session: Session, foi_request: FoiRequest, letter_kind: str, today: date) -> MailMessage | None:
    return session.scalar(
        select(MailMessage).where(MailMessage.dedupe_key == dedupe_key(foi_request, letter_kind, today))
    )


def queue_letter(
    session: Session,
    foi_request: FoiRequest,
    letter_kind: str,
    user_id: int | None,
    subject: str | None = None,
    body: str | None = None,
    *,
    config: Mapping | None = None,
    to: str | None = None,
    today: date | None = None,
) -> MailMessage:
    """Queue one letter of `foi_request` for the outbox worker; SendingError says why not (already
    queued or sent, no address, nothing to send, still to be completed). `to` is for a complaint,
    which goes to the regulator, not the council. Flushes; the caller commits."""
    config = config or {}
    today = today or clock.today()
    if letter_kind not in LETTER_KINDS:
        raise SendingError(f"unknown letter {letter_kind!r}")
    council = foi_request.authority.short_name
    found = existing_letter(session, foi_request, letter_kind, today)
    if found is not None:
        raise SendingError(_already(found, council))
    if letter_kind == "request":
        if foi_request.sent_on is not None:
            raise SendingError(f"{council}: the request is already recorded as sent")
        body = foi_request.body if body is None else body
        if not (body or "").strip():
            raise SendingError(f"{council}: the request has no letter to send; write it on the request first")
    else:
        if foi_request.sent_on is None:
            raise SendingError(f"{council}: the request has not been sent yet")
        if not (body or "").strip():
            raise SendingError(f"{council}: the letter is empty")
        unfinished = unfinished_part(body)
        if unfinished:
            raise SendingError(f"complete the letter first: it still says {unfinished}")
    if letter_kind == "complaint":
        try:
            to_addr = checked_address(to)
        except ValueError as exc:
            raise SendingError(f"the regulator's address: {getattr(exc, 'message', exc)}") from None
    else:
        to_addr, _source = foi_address(session, foi_request.campaign_id, foi_request.authority_id)
        if not to_addr:
            raise SendingError(f"{council} has no FOI address: add one on the council's page")
    reply_to = reply_to_for(foi_request, config)
    from_addr = sender_for(foi_request, config)
    our_ref = our_mail_reference(foi_request.id)
    thread = thread_headers(thread_message_ids(session, foi_request.id)) if letter_kind != "request" else None
    message = MailMessage(
        direction="out",
        status="queued",
        campaign_id=foi_request.campaign_id,
        request_id=foi_request.id,
        letter_kind=letter_kind,
        message_id=new_message_id(foi_request.id, address_domain(reply_to) or address_domain(from_addr)),
        in_reply_to=thread.in_reply_to if thread else "",
        thread_references=thread.references if thread else "",
        from_addr=from_addr,
        to_addr=to_addr,
        reply_to=reply_to,
        subject=(subject or "").strip()
        or subject_line(letter_kind, foi_request.subject, our_ref, foi_request.council_reference or ""),
        body_text=body.replace("\r\n", "\n").strip() + "\n",
        dedupe_key=dedupe_key(foi_request, letter_kind, today),
        source="smtp",
        created_by_id=user_id,
    )
    if our_ref not in message.subject:  # replies are matched by it: an edited subject keeps it
        message.subject = f"{message.subject} ({our_ref})"
    try:
        with session.begin_nested():  # two clicks at once: the unique dedupe_key lets one through
            session.add(message)
            session.flush()
    except IntegrityError:
        raise SendingError(f"{council}: this letter was queued a moment ago") from None
    return message


def _already(message: MailMessage, council: str) -> str:
    label = LABEL.get(message.letter_kind, "letter").lower()
    if message.status == "sent":
        return f"{council}: the {label} was sent by email already"
    if message.status == "failed":
        return f"{council}: the {label} could not be sent; retry or cancel it in the outbox"
    return f"{council}: the {label} is already queued"


@dataclass
class QueueResult:
    queued: list[MailMessage] = field(default_factory=list)
    refused: list[tuple[FoiRequest, str]] = field(default_factory=list)  # (request, why)


def queue_requests(
    session: Session, requests: list[FoiRequest], user_id: int | None, *, config: Mapping
) -> QueueResult:
    """The request letters of many requests (a batch, the list's ticked ones): each queued or
    refused with its reason (no address, already queued or sent); the others still go. Flushes."""
    result = QueueResult()
    today = clock.today()
    for foi_request in requests:
        try:
            result.queued.append(queue_letter(session, foi_request, "request", user_id, config=config, today=today))
        except SendingError as exc:
            result.refused.append((foi_request, exc.message))
    return result


def retry(session: Session, message: MailMessage) -> None:
    """A failed letter back in the queue, due now, with fresh tries. Flushes."""
    if message.direction != "out" or message.status != "failed":
        raise SendingError("only a letter that failed can be retried")
    message.status, message.attempts, message.next_attempt_at = "queued", 0, None
    message.last_error = f"retried after: {message.last_error}"[:2000] if message.last_error else ""
    session.flush()


def cancel(session: Session, message: MailMessage) -> None:
    """A queued or failed letter that should not go. Its dedupe key is let go, so it can be queued again."""
    if message.direction != "out" or message.status not in ("queued", "failed"):
        raise SendingError("only a queued or failed letter can be cancelled")
    message.status, message.dedupe_key, message.claim_token = "cancelled", None, None
    session.flush()


# The worker lives in services/mail_worker.py; its entry point is named here, as the contract names it.
from .mail_worker import SendResult, reap, send_due  # noqa: E402,F401
