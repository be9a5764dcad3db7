"""Where a request is in its workflow (status) and what the answer was (outcome).

Pure module: no Flask, no database. The two are separate on purpose: a request
can be "closed" with the outcome "refused", or "in internal review" after a
"partially successful" answer.
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
