#!/usr/bin/env bash
# Install fointracker with its test dependencies into .venv and run the whole test suite.
# Extra arguments go to pytest. Browser tests run when /usr/bin/chromium exists
# (apt-get install chromium); PostgreSQL runs when FOINTRACKER_TEST_DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e '.[test]'
exec "$VENV/bin/python" -m pytest "$@"
