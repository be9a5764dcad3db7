"""Telling bounces and automatic replies from a council's answer (#16).

A bounce says our letter never arrived: a delivery status notification (RFC 3464,
multipart/report; report-type=delivery-status) names the failed recipients and why; older
mail servers (Exim, some Exchange set-ups) send plain text from MAILER-DAEMON or postmaster
instead, with a subject everybody recognises. A DSN that only says "delayed" is not a bounce.

An automatic reply (RFC 3834 Auto-Submitted, the X-Autoreply family, Precedence: bulk/junk/
auto_reply, "Out of office"/"Automatic reply" subjects) is recognised so nobody mistakes it
for an answer. Councils' case systems also send their acknowledgements automatically: those
are automatic replies too, and still worth reading for the step they suggest.
"""

from __future__ import annotations

import re
from email.message import Message

from .decoding import clean_text, decode_header_value, one_line
from .headers import raw_header

MAX_REASON_CHARS = 500
MAX_RECIPIENTS = 50
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_BOUNCE_SUBJECTS = re.compile(
    r"^\s*(undelivered mail returned to sender|delivery status notification \(failure\)|undeliverable\b"
    r"|mail delivery failed|delivery has failed|returned mail\b|failure notice|undelivered mail\b"
    r"|mail delivery failure|delivery failure|non[- ]?delivery report)",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"away from (the )?office|on annual leave)\b",
    re.IGNORECASE,
)
# Where a plain-text bounce stops talking about the failure and starts quoting our message.
_BOUNCE_TEXT_END = re.compile(
    r"^\s*(-{3,}|={3,}|_{3,}|original message|return-path:|received:|reporting-mta:|this is a copy of the message"
    r"|the original message|message headers follow)",
    re.IGNORECASE,
)
_STATUS_MEANINGS = {
    "5.1.1": "the mailbox does not exist",
    "5.1.2": "the domain does not exist",
    "5.1.10": "the address does not exist",
    "5.2.1": "the mailbox is disabled",
    "5.2.2": "the mailbox is full",
    "5.4.1": "the recipient's server refused the message",
    "5.7.1": "the recipient's server refused the message (policy or spam filter)",
}


def is_auto_reply(headers: Message, subject: str) -> bool:
    auto_submitted = _header(headers, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if any(key.lower() in {"x-autoreply", "x-autorespond"} for key, _ in headers.raw_items()):
        return True
    if _header(headers, "Precedence").lower() in {"auto_reply", "bulk", "junk"}:
        return True
    return bool(_AUTO_REPLY_SUBJECTS.match(subject))


def _header(headers: Message, name: str) -> str:
    return one_line(decode_header_value(raw_header(headers, name)), MAX_REASON_CHARS)


def _addresses(text: str) -> list[str]:
    found: list[str] = []
    for address in _ADDRESS.findall(text):
        address = address.lower()
        if address not in found and address.split("@")[0] not in _BOUNCE_SENDERS:
            found.append(address)
    return found[:MAX_RECIPIENTS]


def _reason_from_fields(fields: Message) -> str:
    diagnostic = _header(fields, "Diagnostic-Code")
    if diagnostic:
        kind, _, text = diagnostic.partition(";")
        return one_line(text if text.strip() else kind, MAX_REASON_CHARS)
    status = _header(fields, "Status")
    if status:
        meaning = _STATUS_MEANINGS.get(status.split()[0], "")
        return f"status {status}" + (f": {meaning}" if meaning else "")
    return ""


def read_delivery_status(part: Message) -> tuple[list[str], str, bool]:
    """From a message/delivery-status part: (failed recipients, the reason, whether anything failed).
    Each recipient's block has Final-Recipient (or Original-Recipient), Action, Status, Diagnostic-Code."""
    try:
        blocks = part.get_payload()
    except Exception:
        return [], "", False
    if not isinstance(blocks, list):
        return [], "", False
    recipients: list[str] = []
    reasons: list[str] = []
    failed = False
    for block in blocks:  # the first block is about the message and has neither Action nor Status
        if not isinstance(block, Message):
            continue
        action = _header(block, "Action").lower()
        status = _header(block, "Status")
        if action in {"delayed", "delivered", "relayed", "expanded"} or status.startswith(("2", "4")):
            continue
        if not action and not status:
            continue
        failed = True
        for name in ("Final-Recipient", "Original-Recipient"):
            for address in _addresses(_header(block, name)):
                if address not in recipients:
                    recipients.append(address)
        reason = _reason_from_fields(block)
        if reason and reason not in reasons:
            reasons.append(reason)
    return recipients[:MAX_RECIPIENTS], one_line("; ".join(reasons), MAX_REASON_CHARS), failed


def looks_like_text_bounce(from_addr: str, from_name: str, subject: str) -> bool:
    """A plain-text bounce: from the mail system, with a bounce's subject."""
    local_part = from_addr.split("@")[0].lower()
    from_system = local_part in _BOUNCE_SENDERS or from_name.strip().lower() in {
        "mail delivery system",
        "mail delivery subsystem",
        "microsoft outlook",
    }
    return from_system and bool(_BOUNCE_SUBJECTS.match(subject))


def read_text_bounce(text: str, failed_header: str) -> tuple[list[str], str]:
    """(failed recipients, reason) from a plain-text bounce: X-Failed-Recipients (Exim) when
    given, otherwise addresses named before the bounce starts quoting our message."""
    lines = []
    for line in clean_text(text).split("\n")[:200]:
        if _BOUNCE_TEXT_END.match(line):
            break
        lines.append(line)
    explanation = "\n".join(lines)
    recipients = _addresses(decode_header_value(failed_header)) or _addresses(explanation)
    reason = ""
    for line in lines:  # the SMTP reply usually carries the reason: "550 5.1.1 <x@y>: User unknown"
        if re.search(r"\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b|\b55\d\b", line):
            reason = line
            break
    if not reason:
        reason = next((line for line in lines if line.strip() and "@" not in line), "")
    return recipients, one_line(reason, MAX_REASON_CHARS)
