"""gunicorn settings for fointracker: `gunicorn -c deploy/gunicorn.conf.py 'fointracker:create_app()'`.

Command-line options (-w, -b, ...) override these. Environment:
  WEB_CONCURRENCY     workers (default 2 x CPUs + 1, at most 8)
  FOINTRACKER_BIND    address to listen on (default 127.0.0.1:8000, or 0.0.0.0:$PORT when PORT is set,
                      as platforms that run a Procfile expect)
  GUNICORN_LOG_LEVEL  gunicorn's own log level (default info); the app's is FOINTRACKER_LOG_LEVEL
"""

import multiprocessing
import os

_port = os.environ.get("PORT")
bind = os.environ.get("FOINTRACKER_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "sync"  # plain pages and short queries; long work happens in the scheduler process
timeout = 60  # a big report export or a 25 MB upload on a slow link still fits
graceful_timeout = 30

# Not preloaded: each worker builds its own app, so no database connection opened in the master
# is shared across the fork, and `kill -HUP <master>` loads new code after an upgrade.
preload_app = False

# The app writes its own access line per request (with request id and user): gunicorn's is off.
accesslog = None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's own messages (boot, worker restarts, timeouts) on stdout too, in the app's line format.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"()": "fointracker.logging_setup.LineFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stdout"}},
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}

# gunicorn 25.1+ opens a control socket under $XDG_RUNTIME_DIR or $HOME by default: two instances on a host
# would share its path, and systemd (signals, `systemctl reload`) already controls the master.
control_socket_disable = True

# Behind a TLS proxy on the same host: trust its X-Forwarded-Proto (gunicorn's default list, stated).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
