"""Issue #15 through the app: a late extension claim stays late (FOIA s.17(1)-(2)), office
closures give only the council's expected date (FOIA s.10(6), FOISA s.73), Good Friday and
Christmas Day cannot be removed, and `fointracker deadline` (--extension-claimed, --explain)."""

from datetime import date

import pytest
from sqlalchemy import select

from fointracker.models import Authority, Campaign
from fointracker.services.calendar import ClosureError, add_closure
from fointracker.services.deadlines import Calendars, council_expected_due_for, recompute_requests
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event
from tests.conftest import post
from tests.test_cli import run_cli

TODAY = date(2026, 11, 23)


@pytest.fixture
def campaign_id(session, users):
    campaign = Campaign(title="Issue 15", default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.commit()
    return campaign.id


def new_request(session, campaign_id, code="KEN", sent=date(2026, 3, 2)):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority.id,
            "regime": "foisa" if authority.nation == "Scotland" else "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": sent,
            "received_on": None,
            "council_reference": "",
            "owner_id": None,
        },
        None,
    )
    session.commit()
    return foi_request


def test_s17_late_extension_claim_leaves_the_answer_late(session, campaign_id):
    """FOIA s.10(3), s.17(1)-(2): received 2 Mar 2026 (due 31 Mar), extension claimed 10 Apr to
    28 Apr, answered 27 Apr: recorded, but late, on working day 37."""
    req = new_request(session, campaign_id)
    assert req.response_due_on == date(2026, 3, 31)
    add_event(
        session,
        req,
        kind="extension_claimed",
        occurred_on=date(2026, 4, 10),
        details={"reason": "public_interest", "new_date": "2026-04-28"},
        user_id=None,
        today=TODAY,
    )
    assert req.status == "extended" and req.response_due_on == date(2026, 3, 31)
    add_event(
        session,
        req,
        kind="response_received",
        occurred_on=date(2026, 4, 27),
        details={"outcome": "successful"},
        user_id=None,
        today=TODAY,
    )
    session.commit()
    assert (req.responded_on_time, req.response_working_days) == (False, 37)
    assert recompute_requests(session) == 0  # the bulk recompute agrees


def test_s10_3_extension_claimed_in_time_keeps_the_answer_on_time(session, campaign_id):
    req = new_request(session, campaign_id)
    add_event(
        session,
        req,
        kind="extension_claimed",
        occurred_on=date(2026, 3, 27),
        details={"reason": "public_interest", "new_date": "2026-04-28"},
        user_id=None,
        today=TODAY,
    )
    assert req.response_due_on == date(2026, 4, 28)
    add_event(
        session,
        req,
        kind="response_received",
        occurred_on=date(2026, 4, 27),
        details={"outcome": "successful"},
        user_id=None,
        today=TODAY,
    )
    assert req.responded_on_time is True


def test_s10_6_office_closure_moves_no_stored_date_but_gives_the_councils_expectation(
    session, campaign_id, users, login_as, app
):
    """FOIA s.10(6), ICO LTT47: privilege days are working days. Closure on Mon 16 Mar 2026."""
    req = new_request(session, campaign_id)
    scottish = new_request(session, campaign_id, code="GLG")
    statutory_scot = scottish.response_due_on
    moved = add_closure(
        session, day=date(2026, 3, 16), name="Strike day", calendar="all", remove=False, user_id=users["admin"]
    )
    session.commit()
    assert moved == 0
    session.expire_all()
    assert (req.response_due_on, req.very_overdue_on) == (date(2026, 3, 31), date(2026, 4, 30))
    assert scottish.response_due_on == statutory_scot
    calendars = Calendars.from_db(session)
    assert council_expected_due_for(req, calendars) == date(2026, 4, 1)
    assert council_expected_due_for(scottish, calendars) is not None
    assert recompute_requests(session) == 0  # `deadlines recompute` leaves them statutory
    req_id = req.id

    client = login_as("staff")
    page = client.get(f"/requests/{req_id}").get_data(as_text=True)
    assert "Tue 31 Mar 2026" in page and "the council expects Wed 1 Apr 2026" in page
    explanation = client.get(f"/requests/{req_id}/deadline").get_data(as_text=True)
    assert "Council expects" in explanation and "Wed 1 Apr 2026" in explanation
    calc = client.get("/deadlines/calculator?regime=foia&received=2026-03-02").get_data(as_text=True)
    assert "Tue 31 Mar 2026" in calc and "Council expects" in calc and "Wed 1 Apr 2026" in calc


def test_no_closure_no_second_date(login_as):
    client = login_as("staff")
    calc = client.get("/deadlines/calculator?regime=foia&received=2026-03-02").get_data(as_text=True)
    assert "Tue 31 Mar 2026" in calc and "Council expects" not in calc


@pytest.mark.parametrize(
    ("day", "message"),
    [(date(2026, 4, 3), "Good Friday"), (date(2026, 12, 25), "Christmas Day"), (date(2027, 3, 26), "Good Friday")],
)
def test_s10_6_good_friday_and_christmas_day_cannot_be_removed(session, users, day, message):
    """FOIA s.10(6) names them: no proclamation makes them working days."""
    with pytest.raises(ClosureError, match=message) as refused:
        add_closure(session, day=day, name="Open as usual", calendar="all", remove=True, user_id=users["admin"])
    assert refused.value.field == "day"
    # As a closure (the offices shut anyway) the day is accepted: it changes nothing.
    add_closure(session, day=day, name="Closed", calendar="all", remove=False, user_id=users["admin"])


def test_closures_admin_refuses_good_friday_with_a_clear_message(login_as):
    client = login_as("admin")
    page = post(
        client, "/deadlines/closures", {"day": "2026-04-03", "name": "Open", "calendar": "all", "remove": "y"}
    ).get_data(as_text=True)
    assert "Good Friday is never a working day (FOIA s.10(6) names it)" in page
    ok = post(
        client,
        "/deadlines/closures",
        {"day": "2026-04-06", "name": "Proclamation", "calendar": "all", "remove": "y"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Holiday removed; deadlines recomputed" in ok


# --------------------------------------------------------------------------- the command


def test_deadline_extension_claimed_late_is_ignored_and_explained_once(app):
    """FOIA s.17(1)-(2): --extension 10 claimed on 10 Apr 2026, after the 31 Mar due date."""
    args = ("deadline", "--regime", "foia", "--received", "2026-03-02", "--extension", "10")
    on_time = run_cli(app, *args, "--extension-claimed", "2026-03-31")
    assert on_time.stdout.splitlines()[0] == "2026-04-16"  # Good Friday and Easter Monday skipped
    late = run_cli(app, *args, "--extension-claimed", "2026-04-10", "--explain")
    lines = late.stdout.splitlines()
    assert late.returncode == 0 and lines[0] == "2026-03-31"
    warnings = [line for line in lines if "after the statutory due date" in line]
    assert len(warnings) == 1 and "does not move the date" in warnings[0]


def test_deadline_explain_prints_each_warning_once(app):
    """FOISA has no extension (s.10): the one warning appears once, not twice."""
    result = run_cli(app, "deadline", "--regime", "foisa", "--received", "2026-03-02", "--extension", "5", "--explain")
    assert result.returncode == 0
    warnings = [line for line in result.stdout.splitlines() if "FOISA has no public-interest" in line]
    assert len(warnings) == 1


def test_deadline_help_documents_extension_claimed(app):
    result = run_cli(app, "deadline", "--help")
    assert "--extension-claimed DATE" in result.stdout and "s.17(1)-(2)" in result.stdout


def test_deadline_extension_claimed_must_be_a_date(app):
    result = run_cli(app, "deadline", "--regime", "foia", "--received", "2026-03-02", "--extension-claimed", "soon")
    assert result.returncode == 2 and "--extension-claimed" in result.stderr
