#!/usr/bin/env bash
# roads.sh - the street layer's tiles (/tiles/roads/{z}/{x}/{y}.png) and the roads collection
# against a live `hazmap serve` on the bundled sample (issue 10).
#
# Status codes and content types; bad tile addresses and any query parameter are a 400; the
# collection's paging, bbox and item rules (a filter or datetime is a 400); the same answer with
# and without a planner token; a second request of a tile is a cache hit (the metrics' tile-cache
# counter) and If-None-Match gives a 304; a tile over Jinjiang has non-transparent pixels and one
# far away none (decoded with Python's zlib: the PNG is read here, not trusted). Then the network
# density tiles (/tiles/network, its legend) and the screened road sites (road_sites): planners
# and editors get them, the public 401 (road_sites is not even listed for it); bad parameters
# 400; the sites ranked. A database without roads answers transparent tiles and empty collections.
# Env: HAZMAP (binary, default build/hazmap).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d /tmp/hazmap_roads_$$.XXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && { kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }; done
  rm -rf "$TMP"
}
trap cleanup EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

DB=$TMP/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL loading the sample"; exit 1; }
ok "sample loaded"
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
# An empty database (areas only, no roads): transparent tiles, empty collection.
EMPTY=$TMP/empty.sqlite
"$HAZMAP" import-areas --db "$EMPTY" data/jinjiang_district.geojson > /dev/null 2>&1 || bad "import-areas into the empty database"

start() { # start DB LOGNAME: sets PORT and BASE (hz_serve)
  hz_serve "$TMP/$2" "$TMP/$2" --db "$1" || return 1
  PIDS+=("$HZ_PID")
}
start "$DB" serve.log || { echo "FAIL hazmap serve did not start"; exit 1; }
B=$BASE

# The tile of lon/lat at zoom z: "z/x/y".
tile() { python3 -c "
import math, sys
lon, lat, z = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
n = 2 ** z
x = int((lon + 180) / 360 * n)
y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
print(f'{z}/{x}/{y}')" "$@"; }
# Pixels with alpha > 0 in an RGBA PNG (IHDR, IDAT inflate, PNG filters undone).
cat > "$TMP/alpha.py" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(d):
    n, kind = struct.unpack(">I4s", d[pos:pos + 8])
    body = d[pos + 8:pos + 8 + n]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype = ihdr[:4]
assert (w, h, depth, ctype) == (256, 256, 8, 6), ihdr
raw, bpp, stride = zlib.decompress(idat), 4, 256 * 4
prev, out, k = bytearray(stride), 0, 0
for _ in range(h):
    f, line = raw[k], bytearray(raw[k + 1:k + 1 + stride]); k += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    out += sum(1 for i in range(3, stride, 4) if line[i])
    prev = line
print(out)
PY
status() { curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' "$@"; }

# ---- tiles
T=$(tile 104.085 30.650 14)
r=$(status "$B/tiles/roads/$T.png")
[ "$r" = "200 image/png" ] && ok "GET /tiles/roads/$T.png: 200 image/png" || bad "GET /tiles/roads/$T.png: $r"
n=$(python3 "$TMP/alpha.py" "$TMP/body")
[ "$n" -gt 500 ] && ok "a tile over Jinjiang draws roads ($n non-transparent pixels)" || bad "tile over Jinjiang: $n non-transparent pixels"
curl -s -D "$TMP/h" -o /dev/null "$B/tiles/roads/$T.png"
etag=$(grep -i '^etag:' "$TMP/h" | cut -d' ' -f2- | tr -d '\r')
grep -qi '^cache-control: public, max-age=300' "$TMP/h" && [ -n "$etag" ] && ok "ETag and Cache-Control" || bad "tile headers: $(tr -d '\r' < "$TMP/h" | tr '\n' ' ')"
grep -qi '^vary:' "$TMP/h" && bad "a street tile varies by Authorization (it is the same for everyone)" || ok "no Vary: one tile for every audience"
r=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B/tiles/roads/$T.png")
[ "$r" = 304 ] && ok "If-None-Match: 304" || bad "If-None-Match: $r"
hits() { curl -s "$B/metrics" | awk '/^hazmap_cache_requests_total\{cache="tile",outcome="hit"\}/ {print $2}'; }
T2=$(tile 104.09 30.64 15)
curl -s -o /dev/null "$B/tiles/roads/$T2.png"
h0=$(hits)
curl -s -o "$TMP/a.png" "$B/tiles/roads/$T2.png"
h1=$(hits)
[ -n "$h0" ] && [ "$h1" = "$((h0 + 1))" ] && ok "a repeated tile is a cache hit ($h0 -> $h1)" || bad "cache hits $h0 -> $h1"
curl -s -o "$TMP/b.png" -H "Authorization: Bearer $TOKEN" "$B/tiles/roads/$T2.png"
cmp -s "$TMP/a.png" "$TMP/b.png" && ok "a planner gets the same tile bytes" || bad "planner's tile differs"
FAR=$(tile 2.35 48.85 14)
status "$B/tiles/roads/$FAR.png" > /dev/null
n=$(python3 "$TMP/alpha.py" "$TMP/body")
[ "$n" = 0 ] && ok "a tile far from the roads is transparent" || bad "far tile: $n pixels"
for u in "/tiles/roads/25/0/0.png" "/tiles/roads/3/8/0.png" "/tiles/roads/3/0/8.png" "/tiles/roads/-1/0/0.png" \
         "/tiles/roads/3/1/1.jpg" "/tiles/roads/3/1/1" "/tiles/roads/3/1.5/1.png" "/tiles/roads/x/1/1.png" \
         "/tiles/roads/$T.png?mechanism=traffic" "/tiles/roads/$T.png?year=2013" "/tiles/roads/$T.png?f=json"; do
  r=$(status "$B$u")
  [ "${r%% *}" = 400 ] && ok "GET $u: 400" || bad "GET $u: $r"
done
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/tiles/roads/$T.png")
[ "$r" = 405 ] || [ "$r" = 401 ] && ok "POST a tile: $r" || bad "POST a tile: $r"

# ---- the collection
r=$(status "$B/collections")
python3 -c "import json,sys; c=[x['id'] for x in json.load(open(sys.argv[1]))['collections']]; assert 'roads' in c, c" "$TMP/body" \
  && ok "/collections lists roads for the public" || bad "/collections: roads missing"
r=$(status "$B/collections/roads")
[ "$r" = "200 application/json" ] && ok "GET /collections/roads: 200" || bad "GET /collections/roads: $r"
r=$(status "$B/collections/roads/items?limit=5")
[ "$r" = "200 application/geo+json" ] && ok "GET /collections/roads/items: 200 application/geo+json" || bad "items: $r"
cp "$TMP/body" "$TMP/page1.json"
python3 - "$TMP/page1.json" <<'PY' && ok "items: LineStrings with name, class, oneway, lanes, length_m; paging links" || bad "items shape"
import json, sys
fc = json.load(open(sys.argv[1]))
assert fc["numberReturned"] == 5 and fc["numberMatched"] > 1000, (fc["numberReturned"], fc["numberMatched"])
for f in fc["features"]:
    assert f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 2
    p = f["properties"]
    assert set(p) == {"id", "name", "class", "oneway", "lanes", "length_m"}, p
    assert p["id"] == f["id"] and p["length_m"] > 0 and p["oneway"] in (-1, 0, 1)
ids = [f["id"] for f in fc["features"]]
assert ids == sorted(ids), ids
assert any(l["rel"] == "next" and "offset=5" in l["href"] for l in fc["links"]), fc["links"]
assert "OpenStreetMap" in fc["provenance"]["attribution"]
PY
status "$B/collections/roads/items?limit=5&offset=5" > /dev/null
python3 -c "
import json, sys
a, b = (json.load(open(x)) for x in sys.argv[1:])
ia = [f['id'] for f in a['features']]; ib = [f['id'] for f in b['features']]
assert not set(ia) & set(ib) and max(ia) < min(ib), (ia, ib)" "$TMP/page1.json" "$TMP/body" && ok "offset pages on in id order" || bad "offset paging"
BBOX=104.080,30.645,104.090,30.655
status "$B/collections/roads/items?bbox=$BBOX&limit=10000" > /dev/null
python3 - "$TMP/body" "$BBOX" <<'PY' && ok "bbox: every segment meets the box, some segments found" || bad "bbox"
import json, sys
fc = json.load(open(sys.argv[1]))
w, s, e, n = map(float, sys.argv[2].split(","))
assert fc["numberMatched"] > 0 and fc["numberMatched"] == fc["numberReturned"], fc["numberMatched"]
for f in fc["features"]:
    xs = [c[0] for c in f["geometry"]["coordinates"]]; ys = [c[1] for c in f["geometry"]["coordinates"]]
    assert not (max(xs) < w or min(xs) > e or max(ys) < s or min(ys) > n), f["id"]
PY
# /req/core/fc-bbox-response: by the segment's line, not its envelope. Small boxes over the
# district: the segments served equal SpatiaLite's Intersects(), including boxes that meet a
# segment's envelope but not the segment.
if python3 - "$DB" "$B" > "$TMP/roadbox" 2>&1 <<'PY'
import json, random, subprocess, sys, urllib.request
db, base = sys.argv[1], sys.argv[2]
random.seed(7)
boxes = []
for _ in range(40):
    x, y = 104.05 + 0.06 * random.random(), 30.60 + 0.06 * random.random()
    boxes.append((x, y, x + 0.0015, y + 0.0015))
def sql(q):
    return subprocess.run(["sqlite3", "-cmd", ".load mod_spatialite", db], input=q, capture_output=True,
                          text=True, check=True).stdout.split()
bad = envelope_only = 0
for (a, b, c, d) in boxes:
    mbr = f"BuildMbr({a!r}, {b!r}, {c!r}, {d!r}, 4326)"
    want = set(sql(f"SELECT id FROM road_segments WHERE Intersects(geom, {mbr});"))
    env = int(sql(f"SELECT count(*) FROM road_segments WHERE MbrIntersects(geom, {mbr});")[0])
    envelope_only += env > len(want)
    fc = json.load(urllib.request.urlopen(f"{base}/collections/roads/items?limit=10000&bbox={a!r},{b!r},{c!r},{d!r}"))
    got = {str(f["id"]) for f in fc["features"]}
    if got != want:
        bad += 1
        print("box", (a, b, c, d), "served", len(got), "SpatiaLite", len(want), sorted(got ^ want)[:5])
print(len(boxes), "boxes,", envelope_only, "meet only an envelope")
sys.exit(1 if bad or not envelope_only else 0)
PY
then ok "bbox by the segments' lines equals SpatiaLite Intersects() ($(tail -1 "$TMP/roadbox"))"
else bad "bbox by geometry on roads: $(head -3 "$TMP/roadbox" | tr '\n' ' ')"; fi
FID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['features'][0]['id'])" "$TMP/page1.json")
r=$(status "$B/collections/roads/items/$FID")
[ "$r" = "200 application/geo+json" ] && grep -q '"collection"' "$TMP/body" && ok "GET /collections/roads/items/$FID: 200 with links" || bad "item: $r"
a=$(curl -s "$B/collections/roads/items?limit=3" | python3 -c "import json,sys; print([f['id'] for f in json.load(sys.stdin)['features']])")
p=$(curl -s -H "Authorization: Bearer $TOKEN" "$B/collections/roads/items?limit=3" | python3 -c "import json,sys; print([f['id'] for f in json.load(sys.stdin)['features']])")
[ "$a" = "$p" ] && ok "planners and the public get the same roads" || bad "public $a, planner $p"
for u in "/collections/roads/items?mechanism=traffic" "/collections/roads/items?datetime=2013-01-01" "/collections/roads/items?year=2013" \
         "/collections/roads/items?limit=0" "/collections/roads/items?limit=x" "/collections/roads/items?bbox=1,2,3" \
         "/collections/roads/items?offset=-1" "/collections/roads/items?f=xml" "/collections/roads/items/$FID?limit=3"; do
  r=$(status "$B$u")
  [ "${r%% *}" = 400 ] && ok "GET $u: 400" || bad "GET $u: $r"
done
for u in "/collections/roads/items/0" "/collections/roads/items/abc" "/collections/roads/items/999999999"; do
  r=$(status "$B$u")
  [ "${r%% *}" = 404 ] && ok "GET $u: 404" || bad "GET $u: $r"
done

# ---- network density tiles and the screened road sites: planners and editors only
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor | tail -1 | tr -d '[:space:]')
AP="Authorization: Bearer $TOKEN"
AE="Authorization: Bearer $EDITOR"
r=$(status -H "$AP" "$B/tiles/network/legend.json?mechanism=traffic")
[ "$r" = "200 application/json" ] && ok "network legend (planner): 200" || bad "network legend: $r $(head -c 200 "$TMP/body")"
python3 - "$TMP/body" <<'PY' && ok "network legend: 9 ascending breaks, colours, per km of road per year, lixels and snapped events" || bad "network legend shape"
import json, sys
j = json.load(open(sys.argv[1]))
b = j["breaks"]
assert len(b) == 9 and all(x < y for x, y in zip(b, b[1:])) and len(j["colors"]) == 9, j
assert j["unit"] == "incidents per km of road per year" and j["view"] == "mechanism=traffic&bandwidth=300", j
n = j["network"]
assert n["lixels"] > 10000 and 0 < n["nonzero_lixels"] <= n["lixels"] and n["snapped"] > 0 and n["years"] > 2.9, n
PY
r=$(status -H "$AP" "$B/tiles/network/$T.png?mechanism=traffic")
n=$(python3 "$TMP/alpha.py" "$TMP/body")
[ "$r" = "200 image/png" ] && [ "$n" -gt 500 ] && ok "network tile over Jinjiang (planner): roads coloured ($n pixels)" || bad "network tile: $r, $n pixels"
r=$(status -H "$AE" "$B/tiles/network/$T.png?mechanism=traffic")
[ "$r" = "200 image/png" ] && ok "network tile (editor): 200" || bad "network tile (editor): $r"
n=$(curl -s -o "$TMP/far.png" -w '%{http_code}' -H "$AP" "$B/tiles/network/$FAR.png?mechanism=traffic")
[ "$n" = 200 ] && [ "$(python3 "$TMP/alpha.py" "$TMP/far.png")" = 0 ] && ok "network tile far away: transparent" || bad "network far tile: $n"
h0=$(hits)
curl -s -o /dev/null -H "$AP" "$B/tiles/network/$T.png?mechanism=traffic"
h1=$(hits)
[ "$h1" = "$((h0 + 1))" ] && ok "a repeated network tile is a cache hit" || bad "network cache hits $h0 -> $h1"
for u in "/tiles/network/$T.png" "/tiles/network/legend.json" "/collections/road_sites/items" "/collections/road_sites/items/1"; do
  r=$(status "$B$u")
  [ "${r%% *}" = 401 ] && ok "public GET $u: 401" || bad "public GET $u: $r"
done
for u in "/tiles/network/$T.png?bandwidth=10" "/tiles/network/$T.png?bandwidth=2000" "/tiles/network/$T.png?kernel=quartic" \
         "/tiles/network/$T.png?mechanism=flying" "/tiles/network/25/0/0.png" "/tiles/network/legend.json?area=nope" \
         "/collections/road_sites/items?rank=worst" "/collections/road_sites/items?eps=50"; do
  r=$(status -H "$AP" "$B$u")
  [ "${r%% *}" = 400 ] && ok "planner GET $u: 400" || bad "planner GET $u: $r"
done
r=$(status -H "$AP" "$B/collections/road_sites/items?limit=20")
[ "$r" = "200 application/geo+json" ] && ok "road_sites (planner): 200" || bad "road_sites: $r $(head -c 200 "$TMP/body")"
python3 - "$TMP/body" <<'PY' && ok "road_sites: ranked junctions (Point) and sections (LineString) with counts, EB figures and rules" || bad "road_sites shape"
import json, sys
fc = json.load(open(sys.argv[1]))
f = fc["features"]
assert len(f) == 20 and fc["numberMatched"] >= 20, len(f)
assert [x["properties"]["rank"] for x in f] == list(range(1, 21))
kinds = {x["properties"]["kind"]: x["geometry"]["type"] for x in f}
assert all(kinds[k] == {"junction": "Point", "section": "LineString"}[k] for k in kinds), kinds
for x in f:
    p = x["properties"]
    assert p["count"] >= 1 and "eb" in p and isinstance(p["rules"], list), p
ex = [x["properties"]["window"]["eb"]["excess"] if x["properties"]["kind"] == "section" else x["properties"]["eb"]["excess"] for x in f]
assert all(a is not None for a in ex) and ex == sorted(ex, reverse=True), ex
assert "provenance" in fc
PY
r=$(status -H "$AE" "$B/collections/road_sites/items/1")
[ "$r" = "200 application/geo+json" ] && ok "road_sites item 1 (editor): 200" || bad "road_sites item (editor): $r"
r=$(status -H "$AP" "$B/collections/road_sites/items?limit=5&rank=count")
python3 -c "
import json, sys
c = [f['properties']['count'] for f in json.load(open(sys.argv[1]))['features']]
assert c == sorted(c, reverse=True), c" "$TMP/body" && ok "road_sites rank=count: by count" || bad "rank=count: $r"
pub=$(curl -s "$B/collections" | python3 -c "import json,sys; print(','.join(c['id'] for c in json.load(sys.stdin)['collections']))")
pla=$(curl -s -H "$AP" "$B/collections" | python3 -c "import json,sys; print(','.join(c['id'] for c in json.load(sys.stdin)['collections']))")
[[ ",$pub," != *",road_sites,"* && ",$pla," == *",road_sites,"* ]] && ok "road_sites listed for planners, not for the public" || bad "collections: public $pub; planner $pla"

# ---- a database without roads
start "$EMPTY" serve-empty.log || { echo "FAIL hazmap serve (empty) did not start"; exit 1; }
E=$BASE
r=$(status "$E/tiles/roads/$T.png")
n=$(python3 "$TMP/alpha.py" "$TMP/body")
[ "$r" = "200 image/png" ] && [ "$n" = 0 ] && ok "no roads: a transparent tile" || bad "no roads: $r, $n pixels"
m=$(curl -s "$E/collections/roads/items" | python3 -c "import json,sys; print(json.load(sys.stdin)['numberMatched'])")
[ "$m" = 0 ] && ok "no roads: an empty collection" || bad "no roads: $m matched"
ET=$("$HAZMAP" token create --db "$EMPTY" --role planner | tail -1 | tr -d '[:space:]')
r=$(status -H "Authorization: Bearer $ET" "$E/tiles/network/$T.png")
n=$(python3 "$TMP/alpha.py" "$TMP/body")
[ "$r" = "200 image/png" ] && [ "$n" = 0 ] && ok "no roads: a transparent network tile" || bad "no roads, network tile: $r, $n pixels"
r=$(status -H "Authorization: Bearer $ET" "$E/collections/road_sites/items")
[ "${r%% *}" = 200 ] && ok "no roads: road_sites answers ($(head -c 80 "$TMP/body"))" || bad "no roads, road_sites: $r $(head -c 200 "$TMP/body")"

echo "roads.sh: $([ $fail = 0 ] && echo all passed || echo FAILURES)"
exit $fail
