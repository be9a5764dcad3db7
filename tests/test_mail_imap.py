"""The IMAP door (#16) against a real Dovecot (tests/dovecot.py): what waits in the inbox is filed
through intake and moved to the filed folder, nothing is filed twice (a second poll, the same
mail delivered again, a crash between the commit and the move), what is not mail goes to the
failed folder, older servers (no MOVE, no UIDPLUS) lose nothing, one poller at a time, and the
password never shows in an error or a log. The scheduler and `fointracker mail poll` run it."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import subprocess
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from fointracker import clock
from fointracker.extensions import db
from fointracker.models.mail import MailMessage
from fointracker.process_locks import ProcessLock
from fointracker.services.file_store import FileStore
from fointracker.services.mail_imap import LOCK_NAME, ImapBusy, ImapError, ImapSettings, poll
from tests.dovecot import PASSWORD, dovecot, dovecot_server  # noqa: F401  (fixtures)
from tests.reminders_support import (
    add_campaign,
    add_request,
    fointracker_command,
    free_port,
    run_fointracker,
    start_fointracker,
    stop_process,
    subprocess_env,
)

_serial = itertools.count(1)
STRANGER = "news@elsewhere.example.com"  # no council: matched by nothing


def mail(subject: str, *, sender: str = "foi@kent.gov.uk", body: str = "Please find attached our response.") -> bytes:
    message = EmailMessage()
    message["From"] = f"Information Governance <{sender}>"
    message["To"] = "foi@campaign.example.org"
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = f"<imap-test-{next(_serial)}-{time.time_ns()}@kent.gov.uk>"
    message.set_content(body)
    message.add_attachment(b"%PDF-1.4 response", maintype="application", subtype="pdf", filename="response.pdf")
    return message.as_bytes(policy=SMTP)  # CRLF line ends, as mail is stored and fetched


def settings_for(app, url: str, **config) -> ImapSettings:
    app.config.update(IMAP_URL=url, **config)
    return ImapSettings.from_config(app.config)


def poll_once(app, settings: ImapSettings):
    with app.app_context():
        return poll(lambda: db.session, settings, FileStore.from_config(app.config), app.config)


def incoming(app) -> list[MailMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(MailMessage).where(MailMessage.direction == "in").order_by("id")))
        db.session.expunge_all()
        return rows


@pytest.fixture
def request_id(app):
    """An open request to Kent: replies naming its reference (FT-<id>) are filed to it."""
    with app.app_context():
        campaign_id = add_campaign(db.session)
        return add_request(db.session, campaign_id, sent_on=clock.today(), owner_id=None).id


def test_poll_files_the_inbox_moves_it_to_filed_and_files_nothing_twice(app, dovecot, request_id):
    app.config["IMAP_BATCH"] = 2  # two fetches and two moves
    replies = [mail(f"Re: FT-{request_id} adult social care"), mail(f"FT-{request_id}: our response")]
    stray = mail("Our newsletter", sender=STRANGER, body="Nothing to do with any request.")
    dovecot.deliver(*replies, stray)
    settings = settings_for(app, dovecot.url())

    result = poll_once(app, settings)

    assert (result.seen, result.filed, result.triaged, result.duplicates, result.failed) == (3, 2, 1, 0, 0)
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages("Filed") == [*replies, stray]  # moved whole, in order, nothing lost
    rows = incoming(app)
    assert [(row.source, row.request_id) for row in rows] == [("imap", request_id)] * 2 + [("imap", None)]
    with app.app_context():
        store = FileStore.from_config(app.config)
        assert store.read(db.session, rows[0].raw_sha256) == replies[0]  # the original is kept

    again = poll_once(app, settings)
    assert (again.seen, again.filed, again.triaged) == (0, 0, 0)

    # The same mail delivered again (a forward, a second copy in the mailbox): filed once.
    dovecot.deliver(*replies)
    third = poll_once(app, settings)
    assert (third.seen, third.duplicates, third.filed, third.triaged) == (2, 2, 0, 0)
    assert len(incoming(app)) == 3
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages("Filed")) == 5  # never deleted


def test_a_crash_between_the_commit_and_the_move_files_nothing_twice(app, dovecot, request_id):
    """A filed folder the server refuses to create ("~" is not allowed): the messages are
    committed, then moving them fails and the poll stops, as if the process died there."""
    first, second = mail(f"Re: FT-{request_id}"), mail("Anything else", sender=STRANGER)
    dovecot.deliver(first, second)

    with pytest.raises(ImapError) as failure:
        poll_once(app, settings_for(app, dovecot.url(), IMAP_FILED_FOLDER="~Filed"))
    assert "cannot create the folder '~Filed'" in str(failure.value)
    assert [row.request_id for row in incoming(app)] == [request_id, None]  # committed before the move
    assert dovecot.messages("INBOX") == [first, second]  # neither moved
    later = mail(f"FT-{request_id}: and a further reply")
    dovecot.deliver(later)

    result = poll_once(app, settings_for(app, dovecot.url(), IMAP_FILED_FOLDER="Filed"))

    assert (result.seen, result.duplicates, result.filed, result.triaged) == (3, 2, 1, 0)
    assert [row.request_id for row in incoming(app)] == [request_id, None, request_id]
    assert dovecot.messages("INBOX") == []
    assert dovecot.messages("Filed") == [first, second, later]


def test_what_is_not_mail_or_is_too_big_goes_to_failed_not_round_again(app, dovecot, request_id):
    not_mail = b"\r\nthis is not an email message: no headers at all\r\n"
    big = mail(f"FT-{request_id} with a large attachment", body="x" * 5000)
    good = mail(f"FT-{request_id} our answer")
    dovecot.deliver(not_mail, big, good)
    settings = dataclasses.replace(settings_for(app, dovecot.url(), IMAP_FAILED_FOLDER="Failed"), max_bytes=4000)

    result = poll_once(app, settings)

    assert (result.seen, result.failed, result.filed) == (3, 2, 1)
    assert len(result.failures) == 2 and "larger than" in " ".join(result.failures)
    assert sorted(dovecot.messages("Failed")) == sorted([not_mail, big])
    assert dovecot.messages("Filed") == [good]
    assert dovecot.messages("INBOX") == []
    assert [row.request_id for row in incoming(app)] == [request_id]
    assert poll_once(app, settings).seen == 0


@pytest.mark.parametrize(
    "host, original_left_flagged",
    [("127.0.0.2", False), ("127.0.0.3", True)],
    ids=["no MOVE: copy and expunge that UID", "no MOVE nor UIDPLUS: copy and flag"],
)
def test_older_servers_copy_and_never_expunge_anything_else(app, dovecot, request_id, host, original_left_flagged):
    # Someone's mail client flagged a message \Deleted without expunging it yet: not ours to remove.
    theirs = mail("Flagged by someone else")
    dovecot.deliver(theirs)
    with dovecot.client() as client:
        client.select_folder("INBOX")
        client.add_flags(client.search(), [b"\\Deleted"])
    reply = mail(f"Re: FT-{request_id}")
    dovecot.deliver(reply)
    settings = settings_for(app, dovecot.url(host=host))

    result = poll_once(app, settings)

    assert (result.seen, result.filed) == (1, 1)  # the flagged message is not taken
    assert dovecot.messages("Filed") == [reply]
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        left = client.fetch(client.search(), ["BODY.PEEK[]", "FLAGS"])
    bodies = [item[b"BODY[]"] for _, item in sorted(left.items())]
    assert bodies == ([theirs, reply] if original_left_flagged else [theirs])
    assert all(b"\\Deleted" in item[b"FLAGS"] for item in left.values())
    assert poll_once(app, settings).seen == 0


def test_one_poller_at_a_time(app, dovecot, request_id):
    dovecot.deliver(mail(f"FT-{request_id}"))
    settings = settings_for(app, dovecot.url())
    with app.app_context():
        other = ProcessLock(db.engine, LOCK_NAME)  # the scheduler, or another host's `mail poll`
        assert other.acquire()
        try:
            with pytest.raises(ImapBusy):
                poll(lambda: db.session, settings, FileStore.from_config(app.config), app.config)
        finally:
            other.release()
    assert len(dovecot.messages("INBOX")) == 1
    assert poll_once(app, settings).filed == 1


def test_a_wrong_password_is_a_clear_error_without_the_password(app, dovecot, caplog):
    caplog.set_level(logging.DEBUG)  # imapclient logs every command at DEBUG
    wrong = "Wr0ng p@ss:word/x"
    settings = settings_for(app, dovecot.url(password=wrong))
    with pytest.raises(ImapError) as failure:
        poll_once(app, settings)
    assert "refused the login" in str(failure.value) and "IMAP_URL" in str(failure.value)
    assert any(record.name.startswith("imapclient") for record in caplog.records)  # the logs were there to check
    good = settings_for(app, dovecot.url())
    poll_once(app, good)
    for secret in (wrong, PASSWORD):
        assert secret not in str(failure.value)
        assert secret not in repr(settings) and secret not in settings.describe()
        assert secret not in caplog.text


def test_an_unreachable_server_is_a_clear_error(app):
    with pytest.raises(ImapError, match="cannot reach the IMAP server"):
        poll_once(app, settings_for(app, f"imap://foi:{PASSWORD}@127.0.0.1:{free_port()}?timeout=5"))


@pytest.mark.parametrize(
    "url, complaint",
    [
        ("imap://foi:pw@mail.example.org", "unencrypted"),
        ("pop3://foi:pw@mail.example.org", "must begin imaps://"),
        ("imaps://mail.example.org", "needs a user, a password and a host"),
        ("imaps://foi:pw@mail.example.org:99999", "not a valid URL"),
        ("imaps://foi:pw@mail.example.org?timeout=soon", "timeout= must be a number"),
        ("imaps://foi:pw@mail.example.org&batch", "IMAP_BATCH must be a whole number"),
    ],
)
def test_bad_imap_urls_are_refused_with_the_reason(url, complaint):
    batch = "lots" if url.endswith("&batch") else 50
    with pytest.raises(ImapError, match=complaint) as failure:
        ImapSettings.from_config({"IMAP_URL": url.removesuffix("&batch"), "IMAP_BATCH": batch})
    assert "pw" not in str(failure.value)


def test_imap_urls_read_as_operators_write_them():
    ssl = ImapSettings.from_config({"IMAP_URL": "imaps://foi%40example.org:p%2Fw%3A1@mail.example.org"})
    assert (ssl.host, ssl.port, ssl.username, ssl.password, ssl.security) == (
        "mail.example.org",
        993,
        "foi@example.org",
        "p/w:1",
        "ssl",
    )
    starttls = ImapSettings.from_config({"IMAP_URL": "imap://u:p@mail.example.org?starttls=1", "IMAP_BATCH": 7})
    assert (starttls.port, starttls.security, starttls.batch, starttls.folder, starttls.filed_folder) == (
        143,
        "starttls",
        7,
        "INBOX",
        "Filed",
    )
    assert ImapSettings.from_config({"IMAP_URL": ""}) is None


def test_mail_poll_command(app, dovecot, request_id):
    dovecot.deliver(mail(f"Re: FT-{request_id}"), mail("Unrelated", sender=STRANGER))
    runner = app.test_cli_runner()
    with app.app_context():
        unset = runner.invoke(args=["mail", "poll"])
    assert unset.exit_code == 1 and "IMAP is not configured" in unset.output

    app.config["IMAP_URL"] = dovecot.url()
    with app.app_context():
        done = runner.invoke(args=["mail", "poll"])
    assert done.exit_code == 0, done.output
    assert "2 seen: 1 filed to requests, 1 to triage, 0 duplicates, 0 failed" in done.output
    assert PASSWORD not in done.output
    assert dovecot.messages("INBOX") == []


def test_mail_poll_command_with_a_wrong_password_exits_1_without_the_password(app, dovecot):
    wrong = "not-the-password-42"
    result = run_fointracker(app, "mail", "poll", FOINTRACKER_IMAP_URL=dovecot.url(password=wrong))
    assert result.returncode == 1
    assert "refused the login" in result.stderr and "Traceback" not in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_the_scheduler_polls_the_mailbox(app, dovecot, request_id):
    reply = mail(f"Re: FT-{request_id}")
    dovecot.deliver(reply)
    scheduler = start_fointracker(
        app, "scheduler", FOINTRACKER_IMAP_URL=dovecot.url(), FOINTRACKER_IMAP_POLL_SECONDS="5"
    )
    try:
        deadline = time.monotonic() + 60
        while dovecot.messages("Filed") != [reply] and time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.2)
        assert dovecot.messages("Filed") == [reply]
    finally:
        out, err = stop_process(scheduler)
    assert [row.request_id for row in incoming(app)] == [request_id], err
    assert PASSWORD not in out + err


def test_a_failing_poll_never_stops_the_scheduler(app, dovecot, tmp_path):
    wrong = "not-the-password-43"
    log = tmp_path / "scheduler.log"
    env = subprocess_env(app, FOINTRACKER_IMAP_URL=dovecot.url(password=wrong), FOINTRACKER_IMAP_POLL_SECONDS="5")
    with log.open("w") as stderr:
        scheduler = subprocess.Popen(fointracker_command("scheduler"), stdout=stderr, stderr=stderr, env=env)
    try:
        deadline = time.monotonic() + 60
        while "IMAP poll failed" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler.poll() is None  # still running after the failed poll
    finally:
        stop_process(scheduler)
    text = log.read_text()
    assert "IMAP poll failed" in text and "refused the login" in text and "Traceback" not in text
    assert wrong not in text
