#!/usr/bin/env bash
# run.sh SECONDS HARNESS... - runs each libFuzzer harness (build/fuzz/fuzz_NAME) for SECONDS on a
# scratch copy of its committed corpus tests/fuzz/corpus/NAME/ (new inputs go to the scratch
# directory, never into the committed corpus), one at a time. Prints, per harness, one line:
#   ok   - fuzz_NAME: RUNS runs in SECONDS s (EXEC/s), cov COV ft FT, corpus N
# or FAIL with the crash's input kept under build/fuzz/artifacts/. Exits 1 if any harness failed.
# FUZZ_RUNS=N also stops each harness after N executions (the long runs of RELIABILITY.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=$1
shift
art=build/fuzz/artifacts
mkdir -p "$art"
rc=0
for bin in "$@"; do
  name=$(basename "$bin")
  name=${name#fuzz_}
  scratch=$(mktemp -d "/tmp/hazmap-fuzz-$name-XXXXXX")
  cp tests/fuzz/corpus/"$name"/* "$scratch"/ 2> /dev/null
  log="$art/$name.log"
  start=$(date +%s.%N)
  "$bin" -max_total_time="$secs" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$art/$name-" "$scratch" > "$log" 2>&1
  status=$?
  end=$(date +%s.%N)
  rm -rf "$scratch"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
  took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  eps=$(awk -v r="${runs:-0}" -v t="$took" 'BEGIN { printf "%.0f", (t > 0 ? r / t : r) }')
  if [ "$status" = 0 ]; then
    echo "ok   - fuzz_$name: ${runs:-?} runs in $took s ($eps/s), cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
  else
    grep -E 'ERROR|invariant violated|SUMMARY' "$log" | head -5
    echo "FAIL - fuzz_$name: exit $status after ${runs:-?} runs (log $log, input $art/$name-*)"
    rc=1
  fi
done
exit "$rc"
