"""A figure from a cell of a council's file (#17): parsed as the entry grid parses typed values,
with what files add, and the file's unit applied exactly where it applies."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fointracker.domain.figures import (
    AnswerState,
    FigureError,
    QuestionType,
    check_storable,
    figure_from_cell,
    parse_answer,
)
from fointracker.domain.units import UNITS

THOUSANDS, MILLIONS = UNITS["thousands"], UNITS["millions"]


@pytest.mark.parametrize(
    "text, unit, number",
    [
        ("(1,234)", None, -1234),
        ("-1,234", THOUSANDS, -1234000),
        ("£1,234.50", THOUSANDS, 1234500),
        ("£1,234.50", None, Decimal("1234.5")),
        ("1 234", None, 1234),
        ("1\u00a0234", None, 1234),
        ("£(1,234)", None, -1234),
        ("(£1,234)", MILLIONS, -1234000000),
        ("1234", UNITS["units"], 1234),
        ("-", THOUSANDS, 0),
        ("nil", THOUSANDS, 0),
        ("£1.2m", THOUSANDS, 1200000),  # states its own scale: not scaled again
        ("0.0005", THOUSANDS, Decimal("0.5")),
    ],
)
def test_money_cells(text, unit, number):
    assert figure_from_cell(QuestionType.MONEY, text, unit).number == Decimal(number)


def test_states_read_as_the_entry_grid_reads_them():
    assert figure_from_cell("money", "n/a", THOUSANDS).state is AnswerState.NOT_APPLICABLE
    assert figure_from_cell("count", "Not held", None).state is AnswerState.NOT_HELD
    estimate = figure_from_cell("money", "c. 40", THOUSANDS)
    assert (estimate.state, estimate.number) == (AnswerState.ESTIMATE, 40000)


def test_the_unit_never_applies_to_percentages_yes_no_or_text():
    assert figure_from_cell("percentage", "12.5%", THOUSANDS).number == Decimal("12.5")
    assert figure_from_cell("yes_no", "Yes", MILLIONS).boolean is True
    assert figure_from_cell("text", "About 1,000", THOUSANDS).text == "About 1,000"


def test_counts_and_decimals_are_scaled_and_counts_stay_whole():
    assert figure_from_cell("count", "1.5", THOUSANDS).number == 1500
    assert figure_from_cell("decimal", "2.25", MILLIONS).number == 2250000
    with pytest.raises(FigureError, match="whole number"):
        figure_from_cell("count", "1.2345", THOUSANDS)
    with pytest.raises(FigureError, match="cannot be negative"):
        figure_from_cell("count", "(3)", THOUSANDS)
    with pytest.raises(FigureError, match="cannot be negative"):
        figure_from_cell("count", "(3)", None)


def test_errors_are_figure_errors():
    for text in ("", "see note", "1,23,4", "£12 for count"):
        with pytest.raises(FigureError):
            figure_from_cell("count", text, THOUSANDS)
    with pytest.raises(FigureError, match="too large|significant"):
        figure_from_cell("money", "999,999,999,999,999", MILLIONS)


@given(st.sampled_from(list(QuestionType)), st.text(max_size=60), st.sampled_from([None, *UNITS.values()]))
def test_figure_from_cell_raises_only_figure_errors_and_results_are_storable(qtype, text, unit):
    try:
        parsed = figure_from_cell(qtype, text, unit)
    except FigureError:
        return
    assert check_storable(parsed) is parsed


@given(
    st.sampled_from([QuestionType.MONEY, QuestionType.DECIMAL, QuestionType.COUNT]),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(list(UNITS.values())),
)
def test_a_unit_multiplies_exactly(qtype, whole, places, unit):
    value = Decimal(whole).scaleb(-places)
    if qtype is QuestionType.COUNT:
        value = abs(value)
    text = f"({abs(value):,f})" if value < 0 else f"{value:,f}"
    try:
        parsed = figure_from_cell(qtype, text, unit)
    except FigureError:  # a count not whole once scaled, or beyond what is stored
        assert qtype is QuestionType.COUNT or len(str(abs(value * unit.multiplier)).replace(".", "")) > 15
        return
    assert parsed.number == value * unit.multiplier
    typed = parse_answer(QuestionType.DECIMAL, text)
    assert parsed.number == typed.number * unit.multiplier
