"""The per-process caches (services.read_cache) are never stale: after each kind of write the
dashboard and the report (page and JSON) show exactly what they show when computed afresh; they
do serve from the cache while nothing they read is written, and a write to one campaign leaves
another campaign's report cached. Every table but the few no cached page reads moves the
campaign version (migration 0012) of what it writes, on both backends."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.exc import OperationalError

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import (
    Answer,
    Attachment,
    Authority,
    Campaign,
    CampaignContact,
    ClosureDay,
    FileMapping,
    FoiRequest,
    MailMessage,
    PublishedReport,
    PublishedReportVersion,
    Question,
    Reminder,
    RequestEvent,
    SecondEntry,
    User,
)
from fointracker.reports.views import report_cache
from fointracker.services.calendar import add_closure
from fointracker.services.campaigns import save_campaign
from fointracker.services.deadlines import Calendars
from fointracker.services.read_cache import (
    VersionedCache,
    campaign_versions,
    dashboard_cache,
    dashboard_data,
)
from fointracker.services.timeline import add_event
from tests.dates import received_for_due
from tests.test_dashboard import logged_in, scene  # noqa: F401  (scene: the fixture)
from tests.test_report import councils, new_campaign, new_question, worked  # noqa: F401  (worked: the fixture)
from tests.test_report import new_request as answered_request
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
    """The page once its answer is in the cache: a second view is served from it."""
    page(client, scope)
    return served_from_cache(client, scope, cache)


def served_from_cache(client, url: str, cache=dashboard_cache) -> str:
    """The page, every part of it that is cached served from the cache (the dashboard has two:
    the counts, and the user's drafts)."""
    hits, misses = cache.hits, cache.misses
    html = page(client, url)
    assert cache.hits > hits and cache.misses == misses, f"{url} was not served from the cache"
    return html


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
    before today, and which is so overdue (an office closure on that day does not change that: FOIA s.10(6))."""
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
    # hand-made rows have none, so theirs go); a closure is a working day in law (FOIA s.10(6)), so
    # the request due on that day keeps its statutory date and stays overdue.
    write_then_check(
        lambda s: add_closure(s, day=due, name="Office move", calendar="all", remove=False, user_id=users["admin"])
    )
    with app.app_context():
        assert db.session.get(FoiRequest, request_id).response_due_on == due < clock.today()

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


def test_the_report_page_and_json_show_a_figure_at_once(app, session, worked, login_as):  # noqa: F811
    client = login_as("author")
    url, json_url = f"/campaigns/{worked.id}/report", f"/campaigns/{worked.id}/report.json"
    before = cached_page(client, url, report_cache)
    assert "£180,000,000" in before  # B1011's total
    json_before = served_from_cache(client, json_url, report_cache)  # the report the page was built from
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
    json_after = settled_page(client, json_url)
    assert json_after != json_before and "190000000" in json_after
    after = served_from_cache(client, url, report_cache)
    assert after != before and "£190,000,000" in after
    assert after == fresh_page(client, url, report_cache)
    assert json_after == fresh_page(client, json_url, report_cache)


def test_a_write_to_one_campaign_leaves_anothers_report_cached(app, session, users, worked, login_as):  # noqa: F811
    other = new_campaign(session, users, title="Library opening hours")
    answered_request(session, other, councils(session, ["KEN"])["KEN"])
    session.commit()
    ours, theirs = f"/campaigns/{worked.id}/report", f"/campaigns/{other.id}/report"
    kent = session.scalar(
        select(FoiRequest.id).join(Authority).where(FoiRequest.campaign_id == worked.id, Authority.code == "KEN")
    )
    client = login_as("admin")
    before, theirs_before = cached_page(client, ours, report_cache), cached_page(client, theirs, report_cache)
    with app.app_context():  # through the services, audit entries and all, as a view would
        s = db.session
        add_event(s, s.get(FoiRequest, kent), kind="note", occurred_on=clock.today(), note="Chased", user_id=None)
        s.execute(
            update(Answer)
            .where(Answer.request_id == kent, Answer.value_number == Decimal("100000000"))
            .values(value_number=Decimal("101000000"))
        )
        s.commit()
    assert served_from_cache(client, theirs, report_cache) == theirs_before
    misses = report_cache.misses
    after = page(client, ours)
    assert report_cache.misses == misses + 1 and "£181,000,000" in after and after != before
    assert after == fresh_page(client, ours, report_cache)

    # Data no campaign owns (here a user renamed): every campaign's report is computed again.
    cached_page(client, ours, report_cache), cached_page(client, theirs, report_cache)
    with app.app_context():
        db.session.execute(update(User).where(User.id == users["staff"]).values(name="Renamed"))
        db.session.commit()
    for url in (ours, theirs):
        misses = report_cache.misses
        page(client, url)
        assert report_cache.misses == misses + 1, url


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
    assert campaign_versions(session, None) is None
    assert cache.get_or_compute(session, "k", lambda: "with the pending campaign", None) == "with the pending campaign"
    session.rollback()
    assert campaign_versions(session, None) is not None
    assert cache.get_or_compute(session, "k", lambda: "after the rollback", None) == "after the rollback"
    assert cache.get_or_compute(session, "k", lambda: "not computed", None) == "after the rollback"  # served

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
    assert cache.get_or_compute(session, "k", computed_while_another_connection_commits, None) == "stale at once"
    assert cache.get_or_compute(session, "k", lambda: "computed again", None) == "computed again"
    assert cache.get_or_compute(session, "k", lambda: "not computed", None) == "computed again"

    # A value that reads one campaign: a commit to another campaign keeps it, one to it drops it.
    mine, other = Campaign(title="Mine", default_regime="foia"), Campaign(title="Other", default_regime="foia")
    session.add_all([mine, other])
    session.commit()
    assert cache.get_or_compute(session, "m", lambda: "mine", [mine.id]) == "mine"
    other.title = "Other, renamed"
    session.commit()
    assert cache.get_or_compute(session, "m", lambda: "not computed", [mine.id]) == "mine"
    mine.title = "Mine, renamed"
    session.commit()
    assert cache.get_or_compute(session, "m", lambda: "after a commit to it", [mine.id]) == "after a commit to it"


def test_nothing_is_cached_without_a_version_to_vouch_for_it(app, session, users):
    """A campaign without a row (its rows lost: a TRUNCATE, or deleted by hand) is never cached
    until a write brings its row back, larger than any it had."""
    campaign = Campaign(title="Mine", default_regime="foia")
    session.add(campaign)
    session.commit()
    first = campaign_versions(session, [campaign.id])
    assert first is not None and {c for c, _n in first.reading} == {0, campaign.id}
    session.execute(text("DELETE FROM campaign_version"))
    session.commit()
    assert campaign_versions(session, [campaign.id]) is None and campaign_versions(session, None) is None
    campaign.title = "Mine, renamed"
    session.commit()
    assert campaign_versions(session, [campaign.id]) is None  # row 0 is still missing
    session.get(User, users["staff"]).name = "Renamed"
    session.commit()
    again = campaign_versions(session, [campaign.id])
    assert again is not None and all(n > max(n for _c, n in first.reading) for _c, n in again.reading)


def test_the_cache_stays_small(session, users):
    cache = VersionedCache(max_entries=3)
    for key in range(10):
        assert cache.get_or_compute(session, key, lambda key=key: key, None) == key
    assert [key for key, _source in cache._entries] == [7, 8, 9]  # the least recently used went first
    cache.get_or_compute(session, 7, lambda: "not computed", None)
    cache.get_or_compute(session, 10, lambda: 10, None)
    assert [key for key, _source in cache._entries] == [9, 7, 10]


# Whose number a write to each table moves: a campaign's (through the column that says which), or
# row 0's (data no campaign owns). A new table must be added here, and counted by its migration.
OWNER = {
    "campaign": "campaign",
    "campaign_coordinator": "campaign",
    "campaign_member": "campaign",
    "campaign_contact": "campaign",
    "mail_message": "campaign",
    "file_mapping": "campaign",
    "second_entry": "campaign (its request's)",
    "published_report": "campaign",
    "published_report_version": "campaign",
    "question": "campaign",
    "foi_request": "campaign",
    "answer": "campaign (its request's)",
    "request_event": "campaign (its request's)",
    "reminder": "campaign (its request's)",
    "attachment": "campaign (its event's request's)",
    "authority": "none",
    "closure_day": "none",
    "user": "none",
}
NOT_COUNTED = {
    "alembic_version",
    "campaign_version",
    "scheduler_lease",
    "login_attempt",
    "user_session",
    "audit_entry",
    "stored_file",  # the file store's blobs (0016): no cached page reads them, and they belong to no campaign
    "mail_attachment",  # a message's files (0015): no cached page reads them
    "api_token",  # personal API tokens (#18): no cached page reads them; each API call moves last_used_at
}


def _triggered_tables(session) -> dict[str, set[str]]:
    """Table: the events whose writes move the campaign versions (migration 0012's triggers)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT c.relname, substr(t.tgname, length('campaign_version_') + 1) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgname LIKE 'campaign_version_%'"
            )
        ).all()
    else:
        rows = [
            (table, name.removeprefix(f"campaign_version_{table}_"))
            for table, name in session.execute(
                text(
                    "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'campaign_version_%'"
                )
            )
        ]
    found: dict[str, set[str]] = {}
    for table, event in rows:
        found.setdefault(table, set()).add(event)
    return found


def test_every_table_moves_the_versions_of_what_it_writes(app):
    """Migration 0012's triggers are on every table but the few no cached page reads: a table added
    later without them would let the caches serve stale answers."""
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        tables = {t for t in inspect(db.engine).get_table_names() if not t.startswith("request_search")}
        events = {"insert", "update", "delete", "truncate"} if postgresql else {"insert", "update", "delete"}
        triggered = _triggered_tables(db.session)
        counted = {table for table in tables if triggered.get(table) == events}
        assert tables - counted == NOT_COUNTED, "call migration 0012's count_campaign_writes(table) for a new table"
        assert counted == set(OWNER), "say in OWNER whose number a write to the new table moves"


@pytest.fixture
def campaign_b(session, users):
    """A second campaign with a row of its own in every table that belongs to a campaign."""
    campaign = new_campaign(session, users, title="B: libraries")
    campaign.coordinators.append(session.get(User, users["coordinator"]))
    session.execute(
        text("INSERT INTO campaign_member (campaign_id, user_id) VALUES (:c, :u)"),
        {"c": campaign.id, "u": users["staff"]},
    )
    request = answered_request(session, campaign, councils(session, ["KEN"])["KEN"])
    question = new_question(session, campaign, "HOURS", "count", 1, label="Opening hours")
    session.add(Answer(request_id=request.id, question_id=question.id, state="provided", value_number=Decimal(40)))
    event = RequestEvent(request_id=request.id, kind="note", occurred_on=date(2026, 3, 2))
    session.add(event)
    session.flush()
    session.add(Attachment(event_id=event.id, original_name="a.pdf", size=1, sha256="0" * 64))
    session.add(
        Reminder(
            request_id=request.id,
            kind="response_due",
            target_date=date(2026, 4, 1),
            recipient=f"user:{users['staff']}",
            recipient_id=users["staff"],
            channel="email",
            due_at=clock.now(),
        )
    )
    session.add(ClosureDay(day=date(2026, 3, 3), name="Office move", calendar="all", remove=False))
    session.add(CampaignContact(campaign_id=campaign.id, authority_id=request.authority_id, foi_email="a@kent.gov.uk"))
    session.add(MailMessage(direction="in", status="filed", campaign_id=campaign.id, request_id=request.id))
    session.add(FileMapping(campaign_id=campaign.id, name="Kent's layout", rules=[]))
    session.add(SecondEntry(request_id=request.id, question_id=question.id, state="provided", value_number=Decimal(41)))
    published = PublishedReport(campaign_id=campaign.id, slug="b-libraries", current_version=1)
    session.add(published)
    session.flush()
    session.add(
        PublishedReportVersion(
            published_report_id=published.id, campaign_id=campaign.id, number=1, digest="0" * 64, size=2, snapshot="{}"
        )
    )
    session.commit()
    return campaign


def test_a_write_to_each_table_moves_the_number_of_the_campaign_it_belongs_to(app, session, campaign_b):
    """Each table rewritten in place, one row of campaign B's (or of no campaign's), committed:
    exactly that campaign's number moves, or row 0's."""
    b = campaign_b.id
    of_b = {
        "campaign": "id = :b",
        "answer": "request_id IN (SELECT id FROM foi_request WHERE campaign_id = :b)",
        "request_event": "request_id IN (SELECT id FROM foi_request WHERE campaign_id = :b)",
        "reminder": "request_id IN (SELECT id FROM foi_request WHERE campaign_id = :b)",
        "second_entry": "request_id IN (SELECT id FROM foi_request WHERE campaign_id = :b)",
        "attachment": "event_id IN (SELECT e.id FROM request_event e JOIN foi_request f ON f.id = e.request_id "
        "WHERE f.campaign_id = :b)",
    }

    def numbers() -> dict[int, int]:
        return dict(session.execute(text("SELECT campaign_id, n FROM campaign_version")).all())

    for table, owner in OWNER.items():
        column = inspect(db.engine).get_columns(table)[0]["name"]
        where = of_b.get(
            table,
            "campaign_id = :b" if owner == "campaign" else f'"{column}" = (SELECT min("{column}") FROM "{table}")',
        )
        before = numbers()
        written = session.execute(text(f'UPDATE "{table}" SET "{column}" = "{column}" WHERE {where}'), {"b": b})
        assert written.rowcount >= 1, table
        session.commit()
        after = numbers()
        moved = {c for c in after if after[c] != before.get(c)}
        assert moved == ({0} if owner == "none" else {b}), table
        assert all(after[c] > before[c] for c in moved if c in before), table

    # A request moved to another campaign: both campaigns' numbers move.
    other = Campaign(title="C: parks", default_regime="foia")
    session.add(other)
    session.commit()
    before = numbers()
    session.execute(update(FoiRequest).where(FoiRequest.campaign_id == b).values(campaign_id=other.id))
    session.commit()
    after = numbers()
    assert {c for c in after if after[c] != before.get(c)} == {b, other.id}


def test_the_numbers_move_once_a_commit_and_only_then(app, users):
    with app.app_context():
        s = db.session
        postgresql = db.engine.dialect.name == "postgresql"

        def number():
            s.rollback()
            return s.scalar(text("SELECT n FROM campaign_version WHERE campaign_id = 0"))

        start = number()
        s.execute(update(User).where(User.id == users["staff"]).values(name="One"))
        s.execute(update(User).values(active=True))  # several rows, several statements: one transaction
        if postgresql:
            assert (
                s.scalar(text("SELECT n FROM campaign_version WHERE campaign_id = 0")) == start
            )  # not before the commit
            assert s.scalar(text("SELECT count(*) FROM campaign_version WHERE campaign_id = 0")) == 1
        s.commit()
        moved = number()
        assert moved > start
        s.execute(update(User).values(name="Never"))
        s.rollback()
        assert number() == moved  # a rolled-back write moves nothing
        # Writes no cached page reads do not drop the caches: a login attempt, the audit trail.
        s.execute(
            text("INSERT INTO login_attempt (email, remote_addr, attempted_at) VALUES ('x', 'y', CURRENT_TIMESTAMP)")
        )
        s.execute(
            text(
                "INSERT INTO audit_entry (at, entity_type, entity_id, action) VALUES (CURRENT_TIMESTAMP, 'user', 1, 'x')"
            )
        )
        s.commit()
        assert number() == moved
        if postgresql:
            # A table truncated: every number moves (row triggers do not see a TRUNCATE).
            s.execute(text("TRUNCATE closure_day"))
            s.commit()
            assert number() > moved


def test_on_postgresql_writers_to_different_campaigns_do_not_wait_for_each_other(app, users):
    """The number of campaign A is locked while a transaction that wrote A commits; a commit that
    wrote campaign B does not wait for it, one that wrote A does."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        s = db.session
        a, b = Campaign(title="A", default_regime="foia"), Campaign(title="B", default_regime="foia")
        s.add_all([a, b])
        s.commit()
        a_id, b_id = a.id, b.id
        holder = db.engine.connect()
        try:
            holder.begin()
            holder.execute(text("SELECT n FROM campaign_version WHERE campaign_id = :a FOR UPDATE"), {"a": a_id})

            def commit_title(campaign_id: int, timeout: str) -> None:
                with db.engine.begin() as conn:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{timeout}'"))
                    conn.execute(
                        update(Campaign).where(Campaign.id == campaign_id).values(title=f"Renamed {campaign_id}")
                    )

            commit_title(b_id, "10s")  # would fail after 10 s if it queued behind A
            with pytest.raises(OperationalError, match="lock timeout"):
                commit_title(a_id, "200ms")
        finally:
            holder.rollback()
            holder.close()
