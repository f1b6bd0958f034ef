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
. tests/integration/lib/serve.sh
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
hz_serve "$WORK/serve.log" "$WORK/serve.log" --db "$DB" || { echo "FAIL hazmap serve did not start"; exit 1; }
PID=$HZ_PID

python3 tests/attack/attacks.py "$BASE" "$DB" "$TOKEN" "${ATTACK_REPORT:-}"
rc=$?
echo "attack.sh: $([ $rc -eq 0 ] && echo 'no attack succeeded' || echo 'failure(s) above')"
exit $rc
