"""Keeping each request's deadline columns in step with its timeline and the calendars.

The rules live in the pure module `domain.deadlines`; this module only reads the
timeline and the admins' closure days from the database and writes the dates back.

The stored dates (and so on-time figures, "overdue" and reminders) are statutory: an
admin's office closure is still a working day in law (FOIA s.10(6), FOISA s.73, ICO
LTT47), so it only gives the council's own expected date (``council_expected_due``),
shown beside the statutory one. A holiday removal (a bank holiday moved by
proclamation) does change the statutory calendar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from ..collector import collector_paused
from ..domain.deadlines import (
    CalendarName,
    ClockEvents,
    ClosureOverride,
    Deadlines,
    DeadlineState,
    WorkingCalendar,
    calendar_name_for,
    compute_deadlines,
    deadline_state,
    fee_lapses_on,
    get_calendar,
)
from ..domain.lifecycle import FINAL_RESPONSE_KINDS, EventKind, Status
from ..models import ClosureDay, FoiRequest, RequestEvent

DEADLINE_COLUMNS = (
    "response_due_on",
    "deferred_due_on",
    "very_overdue_on",
    "review_due_on",
    "clock_paused",
    "responded_on",
    "responded_on_time",
    "response_working_days",
)


@dataclass(frozen=True)
class TimelineClock:
    """What the timeline says about the clock: the engine's input, plus a pause the engine
    does not model (a clarification the council asked for and has not had yet)."""

    events: ClockEvents
    awaiting_clarification: bool


def clock_from_timeline(events: Iterable[RequestEvent]) -> TimelineClock:
    """Translate timeline events (in date order) into the engine's ClockEvents."""
    clarification_received = None
    awaiting_clarification = False
    fee_pauses: list[list] = []
    eir_extended = False
    claimed_due = None
    review_requested = None
    review_extended = False
    claimed_on = None  # the first claim that extends the response (FOIA s.17(1)-(2): it must be in time)
    for event in sorted(events, key=lambda e: (e.occurred_on, e.id or 0)):
        kind = event.kind
        details = event.details or {}
        if kind == EventKind.CLARIFICATION_REQUESTED.value:
            awaiting_clarification = True
        elif kind == EventKind.CLARIFICATION_SENT.value:
            # The clock restarts on the day the council receives our clarification.
            clarification_received = event.occurred_on
            awaiting_clarification = False
        elif kind == EventKind.FEE_NOTICE.value:
            fee_pauses.append([event.occurred_on, None])
        elif kind == EventKind.FEE_PAID.value and fee_pauses and fee_pauses[-1][1] is None:
            fee_pauses[-1][1] = event.occurred_on
        elif kind == EventKind.EXTENSION_CLAIMED.value:
            if details.get("reason") == "review":
                review_extended = True
                continue
            if details.get("reason") == "eir_complex":
                eir_extended = True
            elif details.get("new_date"):
                claimed_due = date.fromisoformat(details["new_date"])
            else:
                continue
            if claimed_on is None:
                claimed_on = event.occurred_on
        elif kind == EventKind.REVIEW_REQUESTED.value:
            review_requested = event.occurred_on
    return TimelineClock(
        ClockEvents(
            clarification_received=clarification_received,
            fee_pauses=tuple((start, end) for start, end in fee_pauses),
            eir_extended=eir_extended,
            extension_claimed_due=claimed_due,
            extension_claimed_on=claimed_on,
            review_requested=review_requested,
            review_extended=review_extended,
        ),
        awaiting_clarification,
    )


def load_overrides(session: Session) -> tuple[ClosureOverride, ...]:
    rows = session.scalars(select(ClosureDay).order_by(ClosureDay.day)).all()
    return tuple(
        ClosureOverride(
            day=row.day,
            name=row.name,
            remove=row.remove,
            calendar=None if row.calendar == "all" else CalendarName(row.calendar),
        )
        for row in rows
    )


class Calendars:
    """The two working-day calendars and the admins' changes to them.

    ``for_regime`` is the statutory calendar, with the holiday removals (a bank holiday moved
    by proclamation) but not the office closures, which are working days in law (FOIA
    s.10(6), FOISA s.73): every stored date, statistic and reminder uses it.
    ``council_for_regime`` adds the closures: the council's own expectation."""

    def __init__(self, overrides: Sequence[ClosureOverride]):
        self.overrides = tuple(overrides)
        self._statutory_overrides = tuple(o for o in self.overrides if o.remove)
        self.has_closures = len(self._statutory_overrides) != len(self.overrides)
        self._cache: dict[tuple[CalendarName, bool], WorkingCalendar] = {}

    @classmethod
    def from_db(cls, session: Session) -> Calendars:
        return cls(load_overrides(session))

    def for_regime(self, regime: str) -> WorkingCalendar:
        return self._calendar(calendar_name_for(regime), council=False)

    def council_for_regime(self, regime: str) -> WorkingCalendar:
        return self._calendar(calendar_name_for(regime), council=True)

    def _calendar(self, name: CalendarName, council: bool) -> WorkingCalendar:
        key = (name, council)
        if key not in self._cache:
            self._cache[key] = get_calendar(name, self.overrides if council else self._statutory_overrides)
        return self._cache[key]


def deadlines_for(foi_request: FoiRequest, events: Iterable[RequestEvent], calendars: Calendars) -> Deadlines | None:
    if foi_request.received_on is None:
        return None
    clock = clock_from_timeline(events)
    return compute_deadlines(
        foi_request.regime, foi_request.received_on, clock.events, calendars.for_regime(foi_request.regime)
    )


def council_expected_due(
    regime: str, received_on: date | None, events: ClockEvents, calendars: Calendars
) -> date | None:
    """The response date the council itself expects, counting its office closures as
    non-working days; None when that is the statutory date (or no date runs). Shown
    beside the statutory date, never instead of it (FOIA s.10(6), FOISA s.73)."""
    if received_on is None or not calendars.has_closures:
        return None
    statutory = compute_deadlines(regime, received_on, events, calendars.for_regime(regime)).response_due
    expected = compute_deadlines(regime, received_on, events, calendars.council_for_regime(regime)).response_due
    return expected if expected != statutory else None


def council_expected_due_for(
    foi_request: FoiRequest, calendars: Calendars, events: Iterable[RequestEvent] | None = None
) -> date | None:
    """``council_expected_due`` for a request still awaiting its answer (its timeline's clock)."""
    if foi_request.received_on is None or not calendars.has_closures or foi_request.response_due_on is None:
        return None
    clock = clock_from_timeline(foi_request.events if events is None else events)
    return council_expected_due(foi_request.regime, foi_request.received_on, clock.events, calendars)


def _column_values(foi_request, events: Sequence, calendars: Calendars) -> dict:
    """The derived columns for one request (a FoiRequest, or a row with its columns).

    Only requests still waiting for an answer have a live response deadline; the
    first response is judged against the due date in force on the day it came.
    """
    values = dict.fromkeys(DEADLINE_COLUMNS)
    values["clock_paused"] = False
    if foi_request.received_on is None:
        return values
    calendar = calendars.for_regime(foi_request.regime)
    clock = clock_from_timeline(events)
    deadlines = compute_deadlines(foi_request.regime, foi_request.received_on, clock.events, calendar)
    if deadlines.review_due and foi_request.status == Status.INTERNAL_REVIEW.value:
        values["review_due_on"] = deadlines.review_due
    if Status(foi_request.status).is_open:
        paused = deadlines.paused or clock.awaiting_clarification
        values["clock_paused"] = paused
        if not paused:
            values["response_due_on"] = deadlines.response_due
            values["deferred_due_on"] = deadlines.deferred_receipt_due
            values["very_overdue_on"] = deadlines.very_overdue
    final = {k.value for k in FINAL_RESPONSE_KINDS}  # a partial response is not the answer (domain.lifecycle)
    responses = [e.occurred_on for e in events if e.kind in final]
    if responses:
        responded_on = min(responses)
        values["responded_on"] = responded_on
        values["response_working_days"] = calendar.working_days_between(foi_request.received_on, responded_on)
        then = clock_from_timeline([e for e in events if e.occurred_on <= responded_on])
        due_then = compute_deadlines(foi_request.regime, foi_request.received_on, then.events, calendar).response_due
        # A response while the clock was stopped (fee or clarification outstanding) cannot be late.
        values["responded_on_time"] = due_then is None or then.awaiting_clarification or responded_on <= due_then
    return values


def new_request_deadlines(columns: dict, events: Sequence, calendars: Calendars) -> dict:
    """The derived columns of a request not written yet (`columns`: its regime, received_on and
    status) with its first events: what recompute_request stores once it is. For the bulk
    path (services.bulk_requests), which writes each new request with its deadlines at once."""
    return _column_values(SimpleNamespace(**columns), events, calendars)


def recompute_request(session: Session, foi_request: FoiRequest, calendars: Calendars | None = None) -> bool:
    """Refresh one request's deadline columns from its timeline (caller commits). True if any changed."""
    from .reminders import plan_request

    calendars = calendars or Calendars.from_db(session)
    values = _column_values(foi_request, foi_request.events, calendars)
    changed = any(getattr(foi_request, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(foi_request, key, value)
    # Reminders are planned in the same transaction as the dates they are about.
    plan_request(session, foi_request, calendars.for_regime(foi_request.regime))
    return changed


def recompute_loaded_requests(
    session: Session, requests: Sequence[FoiRequest], calendars: Calendars | None = None
) -> None:
    """recompute_request for many requests whose events are loaded (caller commits): their
    deadline columns set, then their reminders re-planned in one sync. For bulk timeline
    changes (services.batch), which would otherwise read the calendars and the campaign's
    reminder recipients once per request. With `calendars` given, the columns are set before
    any query, so the next flush writes each request once."""
    from .reminders import PlanInput, campaign_audiences, facts_for, recipients_for, sync

    calendars = calendars or Calendars.from_db(session)
    for foi_request in requests:
        for key, value in _column_values(foi_request, foi_request.events, calendars).items():
            setattr(foi_request, key, value)
    audiences = campaign_audiences(session, {r.campaign_id for r in requests})
    plans = []
    for foi_request in requests:
        coordinators, has_webhook = audiences[foi_request.campaign_id]
        plans.append(
            PlanInput(
                foi_request.id,
                facts_for(foi_request, foi_request.events),
                recipients_for(foi_request.owner_id, coordinators, foi_request.campaign_id, has_webhook),
                calendars.for_regime(foi_request.regime),
            )
        )
    sync(session, plans)


def recompute_requests(session: Session, batch_size: int = 5000, *, where=None, replan: bool = False) -> int:
    """Recompute every sent request's derived dates after a calendar change; the caller commits.

    `where` narrows the requests (e.g. one campaign); `replan` re-plans their reminders
    even when no date moved (new owner, coordinators or webhook).

    Reads plain rows (no ORM objects) and writes only the rows whose dates changed,
    in executemany batches (benchmarks/bench_recompute.py: 10,000 requests).
    Returns the number of requests whose dates changed.
    """
    # Tens of thousands of objects a run, no cycles: the collector's passes over them were
    # an eighth of its CPU time (benchmarks/bench_recompute.py).
    with collector_paused():
        return _recompute_requests(session, batch_size, where, replan)


def _recompute_requests(session: Session, batch_size: int, where, replan: bool) -> int:
    calendars = Calendars.from_db(session)
    from .reminders import PlanInput, campaign_audiences, facts_for, recipients_for, sync

    stmt = select(
        FoiRequest.id,
        FoiRequest.regime,
        FoiRequest.received_on,
        FoiRequest.status,
        FoiRequest.outcome,
        FoiRequest.figures_entered,
        FoiRequest.owner_id,
        FoiRequest.campaign_id,
        *(getattr(FoiRequest, c) for c in DEADLINE_COLUMNS),
    ).where(FoiRequest.received_on.is_not(None))
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt).all()
    events_by_request: dict[int, list[RequestEvent]] = defaultdict(list)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        for event in session.execute(
            select(
                RequestEvent.id,
                RequestEvent.request_id,
                RequestEvent.kind,
                RequestEvent.occurred_on,
                RequestEvent.details,
            ).where(RequestEvent.request_id.in_(chunk), RequestEvent.kind.in_(_CLOCK_KINDS))
        ):
            events_by_request[event.request_id].append(event)

    updates, plans = [], []
    audiences = campaign_audiences(session, {row.campaign_id for row in rows})
    for row in rows:
        events = events_by_request.get(row.id, ())
        values = _column_values(row, events, calendars)
        changed = any(getattr(row, k) != v for k, v in values.items())
        if changed:
            updates.append({"request_id": row.id, **values})
        if changed or replan:
            moved = SimpleNamespace(**{**row._asdict(), **values})
            coordinators, has_webhook = audiences[row.campaign_id]
            plans.append(
                PlanInput(
                    row.id,
                    facts_for(moved, events),
                    recipients_for(row.owner_id, coordinators, row.campaign_id, has_webhook),
                    calendars.for_regime(row.regime),
                )
            )
    # Core executemany, not the ORM's bulk update by primary key, whose per-row bookkeeping
    # cost more than the writing itself (benchmarks/bench_recompute.py).
    table = FoiRequest.__table__
    write = (
        update(table)
        .where(table.c.id == bindparam("request_id"))
        .values({column: bindparam(column) for column in DEADLINE_COLUMNS})
    )
    for start in range(0, len(updates), batch_size):
        session.execute(write, updates[start : start + batch_size])
    sync(session, plans)  # reminders move with their deadlines, in the same transaction
    session.flush()
    return len(updates)


def lapse_unpaid_fees(session: Session, today: date) -> int:
    """Record a "fee_lapsed" event, dated the day the fee lapsed, on every request still
    waiting for a fee whose notice has lapsed by `today` (FOIA s.9(2), FOISA s.9(4): three
    months; EIR/EISR: the ICO's 60 working days; ``domain.deadlines.fee_lapses_on``).
    Returns how many lapsed; the caller (the scheduler's daily job) commits. A request whose
    timeline refuses the event (nothing is written for it) is left for a person to look at."""
    from .timeline import TimelineError, add_event  # timeline builds on this module

    calendars = Calendars.from_db(session)
    waiting = session.scalars(
        select(FoiRequest).where(FoiRequest.status == Status.FEE_REQUESTED.value).order_by(FoiRequest.id)
    ).all()
    lapsed = 0
    for foi_request in waiting:
        notices = [e.occurred_on for e in foi_request.events if e.kind == EventKind.FEE_NOTICE.value]
        if not notices:
            continue
        lapses_on = fee_lapses_on(foi_request.regime, max(notices), calendars.for_regime(foi_request.regime))
        if lapses_on <= today:
            try:
                add_event(
                    session, foi_request, kind=EventKind.FEE_LAPSED, occurred_on=lapses_on, user_id=None, today=today
                )
            except TimelineError:
                continue
            lapsed += 1
    return lapsed


def due_soon_limit(calendars: Calendars, regime: str, today: date, working_days: int) -> date:
    """The last due date that still counts as "due soon" on `today`."""
    return calendars.for_regime(regime).add_working_days(today, working_days)


def request_state(foi_request: FoiRequest, today: date, calendars: Calendars, soon_days: int) -> DeadlineState | None:
    """Where a request's response deadline stands today; None when no answer is owed."""
    if foi_request.clock_paused:
        return DeadlineState.PAUSED
    if foi_request.response_due_on is None:
        return None
    return deadline_state(
        today,
        foi_request.response_due_on,
        foi_request.very_overdue_on,
        calendars.for_regime(foi_request.regime),
        soon_days,
    )


DEADLINE_FILTERS = {
    "due_today": "Due today",
    "due_soon": "Due soon",
    "due_this_week": "Due by Sunday",
    "overdue": "Overdue (including very overdue)",
    "very_overdue": "Very overdue",
    "on_time": "On time",
    "paused": "Clock paused",
}


def state_condition(state: str, today: date, calendars: Calendars, soon_days: int):
    """A SQL condition selecting requests in a deadline state on `today`.

    The same boundaries as domain.deadlines.deadline_state: due today is neither
    "due soon" nor "overdue"; very overdue starts the day after `very_overdue_on`.
    """
    due, very = FoiRequest.response_due_on, FoiRequest.very_overdue_on
    if state == "very_overdue":
        return very < today
    if state == "overdue":
        return due < today
    if state == "due_today":
        return due == today
    if state == "due_this_week":
        return and_(due >= today, due <= today + timedelta(days=6 - today.weekday()))
    if state == "paused":
        return FoiRequest.clock_paused.is_(True)
    if state in ("due_soon", "on_time"):
        # "Soon" counts working days, so the limit depends on the regime's calendar.
        per_calendar = []
        for calendar_name in CalendarName:
            regimes = [regime.value for regime in calendar_name.regimes]
            limit = due_soon_limit(calendars, regimes[0], today, soon_days)
            window = and_(due > today, due <= limit) if state == "due_soon" else due > limit
            per_calendar.append(and_(FoiRequest.regime.in_(regimes), window))
        return or_(*per_calendar)
    raise ValueError(f"unknown deadline state {state!r}")


# Only these events move the clock; the bulk recompute reads no others.
_CLOCK_KINDS = [
    k.value
    for k in (
        EventKind.CLARIFICATION_REQUESTED,
        EventKind.CLARIFICATION_SENT,
        EventKind.FEE_NOTICE,
        EventKind.FEE_PAID,
        EventKind.EXTENSION_CLAIMED,
        EventKind.REVIEW_REQUESTED,
        EventKind.RESPONSE_RECEIVED,
        EventKind.FURTHER_RESPONSE,
        EventKind.TRANSFERRED,
    )
]
# ... and the reminder planner reads these for our own deadlines (domain.our_deadlines).
from ..domain.our_deadlines import TIMELINE_KINDS as _OUR_DEADLINE_KINDS  # noqa: E402

_CLOCK_KINDS = sorted({*_CLOCK_KINDS, *_OUR_DEADLINE_KINDS})
