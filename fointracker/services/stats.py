"""The dashboard's to-do counts and the campaign statistics, aggregated in SQL.

Every count here is a `COUNT(*) FILTER (WHERE <condition>)` over the stored
columns (status, outcome, the deadline columns, how the first response went), so a page
costs a fixed number of statements however many requests there are, and SQLite and
PostgreSQL give the same numbers. The conditions are module-level functions so that the
request list can filter by exactly what a count counted (`todo_where`).

The one thing not aggregated in SQL is which exemptions a council cited: they live in
the JSON details of response and review events, and the two backends share no JSON
function that unnests an array (SQLite's `json_each` against PostgreSQL's
`json_array_elements`, on a column that is `json`, not `jsonb`). So `campaign_statistics`
reads the (request, kind, details) of one campaign's response and review events in a
single query and counts them in Python: one statement, exact on both backends, and a
campaign has a few hundred such events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import and_, case, distinct, func, literal_column, or_, select, true, union_all
from sqlalchemy.orm import Session

from ..domain.event_details import EXEMPTIONS
from ..domain.lifecycle import ANSWERED_STATUSES, FIGURE_OUTCOMES, OPEN_STATUSES, EventKind, Outcome, Status
from ..domain.report_statistics import percentage
from ..models import Authority, Campaign, FoiRequest, RequestEvent, Role, campaign_coordinators
from .chasing import CHASING_BUCKETS, chasing_condition
from .deadlines import Calendars, state_condition
from .sql_stats import median_select

# ---------------------------------------------------------------- to-do conditions

TODO_BUCKETS = {
    "very_overdue": "Very overdue",
    "overdue": "Overdue (including very overdue)",
    **CHASING_BUCKETS,  # "due in the next 5 working days" (not "by Sunday"), "overdue and not chased"
    "clarification_owed": "Clarification we owe the council",
    "figures_missing": "Responses whose figures are not entered",
    "review_due": "Internal reviews due by Sunday (or overdue)",
}
# What `?todo=` on the request list accepts: the buckets, and the campaign progress's "outstanding".
TODO_FILTERS = {**TODO_BUCKETS, "outstanding": "Outstanding (no answer yet)"}

OPEN = sorted(s.value for s in OPEN_STATUSES)
# The dashboard deadline buckets that are the request list's own `deadline=` filters.
DEADLINE_BUCKETS = ("very_overdue", "overdue", "due_this_week")


def end_of_week(today: date) -> date:
    """The Sunday of today's week (the same "this week" as the list's due_this_week)."""
    return today + timedelta(days=6 - today.weekday())


def todo_condition(name: str, today: date, calendars: Calendars, soon_days: int):
    """A SQL condition selecting the requests in to-do bucket `name` on `today`."""
    if name in DEADLINE_BUCKETS:
        return state_condition(name, today, calendars, soon_days)
    if name in CHASING_BUCKETS:
        return chasing_condition(name, today, calendars)
    if name == "clarification_owed":
        return FoiRequest.status == Status.CLARIFICATION_REQUESTED.value
    if name == "figures_missing":
        return and_(
            FoiRequest.status.in_(ANSWERED_STATUSES),
            FoiRequest.outcome.in_(FIGURE_OUTCOMES),
            FoiRequest.figures_entered.is_(False),
        )
    if name == "review_due":
        return and_(FoiRequest.status == Status.INTERNAL_REVIEW.value, FoiRequest.review_due_on <= end_of_week(today))
    if name == "outstanding":
        return FoiRequest.status.in_(OPEN)
    raise ValueError(f"unknown to-do {name!r}")


def todo_where(name: str | None, today: date, calendars: Calendars, soon_days: int) -> list:
    """`todo_condition` as a list for `stmt.where(*...)`: empty for no name or an unknown one."""
    return [todo_condition(name, today, calendars, soon_days)] if name in TODO_FILTERS else []


# ---------------------------------------------------------------- whose requests


@dataclass(frozen=True)
class Scope:
    """Whose requests a page counts. Everything (no user), or "mine": the requests the
    user owns plus every request in the campaigns they coordinate. Either way only in the
    campaigns `visible` (services.access.visible_campaign_ids; None: every campaign)."""

    user_id: int | None = None
    campaign_ids: tuple[int, ...] = ()
    visible: tuple[int, ...] | None = None

    @classmethod
    def everything(cls, visible: Iterable[int] | None = None) -> Scope:
        return cls(visible=_ids(visible))

    @classmethod
    def mine(cls, session: Session, user_id: int, visible: Iterable[int] | None = None) -> Scope:
        stmt = (
            select(campaign_coordinators.c.campaign_id)
            .where(campaign_coordinators.c.user_id == user_id)
            .order_by(campaign_coordinators.c.campaign_id)
        )
        if visible is not None:
            stmt = stmt.where(campaign_coordinators.c.campaign_id.in_(sorted(visible)))
        return cls(user_id, tuple(session.scalars(stmt)), _ids(visible))

    @property
    def is_everything(self) -> bool:
        return self.user_id is None

    def condition(self):
        seen = true() if self.visible is None else FoiRequest.campaign_id.in_(self.visible)
        if self.user_id is None:
            return seen
        owned = FoiRequest.owner_id == self.user_id
        return and_(seen, or_(owned, FoiRequest.campaign_id.in_(self.campaign_ids)) if self.campaign_ids else owned)


def _ids(visible: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if visible is None else tuple(sorted(visible))


def default_scope(role: str) -> str:
    """The dashboard's default: "mine" for the people who work requests; "all" for admins and
    report authors (who own none)."""
    return "mine" if role in (Role.STAFF.value, Role.COORDINATOR.value) else "all"


def _count_if(condition, label: str):
    # COUNT(*) FILTER (WHERE ...): SQLite (3.30+) and PostgreSQL both have it, and both evaluate
    # it faster than SUM(CASE ...), which mattered on the dashboard at 10,000 requests.
    return func.count().filter(condition).label(label)


@dataclass
class TodoCounts:
    """`total`: the scope's count per bucket. `mine`: the part the user owns (None when
    the scope is everything). `by_campaign`: per campaign, the scope's requests in it."""

    total: dict[str, int]
    mine: dict[str, int] | None
    by_campaign: dict[int, dict[str, int]]

    @property
    def nothing_to_do(self) -> bool:
        return not any(self.total.values())


def todo_table(
    session: Session, today: date, calendars: Calendars, soon_days: int, scope: Scope | None = None
) -> TodoCounts:
    """Every to-do count for the dashboard in one statement, grouped by campaign.

    The totals add up the per-campaign rows (one row per campaign, not per request),
    which is how the page can link each coordinated campaign's share to its own list.
    """
    scope = scope or Scope.everything()
    conditions = {name: todo_condition(name, today, calendars, soon_days) for name in TODO_BUCKETS}
    columns = [_count_if(cond, name) for name, cond in conditions.items()]
    if not scope.is_everything:
        owned = FoiRequest.owner_id == scope.user_id
        columns += [_count_if(and_(owned, cond), f"mine_{name}") for name, cond in conditions.items()]
    stmt = select(FoiRequest.campaign_id, *columns).where(scope.condition()).group_by(FoiRequest.campaign_id)
    total = dict.fromkeys(TODO_BUCKETS, 0)
    mine = None if scope.is_everything else dict.fromkeys(TODO_BUCKETS, 0)
    by_campaign = {}
    for row in session.execute(stmt).mappings():
        by_campaign[row["campaign_id"]] = {name: int(row[name]) for name in TODO_BUCKETS}
        for name in TODO_BUCKETS:
            total[name] += int(row[name])
            if mine is not None:
                mine[name] += int(row[f"mine_{name}"])
    return TodoCounts(total, mine, by_campaign)


def todo_counts(
    session: Session, today: date, calendars: Calendars, soon_days: int, scope: Scope | None = None
) -> dict[str, int]:
    """{bucket: number of requests in the scope}, in one statement."""
    return todo_table(session, today, calendars, soon_days, scope).total


# ---------------------------------------------------------------- how requests went


def outcome_conditions() -> dict:
    """The progress and statistics counts, by name. Each counts requests (not events)."""
    r = FoiRequest
    return {
        "sent": r.sent_on.is_not(None),
        "answered": r.responded_on.is_not(None),
        "on_time": r.responded_on_time.is_(True),
        "late": r.responded_on_time.is_(False),
        "refused": r.outcome == Outcome.REFUSED.value,
        "not_held": r.outcome == Outcome.NOT_HELD.value,
        "outstanding": r.status.in_(OPEN),
        "withdrawn": r.status == Status.WITHDRAWN.value,
    }


PROGRESS_COLUMNS = ("sent", "answered", "on_time", "late", "refused", "not_held", "outstanding", "withdrawn")


def _progress_select():
    columns = [_count_if(cond, name) for name, cond in outcome_conditions().items()]
    return (
        select(Campaign.id, Campaign.title, func.count(FoiRequest.id).label("requests"), *columns)
        .outerjoin(FoiRequest, FoiRequest.campaign_id == Campaign.id)
        .group_by(Campaign.id, Campaign.title)
        .order_by(Campaign.title, Campaign.id)
    )


def campaign_progress(session: Session, campaign_ids=None) -> list:
    """One row per campaign (all of them, or those in `campaign_ids`), by title: id, title,
    requests (drafts included) and the PROGRESS_COLUMNS counts. One GROUP BY statement."""
    stmt = _progress_select()
    if campaign_ids is not None:
        stmt = stmt.where(Campaign.id.in_(sorted(campaign_ids)))
    return session.execute(stmt).all()


def everything_dashboard(
    session: Session, today: date, calendars: Calendars, soon_days: int, campaign_ids=None
) -> tuple[TodoCounts, list]:
    """`todo_table` and `campaign_progress` for the "everything" scope from one statement: both
    group every request by campaign, so one pass over the requests gives both (the dashboard
    at 10,000 requests spent most of its time in those two passes). The same counts as the two
    functions; the progress rows carry the to-do counts as extra `todo_<bucket>` columns. Every
    campaign, or those in `campaign_ids`."""
    stmt = _progress_select().add_columns(
        *(_count_if(todo_condition(name, today, calendars, soon_days), f"todo_{name}") for name in TODO_BUCKETS)
    )
    if campaign_ids is not None:
        stmt = stmt.where(Campaign.id.in_(sorted(campaign_ids)))
    rows = session.execute(stmt).all()
    total, by_campaign = dict.fromkeys(TODO_BUCKETS, 0), {}
    for row in rows:
        if not row.requests:  # as in todo_table, which has a row only for campaigns with requests
            continue
        counts = by_campaign[row.id] = {name: int(getattr(row, f"todo_{name}")) for name in TODO_BUCKETS}
        for name, count in counts.items():
            total[name] += count
    return TodoCounts(total, None, by_campaign), rows


# ---------------------------------------------------------------- campaign statistics


@dataclass
class GroupStats:
    """The counts for one campaign, or for one region or council type within it."""

    label: str
    councils: int = 0  # distinct councils sent a request: the base of every table
    sent: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    within_20: int = 0  # first response within 20 working days of receipt
    outstanding: int = 0
    refused: int = 0
    not_held: int = 0
    ncnd: int = 0
    successful: int = 0
    partially_successful: int = 0
    withdrawn: int = 0
    reviews_requested: int = 0
    reviews_decided: int = 0
    reviews_under_way: int = 0
    median_working_days: float | None = None

    def pct(self, name: str, base: str = "sent") -> float | None:
        """Count `name` as a percentage of count `base`; None with nothing to divide by."""
        return percentage(getattr(self, name), getattr(self, base))

    @property
    def response_rate(self) -> float | None:
        return self.pct("answered")


@dataclass
class ExemptionCount:
    code: str
    label: str
    requests: int


@dataclass
class CampaignStats:
    overall: GroupStats
    by_region: list[GroupStats] = field(default_factory=list)
    by_type: list[GroupStats] = field(default_factory=list)
    exemptions: list[ExemptionCount] = field(default_factory=list)  # most cited first
    refusals_citing_exemptions: int = 0  # requests citing at least one exemption
    reviews_upheld: int = 0  # decided reviews that kept the outcome (or recorded none)
    reviews_changed: int = 0  # decided reviews that changed it

    @property
    def nothing_sent(self) -> bool:
        return self.overall.sent == 0


GROUP_FIELDS = (
    "councils",
    "sent",
    "answered",
    "on_time",
    "late",
    "within_20",
    "outstanding",
    "refused",
    "not_held",
    "ncnd",
    "successful",
    "partially_successful",
    "withdrawn",
    "reviews_requested",
    "reviews_decided",
    "reviews_under_way",
)
_DIMENSIONS = {"all": None, "region": Authority.region, "type": Authority.type_name}


def _review_flags(campaign_id: int):
    """Per request of the campaign: whether a review was ever asked for, and decided."""
    e = RequestEvent
    return (
        select(
            e.request_id,
            func.max(case((e.kind == EventKind.REVIEW_REQUESTED.value, 1), else_=0)).label("requested"),
            func.max(case((e.kind == EventKind.REVIEW_OUTCOME.value, 1), else_=0)).label("decided"),
        )
        .where(
            e.kind.in_([EventKind.REVIEW_REQUESTED.value, EventKind.REVIEW_OUTCOME.value]),
            e.request_id.in_(select(FoiRequest.id).where(FoiRequest.campaign_id == campaign_id)),
        )
        .group_by(e.request_id)
        .cte("review_flags")
    )


def _counts_select(campaign_id: int, dimension: str, reviews):
    r = FoiRequest
    group = _DIMENSIONS[dimension]
    conditions = outcome_conditions()
    sent = conditions["sent"]
    columns = {
        **conditions,
        "within_20": r.response_working_days <= 20,
        "ncnd": r.outcome == Outcome.NEITHER_CONFIRM_NOR_DENY.value,
        "successful": r.outcome == Outcome.SUCCESSFUL.value,
        "partially_successful": r.outcome == Outcome.PARTIALLY_SUCCESSFUL.value,
        "reviews_requested": reviews.c.requested == 1,
        "reviews_decided": reviews.c.decided == 1,
        "reviews_under_way": r.status == Status.INTERNAL_REVIEW.value,
    }
    stmt = (
        select(
            literal_column(f"'{dimension}'").label("dimension"),
            (group if group is not None else literal_column("''")).label("grp"),
            func.count(distinct(case((sent, r.authority_id)))).label("councils"),
            *(_count_if(cond, name) for name, cond in columns.items()),
        )
        .select_from(r)
        .join(Authority, Authority.id == r.authority_id)
        .outerjoin(reviews, reviews.c.request_id == r.id)
        .where(r.campaign_id == campaign_id)
    )
    return stmt.group_by(group) if group is not None else stmt


def _medians_select(campaign_id: int, dimension: str):
    group = _DIMENSIONS[dimension]
    medians = median_select(
        FoiRequest.response_working_days,
        [group] if group is not None else [],
        [FoiRequest.campaign_id == campaign_id],
        from_=FoiRequest.__table__.join(Authority.__table__),
    ).subquery()
    grp = medians.c.g0 if group is not None else literal_column("''")
    return select(literal_column(f"'{dimension}'").label("dimension"), grp.label("grp"), medians.c.median)


@lru_cache(maxsize=64)
def _statistics_statements(campaign_id: int):
    """The counts and medians statements of a campaign, built once and kept: building them (and
    their SQL cache key) took more of the report's time than running them (benchmarks/bench_report.py)."""
    reviews = _review_flags(campaign_id)
    counts = union_all(*(_counts_select(campaign_id, dim, reviews) for dim in _DIMENSIONS))
    medians = union_all(*(_medians_select(campaign_id, dim) for dim in _DIMENSIONS))
    return counts, medians


def campaign_statistics(session: Session, campaign_id: int) -> CampaignStats:
    """How a campaign's requests went, overall and by region and council type: three statements
    (the counts, the medians, the exemptions), whatever the number of requests."""
    counts, medians = _statistics_statements(campaign_id)
    groups: dict[str, dict[str, GroupStats]] = {dim: {} for dim in _DIMENSIONS}
    connection = session.connection()  # Core rows: the ORM adds nothing to plain columns
    for row in connection.execute(counts).mappings():
        label = row["grp"] or ("All councils" if row["dimension"] == "all" else "(none)")
        groups[row["dimension"]][row["grp"]] = GroupStats(label, **{f: int(row[f]) for f in GROUP_FIELDS})
    for dimension, grp, median in connection.execute(medians):
        if median is not None and grp in groups[dimension]:
            groups[dimension][grp].median_working_days = float(median)

    stats = CampaignStats(
        overall=groups["all"].get("", GroupStats("All councils")),
        by_region=[groups["region"][k] for k in sorted(groups["region"]) if groups["region"][k].sent],
        by_type=[groups["type"][k] for k in sorted(groups["type"]) if groups["type"][k].sent],
    )
    _add_event_details(session, campaign_id, stats)
    return stats


def _add_event_details(session: Session, campaign_id: int, stats: CampaignStats) -> None:
    """Exemptions cited and how reviews ended, from one read of the response and review events."""
    kinds = [EventKind.RESPONSE_RECEIVED.value, EventKind.REVIEW_OUTCOME.value]
    rows = session.execute(
        select(RequestEvent.request_id, RequestEvent.kind, RequestEvent.details)
        .join(FoiRequest, FoiRequest.id == RequestEvent.request_id)
        .where(FoiRequest.campaign_id == campaign_id, RequestEvent.kind.in_(kinds))
        .order_by(RequestEvent.request_id, RequestEvent.occurred_on, RequestEvent.id)
    )
    citing: dict[str, set[int]] = defaultdict(set)
    outcome_now: dict[int, str | None] = {}
    last_review: dict[int, tuple[str | None, str | None]] = {}  # request -> (outcome before, review's outcome)
    for request_id, kind, details in rows:
        details = details or {}
        for code in details.get("exemptions") or ():
            citing[code].add(request_id)
        if kind == EventKind.REVIEW_OUTCOME.value:
            last_review[request_id] = (outcome_now.get(request_id), details.get("outcome"))
        if details.get("outcome"):
            outcome_now[request_id] = details["outcome"]
    order = {code: i for i, code in enumerate(EXEMPTIONS)}
    stats.exemptions = sorted(
        (ExemptionCount(code, EXEMPTIONS.get(code, code), len(ids)) for code, ids in citing.items()),
        key=lambda e: (-e.requests, order.get(e.code, len(order)), e.code),
    )
    stats.refusals_citing_exemptions = len(set().union(*citing.values())) if citing else 0
    stats.reviews_changed = sum(1 for before, after in last_review.values() if after and after != before)
    stats.reviews_upheld = len(last_review) - stats.reviews_changed
