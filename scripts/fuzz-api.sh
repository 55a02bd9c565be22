#!/usr/bin/env bash
# OpenAPI-driven fuzzing of the JSON API with schemathesis (from PyPI): starts `rumbo serve` on
# a temporary database and data folder (demo data included), creates an admin token, and lets
# schemathesis call every operation of /api/v1/openapi.json. Passes only with zero 5xx answers
# and zero answers that break the document (status codes, content types, JSON schemas).
#
#   scripts/fuzz-api.sh [MAX_EXAMPLES_PER_OPERATION]   (default 50)
#
# Needs `schemathesis` (pip install schemathesis). Stops the server it started and removes the
# temporary folder on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
command -v st >/dev/null 2>&1 || pip install -q schemathesis
cargo build -q --bin rumbo
bin="$PWD/target/debug/rumbo"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/rumbo.db" RUMBO_DATA_DIR="$work/data"
"$bin" user add fuzz@bpo.cl --role admin --generate-password >/dev/null 2>&1
token="$("$bin" token create fuzz@bpo.cl 2>/dev/null | tr -d '[:space:]')"
"$bin" serve --bind 127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 120); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.5
done
[ -n "$url" ] || { cat "$work/server.log"; echo "server did not start"; exit 1; }
echo "fuzzing $url with $examples examples per operation"
st run "$url/api/v1/openapi.json" \
  --url "$url/api/v1" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "$examples" \
  --workers 2 \
  --seed 20261130 \
  --report-dir "${FUZZ_REPORT_DIR:-$work/report}" \
  --warnings off
