"""The figures queue (#17): councils whose reply, with documents, waits for its figures, oldest
first; *Save and next council* on the figures grid goes on to the next."""

from __future__ import annotations

import re

import pytest

from fointracker.extensions import db
from fointracker.foi_requests.figures_views import stamp
from fointracker.models import FoiRequest
from fointracker.services.answers import grid_rows
from fointracker.services.figures_queue import next_in_queue, queue_statement
from tests.conftest import login, make_user, post
from tests.figures_support import enter, new_campaign, new_question, new_request, respond

MEMBERSHIP_ENFORCED = True  # the campaigns' members are set below; outsiders get 404s


@pytest.fixture
def world(app, session, users):
    """Councils in every state the queue tells apart, in a campaign of two questions."""
    campaign = new_campaign(session, users["coordinator"], members=[users["staff"], users["author"]])
    budget = new_question(session, campaign, "budget")
    staff = new_question(session, campaign, "staff", "count")
    other = new_campaign(session, users["coordinator"], title="Another campaign", members=[users["staff"]])
    new_question(session, other, "budget")
    requests = {}
    for code, days_ago, documents in (("KEN", 30, 1), ("CAM", 40, 2), ("HAM", 20, 0), ("SWK", 35, 1), ("BDG", 25, 1)):
        requests[code] = new_request(session, campaign, code)
        respond(session, requests[code], days_ago=days_ago, documents=documents)
    requests["BIR"] = new_request(session, campaign, "BIR", sent_days_ago=5)  # no reply yet
    requests["other"] = new_request(session, other, "MAN")
    respond(session, requests["other"], days_ago=50)
    enter(session, requests["SWK"], {budget: "£1,000", staff: "12"}, users["staff"])  # all entered: out
    enter(session, requests["BDG"], {budget: "£2,000"}, users["staff"])  # half entered: still waiting
    ids = {code: r.id for code, r in requests.items()}
    return {"campaign": campaign.id, "other": other.id, "ids": ids, "budget": budget.id, "staff": staff.id}


def councils_listed(html: str) -> list[str]:
    return re.findall(r'<td><a href="/requests/\d+">([^<]+)</a></td>', html)


def test_the_queue_holds_replies_with_documents_still_to_enter_oldest_first(session, world):
    ids = world["ids"]
    queued = session.scalars(queue_statement(world["campaign"])).unique().all()
    # Cambridgeshire replied 40 days ago, Kent 30, Barking and Dagenham 25 (half entered). Hampshire sent no
    # document, Southwark's figures are all in, Birmingham has not replied, Manchester is another campaign's.
    assert [r.id for r in queued] == [ids["CAM"], ids["KEN"], ids["BDG"]]


def test_the_queue_page_lists_them_with_how_far_each_got(login_as, world):
    client = login_as("staff")
    html = client.get(f"/figures/queue?campaign={world['campaign']}").get_data(as_text=True)
    assert councils_listed(html) == ["Cambridgeshire", "Kent", "Barking and Dagenham"]
    assert "1 of 2" in html and html.count("0 of 2") == 2
    assert f"/requests/{world['ids']['CAM']}/figures?queue={world['campaign']}" in html


def test_an_empty_queue_says_what_to_do(app, login_as, session, users):
    campaign = new_campaign(session, users["coordinator"], title="Quiet", members=[users["staff"]])
    client = login_as("staff")
    html = client.get(f"/figures/queue?campaign={campaign.id}").get_data(as_text=True)
    assert "no questions yet" in html and "Add its questions" in html
    new_question(session, campaign, "budget")
    html = client.get(f"/figures/queue?campaign={campaign.id}").get_data(as_text=True)
    assert "No council is waiting for figures" in html and "documents uploaded" in html


def test_the_queue_pages(app, login_as, session, users):
    app.config["PER_PAGE"] = 2
    campaign = new_campaign(session, users["coordinator"], title="Paged", members=[users["staff"]])
    new_question(session, campaign, "budget")
    for n, code in enumerate(("KEN", "CAM", "HAM")):
        respond(session, new_request(session, campaign, code), days_ago=30 - n)
    client = login_as("staff")
    first = client.get(f"/figures/queue?campaign={campaign.id}").get_data(as_text=True)
    second = client.get(f"/figures/queue?campaign={campaign.id}&page=2").get_data(as_text=True)
    assert councils_listed(first) == ["Kent", "Cambridgeshire"] and councils_listed(second) == ["Hampshire"]
    assert "Page 1 of 2 (3 in all)" in first


def grid(world, code: str, **values) -> dict:
    """The grid's form for a council with no answers yet, as posted."""
    data = {}
    for name, qid in (("budget", world["budget"]), ("staff", world["staff"])):
        data[f"q{qid}-value"] = values.get(name, "")
        data[f"q{qid}-stamp"] = "none"
    return data


def stamps(app, request_id: int) -> dict[int, str]:
    """The grid's stamps of a council's answers as they are (services.answers: the page posts them back)."""
    with app.app_context():
        return {q.id: stamp(a) for q, a in grid_rows(db.session, db.session.get(FoiRequest, request_id))}


def test_save_and_next_council_goes_down_the_queue_and_round(login_as, session, world):
    ids, campaign = world["ids"], world["campaign"]
    client = login_as("staff")
    page = client.get(f"/requests/{ids['CAM']}/figures?queue={campaign}").get_data(as_text=True)
    assert "Save and next council" in page and f"/figures/queue?campaign={campaign}" in page
    # Cambridgeshire, the oldest, done: on to Kent.
    data = {**grid(world, "CAM", budget="£5,000", staff="7"), "next": "1"}
    response = post(client, f"/requests/{ids['CAM']}/figures?queue={campaign}", data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/requests/{ids['KEN']}/figures?queue={campaign}"
    # Kent half done stays in the queue, but the next one is Barking and Dagenham, after it.
    data = {**grid(world, "KEN", budget="£4,000"), "next": "1"}
    response = post(client, f"/requests/{ids['KEN']}/figures?queue={campaign}", data)
    assert response.headers["Location"] == f"/requests/{ids['BDG']}/figures?queue={campaign}"
    # Barking and Dagenham is the last: round to Kent, still waiting for one figure.
    bradford = {f"q{world['budget']}-value": "£2,000", f"q{world['staff']}-value": "3", "next": "1"}
    bradford.update({f"q{qid}-stamp": shown for qid, shown in stamps(client.application, ids["BDG"]).items()})
    response = post(client, f"/requests/{ids['BDG']}/figures?queue={campaign}", bradford)
    assert response.headers["Location"] == f"/requests/{ids['KEN']}/figures?queue={campaign}"


def test_the_last_council_leads_back_to_an_empty_queue(login_as, session, users):
    campaign = new_campaign(session, users["coordinator"], title="One left", members=[users["staff"]])
    budget = new_question(session, campaign, "budget")
    kent = new_request(session, campaign, "KEN")
    respond(session, kent, days_ago=10)
    client = login_as("staff")
    data = {f"q{budget.id}-value": "£1", f"q{budget.id}-stamp": "none", "next": "1"}
    response = post(client, f"/requests/{kent.id}/figures?queue={campaign.id}", data)
    assert response.headers["Location"] == f"/figures/queue?campaign={campaign.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That was the last council in the queue." in page and "No council is waiting for figures" in page


def test_a_wrong_value_stays_on_the_council_with_the_error_in_place(login_as, world):
    ids, campaign = world["ids"], world["campaign"]
    client = login_as("staff")
    data = {**grid(world, "CAM", budget="lots", staff="7"), "next": "1"}
    response = post(client, f"/requests/{ids['CAM']}/figures?queue={campaign}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="q{world["budget"]}-value-error"' in html and "Save and next council" in html


def test_plain_save_and_a_foreign_queue_stay_on_the_council(login_as, world):
    ids, campaign = world["ids"], world["campaign"]
    client = login_as("staff")
    response = post(client, f"/requests/{ids['CAM']}/figures?queue={campaign}", grid(world, "CAM", budget="£1"))
    assert response.headers["Location"] == f"/requests/{ids['CAM']}/figures?queue={campaign}"
    # Another campaign's queue named on this council's page is ignored.
    data = {**grid(world, "KEN", budget="£1"), "next": "1"}
    response = post(client, f"/requests/{ids['KEN']}/figures?queue={world['other']}", data)
    assert response.headers["Location"] == f"/requests/{ids['KEN']}/figures"
    page = client.get(f"/requests/{ids['KEN']}/figures?queue={world['other']}").get_data(as_text=True)
    assert "Save and next council" not in page


def test_next_in_queue_skips_the_council_just_saved(session, world):
    ids = world["ids"]
    kent = session.get(FoiRequest, ids["KEN"])
    assert next_in_queue(session, world["campaign"], kent) == ids["BDG"]
    bradford = session.get(FoiRequest, ids["BDG"])
    assert next_in_queue(session, world["campaign"], bradford) == ids["CAM"]  # round to the oldest


def test_only_members_see_a_campaign_queue(app, client, session, world):
    make_user(app, "outsider@example.org", "staff")
    login(client, "outsider@example.org")
    assert client.get(f"/figures/queue?campaign={world['campaign']}").status_code == 404
    assert client.get("/figures/queue?campaign=99999999999").status_code == 404
    assert client.get("/figures/queue?campaign=x").status_code == 404
    listing = client.get("/figures/queue").get_data(as_text=True)
    assert "Care budgets" not in listing and "not a member of any campaign" in listing
    # Nor does a queue of theirs name it on a council's page.
    page = client.get(f"/requests/{world['ids']['CAM']}/figures?queue={world['campaign']}")
    assert page.status_code == 404


def test_the_campaign_list_leads_to_each_queue(login_as, world):
    html = login_as("staff").get("/figures/queue").get_data(as_text=True)
    assert f'href="/figures/queue?campaign={world["campaign"]}"' in html
    assert "3 councils waiting for figures" in html and "1 council waiting for figures" in html
