"""Reading one RFC 822 message into what intake needs (#16). Mail is hostile input: sizes and
counts are bounded, charsets decoded, HTML never kept raw, and a malformed message comes back
with its problems listed rather than raising. (First cut: helper P completes it.)"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import getaddresses, parsedate_to_datetime


class UnparseableMessage(ValueError):
    """Not an email message at all (empty, no headers): the reason is the message."""


@dataclass(frozen=True)
class MailLimits:
    max_bytes: int = 30 * 1024 * 1024
    max_parts: int = 200
    max_attachments: int = 50
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_text_chars: int = 200_000
    max_depth: int = 5


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    note: str = ""  # e.g. "winmail.dat holds: a.pdf, b.xlsx"


@dataclass
class ParsedMessage:
    message_id: str = ""  # with its angle brackets, or ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_addr: str = ""  # bare address, lower case
    from_name: str = ""
    to_addrs: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To: bare, lower case
    subject: str = ""
    date: datetime | None = None  # aware
    text: str = ""  # the new text, quoted history removed
    quoted: str = ""  # the quoted history
    attachments: list[ParsedAttachment] = field(default_factory=list)
    is_auto_reply: bool = False
    is_bounce: bool = False
    bounced_recipients: list[str] = field(default_factory=list)
    bounce_reason: str = ""
    problems: list[str] = field(default_factory=list)
    content_hash: str = ""  # SHA-256 of the raw bytes
    size: int = 0


def parse_message(raw: bytes, limits: MailLimits = MailLimits()) -> ParsedMessage:
    if not raw or not raw.strip():
        raise UnparseableMessage("the message is empty")
    parsed = ParsedMessage(content_hash=hashlib.sha256(raw).hexdigest(), size=len(raw))
    message = message_from_bytes(raw, policy=policy.default)
    if not message.keys():
        raise UnparseableMessage("no mail headers found")
    parsed.message_id = (message.get("Message-ID") or "").strip()
    parsed.in_reply_to = (message.get("In-Reply-To") or "").strip()
    parsed.references = (message.get("References") or "").split()
    froms = getaddresses([str(message.get("From") or "")])
    if froms:
        parsed.from_name, parsed.from_addr = froms[0][0], froms[0][1].lower()
    headers = [str(message.get(h) or "") for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
    parsed.to_addrs = [address.lower() for _, address in getaddresses(headers) if address]
    parsed.subject = str(message.get("Subject") or "")
    try:
        parsed.date = parsedate_to_datetime(str(message.get("Date")))
    except (TypeError, ValueError):
        parsed.date = None
    body = message.get_body(preferencelist=("plain",))
    parsed.text = body.get_content() if body is not None else ""
    for part in message.iter_attachments():
        parsed.attachments.append(
            ParsedAttachment(
                part.get_filename() or "attachment", part.get_content_type(), part.get_payload(decode=True) or b""
            )
        )
    parsed.is_auto_reply = (message.get("Auto-Submitted") or "no").lower() != "no"
    parsed.is_bounce = message.get_content_type() == "multipart/report"
    return parsed
