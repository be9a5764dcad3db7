"""Per-process caches of what the busiest read pages compute, never stale.

The dashboard counts every request (15 counts over 10,000 rows, per campaign) and is the
page people open most; the report page aggregates a whole campaign's figures. Both only
change when something is written, so each worker process keeps the last answers (the
dashboard's per scope, user for "mine", campaigns the user may see, today and due-soon setting; the report page's per
campaign and day: reports.views) and reuses them while the database provably holds the same data.

Why a cached answer is never stale: the cache key includes a *database version* read on
every request, a number that is bound to change once a transaction that wrote has committed,
whatever wrote it (any view, the CLI, the scheduler, another worker or process, raw SQL):

- SQLite: ``PRAGMA data_version`` (documented to change on this connection whenever another
  connection commits) with ``total_changes()`` (rows this connection has changed, committed or
  not). Both are the connection's own, so each pooled connection keeps its own entries.
- PostgreSQL: ``data_version.n``, a one-row table that triggers on every table move on in the
  writing transaction itself, as it commits (migration 0007 says how, and why that cannot
  deadlock): the new number is visible exactly when the new data is. (PostgreSQL's snapshot
  would do too, but it moves with every commit anywhere on the server, autovacuum's included.)
  Not counted: the scheduler's heartbeat and the login attempts, which no cached page reads.

The answer is stored under the version read just before it was computed, and served only to
a later request that reads that same version. A version never comes back (SQLite's counters
only grow; PostgreSQL's number only grows, and is at least the time in microseconds, so a
restore brings an old number back only with the data it stood for), so if anything committed
while the answer was being computed, the version has moved on for good and that answer is
never served. Nothing is cached or served while the
session has uncommitted writes of its own (they could yet be rolled back), nor on another
backend. The price of a version that knows nothing of tables is that any write (a figure
typed in) drops every cached answer; the gain is that no write path can be forgotten. Tests:
tests/test_read_cache.py does each kind of write and checks that the dashboard and the report
show it at once, and that on PostgreSQL every table but those two is counted.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import Campaign
from .deadlines import Calendars
from .stats import Scope, TodoCounts, campaign_progress, everything_dashboard, todo_table

_connection_tokens = itertools.count(1)
_TOKEN = "fointracker_data_version_token"
_SQLITE_VERSION = text("SELECT (SELECT data_version FROM pragma_data_version), total_changes()")
_PG_VERSION = text("SELECT (SELECT n FROM data_version WHERE id = 1), pg_current_xact_id_if_assigned() IS NULL")
_PG_VERSION_OLD = text("SELECT (SELECT n FROM data_version WHERE id = 1), txid_current_if_assigned() IS NULL")  # < 13


class DataVersion(NamedTuple):
    """Where the version was read (SQLite: which connection, as its counters are its own;
    PostgreSQL: which database) and what it read there."""

    source: Hashable
    reading: Hashable


def database_version(session: Session) -> DataVersion | None:
    """A reading that changes whenever a transaction that wrote commits (on PostgreSQL: wrote to
    a counted table; see the module's docstring), taken with one trivial statement; None when it
    cannot vouch for the data: the session has uncommitted writes, PostgreSQL's row is missing,
    or the backend is neither SQLite nor PostgreSQL."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        pooled = connection.connection  # the pool's proxy: .info lives as long as the DBAPI connection
        if pooled.dbapi_connection.in_transaction:  # pysqlite begins a transaction only to write
            return None
        token = pooled.info.get(_TOKEN)
        if token is None:  # numbers each connection once: id() could be reused by a later one
            token = pooled.info[_TOKEN] = next(_connection_tokens)
        data_version, changes = connection.execute(_SQLITE_VERSION).one()
        return DataVersion(("sqlite", token), (data_version, changes))
    if dialect.name == "postgresql":
        old = dialect.server_version_info is not None and dialect.server_version_info < (13,)
        number, read_only = connection.execute(_PG_VERSION_OLD if old else _PG_VERSION).one()
        if number is None or not read_only:  # the row is gone (a TRUNCATE) until the next write
            return None
        return DataVersion(("postgresql", connection.engine.url.render_as_string(hide_password=True)), number)
    return None


class VersionedCache:
    """A small LRU of computed values, each valid only under the database version it was computed
    in. Per process; safe to share between threads."""

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, session: Session, key: Hashable, compute: Callable[[], Any]) -> Any:
        version = database_version(session)
        if version is None:
            return compute()
        # One entry per source: on SQLite each pooled connection counts for itself.
        key = (key, version.source)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version.reading:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        value = compute()
        # Under the version read before computing: if something committed meanwhile, no later
        # request reads that version again, so a value that may have seen it is never served.
        with self._lock:
            self._entries[key] = (version.reading, value)
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
    return DashboardData(scope, todo, progress, any_campaign)


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
        session, key, lambda: compute_dashboard(session, everything, user_id, today, soon_days, visible)
    )
