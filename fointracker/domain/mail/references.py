"""How a reply finds its request (#16): our reference in the subject ("FT-123"), and the reply
address unique to each request ("foi+{token}@example.org", plus-addressing on a domain the group
controls). The token is unguessable and only lower-case letters and digits, so no mail server
re-cases, quotes or mangles it on the way back."""

from __future__ import annotations

import base64
import re
import secrets

TOKEN_PLACEHOLDER = "{token}"
TOKEN_BYTES = 20  # 160 bits
MAX_REQUEST_ID = 2**31 - 1  # request ids are PostgreSQL integers
# "FT-123", also "ft-123" and "FT–123" (Outlook turns a typed hyphen into an en dash), not "SOFT-123" or "FT-1234x".
_OUR_REFERENCE = re.compile(r"(?<![A-Za-z0-9])FT[-\u2010\u2011\u2013](\d{1,10})(?![\dA-Za-z])", re.IGNORECASE)


def our_mail_reference(request_id: int) -> str:
    return f"FT-{request_id}"


def find_our_references(text: str) -> list[int]:
    """The request ids our references in `text` name, each once, in the order they appear."""
    found: list[int] = []
    for match in _OUR_REFERENCE.finditer(text or ""):
        request_id = int(match.group(1))
        if 0 < request_id <= MAX_REQUEST_ID and request_id not in found:
            found.append(request_id)
    return found


def new_reply_token() -> str:
    """160 random bits as 32 lower-case letters and digits (base32 without padding)."""
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii").lower().rstrip("=")


def _check_template(template: str) -> None:
    if template.count(TOKEN_PLACEHOLDER) != 1 or template.count("@") != 1:
        raise ValueError(
            f"a reply address template needs one {TOKEN_PLACEHOLDER} and one @, e.g. foi+{{token}}@example.org"
        )


def reply_address(template: str, token: str) -> str:
    _check_template(template)
    return template.replace(TOKEN_PLACEHOLDER, token)


def token_from_addresses(template: str, addresses: list[str]) -> str | None:
    """The token in the first address the template matches (case-insensitive), or None."""
    if not template or template.count(TOKEN_PLACEHOLDER) != 1:
        return None
    before, after = template.split(TOKEN_PLACEHOLDER)
    pattern = re.compile(re.escape(before) + r"([a-z0-9]{1,64})" + re.escape(after), re.IGNORECASE)
    for address in addresses:
        match = pattern.fullmatch((address or "").strip())
        if match:
            return match.group(1).lower()
    return None
