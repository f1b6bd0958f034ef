#!/usr/bin/env bash
# projweb.sh - the page's projects (web/js/projects.js; issue 12) in headless Chromium against a live
# `hazmap serve` with the sample DB: tests/web/projects.test.mjs signed in with a planner token (the
# form, the drawn location, the edit and its 409, the evaluation, the supervision view) and without
# one (no editing control). Screenshots: $BUILD/screenshots/projects-{planner,detail,supervision,public}.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
BUILD=${BUILD:-build}
. tests/integration/lib/serve.sh
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
command -v node >/dev/null || { echo "FAIL - node is not installed"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL - /usr/bin/chromium is not installed (tools/deps.sh)"; exit 1; }
if [ ! -d web/node_modules/playwright-core ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi

TMP=$(mktemp -d "/tmp/hazmap-projweb-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

DB=$TMP/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
echo "ok   - sample database loaded"
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
[ -n "$TOKEN" ] && echo "ok   - planner token created" || { echo "FAIL - token create"; exit 1; }

hz_serve "$TMP/server.log" "$TMP/server.log" --db "$DB" --web web ||
  { echo "FAIL - hazmap serve did not start"; exit 1; }
PID=$HZ_PID
echo "ok   - hazmap serve on 127.0.0.1:$PORT"

mkdir -p "$BUILD/screenshots"
rc=0
BASE_URL="http://127.0.0.1:$PORT" PLANNER_TOKEN="$TOKEN" SCREENSHOTS="$BUILD/screenshots" \
  timeout 300 node tests/web/projects.test.mjs || rc=$?
if [ "$rc" -ne 0 ]; then echo "--- server log (last 30 lines)"; tail -30 "$TMP/server.log"; fi
exit "$rc"
