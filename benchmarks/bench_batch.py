"""Creating one campaign's requests to 400 councils at once, as the batch page does.

    python benchmarks/bench_batch.py [--n 400] [--rounds 5] [--database-url postgresql+psycopg://...]

Each round, on fresh campaigns (benchmarks/_fixture.py: a letter with every placeholder,
a coordinator and a webhook, so each sent request's reminders go to three recipients):

- floor: a bare bulk INSERT of n minimal foi_request rows, then COMMIT (what writing the
  rows costs at all: this benchmark cannot make it faster);
- drafts: `services.batch.create_batch` for n councils without a sent date, then COMMIT;
- sent: the same with a sent date three days ago (each request also gets its `sent` event,
  its deadlines and its planned reminders);
- the bulk actions of the request list on the n requests just created: marking the drafts
  sent (`bulk_mark_sent`), and a note on each sent request (`bulk_add_note`), then COMMIT.

The campaign is loaded before the clock starts, as the batch view loads it before calling
the service. Prints medians of the rounds (wall and this process's CPU time), the ratio to
the floor, and the statements each sends. Goal (issue 14): a batch of n = 400 requests, drafts
and sent, under 1 s each on the 2-core machine (exit status 1 otherwise); the bulk actions are
printed beside it, without a goal. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from functools import partial

from _fixture import add_batch_campaign, bench_user, current_councils, make_app
from sqlalchemy import event, func, insert, select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Campaign, FoiRequest, Reminder, RequestEvent
from fointracker.services.batch import bulk_add_note, bulk_mark_sent, create_batch

GOAL_SECONDS = 1.0
GOALS = ("drafts", "sent")  # issue 14's; the bulk actions are timed for information
KINDS = {  # what is timed: label, and what it says
    "floor": "bare INSERT + COMMIT",
    "drafts": "create_batch, drafts + COMMIT",
    "sent": "create_batch, sent + COMMIT",
    "mark sent": "bulk_mark_sent + COMMIT",
    "add note": "bulk_add_note + COMMIT",
}


def _timed(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for `work()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        session = db.session
        backend = db.engine.dialect.name
        councils = current_councils(session, args.n)
        owner = bench_user(session, "bench-owner@example.org")
        coordinator = bench_user(session, "bench-coordinator@example.org", "coordinator")
        sent_on = clock.today() - timedelta(days=3)
        made = 0

        def fresh_campaign() -> int:
            nonlocal made
            made += 1
            campaign_id = add_batch_campaign(session, f"Batch bench {made}", coordinator_id=coordinator).id
            session.close()  # a new web request: nothing in the identity map
            return campaign_id

        created: list[int] = []

        def batch(campaign_id: int, sent) -> tuple[float, float]:
            campaign = session.get(Campaign, campaign_id)  # the view has it before the service runs

            def work():
                result = create_batch(
                    session,
                    campaign,
                    councils,
                    subject="Adult social care budgets",
                    sent_on=sent,
                    owner_id=owner,
                    allow_duplicates=False,
                    user_id=coordinator,
                )
                session.commit()
                created[:] = result.created_ids

            timing = _timed(work)
            session.close()
            return timing

        def bulk(action) -> tuple[float, float]:
            """A bulk action on the requests the last batch created, then COMMIT."""
            timing = _timed(lambda: (action(list(created)), session.commit()))
            session.close()
            return timing

        def mark_sent(ids):
            bulk_mark_sent(session, ids, sent_on, coordinator)

        def add_note(ids):
            bulk_add_note(session, ids, "Chased by phone", coordinator)

        def floor(campaign_id: int):
            rows = [
                {"campaign_id": campaign_id, "authority_id": a, "regime": "foia", "subject": "s", "body": ""}
                for a in councils
            ]
            timing = _timed(lambda: (session.execute(insert(FoiRequest.__table__), rows), session.commit()))
            session.close()
            return timing

        # Warm-up (calendars built, statements compiled), counting the statements of each kind.
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        floor(fresh_campaign())
        counts = {}
        for label, work in (
            ("drafts", batch),
            ("mark sent", lambda: bulk(mark_sent)),
            ("sent", batch),
            ("add note", lambda: bulk(add_note)),
        ):
            if work is batch:
                campaign_id = fresh_campaign()
                work = partial(batch, campaign_id, sent_on if label == "sent" else None)
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                work()
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            counts[label] = len(statements)

        timings: dict[str, list[tuple[float, float]]] = {label: [] for label in KINDS}
        for _ in range(args.rounds):  # interleaved, so a busy moment hits every kind alike
            timings["floor"].append(floor(fresh_campaign()))
            timings["drafts"].append(batch(fresh_campaign(), None))
            timings["mark sent"].append(bulk(mark_sent))
            timings["sent"].append(batch(fresh_campaign(), sent_on))
            timings["add note"].append(bulk(add_note))

        last = session.scalar(select(func.max(Campaign.id)))
        per_batch = session.scalar(select(func.count(FoiRequest.id)).where(FoiRequest.campaign_id == last))
        events = session.scalar(
            select(func.count(RequestEvent.id))
            .join(FoiRequest)
            .where(FoiRequest.campaign_id == last, RequestEvent.kind == "sent")
        )
        reminders = session.scalar(
            select(func.count(Reminder.id)).join(FoiRequest).where(FoiRequest.campaign_id == last)
        )

    def median(label: str, index: int) -> float:
        return statistics.median(t[index] for t in timings[label])

    print(f"backend: {backend}; {args.n} councils; {args.rounds} rounds; load average {os.getloadavg()[0]:.2f}")
    print(f"a sent batch writes {per_batch} requests, {events} sent events, {reminders} reminders")
    floor_s = median("floor", 0)
    print(f"floor: bare INSERT of {args.n} rows + COMMIT  {floor_s * 1000:8.1f} ms wall")
    ok = True
    for label in list(KINDS)[1:]:
        wall, cpu = median(label, 0), median(label, 1)
        print(
            f"{KINDS[label]:<32} {wall * 1000:8.1f} ms wall ({cpu * 1000:6.1f} ms CPU here), "
            f"{wall / floor_s:5.1f}x the floor, {counts[label]} statements; "
            f"rounds: {', '.join(f'{t[0] * 1000:.0f}' for t in timings[label])} ms"
        )
        if label in GOALS:
            passed = wall < GOAL_SECONDS and per_batch == args.n
            ok &= passed
            print(f"goal: {KINDS[label]}, {args.n} requests, in < {GOAL_SECONDS:.0f} s: {'PASS' if passed else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
