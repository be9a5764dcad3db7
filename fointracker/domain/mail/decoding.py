"""Bytes and headers of a message as clean text (#16). Mail declares its charset, often wrongly:
"iso-8859-1" text holds Windows curly quotes, "us-ascii" text holds UTF-8, some charsets are
unknown or missing. Nothing here raises: an unknown or lying charset falls back to UTF-8, then
Windows-1252 (what a browser does), and the result is text a database column accepts (no
control characters, no lone surrogates)."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

# Control characters other than tab and line feed; also the Unicode bidirectional overrides
# that make "gpj.exe" display as "exe.jpg" (stripped from names, kept out of text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# What the WHATWG encoding standard does: these labels are read as Windows-1252, a superset.
_READ_AS_1252 = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1", "l1", "cp819", "windows-1252"}
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _as_windows_1252(error: UnicodeDecodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 inside UTF-8 text (a signature pasted from Word) read as Windows-1252."""
    bad = error.object[error.start : error.end]
    return bad.decode("windows-1252", errors="replace"), error.end


codecs.register_error("fointracker-windows-1252", _as_windows_1252)
_FALLBACK = "fointracker-windows-1252"


def _known_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    charset = charset.strip().strip('"').lower().split("*")[0]  # RFC 2231 "utf-8*en" carries a language
    if charset in _READ_AS_1252:
        return "windows-1252"
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, str | None]:
    """(text, problem or None). A declared charset that is unknown, or that the bytes break,
    is a problem worth listing; the text is still there."""
    codec = _known_codec(charset)
    problem = None
    if charset and codec is None:
        problem = f"unknown charset {charset.strip()[:40]!r}: read as UTF-8 or Windows-1252"
    if codec == "windows-1252":
        try:
            return clean_text(data.decode("utf-8")), None  # "us-ascii"/"iso-8859-1" label on UTF-8 text
        except UnicodeDecodeError:
            return clean_text(data.decode("windows-1252", errors="replace")), None
    if codec is not None:
        try:
            return clean_text(data.decode(codec)), None
        except UnicodeDecodeError:
            problem = f"text is not valid {charset.strip()[:40]}: undecodable bytes replaced"
        except Exception:  # a codec that is not a text codec (e.g. "zlib_codec", "rot13"): never trust it
            problem = f"charset {charset.strip()[:40]!r} is not a text encoding: read as UTF-8 or Windows-1252"
    return clean_text(data.decode("utf-8", errors=_FALLBACK)), problem


def clean_text(text: str, keep_newlines: bool = True) -> str:
    """`text` without control characters or lone surrogates; CRLF and CR become LF."""
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", _undo_surrogateescape(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not keep_newlines:
        text = re.sub(r"\s+", " ", text)
    return _CONTROL.sub("", text)


def _undo_surrogateescape(text: str) -> str:
    """The stdlib parser keeps 8-bit header bytes as surrogate escapes: read them as UTF-8, else Windows-1252."""
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text
    return raw.decode("utf-8", errors=_FALLBACK)


def one_line(text: str, max_chars: int) -> str:
    """A header value for display: one line, no control or direction-override characters, bounded."""
    text = _BIDI.sub("", clean_text(text, keep_newlines=False)).strip()
    return text[:max_chars]


def _decode_word(match: re.Match) -> str:
    charset, encoding, payload = match.groups()
    try:
        if encoding in "Bb":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", errors="replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group()  # not really an encoded word: shown as it came
    return decode_bytes(data, charset)[0]


def decode_header_value(value: str) -> str:
    """A header's text: 8-bit bytes recovered, RFC 2047 encoded words ("=?utf-8?B?...?=") decoded,
    unknown charsets falling back rather than raising."""
    value = clean_text(value)
    if "=?" not in value:
        return value
    value = _BETWEEN_WORDS.sub(r"\1\2", value)  # white space between two encoded words is not text
    return _ENCODED_WORD.sub(_decode_word, value)
