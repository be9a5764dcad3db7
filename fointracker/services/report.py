"""The campaign report: how councils responded, and what their figures add up to.

`build_report` reads, in a handful of statements whatever the size of the campaign:
- the campaign's questions, and when its requests went out (services.report_answers);
- how the requests went: `services.stats.campaign_statistics` (asked, answered on time or
  late, refused by exemption, not held, outstanding, median working days);
- the campaign's answers counted by question, council region and type and kind of answer
  (services.report_answers.counts_statement), their figures, once (figures_statement), and
  the councils asked (read_councils): domain.report_statistics computes every table from
  them, overall, by region and by type: counts by answer state, n, sum, mean, quartiles,
  before/after pairs, their change histogram, median change and largest cuts, exactly (its
  docstring says what counts and how).

Then the methodology note (services.report_methodology). One request is one council's
return: a council sent two requests in one campaign would count twice (the methodology
note says so when it happens).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from .. import clock
from ..collector import collector_paused
from ..domain.report_statistics import (
    ALL_COUNCILS,
    CHANGE_BINS,
    FIGURE_VALUE,
    VALUE_STATES,
    Cut,
    FigureStats,
    PairCouncilRow,
    PairStats,
    pair_figures,
    pair_rows,
    question_figures,
    round_percent,
)
from ..models import Campaign
from .double_entry import double_entry_counts
from .report_answers import (
    Period,
    QuestionInfo,
    campaign_questions,
    pair_heading,
    pairs_council_rows,
    question_pairs,
    read_councils,
    read_counts,
    read_figures,
    read_period,
)
from .report_display import answer_text, show_figure, show_percent
from .report_methodology import Methodology, methodology
from .stats import CampaignStats, GroupStats, campaign_statistics

__all__ = [  # what the report's pages, files and tests use, from here
    "CHANGE_BINS",
    "VALUE_STATES",
    "Cut",
    "FigureStats",
    "PairCouncilRow",
    "PairReport",
    "PairStats",
    "Period",
    "QuestionInfo",
    "QuestionReport",
    "Report",
    "answer_text",
    "build_report",
    "pair_council_rows",
    "report_json",
    "show_figure",
    "show_percent",
]


@dataclass
class QuestionReport:
    question: QuestionInfo
    overall: FigureStats
    by_region: list[FigureStats]
    by_type: list[FigureStats]
    figures: tuple = ()  # a numeric question's counted figures (Decimals), smallest first: its histogram


@dataclass
class PairReport:
    index: int
    before: QuestionInfo
    after: QuestionInfo
    overall: PairStats
    by_region: list[PairStats]
    by_type: list[PairStats]
    top_cuts: list[Cut]

    @property
    def qtype(self) -> str:
        return self.before.qtype

    @property
    def title(self) -> str:
        return pair_heading(self.before, self.after)


@dataclass
class Report:
    campaign_id: int
    title: str
    description: str
    regime: str
    generated_on: date
    responses: CampaignStats
    period: Period
    questions: list[QuestionReport]
    pairs: list[PairReport]
    methodology: Methodology | None = None
    unpaired: list[str] = field(default_factory=list)  # why some pair groups are not compared

    @property
    def has_answers(self) -> bool:
        return any(q.overall.answers for q in self.questions)

    @property
    def question_infos(self) -> list[QuestionInfo]:
        return [q.question for q in self.questions]


def build_report(session: Session, campaign: Campaign, today: date | None = None) -> Report:
    """Everything the report page and the exports print (see the module docstring)."""
    # ~24,000 answers make ~100,000 objects and no cycles: the collector's passes over them
    # were a tenth of the report (benchmarks/bench_report.py).
    with collector_paused():
        return _build_report(session, campaign, today)


def _build_report(session: Session, campaign: Campaign, today: date | None) -> Report:
    questions = campaign_questions(session, campaign.id)
    pairs, unpaired = question_pairs(questions)
    stats = campaign_statistics(session, campaign.id)
    report = Report(
        campaign.id,
        campaign.title,
        campaign.description or "",
        campaign.default_regime,
        today or clock.today(),
        stats,
        read_period(session, campaign.id),
        [],
        [],
        unpaired=unpaired,
    )
    if questions:
        counted = read_counts(session, campaign.id, [q.id for q in questions if q.qtype == "choice"])
        figures = read_figures(session, campaign.id)
        councils = read_councils(session, campaign.id)
        asked = {("all", ALL_COUNCILS): stats.overall.councils}
        asked.update({("region", g.label): g.councils for g in stats.by_region})
        asked.update({("type", g.label): g.councils for g in stats.by_type})
        found = question_figures(counted, figures, councils, [(q.id, q.qtype, q.choices) for q in questions], asked)
        report.questions = [
            QuestionReport(
                q,
                found[q.id].overall,
                found[q.id].by_region,
                found[q.id].by_type,
                tuple(map(FIGURE_VALUE, figures.get(q.id, ()))) if q.is_numeric else (),
            )
            for q in questions
        ]
        for index, (before, after) in enumerate(pairs):
            pair = pair_figures(pair_rows(figures, before.id, after.id, councils), before.qtype, councils)
            report.pairs.append(
                PairReport(index, before, after, pair.overall, pair.by_region, pair.by_type, pair.top_cuts)
            )
    report.methodology = methodology(report, double_entry_counts(session, campaign))
    return report


def pair_council_rows(session: Session, report: Report) -> dict[int, list[PairCouncilRow]]:
    """{pair index: the councils that gave both figures, largest cut first}: the table behind
    each pair's figures."""
    return pairs_council_rows(session, report.campaign_id, [(pair.before, pair.after) for pair in report.pairs])


# ---------------------------------------------------------------- JSON


def _number(value):
    """A Decimal as a JSON number: an int when whole, else a float (figures are already rounded)."""
    if value is None:
        return None
    number = float(value)
    return int(value) if number.is_integer() and abs(number) < 2**53 else number


def _figure_json(s: FigureStats) -> dict:
    return {
        "group": s.label,
        "asked": s.asked,
        "answers": s.answers,
        "n": s.n,
        "sum": _number(s.total),
        "mean": _number(s.mean),
        "median": _number(s.median),
        "min": _number(s.minimum),
        "q1": _number(s.q1),
        "q3": _number(s.q3),
        "max": _number(s.maximum),
        "estimates": s.estimates,
        "suppressed": s.suppressed,
        "not_held": s.not_held,
        "not_collected": s.not_collected,
        "refused": s.refused,
        "not_applicable": s.not_applicable,
        "no_answer": s.missing,
        "yes": s.yes,
        "no": s.no,
        "choices": dict(s.choices),
    }


def _pair_json(s: PairStats) -> dict:
    return {
        "group": s.label,
        "n": s.n,
        "cut": s.cut,
        "increased": s.increased,
        "unchanged": s.unchanged,
        "estimates": s.estimates,
        "before_total": _number(s.before_total),
        "after_total": _number(s.after_total),
        "total_change": _number(s.total_change),
        "total_change_pct": _number(s.total_change_pct),
        "median_pct_change": _number(s.median_pct_change),
        "median_pct_change_base": s.with_pct,
    }


def _group_json(g: GroupStats) -> dict:
    return {
        "group": g.label,
        "asked": g.councils,
        "sent": g.sent,
        "answered": g.answered,
        "on_time": g.on_time,
        "late": g.late,
        "refused": g.refused,
        "not_held": g.not_held,
        "outstanding": g.outstanding,
        "withdrawn": g.withdrawn,
        "median_working_days": g.median_working_days,
    }


def report_json(report: Report) -> dict:
    """The report as plain JSON-able data (what /report.json and `--format json` write)."""
    stats = report.responses
    m = report.methodology
    return {
        "campaign": {"id": report.campaign_id, "title": report.title},
        "generated_on": report.generated_on.isoformat(),
        "responses": {
            **_group_json(stats.overall),
            "refused_by_exemption": [
                {"code": e.code, "label": e.label, "requests": e.requests} for e in stats.exemptions
            ],
            "by_region": [_group_json(g) for g in stats.by_region],
            "by_type": [_group_json(g) for g in stats.by_type],
        },
        "questions": [
            {
                "code": q.question.code,
                "label": q.question.label,
                "type": q.question.qtype,
                "period": q.question.period_label,
                "pair_group": q.question.pair_group,
                **{k: v for k, v in _figure_json(q.overall).items() if k != "group"},
                "by_region": [_figure_json(s) for s in q.by_region],
                "by_type": [_figure_json(s) for s in q.by_type],
            }
            for q in report.questions
        ],
        "pairs": [
            {
                "before": p.before.code,
                "after": p.after.code,
                **{k: v for k, v in _pair_json(p.overall).items() if k != "group"},
                "distribution": [{"bin": label, "councils": count} for label, count in p.overall.bins],
                "top_cuts": [
                    {
                        "rank": c.rank,
                        "council_code": c.code,
                        "council": c.council,
                        "region": c.region,
                        "council_type": c.council_type,
                        "before": _number(c.before),
                        "after": _number(c.after),
                        "change": _number(c.change),
                        "change_pct": _number(round_percent(c.pct)),
                        "estimate": c.estimate,
                    }
                    for c in p.top_cuts
                ],
                "by_region": [_pair_json(s) for s in p.by_region],
                "by_type": [_pair_json(s) for s in p.by_type],
            }
            for p in report.pairs
        ],
        "methodology": None
        if m is None
        else {
            "asked": m.asked,
            "of_whom": m.of_whom,
            "when": m.when,
            "response_rate": m.response_rate,
            "caveats": list(m.caveats),
        },
    }
