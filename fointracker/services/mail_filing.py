"""Filing an incoming message on a request, and what a person then does with it (#16).

A filed message carries the step its text suggests (domain.mail.classify), pending until a person
confirms it, corrects it or dismisses it: nothing changes a timeline unconfirmed, except an
acknowledgement when the campaign opted in (campaign.auto_confirm_acknowledgements). Confirming
records the step through services.timeline (so the deadlines are recomputed and the change is
audited) on the London date the message arrived, with the message's text and attachments as the
step's documents. A bounce marks the council's address failing instead and waits on the
dashboard's to-do until someone deals with it or mail goes to the council again.

Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..domain.lifecycle import EventKind
from ..domain.localtime import LONDON
from ..domain.mail.classify import suggest_step
from ..formatting import uk_datetime
from ..models import Authority, CampaignContact, FoiRequest, RequestEvent
from ..models.mail import MailMessage
from .attachments import attach_stored
from .audit import record
from .contacts import CAMPAIGN, foi_address
from .file_store import FileStore, StoredBlob
from .timeline import TimelineError, add_event

PENDING, CONFIRMED, DISMISSED = "pending", "confirmed", "dismissed"
MESSAGE_DOCUMENT = "message.txt"


class FilingError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def file_to_request(
    session: Session,
    message: MailMessage,
    foi_request: FoiRequest,
    reason: str,
    *,
    store: FileStore,
    user_id: int | None,
    bounced_recipients: list[str] | None = None,
) -> None:
    """Put `message` on `foi_request`: the reason, the suggested step, a bounce's failing address
    (`bounced_recipients`: the addresses the bounce names), and an acknowledgement confirmed at
    once when the campaign asks for that."""
    message.request = foi_request
    message.request_id = foi_request.id
    message.campaign_id = foi_request.campaign_id
    message.status = "filed"
    message.match_reason = reason[:500]
    message.suggestion, message.suggestion_state = {}, ""
    if message.is_bounce:
        mark_address_failing(session, foi_request, message, bounced_recipients or [], user_id)
        session.flush()
        return
    suggestion = suggest_step(message.subject, message.body_text, foi_request.regime)
    if message.is_auto_reply and (suggestion is None or suggestion.kind != EventKind.ACKNOWLEDGED.value):
        # An out-of-office says nothing of the request; a case system's automatic acknowledgement does.
        suggestion = None
    if suggestion is not None:
        message.suggestion = {
            "kind": suggestion.kind,
            "details": dict(suggestion.details),
            "phrases": list(suggestion.phrases),
        }
        message.suggestion_state = PENDING
    session.flush()
    if suggestion is not None and suggestion.kind == EventKind.ACKNOWLEDGED.value:
        if foi_request.campaign.auto_confirm_acknowledgements:
            try:
                with session.begin_nested():  # a refused step leaves the suggestion pending, nothing else
                    confirm(session, message, store=store, user_id=user_id)
            except (TimelineError, FilingError):
                pass


def arrived_on(message: MailMessage) -> date:
    """The London date the message reached us: the step's date."""
    arrived = message.received_at or message.created_at or clock.now()
    if arrived.tzinfo is None:  # SQLite hands back naive datetimes, stored in UTC
        arrived = arrived.replace(tzinfo=UTC)
    return arrived.astimezone(LONDON).date()


def confirm(
    session: Session,
    message: MailMessage,
    *,
    store: FileStore,
    user_id: int | None,
    kind: str | None = None,
    details: dict | None = None,
    occurred_on: date | None = None,
    note: str | None = None,
) -> RequestEvent:
    """Record the suggested step (or, correcting it, `kind` with `details`) on the message's
    request, its text and files becoming the step's documents. TimelineError when the
    timeline refuses it; FilingError when there is nothing to confirm."""
    foi_request = message.request
    if foi_request is None or message.direction != "in":
        raise FilingError("file the message on a request first", "request_id")
    if message.suggestion_state == CONFIRMED or message.event_id is not None:
        raise FilingError("this message's step is recorded already")
    if kind is None:
        if not message.suggestion:
            raise FilingError("nothing is suggested: choose what happened", "kind")
        kind, details = message.suggestion["kind"], message.suggestion.get("details") or {}
    try:
        kind = EventKind(kind).value
    except ValueError:
        raise FilingError("choose what happened", "kind") from None
    event = add_event(
        session,
        foi_request,
        kind=kind,
        occurred_on=occurred_on or arrived_on(message),
        details=details or {},
        note=note if note is not None else f"From the email “{message.subject}”"[:500],
        user_id=user_id,
    )
    text_blob = store.put(session, message_document(message).encode("utf-8"))
    attach_stored(session, event, MESSAGE_DOCUMENT, "text/plain", text_blob, user_id)
    for attachment in message.attachments:
        attach_stored(
            session,
            event,
            attachment.filename,
            attachment.content_type,
            StoredBlob(attachment.sha256, attachment.size),
            user_id,
        )
    message.event = event
    message.suggestion_state = CONFIRMED
    session.flush()
    return event


def message_document(message: MailMessage) -> str:
    """The message as the step's text document: who, when, what, then the text (quotes folded away)."""
    lines = [
        f"From: {message.from_addr}",
        f"To: {message.to_addr}",
        f"Date: {uk_datetime(message.received_at)}" if message.received_at else "",
        f"Subject: {message.subject}",
        "",
        message.body_text or "",
    ]
    return "\n".join(line for i, line in enumerate(lines) if line or i >= 4) + "\n"


def dismiss(session: Session, message: MailMessage, *, user_id: int | None) -> None:
    """No step for this message (or, for a bounce, dealt with: it leaves the to-do)."""
    if message.suggestion_state == CONFIRMED:
        raise FilingError("this message's step is recorded already: remove it from the timeline instead")
    message.suggestion_state = DISMISSED
    if message.request_id is not None:
        record(
            session,
            user_id=user_id,
            entity_type="request",
            entity_id=message.request_id,
            action="mail dismissed",
            after={"mail_message_id": message.id, "subject": message.subject[:200]},
        )
    session.flush()


def assign(
    session: Session, message: MailMessage, foi_request: FoiRequest, *, store: FileStore, user_id: int | None
) -> None:
    """A person files a triage message (or moves a misfiled one) on `foi_request`."""
    if message.direction != "in":
        raise FilingError("only incoming mail is filed")
    if message.suggestion_state == CONFIRMED:
        raise FilingError("its step is on the timeline already: remove that first to move it")
    before = message.request_id
    recipients = []
    if message.is_bounce and message.raw_sha256:  # the addresses it names are in the original
        from ..domain.mail.parsing import UnparseableMessage, parse_message

        try:
            recipients = parse_message(store.read(session, message.raw_sha256)).bounced_recipients
        except (OSError, UnparseableMessage):
            recipients = []
    file_to_request(
        session, message, foi_request, "filed here by hand", store=store, user_id=user_id, bounced_recipients=recipients
    )
    record(
        session,
        user_id=user_id,
        entity_type="request",
        entity_id=foi_request.id,
        action="mail filed",
        before={"request_id": before},
        after={"request_id": foi_request.id, "mail_message_id": message.id, "subject": message.subject[:200]},
    )
    session.flush()


def mark_address_failing(
    session: Session, foi_request: FoiRequest, message: MailMessage, recipients: list[str], user_id: int | None
) -> str | None:
    """Mark the address the request's mail goes to as failing (the campaign's own, when it has
    one, else the register's), if the bounce names it or names no address. The reason is the
    bounce's own words (message.last_error). Returns the address marked."""
    address, source = foi_address(session, foi_request.campaign_id, foi_request.authority_id)
    if not address:
        return None
    bounced = [a.strip().lower() for a in recipients if a and a.strip()]
    if bounced and address.lower() not in bounced:
        return None  # the address has changed since: the new one has not failed
    now = clock.now()
    reason = (message.last_error or "mail to it bounced")[:500]
    if source == CAMPAIGN:
        contact = session.scalars(
            select(CampaignContact).where(
                CampaignContact.campaign_id == foi_request.campaign_id,
                CampaignContact.authority_id == foi_request.authority_id,
            )
        ).one()
        contact.failing_since, contact.failure = now, reason
        entity_type, entity_id = "campaign", foi_request.campaign_id
    else:
        authority = session.get(Authority, foi_request.authority_id)
        authority.foi_email_failing_since, authority.foi_email_failure = now, reason
        entity_type, entity_id = "authority", foi_request.authority_id
    record(
        session,
        user_id=user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action="FOI address failing",
        after={"foi_email": address, "reason": reason, "mail_message_id": message.id},
    )
    return address
