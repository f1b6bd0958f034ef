#!/usr/bin/env bash
# replicas.sh - integration test of stateless replicas (issue 14): two `hazmap serve` processes on
# one database (a SpatiaLite file, or PostGIS with REPLICAS_DB), on two loopback ports.
#
#  1. Replica A accepts a POSTed incident (editor token); replica B serves counts (/healthz,
#     /api/stats) and a density tile that include it within 1 s (polled against a deadline). The
#     reference counts are the database's (sqlite3 or psql), not the server's. The public side
#     (no token) keeps answering from the release only: its statistics do not move with the POST,
#     and the incidents collection is 401 without a token.
#     During a burst of 20 POSTs on A, B's requests never wait for its reloads.
#  2. An import (`hazmap import-incidents`) and a release (`hazmap publish`) made by other
#     processes are seen by both replicas within 1 s.
#  3. kill -9 of A while B serves a loop of requests: every one of B's answers is a 200.
#  4. A restarted converges: the same counts, and the same ETag and bytes for tiles, statistics
#     and collections from either replica.
# Env: HAZMAP (binary, default build/hazmap); REPLICAS_DB, a PostgreSQL conninfo of an empty
# database: the sample is loaded into a SpatiaLite file and `hazmap copy`-ed there, and the
# replicas serve it (tests/integration/pgreplicas.sh starts a cluster and does this).
# One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-replicas-test.$$.XXXX)
APID= BPID=
cleanup() {
  [ -n "$APID" ] && kill "$APID" 2>/dev/null
  [ -n "$BPID" ] && kill "$BPID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

DB=$WORK/replicas.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 ||
  { echo "FAIL cannot load the sample: $(tail -1 "$WORK/load.log")"; exit 1; }
if [ -n "${REPLICAS_DB:-}" ]; then
  "$HAZMAP" copy --from "$DB" --to "$REPLICAS_DB" > "$WORK/copy.log" 2>&1 ||
    { echo "FAIL cannot copy the sample to PostGIS: $(tail -1 "$WORK/copy.log")"; exit 1; }
  DB=$REPLICAS_DB
fi
# one value from the database, over a connection of its own
q() {
  if [ -n "${REPLICAS_DB:-}" ]; then psql -X -At "$DB" -c "$1"; else sqlite3 "$DB" "$1"; fi
}
PLANNER=$("$HAZMAP" token create --db "$DB" --role planner --label replicas)
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label replicas-editor)

# Replicas behind one address share its base_url (links in the answers name it, not the
# replica's own port), so the same request gets the same bytes from either.
printf 'base_url = http://hazmap.test\ncache_mb = 32\nquery_timeout_ms = 600000\n' > "$WORK/hazmap.conf"
# start NAME: a replica (hz_serve) with its own tile cache directory (caches are per replica);
# sets NAMEPID, NAMEPORT and NAME (A or B: the replica's address)
start() {
  mkdir -p "$WORK/cache-$1"
  hz_serve "$WORK/out-$1.log" "$WORK/err-$1.log" --db "$DB" --config "$WORK/hazmap.conf" \
    --cache-dir "$WORK/cache-$1"
  eval "${1}PID=\$HZ_PID ${1}PORT=\$PORT $1=\$BASE"
}
start A
start B
check "replica A listening" grep -q "listening on http://127.0.0.1:$APORT/" "$WORK/out-A.log"
check "replica B listening" grep -q "listening on http://127.0.0.1:$BPORT/" "$WORK/out-B.log"

# The client: python3 with http.client (keep-alive), one command per call.
cat > "$WORK/rq.py" <<'PY'
import hashlib, http.client, json, re, sys, time, urllib.parse
cmd, args = sys.argv[1], sys.argv[2:]
def get(base, path, token=None):
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
    r = c.getresponse(); body = r.read(); c.close()
    return r.status, r.getheader("ETag") or "", body
if cmd == "poll":
    # poll BASE PATH TOKEN PYEXPR SECONDS: GETs until PYEXPR (d = the JSON body) holds; prints the
    # seconds it took, or "timeout" with the last body
    base, path, token, expr, limit = args[0], args[1], args[2] or None, args[3], float(args[4])
    t0 = time.monotonic(); last = b""
    while True:
        s, _, last = get(base, path, token)
        if s == 200 and eval(expr, {"d": json.loads(last)}):
            print(f"{time.monotonic() - t0:.3f}"); break
        if time.monotonic() - t0 > limit:
            print("timeout", s, last[:300]); break
        time.sleep(0.02)
elif cmd == "polldiff":
    # polldiff BASE PATH TOKEN OLDSHA SECONDS: GETs until the body's SHA-256 differs from OLDSHA
    base, path, token, old, limit = args[0], args[1], args[2] or None, args[3], float(args[4])
    t0 = time.monotonic()
    while True:
        s, _, body = get(base, path, token)
        if s == 200 and hashlib.sha256(body).hexdigest() != old:
            print(f"{time.monotonic() - t0:.3f}"); break
        if time.monotonic() - t0 > limit:
            print("timeout", s); break
        time.sleep(0.02)
elif cmd == "sha":
    # sha BASE PATH TOKEN: status, ETag and SHA-256 of the body. A page of items carries
    # "timeStamp", the second it was answered (OGC API - Features), which is left out.
    s, etag, body = get(args[0], args[1], args[2] or None)
    body = re.sub(rb',"timeStamp":"[^"]*"', b"", body)
    print(s, etag or "-", hashlib.sha256(body).hexdigest())
elif cmd == "loop":
    # loop BASE TOKEN SECONDS PATH...: cycles through the paths for SECONDS; prints the number of
    # answers and the non-200 ones
    base, token, secs, paths = args[0], args[1], float(args[2]), args[3:]
    t0 = time.monotonic(); n = 0; bad = []
    while time.monotonic() - t0 < secs:
        p = paths[n % len(paths)]
        try:
            s, _, body = get(base, p, token or None)
            if s != 200 or not body: bad.append(f"{p}: {s}")
        except Exception as e:
            bad.append(f"{p}: {e}")
        n += 1
    print(n, len(bad), "; ".join(bad[:5]))
PY
rq() { python3 "$WORK/rq.py" "$@"; }
within() { python3 -c "import sys; v=sys.argv[1]; sys.exit(0 if v.replace('.','',1).isdigit() and float(v) <= float(sys.argv[2]) else 1)" "$1" "$2"; }

NINC=$(q 'SELECT count(*) FROM incidents')
# A view that is empty before the POST: electric injuries on 2014-12-30 (the sample's last days)
VIEW='mechanism=electric&from=2014-12-30&to=2014-12-30'
NVIEW=$(q "SELECT count(*) FROM incidents WHERE mechanism='electric' AND substr(occurred_at,1,10)='2014-12-30'")
LON=104.0800 LAT=30.6500
read -r TX TY <<< "$(python3 -c "import math; z=15; n=2**z; print(int(($LON+180)/360*n), int((1-math.asinh(math.tan(math.radians($LAT)))/math.pi)/2*n))")"
TILE="/tiles/density/15/$TX/$TY.png?$VIEW"
STATS="/api/stats?by=none&$VIEW"
for R in A B; do
  base=$A; [ $R = B ] && base=$B
  check "$R: planner /healthz counts the database's $NINC incidents" \
    test "$(rq poll "$base" /healthz "$PLANNER" "d['incidents']==$NINC" 0)" != timeout
done
read -r s0 _ SHA0 <<< "$(rq sha "$B" "$TILE" "$PLANNER")"
check "B: the view's tile before the POST: 200 ($s0)" test "$s0" = 200
PUBSTATS='/api/stats?by=area'
read -r p0 _ PSHA0 <<< "$(rq sha "$B" "$PUBSTATS" "")"
check "B: public $PUBSTATS (no token) before the POST: 200 ($p0)" test "$p0" = 200

# ---- 1. a POST on A, seen by B within 1 s ----
FEAT="{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[$LON,$LAT]},\"properties\":{\"source\":\"replicas\",\"source_id\":\"r-1\",\"occurred_at\":\"2014-12-30T10:00:00\",\"mechanism\":\"electric\",\"severity\":\"minor\",\"age\":40,\"sex\":\"male\"}}"
s=$(curl -s -o "$WORK/post.json" -w '%{http_code}' -X POST -H 'Content-Type: application/geo+json' \
  -H "Authorization: Bearer $EDITOR" --data "$FEAT" "$A/collections/incidents/items")
check "A: POST with the editor token 201 ($s)" test "$s" = 201
T=$(rq poll "$B" /healthz "$PLANNER" "d['incidents']==$((NINC + 1))" 1.0)
check "B: /healthz counts the POSTed incident within 1 s ($T s)" within "$T" 1.0
check "the database holds it ($((NVIEW + 1)) in the view)" \
  test "$(q "SELECT count(*) FROM incidents WHERE mechanism='electric' AND substr(occurred_at,1,10)='2014-12-30'")" = $((NVIEW + 1))
T=$(rq poll "$B" "$STATS" "$PLANNER" "d['rows'][0]['count']==$((NVIEW + 1))" 1.0)
check "B: /api/stats of the view counts $((NVIEW + 1)) (the database's count) within 1 s ($T s)" within "$T" 1.0
T=$(rq polldiff "$B" "$TILE" "$PLANNER" "$SHA0" 1.0)
check "B: the view's density tile over the POSTed point changed within 1 s ($T s)" within "$T" 1.0
read -r sa ea ha <<< "$(rq sha "$A" "$TILE" "$PLANNER")"
read -r sb eb hb <<< "$(rq sha "$B" "$TILE" "$PLANNER")"
check "A and B: the same tile bytes and ETag after the POST" test "$sa $ea $ha" = "$sb $eb $hb" -a "$sa" = 200
read -r p1 _ PSHA1 <<< "$(rq sha "$B" "$PUBSTATS" "")"
check "B: public $PUBSTATS after the POST: the release's answer, unchanged ($p1)" \
  test "$p1 $PSHA1" = "200 $PSHA0"
s=$(curl -s -o /dev/null -w '%{http_code}' "$B/collections/incidents/items?limit=1")
check "B: the incidents collection without a token: 401 ($s)" test "$s" = 401

metric() { curl -s "$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }
check "B's /metrics: hazmap_data_version is the database's ($(metric "$B" hazmap_data_version)), and its watcher handed on commits ($(metric "$B" hazmap_store_changes_total))" \
  test "$(metric "$B" hazmap_data_version)" = "$(q "SELECT value FROM meta WHERE key='data_version'")" -a "$(metric "$B" hazmap_store_changes_total)" -ge 1
DELTA=$(metric "$B" 'hazmap_snapshot_loads_total{from="delta"}')
check "B reloaded after the POST from its previous snapshot and the new rows only (incset_reload(): $DELTA incremental loads)" \
  test "${DELTA:-0}" -ge 1

# A burst of 20 POSTs on A while B answers cached requests: B's requests never wait for the
# reloads the burst causes (its watcher loads off the request path), and B ends converged.
python3 - "$A" "$B" "$EDITOR" "$PLANNER" "$LON" "$LAT" > "$WORK/burst.txt" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
a, b, editor, planner, lon, lat = sys.argv[1:7]
def conn(base):
    u = urllib.parse.urlparse(base); return http.client.HTTPConnection(u.hostname, u.port, timeout=30)
done, lat_ms, bad = threading.Event(), [], []
def reader():
    c = conn(b)
    while not done.is_set():
        t = time.monotonic()
        c.request("GET", "/tiles/density/14/12928/6725.png"); r = c.getresponse(); r.read()
        lat_ms.append((time.monotonic() - t) * 1000)
        if r.status != 200: bad.append(r.status)
th = threading.Thread(target=reader); th.start()
c = conn(a)
for i in range(20):
    f = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon) + i * 1e-4, float(lat)]},
         "properties": {"source": "replicas", "source_id": f"burst-{i}", "occurred_at": "2014-12-29T10:00:00",
                        "mechanism": "fall", "severity": "minor", "age": 30, "sex": "male"}}
    c.request("POST", "/collections/incidents/items", body=json.dumps(f),
              headers={"Authorization": "Bearer " + editor, "Content-Type": "application/geo+json"})
    r = c.getresponse(); r.read()
    if r.status != 201: bad.append(r.status)
time.sleep(0.5); done.set(); th.join()
print(len(lat_ms), f"{max(lat_ms):.0f}", len(bad))
PY
read -r nreq maxms nbad < "$WORK/burst.txt"
check "B during a burst of 20 POSTs on A: $nreq requests, all 200, the slowest ${maxms} ms (< 1000)" \
  test "${nbad:-1}" = 0 -a "${maxms:-9999}" -lt 1000 -a "${nreq:-0}" -gt 20
T=$(rq poll "$B" /healthz "$PLANNER" "d['incidents']==$((NINC + 21))" 1.0)
check "B counts the burst's 20 incidents within 1 s of the last POST ($T s)" within "$T" 1.0

# ---- 2. an import and a release by other processes ----
printf 'id,lon,lat,time,mechanism,severity\nimp-1,%s,%s,2014-12-30T11:00:00,electric,minor\nimp-2,%s,%s,2014-12-30T12:00:00,electric,minor\n' \
  104.0801 30.6501 104.0802 30.6502 > "$WORK/imp.csv"
"$HAZMAP" import-incidents --db "$DB" "$WORK/imp.csv" --source replicas-import > "$WORK/imp.log" 2>&1
check "import of 2 incidents by another process" test "$(q 'SELECT count(*) FROM incidents')" = $((NINC + 23))
for R in A B; do
  base=$A; [ $R = B ] && base=$B
  T=$(rq poll "$base" /healthz "$PLANNER" "d['incidents']==$((NINC + 23))" 1.0)
  check "$R: sees the import within 1 s ($T s)" within "$T" 1.0
done
REL0=$(q 'SELECT max(id) FROM releases')
"$HAZMAP" publish --db "$DB" > "$WORK/publish.log" 2>&1
REL1=$(q 'SELECT max(id) FROM releases')
check "hazmap publish wrote release $REL1 (after $REL0)" test "$REL1" -gt "$REL0"
for R in A B; do
  base=$A; [ $R = B ] && base=$B
  T=$(rq poll "$base" /healthz "" "d['release']==$REL1" 1.0)
  check "$R: the public side serves release $REL1 within 1 s ($T s)" within "$T" 1.0
done
read -r p2 _ PSHA2 <<< "$(rq sha "$B" "$PUBSTATS" "")"
check "B: public $PUBSTATS from release $REL1 differs from the first release's ($p2)" \
  test "$p2" = 200 -a "$PSHA2" != "$PSHA0"

# ---- 3. kill -9 A while B serves ----
PUBTILE=$(python3 -c "import math; z=14; n=2**z; print(f'/tiles/density/14/{int(($LON+180)/360*n)}/{int((1-math.asinh(math.tan(math.radians($LAT)))/math.pi)/2*n)}.png')")
rq loop "$B" "$PLANNER" 3 /healthz "$STATS" "$TILE" "$PUBTILE" '/collections/areas/items?limit=5' \
  '/api/stats?by=area' > "$WORK/loop.txt" &
LOOP=$!
sleep 1
kill -9 "$APID"
wait "$APID" 2>/dev/null
APID=
wait "$LOOP"
read -r n nbad why < "$WORK/loop.txt"
check "B answered all $n requests 200 while A was killed (-9): $nbad failed ${why:-}" test "${nbad:-1}" = 0 -a "${n:-0}" -gt 100
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/geo+json' \
  -H "Authorization: Bearer $EDITOR" --data "${FEAT/r-1/r-2}" "$B/collections/incidents/items")
check "B: accepts a POST after A's kill -9 ($s)" test "$s" = 201

# ---- 4. A restarted converges ----
start A
check "A restarted" grep -q "listening on http://127.0.0.1:$APORT/" "$WORK/out-A.log"
NOW=$(q 'SELECT count(*) FROM incidents')
T=$(rq poll "$A" /healthz "$PLANNER" "d['incidents']==$NOW" 1.0)
check "A: counts the $NOW incidents of the database ($T s)" within "$T" 1.0
BBOX=$(python3 -c "print(f'{$LON-0.003:.4f},{$LAT-0.003:.4f},{$LON+0.003:.4f},{$LAT+0.003:.4f}')")
for p in /healthz "$STATS" "$TILE" "$PUBTILE" '/collections/areas/items?limit=5' \
  '/collections/hotspots/items?limit=5' '/api/stats?year=2014' '/api/stats?by=area' \
  "/collections/incidents/items?bbox=$BBOX&limit=20"; do
  for who in planner public; do
    tok=$PLANNER; [ $who = public ] && tok=
    # the planners' hot spots are a live Gi* analysis (seconds each): the public's are enough
    [ $who = planner ] && [[ $p == /collections/hotspots* ]] && continue
    read -r sa ea ha <<< "$(rq sha "$A" "$p" "$tok")"
    read -r sb eb hb <<< "$(rq sha "$B" "$p" "$tok")"
    check "A and B converge on $p ($who): status $sa, ETag $ea, the same bytes" \
      test "$sa $ea $ha" = "$sb $eb $hb"
  done
done
check "no 5xx in either replica's access log" bash -c "! grep -Eq '^[A-Z]+ [^ ]+ 5[0-9][0-9] ' '$WORK/err-A.log' '$WORK/err-B.log'"

# the replicas stopped by SIGTERM (app_free(): the watcher joined first): no sanitizer report
for p in $APID $BPID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
APID= BPID=
check "no sanitizer report in the replicas' logs" bash -c "! grep -q 'Sanitizer\|runtime error' '$WORK/err-A.log' '$WORK/err-B.log'"
echo "replicas: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ] && echo PASS || echo FAIL
exit $((FAILS > 0))
