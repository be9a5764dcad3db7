"""The s.12 aggregation warning: Freedom of Information and Data Protection (Appropriate Limit
and Fees) Regulations 2004 reg 5 lets a council add together the cost of campaign requests it
receives "within any period of sixty consecutive working days".

Worked example: a batch sent (and received) on Mon 1 Jun 2026. Counting back on the UK
calendar (FOIA s.10(6): a bank holiday anywhere in the UK) skips Spring bank holiday 25 May,
Early May 4 May, Easter Monday 6 Apr, Good Friday 3 Apr and St Patrick's Day 17 Mar, so
Tue 3 Mar is 59 working days before (one period of 60 working days holds both: warn),
Mon 2 Mar 60 and Fri 27 Feb 61 (no period of 60 holds both: no warning). On the Scottish
calendar (FOISA s.73) Easter Monday and St Patrick's Day are working days, so Tue 3 Mar is
61 working days before and Thu 5 Mar is 59.
"""

from datetime import date

import pytest
from sqlalchemy import event, select

from fointracker.domain.aggregation import aggregation_window
from fointracker.domain.deadlines.calendar import statutory_calendar
from fointracker.domain.regimes import CalendarName
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest
from fointracker.services.aggregation import aggregation_warnings, request_aggregation_warning
from fointracker.services.batch import preview, preview_aggregation
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from tests.conftest import post

BATCH_DAY = date(2026, 6, 1)


def _campaign(session, title, group=None, regime="foia") -> Campaign:
    campaign = save_campaign(
        session,
        None,
        {
            "title": title,
            "description": "",
            "default_regime": regime,
            "letter_template": "Dear {authority_name}",
            "aggregation_group": group or "",
        },
        [],
        None,
    )
    session.commit()
    return campaign


def _council(session, code) -> Authority:
    return session.scalar(select(Authority).where(Authority.code == code))


def _request(session, campaign, code, sent_on, regime=None) -> FoiRequest:
    authority = _council(session, code)
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": authority.id,
            "regime": regime or ("foisa" if authority.nation == "Scotland" else "foia"),
            "subject": "Earlier request",
            "sent_on": sent_on,
        },
        None,
    )
    session.commit()
    return foi_request


def _warned(session, campaign, *codes, day=BATCH_DAY) -> dict:
    councils = [_council(session, code) for code in codes]
    found = aggregation_warnings(session, campaign, councils, day)
    by_id = {c.id: c.code for c in councils}
    return {
        by_id[k]: [(r.request_id, r.received_on, r.working_days_apart) for r in w.related] for k, w in found.items()
    }


# ---------------------------------------------------------------- the window (pure)


def test_window_is_59_working_days_either_way_fees_regs_reg5():
    """Reg 5: "within any period of sixty consecutive working days" — at most 59 apart."""
    uk = statutory_calendar(CalendarName.UK)
    assert aggregation_window(uk, BATCH_DAY) == (date(2026, 3, 3), date(2026, 8, 26))
    scotland = statutory_calendar(CalendarName.SCOTLAND)
    assert aggregation_window(scotland, BATCH_DAY)[0] == date(2026, 3, 5)


# ---------------------------------------------------------------- who is warned


def test_same_campaign_59_working_days_before_warns_60_and_61_do_not_fees_regs_reg5(session):
    campaign = _campaign(session, "Care budgets")
    at_59 = _request(session, campaign, "MAN", date(2026, 3, 3))
    _request(session, campaign, "BOL", date(2026, 3, 2))  # 60 working days before
    _request(session, campaign, "BUR", date(2026, 2, 27))  # 61
    assert _warned(session, campaign, "MAN", "BOL", "BUR") == {"MAN": [(at_59.id, date(2026, 3, 3), 59)]}


def test_a_request_received_59_working_days_after_warns_60_does_not_fees_regs_reg5(session):
    """The period runs both ways: a batch back-dated to Tue 3 Mar 2026 (or Mon 2 Mar) meets a
    request received on Mon 1 Jun 2026, 59 (or 60) working days later."""
    campaign = _campaign(session, "Care budgets")
    later = _request(session, campaign, "MAN", BATCH_DAY)
    manchester = [_council(session, "MAN")]
    found = aggregation_warnings(session, campaign, manchester, date(2026, 3, 3))
    assert [(r.request_id, r.working_days_apart, r.after) for w in found.values() for r in w.related] == [
        (later.id, 59, True)
    ]
    assert aggregation_warnings(session, campaign, manchester, date(2026, 3, 2)) == {}


def test_scottish_council_counts_on_the_foisa_calendar_s73(session):
    """Easter Monday and St Patrick's Day are working days in Scotland: Tue 3 Mar is 61
    working days before Mon 1 Jun for Glasgow, Thu 5 Mar 59."""
    campaign = _campaign(session, "Care budgets")
    _request(session, campaign, "GLG", date(2026, 3, 3))
    at_59 = _request(session, campaign, "EDH", date(2026, 3, 5))
    warned = aggregation_warnings(session, campaign, [_council(session, "GLG"), _council(session, "EDH")], BATCH_DAY)
    assert [w.council for w in warned.values()] == ["City of Edinburgh"]
    (warning,) = warned.values()
    assert warning.regime == "foisa" and warning.related[0].request_id == at_59.id
    assert "reg 6" in warning.reason and "Scotland" in warning.reason


def test_another_campaign_of_the_same_group_warns_another_group_does_not(session):
    campaign = _campaign(session, "Care budgets 2026", group="Social care")
    same_group = _campaign(session, "Care staffing 2026", group="  social CARE ")  # case and spaces ignored
    other_group = _campaign(session, "Libraries", group="Culture")
    no_group = _campaign(session, "Parks")
    in_group = _request(session, same_group, "MAN", date(2026, 5, 1))
    _request(session, other_group, "BOL", date(2026, 5, 1))
    _request(session, no_group, "BUR", date(2026, 5, 1))
    warned = _warned(session, campaign, "MAN", "BOL", "BUR")
    assert warned == {"MAN": [(in_group.id, date(2026, 5, 1), 19)]}  # May bank holidays skipped


def test_campaigns_without_a_group_never_match_each_other(session):
    campaign = _campaign(session, "Care budgets")
    other = _campaign(session, "Parks")
    _request(session, other, "MAN", date(2026, 5, 1))
    assert _warned(session, campaign, "MAN") == {}


def test_only_the_same_council_counts(session):
    campaign = _campaign(session, "Care budgets")
    _request(session, campaign, "MAN", date(2026, 5, 1))
    assert _warned(session, campaign, "SLF", "TRF") == {}  # Salford and Trafford: another council's request


def test_drafts_of_the_group_warn_withdrawn_requests_do_not(session):
    campaign = _campaign(session, "Care budgets", group="Care")
    sibling = _campaign(session, "Care staff", group="Care")
    draft = _request(session, sibling, "MAN", None)
    withdrawn = _request(session, sibling, "BOL", date(2026, 5, 1))
    withdrawn.status = "withdrawn"
    session.commit()
    assert _warned(session, campaign, "MAN", "BOL") == {"MAN": [(draft.id, None, None)]}


def test_one_query_for_the_whole_batch(session):
    """Batches are 150-400 councils: the check is one SELECT, not one per council."""
    campaign = _campaign(session, "Care budgets")
    first = session.scalars(select(Authority.code).where(Authority.end_date.is_(None)).order_by(Authority.id)).first()
    _request(session, campaign, first, date(2026, 5, 1))
    councils = list(session.scalars(select(Authority).where(Authority.end_date.is_(None)).order_by(Authority.id)))
    assert len(councils) > 300 and campaign.default_regime == "foia"  # loaded: no lazy loads below
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = aggregation_warnings(session, campaign, councils, BATCH_DAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert list(found) == [councils[0].id]
    assert len(statements) == 1


def test_preview_lists_only_councils_the_batch_would_send(session):
    """A council already asked in the campaign is skipped unless duplicates are allowed: then
    its first request is the one the second may be aggregated with."""
    campaign = _campaign(session, "Care budgets")
    earlier = _request(session, campaign, "MAN", date(2026, 5, 1))
    rows = preview(session, campaign, [_council(session, c).id for c in ("MAN", "BOL")], BATCH_DAY)
    assert preview_aggregation(session, campaign, rows, BATCH_DAY, allow_duplicates=False) == []
    ((row, warning),) = preview_aggregation(session, campaign, rows, BATCH_DAY, allow_duplicates=True)
    assert row.authority.code == "MAN" and warning.related[0].request_id == earlier.id
    assert "reg 5" in warning.reason and "s.12" in warning.reason


def test_single_draft_is_warned_but_not_about_itself(session):
    campaign = _campaign(session, "Care budgets")
    earlier = _request(session, campaign, "MAN", date(2026, 5, 1))
    draft = _request(session, campaign, "MAN", None)
    warning = request_aggregation_warning(session, draft, BATCH_DAY)
    assert [r.request_id for r in warning.related] == [earlier.id]


# ---------------------------------------------------------------- the page


@pytest.fixture
def care(app):
    with app.app_context():
        campaign = _campaign(db.session, "Care budgets", group="Social care")
        sibling = _campaign(db.session, "Care staffing <b>2026</b>", group="Social care")
        earlier = _request(db.session, sibling, "MAN", date(2026, 3, 3))
        ids = [_council(db.session, code).id for code in ("MAN", "BOL")]
        return campaign.id, earlier.id, ids


def test_batch_preview_warns_before_sending_and_still_lets_staff_send(login_as, care):
    campaign_id, earlier_id, ids = care
    client = login_as("coordinator")
    form = {"authority_ids": ids, "subject": "Budgets", "sent_on": "2026-06-01", "owner_id": ""}
    html = post(client, f"/campaigns/{campaign_id}/batch", {**form, "step": "preview"}).get_data(as_text=True)
    assert "1 council may count this request together with another" in html
    assert f"request {earlier_id}</a> (Care staffing &lt;b&gt;2026&lt;/b&gt;)" in html  # escaped, not markup
    assert "received Tue 3 Mar 2026, 59 working days before" in html
    assert "reg 5" in html and "Social care" in html
    assert html.count("May be aggregated (s.12)") == 1
    assert "Create 2 requests" in html  # a warning, not a refusal


def test_batch_preview_is_quiet_61_working_days_later(login_as, care):
    campaign_id, _, ids = care
    client = login_as("coordinator")
    form = {"authority_ids": ids, "subject": "Budgets", "sent_on": "2026-06-03", "owner_id": ""}
    html = post(client, f"/campaigns/{campaign_id}/batch", {**form, "step": "preview"}).get_data(as_text=True)
    assert "Create 2 requests" in html and "may count this request together" not in html


def test_campaign_form_saves_the_aggregation_group(login_as, app, care):
    campaign_id, _, _ = care
    client = login_as("coordinator")
    page = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert 'name="aggregation_group"' in page and "60 working days" in page
    response = post(
        client,
        f"/campaigns/{campaign_id}/edit",
        {"title": "Care budgets", "default_regime": "foia", "letter_template": "", "aggregation_group": "  "},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).aggregation_group is None  # blank: in no group
