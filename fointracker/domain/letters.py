"""Request letters: a campaign's template with placeholders filled per council. Pure module."""

from __future__ import annotations

import string
from collections.abc import Mapping

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


def template_problems(template: str) -> list[str]:
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
    names = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    for field, spec, conversion in fields:
        written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if field == "":
            problems.append("an empty placeholder {} — name one of: " + ", ".join(PLACEHOLDERS))
        elif field not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {written} — use one of: {names}")
        elif spec or conversion:
            problems.append(
                f"{written}: a placeholder is just its name in braces, {{{field}}} "
                "(no format after a colon or exclamation mark)"
            )
    return list(dict.fromkeys(problems))


def render_letter(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value; LetterTemplateError for a
    template the rules above refuse (one stored before them), never a half-filled letter."""
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    problems = template_problems(template)
    if problems:
        raise LetterTemplateError("; ".join(problems))
    return "".join(
        literal + ("" if field is None else str(values[field]))
        for literal, field, _, _ in string.Formatter().parse(template)
    )
