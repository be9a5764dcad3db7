"""`fointracker mail ...`: the mail doors that run from a shell (a mail server's pipe, a cron job)."""

from __future__ import annotations

import click


@click.group("mail", help="Mail to and from the councils.")
def mail_cli():
    pass
