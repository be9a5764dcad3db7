"""Accessibility: axe-core, run in Chromium on every main page of a world with data in it,
finds no serious or critical violation; and every page has a language, one <h1> and, where
there is navigation, a working skip link.

axe-core is vendored (tests/browser/vendor/axe-core, see its README): the tests need no
network, and the app never serves it.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Answer, Authority, Question, Reminder, User
from fointracker.services.answers import AnswerInput, save_answers, verify_answer
from fointracker.services.attachments import attach
from fointracker.services.calendar import add_closure
from fointracker.services.campaigns import save_campaign
from fointracker.services.file_store import FileStore
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event
from tests.conftest import PASSWORD, PG_URL, make_user

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
AXE_VERSION = re.match(r"/\*! axe v(\S+)", AXE_SOURCE).group(1)
# WCAG 2.0/2.1 A and AA, plus axe's best practices (landmarks, one <h1>, heading order): all are
# run; a page fails on what is serious or critical, as the issue asks.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
# axe only asks for a review of these ("incomplete"), but each is a real fault here: an id that
# a <label for> or an aria-* attribute points at must be unique, or the second field has no name.
REVIEW_AS_VIOLATION = ["duplicate-id-aria"]

# Runs axe in the page and returns only what a report needs (the full result is large).
RUN_AXE = """async ([tags, strict]) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations', 'incomplete']});
  const slim = (v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').replace(/\\s+/g, ' ')}))});
  return result.violations.map(slim).concat(result.incomplete.filter(v => strict.includes(v.id)).map(slim));
}"""

# What axe leaves to best practice or does not check: a language, one <h1>, a skip link.
STRUCTURE = """() => {
  const skip = document.querySelector('a.skip-link');
  const target = skip && document.getElementById((skip.getAttribute('href') || '').replace(/^#/, ''));
  return {lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length,
          nav: !!document.querySelector('header nav'), skipTarget: !!target};
}"""

TODAY = clock.today()


def _ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def _seed(app) -> dict:
    """A campaign with requests in most states, events, documents, questions and answers (one
    verified), a second campaign, a closure day and reminders sent and failed."""
    admin_id = make_user(app, "admin@example.org", "admin")
    coordinator_id = make_user(app, "coordinator@example.org", "coordinator")
    make_user(app, "staff@example.org", "staff")
    with app.app_context():
        session = db.session
        admin = session.get(User, admin_id)
        admin.name = "Ada Admin"
        session.commit()
        campaign = save_campaign(
            session,
            None,
            {
                "title": "Adult social care 2026",
                "description": "Budgets and equality impact, every council.",
                "default_regime": "foia",
                "letter_template": "Dear {authority_name},\n\nPlease send your budgets.",
            },
            [admin_id, coordinator_id],
            admin_id,
        )
        save_campaign(
            session,
            None,
            {"title": "Roads 2026", "description": "", "default_regime": "foia", "letter_template": ""},
            [coordinator_id],
            coordinator_id,
        )
        for position, (code, label, qtype, period, pair, choices) in enumerate(
            (
                ("care_2024", "Adult social-care budget", "money", "2024/25", "care_budget", None),
                ("care_2025", "Adult social-care budget", "money", "2025/26", "care_budget", None),
                ("eia", "Equality impact assessment carried out", "yes_no", "", "", None),
                ("provider", "Main provider type", "choice", "", "", ["In-house", "Outsourced", "Mixed"]),
            )
        ):
            session.add(
                Question(
                    campaign_id=campaign.id,
                    code=code,
                    label=label,
                    qtype=qtype,
                    period_label=period,
                    pair_group=pair,
                    choices=choices,
                    position=position,
                )
            )
        session.commit()
        questions = list(
            session.scalars(select(Question).where(Question.campaign_id == campaign.id).order_by(Question.position))
        )

        councils = session.scalars(
            select(Authority)
            .where(Authority.social_care, Authority.end_date.is_(None), Authority.nation == "England")
            .order_by(Authority.code)
            .limit(14)
        ).all()

        def request(index, sent_days_ago):
            return create_request(
                session,
                {
                    "campaign_id": campaign.id,
                    "authority_id": councils[index].id,
                    "regime": "foia",
                    "subject": "Adult social-care budgets",
                    "body": "Dear council,\n\nPlease send your budgets.",
                    "sent_on": _ago(sent_days_ago) if sent_days_ago is not None else None,
                    "received_on": None,
                    "council_reference": f"FOI-{100 + index}" if index % 2 else "",
                    "owner_id": admin_id,
                },
                admin_id,
            )

        def event(req, kind, days_ago, **details):
            return add_event(
                session,
                req,
                kind=kind,
                occurred_on=_ago(days_ago),
                details=details,
                note="Logged from the council's email." if kind == "response_received" else "",
                user_id=admin_id,
            )

        request(0, None)  # a draft
        request(1, 5)  # awaiting
        request(2, 45)  # overdue
        event(request(3, 12), "acknowledged", 10)
        event(request(4, 15), "clarification_requested", 8)
        event(request(5, 15), "fee_notice", 6)
        event(
            request(6, 18),
            "extension_claimed",
            4,
            reason="public_interest",
            new_date=(TODAY + timedelta(days=20)).isoformat(),
        )
        answered = request(7, 30)
        event(answered, "acknowledged", 28)
        response = event(answered, "response_received", 12, outcome="partially_successful", exemptions=["s43"])
        attach(
            session,
            response,
            [
                FileStorage(
                    io.BytesIO(b"%PDF-1.4 budgets"), filename="Budgets 2024-26.pdf", content_type="application/pdf"
                )
            ],
            FileStore.from_config(app.config),
            10 * 1024 * 1024,
            admin_id,
        )
        session.commit()
        attachment_id = response.attachments[0].id
        save_answers(
            session,
            answered,
            {
                questions[0].id: AnswerInput(raw="£1,200,000", source_attachment_id=attachment_id, source_page="4"),
                questions[1].id: AnswerInput(raw="£1,050,000", source_attachment_id=attachment_id, source_page="5"),
                questions[2].id: AnswerInput(raw="no"),
                questions[3].id: AnswerInput(raw="", state="refused", exemption="s43", note="Commercially sensitive"),
            },
            admin_id,
        )
        verify_answer(
            session,
            session.scalars(
                select(Answer).where(Answer.request_id == answered.id, Answer.question_id == questions[0].id)
            ).one(),
            coordinator_id,
        )
        refused = request(8, 35)
        event(refused, "response_received", 20, outcome="refused", exemptions=["s12", "s40"])
        event(refused, "review_requested", 15)
        complained = request(9, 60)
        event(complained, "response_received", 40, outcome="refused", exemptions=["s12"])
        event(complained, "complaint_lodged", 30, regulator="ICO")
        event(request(10, 20), "withdrawn", 3)
        closed = request(13, 90)
        event(closed, "response_received", 70, outcome="not_held")
        event(closed, "complaint_lodged", 60, regulator="ICO")
        event(closed, "complaint_decision", 5)
        for index, (before, after) in ((11, ("900000", "850000")), (12, ("2.5m", "2.6m"))):
            req = request(index, 25)
            event(req, "response_received", 10, outcome="successful")
            save_answers(
                session,
                req,
                {
                    questions[0].id: AnswerInput(raw=before),
                    questions[1].id: AnswerInput(raw=after),
                    questions[2].id: AnswerInput(raw="yes"),
                },
                admin_id,
            )
        add_closure(
            session, day=TODAY + timedelta(days=9), name="Office move", calendar="uk", remove=False, user_id=admin_id
        )
        reminders = session.scalars(select(Reminder).order_by(Reminder.id)).all()
        now = clock.now()
        reminders[0].status, reminders[0].sent_at, reminders[0].attempts = "sent", now, 1
        reminders[1].status, reminders[1].attempts = "failed", 5
        reminders[1].last_error = "SMTP 550: mailbox unavailable"
        session.commit()
        # A spreadsheet for the import's check page: one change, one error.
        figures_csv = (
            "authority,question,value\n"
            f"{councils[11].gss_code},care_2025,£860000\n"
            f"{councils[12].short_name},care_2025,lots\n"
        ).encode()
        return {
            "campaign": campaign.id,
            "request": answered.id,
            "event": response.id,
            "council": councils[7].code,
            "coordinator": coordinator_id,
            "question": questions[0].id,
            "figures_csv": figures_csv,
        }


def _axe(page) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    # govern: no need for bypass_csp, so axe sees the page exactly as users get it.
    page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE, [AXE_TAGS, REVIEW_AS_VIOLATION])


def _check(page, name: str, problems: list[str]) -> None:
    """axe and the structural checks on the page as it is now. Problems are collected, not
    raised, so that one run reports every page."""
    for v in _axe(page):
        if v["impact"] in FAILING_IMPACTS:
            nodes = "\n".join(f"      {n['target']}  {n['html']}\n        {n['summary']}" for n in v["nodes"][:8])
            more = f"\n      … and {len(v['nodes']) - 8} more" if len(v["nodes"]) > 8 else ""
            problems.append(f"{name} ({page.url}): {v['id']} [{v['impact']}] {v['help']}\n{nodes}{more}")
    facts = page.evaluate(STRUCTURE)
    if facts["lang"] != "en-GB":
        problems.append(f"{name}: <html lang> is {facts['lang']!r}, not 'en-GB'")
    if facts["h1"] != 1:
        problems.append(f"{name}: {facts['h1']} <h1> elements, not one")
    if facts["nav"] and not facts["skipTarget"]:
        problems.append(f"{name}: navigation but no skip link to the main content")


# The markup axe-core checks is the same on either database: the SQLite pass checks it.
@pytest.mark.skipif(bool(PG_URL), reason="accessibility is checked in the SQLite pass")
def test_main_pages_have_no_serious_accessibility_violations(page, app, tmp_path):
    world = _seed(app)
    app.config["PER_PAGE"] = 10  # so the request list has two pages
    problems: list[str] = []
    campaign, request_id = world["campaign"], world["request"]

    def visit(name, url, status=200):
        response = page.goto(url)
        assert response.status == status, f"{name}: {url} answered {response.status}"
        _check(page, name, problems)

    visit("login", "/login")
    # The check can fail: a field planted without a label is found.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=planted>')")
    assert "label" in {v["id"] for v in _axe(page) if v["impact"] in FAILING_IMPACTS}

    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    _check(page, "login, refused", problems)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")

    # The skip link is the first stop of the keyboard, and it leads to the content. Focus shows
    # as a yellow outline with a dark ring, so it stands out on light and dark backgrounds alike.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, s.boxShadow]; }"
    )
    assert ring[0] == "solid" and ring[1] == "rgb(245, 180, 0)" and "rgb(29, 35, 41)" in ring[2], ring
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # waits: the browser follows the link after the key press

    visit("dashboard (mine)", "/?scope=mine")
    visit("dashboard (everything)", "/?scope=all")
    visit("request list", "/requests/")
    visit("request list, filtered", f"/requests/?campaign={campaign}&status=awaiting_response&sort=council")
    visit("request list, page 2", f"/requests/?campaign={campaign}&page=2")
    visit("request list, nothing found", "/requests/?q=no-such-reference")
    visit("request", f"/requests/{request_id}")
    visit("request deadline", f"/requests/{request_id}/deadline")
    visit("request edit", f"/requests/{request_id}/edit")
    visit("event edit", f"/requests/{request_id}/events/{world['event']}/edit")
    visit("figures grid", f"/requests/{request_id}/figures")
    visit("new request", f"/requests/new?campaign={campaign}")
    page.get_by_role("button", name="Save request").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _check(page, "new request, with errors", problems)

    visit("campaigns", "/campaigns/")
    visit("campaign", f"/campaigns/{campaign}")
    visit("campaign edit", f"/campaigns/{campaign}/edit")
    visit("new campaign", "/campaigns/new")
    visit("campaign statistics", f"/campaigns/{campaign}/statistics")
    visit("campaign questions", f"/campaigns/{campaign}/questions")
    visit("question form", f"/campaigns/{campaign}/questions/{world['question']}/edit")
    visit("figures import", f"/campaigns/{campaign}/figures/import")
    page.get_by_label("Spreadsheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "figures.csv", "mimeType": "text/csv", "buffer": world["figures_csv"]}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Import figures: figures.csv")).to_be_visible()
    _check(page, "figures import, checked", problems)
    visit("report", f"/campaigns/{campaign}/report")
    visit("report: a question's per-council table", f"/campaigns/{campaign}/report/questions/care_2024")
    visit("report: a pair's per-council table", f"/campaigns/{campaign}/report/pairs/0")
    # Publishing (#18): the author's page, and the published report in its own layout.
    visit("publish", f"/campaigns/{campaign}/publish")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#public-url")).to_be_visible()
    _check(page, "publish, published", problems)
    public_path = page.locator("#public-url").get_attribute("href")
    visit("published report", public_path)
    visit("published report, version 1", f"{public_path}/v/1")
    visit("published report, not found", "/p/no-such-report", status=404)
    visit("batch form", f"/campaigns/{campaign}/batch?region=London")
    page.get_by_label("Subject").fill("Adult social care")
    page.get_by_role("button", name="Preview letters").click()
    expect(page.get_by_role("button", name="Create")).to_be_visible()
    _check(page, "batch preview", problems)

    visit("councils", "/councils/")
    visit("council", f"/councils/{world['council']}")
    visit("council edit", f"/councils/{world['council']}/edit")
    visit("deadline calculator", "/deadlines/calculator")
    visit("deadline calculator, a result", "/deadlines/calculator?regime=foia&received=2026-03-12")
    visit("closure days", "/deadlines/closures")
    visit("admin", "/admin/")
    visit("users", "/admin/users")
    visit("new user", "/admin/users/new")
    visit("user edit", f"/admin/users/{world['coordinator']}/edit")
    visit("reminder outbox", "/admin/reminders")
    # Its wide table scrolls in a box of its own: the page itself never scrolls sideways at 1280 px.
    assert page.viewport_size["width"] == 1280 and page.locator("table.reminders tbody tr").count()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))]"
    )
    visit("account: password", "/account/password")
    visit("account: reminders", "/account/reminders")
    visit("account: API tokens", "/account/api-tokens")
    page.get_by_label("Name").fill("Budget notebook")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    _check(page, "account: API tokens, a new one shown", problems)
    visit("JSON API reference", "/api/docs")
    visit("not found", "/requests/999999", status=404)

    # The report as one HTML file (`fointracker report`), opened from disk.
    standalone = tmp_path / "report.html"
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["report", str(campaign), "--output", str(standalone)])
    assert result.exit_code == 0, result.output
    page.goto(standalone.as_uri())
    _check(page, "report, standalone file", problems)

    # A 403 needs a user without the capability: log out, and in again as staff.
    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill("staff@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    visit("forbidden", "/admin/users", status=403)

    assert not problems, f"Accessibility problems (axe-core {AXE_VERSION}):\n" + "\n".join(problems)
