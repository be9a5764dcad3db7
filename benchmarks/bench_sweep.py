"""The reminder sweep over a full outbox: idle, and delivering 250, 500 and 1,000 emails.

    python benchmarks/bench_sweep.py [--n 10000] [--database-url postgresql+psycopg://...]

Builds n open requests (benchmarks/_fixture.py), plans their reminders with
`recompute_requests(replan=True)`, and marks everything that fell due before now as sent
(the history a running system has). Then, over the same database in the same run:

- baseline: a bare `SELECT count(*) FROM reminder WHERE status='pending' AND due_at <= now`;
- idle sweep: `services.outbox.sweep` with nothing due (reaper, stale check, claim, digests);
- delivering sweeps: exactly 250, 500 and 1,000 reminders made due (their due_at moved to
  a minute ago), sent to an aiosmtpd server in a separate process, three rounds each.

Goal: an idle sweep under 100 ms (exit status 1 otherwise), and the cost of a sweep growing
linearly with what is due (the 1000/250 ratio near 4). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import time
from datetime import timedelta

from _fixture import add_requests, make_app
from sqlalchemy import func, select, text, update

from fointracker import clock
from fointracker.extensions import db
from fointracker.models import Reminder, User
from fointracker.services.deadlines import recompute_requests
from fointracker.services.outbox import Outbox, sweep

IDLE_GOAL_MS = 100.0
SIZES = (250, 500, 1000)
ROUNDS = 3
IDLE_RUNS = 25


def _smtp_sink(port, count, ready) -> None:
    """A separate process, like a real mail server: accepts everything and counts it."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="open requests (default 10,000)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    # The SMTP server first, before this process has threads or database connections to fork.
    context = multiprocessing.get_context("fork")
    port, count, ready = _free_port(), context.Value("i", 0), context.Event()
    server = context.Process(target=_smtp_sink, args=(port, count, ready), daemon=True)
    server.start()
    if not ready.wait(15):
        print("the SMTP server did not start", file=sys.stderr)
        return 2
    try:
        return _run(args, port, count)
    finally:
        server.terminate()
        server.join(5)


def _run(args, port: int, count) -> int:
    app = make_app(args.database_url)
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="bench@example.org", BASE_URL="https://foi.example.org"
    )
    now = clock.now().replace(microsecond=0)
    with app.app_context():
        session = db.session
        backend = db.engine.dialect.name
        add_requests(session, args.n, today=clock.today())
        session.execute(update(User).values(reminder_mode="immediate"))  # every email goes out at once
        session.commit()
        plan_ms, _ = _timed(lambda: (recompute_requests(session, replan=True), session.commit()))
        # History: what fell due before now went out long ago.
        session.execute(
            update(Reminder)
            .where(Reminder.status == "pending", Reminder.due_at <= now)
            .values(status="sent", sent_at=Reminder.due_at)
        )
        session.commit()
        counts = dict(session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())
        pending_future = counts.get("pending", 0)
        if backend == "postgresql":
            session.execute(text("ANALYZE reminder"))
        else:
            session.execute(text("ANALYZE"))
        session.commit()

        outbox = Outbox.from_config(app.config)
        try:
            baseline_runs, idle_runs = [], []
            bare = text("SELECT count(*) FROM reminder WHERE status = 'pending' AND due_at <= :now")
            for _ in range(IDLE_RUNS):
                ms, due_now = _timed(lambda: session.execute(bare, {"now": now}).scalar())
                session.commit()
                baseline_runs.append(ms)
                ms, result = _timed(sweep, session, outbox, now)
                idle_runs.append(ms)
                assert due_now == 0 and result.sent == result.superseded == result.failed == 0, result
            baseline, idle = statistics.median(baseline_runs), statistics.median(idle_runs)

            delivering: dict[int, list[float]] = {n: [] for n in SIZES}
            for _round in range(ROUNDS):
                for n in SIZES:
                    ids = list(
                        session.scalars(
                            select(Reminder.id)
                            .where(Reminder.status == "pending", Reminder.due_at > now)
                            .order_by(Reminder.id)
                            .limit(n)
                        )
                    )
                    assert len(ids) == n, f"only {len(ids)} future reminders left"
                    session.execute(
                        update(Reminder).where(Reminder.id.in_(ids)).values(due_at=now - timedelta(minutes=1))
                    )
                    session.commit()
                    before = count.value
                    ms, result = _timed(sweep, session, outbox, now)
                    assert result.sent == n and result.failed == 0, result
                    assert count.value - before == n, (count.value - before, n)
                    delivering[n].append(ms)
        finally:
            outbox.close()

    print(
        f"backend: {backend}; open requests: {args.n}; reminders planned in {plan_ms:.0f} ms: "
        f"{sum(counts.values())} rows ({pending_future} pending in the future, "
        f"{counts.get('sent', 0)} history marked sent)"
    )
    print(f"baseline: bare count of due rows:   {baseline:8.2f} ms (median of {IDLE_RUNS})")
    print(
        f"idle sweep (nothing due):            {idle:8.2f} ms (median of {IDLE_RUNS}; "
        f"min {min(idle_runs):.2f}, max {max(idle_runs):.2f}); {idle / baseline:.1f}x the baseline"
    )
    for n in SIZES:
        ms = statistics.median(delivering[n])
        print(
            f"sweep delivering {n:5d} emails:      {ms:8.1f} ms (median of {ROUNDS}), "
            f"{(ms - idle) / n:.3f} ms per reminder"
        )
    ratio = statistics.median(delivering[1000]) / statistics.median(delivering[250])
    print(f"cost ratio 1000 / 250: {ratio:.2f} (linear = 4.0)")
    ok = idle < IDLE_GOAL_MS
    print(f"goal: idle sweep < {IDLE_GOAL_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
