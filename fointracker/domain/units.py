"""The unit a council's figures are in (#17): "£000s" above a column means 1,234 is £1,234,000.

A heading states a unit in many ways: "£000s", "£'000", "(£000)", "£k", "£ thousands", "in
thousands", "£m", "£ millions", "£million". A value is not a unit: "£1,000", "2000" and "£5m"
state an amount, not a scale. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Unit:
    code: str  # "units", "thousands", "millions" (answer.source_unit, attachment.figures_unit)
    label: str  # "£", "£000s", "£m"
    multiplier: Decimal


UNITS = {
    "units": Unit("units", "as shown", Decimal(1)),
    "thousands": Unit("thousands", "thousands (£000s)", Decimal(1000)),
    "millions": Unit("millions", "millions (£m)", Decimal(1_000_000)),
}

# "£" then nothing but an optional space/apostrophe before "000": "£1,000" has a digit first.
# "000s" alone must not follow a digit or separator ("2000s", "1,000").
_THOUSANDS = re.compile(
    r"(?:£|gbp)\s*'?\s*000'?s?(?![\d,.])"
    r"|(?<![\w,.'])'?000'?s\b"
    r"|£\s*k\b"
    r"|(?:£|gbp|\bin|\bof)\s*thousands?\b",
    re.IGNORECASE,
)
_MILLIONS = re.compile(
    r"£\s*m\b"
    r"|£\s*mn\b"
    r"|(?:£|gbp|\bin|\bof)\s*millions?\b",
    re.IGNORECASE,
)
MAX_HEADING = 200  # a longer cell is prose, not a heading


def unit_in(text: str | None) -> Unit | None:
    """The unit one heading's text states, or None."""
    if not text or len(text) > MAX_HEADING:
        return None
    # Every pattern needs one of these: most cells are skipped without the regular expressions
    # (bench_mappings: a sheet's first columns are searched for their unit, thousands of cells).
    if "£" not in text and "000" not in text:
        lowered = text.lower()
        if "thousand" not in lowered and "million" not in lowered:
            return None
    thousands, millions = _THOUSANDS.search(text), _MILLIONS.search(text)
    if thousands and (not millions or thousands.start() <= millions.start()):
        return UNITS["thousands"]
    return UNITS["millions"] if millions else None


def detect_unit(texts: Iterable[str]) -> Unit | None:
    """The unit the first heading that states one names, or None."""
    for text in texts:
        unit = unit_in(text)
        if unit is not None:
            return unit
    return None


def unit_for_code(code: str | None) -> Unit | None:
    """A stored unit code ("thousands") back to its Unit; None for blank or unknown."""
    return UNITS.get((code or "").strip().lower())


def apply_unit(value: Decimal, unit: Unit | None) -> Decimal:
    """`value` scaled by the unit, exactly (Decimal arithmetic, no float)."""
    return value if unit is None else value * unit.multiplier
