"""The schema exists only through migrations, and they agree with the models."""

from contextlib import contextmanager

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from fointracker.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as conn:
            # The app's own options: compare_type, and include_name (migration 0011's search index is not in the models).
            context = MigrationContext.configure(conn, opts=dict(app.extensions["migrate"].configure_args))
            diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `fointracker db migrate`: {diff}"


def test_downgrade_to_empty_and_upgrade_again(app):
    """On the test database itself (SQLite copy or the PostgreSQL schema): down to nothing and back."""
    from fointracker.services.authorities import import_register

    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"authority", "campaign", "foi_request", "request_event", "user", "audit_entry"} <= tables
        assert import_register(db.session).created == 455  # leave the register as other tests expect it
        db.session.commit()


@contextmanager
def _app_at_revision(tmp_path, revision: str):
    """An app whose database is migrated only up to `revision` (on PostgreSQL, the shared test
    schema, rebuilt to head with the register afterwards, as the other tests expect it)."""
    from fointracker import create_app
    from tests.conftest import PG_URL, _config

    app = create_app(_config(PG_URL or f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path))
    with app.app_context():
        if PG_URL:
            downgrade(revision="base")
        upgrade(revision=revision)
        try:
            yield app
        finally:
            db.session.remove()
            if PG_URL:
                from fointracker.services.authorities import import_register

                downgrade(revision="base")
                upgrade()
                import_register(db.session)
                db.session.commit()
            db.engine.dispose()


def test_calendar_links_made_before_hashing_keep_working(tmp_path):
    """0008 keeps only a digest of each calendar token: a link made before it still opens its calendar."""
    from sqlalchemy import select, text

    from fointracker.models import User
    from fointracker.services.preferences import user_for_calendar_token

    token = "an-old-link-token-made-before-0008-abcdefghi"
    with _app_at_revision(tmp_path, "0007"):
        with db.engine.begin() as conn:
            for user_id, calendar_token in ((1, token), (2, None)):
                conn.execute(
                    text(
                        'INSERT INTO "user" (id, email, name, role, password_hash, active, created_at, '
                        "reminder_mode, digest_hour, calendar_token) VALUES (:id, :email, '', 'staff', "
                        "'x', true, CURRENT_TIMESTAMP, 'digest', 8, :token)"
                    ),
                    {"id": user_id, "email": f"u{user_id}@example.org", "token": calendar_token},
                )
        upgrade()
        assert "calendar_token" not in {c["name"] for c in inspect(db.engine).get_columns("user")}
        stored = dict(db.session.execute(select(User.id, User.calendar_token_hash)).all())
        assert stored[2] is None and len(stored[1]) == 64 and token not in stored[1]
        assert user_for_calendar_token(db.session, token).id == 1
        assert user_for_calendar_token(db.session, token[:-1] + "x") is None


def test_upgrading_keeps_existing_data(tmp_path):
    """Batch migrations rebuild tables on SQLite; existing rows and their links must survive."""
    from datetime import date

    from sqlalchemy import select, text

    from fointracker.models import Campaign, FoiRequest, RequestEvent

    with _app_at_revision(tmp_path, "0001"):
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (id, email, name, role, password_hash, active, created_at) '
                    "VALUES (1, 'a@example.org', '', 'admin', 'x', true, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO authority (id, code, gss_code, official_name, short_name, type_code, "
                    "type_name, nation, region, social_care, replaced_by, website, foi_email, alt_names, "
                    "wdtk_id, updated_at) VALUES (1, 'KEN', '', 'Kent County Council', 'Kent', 'CTY', '', "
                    "'England', 'South East', true, '', '', '', '', '', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO campaign (id, title, description, default_regime, letter_template, "
                    "created_at, created_by_id) VALUES (1, 'C', '', 'foia', '', CURRENT_TIMESTAMP, 1)"
                )
            )
            conn.execute(text("INSERT INTO campaign_coordinator (campaign_id, user_id) VALUES (1, 1)"))
            conn.execute(
                text(
                    "INSERT INTO foi_request (id, campaign_id, authority_id, regime, subject, body, sent_on, "
                    "received_on, council_reference, owner_id, status, created_at, updated_at) VALUES "
                    "(1, 1, 1, 'foia', 'S', '', '2026-03-02', '2026-03-02', '', 1, 'awaiting_response', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO request_event (id, request_id, kind, occurred_on, details, note, "
                    "created_by_id, created_at) VALUES (1, 1, 'sent', '2026-03-02', '{}', '', 1, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        req = db.session.get(FoiRequest, 1)
        assert req.owner_id == 1 and req.sent_on == date(2026, 3, 2)
        assert [u.id for u in db.session.get(Campaign, 1).coordinators] == [1]
        assert db.session.scalar(select(RequestEvent.kind)) == "sent"


def test_upgrading_makes_every_user_a_member_of_every_campaign(tmp_path, monkeypatch):
    """0010: nobody loses access on upgrade. Every existing user becomes a member of every
    existing campaign, so each sees, after it, what they saw before it."""
    from sqlalchemy import select, text

    from fointracker.models import User, campaign_members
    from fointracker.services.access import visible_campaign_ids

    with _app_at_revision(tmp_path, "0009"):
        with db.engine.begin() as conn:
            for user_id, role in ((1, "admin"), (2, "coordinator"), (3, "staff"), (4, "author")):
                conn.execute(
                    text(
                        'INSERT INTO "user" (id, email, name, role, password_hash, active, created_at, '
                        "reminder_mode, digest_hour) VALUES (:id, :email, '', :role, 'x', true, "
                        "CURRENT_TIMESTAMP, 'digest', 8)"
                    ),
                    {"id": user_id, "email": f"u{user_id}@example.org", "role": role},
                )
            for campaign_id in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO campaign (id, title, description, default_regime, letter_template, "
                        "webhook_url, created_at, created_by_id) VALUES (:id, :title, '', 'foia', '', '', "
                        "CURRENT_TIMESTAMP, 1)"
                    ),
                    {"id": campaign_id, "title": f"C{campaign_id}"},
                )
        upgrade()
        rows = set(db.session.execute(select(campaign_members.c.campaign_id, campaign_members.c.user_id)).all())
        assert rows == {(c, u) for c in (1, 2) for u in (1, 2, 3, 4)}
        from fointracker.services import access

        monkeypatch.undo()  # membership enforced (tests/conftest.py opens campaigns to everyone)
        assert not access.sees_everything(db.session.get(User, 3))
        assert visible_campaign_ids(db.session, db.session.get(User, 3)) == {1, 2}


def test_campaign_versions_replace_the_data_version_and_back(tmp_path):
    """0012: a number per campaign (and row 0) instead of 0007's one data version, each moved by
    the writes to its data; its downgrade brings the data version and its triggers back."""
    from sqlalchemy import text

    with _app_at_revision(tmp_path, "0011"):
        postgresql = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (id, email, name, role, password_hash, active, created_at, '
                    "reminder_mode, digest_hour) VALUES (1, 'a@example.org', '', 'admin', 'x', true, "
                    "CURRENT_TIMESTAMP, 'digest', 8)"
                )
            )
            for campaign_id in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO campaign (id, title, description, default_regime, letter_template, "
                        "webhook_url, created_at, created_by_id) VALUES (:id, :title, '', 'foia', '', '', "
                        "CURRENT_TIMESTAMP, 1)"
                    ),
                    {"id": campaign_id, "title": f"C{campaign_id}"},
                )
        upgrade(revision="0012")
        tables = set(inspect(db.engine).get_table_names())
        assert "campaign_version" in tables and "data_version" not in tables

        def numbers(conn) -> dict[int, int]:
            return dict(conn.execute(text("SELECT campaign_id, n FROM campaign_version")).all())

        with db.engine.begin() as conn:
            before = numbers(conn)
            assert set(before) == {0, 1, 2}  # every campaign has its number from the start
            conn.execute(text("UPDATE campaign SET title = 'Renamed' WHERE id = 2"))
        with db.engine.begin() as conn:
            after = numbers(conn)
        assert after[2] > before[2] and (after[0], after[1]) == (before[0], before[1])

        downgrade(revision="0011")
        tables = set(inspect(db.engine).get_table_names())
        assert "data_version" in tables and "campaign_version" not in tables
        with db.engine.begin() as conn:
            start = conn.scalar(text("SELECT n FROM data_version WHERE id = 1"))
            conn.execute(text("UPDATE campaign SET title = 'Again' WHERE id = 1"))
        with db.engine.begin() as conn:
            moved = conn.scalar(text("SELECT n FROM data_version WHERE id = 1"))
            if postgresql:  # 0007's triggers are back (SQLite never had any)
                assert moved > start
                triggers = conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'campaign_version_%'"))
                assert triggers.all() == []
            else:
                assert moved == start
                triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'campaign_version_%'"))
                assert triggers.all() == []
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            assert set(numbers(conn)) == {0, 1, 2}
