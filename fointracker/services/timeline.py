"""Adding, editing and removing timeline events.

Every change replays the whole timeline through the state machine (so an edit or a
removal can never leave the request in a state its events do not explain), then
recomputes the deadlines and writes the audit trail; the caller commits (and rolls back
on a TimelineError: a refused change may have touched the event in the session).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from .. import clock
from ..domain.lifecycle import EventKind, TransitionError, check_details, replay
from ..models import FoiRequest, RequestEvent
from .audit import record, snapshot
from .deadlines import DEADLINE_COLUMNS, recompute_request

EVENT_FIELDS = ("kind", "occurred_on", "details", "note")
REQUEST_STATE_FIELDS = ("status", "outcome", "sent_on", "received_on") + DEADLINE_COLUMNS


class TimelineError(ValueError):
    """A change to the timeline that was refused; nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _ordered(events: list[RequestEvent]) -> list[RequestEvent]:
    # New events (no id yet) sort after existing ones of the same day.
    return sorted(events, key=lambda e: (e.occurred_on, e.id if e.id is not None else float("inf")))


def check_event(foi_request: FoiRequest, kind: EventKind, occurred_on: date, details: dict, today: date) -> None:
    """Refuse (TimelineError) an event this request cannot take: the rules add_event and the bulk
    actions (services.batch) share."""
    if occurred_on > today:
        raise TimelineError("the date is in the future; record events once they have happened", "occurred_on")
    if kind is not EventKind.SENT and foi_request.sent_on and occurred_on < foi_request.sent_on:
        raise TimelineError(
            f"the date is before the request was sent ({foi_request.sent_on.isoformat()})", "occurred_on"
        )
    problems = check_details(kind, occurred_on, details)
    if problems:
        field, reason = problems[0]
        raise TimelineError("; ".join(reason for _, reason in problems), field)


def apply_events(session: Session, foi_request: FoiRequest, events: list[RequestEvent]) -> None:
    """Derive status, outcome and the sent/received dates from `events`, then the deadlines."""
    ordered = _ordered(events)
    try:
        status, outcome = replay([(e.kind, e.details) for e in ordered])
    except TransitionError as exc:
        event = ordered[exc.position]
        raise TimelineError(f"{exc} (event of {event.occurred_on.isoformat()})", "kind") from None
    foi_request.status = status.value
    foi_request.outcome = outcome.value if outcome else None
    sent = next((e for e in ordered if e.kind == EventKind.SENT.value), None)
    foi_request.sent_on = sent.occurred_on if sent else None
    if sent:
        received = (sent.details or {}).get("received_on")
        foi_request.received_on = date.fromisoformat(received) if received else sent.occurred_on
    else:
        foi_request.received_on = None


def _finish(
    session: Session,
    foi_request: FoiRequest,
    before: dict,
    user_id: int | None,
    event: RequestEvent,
    action: str,
    event_before: dict | None,
    reason: str = "",
) -> None:
    recompute_request(session, foi_request)
    session.flush()
    event_after = None if action == "event removed" else snapshot(event, EVENT_FIELDS)
    if reason:
        event_after = {**(event_after or {}), "reason": reason}
    record(
        session,
        user_id=user_id,
        entity_type="request",
        entity_id=foi_request.id,
        action=action,
        before={"event_id": event.id, **(event_before or {}), **before},
        after={"event_id": event.id, **(event_after or {}), **snapshot(foi_request, REQUEST_STATE_FIELDS)},
    )
    session.flush()


def add_event(
    session: Session,
    foi_request: FoiRequest,
    *,
    kind: str,
    occurred_on: date,
    details: dict | None = None,
    note: str = "",
    user_id: int | None,
    today: date | None = None,
) -> RequestEvent:
    """Record one event (bulk actions call it once per request, then commit all or nothing)."""
    kind = EventKind(kind)
    details = {k: v for k, v in (details or {}).items() if v not in (None, "", [])}
    check_event(foi_request, kind, occurred_on, details, today or clock.today())
    before = snapshot(foi_request, REQUEST_STATE_FIELDS)
    event = RequestEvent(
        kind=kind.value, occurred_on=occurred_on, details=details, note=note.strip(), created_by_id=user_id
    )
    apply_events(session, foi_request, list(foi_request.events) + [event])
    foi_request.events.append(event)
    _finish(session, foi_request, before, user_id, event, "event added", None)
    return event


def update_event(
    session: Session,
    event: RequestEvent,
    *,
    occurred_on: date,
    details: dict | None,
    note: str,
    reason: str,
    user_id: int | None,
    today: date | None = None,
) -> RequestEvent:
    if not reason.strip():
        raise TimelineError("say why the event is being changed", "reason")
    foi_request = event.request
    kind = EventKind(event.kind)
    details = {k: v for k, v in (details or {}).items() if v not in (None, "", [])}
    check_event(foi_request, kind, occurred_on, details, today or clock.today())
    before = snapshot(foi_request, REQUEST_STATE_FIELDS)
    event_before = snapshot(event, EVENT_FIELDS)
    event.occurred_on, event.details, event.note = occurred_on, details, note.strip()
    apply_events(session, foi_request, list(foi_request.events))
    _finish(session, foi_request, before, user_id, event, "event edited", event_before, reason.strip())
    return event


def remove_event(session: Session, event: RequestEvent, *, reason: str, user_id: int | None) -> None:
    if not reason.strip():
        raise TimelineError("say why the event is being removed", "reason")
    foi_request = event.request
    before = snapshot(foi_request, REQUEST_STATE_FIELDS)
    event_before = snapshot(event, EVENT_FIELDS)
    remaining = [e for e in foi_request.events if e is not event]
    try:
        apply_events(session, foi_request, remaining)
    except TimelineError as exc:
        raise TimelineError(f"removing it would leave the timeline inconsistent: {exc.message}") from None
    foi_request.events.remove(event)  # delete-orphan cascade deletes the row
    _finish(session, foi_request, before, user_id, event, "event removed", event_before, reason.strip())


def set_figures_entered(session: Session, foi_request: FoiRequest, entered: bool, user_id: int | None) -> None:
    before = snapshot(foi_request, ("figures_entered",))
    foi_request.figures_entered = entered
    recompute_request(session, foi_request)  # the "figures missing" reminder comes or goes
    record(
        session,
        user_id=user_id,
        entity_type="request",
        entity_id=foi_request.id,
        action="updated",
        before=before,
        after=snapshot(foi_request, ("figures_entered",)),
    )
    session.flush()
