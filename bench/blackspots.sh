#!/usr/bin/env bash
# blackspots.sh - benchmark: DBSCAN black spots on 10k / 100k / 1M synthetic clustered points,
# hazmap's dbscan_run() against R's dbscan::dbscan() (kd-tree, the default) in the same run; then
# public black spots over HTTP on the 1M-incident bench store.
#
#   bench/blackspots.sh [BUILD]     (default build; writes bench/results/blackspots.md)
#
# bench/dbscan_bench.c generates the seeded points (a city-like density: the side grows with
# sqrt(n), 20 km at 100k; half uniform, half in Gaussian clusters), writes them for R, and times
# only the dbscan_run() call. R times only the dbscan() call (system.time, elapsed) on the same
# points, eps and minPts. Median of 3 runs each. The partitions must agree: same number of
# clusters and of noise points (and, since both follow the same border rule, the same labels).
# Target (issue 3): at 100,000 points at least as fast as R dbscan.
#
# Part 2 (issue 8): `hazmap serve` on the 1,000,000-incident store of bench/lib/db1m.sh, no token
# (planners; the public's come from the release), GET /api/blackspots with the default parameters (eps 50 m, min_points
# automatic), one sequential keep-alive client. Every request must compute: the result cache is
# keyed by the filter, so each asks for another `to=` date after the data's last incident
# (2015-01-01, 2015-01-02, ...) - the same 1,000,000 incidents, the same black spots (the client
# checks the features are identical), a new key; the server's result-cache counters in /metrics
# must show one miss per request and no hit. One warm-up request (another date) is not counted.
# Target: p95 <= 500 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=bench/results/blackspots.md
EPS=50
MINPTS=5
PKGS="gdal proj spatialite jansson sqlite3 geos libcrypto libxxhash zlib libpq"
if ! make -s "$BUILD/libhazmap.a" >/dev/null 2>&1; then
  # another module mid-edit; an existing library with the DBSCAN object still measures ours
  ar t "$BUILD/libhazmap.a" 2>/dev/null | grep -q dbscan.o || { echo "cannot build $BUILD/libhazmap.a" >&2; exit 1; }
  echo "warning: make $BUILD/libhazmap.a failed; using the existing library" >&2
fi
cc -std=c11 -O2 -g -D_GNU_SOURCE -Iinclude bench/dbscan_bench.c "$BUILD/libhazmap.a" -lm \
  -o "$BUILD/dbscan_bench"
if ! make -s "$BUILD/hazmap" >/dev/null 2>&1; then
  [ -x "$BUILD/hazmap" ] || { echo "cannot build $BUILD/hazmap" >&2; exit 1; }
  echo "warning: make $BUILD/hazmap failed; using the existing binary" >&2
fi
if ! Rscript -e 'suppressMessages(library(dbscan))' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing r-cran-dbscan (the peer)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-cran-dbscan >/dev/null
  else
    echo "r-cran-dbscan is missing and we are not root: apt-get install r-cran-dbscan" >&2
    exit 1
  fi
fi
TMP=$(mktemp -d /tmp/hazmap_bench_blackspots_$$.XXXX)
SPID=
cleanup() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

cat > "$TMP/peer.R" <<'RS'
suppressMessages(library(dbscan))
a <- commandArgs(trailingOnly = TRUE)
p <- scan(a[1], what = list(x = 0, y = 0), sep = ",", skip = 1, quiet = TRUE)
m <- cbind(p$x, p$y)
eps <- as.numeric(a[2]); minPts <- as.integer(a[3])
for (r in 1:3) {
  t <- system.time(cl <- dbscan(m, eps = eps, minPts = minPts))[["elapsed"]]
  cat(sprintf("run=%d seconds=%.6f clusters=%d noise=%d\n", r, t, max(cl$cluster), sum(cl$cluster == 0)))
}
writeLines(as.character(cl$cluster), a[4])
RS

rows=""
prev=""
ok=1
for n in 10000 100000 1000000; do
  "$BUILD/dbscan_bench" "$n" "$EPS" "$MINPTS" 3 "$TMP/p.csv" "$TMP/hz.txt" > "$TMP/hz_$n.txt"
  Rscript "$TMP/peer.R" "$TMP/p.csv" "$EPS" "$MINPTS" "$TMP/r.txt" > "$TMP/r_$n.txt"
  h=$(field seconds < "$TMP/hz_$n.txt" | median)
  r=$(field seconds < "$TMP/r_$n.txt" | median)
  hc=$(tail -1 "$TMP/hz_$n.txt" | field clusters) hn=$(tail -1 "$TMP/hz_$n.txt" | field noise)
  rc=$(tail -1 "$TMP/r_$n.txt" | field clusters) rn=$(tail -1 "$TMP/r_$n.txt" | field noise)
  if [ "$hc" = "$rc" ] && [ "$hn" = "$rn" ]; then agree="yes"; else agree="NO"; ok=0; fi
  if cmp -s "$TMP/hz.txt" "$TMP/r.txt"; then same="identical"; else same="differ"; fi
  ratio=$(awk -v a="$r" -v b="$h" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}')
  growth="-"
  [ -n "$prev" ] && growth=$(awk -v a="$h" -v b="$prev" 'BEGIN {printf "%.1fx", a / b}')
  prev=$h
  rows+="| $n | $h | $growth | $r | ${ratio}x | $hc / $rc | $hn / $rn | $agree ($same labels) |"$'\n'
  echo "n=$n: hazmap $h s, R dbscan $r s (R/hazmap ${ratio}x); clusters $hc/$rc, noise $hn/$rn, labels $same"
done
h100=$(field seconds < "$TMP/hz_100000.txt" | median)
r100=$(field seconds < "$TMP/r_100000.txt" | median)
verdict=$(awk -v a="$h100" -v b="$r100" 'BEGIN {print (a <= b) ? "meets" : "MISSES"}')

# ---- 2. public black spots over HTTP, 1M incidents, uncached
DB=$(bench/lib/db1m.sh "$BUILD/hazmap")
NINC=$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/hazmap" serve --db "$DB" --port "$PORT" --cache-dir "$TMP/cache" > "$TMP/serve.out" 2> "$TMP/serve.err" &
SPID=$!
for _ in $(seq 1 600); do grep -q listening "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$TMP/serve.out" || { cat "$TMP/serve.err" >&2; echo "hazmap serve did not start" >&2; exit 1; }
NREQ=25
LOAD=$(cut -d' ' -f1 /proc/loadavg)
BTOKEN=$("$BUILD/hazmap" token create --db "$DB" --role planner --label bench-blackspots)
python3 - "http://127.0.0.1:$PORT" "$NREQ" "$SPID" "$BTOKEN" > "$TMP/http.txt" <<'PY'
import datetime, http.client, json, os, statistics, sys, time, urllib.parse
base, nreq, pid, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def cpu_s():  # the server's user + system CPU time: the work, whatever else runs on the machine
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
def get(path, auth=True):
    t = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token} if auth else {})
    r = conn.getresponse(); body = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status != 200: raise SystemExit(f"{path}: {r.status} {body[:200]}")
    return ms, body
def cache(outcome):
    _, b = get("/metrics")
    key = 'hazmap_cache_requests_total{cache="result",outcome="%s"}' % outcome
    return sum(int(float(l.split()[-1])) for l in b.decode().splitlines() if l.startswith(key))
def blackspots(day):
    # a date after the data's last incident (2014): all incidents, but a new result-cache key
    to = datetime.date(2015, 1, 1) + datetime.timedelta(days=day)
    ms, body = get(f"/api/blackspots?to={to.isoformat()}")
    return ms, json.loads(body)
_, fc = blackspots(nreq)  # warm-up, not counted
want = json.dumps(fc["features"], sort_keys=True)
miss0, hit0 = cache("miss"), cache("hit")
cpu0 = cpu_s()
ms = []
for k in range(nreq):
    t, fc = blackspots(k)
    assert json.dumps(fc["features"], sort_keys=True) == want, "another to= changed the black spots"
    ms.append(t)
cpu = (cpu_s() - cpu0) / nreq * 1000
misses, hits = cache("miss") - miss0, cache("hit") - hit0
assert misses == nreq and hits == 0, f"{misses} misses, {hits} hits: not every request computed"
q = lambda v, p: sorted(v)[min(len(v) - 1, int(round(p * (len(v) - 1))))]
pv, feats = fc["provenance"], fc["features"]
shown = sum(1 for f in feats if not f["properties"].get("suppressed"))
# the public's black spots: squares of the release, one view per request (each uncached)
pub = []
for y in (2012, 2013, 2014):
    for g in ("traffic", "fall", "violence", "self_harm", "fire", "other"):
        t, _ = get(f"/api/blackspots?year={y}&injury_group={g}", auth=False)
        pub.append(t)
print(f"p50={statistics.median(ms):.1f} p95={q(ms, 0.95):.1f} max={max(ms):.1f} n={len(ms)} cpu={cpu:.0f} "
      f"misses={misses} hits={hits} clusters={pv['clusters']} shown={shown} "
      f"min_points={pv['min_points']} bytes={len(json.dumps(fc))} "
      f"relp_mid={statistics.median(pub):.1f} relp_top={q(pub, 0.95):.1f} relcount={len(pub)}")
PY
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true
SPID=
hp="$(cat "$TMP/http.txt") load=$LOAD"
echo "black spots over HTTP, 1M (planners live; the public from the release): $hp"
P50=$(echo "$hp" | field p50) P95=$(echo "$hp" | field p95) PMAX=$(echo "$hp" | field max)
v_http=$(awk -v a="$P95" 'BEGIN {print (a <= 500) ? "meets" : "MISSES"}')

{
  echo "## DBSCAN black spots"
  echo
  echo "Command: \`bench/blackspots.sh $BUILD\` (driver \`bench/dbscan_bench.c\` timing only \`dbscan_run()\`; peer R"
  echo "\`dbscan::dbscan()\` $(Rscript -e 'cat(as.character(packageVersion("dbscan")))' 2>/dev/null) (Debian r-cran-dbscan, kd-tree default) timing only the \`dbscan()\` call; median of 3 runs each, same run)."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs, so medians vary."
  echo "Code: commit \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(git status --porcelain --untracked-files=no -- geo include server cli 2>/dev/null | grep -q . && echo ' with uncommitted changes')."
  echo
  echo "Synthetic seeded points (metres): the square side grows with sqrt(n) (20 km at 100,000) so the density stays"
  echo "city-like; half uniform, half in Gaussian clusters of about 250 points (sigma 20-80 m). eps = $EPS m, minPts = $MINPTS"
  echo "(the point itself counted in both). hazmap: uniform grid of cells eps / (2 sqrt 2) with bounding boxes, single thread."
  echo
  echo "| points | hazmap s | growth | R dbscan s | R / hazmap | clusters hazmap / R | noise hazmap / R | partitions agree |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|"
  printf "%s" "$rows"
  echo
  echo "Target (issue 3): at 100,000 points at least as fast as R dbscan: **$verdict** ($h100 s vs $r100 s)."
  echo
  echo "### Black spots over HTTP, 1M incidents, uncached (issues 8, 13)"
  echo
  echo "\`hazmap serve\` (default threads) on \`build/bench/server-1m.sqlite\` ($NINC incidents: the synthetic sample"
  echo "replicated with ±50 m jitter, \`bench/lib/db1m.sh\`). Since issue 13 the public's black spots are squares of the"
  echo "published release (no DBSCAN over incidents); the live DBSCAN over all 1M incidents this target was set for is"
  echo "now the planners' (with a token). \`GET /api/blackspots\` with the default parameters (eps 50 m, min_points"
  echo "automatic), one sequential keep-alive client (Python http.client), wall time per request."
  echo
  echo "Uncached: the result cache is keyed by the filter, so request k asks for \`to=\` 2015-01-01 + k days, after the"
  echo "data's last incident: the same $NINC incidents and black spots (the client checks that the features are identical)"
  echo "under a new key. The server's counters confirm it: $(echo "$hp" | field misses) result-cache misses and $(echo "$hp" | field hits) hits"
  echo "over the $NREQ measured requests. One warm-up request (another date) is not counted. Load average (1 min) when"
  echo "the requests began: $LOAD."
  echo
  echo "| requests | p50 ms | p95 ms | max ms | server CPU ms per request | clusters (shown) | min_points | target | verdict |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|---|"
  echo "| $NREQ | $P50 | $P95 | $PMAX | $(echo "$hp" | field cpu) | $(echo "$hp" | field clusters) ($(echo "$hp" | field shown)) | $(echo "$hp" | field min_points) | p95 <= 500 ms | $v_http |"
  echo
  echo "The public's black spots from the release, one view (year x injury group) per request, each uncached:"
  echo "p50 $(echo "$hp" | field relp_mid) ms, p95 $(echo "$hp" | field relp_top) ms over $(echo "$hp" | field relcount) requests."
  echo
  echo "Server CPU per request (user + system time of the server process over the measured requests, from /proc)"
  echo "is the work itself; the wall times also wait for the cores whenever other jobs on this shared machine run."
  echo
  echo "Where the time went: the in-process chain of the server (\`blackspots_compute\` + \`blackspots_geojson\`(suppress 10)"
  echo "+ \`json_dumps\`) on this store with perf and timers, once, while working on issue 8 (not re-measured by this"
  echo "script; seconds, on this shared machine):"
  echo
  echo "| stage | before (89eef3c) | after, one thread (66b2dbf) |"
  echo "|---|---:|---:|"
  echo "| selection of the filtered points | 0.02 | 0.02 |"
  echo "| automatic min_points (occupied eps-cells: qsort of 1M keys, now a hash set) | 0.135 | 0.009 |"
  echo "| DBSCAN: grid of cell eps, every neighbour scanned (76 % of samples: expansion 50 %, core counts 45 %); now cells of eps / 2.8 with exact box bounds, sparse cells settled from row sums | 3.7 | 0.19 |"
  echo "| trend years; per-cluster counts, histograms and trends (members visited cluster by cluster: cache misses; now one pass in memory order) | 0.17-0.19 | 0.02 |"
  echo "| radius and convex hulls (qsort of the members; now radix passes) | 0.09 | 0.03 |"
  echo "| ranking, GeoJSON, serialisation (63 clusters, all shown: nothing computed was thrown away) | 0.003 | 0.003 |"
  echo "| **total** | **4.3** | **0.28** |"
  echo
  echo "Since b9978a8 the core marking and labelling passes of DBSCAN (about 0.13 s of its 0.19 s) run on one thread"
  echo "per core; the server uses them, so its CPU per request can exceed its wall time when a core is free."
  echo
  echo "Before, this client against a build of 89eef3c on the same store (25 requests, load average 2.5-3.4 from"
  echo "other jobs): p50 4.8 s, p95 7.1 s. The DBSCAN labels are unchanged: identical to R's in the table above, and"
  echo "to the brute force in \`tests/check_dbscan.c\`."
  echo
  echo "Target (issue 8): black spots, default parameters, 1M incidents, uncached, p95 <= 500 ms: **$v_http** ($P95 ms, live DBSCAN)."
} > "$OUT"
{
  echo "| Black spots (DBSCAN), 100k vs R dbscan (issue 3) | <= R dbscan's time | $h100 s vs $r100 s ($(awk -v a="$r100" -v b="$h100" 'BEGIN {printf "%.1f", a / b}')x faster) | $verdict |"
  echo "| Black spots, default parameters, live DBSCAN over 1M incidents, uncached (issue 8; planners since issue 13) | p95 <= 500 ms | p50 $P50 / p95 $P95 ms ($NREQ requests over HTTP; public from the release p95 $(echo "$hp" | field relp_top) ms) | $v_http |"
} > bench/results/blackspots.targets
echo "wrote $OUT"
[ "$ok" = 1 ]
