"""Publishing a report (#18): the pure rules. Slugs, licences, the suggested citation, the
options an author chooses, and small-number suppression.

Suppression, as the published methodology states it (`suppression_statement`):
- a council's value of a *count* question above zero and below the threshold is shown as
  "<5" (for a threshold of 5), wherever a council's value appears (the dataset, the largest
  cuts, a group's minimum or maximum); a council's own range wholly below the threshold too;
- any group of councils (all councils, a region, a council type) whose base n is below the
  threshold has its figures withheld ("fewer than 5 councils").
Money, percentages and yes/no answers are public bodies' figures and are not suppressed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 2  # 1 would suppress nothing ("0 < value < 1" holds for no count)
MAX_THRESHOLD = 100
MAX_SLUG = 60
MAX_NOTE = 2000
MAX_SUMMARY = 4000
MAX_PUBLISHER = 200

# What a published report may show, in the order the page shows them.
SECTIONS = {
    "summary": "Summary",
    "methodology": "Methodology",
    "responses": "Responses",
    "questions": "Figures by question",
    "pairs": "Changes between paired questions",
}
DEFAULT_SECTIONS = tuple(SECTIONS)


@dataclass(frozen=True)
class Licence:
    code: str
    name: str
    url: str


LICENCES = {
    licence.code: licence
    for licence in (
        Licence("cc-by-4.0", "Creative Commons Attribution 4.0 International (CC BY 4.0)",
                "https://creativecommons.org/licenses/by/4.0/"),
        Licence("cc-by-sa-4.0", "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
                "https://creativecommons.org/licenses/by-sa/4.0/"),
        Licence("cc0-1.0", "Creative Commons CC0 1.0 Universal (public domain dedication)",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
        Licence("ogl-3.0", "Open Government Licence v3.0",
                "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    )
}  # fmt: skip
DEFAULT_LICENCE = "cc-by-4.0"


@dataclass(frozen=True)
class PublishOptions:
    """What the author chose. `questions`: the codes of the questions published (their figures
    and their rows of the dataset); the others are left out entirely."""

    sections: tuple[str, ...] = DEFAULT_SECTIONS
    questions: tuple[str, ...] = ()
    threshold: int = DEFAULT_THRESHOLD
    licence: str = DEFAULT_LICENCE
    include_notes: bool = False
    summary: str = ""
    publisher: str = ""

    def as_json(self) -> dict:
        return {
            "sections": list(self.sections),
            "questions": list(self.questions),
            "threshold": self.threshold,
            "licence": self.licence,
            "include_notes": self.include_notes,
            "summary": self.summary,
            "publisher": self.publisher,
        }


def check_options(options: PublishOptions, question_codes: list[str]) -> list[str]:
    """What is wrong with `options` for a campaign whose questions are `question_codes`."""
    problems = []
    if not MIN_THRESHOLD <= options.threshold <= MAX_THRESHOLD:
        problems.append(f"The threshold must be a whole number from {MIN_THRESHOLD} to {MAX_THRESHOLD}.")
    if options.licence not in LICENCES:
        problems.append("Choose one of the licences offered.")
    unknown = [s for s in options.sections if s not in SECTIONS]
    if unknown:
        problems.append("Choose sections from those offered.")
    if not options.sections:
        problems.append("Choose at least one section to publish.")
    if set(options.questions) - set(question_codes):
        problems.append("Choose questions of this campaign.")
    if len(options.summary) > MAX_SUMMARY:
        problems.append(f"The introduction is limited to {MAX_SUMMARY:,} characters.")
    if len(options.publisher) > MAX_PUBLISHER:
        problems.append(f"The publisher's name is limited to {MAX_PUBLISHER} characters.")
    return problems


# ---------------------------------------------------------------- slugs


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def make_slug(title: str) -> str:
    """A campaign title as a URL slug: ASCII letters and digits joined by single hyphens,
    at most MAX_SLUG characters; "report" when nothing is left."""
    # Accents go (é → e); any other character not an ASCII letter or digit separates words.
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_text = "".join(
        ch if ch.isascii() else ("" if unicodedata.combining(ch) else " ") for ch in decomposed
    ).lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG:
            break
        slug = candidate
    return slug or (words[0][:MAX_SLUG] if words else "report")


def unique_slug(base: str, taken) -> str:
    """`base`, or `base-2`, `base-3`... : the first not in `taken` (a set or a predicate)."""
    is_taken = taken if callable(taken) else taken.__contains__
    if not is_taken(base):
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix
        if not is_taken(candidate):
            return candidate
        number += 1


def is_slug(text: str) -> bool:
    return len(text) <= MAX_SLUG and bool(SLUG_RE.match(text))


# ---------------------------------------------------------------- citation


ACCESSED_PLACEHOLDER = "[date accessed]"


def citation(title: str, publisher: str, year: int, version: int, url: str, licence_code: str) -> str:
    """The suggested citation: "Publisher (2026). Title, version 2 [data set]. Licence. URL
    (accessed [date accessed])." The reader fills in the date."""
    licence = LICENCES[licence_code]
    who = f"{publisher} ({year})." if publisher else f"({year})."
    return (
        f"{who} {title}, version {version} [report and data set]. {licence.name}. {url} "
        f"(accessed {ACCESSED_PLACEHOLDER})."
    )


# ---------------------------------------------------------------- suppression


def below(threshold: int) -> str:
    """How a suppressed value is shown: "<5"."""
    return f"<{threshold}"


def withheld_text(threshold: int) -> str:
    return f"fewer than {threshold} councils"


def is_small(value, threshold: int) -> bool:
    """A count above zero and below the threshold: a number that might identify people."""
    number = _decimal(value)
    return number is not None and 0 < number < threshold


def suppress_count(value, low, high, threshold: int) -> tuple:
    """One council's answer to a count question as published: (value, low, high). A value
    above zero and below the threshold, or a range above zero whose top is below it, becomes
    "<threshold" with no bounds; anything else is as given."""
    if value is not None and not isinstance(value, str | bool):
        return (below(threshold), None, None) if is_small(value, threshold) else (value, low, high)
    if isinstance(value, str) and _decimal(value) is not None:
        return (below(threshold), None, None) if is_small(value, threshold) else (value, low, high)
    high_number = _decimal(high)
    if high_number is not None and 0 < high_number < threshold:
        return (below(threshold), None, None)
    return (value, low, high)


def group_withheld(n: int, threshold: int) -> bool:
    """A group (all councils, a region, a type) whose base is below the threshold is withheld."""
    return n < threshold


def suppression_statement(threshold: int) -> str:
    return (
        f"Small numbers are suppressed. A council's figure for a count (a number of people, cases or "
        f"the like) above zero and below {threshold} is shown as “{below(threshold)}” wherever one "
        f"council's figure appears: the data set, the largest cuts, and a group's minimum and maximum. "
        f"Any figure for a group of councils (all councils, a region or a council type) based on "
        f"{withheld_text(threshold)} is withheld. Money, percentages and yes/no answers are not suppressed."
    )


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------- the report's figures, as published

GROUP_KEYS = ("group", "asked", "answers", "n")  # what a withheld group still shows: its base
COUNCIL_KEYS = ("group", "asked")


def _withhold(row: dict, keep: tuple[str, ...]) -> dict:
    out = {k: (v if k in keep else None) for k, v in row.items()}
    if "choices" in out:
        out["choices"] = {}
    out["withheld"] = True
    return out


def _figure_group(row: dict, qtype: str, threshold: int) -> dict:
    if group_withheld(row.get("n") or 0, threshold):
        return _withhold(row, GROUP_KEYS + ("code", "label", "type", "period", "pair_group", "by_region", "by_type"))
    out = dict(row, withheld=False)
    if qtype == "count":
        for key in ("min", "max"):
            if is_small(out.get(key), threshold):
                out[key] = below(threshold)
    return out


def _pair_group(row: dict, threshold: int) -> dict:
    if group_withheld(row.get("n") or 0, threshold):
        kept = GROUP_KEYS + ("before", "after", "by_region", "by_type", "top_cuts")
        out = _withhold(row, kept)
        if "distribution" in row:
            out["distribution"] = []
        return out
    return dict(row, withheld=False)


def _cut(cut: dict, qtype: str, threshold: int) -> dict:
    if qtype == "count" and (is_small(cut.get("before"), threshold) or is_small(cut.get("after"), threshold)):
        return dict(
            cut,
            before=below(threshold) if is_small(cut.get("before"), threshold) else cut.get("before"),
            after=below(threshold) if is_small(cut.get("after"), threshold) else cut.get("after"),
            change=None,
            change_pct=None,
            withheld=True,
        )
    return dict(cut, withheld=False)


def published_figures(data: dict, options: PublishOptions) -> dict:
    """The report's JSON (services.report.report_json) as published: the chosen questions and
    the pairs of two chosen questions only, small numbers suppressed (module docstring), no
    internal id, the suppression statement among the methodology's caveats."""
    t = options.threshold
    chosen = set(options.questions)
    all_codes = [q["code"] for q in data["questions"]]
    questions = []
    qtypes = {}
    for q in data["questions"]:
        if q["code"] not in chosen:
            continue
        qtypes[q["code"]] = q["type"]
        out = _figure_group(q, q["type"], t)
        out["by_region"] = [_figure_group(g, q["type"], t) for g in q["by_region"]]
        out["by_type"] = [_figure_group(g, q["type"], t) for g in q["by_type"]]
        questions.append(out)
    pairs = []
    for p in data["pairs"]:
        if p["before"] not in chosen or p["after"] not in chosen:
            continue
        qtype = qtypes[p["before"]]
        out = _pair_group(p, t)
        out["type"] = qtype
        out["by_region"] = [_pair_group(g, t) for g in p["by_region"]]
        out["by_type"] = [_pair_group(g, t) for g in p["by_type"]]
        out["top_cuts"] = [_cut(c, qtype, t) for c in p["top_cuts"]]
        pairs.append(out)
    responses = data["responses"]
    published_responses = _response_group(responses, t)
    published_responses["refused_by_exemption"] = list(responses["refused_by_exemption"])
    published_responses["by_region"] = [_response_group(g, t) for g in responses["by_region"]]
    published_responses["by_type"] = [_response_group(g, t) for g in responses["by_type"]]
    methodology = dict(data["methodology"] or {})
    if methodology:
        if len(questions) != len(all_codes):
            codes = ", ".join(q["code"] for q in questions) or "none"
            methodology["asked"] = (
                f"{len(questions)} of the campaign's {len(all_codes)} questions are published ({codes})."
            )
        methodology["caveats"] = [*methodology.get("caveats", []), suppression_statement(t)]
    return {
        "campaign": {"title": data["campaign"]["title"]},
        "generated_on": data["generated_on"],
        "responses": published_responses,
        "questions": questions,
        "pairs": pairs,
        "methodology": methodology or None,
    }


def _response_group(row: dict, threshold: int) -> dict:
    plain = {k: v for k, v in row.items() if k not in ("by_region", "by_type", "refused_by_exemption")}
    if group_withheld(row.get("asked") or 0, threshold):
        return _withhold(plain, COUNCIL_KEYS)
    return dict(plain, withheld=False)
