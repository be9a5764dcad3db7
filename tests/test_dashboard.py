"""The dashboard (to-do list, campaign progress, scope per role) and the campaign statistics page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert, select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User
from fointracker.services.deadlines import Calendars
from fointracker.services.stats import TODO_BUCKETS, Scope, todo_counts
from tests.conftest import login
from tests.test_stats import event, new_request

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime


def _row(campaign_id, authority_id, **columns):
    today = clock.today()
    values = {
        "campaign_id": campaign_id,
        "authority_id": authority_id,
        "regime": "foia",
        "subject": "s",
        "body": "",
        "council_reference": "",
        "status": "awaiting_response",
        "clock_paused": False,
        "figures_entered": False,
        "sent_on": today - timedelta(days=10),
        "received_on": today - timedelta(days=10),
        "owner_id": None,
        "outcome": None,
        "response_due_on": None,
        "very_overdue_on": None,
        "review_due_on": None,
        "responded_on": None,
        "responded_on_time": None,
    }
    values.update(columns)
    return values


@pytest.fixture
def scene(app, users):
    """Two campaigns, the coordinator coordinating A, and one request in each to-do bucket,
    with stored deadline columns set relative to the real today (the dashboard's today)."""
    today = clock.today()
    with app.app_context():
        s = db.session
        a = Campaign(title="A: care budgets", default_regime="foia", created_by_id=users["admin"])
        b = Campaign(title="B: libraries", default_regime="foia", created_by_id=users["admin"])
        a.coordinators.append(s.get(User, users["coordinator"]))
        s.add_all([a, b])
        s.flush()
        councils = s.scalars(
            select(Authority.id).where(Authority.nation == "England").order_by(Authority.id).limit(10)
        ).all()
        rows = [
            # overdue, owned by staff (A)
            _row(
                a.id,
                councils[0],
                owner_id=users["staff"],
                response_due_on=today - timedelta(days=2),
                very_overdue_on=today + timedelta(days=20),
            ),
            # very overdue, owned by staff (B)
            _row(
                b.id,
                councils[1],
                owner_id=users["staff"],
                response_due_on=today - timedelta(days=30),
                very_overdue_on=today - timedelta(days=1),
            ),
            # we owe a clarification (A)
            _row(a.id, councils[2], status="clarification_requested", clock_paused=True),
            # answered, figures not entered, owned by the coordinator (B)
            _row(
                b.id,
                councils[3],
                owner_id=users["coordinator"],
                status="responded",
                outcome="successful",
                responded_on=today - timedelta(days=3),
                responded_on_time=True,
            ),
            # internal review due today (A)
            _row(
                a.id,
                councils[4],
                status="internal_review",
                outcome="refused",
                review_due_on=today,
                responded_on=today - timedelta(days=5),
                responded_on_time=False,
            ),
            # due today: in "this week" (B)
            _row(b.id, councils[5], response_due_on=today, very_overdue_on=today + timedelta(days=28)),
            # nothing to do: due in two months (B), and a refusal (B), and a withdrawn one (B)
            _row(b.id, councils[6], response_due_on=today + timedelta(days=60)),
            _row(b.id, councils[7], status="responded", outcome="refused", responded_on=today, responded_on_time=True),
            _row(b.id, councils[8], status="withdrawn", outcome="withdrawn"),
        ]
        s.execute(insert(FoiRequest), rows)
        s.commit()
        return {"a": a.id, "b": b.id, "users": users}


def todo_cell(html: str, name: str) -> str:
    match = re.search(rf'<tr id="todo-{name}">(.*?)</tr>', html, re.S)
    assert match, f"no to-do row {name}"
    return match.group(1)


def todo_number(html: str, name: str) -> int:
    cell = re.search(r'<td class="num">(.*?)</td>', todo_cell(html, name), re.S).group(1)
    return int(re.sub(r"<[^>]+>", "", cell).strip())


def links(fragment: str) -> list[dict]:
    """The query arguments of every link in an HTML fragment."""
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(unescape(href)).query).items()}
        for href in re.findall(r'href="([^"]+)"', fragment)
    ]


def listed(client, query: dict) -> int:
    """How many requests the request list shows for these filters."""
    html = client.get("/requests/", query_string=query).get_data(as_text=True)
    match = re.search(r"(\d+) in all", html)
    return int(match.group(1)) if match else 0


def logged_in(app, role):
    """A client of its own, logged in as the fixture user with `role`."""
    client = app.test_client()
    assert login(client, f"{role}@example.org").status_code == 302
    return client


def expected_counts(app, scope_user=None):
    with app.app_context():
        scope = Scope.mine(db.session, scope_user) if scope_user else None
        return todo_counts(db.session, clock.today(), Calendars.from_db(db.session), 5, scope)


def test_staff_sees_their_own_requests_by_default(login_as, app, scene):
    client = login_as("staff")
    html = client.get("/").get_data(as_text=True)
    staff = scene["users"]["staff"]
    assert 'aria-current="page">Mine<' in html and "Requests you own." in html
    counts = expected_counts(app, staff)
    assert counts == {
        "very_overdue": 1,
        "overdue": 2,
        "due_next_working_days": 0,
        "overdue_not_chased": 2,
        "clarification_owed": 0,
        "figures_missing": 0,
        "review_due": 0,
    }
    for name in TODO_BUCKETS:
        assert todo_number(html, name) == counts[name]
    assert links(todo_cell(html, "overdue")) == [{"owner": str(staff), "deadline": "overdue"}]
    assert links(todo_cell(html, "very_overdue")) == [{"owner": str(staff), "deadline": "very_overdue"}]
    assert links(todo_cell(html, "review_due")) == []  # nothing to list
    # The list behind each link shows exactly the number on the dashboard.
    assert listed(client, {"owner": staff, "deadline": "overdue"}) == 2
    assert listed(client, {"owner": staff, "deadline": "very_overdue"}) == 1
    # Progress: the campaigns staff has requests in (both), for the whole campaign.
    assert "A: care budgets" in html and "B: libraries" in html


def test_coordinator_sees_owned_requests_and_coordinated_campaigns(login_as, app, scene):
    client = login_as("coordinator")
    html = client.get("/").get_data(as_text=True)
    coordinator, a = scene["users"]["coordinator"], scene["a"]
    assert "every request in the 1 campaign you coordinate" in html
    counts = expected_counts(app, coordinator)
    # A: overdue, clarification, review; owned in B: the missing figures.
    assert counts == {
        "very_overdue": 0,
        "overdue": 1,
        "due_next_working_days": 0,
        "overdue_not_chased": 1,
        "clarification_owed": 1,
        "figures_missing": 1,
        "review_due": 1,
    }
    for name in TODO_BUCKETS:
        assert todo_number(html, name) == counts[name]
    # Each part links to its own list: "yours" by owner, the coordinated campaign by campaign.
    assert links(todo_cell(html, "overdue")) == [{"campaign": str(a), "deadline": "overdue"}]
    assert links(todo_cell(html, "clarification_owed")) == [{"campaign": str(a), "status": "clarification_requested"}]
    assert links(todo_cell(html, "figures_missing")) == [{"owner": str(coordinator), "todo": "figures_missing"}]
    assert links(todo_cell(html, "review_due")) == [{"campaign": str(a), "todo": "review_due"}]
    assert "1 yours" in todo_cell(html, "figures_missing") and "1 in A: care budgets" in todo_cell(html, "overdue")
    assert listed(client, {"campaign": a, "deadline": "overdue"}) == 1
    assert listed(client, {"campaign": a, "status": "clarification_requested"}) == 1


def test_admin_and_author_see_everything_by_default(app, scene):
    counts = expected_counts(app)
    assert counts == {
        "very_overdue": 1,
        "overdue": 2,
        "due_next_working_days": 1,
        "overdue_not_chased": 2,
        "clarification_owed": 1,
        "figures_missing": 1,
        "review_due": 1,
    }
    for role in ("admin", "author"):
        client = logged_in(app, role)
        html = client.get("/").get_data(as_text=True)
        assert 'aria-current="page">Everything<' in html and "Every request in every campaign." in html
        for name in TODO_BUCKETS:
            assert todo_number(html, name) == counts[name]
        assert links(todo_cell(html, "due_next_working_days")) == [{"todo": "due_next_working_days"}]
        assert links(todo_cell(html, "figures_missing")) == [{"todo": "figures_missing"}]
        assert listed(client, {"todo": "due_next_working_days"}) == 1
        assert listed(client, {"deadline": "overdue"}) == 2


def test_todo_links_list_what_they_count(app, scene):
    """Every to-do link, followed, lists as many requests as the dashboard counted."""
    admin = logged_in(app, "admin")
    assert listed(admin, {"todo": "review_due"}) < listed(admin, {})  # the list really filters by ?todo=
    checked = 0
    for role in ("admin", "coordinator", "staff"):
        client = logged_in(app, role)
        html = client.get("/").get_data(as_text=True)
        for name in TODO_BUCKETS:
            cell = todo_cell(html, name)
            numbers = re.findall(r">(\d+)(?: yours| in [^<]*)?</a>", cell)
            assert len(numbers) == len(links(cell))
            for query, n in zip(links(cell), numbers):
                assert listed(client, query) == int(n), (role, name, query)
                checked += 1
    assert checked == 7 + 5 + 3  # admin: every bucket; coordinator: 5 parts; staff: 3 buckets (with "not chased")
    assert listed(admin, {"todo": "outstanding", "campaign": scene["b"]}) == 3


def test_switching_scope(app, scene):
    client = logged_in(app, "author")
    mine = client.get("/?scope=mine").get_data(as_text=True)
    assert 'aria-current="page">Mine<' in mine
    assert "Nothing to do for you" in mine
    assert "You own no requests and coordinate no campaigns yet." in mine and "?scope=all" in mine
    assert 'aria-current="page">Everything<' in client.get("/?scope=nonsense").get_data(as_text=True)
    staff = logged_in(app, "staff")
    assert todo_number(staff.get("/?scope=all").get_data(as_text=True), "clarification_owed") == 1


def test_campaign_progress_table(login_as, scene):
    html = login_as("admin").get("/").get_data(as_text=True)
    row_b = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>B: libraries</a></th>(.*?)</tr>", html, re.S).group(1)
    numbers = [int(n) for n in re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row_b)]
    # sent, answered, on time, late, refused, not held, outstanding, withdrawn
    assert numbers == [6, 2, 2, 0, 1, 0, 3, 1]
    assert {"campaign": str(scene["b"]), "outcome": "refused"} in links(row_b)
    assert {"campaign": str(scene["b"]), "status": "withdrawn"} in links(row_b)
    assert {"campaign": str(scene["b"]), "todo": "outstanding"} in links(row_b)
    assert f"/campaigns/{scene['b']}/statistics" in row_b


def test_dashboard_dates_and_empty_states(app, users):
    client = logged_in(app, "staff")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"Today is (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}\.", html)
    assert "Nothing to do for you" in html
    assert (
        "There are no campaigns yet." in html and "Create one" not in html and "ask yours to add you" in html
    )  # staff cannot start one
    html = logged_in(app, "admin").get("/").get_data(as_text=True)
    assert "Nothing to do:" in html and "Create one" in html


def test_dashboard_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------- statistics page


@pytest.fixture
def answered_campaign(app, users):
    """The same small campaign as tests/test_stats.py's worked example (six councils asked)."""
    with app.app_context():
        s = db.session
        campaign = Campaign(title="Care budgets", default_regime="foia", created_by_id=users["admin"])
        s.add(campaign)
        s.commit()
        c = dict(s.execute(select(Authority.code, Authority.id)).all())
        a = campaign.id
        ok = new_request(s, a, c["KEN"], date(2026, 9, 1))
        event(s, ok, "response_received", date(2026, 9, 15), outcome="successful")
        late = new_request(s, a, c["ESX"], date(2026, 9, 1))
        event(s, late, "response_received", date(2026, 10, 13), outcome="refused", exemptions=["s12", "s40"])
        event(s, late, "review_requested", date(2026, 10, 14))
        partial = new_request(s, a, c["BDG"], date(2026, 9, 1))
        event(s, partial, "response_received", date(2026, 9, 3), outcome="partially_successful", exemptions=["s40"])
        new_request(s, a, c["BIR"], date(2026, 10, 1))
        new_request(s, a, c["GLG"], date(2026, 8, 3))
        new_request(s, a, c["CAM"], date(2026, 10, 27))
        new_request(s, a, c["LND"], None)
        return a


@pytest.mark.parametrize("role", ["admin", "coordinator", "staff", "author"])
def test_statistics_page_for_every_role(login_as, answered_campaign, role):
    html = login_as(role).get(f"/campaigns/{answered_campaign}/statistics").get_data(as_text=True)
    assert "<h1>Statistics: Care budgets</h1>" in html
    assert "n = 6 councils" in html and "(6 requests sent)" in html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Answered (response rate) 3 (50.0%)" in text
    assert "Answered on time (by the due date in force; extensions count) 2 (66.7%)" in text
    assert "Answered late 1 (33.3%)" in text
    assert "Outstanding (no answer yet) 3 (50.0%)" in text
    assert "Median time to respond 10 working days" in text
    assert "s.40 personal data 2" in text and "s.12 cost limit 1" in text
    assert "Requested 1" in text and "Under way 1" in text
    # By region: South East is Kent and East Sussex, answered in 10 and 30 working days.
    assert re.search(
        r"South East 2 2 \(100\.0%\) 1 \(50\.0%\) 1 \(50\.0%\) 0 \(0\.0%\) 1 \(50\.0%\) 1 20 working days", text
    ), text
    assert "Scotland 1 0 (0.0%) 0 (–) 0 (–) 1 (100.0%) 0 (–) 0 –" in text
    assert re.search(r"County 3 2 \(66\.7%\)", text)  # Kent, East Sussex, Cambridgeshire
    assert "London borough 1 1 (100.0%)" in text and "2 working days" in text


def test_statistics_empty_state_and_missing_campaign(login_as, app, users):
    with app.app_context():
        campaign = Campaign(title="Not sent yet", default_regime="foia", created_by_id=users["admin"])
        db.session.add(campaign)
        db.session.commit()
        campaign_id = campaign.id
    client = login_as("staff")
    html = client.get(f"/campaigns/{campaign_id}/statistics").get_data(as_text=True)
    assert "No request in this campaign has been sent yet" in html and "<table" not in html
    assert client.get("/campaigns/9999/statistics").status_code == 404


def test_campaign_page_links_to_its_statistics(login_as, answered_campaign):
    html = login_as("author").get(f"/campaigns/{answered_campaign}").get_data(as_text=True)
    assert f'href="/campaigns/{answered_campaign}/statistics"' in html
