#!/usr/bin/env bash
# make bench: the bridge against its peers, measured in one run on loopback (see ../shared/bench/README.md).
# Prints one table; ratios are what count, absolute numbers vary from machine to machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
DURATION=${BENCH_DURATION:-8s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
SINK=19183 PEER=19181 CEILING=19180 SEGMENT_PORT=19081 NOVU_PORT=19082 SEGMENT_SINK=19184
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v node >/dev/null || { echo "bench needs node (for the peer and the sinks)"; exit 1; }
swift build -c release --product bridge >/dev/null
swift build -c release --product BenchCeiling >/dev/null
BIN=$(swift build -c release --show-bin-path)

start() { "$@" & PIDS+=($!); }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened"; exit 1; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
count() { curl -s "http://127.0.0.1:$1/count" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
# wrk's figures: requests/s, p50 and p99 latency (ms), 2xx count.
run_wrk() {
  local out
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  echo "$out" > "$WORK/last-wrk.txt"
  python3 - "$WORK/last-wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % label, text, re.M)
    if not m: return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
print(f"{rps:.0f} {ms('50'):.2f} {ms('99'):.2f} {total - (int(bad.group(1)) if bad else 0)} {int(bad.group(1)) if bad else 0}")
PY
}
# Seconds (from $1, epoch ms) until the sink on port $2 holds $3 of field $4.
drain_time() {
  local start=$1 port=$2 want=$3 field=$4
  for _ in $(seq 1 1200); do
    [ "$(count "$port" "$field")" -ge "$want" ] && break
    sleep 0.05
  done
  echo "scale=3; ($(date +%s%3N) - $start) / 1000" | bc
}

start node "$SHARED/novu-sink.js" $SINK
start node bench/segment-sink.js $SEGMENT_SINK
wait_port $SINK; wait_port $SEGMENT_SINK

# 1. The ceiling: a bare Hummingbird endpoint that parses the JSON body.
start "$BIN/BenchCeiling" $CEILING; CEILING_PID=$!; wait_port $CEILING
read -r C_RPS C_P50 C_P99 _ C_BAD < <(run_wrk -s "$SHARED/seed-events.lua" "http://127.0.0.1:$CEILING/")
# The same batches the bridge takes below: what parsing alone allows for batch ingest on this machine.
read -r CB_RPS CB_P50 CB_P99 _ CB_BAD < <(run_wrk -s bench/batch-events.lua "http://127.0.0.1:$CEILING/")
C_RSS=$(peak_rss_mb $CEILING_PID); kill $CEILING_PID

# 2. The Node peer: one Novu request per event, answered after Novu answers.
start node "$SHARED/seed-function-peer.js" $PEER "http://127.0.0.1:$SINK"; PEER_PID=$!; wait_port $PEER
curl -s -XPOST "http://127.0.0.1:$SINK/reset"
read -r P_RPS P_P50 P_P99 P_OK P_BAD < <(run_wrk -s "$SHARED/seed-events.lua" "http://127.0.0.1:$PEER/")
P_E2E=$P_RPS
P_RSS=$(peak_rss_mb $PEER_PID); kill $PEER_PID

# 3. The bridge, durable, against the same sink.
bridge() {
  BRIDGE_DATA_DIR="$WORK/$1" BRIDGE_HOST=127.0.0.1 BRIDGE_SEGMENT_PORT=$SEGMENT_PORT BRIDGE_NOVU_PORT=$NOVU_PORT \
    NOVU_API_KEY=bench NOVU_API_URL="http://127.0.0.1:$SINK" SEGMENT_WRITE_KEY=bench \
    SEGMENT_API_URL="http://127.0.0.1:$SEGMENT_SINK" NOVU_WEBHOOK_SECRET="$SECRET" BRIDGE_LOG_LEVEL=warning \
    "$BIN/bridge" serve &
  BRIDGE_PID=$!; PIDS+=($BRIDGE_PID); wait_port $SEGMENT_PORT; wait_port $NOVU_PORT
}
SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
bridge single
curl -s -XPOST "http://127.0.0.1:$SINK/reset"
T0=$(date +%s%3N)
read -r B_RPS B_P50 B_P99 B_OK B_BAD < <(run_wrk -s "$SHARED/seed-events.lua" "http://127.0.0.1:$SEGMENT_PORT/")
B_TIME=$(drain_time "$T0" $SINK "$B_OK" triggers)
B_E2E=$(echo "scale=0; $B_OK / $B_TIME" | bc)
B_RSS=$(peak_rss_mb $BRIDGE_PID); kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true

# 4. Batch ingest: Webhooks batches of 100 events.
bridge batch
curl -s -XPOST "http://127.0.0.1:$SINK/reset"
T0=$(date +%s%3N)
read -r BA_RPS BA_P50 BA_P99 BA_OK BA_BAD < <(run_wrk -s bench/batch-events.lua "http://127.0.0.1:$SEGMENT_PORT/")
BA_EVENTS=$(( ${BA_RPS%.*} * 100 ))
BA_TIME=$(drain_time "$T0" $SINK $(( BA_OK * 100 )) triggers)
BA_E2E=$(echo "scale=0; $BA_OK * 100 / $BA_TIME" | bc)
BA_RSS=$(peak_rss_mb $BRIDGE_PID); kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true

# 5. Signed Novu webhooks → Segment.
python3 bench/make-webhooks.py "$SECRET" "${BENCH_WEBHOOKS:-200000}" "$WORK/webhooks.tsv"
bridge webhooks
T0=$(date +%s%3N)
read -r W_RPS W_P50 W_P99 W_OK W_BAD < <(run_wrk -s bench/signed-webhooks.lua "http://127.0.0.1:$NOVU_PORT/webhooks/novu" -- "$WORK/webhooks.tsv")
W_TIME=$(drain_time "$T0" $SEGMENT_SINK "$W_OK" events)
W_E2E=$(echo "scale=0; $W_OK / $W_TIME" | bc)
W_RSS=$(peak_rss_mb $BRIDGE_PID); kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true

ratio() { echo "scale=2; $1 / $2" | bc; }
printf '\n%-34s %10s %9s %9s %12s %9s %8s\n' "run (wrk -t1 -c$CONNECTIONS -d$DURATION)" "req/s" "p50 ms" "p99 ms" "e2e ev/s" "RSS MB" "non-2xx"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "ceiling (bare Hummingbird)" "$C_RPS" "$C_P50" "$C_P99" "-" "$C_RSS" "$C_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "ceiling, batches of 100" "$CB_RPS" "$CB_P50" "$CB_P99" "-" "$C_RSS" "$CB_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "Node peer (destination function)" "$P_RPS" "$P_P50" "$P_P99" "$P_E2E" "$P_RSS" "$P_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, single events" "$B_RPS" "$B_P50" "$B_P99" "$B_E2E" "$B_RSS" "$B_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, batches of 100" "$BA_RPS" "$BA_P50" "$BA_P99" "$BA_E2E" "$BA_RSS" "$BA_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, signed webhooks → Segment" "$W_RPS" "$W_P50" "$W_P99" "$W_E2E" "$W_RSS" "$W_BAD"
echo
echo "ingest: bridge / ceiling          = $(ratio "$B_RPS" "$C_RPS")   (target ≥ 0.6, zero non-2xx)"
echo "end to end: bridge / Node peer    = $(ratio "$B_E2E" "$P_E2E")   (target ≥ 5)"
echo "batch ingest                      = $BA_EVENTS events/s   (target ≥ 100000; the ceiling parses $(( ${CB_RPS%.*} * 100 )) events/s of the same batches)"
echo "webhooks: bridge / ceiling        = $(ratio "$W_RPS" "$C_RPS")   (target ≥ 0.4)"
