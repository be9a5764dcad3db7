"""The report's hex map in Chromium: 361 hexes drawn, a county's districts coloured, the
measure chooser (a plain GET form) recolouring it, and the table alternative opening."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import User
from fointracker.services.report_map import county_districts
from tests.test_report import answer, councils, new_campaign, new_question, new_request

pytestmark = pytest.mark.browser


def test_the_map_renders_and_the_chooser_changes_it(logged_in, app):
    with app.app_context():
        session = db.session
        coordinator = session.scalar(select(User.id).where(User.email == "coordinator@example.org"))
        campaign = new_campaign(session, {"admin": coordinator}, "Care budgets")
        c = councils(session, ["KEN", "MAN", "GLG"])
        before = new_question(session, campaign, "B1", "money", 1, pair_group="budget", period="2010/11")
        after = new_question(session, campaign, "B2", "money", 2, pair_group="budget", period="2011/12")
        eia = new_question(session, campaign, "EIA", "yes_no", 3)
        for code, (b, a, done) in {"KEN": (100, 80, True), "MAN": (50, 60, False), "GLG": (40, 40, True)}.items():
            req = new_request(session, campaign, c[code])
            answer(session, req, before, number=str(b))
            answer(session, req, after, number=str(a))
            answer(session, req, eia, boolean=done)
        session.commit()
        campaign_id = campaign.id
        kent_district = county_districts()["KEN"][0]

    page = logged_in
    page.goto(f"/campaigns/{campaign_id}/report")
    hexes = page.locator("#map svg path.hex")
    expect(hexes).to_have_count(361)
    expect(hexes.first).to_be_visible()
    box = page.locator("#map svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 200  # drawn at a readable size
    district = page.locator(f'#map svg path[data-gss="{kent_district}"]')
    assert district.get_attribute("fill") == "#f4a582"  # Kent's −20%: "cut by 10% to 25%", a red
    expect(page.locator("#map svg")).to_contain_text("Cut by 10% to 25% (")

    page.get_by_label("Colour the map by").select_option("question:EIA")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/report?map=question%3AEIA#map")
    expect(page.locator("#map-heading")).to_be_in_viewport()
    expect(page.locator("#map svg path.hex")).to_have_count(361)
    assert page.locator(f'#map svg path[data-gss="{kent_district}"]').get_attribute("fill") == "#0b5f8a"  # yes
    expect(page.locator("#map svg")).to_contain_text("Yes (")

    page.get_by_text("The map as a table (3 councils)").click()
    table = page.locator("#map details.map-table")
    expect(table.get_by_role("rowheader", name="Kent", exact=True)).to_be_visible()
    expect(table.get_by_role("row", name="Kent")).to_contain_text("the hexes of its 12 districts")
