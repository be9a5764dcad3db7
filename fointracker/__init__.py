"""fointracker: run an FOI campaign against UK councils and report on the answers."""

from __future__ import annotations

import os

from flask import Flask

from .config import load_config
from .extensions import csrf, db, login_manager, migrate
from .paths import default_instance_path, migrations_dir, templates_dir

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory. `test_config` replaces the environment and instance file."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(templates_dir()),
        instance_path=str(default_instance_path()),
    )
    load_config(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a TLS proxy every request comes from the proxy's address: without this, the login
        # rate limit (per address) would count everyone's failures together and lock everyone out.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=app.config["TRUSTED_PROXIES"]
        )
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    from .services.request_search import not_search_index

    migrate.init_app(
        app,
        db,
        directory=str(migrations_dir()),
        render_as_batch=True,
        compare_type=True,
        include_name=not_search_index,
    )
    login_manager.init_app(app)

    from . import models  # noqa: F401  (registers the tables with the metadata)
    from .database import configure_engine

    with app.app_context():
        configure_engine(db.engine)

    from .logging_setup import configure_logging, init_request_logging
    from .web import register_web

    configure_logging(app)
    init_request_logging(app)  # before the login wall's hook, so its redirects are timed and logged too
    register_web(app)
    # After the login wall, so an anonymous POST is sent to the login page, not told off about CSRF.
    csrf.init_app(app)

    from .cli import register_commands

    register_commands(app)
    return app
