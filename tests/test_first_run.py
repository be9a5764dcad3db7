"""What a new user meets first: the demo script, the admin's password, `--version` and `--help`,
quiet logs, the council register's provenance and where the instance folder is.

demo.sh itself installs into a virtualenv (a minute of pip), so it is checked here by
`bash -n` and by reading it; a full run is a manual check.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import select

from fointracker import create_app
from fointracker.cli import build_cli
from fointracker.extensions import db
from fointracker.models import AuditEntry, LoginAttempt, User
from fointracker.paths import running_from_source
from fointracker.services.demo import seed
from fointracker.services.users import create_user
from tests.conftest import sqlite_pass_only

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_SH = REPO_ROOT / "scripts" / "demo.sh"
OLD_PASSWORD = "the first password"


def readme_section(title: str) -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


# --------------------------------------------------------------------------- 1. scripts/demo.sh


def test_demo_script_parses_and_uses_the_port_everywhere():
    subprocess.run(["bash", "-n", str(DEMO_SH)], check=True)  # no other way to ask bash
    script = DEMO_SH.read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    # 5000 only as the default; the banner, the server and the links in emails follow PORT.
    assert re.findall(r"5000", code) == ["5000"] and "PORT=${PORT:-5000}" in code
    assert "http://127.0.0.1:$PORT" in next(line for line in code.splitlines() if "is starting at" in line)
    assert '--port "$PORT"' in code
    assert "FOINTRACKER_BASE_URL=${FOINTRACKER_BASE_URL:-http://127.0.0.1:$PORT}" in code


def test_demo_script_says_what_it_is_doing():
    script = DEMO_SH.read_text(encoding="utf-8")
    install = next(line for line in script.splitlines() if re.search(r"pip\" install .* \.$", line))
    assert "--quiet" not in install and "-q" not in install.split()  # pip's own lines show progress
    steps = re.findall(r'^\s*step "([^"]+)"', script, flags=re.M)
    assert any("installing fointracker" in s and "about a minute" in s for s in steps), steps
    assert len(steps) >= 5, steps  # install, migrate, register, seed, plan (and the virtualenv)


def test_readme_set_up_has_two_commands_and_says_how_to_choose_the_port():
    section = readme_section("Set-up on a fresh machine")
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert [b.strip() for b in blocks] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "`PORT=5101 bash scripts/demo.sh`" in section
    assert "DEMO_ADMIN_PASSWORD" in section and "users set-password" in section


# --------------------------------------------------------------------------- 2. users set-password, demo seed


@pytest.fixture
def member(session):
    user = create_user(session, email="member@example.org", role="staff", password=OLD_PASSWORD)
    session.commit()
    return user.id


def password_of(session, user_id: int, password: str) -> bool:
    session.expire_all()
    return session.get(User, user_id).check_password(password)


def test_set_password_generates_prints_and_forgets_failed_logins(app, session, member, caplog):
    caplog.set_level(logging.DEBUG)
    session.add(LoginAttempt(email="member@example.org", remote_addr="10.0.0.1"))
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--email", " Member@Example.ORG ", "--generate-password"]
    )
    assert result.exit_code == 0, result.output
    [password] = re.findall(r"^Password: (\S+)$", result.stdout, flags=re.M)
    assert "New password set for staff member@example.org." in result.stdout
    assert password_of(session, member, password) and not password_of(session, member, OLD_PASSWORD)
    assert session.scalar(select(LoginAttempt.id).where(LoginAttempt.email == "member@example.org")) is None
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.entity_id == member)
    ).one()
    assert password not in str(entry.after) and "changed" in str(entry.after)
    assert password not in caplog.text  # printed once, to the output; never logged


def test_set_password_prompts_twice_and_asks_again_for_a_short_one(app, session, member, monkeypatch):
    monkeypatch.setattr("fointracker.cli._interactive", lambda: True)
    new = "a brand new password"
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--email", "member@example.org"], input=f"short\n{new}\n{new}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password (10 characters or more)") == 2  # the short one was refused
    assert "at least 10 characters" in result.output and "Repeat for confirmation" in result.output
    assert "Password:" not in result.stdout.replace("Password (10", "")  # a typed password is not echoed
    assert new not in result.output
    assert password_of(session, member, new)


def test_set_password_with_two_different_entries_changes_nothing(app, session, member, monkeypatch):
    monkeypatch.setattr("fointracker.cli._interactive", lambda: True)
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--email", "member@example.org"], input="first password 1\nsecond password 2\n"
    )
    assert result.exit_code != 0  # asked again, then the input ran out
    assert "do not match" in result.output
    assert password_of(session, member, OLD_PASSWORD)


def test_set_password_for_an_unknown_email_is_one_line_and_exit_2(app, session, member, monkeypatch):
    monkeypatch.setattr("fointracker.cli._interactive", lambda: True)  # it must not even ask
    result = app.test_cli_runner().invoke(args=["users", "set-password", "--email", "nobody@example.org"])
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: no user has the email 'nobody@example.org'")


def test_demo_seed_sets_the_password_of_an_existing_admin(app, session):
    first = app.test_cli_runner().invoke(args=["demo", "seed", "--admin-email", "demo@example.org"])
    assert first.exit_code == 0, first.output
    [generated] = re.findall(r"password: (\S+)", first.stdout)
    admin = session.scalar(select(User.id).where(User.email == "demo@example.org"))

    again = app.test_cli_runner().invoke(args=["demo", "seed", "--admin-email", "demo@example.org"])
    assert again.exit_code == 0 and "password is unchanged" in again.stdout
    assert "fointracker users set-password --email demo@example.org" in again.stdout
    assert password_of(session, admin, generated)

    chosen = app.test_cli_runner().invoke(
        args=["demo", "seed", "--admin-email", "DEMO@example.org", "--admin-password", "chosen by the user"]
    )
    assert chosen.exit_code == 0, chosen.output
    assert "Admin user: demo@example.org  password: chosen by the user" in chosen.stdout
    assert password_of(session, admin, "chosen by the user")

    short = app.test_cli_runner().invoke(
        args=["demo", "seed", "--admin-email", "demo@example.org", "--admin-password", "short"]
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.stderr
    assert password_of(session, admin, "chosen by the user")


def test_seed_service_matches_the_admin_as_login_does(session):
    create_user(session, email="admin@example.org", role="admin", password=OLD_PASSWORD)
    session.commit()
    result = seed(session, admin_email=" Admin@Example.org", admin_password=None, request_count=1)
    assert "admin@example.org already exists" in result.summary()  # not "a user ... already exists"


def test_the_demo_campaign_is_in_mid_flight(session):
    """#19: the demo had 36 requests, none answered, and an empty report. Now the dashboard, the
    deadlines and the report have something to show on first login."""
    from fointracker.models import Campaign, FoiRequest, RequestEvent
    from fointracker.services.report import build_report, report_json

    seed(session, admin_email="admin@example.org", admin_password=None)
    session.commit()
    campaign = session.scalar(select(Campaign))
    statuses = set(session.scalars(select(FoiRequest.status).where(FoiRequest.campaign_id == campaign.id)))
    assert {"draft", "awaiting_response", "responded", "internal_review", "complaint"} <= statuses
    kinds = set(session.scalars(select(RequestEvent.kind)))
    assert {"acknowledged", "response_received", "chased", "review_requested", "complaint_lodged"} <= kinds
    data = report_json(build_report(session, campaign))
    responses = data["responses"]
    assert responses["on_time"] > responses["late"] > 0 and responses["refused"] > 0
    assert responses["refused_by_exemption"] and responses["outstanding"] > 0
    by_code = {q["code"]: q for q in data["questions"]}
    assert set(by_code) == {"asc_budget_2425", "asc_budget_2526", "bme_orgs_funded", "eia_done"}
    assert by_code["asc_budget_2425"]["n"] > responses["answered"] / 2  # figures from most answers
    assert by_code["eia_done"]["yes"] and by_code["eia_done"]["no"] and by_code["bme_orgs_funded"]["suppressed"]
    [pair] = data["pairs"]
    assert pair["n"] > 30 and pair["cut"] > pair["increased"] > 0
    # Seeding again adds nothing.
    assert "nothing added" in seed(session, admin_email="admin@example.org", admin_password=None).summary()


def test_the_readme_is_short_and_links_every_guide():
    """#19: the README had grown to 460 lines of guide, operations and internals. It fits two
    screens, and every document it links exists."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 70
    linked = re.findall(r"\]\((docs/[^)]+)\)", text)
    for guide in ("guide-staff", "guide-coordinator", "guide-report-author", "guide-admin", "cli", "operations"):
        assert f"docs/{guide}.md" in linked, guide
    assert all((REPO_ROOT / path).is_file() for path in linked), linked


@sqlite_pass_only
def test_the_cli_reference_is_what_the_commands_say():
    """docs/cli.md is generated from every command's --help (scripts/cli_reference.py)."""
    import subprocess
    import sys

    check = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "cli_reference.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    reference = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "## `fointracker users set-password`" in reference and "--generate-password" in reference


# --------------------------------------------------------------------------- 3. --version and --help


def test_version_is_fointrackers(app):
    result = app.test_cli_runner().invoke(build_cli(), ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"fointracker {version('fointracker')}\n" == "fointracker 0.1.0\n"


def test_help_offers_no_env_file_or_app_option(app):
    result = app.test_cli_runner().invoke(build_cli(), ["--help"])
    assert result.exit_code == 0, result.output
    assert "--env-file" not in result.stdout and "--app" not in result.stdout and "dotenv" not in result.stdout
    assert "--version" in result.stdout and "users" in result.stdout
    refused = app.test_cli_runner().invoke(build_cli(), ["--env-file", "x.env", "users", "--help"])
    assert refused.exit_code == 2 and "No such option" in refused.stderr


# --------------------------------------------------------------------------- 4. logs


@pytest.fixture
def restore_apscheduler_level():
    logger = logging.getLogger("apscheduler")
    level = logger.level
    yield logger
    logger.setLevel(level)


@pytest.mark.parametrize("log_level, quiet", [("INFO", True), ("WARNING", True), ("DEBUG", False)])
def test_apscheduler_logs_warnings_only_unless_debugging(tmp_path, caplog, restore_apscheduler_level, log_level, quiet):
    caplog.set_level(logging.INFO)  # the root logger at INFO, as `fointracker scheduler` sets it up
    create_app({"TESTING": True, "LOG_LEVEL": log_level, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    for name in ("apscheduler", "apscheduler.executors.default", "apscheduler.scheduler"):
        logger = logging.getLogger(name)
        assert logger.isEnabledFor(logging.INFO) is not quiet  # "Running job ...", "... executed successfully"
        assert logger.isEnabledFor(logging.WARNING)  # a missed run or a job that raised still shows


def test_the_development_server_writes_one_access_line_per_request(app, caplog, monkeypatch):
    from werkzeug.serving import make_server

    caplog.set_level(logging.INFO)

    def one_request(path: str) -> list[logging.LogRecord]:
        caplog.clear()
        server = make_server("127.0.0.1", 0, app)  # what `fointracker run` serves with
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10) as response:
                assert response.status == 200
        finally:
            thread.join(10)
            server.server_close()
        return [r for r in caplog.records if r.name in ("werkzeug", "fointracker.access")]

    records = one_request("/login")
    assert [(r.name, r.getMessage().split(" ")[:3]) for r in records] == [
        ("fointracker.access", ["GET", "/login", "200"])
    ]
    # Without the filter werkzeug writes its own line: the filter matches werkzeug's real format.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "filters", [])
    assert sorted(r.name for r in one_request("/login")) == ["fointracker.access", "werkzeug"]


def test_werkzeug_start_up_lines_still_show(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info(" * Running on %s", "http://127.0.0.1:5101")
    assert [r.getMessage() for r in caplog.records if r.name == "werkzeug"] == [" * Running on http://127.0.0.1:5101"]


# --------------------------------------------------------------------------- 5. the register's README


def test_register_readme_names_sources_licences_and_script_without_local_paths():
    text = (REPO_ROOT / "fointracker" / "data" / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"(?<![\w.:/])/(work|home|tmp|Users|srv|opt)/", text), "an absolute path of one machine"
    assert "venv/bin" not in text
    for needed in (
        "https://github.com/mysociety/uk_local_authority_names_and_codes",
        "https://github.com/digital-land/organisation-collection",
        "CC BY 4.0",
        "Open Government Licence v3.0",
        "scripts/build_authority_register.py",
        "67ef8b118938678401a452f4f19f669a7221cc73",
        "94533fd710fc1bb719274044e73b720e92da8f2e",
    ):
        assert needed in text, needed
    # The file names the README tells people to download to are the ones the script reads.
    script = (REPO_ROOT / "scripts" / "build_authority_register.py").read_text(encoding="utf-8")
    for name in re.findall(r'^\w+_FILE = "([^"]+)"', script, flags=re.M):
        assert f"register-sources/{name}" in text, name


# --------------------------------------------------------------------------- 6. the instance folder


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working directory outside the source tree, and no FOINTRACKER_INSTANCE_PATH."""
    monkeypatch.delenv("FOINTRACKER_INSTANCE_PATH", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_installed_package_keeps_its_instance_in_the_current_directory(elsewhere, tmp_path, monkeypatch):
    # As installed from a wheel: the package's parent folder is site-packages, not a checkout.
    site_packages = tmp_path / "venv" / "lib" / "site-packages"
    site_packages.mkdir(parents=True)
    for shipped in ("templates", "migrations"):  # a wheel carries them (inside the package)
        (site_packages / shipped).symlink_to(REPO_ROOT / shipped)
    monkeypatch.setattr("fointracker.paths.SOURCE_ROOT", site_packages)
    assert not running_from_source()
    app = create_app({"TESTING": True})
    assert Path(app.instance_path) == elsewhere / "instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{elsewhere / 'instance' / 'fointracker.sqlite3'}"
    assert (elsewhere / "instance").is_dir() and not (tmp_path / "venv" / "var").exists()  # Flask's choice


def test_source_checkout_keeps_its_instance_in_the_checkout(elsewhere):
    assert running_from_source()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{elsewhere}/x.db"})
    assert Path(app.instance_path) == REPO_ROOT / "instance"


def test_instance_path_from_the_environment_may_be_relative(elsewhere, monkeypatch):
    monkeypatch.setenv("FOINTRACKER_INSTANCE_PATH", "data/here")
    app = create_app({"TESTING": True})
    assert Path(app.instance_path) == elsewhere / "data" / "here"
    with app.app_context():
        db.engine.dispose()
