"""The demo campaign in mid-flight (#19: the demo had 36 requests, none answered, and an empty
report): questions, and for each sent request a timeline of its own — acknowledged, answered on
time or late, refused with exemptions, not held, one under internal review, one at the
regulator, some still outstanding (a few chased) — and figures for most answered councils: a
before/after pair of budgets, a yes/no and a count. Everything goes through the app's own
services, so the dashboard, the deadlines and the report show what they would for real data.
Deterministic: the same day gives the same campaign.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from ..models import Campaign, FoiRequest
from .answers import AnswerInput, save_answers
from .questions import create_question
from .timeline import add_event

QUESTIONS = (  # code, label, type, period, comparison group
    ("asc_budget_2425", "Adult social-care budget", "money", "2024/25", "asc_budget"),
    ("asc_budget_2526", "Adult social-care budget", "money", "2025/26", "asc_budget"),
    ("bme_orgs_funded", "BME voluntary organisations funded", "count", "2025/26", ""),
    ("eia_done", "Equality impact assessment of the change carried out", "yes_no", "", ""),
)
# What became of a sent request old enough to be answered, and how often (weights).
FATES = (("on_time", 50), ("late", 14), ("refused", 8), ("partial", 8), ("not_held", 4), ("outstanding", 16))
EXEMPTIONS = (["s12"], ["s43"], ["s40", "s43"], ["s21"])


@dataclass(frozen=True)
class DemoStory:
    answered: int
    with_figures: int
    refused: int
    outstanding: int


def add_questions(session: Session, campaign: Campaign, user_id: int) -> dict[str, int]:
    ids = {}
    for code, label, qtype, period, group in QUESTIONS:
        question = create_question(
            session,
            campaign,
            {"code": code, "label": label, "qtype": qtype, "period_label": period, "pair_group": group},
            user_id,
        )
        ids[code] = question.id
    return ids


def play_out(
    session: Session, requests: list[FoiRequest], questions: dict[str, int], today: date, user_id: int
) -> DemoStory:
    """Give each sent request a timeline and, for most answered ones, figures."""
    rng = random.Random(2026)
    told = {"answered": 0, "figures": 0, "refused": 0, "outstanding": 0, "review": 0, "complaint": 0}
    for req in requests:
        if req.sent_on is not None:
            _play_one(session, req, rng, questions, today, user_id, told)
    return DemoStory(told["answered"], told["figures"], told["refused"], told["outstanding"])


def _play_one(session, req: FoiRequest, rng, questions, today: date, user_id: int, told: dict) -> None:
    sent, age = req.sent_on, (today - req.sent_on).days

    def step(kind: str, days_after: int, **details):
        day = min(sent + timedelta(days=days_after), today)
        return add_event(session, req, kind=kind, occurred_on=day, details=details, user_id=user_id)

    if rng.random() < 0.7:
        step("acknowledged", rng.randint(1, 4))
    fate = rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0] if age > 35 else "outstanding"
    if fate == "outstanding":
        told["outstanding"] += 1
        if age > 30:  # overdue: chased once
            step("chased", 30, method="email")
        return
    days = rng.randint(12, 27) if fate != "late" else rng.randint(31, min(age, 45))
    told["answered"] += 1
    if fate == "not_held":
        step("response_received", days, outcome="not_held")
        return
    if fate == "refused":
        told["refused"] += 1
        step("response_received", days, outcome="refused", exemptions=rng.choice(EXEMPTIONS))
        if not told["review"] and age > days + 10:  # one under internal review
            step("review_requested", days + 3)
            told["review"] += 1
        elif not told["complaint"] and age > days + 30:  # one taken to the regulator
            step("review_requested", days + 2)
            step("review_outcome", days + 22, outcome="refused")
            step("complaint_lodged", days + 26, regulator="SIC" if req.regime == "foisa" else "ICO")
            told["complaint"] += 1
        return
    if fate == "partial":
        step("response_received", days, outcome="partially_successful", exemptions=rng.choice(EXEMPTIONS))
    else:
        step("response_received", days, outcome="successful")
    if rng.random() < 0.85:
        save_answers(session, req, _figures(rng, questions), user_id)
        told["figures"] += 1


def _figures(rng: random.Random, questions: dict[str, int]) -> dict[int, AnswerInput]:
    before = Decimal(rng.randrange(40_000, 400_000)) * 1000
    change = Decimal(rng.randrange(-180, 60)) / 1000  # most cut, some up
    after = (before * (1 + change)).quantize(Decimal(1000))
    return {
        questions["asc_budget_2425"]: AnswerInput(raw=f"£{before:,.0f}"),
        questions["asc_budget_2526"]: AnswerInput(raw=f"£{after:,.0f}", state="estimate" if rng.random() < 0.1 else ""),
        questions["bme_orgs_funded"]: AnswerInput(raw="<5")
        if rng.random() < 0.1
        else AnswerInput(raw=str(rng.randint(5, 60))),
        questions["eia_done"]: AnswerInput(raw="yes" if rng.random() < 0.45 else "no"),
    }
