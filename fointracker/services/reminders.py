"""Planning reminders into the outbox, in the same transaction as the deadline change.

The planner (domain.reminders.plan) says which reminders a request needs; this module
turns them into one row per recipient and keeps the table in step: new keys are
inserted, keys no longer planned are superseded, and a key planned again (a deadline
that moved back) comes back to pending. Rows already sent are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..domain.deadlines import WorkingCalendar
from ..domain.lifecycle import ANSWERED_STATUSES, FIGURE_OUTCOMES, EventKind, Status
from ..domain.localtime import LONDON
from ..domain.our_deadlines import TIMELINE_KINDS
from ..domain.reminders import ReminderSettings, RequestFacts, fire_at, is_stale, plan
from ..models import Campaign, FoiRequest, Reminder, campaign_coordinators

LIVE = ("pending", "failed")  # rows that may still be sent
HELD = ("pending", "failed", "claimed")  # rows a new plan supersedes when it no longer has them
DEAD = ("superseded", "cancelled")  # rows that a new plan may bring back


@dataclass(frozen=True)
class PlanInput:
    request_id: int
    facts: RequestFacts
    recipients: tuple[tuple[str, int | None, str], ...]  # (recipient key, user id, channel)
    calendar: WorkingCalendar


DEFAULT_SETTINGS = ReminderSettings()


def facts_for(row, events: Iterable) -> RequestFacts:
    """The planner's view of a request (a FoiRequest or a row with its columns) and its events
    (every event of the kinds domain.our_deadlines reads must be among them)."""
    events = list(events)
    clarification_on = None
    if row.status == Status.CLARIFICATION_REQUESTED.value:
        asked = [e.occurred_on for e in events if e.kind == EventKind.CLARIFICATION_REQUESTED.value]
        clarification_on = max(asked) if asked else None
    return RequestFacts(
        status=row.status,
        response_due_on=row.response_due_on,
        deferred_due_on=row.deferred_due_on,
        very_overdue_on=row.very_overdue_on,
        review_due_on=row.review_due_on,
        clarification_requested_on=clarification_on,
        responded_on=row.responded_on,
        figures_wanted=(row.outcome in FIGURE_OUTCOMES and not row.figures_entered and row.status in ANSWERED_STATUSES),
        regime=getattr(row, "regime", None),
        timeline=tuple(
            (e.kind, e.occurred_on)
            for e in sorted(events, key=lambda e: (e.occurred_on, getattr(e, "id", None) or 0))
            if e.kind in TIMELINE_KINDS
        ),
    )


def recipients_for(
    owner_id: int | None, coordinator_ids: Iterable[int], campaign_id: int, has_webhook: bool
) -> tuple[tuple[str, int | None, str], ...]:
    users = sorted({uid for uid in [owner_id, *coordinator_ids] if uid is not None})
    result = [(f"user:{uid}", uid, "email") for uid in users]
    if has_webhook:
        result.append((f"campaign:{campaign_id}", None, "webhook"))
    return tuple(result)


def campaign_audiences(session: Session, campaign_ids: Iterable[int]) -> dict[int, tuple[list[int], bool]]:
    """{campaign id: (coordinator ids, has a webhook)} in two queries."""
    ids = list(set(campaign_ids))
    coordinators: dict[int, list[int]] = defaultdict(list)
    for campaign_id, user_id in session.execute(
        select(campaign_coordinators.c.campaign_id, campaign_coordinators.c.user_id).where(
            campaign_coordinators.c.campaign_id.in_(ids)
        )
    ):
        coordinators[campaign_id].append(user_id)
    hooks = dict(session.execute(select(Campaign.id, Campaign.webhook_url).where(Campaign.id.in_(ids))).all())
    return {cid: (coordinators.get(cid, []), bool(hooks.get(cid))) for cid in ids}


def plan_request(
    session: Session, foi_request: FoiRequest, calendar: WorkingCalendar, settings: ReminderSettings = DEFAULT_SETTINGS
) -> None:
    """Re-plan one request's reminders (the caller commits, with the deadline change)."""
    coordinators, has_webhook = campaign_audiences(session, [foi_request.campaign_id])[foi_request.campaign_id]
    sync(
        session,
        [
            PlanInput(
                foi_request.id,
                facts_for(foi_request, foi_request.events),
                recipients_for(foi_request.owner_id, coordinators, foi_request.campaign_id, has_webhook),
                calendar,
            )
        ],
        settings,
    )


def sync(
    session: Session, inputs: Sequence[PlanInput], settings: ReminderSettings = DEFAULT_SETTINGS, chunk: int = 2000
) -> None:
    """Bring the outbox in line with the plans of these requests: insert, revive, supersede."""
    now = clock.now()
    today = now.astimezone(LONDON).date()
    for start in range(0, len(inputs), chunk):
        part = inputs[start : start + chunk]
        existing: dict[tuple, tuple[int, str, object]] = {}
        for row in session.execute(
            select(
                Reminder.id,
                Reminder.request_id,
                Reminder.kind,
                Reminder.days_before,
                Reminder.target_date,
                Reminder.recipient,
                Reminder.channel,
                Reminder.status,
                Reminder.due_at,
            ).where(Reminder.request_id.in_([i.request_id for i in part]))
        ):
            key = (row.request_id, row.kind, row.days_before, row.target_date, row.recipient, row.channel)
            existing[key] = (row.id, row.status, row.due_at)
        wanted: dict[tuple, dict] = {}
        still_true: set[tuple] = set()  # planned, but about a date past: not new, yet kept if already there
        for item in part:
            for planned in plan(item.facts, item.calendar, settings):
                for recipient, user_id, channel in item.recipients:
                    key = (
                        item.request_id,
                        planned.kind.value,
                        planned.days_before,
                        planned.target_date,
                        recipient,
                        channel,
                    )
                    if is_stale(planned.kind, planned.target_date, today):
                        still_true.add(key)
                        continue
                    wanted[key] = {
                        "request_id": item.request_id,
                        "kind": planned.kind.value,
                        "days_before": planned.days_before,
                        "target_date": planned.target_date,
                        "recipient": recipient,
                        "recipient_id": user_id,
                        "channel": channel,
                        "due_at": fire_at(planned.fire_on),
                    }
        inserts, revive, move = [], [], []
        for key, values in wanted.items():
            found = existing.get(key)
            if found is None:
                inserts.append(
                    {
                        **values,
                        "status": "pending",
                        "attempts": 0,
                        "last_error": "",
                        "message_id": "",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            elif found[1] in DEAD:
                revive.append(
                    {
                        "id": found[0],
                        "status": "pending",
                        "due_at": values["due_at"],
                        "attempts": 0,
                        "next_attempt_at": None,
                        "last_error": "",
                        "updated_at": now,
                    }
                )
            elif found[1] in LIVE and _differs(found[2], values["due_at"]):
                move.append({"id": found[0], "due_at": values["due_at"], "updated_at": now})
        # A claimed row is superseded too (its sender checks before sending); a warning about a
        # date now past that is still unsent (an outage, a crash) is not: it goes out late.
        supersede = [
            row_id
            for key, (row_id, status, _due) in existing.items()
            if key not in wanted and key not in still_true and status in HELD
        ]
        # Core statements, not the ORM's bulk machinery: a closure day can move tens of
        # thousands of rows, and this runs inside the admin's request.
        table = Reminder.__table__
        if inserts:
            session.execute(insert(table), inserts)
        if supersede:
            session.execute(
                update(table)
                .where(table.c.id.in_(supersede))
                .values(status="superseded", updated_at=now, last_error="the deadline it was about changed")
            )
        for batch in (revive, move):
            if batch:
                session.execute(update(Reminder), batch)


def _differs(stored, wanted) -> bool:
    return _naive_utc(stored) != _naive_utc(wanted)


def _naive_utc(value):
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones: compare as naive UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
