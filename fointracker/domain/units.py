"""The unit a council's figures are in (#17): "£000s" above a column means 1,234 is £1,234,000.
(First cut: helper T completes it.)"""

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

_THOUSANDS = re.compile(r"£\s?'?000s?\b|£k\b|\bthousands?\b|\(£000\)", re.IGNORECASE)
_MILLIONS = re.compile(r"£\s?m\b|£\s?millions?\b|\bmillions\b", re.IGNORECASE)


def detect_unit(texts: Iterable[str]) -> Unit | None:
    """The unit the first heading that states one names, or None."""
    for text in texts:
        if not text or len(text) > 200:
            continue
        if _THOUSANDS.search(text):
            return UNITS["thousands"]
        if _MILLIONS.search(text):
            return UNITS["millions"]
    return None


def apply_unit(value: Decimal, unit: Unit | None) -> Decimal:
    return value if unit is None else value * unit.multiplier
