#!/usr/bin/env bash
# Builds the libFuzzer targets (release, -sanitize=fuzzer,address) and runs each for SECONDS (default 60)
# from a scratch copy of its seed corpus in Fuzz/corpus, so nothing new is written into the repo.
# Fails when a target crashes; the input that crashed it is kept under .build-fuzz/artifacts/<target>/.
# FUZZ_JOBS targets run at once (default: the number of cores).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$root/.build-fuzz"
targets=(FuzzJSON FuzzSegmentBody FuzzNovuWebhook FuzzMappingFile)
jobs="${FUZZ_JOBS:-$(nproc)}"
# The Swift runtime's own crash reporter waits on a terminal that is not there; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no

started=$(date +%s)
build=("${SWIFT:-swift}" build --package-path "$root/Fuzz" --scratch-path "$scratch" -c release -Xswiftc -sanitize=fuzzer,address)
mkdir -p "$scratch"
# The log is mostly the linker's noise about ASan's local symbols: shown only when the build fails.
if ! "${build[@]}" >"$scratch/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/build.log" >&2
    exit 1
fi
bin="$("${build[@]}" --show-bin-path)"
echo "fuzz: build took $(($(date +%s) - started)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() {
    local target="$1"
    mkdir -p "$work/$target/corpus" "$scratch/artifacts/$target"
    cp "$root/Fuzz/corpus/$target/"* "$work/$target/corpus/"
    local status=0
    "$bin/$target" "$work/$target/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/Fuzz/json.dict" -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target/" \
        >"$work/$target/log" 2>&1 || status=$?
    echo "$status" >"$work/$target/status"
}

started=$(date +%s)
for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run "$target" &
done
wait
failed=0
for target in "${targets[@]}"; do
    # libFuzzer exits non-zero for a crash, a timeout (-timeout) or running out of memory (-rss_limit_mb).
    if [ "$(cat "$work/$target/status")" = 0 ]; then status=ok; else status=FAILED; failed=1; fi
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target/log")"
    printf 'fuzz: %-16s %-8s %10s executions\n' "$target" "$status" "${executions:-?}"
    if [ "$status" != ok ]; then
        grep -v "Cannot export local symbol" "$work/$target/log" | tail -40 >&2
    fi
done
echo "fuzz: runs took $(($(date +%s) - started)) s"
crashed=$(for target in "${targets[@]}"; do [ "$(cat "$work/$target/status")" = 0 ] || echo "$target"; done | wc -l)
echo "fuzz: $((${#targets[@]} - crashed)) passed, $crashed failed"
exit "$failed"
