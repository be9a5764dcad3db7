"""Reading real-world shapes of mail (#16): the samples in tests/mail_samples/."""

from datetime import UTC, datetime

import pytest

from fointracker.domain.mail.parsing import ParsedMessage, UnparseableMessage, parse_message
from tests.mail_samples import OUR_MESSAGE_ID, REPLY_TEMPLATE, REPLY_TOKEN, sample, sample_names

REPLY_ADDRESS = REPLY_TEMPLATE.replace("{token}", REPLY_TOKEN)


def parsed(name: str) -> ParsedMessage:
    return parse_message(sample(name))


def test_samples_are_written_by_make_py():
    from tests.mail_samples.make import SAMPLES

    assert sorted(SAMPLES) == sample_names()
    for name, build in SAMPLES.items():
        assert build() == sample(name), f"{name} differs from make.py: run tests/mail_samples/make.py"


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_has_its_headers_and_a_hash(name):
    message = parsed(name)
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    assert "@" in message.from_addr and message.from_addr == message.from_addr.lower()
    assert len(message.content_hash) == 64 and message.size == len(sample(name))
    for text in (message.text, message.quoted, message.subject, *message.problems):
        assert "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def test_multipart_alternative_prefers_plain_text_and_folds_the_quoted_request():
    message = parsed("alternative.eml")
    assert message.in_reply_to == OUR_MESSAGE_ID and message.references == [OUR_MESSAGE_ID]
    assert message.to_addrs == [REPLY_ADDRESS]
    assert message.from_name == "Barsetshire County Council" and message.from_addr == "foi@barsetshire.gov.uk"
    assert message.date == datetime(2026, 3, 3, 10, 15, tzinfo=UTC)
    assert message.text.startswith("Dear Campaigner,") and message.text.endswith("Information Governance Team")
    assert "<p>" not in message.text and "gmail_quote" not in message.text  # the plain part, not the HTML
    assert message.quoted.startswith("On Mon, 2 Mar 2026 at 09:00, Care Campaign")
    assert "> Please tell me how many adults" in message.quoted
    assert not message.is_auto_reply and not message.is_bounce and not message.problems


def test_html_only_mail_becomes_text_without_markup_scripts_or_links():
    message = parsed("html_only.eml")
    assert "exceed the appropriate limit of £450" in message.text
    assert "section 12 of the Freedom of Information Act 2000" in message.text
    for unwanted in ("<", "alert", "steal", "javascript", "pixel.gif", "Refusal"):  # Refusal: the <title>
        assert unwanted not in message.text
    assert message.quoted.startswith("From: Care Campaign")  # Outlook's "From: ... Sent: ..." block
    assert "Sent: 02 March 2026 09:00" in message.quoted


def test_base64_body_and_attachment():
    message = parsed("base64_attachment.eml")
    assert message.text.startswith("Dear Care Campaign,\n\nPlease find attached our response")
    [attachment] = message.attachments
    assert attachment.filename == "FOI-2026-0412 response.pdf"
    assert attachment.content_type == "application/pdf" and attachment.data.startswith(b"%PDF-1.4")


def test_windows_1252_quoted_printable_and_encoded_word_subject():
    message = parsed("windows_1252_qp.eml")
    assert message.subject == "Fees notice – FT-123"
    assert "cost £120" in message.text and "won’t" in message.text and "“three months”" in message.text


def test_iso_8859_1_8bit_and_original_message_block():
    message = parsed("iso_8859_1_8bit.eml")
    assert message.text.startswith("Bonjour, Café été - your request about £ spent.")
    assert message.quoted.startswith("-----Original Message-----")
    assert "please clarify" in message.text and "Please tell me" not in message.text


def test_encoded_word_subject_sender_and_rfc2231_filenames():
    message = parsed("encoded_words.eml")
    assert message.subject == "Réponse – demande d’information FT-123 été"
    assert message.from_name == "Conseil de Barseté"
    names = [attachment.filename for attachment in message.attachments]
    assert names[:2] == ["Réponse – FOI.pdf", "Données 2025.xlsx"]
    # "..\..\evil<RLO>gpj.exe": no folders, and no right-to-left override to disguise the extension
    assert names[2] == "evilgpj.exe"


def test_nested_message_keeps_its_text_and_attachments():
    message = parsed("nested_rfc822.eml")
    assert message.text.startswith("Please see the service's answer attached.")
    assert "[Attached message from asc@barsetshire.gov.uk, 09 Mar 2026: Figures for FOI/2026/0412]" in message.text
    assert "1,234 adults received care at home in 2025" in message.text
    [csv] = message.attachments
    assert (csv.filename, csv.data) == ("care-2025.csv", b"year,adults\n2025,1234")  # the last CRLF is the boundary's


def test_zip_is_kept_and_its_files_listed():
    [archive] = parsed("zip_attachment.eml").attachments
    assert archive.filename == "FOI 0412.zip" and archive.data.startswith(b"PK\x03\x04")
    assert archive.note == "ZIP holds 3 files: response.pdf, tables/care.csv, readme.txt"


def test_winmail_dat_becomes_its_files():
    message = parsed("winmail.eml")
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("response.pdf", "application/pdf"),
        ("figures.csv", "text/csv"),
    ]
    assert message.attachments[0].data.startswith(b"%PDF-1.4")
    assert message.attachments[1].data == b"year,adults\n2025,1234\n"
    assert all("winmail.dat" in a.note for a in message.attachments)


def test_unreadable_winmail_dat_is_kept_with_a_note():
    [kept] = parsed("winmail_unreadable.eml").attachments
    assert kept.filename == "winmail.dat" and kept.content_type == "application/ms-tnef"
    assert "winmail.dat" in kept.note and "no files" in kept.note


def test_dsn_bounce_names_the_failed_address_and_why():
    message = parsed("dsn_bounce.eml")
    assert message.is_bounce and message.is_auto_reply
    assert message.bounced_recipients == ["foi@barsetshire.gov.uk"]
    assert message.bounce_reason == "550 5.1.1 <foi@barsetshire.gov.uk>: Recipient address rejected: User unknown"
    assert "could not\nbe delivered" in message.text
    assert "Dear Barsetshire County Council" in message.quoted  # our letter, returned: history, not news


def test_delay_warning_is_automatic_but_not_a_bounce():
    message = parsed("dsn_delayed.eml")
    assert message.is_auto_reply and not message.is_bounce and message.bounced_recipients == []


def test_plain_text_bounces():
    exim = parsed("text_bounce_exim.eml")
    assert exim.is_bounce and exim.bounced_recipients == ["foi@oldcouncil.gov.uk"]
    assert exim.bounce_reason == "550 5.1.1 User unknown"
    exchange = parsed("exchange_ndr.eml")
    assert exchange.is_bounce and exchange.bounced_recipients == ["foi.requests@barsetshire.gov.uk"]
    assert "550 5.1.10" in exchange.bounce_reason


def test_out_of_office_and_automatic_acknowledgement_are_auto_replies():
    assert parsed("out_of_office.eml").is_auto_reply
    assert not parsed("out_of_office.eml").is_bounce
    acknowledgement = parsed("auto_acknowledgement.eml")
    assert acknowledgement.is_auto_reply and "Your reference number is FOI/2026/0412." in acknowledgement.text


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-generated\n",
        "X-Autoreply: yes\n",
        "X-Autorespond: on\n",
        "Precedence: junk\n",
        "Precedence: auto_reply\n",
        "Subject: Out of Office: FT-123\n",
        "Subject: Automatic reply: your request\n",
    ],
)
def test_auto_reply_signals(headers):
    subject = "" if headers.startswith("Subject:") else "Subject: Re: FT-123\n"
    raw = f"From: a@council.gov.uk\n{subject}{headers}\nbody\n".encode()
    assert parse_message(raw).is_auto_reply


def test_not_auto_replies():
    assert not parse_message(b"From: a@b.gov.uk\nAuto-Submitted: no\nSubject: Re: out of time\n\nhi\n").is_auto_reply
    # the mail system's name alone, without a bounce's subject, is not a bounce
    assert not parse_message(b"From: postmaster@b.gov.uk\nSubject: Your FOI request\n\nhi\n").is_bounce


def test_malformed_message_returns_with_its_problems():
    message = parsed("malformed.eml")
    assert message.text == "The text survives." and message.date is None
    assert any("not closed" in problem for problem in message.problems)
    assert any("base64" in problem for problem in message.problems)
    [damaged] = message.attachments
    assert damaged.filename == "damaged.pdf"


def test_junk_headers_are_reported():
    message = parsed("header_junk.eml")
    assert message.subject == "Junk headers FT-123"
    assert "a line among the headers is not a header (malformed headers)" in message.problems


def test_unknown_and_undeclared_charsets_fall_back():
    unknown = parsed("unknown_charset.eml")
    assert unknown.text == "Café “quoted” £450."
    assert unknown.subject == "Réponse FT-123 café" and unknown.from_name == "Café Council"
    assert unknown.problems == ["unknown charset 'x-klingon': read as UTF-8 or Windows-1252"]
    # UTF-8 and Windows-1252 bytes mixed in one undeclared body: each read as what it is
    assert parsed("undeclared_8bit.eml").text == "We hold no information: the figure is €0 and £ not known."


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"  \r\n ", "empty"),
        (b"%PDF-1.4\n%binary\n", "no mail headers"),
        (b"hello: world\n\n", "no mail"),
    ],
)
def test_not_a_message_at_all(raw, reason):
    with pytest.raises(UnparseableMessage, match=reason):
        parse_message(raw)


def test_headers_only_message_and_odd_ids():
    message = parse_message(
        b"From: FOI <FOI@Council.GOV.uk>\nMessage-ID: bare-id@council.gov.uk\nIn-Reply-To: <a@b> <c@d>\n"
        b"Date: Tue, 03 Mar 2026 10:15:00 -0000\nSubject: =?utf-8?B?bm90IGJhc2U2NA=?=\n"
    )
    assert message.from_addr == "foi@council.gov.uk" and message.message_id == "<bare-id@council.gov.uk>"
    assert message.in_reply_to == "<a@b>" and message.date == datetime(2026, 3, 3, 10, 15, tzinfo=UTC)
    assert message.subject == "not base64" and message.text == "" and message.attachments == []
