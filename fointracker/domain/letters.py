"""Letters: a campaign's request letter with placeholders filled per council, and the
follow-up letters (a chaser, an internal-review request, a complaint to the regulator) filled
with one request's facts. Pure module. Letters are plain text: they are shown escaped
(Jinja autoescape) and copied as text, never rendered as HTML.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .deadlines import format_uk_date
from .deadlines.calendar import statutory_calendar
from .regimes import Regime

PLACEHOLDERS = {
    "authority_name": "the council's official name",
    "authority_short_name": "the council's short name",
    "authority_code": "the council's register code",
    "campaign_title": "the campaign's title",
    "regime_name": "the Act the request is made under",
    "today": "today's date, e.g. Mon 2 Mar 2026",
}


class LetterTemplateError(ValueError):
    """A stored template that cannot be filled in (saved before its rules): the message says why."""


def template_problems(template: str, placeholders: Mapping[str, str] = PLACEHOLDERS) -> list[str]:
    """Everything wrong with a letter template, as sentences for the form. A placeholder is a
    name in braces and nothing more: no format spec (`{today:>1000000}` would make a 1 MB
    letter, `{authority_name:d}` fails on every letter), conversion (`!r`), attribute or index."""
    problems = []
    try:
        fields = [
            (field, spec, conversion)
            for _, field, spec, conversion in string.Formatter().parse(template)
            if field is not None
        ]
    except ValueError as exc:
        return [f"the braces do not match ({exc}); write {{{{ and }}}} for a literal brace"]
    names = ", ".join("{" + name + "}" for name in placeholders)
    for field, spec, conversion in fields:
        written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if field == "":
            problems.append("an empty placeholder {} — name one of: " + ", ".join(placeholders))
        elif field not in placeholders:
            problems.append(f"unknown placeholder {written} — use one of: {names}")
        elif spec or conversion:
            problems.append(
                f"{written}: a placeholder is just its name in braces, {{{field}}} "
                "(no format after a colon or exclamation mark)"
            )
    return list(dict.fromkeys(problems))


def render_letter(template: str, values: Mapping[str, str], placeholders: Mapping[str, str] = PLACEHOLDERS) -> str:
    """The template with each placeholder replaced by its value; LetterTemplateError for a
    template the rules above refuse (one stored before them), never a half-filled letter."""
    missing = set(placeholders) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    problems = template_problems(template, placeholders)
    if problems:
        raise LetterTemplateError("; ".join(problems))
    return "".join(
        literal + ("" if field is None else str(values[field]))
        for literal, field, _, _ in string.Formatter().parse(template)
    )


# ---------------------------------------------------------------- follow-up letters


class FollowUp(str, enum.Enum):
    CHASER = "chaser"
    REVIEW = "review"
    COMPLAINT = "complaint"

    @property
    def title(self) -> str:
        return {
            FollowUp.CHASER: "Chaser",
            FollowUp.REVIEW: "Internal review request",
            FollowUp.COMPLAINT: "Complaint to the regulator",
        }[self]


FOLLOW_UP_PLACEHOLDERS = {
    "authority_name": "the council's official name",
    "campaign_title": "the campaign's title",
    "regime_name": "the Act the request is made under",
    "subject": "the request's subject",
    "references": "our reference, and the council's if recorded",
    "sent_on": "the date we sent the request",
    "received_on": "the date the council received it",
    "due_on": "the date the response is due",
    "responded_on": "the date of the council's first response",
    "review_requested_on": "the date we asked for an internal review",
    "review_due_on": "the date the review response is due",
    "review_outcome_on": "the date of the review outcome",
    "outstanding": "what is outstanding, in a sentence or two",
    "time_limit_section": "the time limit relied on, e.g. section 10(1) of the FOIA 2000",
    "review_section": "the review provision relied on, e.g. FOISA section 20",
    "review_time_limit": "the council's time limit for the review",
    "regulator": "the ICO or the Scottish Information Commissioner",
    "complaint_section": "the provision for the complaint, e.g. FOIA section 50",
    "today": "today's date, e.g. Mon 2 Mar 2026",
}

# The provisions each letter relies on, by regime.
TIME_LIMIT_SECTIONS = {
    Regime.FOIA: "section 10(1) of the Freedom of Information Act 2000",
    Regime.EIR: "regulation 5(2) of the Environmental Information Regulations 2004",
    Regime.FOISA: "section 10(1) of the Freedom of Information (Scotland) Act 2002",
    Regime.EISR: "regulation 5(2)(a) of the Environmental Information (Scotland) Regulations 2004",
}
REVIEW_SECTIONS = {
    Regime.FOIA: "the Code of Practice issued under section 45 of the Freedom of Information Act 2000",
    Regime.EIR: "regulation 11 of the Environmental Information Regulations 2004",
    Regime.FOISA: "section 20 of the Freedom of Information (Scotland) Act 2002",
    Regime.EISR: "regulation 16 of the Environmental Information (Scotland) Regulations 2004",
}
REVIEW_TIME_LIMITS = {
    Regime.FOIA: "The Code of Practice asks for the review to be completed within 20 working days (40 at most in "
    "complex cases).",
    Regime.EIR: "Regulation 11(4) requires your decision within 40 working days.",
    Regime.FOISA: "Section 21(1) requires your response within 20 working days.",
    Regime.EISR: "Regulation 16(4) requires your decision within 20 working days.",
}
REGULATORS = {
    Regime.FOIA: "the Information Commissioner's Office",
    Regime.EIR: "the Information Commissioner's Office",
    Regime.FOISA: "the Scottish Information Commissioner",
    Regime.EISR: "the Scottish Information Commissioner",
}
COMPLAINT_SECTIONS = {
    Regime.FOIA: "section 50 of the Freedom of Information Act 2000",
    Regime.EIR: "section 50 of the Freedom of Information Act 2000, as applied by regulation 18 of the "
    "Environmental Information Regulations 2004",
    Regime.FOISA: "section 47(1) of the Freedom of Information (Scotland) Act 2002",
    Regime.EISR: "section 47(1) of the Freedom of Information (Scotland) Act 2002, as applied by regulation 17 of "
    "the Environmental Information (Scotland) Regulations 2004",
}

FILL_IN = "[say what is missing or which refusal you dispute, and why]"

BUILT_IN_FOLLOW_UPS = {
    FollowUp.CHASER: """Dear {authority_name},

{references}
Request: {subject}

I sent you a request for information under the {regime_name} on {sent_on}; you received it on {received_on}. Under {time_limit_section} your response was due by {due_on}.

{outstanding}

Please send your response as soon as possible, and tell me when I can expect it.

Yours faithfully,
""",
    FollowUp.REVIEW: """Dear {authority_name},

{references}
Request: {subject}

Please pass this to the person who conducts internal reviews of information requests.

I ask for an internal review of your handling of my request under the {regime_name}, sent on {sent_on} and received by you on {received_on}. I make this request under {review_section}.

{outstanding}

{review_time_limit}

Yours faithfully,
""",
    FollowUp.COMPLAINT: """To {regulator}

Complaint about: {authority_name}
{references}
Request: {subject}

I complain under {complaint_section} about {authority_name}'s handling of my request for information under the {regime_name}.

- Request sent: {sent_on}; received by the council: {received_on}
- Response due: {due_on}; first response: {responded_on}
- Internal review requested: {review_requested_on}; review due: {review_due_on}; review outcome: {review_outcome_on}

{outstanding}

I enclose my request, the council's response and its review response (or my request for a review).

Yours faithfully,
""",
}


@dataclass(frozen=True)
class LetterFacts:
    """One request's facts, as the follow-up letters state them (None: not recorded)."""

    regime: str
    authority_name: str
    campaign_title: str
    subject: str
    our_reference: str
    council_reference: str
    today: date
    sent_on: date | None = None
    received_on: date | None = None
    due_on: date | None = None  # the response due date while one is owed
    responded_on: date | None = None
    response_summary: str = ""  # "Refused, citing s.43 commercial interests"
    review_requested_on: date | None = None
    review_due_on: date | None = None
    review_outcome_on: date | None = None


def _day(value: date | None) -> str:
    return format_uk_date(value) if value else "not recorded"


def _late(facts: LetterFacts, due: date | None) -> str:
    """ ", 7 working days late" on the regime's statutory calendar, or "" when not late."""
    if due is None or facts.today <= due:
        return ""
    days = statutory_calendar(Regime(facts.regime).calendar_name).working_days_between(due, facts.today)
    return f", {days} working day{'' if days == 1 else 's'} late" if days else ""


def outstanding(kind: FollowUp, facts: LetterFacts) -> str:
    """What is outstanding, for `kind` of letter, from the facts recorded."""
    review_open = facts.review_requested_on and not facts.review_outcome_on
    if review_open and kind is not FollowUp.REVIEW:
        due = facts.review_due_on
        return (
            f"I asked for an internal review on {_day(facts.review_requested_on)}. "
            + (f"Your review response was due by {_day(due)}{_late(facts, due)}, " if due else "")
            + f"and as of {_day(facts.today)} I have not received it."
        )
    if facts.responded_on is None:
        if facts.due_on and facts.today > facts.due_on:
            missed = f"As of {_day(facts.today)} I have had no response{_late(facts, facts.due_on)}."
            if kind is FollowUp.REVIEW:
                return missed + " Please review your failure to respond and send the information I asked for."
            return missed
        if facts.due_on:
            return f"Your response is due by {_day(facts.due_on)}; as of {_day(facts.today)} I have not received it."
        return f"As of {_day(facts.today)} I have not received a response."
    answered = f"You responded on {_day(facts.responded_on)}" + (
        f" ({facts.response_summary})." if facts.response_summary else "."
    )
    if kind is FollowUp.COMPLAINT and facts.review_outcome_on:
        return (
            answered + f" You gave the outcome of the internal review on {_day(facts.review_outcome_on)}. "
            f"I remain dissatisfied: {FILL_IN}."
        )
    if kind is FollowUp.CHASER:
        return answered + f" Still outstanding: {FILL_IN}."
    return answered + f" I am not satisfied with it: {FILL_IN}."


def follow_up_values(kind: FollowUp, facts: LetterFacts) -> dict[str, str]:
    regime = Regime(facts.regime)
    references = f"Our reference: {facts.our_reference}" + (
        f"\nYour reference: {facts.council_reference}" if facts.council_reference else ""
    )
    return {
        "authority_name": facts.authority_name,
        "campaign_title": facts.campaign_title,
        "regime_name": regime.act,
        "subject": facts.subject,
        "references": references,
        "sent_on": _day(facts.sent_on),
        "received_on": _day(facts.received_on),
        "due_on": _day(facts.due_on),
        "responded_on": _day(facts.responded_on) if facts.responded_on else "none",
        "review_requested_on": _day(facts.review_requested_on) if facts.review_requested_on else "none",
        "review_due_on": _day(facts.review_due_on),
        "review_outcome_on": _day(facts.review_outcome_on) if facts.review_outcome_on else "none",
        "outstanding": outstanding(kind, facts),
        "time_limit_section": TIME_LIMIT_SECTIONS[regime],
        "review_section": REVIEW_SECTIONS[regime],
        "review_time_limit": REVIEW_TIME_LIMITS[regime],
        "regulator": REGULATORS[regime],
        "complaint_section": COMPLAINT_SECTIONS[regime],
        "today": format_uk_date(facts.today),
    }


def _plain(text: str | None) -> str:
    """A textarea's text as stored: browsers send CRLF line endings."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def own_follow_up(kind: FollowUp, templates: Mapping | None) -> str:
    """A campaign's own wording for `kind` (campaign.follow_up_templates), or "" for the built-in."""
    return _plain((templates or {}).get(kind.value)) if isinstance(templates, Mapping) else ""


def follow_up_templates(texts: Mapping[FollowUp, str | None]) -> dict[str, str] | None:
    """What campaign.follow_up_templates stores for the texts of a form: only the ones that differ
    from the built-in wording (blank, or the built-in text unchanged: the built-in); None for none."""
    own = {
        kind.value: _plain(text)
        for kind, text in texts.items()
        if _plain(text) and _plain(text) != _plain(BUILT_IN_FOLLOW_UPS[kind])
    }
    return own or None


def render_follow_up(kind: FollowUp, facts: LetterFacts, template: str = "") -> str:
    """The follow-up letter: the campaign's own wording if it has one (`template`), else the
    built-in one, with this request's facts filled in. Plain text."""
    return render_letter(template or BUILT_IN_FOLLOW_UPS[kind], follow_up_values(kind, facts), FOLLOW_UP_PLACEHOLDERS)
