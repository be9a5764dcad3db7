#!/usr/bin/env bash
# Run every benchmark in benchmarks/ (not part of the test suite). Extra arguments go to each.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
status=0
for bench in benchmarks/bench_*.py; do
  echo "== $bench"
  "$PY" "$bench" "$@" || status=1
done
exit $status
