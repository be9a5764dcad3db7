"""Where a request is in its workflow (status) and what the answer was (outcome).

Pure module: no Flask, no database. The two are separate on purpose: a request
can be "closed" with the outcome "refused", or "in internal review" after a
"partially successful" answer.
"""

from __future__ import annotations

import enum
from datetime import date


class Status(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_RESPONSE = "awaiting_response"
    CLARIFICATION_REQUESTED = "clarification_requested"
    FEE_REQUESTED = "fee_requested"
    EXTENDED = "extended"
    RESPONDED = "responded"
    INTERNAL_REVIEW = "internal_review"
    COMPLAINT = "complaint"
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
    Status.CLOSED: "Closed",
    Status.WITHDRAWN: "Withdrawn",
}

OPEN_STATUSES = frozenset(
    {Status.AWAITING_RESPONSE, Status.CLARIFICATION_REQUESTED, Status.FEE_REQUESTED, Status.EXTENDED}
)
# The council has answered (whatever happened next).
ANSWERED_STATUSES = tuple(s.value for s in (Status.RESPONDED, Status.CLOSED, Status.INTERNAL_REVIEW, Status.COMPLAINT))


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

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def choices(enum_cls) -> list[tuple[str, str]]:
    """(value, label) pairs for a select field."""
    return [(member.value, member.label) for member in enum_cls]


# ---------------------------------------------------------------- the state machine

ANY_LIVE = frozenset(set(Status) - {Status.DRAFT, Status.WITHDRAWN, Status.CLOSED})
AWAITING = frozenset({Status.AWAITING_RESPONSE, Status.EXTENDED})

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
}


class TransitionError(ValueError):
    """An event that makes no sense in the request's current state."""

    def __init__(self, kind: EventKind, status: Status, reason: str, position: int | None = None):
        self.kind, self.status, self.reason, self.position = kind, status, reason, position
        super().__init__(f"“{kind.label}” cannot be recorded while the request is “{status.label}”: {reason}.")


def next_status(status: Status, kind: EventKind, details: dict | None = None) -> Status:
    """The status after `kind` happens in `status`, or TransitionError saying why it cannot."""
    allowed, target, reason = TRANSITIONS[kind]
    if status not in allowed:
        raise TransitionError(kind, status, reason)
    if kind is EventKind.EXTENSION_CLAIMED and status is Status.INTERNAL_REVIEW:
        return Status.INTERNAL_REVIEW  # the review is extended, not the original answer
    return status if target is None else target


def replay(events) -> tuple[Status, Outcome | None]:
    """Status and outcome after a timeline, given as (kind, details) pairs in date order."""
    status, outcome = Status.DRAFT, None
    for position, (kind, details) in enumerate(events):
        kind = EventKind(kind)
        details = details or {}
        try:
            status = next_status(status, kind, details)
        except TransitionError as exc:
            exc.position = position
            raise
        if kind in (EventKind.RESPONSE_RECEIVED, EventKind.REVIEW_OUTCOME) and details.get("outcome"):
            outcome = Outcome(details["outcome"])
        elif kind is EventKind.WITHDRAWN:
            outcome = Outcome.WITHDRAWN
    return status, outcome


# ---------------------------------------------------------------- event details

EXEMPTIONS = {
    "s12": "s.12 cost limit",
    "s14": "s.14 vexatious or repeated",
    "s21": "s.21 reasonably accessible elsewhere",
    "s22": "s.22 intended for future publication",
    "s30": "s.30 investigations",
    "s31": "s.31 law enforcement",
    "s36": "s.36 prejudice to the conduct of public affairs",
    "s40": "s.40 personal data",
    "s41": "s.41 information provided in confidence",
    "s42": "s.42 legal professional privilege",
    "s43": "s.43 commercial interests",
    "eir_12_4_a": "EIR 12(4)(a) not held",
    "eir_12_4_b": "EIR 12(4)(b) manifestly unreasonable",
    "eir_12_4_d": "EIR 12(4)(d) unfinished documents",
    "eir_12_5_e": "EIR 12(5)(e) commercial confidentiality",
    "foisa_s12": "FOISA s.12 excessive cost",
    "foisa_s14": "FOISA s.14 vexatious or repeated",
    "foisa_s25": "FOISA s.25 otherwise accessible",
    "foisa_s38": "FOISA s.38 personal information",
}
EXTENSION_REASONS = {
    "public_interest": "Public-interest test (FOIA s.10(3)): the council names a new date",
    "eir_complex": "Complex and voluminous (EIR reg 7): 40 working days",
    "review": "Internal review extended (to 40 working days)",
}
REGULATORS = {"ICO": "Information Commissioner's Office", "SIC": "Scottish Information Commissioner"}


def check_details(kind: EventKind, occurred_on: date, details: dict) -> list[tuple[str, str]]:
    """Problems with an event's details, as (field, reason) pairs; empty when all is well."""
    problems = []
    if kind is EventKind.RESPONSE_RECEIVED:
        if details.get("outcome") not in {o.value for o in Outcome} - {Outcome.WITHDRAWN.value}:
            problems.append(("outcome", "say what the answer was"))
    if kind is EventKind.REVIEW_OUTCOME and details.get("outcome"):
        if details["outcome"] not in {o.value for o in Outcome} - {Outcome.WITHDRAWN.value}:
            problems.append(("outcome", "not a known outcome"))
    if kind in (EventKind.RESPONSE_RECEIVED, EventKind.REVIEW_OUTCOME):
        unknown = [e for e in details.get("exemptions", []) if e not in EXEMPTIONS]
        if unknown:
            problems.append(("exemptions", f"unknown exemption(s): {', '.join(unknown)}"))
        if details.get("exemptions") and details.get("outcome") in (Outcome.SUCCESSFUL.value, Outcome.NOT_HELD.value):
            problems.append(("exemptions", "a successful or not-held answer cites no exemption"))
    if kind is EventKind.EXTENSION_CLAIMED:
        reason = details.get("reason")
        if reason not in EXTENSION_REASONS:
            problems.append(("reason", "choose why the council extended"))
        if reason == "public_interest":
            new_date = details.get("new_date")
            if not new_date:
                problems.append(("new_date", "give the date the council now promises"))
            elif date.fromisoformat(new_date) <= occurred_on:
                problems.append(("new_date", "the new date must be after the day the extension was claimed"))
    if kind is EventKind.SENT and details.get("received_on"):
        if date.fromisoformat(details["received_on"]) < occurred_on:
            problems.append(("received_on", "the council cannot receive the request before it was sent"))
    if kind is EventKind.COMPLAINT_LODGED and details.get("regulator") not in REGULATORS:
        problems.append(("regulator", "choose the ICO or the Scottish Information Commissioner"))
    return problems


# Which details each kind of event carries (the rest of the form is ignored for it).
DETAIL_FIELDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.SENT: ("received_on",),
    EventKind.RESPONSE_RECEIVED: ("outcome", "exemptions"),
    EventKind.REVIEW_OUTCOME: ("outcome", "exemptions"),
    EventKind.EXTENSION_CLAIMED: ("reason", "new_date"),
    EventKind.COMPLAINT_LODGED: ("regulator",),
}


def allowed_kinds(status: Status) -> list[EventKind]:
    """The events that make sense next, in the order the form offers them."""
    return [kind for kind, (allowed, _, _) in TRANSITIONS.items() if status in allowed]


def describe(kind: EventKind, details: dict, occurred_on: date | None = None) -> str:
    """A short human summary of an event's details, for the timeline."""
    from .deadlines import format_uk_date

    parts = []
    if details.get("outcome"):
        parts.append(Outcome(details["outcome"]).label)
    if details.get("exemptions"):
        parts.append("citing " + ", ".join(EXEMPTIONS.get(code, code) for code in details["exemptions"]))
    if details.get("reason"):
        parts.append(EXTENSION_REASONS.get(details["reason"], details["reason"]).split(":")[0])
    if details.get("new_date"):
        parts.append("new date " + format_uk_date(date.fromisoformat(details["new_date"])))
    if details.get("regulator"):
        parts.append("to the " + REGULATORS.get(details["regulator"], details["regulator"]))
    received = details.get("received_on")
    if kind is EventKind.SENT and received and received != (occurred_on.isoformat() if occurred_on else None):
        parts.append("received by the council " + format_uk_date(date.fromisoformat(received)))
    return "; ".join(parts)
