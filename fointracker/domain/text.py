"""Text people type: what of it the app stores, and ids typed as text.

Stored text may hold anything but invisible control characters: PostgreSQL refuses NUL
bytes in text columns, XLSX (XML 1.0) cannot hold the other C0 control characters, and none
of them means anything in a council's name, a note or a figure. Tab, line feed and carriage
return are ordinary text and allowed.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CONTROL_CHARACTER_MESSAGE = (
    "contains an invisible control character (such as a NUL byte, often pasted from "
    "a PDF or a terminal) that cannot be saved: remove it and try again"
)


def control_character(text: str) -> str | None:
    """The first control character in `text`, written out (e.g. "\\x00"), or None."""
    match = CONTROL_CHARACTERS.search(text)
    return None if match is None else repr(match.group())[1:-1]


def replace_control_characters(text: str) -> str:
    """`text` with each control character shown as U+FFFD: for text stored before the rule
    above, which would otherwise make a whole XLSX export fail."""
    return CONTROL_CHARACTERS.sub("\ufffd", text)


MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger number is no row's, and an error to look up


def typed_id(text: str) -> int | None:
    """The id someone typed ("12"), or None when the text cannot be a row's id."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]{1,10}", text):  # ASCII digits only: int() also reads "١٢", str.isdigit() "²"
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
