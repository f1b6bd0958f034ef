#!/usr/bin/env bash
# network_density.sh - `hazmap network-density` on the bundled sample and its Jinjiang roads.
#
# Loads data/ with tools/load-sample.sh into /tmp (which imports data/jinjiang_roads.geojson when
# the road importer is present; SKIP otherwise) and asserts:
#  - the GeoJSON has one LineString per lixel with a positive density (the default leaves out
#    zeros), with the properties density, segment_id, lixel, s0, s1, and 0 <= s0 < s1;
#  - the provenance counts every selected incident as snapped or unsnapped, and says the units;
#  - --raw --all integrates (sum of density x lixel length) to at most the snapped incidents'
#    weight and to more than 80 % of it (the discontinuous kernel conserves mass but at dead ends
#    and the depth limit), and the default values are the raw ones x 1000 / years;
#  - the output does not depend on --threads, and the GeoPackage holds the same lixels.
# Env: HAZMAP (binary, default build/hazmap); NKDE_DB reuses an existing database.
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d /tmp/hazmap_nkde_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

if ! "$HAZMAP" help import-roads > /dev/null 2>&1; then
  echo "SKIP network-density: this hazmap has no import-roads (the store holds no roads)"
  exit 0
fi
DB=${NKDE_DB:-}
if [ -z "$DB" ]; then
  DB=$TMP/sample.sqlite
  tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL loading the sample"; exit 1; }
fi
ok "sample loaded into $DB"

F=(--mechanism traffic)
"$HAZMAP" network-density --db "$DB" "${F[@]}" -o "$TMP/d.geojson" > "$TMP/d.json"
"$HAZMAP" network-density --db "$DB" "${F[@]}" --threads 1 -o "$TMP/d1.geojson" > /dev/null
"$HAZMAP" network-density --db "$DB" "${F[@]}" --raw --all -o "$TMP/raw.geojson" > "$TMP/raw.json"
"$HAZMAP" network-density --db "$DB" "${F[@]}" -o "$TMP/d.gpkg" > /dev/null
"$HAZMAP" stats --db "$DB" "${F[@]}" > "$TMP/stats.txt" 2>&1 || true
cmp -s "$TMP/d.geojson" "$TMP/d1.geojson" && ok "same GeoJSON on 1 and all threads" || bad "--threads 1 changes the output"

python3 - "$TMP" <<'PY' || fail=1
import json, subprocess, sys
t = sys.argv[1]
bad = 0
def check(cond, msg):
    global bad
    print(("ok   " if cond else "FAIL ") + msg)
    bad |= not cond
d = json.load(open(t + "/d.geojson"))["features"]
raw = json.load(open(t + "/raw.geojson"))["features"]
prov = json.load(open(t + "/d.json"))
rprov = json.load(open(t + "/raw.json"))
check(len(d) > 100, "%d lixels with a positive density" % len(d))
check(all(f["geometry"]["type"] == "LineString" and f["properties"]["density"] > 0 for f in d),
      "every feature a LineString with density > 0")
keys = {"density", "segment_id", "lixel", "s0", "s1"}
check(all(keys <= set(f["properties"]) and 0 <= f["properties"]["s0"] < f["properties"]["s1"] for f in d),
      "properties density, segment_id, lixel, s0 < s1")
check(len(raw) == prov["lixels"], "--all writes every lixel (%d)" % len(raw))
check(prov["units"] == "incidents (or score) per km of road per year" and prov["years"] > 0,
      "units per km per year over %.3f years" % prov["years"])
check(prov["incidents_snapped"] > 0, "%d snapped, %d unsnapped" % (prov["incidents_snapped"], prov["incidents_unsnapped"]))
mass = sum(f["properties"]["density"] * (f["properties"]["s1"] - f["properties"]["s0"]) for f in raw)
w = rprov["weight"]
check(0.8 * w < mass <= w * (1 + 1e-9), "raw integral %.2f of the snapped weight %.0f" % (mass, w))
rawv = {(f["properties"]["segment_id"], f["properties"]["lixel"]): f["properties"]["density"] for f in raw}
scale = 1000 / prov["years"]
err = max(abs(f["properties"]["density"] - scale * rawv[(f["properties"]["segment_id"], f["properties"]["lixel"])])
          / f["properties"]["density"] for f in d)
check(err < 1e-9, "values = raw x 1000 / years (max relative difference %.2g)" % err)
n = subprocess.run(["ogrinfo", "-so", "-al", t + "/d.gpkg"], capture_output=True, text=True).stdout
check("Feature Count: %d" % len(d) in n, "the GeoPackage holds the same %d lixels" % len(d))
sys.exit(bad)
PY
[ $fail = 0 ] && echo "network-density: all checks passed" || { echo "network-density: FAILED"; exit 1; }
