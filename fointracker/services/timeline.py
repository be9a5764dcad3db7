"""Adding, editing and removing timeline events.

Every change replays the whole timeline through the state machine (so an edit or a
removal can never leave the request in a state its events do not explain), then
recomputes the deadlines and writes the audit trail; the caller commits (and rolls back
on a TimelineError: a refused change may have touched the event in the session).

The law's own checks (domain.deadlines.checks.event_problems) refuse an event (a fees
notice before receipt) or let it through with a warning (an extension claimed late), which
add_event hands back to the caller to show. A transfer or a refined request creates its
linked draft here (services.foi_requests.create_linked_request); a joint reply from a
shared FOI service is recorded on each request it answers (record_joint_reply).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, object_session

from .. import clock
from ..domain.deadlines.checks import event_problems
from ..domain.event_details import check_details
from ..domain.lifecycle import EventKind, TransitionError, replay
from ..models import FoiRequest, RequestEvent
from .audit import record, snapshot
from .deadlines import DEADLINE_COLUMNS, Calendars, deadlines_for, recompute_request

EVENT_FIELDS = ("kind", "occurred_on", "details", "note")
REQUEST_STATE_FIELDS = ("status", "outcome", "sent_on", "received_on", "last_chased_on") + DEADLINE_COLUMNS
# Details the application writes, never the form: an edit keeps them (the linked draft a transfer
# or refined request made; the joint reply's shared documents).
SYSTEM_DETAILS = ("linked_request_id", "joint_attachment_ids", "joint_event_id", "joint_request_ids")
LINKING_KINDS = (EventKind.TRANSFERRED, EventKind.REFINED)


class TimelineError(ValueError):
    """A change to the timeline that was refused; nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _ordered(events: list[RequestEvent]) -> list[RequestEvent]:
    # New events (no id yet) sort after existing ones of the same day.
    return sorted(events, key=lambda e: (e.occurred_on, e.id if e.id is not None else float("inf")))


def check_event(
    foi_request: FoiRequest,
    kind: EventKind,
    occurred_on: date,
    details: dict,
    today: date,
    calendars: Calendars | None = None,
) -> list[str]:
    """Refuse (TimelineError) an event this request cannot take: the rules add_event and the bulk
    actions (services.batch) share. Returns the law's warnings about it (recorded all the same)."""
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
    if kind is EventKind.NOTE:
        return []  # a note asserts nothing the Acts check
    deadlines = None
    if foi_request.received_on is not None:
        calendars = calendars or Calendars.from_db(object_session(foi_request))
        deadlines = deadlines_for(foi_request, foi_request.events, calendars)
    errors, warnings = event_problems(
        foi_request.regime, kind.value, occurred_on, details, deadlines, foi_request.received_on
    )
    if errors:
        raise TimelineError("; ".join(reason for _, reason in errors), errors[0][0])
    return warnings


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
    chased = [e.occurred_on for e in ordered if e.kind == EventKind.CHASED.value]
    foi_request.last_chased_on = max(chased) if chased else None


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
    warnings: list[str] | None = None,
) -> RequestEvent:
    """Record one event (bulk actions call it once per request, then commit all or nothing).
    The law's warnings about it are appended to `warnings` when given (the view flashes them).
    A transfer or a refined request first creates its linked draft (details.linked_request_id)."""
    kind = EventKind(kind)
    details = {k: v for k, v in (details or {}).items() if v not in (None, "", [])}
    found = check_event(foi_request, kind, occurred_on, details, today or clock.today())
    before = snapshot(foi_request, REQUEST_STATE_FIELDS)
    event = RequestEvent(
        kind=kind.value, occurred_on=occurred_on, details=details, note=note.strip(), created_by_id=user_id
    )
    apply_events(session, foi_request, list(foi_request.events) + [event])
    if kind in LINKING_KINDS and "linked_request_id" not in details:  # only once the step is allowed
        event.details = {**details, "linked_request_id": _linked_draft(session, foi_request, kind, details, user_id).id}
    foi_request.events.append(event)
    if warnings is not None:
        warnings.extend(found)
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
    old = event.details or {}
    details.update({k: old[k] for k in SYSTEM_DETAILS if k in old})
    if kind is EventKind.TRANSFERRED and details.get("authority_id") != old.get("authority_id"):
        raise TimelineError(
            "the linked request to the other council exists already: remove this event and record the "
            "transfer again to change the council",
            "authority_id",
        )
    check_event(foi_request, kind, occurred_on, details, today or clock.today())
    before = snapshot(foi_request, REQUEST_STATE_FIELDS)
    event_before = snapshot(event, EVENT_FIELDS)
    event.occurred_on, event.details, event.note = occurred_on, details, note.strip()
    apply_events(session, foi_request, list(foi_request.events))
    _finish(session, foi_request, before, user_id, event, "event edited", event_before, reason.strip())
    return event


def _linked_draft(session: Session, foi_request: FoiRequest, kind: EventKind, details: dict, user_id: int | None):
    from .foi_requests import RequestError, create_linked_request  # foi_requests builds on this module

    authority_id = details["authority_id"] if kind is EventKind.TRANSFERRED else foi_request.authority_id
    if kind is EventKind.TRANSFERRED and authority_id == foi_request.authority_id:
        raise TimelineError("a transfer goes to another council", "authority_id")
    try:
        return create_linked_request(session, foi_request, authority_id, user_id)
    except RequestError as exc:
        field = "authority_id" if exc.field in ("authority_id", "regime") else "kind"
        raise TimelineError(exc.message, field) from None


# A reply a shared FOI service sends once for several councils (DESIGN.md §2, "Other paths").
JOINT_KINDS = (EventKind.RESPONSE_RECEIVED, EventKind.PARTIAL_RESPONSE, EventKind.FURTHER_RESPONSE)


def record_joint_reply(
    session: Session,
    event: RequestEvent,
    others: list[FoiRequest],
    *,
    user_id: int | None,
    today: date | None = None,
    warnings: list[str] | None = None,
) -> list[RequestEvent]:
    """Record `event` (a reply with its documents attached) on each of `others` too: the same
    kind, date, details and note, and a reference to the one stored copy of its documents
    (details.joint_attachment_ids), downloadable from each request. All or nothing: the first
    request that cannot take it refuses the lot (TimelineError naming the council)."""
    kind = EventKind(event.kind)
    if kind not in JOINT_KINDS:
        raise TimelineError("only a response can answer several requests at once", "also_answers")
    if not event.attachments:
        raise TimelineError("attach the joint reply: each request it answers links to the same document", "files")
    source = event.request
    details = {k: v for k, v in (event.details or {}).items() if k not in SYSTEM_DETAILS}
    details |= {"joint_attachment_ids": [a.id for a in event.attachments], "joint_event_id": event.id}
    added = []
    for other in others:
        if other.campaign_id != source.campaign_id or other.id == source.id:
            raise TimelineError("a joint reply answers other requests of the same campaign", "also_answers")
        try:
            added.append(
                add_event(
                    session,
                    other,
                    kind=kind.value,
                    occurred_on=event.occurred_on,
                    details=details,
                    note=event.note,
                    user_id=user_id,
                    today=today,
                    warnings=warnings,
                )
            )
        except TimelineError as exc:
            raise TimelineError(f"{other.authority.short_name}: {exc.message}", "also_answers") from None
    event.details = {**(event.details or {}), "joint_request_ids": [other.id for other in others]}
    session.flush()
    return added


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
