#!/usr/bin/env bash
# run.sh - runs every benchmark (bench/*.sh) and assembles BENCHMARKS.md from bench/results/*.md.
# Usage: bench/run.sh [BUILD_DIR] [NAME...]   (NAME = import, kde, hotspots, blackspots, server, ...)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.sh; do
    n=$(basename "$f" .sh)
    [ "$n" = run ] || names+=("$n")
  done
fi
mkdir -p bench/results
failed=0
for n in "${names[@]}"; do
  echo "== bench/$n.sh"
  if ! bash "bench/$n.sh" "$build"; then
    echo "bench/$n.sh failed" >&2
    failed=1
  fi
done
{
  echo "# hazmap benchmarks"
  echo
  echo "Produced by \`make bench\` (which runs \`bench/run.sh build\`; one benchmark: \`bench/run.sh build NAME\`)."
  echo "Each section below is written by its script in bench/ and names the exact command it ran,"
  echo "the machine, and the peer measured side by side in the same run. The machine is shared and"
  echo "noisy: figures are medians of repeated runs."
  for f in bench/results/*.md; do
    [ -e "$f" ] || continue
    echo
    cat "$f"
  done
} > BENCHMARKS.md
exit $failed
