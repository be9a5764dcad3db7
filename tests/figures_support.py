"""Shared by the tests of entry at speed (#17): the figures queue, bulk verify, double entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fointracker import clock
from fointracker.models import Attachment, Authority
from fointracker.services.answers import AnswerInput, save_answers
from fointracker.services.campaigns import save_campaign
from fointracker.services.foi_requests import create_request
from fointracker.services.questions import create_question
from fointracker.services.timeline import add_event

COUNCILS = ("KEN", "CAM", "HAM", "SWK", "BDG", "BIR", "MAN", "ESX")


def new_campaign(session, user_id, title="Care budgets", double_entry=False, members=()):
    campaign = save_campaign(
        session,
        None,
        {
            "title": title,
            "description": "",
            "default_regime": "foia",
            "letter_template": "",
            "double_entry": double_entry,
        },
        [],
        user_id,
        member_ids=list(members),
    )
    session.commit()
    return campaign


def new_question(session, campaign, code, qtype="money", **values):
    question = create_question(
        session,
        campaign,
        {"code": code, "label": values.pop("label", code.capitalize()), "qtype": qtype, **values},
        None,
    )
    session.commit()
    return question


def new_request(session, campaign, code, *, sent_days_ago=60, user_id=None):
    authority = session.scalar(select(Authority).where(Authority.code == code))
    foi_request = create_request(
        session,
        {
            "campaign_id": campaign.id,
            "authority_id": authority.id,
            "regime": "foia",
            "subject": "Budgets",
            "body": "",
            "sent_on": clock.today() - timedelta(days=sent_days_ago),
            "received_on": None,
            "council_reference": "",
            "owner_id": None,
        },
        user_id,
    )
    session.commit()
    return foi_request


def respond(session, foi_request, *, days_ago, documents=1, outcome="successful", user_id=None):
    """A response on the request's timeline `days_ago` days ago, with `documents` files on it."""
    event = add_event(
        session,
        foi_request,
        kind="response_received",
        occurred_on=clock.today() - timedelta(days=days_ago),
        details={"outcome": outcome},
        user_id=user_id,
    )
    for n in range(documents):
        event.attachments.append(
            Attachment(original_name=f"Budgets {n + 1}.xlsx", size=10, sha256=f"{foi_request.id:032x}{n:032x}")
        )
    session.commit()
    return event


def enter(session, foi_request, values: dict, user_id):
    """Enter figures as the grid does: {question: raw}."""
    result = save_answers(session, foi_request, {q.id: AnswerInput(raw=raw) for q, raw in values.items()}, user_id)
    session.commit()
    return result
