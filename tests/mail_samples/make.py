"""Writes the sample messages in this folder (run: .venv/bin/python tests/mail_samples/make.py).

Each sample is the shape real mail arrives in, written byte for byte (not through the stdlib's
generator, which would tidy the very things under test). Everything is deterministic, so running
this again leaves the files unchanged unless the shapes here changed. README.md lists the files."""

from __future__ import annotations

import base64
import io
import quopri
import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
TOKEN = "k3j9x2m4p7q8r5t6v1w0y2z4a6b8c0d1"
REPLY_TO = f"foi+{TOKEN}@example.org"
OUR_ID = "<ft.123.q7w8e9r0t1@example.org>"
COUNCIL = "Barsetshire County Council <foi@barsetshire.gov.uk>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def headers(subject: str, *, sender: str = COUNCIL, extra: str = "", message_id: str) -> str:
    return (
        f"Return-Path: <foi@barsetshire.gov.uk>\n"
        f"From: {sender}\n"
        f"To: {REPLY_TO}\n"
        f"Subject: {subject}\n"
        f"Date: Tue, 03 Mar 2026 10:15:00 +0000\n"
        f"Message-ID: {message_id}\n"
        f"{extra}"
        f"MIME-Version: 1.0\n"
    )


def alternative() -> bytes:
    plain = (
        "Dear Campaigner,\n\n"
        "Thank you for your request for information, which we received on 2 March 2026.\n"
        "Your reference is FOI/2026/0412. We will respond within 20 working days.\n\n"
        "Information Governance Team\n\n"
        f"On Mon, 2 Mar 2026 at 09:00, Care Campaign <{REPLY_TO}> wrote:\n"
        "> Dear Barsetshire County Council,\n"
        "> Please tell me how many adults received care at home in 2025. [FT-123]\n"
    )
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Dear Campaigner,</p><p>Thank you for your request for information, which we received on "
        "2 March 2026.<br>Your reference is FOI/2026/0412.</p>"
        "<div class=gmail_quote>On Mon, 2 Mar 2026 at 09:00, Care Campaign wrote:"
        "<blockquote>Dear Barsetshire County Council,</blockquote></div></body></html>"
    )
    return (
        headers(
            "Re: Freedom of Information request FT-123 - adult social care",
            message_id="<ack-0412@barsetshire.gov.uk>",
            extra=f"In-Reply-To: {OUR_ID}\nReferences: {OUR_ID}\n",
        )
        + 'Content-Type: multipart/alternative; boundary="alt-1"\n\n'
        + "--alt-1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n"
        + plain
        + "\n--alt-1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        + qp(html, "utf-8")
        + "\n--alt-1--\n"
    ).encode("ascii")


def html_only() -> bytes:
    html = (
        "<html><head><title>Refusal</title><script>alert('x')</script></head><body>"
        "<p>Dear Sir/Madam,</p>"
        "<p>I am writing in response to your request. The Council estimates that the cost of complying "
        "with your request would exceed the appropriate limit of &pound;450. We are therefore refusing "
        "your request under section 12 of the Freedom of Information Act 2000.</p>"
        '<p><img src="https://tracker.example.com/pixel.gif" onerror="steal()">'
        '<a href="javascript:steal()">Our FOI pages</a></p>'
        '<div style="border-top:solid #E1E1E1 1.0pt"><p><b>From:</b> Care Campaign &lt;'
        f"{REPLY_TO}&gt;<br><b>Sent:</b> 02 March 2026 09:00<br><b>To:</b> FOI &lt;foi@barsetshire.gov.uk&gt;"
        "<br><b>Subject:</b> Freedom of Information request FT-123</p></div>"
        "<p>Please tell me how many adults received care at home in 2025.</p></body></html>"
    )
    return (
        headers("RE: Freedom of Information request FT-123", message_id="<refusal-0412@barsetshire.gov.uk>")
        + 'Content-Type: text/html; charset="us-ascii"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp(html, "ascii")
    ).encode("ascii")


def base64_attachment() -> bytes:
    body = (
        "Dear Care Campaign,\n\nPlease find attached our response to your request FOI/2026/0412.\n"
        "We are pleased to provide the information you requested.\n\nInformation Governance Team\n"
    )
    return (
        headers("Response to your FOI request FT-123", message_id="<response-0412@barsetshire.gov.uk>")
        + 'Content-Type: multipart/mixed; boundary="mixed-1"\n\n'
        + "This is a multi-part message in MIME format.\n\n"
        + "--mixed-1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b64(body.encode("utf-8"))
        + '--mixed-1\nContent-Type: application/pdf; name="FOI-2026-0412 response.pdf"\n'
        + 'Content-Disposition: attachment; filename="FOI-2026-0412 response.pdf"\n'
        + "Content-Transfer-Encoding: base64\n\n"
        + b64(PDF)
        + "--mixed-1--\n"
    ).encode("ascii")


def windows_1252_qp() -> bytes:
    text = (
        "Dear Care Campaign,\n\n"
        "We estimate that it will cost \u00a3120 to comply with your request. We won\u2019t go on until "
        "the fee is paid: this is a fees notice under section 9 of the Freedom of Information Act 2000. "
        "The \u201cthree months\u201d to pay start today.\n\nRegards\n"
    )
    return (
        headers("=?windows-1252?Q?Fees_notice_=96_FT-123?=", message_id="<fee-0412@barsetshire.gov.uk>").encode()
        + b'Content-Type: text/plain; charset="windows-1252"\nContent-Transfer-Encoding: quoted-printable\n\n'
        + qp(text, "windows-1252").encode("ascii")
    )


def iso_8859_1_8bit() -> bytes:
    text = (
        "Bonjour, Caf\u00e9 \u00e9t\u00e9 \u2013 your request about \u00a3 spent.\n"
        "We need more information: please clarify which services you mean.\n\n"
        "-----Original Message-----\n"
        f"From: Care Campaign <{REPLY_TO}>\n"
        "Sent: 02 March 2026 09:00\n"
        "To: FOI\n"
        "Subject: Freedom of Information request FT-123\n\n"
        "Please tell me how much you spent.\n"
    ).replace("\u2013", "-")
    return (
        headers("Clarification needed", message_id="<clarify@barsetshire.gov.uk>").encode("ascii")
        + b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        + text.encode("iso-8859-1")
    )


def encoded_words() -> bytes:
    subject = "=?utf-8?B?UsOpcG9uc2Ug4oCTIGRlbWFuZGUgZOKAmWluZm9ybWF0aW9u?= =?iso-8859-1?Q?_FT-123_=E9t=E9?="
    sender = "=?utf-8?Q?Conseil_de_Barset=C3=A9?= <foi@barsetshire.gov.uk>"
    return (
        f"From: {sender}\nTo: {REPLY_TO}\nSubject: {subject}\nDate: Tue, 03 Mar 2026 10:15:00 +0000\n"
        "Message-ID: <encoded@barsetshire.gov.uk>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="enc"\n\n'
        "--enc\nContent-Type: text/plain; charset=utf-8\n\nSee the attached files.\n"
        "--enc\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename*=utf-8''R%C3%A9ponse%20%E2%80%93%20FOI.pdf\n"
        "Content-Transfer-Encoding: base64\n\n" + b64(PDF) + "--enc\n"
        'Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="=?utf-8?B?'
        + base64.b64encode("Données 2025.xlsx".encode()).decode()
        + '?="\nContent-Disposition: attachment; filename="=?utf-8?B?'
        + base64.b64encode("Données 2025.xlsx".encode()).decode()
        + '?="\nContent-Transfer-Encoding: base64\n\n'
        + b64(b"PK\x03\x04 not really a spreadsheet")
        + '--enc\nContent-Type: text/plain; name="../../etc/passwd\x07.txt"\n'
        'Content-Disposition: attachment; filename="..\\\\..\\\\evil\u202egpj.exe"\n\nx\n'
        "--enc--\n"
    ).encode("utf-8")


def nested_rfc822() -> bytes:
    inner = (
        "From: Adult Social Care <asc@barsetshire.gov.uk>\nTo: foi@barsetshire.gov.uk\n"
        "Subject: Figures for FOI/2026/0412\nDate: Mon, 09 Mar 2026 16:00:00 +0000\n"
        "Message-ID: <inner@barsetshire.gov.uk>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="inner"\n\n'
        "--inner\nContent-Type: text/plain; charset=utf-8\n\n"
        "Here are the figures: 1,234 adults received care at home in 2025.\n"
        '--inner\nContent-Type: text/csv; name="care-2025.csv"\nContent-Disposition: attachment; '
        'filename="care-2025.csv"\n\nyear,adults\n2025,1234\n--inner--\n'
    )
    return (
        headers("FW: Figures for FT-123", message_id="<forward@barsetshire.gov.uk>")
        + 'Content-Type: multipart/mixed; boundary="outer"\n\n'
        + "--outer\nContent-Type: text/plain; charset=utf-8\n\nPlease see the service's answer attached.\n"
        + '--outer\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="Figures.eml"\n\n'
        + inner
        + "\n--outer--\n"
    ).encode("ascii")


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("response.pdf", PDF), ("tables/care.csv", b"a,b\n1,2\n"), ("readme.txt", b"hi")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 3, 10, 0, 0)), data)
    return buffer.getvalue()


def zip_attachment() -> bytes:
    return (
        headers("FT-123 response documents", message_id="<zip@barsetshire.gov.uk>")
        + 'Content-Type: multipart/mixed; boundary="z"\n\n'
        + "--z\nContent-Type: text/plain\n\nThe documents are in the attached archive.\n"
        + '--z\nContent-Type: application/x-zip-compressed; name="FOI 0412.zip"\n'
        + 'Content-Disposition: attachment; filename="FOI 0412.zip"\nContent-Transfer-Encoding: base64\n\n'
        + b64(zip_bytes())
        + "--z--\n"
    ).encode("ascii")


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def tnef_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat as Outlook writes it (TNEF: MS-OXTNEF), with files attached at level 2."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _tnef_attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += _tnef_attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += _tnef_attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")  # attMessageClass
    for name, data in files:
        out += _tnef_attribute(2, 0x9002, 0x0006, struct.pack("<HiiHI", 1, -1, 0, 1, 0))  # attAttachRendData
        out += _tnef_attribute(2, 0x8010, 0x0001, name.encode("ascii") + b"\x00")  # attAttachTitle
        out += _tnef_attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out


def _winmail(message_id: str, data: bytes) -> bytes:
    return (
        headers("RE: FOI request FT-123", message_id=message_id)
        + 'Content-Type: multipart/mixed; boundary="tnef"\n\n'
        + "--tnef\nContent-Type: text/plain; charset=us-ascii\n\nPlease find our response attached.\n"
        + '--tnef\nContent-Type: application/ms-tnef; name="winmail.dat"\n'
        + 'Content-Disposition: attachment; filename="winmail.dat"\nContent-Transfer-Encoding: base64\n\n'
        + b64(data)
        + "--tnef--\n"
    ).encode("ascii")


def winmail() -> bytes:
    files = [("response.pdf", PDF), ("figures.csv", b"year,adults\n2025,1234\n")]
    return _winmail("<tnef@barsetshire.gov.uk>", tnef_bytes(files))


def winmail_unreadable() -> bytes:
    return _winmail("<tnef-bad@barsetshire.gov.uk>", b"\x78\x9f\x3e\x22garbage that is not TNEF" * 3)


def dsn_bounce() -> bytes:
    returned = (
        f"From: Care Campaign <campaign@example.org>\nReply-To: {REPLY_TO}\nTo: foi@barsetshire.gov.uk\n"
        f"Subject: Freedom of Information request FT-123\nMessage-ID: {OUR_ID}\n"
        "Date: Mon, 02 Mar 2026 09:00:00 +0000\n\nDear Barsetshire County Council,\n"
    )
    text = (
        "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\n"
        "To: campaign@example.org\nSubject: Undelivered Mail Returned to Sender\n"
        "Date: Mon, 02 Mar 2026 09:00:05 +0000\nMessage-ID: <bounce-1@mail.example.org>\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\n\n'
        "This is a MIME-encapsulated message.\n\n"
        "--dsn\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mail.example.org.\n\n"
        "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
        "<foi@barsetshire.gov.uk>: host mx.barsetshire.gov.uk[192.0.2.10] said: 550 5.1.1\n"
        "    <foi@barsetshire.gov.uk>: Recipient address rejected: User unknown\n\n"
        "--dsn\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.example.org\nX-Postfix-Queue-ID: 4F2A1\n"
        "Arrival-Date: Mon,  2 Mar 2026 09:00:00 +0000 (GMT)\n\n"
        "Final-Recipient: rfc822; foi@barsetshire.gov.uk\nOriginal-Recipient: rfc822;foi@barsetshire.gov.uk\n"
        "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.barsetshire.gov.uk\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <foi@barsetshire.gov.uk>: Recipient address rejected: User unknown\n\n"
        "--dsn\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n" + returned + "\n--dsn--\n"
    )
    return text.replace("\n", "\r\n").encode("ascii")  # as it comes off the wire: CRLF line ends


def dsn_delayed() -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\nTo: campaign@example.org\n"
        "Subject: Delayed Mail (still being retried)\nDate: Mon, 02 Mar 2026 13:00:00 +0000\n"
        "Message-ID: <delay-1@mail.example.org>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="d"\n\n'
        "--d\nContent-Type: text/plain\n\nYour message has not been delivered yet; we will keep trying.\n"
        "--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.org\n\n"
        "Final-Recipient: rfc822; foi@slowcouncil.gov.uk\nAction: delayed\nStatus: 4.4.1\n"
        "Diagnostic-Code: X-Postfix; connect to mx.slowcouncil.gov.uk: Connection timed out\n\n--d--\n"
    ).encode("ascii")


def text_bounce_exim() -> bytes:
    return (
        "Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        "To: campaign@example.org\nSubject: Mail delivery failed: returning message to sender\n"
        "Date: Mon, 02 Mar 2026 09:01:00 +0000\nMessage-ID: <exim-1@mx.example.org>\n"
        "X-Failed-Recipients: foi@oldcouncil.gov.uk\nAuto-Submitted: auto-replied\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  foi@oldcouncil.gov.uk\n    host mx.oldcouncil.gov.uk [192.0.2.20]\n"
        "    SMTP error from remote mail server after RCPT TO:<foi@oldcouncil.gov.uk>:\n"
        "    550 5.1.1 User unknown\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        f"From: campaign@example.org\nTo: foi@oldcouncil.gov.uk\nMessage-ID: {OUR_ID}\n"
    ).encode("ascii")


def exchange_ndr() -> bytes:
    return (
        "From: postmaster@barsetshire.gov.uk\nTo: campaign@example.org\n"
        "Subject: Undeliverable: Freedom of Information request FT-123\n"
        "Date: Mon, 02 Mar 2026 09:02:00 +0000\nMessage-ID: <ndr-1@barsetshire.gov.uk>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Your message to foi.requests@barsetshire.gov.uk couldn't be delivered.\n"
        "foi.requests wasn't found at barsetshire.gov.uk.\n\n"
        "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\n"
    ).encode("ascii")


def out_of_office() -> bytes:
    return (
        headers(
            "Automatic reply: Freedom of Information request FT-123",
            sender="Jane Officer <jane.officer@barsetshire.gov.uk>",
            message_id="<ooo@barsetshire.gov.uk>",
            extra=f"Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\nIn-Reply-To: {OUR_ID}\n",
        )
        + "Content-Type: text/plain; charset=utf-8\n\n"
        "I am out of the office until Monday 9 March with no access to email. For FOI matters please "
        "contact foi@barsetshire.gov.uk.\n"
    ).encode("ascii")


def auto_acknowledgement() -> bytes:
    return (
        headers(
            "Your request for information FT-123 (our ref FOI/2026/0412)",
            sender="Barsetshire FOI <noreply@barsetshire.gov.uk>",
            message_id="<case-0412@barsetshire.gov.uk>",
            extra="Auto-Submitted: auto-generated\nPrecedence: bulk\n",
        )
        + "Content-Type: text/plain; charset=utf-8\n\n"
        "Thank you for your request for information under the Freedom of Information Act 2000, which "
        "we received on 2 March 2026.\nYour reference number is FOI/2026/0412.\n"
        "We aim to respond within 20 working days. Please do not reply to this email.\n"
    ).encode("ascii")


def malformed() -> bytes:
    return (
        "From: Broken Council <foi@broken.gov.uk>\nTo: " + REPLY_TO + "\n"
        "Subject: broken reply FT-123\nDate: not a date\nMessage-ID: <broken@broken.gov.uk>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\n\n'
        "--never-closed\nContent-Type: text/plain; charset=utf-8\n\nThe text survives.\n"
        '--never-closed\nContent-Type: application/pdf; name="damaged.pdf"\n'
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK!!!*** not base64 at all\n"
    ).encode("ascii")


def header_junk() -> bytes:
    return (
        " continuation line first\nFrom: foi@junk.gov.uk\nMessage-ID: <junk@junk.gov.uk>\nSubject: Junk headers FT-123\n"
        "this line is not a header\nContent-Type: text/plain\n\nThe body.\n"
    ).encode("ascii")


def unknown_charset() -> bytes:
    return (
        b"From: Caf\xe9 Council <foi@cafe.gov.uk>\nTo: " + REPLY_TO.encode() + b"\n"
        b"Subject: R\xc3\xa9ponse FT-123 =?x-klingon?Q?caf=E9?=\nDate: Tue, 03 Mar 2026 10:15:00 +0000\n"
        b"Message-ID: <charset@cafe.gov.uk>\nContent-Type: text/plain; charset=x-klingon\n\n"
        b"Caf\xe9 \x93quoted\x94 \xa3450.\n"
    )


def undeclared_8bit() -> bytes:
    return (
        b"From: foi@barsetshire.gov.uk\nTo: " + REPLY_TO.encode() + b"\nSubject: Reply FT-123\n"
        b"Date: Tue, 03 Mar 2026 10:15:00 +0000\nMessage-ID: <nocharset@barsetshire.gov.uk>\n\n"
        b"We hold no information: the figure is \xe2\x82\xac0 and \xa3 not known.\n"
    )


SAMPLES = {
    "alternative.eml": alternative,
    "html_only.eml": html_only,
    "base64_attachment.eml": base64_attachment,
    "windows_1252_qp.eml": windows_1252_qp,
    "iso_8859_1_8bit.eml": iso_8859_1_8bit,
    "encoded_words.eml": encoded_words,
    "nested_rfc822.eml": nested_rfc822,
    "zip_attachment.eml": zip_attachment,
    "winmail.eml": winmail,
    "winmail_unreadable.eml": winmail_unreadable,
    "dsn_bounce.eml": dsn_bounce,
    "dsn_delayed.eml": dsn_delayed,
    "text_bounce_exim.eml": text_bounce_exim,
    "exchange_ndr.eml": exchange_ndr,
    "out_of_office.eml": out_of_office,
    "auto_acknowledgement.eml": auto_acknowledgement,
    "malformed.eml": malformed,
    "header_junk.eml": header_junk,
    "unknown_charset.eml": unknown_charset,
    "undeclared_8bit.eml": undeclared_8bit,
}


def outlook_reply() -> bytes:
    """A council's reply saved from Outlook as a .msg (its transport headers kept, as Outlook does)."""
    from tests.mail_samples.make_msg import outlook_msg

    transport = (
        f"From: {COUNCIL}\r\nTo: {REPLY_TO}\r\nSubject: RE: Freedom of Information request FT-123\r\n"
        f"Date: Tue, 03 Mar 2026 10:15:00 +0000\r\nMessage-ID: <outlook-0412@barsetshire.gov.uk>\r\n"
        f"In-Reply-To: {OUR_ID}\r\n\r\n"
    )
    return outlook_msg(
        subject="RE: Freedom of Information request FT-123",
        body="Dear Care Campaign,\r\n\r\nPlease find attached our response to your request.\r\n",
        sender="foi@barsetshire.gov.uk",
        sender_name="Barsetshire County Council",
        to=REPLY_TO,
        headers=transport,
        attachments=[("response.pdf", "application/pdf", PDF), ("figures.csv", "text/csv", b"year,adults\n" * 400)],
    )


OTHER_FILES = {"outlook_reply.msg": outlook_reply}


def main() -> None:
    for name, build in {**SAMPLES, **OTHER_FILES}.items():
        (HERE / name).write_bytes(build())
    print(f"wrote {len(SAMPLES) + len(OTHER_FILES)} samples to {HERE}")


if __name__ == "__main__":
    main()
