#!/usr/bin/env bash
# run.sh - runs every benchmark (bench/*.sh) and assembles BENCHMARKS.md from bench/results/*.md.
# Usage: bench/run.sh [BUILD_DIR] [NAME...]   (NAME = import, kde, hotspots, blackspots, server, ...)
#        bench/run.sh [BUILD_DIR] --assemble  (only rebuild BENCHMARKS.md from bench/results/)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
names=("$@")
assemble_only=0
[ "${names[0]:-}" = --assemble ] && { assemble_only=1; names=(); }
# The issues' order: import (issue 2), analysis (issue 3), server and tiles (issue 4), then the rest.
order=(import kde hotspots blackspots server tilerender)
if [ ${#names[@]} -eq 0 ]; then
  names=("${order[@]}")
  for f in bench/*.sh; do
    n=$(basename "$f" .sh)
    [ "$n" = run ] || [[ " ${order[*]} " == *" $n "* ]] || names+=("$n")
  done
fi
sections=("${order[@]}")
for f in bench/results/*.md; do
  n=$(basename "$f" .md)
  [[ " ${order[*]} " == *" $n "* ]] || sections+=("$n")
done
mkdir -p bench/results
failed=0
failures=()
[ $assemble_only = 1 ] && names=()
for n in ${names[@]+"${names[@]}"}; do
  echo "== bench/$n.sh ($(date +%T))"
  t0=$(date +%s)
  if ! bash "bench/$n.sh" "$build"; then
    echo "bench/$n.sh failed" >&2
    failed=1
    failures+=("$n")
  fi
  echo "== bench/$n.sh took $(( $(date +%s) - t0 )) s"
done
{
  echo "# hazmap benchmarks"
  echo
  echo "Produced by \`make bench\` (which runs \`bench/run.sh build\`; one benchmark: \`bench/run.sh build NAME\`)."
  echo "Each section below is written by its script in bench/ and names the exact command it ran,"
  echo "the machine, and the peer measured side by side in the same run. The machine is shared and"
  echo "noisy: figures are medians of repeated runs."
  echo
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM,"
  echo "$(uname -sr); assembled $(date -u '+%Y-%m-%d %H:%M UTC'). Every section comes from its script's latest run"
  echo "(\`make bench\` reruns them all; a script that fails keeps its previous section and is listed below)."
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git status --porcelain --untracked-files=no -- . ':!BENCHMARKS.md' ':!bench/results' 2>/dev/null | head -1)
  echo
  echo "Measured commit: \`$rev\`$([ -n "$dirty" ] && echo ' with uncommitted changes to the code' || echo ' (no uncommitted code changes)')."
  echo
  echo "## Summary: targets from the issues"
  echo
  echo "| benchmark | target | measured | verdict |"
  echo "|---|---|---|---|"
  for n in "${sections[@]}"; do
    [ -f "bench/results/$n.targets" ] && sed 's/| meets |$/| **meets** |/; s/| MISSES |$/| **MISSES** |/' "bench/results/$n.targets"
  done
  echo
  if [ ${#failures[@]} -gt 0 ]; then
    echo "**Scripts that failed in this run** (their sections are from an earlier run): ${failures[*]}."
    echo
  fi
  echo "Details, one section per benchmark, follow."
  for n in "${sections[@]}"; do
    f=bench/results/$n.md
    [ -e "$f" ] || continue
    echo
    cat "$f"
  done
} > BENCHMARKS.md
exit $failed
