#!/usr/bin/env bash
# isolation.sh - issue 16's acceptance test of the analysis pool: with four maximum-budget
# planner analyses running (uncached GeoTIFF densities just under the work budget, a few seconds
# each), /healthz and a cached tile keep p99 <= 100 ms; the four still succeed; a full analysis
# queue answers 503 with Retry-After at once.
#
# This is the one timed check of the project (speed is otherwise `make bench`'s): the issue
# makes it the acceptance test. The bound is the issue's (100 ms, generous against the ~1 ms a
# cheap request takes), each p99 is over 100 requests, and the script checks that the analyses
# were still running when the measurement ended (else it proves nothing).
# Env: HAZMAP (binary, default build/hazmap). One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
WORK=$(mktemp -d /tmp/hazmap-isolation-test.$$.XXXX)
PID=
HEAVY=()
cleanup() {
  for p in "${HEAVY[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

DB=$WORK/test.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 || { echo "FAIL load-sample: $(tail -1 "$WORK/load.log")"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label isolation) || { echo "FAIL token create"; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN")

# start CONFIG-TEXT: a server on a free port with that configuration; sets PID and BASE
start() {
  printf '%s\n' "$1" > "$WORK/hazmap.conf"
  hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" --config "$WORK/hazmap.conf" ||
    { echo "FAIL server did not start"; exit 1; }
  PID=$HZ_PID
}
# stop: SIGTERM; the exit status in $STOPPED
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; STOPPED=$?; PID=; }

# The analyses run under query_timeout_ms (cancel.h): the servers here allow them 10 minutes, so
# that a slow build (AddressSanitizer) still runs them to the end; deadline.sh tests the limit.
# heavy N BANDWIDTH: an uncached planner density GeoTIFF (a distinct bandwidth each, so no
# cache answers it); with a Gaussian kernel on 400 m cells a bandwidth of 12,800-13,000 m is just
# under the server's work budget (3e9 units; 14,100 m is over it: 422), a few seconds of both
# cores each; status and headers to $WORK/heavy.N.*
heavy() {
  curl -s -o /dev/null -D "$WORK/heavy.$1.headers" -w '%{http_code}' "${AUTH[@]}" \
    "$BASE/api/density.tif?kernel=gaussian&cell=400&extent=points&bandwidth=$2" > "$WORK/heavy.$1.status" &
  HEAVY+=($!)
}

# p99 FILE: the 99th percentile (nearest rank) of the seconds in FILE, in ms
p99() { sort -g "$1" | awk '{v[NR]=$1} END {i=int(NR*0.99+0.999); printf "%.1f", v[i]*1000}'; }

# ---- four analyses running: cheap requests are not held up ----
start "analysis_threads = 4
prerender_max_zoom = 0
query_timeout_ms = 600000"
# the tile at the centre of the data, zoom 13, rendered once (through the pool) and then cached
read -r TZ TX TY < <(curl -s "${AUTH[@]}" "$BASE/tiles/density.json" | python3 -c '
import json, math, sys
d = json.load(sys.stdin); lon, lat = d["center"][0], d["center"][1]; z = 13; n = 2 ** z
x = int((lon + 180) / 360 * n)
y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
print(z, x, y)')
TILE=/tiles/density/$TZ/$TX/$TY.png
s=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE$TILE")
check "the tile renders (200)" test "$s" = 200
s=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")
check "/healthz 200 before the load" test "$s" = 200

for i in 1 2 3 4; do heavy "$i" $((12800 + i * 40)); done
sleep 1 # let the four reach the pool
: > "$WORK/healthz.ms"; : > "$WORK/tile.ms"; : > "$WORK/cheap.status"
for _ in $(seq 1 100); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE/healthz" >> "$WORK/cheap.status"
  tail -1 "$WORK/cheap.status" | cut -d' ' -f2 >> "$WORK/healthz.ms"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "${AUTH[@]}" "$BASE$TILE" >> "$WORK/cheap.status"
  tail -1 "$WORK/cheap.status" | cut -d' ' -f2 >> "$WORK/tile.ms"
done
running=0
for p in "${HEAVY[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
check "the analyses were still running when the measurement ended ($running of 4)" test "$running" -ge 1
check "200 cheap requests, all 200" test "$(grep -c '^200 ' "$WORK/cheap.status")" = 200
HP=$(p99 "$WORK/healthz.ms") TP=$(p99 "$WORK/tile.ms")
echo "# p99 under load: /healthz $HP ms, cached tile $TP ms (100 each; max $(sort -g "$WORK/healthz.ms" | tail -1 | awk '{printf "%.1f", $1*1000}') and $(sort -g "$WORK/tile.ms" | tail -1 | awk '{printf "%.1f", $1*1000}') ms)"
check "/healthz p99 <= 100 ms with four analyses running ($HP ms)" awk "BEGIN {exit !($HP <= 100)}"
check "cached tile p99 <= 100 ms with four analyses running ($TP ms)" awk "BEGIN {exit !($TP <= 100)}"
for p in "${HEAVY[@]}"; do wait "$p"; done
HEAVY=()
check "the four analyses succeed (200): $(cat "$WORK"/heavy.?.status | tr '\n' ' ')" \
  test "$(cat "$WORK"/heavy.?.status | tr -d '\n')" = 200200200200
stop

# ---- a full queue: 503 with Retry-After at once ----
start "analysis_threads = 1
analysis_queue = 1
prerender_max_zoom = 0
query_timeout_ms = 600000"
rm -f "$WORK"/heavy.*
for i in 1 2 3 4; do heavy "$i" $((12000 + i * 100)); sleep 0.2; done
for p in "${HEAVY[@]}"; do wait "$p"; done
HEAVY=()
STAT=$(cat "$WORK"/heavy.?.status | tr '\n' ' ')
check "one pool thread and one queue place: 2 answered, 2 refused ($STAT)" \
  test "$(tr ' ' '\n' <<< "$STAT" | sort | tr -d '\n')" = 200200503503
REFUSED=$(grep -l '^HTTP/1.1 503' "$WORK"/heavy.?.headers | head -1)
check "the 503 says Retry-After" grep -qi '^Retry-After: [0-9]' "${REFUSED:-/dev/null}"
check "the refusals are counted under their route" \
  bash -c "curl -s '$BASE/metrics' | grep -q 'hazmap_http_requests_total{route=\"density_tif\",status=\"503\"} 2'"
check "/metrics: hazmap_analysis_refused_total 2, nothing waiting or running" \
  bash -c "curl -s '$BASE/metrics' | grep -qx 'hazmap_analysis_refused_total 2' && curl -s '$BASE/metrics' | grep -qx 'hazmap_analysis_waiting 0' && curl -s '$BASE/metrics' | grep -qx 'hazmap_analysis_running 0'"
stop
check "one access-log line per request, 503s included" test "$(grep -c '^GET /api/density.tif.* 503 ' "$WORK/access.log")" = 2

# ---- shutting down with an analysis running and one waiting ----
# (every suspended connection must be resumed before libmicrohttpd stops: the waiting one is
# cancelled, the running one finishes; the clients may see their answer or a closed connection)
start "analysis_threads = 1
analysis_queue = 1
prerender_max_zoom = 0
query_timeout_ms = 600000"
rm -f "$WORK"/heavy.*
heavy 1 11500
sleep 0.3
heavy 2 11600
sleep 0.3
stop
check "SIGTERM with an analysis running and one queued: exit 0" test "$STOPPED" = 0
for p in "${HEAVY[@]}"; do wait "$p"; done
HEAVY=()
check "their clients got an answer or a closed connection ($(cat "$WORK"/heavy.1.status) $(cat "$WORK"/heavy.2.status))" \
  bash -c "for f in '$WORK'/heavy.?.status; do grep -qx '200\|503\|000' \"\$f\" || exit 1; done"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$WORK/access.log'"

echo "isolation.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
