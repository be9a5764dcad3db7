"""What the mail intake tests share (#16): messages built as mail programs build them, and a
small world of two campaigns with requests to Kent, Hampshire and Surrey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select

from fointracker import clock
from fointracker.models import Authority, Campaign, CampaignContact
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request

REPLY_TO = "foi+{token}@replies.example.org"


def eml(
    *,
    subject: str = "Your request",
    body: str = "Thank you for your email.",
    from_: str = "Information Governance <foi@kent.gov.uk>",
    to: str = "campaign@example.org",
    message_id: str | None = "<reply-1@kent.gov.uk>",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict | None = None,
    attachments: tuple = (),
    date=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = from_
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or clock.now())
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def bounce(
    *, original: bytes, recipient: str, message_id: str = "<dsn-1@mx.example.net>", action: str = "failed"
) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix sends one, quoting `original`'s headers."""
    headers = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8")
    return (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        "To: campaign@example.org\n"
        + ("Subject: Undelivered Mail Returned to Sender\n" if action == "failed" else "Subject: Delayed Mail\n")
        + f"Message-ID: {message_id}\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\n'
        "\n"
        "--BOUNDARY\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        f"{'Your message could not be delivered to ' if action == 'failed' else 'Delivery is delayed to '}{recipient}.\n\n"
        "--BOUNDARY\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Action: {action}\n"
        f"Status: {'5.1.1' if action == 'failed' else '4.4.1'}\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\n\n"
        "--BOUNDARY\n"
        "Content-Type: text/rfc822-headers\n\n"
        f"{headers}\n\n"
        "--BOUNDARY--\n"
    ).encode()


@dataclass
class MailWorld:
    campaign_id: int
    other_campaign_id: int
    kent_id: int  # Care budgets' request to Kent
    hampshire_id: int  # Care budgets' request to Hampshire
    surrey_ids: tuple[int, int]  # a request to Surrey in each campaign
    kent_authority_id: int


def store_of(app) -> FileStore:
    return FileStore.from_config(app.config)


def build_world(session, admin_id: int | None = None, sent_days_ago: int = 10) -> MailWorld:
    sent = clock.today() - timedelta(days=sent_days_ago)

    def council(code: str) -> Authority:
        return session.scalar(select(Authority).where(Authority.code == code))

    kent, hampshire, surrey = council("KEN"), council("HAM"), council("SRY")
    kent.foi_email, kent.website = "foi@kent.gov.uk", "https://www.kent.gov.uk"
    hampshire.foi_email, hampshire.website = "foi@hants.gov.uk", "https://www.hants.gov.uk/"
    surrey.foi_email, surrey.website = "foi@surreycc.gov.uk", "surreycc.gov.uk"
    care = Campaign(title="Care budgets", default_regime="foia", created_by_id=admin_id)
    other = Campaign(title="Libraries", default_regime="foia", created_by_id=admin_id)
    session.add_all([care, other])
    session.flush()

    def new(campaign, authority, reference=""):
        return create_request(
            session,
            {
                "campaign_id": campaign.id,
                "authority_id": authority.id,
                "regime": "foia",
                "subject": "Budgets",
                "body": "Please send them.",
                "sent_on": sent,
                "received_on": None,
                "council_reference": reference,
                "owner_id": None,
            },
            admin_id,
        )

    kent_request = new(care, kent, "FOI/2026/0042")
    kent_request.reply_token = "k" * 32
    hampshire_request = new(care, hampshire, "HCC-77812")
    surrey_a, surrey_b = new(care, surrey), new(other, surrey)
    session.commit()
    return MailWorld(care.id, other.id, kent_request.id, hampshire_request.id, (surrey_a.id, surrey_b.id), kent.id)


def campaign_address(session, campaign_id: int, authority_id: int, address: str) -> None:
    session.add(CampaignContact(campaign_id=campaign_id, authority_id=authority_id, foi_email=address))
    session.commit()
