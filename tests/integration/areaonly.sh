#!/usr/bin/env bash
# areaonly.sh - records with an area but no point (issue 11, item 5; SURVEILLANCE.md).
#  1. A GB18030 CSV whose rows name their sub-district (街道) by full name, short form, code, an
#     unknown and an ambiguous name, some without coordinates: every row's stored area, point and
#     reject reason checked one by one; the import summary counts the area-only rows and the
#     rows whose point disagrees with their named area; a re-import changes nothing.
#  2. A mixed dataset (3,000 sample points and 300 area-only records): stats and /api/stats
#     equal SpatiaLite counts that include the area-only rows; density, hot spots and black
#     spots equal counts that exclude them, and report how many they left out (without_point,
#     "left out N records without a point").
#  3. The server: the incidents collection gives an area-only incident a null geometry; POST
#     takes "geometry": null with properties.area_code, and rejects an unknown area by name.
# Env: HAZMAP; AREAONLY_DB, a PostgreSQL conninfo of an empty database, runs it all on a PostGIS
# store (tests/integration/postgis.sh does), the reference queries then through psql; default: a
# SpatiaLite file.
set -uo pipefail
HAZMAP=${HAZMAP:-build/hazmap}
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
WORK=$(mktemp -d /tmp/hazmap_it_areaonly_XXXXXX)
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
DB=${AREAONLY_DB:-$WORK/a.sqlite}
PG=""; [ -n "${AREAONLY_DB:-}" ] && PG=1
fail=0
check() {
  local name=$1; shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; fail=1; fi
}
# one reference value by SQL both engines read alike (ST_X, ST_PointOnSurface, CAST of booleans)
q() {
  if [ -n "$PG" ]; then psql -X -At -v ON_ERROR_STOP=1 "$DB" -c "$1" 2>/dev/null | tail -n 1
  else sqlite3 -bail -cmd '.load mod_spatialite' "$DB" "$1" 2>/dev/null | tail -n 1; fi
}
jq() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
"$HAZMAP" import-areas --db "$DB" data/jinjiang_district.geojson "${fields[@]}" --level district > /dev/null &&
  "$HAZMAP" import-areas --db "$DB" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 > /dev/null || { echo "FAIL loading the areas"; exit 1; }
# Two communities: 锦官驿社区 in 水井坊 (its short form 锦官驿 is no other area's name) and 东光社区
# in 东光 (so that 东光街道 names two areas: 东光 by the short form of the text, 东光社区 by its own).
read -r x6 y6 < <(q "SELECT ST_X(ST_PointOnSurface(geom))||' '||ST_Y(ST_PointOnSurface(geom)) FROM areas WHERE code='510104006'")
read -r x12 y12 < <(q "SELECT ST_X(ST_PointOnSurface(geom))||' '||ST_Y(ST_PointOnSurface(geom)) FROM areas WHERE code='510104012'")
python3 - "$WORK/communities.geojson" "$x6" "$y6" "$x12" "$y12" <<'PY'
import json, sys
out, x6, y6, x12, y12 = sys.argv[1], *map(float, sys.argv[2:])
def sq(x, y, d=0.0005):
    return {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}
feats = [{"type": "Feature", "geometry": sq(x6, y6), "properties": {"code": "510104006001", "name": "锦官驿社区", "parent_code": "510104006", "population": 5000}},
         {"type": "Feature", "geometry": sq(x12, y12), "properties": {"code": "510104012001", "name": "东光社区", "parent_code": "510104012", "population": 6000}}]
json.dump({"type": "FeatureCollection", "features": feats}, open(out, "w"), ensure_ascii=False)
PY
"$HAZMAP" import-areas --db "$DB" "$WORK/communities.geojson" --code-field code --name-field name \
  --population-field population --parent-field parent_code --level community > /dev/null ||
  { echo "FAIL loading the communities"; exit 1; }
# a point in 春熙路 (510104003)
read -r px py < <(q "SELECT ST_X(ST_PointOnSurface(geom))||' '||ST_Y(ST_PointOnSurface(geom)) FROM areas WHERE code='510104003'")

# ---- 1. row by row ----
cat > "$WORK/rows.txt" <<EOF
编号,发生时间,经度,纬度,街道,伤害类型
a1,2013-03-01 08:00,,,春熙路,跌倒
a2,2013-03-02 08:00,,,春熙路街道,跌倒
a3,2013-03-03 08:00,,,510104007,交通
a4,2013-03-04 08:00,,,锦官驿,跌倒
a5,2013-03-05 08:00,,,锦官驿社区,跌倒
a6,2013-03-06 08:00,,, 牛市口街道 ,跌倒
a7,2013-03-07 08:00,,,火星街道,跌倒
a8,2013-03-08 08:00,,,东光街道,跌倒
a9,2013-03-09 08:00,$px,$py,春熙路,跌倒
a10,2013-03-10 08:00,$px,$py,牛市口,跌倒
a11,2013-03-11 08:00,,,,跌倒
EOF
iconv -f UTF-8 -t GB18030 "$WORK/rows.txt" > "$WORK/rows.csv"
out=$("$HAZMAP" import-incidents --db "$DB" "$WORK/rows.csv" --source hospital 2>&1)
check "import: 8 loaded, 3 rejected, 6 area-only, 1 disagreement ($(echo "$out" | head -1))" \
  test -n "$(echo "$out" | grep -F 'loaded 8,' | grep -F 'rejected 3,' | grep -F 'area only (no point) 6,' | grep -F 'point and area disagree 1 ')"
b() { echo "CAST($1 IS NULL AS INTEGER)"; }
row() { q "SELECT coalesce(area_code,'-')||' '||$(b lon)||$(b lat)||$(b geom) FROM incidents WHERE source='hospital' AND source_id='$1'"; }
while read -r id code flags why; do
  want="$code $flags"
  got=$(row "$id")
  check "$id ($why): stored as '$want' (area, lon/lat/geom NULL)" test "$got" = "$want"
done <<'EOF'
a1 510104003 111 short name as stored
a2 510104003 111 full name of an area stored short
a3 510104007 111 code
a4 510104006001 111 short form of 锦官驿社区
a5 510104006001 111 full name
a6 510104007 111 full name with spaces around it
a9 510104003 000 point, its named area agrees
a10 510104003 000 point wins over the named 牛市口
EOF
reason() { q "SELECT reason FROM import_rejects r JOIN import_batches b ON b.id=r.batch_id WHERE b.file LIKE '%rows.csv' AND r.line=$1"; }
r=$(reason 8)
check "a7 (line 8) rejected: unknown area ($r)" test -n "$(echo "$r" | grep -F "area '火星街道'" | grep -F 'matches no area')"
r=$(reason 9)
check "a8 (line 9) rejected: ambiguous, both candidates named ($r)" \
  test -n "$(echo "$r" | grep -F 'matches several areas' | grep -F '510104012 (东光)' | grep -F '510104012001 (东光社区)')"
r=$(reason 12)
check "a11 (line 12) rejected: no coordinates and no area ($r)" test -n "$(echo "$r" | grep -F 'empty coordinates')"
check "no row stored for the rejected lines" test "$(q "SELECT count(*) FROM incidents WHERE source_id IN ('a7','a8','a11')")" = 0
out=$("$HAZMAP" import-incidents --db "$DB" "$WORK/rows.csv" --source hospital 2>&1)
check "re-import: the 8 rows unchanged" test -n "$(echo "$out" | grep -F 'unchanged 8,')"
[ -n "$PG" ] || check "R*Tree: an entry for each point only" \
  test "$(q "SELECT count(*) FROM idx_incidents_geom")" = "$(q "SELECT count(*) FROM incidents WHERE geom IS NOT NULL")"
out=$("$HAZMAP" import-incidents --db "$DB" "$WORK/rows.csv" --source h2 --area-field nosuch 2>&1)
check "--area-field names a missing column: refused, naming it" test -n "$(echo "$out" | grep -F "'nosuch' not found")"

# ---- 2. a mixed dataset ----
head -n 3001 data/incidents_2012_2014.csv > "$WORK/points.csv"
"$HAZMAP" import-incidents --db "$DB" "$WORK/points.csv" --srs gcj02 --source police > /dev/null ||
  { echo "FAIL importing the points"; exit 1; }
names=(督院街 盐市口街道 春熙路 书院街 合江亭 水井坊 牛市口 龙舟路 双桂路 莲新 沙河 东光 狮子山 成龙路 柳江 三圣 510104003 锦官驿)
{
  echo "id,occurred_at,area,mechanism,severity"
  for i in $(seq 1 300); do
    printf 'c%d,2013-%02d-%02d 10:00,%s,%s,minor\n' "$i" $((1 + i % 12)) $((1 + i % 28)) \
      "${names[$((i % ${#names[@]}))]}" "$([ $((i % 3)) = 0 ] && echo traffic || echo fall)"
  done
} > "$WORK/cards.csv"
out=$("$HAZMAP" import-incidents --db "$DB" "$WORK/cards.csv" --area-field area --source cards 2>&1)
check "300 area-only cards loaded ($(echo "$out" | head -1))" \
  test -n "$(echo "$out" | grep -F 'loaded 300,' | grep -F 'area only (no point) 300,')"
with_area=$(q "SELECT count(*) FROM incidents WHERE area_code IS NOT NULL")
nopoint=$(q "SELECT count(*) FROM incidents WHERE geom IS NULL")
haspoint=$(q "SELECT count(*) FROM incidents WHERE geom IS NOT NULL")
check "the dataset has area-only rows ($nopoint) and points ($haspoint)" test "$nopoint" = 306 -a "$haspoint" -gt 2900

"$HAZMAP" stats --db "$DB" --format json -o "$WORK/stats.json" > /dev/null 2>&1
got=$(jq "$WORK/stats.json" "[r['count'] for r in d['rows'] if r['area']=='510104'][0]")
check "stats: the district's count $got = the SQL's count with an area ($with_area), area-only rows included" \
  test "$got" = "$with_area"
sub_sql=$(q "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code WHERE a.code='510104006' OR a.parent_code='510104006'")
got=$(jq "$WORK/stats.json" "[r['count'] for r in d['rows'] if r['area']=='510104006'][0]")
check "stats: 水井坊's count $got = the SQL's ($sub_sql: its own rows and its community's)" test "$got" = "$sub_sql"
sub_pts=$(q "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code WHERE (a.code='510104006' OR a.parent_code='510104006') AND i.geom IS NOT NULL")
check "stats: 水井坊's count includes its area-only rows ($sub_pts with a point)" test "$got" -gt "$sub_pts"

"$HAZMAP" density --db "$DB" -o "$WORK/d.tif" > "$WORK/d.json" 2> "$WORK/d.err"
got=$(jq "$WORK/d.json" "d['incidents'], d['without_point']")
check "density: incidents and without_point ($got) = the SQL's with and without a point ($haspoint, $nopoint)" \
  test "$got" = "$haspoint $nopoint"
check "density: says it left out $nopoint records" grep -qF "left out $nopoint records without a point" "$WORK/d.err"

"$HAZMAP" hotspots --db "$DB" -o "$WORK/h.geojson" > /dev/null 2> "$WORK/h.err"
got=$(jq "$WORK/h.geojson" "d['provenance']['incidents'] + d['provenance']['incidents_outside'], d['provenance']['without_point']")
check "hot spots: incidents in and outside the cells, without_point ($got) = ($haspoint, $nopoint)" \
  test "$got" = "$haspoint $nopoint"
check "hot spots: says it left out $nopoint records" grep -qF "left out $nopoint records without a point" "$WORK/h.err"

"$HAZMAP" blackspots --db "$DB" -o "$WORK/b.geojson" > /dev/null 2> "$WORK/b.err"
got=$(jq "$WORK/b.geojson" "d['provenance']['incidents'], d['provenance']['without_point']")
check "black spots: incidents clustered and without_point ($got) = ($haspoint, $nopoint)" \
  test "$got" = "$haspoint $nopoint"
check "black spots: says it left out $nopoint records" grep -qF "left out $nopoint records without a point" "$WORK/b.err"
traffic_nopoint=$(q "SELECT count(*) FROM incidents WHERE geom IS NULL AND mechanism LIKE 'traffic%'")
"$HAZMAP" density --db "$DB" --mechanism traffic -o "$WORK/d2.tif" > "$WORK/d2.json" 2> /dev/null
got=$(jq "$WORK/d2.json" "d['without_point']")
check "density under a filter: without_point counts the filtered ones ($got = $traffic_nopoint)" test "$got" = "$traffic_nopoint"

start=$(date -d '2013-07-01T00:00:00+08:00' +%s)
"$HAZMAP" evaluate --db "$DB" --area 510104006 --start 2013-07-01 --format json -o "$WORK/ev.json" > /dev/null 2>&1
got=$(jq "$WORK/ev.json" "d['before']['count'] + d['after']['count']")
want=$(q "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code WHERE (a.code='510104006' OR a.parent_code='510104006') AND t >= $start - 365*86400 AND t < $start + 365*86400")
want_nopoint=$(q "SELECT count(*) FROM incidents i JOIN areas a ON a.code=i.area_code WHERE (a.code='510104006' OR a.parent_code='510104006') AND t >= $start - 365*86400 AND t < $start + 365*86400 AND i.geom IS NULL")
check "evaluate: 水井坊's two windows hold $got = the SQL's $want ($want_nopoint of them area-only)" \
  test "$got" = "$want" -a "$want_nopoint" -gt 0

"$HAZMAP" emerging --db "$DB" --step quarter -o "$WORK/e.geojson" > /dev/null 2> "$WORK/e.err"
got=$(jq "$WORK/e.geojson" "d['provenance']['without_point']")
check "emerging hot spots: without_point $got = $nopoint" test "$got" = "$nopoint"
check "emerging hot spots: says it left out $nopoint records" grep -qF "left out $nopoint records without a point" "$WORK/e.err"

"$HAZMAP" import-roads --db "$DB" data/jinjiang_roads.geojson > /dev/null 2>&1 || { echo "FAIL import-roads"; exit 1; }
"$HAZMAP" screen --db "$DB" -o "$WORK/s.json" > /dev/null 2> "$WORK/s.err"
got=$(jq "$WORK/s.json" "d['summary']['without_point'], d['summary']['incidents']")
want_pts=$(q "SELECT count(*) FROM incidents WHERE geom IS NOT NULL AND mechanism LIKE 'traffic%'")
check "screening (traffic): without_point and incidents ($got) = ($traffic_nopoint, $want_pts)" \
  test "$got" = "$traffic_nopoint $want_pts"
check "screening: says it left out $traffic_nopoint records" grep -qF "left out $traffic_nopoint records without a point" "$WORK/s.err"
"$HAZMAP" network-density --db "$DB" -o "$WORK/n.geojson" > "$WORK/n.json" 2> "$WORK/n.err"
got=$(jq "$WORK/n.json" "d['without_point'], d['incidents_snapped'] + d['incidents_unsnapped']")
check "network density: without_point and incidents ($got) = ($nopoint, $haspoint)" test "$got" = "$nopoint $haspoint"
check "network density: says it left out $nopoint records" grep -qF "left out $nopoint records without a point" "$WORK/n.err"

# ---- 3. the server ----
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label t) || { echo "FAIL token"; exit 1; }
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label e)
hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID
P=(-H "Authorization: Bearer $TOKEN")
E=(-H "Authorization: Bearer $EDITOR" -H 'Content-Type: application/geo+json')
get() { local u=$1; shift; curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$BASE$u"; }
post() { local u=$1 d=$2; shift 2; curl -s -o "$WORK/body" -w '%{http_code}' -X POST --data-binary "$d" "$@" "$BASE$u"; }

check "GET /api/stats: 200" test "$(get '/api/stats?format=json' "${P[@]}")" = 200
got=$(jq "$WORK/body" "[r['count'] for r in d['rows'] if r['area']=='510104'][0]")
check "/api/stats: the district's count $got = $with_area (area-only included)" test "$got" = "$with_area"
check "GET the incidents of 锦官驿社区: 200" \
  test "$(get '/collections/incidents/items?area=510104006001&limit=100' "${P[@]}")" = 200
want=$(q "SELECT count(*) FROM incidents WHERE area_code='510104006001' AND geom IS NULL")
got=$(jq "$WORK/body" "sum(1 for f in d['features'] if f['geometry'] is None and f['properties']['area_code']=='510104006001')")
check "incidents collection: the area-only incidents have a null geometry ($got = $want)" test "$got" = "$want" -a "$want" -gt 0
feat='{"type":"Feature","geometry":null,"properties":{"source":"api","source_id":"p1","area_code":"春熙路街道","occurred_at":"2013-06-01T10:00:00+08:00","mechanism":"fall"}}'
check "POST an area-only incident by name: 201" test "$(post /collections/incidents/items "$feat" "${E[@]}")" = 201
check "  stored with its area and no point" test "$(q "SELECT area_code||' '||$(b lon) FROM incidents WHERE source='api' AND source_id='p1'")" = "510104003 1"
bad='{"type":"Feature","geometry":null,"properties":{"source":"api","source_id":"p2","area_code":"火星"}}'
code=$(post /collections/incidents/items "$bad" "${E[@]}")
check "POST an unknown area: 400 naming properties.area_code ($code)" \
  test "$code" = 400 -a -n "$(grep -F 'properties.area_code' "$WORK/body" | grep -F 'matches no area')"
check "GET the density legend: 200" test "$(get '/tiles/density/legend.json' "${P[@]}")" = 200
got=$(jq "$WORK/body" "d['without_point']")
want=$(q "SELECT count(*) FROM incidents WHERE geom IS NULL")
check "density legend: without_point $got = $want" test "$got" = "$want"
check "GET the network legend: 200" test "$(get '/tiles/network/legend.json' "${P[@]}")" = 200
got=$(jq "$WORK/body" "d['network']['without_point']")
check "network legend: without_point $got = $want" test "$got" = "$want"
check "server still alive" kill -0 "$PID"
exit $fail
