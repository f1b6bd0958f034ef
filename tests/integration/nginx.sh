#!/usr/bin/env bash
# nginx.sh - integration test of deploy/: nginx on loopback ports, configured by deploy/nginx/'s
# files themselves (tools/nginx-conf.sh substitutes only ports and paths; a template that no
# longer has the values substituted fails here), balancing two hazmap replicas on one store, with its TLS server
# on a self-signed certificate and the pre-rendered tiles of deploy/render-tiles.sh.
#
#  - 1,000 mixed requests (tiles, counts, collections, TileJSON, pre-rendered tiles; public and
#    with a planner token) from 8 concurrent keep-alive clients: no error, and every repetition of
#    a request gets the same bytes whichever replica nginx picked;
#  - each distinct request again from replica A, from replica B and over TLS: the same bytes as
#    through nginx (a page of items carries "timeStamp", the second it was answered, left out);
#  - a pre-rendered tile is the file render-tiles wrote, with the location's Cache-Control, and
#    has the bytes of the planners' live tile from a replica;
#  - a POST through nginx is seen through nginx (whichever replica answers) within 1 s;
#  - the systemd units pass `systemd-analyze verify` (where systemd-analyze exists).
# nginx comes from the Makefile's packages (tools/deps.sh); without it, and without a way to
# install it, the test says so and is skipped.
# Env: HAZMAP (binary, default build/hazmap). One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=$(realpath "${HAZMAP:-build/hazmap}")
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
if [ -z "$NGINX" ] && [ "$(id -u)" = 0 ]; then
  echo "# nginx missing: installing it (tools/deps.sh lists it)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx > /dev/null 2>&1 ||
    { apt-get update -qq > /dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx > /dev/null 2>&1; }
  NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
fi
if [ -z "$NGINX" ]; then
  echo "SKIP nginx.sh: nginx is not installed and cannot be (not root, or no package source)"
  exit 0
fi
WORK=$(mktemp -d /tmp/hazmap-nginx-test.$$.XXXX)
APID= BPID= NPID=
cleanup() {
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
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
# nginx's workers run as nobody: they read the tiles and write their temporary files here
chmod 755 "$WORK"

DB=$WORK/nginx.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 ||
  { echo "FAIL cannot load the sample: $(tail -1 "$WORK/load.log")"; exit 1; }
PLANNER=$("$HAZMAP" token create --db "$DB" --role planner --label nginx)
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label nginx-editor)
# nginx's two ports (its configuration and the replicas' base_url name them before it starts);
# the replicas' own are chosen by the kernel (hz_serve)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NPORT=$(free_port) TPORT=$(free_port)
N=http://127.0.0.1:$NPORT

# ---- the pre-rendered tiles, by deploy/render-tiles.sh (zooms 12-13 keep it short) ----
HAZMAP=$HAZMAP DB=$DB TILES=$WORK/tiles ZOOM=12-13 RENDER_ARGS="--threads 2" \
  sh deploy/render-tiles.sh > "$WORK/render.log" 2>&1
check "deploy/render-tiles.sh: TILES is a symlink to a new z/x/y directory" \
  bash -c "test -L '$WORK/tiles' && test -f '$WORK/tiles/tilejson.json' && ls '$WORK'/tiles/12/*/*.png > /dev/null"
FIRST=$(readlink "$WORK/tiles")
sleep 1
HAZMAP=$HAZMAP DB=$DB TILES=$WORK/tiles ZOOM=12-12 sh deploy/render-tiles.sh >> "$WORK/render.log" 2>&1
check "a second render swaps the symlink and removes the first directory" \
  bash -c "test '$(readlink "$WORK/tiles")' != '$FIRST' && test ! -e '$WORK/$FIRST' && test -d '$WORK/tiles/12'"
HAZMAP=$HAZMAP DB=$DB TILES=$WORK/tiles ZOOM=12-13 sh deploy/render-tiles.sh >> "$WORK/render.log" 2>&1
chmod -R o+rX "$WORK"/tiles.*

# ---- two replicas, configured by deploy/hazmap.conf with nginx's URL as base_url ----
sed "s#^base_url = .*#base_url = $N#" deploy/hazmap.conf > "$WORK/hazmap.conf"
printf 'cache_mb = 32\nprerender_max_zoom = 0\nquery_timeout_ms = 600000\n' >> "$WORK/hazmap.conf"
check "deploy/hazmap.conf: base_url substituted" grep -q "^base_url = $N\$" "$WORK/hazmap.conf"
start() { # start NAME: a replica (hz_serve); sets NAMEPID and NAMEPORT
  mkdir -p "$WORK/cache-$1"
  hz_serve "$WORK/out-$1.log" "$WORK/err-$1.log" --db "$DB" --config "$WORK/hazmap.conf" \
    --cache-dir "$WORK/cache-$1"
  eval "${1}PID=\$HZ_PID ${1}PORT=\$PORT"
}
start A
start B
check "both replicas listening" grep -q listening "$WORK/out-A.log" "$WORK/out-B.log"

# ---- nginx with deploy/nginx/'s files ----
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" > /dev/null 2>&1
tools/nginx-conf.sh "$WORK/ng" "$NPORT" "$TPORT" "$WORK/tiles" "$WORK/tls" "$APORT" "$BPORT" 2> "$WORK/conf.err"
check "tools/nginx-conf.sh: deploy/nginx/ with the test's ports and paths $(cat "$WORK/conf.err")" test -s "$WORK/ng/nginx.conf" -a ! -s "$WORK/conf.err"
chmod 755 "$WORK/ng"
check "nginx -t accepts deploy/nginx/ (ports and paths substituted)" \
  "$NGINX" -t -q -c "$WORK/ng/nginx.conf" -g 'daemon off;'
"$NGINX" -c "$WORK/ng/nginx.conf" -g 'daemon off;' 2> "$WORK/nginx-stderr.log" &
NPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$N/healthz" && break; sleep 0.1; done

# ---- the requests ----
read -r TX TY <<< "$(python3 -c "import math; z=14; n=2**z; lon, lat = 104.08, 30.65; print(int((lon+180)/360*n), int((1-math.asinh(math.tan(math.radians(lat)))/math.pi)/2*n))")"
PRE=$(cd "$WORK/tiles" && ls 13/*/*.png | head -3 | tr '\n' ' ')
python3 - "$N" "https://127.0.0.1:$TPORT" "http://127.0.0.1:$APORT" "http://127.0.0.1:$BPORT" \
  "$PLANNER" "$TX" "$TY" "$WORK/tiles" $PRE > "$WORK/client.txt" 2>&1 <<'PY'
import hashlib, http.client, re, ssl, sys, threading, urllib.parse
nginx, tls, a, b, token, tx, ty, tiles = sys.argv[1:9]
pre = sys.argv[9:]
tx, ty = int(tx), int(ty)
pub, plan = None, token
reqs = []
for dx in (-1, 0, 1):
    for dy in (-1, 0, 1):
        reqs.append((f"/tiles/density/14/{tx + dx}/{ty + dy}.png", pub))
        reqs.append((f"/tiles/density/14/{tx + dx}/{ty + dy}.png", plan))
reqs += [(f"/tiles/density/13/{tx // 2}/{ty // 2}.png?mechanism=fall", plan),
         (f"/collections/density/tiles/WebMercatorQuad/14/{ty}/{tx}", pub),
         ("/tiles/roads/14/%d/%d.png" % (tx, ty), pub),
         ("/tiles/density.json", pub), ("/tiles/density.json", plan),
         ("/tiles/density/legend.json", pub),
         ("/healthz", pub), ("/healthz", plan),
         ("/api/stats?year=2014", pub), ("/api/stats?by=area", plan),
         ("/api/stats?by=mechanism&from=2014-01-01", plan),
         ("/collections", pub), ("/collections", plan),
         ("/collections/areas/items?limit=5", pub), ("/collections/areas/items?limit=5", plan),
         ("/collections/hotspots/items?limit=5", pub),
         ("/collections/incidents/items?bbox=104.07,30.64,104.09,30.66&limit=50", plan),
         ("/collections/incidents/items?limit=3", pub),  # 401 for the public, the same from both
         ("/api/releases", pub), ("/conformance", pub)]
reqs += [("/prerendered/" + p, pub) for p in pre]
reqs.append(("/prerendered/13/0/0.png", pub))  # outside the data: no file, 204
def strip(body):
    return re.sub(rb',"timeStamp":"[^"]*"', b"", body)
def conn(base):
    u = urllib.parse.urlparse(base)
    if u.scheme == "https":
        return http.client.HTTPSConnection(u.hostname, u.port, timeout=60,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)
def fetch(c, path, tok):
    c.request("GET", path, headers={"Authorization": "Bearer " + tok} if tok else {})
    r = c.getresponse()
    return r.status, strip(r.read()), dict((k.lower(), v) for k, v in r.getheaders())
# Warm-up through each replica directly: every uncached answer is computed once per replica, so
# the 1,000 measure the balancer, not the first renders.
for base in (a, b):
    c = conn(base)
    for p, t in reqs:
        if not p.startswith("/prerendered/"):
            fetch(c, p, t)
N, CLIENTS = 1000, 8
seen, errors, lock = {}, [], threading.Lock()
def worker(k):
    c = conn(nginx)
    for i in range(k, N, CLIENTS):
        p, t = reqs[i % len(reqs)]
        try:
            s, body, h = fetch(c, p, t)
        except Exception as e:
            with lock: errors.append(f"{p}: {e!r}")
            c = conn(nginx)
            continue
        key = (p, t is not None)
        with lock:
            if s >= 500 or (s not in (200, 204) and not p.startswith("/collections/incidents/items?limit=3")):
                errors.append(f"{p} ({'token' if t else 'public'}): {s}")
            seen.setdefault(key, set()).add((s, hashlib.sha256(body).hexdigest()))
threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
for t in threads: t.start()
for t in threads: t.join()
print("requests", N, "errors", len(errors), "; ".join(errors[:5]))
varied = [f"{p} ({'token' if t else 'public'})" for (p, t), v in seen.items() if len(v) != 1]
print("varied", len(varied), "; ".join(varied[:5]))
# each distinct request from A, B and over TLS: the bytes nginx gave
direct = {x: conn(x) for x in (a, b, tls)}
mism = []
for (p, t), v in seen.items():
    (s0, h0), = v if len(v) == 1 else (next(iter(v)),)
    for name, base in (("A", a), ("B", b), ("TLS", tls)):
        if p.startswith("/prerendered/") and name != "TLS":
            continue
        s, body, h = fetch(direct[base], p, plan if t else None)
        if (s, hashlib.sha256(body).hexdigest()) != (s0, h0):
            mism.append(f"{name} {p} ({'token' if t else 'public'}): {s} vs {s0}")
print("direct", len(seen), "mismatches", len(mism), "; ".join(mism[:5]))
# the pre-rendered tile: the file's bytes, with the location's Cache-Control
c = conn(nginx)
s, body, h = fetch(c, "/prerendered/" + pre[0], None)
same = body == open(f"{tiles}/{pre[0]}", "rb").read()
print("prerendered", s, int(same), h.get("content-type", "-"), h.get("cache-control", "-"))
s, body, h = fetch(c, "/prerendered/13/0/0.png", None)
print("missing", s, len(body))
s, body, h = fetch(c, "/tiles/density/" + pre[0], plan)
print("live", s, int(body == open(f"{tiles}/{pre[0]}", "rb").read()))
PY
cat "$WORK/client.txt" | sed 's/^/# /'
read -r _ n _ nerr why < <(grep '^requests' "$WORK/client.txt")
check "1,000 mixed requests through nginx: no error ($nerr; ${why:-none})" test "${nerr:-1}" = 0 -a "${n:-0}" = 1000
read -r _ nvar why < <(grep '^varied' "$WORK/client.txt")
check "every repeated request got the same bytes through nginx, whichever replica answered (${why:-})" test "${nvar:-1}" = 0
read -r _ ndist _ nmis why < <(grep '^direct' "$WORK/client.txt")
check "each of the $ndist distinct requests: the same bytes from A, from B and over TLS (${why:-})" test "${nmis:-1}" = 0
for r in A B; do
  n=$(grep -c '^GET ' "$WORK/err-$r.log")
  check "nginx sent requests to replica $r ($n in its access log)" test "${n:-0}" -gt 100
done
read -r _ s same _ cc < <(grep '^prerendered' "$WORK/client.txt")
check "a pre-rendered tile is served from the file render-tiles wrote ($s), Cache-Control '$cc'" \
  test "$s $same" = "200 1" -a "$cc" = "private, max-age=3600"
read -r _ s same < <(grep '^live' "$WORK/client.txt")
check "the pre-rendered tile has the bytes of the planners' live tile from a replica ($s)" test "$s $same" = "200 1"
read -r _ s len < <(grep '^missing' "$WORK/client.txt")
check "a tile render-tiles did not write (transparent): 204 ($s)" test "$s" = 204

# ---- nginx's tile cache: the public's tiles only ----
PT="/tiles/density/14/$TX/$TY.png"
cs() { curl -s -o /dev/null -D - "$@" | tr -d '\r' | sed -n 's/^X-Cache-Status: //Ip'; }
cs "$N$PT" > /dev/null
check "a public tile asked again is answered by nginx's cache (HIT)" test "$(cs "$N$PT")" = HIT
check "a planner's tile (token) bypasses nginx's cache (BYPASS)" \
  test "$(cs -H "Authorization: Bearer $PLANNER" "$N$PT")" = BYPASS

# ---- a POST through nginx, then reads through nginx (either replica) include it ----
NINC=$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')
FEAT='{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source":"nginx","source_id":"n-1","occurred_at":"2014-06-01T10:00:00","mechanism":"fall","severity":"minor","age":70,"sex":"female"}}'
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/geo+json' \
  -H "Authorization: Bearer $EDITOR" --data "$FEAT" "$N/collections/incidents/items")
check "POST through nginx: 201 ($s)" test "$s" = 201
T=$(python3 - "$N" "$PLANNER" "$((NINC + 1))" <<'PY'
import http.client, json, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); want = int(sys.argv[3]); t0 = time.monotonic()
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
while True:
    # two reads in a row: round robin sends them to both replicas
    ok = 0
    for _ in range(2):
        c.request("GET", "/healthz", headers={"Authorization": "Bearer " + sys.argv[2]})
        r = c.getresponse(); ok += json.loads(r.read())["incidents"] == want
    if ok == 2: print(f"{time.monotonic() - t0:.3f}"); break
    if time.monotonic() - t0 > 1.0: print("timeout"); break
    time.sleep(0.02)
PY
)
check "reads through nginx count it within 1 s, from both replicas ($T s)" test "$T" != timeout
check "no 5xx in the replicas' logs" bash -c "! grep -Eq '^[A-Z]+ [^ ]+ 5[0-9][0-9] ' '$WORK/err-A.log' '$WORK/err-B.log'"

# ---- the systemd units ----
if command -v systemd-analyze > /dev/null; then
  mkdir -p "$WORK/units"
  for u in deploy/systemd/*; do
    sed -e "s#/usr/local/bin/hazmap#$HAZMAP#" -e "s#/usr/local/lib/hazmap/render-tiles.sh#$PWD/deploy/render-tiles.sh#" \
      "$u" > "$WORK/units/$(basename "$u")"
  done
  cp "$WORK/units/hazmap@.service" "$WORK/units/hazmap@8081.service"
  for u in hazmap@8081.service hazmap-render-tiles.service hazmap-render-tiles.timer; do
    check "systemd-analyze verify $u" bash -c "out=\$(systemd-analyze verify '$WORK/units/$u' 2>&1 | grep -v 'User=hazmap\|Group=hazmap\|hazmap.*does not exist'); [ -z \"\$out\" ] || echo \"\$out\" | sed 's/^/#   /'; test -z \"\$out\""
  done
else
  echo "# systemd-analyze not installed: the units are not verified"
fi

# the replicas stopped by SIGTERM (app_free(): the watcher joined first): no sanitizer report
for p in $APID $BPID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
APID= BPID=
check "no sanitizer report in the replicas' logs" bash -c "! grep -q 'Sanitizer\|runtime error' '$WORK/err-A.log' '$WORK/err-B.log'"
echo "nginx: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ] && echo PASS || echo FAIL
exit $((FAILS > 0))
