"""Per-question charts of the report: how a numeric question's figures are spread (a histogram
of nice bins), and a yes/no question's answers by region. SVG text from fointracker.charts;
the report page, its file and the question's own page draw the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from ..charts import value_histogram, yes_no_bars
from ..domain.distribution import bin_label, nice_bins
from ..domain.figures import QuestionType
from ..domain.report_statistics import VALUE_STATES, group_label
from .report_answers import QuestionInfo

HISTOGRAM_TYPES = frozenset({QuestionType.MONEY, QuestionType.COUNT, QuestionType.PERCENTAGE, QuestionType.DECIMAL})


def has_distribution(info: QuestionInfo) -> bool:
    return QuestionType(info.qtype) in HISTOGRAM_TYPES


def distribution_chart(info: QuestionInfo, values: Sequence[Decimal], chart_id: str) -> str:
    """A histogram of the counted figures of a numeric question."""
    bins = nice_bins(values, whole=info.qtype == QuestionType.COUNT.value)
    width = (
        f"; bins of {bin_label(bins[0], info.qtype)} and so on, each holding its lower edge" if len(bins) > 1 else ""
    )
    return value_histogram(
        f"Distribution: {info.title}",
        [(bin_label(b, info.qtype), b.count) for b in bins],
        f"Councils by their figure for {info.title}; n = {len(values):,} councils with a figure{width}",
        chart_id,
    )


def yes_no_chart(info: QuestionInfo, groups: Iterable[tuple[str, int, int]], chart_id: str) -> str:
    """Yes and no answers by region: (region, yes, no) rows, regions with neither left out."""
    rows = [(label, yes, no) for label, yes, no in groups if yes + no]
    n = sum(yes + no for _l, yes, no in rows)
    return yes_no_bars(
        f"{info.title}: yes and no by region",
        rows,
        f"Yes and no answers by region; n = {n:,} councils answering yes or no",
        chart_id,
    )


def figures_of(rows: Iterable) -> list[Decimal]:
    """The counted figures of per-council answer rows (services.report_answers.question_council_rows)."""
    return [Decimal(r.value_number) for r in rows if r.state in VALUE_STATES and r.value_number is not None]


def yes_no_by_region(rows: Iterable) -> list[tuple[str, int, int]]:
    """(region, yes, no) from per-council answer rows, in region order."""
    yes, no = Counter(), Counter()
    for r in rows:
        if r.state in VALUE_STATES and r.value_bool is not None:
            (yes if r.value_bool else no)[group_label(r.region)] += 1
    return [(label, yes[label], no[label]) for label in sorted(set(yes) | set(no))]


def question_charts(info: QuestionInfo, rows: Sequence) -> dict[str, str]:
    """The charts of one question from its per-council rows (the question's own page)."""
    charts = {}
    values = figures_of(rows)
    if has_distribution(info) and values:
        charts["distribution"] = distribution_chart(info, values, f"chart-distribution-{info.code}")
    if info.qtype == QuestionType.YES_NO.value:
        groups = yes_no_by_region(rows)
        if groups:
            charts["yes_no"] = yes_no_chart(info, groups, f"chart-yes-no-{info.code}")
    return charts
