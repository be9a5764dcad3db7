"""Which request a reply belongs to (#16): each door of services.mail_matching, and their order
(the reply address, the thread, a reference, the sender's domain; else triage, saying why)."""

from __future__ import annotations

import pytest

from fointracker import clock
from fointracker.domain.mail.parsing import parse_message
from fointracker.extensions import db
from fointracker.models import FoiRequest
from fointracker.models.mail import MailMessage
from fointracker.services.mail_intake import receive
from fointracker.services.mail_matching import bounced_original, match_message, reference_tokens, website_host
from tests.mail_intake_support import REPLY_TO, bounce, build_world, campaign_address, eml, store_of

KENT_ADDRESS = "foi+" + "k" * 32 + "@replies.example.org"


@pytest.fixture
def world(app, session):
    app.config["MAIL_REPLY_TO"] = REPLY_TO
    return build_world(session)


def match(app, raw: bytes):
    return match_message(db.session, parse_message(raw), app.config, raw)


def our_letter(request_id: int, message_id: str) -> None:
    foi_request = db.session.get(FoiRequest, request_id)
    db.session.add(
        MailMessage(
            direction="out",
            status="sent",
            campaign_id=foi_request.campaign_id,
            request_id=request_id,
            message_id=message_id,
            to_addr=foi_request.authority.foi_email,
            subject="FOI request",
            suggestion={},
            sent_at=clock.now(),
        )
    )
    db.session.commit()


# ---------------------------------------------------------------- each door


def test_the_reply_address_files_it_whatever_else_it_says(app, world):
    # From Surrey, quoting Hampshire's reference and ours for Hampshire: the address wins.
    raw = eml(
        to=f"Care campaign <{KENT_ADDRESS.upper()}>",
        from_="foi@surreycc.gov.uk",
        subject=f"FT-{world.hampshire_id} HCC-77812",
    )
    found = match(app, raw)
    assert found.request.id == world.kent_id and found.reason == "sent to this request's own reply address"


def test_an_unknown_token_or_no_template_is_not_a_match(app, world):
    raw = eml(to="foi+nosuchtoken@replies.example.org", from_="x@nowhere.example", subject="hello")
    assert match(app, raw).request is None
    app.config["MAIL_REPLY_TO"] = ""
    assert match(app, eml(to=KENT_ADDRESS, from_="x@nowhere.example")).request is None


def test_the_thread_comes_before_references(app, world):
    our_letter(world.hampshire_id, f"<ft.{world.hampshire_id}.abc@replies.example.org>")
    raw = eml(
        in_reply_to=f"<ft.{world.hampshire_id}.abc@replies.example.org>",
        subject=f"Re: FT-{world.kent_id}",  # a reference to another request: the thread wins
    )
    found = match(app, raw)
    assert found.request.id == world.hampshire_id and "thread of our message" in found.reason


def test_references_header_and_a_message_filed_earlier_continue_the_thread(app, world):
    first = receive(
        db.session,
        eml(subject=f"FT-{world.kent_id}", message_id="<first@kent.gov.uk>"),
        source="pipe",
        store=store_of(app),
        config=app.config,
    )
    db.session.commit()
    assert first.message.request_id == world.kent_id
    raw = eml(message_id="<second@kent.gov.uk>", references="<unknown@x> <first@kent.gov.uk>", subject="More")
    found = match(app, raw)
    assert found.request.id == world.kent_id and "filed to this request" in found.reason


def test_our_message_id_names_its_request_even_when_the_letter_is_not_stored(app, world):
    """A letter from the mail merge was sent from the group's own mailbox: only its Message-ID is ours."""
    raw = eml(in_reply_to=f"<ft.{world.hampshire_id}.zz9@replies.example.org>", from_="x@nowhere.example")
    assert match(app, raw).request.id == world.hampshire_id


def test_our_reference_in_the_subject_or_text(app, world):
    assert match(app, eml(subject=f"Re: Freedom of information request FT-{world.hampshire_id}")).request.id == (
        world.hampshire_id
    )
    found = match(app, eml(subject="Re: your request", body=f"Your reference ft–{world.kent_id}, our reply follows."))
    assert found.request.id == world.kent_id and f"FT-{world.kent_id}" in found.reason


def test_the_councils_reference_matches_as_an_exact_token_only_when_unique(app, world):
    found = match(app, eml(subject="Our ref: hcc-77812", from_="x@nowhere.example"))
    assert found.request.id == world.hampshire_id and "HCC-77812" in found.reason
    # Part of a longer token is not the reference.
    assert match(app, eml(subject="Ref HCC-778123", from_="x@nowhere.example")).request is None
    # Two requests with the same council reference: not unique, so no match by it.
    kent = db.session.get(FoiRequest, world.kent_id)
    kent.council_reference = "HCC-77812"
    db.session.commit()
    assert match(app, eml(subject="Our ref: HCC-77812", from_="x@nowhere.example")).request is None


def test_the_senders_domain_files_it_when_one_campaign_has_one_open_request(app, world):
    found = match(app, eml(from_="Jo Bloggs <jo.bloggs@kent.gov.uk>", subject="Your request"))
    assert found.request.id == world.kent_id and "kent.gov.uk" in found.reason
    # A subdomain of the council's website is the council's.
    assert match(app, eml(from_="noreply@foi.hants.gov.uk", subject="Hello")).request.id == world.hampshire_id


def test_the_senders_domain_with_open_requests_in_two_campaigns_is_triage(app, world):
    found = match(app, eml(from_="foi@surreycc.gov.uk", subject="Your request"))
    assert found.request is None and "2 campaigns" in found.reason and found.campaign_id is None


def test_the_senders_domain_with_two_open_requests_in_one_campaign_is_triage_in_that_campaign(app, world):
    from fointracker.services.foi_requests import create_request

    kent = db.session.get(FoiRequest, world.kent_id)
    create_request(
        db.session,
        {
            "campaign_id": kent.campaign_id, "authority_id": kent.authority_id, "regime": "foia",
            "subject": "Another", "body": "", "sent_on": kent.sent_on, "received_on": None,
            "council_reference": "", "owner_id": None,
        },
        None,
    )  # fmt: skip
    db.session.commit()
    found = match(app, eml(from_="foi@kent.gov.uk", subject="Your request"))
    assert found.request is None and found.campaign_id == world.campaign_id and "2 open requests" in found.reason


def test_a_campaigns_own_address_domain_counts_for_that_campaign(app, world):
    campaign_address(db.session, world.other_campaign_id, world.kent_authority_id, "libraries@kentlibs.example")
    from fointracker.services.foi_requests import create_request

    kent = db.session.get(FoiRequest, world.kent_id)
    libraries_kent = create_request(
        db.session,
        {
            "campaign_id": world.other_campaign_id, "authority_id": kent.authority_id, "regime": "foia",
            "subject": "Libraries", "body": "", "sent_on": kent.sent_on, "received_on": None,
            "council_reference": "", "owner_id": None,
        },
        None,
    )  # fmt: skip
    db.session.commit()
    assert match(app, eml(from_="libraries@kentlibs.example", subject="Hi")).request.id == libraries_kent.id


def test_nothing_of_ours_is_triage_saying_why(app, world):
    found = match(app, eml(from_="someone@gmail.example", subject="Hello"))
    assert found.request is None and "gmail.example" in found.reason


def test_a_closed_request_is_not_found_by_domain(app, world):
    from fointracker.services.timeline import add_event

    hampshire = db.session.get(FoiRequest, world.hampshire_id)
    add_event(
        db.session, hampshire, kind="response_received", occurred_on=clock.today(),
        details={"outcome": "successful"}, user_id=None,
    )  # fmt: skip
    db.session.commit()
    found = match(app, eml(from_="foi@hants.gov.uk", subject="Hello"))
    assert found.request is None and "no open request" in found.reason


# ---------------------------------------------------------------- bounces


def test_a_bounce_is_matched_by_the_original_it_quotes(app, world):
    original = eml(
        from_="Care <campaign@example.org>",
        headers={"Reply-To": KENT_ADDRESS},
        to="foi@kent.gov.uk",
        message_id="<not-stored@example.org>",
    )
    headers = bounced_original(bounce(original=original, recipient="foi@kent.gov.uk"))
    assert headers.message_id == "<not-stored@example.org>" and KENT_ADDRESS in headers.addresses
    found = match(app, bounce(original=original, recipient="foi@kent.gov.uk"))
    assert found.request.id == world.kent_id and found.reason.startswith("a bounce of our mail")


# ---------------------------------------------------------------- the pure pieces


def test_reference_tokens_and_website_hosts():
    assert reference_tokens("Re: FOI/2026/0042", "see ref. ABC-1, and words") == ["FOI/2026/0042", "ABC-1"]
    assert website_host("https://www.kent.gov.uk/foi") == "kent.gov.uk"
    assert website_host("surreycc.gov.uk") == "surreycc.gov.uk"
    assert website_host("") == ""


def test_a_delay_notice_quoting_our_letter_is_filed_with_it(app, world):
    original = eml(from_="Care <campaign@example.org>", headers={"Reply-To": KENT_ADDRESS}, to="foi@kent.gov.uk")
    delayed = bounce(original=original, recipient="foi@kent.gov.uk", action="delayed")
    parsed = parse_message(delayed)
    assert parsed.is_auto_reply and not parsed.is_bounce
    found = match(app, delayed)
    assert found.request.id == world.kent_id and found.reason.startswith("an automatic notice about our mail")
