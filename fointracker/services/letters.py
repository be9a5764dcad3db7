"""One request's follow-up letters (domain.letters: a chaser, an internal-review request, a
complaint to the ICO or the Scottish Information Commissioner), filled with its facts.

Reads what the request page has loaded (the request, its council, campaign and events) and,
for a request already answered, the calendars (its due date is no longer stored). Each letter
uses the campaign's own wording where it has one (campaign.follow_up_templates, checked against
domain.letters.FOLLOW_UP_PLACEHOLDERS when saved), else the built-in wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from ..domain.event_details import EXEMPTIONS
from ..domain.letters import FollowUp, LetterFacts, LetterTemplateError, own_follow_up, render_follow_up
from ..domain.lifecycle import EventKind, Outcome, Status
from .deadlines import Calendars, deadlines_for


@dataclass(frozen=True)
class FollowUpLetter:
    kind: FollowUp
    title: str
    when: str  # when this letter is the one to send
    subject: str  # an email subject line
    text: str


WHEN = {
    FollowUp.CHASER: "The council has not answered (or not answered in full) by the due date.",
    FollowUp.REVIEW: "You are not satisfied with the answer, or none came: ask within 40 working days of the "
    "response (FOISA s.20(5), EIR reg 11(2)).",
    FollowUp.COMPLAINT: "After the internal review (or when the council has not answered it).",
}


def our_reference(foi_request) -> str:
    return f"{foi_request.campaign.title}, request {foi_request.id}"


def letter_facts(foi_request, events: Iterable, today: date, calendars: Calendars | None = None) -> LetterFacts:
    """The facts the letters state, from the request's columns and its timeline. Once answered
    a request stores no response due date: with `calendars` it is worked out again."""
    events = list(events)
    due_on = foi_request.response_due_on
    if due_on is None and calendars is not None and foi_request.received_on is not None:
        deadlines = deadlines_for(foi_request, events, calendars)
        due_on = deadlines.response_due if deadlines else None
    responded_on = summary = review_requested_on = review_outcome_on = None
    for event in sorted(events, key=lambda e: (e.occurred_on, e.id or 0)):
        details = event.details or {}
        if event.kind == EventKind.RESPONSE_RECEIVED.value and responded_on is None:
            responded_on, summary = event.occurred_on, _summary(details)
        elif event.kind == EventKind.REVIEW_REQUESTED.value:
            review_requested_on, review_outcome_on = event.occurred_on, None
        elif event.kind == EventKind.REVIEW_OUTCOME.value:
            review_outcome_on = event.occurred_on
    return LetterFacts(
        regime=foi_request.regime,
        authority_name=foi_request.authority.official_name,
        campaign_title=foi_request.campaign.title,
        subject=foi_request.subject,
        our_reference=our_reference(foi_request),
        council_reference=(foi_request.council_reference or "").strip(),
        today=today,
        sent_on=foi_request.sent_on,
        received_on=foi_request.received_on,
        due_on=due_on,
        responded_on=responded_on,
        response_summary=summary or "",
        review_requested_on=review_requested_on,
        review_due_on=foi_request.review_due_on,
        review_outcome_on=review_outcome_on,
    )


def _summary(details: Mapping) -> str:
    """ "Refused, citing s.43 commercial interests" from a response's details."""
    parts = []
    if details.get("outcome") in {o.value for o in Outcome}:
        parts.append(Outcome(details["outcome"]).label)
    exemptions = [EXEMPTIONS.get(code, str(code)) for code in details.get("exemptions") or ()]
    if exemptions:
        parts.append("citing " + ", ".join(exemptions))
    return ", ".join(parts)


def follow_up_letters(
    foi_request, events: Iterable, today: date, calendars: Calendars | None = None
) -> list[FollowUpLetter]:
    """The three letters for a request that has been sent; none for a draft."""
    if foi_request.status == Status.DRAFT.value or foi_request.sent_on is None:
        return []
    facts = letter_facts(foi_request, events, today, calendars)
    subject = f"{foi_request.subject} (our reference: {facts.our_reference}" + (
        f"; your reference: {facts.council_reference})" if facts.council_reference else ")"
    )
    prefixes = {FollowUp.CHASER: "Overdue: ", FollowUp.REVIEW: "Internal review: ", FollowUp.COMPLAINT: "Complaint: "}
    templates = foi_request.campaign.follow_up_templates
    return [
        FollowUpLetter(kind, kind.title, WHEN[kind], prefixes[kind] + subject, _render(kind, facts, templates))
        for kind in FollowUp
    ]


def _render(kind: FollowUp, facts: LetterFacts, templates) -> str:
    """The campaign's wording, or the built-in one when it has none, or when its text cannot be
    filled (stored outside the form, which checks it): a letter rather than a broken page."""
    try:
        return render_follow_up(kind, facts, own_follow_up(kind, templates))
    except LetterTemplateError:
        return render_follow_up(kind, facts)
