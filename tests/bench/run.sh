#!/usr/bin/env bash
# The echo benchmark: servers side by side under the same load, interleaved in rounds so
# that the machine's noise falls on all alike. Not a test: it asserts nothing about speed.
#
#     tests/bench/run.sh [ROUNDS] [SECONDS]      (default 3 rounds of 5 s per run)
#
# BENCH_SERVER_ENV, when set, is put in every server's environment (all of them alike),
# e.g. another allocator: BENCH_SERVER_ENV=LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
# (Debian's libmimalloc2.0, which the script does not install), or a glibc setting: GLIBC_TUNABLES=glibc.malloc.tcache_count=1024.
# The tables say so.
#
# Servers, each pinned to CPU 0 with taskset while the load generator runs on CPU 1:
#   ours     examples/echo_server.rs: generated code, Server::builder() defaults
#   shared   the same with --strings shared: code generated with shared_strings(true)
#   volo     CloudWeGo's volo-thrift 0.11 (tests/bench/volo, a cargo workspace of its own,
#            built here; the first build takes minutes)
#   apache   Apache's C++ TNonblockingServer, one I/O thread (tests/bench/cpp, built here
#            against Debian's libthrift-dev and libevent-dev)
#   ceiling  examples/echo_ceiling.rs: precomputed replies, no decoding (the upper bound)
# Load: examples/echo_load.rs (framed binary; it checks every reply's type, seqid and bytes).
# Scenarios: small (64-byte payload) and large (100 items), at 1x1, 16x1 and 4x16
# (connections x calls in flight on each, replies in order).
#
# Writes the JSON lines of every run to target/bench/runs.jsonl and a markdown table of the
# medians, with ratios to the ceiling, to target/bench/table.md (and to stdout).
#
# Then our client: examples/echo_client.rs (the generated EchoServiceClient; --client
# channel: C channels, pool: one channel of C connections, balanced: client::Balanced over
# C channels; shared: channel on the code generated with shared_strings(true)) and echo_load
# (label "hand") drive the ceiling in turn, interleaved in the same
# rounds, at small 16x1, small 4x16 and large 16x1. Their lines go to
# target/bench/client.jsonl, their medians, with ratios to echo_load, to
# target/bench/client.md (and to stdout).
#
# Then idle connections: 10,000 connections make one small call each and stay open; the
# resident memory each costs ours, volo and Apache's server (examples/echo_idle.rs, which
# reads the server's VmRSS before and after) goes to target/bench/idle.jsonl and a line
# after the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
seconds="${2:-5}"
out=target/bench
mkdir -p "$out"
: >"$out/runs.jsonl"
: >"$out/client.jsonl"

cargo build -q --release -p examples --example echo_server --example echo_ceiling --example echo_load \
    --example echo_client --example echo_idle
bin=target/release/examples

# The peers, built when missing or older than their sources.
missing=()
for p in thrift-compiler libthrift-dev libevent-dev libboost-dev g++; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cargo build -q --release --manifest-path tests/bench/volo/Cargo.toml
volo=tests/bench/volo/target/release/volo-echo
apache="$out/cpp/echo_server"
if [ ! -x "$apache" ] || [ tests/bench/cpp/echo_server.cpp -nt "$apache" ] \
    || [ examples/idl/echo.thrift -nt "$apache" ]; then
    mkdir -p "$out/cpp"
    thrift --gen cpp -out "$out/cpp" examples/idl/echo.thrift
    g++ -O2 -std=c++17 -I "$out/cpp" -o "$apache" tests/bench/cpp/echo_server.cpp \
        "$out/cpp/EchoService.cpp" "$out/cpp/echo_types.cpp" -lthriftnb -lthrift -levent -lpthread
fi
pin_server=(taskset -c 0)
pin_load=(taskset -c 1)
if ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; then
    echo "bench: no taskset or fewer than 2 CPUs: runs unpinned" >&2
    pin_server=()
    pin_load=()
fi

# start SERVER ARGS...: starts it on a free port and waits until it accepts connections.
start() {
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # shellcheck disable=SC2086 # one or more NAME=VALUE words, or none
    env ${BENCH_SERVER_ENV:-} "${pin_server[@]}" "$@" --port "$port" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return
        fi
        sleep 0.05
    done
    echo "bench: $1 did not start" >&2
    exit 1
}

stop() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

scenarios=("small 1 1" "small 16 1" "small 4 16" "large 1 1" "large 16 1" "large 4 16")
for round in $(seq "$rounds"); do
    for scenario in "${scenarios[@]}"; do
        read -r size conns inflight <<<"$scenario"
        for server in ours shared volo apache ceiling; do
            case "$server" in
                ours) start "$bin/echo_server" --protocol binary --transport framed ;;
                shared) start "$bin/echo_server" --protocol binary --transport framed --strings shared ;;
                volo) start "$volo" ;;
                apache) start "$apache" ;;
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

python3 tests/bench/table.py servers "$out/runs.jsonl" "$rounds" "$seconds" | tee "$out/table.md"

# Our client against the hand-written load generator, both driving the ceiling.
client_scenarios=("small 16 1" "small 4 16" "large 16 1")
for round in $(seq "$rounds"); do
    for scenario in "${client_scenarios[@]}"; do
        read -r size conns inflight <<<"$scenario"
        for load in hand channel pool balanced shared; do
            start "$bin/echo_ceiling" --protocol binary --size "$size"
            case "$load" in
                hand) generator=("$bin/echo_load") ;;
                shared) generator=("$bin/echo_client" --client channel --strings shared) ;;
                *) generator=("$bin/echo_client" --client "$load") ;;
            esac
            line="$("${pin_load[@]}" "${generator[@]}" --port "$port" --size "$size" \
                --connections "$conns" --in-flight "$inflight" --seconds "$seconds" \
                --warmup 1 --label "$load" || true)"
            stop
            echo "$line" >>"$out/client.jsonl"
            echo "round $round: $line" >&2
        done
    done
done
echo
python3 tests/bench/table.py clients "$out/client.jsonl" "$rounds" "$seconds" | tee "$out/client.md"

# Idle connections: each server in turn, 10,000 connections (fewer if the open-file limit
# cannot be raised that far: every connection is a descriptor on both sides).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
limit="$(ulimit -n)"
idle=10000
if [ "$limit" != unlimited ] && [ "$limit" -lt $((idle + 200)) ]; then
    idle=$((limit - 200))
    echo "bench: open-file limit $limit: $idle idle connections" >&2
fi
: >"$out/idle.jsonl"
for server in ours volo apache; do
    case "$server" in
        ours) start "$bin/echo_server" --protocol binary --transport framed ;;
        volo) start "$volo" ;;
        apache) start "$apache" ;;
    esac
    line="$("${pin_load[@]}" "$bin/echo_idle" --port "$port" --server-pid "$server_pid" \
        --connections "$idle" --label "$server" || true)"
    stop
    echo "$line" >>"$out/idle.jsonl"
    echo "idle: $line" >&2
done
python3 tests/bench/table.py idle "$out/idle.jsonl" | tee -a "$out/table.md"
