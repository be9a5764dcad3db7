"""The unit a council's headings state (#17)."""

from decimal import Decimal

import pytest

from fointracker.domain.units import UNITS, apply_unit, detect_unit, unit_for_code, unit_in


@pytest.mark.parametrize(
    "text",
    ["£000s", "£'000", "£000", "(£000)", "£k", "£ thousands", "in thousands", "Net Budget 2010/11 (£000s)", "£ '000"],
)
def test_thousands(text):
    assert unit_in(text) is UNITS["thousands"]


@pytest.mark.parametrize("text", ["£m", "£ millions", "£million", "Revenue budget (£m)", "figures in millions"])
def test_millions(text):
    assert unit_in(text) is UNITS["millions"]


@pytest.mark.parametrize(
    "text", ["£1,000", "2000", "£5m", "2000s", "£1000", "Budget", "Net budget 2010/11", "", "x" * 300]
)
def test_a_value_or_plain_heading_states_no_unit(text):
    assert unit_in(text) is None


def test_the_first_heading_that_states_a_unit_wins():
    assert detect_unit(["Council", "£1,000", "(£m)", "£000s"]) is UNITS["millions"]
    assert detect_unit(["2000", "Total"]) is None


def test_apply_unit_is_exact_and_codes_round_trip():
    assert apply_unit(Decimal("1.234"), UNITS["thousands"]) == Decimal("1234")
    assert apply_unit(Decimal("0.1"), UNITS["millions"]) == Decimal("100000")
    assert apply_unit(Decimal("7"), None) == Decimal("7")
    assert unit_for_code("thousands") is UNITS["thousands"] and unit_for_code("") is None
