#!/usr/bin/env bash
# faults.sh - fault injection (issue 16, item 7; see RELIABILITY.md, "Faults").
#
# 1. Disk full: a database on a 40 MB tmpfs (else a loop-mounted ext4 image of the same size),
#    filled up with a filler file.
#    - `hazmap import-incidents` on the full disk (nothing free: the open fails; 1 MB free: the
#      transaction fails part way) exits non-zero with a message naming the database file and the
#      full disk, and leaves the database as it was: no hot journal, an empty WAL, the same row
#      count, PRAGMA integrity_check ok (read while the disk is still full, and again after).
#    - `hazmap serve` on that database answers a POST of incidents (planner token) with 507
#      InsufficientStorage, nothing stored, keeps answering reads (200), and stores the same POST
#      (201, all inserted) once the filler is deleted.
# 2. Allocation failure, short run: tests/allocfail.sh --short (the `faults` of `make allocfail`
#    on a sampled set of N over two suites, under ASan); skipped with a note when there is no
#    compiler or it cannot build.
# Env: HAZMAP (binary, default build/hazmap), BUILD. One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
BUILD=${BUILD:-build}
WORK=$(mktemp -d /tmp/hazmap-faults-test.$$.XXXX)
MNT=$WORK/mnt
PID= MOUNTED= LOOPIMG=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "$MOUNTED" ] && umount "$MNT" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# ---- 1. disk full ----
mkdir -p "$MNT"
FS=
if mount -t tmpfs -o size=40m tmpfs "$MNT" 2>/dev/null; then
  FS="tmpfs, 40 MB"
  MOUNTED=1
elif LOOPIMG=$WORK/disk.img && truncate -s 40M "$LOOPIMG" && mkfs.ext4 -q -F "$LOOPIMG" 2>/dev/null &&
  mount -o loop "$LOOPIMG" "$MNT" 2>/dev/null; then
  FS="loop-mounted ext4 image, 40 MB"
  MOUNTED=1
fi

# Fills the file system up to KB kilobytes free (0: completely) with $MNT/filler*.
fill() {
  local keep=$1 avail
  avail=$(df -k --output=avail "$MNT" | tail -1)
  if [ "$keep" -gt 0 ]; then
    dd if=/dev/zero of="$MNT/filler" bs=64k count=$(((avail - keep) / 64)) status=none 2>/dev/null
  else
    dd if=/dev/zero of="$MNT/filler" bs=64k status=none 2>/dev/null
    dd if=/dev/zero of="$MNT/filler2" bs=1k status=none 2>/dev/null
  fi
  true
}
unfill() { rm -f "$MNT/filler" "$MNT/filler2"; }
# Read while the disk is full: no WAL index can be created then, so read the main file alone
# (immutable), which is the whole database exactly when no WAL or journal holds anything.
count_ro() { sqlite3 "file:$DB?immutable=1" 'SELECT count(*) FROM incidents' 2>&1; }
integrity_ro() { [ "$(sqlite3 "file:$DB?immutable=1" 'PRAGMA integrity_check' 2>&1)" = ok ]; }
integrity() { [ "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)" = ok ]; }
no_side_data() { [ ! -s "$DB-journal" ] && [ ! -s "$DB-wal" ]; }

if [ -z "$FS" ]; then
  echo "# SKIP disk full: neither 'mount -t tmpfs' nor a loop mount is permitted here (not root," \
    "or no CAP_SYS_ADMIN); the faults Check suite still injects SQLITE_FULL through its VFS"
else
  echo "# disk full on $FS at $MNT"
  DB=$MNT/db.sqlite
  CSV=data/incidents_2012_2014.csv
  head -2001 "$CSV" > "$WORK/a.csv"
  { head -1 "$CSV"; sed -n 2002,20001p "$CSV"; } > "$WORK/b.csv"
  "$HAZMAP" import-areas --db "$DB" data/jinjiang_subdistricts.geojson --code-field code \
    --name-field name --level subdistrict > "$WORK/load.log" 2>&1 &&
    "$HAZMAP" import-incidents --db "$DB" "$WORK/a.csv" --srs gcj02 --source s --id id \
      >> "$WORK/load.log" 2>&1 || { cat "$WORK/load.log"; echo "FAIL cannot build the database"; exit 1; }
  N0=$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')
  check "database of 2000 incidents on $FS" test "$N0" = 2000
  TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label faults) || { echo "FAIL token create"; exit 1; }
  sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null

  for keep in 0 1024; do
    fill "$keep"
    what="import with ${keep} KB free"
    "$HAZMAP" import-incidents --db "$DB" "$WORK/b.csv" --srs gcj02 --source s --id id \
      > "$WORK/imp.out" 2> "$WORK/imp.err"
    rc=$?
    check "$what: exit status non-zero ($rc)" test "$rc" -ne 0
    check "$what: the message names the database file" grep -q "$DB" "$WORK/imp.err"
    check "$what: the message says the disk is full" grep -Eq "disk is full|no space left" "$WORK/imp.err"
    check "$what: no crash or sanitizer report" bash -c "[ $rc -lt 128 ] && ! grep -Eq 'Sanitizer|runtime error' '$WORK/imp.err'"
    check "$what: no hot journal, no WAL content left" no_side_data
    check "$what: same row count while full ($N0)" test "$(count_ro)" = "$N0"
    check "$what: integrity_check ok while full" integrity_ro
    unfill
    check "$what: integrity_check ok after space returns" integrity
    check "$what: same row count after space returns" test "$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')" = "$N0"
    sed 's/^/#   /' "$WORK/imp.err" | grep -v 'no --id given'
  done

  # ---- the server ----
  mkdir -p "$WORK/cache"
  hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" --cache-dir "$WORK/cache" ||
    bad "the server on the small disk did not start"
  PID=$HZ_PID
  AUTH=(-H "Authorization: Bearer $TOKEN")
  python3 - > "$WORK/post.json" <<'EOF'
import json
fs = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.08 + i * 1e-5, 30.65]},
       "properties": {"source": "faults", "source_id": "p-%d" % i, "occurred_at": "2014-06-01T10:00:00",
                      "mechanism": "fall", "severity": "minor", "age": 70, "sex": "female",
                      "description": "x" * 200}} for i in range(300)]
print(json.dumps({"type": "FeatureCollection", "features": fs}))
EOF
  post() {
    curl -s -m 60 -o "$WORK/body" -w '%{http_code}' "${AUTH[@]}" -X POST \
      -H 'Content-Type: application/geo+json' --data @"$WORK/post.json" "$BASE/collections/incidents/items"
  }
  get() { curl -s -m 60 -o "$WORK/body" -w '%{http_code}' "$@"; }
  s=$(get "${AUTH[@]}" "$BASE/collections/incidents/items?limit=1")
  check "server up, planner read 200" test "$s" = 200
  fill 0
  s=$(post)
  check "POST of 300 incidents on the full disk: 507 ($s)" test "$s" = 507
  check "507 body: code InsufficientStorage, no file name" bash -c \
    "grep -q '\"InsufficientStorage\"' '$WORK/body' && ! grep -q '$MNT' '$WORK/body'"
  s=$(get "${AUTH[@]}" "$BASE/collections/incidents/items?limit=5")
  check "planner read while full: 200" test "$s" = 200
  s=$(get "$BASE/collections")
  check "public read while full: 200" test "$s" = 200
  s=$(post)
  check "a second POST while full: 507 again" test "$s" = 507
  unfill
  s=$(post)
  check "POST after the filler is deleted: 201 ($s)" test "$s" = 201
  check "... all 300 inserted (so the 507 POSTs stored none of them)" python3 -c "import json,sys; d=json.load(open('$WORK/body')); sys.exit(0 if d['inserted']==300 else 1)"
  check "... the database holds them" test "$(sqlite3 "$DB" 'SELECT count(*) FROM incidents')" = $((N0 + 300))
  check "server alive, integrity_check ok" bash -c "kill -0 $PID && [ \"\$(sqlite3 '$DB' 'PRAGMA integrity_check')\" = ok ]"
  kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
  check "no sanitizer report from the server" bash -c "! grep -Eq 'Sanitizer|runtime error' '$WORK/access.log'"
fi

# ---- 2. allocation failure (short) ----
if [ "${FAULTS_SKIP_ALLOC:-0}" = 1 ]; then
  echo "# SKIP allocation failure (FAULTS_SKIP_ALLOC=1)"
else
  if tests/allocfail.sh --short "$BUILD/check_allocfail" > "$WORK/alloc.log" 2>&1; then
    ok "allocation failure (tests/allocfail.sh --short): $(tail -1 "$WORK/alloc.log")"
  else
    tail -30 "$WORK/alloc.log"
    bad "allocation failure (tests/allocfail.sh --short)"
  fi
fi

echo "faults: $((CHECKS - FAILS))/$CHECKS checks passed"
[ "$FAILS" -eq 0 ]
