"""The report's methodology note: what was asked, of whom, when, the response rate and the
caveats, in words, from the report's own figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.regimes import REGIME_LABELS, Regime
from ..formatting import uk_date
from .report_display import show_percent

if TYPE_CHECKING:
    from .double_entry import DoubleEntryCounts
    from .report import Report


@dataclass
class Methodology:
    asked: str
    of_whom: str
    when: str
    response_rate: str
    caveats: list[str]
    double_entry: str = ""  # how many figures were entered twice (#17); "" when the campaign never used it


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def double_entry_statement(counts: DoubleEntryCounts | None) -> str:
    """ "N of M figures were entered twice by different people; K mismatches were settled." """
    if counts is None:
        return ""
    text = (
        f"{counts.entered_twice:,} of {_plural(counts.figures, 'figure')} "
        f"{'was' if counts.entered_twice == 1 else 'were'} entered twice by different people; "
        f"{_plural(counts.settled, 'mismatch', 'mismatches')} {'was' if counts.settled == 1 else 'were'} settled"
    )
    if counts.waiting:
        text += f"; {_plural(counts.waiting, 'mismatch', 'mismatches')} {'waits' if counts.waiting == 1 else 'wait'} to be settled"
    return text + "."


def methodology(report: Report, double_entry: DoubleEntryCounts | None = None) -> Methodology:
    """What was asked, of whom, when, the response rate and the caveats, in words; with the
    double entry's counts (services.double_entry), how many figures were entered twice."""
    o = report.responses.overall
    questions = report.question_infos
    if questions:
        periods = sorted({q.period_label for q in questions if q.period_label})
        asked = (
            f"{_plural(len(questions), 'question')} ({', '.join(q.code for q in questions)})"
            + (f", covering {', '.join(periods)}" if periods else "")
            + "."
        )
    else:
        asked = "No questions have been defined for this campaign yet."
    types = ", ".join(f"{g.councils} {g.label}" for g in sorted(report.responses.by_type, key=lambda g: -g.councils))
    regime = f"the {Regime(report.regime).act}" if report.regime in REGIME_LABELS else report.regime
    of_whom = (
        f"{_plural(o.councils, 'council')} were sent a request under {regime} (Scottish councils under "
        f"the Scottish equivalent)" + (f": {types}." if types else ".")
    )
    p = report.period
    if p.first_sent:
        sent = (
            f"on {uk_date(p.first_sent)}"
            if p.first_sent == p.last_sent
            else f"between {uk_date(p.first_sent)} and {uk_date(p.last_sent)}"
        )
        when = f"Requests were sent {sent}"
        when += (
            f"; the last response counted arrived on {uk_date(p.last_response)}"
            if p.last_response
            else "; no response has arrived yet"
        )
        when += f". Figures as recorded on {uk_date(report.generated_on)}."
    else:
        when = "No request has been sent yet."
    rate = o.response_rate
    response_rate = (
        f"{_plural(o.answered, 'request')} answered out of {o.sent:,} sent"
        + (f" ({show_percent(rate)})" if rate is not None else "")
        + f"; {o.on_time:,} on time and {o.late:,} late; {o.refused:,} refused, "
        f"{o.not_held:,} said the information was not held, {o.outstanding:,} still outstanding."
    )
    caveats = [
        "Every table states its base: n is the number of councils whose figure is counted. Councils that did "
        "not answer a question, or answered that the information is not held, not collected or exempt, are not "
        "counted as zero; they are shown in their own columns.",
    ]
    estimates = sum(q.overall.estimates for q in report.questions)
    if estimates:
        caveats.append(
            f"{_plural(estimates, 'figure')} {'is an estimate' if estimates == 1 else 'are estimates'} "
            "given by the council; they are counted and flagged in every table."
        )
    suppressed = sum(q.overall.suppressed for q in report.questions)
    if suppressed:
        caveats.append(
            f"{_plural(suppressed, 'figure')} {'was' if suppressed == 1 else 'were'} suppressed by the "
            "council as a small number (such as “fewer than 5”); they are left out of n, totals, means "
            "and medians, and counted as “suppressed”."
        )
    if report.pairs:
        caveats.append(
            "Changes compare only the councils that gave both figures. The percentage change is "
            "sum-based (the change in the total over the total before), not the average of the "
            "councils' own percentages; the median change is of the councils' own percentages, over "
            "those with a figure above zero before."
        )
    caveats.extend(report.unpaired)
    if p.requests > p.councils:
        extra = p.requests - p.councils
        caveats.append(
            f"{extra:,} more request{'' if extra == 1 else 's'} than councils: some councils were sent "
            "more than one request, and each request's figures are counted."
        )
    caveats.append(
        "Money is rounded to the penny and other figures to six decimal places after adding up; "
        "quartiles are interpolated (the method of Excel's QUARTILE.INC)."
    )
    return Methodology(asked, of_whom, when, response_rate, caveats, double_entry_statement(double_entry))
