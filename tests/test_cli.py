"""The `fointracker` command. Each command runs in this process through the entry point's own
click group (fointracker.cli.build_cli, a FlaskGroup) with the test's app: the same
parsing, app context, exit statuses and stdout/stderr as on the command line, without a
Python start-up per run. One test runs the real entry point as a subprocess (a smoke test
that `python -m fointracker` starts and lists its commands); tests/test_production.py and
tests/test_wheel.py run the installed `fointracker` script."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fointracker.cli import build_cli
from fointracker.extensions import db
from fointracker.models import Authority, Campaign, FoiRequest, User

# FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ while it runs; the runner puts it back after.
RUNNER_ENV = {"FLASK_RUN_FROM_CLI": None}


@dataclass
class CliRun:
    """What a run of the command gives back, named as subprocess.run names it."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(app, *args, input_text=None, env=None):
    """`fointracker ARGS`, in this process, against the test's database: the entry point's own
    group (fointracker.cli.build_cli), given the test's app by the runner instead of building
    one from the environment. An exception the command does not handle is raised here (on the
    command line it would be a traceback)."""
    result = app.test_cli_runner().invoke(
        build_cli(), list(args), input=input_text, env={**RUNNER_ENV, **(env or {})}, catch_exceptions=False
    )
    return CliRun(result.exit_code, result.stdout, result.stderr)


def test_help_lists_the_commands(app):
    """The real entry point, as a process: it starts, loads the app and lists its commands."""
    env = dict(
        os.environ,
        FOINTRACKER_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        FOINTRACKER_INSTANCE_PATH=str(Path(app.config["UPLOAD_FOLDER"]).parent),
    )
    result = subprocess.run(
        [sys.executable, "-m", "fointracker", "--help"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for command in ("authorities", "users", "demo", "db", "run"):
        assert command in result.stdout


def test_help_in_process_lists_the_same_commands(app):
    result = run_cli(app, "--help")
    assert result.returncode == 0
    for command in (
        "authorities",
        "users",
        "demo",
        "db",
        "run",
        "deadline",
        "reminders",
        "figures",
        "report",
        "backup",
        "restore",
    ):
        assert command in result.stdout


def test_flask_app_option_works_the_same(app, tmp_path):
    """`flask --app fointracker ...`: Flask's own group finds the factory and builds the app
    from the environment, as an operator's shell would."""
    from flask.cli import cli as flask_cli

    from fointracker.logging_setup import configure_logging

    env = {
        **RUNNER_ENV,
        "FLASK_APP": None,
        "FOINTRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FOINTRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    try:
        result = CliRunner().invoke(
            flask_cli, ["--app", "fointracker", "authorities", "import"], env=env, catch_exceptions=False
        )
    finally:
        configure_logging(app)  # the app built from the environment logged its own way; back to the test's
    assert result.exit_code == 0, result.stderr
    assert "0 created, 0 updated, 455 unchanged" in result.stdout


def test_authorities_import_is_an_idempotent_upsert(app, tmp_path):
    with app.app_context():
        kent = db.session.scalar(select(Authority).where(Authority.code == "KEN"))
        kent.short_name, kent.foi_email = "Kent (edited)", "foi@kent.gov.uk"
        db.session.commit()
    result = run_cli(app, "authorities", "import")
    assert result.returncode == 0, result.stderr
    assert "0 created, 1 updated, 454 unchanged" in result.stdout
    with app.app_context():
        kent = db.session.scalar(select(Authority).where(Authority.code == "KEN"))
        assert kent.short_name == "Kent"
        assert kent.foi_email == "foi@kent.gov.uk"  # ours, not the register's: kept


def test_authorities_import_of_a_bad_file_changes_nothing(app, tmp_path):
    from fointracker.register import default_register_path

    lines = default_register_path().read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[0], "", 1)  # blank code on row 4
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with app.app_context():
        before = db.session.scalar(select(func.count(Authority.id)))
    result = run_cli(app, "authorities", "import", str(bad))
    assert result.returncode == 1
    assert "nothing imported" in result.stderr and "row 4" in result.stderr
    with app.app_context():
        assert db.session.scalar(select(func.count(Authority.id))) == before


def test_users_create_generates_a_password_when_not_interactive(app):
    result = run_cli(app, "users", "create", "--email", "Coord@Example.org", "--role", "coordinator")
    assert result.returncode == 0, result.stderr
    assert "Created coordinator coord@example.org." in result.stdout
    password = result.stdout.split("Password: ")[1].strip()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "coord@example.org"))
        assert user.check_password(password)
    again = run_cli(app, "users", "create", "--email", "coord@example.org", "--role", "staff")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_users_create_rejects_an_unknown_role(app):
    result = run_cli(app, "users", "create", "--email", "x@example.org", "--role", "boss")
    assert result.returncode == 2 and "boss" in result.stderr


def test_demo_seed_is_labelled_and_idempotent(app):
    result = run_cli(app, "demo", "seed", "--admin-password", "demo-password-1")
    assert result.returncode == 0, result.stderr
    assert "admin@example.org" in result.stdout and "demo-password-1" in result.stdout
    again = run_cli(app, "demo", "seed")
    assert "already present" in again.stdout
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.title.startswith("[DEMO]")
        assert db.session.scalar(select(func.count(FoiRequest.id))) == 150  # a campaign in mid-flight (#19)
        for regime, body in db.session.execute(select(FoiRequest.regime, FoiRequest.body)):
            assert "{" not in body
            act = {"foia": "FOIA 2000", "foisa": "FOISA 2002 (Scotland)"}[regime]
            assert f"Under the {act}, please provide" in body


def test_deadline_prints_the_due_date_first(app):
    result = run_cli(app, "deadline", "--regime", "foia", "--received", "2009-03-12")
    assert result.returncode == 0 and result.stdout == "2009-04-14\n"
    scottish = run_cli(app, "deadline", "--regime", "foisa", "--received", "2009-03-12")
    assert scottish.stdout.splitlines()[0] == "2009-04-09"  # no St Patrick's Day or Easter Monday in Scotland


def test_deadline_explain_and_events(app):
    result = run_cli(
        app,
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2009-03-12",
        "--fee-notice",
        "2009-03-15",
        "--fee-paid",
        "2009-03-20",
        "--extension",
        "5",
        "--explain",
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0
    assert lines[0] == "2009-04-27"  # 14 Apr + 4 disregarded fee days (16, 18, 19, 20 Mar) + 5 extension days
    text = "\n".join(lines[1:])
    assert "Saint Patrick's Day (Northern Ireland)" in text and "Easter Monday" in text
    clarified = run_cli(app, "deadline", "--regime", "eir", "--received", "2026-03-02", "--clarified", "2026-03-10")
    # 20 working days from 10 Mar 2026, skipping St Patrick's Day (17 Mar), Good Friday and Easter Monday
    assert clarified.stdout.strip() == "2026-04-10"


def test_deadline_explain_says_why_day_0_was_not_a_working_day(app):
    result = run_cli(app, "deadline", "--regime", "foia", "--received", "2026-12-05", "--explain")
    assert result.returncode == 0 and result.stdout.splitlines()[0] == "2027-01-07"
    assert (
        "Day 0, Sat 5 Dec 2026, was not a working day: a Saturday. A council that deems the request received "
        "on the next working day counts to Fri 8 Jan 2027; do not chase before then."
    ) in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--regime", "foia", "--received", "2026-02-30"], "not a date"),
        (["--regime", "fooa", "--received", "2026-02-03"], "--regime"),
        (["--received", "2026-02-03"], "Missing option '--regime'"),
        (["--regime", "foia", "--received", "2026-02-03", "--fee-notice", "2026-02-04"], "go together"),
        (["--regime", "foia", "--received", "2026-02-03", "--extension", "-3"], "--extension"),
        (["--regime", "foia", "--received", "2026-02-03", "--clarified", "2026-02-01"], "before --received"),
        (["--regime", "foia", "--received", "2026-02-03", "--nonsense"], "No such option"),
    ],
)
def test_deadline_bad_input_is_one_line_and_exit_2(app, args, message):
    result = run_cli(app, "deadline", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_deadline_keeps_the_statutory_date_despite_admin_closure_days(app):
    """FOIA s.10(6): an office closure is a working day; --explain names the council's own date."""
    from datetime import date

    from fointracker.services.calendar import add_closure

    with app.app_context():
        add_closure(db.session, day=date(2009, 4, 14), name="Flood", calendar="all", remove=False, user_id=None)
        db.session.commit()
    result = run_cli(app, "deadline", "--regime", "foia", "--received", "2009-03-12")
    assert result.stdout.strip() == "2009-04-14"
    result = run_cli(app, "deadline", "--regime", "foia", "--received", "2009-03-12", "--explain")
    assert result.stdout.splitlines()[0] == "2009-04-14"
    assert "The council's own expected date, with its office closures: Wed 15 Apr 2009" in result.stdout


def test_deadlines_recompute_command(app):
    result = run_cli(app, "deadlines", "recompute")
    assert result.returncode == 0 and "0 request(s) changed" in result.stdout
