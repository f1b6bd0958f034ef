#!/usr/bin/env bash
# soak.sh - the short soak of issue 16, item 6: tools/soak.py drives a live server on a fresh
# sample database for SOAK_SECONDS (60) with 32 clients (public and planner reads, tiles, ~5 %
# POSTed incidents), killing it with SIGKILL every KILL_EVERY (20) seconds and restarting it on
# the same port and database. Checks: at least two kill -9 + restarts, no 5xx (503 from a full
# analysis queue included: the queue has more places than there are clients), no lost
# acknowledged write, no crash, no 4xx, no connection error outside a restart window, writes were
# acknowledged after the last restart. `make soak` is the long run (SOAK_MINUTES).
# Env: HAZMAP (binary, default build/hazmap), SOAK_SECONDS, KILL_EVERY. One line per check; exit 1
# on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
SOAK_SECONDS=${SOAK_SECONDS:-60}
KILL_EVERY=${KILL_EVERY:-20}
WORK=$(mktemp -d /tmp/hazmap-soak-test.$$.XXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0 CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

DB=$WORK/soak.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 || { echo "FAIL load-sample: $(tail -1 "$WORK/load.log")"; exit 1; }
python3 tools/soak.py --hazmap "$HAZMAP" --db "$DB" --seconds "$SOAK_SECONDS" --kill-every "$KILL_EVERY" \
  --clients 32 --workdir "$WORK" --json "$WORK/soak.json" > "$WORK/soak.md" 2> "$WORK/soak.err"
rc=$?
[ -s "$WORK/soak.json" ] || { echo "FAIL soak.py produced no report (exit $rc): $(tail -3 "$WORK/soak.err")"; exit 1; }
sed 's/^/# /' "$WORK/soak.md"
# j EXPR: a python expression over r = the JSON report, printed
j() { python3 -c "import json; r=json.load(open('$WORK/soak.json')); print($1)"; }
check "at least two kill -9 + restarts ($(j 'len(r["kills"])') at $(j 'r["kills"]') s)" test "$(j 'len(r["kills"])')" -ge 2
check "no server exit other than the kills ($(j 'r["crashes"]'))" test "$(j 'len(r["crashes"])')" = 0
check "requests answered: $(j 'r["requests"]') of which $(j 'r["writes_acknowledged"]') acknowledged writes" \
  test "$(j 'r["requests"] >= 500 and r["writes_acknowledged"] >= 10')" = True
check "every route answered ($(j 'len(r["routes"])') of 13)" test "$(j 'len(r["routes"])')" = 13
check "zero 5xx ($(j 'r["5xx"]'))" test "$(j 'r["5xx"]')" = 0
check "zero 503 from the analysis queue ($(j 'r["503_queue"]'); queue $(j 'r["analysis_queue"]') places, 32 clients)" test "$(j 'r["503_queue"]')" = 0
check "zero 4xx ($(j 'r["4xx"]'))" test "$(j 'r["4xx"]')" = 0
check "zero lost acknowledged writes ($(j 'r["writes_lost"]') of $(j 'r["writes_acknowledged"]'))" test "$(j 'r["writes_lost"]')" = 0
check "the database holds the sample plus the acknowledged writes (and at most the unanswered ones)" \
  test "$(j 'r["incidents_before"] + r["writes_acknowledged"] <= r["incidents_after"] <= r["incidents_before"] + r["writes_acknowledged"] + r["writes_unanswered_in_restart"]')" = True
check "connection errors only in restart windows ($(j 'r["connection_errors"]') outside, $(j 'r["refused_during_restart"]') during)" \
  test "$(j 'r["connection_errors"]')" = 0
check "the server was alive at the end and stopped on SIGTERM with exit 0" test "$(j 'r["server_alive_at_end"] and r["sigterm_exit"] == 0')" = True
check "soak.py's own verdict (exit $rc)" test "$rc" = 0
check "no sanitizer report in the server's log" bash -c "! grep -q 'Sanitizer' '$WORK/server.err'"
echo "soak.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
