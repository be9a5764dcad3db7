"""Logs: one line per record, each carrying the id of the request it was written in.

The web app (gunicorn workers) logs to stdout; commands run through the `fointracker` CLI,
the scheduler among them, log to stderr so that their stdout stays their output.
Every request adds one access line (method, path, status, time, user). Secrets stay out:
the calendar feed's token in its path is redacted, and of a query string only the
parameter names are logged. Tracebacks are folded into the same line (newlines written
as a literal backslash-n), so a log collector keeps each record whole.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

LOGGER_NAME = "fointracker"
LINE_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s req=%(request_id)s %(message)s"

# An incoming X-Request-ID is kept only if it is this: short, and nothing a log line could be forged with.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# View arguments that are secrets (the calendar feed's token): replaced in logged paths.
SECRET_VIEW_ARGS = frozenset({"token"})
# Backstop for text that reaches a log line some other way (Flask's "Exception on <path>").
CALENDAR_TOKEN_IN_PATH = re.compile(r"/calendar/[^/\s?#]+\.ics")
REDACTED = "[redacted]"

log = logging.getLogger("fointracker.access")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID if it looks sane (a proxy's, say), else a new one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex[:12]


def current_request_id() -> str:
    if has_request_context():
        return g.get("request_id") or "-"
    return "-"


def redact(text: str) -> str:
    return CALENDAR_TOKEN_IN_PATH.sub(f"/calendar/{REDACTED}.ics", text)


class LineFormatter(logging.Formatter):
    """One physical line per record, with the request id; secrets in paths redacted.

    Also used by gunicorn's own loggers (see deploy/gunicorn.conf.py), so every line looks alike.
    """

    def __init__(self, fmt: str = LINE_FORMAT, datefmt: str | None = None):
        super().__init__(fmt, datefmt)

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        if datefmt:
            return super().formatTime(record, datefmt)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):  # made before the record factory was installed
            record.request_id = "-"
        return redact(super().format(record)).replace("\r", "\\r").replace("\n", "\\n")


_installed_factory = None


def install_request_id_factory() -> None:
    """Every log record, from any logger, gets `request_id` ("-" outside a request).

    A record factory rather than a logging.Filter: a filter on a logger misses records from its
    children, and one on our handler misses the handlers tests and others attach (caplog).
    """
    global _installed_factory
    if _installed_factory is not None and logging.getLogRecordFactory() is _installed_factory:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    logging.setLogRecordFactory(factory)
    _installed_factory = factory


def _our_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if getattr(h, "_fointracker", False)]


class DropDevServerAccessLines(logging.Filter):
    """The development server's (werkzeug's) own line per request: the app writes its access line
    (fointracker.access) for every request already, so `fointracker run` shows one, not two.
    werkzeug's other records (its start-up banner, errors) pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO and isinstance(record.msg, str) and record.msg.endswith('] "%s" %s %s')
        )  # WSGIRequestHandler.log_request's format


def quieten_library_loggers(level: str) -> None:
    """APScheduler logs every run of every job at INFO (the heartbeat every 30 s): WARNING and up,
    unless the app's level is DEBUG. The development server's duplicate access lines: dropped."""
    numeric = logging.getLevelName(level)  # "INFO" -> 20 (a name it does not know: a string)
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    logging.getLogger("apscheduler").setLevel(numeric if numeric <= logging.DEBUG else max(logging.WARNING, numeric))
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropDevServerAccessLines) for f in werkzeug.filters):
        werkzeug.addFilter(DropDevServerAccessLines())


def configure_logging(app: Flask) -> None:
    """Set the "fointracker" loggers up for this app: a one-line handler, or, under TESTING, none
    (records propagate to pytest's caplog). Idempotent: creating another app replaces, never stacks."""
    install_request_id_factory()
    quieten_library_loggers(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    logger = logging.getLogger(LOGGER_NAME)
    for handler in _our_handlers(logger):
        logger.removeHandler(handler)
    if app.testing:
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        return

    from flask.logging import default_handler

    logger.removeHandler(default_handler)  # Flask's own stderr handler, if app.logger was built earlier
    handler = logging.StreamHandler(_stream_for_this_process())
    handler.setFormatter(LineFormatter())
    handler._fointracker = True
    logger.addHandler(handler)
    logger.setLevel(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    logger.propagate = False  # or a root handler (gunicorn's, basicConfig's) would print each line twice


def _stream_for_this_process():
    import click

    # Inside a `fointracker ...` command (click is running it): stderr, as for any diagnostics.
    return sys.stderr if click.get_current_context(silent=True) is not None else sys.stdout


def init_request_logging(app: Flask) -> None:
    """Time every request and write its access line. Register before the login wall, so its
    redirects are timed and logged too."""

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def access_line(response):
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        # healthz is polled every few seconds by load balancers: only its failures are worth a line.
        quiet = request.endpoint == "main.healthz" and response.status_code == 200
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %s %.1fms user=%s%s",
            request.method,
            loggable_path(),
            response.status_code,
            duration_ms,
            _user_id(),
            _query_keys(),
        )
        return response


def loggable_path() -> str:
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_VIEW_ARGS and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return redact(path)


def _query_keys() -> str:
    # Names only: values can be search terms, emails or tokens.
    keys = sorted({k for k in request.args.keys() if SANE_REQUEST_ID.fullmatch(k)})
    return f" query_keys={','.join(keys)}" if keys else ""


def _user_id() -> str:
    # Only a user this request already loaded (flask-login keeps it in g._login_user):
    # logging must not cost a query of its own.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.id)  # not get_id(): that is the session's secret id (services.sessions)
    return "-"
