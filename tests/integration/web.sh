#!/usr/bin/env bash
# web.sh - the map page (web/) in headless Chromium against a live `hazmap serve` with the sample DB.
#
# Starts the server on a free loopback port with a fresh sample database and a planner token, runs
# tests/web/page.test.mjs (playwright-core driving Debian's /usr/bin/chromium; no browser download),
# and always stops the server. Screenshots go to $BUILD/screenshots/{public,planner,mobile}.png and
# emerging-{public,planner,popup}.png (the emerging hot spots layer).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
BUILD=${BUILD:-build}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
command -v node >/dev/null || { echo "FAIL - node is not installed"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL - /usr/bin/chromium is not installed (tools/deps.sh)"; exit 1; }
if [ ! -d web/node_modules/playwright-core ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi

TMP=$(mktemp -d "/tmp/hazmap-web-$$-XXXXXX")
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

DB=$TMP/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
echo "ok   - sample database loaded ($(tail -1 "$TMP/load.log"))"
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
[ -n "$TOKEN" ] && echo "ok   - planner token created" || { echo "FAIL - token create"; exit 1; }

# start_server LOG [OPTIONS...]: `hazmap serve --web web` with extra options (hz_serve); sets PORT
# and appends the pid to PIDS.
PIDS=()
start_server() {
  local log=$1; shift
  hz_serve "$log" "$log" --db "$DB" --web web "$@" || return 1
  PIDS+=("$HZ_PID")
}

start_server "$TMP/server.log" || { echo "FAIL - hazmap serve did not start"; exit 1; }
MAIN_PORT=$PORT
echo "ok   - hazmap serve on 127.0.0.1:$MAIN_PORT"

# A second server configured for a GCJ-02 basemap. The "basemap" is the server's own density tiles
# (same origin, nothing from the internet): the test checks the overlay shift, not the picture.
cat > "$TMP/gcj.conf" <<'CONF'
basemap_url = /tiles/density/{z}/{x}/{y}.png
basemap_attribution = test basemap (GCJ-02)
basemap_gcj02 = true
query_timeout_ms = 600000
CONF
GCJ_URL=
if start_server "$TMP/server-gcj.log" --config "$TMP/gcj.conf"; then
  GCJ_URL="http://127.0.0.1:$PORT"
  echo "ok   - hazmap serve with a GCJ-02 basemap configuration on 127.0.0.1:$PORT"
else
  echo "FAIL - hazmap serve --config with basemap_gcj02 did not start"; exit 1
fi

mkdir -p "$BUILD/screenshots"
rc=0
BASE_URL="http://127.0.0.1:$MAIN_PORT" GCJ_BASE_URL="$GCJ_URL" PLANNER_TOKEN="$TOKEN" SCREENSHOTS="$BUILD/screenshots" \
  timeout 300 node tests/web/page.test.mjs || rc=$?
if [ "$rc" -ne 0 ]; then echo "--- server log (last 30 lines)"; tail -30 "$TMP/server.log"; fi
exit "$rc"
