"""Unpaid fees lapse (FOIA s.9(2), FOISA s.9(4): three months; EIR: the ICO's 60 working days):
the scheduler's daily job records a "fee_lapsed" event dated the day the fee lapsed."""

from datetime import date

import pytest
from sqlalchemy import select

from fointracker.models import Authority, Campaign, RequestEvent
from fointracker.services.deadlines import lapse_unpaid_fees
from fointracker.services.foi_requests import create_request
from fointracker.services.timeline import add_event

TODAY = date(2026, 11, 23)


@pytest.fixture
def campaign_id(session, users):
    campaign = Campaign(title="Fees", default_regime="foia", created_by_id=users["admin"])
    session.add(campaign)
    session.commit()
    return campaign.id


def fee_requested(session, campaign_id, regime="foia", code="KEN", notice=date(2026, 3, 10)):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign_id,
            "authority_id": authority.id,
            "regime": regime,
            "subject": "Budgets",
            "body": "",
            "sent_on": date(2026, 3, 2),
            "received_on": None,
            "council_reference": "",
            "owner_id": None,
        },
        None,
    )
    add_event(session, foi_request, kind="fee_notice", occurred_on=notice, user_id=None, today=TODAY)
    session.commit()
    return foi_request


def lapsed_events(session, foi_request):
    return session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == foi_request.id, RequestEvent.kind == "fee_lapsed")
    ).all()


def test_s9_2_unpaid_fee_lapses_three_months_after_the_notice(session, campaign_id):
    """FOIA s.9(2): notice given Tue 10 Mar 2026; three months beginning with it end on 9 Jun, so it lapses on 10 Jun."""
    req = fee_requested(session, campaign_id)
    assert req.status == "fee_requested" and req.clock_paused
    assert lapse_unpaid_fees(session, date(2026, 6, 9)) == 0
    assert req.status == "fee_requested" and lapsed_events(session, req) == []
    assert lapse_unpaid_fees(session, date(2026, 7, 1)) == 1  # a run missed for weeks dates it the lapse day
    session.commit()
    [event] = lapsed_events(session, req)
    assert event.occurred_on == date(2026, 6, 10) and event.created_by_id is None
    assert req.status == "closed" and req.response_due_on is None
    assert lapse_unpaid_fees(session, date(2026, 7, 2)) == 0  # once only


def test_a_paid_fee_never_lapses(session, campaign_id):
    req = fee_requested(session, campaign_id)
    add_event(session, req, kind="fee_paid", occurred_on=date(2026, 3, 20), user_id=None, today=TODAY)
    session.commit()
    assert lapse_unpaid_fees(session, TODAY) == 0
    assert req.status == "awaiting_response"


def test_eir_unpaid_fee_lapses_after_60_working_days(session, campaign_id):
    """EIR reg 8 "a reasonable period"; the ICO's 60 working days from Tue 10 Mar 2026 (UK calendar:
    St Patrick's Day, Good Friday, Easter Monday and the May bank holidays skipped) end Tue 9 Jun."""
    req = fee_requested(session, campaign_id, regime="eir")
    assert lapse_unpaid_fees(session, date(2026, 6, 9)) == 0
    assert lapse_unpaid_fees(session, date(2026, 6, 10)) == 1
    assert [e.occurred_on for e in lapsed_events(session, req)] == [date(2026, 6, 10)]


def test_foisa_s9_4_lapse_on_a_scottish_request(session, campaign_id):
    req = fee_requested(session, campaign_id, regime="foisa", code="GLG", notice=date(2026, 3, 31))
    assert lapse_unpaid_fees(session, date(2026, 6, 29)) == 0
    assert lapse_unpaid_fees(session, date(2026, 6, 30)) == 1  # no 31 June: the month's last day
    assert req.status == "closed"
