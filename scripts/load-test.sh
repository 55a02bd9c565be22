#!/usr/bin/env bash
# Starts `rumbo serve` (the release binary; built if missing) on a temporary data folder and
# database — SQLite, or PostgreSQL when DATABASE_URL names one (a fresh database is created
# and dropped) — creates an admin token and a programme, and runs scripts/load_test.py on it.
#
#   scripts/load-test.sh [load_test.py options: --clients 50 --seconds 60 ...]
#
# A PostgreSQL restart mid-load (manual bench, never in CI):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/load-test.sh \
#     --restart-at 20 --restart-cmd "pg_ctlcluster --skip-systemctl-redirect 16 main restart"
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${RUMBO_BIN:-$PWD/target/release/rumbo}"
[ -x "$bin" ] || cargo build --release --bin rumbo
work="$(mktemp -d)"
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  PG_BASE="${DATABASE_URL%/*}"
  pg_db="rumbo_load_$$"
  psql "$PG_BASE/postgres" -qc "CREATE DATABASE $pg_db"
  export DATABASE_URL="$PG_BASE/$pg_db"
else
  export DATABASE_URL="sqlite://$work/rumbo.db"
fi
export RUMBO_DATA_DIR="$work/data"
"$bin" user add load@bpo.cl --role admin --generate-password >/dev/null 2>&1
token="$("$bin" token create load@bpo.cl 2>/dev/null | tr -d '[:space:]')"
"$bin" serve --no-demo --bind 127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 120); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.5
done
[ -n "$url" ] || { cat "$work/server.log"; echo "server did not start"; exit 1; }
auth="Authorization: Bearer $token"
client_id="$(curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' \
  -d '{"name":"Banco","rut":"76.086.428-5"}' "$url/api/v1/clients" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' \
  -d "{\"code\":\"LOAD\",\"name\":\"Carga\",\"client_id\":$client_id,\"channels\":[\"voice_inbound\"],\"start_date\":\"2026-01-01\"}" \
  "$url/api/v1/programs" >/dev/null
python3 scripts/load_test.py "$url" "$token" LOAD "$@"
