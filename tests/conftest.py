"""Shared fixtures: a real database (a SQLite file, or PostgreSQL when
FOINTRACKER_TEST_DATABASE_URL is set), built by the real migrations."""

from __future__ import annotations

import gc
import os
import re
import shutil
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from werkzeug.security import generate_password_hash

from fointracker import create_app
from fointracker.extensions import db
from tests.postgres_reset import empty_tables, register_stamp, written_since_reset

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _share_url_builders() -> None:
    """Every test makes an app, and werkzeug compiles two URL builders per route (Python code built
    from an AST) for each: 47 of create_app's 48 ms, about a tenth of a suite pass. A builder
    depends only on its rule's parts (werkzeug.routing.rules.Rule._compile_builder; a default
    inside the URL aside, which is left alone), so apps share them here. Tests only: an app
    in production compiles its rules once."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict = {}

    def shared(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return compile_builder(self, append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared


_share_url_builders()


def _share_compiled_templates() -> None:
    """Every test's app has a Jinja environment of its own, which compiles each template it
    renders from source again (parse, generate Python, compile): about a third of a small test's
    time. Here every Flask app's environment shares one in-memory bytecode cache, which Jinja
    keys by the template's name and file and checks against the source's checksum, so a changed
    template is compiled afresh. Tests only: an app in production compiles each template once."""
    from flask import Flask
    from jinja2 import BytecodeCache

    class SharedBytecode(BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    shared = SharedBytecode()
    create_environment = Flask.create_jinja_environment

    def with_shared_bytecode(self):
        environment = create_environment(self)
        environment.bytecode_cache = shared
        return environment

    Flask.create_jinja_environment = with_shared_bytecode


_share_compiled_templates()


def _worker_database_url(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (`<name>_gw0`, …),
    created here if missing (the role needs CREATEDB, as `.ci/run` grants): the tests drop and
    truncate tables, so two workers cannot share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    mine = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": mine.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
        # A test database need not wait for the disk at each commit (a server crash may lose the
        # last commits, which a test database can afford): the PostgreSQL pass spends less time idle.
        conn.execute(text(f'ALTER DATABASE "{mine.database}" SET synchronous_commit = off'))
    engine.dispose()
    return mine.render_as_string(hide_password=False)


PG_URL = _worker_database_url(os.environ.get("FOINTRACKER_TEST_DATABASE_URL", ""))
# What does not depend on the database (page layout, documents' rendering, the docs) runs in the
# SQLite pass only, as the wheel and axe tests do: the PostgreSQL pass stays under five minutes.
sqlite_pass_only = pytest.mark.skipif(bool(PG_URL), reason="not database-dependent: checked in the SQLite pass")
PASSWORD = "correct horse battery"
_PG_REGISTER_STAMP: tuple | None = None  # see _reset_postgres


def need(condition: bool, reason: str):
    """Skip locally when a real part is missing; in CI that is a failure, never a silent skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test but {reason}")
    pytest.skip(reason)


def _config(database_url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp / "uploads"),
    }


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        from fointracker.services.authorities import import_register

        import_register(db.session)
        db.session.commit()
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            # Move everything out of the WAL into the main file, which is what gets copied.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """Migrate once per session: a SQLite file to copy, or the PostgreSQL schema to reuse."""
    tmp = tmp_path_factory.mktemp("template-db")
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(create_app(_config(PG_URL, tmp)))
        return PG_URL
    path = tmp / "template.sqlite3"
    _migrate(create_app(_config(f"sqlite:///{path}", tmp)))
    return path


def _reset_postgres(app) -> None:
    """Empty every table but the migrations' own and the council register; the register too, and
    import it again, when a test changed it (renamed a council, say), so that no test sees another's
    council names. One connection does it all, and stays in the app's pool for the test (a new one
    costs ~7 ms, a few a test)."""
    global _PG_REGISTER_STAMP
    with app.app_context():
        with db.engine.begin() as conn:
            # A connection an earlier test left in a transaction (say, after a failure) would make
            # the reset wait for ever. Each worker has a database of its own, so any other
            # connection to it is such a leftover: end it, and never wait more than a minute.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()"
                )
            )
            conn.execute(text("SET LOCAL lock_timeout = '60s'"))
            stamp = register_stamp(conn)
            # The first reset in a process imports the register again too: a database left by an
            # earlier, interrupted run may hold a changed one, which the template's upgrade keeps.
            changed = _PG_REGISTER_STAMP is None or stamp != _PG_REGISTER_STAMP
            keep = ("alembic_version",) if changed else ("alembic_version", "authority")
            names = [t for t in inspect(conn).get_table_names() if t not in keep]
            names = written_since_reset(conn, names)
            if names:
                empty_tables(conn, names)
        if "authority" in names:
            from fointracker.services.authorities import import_register

            import_register(db.session)
            db.session.commit()
            if _PG_REGISTER_STAMP is None:  # the register as shipped, imported afresh: what every reset restores
                with db.engine.connect() as conn:
                    _PG_REGISTER_STAMP = register_stamp(conn)
            db.session.remove()


def fresh_database_url(template_database, tmp: Path) -> str:
    """PostgreSQL's test database (emptied by `running_app`), or a copy of the migrated SQLite file."""
    if PG_URL:
        return PG_URL
    path = tmp / "fointracker.sqlite3"
    shutil.copyfile(template_database, path)
    return f"sqlite:///{path}"


@contextmanager
def running_app(database_url: str, tmp: Path):
    """An app on a fresh database (on PostgreSQL, every table but the register emptied first)."""
    app = create_app(_config(database_url, tmp))
    if PG_URL:
        _reset_postgres(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def database_url(template_database, tmp_path):
    return fresh_database_url(template_database, tmp_path)


@pytest.fixture
def app(database_url, tmp_path):
    with running_app(database_url, tmp_path) as app:
        yield app


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


# The app hashes with werkzeug's default (scrypt, n=32768): ~0.1 s a check, slow on purpose, and
# the suite logs in about two thousand times. Users made by tests get a cheap hash instead; logging
# in still checks it for real, through the same werkzeug function. tests/test_auth.py checks that
# the app's own paths (create_user, set_password) still hash at production strength.
QUICK_HASH_METHOD = "pbkdf2:sha256:1000"


@cache
def password_hash(password: str) -> str:
    """A (cheap) hash of `password`, made once per test session."""
    return generate_password_hash(password, QUICK_HASH_METHOD)


def make_user(app, email: str, role: str, password: str = PASSWORD):
    """A user as `fointracker users create` makes one (tests/test_auth.py tests that path)."""
    from fointracker.models import User

    with app.app_context():
        user = User(email=email, role=role, name="", password_hash=password_hash(password))
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def users(app):
    """One user per role: {role: id}."""
    return {role: make_user(app, f"{role}@example.org", role) for role in ("admin", "coordinator", "staff", "author")}


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, url: str, data: dict, **kwargs):
    """POST a form the way a browser does: with the session's CSRF token."""
    token = csrf_token(client, "/")
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def login_as(client, users):
    def _login(role: str):
        response = login(client, f"{role}@example.org")
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture(autouse=True)
def _no_findings_kept():
    """What a mapping found in a file is kept per process (services/mapping_findings.py); a test
    that changes how files are read must not see another test's findings."""
    from fointracker.services.mapping_findings import forget

    forget()
    yield


@pytest.fixture(autouse=True)
def _every_campaign_open(request, monkeypatch):
    """Campaigns are the unit of access (fointracker/services/access.py): admins see every
    campaign, others only those they are members of. Tests written before that make campaigns
    without members and then act as staff or authors; for them everyone sees every campaign, as
    everyone does on an install upgraded by migration 0010. The rules themselves are tested with
    membership enforced: in tests/security/ and in any module that sets MEMBERSHIP_ENFORCED."""
    if "security" in request.path.parts or getattr(request.module, "MEMBERSHIP_ENFORCED", False):
        return
    from fointracker.services import access

    monkeypatch.setattr(access, "sees_everything", lambda user: bool(getattr(user, "is_authenticated", False)))


def pytest_collection_finish(session):
    """The garbage collector's full passes cost about a quarter of a worker's time: each walks every
    object, the hundreds of thousands that importing the app, WeasyPrint, Playwright, Hypothesis …
    made too, and a test's app, cyclic, lives long enough to reach the oldest generation, so
    those passes come often. What exists once the tests are collected lives to the end: it is
    frozen out of the collector's walks; and the young generation is collected every 50,000
    allocations rather than 700, so that fewer short-lived objects get old (a worker holds a
    few hundred MB more, freed at the next pass). Collection is still automatic and complete."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def pytest_collection_modifyitems(config, items):
    """The slow tests (marked `slow` or `browser`) first, in their order, then the rest: spread
    test by test (--dist loadgroup), a long test started last would leave the other worker idle."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("browser")))
