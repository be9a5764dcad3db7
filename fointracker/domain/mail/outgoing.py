"""Letters by email (#16), the pure part: which step each letter records, its subject line, its
Message-ID and thread headers, and the message itself. No database, no Flask, no clock."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ..lifecycle import EventKind
from ..regimes import Regime

LETTER_KINDS = ("request", "chaser", "review", "complaint")
FOLLOW_UP_KINDS = ("chaser", "review", "complaint")

# The step the timeline records once the mail server has accepted the letter.
STEP_FOR = {
    "request": EventKind.SENT,
    "chaser": EventKind.CHASED,
    "review": EventKind.REVIEW_REQUESTED,
    "complaint": EventKind.COMPLAINT_LODGED,
}
SUBJECT_PREFIX = {"request": "", "chaser": "Overdue: ", "review": "Internal review: ", "complaint": "Complaint: "}
LABEL = {"request": "Request", "chaser": "Chaser", "review": "Internal review request", "complaint": "Complaint"}

# References keeps the first Message-ID and the latest ones (RFC 5322 3.6.4 lets a long thread be
# trimmed this way): enough for any mail program to thread, bounded for a thread of hundreds.
MAX_REFERENCES = 20
MAX_SUBJECT = 480  # mail_message.subject holds 500
FILL_IN_MARK = re.compile(r"\[say [^\]]*\]")  # domain.letters.FILL_IN and its like: still to complete


def step_details(letter_kind: str, regime: str) -> dict:
    """The step's details, as domain.event_details checks them."""
    if letter_kind == "chaser":
        return {"method": "email"}
    if letter_kind == "complaint":
        return {"regulator": "SIC" if Regime(regime) in (Regime.FOISA, Regime.EISR) else "ICO"}
    return {}


def subject_line(letter_kind: str, request_subject: str, our_reference: str, council_reference: str = "") -> str:
    """`Overdue: Adult social care budgets (our ref. FT-12; your ref. FOI/123)`: the request's subject and
    our mail reference always (replies are matched by it), the council's own on a follow-up."""
    refs = f"our ref. {our_reference}"
    if council_reference.strip() and letter_kind != "request":
        refs += f"; your ref. {council_reference.strip()}"
    tail = f" ({refs})"
    subject = " ".join((request_subject or "").split())  # no line breaks in a header
    room = MAX_SUBJECT - len(tail) - len(SUBJECT_PREFIX[letter_kind])
    if len(subject) > room:
        subject = subject[: room - 1].rstrip() + "…"
    return SUBJECT_PREFIX[letter_kind] + subject + tail


def new_message_id(request_id: int, domain: str) -> str:
    """`<ft.{request id}.{random}@{domain}>`: the thread door of the intake reads the request id back."""
    return f"<ft.{request_id}.{secrets.token_hex(8)}@{domain or 'fointracker.local'}>"


def address_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").lower() if "@" in address else ""


@dataclass(frozen=True)
class ThreadHeaders:
    in_reply_to: str = ""
    references: str = ""


def thread_headers(message_ids: Sequence[str]) -> ThreadHeaders:
    """In-Reply-To the last message of the thread (ours or the council's), References the thread's
    Message-IDs, oldest first; `message_ids` in the order the messages were sent or received."""
    ids = [m.strip() for m in message_ids if m and m.strip()]
    ids = list(dict.fromkeys(ids))
    if not ids:
        return ThreadHeaders()
    kept = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ThreadHeaders(in_reply_to=ids[-1], references=" ".join(kept))


def unfinished_part(body: str) -> str | None:
    """The first `[say what ...]` the letter still asks its writer to complete, or None."""
    found = FILL_IN_MARK.search(body or "")
    return found.group(0) if found else None


def build_message(
    *,
    from_addr: str,
    to_addr: str,
    subject: str,
    body: str,
    message_id: str = "",
    reply_to: str = "",
    in_reply_to: str = "",
    references: str = "",
    date: datetime | None = None,
    draft: bool = False,
) -> EmailMessage:
    """The letter as a plain-text email. `draft`: an unsent draft for the group's own mail program
    (X-Unsent: 1 makes Outlook open it ready to send; no From, no Message-ID: the program sets them)."""
    message = EmailMessage()
    if from_addr and not draft:
        message["From"] = from_addr
    message["To"] = to_addr
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    if date is not None and not draft:
        message["Date"] = format_datetime(date)
    if message_id and not draft:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if draft:
        message["X-Unsent"] = "1"
    message.set_content(body or "", cte="quoted-printable")
    return message
