#!/usr/bin/env bash
# Fetches Apache Cassandra (cassandra-all from Maven Central, with its runtime
# dependencies) into .cache/cassandra/<version>/lib, where the tests' node
# launcher (test/support/cassandra-nodes.ts) finds it. Idempotent: a complete
# copy is marked by a `complete` file and not fetched again.
# Needs Java 17 and Maven; installs them with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' scripts/cassandra/pom.xml)
DEST=".cache/cassandra/$VERSION"
if [ -f "$DEST/complete" ]; then
  echo "cassandra: $VERSION (cached in $DEST)"
  exit 0
fi

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  echo "cassandra: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

rm -rf "$DEST" && mkdir -p "$DEST"
echo "cassandra: fetching org.apache.cassandra:cassandra-all:$VERSION with Maven"
mvn -q -B -f scripts/cassandra/pom.xml dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$PWD/$DEST/lib" >"$DEST/fetch.log" 2>&1 || {
  tail -30 "$DEST/fetch.log" >&2
  echo "cassandra: the Maven fetch failed (log above); check that Maven Central is reachable" >&2
  exit 1
}
touch "$DEST/complete"
echo "cassandra: $VERSION ($(ls "$DEST/lib" | wc -l) jars in $DEST)"
