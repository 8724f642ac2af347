#!/usr/bin/env bash
# Builds the FerretDB test server (main.go over FerretDB's embeddable package,
# from the Go module proxy) into .cache/ferretdb/, and prints the binary's path.
# Rebuilt only when main.go, go.mod or go.sum change: the binary's name carries
# a hash of them. A cold build takes about 75 s; a cached one, nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.cache/ferretdb"
command -v go >/dev/null || { echo "ferretdb build: go is not installed; install Go 1.24 or newer (apt-get install golang-go, or from go.dev)" >&2; exit 1; }
hash="$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"
bin="$out/ferretdb-$hash"
if [ ! -x "$bin" ]; then
  mkdir -p "$out"
  # Test files run two at a time and each may build: one builds, the other waits and finds the binary.
  exec 9>"$out/.build.lock"
  flock 9
  if [ ! -x "$bin" ]; then
    echo "ferretdb build: building $bin (first time only, about 75 s)" >&2
    (cd "$here" && go build -trimpath -o "$bin.tmp.$$" .)
    mv "$bin.tmp.$$" "$bin"
    find "$out" -maxdepth 1 -name 'ferretdb-*' ! -name "ferretdb-$hash" -delete
  fi
  flock -u 9
fi
echo "$bin"
