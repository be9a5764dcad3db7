"""Creating many requests in a few statements: what foi_requests.create_request does for one
request, done for a whole batch (services.batch) at once.

Each request gets the rows create_request gives it: the request (with its deadline columns),
its `sent` event when it has a sent date, its planned reminders and its audit entry. The
lookups (councils, campaigns, closure days, who gets reminders) happen once for the batch and
each kind of row is written by one multi-row INSERT, so 400 requests cost about ten statements,
not 4,000 (benchmarks/bench_batch.py). tests/test_batch.py compares the rows with create_request's.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..domain.lifecycle import EventKind
from ..models import AuditEntry, Authority, Campaign, FoiRequest, RequestEvent
from .audit import snapshot
from .deadlines import Calendars, new_request_deadlines
from .foi_requests import REQUEST_FIELDS, check_request, new_request_columns
from .reminders import PlanInput, campaign_audiences, facts_for, recipients_for, sync


def _column_default(name: str):
    """A foi_request column's default when the values leave it out, as the ORM would fill it in."""
    default = FoiRequest.__table__.c[name].default
    return default.arg if default is not None and default.is_scalar else None


def create_requests(session: Session, values: Sequence[dict], user_id: int | None) -> list[int]:
    """One request per values dict (as for create_request), in order; returns their ids. The
    first values that break a rule raise its RequestError before anything is written. The
    caller commits."""
    if not values:
        return []
    wanted = [{**v, "subject": v["subject"].strip()} for v in values]
    nations = dict(
        session.execute(
            select(Authority.id, Authority.nation).where(Authority.id.in_({v["authority_id"] for v in wanted}))
        ).all()
    )
    campaigns = set(session.scalars(select(Campaign.id).where(Campaign.id.in_({v["campaign_id"] for v in wanted}))))
    for v in wanted:
        check_request(v, nations.get(v["authority_id"]), v["campaign_id"] in campaigns)

    calendars = Calendars.from_db(session)
    defaults = {name: _column_default(name) for name in REQUEST_FIELDS}
    rows, first_events = [], []
    for v in wanted:
        row = {**defaults, **new_request_columns(v)}
        events = []
        if row["sent_on"]:
            details = {"received_on": row["received_on"].isoformat()}
            events.append(
                SimpleNamespace(id=None, kind=EventKind.SENT.value, occurred_on=row["sent_on"], details=details)
            )
        row.update(new_request_deadlines(row, events, calendars))
        rows.append(row)
        first_events.append(events)

    ids = list(session.scalars(insert(FoiRequest).returning(FoiRequest.id, sort_by_parameter_order=True), rows))
    sent = [
        {
            "request_id": request_id,
            "kind": event.kind,
            "occurred_on": event.occurred_on,
            "details": event.details,
            "note": "",
            "created_by_id": user_id,
        }
        for request_id, events in zip(ids, first_events)
        for event in events
    ]
    if sent:
        session.execute(insert(RequestEvent), sent)
    session.execute(
        insert(AuditEntry),
        [
            {
                "user_id": user_id,
                "entity_type": "request",
                "entity_id": request_id,
                "action": "created",
                "before": None,
                "after": snapshot(SimpleNamespace(**row), REQUEST_FIELDS),
            }
            for request_id, row in zip(ids, rows)
        ],
    )
    # Reminders are planned in the same transaction as the deadlines they are about.
    audiences = campaign_audiences(session, campaigns)
    plans = []
    for request_id, row, events in zip(ids, rows, first_events):
        coordinators, has_webhook = audiences[row["campaign_id"]]
        plans.append(
            PlanInput(
                request_id,
                facts_for(SimpleNamespace(**row, figures_entered=_column_default("figures_entered")), events),
                recipients_for(row["owner_id"], coordinators, row["campaign_id"], has_webhook),
                calendars.for_regime(row["regime"]),
            )
        )
    sync(session, plans)
    return ids
