"""Entry at speed in Chromium (#17): the figures queue, the keyboard-first grid (Tab and Enter
move from value to value, Enter never submits, Ctrl+Enter saves) and *Save and next council*."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import Answer, User
from tests.figures_support import new_campaign, new_question, new_request, respond

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(app, logged_in):
    """Two councils waiting for three figures each: Cambridgeshire replied first."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        campaign = new_campaign(db.session, coordinator.id)
        questions = [
            new_question(db.session, campaign, "budget", label="Net budget"),
            new_question(db.session, campaign, "heads", "count", label="Staff"),
            new_question(db.session, campaign, "cuts", label="Cuts"),
        ]
        kent, cambs = new_request(db.session, campaign, "KEN"), new_request(db.session, campaign, "CAM")
        respond(db.session, cambs, days_ago=30)
        respond(db.session, kent, days_ago=20)
        found = {"campaign": campaign.id, "kent": kent.id, "cambs": cambs.id, "questions": [q.id for q in questions]}
        db.session.remove()
    return found


def values(page):
    return page.locator("table.figures [name$='-value']")


def test_keyboard_grid_and_save_and_next_council(app, logged_in, queue):
    page = logged_in
    page.goto(f"/figures/queue?campaign={queue['campaign']}")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Cambridgeshire")  # the oldest reply first
    rows.first.get_by_role("link", name="Enter figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures from Cambridgeshire")

    # Focus starts on the first empty value; Enter moves on and does not submit.
    budget, heads, cuts = values(page).nth(0), values(page).nth(1), values(page).nth(2)
    expect(budget).to_be_focused()
    page.keyboard.type("£1,000")
    page.keyboard.press("Enter")
    expect(heads).to_be_focused()
    assert "Figures saved" not in page.content() and page.url.endswith(f"?queue={queue['campaign']}")
    page.keyboard.type("12")
    page.keyboard.press("Tab")  # Tab goes value to value, past the row's other fields
    expect(cuts).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(heads).to_be_focused()
    page.keyboard.press("Shift+Enter")
    expect(budget).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("c. 500")
    page.keyboard.press("Enter")  # past the last value: to the save button, still not submitted
    expect(page.get_by_role("button", name="Save figures")).to_be_focused()
    expect(budget).to_have_value("£1,000")

    # Ctrl+Enter saves, and from the queue goes on to the next council.
    cuts.focus()
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures from Kent")
    expect(page.get_by_text("Figures saved: 3 added")).to_be_visible()
    assert page.url.endswith(f"/requests/{queue['kent']}/figures?queue={queue['campaign']}")

    # A wrong value: nothing saved, the error beside its field, which has the focus.
    expect(values(page).nth(0)).to_be_focused()
    page.keyboard.type("lots")
    page.keyboard.press("Enter")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.keyboard.type("4")
    page.get_by_role("button", name="Save and next council").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.locator(f"#q{queue['questions'][0]}-value-error")).to_contain_text("lots")
    expect(values(page).nth(0)).to_be_focused()
    values(page).nth(0).fill("£2,000")
    page.get_by_role("button", name="Save and next council").click()

    # Kent was the last: back to the queue, now empty.
    expect(page.get_by_text("That was the last council in the queue.")).to_be_visible()
    expect(page.get_by_text("No council is waiting for figures")).to_be_visible()
    with app.app_context():
        saved = {(a.request_id, a.question_id): (a.raw, a.state) for a in db.session.scalars(select(Answer)).all()}
        db.session.remove()
    budget_id, heads_id, cuts_id = queue["questions"]
    assert saved[(queue["cambs"], budget_id)] == ("£1,000", "provided")
    assert saved[(queue["cambs"], heads_id)] == ("12", "provided")
    assert saved[(queue["cambs"], cuts_id)] == ("c. 500", "estimate")
    assert saved[(queue["kent"], budget_id)] == ("£2,000", "provided")
    assert len(saved) == 6
