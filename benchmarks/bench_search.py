"""The request list's search at 50,000 requests, through the indexes of migration 0011.

    python benchmarks/bench_search.py [--n 50000] [--rounds 7] [--database-url postgresql+psycopg://...]

Builds n sent requests (benchmarks/_fixture.py: add_requests, then add_search_texts for subjects and
bodies like real ones) and times what the list page runs for a query string: its count and its first
page (50) (the ids, then those rows with their council, campaign and owner), for

- floor: the list with no search (the same count and page, which search cannot make cheaper);
- each search: a council name fragment, a reference, a word from the subjects (alone and with a
  region filter), a miss; with the indexed search (services.request_search) and, for comparison,
  the plain scan it replaced (which must find the same requests).

Rounds are interleaved; prints medians (wall, and this process's CPU time) and the load average.
Goal: each search under 50 ms (exit status 1 otherwise). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from _fixture import add_requests, add_search_texts, goal, load_average, make_app, timed
from flask import g, request
from sqlalchemy import select, text

from fointracker.extensions import db
from fointracker.foi_requests import views
from fointracker.models import FoiRequest, User
from fointracker.services.request_search import scan_condition, search_condition

GOAL_MS = 50.0
SEARCHES = {
    "council name fragment": {"q": "birmingh"},
    "reference": {"q": "REF-31337"},
    "word from the subjects": {"q": "pothole"},
    "the same, in one region": {"q": "pothole", "region": "London"},
    "miss": {"q": "no such words here"},
}


def list_page(app, user_id: int, args: dict) -> tuple[float, float, tuple]:
    """(wall ms, CPU ms, (total, first page's ids)) of the list page's count and first page."""
    with app.test_request_context("/requests/", query_string=args):
        g._login_user = db.session.get(User, user_id)  # flask_login's current_user: the bench's admin
        _form, stmt, _understood = views.request_list_query(request.args)

        def count_and_page():
            per_page = app.config["PER_PAGE"]  # as the view pages it (50)
            pagination = db.paginate(stmt.with_only_columns(FoiRequest.id), page=1, per_page=per_page, count=True)
            rows = db.session.scalars(stmt.where(FoiRequest.id.in_(pagination.items))).unique().all()
            return pagination.total, [r.id for r in rows]

        return timed(count_and_page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    app = make_app(args.database_url)
    try:
        return run(app, args)
    finally:
        with app.app_context():
            db.engine.dispose()
            if db.engine.dialect.name == "sqlite":  # the temporary file is ~120 MB at 50,000 requests
                shutil.rmtree(Path(db.engine.url.database).parent, ignore_errors=True)


def run(app, args) -> int:
    with app.app_context():
        ids = add_requests(db.session, args.n, seed=7)
        add_search_texts(db.session, ids, seed=7)
        backend = db.engine.dialect.name
        if backend == "postgresql":
            # As autovacuum soon would after a bulk load.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE foi_request, request_search_text, authority"))
        user_id = db.session.scalar(select(User.id).where(User.email == "bench@example.org"))

    indexed, scan = search_condition, (lambda session, q: scan_condition(q))
    cases = [("floor (no search)", {}, indexed)]
    for label, query in SEARCHES.items():
        cases.append((f"{label} {query}", query, indexed))
        cases.append((f"{label} {query}, plain scan", query, scan))
    timings: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in cases}
    results: dict[str, tuple] = {}
    for round_ in range(args.rounds + 1):  # round 0 warms the caches and is not counted
        for label, query, condition in cases:
            views.search_condition = condition
            try:
                wall, cpu, result = list_page(app, user_id, query)
            finally:
                views.search_condition = indexed
            results.setdefault(label, result)
            if results[label] != result:
                print(f"{label}: the result changed between rounds", file=sys.stderr)
                return 1
            if round_:
                timings[label].append((wall, cpu))

    print(f"{backend}, {args.n:,} requests, median of {args.rounds} rounds; load average {load_average()}")
    ok = True
    floor = statistics.median(w for w, _ in timings["floor (no search)"])
    for label, _query, _condition in cases:
        wall = statistics.median(w for w, _ in timings[label])
        cpu = statistics.median(c for _, c in timings[label])
        total = results[label][0]
        print(f"  {label:75} {wall:8.1f} ms wall {cpu:8.1f} ms CPU  {wall / floor:5.1f}x floor  {total:6} found")
    for label, query in SEARCHES.items():
        mine, plain = results[f"{label} {query}"], results[f"{label} {query}, plain scan"]
        if mine != plain:
            print(f"  {label}: the indexed search found {mine[0]}, the scan {plain[0]}", file=sys.stderr)
            ok = False
        wall = statistics.median(w for w, _ in timings[f"{label} {query}"])
        ok &= goal(f"search, {label}, at {args.n:,} requests under {GOAL_MS:.0f} ms ({wall:.1f} ms)", wall < GOAL_MS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
