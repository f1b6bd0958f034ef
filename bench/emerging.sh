#!/usr/bin/env bash
# emerging.sh - benchmark: `hazmap emerging` (issue 17) on 1,000,000 incidents x 36 monthly steps
# x 250 m cells over the Jinjiang district, the whole process timed.
#
#   bench/emerging.sh [BUILD]     (default build; writes bench/results/emerging.md and .targets)
#
# The store is the shared 1M one of bench/lib/db1m.sh (the 55,000-incident sample replicated with
# +-50 m jitter, so its times span the sample's 36 months 2012-01..2014-12); EMERGING_DB=PATH uses
# another store, which must span those 36 months too (checked: build/bench-tiles-1000000.sqlite of
# bench/tilerender.sh does not, all its incidents are at 2012-01-01). One first run (it may build
# the store's snapshot cache), then 3 timed runs of
# `hazmap emerging --db DB --cell 250 --step month -o FILE.geojson` under /usr/bin/time -v: median
# wall time and peak RSS. Target (issue 17): <= 3 s. Informative, one run each: the same cube
# written as a GeoPackage, and the defaults (auto cell and band).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
HAZMAP=$BUILD/hazmap
OUT=bench/results/emerging.md
[ -x "$HAZMAP" ] || make -s BUILD="$BUILD" "$HAZMAP" > /dev/null
DB=${EMERGING_DB:-$(bench/lib/db1m.sh "$HAZMAP")}
TMP=$(mktemp -d /tmp/hazmap_bench_emerging_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT

read -r n months first last < <(sqlite3 -readonly -separator ' ' "$DB" \
  "SELECT count(*), count(DISTINCT substr(occurred_at, 1, 7)), min(substr(occurred_at, 1, 7)), max(substr(occurred_at, 1, 7)) FROM incidents;")
if [ "$months" != 36 ] || [ "$first" != 2012-01 ] || [ "$last" != 2014-12 ]; then
  echo "bench/emerging.sh: $DB holds $n incidents over $months months ($first..$last), not the 36 months 2012-01..2014-12" >&2
  exit 1
fi

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# run NAME ARGS...: one whole-process run; prints "seconds rss_mb" and keeps its stderr in NAME.err.
run() {
  local name=$1; shift
  /usr/bin/time -v "$HAZMAP" emerging --db "$DB" "$@" 2> "$TMP/$name.err" > /dev/null ||
    { cat "$TMP/$name.err" >&2; echo "bench/emerging.sh: hazmap emerging $* failed" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]}
    /Maximum resident set size/ {r = $2 / 1024} END {printf "%.2f %.0f\n", s, r}' "$TMP/$name.err"
}
args=(--cell 250 --step month)
cache="the snapshot cache existed"
[ -e "$DB.snapshot" ] || cache="it built the snapshot cache"
run first "${args[@]}" -o "$TMP/first.geojson" > "$TMP/first.res"
read -r first_s first_rss < "$TMP/first.res"
times="" rss=""
for i in 1 2 3; do
  rm -f "$TMP/cube.geojson"
  run "run$i" "${args[@]}" -o "$TMP/cube.geojson" > "$TMP/run$i.res"
  read -r s r < "$TMP/run$i.res"
  times+="$s"$'\n' rss+="$r"$'\n'
  echo "run $i: $s s, peak RSS $r MB"
done
med=$(printf '%s' "$times" | median)
peak=$(printf '%s' "$rss" | sort -g | tail -1)
all=$(printf '%s' "$times" | sort -g | paste -sd, - | sed 's/,/, /g')
cube=$(grep '^cube:' "$TMP/run1.err" | sed 's/^cube: //')
read -r cells steps < <(echo "$cube" | sed -n 's/^\([0-9]*\) cells x \([0-9]*\) .*/\1 \2/p')
run gpkg "${args[@]}" -o "$TMP/cube.gpkg" > "$TMP/gpkg.res"
read -r gs gr < "$TMP/gpkg.res"
run auto -o "$TMP/auto.geojson" > "$TMP/auto.res"
read -r as ar < "$TMP/auto.res"
auto_cube=$(grep '^cube:' "$TMP/auto.err" | sed 's/^cube: //')
auto_cell=$(sed -n 's/.* so it is raised to \([0-9]*\) m.*/\1 m/p' "$TMP/auto.err" | head -1)
auto_bins=$(echo "$auto_cube" | sed -n 's/.* = \([0-9]*\) bins.*/\1/p')

# Bytes per bin, from the structures (geo/analysis/emerging.c): the result keeps one emerging_bin
# per bin; while it runs, em_work holds val, z, p, q (doubles) and cnt (int) per bin and
# stgistar_compute() one more double (its window sums), freed before the bins are made.
PKGS="gdal proj spatialite jansson sqlite3 geos libpq"
printf '#include "hazmap/emerging.h"\n#include <stdio.h>\nint main(void) { printf("%%zu\\n", sizeof(emerging_bin)); return 0; }\n' > "$TMP/sz.c"
cc -std=c11 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags $PKGS) "$TMP/sz.c" -o "$TMP/sz"
bin_b=$("$TMP/sz")
work_b=$((4 * 8 + 4))
mib() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1048576}'; }
bins=$((cells * steps))
verdict=$(awk -v a="$med" 'BEGIN {print (a <= 3.0) ? "meets" : "MISSES"}')

{
  echo "## Emerging hot spots (space-time cube)"
  echo
  echo "Command: \`bench/emerging.sh $BUILD\`: \`hazmap emerging --db DB --cell 250 --step month -o FILE.geojson\`, the whole"
  echo "process (snapshot load, selection, lattice, cube, Gi*, FDR, Mann-Kendall, patterns, GeoJSON with every"
  echo "location's series) under \`/usr/bin/time -v\`, median of 3 runs after one first run."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs, so times vary."
  echo
  echo "Store: \`${DB}\` ($n incidents, the sample replicated by bench/lib/db1m.sh; $months months $first..$last)."
  echo "Cube: $cube."
  echo
  echo "| run | wall s | peak RSS MB |"
  echo "|---|---|---|"
  echo "| --cell 250 --step month, GeoJSON: median of 3 ($all) | **$med** | $peak |"
  echo "| the same, the first run ($cache) | $first_s | $first_rss |"
  echo "| the same cube written as a GeoPackage (locations + $bins bin rows), one run | $gs | $gr |"
  echo "| defaults (auto cell and band), GeoJSON, one run: $auto_cube | $as | $ar |"
  echo
  echo "Target (issue 17): 1,000,000 incidents x 36 monthly steps x 250 m cells <= 3 s: **${verdict}** (${med} s)."
  echo
  echo "Cube memory: $cells cells x $steps steps = $bins bins. The result keeps one \`emerging_bin\` per bin"
  echo "($bin_b bytes: value, count, z, p, q, class): $(mib $((bins * bin_b))) MiB. While it runs, the work arrays"
  echo "add $work_b bytes a bin (val, z, p, q doubles and cnt int; stgistar's window sums, 8 more, are freed"
  echo "before the bins are made): at most $((bin_b + work_b)) bytes a bin, $(mib $((bins * (bin_b + work_b)))) MiB. The peak RSS is"
  echo "dominated by the incident snapshot and the selection (per point x, y and a step index), not the cube."
  echo "The defaults' auto cell (${auto_cell:-see the row above}: the hot-spot rule's cell raised to about one incident a bin)"
  echo "makes a cube of ${auto_bins:-?} bins, $(awk -v a="${auto_bins:-0}" -v b="$bins" 'BEGIN {printf "%.0f", a / b}') times this one: the slower case, outside the target."
} > "$OUT"
echo "| Emerging hot spots, 1M incidents x 36 months x 250 m cells, whole process (issue 17) | <= 3 s | ${med} s | ${verdict} |" > bench/results/emerging.targets
cat "$OUT"
