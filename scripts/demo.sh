#!/usr/bin/env bash
# Set up fointracker on this machine with demo data (SQLite) and start it at http://127.0.0.1:$PORT
# (default 5000), with the reminder scheduler beside it.
#   PORT=5101 bash scripts/demo.sh                     another port
#   DEMO_ADMIN_PASSWORD='…' bash scripts/demo.sh       the admin's password (set again if the admin exists)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${PORT:-5000}
case $PORT in
  ''|*[!0-9]*) echo "PORT must be a port number, not '$PORT'" >&2; exit 2 ;;
esac
step() { echo "== $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  step "creating the virtualenv $VENV"
  python3 -m venv "$VENV"
fi
step "updating pip"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
step "installing fointracker into $VENV (about a minute; pip lists what it fetches)…"
"$VENV/bin/pip" install --disable-pip-version-check --progress-bar on .
export FOINTRACKER_INSTANCE_PATH=${FOINTRACKER_INSTANCE_PATH:-$PWD/instance}
# Links in reminders and the calendar feed point at this server (unless set otherwise).
export FOINTRACKER_BASE_URL=${FOINTRACKER_BASE_URL:-http://127.0.0.1:$PORT}
FT="$VENV/bin/fointracker"
step "migrating the database in $FOINTRACKER_INSTANCE_PATH"
"$FT" db upgrade
step "loading the council register"
"$FT" authorities import
step "seeding the [DEMO] campaign and the admin user"
"$FT" demo seed --admin-email "${DEMO_ADMIN_EMAIL:-admin@example.org}" ${DEMO_ADMIN_PASSWORD:+--admin-password "$DEMO_ADMIN_PASSWORD"}
step "planning reminders"
"$FT" reminders plan

# Two processes: the scheduler (never inside the web server) and the web server. Both stop together:
# Ctrl-C reaches both, and whichever way this script ends, the trap stops whatever is left.
# Background jobs of a script ignore SIGINT unless told otherwise (`trap - INT`); the scheduler
# needs it to let go of its lock cleanly. The web server also runs as a job, so that a TERM sent
# to this script is handled at once instead of after the server has exited.
SCHEDULER_PID=""
WEB_PID=""
running() {
  local pid
  for pid in $WEB_PID $SCHEDULER_PID; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
wait_for_exit() {  # up to $1 tenths of a second
  local i
  for i in $(seq "$1"); do running || return 0; sleep 0.1; done
}
stop() {  # $1: tenths of a second to wait first (after a Ctrl-C, which reached every process already)
  trap - EXIT INT TERM
  local pid
  wait_for_exit "${1:-0}"
  for pid in $WEB_PID $SCHEDULER_PID; do kill -INT "$pid" 2>/dev/null || true; done
  wait_for_exit 50  # 5 s to stop cleanly (the scheduler lets go of its lock) ...
  for pid in $WEB_PID $SCHEDULER_PID; do kill -TERM "$pid" 2>/dev/null || true; done  # ... then no more
  for pid in $WEB_PID $SCHEDULER_PID; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'stop 30; exit 130' INT
trap 'stop; exit 143' TERM

(trap - INT; exec "$FT" scheduler) &
SCHEDULER_PID=$!
echo
echo "fointracker is starting at http://127.0.0.1:$PORT — log in with the admin user above. Ctrl-C stops it."
echo "The reminder scheduler runs beside it (process $SCHEDULER_PID); Admin → Reminder outbox shows its heartbeat."
(trap - INT; exec "$FT" run --host 127.0.0.1 --port "$PORT") &
WEB_PID=$!
wait "$WEB_PID"
