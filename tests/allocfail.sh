#!/usr/bin/env bash
# allocfail.sh - runs Check suites with the N-th allocation of the library failing (RELIABILITY.md,
# "Faults"; the binary is BUILD/check_allocfail, see tests/allocfail/allocfail.c).
#
#   tests/allocfail.sh --short [BIN]   suites core and csv, N = 1, 2, 4, 8, ... (a doubling sample)
#   tests/allocfail.sh --long  [BIN]   ALLOCFAIL_SUITES (default: core csv gistar dbscan kde
#                                      hotspots ehsa release), every N = 1, 2, ...
# Check forks a child per test, so every test of the suite sees its own N-th allocation fail. A
# suite is done at the first N that no test reaches (nothing appended to ALLOCFAIL_LOG), or at
# ALLOCFAIL_MAX_N. Failed assertions are expected (the tested function returned an error); what
# counts as a finding is a crash (a signal), a timeout, an exit other than Check's, or any
# AddressSanitizer / LeakSanitizer / UBSan report (an ASan build finds leaks; a plain build only
# crashes). The output of each run with a finding is kept in $ALLOCFAIL_OUT (default
# /tmp/hazmap-allocfail). Exit 1 when anything was found.
set -uo pipefail
MODE=${1:---short}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${2:-${BUILD:-$ROOT/build}/check_allocfail}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
[ -x "$BIN" ] || { echo "allocfail: no $BIN (make allocfail-build)"; exit 1; }
OUT=${ALLOCFAIL_OUT:-/tmp/hazmap-allocfail}
mkdir -p "$OUT"
MAX_N=${ALLOCFAIL_MAX_N:-0}
if [ "$MODE" = --short ]; then
  SUITES=${ALLOCFAIL_SUITES:-core csv}
else
  SUITES=${ALLOCFAIL_SUITES:-core csv gistar dbscan kde hotspots ehsa release}
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120} CK_VERBOSITY=normal
next() { # the N after $1
  if [ "$MODE" = --long ]; then echo $(($1 + 1)); else echo $(($1 * 2)); fi
}
cd "$ROOT/tests"
FOUND=0 RUNS=0
for suite in $SUITES; do
  n=1 hits_n=0
  while :; do
    log=$(mktemp "$OUT/hits.XXXXXX")
    rm -f "$log"
    out=$OUT/$suite.N$n.log
    ALLOCFAIL_N=$n ALLOCFAIL_LOG=$log CK_RUN_SUITE=$suite "$BIN" > "$out" 2>&1
    rc=$?
    RUNS=$((RUNS + 1))
    hits=0
    [ -f "$log" ] && hits=$(wc -l < "$log")
    rm -f "$log"
    problems=$(grep -E 'Received signal|Test timeout expired|Early exit with return value|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Leak|Undefined)' "$out" | head -5)
    if [ "$rc" -ge 2 ] || [ -n "$problems" ]; then
      FOUND=$((FOUND + 1))
      echo "FINDING $suite N=$n (exit $rc; output kept in $out):"
      sed 's/^/    /' <<< "$problems"
    else
      rm -f "$out"
    fi
    if [ "$hits" -eq 0 ]; then
      echo "allocfail: $suite: N=$n reached by no test: done (each test makes fewer than $n allocations)"
      break
    fi
    hits_n=$n
    if [ "$MAX_N" -gt 0 ] && [ "$n" -ge "$MAX_N" ]; then
      echo "allocfail: $suite: stopped at ALLOCFAIL_MAX_N=$MAX_N (still reached by $hits tests)"
      break
    fi
    n=$(next "$n")
  done
done
echo "allocfail ($MODE): $RUNS runs over [$SUITES], $FOUND with findings"
[ "$FOUND" -eq 0 ]
