#!/usr/bin/env bash
# Rumbo's engine benchmark suite, one command: builds the release binary and the staffing
# benchmark, generates seeded call files (1M, 3M, 10M rows) under target/bench-data/, makes a
# Python venv with DuckDB, Polars and numpy (skipped gracefully when offline), and runs Rumbo
# and the peers on the same files, interleaved, printing ratios, p50/p95/p99 and peak memory
# (scripts/bench_suite.py). Bounded in time (every child under a timeout); loopback only.
#
#   scripts/bench-suite.sh                      # everything
#   BENCH_SIZES=1000000 BENCH_ROUNDS=2 scripts/bench-suite.sh   # a quick run
#
# Environment: BENCH_SIZES (comma-separated rows, default 1000000,3000000,10000000),
# BENCH_ROUNDS (kpi file rounds, 5), BENCH_IMPORT_ROUNDS (3), BENCH_HTTP_SECONDS (15),
# BENCH_HTTP_SIZES (1000000,10000000), BENCH_VENV (target/bench-venv), BENCH_JSON (a file
# for the figures as JSON).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build (release)"
cargo build --release --bin rumbo
cargo build --release -p rumbo-wfm --example bench

VENV="${BENCH_VENV:-target/bench-venv}"
PEER_PY=""
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import duckdb, polars, numpy" 2>/dev/null; then
  PEER_PY="$VENV/bin/python"
else
  echo "== peers: making $VENV (DuckDB, Polars, numpy)"
  if python3 -m venv "$VENV" >/dev/null 2>&1 &&
     timeout 600 "$VENV/bin/pip" install --quiet --disable-pip-version-check duckdb polars numpy; then
    PEER_PY="$VENV/bin/python"
  elif [ -x "$VENV/bin/python" ]; then
    echo "   could not install every peer (offline?): running those that import"
    PEER_PY="$VENV/bin/python"
  else
    echo "   no venv (python3-venv missing?): peers skipped"
  fi
fi

echo "== run"
exec timeout "${BENCH_TIMEOUT:-3600}" python3 scripts/bench_suite.py \
  --peer-python "$PEER_PY" \
  --sizes "${BENCH_SIZES:-1000000,3000000,10000000}" \
  --rounds "${BENCH_ROUNDS:-5}" \
  --import-rounds "${BENCH_IMPORT_ROUNDS:-3}" \
  --http-seconds "${BENCH_HTTP_SECONDS:-15}" \
  --http-sizes "${BENCH_HTTP_SIZES:-1000000,10000000}" \
  ${BENCH_JSON:+--json "$BENCH_JSON"}
