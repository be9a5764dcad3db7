"""What an event on a request's timeline carries beyond its kind and date: the exemptions a
refusal cites, why an extension was claimed, the regulator, the decision, the appeal, how we
chased; the checks on them and the one-line summary the timeline shows. Pure module.

The state machine (which events may follow which) is domain.lifecycle.
"""

from __future__ import annotations

from datetime import date

from .lifecycle import DISCLOSURE_AFTER, DISCLOSURE_AFTER_LABELS, FIGURE_OUTCOMES, TRIBUNALS, EventKind, Outcome

EXEMPTIONS = {
    "s12": "s.12 cost limit",
    "s14": "s.14 vexatious or repeated",
    "s21": "s.21 reasonably accessible elsewhere",
    "s22": "s.22 intended for future publication",
    "s30": "s.30 investigations",
    "s31": "s.31 law enforcement",
    "s36": "s.36 prejudice to the conduct of public affairs",
    "s38": "s.38 health and safety",
    "s40": "s.40 personal data",
    "s41": "s.41 information provided in confidence",
    "s42": "s.42 legal professional privilege",
    "s43": "s.43 commercial interests",
    "s44": "s.44 prohibitions on disclosure",
    "eir_12_4_a": "EIR 12(4)(a) not held",
    "eir_12_4_b": "EIR 12(4)(b) manifestly unreasonable",
    "eir_12_4_d": "EIR 12(4)(d) unfinished documents",
    "eir_12_5_e": "EIR 12(5)(e) commercial confidentiality",
    "foisa_s12": "FOISA s.12 excessive cost",
    "foisa_s14": "FOISA s.14 vexatious or repeated",
    "foisa_s25": "FOISA s.25 otherwise accessible",
    "foisa_s33": "FOISA s.33 commercial interests",
    "foisa_s38": "FOISA s.38 personal information",
    # EISR 2004 (Scotland): reg 10(4) and 10(5), every exception.
    "eisr_10_4_a": "EISR 10(4)(a) not held",
    "eisr_10_4_b": "EISR 10(4)(b) manifestly unreasonable",
    "eisr_10_4_c": "EISR 10(4)(c) formulated too generally",
    "eisr_10_4_d": "EISR 10(4)(d) material still being completed",
    "eisr_10_4_e": "EISR 10(4)(e) internal communications",
    "eisr_10_5_a": "EISR 10(5)(a) international relations, defence, national security or public safety",
    "eisr_10_5_b": "EISR 10(5)(b) course of justice",
    "eisr_10_5_c": "EISR 10(5)(c) intellectual property rights",
    "eisr_10_5_d": "EISR 10(5)(d) confidentiality of proceedings",
    "eisr_10_5_e": "EISR 10(5)(e) commercial confidentiality",
    "eisr_10_5_f": "EISR 10(5)(f) interests of the person who provided the information",
    "eisr_10_5_g": "EISR 10(5)(g) protection of the environment",
}
EXTENSION_REASONS = {
    "public_interest": "Public-interest test (FOIA s.10(3)): the council names a new date",
    "eir_complex": "Complex and voluminous (EIR reg 7): 40 working days",
    "review": "Internal review extended (to 40 working days)",
}
REGULATORS = {"ICO": "Information Commissioner's Office", "SIC": "Scottish Information Commissioner"}
DECISION_OUTCOMES = {
    "upheld": "Complaint upheld",
    "partly_upheld": "Complaint partly upheld",
    "not_upheld": "Not upheld",
}
APPELLANTS = {"requester": "We appealed", "council": "The council appealed"}
APPEAL_RESULTS = {
    "allowed": "Appeal allowed",
    "partly_allowed": "Appeal partly allowed",
    "dismissed": "Appeal dismissed",
}
CHASE_METHODS = {"email": "by email", "phone": "by phone", "letter": "by letter"}


def check_details(kind: EventKind, occurred_on: date, details: dict) -> list[tuple[str, str]]:
    """Problems with an event's details, as (field, reason) pairs; empty when all is well."""
    problems = []
    if kind is EventKind.RESPONSE_RECEIVED:
        if details.get("outcome") not in {o.value for o in Outcome} - {Outcome.WITHDRAWN.value}:
            problems.append(("outcome", "say what the answer was"))
    if kind is EventKind.REVIEW_OUTCOME and details.get("outcome"):
        if details["outcome"] not in {o.value for o in Outcome} - {Outcome.WITHDRAWN.value}:
            problems.append(("outcome", "not a known outcome"))
    if kind is EventKind.FURTHER_RESPONSE:
        if details.get("outcome") not in {o.value for o in Outcome} - {Outcome.WITHDRAWN.value}:
            problems.append(("outcome", "say what the final answer was"))
    if kind in (EventKind.RESPONSE_RECEIVED, EventKind.REVIEW_OUTCOME, EventKind.FURTHER_RESPONSE):
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
    if kind in (EventKind.COMPLAINT_LODGED, EventKind.DECISION_NOTICE) and details.get("regulator") not in REGULATORS:
        problems.append(("regulator", "choose the ICO or the Scottish Information Commissioner"))
    if kind is EventKind.PARTIAL_RESPONSE:
        unknown = [e for e in details.get("exemptions", []) if e not in EXEMPTIONS]
        if unknown:
            problems.append(("exemptions", f"unknown exemption(s): {', '.join(unknown)}"))
    if kind is EventKind.DISCLOSURE:
        if details.get("after") not in DISCLOSURE_AFTER:
            problems.append(("after", "say what the disclosure followed: a review, a decision notice or a tribunal"))
        if details.get("outcome") and details["outcome"] not in FIGURE_OUTCOMES:
            problems.append(("outcome", "a disclosure is successful or partially successful"))
    if kind is EventKind.DECISION_NOTICE and details.get("outcome") not in DECISION_OUTCOMES:
        problems.append(("outcome", "say whether the regulator upheld the complaint"))
    if kind is EventKind.APPEAL_LODGED:
        if details.get("by") not in APPELLANTS:
            problems.append(("by", "say who appealed"))
        if details.get("tribunal") not in TRIBUNALS:
            problems.append(("tribunal", "choose the First-tier Tribunal or the Court of Session"))
    if kind is EventKind.APPEAL_DECISION and details.get("result") and details["result"] not in APPEAL_RESULTS:
        problems.append(("result", "not a known result"))
    if kind is EventKind.TRANSFERRED and not isinstance(details.get("authority_id"), int):
        problems.append(("authority_id", "choose the council the request should go to"))
    if kind is EventKind.CHASED and details.get("method") not in CHASE_METHODS:
        problems.append(("method", "say how you chased: email, phone or letter"))
    return problems


# Which details each kind of event carries (the rest of the form is ignored for it).
DETAIL_FIELDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.SENT: ("received_on",),
    EventKind.RESPONSE_RECEIVED: ("outcome", "exemptions"),
    EventKind.REVIEW_OUTCOME: ("outcome", "exemptions"),
    EventKind.EXTENSION_CLAIMED: ("reason", "new_date"),
    EventKind.COMPLAINT_LODGED: ("regulator",),
    EventKind.PARTIAL_RESPONSE: ("exemptions",),
    EventKind.FURTHER_RESPONSE: ("outcome", "exemptions"),
    EventKind.DISCLOSURE: ("after", "outcome"),
    EventKind.DECISION_NOTICE: ("regulator", "outcome"),
    EventKind.APPEAL_LODGED: ("by", "tribunal"),
    EventKind.APPEAL_DECISION: ("result",),
    EventKind.TRANSFERRED: ("authority_id",),
    EventKind.CHASED: ("method",),
}


def describe(kind: EventKind, details: dict, occurred_on: date | None = None) -> str:
    """A short human summary of an event's details, for the timeline."""
    from .deadlines import format_uk_date

    parts = []
    if kind is EventKind.DISCLOSURE and details.get("after"):
        parts.append(DISCLOSURE_AFTER_LABELS.get(details["after"], details["after"]))
    if kind is EventKind.DECISION_NOTICE and details.get("outcome"):
        parts.append(DECISION_OUTCOMES.get(details["outcome"], details["outcome"]))
    elif details.get("outcome"):
        parts.append(Outcome(details["outcome"]).label)
    if details.get("exemptions"):
        parts.append("citing " + ", ".join(EXEMPTIONS.get(code, code) for code in details["exemptions"]))
    if details.get("reason"):
        parts.append(EXTENSION_REASONS.get(details["reason"], details["reason"]).split(":")[0])
    if details.get("new_date"):
        parts.append("new date " + format_uk_date(date.fromisoformat(details["new_date"])))
    if details.get("regulator"):
        word = "by the " if kind is EventKind.DECISION_NOTICE else "to the "
        parts.append(word + REGULATORS.get(details["regulator"], details["regulator"]))
    if details.get("by"):
        parts.append(APPELLANTS.get(details["by"], details["by"]))
    if details.get("tribunal"):
        parts.append("to the " + TRIBUNALS.get(details["tribunal"], details["tribunal"]))
    if details.get("result"):
        parts.append(APPEAL_RESULTS.get(details["result"], details["result"]))
    if details.get("method"):
        parts.append(CHASE_METHODS.get(details["method"], details["method"]))
    received = details.get("received_on")
    if kind is EventKind.SENT and received and received != (occurred_on.isoformat() if occurred_on else None):
        parts.append("received by the council " + format_uk_date(date.fromisoformat(received)))
    return "; ".join(parts)
