#!/usr/bin/env bash
# The echo benchmark: servers side by side under the same load, interleaved in rounds so
# that the machine's noise falls on all alike. Not a test: it asserts nothing about speed.
#
#     tests/bench/run.sh [ROUNDS] [SECONDS]      (default 3 rounds of 5 s per run)
#
# Servers, each pinned to CPU 0 with taskset while the load generator runs on CPU 1:
#   ours     examples/echo_server.rs: generated code, Server::builder() defaults
#   ceiling  examples/echo_ceiling.rs: precomputed replies, no decoding (the upper bound)
# Load: examples/echo_load.rs (framed binary; it checks every reply's type, seqid and bytes).
# Scenarios: small (64-byte payload) and large (100 items), at 1x1, 16x1 and 4x16
# (connections x calls in flight on each, replies in order).
#
# Writes the JSON lines of every run to target/bench/runs.jsonl and a markdown table of the
# medians, with ratios to the ceiling, to target/bench/table.md (and to stdout).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
seconds="${2:-5}"
out=target/bench
mkdir -p "$out"
: >"$out/runs.jsonl"

cargo build -q --release -p examples --example echo_server --example echo_ceiling --example echo_load
bin=target/release/examples
pin_server=(taskset -c 0)
pin_load=(taskset -c 1)
if ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; then
    echo "bench: no taskset or fewer than 2 CPUs: runs unpinned" >&2
    pin_server=()
    pin_load=()
fi

# start SERVER ARGS...: starts it, reads its port from its first line.
start() {
    local log
    log="$(mktemp)"
    "${pin_server[@]}" "$@" --port 0 >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        port="$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")"
        [ -n "$port" ] && break
        sleep 0.05
    done
    rm -f "$log"
    [ -n "$port" ] || { echo "bench: $1 did not start" >&2; exit 1; }
}

stop() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

scenarios=("small 1 1" "small 16 1" "small 4 16" "large 1 1" "large 16 1" "large 4 16")
for round in $(seq "$rounds"); do
    for scenario in "${scenarios[@]}"; do
        read -r size conns inflight <<<"$scenario"
        for server in ours ceiling; do
            case "$server" in
                ours) start "$bin/echo_server" --protocol binary --transport framed ;;
                ceiling) start "$bin/echo_ceiling" --protocol binary --size "$size" ;;
            esac
            line="$("${pin_load[@]}" "$bin/echo_load" --port "$port" --size "$size" \
                --connections "$conns" --in-flight "$inflight" --seconds "$seconds" \
                --warmup 1 --label "$server" || true)"
            stop
            echo "$line" >>"$out/runs.jsonl"
            echo "round $round: $line" >&2
        done
    done
done

python3 - "$out/runs.jsonl" "$rounds" "$seconds" <<'PY' | tee "$out/table.md"
import json, statistics, sys, platform, os
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def key(r): return (r["size"], r["connections"], r["in_flight"])
scenarios = []
for r in runs:
    if key(r) not in scenarios:
        scenarios.append(key(r))
def med(label, k, field):
    values = [r[field] for r in runs if r["label"] == label and key(r) == k]
    return statistics.median(values) if values else None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"Echo benchmark, framed binary, {sys.argv[2]} interleaved rounds of {sys.argv[3]} s, "
      f"medians; server on CPU 0, load on CPU 1 ({os.cpu_count()} CPUs, {cpu}).\n")
print("| scenario | ours calls/s | ceiling calls/s | ours / ceiling | ours p50 µs | ceiling p50 µs | errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
for k in scenarios:
    ours, ceil = med("ours", k, "calls_per_sec"), med("ceiling", k, "calls_per_sec")
    errors = sum(r["errors"] for r in runs if key(r) == k)
    ratio = f"{ours / ceil:.2f}x" if ours and ceil else "-"
    print(f"| {k[0]}, {k[1]}x{k[2]} | {ours:,.0f} | {ceil:,.0f} | {ratio} | "
          f"{med('ours', k, 'p50_us'):.0f} | {med('ceiling', k, 'p50_us'):.0f} | {errors} |")
PY
