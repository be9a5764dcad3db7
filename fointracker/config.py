"""Configuration: defaults, then instance/config.py, then FOINTRACKER_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask

DEFAULT_SECRET_KEY = "dev-only-not-secret"

ENV_ALIASES = {
    # environment variable -> Flask config key
    "FOINTRACKER_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
}


class ConfigurationError(click.ClickException, RuntimeError):
    """The app was asked to start with a configuration that is unsafe or unusable.

    A ClickException so that `fointracker <command>` says it in one line ("Error: ...", exit 1)
    instead of a traceback."""


def load_config(app: Flask, test_config: dict | None) -> None:
    instance = Path(app.instance_path)
    app.config.from_mapping(
        ENV="development",
        SECRET_KEY=DEFAULT_SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'fointracker.sqlite3'}",
        UPLOAD_FOLDER=str(instance / "uploads"),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        # Where documents' bytes live (services/file_store.py): "folder" (UPLOAD_FOLDER/store) or
        # "database" (PostgreSQL itself, so that several web hosts share nothing else); the largest file.
        FILE_STORE="folder",
        FILE_STORE_MAX_BYTES=32 * 1024 * 1024,
        PER_PAGE=50,
        DUE_SOON_WORKING_DAYS=5,
        # The login throttle (domain.accounts.ThrottlePolicy): per address, per account (from
        # addresses new to it) and per device cookie, this many failures in the window are free;
        # then each attempt waits LOGIN_DELAY_SECONDS, doubled per failure, at most LOGIN_MAX_DELAY_SECONDS.
        LOGIN_RATE_LIMIT=5,
        LOGIN_RATE_WINDOW_SECONDS=60 * 60,
        LOGIN_DELAY_SECONDS=30,
        LOGIN_MAX_DELAY_SECONDS=15 * 60,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",  # Flask-Login sets no SameSite unless told
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
        PREFERRED_URL_SCHEME="http",
        BASE_URL="http://127.0.0.1:5000",  # how links in emails, webhooks and the calendar feed begin
        PUBLISHER_NAME="",  # the organisation a published report's citation names, unless its author says otherwise
        SMTP_HOST="localhost",
        SMTP_PORT=25,
        SMTP_SECURITY="none",  # none, starttls or ssl
        MAIL_FROM="fointracker@localhost",
        # Letters by email (#16): each request's own reply address, "{token}" replaced by its unguessable
        # token (plus-addressing on a domain the group controls, e.g. "foi+{token}@example.org"; empty:
        # replies go to the sender), and at most this many letters a minute, across every host.
        MAIL_REPLY_TO="",
        MAIL_PER_MINUTE=20,
        WEBHOOK_ALLOWED_HOSTS=[],  # internal hosts a campaign's webhook may use (else public addresses only)
        # Bounds on reading an imported spreadsheet (fointracker/tabular.py, Limits): beyond any, a clear refusal.
        SPREADSHEET_MAX_ROWS=50_000,
        SPREADSHEET_MAX_COLUMNS=200,
        SPREADSHEET_MAX_CELLS=1_000_000,
        SPREADSHEET_MAX_UNPACKED_MB=50,
        SPREADSHEET_MAX_SECONDS=30,
        # Import previews waiting for confirmation (services/import_previews.py): oldest removed first.
        IMPORT_PREVIEWS_MAX_MB_PER_USER=50,
        IMPORT_PREVIEWS_MAX_MB=500,
        TRUSTED_PROXIES=0,  # proxies in front whose X-Forwarded-For/-Proto are believed (see create_app)
        # The IMAP door (services/mail_imap.py): the scheduler polls IMAP_URL (imaps://user:password@host:993;
        # empty = no polling) every IMAP_POLL_SECONDS, files what is in IMAP_FOLDER and moves it to
        # IMAP_FILED_FOLDER (what cannot be read at all to IMAP_FAILED_FOLDER), IMAP_BATCH messages a fetch.
        IMAP_URL="",
        IMAP_FOLDER="INBOX",
        IMAP_FILED_FOLDER="Filed",
        IMAP_FAILED_FOLDER="Failed",
        IMAP_BATCH=50,
        IMAP_POLL_SECONDS=60,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("FOINTRACKER")
        for env_name, key in ENV_ALIASES.items():
            if os.environ.get(env_name):
                app.config[key] = os.environ[env_name]
    else:
        app.config.from_mapping(test_config)

    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A writer waits for the lock instead of failing with "database is locked".
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # Statement parameters stay out of error messages and logs: they hold calendar tokens,
    # password hashes and what people typed.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    if str(app.config["FILE_STORE"]).strip().lower() not in ("folder", "database"):
        raise ConfigurationError(f"FILE_STORE must be folder or database, not {app.config['FILE_STORE']!r}")

    proxies = app.config["TRUSTED_PROXIES"]
    if not (isinstance(proxies, int) and not isinstance(proxies, bool) and proxies >= 0):
        raise ConfigurationError(f"TRUSTED_PROXIES must be a whole number of proxies (0 or more), not {proxies!r}")

    if app.config["ENV"] == "production":
        # Cookies only over HTTPS, unless the operator says otherwise (FOINTRACKER_SESSION_COOKIE_SECURE=false).
        if "FOINTRACKER_SESSION_COOKIE_SECURE" not in os.environ:
            app.config["SESSION_COOKIE_SECURE"] = True
        if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
            raise ConfigurationError(
                "Refusing to start in production with the default secret key: "
                "set FOINTRACKER_SECRET_KEY to a long random value."
            )
    # The remember and device cookies log in as surely as the session cookie: Secure whenever it
    # is, however that was set (default, environment, instance file), unless set on their own.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
