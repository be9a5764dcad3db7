"""The grid's states follow what is typed (issue 13): a corrected estimate becomes firm, state
words typed as values, and absurdly long numbers refused with a message, never a 500."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from fointracker.domain.figures import AnswerState, FigureError, parse_answer, parse_state, state_word
from fointracker.extensions import db
from fointracker.models import Answer
from fointracker.services.figures_import import plan_import
from tests.conftest import post
from tests.test_questions_and_entry import _web_setup


def _shown_row(grid: str, qid: int) -> dict:
    """What a browser would post for the row as shown: the value box, the selected state, the stamp."""
    value = re.search(rf'name="q{qid}-value" value="([^"]*)"', grid).group(1)
    menu = re.search(rf'<select id="q{qid}-state" name="q{qid}-state".*?</select>', grid, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected', menu)
    stamp = re.search(rf'name="q{qid}-stamp" value="([^"]+)"', grid).group(1)
    return {f"q{qid}-value": value, f"q{qid}-state": chosen.group(1) if chosen else "", f"q{qid}-stamp": stamp}


def _edit(client, request_id: int, qid: int, **changes):
    row = _shown_row(client.get(f"/requests/{request_id}/figures").get_data(as_text=True), qid)
    row.update({f"q{qid}-{name}": value for name, value in changes.items()})
    return post(client, f"/requests/{request_id}/figures", row)


def _answer(app, qid):
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.question_id == qid))
        return answer.state, answer.value_number


def test_correcting_an_estimate_makes_a_firm_figure(login_as, app, users):
    _campaign, request_id, budget, _eia = _web_setup(app, users)
    client = login_as("admin")
    assert _edit(client, request_id, budget, value="c. 40").status_code == 302
    assert _answer(app, budget) == ("estimate", Decimal(40))
    assert (
        _shown_row(client.get(f"/requests/{request_id}/figures").get_data(as_text=True), budget)[f"q{budget}-state"]
        == ""
    )  # "From the value": the estimate came from "c."
    assert _edit(client, request_id, budget, value="42").status_code == 302
    assert _answer(app, budget) == ("provided", Decimal(42))
    # A state chosen on purpose stays chosen when the value changes.
    assert _edit(client, request_id, budget, value="50", state="estimate").status_code == 302
    assert _edit(client, request_id, budget, value="55").status_code == 302
    assert _answer(app, budget) == ("estimate", Decimal(55))


@pytest.mark.parametrize(
    "typed, state", [("not held", "not_held"), ("N/A", "not_applicable"), ("Refused.", "refused"), ("nil", "provided")]
)
def test_a_state_word_typed_over_a_figure_is_accepted(login_as, app, users, typed, state):
    _campaign, request_id, budget, _eia = _web_setup(app, users)
    client = login_as("admin")
    assert _edit(client, request_id, budget, value="£1m").status_code == 302
    response = _edit(client, request_id, budget, value=typed)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _answer(app, budget) == (state, Decimal(0) if state == "provided" else None)


def test_a_state_word_with_a_different_state_chosen_says_so(login_as, app, users):
    _campaign, request_id, budget, _eia = _web_setup(app, users)
    client = login_as("admin")
    response = _edit(client, request_id, budget, value="not held", state="provided")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "is the state “not held”, but “provided” was chosen" in html


def test_a_400_digit_value_is_refused_in_the_grid_and_in_imports(login_as, app, users):
    campaign_id, request_id, budget, _eia = _web_setup(app, users)
    client = login_as("admin")
    for typed in ("9" * 400, "1." + "1" * 400, "<" + "9" * 400, "9" * 27 + "bn"):
        response = _edit(client, request_id, budget, value=typed)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, typed[:20]
        assert "too large to store" in html or "more than 6 decimal places" in html
    with app.app_context():
        assert db.session.scalar(select(Answer.id)) is None
        from fointracker.models import Campaign

        plan = plan_import(
            db.session,
            db.session.get(Campaign, campaign_id),
            "f.csv",
            f"authority,question,value\nKEN,budget,{'9' * 400}\n".encode(),
        )
    assert [(row, column) for row, column, _ in plan.errors] == [(2, "value")]
    assert "too large to store" in plan.errors[0][2] and "…" in plan.errors[0][2]  # not echoed whole


def test_one_mapping_of_state_words_for_the_grid_and_imports():
    for word, state in (("not held", "not_held"), ("N/A", "not_applicable"), ("na", "not_applicable")):
        assert state_word(word) == AnswerState(state) == parse_state(word)
        assert parse_answer("money", word).state is AnswerState(state)
    assert parse_answer("count", "Nil").number == 0 and state_word("nil") is None
    with pytest.raises(FigureError, match="too large to store"):
        parse_answer("money", "1" * 400)
