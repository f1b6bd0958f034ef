#!/usr/bin/env bash
# dump.sh - the schema a hazmap binary gives its stores, normalised, one file per case into OUTDIR:
#   sqlite-fresh   a new SpatiaLite store with every table group (areas and incidents imported,
#                  then `link` and `publish`, which create the record_links and release tables on
#                  first use);
#   sqlite-v1, sqlite-v2, sqlite-v2p   the fixtures of tests/data/schema1, schema2, schema2p after
#                  the migration an ordinary open (`token create`) runs;
#   pg-fresh       a new PostGIS store, incidents bulk-loaded (when tests/pgcluster.sh can start a
#                  cluster);
#   pg-v2, pg-v3, ...  a PostGIS store taken back by hand to schema 2, 3, ... up to the current
#                  one (undo[] below: the DDL those versions had, e.g. NOT NULL points, no project
#                  tables), then opened, i.e. migrated.
# SQLite: `sqlite3 DB .schema` and `SELECT * FROM geometry_columns`; PostgreSQL: `pg_dump
# --schema-only` without its comment lines. Normalisation is whitespace only: runs of white space
# become one space, and the space next to ( ) , ; is dropped; one statement per line.
#
#   bash tests/schema/dump.sh HAZMAP OUTDIR
#
# tests/schema/expected/ was made once by this script with the hazmap of main before the schema
# description (commit 0d462d7, geo/store/schema.c did not exist yet):
#   bash tests/schema/dump.sh /tmp/schemadesc/base/hazmap tests/schema/expected
# tests/integration/schema.sh compares today's hazmap with it.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=$(realpath "$1")
OUT=$2
mkdir -p "$OUT"
TMP=$(mktemp -d "/tmp/hazmap-schemadump.$$.XXXX")
cleanup() { [ -n "${HZPG_DIR:-}" ] && pgcluster_stop; rm -rf "$TMP"; }
trap cleanup EXIT

norm() { perl -0pe 's/\s+/ /g; s/ ?([(),;]) ?/$1/g; s/;/;\n/g; s/^ //mg'; }
sqlite_dump() {
  { sqlite3 "$1" .schema; echo ';'; sqlite3 "$1" 'SELECT * FROM geometry_columns ORDER BY 1,2'; } | norm
}
rc=0
fail() { echo "dump.sh: $*" >&2; rc=1; }

DB=$TMP/fresh.sqlite
head -c 32 /dev/zero > "$TMP/seed"
"$HAZMAP" import-areas --db "$DB" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 \
  > /dev/null 2>&1 || fail "import-areas"
"$HAZMAP" import-incidents --db "$DB" tests/data/schema2/incidents_v2.csv --id id > /dev/null 2>&1 ||
  fail "import-incidents"
"$HAZMAP" link --db "$DB" --link 1000 --possible 0 > /dev/null 2>&1 || fail "link"
"$HAZMAP" publish --db "$DB" --seed-file "$TMP/seed" --quarters 2012Q1-2012Q4 > /dev/null 2>&1 ||
  fail "publish"
sqlite_dump "$DB" > "$OUT/sqlite-fresh"
for v in schema1/v1 schema2/v2 schema2p/v2; do
  name=sqlite-$(basename "$(dirname "$v")" | sed 's/schema/v/')
  cp "tests/data/$v.sqlite" "$TMP/$name.sqlite"
  "$HAZMAP" token create --db "$TMP/$name.sqlite" --role planner --label dump > /dev/null 2>&1 ||
    fail "opening $v"
  sqlite_dump "$TMP/$name.sqlite" > "$OUT/$name"
done

. tests/pgcluster.sh
if pgcluster_start > "$TMP/pg.log" 2>&1; then
  pg_norm() {
    pg_dump --schema-only --no-owner "$HZPG dbname=$1" |
      grep -v -e "^--" -e "^\\\\restrict" -e "^\\\\unrestrict" | norm
  }
  psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE f" || fail "createdb"
  "$HAZMAP" import-areas --db "$HZPG dbname=f" tests/data/chengdu-datav-geojson/510104.json \
    --srs gcj02 > /dev/null 2>&1 || fail "pg import-areas"
  # into an empty table: the bulk load drops the secondary indexes and builds them again
  "$HAZMAP" import-incidents --db "$HZPG dbname=f" tests/data/schema2/incidents_v2.csv --id id \
    > /dev/null 2>&1 || fail "pg import-incidents"
  pg_norm f > "$OUT/pg-fresh"
  # What takes a PostGIS store from schema N back to N-1 (undo[N]); a new schema version adds its
  # line here (e.g. undo[5]="DROP INDEX incidents_batch;").
  declare -A undo
  undo[3]="ALTER TABLE incidents ALTER lon SET NOT NULL, ALTER lat SET NOT NULL,
           ALTER geom SET NOT NULL;"
  undo[4]="DROP TABLE project_audit, projects; DROP FUNCTION hazmap_audit_append_only();"
  cur=$(psql -X -At "$HZPG dbname=f" -c "SELECT value FROM meta WHERE key='schema_version'")
  for ((v = 2; v < cur; v++)); do
    psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE v$v" || fail "createdb v$v"
    "$HAZMAP" import-areas --db "$HZPG dbname=v$v" tests/data/chengdu-datav-geojson/510104.json \
      --srs gcj02 > /dev/null 2>&1 || fail "pg create v$v"
    back=
    for ((u = cur; u > v; u--)); do
      [ -n "${undo[$u]:-}" ] || fail "no undo[$u] in dump.sh"
      back="$back ${undo[$u]:-}"
    done
    psql -X -q -v ON_ERROR_STOP=1 "$HZPG dbname=v$v" \
      -c "$back UPDATE meta SET value='$v' WHERE key='schema_version'" || fail "pg back to $v"
    "$HAZMAP" token create --db "$HZPG dbname=v$v" --role planner --label dump > /dev/null 2>&1 ||
      fail "pg migrate v$v"
    pg_norm "v$v" > "$OUT/pg-v$v"
  done
else
  echo "dump.sh: no PostgreSQL cluster, PostGIS cases skipped" >&2
  rm -f "$OUT"/pg-*
fi
exit $rc
