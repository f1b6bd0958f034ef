#!/usr/bin/env bash
# projects.sh - integration test of the safety-promotion projects registry (issue 12) against a
# live `hazmap serve`: create, read, update and delete over /api/projects with editor and planner
# tokens; the audit log (who, when, before and after; planners only); 401 without a token, 403
# for an editor's audit request, 409 for a stale version, 400 naming the member of a malformed
# body, 415 for a body that is not JSON; what the public sees (started projects only, without the
# units behind them); the OGC API collection `projects` read by GDAL's OAPIF driver (ogrinfo);
# and `hazmap project` on the CLI against the same store. Env: HAZMAP (binary, default
# build/hazmap); KEEP=1 keeps the scratch directory; PROJECTS_DB, a PostgreSQL conninfo of an
# empty database, runs it all on a PostGIS store (tests/integration/postgis.sh does), the
# reference queries then through psql. Exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-projects-test.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$WORK" # KEEP=1: keep the scratch directory to look into
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# py FILE EXPR: EXPR over d = the JSON of FILE is true
py() { python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)" 2>/dev/null; }

DB=${PROJECTS_DB:-$WORK/p.sqlite}
# q SQL: the database's answer (sqlite3 with SpatiaLite, or psql), its error messages included
q() {
  if [ -n "${PROJECTS_DB:-}" ]; then psql -X -At "$DB" -c "$1" 2>&1
  else sqlite3 "$DB" "SELECT load_extension('mod_spatialite');" "$1" 2>&1 | sed '1{/^$/d}'; fi
}
"$HAZMAP" import-areas --db "$DB" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null 2>&1 ||
  { echo "FAIL import-areas"; exit 1; }
PLANNER=$("$HAZMAP" token create --db "$DB" --role planner --label alice) || { echo "FAIL token"; exit 1; }
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label bob)
hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID
P=(-H "Authorization: Bearer $PLANNER")
E=(-H "Authorization: Bearer $EDITOR")
J=(-H 'Content-Type: application/json')
B=$WORK/body
# req METHOD PATH [curl args...]: the status code; the body in $B
req() { local m=$1 u=$2; shift 2; curl -s -o "$B" -w '%{http_code}' -X "$m" "$@" "$BASE$u"; }

cat > "$WORK/falls.json" <<'EOF'
{"title": "老年人防跌倒", "title_en": "Falls prevention for the elderly",
 "description": "Home visits, grab bars and exercise classes", "group": "elderly",
 "lead_unit": "区卫健局", "partners": ["街道办事处", "社区卫生服务中心"], "type": "education",
 "target": "mechanism=fall&age=65-", "areas": ["510104"], "start": "2014-01-01",
 "end": "2014-12-31", "status": "active", "indicators": ["falls per 100,000 aged 65+"]}
EOF
cat > "$WORK/junction.json" <<'EOF'
{"title": "路口渠化改造", "group": "traffic", "type": "engineering", "target": "mechanism=traffic",
 "location": {"type": "Point", "coordinates": [104.0812, 30.6571]}, "buffer_m": 150,
 "start": "2014-06-01", "status": "planned", "lead_unit": "交警大队"}
EOF

# ---- create ----
check "POST without a token: 401" test "$(req POST /api/projects "${J[@]}" --data-binary @"$WORK/falls.json")" = 401
check "  no project was written" test "$(q 'SELECT count(*) FROM projects')" = 0
s=$(req POST /api/projects "${P[@]}" "${J[@]}" --data-binary @"$WORK/falls.json" -D "$WORK/h1")
check "planner POSTs a project: 201" test "$s" = 201
ID1=$(python3 -c "import json; print(json.load(open('$B'))['id'])" 2>/dev/null)
check "  Location names it" grep -qi "^Location: $BASE/api/projects/$ID1" "$WORK/h1"
check "  version 1, fields as sent" py "$B" "d['version']==1 and d['title']=='老年人防跌倒' and d['partners']==['街道办事处','社区卫生服务中心'] and d['status']=='active' and d['end']=='2014-12-31' and d['location'] is None"
s=$(req POST /api/projects "${E[@]}" "${J[@]}" --data-binary @"$WORK/junction.json")
check "editor POSTs a project: 201" test "$s" = 201
ID2=$(python3 -c "import json; print(json.load(open('$B'))['id'])" 2>/dev/null)
check "  its point and buffer" py "$B" "d['location']=={'type':'Point','coordinates':[104.0812,30.6571]} and d['buffer_m']==150"
check "  stored as a point (SpatiaLite or PostGIS SQL)" test "$(q "SELECT ST_AsText(geom) FROM projects WHERE id=$ID2" | tail -1)" = "POINT(104.0812 30.6571)"

# ---- malformed ----
bad400() { # what body member
  local s; s=$(req POST /api/projects "${P[@]}" "${J[@]}" --data-binary "$2")
  if [ "$s" = 400 ] && py "$B" "d['description'].startswith('$3')"; then ok "400 $1 names $3"; else bad "400 $1: $s $(cat "$B")"; fi
}
bad400 "unknown member" '{"title":"t","group":"fire","type":"other","start":"2014-01-01","areas":["510104"],"colour":"red"}' "colour:"
bad400 "unknown group" '{"title":"t","group":"roads","type":"other","start":"2014-01-01","areas":["510104"]}' "group:"
bad400 "bad date" '{"title":"t","group":"fire","type":"other","start":"2014-02-30","areas":["510104"]}' "start:"
bad400 "end before start" '{"title":"t","group":"fire","type":"other","start":"2014-02-01","end":"2014-01-01","areas":["510104"]}' "end:"
bad400 "unknown area" '{"title":"t","group":"fire","type":"other","start":"2014-01-01","areas":["999"]}' "areas[0]:"
bad400 "bad target" '{"title":"t","group":"fire","type":"other","start":"2014-01-01","areas":["510104"],"target":"mechanism=rocket"}' "target:"
bad400 "bad location" '{"title":"t","group":"fire","type":"other","start":"2014-01-01","location":{"type":"Point","coordinates":[500,0]}}' "location:"
bad400 "not JSON" '{"title":' "body:"
bad400 "duplicate member" '{"title":"t","title":"u","group":"fire","type":"other","start":"2014-01-01","areas":["510104"]}' "body:"
check "a body that is not JSON: 415" test "$(req POST /api/projects "${P[@]}" -H 'Content-Type: text/plain' --data-binary @"$WORK/falls.json")" = 415
head -c 2000000 /dev/zero | tr '\0' 'x' > "$WORK/big"
check "an oversized body: 413" test "$(req POST /api/projects "${P[@]}" "${J[@]}" --data-binary @"$WORK/big")" = 413
check "  nothing written by the refusals" test "$(q 'SELECT count(*) FROM projects')" = 2

# ---- read ----
check "GET /api/projects (planner): both" test "$(req GET /api/projects "${P[@]}")" = 200
check "  in id order, with lead units" py "$B" "[p['id'] for p in d['projects']]==[$ID1,$ID2] and d['projects'][1]['lead_unit']=='交警大队'"
check "group=traffic filters" sh -c "[ \"\$(curl -s -o '$B' -w '%{http_code}' -H 'Authorization: Bearer $PLANNER' '$BASE/api/projects?group=traffic')\" = 200 ]"
check "  only the junction" py "$B" "[p['id'] for p in d['projects']]==[$ID2]"
req GET '/api/projects?status=active' "${E[@]}" > /dev/null
check "status=active filters" py "$B" "[p['id'] for p in d['projects']]==[$ID1]"
check "group=roads: 400" test "$(req GET '/api/projects?group=roads' "${P[@]}")" = 400
check "status=done: 400" test "$(req GET '/api/projects?status=done' "${P[@]}")" = 400
check "an unknown parameter: 400" test "$(req GET '/api/projects?colour=red' "${P[@]}")" = 400
check "GET /api/projects/{id}: 200" test "$(req GET "/api/projects/$ID2" "${E[@]}")" = 200
check "GET an unknown project: 404" test "$(req GET /api/projects/999 "${P[@]}")" = 404
check "GET /api/projects/abc: 404" test "$(req GET /api/projects/abc "${P[@]}")" = 404

# ---- the public ----
check "the public lists projects: 200" test "$(req GET /api/projects)" = 200
check "  only the started one, without units or bookkeeping" py "$B" "[p['id'] for p in d['projects']]==[$ID1] and all(k not in d['projects'][0] for k in ('lead_unit','partners','version','created_at','updated_at')) and d['projects'][0]['title']=='老年人防跌倒'"
check "  the planned one is not found" test "$(req GET "/api/projects/$ID2")" = 404
check "  the public cannot PUT: 401" test "$(req PUT "/api/projects/$ID1" "${J[@]}" --data-binary @"$WORK/falls.json")" = 401
check "  the public cannot DELETE: 401" test "$(req DELETE "/api/projects/$ID1")" = 401
check "  the public reads no audit: 401" test "$(req GET /api/projects/audit)" = 401
check "  a wrong token: 401" test "$(req GET /api/projects -H 'Authorization: Bearer 0123')" = 401

# ---- update, optimistic locking ----
req GET "/api/projects/$ID2" "${P[@]}" > /dev/null
python3 -c "import json; d=json.load(open('$B')); d['status']='active'; d['title']='路口渠化改造（一期）'; json.dump(d, open('$WORK/j2.json','w'), ensure_ascii=False)"
check "editor PUTs at version 1: 200" test "$(req PUT "/api/projects/$ID2" "${E[@]}" "${J[@]}" --data-binary @"$WORK/j2.json")" = 200
check "  version 2, the change made" py "$B" "d['version']==2 and d['status']=='active' and d['title']=='路口渠化改造（一期）'"
check "the same PUT again (stale version 1): 409" test "$(req PUT "/api/projects/$ID2" "${P[@]}" "${J[@]}" --data-binary @"$WORK/j2.json")" = 409
check "  the answer says so" py "$B" "d['code']=='Conflict' and 'version 2' in d['description']"
check "  still version 2" test "$(q "SELECT version FROM projects WHERE id=$ID2")" = 2
python3 -c "import json; d=json.load(open('$WORK/j2.json')); d.pop('version'); json.dump(d, open('$WORK/j2nov.json','w'))"
check "a PUT without version: 400" test "$(req PUT "/api/projects/$ID2" "${P[@]}" "${J[@]}" --data-binary @"$WORK/j2nov.json")" = 400
check "  naming version" py "$B" "d['description'].startswith('version:')"
check "a PUT to another id than the body's: 400" test "$(req PUT "/api/projects/$ID1" "${P[@]}" "${J[@]}" --data-binary @"$WORK/j2.json")" = 400
python3 -c "import json; d=json.load(open('$WORK/j2.json')); d['id']=999; json.dump(d, open('$WORK/j999.json','w'))"
check "a PUT to an unknown project: 404" test "$(req PUT /api/projects/999 "${P[@]}" "${J[@]}" --data-binary @"$WORK/j999.json")" = 404
check "the public now sees the started junction" sh -c "curl -s '$BASE/api/projects/$ID2' -o /dev/null -w '%{http_code}' | grep -qx 200"

# ---- the OGC API collection, read by GDAL ----
check "projects in /collections for the public" sh -c "curl -s '$BASE/collections' | python3 -c \"import json,sys; sys.exit(0 if 'projects' in [c['id'] for c in json.load(sys.stdin)['collections']] else 1)\""
check "items (public): 200" test "$(req GET /collections/projects/items)" = 200
check "  two features: the areas' MultiPolygon and the drawn point; flat properties, no units" py "$B" "[f['id'] for f in d['features']]==[$ID1,$ID2] and d['features'][0]['geometry']['type']=='MultiPolygon' and d['features'][1]['geometry']['type']=='Point' and d['features'][0]['properties']['areas']=='510104' and d['features'][0]['properties']['located_by']=='areas' and 'lead_unit' not in d['features'][0]['properties']"
req GET /collections/projects/items "${P[@]}" > /dev/null
check "items (planner): the units as text" py "$B" "d['features'][0]['properties']['partners']=='街道办事处, 社区卫生服务中心' and d['features'][1]['properties']['lead_unit']=='交警大队'"
check "bbox around the point: the point and the district around it" sh -c "curl -s '$BASE/collections/projects/items?bbox=104.08,30.65,104.09,30.66' | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['numberMatched']==2 else 1)\""
check "bbox far away: nothing" sh -c "curl -s '$BASE/collections/projects/items?bbox=0,0,1,1' | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['numberMatched']==0 else 1)\""
# by the geometry, not its envelope: corner boxes of 510104's envelope that the database (PostGIS
# or SpatiaLite) says miss the district select the area project only where they meet it
if [ -n "${PROJECTS_DB:-}" ]; then
  env_sql="SELECT ST_XMin(geom)||'|'||ST_YMin(geom)||'|'||ST_XMax(geom)||'|'||ST_YMax(geom) FROM areas WHERE code='510104'"
  meets_sql() { echo "SELECT CASE WHEN ST_Intersects(geom, ST_MakeEnvelope($1,$2,$3,$4,4326)) THEN 1 ELSE 0 END FROM areas WHERE code='510104'"; }
else
  env_sql="SELECT MbrMinX(geom)||'|'||MbrMinY(geom)||'|'||MbrMaxX(geom)||'|'||MbrMaxY(geom) FROM areas WHERE code='510104'"
  meets_sql() { echo "SELECT Intersects(geom, BuildMbr($1,$2,$3,$4,4326)) FROM areas WHERE code='510104'"; }
fi
corner_boxes=$(q "$env_sql" | tail -1 |
  python3 -c "import sys; x0,y0,x1,y1=map(float,sys.stdin.read().split('|')); w=(x1-x0)*0.03; h=(y1-y0)*0.03
for a,b in ((x0,y0),(x1-w,y0),(x0,y1-h),(x1-w,y1-h)): print(f'{a:.7f},{b:.7f},{a+w:.7f},{b+h:.7f}')")
missed=0; agree=1
for box in $corner_boxes; do
  IFS=, read -r bw bs be bn <<< "$box"
  meets=$(q "$(meets_sql "$bw" "$bs" "$be" "$bn")" | tail -1)
  served=$(curl -s "$BASE/collections/projects/items?bbox=$box" | python3 -c "import json,sys; print(int($ID1 in [f['id'] for f in json.load(sys.stdin)['features']]))")
  [ "$meets" = 0 ] && missed=$((missed + 1))
  [ "$served" = "$meets" ] || agree=0
done
check "bbox by geometry: the area project in the 4 corner boxes of its envelope as the database's Intersects says ($missed miss it)" test "$agree" = 1 -a "$missed" -gt 0
check "one item: 200" test "$(req GET "/collections/projects/items/$ID2")" = 200
check "an unknown item: 404" test "$(req GET /collections/projects/items/999)" = 404
if ogrinfo -ro -al -q "OAPIF:$BASE/collections/projects" > "$WORK/ogr.txt" 2> "$WORK/ogr.err"; then
  ok "ogrinfo (OAPIF) reads the projects collection"
  check "  two features with their titles and statuses" sh -c "[ \"\$(grep -c 'OGRFeature(projects)' '$WORK/ogr.txt')\" = 2 ] && grep -q 'title (String) = 老年人防跌倒' '$WORK/ogr.txt' && grep -q 'status (String) = active' '$WORK/ogr.txt' && grep -q 'POINT (104.0812 30.6571)' '$WORK/ogr.txt'"
else
  bad "ogrinfo OAPIF: $(head -c 400 "$WORK/ogr.err")"
fi

for f in csv gpkg; do
  rm -f "$WORK/dl.$f"
  curl -s -o "$WORK/dl.$f" "$BASE/collections/projects/items?f=$f"
  n=$(ogrinfo -ro -so -al "$WORK/dl.$f" 2>/dev/null | sed -n 's/^Feature Count: //p' | head -1)
  check "f=$f: both projects, as OGR reads the file" test "$n" = 2
done

# ---- delete ----
check "DELETE at a stale version: 409" test "$(req DELETE "/api/projects/$ID2?version=1" "${E[@]}")" = 409
check "DELETE at version 2: 204" test "$(req DELETE "/api/projects/$ID2?version=2" "${E[@]}")" = 204
check "  gone: 404" test "$(req GET "/api/projects/$ID2" "${P[@]}")" = 404
check "DELETE again: 404" test "$(req DELETE "/api/projects/$ID2" "${P[@]}")" = 404

# ---- the audit log ----
check "editor reads the audit log: 403" test "$(req GET /api/projects/audit "${E[@]}")" = 403
check "editor reads a project's audit log: 403" test "$(req GET "/api/projects/$ID2/audit" "${E[@]}")" = 403
check "planner reads the deleted project's audit log: 200" test "$(req GET "/api/projects/$ID2/audit" "${P[@]}")" = 200
TODAY=$(date -u +%Y-%m-%d)
check "  create, update, delete: who, when, before and after" py "$B" "[i['action'] for i in d['items']]==['create','update','delete'] and [i['actor'] for i in d['items']]==['editor:bob','editor:bob','editor:bob'] and all(i['at'].startswith('$TODAY') and i['at'].endswith('Z') for i in d['items']) and d['items'][0]['before'] is None and d['items'][0]['after']['status']=='planned' and d['items'][1]['before']['title']=='路口渠化改造' and d['items'][1]['after']['title']=='路口渠化改造（一期）' and d['items'][2]['after'] is None and d['items'][2]['before']['version']==2"
check "  the update names what changed" py "$B" "sorted(d['items'][1]['changed'])==['status','title']"
check "every project's audit log, paged" test "$(req GET '/api/projects/audit?limit=2' "${P[@]}")" = 200
check "  4 rows, 2 on the page, a next link; the planner's create" py "$B" "d['numberMatched']==4 and d['numberReturned']==2 and d['items'][0]['actor']=='planner:alice' and any(l['rel']=='next' for l in d['links'])"
check "the audit log of a project that never was: 404" test "$(req GET /api/projects/999/audit "${P[@]}")" = 404
check "the audit log is append-only in the store" test "$(q "DELETE FROM project_audit" | grep -c 'append-only')" = 1

# ---- OpenAPI ----
curl -s "$BASE/api" > "$WORK/api.json"
check "OpenAPI: the routes, writes secured" py "$WORK/api.json" "all(p in d['paths'] for p in ('/api/projects','/api/projects/{id}','/api/projects/{id}/audit','/api/projects/audit')) and {} not in d['paths']['/api/projects']['post']['security'] and {} in d['paths']['/api/projects']['get']['security'] and '409' in d['paths']['/api/projects/{id}']['put']['responses']"

# ---- the CLI, on the same store ----
kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
PID=
out=$("$HAZMAP" project add --db "$DB" --json "$WORK/junction.json" 2> "$WORK/cli.err")
check "project add: exit 0, the stored JSON" sh -c "printf '%s' '$out' | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['version']==1 and d['group']=='traffic' else 1)\""
ID3=$(printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
check "project list: two lines" test "$("$HAZMAP" project list --db "$DB" | wc -l)" = 2
check "project list --group traffic --json" sh -c "'$HAZMAP' project list --db '$DB' --group traffic --json | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(0 if [p['id'] for p in d]==[$ID3] else 1)\""
check "project show: the project" sh -c "'$HAZMAP' project show --db '$DB' $ID3 | grep -q '路口渠化改造'"
"$HAZMAP" project show --db "$DB" "$ID3" | python3 -c "import json,sys; d=json.load(sys.stdin); d['status']='finished'; d['end']='2014-12-31'; json.dump(d, sys.stdout)" > "$WORK/u.json"
check "project update: exit 0, version 2" sh -c "'$HAZMAP' project update --db '$DB' $ID3 --json '$WORK/u.json' | grep -q '\"version\": 2'"
"$HAZMAP" project update --db "$DB" "$ID3" --json "$WORK/u.json" > /dev/null 2> "$WORK/stale.err"
check "project update again (stale): exit 1, says which version" test "$?:$(grep -c 'at version 2, not 1' "$WORK/stale.err")" = "1:1"
echo '{"title": "x"}' > "$WORK/bad.json"
check "project add of a bad file: exit 1, names the member" sh -c "'$HAZMAP' project add --db '$DB' --json '$WORK/bad.json' 2>&1 | grep -q 'group: required'"
check "project add without --json: exit 2" sh -c "'$HAZMAP' project add --db '$DB' > /dev/null 2>&1; [ \$? = 2 ]"
check "project frobnicate: exit 2" sh -c "'$HAZMAP' project frobnicate --db '$DB' > /dev/null 2>&1; [ \$? = 2 ]"
check "project delete: exit 0" "$HAZMAP" project delete --db "$DB" "$ID3"
check "  the CLI's changes audited as cli" test "$(q "SELECT action || ':' || actor FROM project_audit WHERE project_id=$ID3 ORDER BY id" | paste -sd,)" = "create:cli,update:cli,delete:cli"
check "the server wrote no 5xx" sh -c "! awk '\$3 ~ /^5[0-9][0-9]\$/' '$WORK/access.log' | grep -q ."

echo "projects.sh: $CHECKS checks, $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
