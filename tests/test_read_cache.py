"""The per-process caches (services.read_cache) are never stale: after each kind of write the
dashboard and the report page show exactly what they show when computed afresh, and they do
serve from the cache while nothing is written."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, inspect, select, text, update

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Answer, Authority, Campaign, FoiRequest, Question, User
from fointracker.reports.views import report_cache
from fointracker.services.calendar import add_closure
from fointracker.services.campaigns import save_campaign
from fointracker.services.deadlines import Calendars
from fointracker.services.read_cache import (
    VersionedCache,
    dashboard_cache,
    dashboard_data,
    database_version,
)
from fointracker.services.timeline import add_event
from tests.dates import received_for_due
from tests.test_dashboard import logged_in, scene  # noqa: F401  (scene: the fixture)
from tests.test_report import worked  # noqa: F401  (the fixture)
from tests.test_stats import new_request

pytestmark = pytest.mark.today  # depends on today's date: .ci/run also runs it under faketime

TOKENS = re.compile(r'(name="csrf-token" content="|name="csrf_token" value=")[^"]+"')


def page(client, scope: str) -> str:
    """The dashboard (or, given a URL, that page), without the CSRF tokens (signed with the time,
    so they vary)."""
    response = client.get(scope if scope.startswith("/") else f"/?scope={scope}")
    assert response.status_code == 200
    return TOKENS.sub(r"\1", response.get_data(as_text=True))


def cached_page(client, scope: str, cache=dashboard_cache) -> str:
    """The page once its answer is in the cache: a second view is served from it. (Retried: on
    PostgreSQL any commit in the cluster, autovacuum's included, invalidates the cache.)"""
    for _ in range(5):
        page(client, scope)
        hits = cache.hits
        html = page(client, scope)
        if cache.hits == hits + 1:
            return html
    pytest.fail("the page was never served from the cache")


def settled_page(client, scope: str) -> str:
    """The page, the same over several views: each view may be served by another pooled
    connection, and every one must show the data as it now is."""
    views = [page(client, scope) for _ in range(4)]
    assert all(view == views[0] for view in views), "the views of one page disagree"
    return views[0]


def fresh_page(client, scope: str, cache=dashboard_cache) -> str:
    cache.clear()
    return page(client, scope)


def overdue_by_a_day(session, campaign_id: int, owner_id: int) -> FoiRequest:
    """A real request (sent, deadlines computed) whose response was due on the last working day
    before today, and which is so overdue: an office closure on that day makes it not overdue."""
    calendar = Calendars.from_db(session).for_regime("foia")
    due = calendar.previous_or_same_working_day(clock.today() - timedelta(days=1))
    sent = received_for_due(calendar, due)
    council = session.scalar(select(Authority.id).where(Authority.nation == "England", Authority.code == "KEN"))
    request = new_request(session, campaign_id, council, sent, owner_id)
    assert request.response_due_on == due, (sent, request.response_due_on, due)
    return request


def test_each_kind_of_write_shows_on_the_dashboard_at_once(app, scene):  # noqa: F811
    a, b, users = scene["a"], scene["b"], scene["users"]
    admin, coordinator = logged_in(app, "admin"), logged_in(app, "coordinator")
    with app.app_context():
        session = db.session
        request = overdue_by_a_day(session, a, users["staff"])
        request_id, due = request.id, request.response_due_on
        council = session.scalar(select(Authority.id).where(Authority.code == "MAN"))
        staff_request_id = new_request(session, a, council, clock.today() - timedelta(days=40), users["staff"]).id

    def write_then_check(write, client=admin, scope="all"):
        before = cached_page(client, scope)
        with app.app_context():  # as a view, a command or the scheduler would: a session of its own
            write(db.session)
            db.session.commit()
        after = settled_page(client, scope)
        assert after != before, "the write should change the dashboard (or the test checks nothing)"
        assert after == fresh_page(client, scope)
        return after

    # An event that changes the status and the deadline columns (through the timeline service).
    write_then_check(
        lambda s: add_event(
            s,
            s.get(FoiRequest, staff_request_id),
            kind="response_received",
            occurred_on=clock.today(),
            details={"outcome": "successful"},
            user_id=None,
        )
    )

    # The figures flag: the request's own column, through the ORM.
    def figures_entered(s):
        s.get(FoiRequest, staff_request_id).figures_entered = True
        s.commit()

    write_then_check(figures_entered)

    # Raw SQL that no ORM hook sees: deadlines moved into the past.
    def raw_sql(s):
        s.execute(
            text("UPDATE foi_request SET response_due_on = :past WHERE campaign_id = :b AND response_due_on > :later"),
            {"past": clock.today() - timedelta(days=3), "b": b, "later": clock.today() + timedelta(days=30)},
        )
        s.commit()

    write_then_check(raw_sql)

    # Another process (the CLI, the scheduler, another worker): a connection of its own.
    def other_process(_s):
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(FoiRequest)
                    .where(FoiRequest.status == "clarification_requested")
                    .values(status="awaiting_response", clock_paused=False)
                )
        finally:
            engine.dispose()

    write_then_check(other_process)

    # An office closure: every request's deadlines are recomputed from its timeline (the scene's
    # hand-made rows have none, so theirs go), and the request due on that day is no longer overdue.
    write_then_check(
        lambda s: add_closure(s, day=due, name="Office move", calendar="all", remove=False, user_id=users["admin"])
    )
    with app.app_context():
        assert db.session.get(FoiRequest, request_id).response_due_on >= clock.today()

    # A campaign renamed (the progress table shows titles), and a new one.
    values = {"title": "A: social care budgets", "description": "", "default_regime": "foia", "letter_template": ""}
    write_then_check(lambda s: save_campaign(s, s.get(Campaign, a), values, [users["coordinator"]], users["admin"]))
    write_then_check(lambda s: save_campaign(s, None, {**values, "title": "C: parks"}, [], users["admin"]))

    # Coordinators changed: the coordinator's "mine" now spans campaign B too.
    def coordinate_b(s):
        campaign = s.get(Campaign, b)
        save_campaign(
            s,
            campaign,
            {"title": campaign.title, "description": "", "default_regime": "foia", "letter_template": ""},
            [users["coordinator"]],
            users["admin"],
        )

    write_then_check(coordinate_b, client=coordinator, scope="mine")

    # A request deleted; a user's requests handed to someone else.
    def delete_request(s):
        s.delete(s.get(FoiRequest, request_id))
        s.commit()

    write_then_check(delete_request)

    def hand_over(s):
        s.execute(update(FoiRequest).where(FoiRequest.owner_id == users["coordinator"]).values(owner_id=users["staff"]))
        s.commit()

    write_then_check(hand_over, client=coordinator, scope="mine")


def test_the_report_page_shows_a_figure_at_once(app, session, worked, login_as):  # noqa: F811
    client = login_as("author")
    url = f"/campaigns/{worked.id}/report"
    before = cached_page(client, url, report_cache)
    assert "£180,000,000" in before  # B1011's total
    kent = session.scalar(
        select(Answer.id)
        .join(Question)
        .join(FoiRequest)
        .join(Authority)
        .where(Question.code == "B1011", Authority.code == "KEN")
    )
    # Entered elsewhere (another worker, an import on the command line), while the session that
    # serves the page keeps its connection.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as conn:
            conn.execute(update(Answer).where(Answer.id == kent).values(value_number=Decimal("110000000")))
    finally:
        engine.dispose()
    after = settled_page(client, url)
    assert after != before and "£190,000,000" in after
    assert after == fresh_page(client, url, report_cache)


def test_the_cache_keeps_users_scopes_and_days_apart(app, scene):  # noqa: F811
    staff, coordinator = logged_in(app, "staff"), logged_in(app, "coordinator")
    for client, user in ((staff, "staff"), (coordinator, "coordinator")):
        html = cached_page(client, "mine")
        assert html == fresh_page(client, "mine"), user
    assert cached_page(staff, "mine") != cached_page(coordinator, "mine")
    main = re.compile(r'<main id="main">.*</main>', re.S)  # the page without whose account it is
    assert main.search(cached_page(staff, "all"))[0] == main.search(cached_page(coordinator, "all"))[0]
    # The same user on another day: computed again (the deadline buckets depend on the day).
    user_id, today = scene["users"]["staff"], clock.today()
    with app.app_context():
        session = db.session
        first = dashboard_data(session, False, user_id, today, 5)
        assert dashboard_data(session, False, user_id, today, 5) is first
        later = dashboard_data(session, False, user_id, today + timedelta(days=40), 5)
        assert later is not first and later.todo.total != first.todo.total
        assert dashboard_data(session, False, user_id, today, 6) is not first  # another due-soon setting


def test_nothing_is_cached_from_uncommitted_writes_or_across_a_commit(app, session, users):
    cache = VersionedCache()
    # Uncommitted writes of the session's own: no version to vouch for them.
    session.add(Campaign(title="Pending", default_regime="foia"))
    session.flush()
    assert database_version(session) is None
    assert cache.get_or_compute(session, "k", lambda: "with the pending campaign") == "with the pending campaign"
    session.rollback()
    assert database_version(session) is not None
    assert cache.get_or_compute(session, "k", lambda: "after the rollback") == "after the rollback"
    assert cache.get_or_compute(session, "k", lambda: "not computed") == "after the rollback"  # served

    # A commit elsewhere while the value is being computed: returned, but not kept.
    def computed_while_another_connection_commits():
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.begin() as conn:
                conn.execute(update(User).where(User.id == users["staff"]).values(name="Renamed"))
        finally:
            engine.dispose()
        return "stale at once"

    cache.clear()
    assert cache.get_or_compute(session, "k", computed_while_another_connection_commits) == "stale at once"
    assert cache.get_or_compute(session, "k", lambda: "computed again") == "computed again"

    # Any commit, even to a table the value never read, makes the next read compute again.
    assert cache.get_or_compute(session, "k", lambda: "not computed") == "computed again"
    session.execute(update(User).where(User.id == users["staff"]).values(name="Renamed again"))
    session.commit()
    assert cache.get_or_compute(session, "k", lambda: "after a commit") == "after a commit"


def test_the_cache_stays_small(session):
    cache = VersionedCache(max_entries=3)
    for key in range(10):
        assert cache.get_or_compute(session, key, lambda key=key: key) == key
    assert [key for key, _source in cache._entries] == [7, 8, 9]  # the least recently used went first
    cache.get_or_compute(session, 7, lambda: "not computed")
    cache.get_or_compute(session, 10, lambda: 10)
    assert [key for key, _source in cache._entries] == [9, 7, 10]


def test_on_postgresql_every_table_counts_its_writes(app):
    """Migration 0007's triggers are on every table but the few no cached page reads: a table
    added later without them would let the caches serve stale answers."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":  # SQLite: PRAGMA data_version sees every commit
            assert database_version(db.session).source[0] == "sqlite"
            return
        tables = set(inspect(db.engine).get_table_names())
        triggers = db.session.execute(
            text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE 'data_version_%'"
            )
        ).all()
        counted = {
            table
            for table in tables
            if {(table, "data_version_rows"), (table, "data_version_truncate")} <= set(triggers)
        }
        assert tables - counted == {"alembic_version", "data_version", "scheduler_lease", "login_attempt"}, (
            "add migration 0007's count_writes(table) to the migration of a new table"
        )


def test_on_postgresql_the_number_moves_once_a_commit_and_only_then(app, users):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        s = db.session

        def number():
            s.rollback()
            return s.scalar(text("SELECT n FROM data_version WHERE id = 1"))

        start = number()
        s.execute(update(User).where(User.id == users["staff"]).values(name="One"))
        s.execute(update(User).values(active=True))  # several rows, several statements: one transaction
        assert s.scalar(text("SELECT n FROM data_version WHERE id = 1")) == start  # not before the commit
        s.commit()
        moved = number()
        assert moved > start
        s.execute(update(User).values(name="Never"))
        s.rollback()
        assert number() == moved  # a rolled-back write moves nothing
        # Writes the cached pages never read do not drop them: the scheduler's heartbeat, a login attempt.
        s.execute(text("INSERT INTO login_attempt (email, remote_addr, attempted_at) VALUES ('x', 'y', now())"))
        s.commit()
        assert number() == moved
        # The row itself truncated (as the test suite does between tests): the next write brings it back, larger.
        s.execute(text("TRUNCATE data_version"))
        s.commit()
        assert database_version(s) is None  # nothing to vouch for the data until then
        s.execute(update(User).where(User.id == users["staff"]).values(name="Two"))
        s.commit()
        assert number() > moved
