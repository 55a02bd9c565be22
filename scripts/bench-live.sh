#!/usr/bin/env bash
# Live operations benchmark: one `rumbo watch queue-log` follows a queue_log that grows by
# 200 events per second while 50 clients hold the wallboard's event stream open on a
# `rumbo serve`; samples the watcher's and the server's memory (RSS) and CPU every 5 s.
# The release binary is used (built if missing); SQLite in a temporary folder.
#
#   scripts/bench-live.sh [SECONDS] [EVENTS_PER_S] [CLIENTS]    (default 600 200 50)
#   scripts/bench-live.sh 30                                     (a quick check)
#
# Prints one line per sample and a summary: peak RSS and mean CPU (cores) of each process,
# events written, calls imported, SSE events received by the clients.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
rate="${2:-200}"
clients="${3:-50}"
bin="${RUMBO_BIN:-$PWD/target/release/rumbo}"
[ -x "$bin" ] || cargo build --release --bin rumbo
mkdir -p target/bench-data
work="$(mktemp -d "$PWD/target/bench-data/live-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/rumbo.db" RUMBO_DATA_DIR="$work/data"
"$bin" user add bench@bpo.cl --role admin --generate-password >/dev/null 2>&1
token="$("$bin" token create bench@bpo.cl 2>/dev/null | tr -d '[:space:]')"
"$bin" serve --no-demo --bind 127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
pids+=("$server_pid")
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
start="$(date -u -d '-1 day' +%F)"
curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' \
  -d "{\"code\":\"LIVE\",\"name\":\"En vivo\",\"client_id\":$client_id,\"channels\":[\"voice_inbound\"],\"start_date\":\"$start\"}" \
  "$url/api/v1/programs" >/dev/null
log="$work/queue_log"
: >"$log"
RUST_LOG=warn "$bin" watch queue-log "$log" --program LIVE >"$work/watch.out" 2>"$work/watch.log" &
watch_pid=$!
pids+=("$watch_pid")
python3 scripts/bench_live.py --url "$url" --token "$token" --code LIVE --log "$log" \
  --seconds "$seconds" --rate "$rate" --clients "$clients" \
  --watcher-pid "$watch_pid" --server-pid "$server_pid"
kill -INT "$watch_pid"
wait "$watch_pid" || true
pids=("$server_pid")
echo "watcher: $(cat "$work/watch.out")"
imported="$(curl -fsS -H "$auth" "$url/api/v1/programs/LIVE/imports" | python3 -c 'import json,sys; print(sum(b.get("imported",0) for b in json.load(sys.stdin)))' 2>/dev/null || echo '?')"
echo "calls imported: $imported"
