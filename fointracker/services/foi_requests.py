"""Creating and editing single requests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..domain.lifecycle import EventKind, Status
from ..domain.regimes import regime_for_authority, regime_problem
from ..models import Authority, Campaign, FoiRequest, RequestEvent
from .audit import record, snapshot
from .deadlines import recompute_request

REQUEST_FIELDS = (
    "campaign_id",
    "authority_id",
    "regime",
    "subject",
    "body",
    "sent_on",
    "received_on",
    "council_reference",
    "owner_id",
    "status",
    "outcome",
)


class RequestError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check(session: Session, values: dict) -> None:
    authority = session.get(Authority, values["authority_id"])
    campaign_found = session.get(Campaign, values["campaign_id"]) is not None
    check_request(values, authority.nation if authority else None, campaign_found)


def check_request(values: dict, nation: str | None, campaign_found: bool) -> None:
    """The rules a request's values obey, given its council's nation (None: no such council) and
    whether its campaign exists. Shared with the bulk path (services.bulk_requests)."""
    if nation is None:
        raise RequestError("authority_id", "choose a council from the register")
    if not campaign_found:
        raise RequestError("campaign_id", "choose a campaign")
    problem = regime_problem(values["regime"], nation)
    if problem:
        raise RequestError("regime", problem)
    if not values["subject"].strip():
        raise RequestError("subject", "a request needs a subject")
    sent_on, received_on = values.get("sent_on"), values.get("received_on")
    if received_on and not sent_on:
        raise RequestError("sent_on", "give the date the request was sent as well")
    if sent_on and received_on and received_on < sent_on:
        raise RequestError("received_on", "the council cannot receive the request before it was sent")


def new_request_columns(values: dict) -> dict:
    """A new request's columns from the values given (checked): received the day it was sent
    unless said otherwise, a draft until sent. Shared with the bulk path."""
    columns = {k: v for k, v in values.items() if k in REQUEST_FIELDS}
    if columns.get("sent_on") and not columns.get("received_on"):
        columns["received_on"] = columns["sent_on"]  # email arrives the day it is sent
    columns["status"] = (Status.AWAITING_RESPONSE if columns.get("sent_on") else Status.DRAFT).value
    return columns


def create_request(session: Session, values: dict, user_id: int | None) -> FoiRequest:
    """One request. If it has a sent date it is recorded as sent (a `sent` event). The caller commits."""
    values = dict(values)
    values["subject"] = values["subject"].strip()
    _check(session, values)
    values = new_request_columns(values)
    foi_request = FoiRequest(**values)
    session.add(foi_request)
    session.flush()
    if values.get("sent_on"):
        session.add(
            RequestEvent(
                request_id=foi_request.id,
                kind=EventKind.SENT.value,
                occurred_on=values["sent_on"],
                created_by_id=user_id,
                details={"received_on": values["received_on"].isoformat()},
            )
        )
    session.flush()
    session.refresh(foi_request, ["events"])
    recompute_request(session, foi_request)
    record(
        session,
        user_id=user_id,
        entity_type="request",
        entity_id=foi_request.id,
        action="created",
        after=snapshot(foi_request, REQUEST_FIELDS),
    )
    session.flush()
    return foi_request


EDITABLE_FIELDS = ("regime", "subject", "body", "council_reference", "owner_id")


def update_request(session: Session, foi_request: FoiRequest, values: dict, user_id: int | None) -> FoiRequest:
    """Edit the descriptive fields. Dates and status move only through timeline events."""
    merged = snapshot(foi_request, REQUEST_FIELDS)
    merged.update({k: values[k] for k in EDITABLE_FIELDS if k in values})
    merged["sent_on"], merged["received_on"] = foi_request.sent_on, foi_request.received_on
    _check(session, merged)
    before = snapshot(foi_request, EDITABLE_FIELDS)
    for key in EDITABLE_FIELDS:
        if key in values:
            setattr(foi_request, key, values[key].strip() if isinstance(values[key], str) else values[key])
    recompute_request(session, foi_request)  # the regime decides the calendar
    record(
        session,
        user_id=user_id,
        entity_type="request",
        entity_id=foi_request.id,
        action="updated",
        before=before,
        after=snapshot(foi_request, EDITABLE_FIELDS),
    )
    session.flush()
    return foi_request


def create_linked_request(session: Session, original: FoiRequest, authority_id: int, user_id: int | None) -> FoiRequest:
    """A draft request linked back to `original` (linked_request_id), in its campaign, with its
    subject, text and owner: to another council after a transfer ("not held, try X"), or to
    the same council after a s.12 refusal (a refined request, s.16 advice and assistance). A
    new request with its own clock, sent when staff send it. The caller commits."""
    authority = session.get(Authority, authority_id)
    if authority is None:
        raise RequestError("authority_id", "choose a council from the register")
    regime = (
        original.regime
        if authority_id == original.authority_id
        else regime_for_authority(original.regime, authority.nation)
    )
    values = {
        "campaign_id": original.campaign_id,
        "authority_id": authority_id,
        "regime": regime,
        "subject": original.subject,
        "body": original.body or "",
        "owner_id": original.owner_id,
    }
    linked = create_request(session, values, user_id)
    linked.linked_request_id = original.id
    session.flush()
    return linked
