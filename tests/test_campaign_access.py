"""Campaigns as the unit of access (fointracker/services/access.py): each rule of who sees what.

Every URL for a member and an outsider of each role is in tests/security/test_access_matrix.py;
here are the rules behind it, one test each.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import AuditEntry, Authority, Campaign, User
from fointracker.services.access import campaign_scope, may_see_campaign, visible_campaign_ids
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.preferences import new_calendar_token
from fointracker.services.read_cache import dashboard_cache, dashboard_data
from tests.conftest import login, make_user, post

MEMBERSHIP_ENFORCED = True  # tests/conftest.py opens every campaign to everyone elsewhere
CAMPAIGN = {"description": "", "default_regime": "foia", "letter_template": "", "webhook_url": ""}


def _campaign(title: str, coordinators: list[int], by: int, members: list[int] | None = None) -> int:
    campaign = save_campaign(db.session, None, {**CAMPAIGN, "title": title}, coordinators, by, members)
    db.session.commit()
    return campaign.id


def _request(campaign_id: int, owner_id: int, by: int, days_ago: int = 3) -> int:
    kent = db.session.scalar(select(Authority).where(Authority.code == "KEN"))
    req = create_request(
        db.session,
        {
            "campaign_id": campaign_id,
            "authority_id": kent.id,
            "regime": "foia",
            "subject": f"Budgets {campaign_id}",
            "body": "",
            "sent_on": clock.today() - timedelta(days=days_ago),
            "received_on": None,
            "council_reference": "",
            "owner_id": owner_id,
        },
        by,
    )
    db.session.commit()
    return req.id


@pytest.fixture
def two_campaigns(app, users):
    """Two campaigns: "Ours" (the coordinator's, with the staff user as a member) and "Theirs" (the admin's,
    no members), each with one request owned by the staff user."""
    with app.app_context():
        ours = _campaign("Ours", [users["coordinator"]], users["coordinator"], [users["staff"]])
        theirs = _campaign("Theirs", [], users["admin"])
        ids = {
            "ours": ours,
            "theirs": theirs,
            "our_request": _request(ours, users["staff"], users["staff"]),
            "their_request": _request(theirs, users["staff"], users["admin"]),
        }
        db.session.remove()
    return ids


def test_admins_see_every_campaign_others_only_their_own(app, users, two_campaigns):
    with app.app_context():
        s = db.session
        admin, staff, author = (s.get(User, users[r]) for r in ("admin", "staff", "author"))
        assert visible_campaign_ids(s, admin) is None  # every campaign
        assert visible_campaign_ids(s, staff) == {two_campaigns["ours"]}
        assert visible_campaign_ids(s, author) == frozenset()
        assert may_see_campaign(s, admin, two_campaigns["theirs"])
        assert not may_see_campaign(s, staff, two_campaigns["theirs"])
        assert s.scalars(select(Campaign.title).where(campaign_scope(staff, Campaign.id))).all() == ["Ours"]


def test_coordinators_are_members_even_when_added_another_way(app, users):
    with app.app_context():
        s = db.session
        campaign = Campaign(title="Direct", default_regime="foia")
        campaign.coordinators.append(s.get(User, users["coordinator"]))
        s.add(campaign)
        s.commit()
        assert campaign.members == []
        assert visible_campaign_ids(s, s.get(User, users["coordinator"])) == {campaign.id}


def test_saving_keeps_coordinators_and_the_editor_members(app, users):
    with app.app_context():
        s = db.session
        campaign_id = _campaign("Kept", [users["admin"]], users["coordinator"], [users["author"]])
        campaign = s.get(Campaign, campaign_id)
        # The coordinator created it: a member, as are its coordinators (here the admin) and those chosen.
        assert {u.email for u in campaign.members} == {
            "admin@example.org",
            "coordinator@example.org",
            "author@example.org",
        }
        save_campaign(s, campaign, {**CAMPAIGN, "title": "Kept"}, [users["admin"]], users["admin"], [])
        s.commit()
        assert [u.email for u in campaign.members] == ["admin@example.org"]  # an admin editor is not added
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "campaign").order_by(AuditEntry.id.desc())
        ).first()
        assert entry.before["members"] != entry.after["members"] == ["admin@example.org"]


def test_an_admin_manages_members_on_the_campaign_form(app, users, client, two_campaigns):
    login(client, "admin@example.org")
    form = client.get(f"/campaigns/{two_campaigns['theirs']}/edit").get_data(as_text=True)
    assert 'name="members"' in form
    response = post(
        client,
        f"/campaigns/{two_campaigns['theirs']}/edit",
        {**CAMPAIGN, "title": "Theirs", "members": [users["author"]]},
    )
    assert response.status_code == 302
    author = app.test_client()
    login(author, "author@example.org")
    assert author.get(f"/campaigns/{two_campaigns['theirs']}").status_code == 200
    post(client, f"/campaigns/{two_campaigns['theirs']}/edit", {**CAMPAIGN, "title": "Theirs"})  # nobody ticked
    assert author.get(f"/campaigns/{two_campaigns['theirs']}").status_code == 404


def test_only_its_coordinators_manage_a_campaigns_members(app, users, client):
    other = make_user(app, "other-coordinator@example.org", "coordinator")
    with app.app_context():
        campaign_id = _campaign("Shared", [users["coordinator"]], users["coordinator"], [other, users["staff"]])
    login(client, "other-coordinator@example.org")  # a member, not one of its coordinators
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'name="members"' not in page and 'name="coordinators"' not in page
    response = post(client, f"/campaigns/{campaign_id}/edit", {**CAMPAIGN, "title": "Renamed", "members": [other]})
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.title == "Renamed"  # the rest of the form is theirs to edit
        assert {u.email for u in campaign.members} == {
            "coordinator@example.org",
            "other-coordinator@example.org",
            "staff@example.org",
        }
        assert [u.email for u in campaign.coordinators] == ["coordinator@example.org"]


def test_a_new_request_only_goes_into_a_campaign_one_may_see(app, users, client, two_campaigns):
    login(client, "staff@example.org")
    page = client.get("/requests/new").get_data(as_text=True)
    assert "Ours" in page and "Theirs" not in page
    with app.app_context():
        kent = db.session.scalar(select(Authority.id).where(Authority.code == "KEN"))
    response = post(
        client,
        "/requests/new",
        {"campaign_id": two_campaigns["theirs"], "authority_id": kent, "subject": "Sneaky", "owner_id": ""},
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_an_owner_outside_the_campaign_sees_none_of_it(app, users, client, two_campaigns):
    """The staff user owns a request in "Theirs" but is not a member: not in their lists,
    dashboard, export or calendar feed, and its page is a 404."""
    with app.app_context():
        token = new_calendar_token(db.session, db.session.get(User, users["staff"]), users["staff"])
        db.session.commit()
    login(client, "staff@example.org")
    assert client.get(f"/requests/{two_campaigns['their_request']}").status_code == 404
    assert client.get(f"/requests/{two_campaigns['our_request']}").status_code == 200
    for url in ("/requests/", "/requests/export.csv", "/?scope=mine", "/?scope=all", "/campaigns/"):
        body = client.get(url).get_data(as_text=True)
        assert "Theirs" not in body and f"Budgets {two_campaigns['theirs']}" not in body, url
        assert "Ours" in body or f"Budgets {two_campaigns['ours']}" in body, url
    feed = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert f"/requests/{two_campaigns['our_request']}" in feed
    assert f"/requests/{two_campaigns['their_request']}" not in feed


def test_the_dashboard_cache_keys_on_what_the_user_may_see(app, users, two_campaigns):
    with app.app_context():
        s = db.session
        dashboard_cache.clear()
        today = clock.today()
        everything = dashboard_data(s, True, users["admin"], today, 5, None)
        staff_view = dashboard_data(
            s, True, users["staff"], today, 5, visible_campaign_ids(s, s.get(User, users["staff"]))
        )
        assert {row.title for row in everything.progress} == {"Ours", "Theirs"}
        assert [row.title for row in staff_view.progress] == ["Ours"]  # not the admin's cached answer
        assert set(staff_view.todo.by_campaign) <= {two_campaigns["ours"]}
        # Another user who may see the same campaigns shares the cached answer.
        assert dashboard_data(s, True, users["coordinator"], today, 5, frozenset({two_campaigns["ours"]})) is staff_view
        assert dashboard_data(s, True, users["author"], today, 5, frozenset()).progress == []


def test_a_cached_report_is_not_served_to_an_outsider(app, users, client, two_campaigns):
    admin = app.test_client()
    login(admin, "admin@example.org")
    assert admin.get(f"/campaigns/{two_campaigns['theirs']}/report").status_code == 200  # now cached
    login(client, "staff@example.org")
    assert client.get(f"/campaigns/{two_campaigns['theirs']}/report").status_code == 404
    assert client.get(f"/campaigns/{two_campaigns['ours']}/report").status_code == 200
