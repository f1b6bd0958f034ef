#!/usr/bin/env bash
# report.sh - benchmark: the quarterly diagnosis report (`hazmap report`, issue 12 item 3) of each
# of the ten working groups and the district on the bundled sample (55,000 incidents, the
# Jinjiang road network), 2014Q2.
#
#   bench/report.sh [BUILD]     (default build; writes bench/results/report.md and report.targets)
#
# The time is the one `hazmap report` prints: report_html() alone (every analysis, the maps
# rendered and encoded, the page written), after the snapshot and the roads are loaded; median of
# RUNS (3) runs per group. The wall time of the whole command (loading included) and of the PDF
# (headless Chromium printing the page) are reported beside it.
# Target (issue 12): report generation <= 5 s per group on the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=bench/results/report.md
RUNS=${RUNS:-3}
GROUPS_ALL="order traffic fire workplace home elderly disabled school environment public district"
if ! make -s "$BUILD/hazmap" >/dev/null 2>&1; then
  [ -x "$BUILD/hazmap" ] || { echo "cannot build $BUILD/hazmap" >&2; exit 1; }
  echo "warning: make $BUILD/hazmap failed; using the existing binary" >&2
fi
TMP=$(mktemp -d /tmp/hazmap_bench_report_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT
tools/load-sample.sh "$BUILD/hazmap" "$TMP/s.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
LOAD=$(cut -d' ' -f1 /proc/loadavg)
"$BUILD/hazmap" report --db "$TMP/s.sqlite" --group district --quarter 2014Q2 -o "$TMP/warm.html" 2> /dev/null
rows=() worst=0
for g in $GROUPS_ALL; do
  ts=() ws=()
  for _ in $(seq 1 "$RUNS"); do
    t0=$(date +%s.%N)
    "$BUILD/hazmap" report --db "$TMP/s.sqlite" --group "$g" --quarter 2014Q2 -o "$TMP/$g.html" 2> "$TMP/$g.err"
    t1=$(date +%s.%N)
    ts+=("$(sed -n 's/.* in \([0-9.]*\) s -> .*/\1/p' "$TMP/$g.err")")
    ws+=("$(echo "$t1 - $t0" | bc)")
  done
  t=$(printf '%s\n' "${ts[@]}" | median)
  w=$(printf '%s\n' "${ws[@]}" | median)
  t0=$(date +%s.%N)
  "$BUILD/hazmap" report --db "$TMP/s.sqlite" --group "$g" --quarter 2014Q2 -o "$TMP/$g.pdf" 2> /dev/null
  p=$(echo "$(date +%s.%N) - $t0" | bc)
  kb=$(( $(stat -c %s "$TMP/$g.html") / 1024 ))
  rows+=("| $g | $t | $(printf '%.2f' "$w") | $(printf '%.2f' "$p") | $kb |")
  worst=$(echo "$t $worst" | awk '{print ($1 > $2) ? $1 : $2}')
done
verdict=$(awk -v w="$worst" 'BEGIN { print (w <= 5) ? "meets" : "MISSES" }')
{
  echo "## Quarterly diagnosis report (hazmap report)"
  echo
  echo "Command: \`bench/report.sh $BUILD\` (median of $RUNS runs per group; the sample of \`tools/load-sample.sh\`: 55,000"
  echo "incidents, 17 areas, the Jinjiang road network; quarter 2014Q2)."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load average (1 min) $LOAD when the runs began."
  echo "Code: commit \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(git status --porcelain --untracked-files=no -- geo tiles include 2>/dev/null | grep -q . && echo ' with uncommitted changes')."
  echo
  echo "| group | report_html() s | whole command s (loading included) | PDF s (Chromium) | HTML KiB |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Target (issue 12): report generation <= 5 s per group on the sample: **$verdict** (slowest $worst s)."
} > "$OUT"
echo "| Quarterly report per group on the sample (issue 12) | <= 5 s | slowest group $worst s (report_html) at load $LOAD | $verdict |" > bench/results/report.targets
echo "wrote $OUT"
