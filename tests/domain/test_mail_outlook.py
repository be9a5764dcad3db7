"""Outlook .msg uploads (#16): read through extract-msg into RFC 822, or refused with a reason."""

import pytest

from fointracker.domain.mail.outlook import MAX_MSG_BYTES, OLE_SIGNATURE, msg_file_to_rfc822
from fointracker.domain.mail.parsing import UnparseableMessage
from tests.mail_samples import sample


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"x" * (MAX_MSG_BYTES + 1), "over the 30 MB limit"),
        (sample("alternative.eml"), "not an OLE compound file"),
        (b"%PDF-1.4\n", "not an OLE compound file"),
        (OLE_SIGNATURE + b"\x00" * 100, "could not be read"),  # a compound file's signature, then nothing
        (OLE_SIGNATURE + bytes(range(256)) * 8, "could not be read"),
    ],
)
def test_what_is_not_a_readable_msg_file_is_refused_with_a_reason(data, reason):
    with pytest.raises(UnparseableMessage, match=reason):
        msg_file_to_rfc822(data)


def test_an_outlook_msg_becomes_a_message_with_its_attachments():
    from fointracker.domain.mail.parsing import parse_message
    from tests.mail_samples import OUR_MESSAGE_ID, REPLY_TEMPLATE, REPLY_TOKEN
    from tests.mail_samples.make import OTHER_FILES

    data = sample("outlook_reply.msg")
    assert data == OTHER_FILES["outlook_reply.msg"]()  # the file is what make.py writes
    message = parse_message(msg_file_to_rfc822(data))
    assert message.subject == "RE: Freedom of Information request FT-123"
    assert message.message_id == "<outlook-0412@barsetshire.gov.uk>" and message.in_reply_to == OUR_MESSAGE_ID
    assert message.from_addr == "foi@barsetshire.gov.uk"
    assert message.to_addrs == [REPLY_TEMPLATE.replace("{token}", REPLY_TOKEN)]
    assert message.text == "Dear Care Campaign,\n\nPlease find attached our response to your request."
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("response.pdf", "application/pdf"),
        ("figures.csv", "text/csv"),
    ]
    assert message.attachments[0].data.startswith(b"%PDF-1.4")
    assert message.attachments[1].data == b"year,adults\n" * 400  # over 4 KB: stored outside the mini stream
    assert message.problems == []


def test_a_damaged_msg_file_is_refused():
    data = bytearray(sample("outlook_reply.msg"))
    data[48:52] = b"\xff\xff\xff\x7f"  # the directory's first sector: far past the end of the file
    with pytest.raises(UnparseableMessage, match="could not be read"):
        msg_file_to_rfc822(bytes(data))
