#!/usr/bin/env bash
# server.sh - integration test of `hazmap serve` against real clients (curl, GDAL's OAPIF driver).
#
# Builds a database (tools/load-sample.sh when the importers work, else the fixture of
# tests/integration/server/mkdb.py through the sqlite3 CLI and mod_spatialite), creates a planner
# token, starts the server on a free loopback port and checks every endpoint, the GDAL round
# trip (its feature count equals the database's, counted by sqlite3), the ETag/304 path of tiles,
# the public/planner split and a list of bad requests (each 4xx, never 5xx, server alive after).
# Env: HAZMAP (binary, default build/hazmap), BUILD. One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-server-test.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

DB=$WORK/test.sqlite
if tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1; then
  echo "# database: the sample (tools/load-sample.sh)"
else
  echo "# database: fixture (tools/load-sample.sh failed: $(tail -1 "$WORK/load.log"))"
  rm -f "$DB"
  python3 tests/integration/server/mkdb.py data 5000 > "$WORK/fixture.sql" &&
    sqlite3 -cmd '.load mod_spatialite' "$DB" < "$WORK/fixture.sql" > /dev/null ||
    { echo "FAIL cannot build the fixture database"; exit 1; }
fi
NINC=$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')
NAREA=$(sqlite3 "$DB" 'SELECT count(*) FROM areas')
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label test) || { echo "FAIL token create"; exit 1; }
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label test-editor)
check "token create prints 64 hex digits" grep -Eq '^[0-9a-f]{64}$' <<< "$TOKEN"
check "only the token's SHA-256 is stored" test "$(sqlite3 "$DB" "SELECT count(*) FROM tokens WHERE hash='$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)' AND role='planner'")" = 1
check "the token itself is not stored" test "$(sqlite3 "$DB" "SELECT count(*) FROM tokens WHERE hash='$TOKEN'")" = 0

mkdir -p "$WORK/web" "$WORK/cache"
cp -r web/. "$WORK/web/" 2>/dev/null || true
[ -f "$WORK/web/index.html" ] || echo '<!doctype html><title>hazmap</title>' > "$WORK/web/index.html"
echo 'secret' > "$WORK/outside.txt"
ln -s "$WORK/outside.txt" "$WORK/web/link-out.txt"
cat > "$WORK/hazmap.conf" <<CONF
# test configuration
title = hazmap test
min_count = 10
min_bandwidth = 300
cache_mb = 32
max_body_bytes = 200000
CONF
hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" --web "$WORK/web" \
  --config "$WORK/hazmap.conf" --cache-dir "$WORK/cache" || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID
check "prints 'listening on' once ready" grep -q "hazmap: listening on http://127.0.0.1:$PORT/" "$WORK/out.log"

AUTH=(-H "Authorization: Bearer $TOKEN")
# get URL [curl args...]: body to $WORK/body, status to stdout
get() { local u=$1; shift; curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$@" "$BASE$u"; }
# jcheck PYTHON-EXPR: evaluates with d = the JSON body
jcheck() { python3 -c "import json,sys; d=json.load(open('$WORK/body')); sys.exit(0 if ($1) else 1)"; }
header() { grep -i "^$1:" "$WORK/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# ---- core ----
s=$(get /healthz); check "/healthz 200" test "$s" = 200
check "public /healthz: status and release id only" jcheck "set(d)=={'status','release'} and d['status']=='ok'"
s=$(get /healthz "${AUTH[@]}"); check "planner /healthz counts equal the database's" jcheck "d['status']=='ok' and d['areas']==$NAREA and d['incidents']==$NINC and d['data_version']>=1"
check "nosniff header" test "$(header X-Content-Type-Options)" = nosniff
check "CORS header" test "$(header Access-Control-Allow-Origin)" = '*'
s=$(get /?f=json); check "/?f=json 200 JSON landing page" test "$s" = 200
check "landing page links: self, service-desc (OpenAPI 3.0), conformance, data" jcheck "{'self','service-desc','conformance','data'} <= {l['rel'] for l in d['links']} and any(l['type'].startswith('application/vnd.oai.openapi+json') for l in d['links'] if l['rel']=='service-desc')"
s=$(get / -H 'Accept: application/json'); check "/ with Accept: application/json gives JSON" jcheck "'links' in d"
# links and the TileJSON URL are built from the bind address, never from the client's Host
s=$(get /?f=json -H 'Host: evil.example'); check "a forged Host header is not echoed in links" jcheck "all(l['href'].startswith('$BASE/') for l in d['links'])"
for u in '/?f=json' /collections /collections/areas '/collections/areas/items?limit=1' /api/config; do
  s=$(get "$u"); check "Vary: Authorization on $u" test "$(header Vary)" = Authorization
done
for u in '/collections/areas/items?from=2013-01-01&from=2014-01-01' '/api/stats?mechanism=fall&mechanism=traffic' '/tiles/density.json?age=0-10&age=20-30' '/api/blackspots?area=X&area=Y'; do
  s=$(get "$u" "${AUTH[@]}"); check "a repeated filter parameter is a 400 naming it: $u" bash -c "test $s = 400 && grep -q 'given twice' '$WORK/body'"
done
s=$(get /tiles/density.json "${AUTH[@]}" -H 'Host: evil.example'); check "a forged Host header is not echoed in the TileJSON URL" jcheck "d['tiles'][0].startswith('$BASE/tiles/')"
s=$(get /collections/areas/items?limit=1 "${AUTH[@]}" -H 'Host: evil.example'); check "a forged Host header is not echoed in paging links" jcheck "d['links'] and all(l['href'].startswith('$BASE/') for l in d['links'])"
s=$(get / -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8'); check "/ with a browser's Accept gives the map page" bash -c "test $s = 200 && grep -qi '<html\|<!doctype' '$WORK/body'"
s=$(get /conformance); check "/conformance lists core, geojson, oas30" jcheck "all(any(c.endswith('/conf/'+k) for c in d['conformsTo']) for k in ('core','geojson','oas30'))"
s=$(get /api); check "/api is an OpenAPI 3.0 document with the items path" jcheck "d['openapi'].startswith('3.0') and '/collections/{collectionId}/items' in d['paths']"
check "/api documents the filters and paging parameters" jcheck "{'bbox','limit','offset','datetime','mechanism','from','to'} <= {p['name'] for p in d['paths']['/collections/{collectionId}/items']['get']['parameters']}"
s=$(get /collections); check "public /collections hides incidents" jcheck "'areas' in [c['id'] for c in d['collections']] and 'incidents' not in [c['id'] for c in d['collections']]"
s=$(get /collections "${AUTH[@]}"); check "planner /collections lists incidents" jcheck "'incidents' in [c['id'] for c in d['collections']]"
s=$(get /collections/areas); check "/collections/areas has extent and crs" jcheck "d['id']=='areas' and len(d['extent']['spatial']['bbox'][0])==4 and d['crs']"
s=$(get /collections/nope); check "unknown collection 404" test "$s" = 404

# ---- areas (public suppression) ----
s=$(get '/collections/areas/items?limit=100'); check "areas items 200 geo+json" bash -c "test $s = 200 && grep -qi 'application/geo+json' '$WORK/headers'"
check "areas numberMatched = database areas" jcheck "d['numberMatched']==$NAREA and d['numberReturned']==$NAREA"
check "public areas: counts under 10 suppressed, none shown below 10" jcheck "all((f['properties']['count'] is None)==f['properties']['suppressed'] and (f['properties']['count'] is None or f['properties']['count']>=10) for f in d['features'])"
s=$(get '/collections/areas/items?limit=100&mechanism=drowning'); check "public areas with a live filter: 400 (the public's figures are the release's)" bash -c "test $s = 400 && grep -q 'published release' '$WORK/body'"
s=$(get '/collections/areas/items?limit=100' "${AUTH[@]}")
python3 - "$WORK/body" "$DB" > "$WORK/areacheck" <<'PY'
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
bad = []
for f in d["features"]:
    p = f["properties"]
    if p["level"] != "subdistrict":
        continue
    n = db.execute("SELECT count(*) FROM incidents WHERE area_code=?", (p["code"],)).fetchone()[0]
    if p["count"] != n:
        bad.append((p["code"], p["count"], n))
print("ok" if not bad else bad)
PY
check "planner area counts equal an SQL count per sub-district" grep -qx ok "$WORK/areacheck"
check "planner areas: rate = count / population / years * 1e5 and rate_lo < rate < rate_hi" jcheck "all(f['properties']['rate'] is None or (f['properties']['rate_lo'] <= f['properties']['rate'] <= f['properties']['rate_hi']) for f in d['features'])"
CODE=$(python3 -c "import json; d=json.load(open('$WORK/body')); print([f for f in d['features'] if f['properties']['level']=='subdistrict'][0]['properties']['code'])")
s=$(get "/collections/areas/items/$CODE"); check "areas item by code" jcheck "d['id']=='$CODE' and d['geometry']['type'] in ('Polygon','MultiPolygon')"
s=$(get '/collections/areas/items?limit=2'); check "areas paging: next link with offset=2" jcheck "any(l['rel']=='next' and 'offset=2' in l['href'] for l in d['links'])"

# ---- incidents (planner only) ----
s=$(get /collections/incidents/items); check "public incidents items 401" test "$s" = 401
s=$(get /collections/incidents/items/1); check "public incident item 401" test "$s" = 401
s=$(get /collections/incidents/items -H 'Authorization: Bearer 0000'); check "wrong token 401" test "$s" = 401
# GIS clients without custom headers (QGIS 3.22's Basic authcfg): the token as the password
s=$(get "/collections/incidents/items?limit=5" -u "qgis:$TOKEN"); check "Basic auth with the token as password reads incidents (200)" test "$s" = 200
check "Basic auth: a planner's page of incidents" jcheck "d['numberReturned']==5"
s=$(get /collections/incidents/items -u "qgis:0000"); check "Basic auth with a wrong token 401" test "$s" = 401
s=$(get '/collections/incidents/items?limit=10' "${AUTH[@]}"); check "planner incidents items 200" test "$s" = 200
check "incidents numberMatched = database count, 10 returned" jcheck "d['numberMatched']==$NINC and d['numberReturned']==10 and 'timeStamp' in d"
check "incident properties carry the store fields" jcheck "{'id','source','source_id','occurred_at','mechanism','severity','area_code'} <= set(d['features'][0]['properties'])"
s=$(get '/collections/incidents/items?limit=5&offset=5' "${AUTH[@]}"); check "prev link on an offset page" jcheck "any(l['rel']=='prev' and 'offset=0' in l['href'] for l in d['links'])"
read -r W S E N <<< "$(sqlite3 "$DB" 'SELECT avg(lon)-0.01, avg(lat)-0.01, avg(lon)+0.01, avg(lat)+0.01 FROM incidents' | tr '|' ' ')"
NB=$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE lon BETWEEN $W AND $E AND lat BETWEEN $S AND $N")
s=$(get "/collections/incidents/items?limit=1&bbox=$W,$S,$E,$N" "${AUTH[@]}"); check "bbox numberMatched = SQL count ($NB)" jcheck "d['numberMatched']==$NB"
NT=$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE t >= strftime('%s','2012-03-01T00:00:00+08:00') AND t < strftime('%s','2012-04-01T00:00:00+08:00')")
s=$(get "/collections/incidents/items?limit=1&datetime=2012-03-01/2012-03-31" "${AUTH[@]}"); check "datetime interval numberMatched = SQL count ($NT)" jcheck "d['numberMatched']==$NT"
NM=$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE mechanism LIKE 'traffic\_%' ESCAPE '\'")
s=$(get "/collections/incidents/items?limit=1&mechanism=traffic" "${AUTH[@]}"); check "filter mechanism=traffic numberMatched = SQL count ($NM)" jcheck "d['numberMatched']==$NM"
s=$(get /collections/incidents/items/1 "${AUTH[@]}"); check "incident item 1" jcheck "d['id']==1 and d['geometry']['type']=='Point'"
s=$(get /collections/incidents/items/999999999 "${AUTH[@]}"); check "missing incident 404" test "$s" = 404

# ---- GDAL client round trip ----
if command -v ogrinfo > /dev/null; then
  timeout 120 ogrinfo -ro -q "OAPIF:$BASE/" > "$WORK/ogrinfo.txt" 2>&1
  check "ogrinfo lists the public collections" grep -q "areas" "$WORK/ogrinfo.txt"
  timeout 300 ogr2ogr --config GDAL_HTTP_HEADERS "Authorization: Bearer $TOKEN" -f GPKG "$WORK/out.gpkg" \
    "OAPIF:$BASE/" incidents -oo PAGE_SIZE=1000 > "$WORK/ogr2ogr.log" 2>&1
  GN=$(ogrinfo -ro -so "$WORK/out.gpkg" incidents 2>/dev/null | sed -n 's/^Feature Count: //p')
  check "ogr2ogr copies every incident ($GN = $NINC)" test "${GN:-0}" = "$NINC"
else
  bad "ogrinfo not installed"
fi

# ---- analysis endpoints (those compiled in are listed in /api) ----
get /api > /dev/null
has() { python3 -c "import json,sys; sys.exit(0 if '$1' in json.load(open('$WORK/body'))['paths'] else 1)"; }
cp "$WORK/body" "$WORK/api.json"
has_path() { python3 -c "import json,sys; sys.exit(0 if '$1' in json.load(open('$WORK/api.json'))['paths'] else 1)"; }
check "OpenAPI: the incidents POST takes outside=accept|reject" python3 -c "import json,sys; p=json.load(open('$WORK/api.json'))['paths']['/collections/{collectionId}/items']['post']['parameters']; sys.exit(0 if any(x['name']=='outside' and x['schema']['enum']==['accept','reject'] for x in p) else 1)"
if has_path /api/stats; then
  s=$(get '/api/stats?by=area'); check "/api/stats 200 with rows" jcheck "len(d['rows'])>0"
  check "public stats: no count under 10" jcheck "all(r['count'] is None or r['count']>=10 for r in d['rows'])"
  s=$(get '/api/stats?by=area,sex&format=csv' "${AUTH[@]}"); check "/api/stats csv" bash -c "test $s = 200 && head -1 '$WORK/body' | grep -q count"
fi
if has_path /api/density.tif; then
  s=$(get '/api/density.tif?bandwidth=300&cell=100' "${AUTH[@]}"); check "/api/density.tif is a GeoTIFF" bash -c "test $s = 200 && head -c 4 '$WORK/body' | od -An -c | tr -d ' ' | grep -q 'II\*'"
  gdalinfo "$WORK/body" > "$WORK/gdalinfo.txt" 2>&1; check "gdalinfo reads the GeoTIFF with a projected CRS" grep -q 'UTM\|Transverse_Mercator' "$WORK/gdalinfo.txt"
  # issue 16: this request ran two minutes; its estimated work is refused before any kernel runs
  s=$(curl -s -m 20 -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" "$BASE/api/density.tif?kernel=gaussian&bandwidth=100000&cell=590&extent=points")
  check "an over-budget density (100 km Gaussian): 422 naming the estimated work" bash -c "test $s = 422 && grep -q 'estimated work' '$WORK/body'"
fi
if has_path /api/evaluate; then
  s=$(get "/api/evaluate?area=$CODE&start=2013-01-01" "${AUTH[@]}"); check "/api/evaluate 200 with rr" jcheck "'rr' in d and 'before' in d"
fi
if has_path /api/blackspots; then
  s=$(get '/api/blackspots' "${AUTH[@]}"); check "/api/blackspots FeatureCollection" jcheck "d['type']=='FeatureCollection'"
  # issue 16: eps=10&min_points=2 gave ~5,900 features in one answer; it is paged like the collections
  s=$(get '/api/blackspots?eps=10&min_points=2' "${AUTH[@]}"); check "/api/blackspots is paged: 100 of its clusters by default, numberMatched all, a next link" \
    jcheck "d['numberReturned']==100 and d['numberMatched']>1000 and any(l['rel']=='next' for l in d['links'])"
  s=$(get '/api/blackspots'); check "public black spots: no cluster under 10 shown" jcheck "all(f['properties'].get('suppressed') or f['properties']['count']>=10 for f in d['features'])"
fi
s=$(get /collections/hotspots/items?limit=5); if [ "$s" != 404 ]; then
  check "hotspots items 200" test "$s" = 200
  check "public hot-spot cells: no count under 10" jcheck "all(f['properties'].get('count') is None or f['properties']['count']>=10 for f in d['features'])"
fi
s=$(get /collections/blackspots/items?limit=5); [ "$s" != 404 ] && check "blackspots items 200" test "$s" = 200
if has_path '/tiles/density/{z}/{x}/{y}.png'; then
  XY=$(python3 -c "import math; lon,lat=$W+0.01,$S+0.01; z=14; n=2**z; x=int((lon+180)/360*n); y=int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n); print(f'{z}/{x}/{y}')")
  s=$(get "/tiles/density/$XY.png"); check "density tile 200 image/png" bash -c "test $s = 200 && grep -qi 'content-type: image/png' '$WORK/headers' && head -c 8 '$WORK/body' | grep -q PNG"
  ETAG=$(header ETag)
  check "tile has an ETag and Cache-Control" test -n "$ETAG" -a -n "$(header Cache-Control)"
  s=$(get "/tiles/density/$XY.png" -H "If-None-Match: $ETAG"); check "If-None-Match gives 304" test "$s" = 304
  s=$(get "/tiles/density/$XY.png?bandwidth=50"); PUB=$(header ETag)
  s=$(get "/tiles/density/$XY.png?bandwidth=300"); check "public bandwidth floored at 300 m (50 m = 300 m tile)" test "$PUB" = "$(header ETag)"
  s=$(get "/tiles/density/$XY.png?bandwidth=50" "${AUTH[@]}"); check "planner gets 50 m (different tile)" test "$PUB" != "$(header ETag)"
  s=$(get /tiles/density.json); check "TileJSON 3.0.0" jcheck "d['tilejson']=='3.0.0' and d['tiles']"
  s=$(get /tiles/density/legend.json); check "legend breaks and colours" jcheck "len(d['breaks'])==len(d['colors'])>0"
fi
# ---- public-portal limits: rare filters, tiny cells and bands, work caps, paged provenance ----
RARE='mechanism=drowning&from=2013-05-01&to=2013-05-20'
NRARE=$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE mechanism='drowning' AND occurred_at>='2013-05-01' AND occurred_at<'2013-05-20'")
if [ "$NRARE" -ge 1 ] && [ "$NRARE" -lt 10 ]; then
  if has_path /api/density.tif; then
    s=$(get "/api/density.tif?$RARE&cell=10"); check "public density.tif with live filters: 400 (the public's comes from the release)" bash -c "test $s = 400 && grep -q 'published release' '$WORK/body'"
    s=$(get "/api/density.tif?$RARE&cell=10&bandwidth=300" "${AUTH[@]}"); check "planner density.tif with the rare filter: 200" test "$s" = 200
  fi
  if has_path '/tiles/density/{z}/{x}/{y}.png'; then
    RXY=$(sqlite3 "$DB" "SELECT lon, lat FROM incidents WHERE mechanism='drowning' AND occurred_at>='2013-05-01' AND occurred_at<'2013-05-20' LIMIT 1" | python3 -c "import math,sys; lon,lat=map(float,sys.stdin.read().split('|')); z=14; n=2**z; x=int((lon+180)/360*n); y=int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n); print(f'{z}/{x}/{y}')")
    s=$(get "/tiles/density/14/0/0.png"); cp "$WORK/body" "$WORK/empty.png"
    s=$(get "/tiles/density/$RXY.png?$RARE" "${AUTH[@]}"); cp "$WORK/body" "$WORK/planner.png"
    check "planner tile at a rare incident is drawn (not the empty tile)" bash -c "test $s = 200 && ! cmp -s '$WORK/planner.png' '$WORK/empty.png'"
    s=$(get "/tiles/density/$RXY.png?$RARE")
    check "public tile with a live filter: 400 naming what the public may ask" bash -c "test $s = 400 && grep -q 'injury_group' '$WORK/body'"
  fi
else
  echo "# skipped the rare-filter checks: $NRARE drowning incidents in May 2013"
fi
s=$(get '/collections/hotspots/items?cell=1&band=1&limit=1000'); if [ "$s" != 404 ]; then
  check "public hot spots with cell=1&band=1: 400 (the public's come from the release)" bash -c "test $s = 400 && grep -q 'published release' '$WORK/body'"
  s=$(get '/collections/hotspots/items?limit=1000'); check "public hot spots: 200 m squares of the release, 500 m band, no incident count" jcheck "d['provenance']['cell_size']==200 and d['provenance']['band']==500 and d['provenance']['release']>=1 and 'incidents' not in d['provenance']"
  s=$(get '/collections/hotspots/items?cell=200&band=400&limit=2' "${AUTH[@]}"); check "paged hot-spot items keep the analysis provenance" jcheck "d['provenance']['cell_size']==200 and d['provenance']['band']==400 and d['numberReturned']==2"
  s=$(get '/collections/hotspots/items?cell=30&band=90&limit=1&from=2013-01-01&to=2013-02-01' "${AUTH[@]}"); check "sparse hot-spot cells (planner, 30 m, one month): provenance warns about the mean count per cell" jcheck "'warning' in d['provenance'] and d['provenance']['mean_count_per_cell']<1"
  s=$(get '/collections/hotspots/items?cell=200&band=400&limit=1' "${AUTH[@]}"); check "no sparse-count warning for 200 m cells over all incidents" jcheck "'warning' not in d['provenance'] and d['provenance']['mean_count_per_cell']>=1"
  s=$(curl -s -m 120 -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" "$BASE/collections/hotspots/items?cell=7&band=3500&limit=1")
  check "7 m cells with a 3500 m band (planner): 422 naming cell, answered" bash -c "test $s = 422 && grep -q 'cell' '$WORK/body'"
  s=$(curl -s -m 120 -o "$WORK/body" -w '%{http_code}' "$BASE/collections/hotspots/items?cell=7&band=3500&limit=1")
  check "the same request from the public: 400" bash -c "test $s = 400"
  s=$(curl -s -m 120 -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" "$BASE/collections/hotspots/items?cell=50&band=20000&limit=1")
  check "a band of 400 cells is refused: 422 naming band" bash -c "test $s = 422 && grep -q 'band' '$WORK/body'"
fi
s=$(get '/collections/blackspots/items?limit=1' "${AUTH[@]}"); [ "$s" != 404 ] && check "paged black-spot items keep the analysis provenance" jcheck "isinstance(d.get('provenance'), dict)"
s=$(get /api/config); check "/api/config role public" jcheck "d['role']=='public' and d['min_count']==10 and d['title']=='hazmap test'"
s=$(get /api/config "${AUTH[@]}"); check "/api/config role planner" jcheck "d['role']=='planner'"

# ---- writes ----
FEAT='{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source":"test","source_id":"post-1","occurred_at":"2014-06-01T10:00:00","mechanism":"fall","severity":"minor","age":70,"sex":"female","ward":"7"}}'
V0=$(sqlite3 "$DB" "SELECT value FROM meta WHERE key='data_version'")
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' --data "$FEAT"); check "POST without token 401" test "$s" = 401
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' -H "Authorization: Bearer $EDITOR" --data "$FEAT"); check "POST with the editor token 201" test "$s" = 201
check "POST inserted one" jcheck "d['inserted']==1"
check "the posted incident is in the database with its extra field" test "$(sqlite3 "$DB" "SELECT mechanism||'|'||extra FROM incidents WHERE source='test' AND source_id='post-1'")" = 'fall|{"ward":"7"}'
REFAREA=$(sqlite3 -cmd '.load mod_spatialite' "$DB" "SELECT ifnull((SELECT code FROM areas WHERE level<>'district' AND ST_Within(MakePoint(104.08,30.65,4326), geom) ORDER BY level DESC, code LIMIT 1),'')" 2>/dev/null | tail -1)
check "the posted incident got its area by point-in-polygon (SpatiaLite says '$REFAREA')" test "$(sqlite3 "$DB" "SELECT ifnull(area_code,'') FROM incidents WHERE source='test' AND source_id='post-1'")" = "$REFAREA"
check "POST bumped the data version" test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key='data_version'")" -gt "$V0"
s=$(get /healthz "${AUTH[@]}"); check "planner /healthz sees the new incident" jcheck "d['incidents']==$NINC+1"
# a point outside every area is refused unless the POST says such points are expected
OUTF='{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source":"test","source_id":"in-1","mechanism":"fall"}},{"type":"Feature","geometry":{"type":"Point","coordinates":[100.5,20.5]},"properties":{"source":"test","source_id":"out-1","mechanism":"fall"}}]}'
POSTH=(-X POST -H 'Content-Type: application/geo+json' "${AUTH[@]}")
s=$(get /collections/incidents/items "${POSTH[@]}" --data "$OUTF"); check "a POSTed point outside every area: 400 naming feature 1's geometry" bash -c "test $s = 400 && python3 -c \"import json,sys; d=json.load(open('$WORK/body')); sys.exit(0 if [(e['feature'],e['field']) for e in d['errors']]==[(1,'geometry')] and 'outside=accept' in d['errors'][0]['reason'] else 1)\""
check "... and nothing of that batch was stored" test "$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE source='test' AND source_id IN ('in-1','out-1')")" = 0
s=$(get '/collections/incidents/items?outside=maybe' "${POSTH[@]}" --data "$OUTF"); check "outside=maybe: 400" bash -c "test $s = 400 && grep -q 'outside' '$WORK/body'"
s=$(get '/collections/incidents/items?outside=accept' "${POSTH[@]}" --data "$OUTF"); check "with ?outside=accept both are stored, the outside one without an area" bash -c "test $s = 201 && test \"\$(sqlite3 '$DB' \"SELECT count(*) FROM incidents WHERE source='test' AND source_id='out-1' AND area_code IS NULL\")\" = 1"
# editors write incidents but do not read them (planners only)
EAUTH=(-H "Authorization: Bearer $EDITOR")
s=$(get /collections/incidents/items "${EAUTH[@]}"); check "editor GET incidents items: 403" test "$s" = 403
s=$(get /collections/incidents/items/1 "${EAUTH[@]}"); check "editor GET one incident: 403" test "$s" = 403
s=$(get /collections/incidents "${EAUTH[@]}"); check "editor GET the incidents collection: 403" test "$s" = 403
s=$(get /collections "${EAUTH[@]}"); check "the incidents collection is not listed for editors" jcheck "'incidents' not in [c['id'] for c in d['collections']]"
s=$(get /collections "${AUTH[@]}"); check "... and is listed for planners" jcheck "'incidents' in [c['id'] for c in d['collections']]"
s=$(get /collections/areas/items?limit=1 "${EAUTH[@]}"); check "editors still read the live aggregates" test "$s" = 200
V1=$(sqlite3 "$DB" "SELECT value FROM meta WHERE key='data_version'")
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' "${AUTH[@]}" --data "$FEAT"); check "the same POST again: 201, one unchanged" bash -c "test $s = 201 && python3 -c \"import json,sys; d=json.load(open('$WORK/body')); sys.exit(0 if d['unchanged']==1 and d['inserted']==0 and d['data_version']==$V1 else 1)\""
check "an unchanged POST keeps the data version (caches stay)" test "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key='data_version'")" = "$V1"
BADFC='{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source_id":"ok-1","mechanism":"fall"}},{"type":"Feature","geometry":{"type":"Point","coordinates":[200,30]},"properties":{"source_id":"x","mechanism":"flying","age":-3}}]}'
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' "${AUTH[@]}" --data "$BADFC"); check "invalid FeatureCollection 400" test "$s" = 400
check "the 400 names each bad field of feature 1" jcheck "{(e['feature'],e['field']) for e in d['errors']} == {(1,'geometry.coordinates[0]'),(1,'properties.mechanism'),(1,'properties.age')}"
check "nothing of an invalid batch was stored" test "$(sqlite3 "$DB" "SELECT count(*) FROM incidents WHERE source_id='ok-1'")" = 0
head -c 300000 /dev/zero | tr '\0' 'x' > "$WORK/big"
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' "${AUTH[@]}" --data-binary "@$WORK/big"); check "body over max_body_bytes 413" test "$s" = 413

# ---- metrics and static files ----
s=$(get /metrics); check "/metrics Prometheus text with routes and a histogram" bash -c "grep -q 'hazmap_http_requests_total{route=\"healthz\",status=\"200\"}' '$WORK/body' && grep -q hazmap_http_request_duration_seconds_bucket '$WORK/body' && grep -q hazmap_cache_requests_total '$WORK/body'"
s=$(get /index.html); check "static index.html with Cache-Control" bash -c "test $s = 200 && grep -qi '^cache-control' '$WORK/headers'"
s=$(get /link-out.txt); check "symlink out of the web root refused" test "$s" = 403 -o "$s" = 404
echo 'secret' > "$WORK/web/.env"
s=$(get /.env); check "an existing dot-file is refused (403)" test "$s" = 403
s=$(get /index.html%00.png --path-as-is); check "an encoded NUL in the path is refused (400), not read as /index.html" test "$s" = 400
s=$(get /collections%00/areas --path-as-is); check "an encoded NUL in an API path is refused (400)" test "$s" = 400
s=$(get /js/missing.js); check "missing .js: 404 as text/javascript, not JSON" bash -c "test $s = 404 && test '$(header Content-Type)' = 'text/javascript; charset=utf-8'"
s=$(get /css/missing.css); check "missing .css: 404 as text/css" bash -c "test $s = 404 && test '$(header Content-Type)' = 'text/css; charset=utf-8'"
s=$(get /missing.png); check "missing .png: 404 as image/png" bash -c "test $s = 404 && test '$(header Content-Type)' = image/png"
s=$(get /collections/areas/nowhere); check "unknown API path without an extension: 404 JSON" bash -c "test $s = 404 && test '$(header Content-Type)' = application/json"
s=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: http://x' -H 'Access-Control-Request-Method: GET' "$BASE/collections"); check "OPTIONS preflight 204" test "$s" = 204

# ---- bodies are read only from editors and planners (issue 16): an anonymous POST announcing
# 150 kB is answered 401 at once, before any byte of its body is sent; an editor's waits for it ----
PORT=${BASE##*:}
python3 - "$PORT" "$EDITOR" > "$WORK/early.txt" <<'PY'
import socket, sys, time
def ask(auth):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(2)
    h = ("POST /collections/incidents/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/geo+json\r\n"
         "Content-Length: 150000\r\n" + (f"Authorization: Bearer {auth}\r\n" if auth else "") + "\r\n")
    s.sendall(h.encode())
    try:
        return s.recv(4096).split(b"\r\n")[0].decode()
    except socket.timeout:
        return "waiting"
    finally:
        s.close()
print(ask(None), "|", ask("not-a-token"), "|", ask(sys.argv[2]))
PY
check "an anonymous or unknown-token POST is 401 before its body is read; an editor's body is awaited" \
  grep -q '^HTTP/1.1 401 Unauthorized | HTTP/1.1 401 Unauthorized | waiting$' "$WORK/early.txt"

# ---- OGC API - Features Part 1 details (issue 15) ----
# 7.15.4: a limit above the maximum is the maximum, not an error
s=$(get '/collections/incidents/items?limit=20000' "${AUTH[@]}"); check "7.15.4 limit=20000 is clamped: 200 with 10,000 features" jcheck "d['numberReturned']==min(10000, d['numberMatched'])"
# 7.15.3: six numbers carry heights, ignored; a bbox across the antimeridian is accepted
s=$(get '/collections/incidents/items?bbox=104.0,30.6,104.1,30.7&limit=10000' "${AUTH[@]}"); cp "$WORK/body" "$WORK/bbox4.json"
s=$(get '/collections/incidents/items?bbox=104.0,30.6,-10,104.1,30.7,500&limit=10000' "${AUTH[@]}")
check "7.15.3 a 6-number bbox (with heights) selects what the 4-number one does" python3 -c "
import json; a=json.load(open('$WORK/bbox4.json')); b=json.load(open('$WORK/body'))
assert a['numberMatched']==b['numberMatched']>0 and [f['id'] for f in a['features']]==[f['id'] for f in b['features']]"
s=$(get '/collections/incidents/items?bbox=177,65,-177,70' "${AUTH[@]}"); check "7.15.3 a bbox across the antimeridian (177,65,-177,70): 200, nothing there" jcheck "d['numberMatched']==0"
s=$(get '/collections/incidents/items?bbox=104.05,30.5,-179,30.7&limit=10000' "${AUTH[@]}")
check "an antimeridian bbox reaching round to Chengdu (104.05 east .. 179 west) finds its incidents in id order" python3 -c "
import json, sqlite3; d=json.load(open('$WORK/body'))
n=sqlite3.connect('$DB').execute('SELECT count(*) FROM incidents WHERE lon>=104.05 AND lat BETWEEN 30.5 AND 30.7').fetchone()[0]
ids=[f['id'] for f in d['features']]
assert d['numberMatched']==n>0 and ids==sorted(ids), (d['numberMatched'], n)"
# /req/core/fc-bbox-response: a feature is selected when its geometry meets the bbox, not its
# envelope. Small boxes in each corner of every area's envelope (where most areas are not) and
# one inside it: the areas served equal SpatiaLite's Intersects() for every box, and some boxes
# meet an area's envelope but not the area (the case an envelope test gets wrong).
sqlite3 -cmd '.load mod_spatialite' "$DB" "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM areas" | tr '|' ' ' > "$WORK/envs"
: > "$WORK/boxcheck"
envelope_only=0
while read -r x0 y0 x1 y1; do
  for f in "0 0" "0.97 0" "0 0.97" "0.97 0.97" "0.4 0.4"; do
    read -r fx fy <<< "$f"
    box=$(python3 -c "x0,y0,x1,y1,fx,fy=$x0,$y0,$x1,$y1,$fx,$fy; w=(x1-x0)*0.03; h=(y1-y0)*0.03; a=x0+fx*(x1-x0); b=y0+fy*(y1-y0); print(f'{a:.7f},{b:.7f},{a+w:.7f},{b+h:.7f}')")
    IFS=, read -r bw bs be bn <<< "$box"
    want=$(sqlite3 -cmd '.load mod_spatialite' "$DB" "SELECT code FROM areas WHERE Intersects(geom, BuildMbr($bw,$bs,$be,$bn,4326)) ORDER BY code" | paste -sd,)
    env=$(sqlite3 -cmd '.load mod_spatialite' "$DB" "SELECT count(*) FROM areas WHERE MbrIntersects(geom, BuildMbr($bw,$bs,$be,$bn,4326))")
    got=$(curl -fsS "$BASE/collections/areas/items?limit=10000&bbox=$box" | python3 -c 'import json,sys; print(",".join(sorted(str(f["id"]) for f in json.load(sys.stdin)["features"])))')
    [ "$got" = "$want" ] || echo "bbox $box: served [$got], SpatiaLite [$want]" >> "$WORK/boxcheck"
    if [ "$env" -gt "$(echo "$want" | tr ',' '\n' | grep -c .)" ]; then envelope_only=$((envelope_only + 1)); fi
  done
done < "$WORK/envs"
check "7.15.3 /req/core/fc-bbox-response: areas by geometry equal SpatiaLite Intersects() for $(($(wc -l < "$WORK/envs") * 5)) boxes ($envelope_only meet only an envelope)" \
  test ! -s "$WORK/boxcheck" -a "$envelope_only" -gt 0
if [ -s "$WORK/boxcheck" ]; then head -5 "$WORK/boxcheck"; fi
# The same for a computed collection paged from the result cache (the black spots' hulls,
# polygons whose envelopes are much larger than they are): SpatiaLite's Intersects() on each
# served hull's GeoJSON is the reference, for boxes in its envelope's corners and inside it.
curl -fsS "${AUTH[@]}" "$BASE/collections/blackspot_hulls/items?limit=10000" > "$WORK/hulls.json"
if python3 - "$WORK/hulls.json" "$DB" "$BASE" "$TOKEN" > "$WORK/hullcheck" 2>&1 <<'PY'
import json, subprocess, sys, urllib.request
hulls, db, base, token = json.load(open(sys.argv[1]))["features"], sys.argv[2], sys.argv[3], sys.argv[4]
boxes, sql = [], []
for f in hulls:
    xs = [p[0] for r in f["geometry"]["coordinates"] for p in r]
    ys = [p[1] for r in f["geometry"]["coordinates"] for p in r]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    for fx, fy in ((0, 0), (0.8, 0), (0, 0.8), (0.8, 0.8), (0.4, 0.4)):
        a, b = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
        boxes.append((a, b, a + 0.2 * (x1 - x0), b + 0.2 * (y1 - y0)))
for k, (a, b, c, d) in enumerate(boxes):
    for f in hulls:
        g = json.dumps(f["geometry"]).replace("'", "''")
        sql.append(f"SELECT {k}, '{f['id']}' WHERE Intersects(SetSRID(GeomFromGeoJSON('{g}'), 4326), BuildMbr({a!r}, {b!r}, {c!r}, {d!r}, 4326));")
out = subprocess.run(["sqlite3", "-cmd", ".load mod_spatialite", db], input="\n".join(sql),
                     capture_output=True, text=True, check=True).stdout
want = {}
for line in out.split():
    k, i = line.split("|")
    want.setdefault(int(k), set()).add(i)
bad = envelope_only = 0
for k, (a, b, c, d) in enumerate(boxes):
    req = urllib.request.Request(f"{base}/collections/blackspot_hulls/items?limit=10000&bbox={a!r},{b!r},{c!r},{d!r}",
                                 headers={"Authorization": "Bearer " + token})
    got = {str(f["id"]) for f in json.load(urllib.request.urlopen(req))["features"]}
    env = sum(1 for f in hulls if not (max(p[0] for r in f["geometry"]["coordinates"] for p in r) < a or
              min(p[0] for r in f["geometry"]["coordinates"] for p in r) > c or
              max(p[1] for r in f["geometry"]["coordinates"] for p in r) < b or
              min(p[1] for r in f["geometry"]["coordinates"] for p in r) > d))
    envelope_only += env > len(want.get(k, set()))
    if got != want.get(k, set()):
        bad += 1
        print("box", k, "served", sorted(got), "SpatiaLite", sorted(want.get(k, set())))
print(len(hulls), "hulls", len(boxes), "boxes", envelope_only, "envelope-only")
sys.exit(1 if bad or not hulls or not envelope_only else 0)
PY
then ok "fc-bbox-response: black-spot hulls by geometry equal SpatiaLite Intersects() ($(tail -1 "$WORK/hullcheck"))"
else bad "fc-bbox-response on the black-spot hulls: $(head -3 "$WORK/hullcheck" | tr '\n' ' ')"; fi
# Every collection's extent contains every feature of its default view (issue 15), for planners
# and the public: /collections/{id} agrees with /collections, and all pages are read.
cat > "$WORK/extent.py" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(u):
    h = {"Authorization": "Bearer " + token} if token else {}
    return json.load(urllib.request.urlopen(urllib.request.Request(u if u.startswith("http") else base + u, headers=h)))
def coords(c):
    if c and isinstance(c[0], (int, float)):
        yield c
    else:
        for x in c or []:
            yield from coords(x)
bad, seen = [], 0
for coll in get("/collections")["collections"]:
    cid = coll["id"]
    ext = coll["extent"]["spatial"]["bbox"][0]
    if get(f"/collections/{cid}")["extent"]["spatial"]["bbox"][0] != ext:
        bad.append(f"{cid}: /collections/{cid} disagrees with /collections")
    u = f"/collections/{cid}/items?limit=10000"
    while u:
        d = get(u)
        for f in d["features"]:
            seen += 1
            for x, y, *_ in coords((f.get("geometry") or {}).get("coordinates")):
                if not (ext[0] <= x <= ext[2] and ext[1] <= y <= ext[3]):
                    bad.append(f"{cid} feature {f.get('id')}: ({x}, {y}) outside {ext}")
        u = next((l["href"] for l in d["links"] if l["rel"] == "next"), None)
print(f"{seen} features", *bad[:3], sep="; ")
sys.exit(1 if bad or not seen else 0)
PY
for who in planner public; do
  tok=$([ $who = planner ] && echo "$TOKEN" || echo "")
  if r=$(python3 "$WORK/extent.py" "$BASE" "$tok" 2>&1); then ok "extents: every $who collection's extent contains its features ($r)"
  else bad "extents ($who): $r"; fi
done
# 7.16.2: a single feature links to itself and its collection
ACODE=$(sqlite3 "$DB" 'SELECT code FROM areas ORDER BY code LIMIT 1')
for u in "/collections/areas/items/$ACODE" /collections/incidents/items/1 '/collections/hotspots/items/1?cell=250' /collections/blackspots/items/1; do
  s=$(get "$u" "${AUTH[@]}")
  check "7.16.2 $u has self and collection links" jcheck "{l['rel'] for l in d['links']}>={'self','collection'} and [l['href'] for l in d['links'] if l['rel']=='self'][0].endswith('${u%%\?*}')"
done

# ---- bad requests: each 4xx, never 5xx ----
BAD=(
  "/collections/areas/items?bbox=1,2,3"
  "/collections/areas/items?bbox=10,10,5,5"
  "/collections/areas/items?bbox=-200,0,10,10"
  "/collections/areas/items?bbox=0,-95,10,10"
  "/collections/areas/items?bbox=nan,0,1,1"
  "/collections/areas/items?bbox=inf,0,1,1"
  "/collections/areas/items?bbox=0x1,0,1,1"
  "/collections/areas/items?bbox=1,2,3,4,5,6,7"
  "/collections/areas/items?limit=0"
  "/collections/areas/items?limit=-1"
  "/collections/areas/items?limit=10%00"
  "/collections/areas/items?mechanism=traffic%00fall"
  "/collections/areas/items?limit=1e3"
  "/collections/areas/items?limit=99999999999999999999999"
  "/collections/areas/items?offset=-5"
  "/collections/areas/items?offset=abc"
  "/collections/areas/items?datetime=2013-13-01"
  "/collections/areas/items?datetime=../.."
  "/collections/areas/items?datetime=2014-01-01/2013-01-01"
  "/collections/areas/items?datetime=yesterday"
  "/collections/areas/items?mechanism=flying"
  "/collections/areas/items?severity="
  "/collections/areas/items?age=5-200"
  "/collections/areas/items?from=2013-02-30"
  "/collections/areas/items?area=NOPE"
  "/collections/areas/items?weight=heavy"
  "/collections/areas/items?unknown=1"
  "/collections/areas/items?f=xml"
  "/collections/areas/items?limit=1&limit=2"
  "/collections/areas/items/NOPE"
  "/collections/incidents/items/abc"
  "/collections/incidents/items/-1"
  "/conformance?x=1"
  "/healthz?x=1"
  "/api/config?x=1"
  "/nope"
  "/../../etc/passwd"
  "/%2e%2e/%2e%2e/etc/passwd"
  "/.hidden"
  "/collections/areas/items?bbox=%00"
  "/collections/%00/items"
)
if has_path '/tiles/density/{z}/{x}/{y}.png'; then BAD+=(
  "/tiles/density/25/0/0.png" "/tiles/density/1/2/0.png" "/tiles/density/1/0/2.png"
  "/tiles/density/-1/0/0.png" "/tiles/density/a/b/c.png" "/tiles/density/3/1/1.jpg"
  "/tiles/density/10/1/1.png?bandwidth=-5" "/tiles/density/10/1/1.png?bandwidth=nan"
  "/tiles/density/10/1/1.png?bandwidth=1e9" "/tiles/density/10/1/1.png?kernel=box"
  "/tiles/density/10/1/1.png?zoom=3" "/tiles/density/99999999999999999999/0/0.png"); fi
if has_path /api/stats; then BAD+=("/api/stats?by=colour" "/api/stats?format=xml"); fi
if has_path /api/evaluate; then BAD+=("/api/evaluate" "/api/evaluate?area=$CODE&start=2013-99-01" "/api/evaluate?area=$CODE&start=2013-01-01&before_days=0"); fi
if has_path /api/density.tif; then BAD+=("/api/density.tif?cell=0.001" "/api/density.tif?kernel=box" "/api/density.tif?bandwidth=-1"); fi
if has_path /api/blackspots; then BAD+=("/api/blackspots?eps=-1" "/api/blackspots?min_points=1" "/api/blackspots?eps=abc"); fi
NBAD=0
for u in "${BAD[@]}"; do
  s=$(curl -s -o "$WORK/body" -w '%{http_code}' --path-as-is "${AUTH[@]}" "$BASE$u")
  if [ "$s" -ge 400 ] && [ "$s" -lt 500 ] && python3 -c "import json; d=json.load(open('$WORK/body')); assert d['code'] and d['description']" 2>/dev/null; then
    ok "bad request $u -> $s JSON error"
  else bad "bad request $u -> $s"; fi
  NBAD=$((NBAD + 1))
done
s=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/collections"); check "DELETE 405" test "$s" = 405
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" -H 'Content-Type: application/geo+json' --data '{' "$BASE/collections/incidents/items"); check "POST broken JSON 400" test "$s" = 400
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" -H 'Content-Type: text/plain' --data 'x' "$BASE/collections/incidents/items"); check "POST text/plain 415" test "$s" = 415
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" -H 'Content-Type: application/json' --data '{}' "$BASE/collections/areas/items"); check "POST to areas 405" test "$s" = 405
s=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Basic abc' "$BASE/collections"); check "malformed Authorization 401" test "$s" = 401
check "at least 30 bad requests tried ($NBAD)" test "$NBAD" -ge 30
if timeout 900 python3 tests/integration/server/fuzz.py "$BASE" "$TOKEN" 300 1 > "$WORK/fuzz.txt" 2>&1; then
  ok "300 random hostile requests: no 5xx, no dropped connection ($(tail -1 "$WORK/fuzz.txt"))"
else
  bad "300 random hostile requests: no 5xx, no dropped connection"
  head -5 "$WORK/fuzz.txt" | sed 's/^/#   /'
fi
s=$(get /healthz); check "server alive after the bad requests" test "$s" = 200
check "no 5xx in the access log" bash -c "! grep -E ' 5[0-9][0-9] [0-9]+ [0-9.]+$' '$WORK/access.log'"
check "one access-log line per request (method path status bytes ms)" grep -Eq '^GET /healthz 200 [0-9]+ [0-9.]+$' "$WORK/access.log"

kill -TERM "$PID"; for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then bad "graceful shutdown on SIGTERM"; else wait "$PID"; rc=$?; PID=; check "graceful shutdown on SIGTERM (exit 0)" test "$rc" = 0; fi
if [ "$FAILS" != 0 ]; then
  echo "# server messages (other than the access log):"
  grep -Ev '^(GET|POST|HEAD|OPTIONS|DELETE|PUT) ' "$WORK/access.log" | head -40 | sed 's/^/#   /'
fi
echo "server.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
