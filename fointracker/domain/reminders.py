"""Which reminders a request needs, and when. Pure module: no Flask, no database.

A reminder is identified by (request, kind, target date, recipient, channel); the
target date is the deadline it is about. When a deadline moves, the old key is no
longer planned (its row is superseded) and a new key appears; when it moves back,
the old key is planned again and its row comes back to life.

Besides the council's deadlines, the requester's own (domain.our_deadlines): a warning
`window_closes_working_days` working days before each window to ask for a review, complain or
appeal closes (one kind per window, so each can be turned off and described), and "review
overdue" the working day after an internal review's answer was due and has not come.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from .deadlines import WorkingCalendar
from .localtime import LONDON
from .our_deadlines import Window, our_deadlines

SEND_AT = time(7, 0)  # immediate alerts go out from 07:00 London time on the day they fall due


class ReminderKind(str, enum.Enum):
    DUE_SOON = "due_soon"  # N working days before the due date (one per N)
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    VERY_OVERDUE = "very_overdue"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"  # the council has not answered the internal review by its due date
    REVIEW_WINDOW_CLOSES = "review_window_closes"  # our last day to ask for an internal review
    COMPLAINT_WINDOW_CLOSES = "complaint_window_closes"  # our last day to complain to the ICO / apply to the SIC
    APPEAL_WINDOW_CLOSES = "appeal_window_closes"  # our last day to appeal the regulator's decision
    CLARIFICATION_OWED = "clarification_owed"
    FIGURES_MISSING = "figures_missing"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ReminderKind.DUE_SOON: "Response due soon",
    ReminderKind.DUE_TODAY: "Response due today",
    ReminderKind.OVERDUE: "Response overdue",
    ReminderKind.VERY_OVERDUE: "Response very overdue",
    ReminderKind.REVIEW_DUE: "Internal review due",
    ReminderKind.REVIEW_OVERDUE: "Internal review overdue",
    ReminderKind.REVIEW_WINDOW_CLOSES: "Our window to ask for a review closes",
    ReminderKind.COMPLAINT_WINDOW_CLOSES: "Our window to complain to the regulator closes",
    ReminderKind.APPEAL_WINDOW_CLOSES: "Our window to appeal closes",
    ReminderKind.CLARIFICATION_OWED: "Clarification we owe",
    ReminderKind.FIGURES_MISSING: "Response without figures",
}


@dataclass(frozen=True)
class RequestFacts:
    """What the planner needs to know about one request (all derived columns)."""

    status: str
    response_due_on: date | None
    deferred_due_on: date | None
    very_overdue_on: date | None
    review_due_on: date | None
    clarification_requested_on: date | None  # latest unanswered request for clarification
    responded_on: date | None
    figures_wanted: bool  # a successful or partial answer whose figures are not entered
    regime: str | None = None  # with `timeline`, for our own deadlines (none without them)
    timeline: tuple[tuple[str, date], ...] = ()  # (event kind, date) of the steps domain.our_deadlines reads


@dataclass(frozen=True)
class PlannedReminder:
    kind: ReminderKind
    days_before: int  # for DUE_SOON: which warning (5, 1, ...); 0 otherwise
    target_date: date  # the deadline or event the reminder is about
    fire_on: date  # the day it is sent (immediate) or listed (digest)

    @property
    def key(self) -> tuple[str, int, date]:
        return (self.kind.value, self.days_before, self.target_date)


@dataclass(frozen=True)
class ReminderSettings:
    due_soon_working_days: tuple[int, ...] = (5, 1)
    clarification_after_working_days: int = 3  # remind when we have owed it for more than this
    figures_after_working_days: int = 5
    window_closes_working_days: int = 5  # warn this many working days before each of our deadlines closes


WINDOW_KINDS = {
    Window.REVIEW_REQUEST: ReminderKind.REVIEW_WINDOW_CLOSES,
    Window.ICO_COMPLAINT: ReminderKind.COMPLAINT_WINDOW_CLOSES,
    Window.SIC_APPLICATION: ReminderKind.COMPLAINT_WINDOW_CLOSES,
    Window.SIC_APPLICATION_UNANSWERED: ReminderKind.COMPLAINT_WINDOW_CLOSES,
    Window.TRIBUNAL_APPEAL: ReminderKind.APPEAL_WINDOW_CLOSES,
    Window.COURT_OF_SESSION_APPEAL: ReminderKind.APPEAL_WINDOW_CLOSES,
}


def working_days_before(calendar: WorkingCalendar, day: date, n: int) -> date:
    """The working day with exactly n working days after it up to and including `day`."""
    candidate = day
    while calendar.working_days_between(candidate, day) < n or not calendar.is_working_day(candidate):
        candidate = date.fromordinal(candidate.toordinal() - 1)
    return candidate


def plan(
    facts: RequestFacts,
    calendar: WorkingCalendar,
    settings: ReminderSettings = ReminderSettings(),
    today: date | None = None,
) -> list[PlannedReminder]:
    """Every reminder this request should have now, past or future; with `today`, without the
    warnings about a date already past (they would only be superseded unsent)."""
    planned: list[PlannedReminder] = []
    due = facts.response_due_on
    if due is not None:
        for n in sorted(set(settings.due_soon_working_days), reverse=True):
            planned.append(PlannedReminder(ReminderKind.DUE_SOON, n, due, working_days_before(calendar, due, n)))
        planned.append(PlannedReminder(ReminderKind.DUE_TODAY, 0, due, due))
        # Chase only once the later, deferred-receipt date has passed (FOIA s.10(1) and the 2018
        # Code of Practice: see "Counting" in fointracker/domain/deadlines/rules.py).
        chase_from = max(due, facts.deferred_due_on or due)
        planned.append(PlannedReminder(ReminderKind.OVERDUE, 0, due, calendar.next_working_day(chase_from)))
    if facts.very_overdue_on is not None:
        planned.append(
            PlannedReminder(
                ReminderKind.VERY_OVERDUE, 0, facts.very_overdue_on, calendar.next_working_day(facts.very_overdue_on)
            )
        )
    if facts.review_due_on is not None and facts.status == "internal_review":
        planned.append(PlannedReminder(ReminderKind.REVIEW_DUE, 0, facts.review_due_on, facts.review_due_on))
        # review_due_on is set only while the review is under way: a day later, it is overdue.
        planned.append(
            PlannedReminder(
                ReminderKind.REVIEW_OVERDUE, 0, facts.review_due_on, calendar.next_working_day(facts.review_due_on)
            )
        )
    # While the council owes the answer, its due date opens our window to ask for a review of the
    # failure to respond (domain.our_deadlines: EIR, FOISA, EISR); a response re-plans it away.
    owed = facts.response_due_on if facts.status in ("awaiting_response", "extended") else None
    if facts.regime is not None and (facts.timeline or owed):
        n = settings.window_closes_working_days
        for ours in our_deadlines(facts.regime, facts.timeline, calendar, response_due=owed):
            fire = working_days_before(calendar, ours.due, n)
            planned.append(PlannedReminder(WINDOW_KINDS[ours.window], n, ours.due, fire))
    if facts.clarification_requested_on is not None and facts.status == "clarification_requested":
        fire = calendar.add_working_days(
            facts.clarification_requested_on, settings.clarification_after_working_days + 1
        )
        planned.append(PlannedReminder(ReminderKind.CLARIFICATION_OWED, 0, facts.clarification_requested_on, fire))
    if facts.figures_wanted and facts.responded_on is not None:
        fire = calendar.add_working_days(facts.responded_on, settings.figures_after_working_days + 1)
        planned.append(PlannedReminder(ReminderKind.FIGURES_MISSING, 0, facts.responded_on, fire))
    if today is not None:
        planned = [p for p in planned if not is_stale(p.kind, p.target_date, today)]
    return planned


def fire_at(day: date) -> datetime:
    """07:00 London time on `day`, as an aware UTC datetime (GMT or BST as the date has it)."""
    return datetime.combine(day, SEND_AT, tzinfo=LONDON).astimezone(UTC)


def is_stale(kind: ReminderKind, target_date: date, today: date) -> bool:
    """A warning about a deadline that has already passed is not worth sending."""
    return kind in STALE_AFTER_TARGET and target_date < today


STALE_AFTER_TARGET = frozenset(
    {
        ReminderKind.DUE_SOON,
        ReminderKind.DUE_TODAY,
        ReminderKind.REVIEW_WINDOW_CLOSES,
        ReminderKind.COMPLAINT_WINDOW_CLOSES,
        ReminderKind.APPEAL_WINDOW_CLOSES,
    }
)
