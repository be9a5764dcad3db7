"""Many requests at once: one campaign's letter to a selection of councils, and bulk
actions on a selection of requests.

Every use case here is all or nothing: it either flushes every change (the caller commits
once), or raises (BatchError, BulkError) and the caller rolls back. Single requests and single
timeline events obey the same rules as one at a time: a batch's requests are made by
services.bulk_requests, the bulk twin of create_request, and bulk events by add_event's steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import clock
from ..domain.letters import template_problems
from ..domain.lifecycle import EventKind
from ..domain.regimes import regime_for_authority
from ..models import Authority, Campaign, FoiRequest, RequestEvent, User
from .aggregation import AggregationWarning, aggregation_warnings
from .audit import record, snapshot
from .bulk_requests import create_requests
from .campaigns import letter_for
from .deadlines import Calendars, recompute_loaded_requests, recompute_requests
from .foi_requests import RequestError

# add_event's own steps, shared so that a bulk event obeys the same rules (see _add_events)
from .timeline import EVENT_FIELDS, REQUEST_STATE_FIELDS, TimelineError, apply_events, check_event


class BatchError(ValueError):
    """A batch that was refused; nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Refusal:
    request_id: int
    council: str
    reason: str


class BulkError(ValueError):
    """A bulk action that some requests refused; nothing was written. `refusals` names each."""

    def __init__(self, refusals: Sequence[Refusal], total: int):
        self.refusals = list(refusals)
        self.total = total
        super().__init__(
            f"nothing was changed: {len(self.refusals)} of {total} requests refused: "
            + "; ".join(f"{r.council}: {r.reason}" for r in self.refusals)
        )


class PreviewRow(NamedTuple):
    authority: Authority
    regime: str
    letter: str
    already_requested: bool


@dataclass
class BatchResult:
    created_ids: list[int] = field(default_factory=list)
    skipped_duplicates: list[int] = field(default_factory=list)  # authority ids already asked in the campaign
    skipped_names: list[str] = field(default_factory=list)  # their short names, in the same order


# ---------------------------------------------------------------- choosing councils


def _values(values: Iterable[str] | str | None) -> list[str]:
    """A criterion as a list; a single string is one value, None or blanks none."""
    if isinstance(values, str):
        values = [values]
    return [v.strip() for v in values or () if v and v.strip()]


def _codes(codes: Iterable[str] | str | None) -> list[str]:
    """Register codes, upper case; a string may list them separated by spaces or commas."""
    if isinstance(codes, str):
        codes = codes.replace(",", " ").split()
    return [c.upper() for c in _values(codes)]


def select_councils(
    session: Session,
    *,
    nations: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    type_codes: Iterable[str] | None = None,
    social_care: bool | None = None,
    codes: Iterable[str] | str | None = None,
    q: str = "",
) -> list[Authority]:
    """Current councils matching every given criterion (an empty one matches all), by name.

    `codes` picks councils by hand (register codes, case-insensitive; a string may list them
    separated by spaces or commas); `q` searches the names and the code.
    """
    stmt = select(Authority).where(Authority.end_date.is_(None))
    if nations := _values(nations):
        stmt = stmt.where(Authority.nation.in_(nations))
    if regions := _values(regions):
        stmt = stmt.where(Authority.region.in_(regions))
    if type_codes := _values(type_codes):
        stmt = stmt.where(Authority.type_code.in_(type_codes))
    if social_care is not None:
        stmt = stmt.where(Authority.social_care == social_care)
    if codes := _codes(codes):
        stmt = stmt.where(Authority.code.in_(codes))
    if q and q.strip():
        q = q.strip()  # matched literally: % and _ are escaped
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(q, autoescape=True)
                    for column in (Authority.short_name, Authority.official_name, Authority.code)
                )
            )
        )
    return list(session.scalars(stmt.order_by(Authority.short_name, Authority.code)))


def _councils(session: Session, authority_ids: Iterable[int]) -> list[Authority]:
    """The councils for `authority_ids`, by name, each once; refuses unknown or abolished ones."""
    ids = list(dict.fromkeys(authority_ids))
    if not ids:
        raise BatchError("choose at least one council", "authority_ids")
    councils = list(
        session.scalars(select(Authority).where(Authority.id.in_(ids)).order_by(Authority.short_name, Authority.code))
    )
    unknown = set(ids) - {a.id for a in councils}
    if unknown:
        raise BatchError(f"{len(unknown)} of the chosen councils are not in the register", "authority_ids")
    abolished = [a.short_name for a in councils if not a.is_current]
    if abolished:
        raise BatchError("no longer exist: " + ", ".join(abolished), "authority_ids")
    return councils


def _already_asked(session: Session, campaign: Campaign, authority_ids: Iterable[int]) -> set[int]:
    ids = list(authority_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(FoiRequest.authority_id)
            .distinct()
            .where(FoiRequest.campaign_id == campaign.id, FoiRequest.authority_id.in_(ids))
        )
    )


# ---------------------------------------------------------------- batch creation


def _check_letter(campaign: Campaign) -> None:
    """A template saved before the placeholder rules may break them: say so, not a 500."""
    problems = template_problems(campaign.letter_template)
    if problems:
        raise BatchError(
            "the campaign's request letter cannot be filled in: " + "; ".join(problems) + ". Correct it on the "
            "campaign's Edit page, then try again."
        )


def preview(session: Session, campaign: Campaign, authority_ids: Iterable[int], today: date) -> list[PreviewRow]:
    """Each chosen council's letter with its placeholders filled, and whether the campaign
    has already asked it."""
    _check_letter(campaign)
    councils = _councils(session, authority_ids)
    asked = _already_asked(session, campaign, (a.id for a in councils))
    rows = []
    for authority in councils:
        regime = regime_for_authority(campaign.default_regime, authority.nation)
        rows.append(
            PreviewRow(authority, regime, letter_for(campaign, authority, regime, today), authority.id in asked)
        )
    return rows


def preview_aggregation(
    session: Session, campaign: Campaign, rows: Sequence[PreviewRow], sent_on: date, *, allow_duplicates: bool
) -> list[tuple[PreviewRow, AggregationWarning]]:
    """The previewed councils the batch would send a request that they may add to another of
    the campaign (or its group) for the s.12 cost limit, with the other requests: one query for
    the batch (services.aggregation). A council the batch skips (already asked) is left out.
    `sent_on` is the batch's date: a request sent by email is received the same day."""
    to_send = [row for row in rows if allow_duplicates or not row.already_requested]
    found = aggregation_warnings(session, campaign, [row.authority for row in to_send], sent_on)
    return [(row, found[row.authority.id]) for row in to_send if row.authority.id in found]


def create_batch(
    session: Session,
    campaign: Campaign,
    authority_ids: Iterable[int],
    *,
    subject: str,
    sent_on: date | None,
    owner_id: int | None,
    allow_duplicates: bool,
    user_id: int | None,
    today: date | None = None,
) -> BatchResult:
    """One request per chosen council, in one transaction. A council the campaign has already
    asked is skipped unless `allow_duplicates`. With a sent date every request is recorded
    as sent that day (and its letter is dated that day); without one they are drafts."""
    today = today or clock.today()
    if not subject.strip():
        raise BatchError("a request needs a subject", "subject")
    if sent_on and sent_on > today:
        raise BatchError("the sent date is in the future; leave it blank to create drafts", "sent_on")
    if owner_id is not None and session.scalar(select(User.id).where(User.id == owner_id, User.active)) is None:
        raise BatchError("choose an active user as the owner", "owner_id")
    _check_letter(campaign)
    councils = _councils(session, authority_ids)
    asked = set() if allow_duplicates else _already_asked(session, campaign, (a.id for a in councils))
    result = BatchResult()
    values = []
    for authority in councils:
        if authority.id in asked:
            result.skipped_duplicates.append(authority.id)
            result.skipped_names.append(authority.short_name)
            continue
        regime = regime_for_authority(campaign.default_regime, authority.nation)
        values.append(
            {
                "campaign_id": campaign.id,
                "authority_id": authority.id,
                "regime": regime,
                "subject": subject,
                "body": letter_for(campaign, authority, regime, sent_on or today),
                "sent_on": sent_on,
                "owner_id": owner_id,
            }
        )
    try:
        result.created_ids = create_requests(session, values, user_id)
    except RequestError as exc:
        raise BatchError(exc.message, exc.field) from None
    session.flush()
    return result


# ---------------------------------------------------------------- bulk actions


def _requests(session: Session, request_ids: Iterable[int], within=None, *, events: bool = False) -> list[FoiRequest]:
    """The requests (with their timelines if `events`), all or none: one outside `within`
    (services.access.campaign_scope, the campaigns the user may see) is refused exactly as one
    that does not exist."""
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        raise BatchError("tick at least one request", "ids")
    options = [joinedload(FoiRequest.authority)] + ([selectinload(FoiRequest.events)] if events else [])
    found = list(
        session.scalars(
            select(FoiRequest)
            .options(*options)
            .where(FoiRequest.id.in_(ids), true() if within is None else within)
            .order_by(FoiRequest.id)
        )
    )
    missing = set(ids) - {r.id for r in found}
    if missing:
        raise BatchError("no such request: " + ", ".join(f"#{i}" for i in sorted(missing)), "ids")
    return found


# The events added in bulk. Neither moves the clock (deadlines.clock_from_timeline), so where the
# new one sorts among the day's events does not change the deadlines.
CLOCK_NEUTRAL_KINDS = (EventKind.SENT, EventKind.NOTE)


def _add_events(
    session: Session,
    requests: list[FoiRequest],
    user_id: int | None,
    today: date,
    *,
    kind: str,
    occurred_on: date,
    details: dict | None = None,
    note: str = "",
) -> int:
    """The same event on every request, all or nothing: every refusal is collected first.

    What timeline.add_event does for one request, with its steps done once for them all: the
    deadlines recomputed and the reminders planned in one pass, the events and audit entries
    written in one flush (benchmarks/bench_batch.py).
    """
    kind = EventKind(kind)
    if kind not in CLOCK_NEUTRAL_KINDS:
        raise ValueError(f"{kind.value} events are added one at a time (timeline.add_event)")
    details = {k: v for k, v in (details or {}).items() if v not in (None, "", [])}
    calendars = Calendars.from_db(session)  # read before any change, so that each request is written once
    refusals, added = [], []
    for foi_request in requests:
        try:
            check_event(foi_request, kind, occurred_on, details, today)
            before = snapshot(foi_request, REQUEST_STATE_FIELDS)
            event = RequestEvent(
                kind=kind.value,
                occurred_on=occurred_on,
                details=dict(details),
                note=note.strip(),
                created_by_id=user_id,
            )
            apply_events(session, foi_request, list(foi_request.events) + [event])
        except TimelineError as exc:
            refusals.append(Refusal(foi_request.id, foi_request.authority.short_name, exc.message))
            continue
        foi_request.events.append(event)
        added.append((foi_request, event, before))
    if refusals:
        raise BulkError(refusals, len(requests))  # the caller rolls back: all or nothing
    # add_event computes the deadlines once the new event has its id (it sorts last among the
    # day's events); here it has none yet, which comes to the same for CLOCK_NEUTRAL_KINDS.
    recompute_loaded_requests(session, [foi_request for foi_request, _, _ in added], calendars)
    session.flush()
    for foi_request, event, before in added:
        record(
            session,
            user_id=user_id,
            entity_type="request",
            entity_id=foi_request.id,
            action="event added",
            before={"event_id": event.id, **before},
            after={
                "event_id": event.id,
                **snapshot(event, EVENT_FIELDS),
                **snapshot(foi_request, REQUEST_STATE_FIELDS),
            },
        )
    session.flush()
    return len(requests)


def bulk_mark_sent(
    session: Session,
    request_ids: Iterable[int],
    sent_on: date,
    user_id: int | None,
    *,
    received_on: date | None = None,
    today: date | None = None,
    within=None,
) -> int:
    """Record each request as sent on `sent_on` (received the same day unless `received_on`)."""
    details = {"received_on": received_on.isoformat()} if received_on else {}
    return _add_events(
        session,
        _requests(session, request_ids, within, events=True),
        user_id,
        today or clock.today(),
        kind=EventKind.SENT.value,
        occurred_on=sent_on,
        details=details,
    )


def bulk_add_note(
    session: Session,
    request_ids: Iterable[int],
    note: str,
    user_id: int | None,
    *,
    today: date | None = None,
    within=None,
) -> int:
    """A note dated today on each request's timeline."""
    if not note.strip():
        raise BatchError("write the note", "note")
    today = today or clock.today()
    return _add_events(
        session,
        _requests(session, request_ids, within, events=True),
        user_id,
        today,
        kind=EventKind.NOTE.value,
        occurred_on=today,
        note=note,
    )


def bulk_assign_owner(
    session: Session, request_ids: Iterable[int], owner_id: int, user_id: int | None, *, within=None
) -> int:
    """Give every request the same owner; returns how many changed hands."""
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise BatchError("choose an active user as the owner", "owner")
    changed = 0
    for foi_request in _requests(session, request_ids, within):
        if foi_request.owner_id == owner_id:
            continue
        record(
            session,
            user_id=user_id,
            entity_type="request",
            entity_id=foi_request.id,
            action="updated",
            before={"owner_id": foi_request.owner_id},
            after={"owner_id": owner_id},
        )
        foi_request.owner_id = owner_id
        changed += 1
    session.flush()
    # The new owner gets the reminders from now on, the old one no longer.
    recompute_requests(session, where=FoiRequest.id.in_(list(request_ids)), replan=True)
    return changed
