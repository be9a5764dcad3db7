"""Campaigns and single requests through the web UI."""

from datetime import date

from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, Campaign, FoiRequest, RequestEvent
from tests.conftest import post


def _authority_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Authority.id).where(Authority.code == code))


def _campaign(client, title="Social care cuts", regime="foia", letter="Dear {authority_name}"):
    return post(
        client,
        "/campaigns/new",
        {"title": title, "description": "d", "default_regime": regime, "letter_template": letter},
    )


def test_coordinator_creates_and_edits_a_campaign(login_as, app, users):
    client = login_as("coordinator")
    response = _campaign(client)
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.title == "Social care cuts"
        assert [u.id for u in campaign.coordinators] == []  # the form sent none
        campaign_id = campaign.id
    response = post(
        client,
        f"/campaigns/{campaign_id}/edit",
        {
            "title": "Social care cuts 2026",
            "default_regime": "eir",
            "letter_template": "",
            "coordinators": [users["coordinator"]],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.title == "Social care cuts 2026" and campaign.default_regime == "eir"
        assert [u.id for u in campaign.coordinators] == [users["coordinator"]]
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "campaign")).all()
        assert actions == ["created", "updated"]
    listing = client.get("/campaigns/?q=2026").get_data(as_text=True)
    assert "Social care cuts 2026" in listing


def test_campaign_page_names_the_regime_and_its_scottish_twin(login_as, app):
    client = login_as("coordinator")
    _campaign(client, regime="eir")
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "<dd>EIR (Scottish councils: EISR)</dd>" in page


def test_campaign_form_names_the_bad_placeholder_and_saves_nothing(login_as, app):
    client = login_as("coordinator")
    response = _campaign(client, letter="Dear {council}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Request letter" in html and "unknown placeholder {council}" in html
    with app.app_context():
        assert db.session.scalar(select(Campaign)) is None


def test_duplicate_campaign_title_is_refused(login_as):
    client = login_as("coordinator")
    assert _campaign(client).status_code == 302
    assert "already has this title" in _campaign(client).get_data(as_text=True)


def _new_request(client, campaign_id, authority_id, **extra):
    data = {
        "campaign_id": campaign_id,
        "authority_id": authority_id,
        "regime": "",
        "subject": "Budgets",
        "body": "Please send",
        "sent_on": "2026-03-02",
        "received_on": "",
        "council_reference": "",
        "owner_id": "",
    }
    data.update(extra)
    return post(client, "/requests/new", data)


def test_staff_creates_a_sent_request_with_timeline_and_audit(login_as, app):
    coordinator = login_as("coordinator")
    _campaign(coordinator)
    post(coordinator, "/logout", {})
    client = login_as("staff")
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    response = _new_request(client, campaign_id, _authority_id(app, "KEN"), council_reference="FOI/123")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        req = db.session.scalar(select(FoiRequest))
        assert (req.regime, req.status, req.sent_on, req.received_on) == (
            "foia",
            "awaiting_response",
            date(2026, 3, 2),
            date(2026, 3, 2),
        )
        assert [e.kind for e in db.session.scalars(select(RequestEvent))] == ["sent"]
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "request")) == "created"
        request_id = req.id
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Mon 2 Mar 2026" in page and "FOI/123" in page and "Kent County Council" in page


def test_scottish_council_gets_foisa_by_default_and_refuses_foia(login_as, app):
    client = login_as("coordinator")
    _campaign(client)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    glasgow = _authority_id(app, "GLG")
    assert _new_request(client, campaign_id, glasgow).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(FoiRequest.regime)) == "foisa"
    response = _new_request(client, campaign_id, glasgow, regime="foia")
    assert "Scottish councils answer under FOISA" in response.get_data(as_text=True)


def test_request_form_errors_name_the_field(login_as, app):
    client = login_as("coordinator")
    _campaign(client)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    response = _new_request(client, campaign_id, "", subject="", sent_on="2026-02-30")
    html = response.get_data(as_text=True)
    assert "Council: Choose a council." in html
    assert "Subject: This field is required." in html
    assert "Date sent: Not a valid date value." in html
    response = _new_request(client, campaign_id, _authority_id(app, "KEN"), received_on="2026-03-01")
    assert "cannot receive the request before it was sent" in response.get_data(as_text=True)
    # A one-line box cannot send a line break; a crafted post that does is refused (it would
    # break every reminder email carrying the subject), while the request text keeps its lines.
    response = _new_request(
        client,
        campaign_id,
        _authority_id(app, "KEN"),
        subject="Budgets\r\nBcc: x@evil.example",
        body="Line one\r\nLine two",
    )
    assert "Subject: must be on one line" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FoiRequest)) is None


def test_request_list_filters_and_paginates(login_as, app):
    client = login_as("coordinator")
    _campaign(client)
    _campaign(client, title="Other")
    with app.app_context():
        first, second = db.session.scalars(select(Campaign.id).order_by(Campaign.id)).all()
        councils = db.session.scalars(
            select(Authority.id)
            .where(Authority.social_care, Authority.nation == "England", Authority.end_date.is_(None))
            .order_by(Authority.code)
            .limit(55)
        ).all()
    for authority_id in councils:
        assert _new_request(client, first, authority_id).status_code == 302
    assert _new_request(client, second, _authority_id(app, "KEN"), subject="Libraries", sent_on="").status_code == 302

    page1 = client.get(f"/requests/?campaign={first}").get_data(as_text=True)
    assert "Page 1 of 2 (55 in all)" in page1
    page2 = client.get(f"/requests/?campaign={first}&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page2
    drafts = client.get("/requests/?status=draft").get_data(as_text=True)
    assert "Libraries" not in drafts or "1 in all" in drafts
    assert drafts.count('class="badge status-draft"') == 1
    london = client.get(f"/requests/?campaign={first}&region=London").get_data(as_text=True)
    assert "status-awaiting_response" in london and "Kent" not in london
    search = client.get("/requests/?q=Libraries").get_data(as_text=True)
    assert search.count("status-draft") == 1
    nothing = client.get("/requests/?q=%27%3B%20DROP%20TABLE%20foi_request%3B--")
    assert nothing.status_code == 200 and "No request matches" in nothing.get_data(as_text=True)
    bad_filter = client.get("/requests/?campaign=abc&status=nonsense")
    assert bad_filter.status_code == 200 and "were not understood" in bad_filter.get_data(as_text=True)


def test_edit_request_is_audited(login_as, app):
    client = login_as("coordinator")
    _campaign(client)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    _new_request(client, campaign_id, _authority_id(app, "KEN"))
    with app.app_context():
        request_id = db.session.scalar(select(FoiRequest.id))
    response = post(
        client,
        f"/requests/{request_id}/edit",
        {"regime": "eir", "subject": "Budgets v2", "body": "Please send", "council_reference": "R1", "owner_id": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "updated")).one()
        assert entry.before == {"council_reference": "", "regime": "foia", "subject": "Budgets"}
        assert entry.after == {"council_reference": "R1", "regime": "eir", "subject": "Budgets v2"}


def test_admin_edits_a_council(login_as, app):
    client = login_as("admin")
    response = post(
        client,
        "/councils/KEN/edit",
        {
            "official_name": "Kent County Council",
            "short_name": "Kent",
            "foi_email": "foi@kent.gov.uk",
            "website": "https://www.kent.gov.uk",
        },
    )
    assert response.status_code == 302
    page = client.get("/councils/KEN").get_data(as_text=True)
    assert "foi@kent.gov.uk" in page
    bad = post(
        client,
        "/councils/KEN/edit",
        {"official_name": "Kent County Council", "short_name": "Kent", "foi_email": "not-an-email", "website": ""},
    )
    assert "not an email address: it needs one @" in bad.get_data(as_text=True)


def test_council_list_filters(login_as):
    client = login_as("staff")
    html = client.get("/councils/?nation=Scotland&social_care=yes").get_data(as_text=True)
    assert "(32 in all)" in html or "32 in all" in html
    abolished = client.get("/councils/?status=abolished&q=Dorset").get_data(as_text=True)
    assert "abolished" in abolished


def test_empty_states(login_as):
    client = login_as("coordinator")
    assert "No campaigns yet" in client.get("/campaigns/").get_data(as_text=True)
    assert "No requests yet" in client.get("/requests/").get_data(as_text=True)
    assert "There are no campaigns yet" in client.get("/").get_data(as_text=True)


def test_a_campaign_chooses_its_sender_and_whether_acknowledgements_need_a_person(login_as, app):
    client = login_as("coordinator")
    _campaign(client)
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id))
    form = {"title": "Social care cuts", "default_regime": "foia", "letter_template": ""}
    refused = post(client, f"/campaigns/{campaign_id}/edit", form | {"mail_from": "foi@example.org\r\nBcc: x@y"})
    assert refused.status_code == 200 and "Send letters from" in refused.get_data(as_text=True)
    saved = post(
        client,
        f"/campaigns/{campaign_id}/edit",
        form | {"mail_from": " FOI@Campaign.Example.org ", "auto_confirm_acknowledgements": "y"},
    )
    assert saved.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.mail_from, campaign.auto_confirm_acknowledgements) == ("foi@campaign.example.org", True)
    post(
        client, f"/campaigns/{campaign_id}/edit", form | {"mail_from": ""}
    )  # unticked: off; blank: the install's sender
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.mail_from, campaign.auto_confirm_acknowledgements) == ("", False)
