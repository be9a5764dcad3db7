"""Mail in and out (#16): 1,000 replies with 2,000 attachments filed through both doors, and 400
request letters sent through the outbox.

    python benchmarks/bench_mail.py [--messages 1000] [--letters 400] [--database-url postgresql+psycopg://...]

Builds --messages open requests (benchmarks/_fixture.py), each with a reply address, and as many
replies as a council sends them: two attachments each (a PDF and a spreadsheet of 5 to 60 KB, all
different), two in five addressed to the request's own reply address, two in five naming our
reference FT-<id> in the subject, one in five matching nothing (triage). Then, in the same run:

- floor: `parse_message` of every message (reading mail; intake can be no faster);
- the pipe door (`fointracker mail receive` runs `services.mail_intake.receive` once per message,
  and commits): messages per second, its time per message against the floor, the time to match
  one message (`mail_matching.match_message` with every message filed), and memory: the process's
  resident size after each quarter of the messages (flat: the last three quarters add little);
- the same messages again: every one a duplicate, nothing filed twice (rows counted);
- the IMAP door on a fresh database: a private Dovecot (tests/dovecot.py) started here, the
  messages delivered with IMAP APPEND, then one `services.mail_imap.poll`, against its floor (the
  same messages fetched, and nothing else, plus the pipe door's time); a second delivery and poll
  of the same messages: all duplicates; resident size sampled through the poll;
- sending: --letters request letters queued (`mail_sending.queue_requests`) and sent by
  `send_due` to an aiosmtpd server in a separate process, against the floor of as many plain
  emails sent through smtplib on one connection, each followed by a committed one-row UPDATE.

Goals (exit status 1 if one fails): 1,000 messages filed in under 60 s through each door (the
issue's goal, on the 2-core machine); a second run files nothing twice; memory flat (under 40 MB
added over the last three quarters, where keeping those messages would add about 54 MB: the
1,000 are 72 MB); every letter sent exactly once (the server's count, distinct Message-IDs and
the rows marked sent all equal to --letters). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import smtplib
import statistics
import sys
import threading
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from _fixture import add_requests, goal, load_average, make_app, timed
from sqlalchemy import func, insert, select, text, update

from fointracker import clock
from fointracker.delivery import Mailer, SmtpSettings
from fointracker.domain.mail.parsing import parse_message
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User
from fointracker.models.mail import MailAttachment, MailMessage
from fointracker.services.file_store import FileStore

GOAL_SECONDS = 60.0
MEMORY_GOAL_MB = 40.0
REPLY_TO = "foi+{token}@replies.example.org"
PAGE = 4096


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 1e6


def token_for(request_id: int) -> str:
    """A reply token as new_reply_token makes them (lower-case letters and digits), but the same
    for the same request in every database of the run."""
    return hashlib.sha256(f"bench-{request_id}".encode()).hexdigest()[:32]


def build_world(app, n: int) -> list[int]:
    """n open requests with reply tokens; their ids."""
    with app.app_context():
        ids = add_requests(db.session, n, today=clock.today())
        db.session.execute(update(FoiRequest), [{"id": i, "reply_token": token_for(i)} for i in ids])
        db.session.commit()
        return ids


def build_messages(request_ids: list[int], seed: int = 16) -> tuple[list[bytes], int]:
    """One reply per request (see the docstring); also how many should be filed to a request."""
    rng = random.Random(seed)
    now = format_datetime(clock.now())
    messages, to_requests = [], 0
    for index, request_id in enumerate(request_ids):
        message = EmailMessage()
        kind = index % 5
        council = f"Information Governance <foi@council{index % 300}.gov.uk>"
        message["From"] = council if kind != 4 else f"Newsletter <news@unrelated{index}.example.net>"
        message["Date"] = now
        message["Message-ID"] = f"<bench-{index}-{seed}@council{index % 300}.gov.uk>"
        if kind in (0, 1):
            message["To"] = REPLY_TO.replace("{token}", token_for(request_id))
            message["Subject"] = "Your request for information"
        elif kind in (2, 3):
            message["To"] = "campaign@example.org"
            message["Subject"] = f"RE: Adult social care budgets (FT-{request_id})"
        else:
            message["To"] = "campaign@example.org"
            message["Subject"] = "Our autumn newsletter"
        to_requests += kind != 4
        message.set_content(
            "Dear requester,\n\nPlease find attached our response to your request.\n\n"
            "Yours sincerely,\nInformation Governance\n\n> On 1 March you wrote:\n> Please send me ...\n"
        )
        pdf = b"%PDF-1.4\n" + rng.randbytes(rng.randint(5, 60) * 1024)
        sheet = "\n".join(f"{row},{rng.randint(0, 10**6)}" for row in range(rng.randint(300, 3000))).encode()
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"response-{index}.pdf")
        message.add_attachment(sheet, maintype="text", subtype="csv", filename=f"figures-{index}.csv")
        messages.append(message.as_bytes(policy=SMTP))
    return messages, to_requests


def counts(session) -> tuple[int, int, int]:
    """(incoming messages, their attachments, those filed to a request)."""
    session.commit()
    return (
        session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.direction == "in")),
        session.scalar(select(func.count()).select_from(MailAttachment)),
        session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.request_id.is_not(None))),
    )


# --------------------------------------------------------------------------- the pipe door


def pipe_door(app, messages: list[bytes]) -> dict:
    from fointracker.services.mail_intake import receive

    store = FileStore.from_config(app.config)
    latencies, rss, kinds = [], [rss_mb()], {"request": 0, "triage": 0, "duplicate": 0}
    quarter = max(1, len(messages) // 4)
    with app.app_context():
        session = db.session
        started = time.perf_counter()
        for index, raw in enumerate(messages, 1):
            t0 = time.perf_counter()
            result = receive(session, raw, source="pipe", store=store, config=app.config)
            session.commit()
            session.expunge_all()  # as the CLI's process ends after each message
            latencies.append((time.perf_counter() - t0) * 1000)
            kinds[result.filed_to] += 1
            if index % quarter == 0:
                rss.append(rss_mb())
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "latencies": latencies, "rss": rss, "kinds": kinds}


def match_times(app, messages: list[bytes], sample: int = 200) -> list[float]:
    from fointracker.services.mail_matching import match_message

    with app.app_context():
        times = []
        for raw in messages[:sample]:
            parsed = parse_message(raw)
            times.append(timed(match_message, db.session, parsed, app.config, raw)[0])
        db.session.rollback()
    return times


# --------------------------------------------------------------------------- the IMAP door


def deliver(server, messages: list[bytes]) -> float:
    def append_all():
        with server.client() as client:
            for start in range(0, len(messages), 50):
                client.multiappend("INBOX", messages[start : start + 50])

    return timed(append_all)[0] / 1000


def fetch_floor(server, batch: int) -> float:
    """Seconds to fetch every message in INBOX, batch by batch, and do nothing with it."""

    def fetch_all():
        with server.client() as client:
            client.select_folder("INBOX", readonly=True)
            uids = sorted(client.search(["NOT", "DELETED"]))
            for start in range(0, len(uids), batch):
                client.fetch(uids[start : start + batch], ["RFC822.SIZE"])
                client.fetch(uids[start : start + batch], ["BODY.PEEK[]"])

    return timed(fetch_all)[0] / 1000


def imap_poll(app, settings) -> tuple[float, object, list[tuple[float, float]]]:
    from fointracker.services.mail_imap import poll

    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append((time.perf_counter(), rss_mb()))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    with app.app_context():
        sampler.start()
        try:
            ms, _cpu, result = timed(poll, lambda: db.session, settings, FileStore.from_config(app.config), app.config)
        finally:
            done.set()
            sampler.join()
    return ms / 1000, result, samples


# --------------------------------------------------------------------------- sending


def _smtp_sink(port, count, ids, ready) -> None:
    """A separate process, like a real mail server: accepts everything, counts the Message-IDs."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            head = envelope.content.split(b"\r\n\r\n", 1)[0].lower()
            marker = head.find(b"message-id:")
            with count.get_lock():
                count.value += 1
                if marker >= 0:
                    ids.put(head[marker : marker + 120].split(b"\r\n")[0])
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def send_letters(app, letters: int, port: int, count, ids_queue) -> dict:
    from fointracker.services.mail_sending import queue_requests, send_due

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_PER_MINUTE=1_000_000)
    with app.app_context():
        session = db.session
        user = session.scalar(select(User).limit(1))
        campaign = Campaign(title="Bench letters", default_regime="foia", created_by_id=user.id)
        session.add(campaign)
        session.flush()
        councils = session.scalars(select(Authority.id).where(Authority.end_date.is_(None)).order_by(Authority.id))
        councils = list(councils)
        session.execute(
            update(Authority), [{"id": c, "foi_email": f"foi@council-{c}.example.gov.uk"} for c in councils]
        )
        rows = [
            {
                "campaign_id": campaign.id,
                "authority_id": councils[i % len(councils)],
                "regime": "foia",
                "subject": f"Adult social care budgets {i}",
                "body": "Under the Freedom of Information Act 2000, please send me ...\n" * 8,
                "sent_on": None,
                "received_on": None,
                "council_reference": "",
                "owner_id": user.id,
                "status": "draft",
                "outcome": None,
                "clock_paused": False,
            }
            for i in range(letters)
        ]
        session.execute(insert(FoiRequest), rows)
        session.commit()
        requests = list(session.scalars(select(FoiRequest).where(FoiRequest.campaign_id == campaign.id)))
        queued = queue_requests(session, requests, user.id, config=app.config)
        session.commit()
        assert len(queued.queued) == letters, queued.refused[:3]

        mailer = Mailer(SmtpSettings.from_config(app.config))
        before = count.value
        started = time.perf_counter()
        sent = 0
        try:
            while True:
                result = send_due(session, mailer, app.config)
                sent += result.sent
                if result.claimed == 0:
                    break
        finally:
            mailer.close()
        seconds = time.perf_counter() - started
        accepted = count.value - before
        message_ids = []
        while not ids_queue.empty():
            message_ids.append(ids_queue.get())
        sent_rows = session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.direction == "out", MailMessage.status == "sent")
        )

        floor_ids = [r.id for r in requests[:letters]]
        record = text("UPDATE foi_request SET subject = subject WHERE id = :id")

        def floor_send():
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                for request_id in floor_ids:
                    message = EmailMessage()
                    message["From"], message["To"] = "bench@example.org", "foi@council.example.gov.uk"
                    message["Subject"] = f"Freedom of Information request (FT-{request_id})"
                    message.set_content("Under the Freedom of Information Act 2000, please send me ...\n" * 8)
                    smtp.send_message(message)
                    session.execute(record, {"id": request_id})
                    session.commit()

        floor = timed(floor_send)[0] / 1000
    return {
        "seconds": seconds,
        "sent": sent,
        "accepted": accepted,
        "distinct_ids": len(set(message_ids)),
        "sent_rows": sent_rows,
        "floor": floor,
    }


# --------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="replies, with two attachments each (1,000)")
    parser.add_argument("--letters", type=int, default=400, help="request letters sent (400)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    # The SMTP server first, before this process has threads or database connections to fork.
    context = multiprocessing.get_context("fork")
    port, count, ids_queue, ready = _free_port(), context.Value("i", 0), context.Queue(), context.Event()
    smtp = context.Process(target=_smtp_sink, args=(port, count, ids_queue, ready), daemon=True)
    smtp.start()
    if not ready.wait(15):
        print("the SMTP server did not start", file=sys.stderr)
        return 2
    from tests.dovecot import DovecotServer

    dovecot = DovecotServer()
    try:
        dovecot.start()
    except RuntimeError as error:
        smtp.terminate()
        print(f"Dovecot did not start: {error}", file=sys.stderr)
        return 2
    try:
        return _run(args, dovecot, port, count, ids_queue)
    finally:
        dovecot.stop()
        smtp.terminate()
        smtp.join(5)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args, dovecot, port: int, count, ids_queue) -> int:
    n = args.messages
    ok = True
    load_before = load_average()

    # ---- the pipe door
    app = make_app(args.database_url)
    app.config.update(MAIL_REPLY_TO=REPLY_TO)
    with app.app_context():
        backend = db.engine.dialect.name
    request_ids = build_world(app, n)
    messages, to_requests = build_messages(request_ids)
    attachments = 2 * n
    megabytes = sum(map(len, messages)) / 1e6
    print(f"{backend}: {n} requests; {n} messages ({megabytes:.1f} MB) with {attachments} attachments")

    parse_ms, _cpu, _ = timed(lambda: [parse_message(raw) for raw in messages])
    pipe = pipe_door(app, messages)
    with app.app_context():
        first = counts(db.session)
    again = pipe_door(app, messages)
    with app.app_context():
        second = counts(db.session)
    matching = match_times(app, messages)

    latencies = sorted(pipe["latencies"])
    per_message = statistics.median(latencies)
    parse_each = parse_ms / n
    print(
        f"pipe door: {n} messages in {pipe['seconds']:.1f} s ({n / pipe['seconds']:.0f} a second); "
        f"{pipe['kinds']['request']} to requests, {pipe['kinds']['triage']} to triage"
    )
    print(
        f"  per message: median {per_message:.1f} ms, p95 {latencies[int(0.95 * len(latencies))]:.1f} ms; "
        f"floor (parse_message alone) {parse_each:.2f} ms: {per_message / parse_each:.1f}x the floor"
    )
    print(
        f"  time to match one message (match_message, {len(matching)} messages, {n} requests, every reply filed): "
        f"median {statistics.median(matching):.2f} ms, max {max(matching):.1f} ms"
    )
    rss = pipe["rss"]
    growth = rss[-1] - rss[1] if len(rss) > 2 else 0.0
    print(f"  resident size at 0, 1/4 ... 4/4: {', '.join(f'{v:.0f}' for v in rss)} MB")
    print(
        f"  second run: {again['kinds']['duplicate']} duplicates in {again['seconds']:.1f} s; "
        f"rows (messages, attachments, filed) before {first}, after {second}"
    )
    ok &= goal(
        f"pipe door: {n} messages filed in under {GOAL_SECONDS:.0f} s ({pipe['seconds']:.1f} s)",
        pipe["seconds"] < GOAL_SECONDS and pipe["kinds"]["request"] == to_requests,
    )
    ok &= goal(
        f"pipe door: memory flat ({growth:+.1f} MB over the last three quarters, under {MEMORY_GOAL_MB:.0f})",
        growth < MEMORY_GOAL_MB,
    )
    ok &= goal(
        f"pipe door: a second run files nothing twice ({again['kinds']['duplicate']} duplicates)",
        again["kinds"]["duplicate"] == n and first == second and first[0] == n,
    )

    # ---- the IMAP door, on a fresh database
    app = make_app(args.database_url)
    app.config.update(MAIL_REPLY_TO=REPLY_TO, IMAP_URL=dovecot.url())
    assert build_world(app, n) == request_ids
    from fointracker.services.mail_imap import ImapSettings

    settings = ImapSettings.from_config(app.config)
    delivered = deliver(dovecot, messages)
    floor_fetch = fetch_floor(dovecot, settings.batch)
    seconds, result, samples = imap_poll(app, settings)
    with app.app_context():
        first = counts(db.session)
    print(
        f"IMAP door: {n} messages delivered by APPEND in {delivered:.1f} s; poll: {seconds:.1f} s "
        f"({n / seconds:.0f} a second): {result}"
    )
    floor = floor_fetch + pipe["seconds"]
    print(
        f"  floor: fetching them alone {floor_fetch:.1f} s, plus the pipe door's {pipe['seconds']:.1f} s: "
        f"the poll is {seconds / floor:.2f}x that"
    )
    start, end = samples[0][0], samples[-1][0]
    span = max(end - start, 1e-9)
    early = [mb for t, mb in samples if t - start <= span / 4]
    late = [mb for t, mb in samples if t - start >= 3 * span / 4]
    imap_growth = max(late) - max(early) if early and late else 0.0
    print(
        f"  resident size through the poll: {min(mb for _, mb in samples):.0f} to {max(mb for _, mb in samples):.0f} MB"
    )
    inbox_left = len(dovecot.messages("INBOX"))
    delivered_again = deliver(dovecot, messages)
    seconds_again, result_again, _ = imap_poll(app, settings)
    with app.app_context():
        second = counts(db.session)
    print(f"  second delivery ({delivered_again:.1f} s) and poll: {seconds_again:.1f} s: {result_again}")
    ok &= goal(
        f"IMAP door: {n} messages filed in under {GOAL_SECONDS:.0f} s ({seconds:.1f} s)",
        seconds < GOAL_SECONDS and result.filed == to_requests and result.seen == n and inbox_left == 0,
    )
    ok &= goal(
        f"IMAP door: memory flat ({imap_growth:+.1f} MB from the first quarter to the last, under {MEMORY_GOAL_MB:.0f})",
        imap_growth < MEMORY_GOAL_MB,
    )
    ok &= goal(
        f"IMAP door: a second run files nothing twice ({result_again.duplicates} duplicates)",
        result_again.duplicates == n and first == second and len(dovecot.messages("Filed")) == 2 * n,
    )

    # ---- sending
    sending = send_letters(app, args.letters, port, count, ids_queue)
    each = sending["seconds"] / max(1, sending["sent"]) * 1000
    floor_each = sending["floor"] / args.letters * 1000
    print(
        f"sending: {sending['sent']} letters in {sending['seconds']:.1f} s ({each:.1f} ms each; "
        f"floor {floor_each:.1f} ms each: {each / floor_each:.1f}x); the server accepted {sending['accepted']}, "
        f"{sending['distinct_ids']} distinct Message-IDs"
    )
    ok &= goal(
        f"sending: {args.letters} letters sent exactly once ({sending['accepted']} accepted, {sending['sent_rows']} marked sent)",
        sending["sent"] == sending["accepted"] == sending["distinct_ids"] == sending["sent_rows"] == args.letters,
    )
    print(f"load average before {load_before}, after {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
