"""Our own deadlines (domain.our_deadlines) read from the database: for one request, and the
windows closing soon across a dashboard scope.

The windows depend on the timeline and on working days, so they are not stored columns: SQL
narrows the requests to those with a step recent enough to open a window that may still be
open (a response in the last 90 days, a review outcome or an unanswered review in the last 8
months, a decision in the last 45 days; or, for EIR, FOISA and EISR, a response due date passed
in the last 90 days with none come), and the pure module gives the exact dates for those.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..domain.deadlines.rules import REVIEW_REQUEST_WINDOW_WORKING_DAYS
from ..domain.lifecycle import Status
from ..domain.our_deadlines import (
    DECISION_KINDS,
    RESPONSE_KINDS,
    REVIEW_OUTCOME,
    REVIEW_REQUESTED,
    TIMELINE_KINDS,
    OurDeadline,
    our_deadlines,
)
from ..domain.regimes import Regime
from ..models import Authority, FoiRequest, RequestEvent
from .deadlines import Calendars

CLOSING_SOON_WORKING_DAYS = 10  # the dashboard lists windows closing within this many working days
# A window may still be open only if the step that opened it is at most this old (calendar days):
# 40 working days are at most ~62 calendar days; six months ~184; 28 or 42 days.
RECENT_ENOUGH = {
    "response": 90,
    "review_outcome": 190,
    "review_requested": 240,  # s.47(4)(b): six months after a review due 20 working days later
    "decision": 45,
}
# The statuses in which one of our windows can be open after a step of the timeline (none while
# a complaint is with the regulator) ...
STATUSES_WITH_WINDOWS = (Status.RESPONDED.value, Status.INTERNAL_REVIEW.value, Status.CLOSED.value)
# ... and those in which the council still owes its answer: once the due date has passed, the
# window to ask for a review of its failure to respond (domain.our_deadlines; not FOIA).
OWING_STATUSES = (Status.AWAITING_RESPONSE.value, Status.EXTENDED.value)


def response_due_owed(foi_request) -> date | None:
    """The response due date while the council still owes the answer, else None."""
    return foi_request.response_due_on if foi_request.status in OWING_STATUSES else None


def for_request(foi_request: FoiRequest, calendars: Calendars, today: date | None = None) -> list[OurDeadline]:
    """The windows still open to us on this request (or closed since its last step), by date."""
    if foi_request.status == Status.DRAFT.value:
        return []
    return our_deadlines(
        foi_request.regime,
        foi_request.events,
        calendars.for_regime(foi_request.regime),
        response_due=response_due_owed(foi_request),
        today=today or clock.today(),
    )


@dataclass(frozen=True)
class ClosingWindow:
    """One of our windows closing soon, as plain data (the dashboard caches it: services.read_cache)."""

    request_id: int
    council: str  # the council's short name
    deadline: OurDeadline


# The shortest window each step opens, in calendar days: 40 working days are at least 8 weeks;
# six weeks to complain to the ICO; 28 days to appeal. (A review request's s.47(4)(b) window is not
# bounded here.)
SHORTEST_WINDOW = {"response": 56, "review_outcome": 42, "decision": 28}


def earliest_open_review_window(calendars: Calendars, today: date) -> date:
    """The earliest response (or due date of an unanswered request) whose 40-working-day review
    window is still open today, on every regime's calendar (closure days included): a tighter
    bound than RECENT_ENOUGH's for the dashboard, which reads only the windows closing soon."""
    earliest = today
    for regime in Regime:
        calendar = calendars.for_regime(regime)
        low, high = today - timedelta(days=RECENT_ENOUGH["response"]), today  # still open from `high`
        while low < high:  # the window's last day moves on with the day it opens: halve the range
            middle = low + (high - low) // 2
            if calendar.add_working_days(middle, REVIEW_REQUEST_WINDOW_WORKING_DAYS) >= today:
                high = middle
            else:
                low = middle + timedelta(days=1)
        earliest = min(earliest, low)
    return earliest


def _opened(column, kind: str, today: date, closing_within: int | None, open_from: date | None = None):
    """SQL: `column` (a step's date) recent enough that the window it opened may still be open, and,
    given `closing_within` (calendar days), old enough that the window may close within them.
    `open_from`: earliest_open_review_window's bound for the review windows."""
    condition = column >= today - timedelta(days=RECENT_ENOUGH[kind])
    if open_from is not None and kind == "response":
        condition = column >= open_from
    if closing_within is not None and kind in SHORTEST_WINDOW:
        condition = and_(condition, column <= today + timedelta(days=closing_within - SHORTEST_WINDOW[kind]))
    return condition


def has_recent_step(today: date, closing_within: int | None = None, open_from: date | None = None):
    """SQL: the request has a step recent enough that one of our windows may still be open (and,
    given `closing_within` calendar days, may close within them)."""
    e = aliased(RequestEvent)  # the caller may select from request_event itself
    return exists().where(
        e.request_id == FoiRequest.id,
        or_(
            and_(
                e.kind.in_(sorted(RESPONSE_KINDS)), _opened(e.occurred_on, "response", today, closing_within, open_from)
            ),
            and_(e.kind == REVIEW_OUTCOME, _opened(e.occurred_on, "review_outcome", today, closing_within)),
            and_(e.kind == REVIEW_REQUESTED, _opened(e.occurred_on, "review_requested", today, closing_within)),
            and_(e.kind.in_(sorted(DECISION_KINDS)), _opened(e.occurred_on, "decision", today, closing_within)),
        ),
    )


def unanswered_recently(today: date, closing_within: int | None = None, open_from: date | None = None):
    """SQL: the council still owes the answer, its due date passed recently enough that our window
    to ask for a review of the failure may still be open (not FOIA: domain.our_deadlines)."""
    return and_(
        FoiRequest.status.in_(OWING_STATUSES),
        FoiRequest.regime != Regime.FOIA.value,
        FoiRequest.response_due_on < today,
        _opened(FoiRequest.response_due_on, "response", today, closing_within, open_from),
    )


def _day_and_id(row) -> tuple[date, int]:
    return (row.occurred_on, row.id)


def closing_soon(
    session: Session,
    scope_condition,
    today: date,
    calendars: Calendars,
    working_days: int = CLOSING_SOON_WORKING_DAYS,
) -> list[ClosingWindow]:
    """Our windows closing today or within `working_days` working days, for the requests that
    `scope_condition` (services.stats.Scope.condition()) selects; soonest first. Always two
    statements: the candidates' timelines, then the requests whose windows close soon."""
    timelines: dict[int, list] = defaultdict(list)
    candidates: dict[int, tuple[str, date | None]] = {}  # request id: (regime, response due while owed)
    # Only windows that may close that soon: `working_days` span at most this many calendar days
    # (whole weeks, and a week of bank holidays). benchmarks/load.py: the dashboard recomputes this
    # after every write, and 4,830 answered requests made it the mixed phase's slowest page.
    closing_within = working_days * 7 // 5 + 7
    open_from = earliest_open_review_window(calendars, today)
    # Outer join: a request the council has not answered may have no step of TIMELINE_KINDS at all.
    for row in session.execute(
        select(
            RequestEvent.id,
            FoiRequest.id.label("request_id"),
            RequestEvent.kind,
            RequestEvent.occurred_on,
            FoiRequest.regime,
            FoiRequest.status,
            FoiRequest.response_due_on,
        )
        .select_from(FoiRequest)
        .outerjoin(
            RequestEvent,
            and_(RequestEvent.request_id == FoiRequest.id, RequestEvent.kind.in_(sorted(TIMELINE_KINDS))),
        )
        .where(
            scope_condition,
            or_(
                and_(FoiRequest.status.in_(STATUSES_WITH_WINDOWS), has_recent_step(today, closing_within, open_from)),
                unanswered_recently(today, closing_within, open_from),
            ),
        )
    ):
        if row.id is not None:
            timelines[row.request_id].append(row)
        candidates[row.request_id] = (row.regime, response_due_owed(row))
    closing: list[tuple[int, OurDeadline]] = []
    last_day: dict[str, date] = {}  # per regime: the last day of the next `working_days`
    # Requests with the same regime, steps and due date have the same windows: a campaign's
    # answers come on a few dozen days, so thousands of candidates share a few hundred timelines
    # (benchmarks/load.py: the dashboard recomputes this after every write).
    windows_of: dict[tuple, list[OurDeadline]] = {}
    for request_id, (regime, response_due) in candidates.items():
        steps = tuple((row.kind, row.occurred_on) for row in sorted(timelines[request_id], key=_day_and_id))
        key = (regime, response_due, steps)
        found = windows_of.get(key)
        if found is None:
            calendar = calendars.for_regime(regime)
            found = windows_of[key] = our_deadlines(regime, steps, calendar, response_due=response_due, today=today)
        last = last_day.get(regime)
        if last is None:
            last = last_day[regime] = calendars.for_regime(regime).add_working_days(today, working_days)
        closing += [(request_id, d) for d in found if today <= d.due <= last]
    councils = dict(
        session.execute(
            select(FoiRequest.id, Authority.short_name)
            .join(Authority, Authority.id == FoiRequest.authority_id)
            .where(FoiRequest.id.in_(sorted({request_id for request_id, _ in closing})))
        ).all()
    )
    result = [ClosingWindow(request_id, councils[request_id], d) for request_id, d in closing]
    result.sort(key=lambda w: (w.deadline.due, w.request_id))
    return result
