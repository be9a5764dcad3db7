"""The request state machine, table-driven: every kind of event in every status."""

from datetime import date

import pytest

from fointracker.domain.event_details import check_details
from fointracker.domain.lifecycle import EventKind, Outcome, Status, TransitionError, allowed_kinds, next_status, replay

S, K = Status, EventKind
AWAIT, CLAR, FEE, EXT, RESP, REV, COMP, CLOSED, WD, DRAFT, DEC, APP = (
    S.AWAITING_RESPONSE,
    S.CLARIFICATION_REQUESTED,
    S.FEE_REQUESTED,
    S.EXTENDED,
    S.RESPONDED,
    S.INTERNAL_REVIEW,
    S.COMPLAINT,
    S.CLOSED,
    S.WITHDRAWN,
    S.DRAFT,
    S.DECIDED,
    S.APPEAL,
)

# (event, status before) -> status after. Every pair not listed must be refused.
ALLOWED = {
    (K.SENT, DRAFT): AWAIT,
    **{(K.ACKNOWLEDGED, s): s for s in (AWAIT, CLAR, FEE, EXT)},
    (K.CLARIFICATION_REQUESTED, AWAIT): CLAR,
    (K.CLARIFICATION_REQUESTED, EXT): CLAR,
    (K.CLARIFICATION_SENT, CLAR): AWAIT,
    (K.FEE_NOTICE, AWAIT): FEE,
    (K.FEE_NOTICE, EXT): FEE,
    (K.FEE_PAID, FEE): AWAIT,
    (K.EXTENSION_CLAIMED, AWAIT): EXT,
    (K.EXTENSION_CLAIMED, EXT): EXT,
    (K.EXTENSION_CLAIMED, REV): REV,
    **{(K.RESPONSE_RECEIVED, s): RESP for s in (AWAIT, CLAR, FEE, EXT)},
    (K.REVIEW_REQUESTED, RESP): REV,
    (K.REVIEW_REQUESTED, AWAIT): REV,
    (K.REVIEW_REQUESTED, EXT): REV,
    (K.REVIEW_OUTCOME, REV): RESP,
    **{(K.COMPLAINT_LODGED, s): COMP for s in (RESP, AWAIT, EXT, REV)},
    (K.COMPLAINT_DECISION, COMP): CLOSED,
    **{(K.WITHDRAWN, s): WD for s in set(Status) - {WD, CLOSED}},
    **{(K.NOTE, s): s for s in Status},
    # The rest of a request's life (issue #15; DESIGN.md §2, "After the review and the complaint").
    (K.PARTIAL_RESPONSE, AWAIT): AWAIT,  # still awaiting the rest
    (K.PARTIAL_RESPONSE, EXT): EXT,
    **{(K.FURTHER_RESPONSE, s): RESP for s in (AWAIT, CLAR, FEE, EXT)},
    (K.DISCLOSURE, RESP): RESP,  # after an internal review
    (K.DISCLOSURE, DEC): CLOSED,  # the council complied with the decision notice
    (K.DISCLOSURE, CLOSED): CLOSED,  # after a tribunal
    (K.DECISION_NOTICE, COMP): DEC,
    (K.APPEAL_LODGED, DEC): APP,
    (K.APPEAL_DECISION, APP): CLOSED,
    (K.REOPENED, WD): AWAIT,  # without the history; replay goes back to the status before
    (K.REOPENED, CLOSED): AWAIT,
    **{(K.TRANSFERRED, s): CLOSED for s in (AWAIT, CLAR, FEE, EXT, RESP)},
    **{(K.REFINED, s): s for s in (RESP, REV, CLOSED)},
    (K.CLARIFICATION_LAPSED, CLAR): CLOSED,
    (K.FEE_LAPSED, FEE): CLOSED,
    **{(K.CHASED, s): s for s in (AWAIT, CLAR, FEE, EXT, REV, COMP, DEC)},
}

ALL_PAIRS = [(kind, status) for kind in EventKind for status in Status]


@pytest.mark.parametrize("kind, status", [p for p in ALL_PAIRS if p in ALLOWED], ids=lambda v: v.value)
def test_allowed_transition(kind, status):
    assert next_status(status, kind) is ALLOWED[(kind, status)]
    assert kind in allowed_kinds(status)


@pytest.mark.parametrize("kind, status", [p for p in ALL_PAIRS if p not in ALLOWED], ids=lambda v: v.value)
def test_refused_transition_says_why(kind, status):
    with pytest.raises(TransitionError) as refused:
        next_status(status, kind)
    message = str(refused.value)
    assert kind.label in message and status.label in message
    assert message.count(":") >= 1 and len(message.split(":", 1)[1].strip()) > 10  # a reason, not just "no"
    assert kind not in allowed_kinds(status)


def test_table_covers_every_pair():
    assert len(ALL_PAIRS) == len(EventKind) * len(Status) == 26 * 12


def test_replay_gives_status_and_outcome():
    timeline = [
        ("sent", {}),
        ("acknowledged", {}),
        ("clarification_requested", {}),
        ("clarification_sent", {}),
        ("response_received", {"outcome": "refused", "exemptions": ["s12"]}),
        ("review_requested", {}),
        ("review_outcome", {"outcome": "partially_successful"}),
    ]
    assert replay(timeline) == (S.RESPONDED, Outcome.PARTIALLY_SUCCESSFUL)
    assert replay(timeline[:5]) == (S.RESPONDED, Outcome.REFUSED)
    assert replay([]) == (S.DRAFT, None)
    assert replay([("sent", {}), ("withdrawn", {})]) == (S.WITHDRAWN, Outcome.WITHDRAWN)


def test_replay_reports_the_position_of_the_bad_event():
    with pytest.raises(TransitionError) as refused:
        replay([("sent", {}), ("fee_paid", {})])
    assert refused.value.position == 1


@pytest.mark.parametrize(
    "kind, details, field",
    [
        (K.RESPONSE_RECEIVED, {}, "outcome"),
        (K.RESPONSE_RECEIVED, {"outcome": "withdrawn"}, "outcome"),
        (K.RESPONSE_RECEIVED, {"outcome": "refused", "exemptions": ["s99"]}, "exemptions"),
        (K.RESPONSE_RECEIVED, {"outcome": "successful", "exemptions": ["s12"]}, "exemptions"),
        (K.EXTENSION_CLAIMED, {}, "reason"),
        (K.EXTENSION_CLAIMED, {"reason": "public_interest"}, "new_date"),
        (K.EXTENSION_CLAIMED, {"reason": "public_interest", "new_date": "2026-03-01"}, "new_date"),
        (K.SENT, {"received_on": "2026-02-01"}, "received_on"),
        (K.COMPLAINT_LODGED, {"regulator": "FBI"}, "regulator"),
    ],
)
def test_bad_details_name_the_field(kind, details, field):
    problems = check_details(kind, date(2026, 3, 2), details)
    assert [f for f, _ in problems][0] == field


@pytest.mark.parametrize(
    "kind, details",
    [
        (K.RESPONSE_RECEIVED, {"outcome": "refused", "exemptions": ["s12", "eir_12_4_b"]}),
        (K.EXTENSION_CLAIMED, {"reason": "public_interest", "new_date": "2026-04-01"}),
        (K.EXTENSION_CLAIMED, {"reason": "eir_complex"}),
        (K.COMPLAINT_LODGED, {"regulator": "SIC"}),
        (K.NOTE, {}),
    ],
)
def test_good_details_pass(kind, details):
    assert check_details(kind, date(2026, 3, 2), details) == []
