"""A council's FOI email address as people type or paste it: one bare address, or a reason why not.

An address is written into a message's To: header (issue #16, sending). A display name
("FOI Team <foi@x.gov.uk>"), a second address ("a@x, b@y") or a line break would change what
that header says, so each is refused with a reason, never repaired silently. The syntax itself
is RFC 5322's addr-spec as the maintained email-validator package reads it (no DNS lookup:
an address is checked offline, and a test never depends on the network).
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # RFC 5321 s.4.5.3.1.3: a path is at most 256 octets, with its angle brackets
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def address_problem(text: str) -> str | None:
    """Why `text` (already stripped) is not one bare email address, or None if it is."""
    if not text:
        return "give an email address"
    if _LINE_BREAKS.search(text):
        return "must be on one line: an address cannot contain a line break"
    if _CONTROL.search(text):
        return "contains an invisible control character: retype the address"
    if len(text) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if "<" in text or ">" in text or '"' in text:
        return "give the address alone, without a name or angle brackets (foi@council.gov.uk)"
    if any(separator in text for separator in (",", ";")) or len(text.split()) > 1:
        return "give one address only"
    if text.count("@") != 1:
        return "is not an email address: it needs one @ (foi@council.gov.uk)"
    try:
        validate_email(text, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as exc:
        return f"is not a valid email address: {exc}"
    return None
