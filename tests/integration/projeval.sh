#!/usr/bin/env bash
# projeval.sh - `hazmap project-eval` finds the planted project effects of `gensample
# --intervention` (tools/gensample.c, psites[]): at P1 the rate halves from 2014-01-01, at P2
# nothing changes. Generates the sample with them into /tmp, loads it as tools/load-sample.sh
# does (areas, incidents, roads; no public release), writes one site project per planted site
# (a drawn point at the junction, target mechanism=traffic, 2014-01-01..2014-12-31) and asserts:
# P1 has the EB before/after effect "reduced" with a CI that holds the true 0.5; P2 "no_evidence"
# with a CI holding 1. Also: an area project on the sub-district of the default sample's
# 牛市口 intervention (2013-07-01, 18 months of data before: the ITS is skipped with its reason,
# the rate ratio has comparison areas chosen automatically); an area project started 2014-01-01
# (24 months before) runs the ITS; the public version (--suppress-below) hides counts and
# estimates; a project without a start exits non-zero naming it.
# Env: HAZMAP (the binary, default build/hazmap), BUILD (build dir with gensample, default build).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
BUILD=${BUILD:-build}
TMP=$(mktemp -d /tmp/hazmap_projeval_$$.XXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

GEN=$BUILD/gensample
[ -x "$GEN" ] || make -s BUILD="$BUILD" "$GEN" > /dev/null
if ! "$GEN" data/jinjiang_areas.txt data/jinjiang_roads.txt 20141231 "$TMP/incidents.csv" \
  "$TMP/clusters.csv" --intervention "$TMP/projects.csv" 2> "$TMP/gen.log"; then
  cat "$TMP/gen.log"; echo "FAIL gensample --intervention"; exit 1
fi
ok "gensample --intervention: $(($(wc -l < "$TMP/projects.csv") - 1)) planted projects"

DB=$TMP/projeval.sqlite
fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
if "$HAZMAP" import-areas --db "$DB" data/jinjiang_district.geojson "${fields[@]}" --level district > "$TMP/load.log" 2>&1 &&
  "$HAZMAP" import-areas --db "$DB" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 >> "$TMP/load.log" 2>&1 &&
  "$HAZMAP" import-incidents --db "$DB" "$TMP/incidents.csv" --srs gcj02 --tz +08:00 \
    --source sample >> "$TMP/load.log" 2>&1 &&
  "$HAZMAP" import-roads --db "$DB" data/jinjiang_roads.geojson --from-node u --to-node v \
    >> "$TMP/load.log" 2>&1; then
  ok "sample with the planted projects loaded"
else
  cat "$TMP/load.log"; echo "FAIL loading the sample"; exit 1
fi

# One site project per planted site: a point at the junction as placed (WGS84).
tail -n +2 "$TMP/projects.csv" | while IFS=, read -r id name lon lat start truth notes; do
  cat > "$TMP/$id.json" <<JSON
{"title": "$name", "group": "traffic", "type": "engineering", "target": "mechanism=traffic",
 "location": {"type": "Point", "coordinates": [$lon, $lat]}, "buffer_m": 30,
 "start": "$start", "end": "2014-12-31", "status": "finished"}
JSON
  echo "$truth" > "$TMP/$id.truth"
done

# verdict.py RESULT.json TRUTH: the effect must say reduced (truth < 1) with the truth in its CI,
# or no_evidence (truth 1) with 1 in its CI.
cat > "$TMP/verdict.py" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); truth = float(sys.argv[2])
e = r["effect"]; lo, hi = e["ci"]
want = "reduced" if truth < 1 else "no_evidence"
print(f'{e["method"]} theta {e["estimate"]:.3f} CI [{lo:.3f}, {hi:.3f}] {e["verdict"]} (planted {truth})')
sys.exit(0 if e["method"] == "eb_before_after" and e["verdict"] == want and lo <= truth <= hi else 1)
PY
for id in P1 P2; do
  if "$HAZMAP" project-eval --db "$DB" --json "$TMP/$id.json" -o "$TMP/$id.out.json" 2> "$TMP/$id.err" &&
    msg=$(python3 "$TMP/verdict.py" "$TMP/$id.out.json" "$(cat "$TMP/$id.truth")"); then
    ok "$id: $msg"
  else
    cat "$TMP/$id.err"; bad "$id: ${msg:-no result}"
  fi
done

# Area projects on the sub-district of 牛市口 (C02). Its code from the snapshot's areas.
code=$(python3 - "$TMP/clusters.csv" <<'PY'
import csv, json, sys
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[1]))}
lon, lat = float(rows["C02"]["lon"]), float(rows["C02"]["lat"])
fc = json.load(open("data/jinjiang_subdistricts.geojson"))
def inside(ring, x, y):
    c, j = False, len(ring) - 1
    for i in range(len(ring)):
        (xi, yi), (xj, yj) = ring[i][:2], ring[j][:2]
        if (yi > y) != (yj > y) and x < xj + (y - yj) * (xi - xj) / (yi - yj): c = not c
        j = i
    return c
for f in fc["features"]:
    g = f["geometry"]; polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
    if any(inside(p[0], lon, lat) for p in polys): print(f["properties"]["code"]); break
PY
)
printf '{"group": "traffic", "areas": ["%s"], "start": "2013-07-01", "end": "2014-06-30"}\n' "$code" > "$TMP/area.json"
if "$HAZMAP" project-eval --db "$DB" --json "$TMP/area.json" -o "$TMP/area.out.json" 2> "$TMP/area.err" &&
  python3 - "$TMP/area.out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = {x["method"]: x for x in r["methods"]}
rr = m["rate_ratio"]
assert "its" not in m and r["skipped"][0]["method"] == "its" and "24" in r["skipped"][0]["reason"], r
assert len(rr["comparison_areas"]) == 3 and rr["comparison_chosen"] == "automatic", rr
assert r["effect"]["method"] == "rate_ratio" and rr["rrr"] is not None and rr["assumptions"]
PY
then ok "area project from 2013-07-01 ($code): rate ratio with 3 automatic comparison areas, ITS skipped (18 months before)"
else cat "$TMP/area.err"; bad "area project from 2013-07-01"; fi

printf '{"group": "traffic", "areas": ["%s"], "start": "2014-01-01", "end": "2014-12-31"}\n' "$code" > "$TMP/area2.json"
if "$HAZMAP" project-eval --db "$DB" --json "$TMP/area2.json" -o "$TMP/area2.out.json" 2> "$TMP/area2.err" &&
  python3 - "$TMP/area2.out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = {x["method"]: x for x in r["methods"]}
its = m["its"]
assert len(its["monthly_counts"]) == 36 and its["intervention_month"] == 24, its
assert r["effect"]["method"] == "its" and its["dispersion"] > 0 and its["converged"]
PY
then ok "area project from 2014-01-01: the ITS runs on 36 months (24 before)"
else cat "$TMP/area2.err"; bad "area project from 2014-01-01 (ITS)"; fi

if "$HAZMAP" project-eval --db "$DB" --json "$TMP/P1.json" --suppress-below 100000 -o "$TMP/pub.json" 2> "$TMP/pub.err" &&
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); m=r["methods"][0]; assert m["suppressed"] and m["observed_after"] is None and m["theta"] is None and r["effect"]["estimate"] is None and r["effect"]["verdict"] is None' "$TMP/pub.json"
then ok "public version: counts below the threshold hide the counts and the estimates"
else cat "$TMP/pub.err"; bad "public version"; fi

echo '{"group": "traffic", "areas": ["510104"]}' > "$TMP/nostart.json"
if "$HAZMAP" project-eval --db "$DB" --json "$TMP/nostart.json" > /dev/null 2> "$TMP/nostart.err"; then
  bad "a project without a start was evaluated"
elif grep -q start "$TMP/nostart.err"; then ok "a project without a start: $(cat "$TMP/nostart.err")"
else cat "$TMP/nostart.err"; bad "no start: the message does not name it"; fi

exit $fail
