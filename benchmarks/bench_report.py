"""The campaign report over a full database: 21 campaigns of 400 councils × 60 questions.

    python benchmarks/bench_report.py [--database-url postgresql+psycopg://...] [--rounds 9]

Builds 21 campaigns of 400 sent requests each (benchmarks/_fixture.py; about four in five
answered), each with 60 questions (20 before/after pairs of money questions, 10 counts,
5 percentages, 5 yes/no) and an answer from nearly every council to every question: about
500,000 figures, in every state (provided, estimates, suppressed "<5", not held, refused ...).
Then, for one campaign, in the same run, interleaved round by round:

- the floor: one SELECT of the campaign's answers (every column of an answer the report
  could use) with each council's region and type, every row fetched: what every figure
  in the report is made of. It is written here, not taken from the report, so the report
  cannot tune it;
- the JSON report: `build_report` (which also runs campaign_statistics), encoded by
  `json_chunks` as /report.json sends it;
- the tidy-CSV export: `tidy_csv`, every chunk consumed; beside it the bare SQL it rests
  on (its one statement, every row fetched).

Goals (exit status 1 if one fails): the JSON report within 3× the floor and under 150 ms
(medians); the tidy-CSV export streams with flat memory: its tracemalloc peak when one
stream carries all 21 campaigns' rows stays within 1.5× (+1 MB) of the peak for one
campaign, and far below the size of what it wrote. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

from _fixture import add_requests, make_app
from sqlalchemy import func, insert, select, text, update

from fointracker.exports import csv_stream
from fointracker.extensions import db
from fointracker.models import Answer, Authority, Campaign, FoiRequest, Question
from fointracker.services.report import build_report
from fointracker.services.report_answers import council_answers_statement
from fointracker.services.report_exports import TIDY_COLUMNS, json_chunks, tidy_csv, tidy_rows

CAMPAIGNS = 21
COUNCILS = 400
RATIO_GOAL = 3.0
REPORT_GOAL_MS = 150.0
FLAT_FACTOR = 1.5
FLAT_SLACK = 1024 * 1024
# State of an answer: cumulative weights (no answer at all, for the last 2%).
STATES = (
    ("provided", 85),
    ("estimate", 5),
    ("suppressed", 1),
    ("not_held", 3),
    ("not_collected", 2),
    ("refused", 2),
    ("none", 2),
)


def _questions(campaign_id: int) -> list[dict]:
    rows = []
    position = itertools.count(1)
    for pair in range(20):
        for period in ("2010/11", "2011/12"):
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "code": f"M{pair:02d}_{period[:4]}",
                    "qtype": "money",
                    "label": f"Spending line {pair}",
                    "period_label": period,
                    "pair_group": f"line{pair}",
                    "position": next(position),
                }
            )
    rows += [
        {
            "campaign_id": campaign_id,
            "code": f"C{i:02d}",
            "qtype": "count",
            "label": f"Count {i}",
            "position": next(position),
        }
        for i in range(10)
    ]
    rows += [
        {
            "campaign_id": campaign_id,
            "code": f"P{i:02d}",
            "qtype": "percentage",
            "label": f"Rate {i}",
            "position": next(position),
        }
        for i in range(5)
    ]
    rows += [
        {
            "campaign_id": campaign_id,
            "code": f"Y{i:02d}",
            "qtype": "yes_no",
            "label": f"Policy {i}",
            "position": next(position),
        }
        for i in range(5)
    ]
    for row in rows:
        row.setdefault("period_label", "")
        row.setdefault("pair_group", "")
        row.update(help_text="", choices=None)
    return rows


def _answers(rng: random.Random, request_ids: list[int], questions: list[tuple[int, str, str]]) -> list[dict]:
    names = [name for name, _ in STATES]
    weights = [weight for _, weight in STATES]
    rows = []
    for request_id in request_ids:
        before: dict[str, Decimal] = {}  # pair group -> this council's "before" figure
        for question_id, qtype, pair_group in questions:
            state = rng.choices(names, weights)[0]
            if state == "none":
                continue
            row = {
                "request_id": request_id,
                "question_id": question_id,
                "state": state,
                "value_number": None,
                "bound_low": None,
                "bound_high": None,
                "value_bool": None,
                "raw": "",
            }
            if state == "suppressed":
                row.update(state="provided", bound_low=Decimal(0), bound_high=Decimal(4), raw="<5")
            elif state in ("provided", "estimate"):
                if qtype == "money" and pair_group in before:  # the "after" of a pair: near the "before"
                    row["value_number"] = (before[pair_group] * Decimal(str(rng.uniform(0.6, 1.2)))).quantize(
                        Decimal("0.01")
                    )
                elif qtype == "money":
                    row["value_number"] = before[pair_group] = Decimal(rng.randint(10_000, 500_000_000)) / 100
                elif qtype == "count":
                    row["value_number"] = Decimal(rng.randint(0, 5000))
                elif qtype == "percentage":
                    row["value_number"] = Decimal(rng.randint(0, 10000)) / 100
                else:
                    row["value_bool"] = rng.random() < 0.6
            rows.append(row)
    return rows


def build(session, campaigns: int, councils: int) -> list[int]:
    """The campaigns, their requests (four in five answered), questions and answers; their ids."""
    spare = list(session.scalars(select(Authority.id).where(Authority.end_date.is_not(None)).order_by(Authority.id)))
    current = session.scalar(select(func.count()).select_from(Authority).where(Authority.end_date.is_(None)))
    campaign_ids, answers = [], 0
    for index in range(campaigns):
        rng = random.Random(index)
        ids = add_requests(session, councils, seed=100 + index)
        # add_requests cycles through the current councils; the requests beyond their number go
        # to abolished councils instead, so each campaign asks `councils` different councils.
        moved = [
            {"id": request_id, "authority_id": authority_id} for request_id, authority_id in zip(ids[current:], spare)
        ]
        if moved:
            session.execute(update(FoiRequest), moved)
        responses = []
        for request_id, sent_on in session.execute(
            select(FoiRequest.id, FoiRequest.sent_on).where(FoiRequest.id.in_(ids))
        ):
            if rng.random() < 0.8:
                days = rng.randint(5, 40)
                responses.append(
                    {
                        "id": request_id,
                        "status": "responded",
                        "response_working_days": days,
                        "outcome": rng.choices(
                            ["successful", "partially_successful", "refused", "not_held"], [6, 2, 1, 1]
                        )[0],
                        "responded_on": sent_on + timedelta(days=days * 7 // 5),
                        "responded_on_time": days <= 20,
                    }
                )
        session.execute(update(FoiRequest), responses)
        campaign_id = session.scalar(select(FoiRequest.campaign_id).where(FoiRequest.id == ids[0]))
        result = session.execute(
            insert(Question).returning(Question.id, Question.qtype, Question.pair_group, sort_by_parameter_order=True),
            _questions(campaign_id),
        )
        questions = [tuple(row) for row in result]
        batch = _answers(rng, ids, questions)
        for start in range(0, len(batch), 20_000):
            session.execute(insert(Answer), batch[start : start + 20_000])
        answers += len(batch)
        session.commit()
        campaign_ids.append(campaign_id)
        print(
            f"  campaign {index + 1}/{campaigns}: {len(ids)} requests, {len(questions)} questions, "
            f"{len(batch):,} answers",
            flush=True,
        )
    print(f"  {answers:,} answers in all", flush=True)
    return campaign_ids


def _timed(fn, rounds: int) -> tuple[float, object]:
    """Median milliseconds of `rounds` runs, after one warm-up; and the last result."""
    medians, values = _interleaved({"fn": fn}, rounds)
    return medians["fn"], values["fn"]


def _interleaved(fns: dict, rounds: int) -> tuple[dict[str, float], dict[str, object]]:
    """Median milliseconds of each function over `rounds` rounds, each round running every
    function once in turn (so a busy spell on the machine falls on all of them); and each
    one's last result. One warm-up round first. Each run starts from a full garbage
    collection: otherwise the collection that the heap's growth makes due (tens of ms over
    the fixture's objects) lands on whichever run happens to cross the threshold."""
    values = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            values[name] = fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(ms) for name, ms in times.items()}, values


def _consume(chunks) -> int:
    return sum(len(chunk) for chunk in chunks)


def _peak(fn) -> tuple[int, object]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        value = fn()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--campaigns", type=int, default=CAMPAIGNS)
    parser.add_argument("--councils", type=int, default=COUNCILS)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()

    app = make_app(args.database_url)
    with app.app_context():
        session = db.session
        backend = db.engine.dialect.name
        print(
            f"Building {args.campaigns} campaigns × {args.councils} councils × 60 questions on {backend} ...",
            flush=True,
        )
        start = time.perf_counter()
        campaign_ids = build(session, args.campaigns, args.councils)
        print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
        session.commit()
        if backend == "postgresql":  # what autovacuum does to a live database: the visibility map
            # (index-only scans) and the planner's statistics; VACUUM cannot run in a transaction.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE answer, question, foi_request, authority, campaign"))
        total_answers = session.scalar(select(func.count()).select_from(Answer))

        target = session.get(Campaign, campaign_ids[len(campaign_ids) // 2])
        a = Answer
        floor_statement = (
            select(
                a.question_id,
                a.request_id,
                a.state,
                a.value_number,
                a.bound_low,
                a.bound_high,
                a.value_bool,
                a.value_text,
                Authority.region,
                Authority.type_name,
            )
            .join(FoiRequest, FoiRequest.id == a.request_id)
            .join(Authority, Authority.id == FoiRequest.authority_id)
            .where(FoiRequest.campaign_id == target.id)
        )

        def floor():
            return session.connection().execute(floor_statement).all()

        def report() -> str:  # what /report.json sends: the report, as JSON text
            return "".join(json_chunks(build_report(session, target)))

        tidy_statement = council_answers_statement(target.id)

        def bare_tidy_sql():
            result = session.execute(tidy_statement.execution_options(yield_per=1000))
            return sum(len(part) for part in result.partitions())

        def export():
            return _consume(tidy_csv(session, target.id))

        load_before = os.getloadavg()[0]
        medians, values = _interleaved({"floor": floor, "report": report}, args.rounds)
        floor_ms, report_ms = medians["floor"], medians["report"]
        load_after = os.getloadavg()[0]
        floor_rows, data = len(values["floor"]), json.loads(values["report"])
        tidy_bare_ms, tidy_rows_count = _timed(bare_tidy_sql, max(3, args.rounds // 2))
        export_ms, export_bytes = _timed(export, max(3, args.rounds // 2))
        session.rollback()

        one_peak, one_bytes = _peak(export)
        session.rollback()

        def everything():
            rows = itertools.chain.from_iterable(tidy_rows(session, cid) for cid in campaign_ids)
            return _consume(csv_stream(TIDY_COLUMNS, rows))

        all_peak, all_bytes = _peak(everything)
        session.rollback()

    ratio = report_ms / floor_ms if floor_ms else float("inf")
    flat = all_peak <= FLAT_FACTOR * one_peak + FLAT_SLACK and all_peak < all_bytes / 10
    print()
    print(f"database: {backend}; {len(campaign_ids)} campaigns; {total_answers:,} answers in all")
    print(
        f"campaign measured: {args.councils} councils × {len(data['questions'])} questions, "
        f"{len(data['pairs'])} pairs; {floor_rows:,} answers"
    )
    print(f"machine load (1-minute average) before and after the timings: {load_before:.1f}, {load_after:.1f}")
    print(f"floor: one SELECT of the answers   {floor_ms:8.1f} ms (median of {args.rounds})")
    print(f"JSON report (build, encode)        {report_ms:8.1f} ms  = {ratio:.2f}× the floor")
    print(f"tidy CSV: bare SQL                 {tidy_bare_ms:8.1f} ms ({tidy_rows_count:,} rows)")
    print(
        f"tidy CSV: export                   {export_ms:8.1f} ms ({export_bytes / 1e6:.1f} MB) "
        f"= {export_ms / tidy_bare_ms:.2f}× its bare SQL"
    )
    print(f"tidy CSV peak memory, 1 campaign:       {one_peak / 1e6:6.2f} MB for {one_bytes / 1e6:6.1f} MB written")
    print(
        f"tidy CSV peak memory, {len(campaign_ids):2d} campaigns in one stream: {all_peak / 1e6:6.2f} MB for "
        f"{all_bytes / 1e6:6.1f} MB written ({all_peak / one_peak:.2f}× the one-campaign peak)"
    )
    results = [
        (f"JSON report within {RATIO_GOAL:g}× the floor", ratio <= RATIO_GOAL),
        (f"JSON report under {REPORT_GOAL_MS:g} ms", report_ms < REPORT_GOAL_MS),
        ("tidy CSV export memory flat (21 campaigns within 1.5× + 1 MB of 1, under a tenth of the output)", flat),
    ]
    print()
    for name, ok in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
