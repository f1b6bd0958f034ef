#!/usr/bin/env bash
# release.sh - `hazmap publish` on the bundled sample: a release is stored with its tables, listed,
# leaves the data version alone, and cannot be changed, deleted, replaced or extended afterwards
# (the store's triggers, tried here with the sqlite3 shell); a database that never published lists
# nothing. The release's contents are tested in tests/check_release.c.
#
# Env: HAZMAP (the binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d "/tmp/hazmap-release.$$.XXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
refused() { ! sqlite3 "$DB" "$1" >/dev/null 2>&1; }

DB=$TMP/sample.sqlite
NO_PUBLISH=1 tools/load-sample.sh "$HAZMAP" "$DB" >/dev/null 2>&1 || { bad "load-sample failed"; exit 1; }
check "a database that never published lists no release" \
  bash -c "[ \$('$HAZMAP' publish --db '$DB' --list | wc -l) -eq 1 ]"
v0=$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'data_version'")
echo "release test seed" > "$TMP/seed"
"$HAZMAP" publish --db "$DB" --seed-file "$TMP/seed" > "$TMP/out" 2> "$TMP/err"
check "publish succeeds and names release 1 and its budget" \
  grep -q "^release 1 of .*period 2012-Q1..2014-Q4" "$TMP/out"
check "publish prints epsilon, delta and rho" grep -q "budget: epsilon 4, delta 1e-06 -> rho 0.25" "$TMP/out"
check "publish warns that a seed file makes the noise removable" grep -q "remove the noise" "$TMP/err"
check "ten tables stored" test "$(sqlite3 "$DB" "SELECT count(*) FROM release_tables WHERE release_id = 1")" = 10
check "the data version is unchanged" test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'data_version'")" = "$v0"
check "the release records the data version it was built from" \
  test "$(sqlite3 "$DB" "SELECT data_version FROM releases WHERE id = 1")" = "$v0"
check "the grid is a compact blob (under 2 bytes a cell)" \
  test "$(sqlite3 "$DB" "SELECT length(cells) < 2 * 268272 FROM release_tables WHERE name = 'grid_year_injury'")" = 1
"$HAZMAP" publish --db "$DB" --period month --min-count 5 > /dev/null 2>&1
check "a second release is number 2 and both are listed" \
  bash -c "'$HAZMAP' publish --db '$DB' --list | grep -q '^1 ' && '$HAZMAP' publish --db '$DB' --list | grep -q '^2 .*(month)'"
check "UPDATE of a release is refused" refused "UPDATE releases SET metadata = '{}' WHERE id = 1"
check "DELETE of a release is refused" refused "DELETE FROM releases WHERE id = 1"
check "INSERT OR REPLACE of a release is refused" \
  refused "INSERT OR REPLACE INTO releases(id, created_at, data_version, metadata) VALUES(1, 'x', 0, '{}')"
check "UPDATE of a release table is refused" refused "UPDATE release_tables SET cells = x'00'"
check "DELETE of a release table is refused" refused "DELETE FROM release_tables"
check "adding a table to a written release is refused" \
  refused "INSERT INTO release_tables(release_id, name, cells) VALUES(1, 'extra', x'00')"
check "release 1 is unchanged" test "$(sqlite3 "$DB" "SELECT count(*) FROM release_tables WHERE release_id = 1")" = 10
# 55000 is also Shuangguilu's population: look at every value but the populations.
check "the metadata holds no incident count (55000) outside the populations" test "$(sqlite3 "$DB" \
  "SELECT count(*) FROM releases, json_tree(releases.metadata) WHERE key IS NOT 'population'
     AND (atom = 55000 OR (type = 'text' AND atom LIKE '%55000%'))")" = 0
check "... and the check can see a population of 55000" test "$(sqlite3 "$DB" \
  "SELECT count(*) > 0 FROM releases, json_tree(releases.metadata) WHERE atom = 55000")" = 1
check "publish --period week is a usage error" bash -c "'$HAZMAP' publish --db '$DB' --period week 2>/dev/null; [ \$? -eq 2 ]"
echo "release.sh: $fails failure(s)"
[ "$fails" -eq 0 ]
