#!/usr/bin/env bash
# Run the benchmarks (not part of the test suite) on SQLite and on PostgreSQL, then print a table of
# every goal with PASS/FAIL per backend. Exit status 1 if any goal failed or any benchmark crashed.
#
#   bash scripts/bench.sh [args]          every benchmarks/bench_*.py, on each backend (one whose source
#                                         never mentions --database-url needs no database: it runs once)
#   bash scripts/bench.sh --load [args]   the load test, benchmarks/load.py (gunicorn on loopback,
#                                         about 3 minutes a backend)
#
# Extra arguments go to every benchmark run. PY=/path/to/python if the virtualenv is not .venv;
# BENCHES="benchmarks/bench_sweep.py ..." runs only those.
#
# SQLite: each benchmark builds a temporary database file of its own.
# PostgreSQL: the database named by FOINTRACKER_BENCH_PG_URL, e.g.
#   FOINTRACKER_BENCH_PG_URL=postgresql+psycopg://fointracker:fointracker@127.0.0.1:5432/bench
# Its public schema is DROPPED and rebuilt by every benchmark, so it must be a database of its own
# (`createdb -O fointracker bench`). There is no default: guessing a local database and dropping
# its schema could destroy data, so when the variable is unset PostgreSQL is skipped, and said so
# in the output and in the table (a skipped backend does not fail the run).
#
# A goal is a line a benchmark prints as `goal: <what> (<measured>): PASS|FAIL` (benchmarks/_fixture.py
# has `goal()`); lines that start with PASS or FAIL count too. The table lines up the same goal
# across backends by its text without what is in parentheses.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

read -r -a benches <<<"${BENCHES:-$(echo benchmarks/bench_*.py)}"
if [[ "${1:-}" == "--load" ]]; then
  shift
  benches=(benchmarks/load.py)
fi
backends=(sqlite)
if [[ -n "${FOINTRACKER_BENCH_PG_URL:-}" ]]; then
  backends+=(postgresql)
else
  echo "PostgreSQL SKIPPED: set FOINTRACKER_BENCH_PG_URL to a database of the benchmarks' own to run there too."
fi

results=$(mktemp)
output=$(mktemp)
trap 'rm -f "$results" "$output"' EXIT
status=0
for bench in "${benches[@]}"; do
  for backend in "${backends[@]}"; do
    url_args=()
    label=$backend
    if ! grep -q -- "--database-url" "$bench"; then
      [[ "$backend" == sqlite ]] || continue
      label=any
    elif [[ "$backend" == postgresql ]]; then
      url_args=(--database-url "$FOINTRACKER_BENCH_PG_URL")
    fi
    echo
    echo "== $bench ($label)"
    started=$SECONDS
    "$PY" "$bench" "${url_args[@]}" "$@" 2>&1 | tee "$output"
    rc=${PIPESTATUS[0]}
    echo "   ($bench on $label: exit status $rc, $((SECONDS - started)) s)"
    [[ $rc -eq 0 ]] || status=1
    "$PY" - "$bench" "$label" "$rc" "$output" >>"$results" <<'EOF'
import re, sys
bench, backend, rc, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
verdict = re.compile(r"^\s*(?:goal:\s*(?P<a>.*?)[\s:]*\b(?P<av>PASS|FAIL)\b[.\s]*|(?P<bv>PASS|FAIL)\b[\s:]*(?P<b>.*))$")
failed = False
for line in open(path, errors="replace"):
    m = verdict.match(line.rstrip("\n"))
    if m:
        what, result = (m["a"], m["av"]) if m["av"] else (m["b"], m["bv"])
        what = re.sub(r"\s+", " ", re.sub(r"\([^()]*\)", "", what)).strip(" :")
        failed |= result == "FAIL"
        print(f"{bench}\t{backend}\t{result}\t{what}")
if rc != 0 and not failed:
    print(f"{bench}\t{backend}\tFAIL\texited with status {rc} (see its output)")
EOF
  done
done

echo
"$PY" - "$results" "${backends[@]}" <<'EOF'
import sys
path, backends = sys.argv[1], sys.argv[2:]
rows, order = {}, []
for line in open(path):
    bench, backend, result, what = line.rstrip("\n").split("\t", 3)
    key = (bench.removeprefix("benchmarks/"), what)
    if key not in rows:
        rows[key] = {}
        order.append(key)
    rows[key][backend] = result
width = max([len(f"{b}: {w}") for b, w in order] + [10])
print(f"{'goal':<{width}}  {'SQLite':<10}PostgreSQL")
for bench, what in order:
    cells = rows[(bench, what)]
    if "any" in cells:  # no database: one result stands for both
        cells = {"sqlite": cells["any"] + "*", "postgresql": cells["any"] + "*"}
    shown = [cells.get(b, "skipped" if b not in backends else "-") for b in ("sqlite", "postgresql")]
    print(f"{bench + ': ' + what:<{width}}  {shown[0]:<10}{shown[1]}")
if any("any" in cells for cells in rows.values()):
    print("* needs no database: run once")
EOF
grep -q "$(printf '\tFAIL\t')" "$results" && status=1
echo
[[ -n "${FOINTRACKER_BENCH_PG_URL:-}" ]] || echo "PostgreSQL SKIPPED: FOINTRACKER_BENCH_PG_URL is not set."
echo "bench.sh: $([[ $status -eq 0 ]] && echo 'every goal PASS' || echo 'FAIL (see above)')"
exit $status
