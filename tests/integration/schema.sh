#!/usr/bin/env bash
# schema.sh - the schema today's hazmap gives its stores is the one the hand-written DDL gave before
# geo/store/schema.c described it once: tests/schema/dump.sh dumps a fresh SpatiaLite store (every
# table group), the three SpatiaLite fixtures of old schemas after migration, a fresh PostGIS store
# and two PostGIS stores migrated from schemas 2 and 3, and each dump must equal, byte for byte
# after whitespace normalisation, tests/schema/expected/ (made by the hazmap of commit 0d462d7, see
# dump.sh). A deliberate schema change regenerates expected/ and says so in its commit.
#
# Env: HAZMAP (the binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d "/tmp/hazmap-schema.$$.XXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }

bash tests/schema/dump.sh "$HAZMAP" "$TMP/out" 2> "$TMP/err"
rc=$?
if [ $rc -eq 0 ]; then ok "dump.sh ran"; else bad "dump.sh: $(cat "$TMP/err")"; fi
for f in tests/schema/expected/*; do
  name=$(basename "$f")
  if [ ! -f "$TMP/out/$name" ] && [ "${name#pg-}" != "$name" ] && grep -q "no PostgreSQL" "$TMP/err"; then
    echo "skip - $name (no PostgreSQL 15 + PostGIS here)"
  elif cmp -s "$f" "$TMP/out/$name"; then
    ok "$name: the schema is as before"
  else
    bad "$name differs from tests/schema/expected/$name:"
    diff "$f" "$TMP/out/$name" | head -20
  fi
done
[ $fails -eq 0 ] && echo "PASS schema" || echo "FAIL schema ($fails)"
exit $((fails > 0))
