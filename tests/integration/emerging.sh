#!/usr/bin/env bash
# emerging.sh - `hazmap emerging` finds the planted temporal sites of `gensample --temporal`.
#
# Generates the sample with its three planted temporal sites (tools/gensample.c, tsites[]: C17
# "new" from 2014-01, C18 "grows" 12 -> 60 a month, C19 "stops" after 2014-10) into /tmp, loads it
# as tools/load-sample.sh does (the importer directly, no public release), runs the analysis with
# the defaults (auto cell and band, month steps, time lag 1: the defaults resolve the sites, so no
# --cell is given), and asserts the pattern of the cell holding each site's centre (point in
# polygon on the output's WGS84 cells; the clusters file is WGS84 too, only the incidents CSV is
# GCJ-02): new -> new_hot or consecutive_hot, grows -> intensifying_hot, stops -> historical_hot or
# diminishing_hot. A site that misses prints its series (count, z, class per month). Also: the
# GeoPackage opens with ogrinfo and emerging_bins has cells x steps features; --from before the
# data's span and a bad --step exit 2 with a message naming them.
# Env: HAZMAP (the binary, default build/hazmap), BUILD (build dir with gensample, default build).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
BUILD=${BUILD:-build}
TMP=$(mktemp -d /tmp/hazmap_emerging_$$.XXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

GEN=$BUILD/gensample
[ -x "$GEN" ] || make -s BUILD="$BUILD" "$GEN" > /dev/null
if ! "$GEN" data/jinjiang_areas.txt data/jinjiang_roads.txt 20141231 "$TMP/incidents.csv" \
  "$TMP/clusters.csv" --temporal 2> "$TMP/gen.log"; then
  cat "$TMP/gen.log"; echo "FAIL gensample --temporal"; exit 1
fi
ok "gensample --temporal: $(($(wc -l < "$TMP/incidents.csv") - 1)) incidents, $(grep -c TEMPORAL "$TMP/clusters.csv") temporal sites"

# The load of tools/load-sample.sh (NO_PUBLISH=1), on the extended CSV.
DB=$TMP/temporal.sqlite
fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
if "$HAZMAP" import-areas --db "$DB" data/jinjiang_district.geojson "${fields[@]}" --level district > "$TMP/load.log" 2>&1 &&
  "$HAZMAP" import-areas --db "$DB" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 >> "$TMP/load.log" 2>&1 &&
  "$HAZMAP" import-incidents --db "$DB" "$TMP/incidents.csv" --srs gcj02 --tz +08:00 \
    --source sample >> "$TMP/load.log" 2>&1; then
  ok "extended sample loaded ($(sqlite3 "$DB" 'SELECT count(*) FROM incidents;') incidents)"
else
  cat "$TMP/load.log"; echo "FAIL loading the extended sample"; exit 1
fi

# check.py GEOJSON CLUSTERS.csv [-v]: the pattern of the cell holding each temporal site's centre.
cat > "$TMP/check.py" <<'PY'
import csv, json, sys
fc = json.load(open(sys.argv[1]))
expect = {"new": ("new_hot", "consecutive_hot"), "grows": ("intensifying_hot",),
          "stops": ("historical_hot", "diminishing_hot")}
def inside(ring, x, y):
    c, j = False, len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][:2]
        xj, yj = ring[j][:2]
        if (yi > y) != (yj > y) and x < xj + (y - yj) * (xi - xj) / (yi - yj):
            c = not c
        j = i
    return c
sites = [r for r in csv.DictReader(open(sys.argv[2], encoding="utf-8")) if r["notes"].startswith("TEMPORAL ")]
if len(sites) != 3:
    print("FAIL expected 3 TEMPORAL rows in the clusters file, found %d" % len(sites))
    sys.exit(1)
bad = 0
for s in sites:
    role = s["notes"].split()[1].rstrip(":")
    x, y = float(s["lon"]), float(s["lat"])  # WGS84, as the output's polygons
    hit = [f for f in fc["features"] if f["geometry"]["type"] == "Polygon"
           and inside(f["geometry"]["coordinates"][0], x, y)]
    if len(hit) != 1:
        print("FAIL %s %s (%s): its centre lies in %d cells" % (role, s["id"], s["name"], len(hit)))
        bad += 1
        continue
    p = hit[0]["properties"]
    se = p["series"]
    good = p["pattern"] in expect[role]
    print("%s %s %s (%s): %s, %d hot steps, %d cold steps of %d, Mann-Kendall of z %.2f (p %.2g) (expected %s)" % (
        "PASS" if good else "FAIL", role, s["id"], s["name"], p["pattern"], p["hot_steps"], p["cold_steps"],
        len(se["step"]), p["trend_z"]["z"], p["trend_z"]["p"], " or ".join(expect[role])))
    if not good or "-v" in sys.argv:
        print("     step     count       z  class")
        for t in range(len(se["step"])):
            z = se["z"][t]
            print("     %s %6s %8s %4d" % (se["step"][t], se["count"][t], "nan" if z is None else "%.2f" % z, se["class"][t]))
    bad += not good
# Not trivially true: each expected pattern is a small minority of the cells.
n = max(1, len(fc["features"]))
for pat in sorted({q for v in expect.values() for q in v}):
    share = sum(f["properties"]["pattern"] == pat for f in fc["features"]) / n
    if share > 0.1:
        print("FAIL %.0f %% of the cells are %s: the site checks would pass trivially" % (100 * share, pat))
        bad += 1
sys.exit(1 if bad else 0)
PY

# Defaults: auto cell (raised to about one incident per bin, ~195 m here), auto band, month, lag 1.
if "$HAZMAP" emerging --db "$DB" -o "$TMP/em.geojson" 2> "$TMP/em.err"; then
  ok "hazmap emerging (defaults): $(grep '^cube:' "$TMP/em.err")"
  python3 "$TMP/check.py" "$TMP/em.geojson" "$TMP/clusters.csv" ${EMERGING_VERBOSE:+-v} || fail=1
else
  cat "$TMP/em.err"; bad "hazmap emerging (defaults)"
fi

# GeoPackage: opens with ogrinfo; emerging_bins has cells x steps features.
if "$HAZMAP" emerging --db "$DB" -o "$TMP/em.gpkg" 2> "$TMP/gpkg.err"; then
  want=$(python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["provenance"]; print(p["cells"] * p["steps"])' "$TMP/em.geojson" 2>/dev/null)
  got=$(ogrinfo -ro -so "$TMP/em.gpkg" emerging_bins 2> "$TMP/ogr.err" | sed -n 's/^Feature Count: //p')
  locs=$(ogrinfo -ro -so "$TMP/em.gpkg" emerging_locations 2>/dev/null | sed -n 's/^Feature Count: //p')
  if [ -n "$got" ] && [ "$got" = "$want" ]; then
    ok "GeoPackage: emerging_bins has $got features = cells x steps; emerging_locations $locs"
  else
    cat "$TMP/ogr.err"; bad "GeoPackage: emerging_bins has '${got}' features, expected cells x steps = '${want}'"
  fi
else
  cat "$TMP/gpkg.err"; bad "hazmap emerging -o FILE.gpkg"
fi

# Usage errors exit 2 with a message naming the option.
usage_error() { # what, pattern, args...
  local what=$1 pat=$2 rc; shift 2
  "$HAZMAP" emerging --db "$DB" -o "$TMP/x.geojson" "$@" > /dev/null 2> "$TMP/u.err"; rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$pat" "$TMP/u.err"; then
    ok "$what: exit 2, '$(head -1 "$TMP/u.err")'"
  else
    bad "$what: exit $rc (want 2), message '$(head -1 "$TMP/u.err")' (want one naming $pat)"
  fi
}
usage_error "--from before the data's span" "from" --from 2011-06-01
usage_error "--step fortnight" "step" --step fortnight

# Over HTTP: the planners' collection and cube download give the CLI's cells; the public is
# refused the download and a one-year view.
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
hz_serve "$TMP/serve.out" "$TMP/serve.err" --db "$DB" || { echo "FAIL hazmap serve did not start"; exit 1; }
PID=$HZ_PID
code=$(curl -s -o "$TMP/http.gpkg" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/emerging.gpkg")
got=$(ogrinfo -ro -so "$TMP/http.gpkg" emerging_bins 2>/dev/null | sed -n 's/^Feature Count: //p')
if [ "$code" = 200 ] && [ -n "$got" ] && [ "$got" = "$want" ]; then
  ok "GET /api/emerging.gpkg (planner): 200, emerging_bins has $got features, as the CLI's"
else
  bad "GET /api/emerging.gpkg (planner): $code, emerging_bins '$got' (want '$want')"
fi
n=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/collections/emerging/items?limit=10000" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["numberMatched"])' 2>/dev/null)
[ "$n" = "$locs" ] && ok "GET /collections/emerging/items (planner): $n cells, as the CLI's" ||
  bad "GET /collections/emerging/items: '$n' cells (want $locs)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/emerging.gpkg")
[ "$code" = 401 ] && ok "the public is refused the cube download (401)" || bad "public download: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/collections/emerging/items?from=2010-01-01")
[ "$code" = 400 ] && ok "a period before the data's span is a 400" || bad "from=2010-01-01: $code"
exit $fail
