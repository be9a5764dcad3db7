"""Bulk verify (#17): a campaign's answers entered but not verified, filtered by question and by
who entered them, verified at once, never by the person who entered them; audited as one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from fointracker.models import Answer, AuditEntry
from tests.conftest import csrf_token, login, make_user, post
from tests.figures_support import enter, new_campaign, new_question, new_request, respond

MEMBERSHIP_ENFORCED = True


@pytest.fixture
def world(app, session, users):
    """Three councils' figures: Kent's and Cambridgeshire's entered by staff, Hampshire's by a
    second member of staff; one answer of another campaign."""
    other_staff = make_user(app, "staff2@example.org", "staff")
    members = [users["staff"], users["author"], other_staff]
    campaign = new_campaign(session, users["coordinator"], members=members)
    budget = new_question(session, campaign, "budget")
    staff = new_question(session, campaign, "staff", "count")
    requests = {}
    for code, who in (("KEN", users["staff"]), ("CAM", users["staff"]), ("HAM", other_staff)):
        requests[code] = new_request(session, campaign, code)
        respond(session, requests[code], days_ago=20)
        enter(session, requests[code], {budget: "£1,000", staff: "4"}, who)
    elsewhere = new_campaign(session, users["coordinator"], title="Elsewhere", members=members)
    elsewhere_question = new_question(session, elsewhere, "budget")
    enter(session, new_request(session, elsewhere, "KEN"), {elsewhere_question: "£9"}, other_staff)
    return {
        "campaign": campaign.id,
        "budget": budget.id,
        "staff": staff.id,
        "other_staff": other_staff,
        "ids": {code: r.id for code, r in requests.items()},
        "foreign_answer": session.scalar(select(Answer.id).where(Answer.question_id == elsewhere_question.id)),
    }


def answer_ids(session, **where) -> list[int]:
    stmt = select(Answer.id).order_by(Answer.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Answer, name) == value)
    return list(session.scalars(stmt))


def listed(html: str) -> list[str]:
    """(council, question code) of each row of the page."""
    return re.findall(r'#q\d+">([^<]+)</a></td>\s*<td><code>([^<]+)</code>', html)


def verified(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Answer.id)).where(Answer.verified_by_id.is_not(None)))


def test_the_page_lists_what_waits_and_filters_by_question_and_enterer(login_as, world):
    client = login_as("author")
    url = f"/figures/verify?campaign={world['campaign']}"
    everything = client.get(url).get_data(as_text=True)
    assert len(listed(everything)) == 6 and "Elsewhere" not in everything
    assert "Verify all 6 matching" in everything
    by_question = client.get(f"{url}&question={world['staff']}").get_data(as_text=True)
    assert [code for _council, code in listed(by_question)] == ["staff"] * 3
    by_enterer = client.get(f"{url}&entered_by={world['other_staff']}").get_data(as_text=True)
    assert [council for council, _code in listed(by_enterer)] == ["Hampshire", "Hampshire"]
    both = client.get(f"{url}&entered_by={world['other_staff']}&question={world['budget']}").get_data(as_text=True)
    assert listed(both) == [("Hampshire", "budget")] and "Verify all 1 matching" in both


def test_ticked_answers_are_verified_and_audited_one_by_one(login_as, session, world, users):
    client = login_as("author")
    kent = answer_ids(session, request_id=world["ids"]["KEN"])
    response = post(client, f"/figures/verify?campaign={world['campaign']}", {"ids": kent, "action": "selected"})
    assert response.status_code == 302
    assert "2 verified" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert verified(session) == 2
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "verified")).all()
    assert sorted(e.entity_id for e in entries) == kent
    assert {(e.entity_type, e.user_id, e.after["verified_by_id"]) for e in entries} == {
        ("answer", users["author"], users["author"])
    }
    # Verified answers leave the list.
    html = client.get(f"/figures/verify?campaign={world['campaign']}").get_data(as_text=True)
    assert len(listed(html)) == 4 and "Kent" not in [c for c, _ in listed(html)]


def test_nobody_verifies_what_they_entered(login_as, session, world, users):
    client = login_as("staff")
    page = client.get(f"/figures/verify?campaign={world['campaign']}").get_data(as_text=True)
    own = answer_ids(session, entered_by_id=users["staff"])
    for answer_id in own:  # no box to tick for one's own answers
        assert f'name="ids" value="{answer_id}"' not in page
    others = answer_ids(session, entered_by_id=world["other_staff"], request_id=world["ids"]["HAM"])
    assert all(f'name="ids" value="{answer_id}"' in page for answer_id in others)
    # Posted anyway, they are refused and counted; the rest go through.
    response = post(
        client, f"/figures/verify?campaign={world['campaign']}", {"ids": own + others, "action": "selected"}
    )
    message = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 verified; 4 skipped because you entered them" in message
    session.expire_all()
    assert {a.id for a in session.scalars(select(Answer).where(Answer.verified_by_id.is_not(None)))} == set(others)


def test_all_matching_verifies_the_count_confirmed_and_refuses_a_changed_count(login_as, session, world, users):
    client = login_as("staff")
    url = f"/figures/verify?campaign={world['campaign']}&entered_by={world['other_staff']}"
    response = post(client, url, {"action": "all", "count": "3"})  # the page said 2
    assert "Nothing verified: 2 answers match now, not the 3 you confirmed" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert verified(session) == 0
    response = post(client, url, {"action": "all", "count": "2"})
    assert response.headers["Location"] == url
    assert verified(session) == 2
    # Everything matching, the staff's own among them: those are skipped, and said so.
    response = post(client, f"/figures/verify?campaign={world['campaign']}", {"action": "all", "count": "4"})
    assert "0 verified; 4 skipped because you entered them" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert verified(session) == 2


def test_answers_of_another_campaign_are_not_verified_through_this_one(login_as, session, world):
    client = login_as("author")
    post(client, f"/figures/verify?campaign={world['campaign']}", {"ids": [world["foreign_answer"]]})
    assert verified(session) == 0


def test_an_empty_list_says_what_to_do(login_as, world):
    client = login_as("author")
    html = client.get(f"/figures/verify?campaign={world['campaign']}&question=999999").get_data(as_text=True)
    assert "No answer matching these filters waits to be verified" in html


def test_outsiders_are_answered_as_if_the_campaign_did_not_exist(app, client, session, world):
    make_user(app, "outsider@example.org", "author")
    login(client, "outsider@example.org")
    assert client.get(f"/figures/verify?campaign={world['campaign']}").status_code == 404
    ids = answer_ids(session, request_id=world["ids"]["HAM"])
    assert post(client, f"/figures/verify?campaign={world['campaign']}", {"ids": ids}).status_code == 404
    assert verified(session) == 0


def test_a_post_without_the_csrf_token_is_refused(login_as, session, world):
    client = login_as("author")
    csrf_token(client, "/")  # a session with a token, not sent below
    ids = answer_ids(session, request_id=world["ids"]["HAM"])
    forged = client.post(f"/figures/verify?campaign={world['campaign']}", data={"ids": ids, "action": "selected"})
    assert forged.status_code == 400
    assert verified(session) == 0
