#!/usr/bin/env bash
# public.sh - the public (no token) side of `hazmap serve` answers from the newest public release
# only (issue 13), while planners keep their live queries.
#
# On the sample (tools/load-sample.sh publishes release 1): public /api/stats equals the release's
# tables decoded straight from the database (sqlite3 + zlib + LEB128, as release.h stores them),
# not the true counts; a POSTed incident changes the planners' answers and no public answer until
# `hazmap publish` makes release 2, which the server then picks up without a restart; the public
# may not ask for anything but the release's dimensions (400 naming them); /healthz and the
# collections' temporal extents hide the data's counts and exact times. A database that never
# published answers the public's data requests with 503 saying to run `hazmap publish`.
# Env: HAZMAP (binary, default build/hazmap). One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-public-test.$$.XXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# start DB: starts a server (hz_serve), sets BASE; its log is $WORK/serve-N.log, N counting the starts.
NSTART=0
start() {
  NSTART=$((NSTART + 1))
  hz_serve "$WORK/serve-$NSTART.log" "$WORK/serve-$NSTART.log" --db "$1" || return 1
  PIDS+=("$HZ_PID")
}
get() { local u=$1; shift; curl -s -o "$WORK/body" -w '%{http_code}' "$@" "$BASE$u"; }
jcheck() { python3 -c "import json,sys; d=json.load(open('$WORK/body')); sys.exit(0 if ($1) else 1)"; }

DB=$WORK/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 || { cat "$WORK/load.log"; echo "FAIL load-sample"; exit 1; }
check "load-sample.sh published release 1" bash -c "'$HAZMAP' publish --db '$DB' --list | grep -q '^1 '"
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label t)
EDITOR=$("$HAZMAP" token create --db "$DB" --role editor --label e)
AUTH=(-H "Authorization: Bearer $TOKEN")
start "$DB" || { echo "FAIL hazmap serve did not start"; exit 1; }

s=$(get /healthz); check "public /healthz: status and release 1 only" jcheck "d=={'status':'ok','release':1}"
s=$(get /collections/areas); check "public temporal extent is the release's period (2012-Q1..2014-Q4, +08:00)" \
  jcheck "d['extent']['temporal']['interval']==[['2011-12-31T16:00:00Z','2014-12-31T15:59:59Z']]"

# The release's subdistrict_year table, decoded from the stored blob: {(code, year): value|None}.
cat > "$WORK/decode.py" <<'PY'
import json, sqlite3, sys, zlib
db, rid, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
con = sqlite3.connect(db)
meta = json.loads(con.execute("SELECT metadata FROM releases WHERE id=?", (rid,)).fetchone()[0])
blob = con.execute("SELECT cells FROM release_tables WHERE release_id=? AND name=?", (rid, name)).fetchone()[0]
assert blob[:4] == b"HZR1"  # relstore.c: magic, cells and stream length (u64 LE), then zlib
raw, vals, i = zlib.decompress(blob[20:]), [], 0
while i < len(raw):
    v, shift = 0, 0
    while True:
        b = raw[i]; i += 1
        v |= (b & 0x7f) << shift; shift += 7
        if not b & 0x80: break
    vals.append(None if v == 0 else ((v - 1) >> 1) ^ -((v - 1) & 1))
codes = [r['code'] for r in meta['dimensions']['subdistrict']['rows']]
years = meta['dimensions']['year']['labels']
assert len(vals) == len(codes) * len(years), (len(vals), len(codes), len(years))
print(json.dumps({f"{c}|{y}": vals[a * len(years) + k] for a, c in enumerate(codes) for k, y in enumerate(years)}))
PY
python3 "$WORK/decode.py" "$DB" 1 subdistrict_year > "$WORK/rel1.json" || bad "decoding the release's table"
s=$(get /api/stats); cp "$WORK/body" "$WORK/pub1.json"
check "public /api/stats 200 from release 1's subdistrict_year" jcheck "d['release']==1 and d['table']=='subdistrict_year'"
check "every public count equals the stored release cell (withheld ones null)" python3 -c "
import json; rel=json.load(open('$WORK/rel1.json')); d=json.load(open('$WORK/pub1.json'))
rows=d['rows']; assert len(rows)==len(rel), (len(rows), len(rel))
for r in rows:
    v=rel[f\"{r['area']}|{r['year']}\"]
    assert r['count']==v and r['withheld']==(v is None), (r, v)
    if v is not None: assert r['lo']<=v<=r['hi']"
s=$(get '/api/stats?by=area&from=2013-01-01&to=2013-12-31' "${AUTH[@]}"); cp "$WORK/body" "$WORK/plan1.json"
check "... and the true counts (the planners') differ from the noisy ones" python3 -c "
import json; rel=json.load(open('$WORK/rel1.json')); d=json.load(open('$WORK/plan1.json'))
rows=[r for r in d['rows'] if f\"{r['area']}|2013\" in rel]
diff=[r for r in rows if rel[f\"{r['area']}|2013\"] not in (None, r['count'])]
assert rows and diff, (len(rows), len(diff))"
s=$(get '/api/stats?area=510104001&year=2013'); check "public stats by area and year: one cell with a rate" \
  jcheck "len(d['rows'])==1 and d['rows'][0]['rate']>0 and d['rows'][0]['population']==32000"
s=$(get '/api/stats?injury_group=traffic&quarter=2013-Q2&area=510104001'); check "public stats by injury group and quarter" \
  jcheck "d['table']=='subdistrict_period_injury' and len(d['rows'])==1 and d['rows'][0]['period']=='2013-Q2'"
s=$(get '/api/stats?by=age_sex&year=2012&area=510104003'); check "public stats by age band and sex" \
  jcheck "d['table']=='subdistrict_year_age_sex' and len(d['rows'])==18"

for q in from=2013-01-01 to=2013-06-30 'from=2013-01-01T08:00' mechanism=fall age=20-30 weights=severity \
         eps=200 min_points=5 kernel=gaussian bandwidth=500 cell=100 format=csv year=2011 \
         quarter=2015-Q1 'severity_group=minor&injury_group=fall' 'quarter=2013-Q1' by=mechanism; do
  s=$(get "/api/stats?$q"); check "public /api/stats?$q is 400 naming what the public may ask" \
    bash -c "test $s = 400 && grep -q 'may be asked only by area, year, quarter' '$WORK/body'"
done
s=$(get '/api/stats?from=2013-01-01&mechanism=fall' "${AUTH[@]}"); check "... while planners keep them (200)" test "$s" = 200

# Public evaluation: whole years (or quarters of a group) of the release's cells.
s=$(get '/api/evaluate?area=510104001&start=2014-01-01'); cp "$WORK/body" "$WORK/eval1.json"
check "public /api/evaluate: 2013 against 2014 from the release's cells" python3 -c "
import json; rel=json.load(open('$WORK/rel1.json')); d=json.load(open('$WORK/eval1.json'))
assert d['release']==1 and d['table']=='subdistrict_year', d
assert d['before']['count']==rel['510104001|2013'] and d['after']['count']==rel['510104001|2014'], d
assert d['rr_lo'] < d['rr'] < d['rr_hi'], d"
s=$(get '/api/evaluate?area=510104001&start=2013-04-01&injury_group=traffic&before_days=90&after_days=90')
check "public /api/evaluate by quarter with an injury group" jcheck "d['table']=='subdistrict_period_injury' and d['before']['first_period']=='2013-Q1' and d['before']['to']=='2013-04-01' and d['after']['from']=='2013-04-01' and d['after']['to']=='2013-07-01'"
for q in 'area=510104001&start=2013-06-01' 'area=510104001&start=2014-01-01&mechanism=traffic' \
         'area=510104001&start=2014-01-01&compare=510104002' 'area=510104001&start=2012-01-01' \
         'area=510104001&start=2014-01-01&after_days=730'; do
  s=$(get "/api/evaluate?$q"); check "public /api/evaluate?$q is 400" test "$s" = 400
done

# Public density GeoTIFF: the release's grid smoothed at 300 m.
s=$(get /api/density.tif); cp "$WORK/body" "$WORK/pub1.tif"
check "public /api/density.tif is a GeoTIFF from release 1" bash -c "test $s = 200 && gdalinfo '$WORK/pub1.tif' | grep -q 'HAZMAP_PROVENANCE=.*\"release\":1'"
check "... with the 300 m quartic kernel, no negative cell and no count" bash -c "gdalinfo -stats '$WORK/pub1.tif' | grep -q 'BANDWIDTH=300' && gdalinfo -stats '$WORK/pub1.tif' | grep -q 'INCIDENTS=0' && gdalinfo -stats '$WORK/pub1.tif' | grep -Eq 'STATISTICS_MINIMUM=0\$'"
s=$(get '/api/density.tif?year=2013&injury_group=traffic'); check "public density.tif by year and injury group 200" test "$s" = 200
for q in bandwidth=500 kernel=gaussian cell=50 mechanism=fall from=2013-01-01 year=2019 injury_group=flying 'injury_group=fall&place_group=road'; do
  s=$(get "/api/density.tif?$q"); check "public /api/density.tif?$q is 400" test "$s" = 400
done

# A write without a new publish changes the planners' answers only.
s=$(get /healthz "${AUTH[@]}"); n0=$(python3 -c "import json; print(json.load(open('$WORK/body'))['incidents'])")
FEAT='{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source_id":"pub-1","mechanism":"traffic","time":"2013-05-01T10:00:00+08:00"}}'
PTILE=/tiles/density/14/13119/6844.png
tilehits() { curl -s "$BASE/metrics" | awk '/^hazmap_cache_requests_total\{cache="tile",outcome="'"$1"'"\}/ {print $2}'; }
s=$(get $PTILE); cp "$WORK/body" "$WORK/ptile1.png"
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' -H "Authorization: Bearer $EDITOR" --data "$FEAT")
check "POST of an incident 201" test "$s" = 201
s=$(get /healthz "${AUTH[@]}") # the write's new snapshot is loaded now
m0=$(tilehits miss)
s=$(get $PTILE)
check "a public tile stays cached across a write (the release did not change): same bytes, no miss" \
  bash -c "test $s = 200 && cmp -s '$WORK/body' '$WORK/ptile1.png' && test '$(tilehits miss)' = '$m0'"
s=$(get /healthz "${AUTH[@]}"); check "planner /healthz sees it" jcheck "d['incidents']==$n0+1"
s=$(get '/api/stats?by=area&from=2013-01-01&to=2013-12-31' "${AUTH[@]}"); check "planner /api/stats changed" bash -c "! cmp -s '$WORK/body' '$WORK/plan1.json'"
s=$(get /api/stats); check "public /api/stats is byte for byte unchanged" cmp -s "$WORK/body" "$WORK/pub1.json"
s=$(get /healthz); check "public /healthz unchanged" jcheck "d=={'status':'ok','release':1}"
s=$(get /api/density.tif); check "public density.tif is byte for byte unchanged" cmp -s "$WORK/body" "$WORK/pub1.tif"
s=$(get '/api/evaluate?area=510104001&start=2014-01-01'); check "public /api/evaluate is byte for byte unchanged" cmp -s "$WORK/body" "$WORK/eval1.json"

# A new publish: the running server picks it up (polled every 100 ms).
"$HAZMAP" publish --db "$DB" > /dev/null 2>&1 || bad "publish of release 2"
sleep 0.3
s=$(get /healthz); check "after publish the public sees release 2" jcheck "d['release']==2"
s=$(get /api/density.tif); check "public density.tif now comes from release 2" bash -c "test $s = 200 && gdalinfo '$WORK/body' | grep -q 'HAZMAP_PROVENANCE=.*\"release\":2'"
python3 "$WORK/decode.py" "$DB" 2 subdistrict_year > "$WORK/rel2.json"
s=$(get /api/stats); check "public /api/stats now equals release 2's cells" python3 -c "
import json; rel=json.load(open('$WORK/rel2.json')); d=json.load(open('$WORK/body'))
assert d['release']==2
for r in d['rows']: assert r['count']==rel[f\"{r['area']}|{r['year']}\"], r"

# Every release stays readable by id, and the budget of all of them adds up (zCDP rho).
s=$(get /api/releases); check "/api/releases lists releases 1 and 2; the rho spent is their sum" \
  jcheck "[r['id'] for r in d['releases']]==[1,2] and abs(d['budget_spent']['rho']-sum(r['privacy']['rho'] for r in d['releases']))<1e-12"
s=$(get /api/releases/1/tables/subdistrict_year); check "release 1's subdistrict_year over HTTP equals its stored blob" python3 -c "
import json; rel=json.load(open('$WORK/rel1.json')); d=json.load(open('$WORK/body'))
assert d['release']==1 and d['values']==list(rel.values())"
s=$(get /api/releases/1); check "release 1's metadata over HTTP is the stored metadata (reals to 1e-11)" python3 -c "
import json, sqlite3; d=json.load(open('$WORK/body'))
m=json.loads(sqlite3.connect('$DB').execute('SELECT metadata FROM releases WHERE id=1').fetchone()[0])
def same(a, b):
    if isinstance(a, dict): return isinstance(b, dict) and a.keys()==b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list): return isinstance(b, list) and len(a)==len(b) and all(map(same, a, b))
    if isinstance(a, float) or isinstance(b, float): return abs(a-b) <= 1e-11*max(1, abs(b))
    return a==b
assert same(d['metadata'], m) and len(d['tables'])==len(m['tables'])"
s=$(get /api/releases/99); check "an unknown release is 404" test "$s" = 404
# Publishing when asked: planners only.
s=$(get /api/releases -X POST); check "public POST /api/releases: 401" test "$s" = 401
s=$(get /api/releases -X POST -H "Authorization: Bearer $EDITOR"); check "editor POST /api/releases: 403" test "$s" = 403
s=$(get /api/releases -X POST "${AUTH[@]}"); check "planner POST /api/releases: 201, release 3" jcheck "d['id']==3"
s=$(get /healthz); check "the public sees release 3 at once" jcheck "d['release']==3"
# On a schedule: a server with publish_every_h publishes at start when the data changed since
# the newest release, and not when it did not.
FEAT2='{"type":"Feature","geometry":{"type":"Point","coordinates":[104.08,30.65]},"properties":{"source_id":"pub-2","mechanism":"fall","time":"2013-06-01T10:00:00+08:00"}}'
s=$(get /collections/incidents/items -X POST -H 'Content-Type: application/geo+json' -H "Authorization: Bearer $EDITOR" --data "$FEAT2")
check "a second POST of an incident 201" test "$s" = 201
printf 'publish_every_h = 24\nquery_timeout_ms = 600000\n' > "$WORK/sched.conf"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=()
start_conf() {
  NSTART=$((NSTART + 1))
  hz_serve "$WORK/sched-$NSTART.log" "$WORK/sched-$NSTART.log" --db "$DB" --config "$WORK/sched.conf" || return 1
  PIDS+=("$HZ_PID")
}
start_conf || bad "hazmap serve with publish_every_h did not start"
for _ in $(seq 1 50); do [ "$(sqlite3 "$DB" 'SELECT max(id) FROM releases')" = 4 ] && break; sleep 0.1; done
check "publish_every_h: release 4 published at start (the data changed)" \
  test "$(sqlite3 "$DB" 'SELECT max(id) FROM releases')" = 4
sleep 0.3
s=$(get /healthz); check "  ... and served" jcheck "d['release']==4"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=()
start_conf || bad "hazmap serve with publish_every_h did not restart"
sleep 1
check "publish_every_h: no release at the next start (the data did not change)" \
  test "$(sqlite3 "$DB" 'SELECT max(id) FROM releases')" = 4

# A database that never published.
DB0=$WORK/unpublished.sqlite
NO_PUBLISH=1 tools/load-sample.sh "$HAZMAP" "$DB0" > /dev/null 2>&1 || bad "load-sample NO_PUBLISH=1"
T0=$("$HAZMAP" token create --db "$DB0" --role planner --label t)
start "$DB0" || { echo "FAIL hazmap serve (unpublished) did not start"; exit 1; }
s=$(get /healthz); check "unpublished: public /healthz says no release" jcheck "d=={'status':'ok','release':None}"
s=$(get /api/stats); check "unpublished: public /api/stats 503 saying to run hazmap publish" \
  bash -c "test $s = 503 && grep -q 'hazmap publish' '$WORK/body'"
s=$(get /api/density.tif); check "unpublished: public /api/density.tif 503" test "$s" = 503
s=$(get /api/stats -H "Authorization: Bearer $T0"); check "unpublished: planner /api/stats 200" test "$s" = 200

echo "public.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
