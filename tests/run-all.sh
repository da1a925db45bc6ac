#!/usr/bin/env bash
# Runs every test of the workspace on a fresh Debian machine: installs what the tests
# need (tests/setup-debian.sh), then the unit, integration, doc and benchmark-smoke tests.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/setup-debian.sh

# The shared IDL corpus and Apache's ThriftTest.thrift are read in place, from the folder
# beside the repository unless told otherwise.
export THRIFT_SHARED_IDL="${THRIFT_SHARED_IDL:-$(cd .. && pwd)/shared/idl}"

cargo test --workspace --all-targets
cargo test --workspace --doc
