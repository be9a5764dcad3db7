"""The bins of a question's histogram: nice widths, every figure in exactly one bin."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fointracker.charts import value_histogram, yes_no_bars
from fointracker.domain.distribution import Bin, bin_label, compact_number, nice_bins, nice_step

D = Decimal
figures = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


def is_nice(step: Decimal) -> bool:
    mantissa = step.scaleb(-step.adjusted()).normalize()
    return mantissa in (D(1), D(2), D("2.5"), D(5))


@given(st.lists(figures, min_size=1, max_size=300))
def test_every_figure_is_in_exactly_one_bin_of_a_nice_width(values):
    bins = nice_bins(values)
    assert sum(b.count for b in bins) == len(values)
    assert all(a.high == b.low for a, b in zip(bins, bins[1:]))  # contiguous
    if len(set(values)) == 1:
        assert bins == [Bin(values[0], values[0], len(values))]
        return
    step = bins[0].high - bins[0].low
    assert is_nice(step) and all(b.high - b.low == step for b in bins)
    assert 1 <= len(bins) <= 9  # 8 widths cover the span; starting on a multiple of the width can take one more
    assert bins[0].low <= min(values) < bins[0].high and bins[-1].low < max(values) <= bins[-1].high
    for value in values:
        holding = [i for i, b in enumerate(bins) if b.low <= value < b.high or (i == len(bins) - 1 and value == b.high)]
        assert len(holding) == 1
        assert bins[holding[0]].count > 0


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=100))
def test_counts_get_whole_bins(values):
    bins = nice_bins([D(v) for v in values], whole=True)
    if len(set(values)) == 1:
        return  # one bin of width zero: the value
    assert all((b.high - b.low) >= 1 and b.low == b.low.to_integral_value() for b in bins)


def test_bins_of_budgets():
    bins = nice_bins([D(v) for v in ("10000000", "20000000", "50000000", "100000000")])
    assert [bin_label(b, "money") for b in bins] == [
        "£0 to £20m",
        "£20m to £40m",
        "£40m to £60m",
        "£60m to £80m",
        "£80m to £100m",
    ]
    assert [b.count for b in bins] == [1, 1, 1, 0, 1]  # £100m, on the last edge, is in the last bin
    assert nice_step(D(9)) == D(2) and nice_step(D(18)) == D("2.5") and nice_step(D(0)) == D(1)


def test_compact_numbers():
    assert compact_number(D("2500000"), "money") == "£2.5m"
    assert compact_number(D("-500"), "money") == "−£500"
    assert compact_number(D("12000"), "count") == "12,000"
    assert compact_number(D("3000000"), "count") == "3m"
    assert compact_number(D("12.5"), "percentage") == "12.5%"


def test_the_charts_state_every_value_and_escape_labels():
    svg = value_histogram("<Distribution>", [("£0 to £20m", 3), ("£20m to £40m", 1)], "n = 4", "c1")
    assert "£0 to £20m: 3; £20m to £40m: 1" in svg and "&lt;Distribution&gt;" in svg and "style=" not in svg
    bars = yes_no_bars("EIA by region", [("East & <West>", 3, 1), ("London", 0, 2)], "n = 6", "c2")
    assert "East &amp; &lt;West&gt;: 3 yes, 1 no (75% yes); London: 0 yes, 2 no (0% yes)" in bars
    assert bars.count('fill="#0b5f8a"') == 2 and bars.count('fill="#e08a00"') == 3  # two legend swatches, three bars
