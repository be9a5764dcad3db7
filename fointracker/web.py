"""Everything the web side adds to the app: blueprints, the login wall, headers, filters."""

from __future__ import annotations

import logging

from flask import Flask, abort, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import BadRequest, ServiceUnavailable
from werkzeug.routing import IntegerConverter

from . import clock
from .api import init_api
from .api.auth import stands_apart as api_stands_apart
from .api.errors import is_api_request, unmatched_api_error
from .auth.permissions import can
from .deadlines import page_calendars
from .domain.lifecycle import Outcome, Status
from .domain.regimes import Regime
from .domain.text import MAX_ID
from .extensions import db
from .formatting import uk_date, uk_datetime
from .logging_setup import request_id_from
from .models import Role, User
from .services.deadlines import request_state

# Endpoints anyone may reach. Everything else needs a login (checked centrally,
# so a new view cannot forget it).
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "static",
        "main.favicon",
        "main.healthz",
        "calendar.feed",
        # A published report (#18) and its data sets: served from the published snapshot only.
        "publishing.public_report",
        "publishing.public_version",
        "publishing.public_csv",
        "publishing.public_xlsx",
        "publishing.public_version_csv",
        "publishing.public_version_xlsx",
    }
)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

MAX_PAGE = 100_000  # beyond any list; larger page numbers overflow the database's integers

HSTS = "max-age=31536000; includeSubDomains"  # production only: it is served over HTTPS
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable - fointracker</title></head>
<body><main><h1>Service unavailable</h1><p>{message}</p></main></body></html>
"""

log = logging.getLogger("fointracker.web")


def _wants_json() -> bool:
    """A script's call (batch.js, a JSON download) gets its errors as JSON."""
    return request.is_json or request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(v) for v in value)
    return False


class IdConverter(IntegerConverter):
    """`<id:name>`: a row's id, 1 to 2³¹−1 (PostgreSQL's integer); any other number is a 404
    before the view runs (a larger one would make the lookup itself fail). `<id(min=0):…>` for
    an index."""

    def __init__(self, map, min: int = 1, max: int = MAX_ID) -> None:  # noqa: A002 (werkzeug's names)
        super().__init__(map, min=min, max=max)


def register_web(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .authorities import bp as authorities_bp
    from .calendar_feed import bp as calendar_bp
    from .campaigns import bp as campaigns_bp
    from .deadlines import bp as deadlines_bp
    from .figures import bp as figures_bp
    from .foi_requests import bp as requests_bp
    from .mail import bp as mail_bp
    from .main import bp as main_bp
    from .publishing import bp as publishing_bp
    from .reports import bp as reports_bp

    for blueprint in (
        auth_bp,
        main_bp,
        campaigns_bp,
        requests_bp,
        authorities_bp,
        admin_bp,
        deadlines_bp,
        calendar_bp,
        reports_bp,
        publishing_bp,
        mail_bp,
        figures_bp,
    ):
        app.register_blueprint(blueprint)
    init_api(app)

    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.globals.update(Role=Role, Status=Status, Outcome=Outcome, Regime=Regime, can=can)

    def deadline_state_of(foi_request):
        return request_state(foi_request, clock.today(), page_calendars(), app.config["DUE_SOON_WORKING_DAYS"])

    app.jinja_env.globals["deadline_state_of"] = deadline_state_of

    @app.before_request
    def require_login():
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))
        if is_api_request() and api_stands_apart():
            return None  # the JSON API authenticates each call by its token, never the session (fointracker.api)
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
            return None
        if request.endpoint is None:  # unknown URL: a 404 for everyone, but only after login
            return redirect(url_for("auth.login"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def refuse_unusable_input():
        """NUL bytes (no field takes one, and PostgreSQL refuses them) and page numbers beyond any list."""
        values = list(request.args.items(multi=True))
        if request.method == "POST":
            values += list(request.form.items(multi=True))
            if request.is_json:
                values.append(("json", request.get_json(silent=True)))
        if _holds_nul(values):
            if is_api_request():
                return unmatched_api_error(BadRequest("The request contained a NUL character, which no field accepts."))
            if request.is_json:  # a script's call (batch.js): the error in the JSON it reads
                return jsonify(error="The request contained a NUL character, which no field accepts."), 400
            return render_template(
                "errors/error.html",
                code=400,
                title="Unreadable input",
                message="The request contained a NUL character, which no field accepts.",
            ), 400
        if request.args.get("page", 1, type=int) > MAX_PAGE:
            abort(404)
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "request_id" in g:
            response.headers.setdefault("X-Request-ID", g.request_id)
        if app.config["ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # A logged-in page (or the login form) must not stay in a shared or back-button cache.
        # The user as the login wall loaded it (a User, not the anonymous one), without asking
        # anything of the database: it may be down, and an expired row would be re-read.
        logged_in = isinstance(g.get("_login_user"), User)
        if request.endpoint != "static" and (request.endpoint == "auth.login" or logged_in):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(SQLAlchemyTimeoutError)
    def database_unavailable(error):
        """The database is down or unreachable: a 503 to retry later, not a 500. A plain page
        (the layout would ask the database for the user again), or JSON for a script's call."""
        # With its traceback, for the operator: statements are logged without their parameters
        # (hide_parameters in config.py), so no value a user typed reaches the log.
        log.error("database unavailable: %s", type(getattr(error, "orig", None) or error).__name__, exc_info=error)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        message = "The database is not answering just now. Nothing was saved: try again in a minute."
        if is_api_request():
            response = unmatched_api_error(ServiceUnavailable(message))
        elif _wants_json():
            response = jsonify(error=message)
        else:
            response = app.response_class(UNAVAILABLE_PAGE.format(message=message), mimetype="text/html")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html",
            code=400,
            title="Form expired",
            message="The form was missing its security token or it had expired. "
            "Go back, reload the page and try again.",
        ), 400

    @app.errorhandler(400)
    def bad_request(_error):
        if is_api_request():  # an /api/ URL no rule matched (the API's own handlers answer the rest)
            return unmatched_api_error(_error)
        # A form whose hidden fields were changed, or a body that is not the form at all.
        return render_template(
            "errors/error.html",
            code=400,
            title="Bad request",
            message="The form sent could not be read. Nothing was saved: go back, reload the page and try again.",
        ), 400

    @app.errorhandler(403)
    def forbidden(_error):
        if is_api_request():
            return unmatched_api_error(_error)
        return render_template(
            "errors/error.html",
            code=403,
            title="Not allowed",
            message="Your role does not allow this. Ask an admin if you need it.",
        ), 403

    @app.errorhandler(404)
    def not_found(_error):
        if is_api_request():
            return unmatched_api_error(_error)
        return render_template(
            "errors/error.html", code=404, title="Not found", message="There is nothing at this address."
        ), 404

    @app.errorhandler(405)
    def method_not_allowed(error):
        return unmatched_api_error(error) if is_api_request() else error

    @app.errorhandler(413)
    def too_large(_error):
        if is_api_request():
            return unmatched_api_error(_error)
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        if (request.content_length or 0) <= app.config["MAX_CONTENT_LENGTH"]:
            # Within the upload limit: a text field beyond the form-memory limit, or too many fields.
            limit_kb = app.config["MAX_FORM_MEMORY_SIZE"] // 1000
            return render_template(
                "errors/error.html",
                code=413,
                title="Too much text",
                message=f"A field held more than {limit_kb} kB of text, or the form had too "
                "many fields. Shorten it and try again; nothing was saved.",
            ), 413
        return render_template(
            "errors/error.html", code=413, title="File too large", message=f"Uploads are limited to {limit_mb} MB."
        ), 413

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()  # after a failed flush the page itself could not load the user
        if is_api_request():
            return unmatched_api_error(_error)
        if _wants_json():
            return jsonify(error="Something went wrong. The error has been logged; nothing was saved."), 500
        return render_template(
            "errors/error.html",
            code=500,
            title="Something went wrong",
            message="The error has been logged. Nothing was saved from this request.",
        ), 500
