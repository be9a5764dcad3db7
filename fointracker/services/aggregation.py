"""Which councils a batch would send a request that they may aggregate with another for the
cost limit (domain.aggregation: Fees Regulations 2004 reg 5), found in one query for the
whole batch. A warning, never a refusal: staff decide whether to send.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..domain.aggregation import aggregation_reason, aggregation_window, working_days_apart
from ..domain.deadlines.calendar import statutory_calendar
from ..domain.lifecycle import Status
from ..domain.regimes import Regime, regime_for_authority
from ..models import Authority, Campaign, FoiRequest


@dataclass(frozen=True)
class RelatedRequest:
    """Another request of the campaign (or of its group) to the same council."""

    request_id: int
    campaign_title: str
    received_on: date | None  # None: a draft, not sent yet
    working_days_apart: int | None  # from the new request's receipt; None for a draft
    after: bool  # received after the new request's date

    @property
    def is_draft(self) -> bool:
        return self.received_on is None


@dataclass(frozen=True)
class AggregationWarning:
    authority_id: int
    council: str
    regime: str
    received_on: date  # when the new request would be received
    window: tuple[date, date]  # the receipt dates that may be aggregated with it
    related: tuple[RelatedRequest, ...]
    reason: str


def _group_campaigns(campaign: Campaign):
    """The condition on Campaign for "this campaign or one of its aggregation group" (a group
    matches ignoring case and surrounding spaces; an empty group matches nothing)."""
    group = (campaign.aggregation_group or "").strip()
    if not group:
        return Campaign.id == campaign.id
    return or_(Campaign.id == campaign.id, func.lower(func.trim(Campaign.aggregation_group)) == group.lower())


def aggregation_warnings(
    session: Session,
    campaign: Campaign,
    authorities: Iterable[Authority],
    received_on: date,
    *,
    exclude_request_ids: Iterable[int] = (),
) -> dict[int, AggregationWarning]:
    """For each of `authorities` to be sent a request of `campaign` received on `received_on`:
    the other requests of the campaign or its group to that council that are received within
    the aggregation window, or are drafts that may yet be sent. Keyed by authority id; councils
    with nothing related are left out. One SELECT, whatever the number of councils."""
    targets = {a.id: (regime_for_authority(campaign.default_regime, a.nation), a.short_name) for a in authorities}
    return _warnings(session, campaign, targets, received_on, list(exclude_request_ids))


def request_aggregation_warning(session: Session, foi_request: FoiRequest, received_on: date):
    """The warning for sending one draft request (received on `received_on`), or None."""
    targets = {foi_request.authority_id: (foi_request.regime, foi_request.authority.short_name)}
    found = _warnings(session, foi_request.campaign, targets, received_on, [foi_request.id])
    return found.get(foi_request.authority_id)


def _warnings(
    session: Session, campaign: Campaign, regimes: dict[int, tuple[str, str]], received_on: date, exclude: list[int]
) -> dict[int, AggregationWarning]:
    """aggregation_warnings for {authority id: (regime, council's short name)}."""
    windows = {}
    if not regimes:
        return {}
    by_calendar: dict = defaultdict(list)
    for authority_id, (regime, _) in regimes.items():
        by_calendar[Regime(regime).calendar_name].append(authority_id)
    in_window = []
    for calendar_name, ids in by_calendar.items():
        windows[calendar_name] = first, last = aggregation_window(statutory_calendar(calendar_name), received_on)
        in_window.append(and_(FoiRequest.authority_id.in_(ids), FoiRequest.received_on.between(first, last)))
    draft = and_(FoiRequest.status == Status.DRAFT.value, FoiRequest.received_on.is_(None))
    rows = session.execute(
        select(FoiRequest.id, FoiRequest.authority_id, FoiRequest.received_on, Campaign.title)
        .join(Campaign, Campaign.id == FoiRequest.campaign_id)
        .where(
            FoiRequest.authority_id.in_(list(regimes)),
            _group_campaigns(campaign),
            FoiRequest.status != Status.WITHDRAWN.value,  # withdrawn: nothing left to cost
            FoiRequest.id.not_in(exclude),
            or_(draft, *in_window),
        )
        .order_by(FoiRequest.authority_id, FoiRequest.received_on, FoiRequest.id)
    ).all()
    related = defaultdict(list)
    for row in rows:
        regime, _ = regimes[row.authority_id]
        calendar = statutory_calendar(Regime(regime).calendar_name)
        related[row.authority_id].append(
            RelatedRequest(
                request_id=row.id,
                campaign_title=row.title,
                received_on=row.received_on,
                working_days_apart=None
                if row.received_on is None
                else working_days_apart(calendar, row.received_on, received_on),
                after=row.received_on is not None and row.received_on > received_on,
            )
        )
    warnings = {}
    for authority_id, others in related.items():
        regime, council = regimes[authority_id]
        warnings[authority_id] = AggregationWarning(
            authority_id=authority_id,
            council=council,
            regime=regime,
            received_on=received_on,
            window=windows[Regime(regime).calendar_name],
            related=tuple(others),
            reason=aggregation_reason(regime),
        )
    return warnings


@dataclass(frozen=True)
class BatchAggregationWarning:
    """For one council in a bulk "mark sent": the ticked drafts to it, and the other requests of
    their campaigns (or groups) it may aggregate them with (Fees Regulations 2004 reg 5)."""

    warning: AggregationWarning
    in_batch: tuple[int, ...]  # the ticked requests to this council
    others: tuple[RelatedRequest, ...]  # requests outside the batch


def bulk_aggregation_warnings(
    session: Session, request_ids: Iterable[int], received_on: date
) -> list[BatchAggregationWarning]:
    """The councils a bulk "mark sent" of these drafts (received on `received_on`) would send two
    requests of one campaign or group within the aggregation window: two ticked together, or one
    ticked beside another already sent or still a draft. Read before the drafts are marked sent.
    One SELECT for the drafts, then one per campaign among them."""
    drafts = session.scalars(
        select(FoiRequest)
        .options(joinedload(FoiRequest.authority), joinedload(FoiRequest.campaign))
        .where(FoiRequest.id.in_(set(request_ids)), FoiRequest.status == Status.DRAFT.value)
    ).all()
    ticked: dict[int, set[int]] = defaultdict(set)  # authority id: ticked request ids
    by_campaign: dict[int, list[FoiRequest]] = defaultdict(list)
    for draft in drafts:
        ticked[draft.authority_id].add(draft.id)
        by_campaign[draft.campaign_id].append(draft)
    result, seen = [], set()
    for requests in by_campaign.values():
        targets = {r.authority_id: (r.regime, r.authority.short_name) for r in requests}
        # Nothing excluded: a ticked draft finds itself and the other ticked drafts of its group.
        for authority_id, warning in _warnings(session, requests[0].campaign, targets, received_on, []).items():
            mine = ticked[authority_id]
            related = {other.request_id for other in warning.related}
            in_batch = tuple(sorted(related & mine))
            others = tuple(other for other in warning.related if other.request_id not in mine)
            key = (authority_id, frozenset(related))  # campaigns of one group find the same requests
            if (others or len(in_batch) > 1) and key not in seen:
                seen.add(key)
                result.append(BatchAggregationWarning(warning, in_batch, others))
    result.sort(key=lambda w: (w.warning.council, w.in_batch))
    return result
