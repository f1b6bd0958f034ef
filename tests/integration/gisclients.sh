#!/usr/bin/env bash
# gisclients.sh - GIS clients read the collections as they would in the field (issue 15), with
# GDAL's own OGC API - Features driver (OAPIF) against a live `hazmap serve` on the sample:
#  1. a full ogr2ogr copy of the planners' hot spots at GDAL's default page size (10 in GDAL 3.6)
#     costs one computation (/metrics: hazmap_analysis_computations_total) and, as GDAL follows
#     the next links whose limit doubles up to 1,000, about a hundred requests, not thousands;
#  2. GeoPackage and Shapefile copies of the collections keep every field and every value;
#  3. f=csv and f=gpkg downloads of the items (BOM, attachment name, every feature, readable by OGR);
#  4. OGC API - Features Part 2 (CRS by reference), each requirement named by its clause;
#  5. OGC API - Tiles for the density layer: GDAL reading the tile template gets the XYZ tiles.
# Env: HAZMAP (binary, default build/hazmap); GISCLIENTS_ONLY="2 4" runs only those parts.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
command -v ogr2ogr > /dev/null || { echo "FAIL - ogr2ogr is not installed (gdal-bin)"; exit 1; }
TMP=$(mktemp -d "/tmp/hazmap-gisclients-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }

tools/load-sample.sh "$HAZMAP" "$TMP/sample.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role planner | tail -1 | tr -d '[:space:]')
hz_serve "$TMP/server.log" "$TMP/server.log" --db "$TMP/sample.sqlite" ||
  { echo "FAIL - hazmap serve did not start"; exit 1; }
PID=$HZ_PID
B=$BASE
AUTH=(--config GDAL_HTTP_HEADERS "Authorization: Bearer $TOKEN")
want() { [ -z "${GISCLIENTS_ONLY:-}" ] || [[ " $GISCLIENTS_ONLY " == *" $1 "* ]]; }
computations() { curl -fsS "$B/metrics" | sed -n "s/^hazmap_analysis_computations_total{analysis=\"$1\"} //p"; }

# ---- 1. one computation for a whole copy at GDAL's default page size
if want 1; then
t0=$(date +%s.%N)
if ogr2ogr -f GPKG "$TMP/hotspots.gpkg" "OAPIF:$B/collections/hotspots" "${AUTH[@]}" 2> "$TMP/ogr.err"; then
  secs=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  pages=$(grep -c 'GET /collections/hotspots/items' "$TMP/server.log")
  n=$(ogrinfo -ro -so "$TMP/hotspots.gpkg" hotspots | sed -n 's/^Feature Count: //p')
  matched=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/hotspots/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
  c=$(computations hotspots)
  # the pages' limits, in the order asked: GDAL's own 10 (twice: the schema, then the first
  # page), then the next links' 20, 40, ... up to 1000
  limits=$(sed -n 's|^GET /collections/hotspots/items?.*limit=\([0-9]*\).*|\1|p' "$TMP/server.log" | head -n "$pages" | paste -sd' ')
  want_limits=$(python3 -c "
n, l, out, off = $matched, 10, ['10', '10'], 10
while off < n:
    l = min(2 * l, 1000); out.append(str(l)); off += l
print(' '.join(out))")
  if [ "$n" = "$matched" ] && [ "$c" = 1 ] && [ "$limits" = "$want_limits" ]; then
    ok "ogr2ogr copied all $n hot-spot cells in $pages pages ($secs s) with 1 computation, limits $limits"
  else
    bad "ogr2ogr hot spots: $n of $matched cells, $pages pages, computations '$c' (want 1), limits '$limits' (want '$want_limits')"
  fi
else
  bad "ogr2ogr of the hot spots failed: $(tail -3 "$TMP/ogr.err")"
fi
fi

# ---- 2. GeoPackage and Shapefile copies keep every field and value of every collection
# compare.py SERVER.json COPY.json FORMAT: the copy has every feature and, for every property the
# server sends as a number, string or boolean (the flat columns), a field with the same value:
# same name (in a Shapefile cut to dBASE's 10 characters; written as UTF-8), no list-typed field
# among them. The server's page is its first 10,000 features (the copy has them all, in order).
# dBASE has dates but no date-times: the incidents' occurred_at goes to a Shapefile as text
# (-mapFieldType DateTime=String, as README.md tells QGIS and GDAL users), else its time is lost.
cat > "$TMP/compare.py" <<'PY'
import json, re, sys
src, cp, fmt = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
def when(x):  # OGR writes a date-time as text its own way: 2012/01/01 00:31:00+08
    if isinstance(x, str) and re.match(r"^\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d", x):
        x = x[:10].replace("/", "-") + "T" + x[11:]
        if re.search(r"[+-]\d\d$", x):
            x += ":00"
    return x
a, b = src["features"], cp["features"]
assert len(b) == src["numberMatched"], f"{len(b)} features of {src['numberMatched']}"
bad = []
for fa, fb in zip(a, b):
    pa, pb = fa["properties"], fb["properties"]
    for k, v in pa.items():
        if isinstance(v, (dict, list)):
            continue  # nested (the page's charts): JSON text or lists in a copy
        kb = k if fmt == "GPKG" or k in pb else k[:10]
        if kb is None or kb not in pb:
            bad.append(f"field {k} missing"); continue
        w = pb[kb]
        if isinstance(w, list):
            bad.append(f"field {k} is a list"); continue
        if isinstance(v, bool):
            ok = w in (v, int(v), "T" if v else "F")
        elif isinstance(v, (int, float)) and v is not None:
            ok = isinstance(w, (int, float)) and abs(w - v) <= 1e-9 * max(1, abs(v))
        elif v is None:
            ok = w in (None, "", 0) if fmt != "GPKG" else w is None
        else:
            ok = when(w) == when(v) and (fmt == "GPKG" or len(v.encode()) <= 254)
        if not ok:
            bad.append(f"feature {fa.get('id')} {k}: {v!r} became {w!r}")
    if len(bad) > 5:
        break
assert not bad, "; ".join(bad[:5])
print(len(a))
PY
want 2 && for coll in areas incidents blackspots blackspot_hulls emerging; do
  curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?limit=10000" > "$TMP/$coll.json" || { bad "GET $coll items"; continue; }
  for fmt in GPKG "ESRI Shapefile"; do
    ext=gpkg; [ "$fmt" = GPKG ] || ext=shp
    rm -rf "$TMP/copy.$ext" "$TMP/copy.json"
    if ogr2ogr -f "$fmt" "$TMP/copy.$ext" "OAPIF:$B/collections/$coll" -oo PAGE_SIZE=10000 -nln "$coll" "${AUTH[@]}" $([ "$ext" = shp ] && echo -lco ENCODING=UTF-8 -mapFieldType DateTime=String) 2> "$TMP/copy.err" &&
      ogr2ogr -f GeoJSON "$TMP/copy.json" "$TMP/copy.$ext" 2>> "$TMP/copy.err" &&
      out=$(python3 "$TMP/compare.py" "$TMP/$coll.json" "$TMP/copy.json" "$fmt" 2>&1); then
      ok "$coll -> $fmt: $out features, every flat field and value kept"
    else
      bad "$coll -> $fmt: ${out:-$(tail -3 "$TMP/copy.err")}"
    fi
    out=
  done
done

# ---- 3. downloads: f=csv (BOM, attachment) and f=gpkg of every collection's items
want 3 && for coll in areas hotspots blackspots blackspot_hulls emerging incidents; do
  for f in csv gpkg; do
    rm -f "$TMP/dl.$f"
    hdr=$(curl -fsS -D - -o "$TMP/dl.$f" -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?f=$f&limit=100000" | tr -d '\r')
    n=$(ogrinfo -ro -so -al "$TMP/dl.$f" 2>/dev/null | sed -n 's/^Feature Count: //p' | head -1)
    want=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?limit=1" | python3 -c 'import json,sys; print(min(100000, json.load(sys.stdin)["numberMatched"]))')
    bom=1
    [ "$f" = csv ] && { [ "$(head -c 3 "$TMP/dl.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] || bom=0; }
    if echo "$hdr" | grep -qi "^content-disposition: attachment; filename=\"hazmap-$coll.$f\"" && [ "$n" = "$want" ] && [ $bom = 1 ]; then
      ok "$coll f=$f: $n features, attachment hazmap-$coll.$f$([ "$f" = csv ] && echo ', UTF-8 BOM')"
    else
      bad "$coll f=$f: $n features of $want, BOM $bom, headers: $(echo "$hdr" | grep -i 'content-')"
    fi
  done
done

# ---- 4. OGC API - Features Part 2: Coordinate Reference Systems by Reference (OGC 18-058)
part4() {
C84=http://www.opengis.net/def/crs/OGC/1.3/CRS84
CGCS=http://www.opengis.net/def/crs/EPSG/0/4490
H=(-H "Authorization: Bearer $TOKEN")
# /conf/crs declared in /conformance (Requirements class "crs", 6.1)
curl -fsS "$B/conformance" | grep -q 'ogcapi-features-2/1.0/conf/crs' && ok "conformance declares ogcapi-features-2 crs" || bad "conformance lacks Part 2 crs"
# /req/crs/fc-md-crs-list, /req/crs/fc-md-storageCrs: every collection lists its CRSs and its storage CRS
if curl -fsS "${H[@]}" "$B/collections" | python3 -c "
import json, sys
d = json.load(sys.stdin)
for c in d['collections']:
    assert c['crs'][0] == '$C84' and '$CGCS' in c['crs'] and 'http://www.opengis.net/def/crs/EPSG/0/4326' in c['crs'] and 'http://www.opengis.net/def/crs/EPSG/0/3857' in c['crs'], c['id']
    assert any(u.startswith('http://www.opengis.net/def/crs/EPSG/0/326') for u in c['crs']), c['id']
    assert c['storageCrs'] == '$C84', c['id']
"; then ok "every collection lists CRS84, EPSG 4326, 4490, 3857 and its UTM zone, storageCrs CRS84"; else bad "a collection's crs list or storageCrs"; fi
# /req/crs/fc-crs-valid-value: a crs the collection does not list is a 400
s=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$B/collections/areas/items?crs=http://www.opengis.net/def/crs/EPSG/0/9999")
[ "$s" = 400 ] && ok "an unknown crs is a 400" || bad "an unknown crs answered $s"
# /req/crs/ogc-crs-header: Content-Crs names the CRS of the features (CRS84 when none was asked)
h84=$(curl -fsS -D - -o /dev/null "${H[@]}" "$B/collections/areas/items?limit=1" | tr -d '\r' | sed -n 's/^Content-Crs: //ip')
h90=$(curl -fsS -D - -o /dev/null "${H[@]}" "$B/collections/areas/items?limit=1&crs=$CGCS" | tr -d '\r' | sed -n 's/^Content-Crs: //ip')
[ "$h84" = "<$C84>" ] && [ "$h90" = "<$CGCS>" ] && ok "Content-Crs: $h84 by default, $h90 with crs" || bad "Content-Crs '$h84' / '$h90'"
# /req/crs/crs-action: the CGCS2000 features, read by GDAL (OAPIF, the crs in the collection's URL),
# have the CRS84 coordinates with the axes swapped (EPSG:4490 is latitude first), within 1e-9
# (the public's collections, from the release, too: "public:")
for coll in areas blackspots blackspot_hulls public:areas public:emerging; do
  who=("${AUTH[@]}")
  [ "${coll#public:}" != "$coll" ] && who=()
  rm -f "$TMP/c84.json" "$TMP/c4490.json"
  if ogr2ogr -f GeoJSON "$TMP/c84.json" "OAPIF:$B/collections/${coll#public:}" -oo PAGE_SIZE=1000 ${who[@]+"${who[@]}"} 2> "$TMP/crs.err" &&
    ogr2ogr -f GeoJSON "$TMP/c4490.json" "OAPIF:$B/collections/${coll#public:}?crs=$CGCS" -oo PAGE_SIZE=1000 ${who[@]+"${who[@]}"} 2>> "$TMP/crs.err" &&
    out=$(python3 - "$TMP/c84.json" "$TMP/c4490.json" <<'PY' 2>&1
import json, sys
a, b = (json.load(open(f))["features"] for f in sys.argv[1:3])
assert len(a) == len(b) and a, (len(a), len(b))
def pts(c):
    if isinstance(c[0], (int, float)):
        yield c
    else:
        for x in c:
            yield from pts(x)
n = worst = 0
for fa, fb in zip(a, b):
    for p, q in zip(pts(fa["geometry"]["coordinates"]), pts(fb["geometry"]["coordinates"])):
        worst = max(worst, abs(p[0] - q[1]), abs(p[1] - q[0]))
        n += 1
assert n and worst <= 1e-9, (n, worst)
print(f"{len(a)} features, {n} positions, largest difference {worst:g}")
PY
); then ok "$coll in EPSG:4490 through GDAL: CRS84 with the axes swapped ($out)"; else bad "$coll in EPSG:4490: ${out:-$(tail -2 "$TMP/crs.err")}"; fi
  out=
done
# /req/crs/crs-action, /req/crs/ogc-crs-header on single features (/collections/{id}/items/{fid}):
# an area (GDAL's GeoJSON driver reading the item's URL) and an incident (GDAL's OAPIF driver
# asking for one feature by its id: ogr2ogr -fid) in EPSG:4490 are the CRS84 ones with the axes
# swapped, within 1e-9; Content-Crs names the CRS
AREA=$(curl -fsS "${H[@]}" "$B/collections/areas/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
INC=$(curl -fsS "${H[@]}" "$B/collections/incidents/items?limit=1&offset=7" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')
one_pair() { # NAME SRC84 SRC4490 [ogr2ogr options...]
  local name=$1 s84=$2 s90=$3
  shift 3
  rm -f "$TMP/o84.json" "$TMP/o4490.json"
  if ogr2ogr -f GeoJSON "$TMP/o84.json" "$s84" "$@" 2> "$TMP/one.err" &&
    ogr2ogr -f GeoJSON "$TMP/o4490.json" "$s90" "$@" 2>> "$TMP/one.err" &&
    out=$(python3 - "$TMP/o84.json" "$TMP/o4490.json" <<'PY' 2>&1
import json, sys
a, b = (json.load(open(f))["features"] for f in sys.argv[1:3])
assert len(a) == 1 == len(b), (len(a), len(b))
def pts(c):
    if isinstance(c[0], (int, float)):
        yield c
    else:
        for x in c:
            yield from pts(x)
n = worst = 0
for p, q in zip(pts(a[0]["geometry"]["coordinates"]), pts(b[0]["geometry"]["coordinates"])):
    worst = max(worst, abs(p[0] - q[1]), abs(p[1] - q[0]))
    n += 1
assert n and worst <= 1e-9, (n, worst)
print(f"{n} positions, largest difference {worst:g}")
PY
); then ok "$name in EPSG:4490 through GDAL: CRS84 with the axes swapped ($out)"; else bad "$name in EPSG:4490: ${out:-$(tail -2 "$TMP/one.err")}"; fi
  out=
}
one_pair "area $AREA (single feature)" "$B/collections/areas/items/$AREA" "$B/collections/areas/items/$AREA?crs=$CGCS" "${AUTH[@]}"
one_pair "incident $INC (single feature, OAPIF -fid)" "OAPIF:$B/collections/incidents" "OAPIF:$B/collections/incidents?crs=$CGCS" -fid "$INC" "${AUTH[@]}"
one_pair "public area $AREA (single feature)" "$B/collections/areas/items/$AREA" "$B/collections/areas/items/$AREA?crs=$CGCS"
for u in "areas/items/$AREA" "incidents/items/$INC"; do
  h90=$(curl -fsS -D - -o /dev/null "${H[@]}" "$B/collections/$u?crs=$CGCS" | tr -d '\r' | sed -n 's/^Content-Crs: //ip')
  h84=$(curl -fsS -D - -o /dev/null "${H[@]}" "$B/collections/$u" | tr -d '\r' | sed -n 's/^Content-Crs: //ip')
  [ "$h84" = "<$C84>" ] && [ "$h90" = "<$CGCS>" ] && ok "$u: Content-Crs $h84, $h90 with crs" || bad "$u: Content-Crs '$h84' / '$h90'"
done
s=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$B/collections/incidents/items/$INC?crs=EPSG:9999")
[ "$s" = 400 ] && ok "a single incident in an unknown crs is a 400" || bad "a single incident with crs=EPSG:9999 answered $s"
# /req/crs/fc-bbox-crs-action: a bbox in bbox-crs selects what the same box in CRS84 does
n84=$(curl -fsS "${H[@]}" "$B/collections/blackspots/items?bbox=104.05,30.60,104.10,30.66" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
n90=$(curl -fsS "${H[@]}" "$B/collections/blackspots/items?bbox=30.60,104.05,30.66,104.10&bbox-crs=$CGCS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
[ -n "$n84" ] && [ "$n84" = "$n90" ] && ok "bbox-crs EPSG:4490 (latitude first) selects the same $n84 black spots as the CRS84 box" || bad "bbox-crs: $n90 vs $n84"
}
want 4 && part4

# ---- 5. OGC API - Tiles (OGC 20-057) of the density layer
part5() {
if python3 - "$B" "$TOKEN" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    rq = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(rq))
conf = get("/conformance")["conformsTo"]
for c in ("ogcapi-tiles-1/1.0/conf/core", "ogcapi-tiles-1/1.0/conf/tileset", "ogcapi-tiles-1/1.0/conf/tilesets-list", "tms/2.0/conf/json-tilematrixset"):
    assert any(u.endswith(c) for u in conf), c
coll = get("/collections/density?mechanism=traffic")
ts = [l for l in coll["links"] if l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"]
assert ts and "mechanism=traffic" in ts[0]["href"], coll["links"]  # the view is kept
sets = get(ts[0]["href"][len(base):])["tilesets"]
assert sets[0]["tileMatrixSetURI"].endswith("/WebMercatorQuad") and sets[0]["crs"].endswith("/3857")
one = get("/collections/density/tiles/WebMercatorQuad")
item = [l for l in one["links"] if l["rel"] == "item"][0]
assert item["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}") and item["type"] == "image/png"
assert one["tileMatrixSetLimits"][0]["tileMatrix"] == "10"
tms = get("/tileMatrixSets/WebMercatorQuad")
m = tms["tileMatrices"]
assert len(m) == 25 and m[0]["matrixWidth"] == 1 and m[13]["matrixWidth"] == 8192
assert abs(m[0]["scaleDenominator"] - 559082264.0287178) < 1e-3, m[0]["scaleDenominator"]
o = m[0]["pointOfOrigin"]
assert abs(o[0] + 20037508.342789244) < 1e-6 and abs(o[1] - 20037508.342789244) < 1e-6, o
assert tms["crs"].endswith("/3857")
PY
then ok "/collections/density links its tilesets (the view kept), the WebMercatorQuad tileset and tile matrix set"; else bad "OGC API - Tiles documents"; fi
# GDAL's TMS minidriver reads the tile template {tileMatrix}/{tileRow}/{tileCol}: the pixels of a
# z13 tile over the sample are the XYZ route's /tiles/density/13/{x}/{y}.png
read -r z x y a b c d <<< "$(python3 -c '
import math
lon, lat, z = 104.08, 30.65, 13
n = 2 ** z; x = int((lon + 180) / 360 * n); y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
R = 6378137 * math.pi; s = 2 * R / n
print(z, x, y, -R + x * s, R - y * s, -R + (x + 1) * s, R - (y + 1) * s)')"
cat > "$TMP/density.xml" <<XML
<GDAL_WMS><Service name="TMS"><ServerUrl>$B/collections/density/tiles/WebMercatorQuad/\${z}/\${y}/\${x}</ServerUrl></Service>
<DataWindow><UpperLeftX>-20037508.342789244</UpperLeftX><UpperLeftY>20037508.342789244</UpperLeftY><LowerRightX>20037508.342789244</LowerRightX><LowerRightY>-20037508.342789244</LowerRightY><TileLevel>$z</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY><YOrigin>top</YOrigin></DataWindow>
<Projection>EPSG:3857</Projection><BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY><BandsCount>4</BandsCount></GDAL_WMS>
XML
curl -fsS -o "$TMP/xyz.png" "$B/tiles/density/$z/$x/$y.png"
if gdal_translate -q -projwin "$a" "$b" "$c" "$d" "$TMP/density.xml" "$TMP/ogc.tif" --config GDAL_DEFAULT_WMS_CACHE_PATH "$TMP/wmscache" &&
  gdal_translate -q -expand rgba "$TMP/xyz.png" "$TMP/xyz.tif"; then
  s1=$(gdalinfo -checksum "$TMP/ogc.tif" | grep -o 'Checksum=[0-9]*' | paste -sd,)
  s2=$(gdalinfo -checksum "$TMP/xyz.tif" | grep -o 'Checksum=[0-9]*' | paste -sd,)
  if [ "$s1" = "$s2" ] && [ "$s1" != "Checksum=0,Checksum=0,Checksum=0,Checksum=0" ]; then
    ok "gdal_translate of the OGC tile template (z/row/col) gives the XYZ tile $z/$x/$y pixel for pixel ($s1)"
  else
    bad "OGC tile vs XYZ tile: $s1 vs $s2"
  fi
else
  bad "gdal_translate of the OGC tile template failed"
fi
# GDAL 3.6's experimental OGCAPI driver is told of, not required (its tiles draft predates 20-057)
if gdalinfo "OGCAPI:$B/collections/density" > "$TMP/ogcapi.txt" 2>&1; then
  ok "gdalinfo OGCAPI:…/collections/density opens ($(grep -m1 'Size is' "$TMP/ogcapi.txt"))"
else
  echo "note gdalinfo OGCAPI: (GDAL $(gdalinfo --version | cut -d' ' -f2 | tr -d ,)) does not open it: $(grep -m1 ERROR "$TMP/ogcapi.txt")"
fi
}
want 5 && part5

echo "gisclients.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
