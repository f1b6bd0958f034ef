#!/usr/bin/env bash
# scans.sh - no work proportional to the data on a cache hit (issue 8).
#
# Starts `hazmap serve` on the sample and reads hazmap_snapshot_scans_total (one per full pass
# over the incident snapshot) from /metrics. After a first request of each kind - a public
# density tile, its TileJSON and legend, public and planner hot spots, black spots, statistics,
# an evaluation and a density GeoTIFF - repeating them (1,000 times for the tile, as the public
# and as a planner) must leave the counter unchanged. Proof that the counter counts: a new
# filter moves it.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-scans.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
DB=$WORK/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 || { cat "$WORK/load.log"; echo "FAIL sample"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label scans) || { echo "FAIL token"; exit 1; }
hz_serve "$WORK/out.log" "$WORK/out.log" --db "$DB" --web web || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID

python3 - "$PORT" "$TOKEN" <<'PY'
import http.client, sys
port, token = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
fails = 0

def get(path, planner=False):
    h = {"Authorization": "Bearer " + token} if planner else {}
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    body = r.read()
    return r.status, body

def scans():
    s, body = get("/metrics")
    assert s == 200, s
    for line in body.decode().splitlines():
        if line.startswith("hazmap_snapshot_scans_total "):
            return int(line.split()[1])
    raise SystemExit("FAIL /metrics has no hazmap_snapshot_scans_total")

def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += 0 if ok else 1

tile = "/tiles/density/13/6565/3399.png"
urls = [tile, "/tiles/density.json", "/tiles/density/legend.json",
        "/collections/hotspots/items?cell=250", "/api/blackspots?mechanism=traffic",
        "/api/stats", "/api/stats?by=area,sex", "/api/stats?format=csv",
        "/api/evaluate?area=510104&start=2013-06-01",
        "/api/density.tif?cell=200&mechanism=fall",
        "/collections/hotspots/items?year=2013", "/api/blackspots?injury_group=traffic"]
# The public's answers come from the release (no pass over the incidents) and take only the
# release's dimensions; the planners' take live filters.
planner_only = {"/api/stats?format=csv", "/api/density.tif?cell=200&mechanism=fall",
                "/api/evaluate?area=510104&start=2013-06-01", "/collections/hotspots/items?cell=250",
                "/api/blackspots?mechanism=traffic"}
public_only = {"/collections/hotspots/items?year=2013", "/api/blackspots?injury_group=traffic"}
for u in urls:
    for planner in (False, True):
        if (u in planner_only and not planner) or (u in public_only and planner): continue
        s, _ = get(u, planner)
        check(s == 200, f"first request {u} ({'planner' if planner else 'public'}) 200")
base = scans()
check(base > 0, f"the counter counts the first requests' passes ({base})")
for k in range(1000):
    s1, _ = get(tile)
    s2, _ = get(tile, True)
    if s1 != 200 or s2 != 200:
        check(False, f"cached tile request {k}: {s1} {s2}")
        break
after_tiles = scans()
check(after_tiles == base, f"1,000 cached tile requests as the public and as a planner: {after_tiles - base} scans")
for u in urls:
    for planner in (False, True):
        if (u in planner_only and not planner) or (u in public_only and planner): continue
        for _ in range(5):
            get(u, planner)
after_all = scans()
check(after_all == base, f"repeating every analysis, TileJSON, legend, stats and GeoTIFF request: {after_all - base} scans")
get("/api/stats?sex=female", True)
check(scans() > after_all, "a new filter is one more pass (the counter is live)")
sys.exit(1 if fails else 0)
PY
