"""Saved mappings (#17): a mapping applied to 150 councils' returned spreadsheets of ~50 KB each.

    python benchmarks/bench_mappings.py [--councils 150] [--database-url postgresql+psycopg://...]

Builds a campaign of ten questions and --councils requests, each with the council's response on its
timeline and one XLSX (openpyxl) of about 50 KB in the file store, every one laid out its own way:
the ten labels ("Net budget 2010/11 (£000s)", ...) at other rows and columns among a couple of
thousand rows of other figures, on a sheet of its own name, some with a second sheet, in £000s, £m
or pounds. A campaign-wide mapping by label is saved, then, in the same run:

- floor: `file_tables.read_tables` of the same files, read from the store (reading them at all:
  applying a mapping can be no faster, and accepting reads each file again);
- the mapping applied as the pages do: `services.mapping_preview.preview` of every council, then
  `accept` of them all and COMMIT (each file read again, every figure written with its provenance
  and audited); the time against the floor; the figures written counted;
- memory: the process's resident size sampled through the run, at each quarter of it (flat: the
  last three quarters add little; keeping every file's tables would add far more).

Goals (exit status 1 if one fails): preview + accept of the 150 under 10 s on the 2-core machine
(the issue's); every council's ten figures written; memory flat (under 40 MB added after the first
quarter). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from _fixture import bench_user, current_councils, goal, load_average, make_app, timed
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from fointracker import clock
from fointracker.extensions import db
from fointracker.file_tables import read_tables
from fointracker.models import Answer, Attachment, Campaign, FileMapping, FoiRequest, Question
from fointracker.services.attachments import attach
from fointracker.services.file_store import FileStore
from fointracker.services.mapping_preview import accept, preview
from fointracker.services.timeline import add_event

GOAL_SECONDS = 10.0
MEMORY_GOAL_MB = 40.0
QUESTIONS = [(f"q{n:02d}", f"Net budget 20{10 + n:02d}/{11 + n:02d}") for n in range(10)]
UNITS = ("(£000s)", "(£m)", "(£)", "£'000")


def council_file(rng: random.Random, index: int) -> bytes:
    """One council's answer: ten labelled figures somewhere among ~2,000 rows of other figures."""
    book = Workbook()
    sheet = book.active
    sheet.title = rng.choice(("Budget", "Summary", "FOI response", "Data"))
    sheet.append([f"Council {index}: adult social care {rng.choice(UNITS)}"])
    column = rng.randint(0, 3)
    rows = rng.sample(range(3, 1900), len(QUESTIONS))
    labelled = dict(zip(rows, QUESTIONS))
    for row in range(2, 1900):
        if row in labelled:
            gap = [""] * rng.randint(0, 1)  # a label merged across two cells leaves one empty
            figure = rng.choice((f"{rng.randint(100, 99999):,}", str(rng.randint(10, 999)), f"({rng.randint(1, 999)})"))
            sheet.append([""] * column + [labelled[row][1], *gap, figure])
        else:
            sheet.append([f"Line {row}", rng.randint(0, 10**6), rng.randint(0, 10**5), round(rng.random() * 100, 2)])
    if rng.random() < 0.3:
        notes = book.create_sheet("Notes")
        for n in range(40):
            notes.append([f"Note {n}", "Figures are provisional and may be revised."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build(session, app, councils: int, seed: int = 17) -> tuple[int, int, list[int], int]:
    """(campaign id, mapping id, request ids, total bytes of the files)."""
    rng = random.Random(seed)
    user_id = bench_user(session, "bench-mappings@example.org", "coordinator")
    campaign = Campaign(title="Mapping benchmark", default_regime="foia", created_by_id=user_id)
    session.add(campaign)
    session.flush()
    for position, (code, label) in enumerate(QUESTIONS):
        session.add(Question(campaign_id=campaign.id, code=code, label=label, qtype="money", position=position))
    store = FileStore.from_config(app.config)
    request_ids, total = [], 0
    sent = clock.today() - timedelta(days=40)
    for index, authority_id in enumerate(current_councils(session, councils)):
        foi_request = FoiRequest(
            campaign_id=campaign.id, authority_id=authority_id, regime="foia", subject="Budgets", body="",
            sent_on=sent, council_reference="", status="awaiting_response",
        )  # fmt: skip
        session.add(foi_request)
        session.flush()
        add_event(session, foi_request, kind="sent", occurred_on=sent, user_id=user_id)
        event = add_event(
            session, foi_request, kind="response_received", occurred_on=sent + timedelta(days=15),
            details={"outcome": "successful"}, user_id=user_id,
        )  # fmt: skip
        data = council_file(rng, index)
        total += len(data)
        attach(session, event, [FileStorage(io.BytesIO(data), f"council {index}.xlsx")], store, 10**8, user_id)
        request_ids.append(foi_request.id)
    rules = [{"question": code, "by": "label", "label": label, "direction": "right"} for code, label in QUESTIONS]
    mapping = FileMapping(campaign_id=campaign.id, name="Net budgets", rules=rules, created_by_id=user_id)
    session.add(mapping)
    session.commit()
    return campaign.id, mapping.id, request_ids, total


class RssSampler:
    """The process's resident size every 10 ms, in a thread, while the work runs."""

    def __init__(self):
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_mb() -> float:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * 4096 / 2**20

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.rss_mb()))
            self._stop.wait(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter(), self.rss_mb()))

    def quarters(self) -> list[float]:
        """The highest resident size in each quarter of the run."""
        start, end = self.samples[0][0], self.samples[-1][0]
        span = (end - start) or 1.0
        peaks = [0.0] * 4
        for at, mb in self.samples:
            quarter = min(3, int((at - start) / span * 4))
            peaks[quarter] = max(peaks[quarter], mb)
        for q in range(1, 4):  # a quarter with no sample (a very short run) keeps the one before
            peaks[q] = peaks[q] or peaks[q - 1]
        return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=150)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        session = db.session
        backend = db.engine.dialect.name
        started = time.perf_counter()
        campaign_id, mapping_id, request_ids, total = build(session, app, args.councils)
        print(
            f"{backend}: {args.councils} councils, one XLSX each, {total / len(request_ids) / 1024:.0f} KB on average "
            f"(built in {time.perf_counter() - started:.1f} s); load {load_average()}"
        )
        store = FileStore.from_config(app.config)
        session.close()

        def floor():
            attachments = session.scalars(select(Attachment).order_by(Attachment.id)).all()
            for attachment in attachments:
                read_tables(store.read(session, attachment.sha256), attachment.original_name)
            session.close()

        floor_ms, floor_cpu, _ = timed(floor)
        print(
            f"floor: read_tables of the same {len(request_ids)} files: {floor_ms / 1000:.2f} s (CPU {floor_cpu / 1000:.2f} s)"
        )

        def apply_mapping():
            campaign, mapping = session.get(Campaign, campaign_id), session.get(FileMapping, mapping_id)
            shown = preview(session, campaign, mapping, store)
            chosen = [c.request.id for c in shown.councils if not c.refusal]
            result = accept(session, campaign, mapping, chosen, store, None)
            session.commit()
            examples = [(c.request.authority.short_name, len(c.values), len(c.missing)) for c in shown.councils[:3]]
            return shown, result, examples

        RssSampler.rss_mb()
        with RssSampler() as sampler:
            wall_ms, cpu_ms, (shown, result, examples) = timed(apply_mapping)
        session.close()
        written = session.scalar(select(func.count(Answer.id)).where(Answer.source_mapping_id == mapping_id))
        quarters = sampler.quarters()
        added = max(quarters[1:]) - quarters[0]
        print(
            f"preview + accept: {wall_ms / 1000:.2f} s (CPU {cpu_ms / 1000:.2f} s), {wall_ms / floor_ms:.1f}x the floor; "
            f"{len(shown.councils)} councils previewed, {len(result.written)} written, {len(result.refused)} refused"
        )
        for name, found, missing in examples:
            print(f"  e.g. {name}: {found} found, {missing} missing")
        print("resident size at each quarter (MB): " + ", ".join(f"{mb:.0f}" for mb in quarters))
        ok = goal(
            f"preview + accept of {args.councils} spreadsheets under {GOAL_SECONDS:.0f} s ({wall_ms / 1000:.2f} s)",
            wall_ms / 1000 < GOAL_SECONDS,
        )
        ok &= goal(
            f"every council's {len(QUESTIONS)} figures written ({written} of {len(request_ids) * len(QUESTIONS)})",
            written == len(request_ids) * len(QUESTIONS),
        )
        ok &= goal(
            f"memory flat: under {MEMORY_GOAL_MB:.0f} MB added after the first quarter ({added:.1f} MB)",
            added < MEMORY_GOAL_MB,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
