#!/usr/bin/env bash
# layers.sh - the include-direction check (tools/check-layers.sh) on the tree, and proof that it
# can fail: a copy of the tree in which geo/ includes a server header and tiles/ a server header
# must be refused.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/check-layers.sh
TMP=$(mktemp -d /tmp/hazmap-layers-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/tools"
cp -r geo tiles server cli include "$TMP/"
cp tools/check-layers.sh "$TMP/tools/"
sed -i '1a #include "hazmap/app.h"' "$TMP/geo/wkb.c"
if "$TMP/tools/check-layers.sh" 2> "$TMP/err"; then
  echo "FAIL - geo/wkb.c including hazmap/app.h was not refused"; exit 1
fi
grep -q 'geo/wkb.c:2: geo/ includes hazmap/app.h of the server/ layer' "$TMP/err" ||
  { cat "$TMP/err"; echo "FAIL - the refusal does not name the file and header"; exit 1; }
echo "ok   - geo including a server header is refused"
cp geo/wkb.c "$TMP/geo/wkb.c"
sed -i '1a #include "hazmap/metrics.h"' "$TMP/tiles/tilemath.c"
if "$TMP/tools/check-layers.sh" 2> /dev/null; then
  echo "FAIL - tiles/tilemath.c including hazmap/metrics.h was not refused"; exit 1
fi
echo "ok   - tiles including a server header is refused"
