"""A request's history in words (#19: it had shown raw JSON)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fointracker.domain.history import describe, word_diff

NAMES = {("owner_id", 7): "Asha", ("authority_id", 30): "Kent"}


def names(field, value):
    return NAMES.get((field, value))


def test_a_step_reads_as_a_headline_and_its_changes():
    entry = describe(
        "event added",
        {"event_id": 5, "status": "awaiting_response", "response_due_on": "2026-03-30"},
        {
            "event_id": 5,
            "kind": "response_received",
            "occurred_on": "2026-03-02",
            "details": {"outcome": "successful"},
            "status": "responded",
            "response_due_on": None,
            "responded_on": "2026-03-02",
        },
        names,
    )
    assert entry.headline == "Step added: Response received, Mon 2 Mar 2026"
    sentences = [c.sentence for c in entry.changes]
    assert "Status: Awaiting response → Responded" in sentences
    assert "Response due: Mon 30 Mar 2026 → (none)" in sentences
    assert "Responded: Mon 2 Mar 2026" in sentences
    assert not any("{" in s or "event_id" in s for s in sentences)


def test_ids_become_names_and_the_letter_an_edit_with_its_word_diff():
    entry = describe(
        "updated",
        {"owner_id": 7, "body": "Dear Sir,\r\nPlease send the budget.", "council_reference": ""},
        {"owner_id": 8, "body": "Dear Sir or Madam,\r\nPlease send the budget.", "council_reference": "FOI-1"},
        names,
    )
    assert entry.headline == "Request edited"
    by_label = {c.label: c for c in entry.changes}
    assert by_label["Owner"].sentence == "Owner: Asha → #8"  # a user since deleted: the id, not nothing
    assert by_label["Council's reference"].sentence == "Council's reference: FOI-1"
    letter = by_label["Letter"]
    assert letter.sentence == "Letter edited"
    assert [(k, t) for k, t in letter.diff if k != "same"] == [("del", "Sir,"), ("ins", "Sir or Madam,")]


def test_a_created_request_lists_what_it_was_created_with():
    entry = describe(
        "created",
        None,
        {"campaign_id": 1, "authority_id": 30, "regime": "foi", "subject": "Care", "body": "Dear", "status": "draft"},
        names,
    )
    assert entry.headline == "Request created"
    assert [c.sentence for c in entry.changes] == [
        "Council: Kent",
        "Regime: FOI",
        "Subject: Care",
        "Letter: written",
        "Status: Draft (not sent)",
    ]


words = st.lists(st.sampled_from(["a", "b", "care", "£1,000", " ", "\n", "  "]), max_size=30).map("".join)


@given(words, words)
def test_the_word_diff_rebuilds_both_texts(old, new):
    pieces = word_diff(old, new)
    assert "".join(t for k, t in pieces if k != "ins") == old
    assert "".join(t for k, t in pieces if k != "del") == new
