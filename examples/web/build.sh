#!/usr/bin/env bash
# Builds the page of the axum_web example: installs Apache Thrift's JavaScript library (npm
# `thrift` 0.17.0, the version of Debian's compiler) and browserify from package-lock.json,
# generates the hello service's client with `thrift --gen js:node`, and bundles app.js with
# them into the one script the page loads.
#
#   examples/web/build.sh [BUILD_DIR [DIST_DIR]]
#
# BUILD_DIR (default: $CARGO_TARGET_DIR, or target/ of the repository, then web/) gets
# node_modules, the generated code and a copy of app.js; DIST_DIR (default: BUILD_DIR/dist)
# gets index.html and bundle.js, what axum_web serves. Nothing is written into the source
# tree. Needs node, npm and thrift (tests/setup-debian.sh installs them) and the npm
# registry. Quick when done before: `npm ci` runs again only when the lock file changed,
# the bundle only when one of its inputs did.
set -euo pipefail

src="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$src/../.." && pwd)"
build="${1:-${CARGO_TARGET_DIR:-$repo/target}/web}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"
dist="${2:-$build/dist}"
mkdir -p "$dist"
idl="$repo/examples/idl/hello.thrift"

for tool in node npm thrift; do
    command -v "$tool" >/dev/null || {
        echo "build.sh: $tool not found; run tests/setup-debian.sh" >&2
        exit 1
    }
done

# Two builds into one folder (a test and a person, say) take turns.
exec 9>"$build/.build.lock"
flock 9

# Copies $1 to $2 unless $2 already has the same bytes, so that times change only with
# contents.
sync_file() { cmp -s "$1" "$2" || cp "$1" "$2"; }

# True when $1 is missing or older than any of the other files.
stale() {
    local target="$1"
    shift
    [ -e "$target" ] || return 0
    [ -n "$(find "$@" -newer "$target" -print -quit)" ]
}

sync_file "$src/package.json" "$build/package.json"
sync_file "$src/package-lock.json" "$build/package-lock.json"
# The lock a finished `npm ci` installed from; a build stopped halfway leaves none.
installed="$build/node_modules/.installed-lock.json"
if ! cmp -s "$build/package-lock.json" "$installed"; then
    echo "build.sh: npm ci in $build"
    # No install scripts: none of these packages needs one.
    (cd "$build" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp "$build/package-lock.json" "$installed"
fi

gen="$build/gen-nodejs"
if stale "$gen/HelloService.js" "$idl"; then
    rm -rf "$gen"
    mkdir -p "$gen"
    thrift --gen js:node -out "$gen" "$idl"
fi

# app.js is bundled from the build folder, where `thrift` and ./gen-nodejs resolve.
sync_file "$src/app.js" "$build/app.js"
if stale "$dist/bundle.js" "$build/app.js" "$gen" "$installed" "$src/build.sh"; then
    echo "build.sh: bundling $dist/bundle.js"
    (cd "$build" && node_modules/.bin/browserify app.js -o "$dist/bundle.js.part")
    # Replaced whole, so a server never sends half a bundle.
    mv "$dist/bundle.js.part" "$dist/bundle.js"
fi
sync_file "$src/index.html" "$dist/index.html"
echo "build.sh: page in $dist (index.html, bundle.js)"
