"""`fointracker mail ...`: the mail doors that run from a shell (a mail server's pipe, a cron job)."""

from __future__ import annotations

import click


@click.group("mail", help="Mail to and from the councils.")
def mail_cli():
    pass


@mail_cli.command("poll")
def poll_command():
    """Poll the mailbox IMAP_URL names once: file what is waiting, move it to the filed folder.

    Prints the counts. Exit status 1, with the reason, when IMAP is not configured, the server
    cannot be reached or refuses the login, or another poll is running."""
    from flask import current_app

    from ..extensions import db
    from ..services.file_store import FileStore
    from ..services.mail_imap import ImapError, ImapSettings, poll

    config = current_app.config
    try:
        settings = ImapSettings.from_config(config)
        if settings is None:
            raise ImapError("IMAP is not configured: set FOINTRACKER_IMAP_URL (imaps://user:password@host:993)")
        result = poll(lambda: db.session, settings, FileStore.from_config(config), config)
    except ImapError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{settings.describe()}: {result}.")
    for failure in result.failures:
        click.echo(f"  {failure}", err=True)


@mail_cli.command("receive")
def receive_command():
    """File one RFC 822 message read on standard input (a mail server's alias pipe).

    Prints where it went: `request 123`, `triage 45`, or `duplicate of 45` for a message
    received before. Exit status 2, with the reason, for input that is not a message or is
    larger than the intake takes."""
    import sys

    from flask import current_app

    from ..domain.mail.parsing import MailLimits, UnparseableMessage
    from ..extensions import db
    from ..services.file_store import FileStore
    from ..services.mail_intake import receive

    limits = MailLimits()
    raw = sys.stdin.buffer.read(limits.max_bytes + 1)  # bounded: a pipe may carry anything
    if len(raw) > limits.max_bytes:
        click.echo(f"not filed: the message is larger than {limits.max_bytes // (1024 * 1024)} MB", err=True)
        sys.exit(2)
    config = current_app.config
    try:
        result = receive(db.session, raw, source="pipe", store=FileStore.from_config(config), config=config)
        db.session.commit()
    except UnparseableMessage as error:
        db.session.rollback()
        click.echo(f"not filed: {error}", err=True)
        sys.exit(2)
    click.echo(str(result))


@mail_cli.command("send")
def send_command():
    """Send the letters waiting in the mail outbox once (the scheduler does this every minute).

    Sends no more than MAIL_PER_MINUTE in any minute; prints what it did. Exit status 1 when a
    letter was refused by the mail server (it is retried later; the outbox page shows why)."""
    import sys

    from flask import current_app

    from ..delivery import Mailer, SmtpSettings
    from ..extensions import db
    from ..services.mail_sending import send_due

    mailer = Mailer(SmtpSettings.from_config(current_app.config))
    try:
        result = send_due(db.session, mailer, current_app.config)
    finally:
        mailer.close()
    click.echo(f"{result}.")
    for error in dict.fromkeys(result.errors):
        click.echo(f"  {error}", err=True)
    if result.failed:
        sys.exit(1)
