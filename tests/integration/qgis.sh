#!/usr/bin/env bash
# qgis.sh - QGIS 3.22 reads the collections as a planner would set it up (issue 15, README.md):
# headless PyQGIS (Debian's python3-qgis and qgis-providers, QT_QPA_PLATFORM=offscreen) makes a
# Basic authentication config holding the planner's token as the password in a new QGIS auth
# database (its own master password, in a scratch directory), loads `incidents` through the OAPIF
# provider with that authcfg and the public collections without one, and counts the features it
# reads: the incidents as many as the database holds, the areas as many as its areas, and the
# public's black spots and emerging hot spots as many as the server's numberMatched.
# Skips, saying so, only when PyQGIS is not installed (tools/deps.sh installs it).
# Env: HAZMAP (binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
# The sanitizer run (SANITIZE=1) skips it: PyQGIS is the client under test here, and the server
# paths it drives (OAPIF items with a Basic-auth token) are those gisclients.sh runs through GDAL
# under the sanitizer too; QGIS's start-up would add about a minute to CI for no new coverage.
if [ "${SANITIZE:-}" = 1 ]; then
  echo "ok - skipped under SANITIZE=1: the plain run loads every collection in PyQGIS"
  exit 0
fi
PY=/usr/bin/python3 # Debian's: python3-qgis is built for it, whatever python3 is first on PATH
if ! QT_QPA_PLATFORM=offscreen "$PY" -c 'import qgis.core' > /dev/null 2>&1; then
  echo "SKIP qgis.sh: PyQGIS is not installed ($PY cannot import qgis.core; apt-get install python3-qgis qgis-providers, as tools/deps.sh does)"
  exit 0
fi
TMP=$(mktemp -d "/tmp/hazmap-qgis-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
tools/load-sample.sh "$HAZMAP" "$TMP/sample.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role planner | tail -1 | tr -d '[:space:]')
hz_serve "$TMP/server.log" "$TMP/server.log" --db "$TMP/sample.sqlite" ||
  { echo "FAIL - hazmap serve did not start"; exit 1; }
PID=$HZ_PID
B=$BASE
NINC=$(sqlite3 "$TMP/sample.sqlite" 'SELECT count(*) FROM incidents')
NAREA=$(sqlite3 "$TMP/sample.sqlite" 'SELECT count(*) FROM areas')
matched() { curl -fsS "$B/collections/$1/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])'; }
NBS=$(matched blackspots)
NEM=$(matched emerging)
mkdir -p "$TMP/auth" "$TMP/home"
cat > "$TMP/load.py" <<'PY'
import os, sys
from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer
base, token = sys.argv[1], sys.argv[2]
want = dict(a.split("=") for a in sys.argv[3:])
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
am = QgsApplication.authManager()
# a new auth database (QGIS_AUTH_DB_DIR_PATH) with its own master password
assert am.setMasterPassword("hazmap-test-master", True), "cannot set the master password"
cfg = QgsAuthMethodConfig()
cfg.setName("hazmap planner")
cfg.setMethod("Basic")
cfg.setConfig("username", "planner")  # any name: the token is the password
cfg.setConfig("password", token)
ok = am.storeAuthenticationConfig(cfg)
assert (ok[0] if isinstance(ok, tuple) else ok) and cfg.id(), "cannot store the authcfg"
fails = 0
for coll, n in want.items():
    auth = f" authcfg={cfg.id()}" if coll == "incidents" else ""
    lyr = QgsVectorLayer(f"url='{base}' typename='{coll}'{auth}", coll, "OAPIF")
    if not lyr.isValid():
        print(f"FAIL {coll}: the OAPIF layer is not valid: {lyr.error().summary()}")
        fails += 1
        continue
    got = sum(1 for _ in lyr.getFeatures())
    who = "planner (Basic authcfg, token as password)" if auth else "public"
    if got == int(n):
        print(f"ok   {coll} as {who}: QGIS read {got} features, as many as the database's {n}")
    else:
        print(f"FAIL {coll} as {who}: QGIS read {got} features, the database's {n}")
        fails += 1
# leave without app.exitQgis(): PyQGIS 3.22 may crash tearing down providers after their layers
sys.stdout.flush()
os._exit(1 if fails else 0)
PY
mkdir -p -m 700 "$TMP/run"
HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/run" QGIS_AUTH_DB_DIR_PATH="$TMP/auth/" QT_QPA_PLATFORM=offscreen \
  "$PY" "$TMP/load.py" "$B" "$TOKEN" "incidents=$NINC" "areas=$NAREA" "blackspots=$NBS" "emerging=$NEM" 2> "$TMP/qgis.err" > "$TMP/qgis.out"
rc=$?
cat "$TMP/qgis.out"
[ $rc = 0 ] || { grep -v '^\(salt\|hash\|cipheriv\) hex' "$TMP/qgis.err" | tail -5; }
echo "qgis.sh: $([ $rc = 0 ] && echo 0 || echo 1) failure(s)"
exit $rc
