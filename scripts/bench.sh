#!/usr/bin/env bash
# Run every benchmark in benchmarks/ (not part of the test suite). Extra arguments go to each.
#
#   bash scripts/bench.sh [args]          the micro-benchmarks, benchmarks/bench_*.py
#   bash scripts/bench.sh --load [args]   the load test, benchmarks/load.py (gunicorn on loopback, ~2 min
#                                         a backend): on SQLite, then on PostgreSQL too when
#                                         FOINTRACKER_BENCH_PG_URL names a database of its own (its schema
#                                         is dropped and rebuilt)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
status=0
if [[ "${1:-}" == "--load" ]]; then
  shift
  echo "== benchmarks/load.py (SQLite)"
  "$PY" benchmarks/load.py "$@" || status=1
  if [[ -n "${FOINTRACKER_BENCH_PG_URL:-}" ]]; then
    echo "== benchmarks/load.py (PostgreSQL)"
    "$PY" benchmarks/load.py --database-url "$FOINTRACKER_BENCH_PG_URL" "$@" || status=1
  else
    echo "(PostgreSQL skipped: set FOINTRACKER_BENCH_PG_URL to run the load test there too)"
  fi
  exit $status
fi
for bench in benchmarks/bench_*.py; do
  echo "== $bench"
  "$PY" "$bench" "$@" || status=1
done
exit $status
