#!/usr/bin/env bash
# Set up fointracker on this machine with demo data (SQLite) and start it at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet .
export FOINTRACKER_INSTANCE_PATH=${FOINTRACKER_INSTANCE_PATH:-$PWD/instance}
FT="$VENV/bin/fointracker"
"$FT" db upgrade
"$FT" authorities import
"$FT" demo seed --admin-email "${DEMO_ADMIN_EMAIL:-admin@example.org}" ${DEMO_ADMIN_PASSWORD:+--admin-password "$DEMO_ADMIN_PASSWORD"}
echo
echo "fointracker is starting at http://127.0.0.1:5000 — log in with the admin user above. Ctrl-C stops it."
exec "$FT" run --host 127.0.0.1 --port "${PORT:-5000}"
