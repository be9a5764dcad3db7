"""Folding a reply's quoted history away (#16): a council's answer usually ends with our request
(or their earlier mail) quoted beneath it. The new part is what the request page shows; the
history is kept, folded. Only the usual shapes are recognised; when none is there the whole
text is new, which is the safe side (nothing the council wrote is hidden)."""

from __future__ import annotations

import re

# "On Mon, 2 Mar 2026 at 10:04, Jane <jane@x.org> wrote:" (Gmail, Apple Mail, Thunderbird), maybe wrapped.
_ON_WROTE = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
# "-----Original Message-----", "----- Original Message -----", "-----Original Message-----From: ..."
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE)
_OUTLOOK_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date):\*?\s+\S", re.IGNORECASE)
_OUTLOOK_ENDING = re.compile(r"^\s*\*?(To|Subject|Cc):\*?\s", re.IGNORECASE)
_MAX_CHECKED_LINE = 400  # longer lines are never a quote header (and keep the regexes cheap)


def _is_quote_line(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_header_at(lines: list[str], index: int) -> bool:
    """`From:` at `index` followed, within a few lines, by `Sent:`/`Date:` and `To:`/`Subject:`."""
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    following = lines[index + 1 : index + 8]
    return any(_OUTLOOK_SENT.match(line) for line in following) and any(
        _OUTLOOK_ENDING.match(line) for line in following
    )


def _history_start(lines: list[str]) -> int | None:
    last_unquoted = max((i for i, line in enumerate(lines) if line.strip() and not _is_quote_line(line)), default=-1)
    for index, line in enumerate(lines):
        if len(line) > _MAX_CHECKED_LINE:
            continue
        if _ORIGINAL_MESSAGE.match(line):
            return index
        if _OUTLOOK_SEPARATOR.match(line) and index + 1 < len(lines) and _outlook_header_at(lines, index + 1):
            return index
        if _outlook_header_at(lines, index):
            return index
        if line.lstrip().lower().startswith("on"):
            for span in (1, 2, 3):  # the attribution line may be wrapped
                joined = " ".join(lines[index : index + span])
                if len(joined) <= _MAX_CHECKED_LINE and _ON_WROTE.match(joined):
                    return index
        if index > last_unquoted and _is_quote_line(line):
            return index  # a trailing block of "> " lines (inline answers between quotes stay new text)
    return None


def split_quoted(text: str) -> tuple[str, str]:
    """(the new text, the quoted history), each without surrounding blank lines."""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is None:
        return text.strip("\n"), ""
    return "\n".join(lines[:start]).rstrip(), "\n".join(lines[start:]).strip("\n")
