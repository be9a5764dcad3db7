#!/usr/bin/env bash
# Install fointracker with its test dependencies into .venv and run the whole test suite,
# spread over the machine's cores (pytest-xdist). Extra arguments go to pytest.
# Browser tests run when /usr/bin/chromium exists (apt-get install chromium); PostgreSQL
# runs when FOINTRACKER_TEST_DATABASE_URL is set (each worker makes its own `<name>_gwN`).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the virtualenv in $VENV"
  python3 -m venv "$VENV"
fi
echo "== installing fointracker and its test dependencies into $VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e '.[test]'
echo "== running the tests"
# Test by test over the workers, which keeps them both busy to the end (whole files left one
# idle while the other finished a big one); but the tests of an `xdist_group` run together on
# one worker: the fuzz tests share a module-wide app whose data another test's database reset
# must not wipe in between (tests/test_fuzz_forms.py, tests/test_fuzz_cli.py).
exec "$VENV/bin/python" -m pytest -n "${TEST_WORKERS:-auto}" --dist loadgroup "$@"
