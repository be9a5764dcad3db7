"""Figures as people write them: worked examples, errors, and properties (hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fointracker.domain.figures import (
    MAX_DECIMAL_PLACES,
    MAX_SIGNIFICANT_DIGITS,
    AnswerState,
    FigureError,
    ParsedAnswer,
    QuestionType,
    check_storable,
    describe_answer,
    format_number,
    parse_answer,
    parse_state,
    stored_number,
)

D = Decimal
P, E = AnswerState.PROVIDED, AnswerState.ESTIMATE


def _assert_exact(parsed: ParsedAnswer):
    for value in (parsed.number, parsed.low, parsed.high):
        assert value is None or type(value) is Decimal  # never a float


# (question type, as written, expected number)
NUMBERS = [
    ("money", "£1,234,567", D("1234567")),
    ("money", "1.2m", D("1200000")),
    ("money", "£3.4bn", D("3400000000")),
    ("percentage", "12%", D("12")),
    ("decimal", "12.5", D("12.5")),
    ("money", "£1,234,567.89", D("1234567.89")),
    ("money", "1234567", D("1234567")),
    ("money", "£ 2.5 million", D("2500000")),
    ("money", "250k", D("250000")),
    ("money", "£1.5 bn", D("1500000000")),
    ("money", "\u00a3750", D("750")),
    ("money", "0.1m", D("100000")),
    ("count", "1,200", D("1200")),
    ("count", "0", D("0")),
    ("percentage", "12.5 %", D("12.5")),
    ("percentage", "0.25", D("0.25")),
    ("decimal", "3.141592", D("3.141592")),
    ("money", "(1,000)", D("-1000")),  # accounting negative
    ("money", "(£2.5m)", D("-2500000")),
    ("money", "-£500", D("-500")),
    ("money", "\u22122.5m", D("-2500000")),  # a typographic minus
    ("percentage", "-3.5%", D("-3.5")),
]


@pytest.mark.parametrize("qtype,raw,expected", NUMBERS)
def test_numbers_as_people_write_them(qtype, raw, expected):
    parsed = parse_answer(qtype, raw)
    assert parsed.state is P
    assert parsed.number == expected
    _assert_exact(parsed)
    assert "E" not in str(parsed.number)  # 1.2m is 1200000, not 1.2E+6


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("c. 40", D(40)),
        ("c.40", D(40)),
        ("circa 1,200", D(1200)),
        ("approx. 30", D(30)),
        ("about 12", D(12)),
        ("~7", D(7)),
        ("est. 99", D(99)),
        ("Approximately 3", D(3)),
        ("estimated 5", D(5)),
        ("around 1.5k", D(1500)),
    ],
)
def test_estimates(raw, expected):
    # "approximately" and "estimated" once lost their start to the shorter "approx" and "est".
    parsed = parse_answer("count", raw)
    assert (parsed.state, parsed.number) == (E, expected)
    assert parse_answer("money", "c. £1.2m") == ParsedAnswer(E, number=D(1200000))


@pytest.mark.parametrize(
    "qtype,raw,low,high",
    [
        ("count", "<5", 0, 4),
        ("count", "< 5", 0, 4),
        ("count", "fewer than 10", 0, 9),
        ("count", "less than 3", 0, 2),
        ("count", "<=5", 0, 5),
        ("count", "≤5", 0, 5),
        ("money", "<£1,000", 0, 1000),
        ("percentage", "<1%", 0, 1),
    ],
)
def test_suppressed_small_numbers_are_a_range_not_text(qtype, raw, low, high):
    parsed = parse_answer(qtype, raw)
    assert parsed.number is None and (parsed.low, parsed.high) == (D(low), D(high))
    assert parsed.text == ""
    _assert_exact(parsed)


def test_an_estimated_suppressed_value():
    assert parse_answer("count", "c. <5") == ParsedAnswer(E, low=D(0), high=D(4))


@pytest.mark.parametrize(
    "raw,state",
    [
        ("not held", AnswerState.NOT_HELD),
        ("Information not held", AnswerState.NOT_HELD),
        ("Not collected", AnswerState.NOT_COLLECTED),
        ("we do not collect this", AnswerState.NOT_COLLECTED),
        ("refused", AnswerState.REFUSED),
        ("Exempt", AnswerState.REFUSED),
        ("N/A", AnswerState.NOT_APPLICABLE),
        ("not applicable", AnswerState.NOT_APPLICABLE),
    ],
)
def test_state_words_in_place_of_a_value(raw, state):
    for qtype in QuestionType:
        assert parse_answer(qtype, raw) == ParsedAnswer(state)


def test_a_state_given_separately():
    assert parse_answer("money", "", None, "not_held") == ParsedAnswer(AnswerState.NOT_HELD)
    assert parse_answer("money", "", None, AnswerState.REFUSED) == ParsedAnswer(AnswerState.REFUSED)
    assert parse_answer("money", "not held", None, "not held") == ParsedAnswer(AnswerState.NOT_HELD)
    assert parse_answer("count", "40", None, "estimate") == ParsedAnswer(E, number=D(40))
    assert parse_answer("count", "40", None, "provided") == ParsedAnswer(P, number=D(40))


def test_yes_no_choice_and_text():
    assert parse_answer("yes_no", "Yes").boolean is True
    assert parse_answer("yes_no", "n").boolean is False
    assert parse_answer("choice", "partly", ["Yes", "No", "Partly"]).text == "Partly"  # the list's spelling
    assert parse_answer("text", "  We cut two posts.  ").text == "We cut two posts."
    # Estimate words belong to numbers; text keeps them.
    assert parse_answer("text", "About half were cut") == ParsedAnswer(P, text="About half were cut")
    assert parse_answer("count", "1.5k").number == D(1500)  # a whole number, however written


@pytest.mark.parametrize(
    "qtype,raw,state,message",
    [
        ("money", "abc", None, "'abc' is not a number"),
        ("money", "1,23,4", None, "is not a number"),
        ("money", "1.2.3", None, "is not a number"),
        ("money", "£", None, "is not a number"),
        ("money", "", None, "no value given"),
        ("money", "   ", "provided", "no value given"),
        ("count", "£12", None, "a £ sign on a question that is not about money"),
        ("money", "12%", None, "a % sign on a question that is not a percentage"),
        ("percentage", "5m", None, "a percentage cannot be in thousands or millions"),
        ("count", "-3", None, "a count cannot be negative"),
        ("count", "(3)", None, "a count cannot be negative"),
        ("count", "2.5", None, "a count is a whole number"),
        ("count", "<0", None, "nothing is below zero"),
        ("yes_no", "maybe", None, "answer yes or no"),
        ("choice", "Other", None, "is not one of the choices: Yes, No"),
        ("money", "12", "not_held", "a “not held” answer has no value, but '12' was given"),
        ("money", "12", "bogus", "'bogus' is not an answer state"),
        ("text", "x" * 2001, None, "longer than 2000 characters"),
        ("money", "12 quid", None, "is not a number"),
    ],
)
def test_bad_values_are_refused_with_the_reason(qtype, raw, state, message):
    with pytest.raises(FigureError) as caught:
        parse_answer(qtype, raw, ["Yes", "No"], state)
    assert message in str(caught.value)


def test_parse_state_words():
    assert parse_state("") is None and parse_state(None) is None and parse_state("  ") is None
    assert parse_state("Provided") is AnswerState.PROVIDED
    assert parse_state("estimated") is AnswerState.ESTIMATE
    assert parse_state("Not  Held") is AnswerState.NOT_HELD
    assert parse_state("not_collected") is AnswerState.NOT_COLLECTED
    assert parse_state("n/a") is AnswerState.NOT_APPLICABLE
    assert parse_state("exempt") is AnswerState.REFUSED
    with pytest.raises(FigureError, match="'perhaps' is not an answer state"):
        parse_state("perhaps")


@pytest.mark.parametrize(
    "raw,message",
    [
        ("1234567890123456", "more than 15 significant digits"),
        ("0.0000001", "more than 6 decimal places"),
        ("1000000000000000000000", "too large to store"),
    ],
)
def test_numbers_that_would_not_be_stored_exactly_are_refused(raw, message):
    with pytest.raises(FigureError, match=message):
        check_storable(parse_answer("decimal", raw))


def test_describe_answer():
    assert describe_answer("money", "provided", D("1234567.890000")) == "£1,234,567.89"
    assert describe_answer("money", "estimate", D("3400000000")) == "c. £3,400,000,000"
    assert describe_answer("count", "provided", low=D(0), high=D(4)) == "0 to 4 (suppressed)"
    assert describe_answer("percentage", "provided", D("12.5")) == "12.5%"
    assert describe_answer("yes_no", "provided", boolean=False) == "No"
    assert describe_answer("money", "not_collected") == "Not collected"


# --- properties ------------------------------------------------------------------


def _decimals(places: int, max_value=10**12):
    return st.decimals(min_value=0, max_value=max_value, places=places, allow_nan=False, allow_infinity=False)


any_amount = st.integers(0, 4).flatmap(_decimals)


@settings(max_examples=300)
@given(value=any_amount, pound=st.booleans(), negative=st.sampled_from(["", "-", "()"]))
def test_any_amount_with_separators_and_pound_sign_parses_back_exactly(value, pound, negative):
    text = f"{value:,f}"
    text = ("£" if pound else "") + text
    if negative == "-":
        text = "-" + text
    elif negative == "()":
        text = f"({text})"
    parsed = parse_answer("money", text)
    expected = -value if negative else value
    assert parsed.number == expected and type(parsed.number) is Decimal


@settings(max_examples=300)
@given(
    value=any_amount,
    suffix=st.sampled_from([("m", 6), ("bn", 9), ("k", 3), (" million", 6), (" billion", 9)]),
    pound=st.booleans(),
)
def test_any_amount_in_millions_or_billions_parses_back_exactly(value, suffix, pound):
    word, power = suffix
    text = ("£" if pound else "") + f"{value:,f}" + word
    parsed = parse_answer("money", text)
    assert parsed.number == value.scaleb(power) and type(parsed.number) is Decimal
    assert "E" not in str(parsed.number)


@settings(max_examples=200)
@given(value=_decimals(2, 10**13), qtype=st.sampled_from(["money", "decimal", "percentage"]))
def test_what_format_number_shows_parses_back_to_the_same_number(value, qtype):
    assert parse_answer(qtype, format_number(value, qtype)).number == value


@settings(max_examples=300)
@given(digits=st.integers(1, MAX_SIGNIFICANT_DIGITS), places=st.integers(0, MAX_DECIMAL_PLACES), data=st.data())
def test_storable_numbers_survive_sqlites_float_round_trip(digits, places, data):
    """SQLite returns Numeric(24, 6) through a float ('%.6f'); stored_number recovers the value."""
    places = min(places, digits)
    unscaled = data.draw(st.integers(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))
    value = Decimal(unscaled).scaleb(-places)
    check_storable(ParsedAnswer(P, number=value))
    from_sqlite = Decimal(f"{float(value):.6f}")
    assert stored_number(from_sqlite) == value
    assert stored_number(value) == value
