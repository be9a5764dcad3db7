"""Letter templates: a placeholder is a name in braces, nothing more. A format spec
(`{authority_name:d}` fails on every letter, `{today:>1000000}` makes 1 MB letters), a
conversion, an attribute or an index is refused when the template is saved; one stored
before that rule gives a clear error on the batch pages (JSON on the JSON endpoint), never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fointracker.domain.letters import PLACEHOLDERS, LetterTemplateError, render_letter, template_problems
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest
from fointracker.services.campaigns import CampaignError, save_campaign
from tests.conftest import csrf_token, login

BAD = [
    "Dear {authority_name:d}",
    "Dated {today:>1000000}",
    "Dated {today:{authority_name}}",
    "To {authority_name!r}",
    "To {authority_name.__class__}",
    "To {authority_name[0]}",
    "To {0}",
]
VALUES = dict.fromkeys(PLACEHOLDERS, "X")


@pytest.mark.parametrize("template", BAD)
def test_format_specs_conversions_attributes_and_indexes_are_refused(template):
    assert template_problems(template)
    with pytest.raises(LetterTemplateError):
        render_letter(template, VALUES)


def test_plain_placeholders_and_literal_braces_render():
    template = "Dear {authority_name},\n{{not a placeholder}} {today} " + " ".join("{" + p + "}" for p in PLACEHOLDERS)
    assert template_problems(template) == []
    assert render_letter(template, VALUES).startswith("Dear X,\n{not a placeholder} X X")


@pytest.mark.parametrize("template", BAD)
def test_saving_such_a_template_is_refused(session, template):
    values = {"title": "Letters", "default_regime": "foia", "letter_template": template}
    with pytest.raises(CampaignError) as refused:
        save_campaign(session, None, values, [], None)
    assert refused.value.field == "letter_template"
    session.rollback()


@pytest.fixture
def stored_bad_template(app, users):
    """A campaign whose template was saved before the rule (written to the table directly)."""
    with app.app_context():
        campaign = save_campaign(
            db.session, None, {"title": "Old letters", "default_regime": "foia"}, [users["coordinator"]], None
        )
        db.session.execute(
            update(Campaign).where(Campaign.id == campaign.id).values(letter_template="Dear {authority_name:d}")
        )
        council = db.session.scalar(select(Authority.id).where(Authority.end_date.is_(None)).limit(1))
        db.session.commit()
        return campaign.id, council


@pytest.mark.parametrize("step", ["preview", "create"])
def test_a_stored_bad_template_is_a_form_error_on_the_batch_page(app, client, users, stored_bad_template, step):
    campaign_id, council = stored_bad_template
    assert login(client, "coordinator@example.org").status_code == 302
    response = client.post(
        f"/campaigns/{campaign_id}/batch",
        data={
            "authority_ids": str(council),
            "subject": "Budgets",
            "step": step,
            "csrf_token": csrf_token(client, f"/campaigns/{campaign_id}/batch"),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cannot be filled in" in page and "{authority_name:d}" in page
    with app.app_context():
        assert db.session.scalar(select(FoiRequest.id).where(FoiRequest.campaign_id == campaign_id)) is None


def test_a_stored_bad_template_is_json_on_the_json_endpoint(app, client, users, stored_bad_template):
    campaign_id, council = stored_bad_template
    assert login(client, "coordinator@example.org").status_code == 302
    response = client.post(
        f"/campaigns/{campaign_id}/batch/create",
        json={"authority_ids": [council], "subject": "Budgets"},
        headers={"X-CSRFToken": csrf_token(client, f"/campaigns/{campaign_id}/batch")},
    )
    assert response.status_code == 422 and response.is_json
    assert "cannot be filled in" in response.get_json()["error"]
