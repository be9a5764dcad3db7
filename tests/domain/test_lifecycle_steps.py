"""The steps after the first answer, replayed as whole timelines (issue #15; DESIGN.md §2,
"After the review and the complaint"), and the dates a decision notice starts."""

from datetime import date

import pytest

from fointracker.domain.decision_notices import appeal_by, comply_by
from fointracker.domain.event_details import EXEMPTIONS, check_details, describe
from fointracker.domain.lifecycle import CHASEABLE, EventKind, Outcome, Status, TransitionError, replay

S, K = Status, EventKind
SENT = ("sent", {})


def test_partial_response_leaves_the_request_awaiting_the_rest_then_the_further_response_answers_it():
    partial = [SENT, ("partial_response", {"exemptions": ["s43"]})]
    assert replay(partial) == (S.AWAITING_RESPONSE, None)
    assert replay(partial + [("further_response", {"outcome": "partially_successful"})]) == (
        S.RESPONDED,
        Outcome.PARTIALLY_SUCCESSFUL,
    )


def test_partial_answer_with_a_public_interest_extension_for_the_rest_foia_s10_3():
    timeline = [
        SENT,
        ("partial_response", {}),
        ("extension_claimed", {"reason": "public_interest", "new_date": "2026-04-28"}),
    ]
    assert replay(timeline) == (S.EXTENDED, None)
    assert replay(timeline + [("further_response", {"outcome": "successful"})]) == (S.RESPONDED, Outcome.SUCCESSFUL)


def test_further_response_needs_a_partial_one_first():
    with pytest.raises(TransitionError, match="completes a partial one") as refused:
        replay([SENT, ("further_response", {"outcome": "successful"})])
    assert refused.value.position == 1


@pytest.mark.parametrize(
    "path, after, status",
    [
        (
            [("response_received", {"outcome": "refused"}), ("review_requested", {}), ("review_outcome", {})],
            "review",
            S.RESPONDED,
        ),
        (
            [
                ("response_received", {"outcome": "refused"}),
                ("complaint_lodged", {"regulator": "ICO"}),
                ("decision_notice", {"regulator": "ICO", "outcome": "upheld"}),
            ],
            "decision",
            S.CLOSED,
        ),
        (
            [
                ("response_received", {"outcome": "refused"}),
                ("complaint_lodged", {"regulator": "ICO"}),
                ("decision_notice", {"regulator": "ICO", "outcome": "not_upheld"}),
                ("appeal_lodged", {"by": "requester", "tribunal": "first_tier"}),
                ("appeal_decision", {"result": "allowed"}),
            ],
            "appeal",
            S.CLOSED,
        ),
    ],
    ids=["after_review", "after_decision_notice", "after_tribunal"],
)
def test_disclosure_after_review_decision_or_tribunal(path, after, status):
    """Disclosure may follow a review, a decision notice or a tribunal (DESIGN.md §2)."""
    timeline = [SENT, *path, ("disclosure", {"after": after, "outcome": "successful"})]
    assert replay(timeline) == (status, Outcome.SUCCESSFUL)


def test_disclosure_after_a_step_that_never_happened_is_refused():
    timeline = [SENT, ("response_received", {"outcome": "refused"}), ("disclosure", {"after": "review"})]
    with pytest.raises(TransitionError, match="needs a “Review outcome” earlier"):
        replay(timeline)


def test_ico_decision_notice_then_council_appeals_to_the_first_tier_tribunal():
    timeline = [
        SENT,
        ("response_received", {"outcome": "refused", "exemptions": ["s43"]}),
        ("complaint_lodged", {"regulator": "ICO"}),
        ("decision_notice", {"regulator": "ICO", "outcome": "upheld"}),
    ]
    assert replay(timeline) == (S.DECIDED, Outcome.REFUSED)
    appealed = timeline + [("appeal_lodged", {"by": "council", "tribunal": "first_tier"})]
    assert replay(appealed) == (S.APPEAL, Outcome.REFUSED)
    assert replay(appealed + [("appeal_decision", {"result": "dismissed"})]) == (S.CLOSED, Outcome.REFUSED)


def test_sic_decision_is_appealed_to_the_court_of_session_not_the_tribunal_foisa_s56():
    timeline = [
        SENT,
        ("response_received", {"outcome": "refused"}),
        ("complaint_lodged", {"regulator": "SIC"}),
        ("decision_notice", {"regulator": "SIC", "outcome": "not_upheld"}),
    ]
    assert replay(timeline + [("appeal_lodged", {"by": "requester", "tribunal": "court_of_session"})])[0] is S.APPEAL
    with pytest.raises(TransitionError, match="Court of Session"):
        replay(timeline + [("appeal_lodged", {"by": "requester", "tribunal": "first_tier"})])


def test_ico_decision_notice_dates_35_days_to_comply_28_to_appeal():
    """ICO: usually 35 calendar days to comply; First-tier Tribunal within 28 days (DESIGN.md §2)."""
    assert comply_by("ICO", date(2026, 3, 2)) == date(2026, 4, 6)
    assert appeal_by("ICO", date(2026, 3, 2)) == date(2026, 3, 30)


def test_sic_decision_notice_dates_42_days_to_appeal_foisa_s56():
    assert appeal_by("SIC", date(2026, 3, 2)) == date(2026, 4, 13)
    assert comply_by("SIC", date(2026, 3, 2)) is None  # the notice names its own date
    assert appeal_by("FBI", date(2026, 3, 2)) is None


@pytest.mark.parametrize(
    "finish, status_before",
    [
        ([("withdrawn", {})], S.AWAITING_RESPONSE),
        ([("clarification_requested", {}), ("clarification_lapsed", {})], S.CLARIFICATION_REQUESTED),
        ([("fee_notice", {}), ("fee_lapsed", {})], S.FEE_REQUESTED),
    ],
    ids=["withdrawn", "clarification_lapsed", "fee_lapsed"],
)
def test_reopening_goes_back_to_the_status_before_it_was_withdrawn_or_closed(finish, status_before):
    timeline = [SENT, *finish]
    assert replay(timeline)[0] in (S.WITHDRAWN, S.CLOSED)
    assert replay(timeline + [("reopened", {})]) == (status_before, None)


def test_reopening_a_closed_complaint_restores_its_outcome():
    timeline = [
        SENT,
        ("response_received", {"outcome": "refused"}),
        ("complaint_lodged", {"regulator": "ICO"}),
        ("complaint_decision", {}),
        ("reopened", {}),
    ]
    assert replay(timeline) == (S.COMPLAINT, Outcome.REFUSED)


def test_unanswered_clarification_and_fee_lapse_closed_with_no_outcome_foia_s1_3_s9_2():
    assert replay([SENT, ("clarification_requested", {}), ("clarification_lapsed", {})]) == (S.CLOSED, None)
    assert replay([SENT, ("fee_notice", {}), ("fee_lapsed", {})]) == (S.CLOSED, None)


def test_transfer_answers_as_not_held_and_closes():
    assert replay([SENT, ("transferred", {"authority_id": 7})]) == (S.CLOSED, Outcome.NOT_HELD)
    answered = [SENT, ("response_received", {"outcome": "not_held"}), ("transferred", {"authority_id": 7})]
    assert replay(answered) == (S.CLOSED, Outcome.NOT_HELD)


def test_refined_request_after_s12_refusal_leaves_the_original_as_it_was_s16():
    timeline = [SENT, ("response_received", {"outcome": "refused", "exemptions": ["s12"]}), ("refined", {})]
    assert replay(timeline) == (S.RESPONDED, Outcome.REFUSED)


def test_chasing_never_changes_the_status():
    for timeline in (
        [SENT],
        [SENT, ("extension_claimed", {"reason": "public_interest", "new_date": "2026-04-28"})],
        [SENT, ("response_received", {"outcome": "refused"}), ("review_requested", {})],
    ):
        status = replay(timeline)[0]
        assert status in CHASEABLE
        assert replay(timeline + [("chased", {"method": "phone"})])[0] is status


@pytest.mark.parametrize(
    "kind, details, field",
    [
        (K.FURTHER_RESPONSE, {}, "outcome"),
        (K.PARTIAL_RESPONSE, {"exemptions": ["s99"]}, "exemptions"),
        (K.DISCLOSURE, {}, "after"),
        (K.DISCLOSURE, {"after": "review", "outcome": "refused"}, "outcome"),
        (K.DECISION_NOTICE, {"regulator": "ICO"}, "outcome"),
        (K.DECISION_NOTICE, {"outcome": "upheld"}, "regulator"),
        (K.APPEAL_LODGED, {"tribunal": "first_tier"}, "by"),
        (K.APPEAL_LODGED, {"by": "council", "tribunal": "supreme_court"}, "tribunal"),
        (K.APPEAL_DECISION, {"result": "won"}, "result"),
        (K.TRANSFERRED, {}, "authority_id"),
        (K.CHASED, {}, "method"),
        (K.CHASED, {"method": "pigeon"}, "method"),
    ],
)
def test_bad_details_of_the_new_steps_name_the_field(kind, details, field):
    assert [f for f, _ in check_details(kind, date(2026, 3, 2), details)][0] == field


def test_exemptions_include_foia_s38_s44_and_every_eisr_exception():
    assert {"s38", "s44"} <= set(EXEMPTIONS)
    eisr = {code for code in EXEMPTIONS if code.startswith("eisr_")}
    assert eisr == {f"eisr_10_4_{x}" for x in "abcde"} | {f"eisr_10_5_{x}" for x in "abcdefg"}


def test_describe_the_new_steps():
    assert describe(K.DECISION_NOTICE, {"regulator": "ICO", "outcome": "upheld"}) == (
        "Complaint upheld; by the Information Commissioner's Office"
    )
    assert describe(K.DISCLOSURE, {"after": "appeal"}) == "after a tribunal"
    assert describe(K.CHASED, {"method": "letter"}) == "by letter"
    assert describe(K.APPEAL_LODGED, {"by": "council", "tribunal": "first_tier"}) == (
        "The council appealed; to the First-tier Tribunal (Information Rights)"
    )
