#!/usr/bin/env bash
# attack.sh - issue 13's acceptance: replays every attack of the issue as an anonymous client
# against a live public server on the sample and fails if any succeeds (recovers more than an
# attacker knowing only the released aggregates; see tests/attack/attacks.py's header for what
# each attack is, what counts as success and how the baseline is defined).
#
# Loads the sample (tools/load-sample.sh, which publishes release 1), starts `hazmap serve` on a
# free port, runs tests/attack/attacks.py (Python 3 standard library only). A planner token is
# created for the measurement sanity check and the check that planners keep live answers; it is
# never used inside an attack. Env: HAZMAP (binary, default build/hazmap); ATTACK_REPORT (a file
# to write the markdown summary table to). One line per check; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-attack-test.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

DB=$WORK/sample.sqlite
tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 || { cat "$WORK/load.log"; echo "FAIL load-sample"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label attack-ground-truth) || { echo "FAIL token create"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HAZMAP" serve --db "$DB" --bind 127.0.0.1 --port "$port" > "$WORK/serve.log" 2>&1 &
PID=$!
BASE=http://127.0.0.1:$port
up=0
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" > /dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
[ "$up" = 1 ] || { cat "$WORK/serve.log"; echo "FAIL hazmap serve did not start"; exit 1; }

python3 tests/attack/attacks.py "$BASE" "$DB" "$TOKEN" "${ATTACK_REPORT:-}"
rc=$?
echo "attack.sh: $([ $rc -eq 0 ] && echo 'no attack succeeded' || echo 'failure(s) above')"
exit $rc
