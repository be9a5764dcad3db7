"""#19 First day without friction: where people stumbled on a walk-through of a whole campaign,
each checked in Chromium as the person who stumbled."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from fointracker.extensions import db
from fointracker.models import Authority, FoiRequest
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event
from tests.browser.conftest import log_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def team(app):
    """A coordinator, a member of staff and a report author, all members of one campaign with a
    request to each of three councils; {role: id, "campaign": id, "requests": [ids]}."""
    ids = {role: make_user(app, f"{role}@example.org", role, PASSWORD) for role in ("coordinator", "staff", "author")}
    with app.app_context():
        campaign = save_campaign(
            db.session,
            None,
            {"title": "Care budgets", "default_regime": "foia", "letter_template": "Dear {authority_name}, ..."},
            [ids["coordinator"]],
            ids["coordinator"],
            [ids["staff"], ids["author"]],
        )
        db.session.flush()
        requests = []
        for code in ("MAN", "KEN", "LDS"):
            council = db.session.scalar(db.select(Authority).where(Authority.code == code))
            requests.append(
                create_request(
                    db.session,
                    {
                        "campaign_id": campaign.id,
                        "authority_id": council.id,
                        "regime": "foia",
                        "subject": "Care budgets",
                        "body": "Dear",
                    },
                    ids["coordinator"],
                ).id
            )
        db.session.commit()
        ids.update(campaign=campaign.id, requests=requests)
    return ids


def log_in_as(page, role: str):
    log_in(page, f"{role}@example.org", PASSWORD)


def action_links(page) -> list[str]:
    return [name.strip() for name in page.locator(".page-head .actions a").all_inner_texts()]


def test_each_role_sees_only_the_buttons_it_may_use(page, team):
    """Staff had seen Send to many councils, New campaign and Edit (all "Not allowed"); authors had
    seen New request, Edit and Import figures. Staff send requests, one or a batch."""
    log_in_as(page, "staff")
    page.goto(f"/campaigns/{team['campaign']}")
    assert action_links(page) == [
        "New request",
        "Send to many councils",
        "Send drafts by email",
        "Statistics",
        "Report",
        "Questions",
        "Import figures",
        "Figures queue",
    ]
    page.get_by_role("link", name="Send to many councils").click()
    expect(page.get_by_role("heading", name="Send to many councils")).to_be_visible()
    page.goto("/campaigns/")
    expect(page.get_by_role("link", name="New campaign")).to_have_count(0)

    page.context.clear_cookies()
    log_in_as(page, "author")
    page.goto(f"/campaigns/{team['campaign']}")
    assert action_links(page) == ["Statistics", "Report", "Questions", "Figures queue"]
    page.goto(f"/requests/{team['requests'][0]}")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    page.goto("/requests/")
    expect(page.get_by_role("link", name="New request")).to_have_count(0)


def test_the_batch_page_starts_with_no_council_ticked_until_a_filter_chooses(page, team):
    log_in_as(page, "staff")
    page.goto(f"/campaigns/{team['campaign']}/batch")
    ticks = page.locator("input[data-pick]")
    assert ticks.count() > 300  # the whole register is listed ...
    expect(page.locator("input[data-pick]:checked")).to_have_count(0)  # ... and none ticked
    page.get_by_label("Region").select_option("North East")
    page.get_by_role("button", name="Show councils").click()
    page.wait_for_url("**region=North+East**")
    expect(page.locator("input[data-pick]:checked")).to_have_count(page.locator("input[data-pick]").count())


def test_bulk_actions_reach_every_request_matching_the_filter(page, team, app):
    app.config["PER_PAGE"] = 2
    log_in_as(page, "staff")
    page.goto(f"/requests/?campaign={team['campaign']}")
    expect(page.locator("table.requests tbody tr")).to_have_count(2)
    page.get_by_label("Bulk action").select_option("mark_sent")
    page.get_by_label("Sent on").fill("2026-03-02")
    page.once("dialog", lambda dialog: dialog.accept())  # "Apply this to all 3 requests ...?"
    page.get_by_role("button", name="Apply to all 3 matching this filter").click()
    expect(page.get_by_text("Marked 3 requests as sent on Mon 2 Mar 2026.")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(FoiRequest.sent_on == date(2026, 3, 2))) == 3


def test_the_history_reads_as_sentences_newest_first_and_folds(page, team, app):
    request_id = team["requests"][0]
    with app.app_context():
        foi_request = db.session.get(FoiRequest, request_id)
        add_event(db.session, foi_request, kind="sent", occurred_on=date(2026, 3, 2), user_id=team["staff"])
        add_event(db.session, foi_request, kind="acknowledged", occurred_on=date(2026, 3, 3), user_id=team["staff"])
        db.session.commit()
    log_in_as(page, "staff")
    page.goto(f"/requests/{request_id}/edit")
    page.get_by_label("Request text").fill("Dear Manchester, please send the care budgets.")
    page.get_by_role("button", name="Save changes").click()
    history = page.locator("ol.history").first
    expect(history.locator("> li").first).to_contain_text("Request edited")
    expect(history).to_contain_text("Step added: Sent, Mon 2 Mar 2026")
    expect(history).to_contain_text("Status: Draft (not sent) → Awaiting response")
    assert "{" not in page.locator("ol.history").first.inner_text()  # no JSON
    page.get_by_text("Letter edited").click()  # the word diff opens on demand
    expect(page.locator(".word-diff ins")).to_contain_text("Manchester, please send the care budgets.")


def test_new_users_default_to_the_least_privileged_role(page, app):
    make_user(app, "admin@example.org", "admin", PASSWORD)
    log_in_as(page, "admin")
    page.goto("/admin/users/new")
    expect(page.get_by_label("Role")).to_have_value("staff")


def test_small_things_the_walk_through_found(page, team, app):
    """The login box beside its label, lists of choices without bullets, an icon, and the
    report's JSON downloaded like the other formats."""
    page.goto("/login")
    box = page.get_by_label("Keep me logged in").bounding_box()
    label = page.locator("label", has_text="Keep me logged in").bounding_box()
    assert abs(box["y"] + box["height"] / 2 - (label["y"] + label["height"] / 2)) < 8  # on one line
    assert label["x"] > box["x"]
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"

    log_in_as(page, "staff")
    page.goto("/account/reminders")
    lists = page.locator(".field ul")
    assert lists.count() >= 1
    assert {lists.nth(i).evaluate("e => getComputedStyle(e).listStyleType") for i in range(lists.count())} == {"none"}

    page.goto(f"/campaigns/{team['campaign']}/report")
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON", exact=True).click()
    assert download.value.suggested_filename.endswith(".json")


def test_a_pair_is_made_by_following_the_help_text(page, team):
    """#19: giving the first question its comparison group had ended in "choose the question to
    pair with" while no second question existed."""
    log_in_as(page, "author")
    for code, period in (("asc_2425", "2024/25"), ("asc_2526", "2025/26")):
        page.goto(f"/campaigns/{team['campaign']}/questions/new")
        page.get_by_label("Code").fill(code)
        page.get_by_label("Question", exact=True).fill("Adult social-care budget")
        page.get_by_label("Kind of answer").select_option("money")
        page.get_by_label("Period").fill(period)
        page.get_by_label("Comparison group").fill("asc")
        page.get_by_role("button", name="Add question").click()
        expect(page.locator(".error-summary")).to_have_count(0)
        if code == "asc_2425":
            expect(page.get_by_text("waiting for the other question of the pair")).to_be_visible()
    rows = page.locator("table.questions tbody tr")
    expect(rows.nth(0)).to_contain_text("with asc_2526")
    expect(rows.nth(1)).to_contain_text("with asc_2425")


def test_a_paused_request_says_only_what_is_true_of_it(page, team, app):
    request_id = team["requests"][0]
    with app.app_context():
        foi_request = db.session.get(FoiRequest, request_id)
        add_event(db.session, foi_request, kind="sent", occurred_on=date(2026, 3, 2), user_id=team["staff"])
        add_event(
            db.session, foi_request, kind="clarification_requested", occurred_on=date(2026, 3, 5), user_id=team["staff"]
        )
        db.session.commit()
    log_in_as(page, "staff")
    page.goto(f"/requests/{request_id}")
    due = page.locator("dt", has_text="Response due").locator("xpath=following-sibling::dd[1]")
    expect(due).to_contain_text("until our clarification reaches the council")
    expect(due).not_to_contain_text("fee")


def test_empty_states_say_what_to_do_next(page, app):
    for role in ("coordinator", "staff"):
        make_user(app, f"{role}@example.org", role, PASSWORD)
    log_in_as(page, "coordinator")
    expect(page.get_by_text("There are no campaigns yet.")).to_be_visible()
    page.get_by_role("link", name="Create one").click()
    expect(page.get_by_role("heading", name="New campaign")).to_be_visible()
    page.context.clear_cookies()
    log_in_as(page, "staff")
    page.goto("/campaigns/")
    expect(page.get_by_text("ask yours to add you")).to_be_visible()
    expect(page.get_by_role("link", name="Create one")).to_have_count(0)


def test_the_demo_shows_what_the_product_does_on_first_login(page, app):
    """#19: the demo's report had been empty. `fointracker demo seed`, then log in as its admin."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "seed", "--admin-password", PASSWORD])
    assert result.exit_code == 0, result.output
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    expect(page.locator("main")).to_contain_text("[DEMO] Living at the Margins")
    page.get_by_role("link", name="Campaigns").first.click()
    page.get_by_role("link", name="[DEMO] Living at the Margins", exact=False).first.click()
    page.get_by_role("link", name="Report", exact=True).click()
    expect(page.get_by_role("heading", name="Change: Adult social-care budget, 2024/25 to 2025/26")).to_be_visible()
    expect(page.locator("#map svg path.hex")).to_have_count(361)
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("refused")


def test_the_calendar_puts_one_event_on_a_day_for_a_campaigns_deadlines(page, team, app):
    """#19: a batch sent on one day had put its deadlines in the calendar as that many events."""
    from icalendar import Calendar

    with app.app_context():
        for request_id in team["requests"]:
            foi_request = db.session.get(FoiRequest, request_id)
            add_event(db.session, foi_request, kind="sent", occurred_on=date(2026, 11, 2), user_id=team["coordinator"])
        db.session.commit()
    log_in_as(page, "coordinator")
    page.goto("/account/reminders")
    page.get_by_role("button", name="Create my calendar link").click()
    url = page.locator("#calendar-url").input_value()
    feed = Calendar.from_ical(page.request.get(url).body())
    events = list(feed.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["3 deadlines: Care budgets"]
    assert str(events[0]["DESCRIPTION"]).count("Response due: ") == 3
