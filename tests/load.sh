#!/usr/bin/env bash
# Our ThriftTest server against Apache's C++ one (TThreadedServer, a thread per connection),
# under the same load from thrift-test-load in the same run, and the ratio of their call
# rates. Not a test (it asserts nothing about speed); run it on a quiet machine:
#
#     tests/load.sh [SECONDS]
#
# Each scenario starts a server on a free port, runs thrift-test-load against it for SECONDS
# (default 5) after a second of warm-up, and stops it; thrift-test-load checks every answer.
# The C++ server is the one the cross tests build (tests/cpp/cross_server.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"

tests/setup-debian.sh >/dev/null
export THRIFT_SHARED_IDL="${THRIFT_SHARED_IDL:-$(cd .. && pwd)/shared/idl}"
cargo build -q --release -p tests --bin thrift-test-server --bin thrift-test-load
# Builds the C++ programs when they are missing or stale, and checks them against ours.
cargo test -q -p tests --test cross_cpp_server cpp_server_binary >/dev/null
ours=target/release/thrift-test-server
apache=target/tmp/apache-cpp/bin/cross_server
load=target/release/thrift-test-load

# Starts "$@" --port 0 ..., reads the port from its first line, sets $server_pid, $port.
start() {
    local fifo line
    fifo="$(mktemp -u)"
    mkfifo "$fifo"
    "$@" >"$fifo" 2>/dev/null &
    server_pid=$!
    exec 3<"$fifo"
    rm -f "$fifo"
    read -r line <&3
    # Keep the pipe drained.
    cat <&3 >/dev/null &
    exec 3<&-
    port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' <<<"$line")"
}

# rate SERVER PROTOCOL TRANSPORT LOAD-ARGS...: prints the call rate (calls/s) and the line.
rate() {
    local server="$1" protocol="$2" transport="$3"
    shift 3
    start "$server" --port 0 --protocol "$protocol" --transport "$transport"
    local out
    out="$("$load" --host 127.0.0.1 --port "$port" --protocol "$protocol" \
        --transport "$transport" --seconds "$seconds" "$@" | tail -n 2)"
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    grep -q ' errors 0 ' <<<"$out" || { echo "calls failed: $out" >&2; exit 1; }
    sed -n 's/.* rate \([0-9]*\)\/s.*/\1/p' <<<"$out" | head -n 1
}

printf '%-44s %12s %12s %7s\n' "scenario" "ours/s" "apache/s" "ratio"
scenario() {
    local name="$1"
    shift
    local a b
    a="$(rate "$ours" "$@")"
    b="$(rate "$apache" "$@")"
    printf '%-44s %12s %12s %6.2fx\n' "$name" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
}
scenario "binary framed, 32 conns x 1, testI32"      binary framed --connections 32 --in-flight 1 --call i32
scenario "binary framed, 4 conns x 16, testString 64" binary framed --connections 4 --in-flight 16 --call string --size 64
scenario "compact buffered, 32 conns x 1, testStruct" compact buffered --connections 32 --in-flight 1 --call struct --size 64
# Large messages on few connections are left out: Apache's C++ 0.17 framed server counts
# its 100 MB message limit per connection, not per message, and drops a connection after
# 100 MB of calls.
scenario "binary framed, 32 conns x 1, testString 4K" binary framed --connections 32 --in-flight 1 --call string --size 4096
