"""The one intake behind the three doors (#16): IMAP, `fointracker mail receive`, uploads.

`receive` reads one message, files it once (the same Message-ID, or the same bytes when it has
none, is a duplicate however it comes in: mail_message.dedupe_key is unique, which also settles
two doors racing), keeps the original and its attachments in the file store, and files it on the
request services.mail_matching finds, or in triage with the reason. It never raises for bad mail:
a malformed message is filed by its headers when they match, else lands in triage with its
problems. Only UnparseableMessage (not a message at all) propagates. It flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..domain.mail.parsing import MailLimits, ParsedMessage, parse_message
from ..models import FoiRequest
from ..models.mail import MailAttachment, MailMessage
from .attachments import display_name
from .file_store import FileStore
from .mail_filing import file_to_request
from .mail_matching import match_message

SOURCES = ("imap", "pipe", "upload")


@dataclass
class IntakeResult:
    message: MailMessage
    filed_to: str  # "request", "triage" or "duplicate"
    reason: str

    def __str__(self) -> str:
        if self.filed_to == "duplicate":
            return f"duplicate of {self.message.id}"
        if self.filed_to == "request":
            return f"request {self.message.request_id}"
        return f"triage {self.message.id}"


def dedupe_key(parsed: ParsedMessage) -> str:
    """ "mid:<Message-ID>", or "sha:<SHA-256 of the bytes>" for a message without one. A
    Message-ID too long for the column is named by its own hash (still the same for a resend)."""
    message_id = parsed.message_id.strip()
    if not message_id:
        return f"sha:{parsed.content_hash}"
    if len(message_id) > 250:
        return "mid:#" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return f"mid:{message_id}"


def _existing(session: Session, key: str) -> MailMessage | None:
    return session.scalar(select(MailMessage).where(MailMessage.dedupe_key == key))


def _duplicate(message: MailMessage) -> IntakeResult:
    return IntakeResult(message, "duplicate", f"the same message was received already (message {message.id})")


def _arrived_at(parsed: ParsedMessage, source: str, now: datetime) -> datetime:
    """When it reached us: now, but for an uploaded file (saved from a mail program, perhaps
    weeks ago) its own Date when that is plausible."""
    if source == "upload" and parsed.date is not None:
        sent = parsed.date if parsed.date.tzinfo else parsed.date.replace(tzinfo=UTC)
        if datetime(2000, 1, 1, tzinfo=UTC) <= sent <= now:
            return sent.astimezone(UTC)
    return now


def receive(
    session: Session,
    raw: bytes,
    *,
    source: str,
    store: FileStore,
    config: Mapping,
    user_id: int | None = None,
    file_to: FoiRequest | None = None,
    limits: MailLimits | None = None,
) -> IntakeResult:
    """File one RFC 822 message (see the module's docstring). `file_to`: the request whose page
    it was uploaded on, which wins over matching."""
    parsed = parse_message(raw, limits or MailLimits())  # UnparseableMessage propagates
    key = dedupe_key(parsed)
    existing = _existing(session, key)
    if existing is not None:
        return _duplicate(existing)

    now = clock.now()
    raw_blob = store.put(session, raw)
    message = MailMessage(
        direction="in",
        status="triage",
        message_id=parsed.message_id[:255],
        in_reply_to=parsed.in_reply_to[:255],
        thread_references=" ".join(parsed.references)[:20000],
        from_addr=parsed.from_addr[:320],
        to_addr=", ".join(parsed.to_addrs)[:5000],
        subject=parsed.subject[:500],
        body_text=parsed.text,
        quoted_text=parsed.quoted,
        raw_sha256=raw_blob.sha256,
        size=parsed.size or len(raw),
        dedupe_key=key,
        source=source[:10],
        problems="\n".join(parsed.problems),
        is_auto_reply=parsed.is_auto_reply,
        is_bounce=parsed.is_bounce,
        last_error=parsed.bounce_reason[:2000] if parsed.is_bounce else "",
        suggestion={},
        received_at=_arrived_at(parsed, source, now),
        created_by_id=user_id,
    )
    for attachment in parsed.attachments:
        blob = store.put(session, attachment.data)
        message.attachments.append(
            MailAttachment(
                filename=display_name(attachment.filename or "attachment")[:255],
                content_type=(attachment.content_type or "application/octet-stream")[:120],
                size=blob.size,
                sha256=blob.sha256,
                note=(attachment.note or "")[:500],
            )
        )
    try:
        with session.begin_nested():  # the unique dedupe_key settles two doors racing
            session.add(message)
            session.flush()
    except IntegrityError:
        existing = _existing(session, key)
        if existing is None:
            raise
        return _duplicate(existing)

    if file_to is not None:
        request, reason = file_to, "uploaded on this request's page"
        campaign_id = file_to.campaign_id
    else:
        found = match_message(session, parsed, config, raw)
        request, reason, campaign_id = found.request, found.reason, found.campaign_id
    if request is not None:
        file_to_request(
            session,
            message,
            request,
            reason,
            store=store,
            user_id=user_id,
            bounced_recipients=parsed.bounced_recipients,
        )
        return IntakeResult(message, "request", message.match_reason)
    if parsed.problems:
        reason = f"{reason}; the message is malformed: {'; '.join(parsed.problems)}"
    message.match_reason = reason[:500]
    message.campaign_id = campaign_id
    session.flush()
    return IntakeResult(message, "triage", message.match_reason)
