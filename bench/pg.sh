#!/usr/bin/env bash
# make bench-pg: single events into the bridge on SQLite, on PostgreSQL with one replica, and with two
# replicas on one PostgreSQL, all against the same Novu sink, in one run. Prints one table: requests/s
# acknowledged, events/s end to end (acknowledged and delivered), and end-to-end events per second per
# core the bridge processes and PostgreSQL used. On a 2-core machine the database shares the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
DURATION=${BENCH_DURATION:-8s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
SINK=19183
WORK=$(mktemp -d)
# The cluster's own directory: as root it is handed to the postgres user, who cannot enter $WORK (0700).
PGDIR=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/test-postgres.sh stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$WORK" "$PGDIR"
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v node >/dev/null || { echo "bench-pg needs node (for the Novu sink)"; exit 1; }
swift build -c release --product bridge >/dev/null
BIN=$(swift build -c release --show-bin-path)/bridge

pgenv=$(scripts/test-postgres.sh start "$PGDIR")
eval "$pgenv"
PG_PORT=$(cat "$PGDIR/port")
node "$SHARED/novu-sink.js" $SINK & PIDS+=($!)
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$SINK) 2>/dev/null && break; sleep 0.05; done

count() { curl -s "http://127.0.0.1:$SINK/count" | python3 -c "import json,sys; print(json.load(sys.stdin)['triggers'])"; }
wait_port() { for _ in $(seq 1 400); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened"; exit 1; }
# CPU ticks (user + system) of the processes in $@, and of the cluster's postmaster and its children.
ticks() {
  local total=0 pid
  local postmaster
  postmaster=$(head -1 "$PGDIR/data/postmaster.pid")
  for pid in "$@" "$postmaster" $(pgrep -P "$postmaster" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo $total
}

# Runs one configuration: $1 its name, $2 how many replicas, $3 the store ("sqlite" or "pg").
measure() {
  local name=$1 replicas=$2 kind=$3 ports=() bpids=() i
  curl -s -XPOST "http://127.0.0.1:$SINK/reset" >/dev/null
  if [ "$kind" = pg ]; then
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench"
  fi
  for i in $(seq 1 "$replicas"); do
    local port=$((19090 + i))
    local env=(BRIDGE_DATA_DIR="$WORK/data-$name-$i" BRIDGE_HOST=127.0.0.1 BRIDGE_SEGMENT_PORT=$port BRIDGE_NOVU_PORT=$((19190 + i))
      NOVU_API_KEY=bench NOVU_API_URL="http://127.0.0.1:$SINK" BRIDGE_LOG_LEVEL=warning)
    [ "$kind" = pg ] && env+=(BRIDGE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench?sslmode=disable")
    env "${env[@]}" "$BIN" serve & bpids+=($!); PIDS+=($!)
    ports+=($port)
  done
  for port in "${ports[@]}"; do wait_port "$port"; done
  local t0 c0 outs=() per=$((CONNECTIONS / replicas))
  c0=$(ticks "${bpids[@]}")
  t0=$(date +%s%3N)
  for i in "${!ports[@]}"; do
    wrk -t1 -c"$per" -d"$DURATION" -s bench/replica-events.lua "http://127.0.0.1:${ports[$i]}/" -- "$name-$i" > "$WORK/wrk-$name-$i.txt" &
    outs+=($!)
  done
  wait "${outs[@]}"
  local ok=0 rps=0 file
  for file in "$WORK"/wrk-"$name"-*.txt; do
    local total bad
    total=$(grep -oE "[0-9]+ requests in" "$file" | grep -oE "^[0-9]+")
    bad=$(grep -oE "Non-2xx or 3xx responses: [0-9]+" "$file" | grep -oE "[0-9]+$" || echo 0)
    ok=$((ok + total - bad))
    rps=$(echo "$rps + $(grep -oE "Requests/sec: +[0-9.]+" "$file" | grep -oE "[0-9.]+$")" | bc)
  done
  for _ in $(seq 1 1200); do [ "$(count)" -ge "$ok" ] && break; sleep 0.05; done
  local t1 c1 seconds cores
  t1=$(date +%s%3N)
  c1=$(ticks "${bpids[@]}")
  seconds=$(echo "scale=3; ($t1 - $t0) / 1000" | bc)
  cores=$(echo "scale=3; ($c1 - $c0) / $(getconf CLK_TCK) / $seconds" | bc)
  local e2e per_core
  e2e=$(echo "scale=0; $ok / $seconds" | bc)
  per_core=$(echo "scale=0; $e2e / $cores" | bc)
  printf '%-36s %10.0f %12s %10s %14s\n' "$name" "$rps" "$e2e" "$cores" "$per_core"
  eval "E2E_${name//-/_}=$e2e"
  for pid in "${bpids[@]}"; do kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; done
}

printf '\n%-36s %10s %12s %10s %14s\n' "run (wrk -t1 -c$CONNECTIONS -d$DURATION)" "req/s" "e2e ev/s" "cores used" "e2e ev/s/core"
measure sqlite 1 sqlite
measure pg-one 1 pg
measure pg-two 2 pg
echo
echo "two replicas / one replica, end to end = $(echo "scale=2; $E2E_pg_two / $E2E_pg_one" | bc)   (target ≥ 1.6)"
echo "one replica on PostgreSQL / SQLite, end to end = $(echo "scale=2; $E2E_pg_one / $E2E_sqlite" | bc)"
