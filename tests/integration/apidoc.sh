#!/usr/bin/env bash
# apidoc.sh - API.md's JSON shapes are the server's: tools/apidoc.py --check against a live `hazmap
# serve` on a fresh sample database (a planner and an editor token, a basemap configured).
#
# WRITE=1 rewrites the shapes in API.md instead (after a change to what the server sends; review the
# diff, then say in the prose what changed). Env: HAZMAP (binary, default build/hazmap).
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
command -v gdalinfo > /dev/null || { echo "FAIL - gdalinfo is not installed"; exit 1; }

TMP=$(mktemp -d "/tmp/hazmap-apidoc-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

tools/load-sample.sh "$HAZMAP" "$TMP/sample.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
# A second source (the first 20 sample incidents again as a police feed, 5 minutes later) and
# its links (hazmap link), so that the /api/links answers have content.
sqlite3 -csv -header "$TMP/sample.sqlite" "SELECT id, strftime('%Y-%m-%dT%H:%M:%S+08:00', t + 300 + 28800, 'unixepoch') AS occurred_at, lon, lat, age, sex, mechanism FROM incidents WHERE t IS NOT NULL ORDER BY id LIMIT 20" > "$TMP/police.csv"
"$HAZMAP" import-incidents --db "$TMP/sample.sqlite" "$TMP/police.csv" --source police > /dev/null 2>&1 || { echo "FAIL - second source"; exit 1; }
"$HAZMAP" link --db "$TMP/sample.sqlite" > /dev/null || { echo "FAIL - hazmap link"; exit 1; }
PLANNER=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role planner | tail -1 | tr -d '[:space:]')
EDITOR=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role editor | tail -1 | tr -d '[:space:]')
cat > "$TMP/hazmap.conf" <<'CONF'
basemap_url = https://tiles.example.invalid/{z}/{x}/{y}.png
basemap_attribution = example basemap
query_timeout_ms = 600000
CONF

hz_serve "$TMP/server.log" "$TMP/server.log" --db "$TMP/sample.sqlite" --config "$TMP/hazmap.conf" ||
  { echo "FAIL - hazmap serve did not start"; exit 1; }
PID=$HZ_PID

mode=--check
[ "${WRITE:-0}" = 1 ] && mode=--write
rc=0
python3 tools/apidoc.py "http://127.0.0.1:$PORT" "$PLANNER" "$EDITOR" "$mode" API.md || rc=$?
[ "$rc" = 0 ] && echo "ok   - API.md describes every JSON answer as the server sends it" ||
  echo "FAIL - API.md and the server disagree (WRITE=1 $0 rewrites the shapes)"
exit "$rc"
