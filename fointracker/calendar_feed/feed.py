"""Which deadlines a user's calendar shows, and the iCalendar text for them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import clock
from ..formatting import uk_date
from ..models import FoiRequest, User, campaign_coordinators
from ..services.access import campaign_scope
from ..services.deadlines import Calendars
from ..services.our_deadlines import STATUSES_WITH_WINDOWS, for_request, has_recent_step

UID_DOMAIN = "fointracker"


@dataclass(frozen=True)
class Deadline:
    uid: str
    day: date
    summary: str
    description: str
    url: str
    campaign_id: int = 0
    campaign: str = ""


def their_requests(session: Session, user: User) -> list[FoiRequest]:
    """Requests the user owns, and every request in the campaigns they coordinate, with an open
    deadline, or with one of our own windows (services.our_deadlines) maybe still open: only in the
    campaigns the user may see (services.access)."""
    ours = and_(FoiRequest.status.in_(STATUSES_WITH_WINDOWS), has_recent_step(clock.today()))
    coordinated = select(campaign_coordinators.c.campaign_id).where(campaign_coordinators.c.user_id == user.id)
    return list(
        session.scalars(
            select(FoiRequest)
            .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign), selectinload(FoiRequest.events))
            .where(
                or_(FoiRequest.owner_id == user.id, FoiRequest.campaign_id.in_(coordinated)),
                campaign_scope(user),
                or_(FoiRequest.response_due_on.is_not(None), FoiRequest.review_due_on.is_not(None), ours),
            )
            .order_by(FoiRequest.id)
        )
    )


def deadlines(requests: list[FoiRequest], base_url: str, calendars: Calendars | None = None) -> list[Deadline]:
    """One entry per open deadline: the council's (the columns are only set while one applies) and
    ours (domain.our_deadlines: the last day to ask for a review, complain or appeal)."""
    calendars = calendars or Calendars(())
    result = []
    for req in requests:
        council = req.authority.short_name
        url = f"{base_url.rstrip('/')}/requests/{req.id}"
        lines = [f"Campaign: {req.campaign.title}", f"Regime: {req.regime.upper()}"]
        if req.council_reference:
            lines.append(f"Council's reference: {req.council_reference}")
        if req.response_due_on is not None:
            text = list(lines)
            if req.deferred_due_on and req.deferred_due_on != req.response_due_on:
                text.append(
                    f"If the council treats the receipt as arriving on the next working day, "
                    f"it has until {uk_date(req.deferred_due_on)}."
                )
            text.append(url)
            result.append(
                Deadline(
                    f"request-{req.id}-response-due@{UID_DOMAIN}",
                    req.response_due_on,
                    f"Response due: {council} — {req.subject}",
                    "\n".join(text),
                    url,
                    req.campaign_id,
                    req.campaign.title,
                )
            )
        if req.review_due_on is not None:
            result.append(
                Deadline(
                    f"request-{req.id}-review-due@{UID_DOMAIN}",
                    req.review_due_on,
                    f"Internal review due: {council} — {req.subject}",
                    "\n".join([*lines, url]),
                    url,
                    req.campaign_id,
                    req.campaign.title,
                )
            )
        for ours in for_request(req, calendars):
            what = ours.label.removesuffix(" by")
            result.append(
                Deadline(
                    f"request-{req.id}-ours-{ours.window.value}@{UID_DOMAIN}",
                    ours.due,
                    f"Our last day — {what}: {council} — {req.subject}",
                    "\n".join([*lines, f"{ours.label} {uk_date(ours.due)}: {ours.rule}.", url]),
                    url,
                    req.campaign_id,
                    req.campaign.title,
                )
            )
    return result


def grouped(items: list[Deadline], base_url: str) -> list[Deadline]:
    """One event per campaign and day (#19: a batch put 50 events on one day): a deadline alone on
    its day stays as it is; several become one event that lists them, each with its link."""
    by_day: dict[tuple[int, date], list[Deadline]] = defaultdict(list)
    for item in items:
        by_day[item.campaign_id, item.day].append(item)
    result = []
    for (campaign_id, day), found in by_day.items():
        if len(found) == 1:
            result.extend(found)
            continue
        found.sort(key=lambda item: item.summary)
        result.append(
            Deadline(
                f"campaign-{campaign_id}-{day.isoformat()}@{UID_DOMAIN}",
                day,
                f"{len(found)} deadlines: {found[0].campaign}",
                "\n".join(f"{item.summary}\n{item.url}" for item in found),
                f"{base_url.rstrip('/')}/campaigns/{campaign_id}",
                campaign_id,
                found[0].campaign,
            )
        )
    return sorted(result, key=lambda item: (item.day, item.uid))


def to_ical(items: list[Deadline], name: str, now: datetime | None = None) -> bytes:
    """An iCalendar with one all-day event per deadline (DTEND the day after, as RFC 5545 wants)."""
    now = now or clock.now()
    cal = Calendar()
    cal.add("prodid", "-//fointracker//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", "Deadlines of your FOI requests, from fointracker")
    cal.add("x-published-ttl", "PT1H")
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", item.description)
        event.add("url", item.url)
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        cal.add_component(event)
    return cal.to_ical()
