"""The per-council tables behind the report's figures, one table at a time.

The report page links each question and each before/after pair to its table instead of
printing them all: at 400 councils and 20 questions they were ~7,000 rows, most of the
page's megabyte and of its rendering time. The standalone report file (`fointracker report
--format html`, and its download on the page) still prints every table in its appendix.

Each table costs one statement (plus one for the campaign's questions), not the report's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..domain.figures import QuestionType
from ..domain.report_statistics import VALUE_STATES, PairCouncilRow
from .report_answers import (
    QuestionInfo,
    campaign_questions,
    pair_heading,
    pairs_council_rows,
    question_council_rows,
    question_pairs,
)


def counted(qtype: str, row) -> bool:
    """Whether the report counts this answer in the question's n (domain.report_statistics):
    a figure or an estimate with a value of the question's kind."""
    if row.state not in VALUE_STATES:
        return False
    if QuestionType(qtype).is_numeric:
        return row.value_number is not None
    if qtype == QuestionType.YES_NO.value:
        return row.value_bool is not None
    return bool(row.value_text)


@dataclass
class QuestionTable:
    question: QuestionInfo
    rows: list  # one per answer recorded, in council order
    counted: int  # how many of them the report counts (its n)


@dataclass
class PairTable:
    index: int  # the pair's place in the report (PairReport.index)
    before: QuestionInfo
    after: QuestionInfo
    rows: list[PairCouncilRow]  # the councils giving both figures, largest cut first

    @property
    def qtype(self) -> str:
        return self.before.qtype

    @property
    def title(self) -> str:
        return pair_heading(self.before, self.after)


def question_table(session: Session, campaign_id: int, code: str) -> QuestionTable | None:
    """The answers to the campaign's question `code`, council by council; None if it has no such question."""
    question = next((q for q in campaign_questions(session, campaign_id) if q.code == code), None)
    if question is None:
        return None
    rows = question_council_rows(session, campaign_id, question.id).get(question.id, [])
    return QuestionTable(question, rows, sum(1 for row in rows if counted(question.qtype, row)))


def pair_table(session: Session, campaign_id: int, index: int) -> PairTable | None:
    """The councils' two figures of the campaign's pair number `index` (as numbered in the
    report); None if there is no such pair."""
    pairs, _unpaired = question_pairs(campaign_questions(session, campaign_id))
    if not 0 <= index < len(pairs):
        return None
    before, after = pairs[index]
    return PairTable(index, before, after, pairs_council_rows(session, campaign_id, [(before, after)]).get(0, []))
