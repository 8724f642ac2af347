#!/usr/bin/env bash
# Installs what govc and its tests need on a fresh Debian machine, and starts the
# database servers the tests use when they are not already running. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v ssh >/dev/null || need_apt+=(openssh-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

bash scripts/ensure-postgres.sh
sh scripts/ensure-redis.sh
bash scripts/cassandra/fetch.sh
bash scripts/ferretdb/build.sh >/dev/null   # the MongoDB tests' server, built once here rather than by two test files at once
bash scripts/install-test-clients.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
