"""The schema exists only through migrations, and they agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from fointracker.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
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
