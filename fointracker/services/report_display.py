"""How the report prints its figures and answers: £1,234,567.50 / 1,234 / 12.5% / "<5" /
"Not held". Shared by the report page, its per-council tables, its files and its
methodology note."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ..domain.figures import AnswerState, QuestionType, format_number
from ..domain.provenance import source_text
from ..domain.report_statistics import MONEY_PLACES, VALUE_STATES


def show_figure(value: Decimal | None, qtype: str, derived: bool = False) -> str:
    """A figure as the report prints it: £1,234,567.50 / 1,234 / 12.5%. `derived` figures
    (means, medians, quartiles) of counts get one decimal place."""
    if value is None:
        return "–"
    qtype = QuestionType(qtype)
    if qtype is QuestionType.MONEY:
        places = Decimal(1) if abs(value) >= 1000 else MONEY_PLACES
    elif qtype is QuestionType.COUNT:
        places = Decimal("0.1") if derived else Decimal(1)
    elif qtype is QuestionType.PERCENTAGE:
        places = Decimal("0.1")
    else:
        places = Decimal("0.01")
    text = format_number(value.quantize(places, rounding=ROUND_HALF_UP), qtype)
    return "−" + text[1:] if text.startswith("-") else text  # a minus sign: no line break after it


def show_percent(value: Decimal | float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    value = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{abs(value):,}%"
    if value < 0:
        return "−" + text
    return ("+" + text) if signed and value > 0 else text


def answer_text(qtype: str, state: str | None, number, low, high, boolean, text: str, raw: str) -> str:
    """An answer in words, for tables: the figure, "<5"-style ranges, or the state."""
    if state is None:
        return ""
    if state in VALUE_STATES:
        if number is not None:
            return show_figure(Decimal(number), qtype)
        if high is not None:
            return raw or f"{Decimal(low).normalize():f} to {Decimal(high).normalize():f}"
        if boolean is not None:
            return "Yes" if boolean else "No"
        return text or raw
    return AnswerState(state).label


def source_of(row) -> str:
    """Where a per-council row's figure was taken from ('budget.xlsx, Budget!C7 “1,234” (£000s)'), "" if typed."""
    return source_text(
        row.source_document, row.source_sheet or "", row.source_cell or "", row.source_unit or "", row.raw or ""
    )
