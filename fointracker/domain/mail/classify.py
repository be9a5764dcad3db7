"""The step a council's reply suggests (#16), with the words that led to it. A person confirms or
corrects it; this only saves them reading for the obvious cases, so precision comes before
recall: when the words are not clear, nothing is suggested.

Letters carry boilerplate that must not trigger anything: every response offers "an internal
review" and names the Information Commissioner, every letter invites "any clarification". So a
review outcome needs the review to be *done*, a clarification request needs the council to *ask*.
The checks run from the most specific to the least: review outcome, extension, fees notice,
clarification, partial response, response (refused, neither confirm nor deny, not held, partly
or fully successful), and last acknowledgement (a response also thanks you for your request).
Every details dict passes domain.event_details.check_details for the step's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..lifecycle import EventKind, Outcome
from .citations import cited_exemptions

MAX_PHRASES = 8
MAX_TEXT_CHARS = 50_000  # a letter's decisive words are near its start


@dataclass
class Suggestion:
    kind: str  # an EventKind value
    details: dict = field(default_factory=dict)  # as domain.event_details.check_details accepts
    phrases: list[str] = field(default_factory=list)  # the words in the text that led to it


def _pattern(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


REVIEW_DONE = _pattern(
    r"\b(?:I|we) have (?:now )?(?:completed|concluded|conducted|carried out|undertaken) (?:an|the|your|my) internal review",
    r"\b(?:the )?(?:outcome|result|findings?|conclusion) of (?:the|your|my|this) internal review",
    r"\binternal review (?:has|have) (?:now )?(?:been )?(?:completed|concluded)",
    r"\binternal review (?:outcome|decision|response)\b",
)
REVIEW_UPHELD = _pattern(
    r"\buph[eo]ld(?:ing)? the (?:original|initial|council's) (?:decision|response)",
    r"\b(?:original|initial) (?:decision|response) (?:is|was|has been|should be) upheld",
    r"\b(?:agree|satisfied) (?:with|that) the (?:original|initial) (?:decision|response)",
)
REVIEW_OVERTURNED = _pattern(
    r"\b(?:overturn|overturned|reverse|reversed|overturning) the (?:original|initial) (?:decision|response)",
    r"\b(?:original|initial) (?:decision|response) (?:is|was|has been) (?:overturned|reversed)",
)
REVIEW_EXTENDED = _pattern(
    r"\b(?:extend|extending|extension (?:of|to)) the (?:time|period|deadline) for (?:the|your|this) internal review",
    r"\binternal review[^.]{0,80}\b(?:will take|take|extend)[^.]{0,40}\b40 working days",
)
PUBLIC_INTEREST_EXTENSION = _pattern(
    r"\bsection 10\s?\(3\)",
    r"\bs\.?\s?10\s?\(3\)",
    r"\b(?:consider|considering|consideration of|assess|assessing) the (?:balance of the )?public interest"
    r"[^.]{0,160}\b(?:extend|extension|additional time|further time|more time|longer)",
    r"\b(?:extend|extension|additional time|further time|more time)\b[^.]{0,160}\bpublic interest",
)
EIR_EXTENSION = _pattern(
    r"\b(?:regulation|reg\.?) 7\b(?:\s?\(1\))?",
    r"\bcomplex(?:ity)? and (?:voluminous|volume)\b[^.]{0,120}\b40 working days",
    r"\b(?:extend|extended|extension)[^.]{0,80}\b40 working days",
)
FEE_NOTICE = _pattern(
    r"\bfees? notice\b",
    r"\b(?:pay|payment of|paying)\b[^.]{0,60}\b(?:fee|charge|disbursements?)\b[^.]{0,80}£\s?\d",
    r"£\s?\d[\d,.]*\b[^.]{0,80}\b(?:fee|charge)\b[^.]{0,60}\b(?:pay|payable|payment)\b",
)
COST_LIMIT = _pattern(r"\bappropriate limit\b", r"\bcost limit\b", r"\bexceed(?:s|ed)? the (?:cost|appropriate)")
CLARIFICATION = _pattern(
    r"\b(?:could|can|would|will) you (?:please )?(?:clarify|confirm (?:exactly )?(?:what|which|whether))\b",
    r"\b(?:please|kindly) (?:could you )?clarify\b",
    r"\b(?:we|I) (?:would be grateful if you could|ask (?:that )?you (?:to )?|need you to) clarify\b",
    r"\b(?:require|need|seek|seeking|request|requesting|requires) (?:some |further |more )?clarification "
    r"(?:of|on|about|regarding|as to|before|from you)\b",
    r"\b(?:we|I) (?:require|need) (?:some )?(?:further|more|additional) (?:information|details) "
    r"(?:from you )?(?:in order )?to (?:identify|locate|process|answer|respond)",
    r"\b(?:clock|time limit|20 working days?) (?:has been |is |will be )?(?:stopped|paused|put on hold)\b",
)
PARTIAL_RESPONSE = _pattern(
    r"\b(?:this|a|our) partial (?:response|answer|disclosure)\b",
    r"\b(?:the )?(?:rest|remainder) of (?:the|your) (?:request|questions|information|response)\b[^.]{0,80}"
    r"\b(?:will|shall|to) (?:follow|be (?:sent|provided|answered))",
    r"\b(?:remaining|outstanding) (?:questions?|parts?|information|elements?)\b[^.]{0,80}"
    r"\b(?:will|shall) (?:follow|be (?:sent|provided|answered)|respond)",
    r"\b(?:will|shall) (?:send|provide|respond to) the (?:rest|remainder|remaining)\b",
)
NCND = _pattern(r"\bneither confirm nor deny\b", r"\bneither confirms nor denies\b")
NOT_HELD = _pattern(
    r"\b(?:does|do|did) not hold (?:the|this|that|any|those) (?:requested )?(?:recorded )?information",
    r"\b(?:doesn't|don't) hold (?:the|this|that|any|those) (?:requested )?information",
    r"\binformation (?:you (?:have )?requested |requested )?(?:is|was) not held\b",
    r"\bno (?:recorded )?information (?:is|was) held\b",
    r"\bholds? no (?:recorded )?information\b",
)
REFUSED = _pattern(
    r"\b(?:refuse|refusing|refused|decline|declining)\b[^.]{0,40}\b(?:your|this|the) request\b",
    r"\brefusal notice\b",
    r"\b(?:is|are) (?:therefore )?(?:exempt|being withheld|withheld in (?:full|its entirety))\b",
    r"\bwill not be (?:disclosing|providing|releasing)\b",
    r"\b(?:unable|not able) to (?:provide|disclose|release|comply with)\b",
    r"\bexceed(?:s|ed)? the (?:appropriate|cost) limit\b",
)
WITHHELD_IN_PART = _pattern(
    r"\b(?:some|part|parts|certain|elements) of the (?:requested )?information (?:is|are|has been|have been) "
    r"(?:withheld|redacted|exempt)",
    r"\bredact(?:ed|ions?)\b",
    r"\bwithheld (?:some|part|certain)\b",
    r"\bpartially (?:successful|disclosed|released|withheld)\b",
)
DISCLOSED = _pattern(
    r"\bplease (?:find|see) (?:attached|below|enclosed|our response|the (?:requested )?information|the response)",
    r"\b(?:I|we) (?:am|are|can|are able to|am able to|are pleased to|am pleased to) "
    r"(?:confirm|provide|disclose|release|attach|supply)",
    r"\bthe (?:requested )?information (?:you (?:have )?requested )?is (?:attached|below|enclosed|as follows)",
    r"\b(?:our|the council's|the) (?:response|answers?) (?:to your (?:request|questions?) )?(?:is|are) "
    r"(?:attached|below|enclosed|as follows|set out below)",
)
ACKNOWLEDGED = _pattern(
    r"\b(?:we|I) (?:have|'ve) (?:now )?received your (?:request|email|letter)",
    r"\b(?:acknowledge|acknowledging|confirm) (?:the )?receipt of your (?:request|email|letter)",
    r"\bthank you for your (?:request|email)\b[^.]{0,100}\b(?:received|logged)\b",
    r"\byour request (?:is being|has been) (?:logged|registered|passed to|processed)",
    r"\b(?:will|aim to|should) (?:respond|reply|provide a response|send a response)[^.]{0,60}\b20 working days",
    r"\bwithin (?:the statutory )?(?:timescale of )?20 working days\b",
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_WRITTEN_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTHS})\s*,?\s+(\d{{4}})\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # UK order: day/month/year


def _found(pattern: re.Pattern, text: str) -> list[str]:
    return [match.group().strip() for match in pattern.finditer(text)]


_PROMISE = re.compile(
    r"\b(?:by|until|before|no later than|on or before|respond on|reply on|response on)\W+(?:\w+day\W+)?(?:the\s+)?$",
    re.IGNORECASE,
)


def _promised_dates(text: str) -> list[date]:
    """Dates the text promises something by ("by 14 April 2026", "no later than 14/04/2026")."""
    found = []
    for pattern in (_WRITTEN_DATE, _NUMERIC_DATE):
        for match in pattern.finditer(text):
            if not _PROMISE.search(text[max(0, match.start() - 40) : match.start()]):
                continue
            day, month, year = match.groups()
            month_number = int(month) if month.isdigit() else _MONTHS.split("|").index(month.lower()) + 1
            try:
                found.append(date(int(year), month_number, int(day)))
            except ValueError:
                continue
    return found


def _suggest(kind: EventKind, details: dict, *phrase_lists: list[str]) -> Suggestion:
    phrases: list[str] = []
    for phrase in (p for phrases_found in phrase_lists for p in phrases_found):
        if phrase.lower() not in {seen.lower() for seen in phrases}:
            phrases.append(phrase)
    return Suggestion(kind=kind.value, details=details, phrases=phrases[:MAX_PHRASES])


def _review_outcome(text: str, codes: list[str], cited: list[str]) -> Suggestion | None:
    done = _found(REVIEW_DONE, text)
    if not done:
        return None
    upheld, overturned = _found(REVIEW_UPHELD, text), _found(REVIEW_OVERTURNED, text)
    details: dict = {}
    if upheld and not overturned:
        details = {"outcome": Outcome.REFUSED.value}
        if codes:
            details["exemptions"] = codes
        elif _found(NOT_HELD, text):
            details = {"outcome": Outcome.NOT_HELD.value}
    elif overturned and not upheld and _found(DISCLOSED, text):
        details = {"outcome": Outcome.SUCCESSFUL.value}
    return _suggest(EventKind.REVIEW_OUTCOME, details, done, upheld, overturned, cited if details else [])


def _extension(text: str, regime: str) -> Suggestion | None:
    review = _found(REVIEW_EXTENDED, text)
    if review:
        return _suggest(EventKind.EXTENSION_CLAIMED, {"reason": "review"}, review)
    if regime == "foisa":
        return None  # FOISA has no extension: a council claiming one is wrong, and a person should see that
    environmental = regime in ("eir", "eisr") or re.search(r"Environmental Information", text, re.IGNORECASE)
    eir = _found(EIR_EXTENSION, text) if environmental else []
    if eir:
        return _suggest(EventKind.EXTENSION_CLAIMED, {"reason": "eir_complex"}, eir)
    public_interest = _found(PUBLIC_INTEREST_EXTENSION, text) if regime in ("foia", "eir") else []
    dates = _promised_dates(text)
    if public_interest and dates:  # the council must name the date it now promises (s.10(3), s.17(2))
        promised = max(dates)
        return _suggest(EventKind.EXTENSION_CLAIMED, {"reason": "public_interest", "new_date": promised.isoformat()},
                        public_interest)  # fmt: skip
    return None


def _response(text: str, codes: list[str], cited: list[str]) -> Suggestion | None:
    ncnd = _found(NCND, text)
    if ncnd:
        details = {"outcome": Outcome.NEITHER_CONFIRM_NOR_DENY.value} | ({"exemptions": codes} if codes else {})
        return _suggest(EventKind.RESPONSE_RECEIVED, details, ncnd, cited)
    refused, in_part, disclosed = _found(REFUSED, text), _found(WITHHELD_IN_PART, text), _found(DISCLOSED, text)
    not_held = _found(NOT_HELD, text)
    if not_held and not refused and not codes and not in_part:
        return _suggest(EventKind.RESPONSE_RECEIVED, {"outcome": Outcome.NOT_HELD.value}, not_held)
    if (in_part or (disclosed and refused)) and codes:
        details = {"outcome": Outcome.PARTIALLY_SUCCESSFUL.value, "exemptions": codes}
        return _suggest(EventKind.RESPONSE_RECEIVED, details, in_part, refused, cited)
    if refused and not disclosed and (codes or _found(COST_LIMIT, text)):
        details = {"outcome": Outcome.REFUSED.value} | ({"exemptions": codes} if codes else {})
        return _suggest(EventKind.RESPONSE_RECEIVED, details, refused, cited)
    if disclosed and not refused and not in_part and not codes and not not_held:
        return _suggest(EventKind.RESPONSE_RECEIVED, {"outcome": Outcome.SUCCESSFUL.value}, disclosed)
    return None


def suggest_step(subject: str, text: str, regime: str) -> Suggestion | None:
    """The step `text` (a reply's new text; its `subject` helps) most likely records, or None."""
    text = re.sub(r"\s+", " ", f"{subject or ''}. {text or ''}"[:MAX_TEXT_CHARS])
    regime = (regime or "foia").lower()
    codes, cited = cited_exemptions(text, regime)
    suggestion = _review_outcome(text, codes, cited) or _extension(text, regime)
    if suggestion:
        return suggestion
    fee = _found(FEE_NOTICE, text)
    if fee and not _found(COST_LIMIT, text):
        return _suggest(EventKind.FEE_NOTICE, {}, fee)
    clarification = _found(CLARIFICATION, text)
    if clarification:
        return _suggest(EventKind.CLARIFICATION_REQUESTED, {}, clarification)
    partial = _found(PARTIAL_RESPONSE, text)
    if partial:
        return _suggest(EventKind.PARTIAL_RESPONSE, {"exemptions": codes} if codes else {}, partial, cited)
    response = _response(text, codes, cited)
    if response:
        return response
    acknowledged = _found(ACKNOWLEDGED, text)
    if acknowledged and not codes and not _found(DISCLOSED, text):
        return _suggest(EventKind.ACKNOWLEDGED, {}, acknowledged)
    return None
