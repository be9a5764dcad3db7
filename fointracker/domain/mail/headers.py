"""A message's headers as the fields intake stores (#16): ids, addresses, subject, date, each
decoded, cleaned and bounded to the size of its column (models/mail.py). Read from the raw
header values, so a header the stdlib's strict parser chokes on still yields what it can."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .decoding import clean_text, decode_header_value, one_line

MAX_ID_CHARS = 255
MAX_REFERENCES = 50
MAX_ADDRESS_CHARS = 320
MAX_ADDRESSES = 100
MAX_SUBJECT_CHARS = 500
MAX_NAME_CHARS = 200
MAX_HEADER_CHARS = 20_000  # a longer header is cut before it is read
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,253}>")
_BARE_ID = re.compile(r"[^<>\s@]{1,200}@[^<>\s@]{1,200}")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")

# The stdlib's names for what is wrong with a message, said plainly.
DEFECT_DESCRIPTIONS = {
    "StartBoundaryNotFoundDefect": "a multipart section has no start boundary (MIME structure broken)",
    "CloseBoundaryNotFoundDefect": "a multipart section is not closed (MIME structure broken, maybe truncated)",
    "NoBoundaryInMultipartDefect": "a multipart section declares no boundary (MIME structure broken)",
    "MultipartInvariantViolationDefect": "a multipart section holds no parts (MIME structure broken)",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation (malformed headers)",
    "MissingHeaderBodySeparatorDefect": "a line among the headers is not a header (malformed headers)",
    "MisplacedEnvelopeHeaderDefect": "an envelope 'From ' line inside the headers (malformed headers)",
    "InvalidBase64PaddingDefect": "a base64 part is badly padded (its content may be damaged)",
    "InvalidBase64CharactersDefect": "a base64 part holds invalid characters (its content may be damaged)",
    "InvalidBase64LengthDefect": "a base64 part has an impossible length (its content may be damaged)",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart section declares a content encoding",
}


def raw_header(message: Message, name: str) -> str:
    """The first `name` header as it came (8-bit bytes kept as surrogate escapes), bounded."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return str(value)[:MAX_HEADER_CHARS]
    return ""


def raw_headers(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(value)[:MAX_HEADER_CHARS] for key, value in message.raw_items() if key.lower() == wanted][:20]


def message_ids(value: str, limit: int = MAX_REFERENCES) -> list[str]:
    """The Message-IDs in a header, with their angle brackets; a bare "x@y" is bracketed.
    When there are more than `limit` the last ones are kept (a References header ends with the nearest)."""
    value = clean_text(value, keep_newlines=False)
    found = _MESSAGE_ID.findall(value)
    if not found:
        bare = _BARE_ID.search(value)
        found = [f"<{bare.group()}>"] if bare else []
    return found[-limit:]


def first_message_id(value: str) -> str:
    found = message_ids(value, limit=1_000)
    return found[0] if found else ""


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, bare lower-case address) pairs from address headers."""
    pairs = []
    try:
        parsed = getaddresses([clean_text(value, keep_newlines=False) for value in values])
    except Exception:  # getaddresses on hostile input: fall back to anything that looks like an address
        parsed = [("", found) for value in values for found in re.findall(r"[^\s<>,;\"]+@[^\s<>,;\"]+", value)]
    for name, address in parsed:
        address = one_line(address, MAX_ADDRESS_CHARS).lower()
        if "@" not in address:
            continue
        pairs.append((one_line(decode_header_value(name), MAX_NAME_CHARS), address))
        if len(pairs) >= MAX_ADDRESSES:
            break
    return pairs


def subject(message: Message) -> str:
    return one_line(decode_header_value(raw_header(message, "Subject")), MAX_SUBJECT_CHARS)


def sent_date(message: Message) -> datetime | None:
    """The Date header as an aware datetime (UTC when the header gives no zone), or None."""
    value = one_line(raw_header(message, "Date"), 200)
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # TypeError, ValueError, OverflowError, IndexError on odd dates
        return None
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def describe_defect(defect: object) -> str:
    name = type(defect).__name__
    return DEFECT_DESCRIPTIONS.get(name, f"malformed message ({name})")
