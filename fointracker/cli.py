"""The `fointracker` command (a Flask CLI group: `flask --app fointracker ...` works the same)."""

from __future__ import annotations

import sys
from datetime import UTC

import click
from flask import Flask
from flask.cli import FlaskGroup

from .domain.regimes import Regime
from .extensions import db
from .mail.cli import mail_cli


def register_commands(app: Flask) -> None:
    app.cli.add_command(authorities_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(deadline_command)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(report_command)
    app.cli.add_command(figures_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(mail_cli)


@click.group("authorities", help="The council register.")
def authorities_cli():
    pass


@authorities_cli.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
def import_authorities(file):
    """Upsert councils from FILE (default: the register shipped with fointracker). Idempotent."""
    from .register import RegisterError
    from .services.authorities import import_register

    try:
        summary = import_register(db.session, file)
        db.session.commit()
    except RegisterError as exc:
        raise click.ClickException(f"nothing imported; the file has problems:\n{exc}") from None
    click.echo(f"Councils: {summary}.")


@authorities_cli.group("contacts", help="The councils' FOI addresses.")
def contacts_cli():
    pass


@contacts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_contacts_command(file):
    """Upsert the councils' FOI addresses from FILE, a CSV (UTF-8).

    Columns: authority (the council's register code or GSS code), foi_email, and optionally
    source (default: the file's name). Each address is marked checked today. All or nothing:
    with any error nothing is written, every error is listed, and the exit status is 2.
    """
    from pathlib import Path

    from . import clock
    from .services.contacts import MAX_BYTES, import_contacts
    from .tabular import file_size

    path = Path(file)
    if path.stat().st_size > MAX_BYTES:  # checked before reading: nothing bigger is parsed anyway
        click.echo(f"{path.name}: larger than the {file_size(MAX_BYTES)} read: split the file", err=True)
        click.echo("nothing imported.", err=True)
        sys.exit(2)
    result = import_contacts(db.session, path.name, path.read_bytes(), clock.today())
    if result.problems:
        db.session.rollback()
        for line in result.error_lines():
            click.echo(line, err=True)
        click.echo(f"nothing imported: {len(result.problems)} error(s).", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"FOI addresses: {result}.")


@click.group("users", help="User accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.option("--email", required=True, help="The user's email address (their login).")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "staff", "author"]))
@click.option("--name", default="", help="Display name.")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it instead of prompting.")
def create_user_command(email, role, name, generate_password):
    """Create a user. Prompts for a password, or generates one (also when not run at a terminal)."""
    from .services.users import UserError, create_user
    from .services.users import generate_password as make_password

    generated = generate_password or not _interactive()
    password = make_password() if generated else _prompt_for_password()
    try:
        user = create_user(db.session, email=email, role=role, password=password, name=name)
        db.session.commit()
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}.")
    if generated:
        click.echo(f"Password: {password}")


@users_cli.command("set-password")
@click.option("--email", required=True, help="The user's email address (their login).")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it instead of prompting.")
def set_password_command(email, generate_password):
    """Give an existing user a new password: prompts for it, or generates one (also when not run
    at a terminal). Their failed logins are forgotten, so a locked-out user can log in at once.

    An unknown email: one line on stderr, exit status 2.
    """
    from .services.users import UserError, find_user, normalise_email, set_password
    from .services.users import generate_password as make_password

    def fail(message: str):
        click.echo(f"error: {message}", err=True)
        sys.exit(2)

    if find_user(db.session, email) is None:  # before asking for a password nobody could use
        fail(f"no user has the email {normalise_email(email)!r} (`fointracker users create` makes one)")
    generated = generate_password or not _interactive()
    password = make_password() if generated else _prompt_for_password()
    try:
        user = set_password(db.session, email=email, password=password)
        db.session.commit()
    except UserError as exc:
        db.session.rollback()
        fail(str(exc))
    click.echo(f"New password set for {user.role} {user.email}.")
    if not user.active:
        click.echo("note: this user's log-in is disabled; an admin can enable it under Admin → Users.", err=True)
    if generated:
        click.echo(f"Password: {password}")


def _interactive() -> bool:
    """Whether a person can be asked for a password (not when run from a script or a pipe)."""
    return sys.stdin.isatty()


def _prompt_for_password() -> str:
    """Asked twice, hidden; a password the rules refuse is asked for again."""
    from .services.users import UserError, check_password_rules

    def checked(value: str) -> str:
        try:
            check_password_rules(value)
        except UserError as exc:
            raise click.UsageError(str(exc)) from None
        return value

    return click.prompt(
        "Password (10 characters or more)", hide_input=True, confirmation_prompt=True, value_proc=checked
    )


@click.group("demo", help="Demonstration data.")
def demo_cli():
    pass


@demo_cli.command("seed")
@click.option("--admin-email", default="admin@example.org", show_default=True)
@click.option(
    "--admin-password",
    default=None,
    help="Default: generated and printed. For an admin who exists already: their new password.",
)
def seed_demo(admin_email, admin_password):
    """Load a clearly labelled demo campaign with requests, and an admin user."""
    from .services.demo import seed
    from .services.users import UserError

    try:
        result = seed(db.session, admin_email=admin_email, admin_password=admin_password)
        db.session.commit()
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(f"nothing seeded: {exc}") from None
    click.echo(result.summary())


class OneLineErrors(click.Command):
    """Bad input: one line on stderr and exit status 2 (scripts rely on both)."""

    @staticmethod
    def _fail(ctx, exc: click.ClickException):
        click.echo("error: " + " ".join(exc.format_message().split()), err=True)
        ctx.exit(2)

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            self._fail(ctx, exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            self._fail(ctx, exc)


def _iso_date(_ctx, param, value):
    if value is None:
        return None
    from datetime import date

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=f"--{param.name.replace('_', '-')}"
        ) from None
    from .domain.deadlines import CALCULABLE_YEARS

    if day.year not in CALCULABLE_YEARS:
        raise click.BadParameter(
            f"{value!r} is outside the years {CALCULABLE_YEARS[0]} to {CALCULABLE_YEARS[-1]}",
            param_hint=f"--{param.name.replace('_', '-')}",
        )
    return day


@click.command("deadline", cls=OneLineErrors)
@click.option("--regime", required=True, type=click.Choice([regime.value for regime in Regime]))
@click.option("--received", required=True, callback=_iso_date, help="Date the council received the request.")
@click.option(
    "--clarified", callback=_iso_date, help="Date the council received our clarification (restarts the clock)."
)
@click.option("--fee-notice", callback=_iso_date, help="Date a fees notice was given (with --fee-paid).")
@click.option("--fee-paid", callback=_iso_date, help="Date the fee was received.")
@click.option(
    "--extension",
    type=click.IntRange(min=0),
    default=0,
    metavar="WORKING_DAYS",
    help="Working days added after the statutory due date.",
)
@click.option(
    "--extension-claimed",
    callback=_iso_date,
    metavar="DATE",
    help="Date (YYYY-MM-DD) the council claimed the --extension. A claim after the statutory due date "
    "does not move it (FOIA s.17(1)-(2), EIR reg 7(3)): the extension is then ignored and the request is late.",
)
@click.option("--explain", is_flag=True, help="List the days counted and skipped after the date.")
def deadline_command(regime, received, clarified, fee_notice, fee_paid, extension, extension_claimed, explain):
    """Print the statutory response due date (YYYY-MM-DD) on the first line.

    The calendar includes the bank holidays admins have removed (moved by proclamation). The
    admins' office closure days are working days in law (FOIA s.10(6), FOISA s.73): they do
    not move the date; --explain names the council's own expected date when they would.
    """
    from .domain.deadlines import ClockEvents, compute_deadlines, format_uk_date
    from .services.deadlines import Calendars, council_expected_due

    if (fee_notice is None) != (fee_paid is None):
        raise click.UsageError("--fee-notice and --fee-paid go together")
    if clarified and clarified < received:
        raise click.UsageError("--clarified is before --received")
    if fee_notice and fee_paid < fee_notice:
        raise click.UsageError("--fee-paid is before --fee-notice")
    events = ClockEvents(
        clarification_received=clarified,
        fee_pauses=((fee_notice, fee_paid),) if fee_notice else (),
        extension_working_days=extension,
        extension_claimed_on=extension_claimed,
    )
    calendars = _cli_calendars(Calendars)
    deadlines = compute_deadlines(regime, received, events, calendars.for_regime(regime))
    click.echo(deadlines.response_due.isoformat())
    if explain:
        click.echo(deadlines.explain().text())  # its last lines are the warnings, each once
        expected = council_expected_due(regime, received, events, calendars)
        if expected is not None:
            click.echo(
                f"The council's own expected date, with its office closures: {format_uk_date(expected)} "
                "(closures are working days in law: FOIA s.10(6), FOISA s.73)."
            )


def _cli_calendars(calendars_cls):
    """The admins' closure days if the database is set up; the statutory calendars if not."""
    from sqlalchemy import inspect

    try:
        if inspect(db.engine).has_table("closure_day"):
            return calendars_cls.from_db(db.session)
    except Exception:  # no database yet: the statutory calendar is still right
        pass
    return calendars_cls(())


@click.group("deadlines", help="Stored deadlines.")
def deadlines_cli():
    pass


@deadlines_cli.command("recompute")
def recompute_deadlines():
    """Recompute every sent request's stored dates from its timeline and the calendars."""
    from .services.deadlines import recompute_requests

    changed = recompute_requests(db.session)
    db.session.commit()
    click.echo(f"Deadlines recomputed: {changed} request(s) changed.")


@click.group("reminders", help="The reminder outbox.")
def reminders_cli():
    pass


@reminders_cli.command("run")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO",
    help="Pretend it is this time (ISO 8601; UTC if no offset). Default: now.",
)
def run_reminders(now_text):
    """Run the sweep once: send what is due, digests included (for cron and tests)."""
    from datetime import datetime

    from flask import current_app

    from .services.outbox import Outbox, sweep

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter(f"{now_text!r} is not an ISO date-time", param_hint="--now") from None
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        if not 1900 <= now.year <= 9000:  # the sweep adds days and hours: year 9999 would overflow
            raise click.BadParameter(f"{now_text!r} is outside the years 1900 to 9000", param_hint="--now")
    outbox = Outbox.from_config(current_app.config)
    try:
        result = sweep(db.session, outbox, now)
    finally:
        outbox.close()
    click.echo(f"Reminders: {result}.")
    for error in sorted(set(result.errors))[:5]:
        click.echo(f"  last error: {error}", err=True)


@reminders_cli.command("plan")
def plan_reminders():
    """(Re)plan every sent request's reminders from its current deadlines (after an upgrade)."""
    from .services.deadlines import recompute_requests

    changed = recompute_requests(db.session, replan=True)
    db.session.commit()
    click.echo(f"Reminders planned; {changed} request(s) had dates that moved.")


def _sweep_minutes(_ctx, _param, value):
    import math

    if not (math.isfinite(value) and 0 < value <= 1440):  # a sweep at least once a day, and not constantly
        raise click.BadParameter(f"{value} is not a number of minutes from more than 0 up to 1440 (a day)")
    return value


@click.command("scheduler")
@click.option(
    "--sweep-minutes",
    type=float,
    default=2.0,
    show_default=True,
    callback=_sweep_minutes,
    help="How often the sweep runs (minutes, at most 1440).",
)
def scheduler_command(sweep_minutes):
    """Run the reminder scheduler (one per deployment; a second one exits)."""
    import logging

    from flask import current_app

    from .logging_setup import LineFormatter
    from .scheduler import run_scheduler

    # APScheduler's own records in the app's one-line format too (fointracker.* has its own handler);
    # only its warnings and errors, unless FOINTRACKER_LOG_LEVEL=DEBUG (see quieten_library_loggers).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    sys.exit(run_scheduler(current_app._get_current_object(), sweep_minutes))


@click.group("figures", help="A campaign's figures (the councils' answers).")
def figures_cli():
    pass


@figures_cli.command("import")
@click.argument("campaign")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and list the changes; write nothing.")
def import_figures_command(campaign, file, dry_run):
    """Import figures for CAMPAIGN (its id or exact title) from FILE (.csv or .xlsx).

    Columns: authority (GSS code or council name), question (code or label), value, and
    optionally state, note, exemption. All or nothing: with any error nothing is imported.
    """
    from pathlib import Path

    from flask import current_app

    from .services.campaigns import find_campaign
    from .services.figures_import import import_figures
    from .tabular import Limits, file_size

    found = find_campaign(db.session, campaign)
    if found is None:
        raise click.ClickException(f"no campaign with the id or title {campaign!r}")
    path = Path(file)

    def progress(done, total):
        if total >= 1000:  # long imports say how far they are
            click.echo(f"  written {done} of {total}", err=True)

    limits = Limits.from_config(current_app.config)
    # The size first: the file is read whole, and nothing bigger than the bound is parsed anyway.
    if path.stat().st_size > limits.max_unpacked_bytes:
        raise click.ClickException(
            f"{path.name}: larger than the {file_size(limits.max_unpacked_bytes)} read "
            "(SPREADSHEET_MAX_UNPACKED_MB): split the file"
        )
    plan = import_figures(
        db.session, found, path.name, path.read_bytes(), None, dry_run=dry_run, progress=progress, limits=limits
    )
    db.session.commit()  # all or nothing: an error above leaves the transaction uncommitted
    click.echo(f"Campaign: {found.title} (#{found.id}); file: {path.name}")
    for note in plan.notes:
        click.echo(f"note: {note}")
    if plan.lenient:
        click.echo("Council names matched leniently (check them):")
        for line in plan.lenient:
            click.echo(f"  {line}")
    if plan.errors:
        for line in plan.error_lines():
            click.echo(line, err=True)
        click.echo(f"nothing imported: {len(plan.errors)} error(s). {plan.summary()}.", err=True)
        sys.exit(1)
    if dry_run:
        for change in plan.changes:
            click.echo(f"  row {change.row}: {change.council} · {change.question_code}: {change.old} → {change.new}")
        click.echo(f"Dry run, nothing written: {plan.summary()}.")
    else:
        click.echo(f"Imported: {plan.summary()}.")


@click.command("report")
@click.argument("campaign")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf", "docx", "csv", "tidy-csv", "xlsx", "json"]),
    default="html",
    show_default=True,
    help="csv: one row per council; tidy-csv: one row per council and question; "
    "pdf: the html printed; docx: a Word document.",
)
@click.option(
    "--output",
    "output",
    default="-",
    show_default=True,
    metavar="FILE",
    help="Where to write the report (- for standard output).",
)
def report_command(campaign, fmt, output):
    """Write CAMPAIGN's report (CAMPAIGN: its id, or its exact title in any case).

    The same files as the report page's downloads; html is the page itself with its
    stylesheet inlined, for opening, printing or sending on as one file; pdf is that file
    printed; docx a Word document of the report's tables, charts and methodology.
    """
    from flask import current_app

    from .reports.standalone import standalone_html
    from .services.campaigns import find_campaign
    from .services.report_documents import PDF_MAX_COUNCIL_ROWS, docx_bytes, pdf_bytes
    from .services.report_exports import FORMATS, export_chunks

    found = find_campaign(db.session, campaign)
    if found is None:
        raise click.ClickException(f"no campaign has the id or title {campaign!r}")
    if fmt == "html":
        with current_app.test_request_context():
            chunks = [standalone_html(found)]
    elif fmt == "pdf":
        with current_app.test_request_context():
            html = standalone_html(found, max_council_rows=PDF_MAX_COUNCIL_ROWS)
        chunks = [pdf_bytes(html)]
    elif fmt == "docx":
        chunks = [docx_bytes(db.session, found)]
    else:
        chunks = export_chunks(db.session, found, fmt)
    binary = FORMATS[fmt].binary
    if output == "-":
        with click.open_file("-", "wb") as stream:  # standard output's bytes, kept open
            for chunk in chunks:
                stream.write(chunk if binary else chunk.encode("utf-8"))
            stream.flush()
        return
    _write_whole(output, chunks, binary)
    click.echo(f"Wrote the {fmt} report of “{found.title}” to {output}.", err=True)


def _write_whole(output: str, chunks, binary: bool) -> None:
    """Write to a file beside `output`, renamed to it at the end: a failure leaves no half-written file."""
    import os
    import tempfile
    from pathlib import Path

    target = Path(output)
    try:
        if target.is_dir():
            raise click.ClickException(f"{output} is a folder: give the report a file name")
        if not target.parent.is_dir():
            raise click.ClickException(f"cannot write {output}: there is no folder {target.parent}")
        out = tempfile.NamedTemporaryFile(
            "wb" if binary else "w",
            dir=target.parent,
            prefix=".report-",
            suffix=".part",
            delete=False,
            **({} if binary else {"encoding": "utf-8", "newline": ""}),
        )
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    try:
        with out:
            for chunk in chunks:
                out.write(chunk)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(out.name, 0o666 & ~umask)  # as open() would have made it, not the temporary file's 0600
        os.replace(out.name, target)
    except OSError as exc:  # a full disk, a name too long ...
        Path(out.name).unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        Path(out.name).unlink(missing_ok=True)
        raise


@click.command("backup", cls=OneLineErrors)
@click.option(
    "--output",
    "-o",
    default=None,
    metavar="PATH",
    help="The archive to write, or a directory for the default name "
    "(fointracker-backup-YYYYMMDD-HHMMSS.tar.gz). Default: the current directory.",
)
def backup_command(output):
    """Write a consistent copy of the database and the uploaded files to one .tar.gz archive.

    Safe while the app runs. SQLite is copied with its online backup; PostgreSQL with pg_dump.
    The archive holds personal data and password hashes: it is created readable by you only.
    """
    from flask import current_app

    from .services.backup import BackupError, create_backup

    try:
        result = create_backup(
            db.engine.url, current_app.config["UPLOAD_FOLDER"], output, pg_bin_dir=current_app.config.get("PG_BIN_DIR")
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())


@click.command("restore", cls=OneLineErrors)
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Go ahead even though the database already has data (it is replaced).")
def restore_command(archive, yes):
    """Replace the database and the uploaded files with those in ARCHIVE (made by `fointracker backup`).

    Stop the app (web and scheduler) first. The archive is checked in full before anything changes.
    """
    from flask import current_app

    from .services.backup import BackupError, restore_backup

    try:
        result = restore_backup(
            archive,
            db.engine.url,
            current_app.config["UPLOAD_FOLDER"],
            overwrite=yes,
            pg_bin_dir=current_app.config.get("PG_BIN_DIR"),
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = result.manifest
    click.echo(
        f"Restored {archive} (made {manifest['created_at']} by fointracker {manifest['app_version']}): "
        f"{len(manifest['uploads'])} uploaded file(s); rows per table, as in the backup:"
    )
    for table, count in result.counts.items():
        click.echo(f"  {table}: {count}")
    for note in result.notes:
        click.echo(f"note: {note}")


def fointracker_version() -> str:
    """The installed distribution's version (the package's own if it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fointracker")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def _print_version(ctx, _param, value):
    if value and not ctx.resilient_parsing:
        click.echo(f"fointracker {fointracker_version()}")
        ctx.exit()


# Flask's group options that do not belong on this command: --env-file needs python-dotenv (not a
# dependency), and --app would name another app while create_app always builds fointracker's.
_FLASK_OPTIONS_DROPPED = {"env_file", "app"}


def build_cli() -> FlaskGroup:
    """The `fointracker` entry point: Flask's command group around create_app, with its own --version."""
    from . import create_app

    cli = FlaskGroup(
        create_app=create_app,
        add_version_option=False,
        load_dotenv=False,
        help="fointracker: FOI campaigns against UK councils.",
    )
    cli.params = [param for param in cli.params if param.name not in _FLASK_OPTIONS_DROPPED]
    cli.params.append(
        click.Option(
            ["--version"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_print_version,
            help="Show fointracker's version and exit.",
        )
    )
    return cli


def main() -> None:
    build_cli().main(prog_name="fointracker")
