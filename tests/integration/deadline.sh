#!/usr/bin/env bash
# deadline.sh - issue 16, item 1: an analysis runs under query_timeout_ms and stops when its
# client goes away (cancel.h; the analysis pool's job sets the scope, connguard.c watches the
# socket).
#  1. query_timeout_ms = 300: a planner's hot spots on 25 m cells with the auto band (seconds of
#     incremental Moran's I) answer 422 naming query_timeout_ms, soon after the deadline; so does
#     a Gaussian density GeoTIFF just under the work budget (seconds of KDE);
#  2. a generous timeout: the same request, abandoned by its client after 0.5 s, is stopped: the
#     access log shows it ended 422 (the client disconnected) well before it would have finished.
#  3. the black-spot budget (blackspots_max_work, dbscan_work()'s estimate): with a budget of 2e8
#     point-pair tests, eps 1000 m with min_points 5000 (the old town's cells left open: an
#     estimate of ~5e8) is refused with 422 naming the estimate before DBSCAN runs, while the default eps 50 m
#     (an estimate of ~1e6) is answered. Before the estimate both ran.
# Before the scope existed both ran to the end (200). Env: HAZMAP (binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
WORK=$(mktemp -d /tmp/hazmap-deadline.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }

DB=$WORK/test.sqlite
NO_PUBLISH=1 tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 ||
  { echo "FAIL load-sample: $(tail -1 "$WORK/load.log")"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
AUTH=(-H "Authorization: Bearer $TOKEN")

start() { # CONFIG-TEXT
  printf '%s\n' "$1" > "$WORK/hazmap.conf"
  hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" --config "$WORK/hazmap.conf" ||
    { echo "FAIL server did not start"; exit 1; }
  PID=$HZ_PID
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }

HEAVY="/collections/hotspots/items?cell=25&limit=1"

start "query_timeout_ms = 300"
out=$(curl -s -w ' %{http_code} %{time_total}' "${AUTH[@]}" "$BASE$HEAVY")
code=$(awk '{print $(NF-1)}' <<< "$out")
secs=$(awk '{print $NF}' <<< "$out")
if [ "$code" = 422 ] && grep -q query_timeout_ms <<< "$out"; then
  ok "past query_timeout_ms (300 ms) the analysis stops: 422 naming the limit, after ${secs} s"
else
  bad "expected 422 naming query_timeout_ms, got: $out"
fi
out=$(curl -s -w ' %{http_code}' "${AUTH[@]}" \
  "$BASE/api/density.tif?kernel=gaussian&cell=400&extent=points&bandwidth=12800")
if [ "$(awk '{print $NF}' <<< "$out")" = 422 ] && grep -q query_timeout_ms <<< "$out"; then
  ok "a density GeoTIFF past query_timeout_ms stops too (the KDE's row sweep): 422"
else
  bad "density past the deadline: expected 422 naming query_timeout_ms, got: ${out: -200}"
fi
stop

start "query_timeout_ms = 120000"
curl -s -o /dev/null --max-time 0.5 "${AUTH[@]}" "$BASE$HEAVY&band=auto"
sleep 4
line=$(grep -F "cell=25" "$WORK/access.log" | tail -1)
ms=$(awk '{print $(NF)}' <<< "$line")
status=$(awk '{print $(NF-2)}' <<< "$line")
if [ "$status" = 422 ] && awk -v m="$ms" 'BEGIN {exit !(m < 3000)}'; then
  ok "a client that goes away stops its analysis: logged 422 after $ms ms"
else
  bad "the abandoned analysis was not stopped: access log line '$line'"
fi
curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" | grep -q 200 && ok "the server still answers" || bad "no answer after the cancellation"
stop

start "blackspots_max_work = 200000000"
out=$(curl -s -w ' %{http_code}' "${AUTH[@]}" "$BASE/api/blackspots?eps=1000&min_points=5000")
if [ "$(awk '{print $NF}' <<< "$out")" = 422 ] && grep -q 'estimated work of these black spots' <<< "$out"; then
  ok "black spots over the work budget: 422 naming the estimate ($(grep -o '[0-9.e+]* point-pair tests' <<< "$out"))"
else
  bad "black spots over budget: expected 422 naming the estimate, got: ${out: -300}"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/blackspots?eps=50")
[ "$code" = 200 ] && ok "black spots within the budget: 200" || bad "black spots eps=50 under the budget: $code"
stop
exit $((FAILS > 0))
