#!/bin/sh
# Makes sure redis-server and redis-cli are installed (the Redis store's tests
# start their own throwaway servers from them). Installs the Debian package
# redis-server (which brings redis-tools) when either is missing.
set -eu

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  echo "redis: $(redis-server --version | cut -d' ' -f3)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and apt-get is not available: install Redis 7 (redis-server and redis-cli) and retry" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "redis-server is missing: run as root, or install it with: apt-get install redis-server" >&2
    exit 1
  fi
fi

echo "installing redis-server with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system service on :6379; the tests do not use it.
echo "redis: $(redis-server --version | cut -d' ' -f3)"
