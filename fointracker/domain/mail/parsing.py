"""Reading one RFC 822 message into what intake needs (#16). Mail is hostile input: sizes and
counts are bounded (MailLimits), charsets decoded (decoding.py), HTML never kept raw
(html_text.py), and a malformed message comes back with its problems listed rather than raising.
UnparseableMessage is raised only for bytes that are not a message at all.

The walk: multipart/alternative reads its text/plain part (else the HTML one as text); a nested
message/rfc822 adds its text (after a one-line note saying whose it was) and its attachments;
a delivery report gives the bounce; a ZIP is kept and listed; a winmail.dat is opened into its
files. The text is split into what is new and the quoted history (quoting.py)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message

from .attachments import is_tnef, is_zip, safe_filename, tnef_files, tnef_origin_note, zip_note
from .bounces import is_auto_reply, looks_like_text_bounce, read_delivery_status, read_text_bounce
from .decoding import decode_bytes, one_line
from .headers import (
    RECIPIENT_HEADERS,
    addresses,
    describe_defect,
    first_message_id,
    message_ids,
    raw_header,
    raw_headers,
    sent_date,
    subject,
)
from .html_text import html_to_text
from .quoting import split_quoted

MAX_PROBLEMS = 30
_MAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "received", "return-path", "sender", "reply-to",
    "mime-version", "content-type", "delivered-to", "in-reply-to", "references", "x-original-to",
}  # fmt: skip
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_HEADER_SCAN_BYTES = 1024 * 1024


class UnparseableMessage(ValueError):
    """Not an email message at all (empty, no headers): the reason is the message."""


@dataclass(frozen=True)
class MailLimits:
    max_bytes: int = 30 * 1024 * 1024  # a larger message: only its headers are read
    max_parts: int = 200  # MIME parts walked, all levels together
    max_attachments: int = 50  # files kept (a winmail.dat's files count one by one)
    max_attachment_bytes: int = 25 * 1024 * 1024  # all kept files together
    max_text_chars: int = 200_000  # each of text and quoted
    max_depth: int = 5  # messages inside messages; multipart sections may nest 4 times deeper


@dataclass
class ParsedAttachment:
    filename: str  # safe to show: no folders, no control characters, at most 180 characters
    content_type: str
    data: bytes
    note: str = ""  # e.g. "ZIP holds 2 files: a.pdf, b.xlsx" (at most 500 characters)


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


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _header_block(raw: bytes) -> bytes:
    head = raw[:_HEADER_SCAN_BYTES]
    end = _HEADER_END.search(head)
    return head[: end.start()] + b"\n\n" if end else head


def parse_message(raw: bytes, limits: MailLimits = MailLimits()) -> ParsedMessage:
    if not raw or not raw.strip():
        raise UnparseableMessage("the message is empty")
    raw = bytes(raw)
    parsed = ParsedMessage(content_hash=hashlib.sha256(raw).hexdigest(), size=len(raw))
    read_body = len(raw) <= limits.max_bytes
    if not read_body:
        parsed.problems.append(
            f"the message is {_megabytes(len(raw))}, over the {_megabytes(limits.max_bytes)} limit: "
            "only its headers were read"
        )
    try:
        message = message_from_bytes(raw if read_body else _header_block(raw), policy=policy.default)
    except RecursionError:
        parsed.problems.append("the message is nested too deeply to read: only its headers were read")
        read_body = False
        message = message_from_bytes(_header_block(raw), policy=policy.default)
    if not any(key.lower() in _MAIL_HEADERS for key, _ in message.raw_items()):
        raise UnparseableMessage("no mail headers found (From, To, Subject, Date...): not an email message")
    _read_headers(message, parsed)
    reader = _BodyReader(limits, parsed)
    if read_body:
        try:
            reader.read(message, depth=0, nested=0, into=reader.text)
        except Exception as exc:  # the stdlib on hostile input; whatever was read so far is kept
            reader.problem(f"part of the message could not be read ({type(exc).__name__})")
    reader.finish(message)
    return parsed


def _read_headers(message: Message, parsed: ParsedMessage) -> None:
    parsed.message_id = first_message_id(raw_header(message, "Message-ID"))
    parsed.in_reply_to = first_message_id(raw_header(message, "In-Reply-To"))
    parsed.references = message_ids(raw_header(message, "References"))
    senders = addresses(raw_headers(message, "From")) or addresses(raw_headers(message, "Sender"))
    if senders:
        parsed.from_name, parsed.from_addr = senders[0]
    recipients = addresses([value for name in RECIPIENT_HEADERS for value in raw_headers(message, name)])
    parsed.to_addrs = list(dict.fromkeys(address for _, address in recipients))
    parsed.subject = subject(message)
    parsed.date = sent_date(message)


def _content_type(part: Message) -> str:
    try:
        return one_line(part.get_content_type(), 120).lower()
    except Exception:
        return "application/octet-stream"


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # a Content-Disposition the stdlib cannot read
        return ""


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


class _BodyReader:
    """Walks the MIME tree once, within the limits, collecting text, attachments and bounce facts."""

    def __init__(self, limits: MailLimits, parsed: ParsedMessage) -> None:
        self.limits, self.parsed = limits, parsed
        self.parts = 0
        self.attachment_bytes = 0
        self.text: list[str] = []  # segments of the body, each split into new and quoted at the end
        self.history: list[str] = []  # segments that are history anyway (the message a bounce returns)
        self.delivery_reports: list[tuple[list[str], str, bool]] = []

    def problem(self, text: str) -> None:
        if text not in self.parsed.problems and len(self.parsed.problems) < MAX_PROBLEMS:
            self.parsed.problems.append(text)

    # ------------------------------------------------------------------ walking

    def read(self, part: Message, depth: int, nested: int, into: list[str]) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            self.problem(f"more than {self.limits.max_parts} MIME parts: the rest were skipped")
            return
        for defect in getattr(part, "defects", []):
            self.problem(describe_defect(defect))
        content_type = _content_type(part)
        if content_type == "message/delivery-status":
            self.delivery_reports.append(read_delivery_status(part))
        elif content_type == "message/rfc822" and part.is_multipart():
            self._read_nested_message(part, depth, nested, into)
        elif part.is_multipart():
            if depth >= self.limits.max_depth * 4:
                self.problem(f"multipart sections nested more than {self.limits.max_depth * 4} deep were skipped")
                return
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            if content_type == "multipart/alternative":
                self._read_alternative(children, depth, nested, into)
            elif content_type == "multipart/report":
                for child in children:
                    returned = _content_type(child) in ("message/rfc822", "text/rfc822-headers")
                    self.read(child, depth + 1, nested, self.history if returned else into)
            else:
                for child in children:
                    self.read(child, depth + 1, nested, into)
        else:
            self._read_leaf(part, content_type, into)

    def _read_alternative(self, children: list[Message], depth: int, nested: int, into: list[str]) -> None:
        """The plain-text version when there is one with text in it, else the richest (the last)."""
        plain = [c for c in children if _content_type(c) == "text/plain" and not c.is_multipart()]
        if plain:
            found: list[str] = []
            self.read(plain[0], depth + 1, nested, found)
            if any(segment.strip() for segment in found):
                into.extend(found)
                return
        if children and children[-1] is not (plain[0] if plain else None):
            self.read(children[-1], depth + 1, nested, into)

    def _read_nested_message(self, part: Message, depth: int, nested: int, into: list[str]) -> None:
        if nested >= self.limits.max_depth:
            self.problem(f"messages attached more than {self.limits.max_depth} deep were skipped")
            return
        inner = next((child for child in part.get_payload() if isinstance(child, Message)), None)
        if inner is None:
            return
        sender = addresses(raw_headers(inner, "From"))
        who = sender[0][1] if sender else "unknown sender"
        when = sent_date(inner)
        said = f"[Attached message from {who}" + (f", {when:%d %b %Y}" if when else "")
        into.append(said + (f": {subject(inner)}" if subject(inner) else "") + "]")
        self.read(inner, depth + 1, nested + 1, into)

    def _decoded(self, part: Message) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except Exception:
            self.problem("a part's content could not be decoded")
            return b""
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        for defect in getattr(part, "defects", []):  # decoding base64 adds its own defects
            self.problem(describe_defect(defect))
        return data or b""

    def _read_leaf(self, part: Message, content_type: str, into: list[str]) -> None:
        filename = _filename(part)
        inline_text = content_type in ("text/plain", "text/html") and not filename
        if inline_text and _disposition(part) != "attachment":
            data = self._decoded(part)
            most = self.limits.max_text_chars * 4  # cut before decoding: a character is at most 4 bytes (UTF-8)
            if len(data) > most:
                self.problem(f"the text is longer than {self.limits.max_text_chars:,} characters: the rest was cut")
                data = data[:most]
            text, problem = decode_bytes(data, _charset(part))
            if problem:
                self.problem(problem)
            if content_type == "text/html":
                text = html_to_text(text)
            into.append(text)
        else:
            self._attach(part, content_type, filename)

    # ------------------------------------------------------------------ attachments

    def _room_for(self, name: str, size: int) -> bool:
        if len(self.parsed.attachments) >= self.limits.max_attachments:
            self.problem(f"more than {self.limits.max_attachments} attachments: the rest were skipped")
            return False
        if self.attachment_bytes + size > self.limits.max_attachment_bytes:
            self.problem(
                f"{name} ({_megabytes(size)}) skipped: attachments are limited to "
                f"{_megabytes(self.limits.max_attachment_bytes)} in all"
            )
            return False
        return True

    def _keep(self, name: str, content_type: str, data: bytes, note: str = "") -> None:
        if self._room_for(name, len(data)):
            self.attachment_bytes += len(data)
            self.parsed.attachments.append(_attachment(name, content_type, data, note))

    def _attach(self, part: Message, content_type: str, filename: str) -> None:
        name = safe_filename(filename, content_type)
        if not self._room_for(name, _decoded_size_at_least(part)):  # known too big before decoding it
            return
        data = self._decoded(part)
        if is_tnef(name, content_type):
            files, note = tnef_files(data)
            if not files:
                self._keep(name, content_type, data, note)
                return
            origin = tnef_origin_note([file_name for file_name, _, _ in files])
            for file_name, file_type, file_data in files:
                self._keep(file_name, file_type, file_data, origin)
            return
        self._keep(name, content_type, data, zip_note(data) if is_zip(name, content_type) else "")

    # ------------------------------------------------------------------ the result

    def _bounded(self, text: str, what: str) -> str:
        if len(text) <= self.limits.max_text_chars:
            return text
        self.problem(f"the {what} is longer than {self.limits.max_text_chars:,} characters: the rest was cut")
        return text[: self.limits.max_text_chars]

    def finish(self, message: Message) -> None:
        parsed = self.parsed
        new, quoted = [], []
        for segment in self.text:
            fresh, history = split_quoted(segment)
            if fresh.strip():
                new.append(fresh)
            if history.strip():
                quoted.append(history)
        quoted.extend(segment.strip("\n") for segment in self.history if segment.strip())
        parsed.text = self._bounded("\n\n".join(new), "text")
        parsed.quoted = self._bounded("\n\n".join(quoted), "quoted history")
        self._read_bounce(raw_header(message, "X-Failed-Recipients"))
        delay_warning = any(not failed for _, _, failed in self.delivery_reports)
        parsed.is_auto_reply = parsed.is_bounce or delay_warning or is_auto_reply(message, parsed.subject)

    def _read_bounce(self, failed_recipients_header: str) -> None:
        parsed = self.parsed
        for recipients, reason, failed in self.delivery_reports:
            if failed:
                parsed.is_bounce = True
                parsed.bounced_recipients += [r for r in recipients if r not in parsed.bounced_recipients]
                parsed.bounce_reason = parsed.bounce_reason or reason
        if not parsed.is_bounce and looks_like_text_bounce(parsed.from_addr, parsed.from_name, parsed.subject):
            parsed.is_bounce = True
            recipients, reason = read_text_bounce("\n\n".join(self.text), failed_recipients_header)
            parsed.bounced_recipients, parsed.bounce_reason = recipients, reason


def _decoded_size_at_least(part: Message) -> int:
    encoded = part.get_payload()
    if not isinstance(encoded, str) or raw_header(part, "Content-Transfer-Encoding").strip().lower() != "base64":
        return 0
    return max(0, (len(encoded) - sum(map(encoded.count, " \t\r\n"))) * 3 // 4 - 2)


def _attachment(name: str, content_type: str, data: bytes, note: str) -> ParsedAttachment:
    return ParsedAttachment(filename=name, content_type=content_type, data=data, note=note)
