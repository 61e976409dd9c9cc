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

# 3.–5. The bridge, durable, against the same sinks: single events, batches, signed webhooks.
# BENCH_BASELINE=/path/to/an/older/bridge measures that binary too, in the same run, for a before/after.
SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
bridge() {  # $1: the binary, $2: its data directory's name
  BRIDGE_DATA_DIR="$WORK/$2" BRIDGE_HOST=127.0.0.1 BRIDGE_SEGMENT_PORT=$SEGMENT_PORT BRIDGE_NOVU_PORT=$NOVU_PORT \
    NOVU_API_KEY=bench NOVU_API_URL="http://127.0.0.1:$SINK" SEGMENT_WRITE_KEY=bench \
    SEGMENT_API_URL="http://127.0.0.1:$SEGMENT_SINK" NOVU_WEBHOOK_SECRET="$SECRET" BRIDGE_LOG_LEVEL=warning \
    "$1" serve &
  BRIDGE_PID=$!; PIDS+=($BRIDGE_PID); wait_port $SEGMENT_PORT; wait_port $NOVU_PORT
}
# Measures binary $1; its figures go into variables prefixed $2 (B_RPS, BA_RPS, W_RPS, … for prefix "").
measure_bridge() {
  local bin=$1 p=$2 rps p50 p99 ok bad time
  bridge "$bin" "${p}single"
  curl -s -XPOST "http://127.0.0.1:$SINK/reset"
  T0=$(date +%s%3N)
  read -r rps p50 p99 ok bad < <(run_wrk -s "$SHARED/seed-events.lua" "http://127.0.0.1:$SEGMENT_PORT/")
  time=$(drain_time "$T0" $SINK "$ok" triggers)
  printf -v "${p}B_RPS" %s "$rps"; printf -v "${p}B_P50" %s "$p50"; printf -v "${p}B_P99" %s "$p99"; printf -v "${p}B_BAD" %s "$bad"
  printf -v "${p}B_E2E" %s "$(echo "scale=0; $ok / $time" | bc)"
  printf -v "${p}B_RSS" %s "$(peak_rss_mb $BRIDGE_PID)"; kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true

  bridge "$bin" "${p}batch"
  curl -s -XPOST "http://127.0.0.1:$SINK/reset"
  T0=$(date +%s%3N)
  read -r rps p50 p99 ok bad < <(run_wrk -s bench/batch-events.lua "http://127.0.0.1:$SEGMENT_PORT/")
  time=$(drain_time "$T0" $SINK $(( ok * 100 )) triggers)
  printf -v "${p}BA_RPS" %s "$rps"; printf -v "${p}BA_P50" %s "$p50"; printf -v "${p}BA_P99" %s "$p99"; printf -v "${p}BA_BAD" %s "$bad"
  printf -v "${p}BA_EVENTS" %s "$(( ${rps%.*} * 100 ))"
  printf -v "${p}BA_E2E" %s "$(echo "scale=0; $ok * 100 / $time" | bc)"
  printf -v "${p}BA_RSS" %s "$(peak_rss_mb $BRIDGE_PID)"; kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true

  # Made anew for each binary: the signatures' timestamps must be within 5 minutes.
  python3 bench/make-webhooks.py "$SECRET" "${BENCH_WEBHOOKS:-200000}" "$WORK/webhooks.tsv"
  bridge "$bin" "${p}webhooks"
  curl -s -XPOST "http://127.0.0.1:$SEGMENT_SINK/reset"
  T0=$(date +%s%3N)
  read -r rps p50 p99 ok bad < <(run_wrk -s bench/signed-webhooks.lua "http://127.0.0.1:$NOVU_PORT/webhooks/novu" -- "$WORK/webhooks.tsv")
  time=$(drain_time "$T0" $SEGMENT_SINK "$ok" events)
  printf -v "${p}W_RPS" %s "$rps"; printf -v "${p}W_P50" %s "$p50"; printf -v "${p}W_P99" %s "$p99"; printf -v "${p}W_BAD" %s "$bad"
  printf -v "${p}W_E2E" %s "$(echo "scale=0; $ok / $time" | bc)"
  printf -v "${p}W_RSS" %s "$(peak_rss_mb $BRIDGE_PID)"; kill -TERM $BRIDGE_PID; wait $BRIDGE_PID 2>/dev/null || true
}
# Each round's figures, one line per binary: prefix, round, then the figures `median_of` reads back.
ROUNDS_FILE="$WORK/rounds.tsv"
FIGURES="B_RPS B_P50 B_P99 B_BAD B_E2E B_RSS BA_RPS BA_P50 BA_P99 BA_BAD BA_EVENTS BA_E2E BA_RSS W_RPS W_P50 W_P99 W_BAD W_E2E W_RSS"
record_round() {  # $1: prefix ("" or OLD_), $2: round
  local line="${1:-NEW_}	$2" name
  for name in $FIGURES; do local var="$1$name"; line+="	${!var}"; done
  echo "$line" >> "$ROUNDS_FILE"
}
# BENCH_ROUNDS=N (default 1) measures the bridge, and the baseline with it, N times, alternating which of
# the two goes first, and reports each figure's median over the rounds: on a shared machine one run moves
# by ±15 %, and the ratio of medians of interleaved rounds is what tells a change from the noise.
# BENCH_BASELINE_FIRST=1 measures the baseline first in the first round.
ROUNDS=${BENCH_ROUNDS:-1}
for round in $(seq 1 "$ROUNDS"); do
  baseline_first=$(( (round + ${BENCH_BASELINE_FIRST:-0}) % 2 == 0 ))
  if [ -n "${BENCH_BASELINE:-}" ] && [ "$baseline_first" = 1 ]; then measure_bridge "$BENCH_BASELINE" OLD_; record_round OLD_ "$round"; fi
  measure_bridge "$BIN/bridge" ""; record_round "" "$round"
  if [ -n "${BENCH_BASELINE:-}" ] && [ "$baseline_first" = 0 ]; then measure_bridge "$BENCH_BASELINE" OLD_; record_round OLD_ "$round"; fi
done
# Every figure becomes its median over the rounds (the figure itself when there was one round).
median_of() {  # $1: prefix, $2: the figure's position in FIGURES (from 0)
  awk -F'\t' -v p="$1" -v i="$2" '$1 == p { print $(i + 3) }' "$ROUNDS_FILE" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
index=0
for name in $FIGURES; do
  printf -v "$name" %s "$(median_of NEW_ $index)"
  if [ -n "${BENCH_BASELINE:-}" ]; then printf -v "OLD_$name" %s "$(median_of OLD_ $index)"; fi
  index=$(( index + 1 ))
done

ratio() { echo "scale=2; $1 / $2" | bc; }
printf '\n%-34s %10s %9s %9s %12s %9s %8s\n' "run (wrk -t1 -c$CONNECTIONS -d$DURATION)" "req/s" "p50 ms" "p99 ms" "e2e ev/s" "RSS MB" "non-2xx"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "ceiling (bare Hummingbird)" "$C_RPS" "$C_P50" "$C_P99" "-" "$C_RSS" "$C_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "ceiling, batches of 100" "$CB_RPS" "$CB_P50" "$CB_P99" "-" "$C_RSS" "$CB_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "Node peer (destination function)" "$P_RPS" "$P_P50" "$P_P99" "$P_E2E" "$P_RSS" "$P_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, single events" "$B_RPS" "$B_P50" "$B_P99" "$B_E2E" "$B_RSS" "$B_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, batches of 100" "$BA_RPS" "$BA_P50" "$BA_P99" "$BA_E2E" "$BA_RSS" "$BA_BAD"
printf '%-34s %10s %9s %9s %12s %9s %8s\n' "bridge, signed webhooks → Segment" "$W_RPS" "$W_P50" "$W_P99" "$W_E2E" "$W_RSS" "$W_BAD"
if [ -n "${BENCH_BASELINE:-}" ]; then
  printf '%-34s %10s %9s %9s %12s %9s %8s\n' "baseline, single events" "$OLD_B_RPS" "$OLD_B_P50" "$OLD_B_P99" "$OLD_B_E2E" "$OLD_B_RSS" "$OLD_B_BAD"
  printf '%-34s %10s %9s %9s %12s %9s %8s\n' "baseline, batches of 100" "$OLD_BA_RPS" "$OLD_BA_P50" "$OLD_BA_P99" "$OLD_BA_E2E" "$OLD_BA_RSS" "$OLD_BA_BAD"
  printf '%-34s %10s %9s %9s %12s %9s %8s\n' "baseline, signed webhooks" "$OLD_W_RPS" "$OLD_W_P50" "$OLD_W_P99" "$OLD_W_E2E" "$OLD_W_RSS" "$OLD_W_BAD"
fi
echo
echo "ingest: bridge / ceiling          = $(ratio "$B_RPS" "$C_RPS")   (target ≥ 0.6, zero non-2xx)"
echo "end to end: bridge / Node peer    = $(ratio "$B_E2E" "$P_E2E")   (target ≥ 5)"
echo "batch ingest                      = $BA_EVENTS events/s   (target ≥ 100000; the ceiling parses $(( ${CB_RPS%.*} * 100 )) events/s of the same batches)"
echo "webhooks: bridge / ceiling        = $(ratio "$W_RPS" "$C_RPS")   (target ≥ 0.4)"
if [ -n "${BENCH_BASELINE:-}" ]; then
  echo "baseline ($BENCH_BASELINE), same run:"
  echo "  ingest / ceiling $(ratio "$OLD_B_RPS" "$C_RPS"), end to end / peer $(ratio "$OLD_B_E2E" "$P_E2E"), batch $OLD_BA_EVENTS events/s, webhooks / ceiling $(ratio "$OLD_W_RPS" "$C_RPS")"
  echo "  this build / baseline: ingest $(ratio "$B_RPS" "$OLD_B_RPS"), end to end $(ratio "$B_E2E" "$OLD_B_E2E"), batch $(ratio "$BA_RPS" "$OLD_BA_RPS"), webhooks $(ratio "$W_RPS" "$OLD_W_RPS")"
  if [ "$ROUNDS" -gt 1 ]; then
    echo "  (medians of $ROUNDS rounds; each round's this build / baseline, in the order measured:)"
    python3 - "$ROUNDS_FILE" "$FIGURES" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
names = sys.argv[2].split()
def figure(prefix, round, name):
    row = next(r for r in rows if r[0] == prefix and r[1] == round)
    return float(row[2 + names.index(name)])
for round in sorted({r[1] for r in rows}, key=int):
    first = "baseline first" if next(r for r in rows if r[1] == round)[0] == "OLD_" else "this build first"
    ratios = ", ".join(
        f"{label} {figure('NEW_', round, name) / figure('OLD_', round, name):.2f}"
        for label, name in (("ingest", "B_RPS"), ("end to end", "B_E2E"), ("batch", "BA_RPS"), ("webhooks", "W_RPS"))
    )
    print(f"    round {round} ({first}): {ratios}")
PY
  fi
fi
