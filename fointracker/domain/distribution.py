"""How a question's figures are spread: bins of a "nice" width (1, 2, 2.5 or 5 times a power
of ten) for the report's histograms, and short labels for their edges. Pure module.

Bins are half-open, [low, high), except the last, which also holds its upper edge: so every
figure is in exactly one bin, and a largest figure on an edge does not get a bin of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from .figures import QuestionType

TARGET_BINS = 8
NICE_MULTIPLES = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Bin:
    low: Decimal
    high: Decimal  # excluded, but for the last bin
    count: int


def nice_step(span: Decimal, target: int = TARGET_BINS) -> Decimal:
    """The smallest nice width that covers `span` in at most `target` bins."""
    if span <= 0:
        return Decimal(1)
    rough = span / target
    power = Decimal(1).scaleb(rough.adjusted())
    for multiple in NICE_MULTIPLES:
        if multiple * power >= rough:
            return multiple * power
    return 10 * power  # not reached: rough < 10 * power


def nice_bins(values: Sequence[Decimal], whole: bool = False, target: int = TARGET_BINS) -> list[Bin]:
    """`values` counted in bins of a nice width, from a multiple of it at or below the smallest
    to the largest (at most `target` + 1 bins: starting on a multiple can take one more); `whole`: figures are whole numbers (counts), so no bin is narrower than 1."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [Bin(low, high, len(values))]
    step = nice_step(high - low, target)
    if whole:
        step = max(step, Decimal(1)).to_integral_value(rounding=ROUND_CEILING)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    count = max(int(((high - start) / step).to_integral_value(rounding=ROUND_FLOOR)), 0) + 1
    if count > 1 and start + (count - 1) * step == high:
        count -= 1  # the largest figure is on the last edge: the bin below holds it
    counts = [0] * count
    for value in values:
        counts[min(int(((value - start) / step).to_integral_value(rounding=ROUND_FLOOR)), count - 1)] += 1
    return [Bin(start + i * step, start + (i + 1) * step, n) for i, n in enumerate(counts)]


_UNITS = ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"), (Decimal(10) ** 3, "k"))


def compact_number(value: Decimal, qtype: str) -> str:
    """A bin edge in few characters: £2.5m, £500k, 12,000, 12.5%."""
    qtype = QuestionType(qtype)
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    if qtype is QuestionType.PERCENTAGE:
        return f"{sign}{_plain(magnitude)}%"
    prefix = "£" if qtype is QuestionType.MONEY else ""
    for size, unit in _UNITS:
        if magnitude >= size and (qtype is QuestionType.MONEY or size > 10**3):
            return f"{sign}{prefix}{_plain(magnitude / size)}{unit}"
    return f"{sign}{prefix}{_plain(magnitude, grouped=True)}"


def _plain(value: Decimal, grouped: bool = False) -> str:
    text = f"{value:,f}" if grouped else f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bin_label(b: Bin, qtype: str) -> str:
    """ "£0 to £5m" for a bin; its upper edge is the next bin's lower edge (the note under the
    chart says so). A bin of width zero (every figure equal) is its value."""
    if b.low == b.high:
        return compact_number(b.low, qtype)
    return f"{compact_number(b.low, qtype)} to {compact_number(b.high, qtype)}"
