"""Chasing councils, as SQL conditions for the dashboard's to-do and the request list: what is due
in the next 5 working days, what is overdue and has not been chased for 5 working days, and a
staff member's unsent drafts.

"Working days" are those of each request's regime (the UK calendar for FOIA/EIR, Scotland's for
FOISA/EISR, with the admins' closure days), so a condition is one date range per calendar, as in
services.deadlines.state_condition.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ..domain.deadlines import CalendarName
from ..domain.lifecycle import Status
from ..domain.reminders import working_days_before
from ..models import AuditEntry, Authority, Campaign, FoiRequest, MailMessage
from .deadlines import Calendars

CHASE_WORKING_DAYS = 5  # the "next 5 working days" and "not chased for 5 working days"

CHASING_BUCKETS = {
    "due_next_working_days": f"Due in the next {CHASE_WORKING_DAYS} working days (or today)",
    "overdue_not_chased": f"Overdue and not chased for {CHASE_WORKING_DAYS} working days",
}


def _per_calendar(calendars: Calendars, window) -> object:
    """or_(regime in calendar C and window(C's working calendar)) over both calendars."""
    parts = []
    for calendar_name in CalendarName:
        regimes = [regime.value for regime in calendar_name.regimes]
        parts.append(and_(FoiRequest.regime.in_(regimes), window(calendars.for_regime(regimes[0]))))
    return or_(*parts)


def due_within(today: date, calendars: Calendars, working_days: int = CHASE_WORKING_DAYS):
    """Due today or on one of the next `working_days` working days. Unlike "by Sunday", on a
    Thursday this reaches the Thursday after (a request due on Tuesday is counted)."""
    due = FoiRequest.response_due_on
    return _per_calendar(calendars, lambda cal: and_(due >= today, due <= cal.add_working_days(today, working_days)))


def overdue_not_chased(today: date, calendars: Calendars, working_days: int = CHASE_WORKING_DAYS):
    """Overdue (past the later, deferred-receipt date: DESIGN §2 says not to chase before it) and
    not chased on any of the last `working_days` working days (foi_request.last_chased_on)."""
    chase_from = func.coalesce(FoiRequest.deferred_due_on, FoiRequest.response_due_on)
    chased = FoiRequest.last_chased_on
    return and_(
        FoiRequest.response_due_on.is_not(None),  # set only while the council owes an answer
        chase_from < today,
        _per_calendar(
            calendars,
            # Chased on or before the working day with `working_days` working days after it up to today.
            lambda cal: or_(chased.is_(None), chased <= working_days_before(cal, today, working_days)),
        ),
    )


def chasing_condition(name: str, today: date, calendars: Calendars):
    if name == "due_next_working_days":
        return due_within(today, calendars)
    if name == "overdue_not_chased":
        return overdue_not_chased(today, calendars)
    raise ValueError(f"unknown chasing to-do {name!r}")


# ---------------------------------------------------------------- unsent drafts


def drafts_created_by(user_id: int):
    """Requests still draft that `user_id` created. The request has no creator column: the audit
    trail's "created" entry (services.foi_requests, services.bulk_requests) records who."""
    created = exists().where(
        AuditEntry.entity_type == "request",
        AuditEntry.entity_id == FoiRequest.id,
        AuditEntry.action == "created",
        AuditEntry.user_id == user_id,
    )
    return and_(FoiRequest.status == Status.DRAFT.value, created)


class Draft(NamedTuple):
    id: int
    council: str  # short name
    campaign: str  # title
    subject: str


def user_drafts(session: Session, user_id: int, visible: frozenset[int] | None) -> list[Draft]:
    """The user's drafts in the campaigns they may see, newest first, as plain rows (the
    dashboard caches them: services.read_cache)."""
    stmt = (
        select(FoiRequest.id, Authority.short_name, Campaign.title, FoiRequest.subject)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .join(Campaign, Campaign.id == FoiRequest.campaign_id)
        .where(drafts_created_by(user_id))
        .order_by(FoiRequest.created_at.desc(), FoiRequest.id.desc())
    )
    if visible is not None:
        stmt = stmt.where(FoiRequest.campaign_id.in_(sorted(visible)))
    return [Draft(*row) for row in session.execute(stmt)]


# ---------------------------------------------------------------- mail that bounced (#16)


class Bounced(NamedTuple):
    id: int
    council: str  # short name
    campaign: str  # title
    reason: str  # the bounce's own words


def bounced_requests(session: Session, visible: frozenset[int] | None) -> list[Bounced]:
    """Requests whose mail to the council bounced (services.mail_intake), newest bounce first,
    until someone marks the bounce dealt with or mail is queued to the council again."""
    stmt = (
        select(FoiRequest.id, Authority.short_name, Campaign.title, MailMessage.last_error, MailMessage.created_at)
        .join(Authority, Authority.id == FoiRequest.authority_id)
        .join(Campaign, Campaign.id == FoiRequest.campaign_id)
        .join(MailMessage, MailMessage.request_id == FoiRequest.id)
        .where(
            MailMessage.direction == "in",
            MailMessage.is_bounce.is_(True),
            MailMessage.suggestion_state != "dismissed",
        )
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    )
    if visible is not None:
        stmt = stmt.where(FoiRequest.campaign_id.in_(sorted(visible)))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    last_letter = dict(
        session.execute(
            select(MailMessage.request_id, func.max(MailMessage.created_at))
            .where(
                MailMessage.direction == "out",
                MailMessage.status != "cancelled",
                MailMessage.request_id.in_({row.id for row in rows}),
            )
            .group_by(MailMessage.request_id)
        ).all()
    )
    found: dict[int, Bounced] = {}
    for row in rows:
        letter = last_letter.get(row.id)
        if row.id in found or (letter is not None and letter > row.created_at):
            continue  # mail went to the council again after this bounce
        found[row.id] = Bounced(row.id, row.short_name, row.title, row.last_error or "")
    return list(found.values())
