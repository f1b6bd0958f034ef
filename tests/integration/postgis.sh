#!/usr/bin/env bash
# postgis.sh - the PostGIS store (issue 14) against a throwaway PostgreSQL 15 + PostGIS 3 cluster
# (tests/pgcluster.sh: initdb into a temporary directory, Unix socket only, stopped and removed
# at the end):
#  1. the store suite (tests/check_store.c) on PostGIS: the same cases `make test` runs on
#     SpatiaLite, with HAZMAP_TEST_PG set;
#  2. `hazmap import-areas` and `import-incidents` of the sample into PostGIS and into SpatiaLite
#     give the same summaries, and a second import of the same file changes nothing;
#  3. `hazmap serve` on each store answers the same bytes for counts, an area page, a page of
#     incidents (planner token), hot spots and a density tile; GDAL's OAPIF driver (ogrinfo)
#     reads the incidents from the PostGIS server with the token; a POSTed incident is counted.
#  4. tests/integration/areaonly.sh (records with an area but no point, schema 3) and
#     projects.sh (the projects registry, schema 4) on PostGIS stores (AREAONLY_DB, PROJECTS_DB).
# Env: HAZMAP (binary, default build/hazmap), BUILD (the build directory of check_hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
ROOT=$(pwd)
HAZMAP=$(realpath "${HAZMAP:-build/hazmap}")
BUILD=$(realpath "${BUILD:-build}")
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
TMP=$(mktemp -d "/tmp/hazmap-postgis-$$-XXXXXX")
chmod 755 "$TMP"
PIDS=()
. tests/pgcluster.sh
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  pgcluster_stop
  [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }

pgcluster_start || { echo "FAIL - cannot start a PostgreSQL cluster"; exit 1; }
PGDB=$HZPG_DB
SQ=$TMP/sample.sqlite

# ---- 1. the store suite on PostGIS
if (cd tests && HAZMAP_TEST_PG="$HZPG" CK_RUN_SUITE=store "$BUILD/check_hazmap") > "$TMP/suite.log" 2>&1; then
  ok "store suite on PostGIS: $(grep -o 'Checks: [0-9]*, Failures: 0, Errors: 0' "$TMP/suite.log")"
else
  cat "$TMP/suite.log"; bad "store suite on PostGIS"
fi

# ---- 2. imports into both backends
fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
load() {
  "$HAZMAP" import-areas --db "$1" data/jinjiang_district.geojson "${fields[@]}" --level district &&
  "$HAZMAP" import-areas --db "$1" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 &&
  "$HAZMAP" import-incidents --db "$1" data/incidents_2012_2014.csv --srs gcj02 --tz +08:00 --source sample &&
  "$HAZMAP" import-roads --db "$1" data/jinjiang_roads.geojson --from-node u --to-node v
}
load "$SQ" > "$TMP/sq.log" 2>&1 || { cat "$TMP/sq.log"; bad "import into SpatiaLite"; }
t0=$(date +%s.%N)
load "$PGDB" > "$TMP/pg.log" 2>&1 || { cat "$TMP/pg.log"; bad "import into PostGIS"; }
secs=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
summ() { grep -E '^(incidents|areas|roads):' "$1" | sed 's/ (batch [0-9]*)//'; }
if [ -n "$(summ "$TMP/pg.log")" ] && [ "$(summ "$TMP/sq.log")" = "$(summ "$TMP/pg.log")" ]; then
  ok "PostGIS import summaries equal SpatiaLite's ($secs s): $(summ "$TMP/pg.log" | grep -c .) imports"
else
  bad "import summaries differ: $(summ "$TMP/sq.log" | tail -1) / $(summ "$TMP/pg.log" | tail -1)"
fi
v0=$(psql -X -At "$PGDB" -c "SELECT value FROM meta WHERE key='data_version'")
again=$("$HAZMAP" import-incidents --db "$PGDB" data/incidents_2012_2014.csv --srs gcj02 --tz +08:00 --source sample 2>&1)
v=$(psql -X -At "$PGDB" -c "SELECT value FROM meta WHERE key='data_version'")
if [[ "$again" == *"loaded 0, replaced 0, unchanged 55000"* ]] && [ "$v" = "$v0" ] && [ "$v" = 4 ]; then
  ok "re-import into PostGIS: all unchanged, data version still $v (4 imports)"
else
  bad "re-import into PostGIS: '$again', data version $v (want $v0 = 4)"
fi
pts=$(psql -X -At "$PGDB" -c "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code AND a.level='subdistrict' WHERE ST_Contains(a.geom,i.geom) AND ST_SRID(i.geom)=4326")
want=$(psql -X -At "$PGDB" -c "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code AND a.level='subdistrict'")
if [ "$pts" = "$want" ] && [ "$want" -gt 50000 ]; then
  ok "PostGIS ST_Contains agrees with the stored area of all $want incidents"
else
  bad "PostGIS ST_Contains: $pts of $want incidents inside their stored area"
fi

# ---- hazmap copy: SpatiaLite -> PostGIS -> SpatiaLite keeps every answer of `hazmap stats`
psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE copied" || bad "CREATE DATABASE copied"
if "$HAZMAP" copy --from "$SQ" --to "$HZPG dbname=copied" > "$TMP/copy1.log" 2>&1 &&
   "$HAZMAP" copy --from "$HZPG dbname=copied" --to "$TMP/back.sqlite" > "$TMP/copy2.log" 2>&1; then
  "$HAZMAP" stats --db "$SQ" --by mechanism,age_group,sex > "$TMP/stats.sq" 2>&1
  "$HAZMAP" stats --db "$HZPG dbname=copied" --by mechanism,age_group,sex > "$TMP/stats.pg" 2>&1
  "$HAZMAP" stats --db "$TMP/back.sqlite" --by mechanism,age_group,sex > "$TMP/stats.back" 2>&1
  segs=$(psql -X -At "$HZPG dbname=copied" -c "SELECT count(*) FROM road_segments")
  want=$(sqlite3 "$SQ" "SELECT count(*) FROM road_segments")
  if cmp -s "$TMP/stats.sq" "$TMP/stats.pg" && cmp -s "$TMP/stats.sq" "$TMP/stats.back" &&
     [ "$segs" = "$want" ] && [ "$(wc -l < "$TMP/stats.sq")" -gt 10 ]; then
    ok "hazmap copy SpatiaLite -> PostGIS -> SpatiaLite: $(cat "$TMP/copy1.log"); the same stats"
  else
    bad "hazmap copy: stats differ or road segments $segs (want $want)"
  fi
else
  cat "$TMP/copy1.log" "$TMP/copy2.log"; bad "hazmap copy failed"
fi

# ---- render-tiles and publish on PostGIS: the same tiles as from SpatiaLite; a release stored
if "$HAZMAP" render-tiles --db "$SQ" --zoom 11-12 -o "$TMP/tiles-sq/" > "$TMP/rt.log" 2>&1 &&
   "$HAZMAP" render-tiles --db "$PGDB" --zoom 11-12 -o "$TMP/tiles-pg/" >> "$TMP/rt.log" 2>&1; then
  nt=$(find "$TMP/tiles-pg" -name '*.png' | wc -l)
  if [ "$nt" -gt 0 ] && diff -r "$TMP/tiles-sq" "$TMP/tiles-pg" > /dev/null; then
    ok "render-tiles from PostGIS: the same $nt tiles as from SpatiaLite"
  else
    bad "render-tiles: $nt tiles, $(diff -rq "$TMP/tiles-sq" "$TMP/tiles-pg" | wc -l) differ"
  fi
else
  tail -3 "$TMP/rt.log"; bad "render-tiles failed"
fi
if "$HAZMAP" publish --db "$PGDB" > "$TMP/pub.log" 2>&1 &&
   [ "$(psql -X -At "$PGDB" -c "SELECT count(*) FROM releases")" = 1 ] &&
   [ "$(psql -X -At "$PGDB" -c "SELECT count(*) FROM release_tables WHERE release_id=1")" -gt 0 ]; then
  ok "publish on PostGIS: release 1 stored with its tables"
else
  cat "$TMP/pub.log"; bad "publish on PostGIS"
fi

# ---- 3. serve on both, the same answers
PL_SQ=$("$HAZMAP" token create --db "$SQ" --role planner | tail -1 | tr -d '[:space:]')
PL_PG=$("$HAZMAP" token create --db "$PGDB" --role planner | tail -1 | tr -d '[:space:]')
ED_PG=$("$HAZMAP" token create --db "$PGDB" --role editor | tail -1 | tr -d '[:space:]')
start() { # DB LOG -> sets PORT and BASE (hz_serve, which prints the log on failure)
  hz_serve "$2" "$2" --db "$1" || return 1
  PIDS+=("$HZ_PID")
}
start "$SQ" "$TMP/serve-sq.log" || { echo "FAIL - serve on SpatiaLite"; exit 1; }
BSQ=$BASE
start "$PGDB" "$TMP/serve-pg.log" || { echo "FAIL - serve on PostGIS"; exit 1; }
BPG=$BASE
n=0
for path in "/api/stats?by=area" "/api/stats?by=mechanism,age_group,sex" \
  "/collections/areas/items?limit=100" "/collections/incidents/items?limit=50&offset=50" \
  "/collections/hotspots/items?limit=50&cell=250" "/tiles/density/12/3235/1689.png" \
  "/collections/road_sites/items?limit=20"; do
  a=$(curl -sS -o "$TMP/a.$n" -w '%{http_code}' -H "Authorization: Bearer $PL_SQ" "$BSQ$path")
  b=$(curl -sS -o "$TMP/b.$n" -w '%{http_code}' -H "Authorization: Bearer $PL_PG" "$BPG$path")
  # the servers' own addresses (in the links) and the response times are the expected differences
  sed -i "s#$BSQ#BASE#g; s/\"timeStamp\":\"[^\"]*\"/TIME/" "$TMP/a.$n"
  sed -i "s#$BPG#BASE#g; s/\"timeStamp\":\"[^\"]*\"/TIME/" "$TMP/b.$n"
  if [ "$a" = 200 ] && [ "$b" = 200 ] && cmp -s "$TMP/a.$n" "$TMP/b.$n"; then
    ok "GET $path: the same $(stat -c %s "$TMP/b.$n") bytes from both backends"
  else
    bad "GET $path: SpatiaLite $a, PostGIS $b, bodies $(cmp -s "$TMP/a.$n" "$TMP/b.$n" && echo equal || echo differ)"
  fi
  n=$((n + 1))
done
s=$(curl -sS -o /dev/null -w '%{http_code}' "$BPG/collections/incidents/items?limit=1")
[ "$s" = 401 ] && ok "PostGIS server: incidents without a token 401" || bad "incidents without a token: $s (want 401)"
feat=$(ogrinfo -ro -so --config GDAL_HTTP_HEADERS "Authorization: Bearer $PL_PG" \
  "OAPIF:$BPG" incidents 2> "$TMP/ogr.err" | sed -n 's/^Feature Count: //p')
if [ "$feat" = 55000 ]; then
  ok "ogrinfo (OAPIF) with the planner token: 55000 incidents from the PostGIS server"
else
  bad "ogrinfo (OAPIF): feature count '$feat' (want 55000): $(tail -2 "$TMP/ogr.err")"
fi
FEAT='{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source":"test","source_id":"post-1","occurred_at":"2014-06-01T10:00:00","mechanism":"fall","severity":"minor","age":70,"sex":"female"}}'
s=$(curl -sS -o "$TMP/post.json" -w '%{http_code}' -X POST -H 'Content-Type: application/geo+json' \
  -H "Authorization: Bearer $ED_PG" --data "$FEAT" "$BPG/collections/incidents/items")
rows=$(psql -X -At "$PGDB" -c "SELECT count(*) FROM incidents WHERE source='test' AND source_id='post-1' AND age=70")
total=""
for _ in $(seq 1 30); do
  total=$(curl -sS -H "Authorization: Bearer $PL_PG" "$BPG/api/stats?by=none" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows"][0]["count"])' 2>/dev/null)
  [ "$total" = 55001 ] && break
  sleep 0.2
done
if [ "$s" = 201 ] && [ "$rows" = 1 ] && [ "$total" = 55001 ]; then
  ok "POST an incident to the PostGIS server: 201, stored, counted (55001)"
else
  bad "POST to PostGIS: status $s, rows $rows, count '$total' (want 201, 1, 55001): $(head -c 300 "$TMP/post.json")"
fi
if grep -qiE 'segfault|sanitizer|5[0-9][0-9] ' "$TMP/serve-pg.log"; then bad "PostGIS server log shows errors"; fi

# ---- 4. records with an area but no point: areaonly.sh on PostGIS
psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE areaonly" || bad "CREATE DATABASE areaonly"
if AREAONLY_DB="$HZPG dbname=areaonly" HAZMAP="$HAZMAP" bash tests/integration/areaonly.sh \
    > "$TMP/areaonly.log" 2>&1; then
  ok "areaonly.sh on PostGIS: $(grep -c '^PASS' "$TMP/areaonly.log") checks passed"
else
  grep '^FAIL' "$TMP/areaonly.log"; bad "areaonly.sh on PostGIS"
fi
psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE projects" || bad "CREATE DATABASE projects"
if PROJECTS_DB="$HZPG dbname=projects" HAZMAP="$HAZMAP" bash tests/integration/projects.sh \
    > "$TMP/projects.log" 2>&1; then
  ok "projects.sh on PostGIS: $(grep -c '^ok' "$TMP/projects.log") checks passed"
else
  grep '^FAIL' "$TMP/projects.log"; bad "projects.sh on PostGIS"
fi

[ "$FAILS" -eq 0 ] && echo "PASS postgis" || { echo "FAIL postgis ($FAILS)"; exit 1; }
