"""The deadlines that bind the requester (us), not the council: until when we may ask for an
internal review, complain to the regulator, and appeal its decision. Pure module: no Flask,
no database.

The windows, from the timeline (only the ones still open to us are returned: once we have asked
for a review there is no "ask for a review by", once we have complained no "complain by"):

* Ask for an internal review: 40 working days after the response (FOISA s.20(5) and EISR reg
  16(2), statutory; EIR reg 11(2); FOIA: the s.45 Code of Practice). The latest response counts:
  a further response to a partial one opens the window again. ``review_request_deadline``.
* Ask for an internal review when the council never answers: FOISA s.20(5)(a) and EISR reg
  16(2): within 40 working days after "the expiry of the time allowed" for compliance (the
  response due date, with any extension properly claimed); EIR reg 11(2): 40 working days after
  the date the requester believes the authority failed to comply (we take the due date). FOIA
  has no such window: the s.45 Code of Practice counts the 40 working days from a response, and
  when none comes the ICO accepts a complaint without an internal review, so none is offered.
  Only once the due date has passed while the council still owes the answer (``response_due``);
  after a partial response the later of the two windows is the one shown.
* Complain to the ICO (FOIA, EIR): six weeks after the review outcome (the ICO's complaint
  guidance; FOIA s.50(2)(b) lets it refuse a complaint made with undue delay).
  ``complaint_deadline``.
* Apply to the Scottish Information Commissioner (FOISA, EISR): six months after the review
  outcome (FOISA s.47(4)(a)); when the review goes unanswered, six months after the date its
  answer was due (s.47(4)(b): "the expiry of the time allowed by s.21(1)", 20 working days).
  EISR reg 17 applies FOISA's Part 4 to environmental requests.
* Appeal the regulator's decision: an ICO decision notice to the First-tier Tribunal within 28
  days (FOIA s.57; Tribunal Procedure (First-tier Tribunal) (General Regulatory Chamber) Rules
  2009 r.22(1)(b)); a SIC decision to the Court of Session, on a point of law, within 42 days
  (FOISA s.56). Calendar days, not working days.

The regulator is the regime's (ICO for FOIA and EIR, SIC for FOISA and EISR): a decision
notice's own ``details.regulator`` is not needed to know which.

A window whose date has passed is still returned (``OurDeadline.closed_on(today)`` says so):
the request page shows that it closed; reminders and the dashboard look only at open ones.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .deadlines import WorkingCalendar, complaint_deadline, review_request_deadline
from .deadlines.rules import REVIEW_REQUEST_WINDOW_WORKING_DAYS
from .regimes import Regime

SCOTTISH_REVIEW_WORKING_DAYS = 20  # FOISA s.21(1), EISR reg 16(4): no extension
TRIBUNAL_APPEAL_DAYS = 28  # First-tier Tribunal (GRC) Rules 2009 r.22(1)(b)
COURT_OF_SESSION_APPEAL_DAYS = 42  # FOISA s.56

# Event kinds (string values of domain.lifecycle.EventKind) that open or close one of our windows.
RESPONSE_KINDS = frozenset({"response_received", "partial_response", "further_response"})
REVIEW_REQUESTED = "review_requested"
REVIEW_OUTCOME = "review_outcome"
COMPLAINT_LODGED = "complaint_lodged"
DECISION_KINDS = frozenset({"decision_notice", "complaint_decision"})
APPEAL_LODGED = "appeal_lodged"
ENDING_KINDS = frozenset({"withdrawn", "reopened", "transferred"})
TIMELINE_KINDS = (
    RESPONSE_KINDS | DECISION_KINDS | ENDING_KINDS | {REVIEW_REQUESTED, REVIEW_OUTCOME, COMPLAINT_LODGED, APPEAL_LODGED}
)


class Window(str, enum.Enum):
    """Which of our deadlines; the value is stable (calendar feed UIDs, reminder kinds use it)."""

    REVIEW_REQUEST = "review_request"
    ICO_COMPLAINT = "ico_complaint"
    SIC_APPLICATION = "sic_application"  # s.47(4)(a): after the review outcome
    SIC_APPLICATION_UNANSWERED = "sic_application_unanswered"  # s.47(4)(b): review unanswered
    TRIBUNAL_APPEAL = "tribunal_appeal"
    COURT_OF_SESSION_APPEAL = "court_of_session_appeal"


@dataclass(frozen=True)
class OurDeadline:
    window: Window
    label: str  # "Ask for an internal review by"
    due: date  # the last day we may do it
    rule: str  # the rule, with its section
    counted_from: date  # the event (or date) the window runs from

    def closed_on(self, today: date) -> bool:
        return self.due < today

    @property
    def is_complaint(self) -> bool:
        return self.window in (Window.ICO_COMPLAINT, Window.SIC_APPLICATION, Window.SIC_APPLICATION_UNANSWERED)

    @property
    def is_appeal(self) -> bool:
        return self.window in (Window.TRIBUNAL_APPEAL, Window.COURT_OF_SESSION_APPEAL)


def _kind(step) -> str:
    kind = step[0] if isinstance(step, tuple) else step.kind
    return getattr(kind, "value", kind)


def _on(step) -> date:
    return step[1] if isinstance(step, tuple) else step.occurred_on


def _order(step) -> tuple[date, int]:
    return (_on(step), 0 if isinstance(step, tuple) else (getattr(step, "id", None) or 0))


def our_deadlines(
    regime: Regime | str,
    timeline: Iterable,
    calendar: WorkingCalendar,
    *,
    response_due: date | None = None,
    today: date | None = None,
) -> list[OurDeadline]:
    """The windows still open to us after `timeline` (events with .kind and .occurred_on, or
    (kind, occurred_on) pairs, any order; other kinds are ignored), by due date. `calendar` is
    the regime's working-day calendar (the review window counts working days).

    `response_due`: the statutory date the council's response is due, given only while it still
    owes one (awaiting a response, or extended): once it has passed, the window to ask for a
    review of the failure to respond (FOISA s.20(5)(a), EISR reg 16(2), EIR reg 11(2); not FOIA).
    With `today`, that window appears only after the due date; without it (the reminder planner,
    which plans ahead and re-plans when a response comes) it is returned whenever a date is given."""
    regime = Regime(regime)
    # Same-day steps keep their order (a response and the request for its review on one day).
    steps = sorted((s for s in timeline if _kind(s) in TIMELINE_KINDS), key=_order)
    scottish = regime.is_scottish
    open_now: list[OurDeadline] = []
    moved_on = False  # a review, complaint, decision or appeal since the last (re)start
    for step in steps:
        kind, on = _kind(step), _on(step)
        if kind in RESPONSE_KINDS:
            open_now = [_review_request(regime, on, calendar)]
        elif kind == REVIEW_REQUESTED:
            open_now = [_sic_unanswered(regime, on, calendar)] if scottish else []
        elif kind == REVIEW_OUTCOME:
            open_now = [_complaint(regime, on)]
        elif kind == COMPLAINT_LODGED or kind == APPEAL_LODGED or kind in ENDING_KINDS:
            open_now = []
        elif kind in DECISION_KINDS:
            open_now = [_appeal(regime, on)]
        if kind in ENDING_KINDS:
            moved_on = False
        elif kind not in RESPONSE_KINDS:
            moved_on = True
    unanswered = _review_request_unanswered(regime, response_due, today, calendar) if not moved_on else None
    if unanswered is not None and all(d.window is Window.REVIEW_REQUEST and d.due < unanswered.due for d in open_now):
        open_now = [unanswered]
    return sorted(open_now, key=lambda d: d.due)


def open_deadlines(deadlines: Iterable[OurDeadline], today: date) -> list[OurDeadline]:
    return [d for d in deadlines if not d.closed_on(today)]


def _review_request(regime: Regime, response: date, calendar: WorkingCalendar) -> OurDeadline:
    rule = {
        Regime.FOIA: "40 working days after the response (FOIA s.45 Code of Practice)",
        Regime.EIR: "40 working days after the response (EIR reg 11(2))",
        Regime.FOISA: "40 working days after the response (FOISA s.20(5))",
        Regime.EISR: "40 working days after the response (EISR reg 16(2))",
    }[regime]
    due = review_request_deadline(regime, response, calendar)
    return OurDeadline(Window.REVIEW_REQUEST, "Ask for an internal review by", due, rule, response)


def _review_request_unanswered(
    regime: Regime, response_due: date | None, today: date | None, calendar: WorkingCalendar
) -> OurDeadline | None:
    """The review window when no response came by `response_due`; None for FOIA (the ICO takes
    a complaint about a failure to respond without a review), before the due date has passed, or
    without one."""
    if response_due is None or regime is Regime.FOIA or (today is not None and today <= response_due):
        return None
    rule = {
        Regime.EIR: "40 working days after the response was due, when none came (EIR reg 11(2))",
        Regime.FOISA: "40 working days after the time for a response expired, when none came (FOISA s.20(5)(a))",
        Regime.EISR: "40 working days after the time for a response expired, when none came (EISR reg 16(2))",
    }[regime]
    due = calendar.add_working_days(response_due, REVIEW_REQUEST_WINDOW_WORKING_DAYS)
    return OurDeadline(Window.REVIEW_REQUEST, "Ask for an internal review by", due, rule, response_due)


def _complaint(regime: Regime, outcome: date) -> OurDeadline:
    due = complaint_deadline(regime, outcome)
    if regime.is_scottish:
        rule = "six months after the review outcome (FOISA s.47(4)(a))"
        return OurDeadline(
            Window.SIC_APPLICATION, "Apply to the Scottish Information Commissioner by", due, rule, outcome
        )
    rule = "six weeks after the review outcome (ICO complaint guidance; FOIA s.50(2)(b) undue delay)"
    return OurDeadline(Window.ICO_COMPLAINT, "Complain to the ICO by", due, rule, outcome)


def _sic_unanswered(regime: Regime, requested: date, calendar: WorkingCalendar) -> OurDeadline:
    review_due = calendar.add_working_days(requested, SCOTTISH_REVIEW_WORKING_DAYS)
    rule = (
        "if the review goes unanswered: six months after its answer was due, "
        "20 working days after the request for it (FOISA s.47(4)(b), s.21(1))"
    )
    return OurDeadline(
        Window.SIC_APPLICATION_UNANSWERED,
        "Apply to the Scottish Information Commissioner (review unanswered) by",
        complaint_deadline(regime, review_due),
        rule,
        review_due,
    )


def _appeal(regime: Regime, decision: date) -> OurDeadline:
    if regime.is_scottish:
        rule = "42 days after the Commissioner's decision, on a point of law (FOISA s.56)"
        due = decision + timedelta(days=COURT_OF_SESSION_APPEAL_DAYS)
        return OurDeadline(Window.COURT_OF_SESSION_APPEAL, "Appeal to the Court of Session by", due, rule, decision)
    rule = "28 days after the ICO's decision notice (FOIA s.57; GRC Rules 2009 r.22(1)(b))"
    due = decision + timedelta(days=TRIBUNAL_APPEAL_DAYS)
    return OurDeadline(Window.TRIBUNAL_APPEAL, "Appeal to the First-tier Tribunal by", due, rule, decision)
