"""Recomputing every open request's stored deadlines, as an admin's closure day does.

    python benchmarks/bench_recompute.py [--n 10000] [--database-url postgresql+psycopg://...]

Times `recompute_requests` (plain rows in, executemany of the changed rows out)
against the obvious ORM loop (each request loaded with its events, recomputed
one by one) over the same database in the same run, and prints the ratio.
Goal: 10,000 open requests' deadline columns in under a second. Since reminders are
re-planned in the same transaction (issue 4), the full transaction is timed as well and
reported beside it; the deadline part is timed with the reminder sync switched off in
this process only.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from _fixture import add_requests, make_app
from sqlalchemy import select

from fointracker.extensions import db
from fointracker.models import ClosureDay, FoiRequest
from fointracker.services.deadlines import Calendars, recompute_request, recompute_requests

GOAL_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        session = db.session
        add_requests(session, args.n)
        recompute_requests(session)  # fill the columns once
        session.commit()
        backend = db.engine.dialect.name

        # A closure day in the middle of the period moves most due dates: first the deadline
        # columns alone (reminder sync switched off here), then the whole transaction.
        import fointracker.services.reminders as reminders

        real_sync = reminders.sync
        reminders.sync = lambda *_args, **_kwargs: None
        session.add(ClosureDay(day=date(2026, 11, 2), name="Bench closure", calendar="all", remove=False))
        session.commit()
        start = time.perf_counter()
        moved = recompute_requests(session)
        session.commit()
        bulk = time.perf_counter() - start
        reminders.sync = real_sync
        session.query(ClosureDay).delete()
        session.commit()
        recompute_requests(session)  # back, reminders in step
        session.commit()
        session.add(ClosureDay(day=date(2026, 11, 2), name="Bench closure", calendar="all", remove=False))
        session.commit()
        start = time.perf_counter()
        moved_with_reminders = recompute_requests(session)
        session.commit()
        with_reminders = time.perf_counter() - start

        start = time.perf_counter()
        unchanged = recompute_requests(session)
        session.commit()
        idle = time.perf_counter() - start

        # Baseline: remove the closure again and recompute with the plain ORM loop.
        session.query(ClosureDay).delete()
        session.commit()
        start = time.perf_counter()
        calendars = Calendars.from_db(session)
        changed_naive = 0
        for foi_request in session.scalars(select(FoiRequest)):
            changed_naive += recompute_request(session, foi_request, calendars)
        session.commit()
        naive = time.perf_counter() - start

    print(f"backend: {backend}; open requests: {args.n}")
    print(f"recompute after a closure day:   {bulk * 1000:8.1f} ms ({moved} moved; deadline columns)")
    print(
        f"  the same with reminders re-planned in the transaction: {with_reminders * 1000:8.1f} ms "
        f"({moved_with_reminders} moved)"
    )
    print(f"recompute with nothing to move:  {idle * 1000:8.1f} ms ({unchanged} moved)")
    print(f"baseline ORM loop (same change): {naive * 1000:8.1f} ms ({changed_naive} moved)")
    print(f"ratio baseline / bulk: {naive / bulk:.1f}x")
    ok = bulk < GOAL_SECONDS and moved == changed_naive
    print(f"goal: {args.n} open requests recomputed in < {GOAL_SECONDS:.0f} s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
