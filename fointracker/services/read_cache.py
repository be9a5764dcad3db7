"""Per-process caches of what the busiest read pages compute, never stale.

The report (reports.views: the page and report.json share one built `Report` per campaign and
day) and the dashboard (per scope, user for "mine", campaigns the user may see, today and
due-soon setting) only change when something they read is written, so each worker process keeps
the last answers and reuses them while the data they were computed from is provably unchanged.

Why a cached answer is never stale: `campaign_version` (migration 0012 says how) holds a number
per campaign that triggers on every table move on in any transaction that writes that campaign's
data, whatever wrote it (any view, the CLI, the scheduler, another worker or process, raw SQL),
and row 0 for the data no campaign owns (the council register, closure days, users...). The new
number is visible exactly when the new data is (PostgreSQL: it is written at COMMIT by a deferred
trigger; SQLite: in the writing transaction), and a number never comes back: max(n + 1,
microseconds since 1970), and a restore moves every row on (services.backup). So an answer is
stored under the numbers of what it reads (the report of campaign C: rows C and 0; the
dashboard: row 0 and the rows of the campaigns the user may see, all rows for an admin), read in
one statement just before it is computed, and served only to a later request that reads those
same numbers: if anything it reads was committed meanwhile, a number has moved on for good and
that answer is never served. Nothing is cached or served while the session has uncommitted writes
of its own (they could yet be rolled back), nor when a row is missing (after a TRUNCATE, say),
nor on another backend.

Writes to one campaign leave the others' cached answers standing, and writers to different
campaigns move different rows (no single row every commit queues on). Not counted: the tables no
cached page reads (the scheduler's heartbeat, login attempts, user sessions, the audit trail;
migration 0012 lists them). Tests: tests/test_read_cache.py does each kind of write and checks
that the dashboard and the report show it at once, that another campaign's report stays cached,
and that every table but those few has the triggers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, CampaignVersion
from .chasing import Bounced, Draft, bounced_requests, user_drafts
from .deadlines import Calendars
from .our_deadlines import closing_soon
from .stats import Scope, TodoCounts, campaign_progress, everything_dashboard, todo_table

NO_CAMPAIGN = 0  # campaign_version's row for the data no campaign owns


class Versions(NamedTuple):
    """Where the numbers were read (which database) and what was read: ((campaign_id, n), ...)."""

    source: Hashable
    reading: tuple[tuple[int, int], ...]


def campaign_versions(session: Session, campaign_ids: Iterable[int] | None) -> Versions | None:
    """The numbers of `campaign_ids` and of row 0 (`campaign_ids` None: every row), read with one
    statement; None when they cannot vouch for the data: the session has uncommitted writes, a
    row is missing, or the backend is neither SQLite nor PostgreSQL."""
    connection = session.connection()
    dialect = connection.dialect
    wanted = None if campaign_ids is None else {NO_CAMPAIGN, *campaign_ids}
    query = select(CampaignVersion.campaign_id, CampaignVersion.n)
    if wanted is not None:
        query = query.where(CampaignVersion.campaign_id.in_(sorted(wanted)))
    if dialect.name == "sqlite":
        if connection.connection.dbapi_connection.in_transaction:  # pysqlite begins a transaction only to write
            return None
        rows = connection.execute(query).all()
    elif dialect.name == "postgresql":
        old = dialect.server_version_info is not None and dialect.server_version_info < (13,)
        assigned = func.txid_current_if_assigned() if old else func.pg_current_xact_id_if_assigned()
        rows = connection.execute(query.add_columns(assigned.is_(None))).all()
        if not all(read_only for _id, _n, read_only in rows):  # this transaction has written
            return None
        rows = [(campaign_id, n) for campaign_id, n, _ in rows]
    else:
        return None
    numbers = dict(rows)
    if NO_CAMPAIGN not in numbers or (wanted is not None and len(numbers) != len(wanted)):
        return None
    return Versions((dialect.name, connection.engine.url.render_as_string(hide_password=True)), tuple(sorted(rows)))


class VersionedCache:
    """A small LRU of computed values, each valid only under the campaign versions it was
    computed in. Per process; safe to share between threads."""

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(
        self, session: Session, key: Hashable, compute: Callable[[], Any], campaign_ids: Iterable[int] | None
    ) -> Any:
        """`compute()`, or the value it gave before if nothing it reads has been written since:
        it reads the data of `campaign_ids` (None: of every campaign) and the data no campaign owns."""
        versions = campaign_versions(session, campaign_ids)
        if versions is None:
            return compute()
        key = (key, versions.source)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == versions.reading:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        value = compute()
        # Under the numbers read before computing: if something committed meanwhile, no later
        # request reads those numbers again, so a value that may have seen it is never served.
        with self._lock:
            self._entries[key] = (versions.reading, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows that comes from the database."""

    scope: Scope
    todo: TodoCounts
    progress: list  # campaign_progress rows
    any_campaign: bool
    windows: list  # our windows closing soon (services.our_deadlines.closing_soon)


def compute_dashboard(
    session: Session,
    everything: bool,
    user_id: int,
    today: date,
    soon_days: int,
    visible: frozenset[int] | None = None,
) -> DashboardData:
    """The dashboard's numbers, uncached: "everything", or "mine" for `user_id` (the requests
    they own, and every request of the campaigns they coordinate); either way only in the
    campaigns `visible` (services.access.visible_campaign_ids; None: every campaign)."""
    scope = Scope.everything(visible) if everything else Scope.mine(session, user_id, visible)
    calendars = Calendars.from_db(session)
    if scope.is_everything:
        todo, progress = everything_dashboard(session, today, calendars, soon_days, visible)  # one pass for both
        any_campaign = bool(progress)
    else:
        todo = todo_table(session, today, calendars, soon_days, scope)
        # Campaigns I coordinate, and those in which I own requests.
        progress = campaign_progress(session, set(todo.by_campaign) | set(scope.campaign_ids))
        seen = select(Campaign.id).limit(1)
        if visible is not None:
            seen = seen.where(Campaign.id.in_(sorted(visible)))
        any_campaign = bool(progress) or session.scalar(seen) is not None
    windows = closing_soon(session, scope.condition(), today, calendars)
    return DashboardData(scope, todo, progress, any_campaign, windows)


dashboard_cache = VersionedCache()


def dashboard_data(
    session: Session,
    everything: bool,
    user_id: int,
    today: date,
    soon_days: int,
    visible: frozenset[int] | None = None,
) -> DashboardData:
    """`compute_dashboard`, from this process's cache while the database is unchanged. Keyed on
    the campaigns the user may see, so nobody is served a view counted over campaigns they may
    not see (two users who see the same campaigns share "everything")."""
    seen = None if visible is None else tuple(sorted(visible))
    key = ("dashboard", everything, None if everything else user_id, seen, today, soon_days)
    return dashboard_cache.get_or_compute(
        session, key, lambda: compute_dashboard(session, everything, user_id, today, soon_days, visible), visible
    )


def drafts_data(session: Session, user_id: int, visible: frozenset[int] | None = None) -> list[Draft]:
    """`chasing.user_drafts`, from this process's cache while the campaigns the user may see are
    unchanged (a draft is created, sent or removed with a write to its campaign's data)."""
    seen = None if visible is None else tuple(sorted(visible))
    return dashboard_cache.get_or_compute(
        session, ("drafts", user_id, seen), lambda: user_drafts(session, user_id, visible), visible
    )


def bounced_data(session: Session, visible: frozenset[int] | None = None) -> list[Bounced]:
    """`chasing.bounced_requests`, cached as the drafts are (mail_message writes count as their
    campaign's: migration 0015)."""
    seen = None if visible is None else tuple(sorted(visible))
    return dashboard_cache.get_or_compute(
        session, ("bounced", seen), lambda: bounced_requests(session, visible), visible
    )
