"""A campaign sent to 150 councils and their replies filed, end to end (#16, "Done when"): the
coordinator sends the drafts by email from the browser, the outbox hands them to a real SMTP
server (aiosmtpd), each council answers its request's own reply address into a real IMAP
mailbox (Dovecot), the IMAP door files every answer on its request, a stranger's message waits
in triage, and confirming a reply's suggested step puts the response and its document on the
timeline."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

import pytest
from imapclient import IMAPClient
from playwright.sync_api import expect
from sqlalchemy import func, select

from fointracker import clock
from fointracker.delivery import Mailer, SmtpSettings
from fointracker.domain.lifecycle import EventKind, Status
from fointracker.extensions import db
from fointracker.models import Authority, FoiRequest, MailMessage, RequestEvent, User
from fointracker.services.batch import create_batch
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.mail_imap import ImapSettings, poll
from fointracker.services.mail_sending import send_due
from tests.dovecot import dovecot, dovecot_server  # noqa: F401  (fixtures)
from tests.reminders_support import smtp_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNCILS = 150
REPLY_TO = "foi+{token}@replies.example.org"
LETTER = "Dear {authority_name},\nUnder the {regime_name}, please tell me your adult social care budget."


def _drafts_to_150_councils(app, coordinator_email: str) -> int:
    """A campaign with 150 drafts to English councils with social care, each with an FOI address."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == coordinator_email))
        campaign = save_campaign(
            db.session,
            None,
            {"title": "Living at the margins", "description": "", "default_regime": "foia", "letter_template": LETTER},
            [coordinator.id],
            None,
        )
        councils = db.session.scalars(
            select(Authority)
            .where(Authority.nation == "England", Authority.social_care, Authority.end_date.is_(None))
            .order_by(Authority.code)
            .limit(COUNCILS)
        ).all()
        assert len(councils) == COUNCILS
        for council in councils:
            council.foi_email = f"foi@{council.code.lower()}.council.example"
        create_batch(
            db.session,
            campaign,
            [c.id for c in councils],
            subject="Adult social care budgets",
            sent_on=None,
            owner_id=None,
            allow_duplicates=False,
            user_id=coordinator.id,
        )
        db.session.commit()
        return campaign.id


def _send_outbox(app) -> None:
    """What the scheduler's mail job does every minute, run until the outbox is empty."""
    with app.app_context():
        mailer = Mailer(SmtpSettings.from_config(app.config))
        try:
            for _ in range(5):
                if not send_due(db.session, mailer, app.config).claimed:
                    break
        finally:
            mailer.close()


def _reply(letter, n: int) -> bytes:
    """The council answers from its FOI address to the letter's Reply-To, in the letter's thread:
    odd councils acknowledge, even ones answer with a spreadsheet."""
    reply = EmailMessage()
    reply["From"] = f"Information Governance <{letter['To']}>"
    reply["To"] = letter["Reply-To"]
    reply["Subject"] = "RE: " + letter["Subject"]
    reply["Date"] = format_datetime(clock.now())
    reply["Message-ID"] = make_msgid(domain="council.example")
    reply["In-Reply-To"] = letter["Message-ID"]
    if n % 2:
        reply.set_content(
            "Thank you for your request, which we have received and logged. We will respond within 20 working days."
        )
    else:
        reply.set_content("Please find attached our response to your request.\n\nInformation Governance Team")
        reply.add_attachment(
            b"budget,2025\nadult social care,1000\n", maintype="text", subtype="csv", filename="response.csv"
        )
    return reply.as_bytes(policy=SMTP)


def _stranger() -> bytes:
    message = EmailMessage()
    message["From"] = "newsletter@elsewhere.example.com"
    message["To"] = "foi@campaign.example.org"
    message["Subject"] = "Our autumn newsletter"
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="elsewhere.example.com")
    message.set_content("Nothing to do with any request.")
    return message.as_bytes(policy=SMTP)


def test_a_campaign_to_150_councils_sent_by_email_and_the_replies_filed(app, logged_in, smtp_server, dovecot):  # noqa: F811
    app.config.update(smtp_server.config(), MAIL_REPLY_TO=REPLY_TO, MAIL_PER_MINUTE=1000, IMAP_URL=dovecot.url())
    campaign_id = _drafts_to_150_councils(app, "coordinator@example.org")
    page = logged_in

    # Send: the campaign's drafts, by email, from the browser.
    page.goto(f"/campaigns/{campaign_id}")
    page.get_by_role("link", name="Send drafts by email").click()
    page.get_by_role("button", name=f"Send {COUNCILS} letters by email").click()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()

    _send_outbox(app)
    letters = list(smtp_server.messages)
    assert len(letters) == COUNCILS
    assert len({m["Reply-To"] for m in letters}) == COUNCILS  # a reply address for each request
    assert len({m["Message-ID"] for m in letters}) == COUNCILS
    with app.app_context():
        requests = db.session.scalars(select(FoiRequest).where(FoiRequest.campaign_id == campaign_id)).all()
        assert {r.status for r in requests} == {Status.AWAITING_RESPONSE.value}
        by_address = {r.authority.foi_email: r for r in requests}
    for letter in letters:
        assert f"FT-{by_address[letter['To']].id}" in letter["Subject"]

    # The councils answer; their mail and one stranger's arrive in the shared mailbox.
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as imap:
        imap.login(dovecot.user, dovecot.password)
        for n, letter in enumerate(letters):
            imap.append("INBOX", _reply(letter, n))
        imap.append("INBOX", _stranger())

    with app.app_context():
        result = poll(
            lambda: db.session, ImapSettings.from_config(app.config), FileStore.from_config(app.config), app.config
        )
        assert (result.filed, result.triaged) == (COUNCILS, 1)
        filed = db.session.execute(
            select(MailMessage.request_id, MailMessage.from_addr).where(
                MailMessage.direction == "in", MailMessage.request_id.is_not(None)
            )
        ).all()
        assert len(filed) == COUNCILS
        # Each answer is on the request that was sent to the address it came from.
        assert {request_id for request_id, _ in filed} == {r.id for r in requests}
        assert all(by_address[sender].id == request_id for request_id, sender in filed)
        answered = by_address[letters[0]["To"]]  # the first council answered with the spreadsheet

    # Triage shows the stranger's message with the reason nothing matched.
    page.goto("/mail/")
    expect(page.get_by_text("Our autumn newsletter")).to_be_visible()

    # On a request page: the reply, its suggested step, confirmed with one click.
    page.goto(f"/requests/{answered.id}")
    mail = page.locator("ol.mail-list").first
    expect(mail).to_contain_text("RE: ")
    expect(mail).to_contain_text("Suggested: ")
    mail.get_by_role("button", name="Confirm").first.click()
    expect(page.locator("ol.mail-list").first).to_contain_text("Recorded on the timeline")
    expect(page.get_by_role("link", name="response.csv").first).to_be_visible()
    with app.app_context():
        kinds = db.session.scalars(select(RequestEvent.kind).where(RequestEvent.request_id == answered.id)).all()
        assert EventKind.RESPONSE_RECEIVED.value in kinds
        assert (
            db.session.scalar(select(func.count(MailMessage.id)).where(MailMessage.direction == "in")) == COUNCILS + 1
        )
