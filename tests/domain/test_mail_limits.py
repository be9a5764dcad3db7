"""Mail is hostile input (#16): every bound in MailLimits holds, and nothing but
UnparseableMessage ever comes out of parse_message, whatever the bytes."""

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fointracker.domain.mail.parsing import MAX_PROBLEMS, MailLimits, ParsedMessage, UnparseableMessage, parse_message
from tests.mail_samples import sample, sample_names
from tests.mail_samples.make import PDF, tnef_bytes

HEAD = "From: FOI <foi@council.gov.uk>\nTo: foi+abc@example.org\nSubject: Reply FT-7\nMessage-ID: <m@council.gov.uk>\n"


def mixed(parts: list[str]) -> bytes:
    body = "".join(f"--b\n{part}\n" for part in parts) + "--b--\n"
    return (HEAD + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n' + body).encode()


def pdf_part(name: str, data: bytes = PDF) -> str:
    encoded = base64.encodebytes(data).decode()
    return f'Content-Type: application/pdf\nContent-Disposition: attachment; filename="{name}"\n' + (
        f"Content-Transfer-Encoding: base64\n\n{encoded}"
    )


def nested(depth: int) -> bytes:
    message = HEAD + "Content-Type: text/plain\n\nlevel 0 text\n"
    for level in range(1, depth + 1):
        message = (
            HEAD + f'Content-Type: multipart/mixed; boundary="n{level}"\n\n--n{level}\nContent-Type: text/plain\n\n'
            f"level {level} text\n--n{level}\nContent-Type: message/rfc822\n\n{message}\n--n{level}--\n"
        )
    return message.encode()


def assert_within(message: ParsedMessage, limits: MailLimits) -> None:
    assert len(message.attachments) <= limits.max_attachments
    assert sum(len(a.data) for a in message.attachments) <= limits.max_attachment_bytes
    assert len(message.text) <= limits.max_text_chars and len(message.quoted) <= limits.max_text_chars
    assert len(message.problems) <= MAX_PROBLEMS
    assert len(message.subject) <= 500 and len(message.message_id) <= 255 and len(message.in_reply_to) <= 255
    assert len(message.from_addr) <= 320 and all(len(a) <= 320 for a in message.to_addrs)
    for attachment in message.attachments:
        assert (
            0 < len(attachment.filename) <= 180 and "/" not in attachment.filename and "\\" not in attachment.filename
        )
        assert len(attachment.note) <= 500 and len(attachment.content_type) <= 120
    for text in (message.text, message.quoted, message.subject, message.from_name, message.bounce_reason):
        assert "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def test_a_message_over_the_size_limit_gives_its_headers_only():
    raw = mixed(["Content-Type: text/plain\n\nhello", pdf_part("big.pdf", b"x" * 5000)])
    message = parse_message(raw, MailLimits(max_bytes=1000))
    assert message.subject == "Reply FT-7" and message.from_addr == "foi@council.gov.uk"
    assert message.text == "" and message.attachments == [] and message.size == len(raw)
    assert message.problems == ["the message is 0.0 MB, over the 0.0 MB limit: only its headers were read"]


def test_too_many_parts():
    raw = mixed(["Content-Type: text/plain\n\nhello"] + [pdf_part(f"{n}.pdf") for n in range(10)])
    message = parse_message(raw, MailLimits(max_parts=4))
    assert message.text == "hello" and len(message.attachments) == 2  # the container, the text, two files
    assert message.problems == ["more than 4 MIME parts: the rest were skipped"]


def test_too_many_attachments():
    message = parse_message(mixed([pdf_part(f"{n}.pdf") for n in range(5)]), MailLimits(max_attachments=2))
    assert [a.filename for a in message.attachments] == ["0.pdf", "1.pdf"]
    assert message.problems == ["more than 2 attachments: the rest were skipped"]


def test_attachment_bytes_are_bounded_in_all():
    limits = MailLimits(max_attachment_bytes=len(PDF) * 2)
    message = parse_message(mixed([pdf_part(f"{n}.pdf") for n in range(3)] + [pdf_part("tiny.pdf", b"x")]), limits)
    assert [a.filename for a in message.attachments] == ["0.pdf", "1.pdf"]
    assert message.problems[0].startswith("2.pdf (0.0 MB) skipped: attachments are limited to")


def test_winmail_files_count_as_attachments():
    files = [(f"file{n}.pdf", PDF) for n in range(4)]
    part = "Content-Type: application/ms-tnef\nContent-Transfer-Encoding: base64\n\n" + (
        base64.encodebytes(tnef_bytes(files)).decode()
    )
    message = parse_message(mixed([part]), MailLimits(max_attachments=3))
    assert [a.filename for a in message.attachments] == ["file0.pdf", "file1.pdf", "file2.pdf"]
    assert message.problems == ["more than 3 attachments: the rest were skipped"]


def test_text_is_bounded():
    raw = (HEAD + "Content-Type: text/plain\n\n" + "word " * 1000).encode()
    message = parse_message(raw, MailLimits(max_text_chars=100))
    assert len(message.text) == 100
    assert message.problems == ["the text is longer than 100 characters: the rest was cut"]


def test_nested_messages_are_bounded():
    message = parse_message(nested(6), MailLimits(max_depth=2))
    assert "level 6 text" in message.text and "level 4 text" in message.text
    assert "level 3 text" not in message.text
    assert message.problems == ["messages attached more than 2 deep were skipped"]
    assert "level 0 text" in parse_message(nested(4)).text  # within the default depth


def test_absurdly_deep_multipart_nesting_is_survived():
    inner = b"Content-Type: text/plain\n\nx\n"
    for level in range(3000):
        inner = b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n%s\n--b%d--\n' % (level, level, inner, level)
    message = parse_message(b"From: a@b.gov.uk\nSubject: deep\n" + inner)
    assert message.subject == "deep" and message.problems  # headers read, the rest refused with a reason


def test_long_headers_and_many_recipients_are_bounded():
    recipients = ", ".join(f"person{n}@council.gov.uk" for n in range(500))
    raw = (
        f"From: {'x' * 400}@council.gov.uk\nTo: {recipients}\nSubject: {'long ' * 300}\n"
        f"Message-ID: <{'i' * 400}@council.gov.uk>\nReferences: "
        + " ".join(f"<r{n}@x>" for n in range(200))
        + "\n\nhi\n"
    ).encode()
    message = parse_message(raw)
    assert len(message.to_addrs) == 100 and len(message.references) == 50 and message.references[-1] == "<r199@x>"
    assert_within(message, MailLimits())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise_anything_but_unparseable(raw):
    try:
        message = parse_message(raw)
    except UnparseableMessage:
        return
    assert_within(message, MailLimits())


_SMALL = MailLimits(max_bytes=20_000, max_parts=6, max_attachments=2, max_attachment_bytes=300, max_text_chars=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sample_names()),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=8), st.integers(0, 8)), max_size=6),
)
def test_damaged_real_messages_stay_within_small_limits(name, edits):
    """Real shapes with bytes replaced here and there (a broken boundary, a cut base64 line...)."""
    raw = bytearray(sample(name))
    for position, replacement, cut in edits:
        position %= len(raw)
        raw[position : position + cut] = replacement
    try:
        message = parse_message(bytes(raw), _SMALL)
    except UnparseableMessage:
        return
    assert_within(message, _SMALL)


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_within_small_limits(name):
    assert_within(parse_message(sample(name), _SMALL), _SMALL)
