"""Follow-up letters: a chaser, an internal-review request and a complaint to the regulator,
filled with one request's facts, citing the provision each relies on (FOIA s.10(1), s.50;
FOISA s.10, s.20, s.47; EIR reg 5(2), reg 11)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fointracker import clock
from fointracker.domain.letters import (
    BUILT_IN_FOLLOW_UPS,
    FOLLOW_UP_PLACEHOLDERS,
    FollowUp,
    LetterFacts,
    render_follow_up,
    template_problems,
)
from fointracker.extensions import db
from fointracker.models import Authority
from fointracker.services.campaigns import save_campaign
from fointracker.services.deadlines import Calendars
from fointracker.services.foi_requests import create_request
from fointracker.services.letters import follow_up_letters
from fointracker.services.timeline import add_event

# The example: received Mon 2 Mar 2026, due Tue 31 Mar 2026 (FOIA s.10(1)).
FOIA_FACTS = LetterFacts(
    regime="foia",
    authority_name="Manchester City Council",
    campaign_title="Care budgets",
    subject="Adult social care budgets",
    our_reference="Care budgets, request 7",
    council_reference="FOI/2026/123",
    today=date(2026, 4, 10),
    sent_on=date(2026, 3, 2),
    received_on=date(2026, 3, 2),
    due_on=date(2026, 3, 31),
)


def test_built_in_letters_use_only_known_placeholders():
    for template in BUILT_IN_FOLLOW_UPS.values():
        assert template_problems(template, FOLLOW_UP_PLACEHOLDERS) == []


def test_foia_chaser_states_the_dates_references_and_working_days_late_s10_1():
    """Due Tue 31 Mar 2026; on Fri 10 Apr it is 6 working days late (Good Friday 3 Apr and
    Easter Monday 6 Apr are not working days, FOIA s.10(6))."""
    text = render_follow_up(FollowUp.CHASER, FOIA_FACTS)
    assert text.startswith("Dear Manchester City Council,\n\nOur reference: Care budgets, request 7\n")
    assert "Your reference: FOI/2026/123" in text
    assert "on Mon 2 Mar 2026; you received it on Mon 2 Mar 2026" in text
    assert "Under section 10(1) of the Freedom of Information Act 2000 your response was due by Tue 31 Mar 2026" in text
    assert "As of Fri 10 Apr 2026 I have had no response, 6 working days late." in text


def test_no_council_reference_no_line():
    text = render_follow_up(FollowUp.CHASER, LetterFacts(**{**FOIA_FACTS.__dict__, "council_reference": ""}))
    assert "Your reference" not in text


def test_review_request_after_a_refusal_names_the_exemption_and_the_review_provision():
    facts = LetterFacts(
        **{**FOIA_FACTS.__dict__, "due_on": None, "responded_on": date(2026, 3, 27)},
    )
    facts = LetterFacts(**{**facts.__dict__, "response_summary": "Refused, citing s.43 commercial interests"})
    text = render_follow_up(FollowUp.REVIEW, facts)
    assert "You responded on Fri 27 Mar 2026 (Refused, citing s.43 commercial interests)." in text
    assert "the Code of Practice issued under section 45 of the Freedom of Information Act 2000" in text
    assert "[say what is missing" in text


def test_review_of_a_failure_to_respond_eir_reg_11_and_reg_5_2():
    facts = LetterFacts(**{**FOIA_FACTS.__dict__, "regime": "eir"})
    review = render_follow_up(FollowUp.REVIEW, facts)
    assert "regulation 11 of the Environmental Information Regulations 2004" in review
    assert "Regulation 11(4) requires your decision within 40 working days." in review
    assert "review your failure to respond" in review
    chaser = render_follow_up(FollowUp.CHASER, facts)
    assert "regulation 5(2) of the Environmental Information Regulations 2004" in chaser


def test_foia_complaint_goes_to_the_ico_under_s50():
    text = render_follow_up(FollowUp.COMPLAINT, FOIA_FACTS)
    assert text.startswith("To the Information Commissioner's Office\n")
    assert "section 50 of the Freedom of Information Act 2000" in text


def test_foisa_letters_cite_s10_s20_s47_and_the_scottish_commissioner():
    """A Scottish request: review under FOISA s.20 (response within 20 working days, s.21(1));
    an application to the Scottish Information Commissioner under s.47(1) once the review
    is answered or its 20 working days have passed."""
    facts = LetterFacts(
        **{
            **FOIA_FACTS.__dict__,
            "regime": "foisa",
            "authority_name": "Glasgow City Council",
            "due_on": None,
            "responded_on": date(2026, 3, 30),
            "review_requested_on": date(2026, 4, 1),
            "review_due_on": date(2026, 4, 29),
        }
    )
    chaser = render_follow_up(FollowUp.CHASER, facts)
    assert "section 10(1) of the Freedom of Information (Scotland) Act 2002" in chaser
    assert "I asked for an internal review on Wed 1 Apr 2026. Your review response was due by Wed 29 Apr 2026" in (
        chaser
    )
    review = render_follow_up(FollowUp.REVIEW, facts)
    assert "section 20 of the Freedom of Information (Scotland) Act 2002" in review
    assert "Section 21(1) requires your response within 20 working days." in review
    complaint = render_follow_up(FollowUp.COMPLAINT, LetterFacts(**{**facts.__dict__, "today": date(2026, 5, 6)}))
    assert complaint.startswith("To the Scottish Information Commissioner\n")
    assert "section 47(1) of the Freedom of Information (Scotland) Act 2002" in complaint
    assert "Internal review requested: Wed 1 Apr 2026; review due: Wed 29 Apr 2026; review outcome: none" in complaint
    assert "due by Wed 29 Apr 2026, 4 working days late"  # May Day 4 May skipped in complaint


def test_a_campaigns_own_wording_is_used_when_given():
    text = render_follow_up(FollowUp.CHASER, FOIA_FACTS, "To {authority_name}: due {due_on}. {today}")
    assert text == "To Manchester City Council: due Tue 31 Mar 2026. Fri 10 Apr 2026"


def test_placeholder_values_are_never_reparsed():
    """A subject holding braces is text, not a placeholder."""
    facts = LetterFacts(**{**FOIA_FACTS.__dict__, "subject": "{authority_name} {0} <b>x</b>"})
    assert "Request: {authority_name} {0} <b>x</b>\n" in render_follow_up(FollowUp.CHASER, facts)


# ---------------------------------------------------------------- from the timeline, and the page


def _sent_request(session, code="MAN", sent_on=None, reference="<script>alert(1)</script>"):
    campaign = save_campaign(
        session, None, {"title": "Care <i>budgets</i>", "description": "", "default_regime": "foia"}, [], None
    )
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": authority.id,
            "regime": "foia",
            "subject": "Budgets & <cuts>",
            "sent_on": sent_on,
            "council_reference": reference,
        },
        None,
    )
    session.commit()
    return foi_request


def test_letters_read_the_timeline(session):
    foi_request = _sent_request(session, sent_on=date(2026, 3, 2))
    add_event(
        session,
        foi_request,
        kind="response_received",
        occurred_on=date(2026, 3, 27),
        details={"outcome": "refused", "exemptions": ["s43"]},
        user_id=None,
        today=date(2026, 4, 1),
    )
    session.commit()
    found = follow_up_letters(foi_request, foi_request.events, date(2026, 4, 1), Calendars.from_db(session))
    letters = {letter.kind: letter for letter in found}
    assert list(letters) == [FollowUp.CHASER, FollowUp.REVIEW, FollowUp.COMPLAINT]
    assert (
        "You responded on Fri 27 Mar 2026 (Refused, citing s.43 commercial interests)." in letters[FollowUp.REVIEW].text
    )
    assert "Response due: Tue 31 Mar 2026; first response: Fri 27 Mar 2026" in letters[FollowUp.COMPLAINT].text
    assert letters[FollowUp.REVIEW].subject.startswith("Internal review: Budgets & <cuts> (our reference: ")
    assert f"request {foi_request.id}; your reference: <script>" in letters[FollowUp.REVIEW].subject


def test_a_draft_has_no_letters(session):
    foi_request = _sent_request(session, sent_on=None)
    assert follow_up_letters(foi_request, [], date(2026, 4, 1)) == []


@pytest.fixture
def sent_id(app):
    with app.app_context():
        return _sent_request(db.session, sent_on=clock.today() - timedelta(days=40)).id


def test_request_page_shows_the_letters_escaped_with_a_copy_button(login_as, sent_id):
    html = login_as("staff").get(f"/requests/{sent_id}").get_data(as_text=True)
    assert '<h2 id="letters">Letters</h2>' in html
    assert '<textarea id="letter-chaser" readonly' in html and 'data-copy="letter-chaser"' in html
    assert "/static/copy.js" in html  # served by the app: no CDN
    assert "<script>alert(1)</script>" not in html
    assert "Your reference: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Request: Budgets &amp; &lt;cuts&gt;" in html


def test_draft_page_warns_of_s12_aggregation_before_it_is_sent(login_as, app):
    """Fees Regulations 2004 reg 5: a draft to a council that received a request of the same
    campaign 10 days ago is flagged before it is marked sent."""
    with app.app_context():
        earlier = _sent_request(db.session, sent_on=clock.today() - timedelta(days=10))
        draft = create_request(
            db.session,
            {
                "campaign_id": earlier.campaign_id,
                "authority_id": earlier.authority_id,
                "regime": "foia",
                "subject": "s",
            },
            None,
        )
        db.session.commit()
        draft_id, earlier_id = draft.id, earlier.id
    client = login_as("staff")
    html = client.get(f"/requests/{draft_id}").get_data(as_text=True)
    assert "Before you mark this sent: the council may count it together with another request (s.12)" in html
    assert f"request {earlier_id}</a> (Care &lt;i&gt;budgets&lt;/i&gt;," in html
    assert "reg 5" in html and "You can still send it." in html
    earlier_html = client.get(f"/requests/{earlier_id}").get_data(as_text=True)
    assert "Before you mark this sent" not in earlier_html  # sent already
