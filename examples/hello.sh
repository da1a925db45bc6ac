#!/usr/bin/env bash
# The main job: the hello service's server and client, as the Python tutorial runs them.
# Builds both examples, starts the server on localhost:9090 (HELLO_ADDR to change), runs
# the client against it, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p examples --example hello_server --example hello_client
export HELLO_ADDR="${HELLO_ADDR:-127.0.0.1:9090}"
target/debug/examples/hello_server &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
# Wait until the server accepts connections (at most ~10 s).
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/${HELLO_ADDR%:*}/${HELLO_ADDR##*:}") 2>/dev/null; then break; fi
    sleep 0.1
done
target/debug/examples/hello_client
sleep 0.2
