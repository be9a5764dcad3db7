"""The s.12 aggregation warning on the request list's bulk "Mark sent" (Fees Regulations 2004
reg 5: requests "in pursuance of a campaign" received within 60 consecutive working days): a
warning after the drafts are marked sent, never a refusal."""

from datetime import date

from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import FoiRequest
from fointracker.services.aggregation import bulk_aggregation_warnings
from tests.conftest import post
from tests.test_aggregation_warning import _campaign, _request


def _scene(session):
    """Care budgets (group "Social care"); its sibling sent Manchester a request received Tue 3 Mar
    2026, 59 working days before Mon 1 Jun 2026 on the UK calendar (FOIA s.10(6))."""
    campaign = _campaign(session, "Care budgets", group="Social care")
    sibling = _campaign(session, "Care staffing <b>2026</b>", group="Social care")
    earlier = _request(session, sibling, "MAN", date(2026, 3, 3))
    drafts = {
        "MAN": _request(session, campaign, "MAN", None).id,
        "BOL": _request(session, campaign, "BOL", None).id,
        "BOL2": _request(session, campaign, "BOL", None).id,
        "BUR": _request(session, campaign, "BUR", None).id,
    }
    return earlier.id, drafts


def test_bulk_warnings_name_two_ticked_together_and_one_beside_an_earlier_request_fees_regs_reg5(session):
    earlier_id, drafts = _scene(session)
    found = bulk_aggregation_warnings(session, drafts.values(), date(2026, 6, 1))
    assert [(w.warning.council, w.in_batch, [o.request_id for o in w.others]) for w in found] == [
        ("Bolton", (drafts["BOL"], drafts["BOL2"]), []),
        ("Manchester", (drafts["MAN"],), [earlier_id]),
    ]
    assert found[1].others[0].working_days_apart == 59
    # 61 working days later (Wed 3 Jun) Manchester's earlier request no longer counts; Bolton's two still do.
    assert [w.warning.council for w in bulk_aggregation_warnings(session, drafts.values(), date(2026, 6, 3))] == [
        "Bolton"
    ]
    assert bulk_aggregation_warnings(session, [drafts["BUR"]], date(2026, 6, 1)) == []


def test_bulk_mark_sent_warns_but_sends(login_as, app):
    with app.app_context():
        earlier_id, drafts = _scene(db.session)
    client = login_as("staff")
    html = post(
        client,
        "/requests/bulk",
        {"action": "mark_sent", "ids": list(drafts.values()), "date": "2026-06-01", "back": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Marked 4 requests as sent on Mon 1 Jun 2026." in html  # a warning, not a refusal
    assert "2 councils may count these requests together with another for the cost limit (s.12)" in html
    assert "reg 5" in html
    assert f"Bolton: request #{drafts['BOL']} (this batch), request #{drafts['BOL2']} (this batch)." in html
    # The sibling's title is shown escaped, never as markup.
    assert (
        f"Manchester: request #{drafts['MAN']} (this batch), request #{earlier_id} "
        "(Care staffing &lt;b&gt;2026&lt;/b&gt;, received Tue 3 Mar 2026)." in html
    )
    assert "Bury:" not in html
    with app.app_context():
        statuses = db.session.scalars(select(FoiRequest.status).where(FoiRequest.id.in_(drafts.values())))
        assert set(statuses) == {"awaiting_response"}
