#!/usr/bin/env bash
# screen.sh - `hazmap screen` (network screening) on the bundled sample and its road network.
#
# Loads data/ with tools/load-sample.sh (incidents, areas and data/jinjiang_roads.geojson) into
# /tmp and asserts:
#  - the summary adds up (junctions + sections + unassigned = incidents screened) and every site
#    listed has a crash; ranks are 1..n, by the worst window's excess, descending;
#  - each planted traffic cluster of data/planted_clusters.csv that lies within 30 m of the road
#    network (so its incidents can be assigned) is matched by one of the top 5 sites within
#    100 m; the clusters farther from every road cannot be, and are only reported;
#  - every rule met names a witness of at least its threshold, first <= last;
#  - the SPF fit is reported (n = the number of sections and of junctions), and an --spf file
#    replaces the section SPF; the CSV starts with a UTF-8 byte order mark and has one row per
#    listed site; a bad --rank is a usage error (exit 2).
# Env: HAZMAP (binary, default build/hazmap); SCREEN_DB reuses a loaded database.
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
TMP=$(mktemp -d /tmp/hazmap_screen_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

if ! "$HAZMAP" help screen > /dev/null 2>&1; then
  echo "SKIP screen: $HAZMAP has no screen command"; exit 0
fi
if [ ! -e data/jinjiang_roads.geojson ]; then
  echo "SKIP screen: no data/jinjiang_roads.geojson (the road import is not merged)"; exit 0
fi
DB=${SCREEN_DB:-}
if [ -z "$DB" ]; then
  DB=$TMP/sample.sqlite
  tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL loading the sample"; exit 1; }
fi
ok "sample loaded into $DB"

"$HAZMAP" screen --db "$DB" --limit 50 -o "$TMP/s.geojson" > "$TMP/s.txt" || bad "screen exited $?"
"$HAZMAP" screen --db "$DB" --limit 50 -o "$TMP/s.csv" > /dev/null || bad "screen to CSV exited $?"
echo '{"sections": {"a": -1.5, "b": 1.0, "k": 0.8}}' > "$TMP/spf.json"
"$HAZMAP" screen --db "$DB" --limit 5 --spf "$TMP/spf.json" -o "$TMP/g.geojson" > "$TMP/g.txt" || bad "screen --spf exited $?"
set +e
"$HAZMAP" screen --db "$DB" --rank bogus -o "$TMP/x.geojson" 2> /dev/null; rc=$?
set -e
[ "$rc" = 2 ] && ok "--rank bogus: exit 2" || bad "--rank bogus: exit $rc, expected 2"
grep -q "sections SPF (fitted" "$TMP/s.txt" && ok "the SPF fit is printed" || bad "no SPF fit printed: $(cat "$TMP/s.txt")"

python3 - "$TMP" <<'PY' || fail=1
import csv, json, math, sys
tmp = sys.argv[1]
d = json.load(open(f"{tmp}/s.geojson"))
s, feats = d["summary"], d["features"]
bad = 0
def check(cond, msg):
    global bad
    print(("ok   " if cond else "FAIL ") + msg)
    bad |= not cond
check(s["at_junctions"] + s["on_sections"] + s["unassigned"] == s["incidents"],
      f"summary adds up: {s['at_junctions']} + {s['on_sections']} + {s['unassigned']} = {s['incidents']}")
check(len(feats) == 50 and all(f["properties"]["count"] > 0 for f in feats), "50 sites listed, each with a crash")
ex = [f["properties"]["window"]["eb"]["excess"] if f["properties"]["kind"] == "section"
      else f["properties"]["eb"]["excess"] for f in feats]
check([f["properties"]["rank"] for f in feats] == list(range(1, 51)), "ranks 1..50")
check(all(a >= b for a, b in zip(ex, ex[1:])), "ranked by excess, descending")
spf = d["spf"]
check(spf["sections"]["n"] == s["sections"] and spf["junctions"]["n"] == s["junctions"],
      f"SPFs fitted on every site ({spf['sections']['n']} sections, {spf['junctions']['n']} junctions)")
rules_ok = True
for f in feats:
    for r in f["properties"]["rules"]:
        rules_ok &= r["crashes"] >= r["threshold"] and r["first"] <= r["last"]
check(rules_ok, "every rule met has a witness of at least its threshold, first <= last")
# planted clusters near the network must be found near the top
kx, ky = 111320 * math.cos(math.radians(30.62)), 110574
def seg_d(px, py, a, b):
    ax, ay, bx, by = a[0] * kx, a[1] * ky, b[0] * kx, b[1] * ky
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = 0 if l2 == 0 else max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / l2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)
def line_d(px, py, cs):
    return min(seg_d(px, py, a, b) for a, b in zip(cs, cs[1:]))
roads = json.load(open("data/jinjiang_roads.geojson"))["features"]
for p in csv.DictReader(open("data/planted_clusters.csv")):
    if p["mechanism"] != "traffic":
        continue
    px, py = float(p["lon"]) * kx, float(p["lat"]) * ky
    net = min(line_d(px, py, r["geometry"]["coordinates"]) for r in roads)
    near = []
    for f in feats[:5]:
        g = f["geometry"]
        dd = (math.hypot(g["coordinates"][0] * kx - px, g["coordinates"][1] * ky - py)
              if g["type"] == "Point" else line_d(px, py, g["coordinates"]))
        near.append(dd)
    if net <= 30:
        check(min(near) <= 100, f"{p['id']} ({net:.0f} m from the network): a top-5 site {min(near):.0f} m away")
    else:
        print(f"note {p['id']} lies {net:.0f} m from every road: its incidents are unassigned, not screened")
g = json.load(open(f"{tmp}/g.geojson"))
check(g["spf"]["sections"]["source"].startswith("given") and g["spf"]["sections"]["k"] == 0.8,
      "--spf replaces the section SPF")
raw = open(f"{tmp}/s.csv", "rb").read()
check(raw.startswith(b"\xef\xbb\xbfrank,kind,id,"), "CSV starts with the BOM and the header")
check(raw.count(b"\r\n") == 51, "CSV: header and 50 rows")
sys.exit(bad)
PY
[ $fail = 0 ] && echo "screen: all passed" || echo "screen: FAILED"
exit $fail
