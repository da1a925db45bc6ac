#!/usr/bin/env bash
# Installs, on Debian, what the test suite needs beside Rust: Apache Thrift's own compiler
# and libraries, which the interop tests use as the reference peers, and what the browser
# test needs (node and npm to build the page, Chromium to run it). Idempotent: installs
# only what is missing, so it is cheap to run before every test run.
set -euo pipefail

packages=(
    thrift-compiler   # `thrift -gen py` for the reference Python code
    python3-thrift    # Apache's Python library (serves Debian's /usr/bin/python3)
    libthrift-dev     # Apache's C++ library
    libssl-dev        # OpenSSL headers, which Apache's TSSLSocket.h includes (the --ssl cross tests)
    g++               # compiles the C++ cross-test programs (tests/cpp) against libthrift-dev
    libboost-dev      # Boost headers, which Apache's C++ headers include (TBufferTransports.h,
                      # TMultiplexedProcessor.h...) but libthrift-dev does not depend on
    zlib1g-dev        # zlib.h and libz, which Apache's TZlibTransport.h and libthriftz need
                      # (the zlib cross tests) but libthrift-dev does not depend on
    nodejs            # runs npm and the bundler of examples/web/build.sh
    npm               # installs Apache's JavaScript library (npm `thrift`) for the web page
    chromium          # the headless browser of tests/tests/browser.rs
    zookeeper         # the ZooKeeper server of tests/tests/zookeeper.rs (pulls in a Java runtime)
    python3-kazoo     # Python's ZooKeeper client, reading and writing ServerSet members there
)

# A command that is already there counts as its package: NodeSource's `nodejs` bundles npm
# and conflicts with Debian's `npm` package.
declare -A provides=([npm]=npm [nodejs]=node [chromium]=chromium)

missing=()
for p in "${packages[@]}"; do
    if [ -n "${provides[$p]:-}" ] && command -v "${provides[$p]}" >/dev/null; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Fail here, clearly, rather than in the middle of the tests.
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust 1.85 or newer" >&2; exit 1; }
thrift --version
command -v g++ >/dev/null || { echo "setup: g++ not found" >&2; exit 1; }
test -f /usr/include/zlib.h || { echo "setup: zlib.h not found" >&2; exit 1; }
/usr/bin/python3 -c 'import thrift.protocol.TJSONProtocol, thrift.protocol.TCompactProtocol' \
    || { echo "setup: /usr/bin/python3 cannot import thrift" >&2; exit 1; }
chromium --version 2>/dev/null || { echo "setup: chromium does not run" >&2; exit 1; }
npm --version >/dev/null || { echo "setup: npm does not run" >&2; exit 1; }
