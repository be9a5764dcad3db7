"""Mail text (#16): HTML made plain text, quoted history folded away, charsets that lie."""

import pytest

from fointracker.domain.mail.attachments import safe_filename
from fointracker.domain.mail.decoding import decode_bytes, decode_header_value
from fointracker.domain.mail.html_text import html_to_text
from fointracker.domain.mail.quoting import split_quoted


def test_html_to_text_keeps_the_words_and_nothing_else():
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body><p>Dear <b>Campaigner</b> &amp; co,</p>"
        "<script>alert(1)</script><p onclick='x()'>Figures:<br>1,234</p><table><tr><td>2025</td><td>£12m</td>"
        "</tr></table><ul><li>one</li><li>two</li></ul><img src=x onerror=alert(2)><a href='javascript:x'>link</a>"
        "</body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines()[0] == "Dear Campaigner & co,"
    assert "Figures:\n1,234" in text and "2025\t£12m" in text and "- one" in text and "link" in text
    for unwanted in ("alert", "onclick", "javascript", "<", "T\n", "p{}"):
        assert unwanted not in text


def test_html_blockquote_becomes_quoted_lines():
    new, quoted = split_quoted(html_to_text("<p>Our answer.</p><blockquote>Your request<br>of March</blockquote>"))
    assert new == "Our answer." and quoted == "> Your request\n> of March"


@pytest.mark.parametrize(
    "text, new, quoted_start",
    [
        ("Answer.\n\nOn Mon, 2 Mar 2026 at 09:00, Campaign <a@b> wrote:\n> question", "Answer.", "On Mon"),
        ("Answer.\nOn Mon, 2 Mar 2026 at 09:00, A Long Name\n<a@example.org> wrote:\n> q", "Answer.", "On Mon"),
        ("Answer.\n-----Original Message-----\nFrom: x", "Answer.", "-----Original Message-----"),
        ("Answer.\n________________________________\nFrom: Campaign\nSent: 02 March 2026\nTo: FOI\nSubject: FT-1",
         "Answer.", "________"),
        ("Answer.\n\nFrom: Campaign <a@b>\nDate: 2 March 2026\nSubject: FT-1\n\nq", "Answer.", "From: Campaign"),
        ("Answer.\n\n> question one\n> question two\n", "Answer.", "> question one"),
    ],
)  # fmt: skip
def test_quoted_history_shapes(text, new, quoted_start):
    found_new, found_quoted = split_quoted(text)
    assert found_new == new and found_quoted.startswith(quoted_start)


def test_inline_answers_between_quotes_stay_new_text():
    text = "> 1. How many adults?\n1,234\n> 2. How much?\n£12m"
    assert split_quoted(text) == (text, "")


def test_text_that_only_mentions_from_or_wrote_is_new():
    text = "From: the adult social care team, figures below.\nAs the officer wrote: none held."
    assert split_quoted(text) == (text, "")


def test_charsets_that_lie_or_are_unknown():
    assert decode_bytes("café".encode(), "us-ascii") == ("café", None)  # labelled ASCII, is UTF-8
    assert decode_bytes(b"\x93x\x94 \x80", "iso-8859-1") == ("“x” €", None)  # labelled Latin-1, is Windows-1252
    assert decode_bytes(b"caf\xe9", "utf-8") == ("café", "text is not valid utf-8: undecodable bytes replaced")
    text, problem = decode_bytes(b"caf\xe9", "x-unknown")
    assert text == "café" and "unknown charset" in problem
    text, problem = decode_bytes(b"x\x00y\x1b[31mz\r\n", "zlib_codec")  # not a text codec at all
    assert text == "xy[31mz\n" and "not a text encoding" in problem


def test_encoded_words():
    assert decode_header_value("=?utf-8?B?Q2Fmw6k=?= =?iso-8859-1?Q?_=E9t=E9?=") == "Café été"
    assert decode_header_value("=?x-unknown?Q?caf=E9?=") == "café"
    assert decode_header_value("=?utf-8?B?!!!?=") == "=?utf-8?B?!!!?="  # not base64: shown as it came
    assert decode_header_value("plain =? not encoded") == "plain =? not encoded"


@pytest.mark.parametrize(
    "name, safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\officer\\Desktop\\response.xlsx", "response.xlsx"),
        ("bad\x00name\x07.pdf", "badname.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("   ", "attachment.pdf"),
        ("..", "attachment.pdf"),
        ("=?utf-8?Q?R=C3=A9ponse.pdf?=", "Réponse.pdf"),
    ],
)
def test_safe_filenames(name, safe):
    assert safe_filename(name, "application/pdf") == safe


def test_long_filenames_keep_their_extension():
    name = safe_filename("x" * 500 + ".xlsx")
    assert len(name) <= 180 and name.endswith("….xlsx")
