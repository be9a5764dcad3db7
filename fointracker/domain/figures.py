"""Figures as councils and campaigners write them, parsed exactly. Pure module.

"£1,234,567", "1.2m", "£3.4bn", "12%", "12.5", "(1,000)", "c. 40", "<5" all mean
something precise; the result is a Decimal (never a float), a range for suppressed
small numbers, or a clear error that says what was not understood.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


class QuestionType(str, enum.Enum):
    MONEY = "money"
    COUNT = "count"
    DECIMAL = "decimal"
    PERCENTAGE = "percentage"
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"

    @property
    def label(self) -> str:
        return {"money": "Money (GBP)", "yes_no": "Yes / no", "choice": "One of a list"}.get(
            self.value, self.value.capitalize()
        )

    @property
    def is_numeric(self) -> bool:
        return self in (QuestionType.MONEY, QuestionType.COUNT, QuestionType.DECIMAL, QuestionType.PERCENTAGE)


class AnswerState(str, enum.Enum):
    PROVIDED = "provided"
    ESTIMATE = "estimate"
    NOT_HELD = "not_held"
    NOT_COLLECTED = "not_collected"  # "we do not collect this": its own answer (README, "Figures and the report")
    REFUSED = "refused"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def has_value(self) -> bool:
        return self in (AnswerState.PROVIDED, AnswerState.ESTIMATE)


# Words that stand for a state when typed in the grid's value box or an import's value column
# (and also accepted in an import's state column): one mapping for both, read by state_word.
STATE_WORDS = {
    "not held": AnswerState.NOT_HELD,
    "information not held": AnswerState.NOT_HELD,
    "not collected": AnswerState.NOT_COLLECTED,
    "do not collect": AnswerState.NOT_COLLECTED,
    "we do not collect this": AnswerState.NOT_COLLECTED,
    "refused": AnswerState.REFUSED,
    "exempt": AnswerState.REFUSED,
    "n/a": AnswerState.NOT_APPLICABLE,
    "na": AnswerState.NOT_APPLICABLE,
    "not applicable": AnswerState.NOT_APPLICABLE,
}
# "Nil" in a council's return means none: zero, a figure like any other (counted and summed).
ZERO_WORDS = {"nil", "none"}
#: Answers are stored as Numeric(24, 6): at most 18 digits before the point and 6 after.
#: SQLite hands such a column back through a float, so beyond 15 significant digits a
#: value would not read back exactly: such values are refused with a clear error instead.
MAX_SIGNIFICANT_DIGITS = 15
MAX_DECIMAL_PLACES = 6
MAX_INTEGER_DIGITS = 18
_DECIMAL_DIGITS = 28  # the default decimal context's precision
MULTIPLIERS = {"k": 3, "thousand": 3, "m": 6, "mn": 6, "million": 6, "bn": 9, "b": 9, "billion": 9}
# Longest alternatives first: "approx" must not swallow the start of "approximately".
ESTIMATE_PREFIX = re.compile(
    r"^(approximately|approx\.?|circa|ca\.|c\.|about|around|estimated|estimate|est\.?|~)\s*", re.I
)
NUMBER = re.compile(r"^(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?$")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
MAX_TEXT = 2000


class FigureError(ValueError):
    """A value that could not be understood; the message says why, in words."""


def _key(text: str | None) -> str:
    """How a word is looked up: case, spacing and a closing full stop ignored ("Not  held.")."""
    return " ".join((text or "").split()).lower().rstrip(".").strip()


def state_word(text: str | None) -> AnswerState | None:
    """The state a word such as "not held", "n/a" or "refused" stands for, else None."""
    return STATE_WORDS.get(_key(text))


def _shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut short: a pasted 400-digit number is not echoed whole."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class ParsedAnswer:
    state: AnswerState
    number: Decimal | None = None
    low: Decimal | None = None  # a suppressed value: somewhere from low to high
    high: Decimal | None = None
    boolean: bool | None = None
    text: str = ""


def _number(text: str, qtype: QuestionType) -> Decimal:
    """A non-negative number with optional £, thousands commas, % and k/m/bn."""
    original = text
    text = text.strip().replace("\u00a3", "£")
    if text.startswith("£"):
        if qtype is not QuestionType.MONEY:
            raise FigureError(f"{original!r}: a £ sign on a question that is not about money")
        text = text[1:].strip()
    if text.endswith("%"):
        if qtype is not QuestionType.PERCENTAGE:
            raise FigureError(f"{original!r}: a % sign on a question that is not a percentage")
        text = text[:-1].strip()
    power = 0
    match = re.match(r"^(.*?)\s*([a-z]+)$", text, re.I)
    if match and match.group(2).lower() in MULTIPLIERS:
        if qtype is QuestionType.PERCENTAGE:
            raise FigureError(f"{original!r}: a percentage cannot be in thousands or millions")
        text, power = match.group(1), MULTIPLIERS[match.group(2).lower()]
    found = NUMBER.match(text.replace(" ", ""))
    if not found:
        raise FigureError(f"{_shown(original)} is not a number (write e.g. 1234567, 1,234,567, 1.2m or £3.4bn)")
    whole, fraction = found.group("int").replace(",", "").lstrip("0"), (found.group("frac") or "").rstrip("0")
    # Checked on the digits, before any arithmetic: Decimal keeps 28 digits, and quantizing
    # a longer number raises InvalidOperation (a 400-digit value was a 500). Shorter ones
    # parse, and check_storable gives the storage limits.
    if len(whole) + power > _DECIMAL_DIGITS:
        raise FigureError(
            f"{_shown(original)} is too large to store (at most {MAX_INTEGER_DIGITS} digits before the decimal point)"
        )
    if len(fraction) > _DECIMAL_DIGITS:
        raise FigureError(f"{_shown(original)} has more than {MAX_DECIMAL_PLACES} decimal places")
    try:
        value = Decimal((whole or "0") + ("." + fraction if fraction else ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise FigureError(f"{_shown(original)} is not a number") from None
    return value.scaleb(power) if power else value


def _tidy(value: Decimal) -> Decimal:
    """Exact, without a trailing exponent: 1.2m is 1200000, not 1.2E+6."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def parse_answer(
    qtype: QuestionType | str, raw: str, choices: list[str] | None = None, state: AnswerState | str | None = None
) -> ParsedAnswer:
    """Parse what someone typed for a question of `qtype`.

    `state` given: provided/estimate need a value; the other states take none (a value
    typed with them is an error). `state` not given: a state word ("not held", "n/a") or
    an estimate prefix ("c. 40") is recognised in `raw` itself.
    """
    qtype = QuestionType(qtype)
    text = (raw or "").strip()
    if state is not None and not isinstance(state, AnswerState):
        try:
            state = AnswerState(str(state).strip().lower().replace(" ", "_"))
        except ValueError:
            raise FigureError(
                f"{state!r} is not an answer state (one of: " + ", ".join(s.value for s in AnswerState) + ")"
            ) from None
    word = state_word(text)
    if state is None and word is not None:
        return ParsedAnswer(word)
    if state is not None and not state.has_value:
        if text and word is None:
            raise FigureError(f"a “{state.label.lower()}” answer has no value, but {_shown(text)} was given")
        return ParsedAnswer(state)
    if word is not None:  # "not held" typed, "provided" chosen: say which, not "not a number"
        raise FigureError(
            f"{_shown(text)} is the state “{word.label.lower()}”, but “{state.label.lower()}” was chosen: "
            "choose that state, or “From the value”"
        )
    estimate = state is AnswerState.ESTIMATE
    # Only numbers carry an estimate prefix: "About half were cut" is text, kept whole.
    prefix = ESTIMATE_PREFIX.match(text) if qtype.is_numeric else None
    if prefix:
        estimate, text = True, text[prefix.end() :]
    final_state = AnswerState.ESTIMATE if estimate else AnswerState.PROVIDED
    if not text:
        raise FigureError("no value given")

    if qtype is QuestionType.TEXT:
        if len(text) > MAX_TEXT:
            raise FigureError(f"the text is longer than {MAX_TEXT} characters")
        return ParsedAnswer(final_state, text=text)
    if qtype is QuestionType.YES_NO:
        word = text.lower()
        if word in YES or word in NO:
            return ParsedAnswer(final_state, boolean=word in YES)
        raise FigureError(f"{text!r}: answer yes or no")
    if qtype is QuestionType.CHOICE:
        for choice in choices or []:
            if choice.casefold() == text.casefold():
                return ParsedAnswer(final_state, text=choice)
        raise FigureError(f"{text!r} is not one of the choices: " + ", ".join(choices or []))

    # Numbers. Suppressed small numbers ("<5", "fewer than 5") are a range, not a value.
    if _key(text) in ZERO_WORDS:
        return ParsedAnswer(final_state, number=Decimal(0))
    suppressed = re.match(r"^(<=|≤|<|fewer than|less than)\s*(.+)$", text, re.I)
    if suppressed:
        bound = _number(suppressed.group(2), qtype)
        inclusive = suppressed.group(1) in ("<=", "≤")
        high = bound if inclusive or qtype is not QuestionType.COUNT else bound - 1
        if high < 0:
            raise FigureError(f"{text!r}: nothing is below zero")
        return ParsedAnswer(final_state, low=Decimal(0), high=_tidy(high))
    negative = False
    if text.startswith("(") and text.endswith(")"):  # accounting style
        negative, text = True, text[1:-1].strip()
    elif text.startswith("-") or text.startswith("\u2212"):
        negative, text = True, text[1:].strip()
    value = _number(text, qtype)
    if negative:
        if qtype is QuestionType.COUNT:
            raise FigureError(f"{raw.strip()!r}: a count cannot be negative")
        value = -value
    if qtype is QuestionType.COUNT and value != value.to_integral_value():
        raise FigureError(f"{raw.strip()!r}: a count is a whole number")
    return ParsedAnswer(final_state, number=_tidy(value))


def implied_state(qtype: QuestionType | str, raw: str, choices: list[str] | None = None) -> AnswerState | None:
    """The state `raw` gives by itself ("c. 40": estimate, "42": provided, "n/a": not
    applicable), or None if it gives none. A stored state equal to it was not chosen, so a
    form offers it as "from the value" and a corrected value brings its own state."""
    try:
        return parse_answer(qtype, raw, choices).state
    except FigureError:
        return None


def format_number(value: Decimal | None, qtype: QuestionType | str) -> str:
    """How a stored number is shown: £1,234,567 / 1,234 / 12.5%."""
    if value is None:
        return ""
    qtype = QuestionType(qtype)
    body = (
        f"{abs(value):,.2f}"
        if qtype is QuestionType.MONEY and value != value.to_integral_value()
        else f"{abs(value):,f}"
    )
    if "." in body:
        body = body.rstrip("0").rstrip(".")
    sign = "-" if value < 0 else ""
    if qtype is QuestionType.MONEY:
        return f"{sign}£{body}"
    if qtype is QuestionType.PERCENTAGE:
        return f"{sign}{body}%"
    return sign + body


# --- States as written, storage limits and descriptions (entry and import) ----------

_STATE_ALIASES = {
    "provided": AnswerState.PROVIDED,
    "given": AnswerState.PROVIDED,
    "answered": AnswerState.PROVIDED,
    "estimate": AnswerState.ESTIMATE,
    "estimated": AnswerState.ESTIMATE,
    "est": AnswerState.ESTIMATE,
}


def parse_state(text: str | None) -> AnswerState | None:
    """A state as written in a "state" column or chosen in a form.

    Blank means "work it out from the value" (None). Accepted: the state names
    ("provided", "estimate", "not_held", "not held" ...), the words of STATE_WORDS
    ("n/a", "exempt", "information not held" ...) and "estimated".
    """
    key = _key(text)
    if not key:
        return None
    if state_word(key) is not None:
        return state_word(key)
    if key in _STATE_ALIASES:
        return _STATE_ALIASES[key]
    try:
        return AnswerState(key.replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise FigureError(
            f"{text.strip()!r} is not an answer state (write one of: "
            + ", ".join(s.label.lower() for s in AnswerState)
            + ")"
        ) from None


def check_storable(parsed: ParsedAnswer) -> ParsedAnswer:
    """`parsed` unchanged, or FigureError if a number has more digits than are kept exactly."""
    for value in (parsed.number, parsed.low, parsed.high):
        if value is None:
            continue
        if not value:
            continue
        value = value.normalize()
        _sign, digits, exponent = value.as_tuple()
        if value.adjusted() >= MAX_INTEGER_DIGITS:
            raise FigureError(
                f"{format_number(value, QuestionType.DECIMAL)} is too large to store "
                f"(at most {MAX_INTEGER_DIGITS} digits before the decimal point)"
            )
        if -exponent > MAX_DECIMAL_PLACES:
            raise FigureError(f"{value:f} has more than {MAX_DECIMAL_PLACES} decimal places")
        if len(digits) > MAX_SIGNIFICANT_DIGITS:
            raise FigureError(
                f"{value:f} has more than {MAX_SIGNIFICANT_DIGITS} significant digits, more than is stored exactly"
            )
    return parsed


def stored_number(value: Decimal | None) -> Decimal | None:
    """A number as read back from the database, exact: SQLite returns Numeric columns via a
    float (e.g. 12345678901234.1 as 12345678901234.099609); values are stored with at most
    MAX_SIGNIFICANT_DIGITS, so rounding to that many recovers them."""
    if value is None:
        return None
    value = Decimal(value)
    if not value:
        return Decimal(0)
    shift = MAX_SIGNIFICANT_DIGITS - value.adjusted() - 1
    return _tidy(value.scaleb(shift).quantize(Decimal(1)).scaleb(-shift))


def describe_answer(
    qtype: QuestionType | str,
    state: AnswerState | str,
    number: Decimal | None = None,
    low: Decimal | None = None,
    high: Decimal | None = None,
    boolean: bool | None = None,
    text: str = "",
) -> str:
    """One answer in words: "£1,234,567", "c. 40", "0 to 4 (suppressed)", "Yes", "Not held"."""
    qtype, state = QuestionType(qtype), AnswerState(state)
    if not state.has_value:
        return state.label
    if number is not None:
        shown = format_number(stored_number(number), qtype)
    elif low is not None or high is not None:
        shown = (
            f"{format_number(stored_number(low), qtype)} to {format_number(stored_number(high), qtype)} (suppressed)"
        )
    elif boolean is not None:
        shown = "Yes" if boolean else "No"
    else:
        shown = text
    return f"c. {shown}" if state is AnswerState.ESTIMATE else shown


# --- A figure in a council's own file (#17) -------------------------------------------

# Spaces a spreadsheet or PDF puts between thousands ("1 234", "1 234"): read as plain spaces.
_FILE_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})
# A dash alone is how accounts show nil (a zero): "-", "–", "—".
_DASHES = {"-", "\u2013", "\u2014", "\u2212"}
# A cell that states its own scale ("£1.2m", "3k") is not scaled again by the sheet's unit.
_OWN_SCALE = re.compile(r"\d\s*(?:" + "|".join(sorted(MULTIPLIERS, key=len, reverse=True)) + r")\s*\)?$", re.I)
_SCALED_TYPES = (QuestionType.MONEY, QuestionType.COUNT, QuestionType.DECIMAL)


def figure_from_cell(qtype: QuestionType | str, text: str, unit=None) -> ParsedAnswer:
    """A cell's text from a council's file, parsed as the entry grid parses a typed value, with
    what files add: "£(1,234)" and "(£1,234)" (negative), non-breaking spaces between thousands,
    a dash alone for nil, and the sheet's `unit` (domain.units.Unit, or None) applied exactly to
    the numbers of money, count and decimal questions, never to percentages, yes/no, choices or
    text, nor to a cell that states its own scale ("£1.2m"). Raises FigureError only; the
    result passes check_storable."""
    qtype = QuestionType(qtype)
    cleaned = str(text or "").strip()
    if qtype.is_numeric:
        cleaned = " ".join(cleaned.translate(_FILE_SPACES).split())
    if len(cleaned) > MAX_TEXT:
        raise FigureError(f"the text is longer than {MAX_TEXT} characters")
    if qtype.is_numeric:
        if cleaned in _DASHES:
            return ParsedAnswer(AnswerState.PROVIDED, number=Decimal(0))
        money = re.fullmatch(r"[£\u00a3]\s*\((.*)\)", cleaned)
        if money:  # "£(1,234)": accounting negative with the sign outside
            cleaned = f"(£{money.group(1)})"
    scaled = unit is not None and unit.multiplier != 1 and qtype in _SCALED_TYPES and not _OWN_SCALE.search(cleaned)
    if not scaled:
        return check_storable(parse_answer(qtype, cleaned))
    # Parsed as a decimal first: "1.5" thousand people is a whole count of 1,500.
    parsed = parse_answer(QuestionType.DECIMAL if qtype is QuestionType.COUNT else qtype, cleaned)
    numbers = {name: getattr(parsed, name) for name in ("number", "low", "high")}
    scaled_numbers = {
        name: None if value is None else _tidy(value * unit.multiplier) for name, value in numbers.items()
    }
    if qtype is QuestionType.COUNT:
        for value in scaled_numbers.values():
            if value is not None and value < 0:
                raise FigureError(f"{_shown(cleaned)}: a count cannot be negative")
            if value is not None and value != value.to_integral_value():
                raise FigureError(f"{_shown(cleaned)} in {unit.label}: a count is a whole number")
    return check_storable(ParsedAnswer(parsed.state, text=parsed.text, boolean=parsed.boolean, **scaled_numbers))
