#!/usr/bin/env bash
# make bench-backlog: 1,000,000 events queued (as a long Novu outage leaves them), then the bridge drains
# them into the Novu sink. Prints RSS and the drain rate as it goes: both must stay flat.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/bench}
COUNT=${BACKLOG_EVENTS:-1000000}
SINK=19283 SEGMENT_PORT=19281 NOVU_PORT=19282
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v node >/dev/null || { echo "bench-backlog needs node (for the Novu sink)"; exit 1; }
swift build -c release --product bridge >/dev/null
swift build -c release --product BenchBacklog >/dev/null
BIN=$(swift build -c release --show-bin-path)
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; exit 1; }
triggers() { curl -s "http://127.0.0.1:$SINK/count" | python3 -c "import json,sys; print(json.load(sys.stdin)['triggers'])"; }

"$BIN/BenchBacklog" "$WORK/data" "$COUNT"
echo "store: $(du -sh "$WORK/data" | cut -f1)"
node "$SHARED/novu-sink.js" $SINK & PIDS+=($!); wait_port $SINK
BRIDGE_DATA_DIR="$WORK/data" BRIDGE_HOST=127.0.0.1 BRIDGE_SEGMENT_PORT=$SEGMENT_PORT BRIDGE_NOVU_PORT=$NOVU_PORT \
  NOVU_API_KEY=bench NOVU_API_URL="http://127.0.0.1:$SINK" BRIDGE_LOG_LEVEL=warning "$BIN/bridge" serve &
BRIDGE=$!; PIDS+=($BRIDGE); wait_port $SEGMENT_PORT
printf '%8s %12s %12s %10s %10s\n' "seconds" "delivered" "rate ev/s" "RSS MB" "peak MB"
START=$(date +%s); LAST=0; LAST_T=$START; RATES=()
while :; do
  sleep 5
  NOW=$(date +%s); DONE=$(triggers)
  RSS=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$BRIDGE/status)
  PEAK=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$BRIDGE/status)
  RATE=$(( (DONE - LAST) / (NOW - LAST_T) )); RATES+=($RATE)
  printf '%8s %12s %12s %10s %10s\n' $((NOW - START)) "$DONE" "$RATE" "$RSS" "$PEAK"
  LAST=$DONE; LAST_T=$NOW
  [ "$DONE" -ge "$COUNT" ] && break
  [ $((NOW - START)) -gt "${BACKLOG_TIMEOUT:-1800}" ] && { echo "timed out"; break; }
done
echo
echo "drained $LAST of $COUNT in $(( $(date +%s) - START ))s; peak RSS $PEAK MB (target ≤ 250 MB)"
echo "drain rate: first interval ${RATES[0]} ev/s, last full interval ${RATES[-2]:-${RATES[0]}} ev/s"
