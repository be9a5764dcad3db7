"""A campaign's questions and the entry grid: rules, exact storage, audit, verification."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fointracker.extensions import db
from fointracker.models import Answer, Attachment, AuditEntry, Authority, FoiRequest, Question, RequestEvent
from fointracker.services.answers import (
    AnswersError,
    VerifyError,
    answer_content,
    save_answers,
    verify_answer,
)
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.questions import (
    QuestionError,
    create_question,
    delete_question,
    move_question,
    reorder_questions,
    update_question,
)
from tests.conftest import post


def make_campaign(session, user_id, title="Living at the Margins"):
    campaign = save_campaign(
        session, None, {"title": title, "description": "", "default_regime": "foia", "letter_template": ""}, [], user_id
    )
    session.commit()
    return campaign


def make_request(session, campaign, code="KEN", sent=date(2026, 3, 2), user_id=None):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": authority.id,
            "regime": "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": sent,
            "received_on": None,
            "council_reference": "",
            "owner_id": None,
        },
        user_id,
    )
    session.commit()
    return foi_request


def q(session, campaign, code, qtype="money", user_id=None, pair_with=None, **values):
    values = {"code": code, "label": values.pop("label", code.replace("_", " ").capitalize()), "qtype": qtype, **values}
    question = create_question(session, campaign, values, user_id, pair_with=pair_with)
    session.commit()
    return question


def entry(raw="", state="", exemption="", note="", source=None, page=""):
    return (raw, state, exemption, note, source, page)


def audit(session, entity_type="answer", action=None):
    stmt = select(AuditEntry).where(AuditEntry.entity_type == entity_type).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return session.scalars(stmt).all()


@pytest.fixture
def setup(session, users):
    campaign = make_campaign(session, users["admin"])
    request = make_request(session, campaign)
    return campaign, request


# --- questions --------------------------------------------------------------------


def test_questions_are_created_in_order_and_audited(session, users, setup):
    campaign, _ = setup
    first = q(
        session, campaign, "asc_budget_1011", period_label="2010/11", help_text="Net budget, £", user_id=users["author"]
    )
    second = q(session, campaign, "eia_done", "yes_no")
    third = q(session, campaign, "cut_kind", "choice", choices="Closed\nReduced\n  Merged  \n")
    assert [first.position, second.position, third.position] == [1, 2, 3]
    assert third.choices == ["Closed", "Reduced", "Merged"]
    assert first.choices is None and first.period_label == "2010/11"
    created = audit(session, "question", "created")
    assert [e.after["code"] for e in created] == ["asc_budget_1011", "eia_done", "cut_kind"]
    assert created[0].user_id == users["author"]


@pytest.mark.parametrize(
    "values,field,message",
    [
        ({"code": "ASC Budget"}, "code", "lower-case letters, digits and _"),
        ({"code": ""}, "code", "short code"),
        ({"code": "asc-budget"}, "code", "lower-case letters, digits and _"),
        ({"code": "x" * 41}, "code", "at most 40 characters"),
        ({"label": "  "}, "label", "needs a label"),
        ({"qtype": "float"}, "qtype", "choose the kind of answer"),
        ({"qtype": "choice"}, "choices", "at least two choices"),
        ({"qtype": "choice", "choices": ["Yes", "yes"]}, "choices", "each choice must be different"),
        ({"qtype": "money", "choices": "A\nB"}, "choices", "only a “one of a list” question has choices"),
        ({"qtype": "text", "pair_group": "asc_budget"}, "pair_group", "only numeric questions"),
    ],
)
def test_question_rules(session, setup, values, field, message):
    campaign, _ = setup
    with pytest.raises(QuestionError) as caught:
        create_question(session, campaign, {"code": "ok_code", "label": "A label", "qtype": "money", **values}, None)
    assert message in caught.value.errors[field]
    session.rollback()
    assert session.scalar(select(func.count(Question.id))) == 0


def test_every_problem_is_reported_at_once_and_codes_are_unique_per_campaign(session, users, setup):
    campaign, _ = setup
    q(session, campaign, "budget")
    with pytest.raises(QuestionError) as caught:
        create_question(session, campaign, {"code": "budget", "label": "", "qtype": "choice"}, None)
    assert set(caught.value.errors) == {"code", "label", "choices"}
    assert "already has the code 'budget'" in caught.value.errors["code"]
    session.rollback()
    other = make_campaign(session, users["admin"], "Another campaign")
    assert q(session, other, "budget").code == "budget"  # unique per campaign only


def test_before_and_after_pairs(session, setup):
    campaign, _ = setup
    before = q(session, campaign, "asc_1011", period_label="2010/11")
    after = q(session, campaign, "asc_1112", period_label="2011/12", pair_group="asc", pair_with=before.id)
    assert (before.pair_group, after.pair_group) == ("asc", "asc")
    count = q(session, campaign, "staff_1011", "count")
    text = q(session, campaign, "comment", "text")

    def refused(values, pair_with=None, question=None):
        with pytest.raises(QuestionError) as caught:
            if question is None:
                create_question(session, campaign, {"label": "L", "qtype": "money", **values}, None, pair_with)
            else:
                update_question(
                    session,
                    question,
                    {"code": question.code, "label": question.label, "qtype": question.qtype, **values},
                    None,
                    pair_with,
                )
        session.rollback()
        return caught.value.errors

    assert (
        "already has two questions (asc_1011, asc_1112)"
        in refused({"code": "third", "pair_group": "asc"})["pair_group"]
    )
    assert "same type: staff_1011 is count" in refused({"code": "x", "pair_group": "staff"}, count.id)["pair_group"]
    assert "only numeric questions" in refused({"qtype": "text", "pair_group": "c"}, count.id, text)["pair_group"]
    assert (
        "already in the comparison group 'asc'" in refused({"code": "y", "pair_group": "new"}, before.id)["pair_with"]
    )
    assert "name the comparison group" in refused({"code": "z"}, count.id)["pair_group"]
    # The type of one half of a pair cannot drift from the other's.
    assert "same type" in refused({"qtype": "decimal", "pair_group": "asc"}, None, after)["pair_group"]
    # Taking one question out of its group dissolves the pair.
    update_question(session, after, {"code": "asc_1112", "label": "After", "qtype": "money", "pair_group": ""}, None)
    assert (session.get(Question, before.id).pair_group, session.get(Question, after.id).pair_group) == ("", "")
    assert [e.after for e in audit(session, "question", "updated")][-2:] == [
        {"pair_group": ""},
        {"label": "After", "pair_group": ""},
    ]


def test_a_pair_is_made_from_either_side(session, setup):
    """#19: the help text says to give both questions the same group; the first now waits for the
    second, which pairs by naming the group (or by choosing the first)."""
    campaign, _ = setup
    first = q(session, campaign, "asc_1011", period_label="2010/11", pair_group="asc")
    assert first.pair_group == "asc"
    second = q(session, campaign, "asc_1112", period_label="2011/12", pair_group="asc")
    assert (first.pair_group, second.pair_group) == ("asc", "asc")
    # From the other side: the new question names a group and chooses an existing one to join it.
    lone = q(session, campaign, "staff_1011", "count")
    partner = q(session, campaign, "staff_1112", "count", pair_group="staff", pair_with=lone.id)
    assert (session.get(Question, lone.id).pair_group, partner.pair_group) == ("staff", "staff")


def test_reorder_and_move(session, users, setup):
    campaign, _ = setup
    a, b, c = (q(session, campaign, code) for code in ("a", "b", "c"))
    move_question(session, c, -1, users["author"])
    codes = session.scalars(select(Question.code).order_by(Question.position)).all()
    assert codes == ["a", "c", "b"]
    move_question(session, a, -1, users["author"])  # already first: nothing happens
    reorder_questions(session, campaign, [b.id, a.id, c.id], users["author"])
    assert session.scalars(select(Question.code).order_by(Question.position)).all() == ["b", "a", "c"]
    entries = audit(session, "campaign", "questions_reordered")
    assert entries[-1].before == {"questions": ["a", "c", "b"]} and entries[-1].after == {"questions": ["b", "a", "c"]}
    with pytest.raises(QuestionError, match="exactly once"):
        reorder_questions(session, campaign, [a.id, a.id, b.id], None)


def test_an_answered_questions_type_and_used_choices_cannot_change(session, setup):
    campaign, request = setup
    kind = q(session, campaign, "kind", "choice", choices=["Closed", "Reduced"])
    budget = q(session, campaign, "budget")
    save_answers(session, request, {kind.id: entry("reduced"), budget.id: entry("£1m")}, None)
    session.commit()
    with pytest.raises(QuestionError, match="cannot change"):
        update_question(session, budget, {"code": "budget", "label": "B", "qtype": "count"}, None)
    session.rollback()
    with pytest.raises(QuestionError, match="answers already use 'Reduced'"):
        update_question(
            session, kind, {"code": "kind", "label": "K", "qtype": "choice", "choices": "Closed\nMerged"}, None
        )
    session.rollback()
    update_question(
        session, kind, {"code": "kind", "label": "K", "qtype": "choice", "choices": "Closed\nReduced\nMerged"}, None
    )
    assert session.get(Question, kind.id).choices == ["Closed", "Reduced", "Merged"]


def test_deleting_a_question_with_answers_needs_confirmation_and_is_audited(session, users, setup):
    campaign, request = setup
    budget = q(session, campaign, "budget")
    eia = q(session, campaign, "eia", "yes_no")
    save_answers(session, request, {budget.id: entry("£2.5m"), eia.id: entry("yes")}, users["staff"])
    session.commit()
    with pytest.raises(QuestionError) as caught:
        delete_question(session, budget, users["author"])
    assert caught.value.field == "confirm" and "1 answer(s)" in caught.value.message
    session.rollback()
    assert session.scalar(select(func.count(Answer.id))) == 2
    assert delete_question(session, session.get(Question, budget.id), users["author"], confirm=True) == 1
    assert session.scalar(select(func.count(Answer.id))) == 1
    gone = audit(session, "answer", "deleted")
    assert gone[0].before["value_number"] == "2500000" and gone[0].before["question"] == "budget"
    deleted = audit(session, "question", "deleted")[0]
    assert deleted.before["code"] == "budget" and deleted.before["answers"] == 1
    assert deleted.user_id == users["author"]
    # With one question left, answered, the request's figures are complete.
    assert session.get(FoiRequest, request.id).figures_entered is True
    delete_question(session, session.get(Question, eia.id), None, confirm=True)  # the last one: flag left alone
    assert session.get(FoiRequest, request.id).figures_entered is True


# --- entry ------------------------------------------------------------------------


def test_the_grid_stores_figures_exactly(session, users, setup):
    campaign, request = setup
    qs = {
        code: q(session, campaign, code, qtype, choices=choices)
        for code, qtype, choices in (
            ("budget", "money", None),
            ("national", "money", None),
            ("staff", "count", None),
            ("share", "percentage", None),
            ("ratio", "decimal", None),
            ("eia", "yes_no", None),
            ("kind", "choice", ["Closed", "Reduced"]),
            ("why", "text", None),
            ("small", "count", None),
            ("big", "decimal", None),
        )
    }
    result = save_answers(
        session,
        request,
        {
            qs["budget"].id: entry("£1,234,567.89", note="Table 2", page="4"),
            qs["national"].id: entry("£3.4bn"),
            qs["staff"].id: entry("c. 40"),
            qs["share"].id: entry("12.5%"),
            qs["ratio"].id: entry("(0.75)"),
            qs["eia"].id: entry("No"),
            qs["kind"].id: entry("reduced"),
            qs["why"].id: entry("Savings"),
            qs["small"].id: entry("<5"),
            qs["big"].id: entry("123456789012.345"),  # 15 significant digits: the most stored exactly
        },
        users["staff"],
    )
    assert (result.created, result.updated, result.unchanged) == (10, 0, 0)
    session.expire_all()
    stored = {a.question.code: a for a in session.scalars(select(Answer))}
    assert stored["budget"].value_number == Decimal("1234567.89")
    assert stored["national"].value_number == Decimal("3400000000")
    for answer in stored.values():
        for value in (answer.value_number, answer.bound_low, answer.bound_high):
            assert value is None or type(value) is Decimal
    assert (stored["budget"].raw, stored["budget"].note, stored["budget"].source_page) == (
        "£1,234,567.89",
        "Table 2",
        "4",
    )
    assert (stored["staff"].state, stored["staff"].value_number) == ("estimate", 40)
    assert stored["share"].value_number == Decimal("12.5")
    assert stored["ratio"].value_number == Decimal("-0.75")
    assert stored["eia"].value_bool is False and stored["kind"].value_text == "Reduced"
    assert stored["why"].value_text == "Savings" and stored["why"].value_number is None
    assert (stored["small"].value_number, stored["small"].bound_low, stored["small"].bound_high) == (None, 0, 4)
    assert answer_content(stored["big"])["value_number"] == Decimal("123456789012.345")
    assert all(a.entered_by_id == users["staff"] for a in stored.values())
    # Saving the same again changes nothing (and logs nothing).
    before = len(audit(session))
    again = save_answers(session, request, {qs["budget"].id: entry("1234567.89", note="Table 2", page="4")}, None)
    assert (again.changed, again.unchanged) == (0, 1)
    assert len(audit(session)) == before


def test_states_exemptions_and_sources(session, setup):
    campaign, request = setup
    a, b, c, d = (q(session, campaign, code) for code in ("a", "b", "c", "d"))
    event = session.scalar(select(RequestEvent).where(RequestEvent.request_id == request.id))
    doc = Attachment(event_id=event.id, original_name="reply.pdf", size=1, sha256="0" * 64)
    session.add(doc)
    session.commit()
    save_answers(
        session,
        request,
        {
            a.id: entry("", "refused", "section 40"),
            b.id: entry("not collected"),
            c.id: entry("", "not_held", source=doc.id, page="2"),
            d.id: entry("n/a"),
        },
        None,
    )
    got = {x.question_id: x for x in session.scalars(select(Answer))}
    assert (got[a.id].state, got[a.id].exemption) == ("refused", "s40")
    assert got[b.id].state == "not_collected"
    assert (got[c.id].state, got[c.id].source_attachment_id, got[c.id].source_page) == ("not_held", doc.id, "2")
    assert got[d.id].state == "not_applicable"


def test_a_bad_field_names_the_question_and_saves_nothing(session, users, setup):
    campaign, request = setup
    budget = q(session, campaign, "budget", label="Adult social-care budget", period_label="2010/11")
    staff = q(session, campaign, "staff", "count")
    eia = q(session, campaign, "eia", "yes_no")
    before = len(audit(session))
    with pytest.raises(AnswersError) as caught:
        save_answers(
            session,
            request,
            {
                budget.id: entry("£1,2m"),
                staff.id: entry("12"),  # fine, but not saved either
                eia.id: entry("yes", "provided", exemption="s40", source=999, page="x" * 41),
            },
            users["staff"],
        )
    errors = caught.value.errors
    assert "'£1,2m' is not a number" in errors[budget.id]["value"]
    assert staff.id not in errors
    assert set(errors[eia.id]) == {"exemption", "source", "page"}
    assert "an exemption goes only with a refused answer" in errors[eia.id]["exemption"]
    assert "Adult social-care budget 2010/11 (budget): value:" in str(caught.value)
    session.rollback()
    assert session.scalar(select(func.count(Answer.id))) == 0
    assert len(audit(session)) == before
    with pytest.raises(AnswersError, match="no value given"):
        save_answers(session, request, {budget.id: entry(note="a note and nothing else")}, None)
    with pytest.raises(AnswersError, match="is not an answer state"):
        save_answers(session, request, {budget.id: entry("12", "maybe")}, None)
    with pytest.raises(AnswersError, match="more than 15 significant digits"):
        save_answers(session, request, {budget.id: entry("1234567890123456")}, None)


def test_edits_are_audited_with_before_and_after(session, users, setup):
    campaign, request = setup
    budget = q(session, campaign, "budget")
    save_answers(session, request, {budget.id: entry("£1.2m")}, users["staff"])
    answer_id = session.scalar(select(Answer.id))
    save_answers(session, request, {budget.id: entry("£1.25m", note="revised")}, users["coordinator"])
    save_answers(session, request, {budget.id: entry()}, users["coordinator"])  # a blank row clears it
    assert session.scalar(select(func.count(Answer.id))) == 0
    created, updated, deleted = audit(session)
    assert created.action == "created" and created.entity_id == answer_id and created.user_id == users["staff"]
    assert created.after["value_number"] == "1200000" and created.after["state"] == "provided"
    assert updated.action == "updated" and updated.user_id == users["coordinator"]
    assert updated.before == {"note": "", "raw": "£1.2m", "value_number": "1200000"}
    assert updated.after == {"note": "revised", "raw": "£1.25m", "value_number": "1250000"}
    assert deleted.action == "deleted" and deleted.before["value_number"] == "1250000"


def test_verification_by_a_second_person(session, users, setup):
    campaign, request = setup
    budget = q(session, campaign, "budget")
    save_answers(session, request, {budget.id: entry("£1m")}, users["staff"])
    answer = session.scalar(select(Answer))
    with pytest.raises(VerifyError, match="someone else must verify"):
        verify_answer(session, answer, users["staff"])
    verify_answer(session, answer, users["author"])
    assert (answer.verified_by_id, answer.verified_at is not None) == (users["author"], True)
    assert audit(session, "answer", "verified")[0].user_id == users["author"]
    with pytest.raises(VerifyError, match="already verified"):
        verify_answer(session, answer, users["coordinator"])
    # A note does not need checking again; a new figure does.
    save_answers(session, request, {budget.id: entry("£1m", note="p. 3")}, users["coordinator"])
    assert session.scalar(select(Answer)).verified_by_id == users["author"]
    save_answers(session, request, {budget.id: entry("£1.1m", note="p. 3")}, users["coordinator"])
    answer = session.scalar(select(Answer))
    assert (answer.verified_by_id, answer.verified_at, answer.entered_by_id) == (None, None, users["coordinator"])


def test_figures_entered_follows_the_answers(session, users, setup):
    campaign, request = setup
    a = q(session, campaign, "a")
    b = q(session, campaign, "b", "yes_no")
    save_answers(session, request, {a.id: entry("£1")}, users["staff"])
    assert session.get(FoiRequest, request.id).figures_entered is False
    save_answers(session, request, {b.id: entry("", "not_held")}, users["staff"])
    assert session.get(FoiRequest, request.id).figures_entered is True
    flips = [e for e in audit(session, "request", "updated") if "figures_entered" in (e.after or {})]
    assert flips[-1].after == {"figures_entered": True} and flips[-1].user_id == users["staff"]
    q(session, campaign, "c")  # a new question is unanswered
    assert session.get(FoiRequest, request.id).figures_entered is False
    c = session.scalar(select(Question).where(Question.code == "c"))
    save_answers(session, request, {c.id: entry("0")}, None)
    assert session.get(FoiRequest, request.id).figures_entered is True
    save_answers(session, request, {a.id: entry()}, None)
    assert session.get(FoiRequest, request.id).figures_entered is False


def test_questions_of_another_campaign_are_refused(session, users, setup):
    campaign, request = setup
    other = make_campaign(session, users["admin"], "Other")
    foreign = q(session, other, "foreign")
    with pytest.raises(AnswersError, match="not a question of this request's campaign"):
        save_answers(session, request, {foreign.id: entry("1")}, None)


# --- web --------------------------------------------------------------------------


def _web_setup(app, users):
    with app.app_context():
        campaign = make_campaign(db.session, users["admin"])
        request = make_request(db.session, campaign)
        budget = q(
            db.session,
            campaign,
            "budget",
            label="Adult social-care budget",
            period_label="2010/11",
            help_text="Net, in pounds",
        )
        eia = q(db.session, campaign, "eia", "yes_no", label="Equality impact assessment done?")
        return campaign.id, request.id, budget.id, eia.id


def test_the_grid_page_saves_and_shows_errors_beside_the_field(login_as, app, users):
    campaign_id, request_id, budget, eia = _web_setup(app, users)
    client = login_as("staff")
    page = client.get(f"/requests/{request_id}")
    html = page.get_data(as_text=True)
    assert "0 of 2 questions answered" in html and f'href="/requests/{request_id}/figures"' in html
    assert "Enter figures" in html
    grid = client.get(f"/requests/{request_id}/figures").get_data(as_text=True)
    assert "Adult social-care budget" in grid and "2010/11" in grid and "Net, in pounds" in grid
    assert f'name="q{budget}-value"' in grid and 'inputmode="decimal"' in grid
    stamp = 'value="none"'
    assert stamp in grid

    def fields(qid, **values):
        data = {f"q{qid}-{name}": "" for name in ("value", "state", "exemption", "source", "page", "note")}
        data[f"q{qid}-stamp"] = "none"
        data.update({f"q{qid}-{k}": v for k, v in values.items()})
        return data

    response = post(
        client, f"/requests/{request_id}/figures", {**fields(budget, value="£1.2 zillion"), **fields(eia, value="yes")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved" in html
    assert f'id="q{budget}-value-error"' in html and "is not a number" in html
    assert 'value="£1.2 zillion"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 0

    response = post(
        client,
        f"/requests/{request_id}/figures",
        {**fields(budget, value="£1,234,567.89"), **fields(eia, value="yes", note="Seen")},
    )
    assert response.status_code == 302
    with app.app_context():
        answers = {a.question_id: a for a in db.session.scalars(select(Answer))}
        assert answers[budget].value_number == Decimal("1234567.89") and answers[eia].value_bool is True
        assert db.session.get(FoiRequest, request_id).figures_entered is True
    html = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "2 of 2 questions answered" in html
    grid = client.get(f"/requests/{request_id}/figures").get_data(as_text=True)
    assert 'value="£1,234,567.89"' in grid and "entered by" in grid
    assert "Mark verified" not in grid  # not for the person who entered them


def test_an_answer_changed_since_the_page_was_opened_is_not_overwritten(login_as, app, users):
    _campaign, request_id, budget, _eia = _web_setup(app, users)
    client = login_as("staff")
    with app.app_context():
        save_answers(db.session, db.session.get(FoiRequest, request_id), {budget: entry("£2m")}, users["coordinator"])
        db.session.commit()
    response = post(client, f"/requests/{request_id}/figures", {f"q{budget}-value": "£1m", f"q{budget}-stamp": "none"})
    assert response.status_code == 400
    assert "since you opened this page (now: £2,000,000)" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Answer.value_number)) == Decimal("2000000")


def test_verification_and_permissions_on_the_web(login_as, app, users, client):
    _campaign, request_id, budget, _eia = _web_setup(app, users)
    with app.app_context():
        save_answers(db.session, db.session.get(FoiRequest, request_id), {budget: entry("£2m")}, users["staff"])
        db.session.commit()
        answer_id = db.session.scalar(select(Answer.id))
    login_as("author")
    grid = client.get(f"/requests/{request_id}/figures").get_data(as_text=True)
    assert "Mark verified" in grid and "£2,000,000" in grid
    assert f'name="q{budget}-value"' not in grid  # authors check figures; staff enter them
    assert post(client, f"/requests/{request_id}/figures", {f"q{budget}-value": "£3m"}).status_code == 403
    response = post(client, f"/requests/{request_id}/figures/{answer_id}/verify", {})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Answer, answer_id).verified_by_id == users["author"]
    assert "Verified" in client.get(f"/requests/{request_id}/figures").get_data(as_text=True)
    post(client, "/logout", {})
    login_as("staff")
    response = post(client, f"/requests/{request_id}/figures/{answer_id}/verify", {}, follow_redirects=True)
    assert "Not verified: you entered this answer last: someone else must verify it." in response.get_data(as_text=True)


def test_question_pages(login_as, app, users):
    campaign_id, _request_id, budget, eia = _web_setup(app, users)
    staff = login_as("staff")
    assert staff.get(f"/campaigns/{campaign_id}/questions").status_code == 200
    assert staff.get(f"/campaigns/{campaign_id}/questions/new").status_code == 403
    post(staff, "/logout", {})
    client = login_as("author")
    show = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    # Authors define questions; figures are imported by those who enter them (#19: only what one may do).
    assert f'href="/campaigns/{campaign_id}/questions"' in show and "Import figures" not in show
    response = post(
        client, f"/campaigns/{campaign_id}/questions/new", {"code": "Budget 2", "label": "", "qtype": "money"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "lower-case letters, digits and _" in html
    response = post(
        client,
        f"/campaigns/{campaign_id}/questions/new",
        {
            "code": "budget_1112",
            "label": "Adult social-care budget",
            "qtype": "money",
            "period_label": "2011/12",
            "pair_group": "asc_budget",
            "pair_with": str(budget),
        },
    )
    assert response.status_code == 302
    listing = client.get(f"/campaigns/{campaign_id}/questions").get_data(as_text=True)
    assert listing.index("<code>budget_1112</code>") > listing.index("<code>eia</code>")
    assert "asc_budget" in listing and "(with budget)" in listing
    with app.app_context():
        new_id = db.session.scalar(select(Question.id).where(Question.code == "budget_1112"))
    assert post(client, f"/campaigns/{campaign_id}/questions/{new_id}/move", {"direction": "up"}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Question.code).order_by(Question.position)).all() == [
            "budget",
            "budget_1112",
            "eia",
        ]
    edit = client.get(f"/campaigns/{campaign_id}/questions/{new_id}/edit").get_data(as_text=True)
    assert f'<option selected value="{budget}">' in edit or f'value="{budget}" selected' in edit
    response = post(
        client,
        f"/campaigns/{campaign_id}/questions/{eia}/edit",
        {"code": "eia_done", "label": "EIA done?", "qtype": "yes_no", "help_text": "Any assessment"},
    )
    assert response.status_code == 302
    with app.app_context():
        save_answers(db.session, db.session.scalar(select(FoiRequest)), {eia: entry("yes")}, users["staff"])
        db.session.commit()
    response = post(client, f"/campaigns/{campaign_id}/questions/{eia}/delete", {}, follow_redirects=True)
    assert "Not deleted: 1 answer(s)" in response.get_data(as_text=True)
    response = post(client, f"/campaigns/{campaign_id}/questions/{eia}/delete", {"confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Question, eia) is None
        assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_a_long_text_answer_survives_the_grid_whole(login_as, app, users):
    with app.app_context():
        campaign = make_campaign(db.session, users["admin"])
        request = make_request(db.session, campaign)
        why = q(db.session, campaign, "why", "text", label="What was cut, and why?")
        text = "We reduced grants to three groups. " * 20  # 700 characters; `raw` keeps 200
        save_answers(db.session, request, {why.id: entry(text)}, users["coordinator"])
        db.session.commit()
        request_id, why_id = request.id, why.id
    client = login_as("staff")
    grid = client.get(f"/requests/{request_id}/figures").get_data(as_text=True)
    assert text.strip() in grid
    stamp = re.search(rf'name="q{why_id}-stamp" value="([^"]+)"', grid).group(1)
    response = post(
        client, f"/requests/{request_id}/figures", {f"q{why_id}-value": text.strip(), f"q{why_id}-stamp": stamp}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Answer.value_text)) == text.strip()
        assert len(audit(db.session)) == 1  # saving the page again changed nothing
