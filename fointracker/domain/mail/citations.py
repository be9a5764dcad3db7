"""The exemptions a council's letter cites, as the codes of domain.event_details.EXEMPTIONS (#16).

Councils write "section 40(2)", "s.40(2)", "s40", "sections 40 and 43", "Regulation 12(4)(b)",
"reg. 12(5)(e)", "EIR 12(4)(b)", "10(4)(b) of the EISRs". A section number is read in the
request's regime: FOIA sections for FOIA and EIR requests, FOISA sections for Scottish ones;
a regulation cited as 12(...) is the EIR, as 10(...) the EISR. Sections that are not exemptions
(s.1 the duty, s.10 time, s.16 advice, s.17 refusal notices, s.50 complaints) and exemptions with
no code are not reported: precision over recall.
"""

from __future__ import annotations

import re

from ..event_details import EXEMPTIONS

_SECTION_LIST = re.compile(
    r"(?<![A-Za-z])(?:sections?|ss?\.|s)\s?"
    r"(\d{1,2}(?:\s?\(\w{1,3}\))*(?:\s*(?:,|and|&|or)\s*(?:s\.?\s?)?\d{1,2}(?:\s?\(\w{1,3}\))*)*)(?!\d)",
    re.IGNORECASE,
)
_REGULATION = re.compile(
    r"(?<![\w(])(?:(?:regulations?|regs?\.?|EIRs?|EISRs?)\s*)?(1[02])\s?\(([45])\)\s?\(([a-g])\)", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\w(])(\d{1,2})(?!\d)")


def _section_code(number: int, scottish: bool) -> str | None:
    code = f"foisa_s{number}" if scottish else f"s{number}"
    return code if code in EXEMPTIONS else None


def _regulation_code(regulation: str, paragraph: str, letter: str) -> str | None:
    prefix = "eir_12" if regulation == "12" else "eisr_10"
    code = f"{prefix}_{paragraph}_{letter.lower()}"
    return code if code in EXEMPTIONS else None


def cited_exemptions(text: str, regime: str) -> tuple[list[str], list[str]]:
    """(exemption codes, the words that cite them), each once, in the order they appear."""
    scottish = regime in ("foisa", "eisr")
    found: list[tuple[int, str, str]] = []  # (position, code, words)
    for match in _REGULATION.finditer(text):
        code = _regulation_code(match.group(1), match.group(2), match.group(3))
        if code:
            found.append((match.start(), code, match.group().strip()))
    regulation_spans = [match.span() for match in _REGULATION.finditer(text)]
    for match in _SECTION_LIST.finditer(text):
        if any(start <= match.start(1) < end for start, end in regulation_spans):
            continue
        listed = re.sub(r"\(\w{1,3}\)", "", match.group(1))  # "40(2) and 43(2)" -> "40 and 43"
        listed = re.sub(r"(?i)(?<![a-z])s\.?\s?(?=\d)", " ", listed)  # "12 and s14" -> "12 and  14"
        for number in _NUMBER.findall(listed):
            code = _section_code(int(number), scottish)
            if code:
                found.append((match.start(), code, match.group().strip()))
    codes: list[str] = []
    phrases: list[str] = []
    for _, code, words in sorted(found):
        if code not in codes:
            codes.append(code)
        if words not in phrases:
            phrases.append(words)
    return codes, phrases
