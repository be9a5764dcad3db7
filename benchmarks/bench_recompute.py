"""Recomputing every open request's stored deadlines, as an admin's change to the bank holidays does.

    python benchmarks/bench_recompute.py [--n 10000] [--rounds 3] [--database-url postgresql+psycopg://...]

Over n open requests (benchmarks/_fixture.py, with letters of ~400 characters) sent in the 90 days
to 20 January 2027, New Year's Day 2027 is declared a working day and then a bank holiday again,
--rounds times (the statutory change an admin can make: an office closure leaves the statutory
dates alone, issue #15); after each change, in the same run:

- `recompute_requests` with the reminder sync switched off in this process only (the deadline
  columns alone: what the goal is about), wall and CPU time;
- the floor: the same reads and writes with no Python in between, which no change to the
  recompute can avoid: every open request's row and every clock event fetched (plain SQL), and
  as many rows as the recompute moved written with one executemany UPDATE, committed. The rows
  are written to a plain copy of the deadline columns (a unique index on id, nothing else), so
  what the app's schema adds to a write of foi_request (its triggers and other indexes) counts
  against the recompute, not in the floor.

Then, once: the whole transaction with reminders re-planned (issue 4), a recompute with nothing
to move, and a check that the per-request ORM path (`recompute_request`) finds nothing left to
change on a sample of requests.

Goal (exit status 1 if it fails): 10,000 open requests' deadline columns recomputed in under a
second, the commit included. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import date

from _fixture import add_requests, add_search_texts, goal, load_average, make_app, timed
from sqlalchemy import bindparam, delete, select, text

import fointracker.services.reminders as reminders
from fointracker.extensions import db
from fointracker.models import ClosureDay, FoiRequest
from fointracker.services.deadlines import (
    _CLOCK_KINDS,
    DEADLINE_COLUMNS,
    Calendars,
    recompute_request,
    recompute_requests,
)

GOAL_SECONDS = 1.0
SAMPLE = 300
READ_COLUMNS = ("id", "regime", "received_on", "status", "outcome", "figures_entered", "owner_id", "campaign_id")
# A bank holiday in every nation, within most of the fixture's 20-working-day windows: most due dates move.
CHANGED_HOLIDAY = date(2027, 1, 1)
FIXTURE_TODAY = date(2027, 1, 20)


FLOOR_TABLE = "bench_recompute_floor"


def _make_floor_table(session) -> None:
    columns = ", ".join(("id",) + DEADLINE_COLUMNS)
    session.execute(text(f"CREATE TABLE {FLOOR_TABLE} AS SELECT {columns} FROM foi_request"))
    session.execute(text(f"CREATE UNIQUE INDEX {FLOOR_TABLE}_id ON {FLOOR_TABLE} (id)"))
    session.commit()


def _floor(session, moved: int) -> int:
    """The recompute's unavoidable I/O: read what it reads, write `moved` rows, commit."""
    requests = session.execute(
        text(f"SELECT {', '.join(READ_COLUMNS + DEADLINE_COLUMNS)} FROM foi_request WHERE received_on IS NOT NULL")
    ).all()
    session.execute(
        text("SELECT id, request_id, kind, occurred_on, details FROM request_event WHERE kind IN :kinds").bindparams(
            bindparam("kinds", expanding=True)
        ),
        {"kinds": list(_CLOCK_KINDS)},
    ).all()
    assignments = ", ".join(f"{column} = :{column}" for column in DEADLINE_COLUMNS)
    rows = [{"id": row.id, **{column: getattr(row, column) for column in DEADLINE_COLUMNS}} for row in requests[:moved]]
    if rows:
        session.execute(text(f"UPDATE {FLOOR_TABLE} SET {assignments} WHERE id = :id"), rows)
    session.commit()
    return len(requests)


def _set_holiday(session, working: bool) -> None:
    """CHANGED_HOLIDAY declared a working day (an admin's removal), or a bank holiday again."""
    if working:
        session.add(ClosureDay(day=CHANGED_HOLIDAY, name="Bench: declared a working day", calendar="all", remove=True))
    else:
        session.execute(delete(ClosureDay))
    session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="the holiday removed and restored this many times")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        session = db.session
        # Letters like real ones: on PostgreSQL a request's text is indexed (migration 0018 keeps it apart).
        add_search_texts(session, add_requests(session, args.n, today=FIXTURE_TODAY))
        recompute_requests(session)  # fill the columns once
        session.commit()
        backend = db.engine.dialect.name
        _make_floor_table(session)
        load_before = load_average()

        def recompute():
            moved = recompute_requests(session)
            session.commit()
            return moved

        # The deadline columns alone: reminders.sync is looked up at each call, so this switches it off.
        real_sync = reminders.sync
        reminders.sync = lambda *_args, **_kwargs: None
        walls, cpus, floors, moves = [], [], [], []
        try:
            for _round in range(args.rounds):
                for working in (True, False):
                    _set_holiday(session, working)
                    wall, cpu, moved = timed(recompute)
                    floor, _cpu, read = timed(_floor, session, moved)
                    walls.append(wall)
                    cpus.append(cpu)
                    floors.append(floor)
                    moves.append(moved)
        finally:
            reminders.sync = real_sync

        # The whole transaction once, reminders in step (first brought in step with the holiday in law).
        recompute()
        _set_holiday(session, True)
        with_reminders, with_reminders_cpu, moved_with_reminders = timed(recompute)
        idle, idle_cpu, unchanged = timed(recompute)

        # The per-request ORM path agrees: nothing left to change on a sample.
        calendars = Calendars.from_db(session)
        sample = session.scalars(select(FoiRequest).order_by(FoiRequest.id).limit(SAMPLE)).all()
        disagree = sum(recompute_request(session, foi_request, calendars) for foi_request in sample)
        session.rollback()
        load_after = load_average()

    wall, floor = statistics.median(walls), statistics.median(floors)
    print(
        f"backend: {backend}; open requests: {args.n} ({read} read); load average {load_before} before, "
        f"{load_after} after"
    )
    print(
        f"recompute after a bank holiday change: {wall:8.1f} ms wall, {statistics.median(cpus):.0f} ms CPU "
        f"(median of {len(walls)}: {', '.join(f'{ms:.0f}' for ms in walls)}; {min(moves)}-{max(moves)} moved; "
        "deadline columns, commit included)"
    )
    print(
        f"floor: the same reads and writes, plain SQL: {floor:8.1f} ms (median of {len(floors)}); "
        f"the recompute is {wall / floor:.1f}x the floor"
    )
    print(
        f"the same with reminders re-planned in the transaction: {with_reminders:8.1f} ms wall, "
        f"{with_reminders_cpu:.0f} ms CPU ({moved_with_reminders} moved)"
    )
    print(f"recompute with nothing to move: {idle:8.1f} ms wall, {idle_cpu:.0f} ms CPU ({unchanged} moved)")
    print(f"per-request ORM path on {len(sample)} requests afterwards: {disagree} would still change")
    ok = goal(
        f"{args.n} open requests' deadlines recomputed in under {GOAL_SECONDS:.0f} s ({wall:.0f} ms)",
        wall < GOAL_SECONDS * 1000,
    )
    ok &= goal("the bulk recompute and the per-request path agree", disagree == 0 and unchanged == 0 and min(moves) > 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
