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

# ---- hazmap copy: SpatiaLite -> PostGIS -> SpatiaLite moves the whole store. FULL is the sample
# plus everything else a store holds: a second source of 6 duplicated records (record links, one
# reviewed), a rejected row, projects (one at version 3, one deleted: audit rows of every kind),
# a release and tokens. Each table is compared row for row with sqlite3 and psql (not with the
# copy's own readers), both ways; `hazmap stats` answers the same on all three.
FULL=$TMP/full.sqlite
cp "$SQ" "$FULL"
{ head -1 data/incidents_2012_2014.csv; sed -n 2,7p data/incidents_2012_2014.csv
  echo 'JJbad,2012-13-45T00:00:00+08:00,104.1,30.6,fall,home,unintentional,minor,1,8,female,0,x'
} > "$TMP/dup.csv"
P1='{"title":"老年人防跌倒","title_en":"Falls","group":"elderly","lead_unit":"区卫健局","partners":["街道办事处"],"type":"education","target":"mechanism=fall&age=65-","areas":["510104"],"start":"2014-01-01","status":"active","indicators":["falls per 100,000"]}'
P2='{"title":"路口渠化改造","group":"traffic","type":"engineering","location":{"type":"Point","coordinates":[104.0812,30.6571]},"buffer_m":150,"start":"2014-06-01","status":"planned"}'
if "$HAZMAP" import-incidents --db "$FULL" "$TMP/dup.csv" --srs gcj02 --tz +08:00 --source dup > "$TMP/full.log" 2>&1 &&
   "$HAZMAP" link --db "$FULL" >> "$TMP/full.log" 2>&1 &&
   sqlite3 "$FULL" "UPDATE record_links SET status='confirmed', reviewer='ana', at='2026-01-02T03:04:05Z' WHERE id=(SELECT min(id) FROM record_links)" &&
   echo "$P1" | "$HAZMAP" project add --db "$FULL" --json - >> "$TMP/full.log" 2>&1 &&
   echo "$P2" | "$HAZMAP" project add --db "$FULL" --json - >> "$TMP/full.log" 2>&1 &&
   echo "$P1" | "$HAZMAP" project add --db "$FULL" --json - >> "$TMP/full.log" 2>&1 &&
   echo "${P1%\}},\"version\":1,\"end\":\"2014-12-31\"}" | "$HAZMAP" project update --db "$FULL" 1 --json - >> "$TMP/full.log" 2>&1 &&
   P1F=${P1/\"active\"/\"finished\"} &&
   echo "${P1F%\}},\"version\":2,\"end\":\"2014-12-31\"}" | "$HAZMAP" project update --db "$FULL" 1 --json - >> "$TMP/full.log" 2>&1 &&
   "$HAZMAP" project delete --db "$FULL" 3 >> "$TMP/full.log" 2>&1 &&
   "$HAZMAP" publish --db "$FULL" >> "$TMP/full.log" 2>&1 &&
   "$HAZMAP" token create --db "$FULL" --role editor --label copy-test > "$TMP/full.tok" 2>> "$TMP/full.log"; then
  ok "a SpatiaLite store with everything: $(sqlite3 "$FULL" "SELECT count(*) FROM record_links") links, $(sqlite3 "$FULL" "SELECT count(*) FROM project_audit") audit rows, $(sqlite3 "$FULL" "SELECT count(*) FROM import_rejects") rejects"
else
  cat "$TMP/full.log"; bad "filling the store to copy"
fi
# one query per table, the same text from sqlite3 (S) and psql (P): numbers printed alike
# (integers; doubles at fixed decimals), geometry and blobs as upper-case hex
TABLES=(areas incidents road_sources road_nodes road_segments releases release_tables record_links
  projects project_audit import_batches import_rejects tokens)
sql_of() { # BACKEND TABLE
  local f7 x g blob
  if [ "$1" = S ]; then
    f7() { echo "CASE WHEN $1 IS NULL THEN NULL ELSE printf('%.7f',$1) END"; }; g="hex(AsBinary(geom))"; blob="hex(cells)"
  else
    f7() { echo "round($1::numeric,7)"; }; g="upper(encode(ST_AsBinary(geom,'NDR'),'hex'))"; blob="upper(encode(cells,'hex'))"
  fi
  case $2 in
    areas) echo "SELECT code,name,name_en,level,parent_code,population,$g FROM areas ORDER BY code" ;;
    incidents) echo "SELECT id,source,source_id,occurred_at,t,mechanism,place,intent,severity,victims,age,sex,disability,description,area_code,extra,$(f7 lon),$(f7 lat),content_hash,activity,outcome,nature,body_part,batch_id,$g FROM incidents ORDER BY id" ;;
    road_sources) echo "SELECT source,content_hash FROM road_sources ORDER BY source" ;;
    road_nodes) echo "SELECT id,source,node,degree,$g FROM road_nodes ORDER BY id" ;;
    road_segments) echo "SELECT id,source,source_id,from_node,to_node,name,class,oneway,lanes,$(f7 maxspeed),$(f7 volume),$(f7 length_m),extra,$g FROM road_segments ORDER BY id" ;;
    releases) echo "SELECT id,created_at,data_version,metadata FROM releases ORDER BY id" ;;
    release_tables) echo "SELECT release_id,name,$blob FROM release_tables ORDER BY release_id,name" ;;
    record_links) echo "SELECT a,b,$(f7 score),status,reviewer,at FROM record_links ORDER BY a,b" ;;
    projects) echo "SELECT id,version,title,title_en,description,work_group,lead_unit,partners,type,target,areas,sites,$(f7 buffer_m),start_date,end_date,status,indicators,created_at,updated_at,$g FROM projects ORDER BY id" ;;
    project_audit) echo "SELECT id,project_id,at,actor,action,before,after FROM project_audit ORDER BY id" ;;
    import_batches) echo "SELECT id,kind,file,started_at,finished_at,summary FROM import_batches ORDER BY id" ;;
    import_rejects) echo "SELECT batch_id,line,raw,reason FROM import_rejects ORDER BY batch_id,line" ;;
    tokens) echo "SELECT hash,role,created_at,label FROM tokens ORDER BY hash" ;;
  esac
}
dump_s() { sqlite3 -cmd '.load mod_spatialite' "$1" "$(sql_of S "$2")" > "$3"; }
dump_p() { psql -X -At "$1" -c "$(sql_of P "$2")" > "$3"; }
# compare WHAT: every table of the two dumps named by the prefixes $2 and $3
compare() {
  local what=$1 a=$2 b=$3 t diffs=()
  for t in "${TABLES[@]}"; do
    cmp -s "$a.$t" "$b.$t" && [ -s "$a.$t" ] || diffs+=("$t($(wc -l < "$a.$t")/$(wc -l < "$b.$t"))")
  done
  if [ ${#diffs[@]} -eq 0 ]; then ok "$what: all ${#TABLES[@]} tables row for row"; else bad "$what: differ: ${diffs[*]}"; fi
}
psql -X -q "$HZPG dbname=postgres" -c "CREATE DATABASE copied" || bad "CREATE DATABASE copied"
if "$HAZMAP" copy --from "$FULL" --to "$HZPG dbname=copied" > "$TMP/copy1.log" 2>&1 &&
   "$HAZMAP" copy --from "$HZPG dbname=copied" --to "$TMP/back.sqlite" > "$TMP/copy2.log" 2>&1; then
  ok "hazmap copy SpatiaLite -> PostGIS: $(cat "$TMP/copy1.log")"
  for t in "${TABLES[@]}"; do
    dump_s "$FULL" "$t" "$TMP/d0.$t"; dump_p "$HZPG dbname=copied" "$t" "$TMP/d1.$t"; dump_s "$TMP/back.sqlite" "$t" "$TMP/d2.$t"
  done
  compare "SpatiaLite -> PostGIS" "$TMP/d0" "$TMP/d1"
  compare "PostGIS -> SpatiaLite" "$TMP/d1" "$TMP/d2"
  "$HAZMAP" stats --db "$FULL" --by mechanism,age_group,sex > "$TMP/stats.sq" 2>&1
  "$HAZMAP" stats --db "$HZPG dbname=copied" --by mechanism,age_group,sex > "$TMP/stats.pg" 2>&1
  "$HAZMAP" stats --db "$TMP/back.sqlite" --by mechanism,age_group,sex > "$TMP/stats.back" 2>&1
  if cmp -s "$TMP/stats.sq" "$TMP/stats.pg" && cmp -s "$TMP/stats.sq" "$TMP/stats.back" &&
     [ "$(wc -l < "$TMP/stats.sq")" -gt 10 ]; then
    ok "hazmap stats: the same on the original and both copies"
  else
    bad "hazmap stats differ after the copies"
  fi
  for db in "$HZPG dbname=copied" "$TMP/back.sqlite"; do
    id=$(echo "$P2" | "$HAZMAP" project add --db "$db" --json - 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
    if [ "${id:-0}" -gt 3 ]; then ok "a project added to the copy ($db) gets id $id, after the deleted 3"; else bad "a project added to the copy ($db) got id '${id:-}' (want > 3)"; fi
  done
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
