"""`fointracker mail receive` (#16): one message on standard input, as a Postfix or Exim alias
pipe hands it over; prints where it was filed, exit 2 with the reason for what is not a message."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from fointracker.cli import build_cli
from fointracker.extensions import db
from fointracker.models.mail import MailMessage
from tests.mail_intake_support import build_world, eml
from tests.reminders_support import fointracker_command, subprocess_env
from tests.test_cli import RUNNER_ENV


@pytest.fixture
def world(app, session):
    return build_world(session)


def receive(app, data: bytes):
    result = app.test_cli_runner().invoke(
        build_cli(), ["mail", "receive"], input=data, env=RUNNER_ENV, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def messages() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(MailMessage))


def test_a_reply_is_filed_on_its_request_then_a_second_delivery_is_a_duplicate(app, world):
    raw = eml(subject=f"Re: FT-{world.kent_id}", message_id="<cli-1@kent.gov.uk>")
    code, out, err = receive(app, raw)
    assert (code, out.strip(), err) == (0, f"request {world.kent_id}", "")
    message_id = db.session.scalar(select(MailMessage.id))
    code, out, _ = receive(app, raw)
    assert (code, out.strip()) == (0, f"duplicate of {message_id}")
    assert messages() == 1


def test_mail_of_nobody_lands_in_triage(app, world):
    code, out, _ = receive(app, eml(from_="stranger@nowhere.example", subject="Hello", message_id="<t@x>"))
    message_id = db.session.scalar(select(MailMessage.id))
    assert (code, out.strip()) == (0, f"triage {message_id}")


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\x00\x01\x02 binary junk"])
def test_what_is_not_a_message_exits_2_with_the_reason_and_writes_nothing(app, world, data):
    code, out, err = receive(app, data)
    assert code == 2 and out == "" and err.startswith("not filed: ")
    assert messages() == 0


def test_the_real_command_reads_standard_input_and_commits(app, world):
    """As the mail server runs it: a process, the message on its stdin."""
    raw = eml(subject=f"Re: FT-{world.hampshire_id}", message_id="<pipe@hants.gov.uk>")
    result = subprocess.run(
        fointracker_command("mail", "receive"),
        input=raw,
        capture_output=True,
        env=subprocess_env(app),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == f"request {world.hampshire_id}"
    assert messages() == 1
    empty = subprocess.run(
        fointracker_command("mail", "receive"), input=b"", capture_output=True, env=subprocess_env(app), timeout=120
    )
    assert empty.returncode == 2 and b"not filed" in empty.stderr
