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


def template_problems(template: str) -> list[str]:
    """Everything wrong with a letter template, as sentences for the form."""
    problems = []
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as exc:
        return [f"the braces do not match ({exc}); write {{{{ and }}}} for a literal brace"]
    for field in fields:
        if field == "":
            problems.append("an empty placeholder {} — name one of: " + ", ".join(PLACEHOLDERS))
        elif field not in PLACEHOLDERS:
            problems.append(
                f"unknown placeholder {{{field}}} — use one of: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            )
    return problems


def render_letter(template: str, values: Mapping[str, str]) -> str:
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    return template.format_map(dict(values))
