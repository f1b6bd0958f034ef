#!/usr/bin/env bash
# linkage.sh - integration test of `hazmap link` and the reviewers' API (/api/links): three
# synthetic sources with a known truth (tests/integration/linkage/gen3.py) are imported with
# --source, linked, served; possible links are listed, confirmed and rejected over HTTP (401
# without a token, 400 on a bad status, 404 on an unknown link), and re-linking keeps the
# decisions and writes nothing. Env: HAZMAP (binary, default build/hazmap). Exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-linkage-test.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

DB=$WORK/link.sqlite
python3 tests/integration/linkage/gen3.py "$WORK/src" 300 20261129 || { echo "FAIL generator"; exit 1; }
"$HAZMAP" import-areas --db "$DB" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null 2>&1 ||
  { echo "FAIL import-areas"; exit 1; }
for s in hospital police traffic_police; do
  "$HAZMAP" import-incidents --db "$DB" "$WORK/src/$s.csv" --source "$s" > /dev/null 2>&1 ||
    { echo "FAIL import $s"; exit 1; }
done
check "--source names the sources" test "$(sqlite3 "$DB" 'SELECT group_concat(DISTINCT source) FROM (SELECT source FROM incidents ORDER BY source)')" = "hospital,police,traffic_police"

# Every pair above --possible and below --link is a possible link: all of them here.
"$HAZMAP" link --db "$DB" --link 1000 --possible 0 --format json > "$WORK/link1.json" 2> "$WORK/link1.err"
check "hazmap link exits 0" test $? = 0
jq() { python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }
check "link report: possible links written, no auto" jq "$WORK/link1.json" "d['links']['possible']>100 and d['links']['auto']==0 and d['rows_written']==d['links']['possible']"
check "link report: EM weights and a log-linear estimate" jq "$WORK/link1.json" "d['em']['iterations']>0 and d['summary']['estimate']['method']=='log-linear'"
NPOSS=$(sqlite3 "$DB" "SELECT count(*) FROM record_links WHERE status='possible'")
check "--possible above --link is a usage error" test "$("$HAZMAP" link --db "$DB" --link 1 --possible 2 > /dev/null 2>&1; echo $?)" = 2
check "--window-h must be a number" test "$("$HAZMAP" link --db "$DB" --window-h abc > /dev/null 2>&1; echo $?)" = 2


TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label t) || { echo "FAIL token"; exit 1; }
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label e)
hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" || { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID
P=(-H "Authorization: Bearer $TOKEN")
E=(-H "Authorization: Bearer $EDITOR")
J=(-H 'Content-Type: application/json')
get() { local u=$1; shift; curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$BASE$u"; }
post() { local u=$1 d=$2; shift 2; curl -s -o "$WORK/body" -w '%{http_code}' -X POST --data-binary "$d" "$@" "$BASE$u"; }
body() { jq "$WORK/body" "$1"; }

check "GET /api/links without a token: 401" test "$(get /api/links)" = 401
check "GET /api/links/summary without a token: 401" test "$(get /api/links/summary)" = 401
s=$(get '/api/links?status=possible&limit=5' "${P[@]}")
check "planner lists possible links: 200" test "$s" = 200
check "numberMatched is the stored count, a page of 5 with a next link" body "d['numberMatched']==$NPOSS and d['numberReturned']==5 and any(l['rel']=='next' for l in d['links'])"
check "planners see the two records of each link" body "all(len(i['records'])==2 and i['records'][0]['source']!=i['records'][1]['source'] for i in d['items'])"
ID1=$(python3 -c "import json; print(json.load(open('$WORK/body'))['items'][0]['id'])")
ID2=$(python3 -c "import json; print(json.load(open('$WORK/body'))['items'][1]['id'])")
s=$(get '/api/links?status=possible&limit=5' "${E[@]}")
check "editors list links without the records (they do not read incidents)" body "all('records' not in i for i in d['items'])"
check "bad status parameter: 400" test "$(get '/api/links?status=maybe' "${P[@]}")" = 400
check "limit 0: 400" test "$(get '/api/links?limit=0' "${P[@]}")" = 400
check "unknown parameter: 400" test "$(get '/api/links?stat=possible' "${P[@]}")" = 400
check "unknown link: 404" test "$(get /api/links/999999 "${P[@]}")" = 404
check "POST without a token: 401" test "$(post /api/links/$ID1 '{"status":"confirmed"}' "${J[@]}")" = 401
check "POST a bad status: 400" test "$(post /api/links/$ID1 '{"status":"maybe"}' "${J[@]}" "${E[@]}")" = 400
check "POST an extra member: 400" test "$(post /api/links/$ID1 '{"status":"confirmed","x":1}' "${J[@]}" "${E[@]}")" = 400
check "POST not JSON: 400" test "$(post /api/links/$ID1 'status=confirmed' "${J[@]}" "${E[@]}")" = 400
check "POST to an unknown link: 404" test "$(post /api/links/999999 '{"status":"confirmed"}' "${J[@]}" "${E[@]}")" = 404
check "POST form-encoded: 415" test "$(post /api/links/$ID1 '{"status":"confirmed"}' "${E[@]}")" = 415
check "editor confirms a link: 200" test "$(post /api/links/$ID1 '{"status":"confirmed"}' "${J[@]}" "${E[@]}")" = 200
check "the answer is the link, confirmed by the editor" body "d['id']==$ID1 and d['status']=='confirmed' and d['reviewer']=='editor' and d['at']"
check "planner rejects another: 200" test "$(post /api/links/$ID2 '{"status":"rejected"}' "${J[@]}" "${P[@]}")" = 200
s=$(get '/api/links?status=possible&limit=1' "${P[@]}")
check "two fewer possible links" body "d['numberMatched']==$NPOSS-2"
s=$(get /api/links/summary "${E[@]}")
check "summary: 200, three sources, one confirmed and one rejected, an estimate" body "len(d['sources'])==3 and d['links']['confirmed']==1 and d['links']['rejected']==1 and d['estimate']['total']>=d['estimate']['observed']"

# Re-linking keeps the decisions and, unchanged, writes nothing.
"$HAZMAP" link --db "$DB" --link 1000 --possible 0 --format json > "$WORK/link2.json" 2>&1
check "re-link: the decisions are kept, nothing written" jq "$WORK/link2.json" "d['rows_written']==0 and d['links']['confirmed']==1 and d['links']['rejected']==1"
s=$(get /api/links/$ID1 "${P[@]}")
check "the confirmed link is still confirmed, same id" body "d['status']=='confirmed' and d['id']==$ID1"
s=$(get /api/links/$ID2 "${P[@]}")
check "the rejected link is still rejected" body "d['status']=='rejected'"
# Default thresholds: links become auto, the reviewed ones stay.
"$HAZMAP" link --db "$DB" --format json > "$WORK/link3.json" 2>&1
check "default thresholds: auto links, decisions kept" jq "$WORK/link3.json" "d['links']['auto']>100 and d['links']['confirmed']==1 and d['links']['rejected']==1"
# Statistics count linked events once by default; count=records counts every record.
stat_count() { get "/api/stats?by=none$1" "${P[@]}" > /dev/null; python3 -c "import json; d=json.load(open('$WORK/body')); print(d['rows'][0]['count'], d['provenance']['counted'])"; }
EV=$(stat_count '')
RE=$(stat_count '&count=records')
EX=$(stat_count '&count=events')
check "stats: events by default once links exist, fewer than records ($EV / $RE)" test "${EV#* }" = events -a "${RE#* }" = records -a "${EV% *}" -lt "${RE% *}" -a "$EV" = "$EX"
check "stats: count=bogus is a 400" test "$(get '/api/stats?count=bogus' "${P[@]}")" = 400
check "CLI stats agrees: --count records" test "$("$HAZMAP" stats --db "$DB" --by none --format json --count records | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["count"])')" = "${RE% *}"
# The point analyses count events too: each event once, at its first located record. The
# reference is computed here from the stored links (auto and confirmed; union-find in Python):
# the events with at least one located record, and all located records.
read -r REF_EV REF_RE < <(python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = [r[0] for r in db.execute("SELECT id FROM incidents WHERE lon IS NOT NULL AND lat IS NOT NULL")]
par = {}
def find(x):
    par.setdefault(x, x)
    while par[x] != x:
        par[x] = par[par[x]]; x = par[x]
    return x
for a, b in db.execute("SELECT a, b FROM record_links WHERE status IN ('auto','confirmed')"):
    par[find(a)] = find(b)
print(len({find(i) for i in ids}), len(ids))
PY
)
dens() { "$HAZMAP" density --db "$DB" --cell 200 --bandwidth 500 -o "$WORK/d.tif" "$@" 2> /dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["incidents"], d["counted"], d["linked_duplicates"])'; }
DE=$(dens)
DR=$(dens --count records)
check "density: one point per event with a located record by default ($DE; reference $REF_EV)" test "$DE" = "$REF_EV events $((REF_RE - REF_EV))"
check "density --count records: every located record ($DR; reference $REF_RE)" test "$DR" = "$REF_RE records 0"
check "density --count bogus: usage error naming count" test "$("$HAZMAP" density --db "$DB" --count bogus -o "$WORK/d.tif" 2>&1 >/dev/null | grep -c count)" -ge 1
bs() { get "/api/blackspots?eps=100&min_points=3$1" "${P[@]}" > /dev/null; python3 -c "import json; p=json.load(open('$WORK/body'))['provenance']; print(p['incidents'], p['counted'], p['linked_duplicates'])"; }
BE=$(bs '')
BR=$(bs '&count=records')
check "GET /api/blackspots: events by default ($BE; reference $REF_EV)" test "$BE" = "$REF_EV events $((REF_RE - REF_EV))"
check "GET /api/blackspots?count=records: every record ($BR)" test "$BR" = "$REF_RE records 0"
check "GET /api/blackspots?count=bogus: 400" test "$(get '/api/blackspots?count=bogus' "${P[@]}")" = 400
check "the linked set has duplicates at all ($REF_EV < $REF_RE)" test "$REF_EV" -lt "$REF_RE"
check "server still alive" kill -0 "$PID"

echo "linkage.sh: $CHECKS checks, $FAILS failures"
[ "$FAILS" = 0 ]
