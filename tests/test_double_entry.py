"""Double entry (#17): a second person enters a council's figures blind; mismatches are settled
by a third person; the report says how many figures were entered twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from fointracker.models import Answer, AuditEntry, Campaign, FoiRequest, SecondEntry
from fointracker.services.answers import AnswerInput
from fointracker.services.double_entry import double_entry_counts, save_second_entries
from fointracker.services.report import build_report, report_json
from fointracker.services.report_methodology import double_entry_statement
from tests.conftest import csrf_token, login, make_user, post
from tests.figures_support import enter, new_campaign, new_question, new_request, respond

MEMBERSHIP_ENFORCED = True
FIRST_VALUE = "£1,234,567"


@pytest.fixture
def world(app, session, users):
    """Kent's figures entered by staff; a second member of staff (second@) makes the second entry;
    the coordinator and the author are third people."""
    second = make_user(app, "second@example.org", "staff")
    campaign = new_campaign(
        session, users["coordinator"], double_entry=True, members=[users["staff"], users["author"], second]
    )
    budget = new_question(session, campaign, "budget")
    heads = new_question(session, campaign, "heads", "count")
    eia = new_question(session, campaign, "eia", "yes_no")
    kent = new_request(session, campaign, "KEN")
    respond(session, kent, days_ago=20)
    enter(session, kent, {budget: FIRST_VALUE, heads: "12", eia: "yes"}, users["staff"])
    return {
        "campaign": campaign.id,
        "kent": kent.id,
        "budget": budget.id,
        "heads": heads.id,
        "eia": eia.id,
        "second": second,
    }


def second_entry(client, world, **values):
    data = {}
    for name, value in values.items():
        data[f"q{world[name]}-value"] = value
        data[f"q{world[name]}-state"] = ""
        data[f"q{world[name]}-exemption"] = ""
    return post(client, f"/figures/requests/{world['kent']}/second-entry", data)


def seconds(session) -> list[SecondEntry]:
    session.expire_all()
    return session.scalars(select(SecondEntry).order_by(SecondEntry.question_id)).all()


def test_the_second_entry_page_never_shows_the_first_entry(app, client, world):
    login(client, "second@example.org")
    page = client.get(f"/figures/requests/{world['kent']}/second-entry").get_data(as_text=True)
    assert f'name="q{world["budget"]}-value"' in page and 'value=""' in page
    for shown in ("1,234,567", "1234567", "£1.2m", '"12"'):
        assert shown not in page, shown
    # Not after saving either: only whether the two agreed.
    response = second_entry(client, world, budget="1234567", heads="13")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 agreed with the first entry, 1 differed" in page
    assert "Entered twice: agreed" in page and "Entered twice: differs" in page
    for shown in ("1,234,567", "1234567", ">12<"):
        assert shown not in page, shown


def test_agreement_is_the_same_figure_however_it_was_typed(session, client, world, users):
    login(client, "second@example.org")
    second_entry(client, world, budget="1.234567m", heads="13", eia="no")
    rows = {s.question_id: s for s in seconds(session)}
    assert rows[world["budget"]].value_number == Decimal("1234567") and rows[world["budget"]].raw == "1.234567m"
    counts = double_entry_counts(session, session.get(Campaign, world["campaign"]))
    assert (counts.figures, counts.entered_twice, counts.settled, counts.waiting) == (3, 3, 0, 2)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "second_entry")).all()
    assert sorted(e.after["agreed"] for e in audit) == [False, False, True]
    assert all("1234567" not in str(e.after) for e in audit)  # the trail shows no values either


def test_errors_show_in_place_and_nothing_is_saved(session, client, world):
    login(client, "second@example.org")
    response = second_entry(client, world, budget="lots", heads="13")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="q{world["budget"]}-value-error"' in html and "lots" in html
    assert seconds(session) == []


def test_whoever_entered_the_figures_cannot_enter_them_again(session, login_as, world):
    client = login_as("staff")
    page = client.get(f"/figures/requests/{world['kent']}/second-entry").get_data(as_text=True)
    assert "you entered some of this council" in page and f'name="q{world["budget"]}-value"' not in page
    response = second_entry(client, world, budget="1")
    assert response.status_code == 302 and seconds(session) == []


def test_nothing_to_do_when_double_entry_is_off(session, login_as, world, users):
    session.get(Campaign, world["campaign"]).double_entry = False
    session.commit()
    client = login_as("coordinator")
    page = client.get(f"/figures/requests/{world['kent']}/second-entry").get_data(as_text=True)
    assert "double entry is off for this campaign" in page
    second_entry(client, world, budget="1")
    assert seconds(session) == []
    assert double_entry_counts(session, session.get(Campaign, world["campaign"])) is None


def test_a_question_is_entered_twice_only_once(session, client, world):
    login(client, "second@example.org")
    second_entry(client, world, budget=FIRST_VALUE)
    response = second_entry(client, world, budget="2")
    assert response.status_code == 400 and "already entered twice" in response.get_data(as_text=True)
    assert [s.raw for s in seconds(session)] == [FIRST_VALUE]


@pytest.fixture
def mismatched(session, world):
    """The second person agreed on the budget and differed on heads (13) and the EIA (no)."""
    typed = {world["budget"]: AnswerInput(raw=FIRST_VALUE), world["heads"]: AnswerInput(raw="13")}
    typed[world["eia"]] = AnswerInput(raw="no")
    result = save_second_entries(session, session.get(FoiRequest, world["kent"]), typed, world["second"])
    session.commit()
    assert (result.agreed, result.mismatched) == (1, 2)
    return world


def test_mismatches_are_listed_with_both_values(login_as, mismatched):
    client = login_as("coordinator")
    html = client.get(f"/figures/mismatches?campaign={mismatched['campaign']}").get_data(as_text=True)
    assert "2 mismatches waiting" in html
    assert "Keep the first entry: <strong>12</strong>" in html and "Take the second entry: <strong>13</strong>" in html
    assert "Keep the first entry: <strong>Yes</strong>" in html and "Take the second entry: <strong>No</strong>" in html
    assert "budget</code>" not in html  # the budget agreed


def test_neither_enterer_may_settle(session, login_as, mismatched):
    client = login_as("staff")  # the first enterer
    html = client.get(f"/figures/mismatches?campaign={mismatched['campaign']}").get_data(as_text=True)
    assert html.count("You cannot settle this: you made the first entry") == 2
    url = f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle"
    response = post(client, url, {"choice": "second"})
    assert "Not settled: you made the first entry" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(s.settled_at is None for s in seconds(session))
    assert session.scalar(select(Answer.value_number).where(Answer.question_id == mismatched["heads"])) == 12


def test_the_second_enterer_may_not_settle_either(app, session, client, mismatched):
    login(client, "second@example.org")
    url = f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle"
    response = post(client, url, {"choice": "second"})
    assert "Not settled: you made the second entry" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(s.settled_at is None for s in seconds(session))


def test_a_third_person_settles_by_choosing_or_typing(session, login_as, mismatched, users):
    client = login_as("author")
    base = f"/figures/requests/{mismatched['kent']}/questions"
    response = post(client, f"{base}/{mismatched['heads']}/settle", {"choice": "second"})
    assert "Settled: Kent" in client.get(response.headers["Location"]).get_data(as_text=True)
    answer = session.scalar(select(Answer).where(Answer.question_id == mismatched["heads"]))
    assert (answer.value_number, answer.entered_by_id) == (13, users["author"])
    # A typed value must parse; then it is the answer.
    response = post(client, f"{base}/{mismatched['eia']}/settle", {"choice": "typed", "value": "perhaps"})
    assert "Not settled:" in client.get(response.headers["Location"]).get_data(as_text=True)
    post(client, f"{base}/{mismatched['eia']}/settle", {"choice": "typed", "value": "Yes"})
    session.expire_all()
    assert session.scalar(select(Answer.value_bool).where(Answer.question_id == mismatched["eia"])) is True
    assert all(
        s.settled_by_id == users["author"] and s.settled_at
        for s in seconds(session)
        if s.question_id != mismatched["budget"]
    )
    settled = session.scalars(select(AuditEntry).where(AuditEntry.action == "settled")).all()
    assert sorted(e.after["kept"] for e in settled) == ["second", "typed"]
    updated = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "answer", AuditEntry.action == "updated")
    ).all()
    assert {e.user_id for e in updated} == {users["author"]} and len(updated) == 1  # "Yes" was already the answer
    html = client.get(f"/figures/mismatches?campaign={mismatched['campaign']}").get_data(as_text=True)
    assert "No mismatch waits to be settled" in html


def test_keeping_the_first_value_changes_no_answer(session, login_as, mismatched):
    client = login_as("coordinator")
    post(client, f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle", {"choice": "first"})
    session.expire_all()
    assert session.scalar(select(Answer.value_number).where(Answer.question_id == mismatched["heads"])) == 12
    assert [s.settled_at is not None for s in seconds(session)] == [False, True, False]


def test_the_report_states_how_many_figures_were_entered_twice(app, session, login_as, mismatched):
    client = login_as("coordinator")
    post(client, f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle", {"choice": "first"})
    session.expire_all()
    campaign = session.get(Campaign, mismatched["campaign"])
    statement = (
        "3 of 3 figures were entered twice by different people; 1 mismatch was settled; 1 mismatch waits to be settled."
    )
    assert build_report(session, campaign).methodology.double_entry == statement
    html = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert statement in html
    assert "double" not in str(report_json(build_report(session, campaign))).lower()  # the JSON is as it was


def test_the_statement_reads_well_for_any_count():
    from fointracker.services.double_entry import DoubleEntryCounts

    assert double_entry_statement(None) == ""
    assert double_entry_statement(DoubleEntryCounts(1, 1, 1, 0)) == (
        "1 of 1 figure was entered twice by different people; 1 mismatch was settled."
    )
    assert double_entry_statement(DoubleEntryCounts(40, 0, 0, 0)) == (
        "0 of 40 figures were entered twice by different people; 0 mismatches were settled."
    )


def test_outsiders_see_nothing_and_authors_do_not_enter(app, client, session, mismatched):
    make_user(app, "outsider@example.org", "coordinator")
    login(client, "outsider@example.org")
    assert client.get(f"/figures/requests/{mismatched['kent']}/second-entry").status_code == 404
    assert client.get(f"/figures/mismatches?campaign={mismatched['campaign']}").status_code == 404
    url = f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle"
    assert post(client, url, {"choice": "second"}).status_code == 404
    assert all(s.settled_at is None for s in seconds(session))


def test_authors_settle_but_do_not_enter(login_as, mismatched):
    client = login_as("author")
    assert client.get(f"/figures/requests/{mismatched['kent']}/second-entry").status_code == 403


def test_a_settle_without_the_csrf_token_is_refused(session, login_as, mismatched):
    client = login_as("coordinator")
    csrf_token(client, "/")
    url = f"/figures/requests/{mismatched['kent']}/questions/{mismatched['heads']}/settle"
    assert client.post(url, data={"choice": "second"}).status_code == 400
    assert all(s.settled_at is None for s in seconds(session))
