#!/usr/bin/env bash
# Makes sure PostgreSQL accepts connections on 127.0.0.1:5432 as user postgres
# without a password (trust on loopback TCP) and has a `test` database, for the
# postgres and cockroach store tests. Idempotent, and fast when already up.
# On a fresh Debian machine it installs Debian's postgresql and starts its cluster.
set -euo pipefail

HOST=127.0.0.1
PORT=5432

accepting() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
ready() { psql -X -q -h "$HOST" -p "$PORT" -U postgres -d test -c 'select 1' >/dev/null 2>&1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_socket() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

# Puts trust lines for loopback TCP first in pg_hba.conf (first match wins); returns 1 if already there.
add_trust() {
  local hba="/etc/postgresql/$1/main/pg_hba.conf" tmp
  grep -q '^# govc-test-trust' "$hba" && return 1
  tmp=$(mktemp)
  { echo '# govc-test-trust: the test suites connect as postgres over loopback without a password'
    echo 'host all all 127.0.0.1/32 trust'
    echo 'host all all ::1/128 trust'
    cat "$hba"; } >"$tmp"
  cat "$tmp" >"$hba"
  rm -f "$tmp"
}

if accepting && ready; then exit 0; fi

if ! accepting; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(cluster_version)" ]; then
    echo "ensure-postgres: installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(cluster_version)
  [ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
  add_trust "$version" || true
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 120); do accepting && break; sleep 0.25; done
  accepting || { echo "ensure-postgres: PostgreSQL did not start on $HOST:$PORT; see /var/log/postgresql/" >&2; exit 1; }
fi

if ! ready; then
  # Up, but trust auth or the test database is missing: fix both through the local socket.
  version=$(cluster_version)
  if [ -n "$version" ]; then add_trust "$version" || true; fi
  # The cluster may have been running before the trust lines went in (a package postinst starts it).
  psql_socket -c 'select pg_reload_conf()' >/dev/null
  if ! psql_socket -tAc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
    psql_socket -c "create database test encoding 'UTF8' template template0"
  fi
  for _ in $(seq 1 20); do ready && break; sleep 0.25; done
fi

ready || { echo "ensure-postgres: cannot connect as postgres@$HOST:$PORT/test; check pg_hba.conf has trust for 127.0.0.1" >&2; exit 1; }
