"""A campaign's own wording of the follow-up letters (campaign.follow_up_templates): edited on
the campaign form, checked on save against domain.letters.FOLLOW_UP_PLACEHOLDERS, used on the
request page; blank (or the built-in text unchanged) is the built-in wording."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from fointracker import clock
from fointracker.domain.letters import BUILT_IN_FOLLOW_UPS, FollowUp
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest
from fointracker.services.campaigns import CampaignError, save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.letters import follow_up_letters
from tests.conftest import post

OWN_CHASER = "To {authority_name}: <b>please</b> answer, it was due {due_on}.\r\n{references}"


@pytest.fixture
def scene(app, users):
    with app.app_context():
        s = db.session
        campaign = save_campaign(
            s,
            None,
            {"title": "Care budgets", "description": "", "default_regime": "foia"},
            [users["coordinator"]],
            None,
        )
        authority = s.scalar(select(Authority).where(Authority.code == "MAN"))
        sent = create_request(
            s,
            {
                "campaign_id": campaign.id,
                "authority_id": authority.id,
                "regime": "foia",
                "subject": "Budgets",
                "sent_on": clock.today() - timedelta(days=60),
            },
            None,
        )
        s.commit()
        return campaign.id, sent.id


def _form(**follow_ups):
    return {
        "title": "Care budgets",
        "description": "",
        "default_regime": "foia",
        "letter_template": "",
        "aggregation_group": "",
        "webhook_url": "",
        "follow_up_chaser": "",
        "follow_up_review": "",
        "follow_up_complaint": "",
        **follow_ups,
    }


def _stored(app, campaign_id):
    with app.app_context():
        return db.session.get(Campaign, campaign_id).follow_up_templates


def test_the_form_starts_from_the_built_in_wording(login_as, scene):
    campaign_id, _ = scene
    html = login_as("coordinator").get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'name="follow_up_chaser"' in html and "Follow-up letters" in html
    assert "Please pass this to the person who conducts internal reviews" in html  # the built-in review text
    assert "{review_section}" in html and "empty a box to go back to the" in html


def test_own_chaser_is_used_on_the_request_page_escaped_and_the_rest_stay_built_in(login_as, app, scene):
    campaign_id, request_id = scene
    client = login_as("coordinator")
    unchanged = BUILT_IN_FOLLOW_UPS[FollowUp.COMPLAINT].replace("\n", "\r\n")  # as a browser sends it
    response = post(
        client, f"/campaigns/{campaign_id}/edit", _form(follow_up_chaser=OWN_CHASER, follow_up_complaint=unchanged)
    )
    assert response.status_code == 302
    # Only the changed text is stored, with plain line endings; the unchanged and blank ones are built-in.
    assert _stored(app, campaign_id) == {"chaser": OWN_CHASER.replace("\r\n", "\n")}
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    chaser = page.split('id="letter-chaser"', 1)[1].split("</textarea>", 1)[0]
    assert "To Manchester City Council: &lt;b&gt;please&lt;/b&gt; answer, it was due " in chaser
    assert "<b>please</b>" not in page  # HTML in a template is text, never markup
    review = page.split('id="letter-review"', 1)[1].split("</textarea>", 1)[0]
    assert "Please pass this to the person who conducts internal reviews" in review
    # Editing again shows the campaign's own wording.
    assert "&lt;b&gt;please&lt;/b&gt;" in client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)


def test_blank_goes_back_to_the_built_in_wording(login_as, app, scene):
    campaign_id, request_id = scene
    client = login_as("coordinator")
    post(client, f"/campaigns/{campaign_id}/edit", _form(follow_up_chaser=OWN_CHASER))
    assert _stored(app, campaign_id)
    assert post(client, f"/campaigns/{campaign_id}/edit", _form(follow_up_chaser="  \r\n")).status_code == 302
    assert _stored(app, campaign_id) is None
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Please send your response as soon as possible" in page  # the built-in chaser


def test_an_unknown_placeholder_is_refused_with_the_ones_to_use(login_as, app, scene):
    campaign_id, _ = scene
    client = login_as("coordinator")
    html = post(
        client, f"/campaigns/{campaign_id}/edit", _form(follow_up_review="Due {due_date}, ask {regulator!r}")
    ).get_data(as_text=True)
    assert "Internal review request: unknown placeholder {due_date} — use one of: {authority_name}" in html
    assert "{regulator!r}: a placeholder is just its name in braces" in html
    assert _stored(app, campaign_id) is None  # nothing saved


def test_save_campaign_refuses_a_bad_template_by_field(session, users):
    with pytest.raises(CampaignError) as refused:
        save_campaign(
            session,
            None,
            {"title": "Letters", "default_regime": "foia", "follow_up_complaint": "{today:>999}"},
            [],
            None,
        )
    assert refused.value.field == "follow_up_complaint" and "{today:>999}" in refused.value.message


def test_a_stored_text_that_cannot_be_filled_falls_back_to_the_built_in_wording(session, scene):
    campaign_id, request_id = scene
    campaign = session.get(Campaign, campaign_id)
    campaign.follow_up_templates = {"chaser": "{nope}", "review": "Review, {authority_name}", "complaint": ""}
    session.commit()
    foi_request = session.get(FoiRequest, request_id)
    found = follow_up_letters(foi_request, foi_request.events, clock.today())
    letters = {letter.kind: letter.text for letter in found}
    assert "Please send your response as soon as possible" in letters[FollowUp.CHASER]
    assert letters[FollowUp.REVIEW] == "Review, Manchester City Council"
    assert letters[FollowUp.COMPLAINT].startswith("To the Information Commissioner's Office")
