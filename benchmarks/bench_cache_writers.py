"""What the campaign-version triggers (migration 0012) cost writers, and that they do not serialise them.

    python benchmarks/bench_cache_writers.py [--database-url postgresql+psycopg://...] [--rounds 5]

1. Bulk inserts, on either backend: 400 requests with their `sent` events and 3 reminders each
   (a batch), and 24,000 answers (400 councils × 60 questions: a figures import), each in one
   transaction (rolled back), with the triggers and, as the floor, with every campaign_version
   trigger dropped: bare bulk INSERTs, the worst case for the triggers' share (the app's own
   batch and import do far more per row). Goals: the triggers add at most 100 ms to the batch
   (a tenth of issue #14's 1 s goal for it) and at most 25 µs an answer to the import.
2. PostgreSQL only: 4 threads, each committing 200 one-row updates of its own requests, in
   three modes: each thread in a campaign of its own (as the app runs: different rows of
   campaign_version), the same with no triggers (the floor), and all four in one campaign (one
   row for every commit, as 0007's install-wide data_version was). A sampler counts how often a
   backend is seen waiting for another's row lock. Goals: writers to different campaigns are
   never seen waiting so, and take at most 1.5× the floor.

Medians of the rounds, modes interleaved. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta

from _fixture import add_requests, bench_user, current_councils, make_app
from sqlalchemy import insert, select, text, update

from fointracker.extensions import db
from fointracker.models import Answer, Campaign, FoiRequest, Question, Reminder, RequestEvent

BATCH_GOAL_MS, ANSWER_GOAL_US = 100.0, 25.0
WRITERS, COMMITS, WRITER_GOAL = 4, 200, 1.5
COUNCILS, QUESTIONS = 400, 60


def trigger_definitions(conn) -> tuple[list[str], list[str]]:
    """(drop, create) statements of every campaign_version trigger."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT format('DROP TRIGGER %I ON %I', t.tgname, c.relname), pg_get_triggerdef(t.oid) "
                "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE 'campaign_version_%'"
            )
        ).all()
    else:
        rows = conn.execute(
            text(
                "SELECT 'DROP TRIGGER \"' || name || '\"', sql FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'campaign_version_%'"
            )
        ).all()
    return [drop for drop, _ in rows], [create for _, create in rows]


def timed_insert(engine, work, triggers: bool) -> float:
    """Seconds `work(conn)` takes in a transaction that is then rolled back; without the triggers
    if asked (dropped and re-created around it, outside the timing)."""
    with engine.connect() as conn:
        drops, creates = trigger_definitions(conn)
        conn.commit()
        if not triggers:
            for statement in drops:
                conn.execute(text(statement))
            conn.commit()
        try:
            with conn.begin() as transaction:
                start = time.perf_counter()
                work(conn)
                elapsed = time.perf_counter() - start
                transaction.rollback()
        finally:
            if not triggers:
                for statement in creates:
                    conn.execute(text(statement))
                conn.commit()
    return elapsed


def bulk_inserts(session, engine, rounds: int) -> list[str]:
    user = bench_user(session, "bench-writer@example.org", "admin")
    councils = current_councils(session, COUNCILS)
    figures = add_requests(session, COUNCILS, campaigns=1)  # the campaign whose figures are imported
    campaign_id = session.scalar(select(FoiRequest.campaign_id).where(FoiRequest.id == figures[0]))
    questions = []
    for position in range(QUESTIONS):
        question = Question(campaign_id=campaign_id, code=f"Q{position}", label="Q", qtype="money", position=position)
        session.add(question)
        questions.append(question)
    batch_campaign = Campaign(title="Batch", default_regime="foia", created_by_id=user)
    session.add(batch_campaign)
    session.commit()
    question_ids, batch_id = [q.id for q in questions], batch_campaign.id
    session.close()  # holds no lock on a table whose triggers are dropped below
    sent = date(2026, 11, 20)

    def batch(conn):
        rows = [
            {"campaign_id": batch_id, "authority_id": a, "regime": "foia", "subject": "s", "body": "", "sent_on": sent}
            for a in councils
        ]
        ids = conn.execute(insert(FoiRequest).returning(FoiRequest.id, sort_by_parameter_order=True), rows).scalars()
        ids = list(ids)
        conn.execute(insert(RequestEvent), [{"request_id": i, "kind": "sent", "occurred_on": sent} for i in ids])
        due = sent + timedelta(days=28)
        reminders = [
            {
                "request_id": i,
                "kind": "response_due",
                "target_date": due,
                "recipient": recipient,
                "channel": "email",
                "due_at": due,
            }
            for i in ids
            for recipient in ("user:1", "user:2", f"campaign:{batch_id}")
        ]
        conn.execute(insert(Reminder), reminders)

    def answers(conn):
        rows = [
            {"request_id": r, "question_id": q, "state": "provided", "value_number": 1000}
            for r in figures
            for q in question_ids
        ]
        conn.execute(insert(Answer), rows)

    lines = []
    answer_rows = len(figures) * QUESTIONS
    for label, work in (("400-request batch", batch), (f"{answer_rows:,} answers", answers)):
        timed_insert(engine, work, True)  # warm-up
        times = {True: [], False: []}
        for _ in range(rounds):
            for triggers in (True, False):
                times[triggers].append(timed_insert(engine, work, triggers))
        with_, without = statistics.median(times[True]), statistics.median(times[False])
        added_ms = (with_ - without) * 1000
        if work is batch:
            goal, verdict = f"goal at most +{BATCH_GOAL_MS:.0f} ms", added_ms <= BATCH_GOAL_MS
        else:
            per_row = added_ms * 1000 / answer_rows
            goal, verdict = f"{per_row:.1f} µs an answer, goal at most {ANSWER_GOAL_US:.0f}", per_row <= ANSWER_GOAL_US
        lines.append(
            f"{label}: {with_ * 1000:.0f} ms with the triggers, {without * 1000:.0f} ms without: "
            f"+{added_ms:.0f} ms (+{(with_ / without - 1) * 100:.0f}%; {goal}) {'PASS' if verdict else 'FAIL'}"
        )
    return lines


def concurrent_writers(engine, session, rounds: int) -> list[str]:
    ids = add_requests(session, WRITERS * 10, seed=2, campaigns=WRITERS)
    by_campaign = {}
    for request_id, campaign_id in session.execute(
        select(FoiRequest.id, FoiRequest.campaign_id).where(FoiRequest.id.in_(ids))
    ):
        by_campaign.setdefault(campaign_id, []).append(request_id)
    session.close()
    own_campaign = list(by_campaign.values())  # writer i: requests of campaign i
    one_campaign = [own_campaign[0][i::WRITERS] for i in range(WRITERS)]  # every writer in campaign 0

    def run(targets: list[list[int]]) -> tuple[float, int]:
        waits, done = 0, threading.Event()

        def writer(requests: list[int]) -> None:
            with engine.connect() as conn:
                for index in range(COMMITS):
                    request_id = requests[index % len(requests)]
                    conn.execute(update(FoiRequest).where(FoiRequest.id == request_id).values(subject=f"s{index}"))
                    conn.commit()

        def sampler() -> None:
            nonlocal waits
            with engine.connect() as conn:
                while not done.is_set():
                    waits += conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')"
                        )
                    )
                    conn.rollback()
                    time.sleep(0.001)

        threads = [threading.Thread(target=writer, args=(t,)) for t in targets]
        watcher = threading.Thread(target=sampler)
        watcher.start()
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        done.set()
        watcher.join()
        return elapsed, waits

    modes = {"campaigns of their own": (own_campaign, True), "no triggers": (own_campaign, False)}
    modes["one campaign for all"] = (one_campaign, True)
    results = {mode: [] for mode in modes}
    with engine.connect() as conn:
        drops, creates = trigger_definitions(conn)
    run(own_campaign)  # warm-up
    for _ in range(rounds):
        for mode, (targets, triggers) in modes.items():
            if not triggers:
                with engine.begin() as conn:
                    for statement in drops:
                        conn.execute(text(statement))
            try:
                results[mode].append(run(targets))
            finally:
                if not triggers:
                    with engine.begin() as conn:
                        for statement in creates:
                            conn.execute(text(statement))
    lines = [f"{WRITERS} writers × {COMMITS} commits (median of {rounds} rounds):"]
    summary = {}
    for mode, runs in results.items():
        elapsed = statistics.median(r[0] for r in runs)
        waits = max(r[1] for r in runs)
        summary[mode] = (elapsed, waits)
        lines.append(
            f"  {mode:<24} {elapsed * 1000:6.0f} ms  {WRITERS * COMMITS / elapsed:6.0f} commits/s  "
            f"row-lock waits seen (most in a round): {waits}"
        )
    own, floor = summary["campaigns of their own"], summary["no triggers"]
    lines.append(
        f"writers to different campaigns never wait for a row lock: {own[1]} seen {'PASS' if own[1] == 0 else 'FAIL'}"
    )
    lines.append(
        f"and take {own[0] / floor[0]:.2f}× the floor (goal at most {WRITER_GOAL}×) "
        f"{'PASS' if own[0] <= WRITER_GOAL * floor[0] else 'FAIL'}"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--rounds", type=int, default=5)
    args, _ = parser.parse_known_args()  # scripts/bench.sh passes every benchmark the same arguments
    app = make_app(args.database_url)
    with app.app_context():
        engine, backend = db.engine, db.engine.dialect.name
        print(f"backend: {backend}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        lines = bulk_inserts(db.session, engine, args.rounds)
        if backend == "postgresql":
            lines += concurrent_writers(engine, db.session, args.rounds)
        else:
            lines.append("concurrent writers: PostgreSQL only (SQLite serialises writers anyway); skipped")
    for line in lines:
        print(line)
    return 1 if any(line.endswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
