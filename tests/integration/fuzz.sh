#!/usr/bin/env bash
# fuzz.sh - every libFuzzer harness of tests/fuzz/ (built by `make test` into build/fuzz/ with
# clang, AddressSanitizer and UBSan) for FUZZ_TEST_SECONDS (10) on a scratch copy of its seed
# corpus, one `ok`/`FAIL` line per harness (tests/fuzz/run.sh); a crash or a violated invariant
# fails, with the input kept under build/fuzz/artifacts/.
#
# The harnesses are sanitized builds of their own, so `make test SANITIZE=1` (BUILD=build/asan)
# does not run them a second time. Env: BUILD, FUZZ_TEST_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${BUILD:-build}" in
  *asan*)
    echo "ok   - fuzz harnesses: run once, by the plain make test (they are always sanitized)"
    exit 0
    ;;
esac
bins=(tests/fuzz/fuzz_*.c)
bins=("${bins[@]/#tests\/fuzz\//build/fuzz/}")
bins=("${bins[@]%.c}")
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "FAIL - $b is not built (make fuzz-build)"; exit 1; }
done
exec tests/fuzz/run.sh "${FUZZ_TEST_SECONDS:-10}" "${bins[@]}"
