#!/usr/bin/env bash
# density.sh - `hazmap density` end to end on the bundled sample.
#
# Loads data/ with tools/load-sample.sh into /tmp (or uses DENSITY_DB), writes GeoTIFFs and checks
# them with GDAL's own tools (gdalinfo -json, gdallocationinfo), against references computed here:
# the incident counts from the CSV, the GeoTIFF's geometry and CRS, the grid's integral (= the
# incidents, the kernels being normalised), the years divisor, and the density at the planted
# junctions and markets (data/planted_clusters.csv) against n / years x K(0).
# Env: HAZMAP (binary, default build/hazmap); DENSITY_DB reuses an existing database.
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d /tmp/hazmap_density_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

for tool in gdalinfo gdallocationinfo python3; do
  command -v $tool >/dev/null || { echo "SKIP density: $tool is not installed"; exit 0; }
done

DB=${DENSITY_DB:-}
if [ -z "$DB" ]; then
  DB=$TMP/sample.sqlite
  if ! tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1; then
    if grep -q "not implemented" "$TMP/load.log"; then
      echo "SKIP density: the importer is not implemented yet ($(grep -m1 'not implemented' "$TMP/load.log"))"
      exit 0
    fi
    cat "$TMP/load.log"; echo "FAIL loading the sample"; exit 1
  fi
fi
ok "sample loaded into $DB"

# check.py PROVENANCE.json GDALINFO.json EXPECTED_INCIDENTS EXPECTED_YEARS|- : provenance keys, the
# file's geometry/CRS/nodata/metadata, and the grid's integral against the incident count.
cat > "$TMP/check.py" <<'PY'
import json, sys
pv = json.load(open(sys.argv[1]))
gi = json.load(open(sys.argv[2]))
n_expect = int(sys.argv[3])
for key in ("filters", "method", "kernel", "bandwidth", "bandwidth_rule", "cell_size", "work_srs",
            "incidents", "years", "years_basis", "data_version", "unit", "grid"):
    assert key in pv, "provenance lacks " + key
assert pv["incidents"] == n_expect, "incidents %d, expected %d" % (pv["incidents"], n_expect)
if sys.argv[4] != "-":
    assert abs(pv["years"] - float(sys.argv[4])) < 1e-9, "years %r, expected %s" % (pv["years"], sys.argv[4])
cell = pv["cell_size"]
gt = gi["geoTransform"]
g = pv["grid"]
assert gi["size"] == [g["nx"], g["ny"]], gi["size"]
assert abs(gt[0] - g["x0"]) < 1e-6 and abs(gt[3] - g["y1"]) < 1e-6, gt
assert gt[1] == cell and gt[5] == -cell and gt[2] == 0 and gt[4] == 0, gt
wkt = gi["coordinateSystem"]["wkt"]
assert 'ID["EPSG",32648]' in wkt or "UTM zone 48N" in wkt, wkt[:200]
band = gi["bands"][0]
assert band["type"] == "Float32", band["type"]
assert band["noDataValue"] == -9999, band.get("noDataValue")
assert gi["metadata"][""]["KERNEL"] == pv["kernel"]
stored = json.loads(gi["metadata"][""]["HAZMAP_PROVENANCE"])
assert stored["incidents"] == pv["incidents"] and stored["bandwidth"] == pv["bandwidth"]
assert gi["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"
# Integral: mean x cells x cell area (km2) x years = incidents whose kernels lie in the grid.
mass = band["mean"] * g["nx"] * g["ny"] * cell * cell / 1e6 * pv["years"]
ratio = mass / max(n_expect, 1)
assert 0.97 <= ratio <= 1.0 + 1e-4, "grid integral %.1f for %d incidents (ratio %.5f)" % (mass, n_expect, ratio)
print("incidents %d, years %.5f, h %.1f m, cell %g m, %dx%d, integral ratio %.5f" % (
    pv["incidents"], pv["years"], pv["bandwidth"], cell, g["nx"], g["ny"], ratio))
PY

count() { python3 -c "
import csv, sys
n = 0
for r in csv.DictReader(open('data/incidents_2012_2014.csv', encoding='utf-8')):
    if all(r[k] == v for k, v in (a.split('=') for a in sys.argv[1:])): n += 1
print(n)" "$@"; }
all=$(count)
traffic=$(count mechanism=traffic)

run() { # NAME EXPECTED YEARS ARGS...
  local name=$1 n=$2 years=$3; shift 3
  if ! "$HAZMAP" density --db "$DB" -o "$TMP/$name.tif" "$@" > "$TMP/$name.json" 2> "$TMP/$name.err"; then
    bad "$name: hazmap density $* failed: $(cat "$TMP/$name.err")"; return
  fi
  gdalinfo -json -stats "$TMP/$name.tif" > "$TMP/$name.gdal.json" 2>/dev/null
  if out=$(python3 "$TMP/check.py" "$TMP/$name.json" "$TMP/$name.gdal.json" "$n" "$years" 2>&1); then
    ok "$name: $out"
  else
    bad "$name: $out"
  fi
}

run auto "$all" "$(python3 -c 'print(1096 / 365.25)')" --extent points
run auto_areas_quartic "$all" - --bandwidth 300
run traffic "$traffic" - --mechanism traffic --bandwidth 300 --extent points
run gaussian "$all" - --kernel gaussian --bandwidth 120 --cell 40 --extent points
run silverman_epan "$all" - --kernel epanechnikov --bandwidth silverman --extent points

# The years divisor: both filter dates given -> their span; the CSV gives the expected count.
n2013=$(python3 -c "
import csv
print(sum(1 for r in csv.DictReader(open('data/incidents_2012_2014.csv', encoding='utf-8'))
          if r['mechanism'] == 'traffic' and r['occurred_at'][:4] == '2013'))")
run traffic2013_dates "$n2013" "$(python3 -c 'print(365/365.25)')" --mechanism traffic \
  --from 2013-01-01 --to 2013-12-31 --bandwidth 300 --extent points
grep -q '"years_basis": "study period 2013-01-01..2013-12-31' "$TMP/traffic2013_dates.json" &&
  ok "years basis names the study period" || bad "years basis: $(grep years_basis "$TMP/traffic2013_dates.json")"

# Planted junctions and markets (radius <= 80 m): with h = 300 m, the density at the centre is at
# least 0.8 x n / years x K(0) x 1e6, K(0) = 3 / (pi h^2) (kernel mass within 80 m of the peak is
# >= 0.86 of it), and at most that plus the densest background (the auto map's maximum).
years=$(python3 -c "import json; print(json.load(open('$TMP/auto_areas_quartic.json'))['years'])")
while IFS=, read -r id kind name lon lat radius mech n notes; do
  case $kind in junction|market) ;; *) continue ;; esac
  v=$(gdallocationinfo -wgs84 -valonly "$TMP/auto_areas_quartic.tif" "$lon" "$lat")
  if python3 -c "
import math, sys
v, n, y = float('$v'), float('$n'), float('$years')
k0 = 3 / (math.pi * 300.0**2) * 1e6
lo = 0.8 * n / y * k0
sys.exit(0 if lo <= v <= n / y * k0 + 2000 else 1)"; then
    ok "planted $id ($kind, $n incidents): density $v per km2 per year at its centre"
  else
    bad "planted $id ($kind, $n incidents): density $v at its centre, expected >= 0.8 n/years K(0)"
  fi
done < <(tail -n +2 data/planted_clusters.csv)

# --mask areas: cells outside the areas are nodata; the valid cells cover the district's area
# (60.97 km2 in UTM 48N, data/README.md) to 1 %.
if "$HAZMAP" density --db "$DB" --mask areas -o "$TMP/mask.tif" > "$TMP/mask.json" 2> "$TMP/mask.err"; then
  gdalinfo -json -stats "$TMP/mask.tif" > "$TMP/mask.gdal.json" 2>/dev/null
  if out=$(python3 - "$TMP/mask.gdal.json" "$TMP/mask.json" <<'PY'
import json, sys
g, pv = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
b = g["bands"][0]
valid = float(b["metadata"][""]["STATISTICS_VALID_PERCENT"]) / 100
nx, ny = g["size"]
cell = g["geoTransform"][1]
km2 = valid * nx * ny * cell * cell / 1e6
nodata = round((1 - valid) * nx * ny)
assert b["noDataValue"] == -9999 and b["minimum"] >= 0, b
assert abs(km2 - 60.97) < 0.61, "valid cells cover %.2f km2" % km2
assert abs(pv["nodata_cells"] - nodata) <= nx * ny * 1e-4, (pv["nodata_cells"], nodata)
print("valid cells cover %.2f km2 (district 60.97 km2); %d nodata cells" % (km2, pv["nodata_cells"]))
PY
  ); then ok "mask areas: $out"; else bad "mask areas: $out"; fi
else
  bad "mask areas: $(cat "$TMP/mask.err")"
fi

# Usage errors exit 2 and name the option.
for args in "--kernel cosine" "--bandwidth -5" "--bandwidth wide" "--cell 0" "--extent world" "--mask roads" "--mechanism nope"; do
  set +e; "$HAZMAP" density --db "$DB" -o "$TMP/x.tif" $args > /dev/null 2> "$TMP/err"; rc=$?; set -e
  opt=${args%% *}
  if [ $rc -eq 2 ] && grep -q -- "${opt#--}" "$TMP/err"; then ok "density $args: exit 2 naming $opt"
  else bad "density $args: exit $rc, stderr: $(cat "$TMP/err")"; fi
done
set +e; "$HAZMAP" density --db "$DB" > /dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] && ok "missing -o: exit 2" || bad "missing -o: exit $rc"
set +e; "$HAZMAP" density --db "$DB" --cell 0.05 -o "$TMP/x.tif" > /dev/null 2> "$TMP/err"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q "limit" "$TMP/err" && ok "too many cells: exit 1 ($(cat "$TMP/err"))" || bad "too many cells: exit $rc $(cat "$TMP/err")"

exit $fail
