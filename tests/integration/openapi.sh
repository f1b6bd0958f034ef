#!/usr/bin/env bash
# openapi.sh - the OpenAPI document at /api passes two independent validators (issue 15): the
# schema and reference checks of @apidevtools/swagger-parser, and @redocly/cli's lint (errors fail
# the test; its warnings are printed). Both are npm packages installed by `make web-deps` into
# web/node_modules. One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
WORK=$(mktemp -d /tmp/hazmap-openapi-test.$$.XXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
NM=web/node_modules
[ -d "$NM/@apidevtools/swagger-parser" ] && [ -x "$NM/.bin/redocly" ] || { echo "FAIL the validators are not installed (make web-deps)"; exit 1; }
DB=$WORK/t.sqlite
"$HAZMAP" import-areas --db "$DB" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
hz_serve "$WORK/serve.log" "$WORK/serve.log" --db "$DB" || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID
if curl -fs -o "$WORK/api.json" "$BASE/api"; then ok "GET /api"; else bad "GET /api"; fi
cat > "$WORK/sp.mjs" <<'JS'
import SwaggerParser from '@apidevtools/swagger-parser';
const api = await SwaggerParser.validate(process.argv[2]);
console.log(`${Object.keys(api.paths).length} paths`);
JS
cp "$WORK/sp.mjs" web/.openapi-check.mjs
if out=$(cd web && node .openapi-check.mjs "$WORK/api.json" 2>&1); then
  ok "swagger-parser validates /api ($out)"
else
  bad "swagger-parser: $out"
fi
rm -f web/.openapi-check.mjs
if out=$("$NM/.bin/redocly" lint "$WORK/api.json" 2>&1); then
  ok "redocly lint: no error ($(echo "$out" | grep -o 'You have [0-9]* warning[s]*' || echo 'no warnings'))"
else
  bad "redocly lint:"; echo "$out" | grep -B2 -A6 -i error | head -40
fi
# every operation names its security (the public's answers differ from the planners')
python3 - "$WORK/api.json" <<'PY' && ok "every operation declares security and an operationId" || bad "an operation without security or operationId"
import json, sys
d = json.load(open(sys.argv[1]))
ops = [(p, m, o) for p, v in d["paths"].items() for m, o in v.items()]
missing = [f"{m} {p}" for p, m, o in ops if "security" not in o or "operationId" not in o]
ids = [o["operationId"] for _, _, o in ops]
assert not missing and len(ids) == len(set(ids)), (missing, len(ids), len(set(ids)))
lim = [q for q in d["paths"]["/collections/{collectionId}/items"]["get"]["parameters"] if q["name"] == "limit"][0]
assert lim["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}, lim
PY
echo "openapi.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
