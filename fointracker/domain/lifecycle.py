"""Where a request is in its workflow (status) and what the answer was (outcome).

Pure module: no Flask, no database. The two are separate on purpose: a request
can be "closed" with the outcome "refused", or "in internal review" after a
"partially successful" answer.

The rest of a request's life after the first answer (DESIGN.md §2, "After the review
and the complaint"), and the choices made where the law leaves one:

- A *partial response* leaves the request awaiting the rest (its status does not move;
  an extension for the rest can follow); the *further response* is the final answer, and
  the outcome and the on-time figures come from it (services.deadlines judges the first
  final answer, never a partial one). A further response needs a partial one before it.
- *Disclosure* follows an internal review, a regulator's decision or a tribunal
  (details.after: review / decision / appeal), each needing that step earlier on the
  timeline. Disclosure after a decision notice closes the request (the council complied).
- A *decision notice* (ICO, or the SIC) moves a complaint to "Regulator's decision"; the
  dates it starts (comply by, appeal by) are computed, never stored: domain.decision_notices.
  An *appeal* to the First-tier Tribunal (ICO) or the Court of Session (SIC, FOISA s.56)
  follows it; the appeal's decision closes the request.
- *Reopening* a withdrawn or closed request puts it back where it was just before it was
  withdrawn or closed, with the outcome it had then: a lapsed clarification is again awaiting
  our clarification, a withdrawn request again awaiting its answer, a closed complaint again
  a complaint. The replay knows that status; next_status alone (no history) assumes the
  request is awaiting a response again.
- A *transfer* ("not held, try X") answers the request as not held and closes it (from a
  not-held response already recorded, it only closes it); services.foi_requests creates the
  linked draft to the other council. A *refined* request after a s.12 refusal (s.16 advice)
  leaves this one as it is and creates a linked draft to the same council: a new request with
  a new clock (DESIGN.md §2, campaign risk).
- A clarification or a fee that goes unanswered *lapses*: the request is closed, outcome none
  (FOIA s.1(3), s.9(2): three months for a fee; EIR: the ICO uses 60 working days).
- *Chased* records a chaser (details.method) while anything is owed; it never moves the status,
  and services.timeline keeps foi_request.last_chased_on from it.
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_RESPONSE = "awaiting_response"
    CLARIFICATION_REQUESTED = "clarification_requested"
    FEE_REQUESTED = "fee_requested"
    EXTENDED = "extended"
    RESPONDED = "responded"
    INTERNAL_REVIEW = "internal_review"
    COMPLAINT = "complaint"
    DECIDED = "decided"  # the regulator has issued a decision notice
    APPEAL = "appeal"  # to the First-tier Tribunal or the Court of Session
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still waiting on the council (a deadline applies)."""
        return self in OPEN_STATUSES


STATUS_LABELS = {
    Status.DRAFT: "Draft (not sent)",
    Status.AWAITING_RESPONSE: "Awaiting response",
    Status.CLARIFICATION_REQUESTED: "Clarification requested",
    Status.FEE_REQUESTED: "Fee requested",
    Status.EXTENDED: "Extended",
    Status.RESPONDED: "Responded",
    Status.INTERNAL_REVIEW: "Internal review",
    Status.COMPLAINT: "Complaint to regulator",
    Status.DECIDED: "Regulator's decision",
    Status.APPEAL: "Appeal to tribunal",
    Status.CLOSED: "Closed",
    Status.WITHDRAWN: "Withdrawn",
}

OPEN_STATUSES = frozenset(
    {Status.AWAITING_RESPONSE, Status.CLARIFICATION_REQUESTED, Status.FEE_REQUESTED, Status.EXTENDED}
)
# The council has answered (whatever happened next).
ANSWERED_STATUSES = tuple(
    s.value
    for s in (Status.RESPONDED, Status.CLOSED, Status.INTERNAL_REVIEW, Status.COMPLAINT, Status.DECIDED, Status.APPEAL)
)


class Outcome(str, enum.Enum):
    SUCCESSFUL = "successful"
    PARTIALLY_SUCCESSFUL = "partially_successful"
    NOT_HELD = "not_held"
    REFUSED = "refused"
    NEITHER_CONFIRM_NOR_DENY = "ncnd"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.SUCCESSFUL: "Successful",
    Outcome.PARTIALLY_SUCCESSFUL: "Partially successful",
    Outcome.NOT_HELD: "Not held",
    Outcome.REFUSED: "Refused",
    Outcome.NEITHER_CONFIRM_NOR_DENY: "Neither confirm nor deny",
    Outcome.WITHDRAWN: "Withdrawn",
}


# The outcomes whose reply holds figures to enter.
FIGURE_OUTCOMES = (Outcome.SUCCESSFUL.value, Outcome.PARTIALLY_SUCCESSFUL.value)


class EventKind(str, enum.Enum):
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    CLARIFICATION_REQUESTED = "clarification_requested"
    CLARIFICATION_SENT = "clarification_sent"
    FEE_NOTICE = "fee_notice"
    FEE_PAID = "fee_paid"
    EXTENSION_CLAIMED = "extension_claimed"
    RESPONSE_RECEIVED = "response_received"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_OUTCOME = "review_outcome"
    COMPLAINT_LODGED = "complaint_lodged"
    COMPLAINT_DECISION = "complaint_decision"
    WITHDRAWN = "withdrawn"
    NOTE = "note"
    PARTIAL_RESPONSE = "partial_response"
    FURTHER_RESPONSE = "further_response"
    DISCLOSURE = "disclosure"
    DECISION_NOTICE = "decision_notice"
    APPEAL_LODGED = "appeal_lodged"
    APPEAL_DECISION = "appeal_decision"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    REFINED = "refined"
    CLARIFICATION_LAPSED = "clarification_lapsed"
    FEE_LAPSED = "fee_lapsed"
    CHASED = "chased"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self) or self.value.replace("_", " ").capitalize()


EVENT_LABELS = {
    EventKind.PARTIAL_RESPONSE: "Partial response",
    EventKind.FURTHER_RESPONSE: "Further response (the rest)",
    EventKind.DISCLOSURE: "Disclosure",
    EventKind.DECISION_NOTICE: "Regulator's decision notice",
    EventKind.APPEAL_LODGED: "Appeal lodged",
    EventKind.APPEAL_DECISION: "Appeal decided",
    EventKind.REOPENED: "Reopened",
    EventKind.TRANSFERRED: "Transferred (not held: try another council)",
    EventKind.REFINED: "Refined request (after s.12 advice)",
    EventKind.CLARIFICATION_LAPSED: "Clarification lapsed (never given)",
    EventKind.FEE_LAPSED: "Fee lapsed (never paid)",
    EventKind.CHASED: "Chased",
}
# The council's final answer to the request: the first of these sets responded_on and the
# on-time figures (services.deadlines); a partial response does not.
FINAL_RESPONSE_KINDS = (EventKind.RESPONSE_RECEIVED, EventKind.FURTHER_RESPONSE, EventKind.TRANSFERRED)


def choices(enum_cls) -> list[tuple[str, str]]:
    """(value, label) pairs for a select field."""
    return [(member.value, member.label) for member in enum_cls]


# ---------------------------------------------------------------- the state machine

ANY_LIVE = frozenset(set(Status) - {Status.DRAFT, Status.WITHDRAWN, Status.CLOSED})
AWAITING = frozenset({Status.AWAITING_RESPONSE, Status.EXTENDED})
# Something is owed to us (an answer, a review, a regulator's or a council's compliance): a chaser fits.
CHASEABLE = OPEN_STATUSES | {Status.INTERNAL_REVIEW, Status.COMPLAINT, Status.DECIDED}
FINISHED = frozenset({Status.WITHDRAWN, Status.CLOSED})

# event kind -> (statuses it may happen in, status it leads to; None keeps the status, why it may not happen)
TRANSITIONS: dict[EventKind, tuple[frozenset[Status], Status | None, str]] = {
    EventKind.SENT: (
        frozenset({Status.DRAFT}),
        Status.AWAITING_RESPONSE,
        "a request is sent once; correct the date of the existing “sent” event instead",
    ),
    EventKind.ACKNOWLEDGED: (OPEN_STATUSES, None, "only a request awaiting an answer can be acknowledged"),
    EventKind.CLARIFICATION_REQUESTED: (
        AWAITING,
        Status.CLARIFICATION_REQUESTED,
        "the council can ask for clarification only while it owes an answer",
    ),
    EventKind.CLARIFICATION_SENT: (
        frozenset({Status.CLARIFICATION_REQUESTED}),
        Status.AWAITING_RESPONSE,
        "there is no request for clarification to answer",
    ),
    EventKind.FEE_NOTICE: (AWAITING, Status.FEE_REQUESTED, "a fees notice comes only while the council owes an answer"),
    EventKind.FEE_PAID: (
        frozenset({Status.FEE_REQUESTED}),
        Status.AWAITING_RESPONSE,
        "there is no outstanding fees notice to pay",
    ),
    EventKind.EXTENSION_CLAIMED: (
        AWAITING | {Status.INTERNAL_REVIEW},
        Status.EXTENDED,
        "an extension can be claimed only while an answer or review is owed",
    ),
    EventKind.RESPONSE_RECEIVED: (OPEN_STATUSES, Status.RESPONDED, "the request is not awaiting a response"),
    EventKind.REVIEW_REQUESTED: (
        frozenset({Status.RESPONDED}) | AWAITING,
        Status.INTERNAL_REVIEW,
        "an internal review follows a response (or its absence), once at a time",
    ),
    EventKind.REVIEW_OUTCOME: (
        frozenset({Status.INTERNAL_REVIEW}),
        Status.RESPONDED,
        "no internal review is under way",
    ),
    EventKind.COMPLAINT_LODGED: (
        frozenset({Status.RESPONDED}) | AWAITING | {Status.INTERNAL_REVIEW},
        Status.COMPLAINT,
        "a complaint follows a response, a review or a missed deadline",
    ),
    EventKind.COMPLAINT_DECISION: (frozenset({Status.COMPLAINT}), Status.CLOSED, "no complaint is open"),
    EventKind.WITHDRAWN: (ANY_LIVE | {Status.DRAFT}, Status.WITHDRAWN, "the request is already finished"),
    EventKind.NOTE: (frozenset(Status), None, ""),
    EventKind.PARTIAL_RESPONSE: (
        AWAITING,
        None,
        "a partial answer comes only while the council owes one (the request stays awaiting the rest)",
    ),
    EventKind.FURTHER_RESPONSE: (OPEN_STATUSES, Status.RESPONDED, "the request is not awaiting the rest of an answer"),
    EventKind.DISCLOSURE: (
        frozenset({Status.RESPONDED, Status.DECIDED, Status.CLOSED}),
        None,
        "disclosure follows an internal review, a regulator's decision or a tribunal",
    ),
    EventKind.DECISION_NOTICE: (
        frozenset({Status.COMPLAINT}),
        Status.DECIDED,
        "a decision notice answers a complaint to the regulator",
    ),
    EventKind.APPEAL_LODGED: (
        frozenset({Status.DECIDED}),
        Status.APPEAL,
        "an appeal is against a regulator's decision notice",
    ),
    EventKind.APPEAL_DECISION: (frozenset({Status.APPEAL}), Status.CLOSED, "no appeal is under way"),
    EventKind.REOPENED: (FINISHED, None, "only a withdrawn or closed request can be reopened"),
    EventKind.TRANSFERRED: (
        OPEN_STATUSES | {Status.RESPONDED},
        Status.CLOSED,
        "a transfer is the council's answer (not held: try another) to a request it still owes or has just answered",
    ),
    EventKind.REFINED: (
        frozenset({Status.RESPONDED, Status.INTERNAL_REVIEW, Status.CLOSED}),
        None,
        "a refined request follows a refusal (s.12 advice and assistance, s.16)",
    ),
    EventKind.CLARIFICATION_LAPSED: (
        frozenset({Status.CLARIFICATION_REQUESTED}),
        Status.CLOSED,
        "there is no request for clarification outstanding to lapse",
    ),
    EventKind.FEE_LAPSED: (
        frozenset({Status.FEE_REQUESTED}),
        Status.CLOSED,
        "there is no unpaid fees notice to lapse",
    ),
    EventKind.CHASED: (
        CHASEABLE,
        None,
        "a chaser fits only while the council owes an answer, a review or compliance",
    ),
}

# Disclosure after X needs X earlier on the timeline (details.after -> the event that must precede it).
DISCLOSURE_AFTER = {
    "review": EventKind.REVIEW_OUTCOME,
    "decision": EventKind.DECISION_NOTICE,
    "appeal": EventKind.APPEAL_DECISION,
}
DISCLOSURE_AFTER_LABELS = {
    "review": "after an internal review",
    "decision": "after the regulator's decision",
    "appeal": "after a tribunal",
}


class TransitionError(ValueError):
    """An event that makes no sense in the request's current state."""

    def __init__(self, kind: EventKind, status: Status, reason: str, position: int | None = None):
        self.kind, self.status, self.reason, self.position = kind, status, reason, position
        super().__init__(f"“{kind.label}” cannot be recorded while the request is “{status.label}”: {reason}.")


def next_status(
    status: Status, kind: EventKind, details: dict | None = None, reopen_to: Status | None = None
) -> Status:
    """The status after `kind` happens in `status`, or TransitionError saying why it cannot.
    `reopen_to`: for "reopened", the status before the request was withdrawn or closed (replay
    knows it; without it the request is awaiting a response again)."""
    allowed, target, reason = TRANSITIONS[kind]
    if status not in allowed:
        raise TransitionError(kind, status, reason)
    if kind is EventKind.EXTENSION_CLAIMED and status is Status.INTERNAL_REVIEW:
        return Status.INTERNAL_REVIEW  # the review is extended, not the original answer
    if kind is EventKind.REOPENED:
        return reopen_to or Status.AWAITING_RESPONSE
    if kind is EventKind.DISCLOSURE and status is Status.DECIDED:
        return Status.CLOSED  # the council complied with the decision notice
    return status if target is None else target


def _history_problem(kind: EventKind, details: dict, seen: set[EventKind], regulator: str | None) -> str | None:
    """Why an event the status allows still cannot follow this timeline (None when it can)."""
    if kind is EventKind.FURTHER_RESPONSE and EventKind.PARTIAL_RESPONSE not in seen:
        return "a further response completes a partial one; record “Response received” for a whole answer"
    if kind is EventKind.DISCLOSURE:
        needed = DISCLOSURE_AFTER.get(details.get("after"))
        if needed is not None and needed not in seen:
            return f"disclosure {DISCLOSURE_AFTER_LABELS[details['after']]} needs a “{needed.label}” earlier"
    if kind is EventKind.APPEAL_LODGED and details.get("tribunal") and regulator in APPEAL_TRIBUNALS:
        if details["tribunal"] != APPEAL_TRIBUNALS[regulator]:
            return f"a decision of the {regulator} is appealed to the {TRIBUNALS[APPEAL_TRIBUNALS[regulator]]}"
    return None


def replay(events) -> tuple[Status, Outcome | None]:
    """Status and outcome after a timeline, given as (kind, details) pairs in date order."""
    status, outcome = Status.DRAFT, None
    seen: set[EventKind] = set()
    regulator = None  # of the latest decision notice
    before_finish: tuple[Status, Outcome | None] | None = None  # where a reopening goes back to
    for position, (kind, details) in enumerate(events):
        kind = EventKind(kind)
        details = details or {}
        try:
            reopen_to = before_finish[0] if before_finish else None
            new_status = next_status(status, kind, details, reopen_to)
            problem = _history_problem(kind, details, seen, regulator)
            if problem:
                raise TransitionError(kind, status, problem)
        except TransitionError as exc:
            exc.position = position
            raise
        if new_status in FINISHED and status not in FINISHED:
            before_finish = (status, outcome)
        if kind is EventKind.REOPENED:
            outcome = before_finish[1] if before_finish else None
            before_finish = None
        elif kind in (EventKind.RESPONSE_RECEIVED, EventKind.REVIEW_OUTCOME, EventKind.FURTHER_RESPONSE):
            if details.get("outcome"):
                outcome = Outcome(details["outcome"])
        elif kind is EventKind.DISCLOSURE and details.get("outcome"):
            outcome = Outcome(details["outcome"])
        elif kind is EventKind.TRANSFERRED and status is not Status.RESPONDED:
            outcome = Outcome.NOT_HELD
        elif kind in (EventKind.CLARIFICATION_LAPSED, EventKind.FEE_LAPSED):
            outcome = None
        elif kind is EventKind.WITHDRAWN:
            outcome = Outcome.WITHDRAWN
        elif kind is EventKind.DECISION_NOTICE:
            regulator = details.get("regulator")
        status = new_status
        seen.add(kind)
    return status, outcome


TRIBUNALS = {"first_tier": "First-tier Tribunal (Information Rights)", "court_of_session": "Court of Session"}
APPEAL_TRIBUNALS = {"ICO": "first_tier", "SIC": "court_of_session"}  # FOIA s.57; FOISA s.56


def allowed_kinds(status: Status) -> list[EventKind]:
    """The events that make sense next, in the order the form offers them."""
    return [kind for kind, (allowed, _, _) in TRANSITIONS.items() if status in allowed]
