#!/usr/bin/env bash
# kde.sh - benchmark: kernel density on 10k / 100k / 1M synthetic incidents, against exact
# evaluation, and against QGIS's heatmap when QGIS is available.
#
#   bench/kde.sh [BUILD]            (default build; writes bench/results/kde.md)
#   BENCH_QGIS=1 bench/kde.sh       also installs QGIS (Debian package qgis, large) if absent
#
# Driver bench/kde_bench.c (compiled here against BUILD/libhazmap.a): seeded clustered points over
# an 11 x 12 km box in UTM 48N (the Jinjiang district's size): 60 % in 40 Gaussian clusters
# (sigma 80-400 m), 40 % uniform. It times kde_compute() (quartic, h = 500 m, 10 m cells,
# 1100 x 1200 cells, 2 threads; median of 5 runs) and measures the relative error against exact
# evaluation (every point's kernel, summed in long double) on 400 sampled cells above 1 % of the
# maximum plus the maximum cell. Target (issue 3): 1,000,000 incidents in <= 1 s on 2 cores,
# relative error <= 1e-3, >= 100x faster than QGIS 3.22 (about 100 s on the issue author's machine).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=bench/results/kde.md
PKGS="gdal proj spatialite jansson sqlite3 geos libcrypto"
if ! make -s "$BUILD/libhazmap.a" "$BUILD/hazmap" >/dev/null 2>&1; then
  ar t "$BUILD/libhazmap.a" 2>/dev/null | grep -q kde.o || { echo "cannot build $BUILD/libhazmap.a" >&2; exit 1; }
  echo "warning: make $BUILD/libhazmap.a failed (another module mid-edit?); using the existing library" >&2
fi
cc -std=c11 -O2 -g -D_GNU_SOURCE -pthread -Iinclude $(pkg-config --cflags $PKGS) \
  bench/kde_bench.c "$BUILD/libhazmap.a" $(pkg-config --libs $PKGS) -lm -pthread \
  -o "$BUILD/kde_bench"
TMP=$(mktemp -d /tmp/hazmap_bench_kde_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT

jget() { python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['$1'])"; }

# QGIS: run when installed, or install it when asked (BENCH_QGIS=1).
qgis=""
if ! command -v qgis_process >/dev/null && [ "${BENCH_QGIS:-0}" = 1 ]; then
  echo "installing qgis (BENCH_QGIS=1)"
  apt-get install -y --no-install-recommends qgis python3-qgis >/dev/null 2>&1 ||
    echo "warning: apt-get install qgis failed" >&2
fi
command -v qgis_process >/dev/null && qgis=$(command -v qgis_process)

rows=""
qrows=""
prev=""
for n in 10000 100000 1000000; do
  csvopt=()
  [ -n "$qgis" ] && csvopt=(--csv "$TMP/pts_$n.csv")
  "$BUILD/kde_bench" "$n" --kernel quartic --h 500 --cell 10 --nx 1100 --ny 1200 --threads 2 \
    --reps 5 --samples 400 --seed 1 "${csvopt[@]}" > "$TMP/run_$n.json"
  med=$(jget median_s < "$TMP/run_$n.json")
  cpu=$(jget cpu_median_s < "$TMP/run_$n.json")
  err=$(jget max_rel_err < "$TMP/run_$n.json")
  chk=$(jget cells_checked < "$TMP/run_$n.json")
  times=$(jget times < "$TMP/run_$n.json")
  growth="-"
  [ -n "$prev" ] && growth=$(awk -v a="$med" -v b="$prev" 'BEGIN {printf "%.1fx", a / b}')
  prev=$med
  rows+="| $n | $med | $growth | $times | $cpu | $(awk -v c="$cpu" 'BEGIN {printf "%.3f", c / 2}') | $err | $chk |"$'\n'
  echo "n=$n: median $med s (CPU $cpu s), max relative error $err over $chk cells"
  if [ -n "$qgis" ]; then
    ogr2ogr -f GPKG "$TMP/pts_$n.gpkg" "$TMP/pts_$n.csv" -oo X_POSSIBLE_NAMES=x -oo Y_POSSIBLE_NAMES=y \
      -a_srs EPSG:32648 -nln pts >/dev/null 2>&1
    t0=$(date +%s.%N)
    if QT_QPA_PLATFORM=offscreen "$qgis" run qgis:heatmapkerneldensityestimation \
        --INPUT="$TMP/pts_$n.gpkg" --RADIUS=500 --PIXEL_SIZE=10 --KERNEL=0 --OUTPUT_VALUE=0 \
        --OUTPUT="$TMP/qgis_$n.tif" > "$TMP/qgis_$n.log" 2>&1; then
      t1=$(date +%s.%N)
      qs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
      qsize=$(gdalinfo "$TMP/qgis_$n.tif" 2>/dev/null | sed -n 's/^Size is //p')
      qrows+="| $n | $qs (one run, incl. start-up; $qsize cells) | $med | $(awk -v a="$qs" -v b="$med" 'BEGIN {printf "%.0f", a / b}')x |"$'\n'
      echo "n=$n: QGIS $qs s"
    else
      qrows+="| $n | failed (see log) | $med | - |"$'\n'
      tail -5 "$TMP/qgis_$n.log" >&2
    fi
  fi
done

# The other kernels at 100k (the exact polynomial path; triangular and Gaussian are direct).
krows=""
for k in epanechnikov triweight uniform triangular gaussian; do
  reps=3
  [ $k = gaussian ] && reps=1 # ~5 s a run at 100k: the documented slow path
  "$BUILD/kde_bench" 100000 --kernel $k --h 500 --cell 10 --threads 2 --reps $reps --samples 100 \
    > "$TMP/k_$k.json"
  krows+="| $k | $(jget median_s < "$TMP/k_$k.json") | $(jget max_rel_err < "$TMP/k_$k.json") |"$'\n'
done

# End to end on the bundled sample (55,000 incidents): store load + density + GeoTIFF.
e2e="not run (the sample could not be loaded)"
DB=var/hazmap.sqlite
if [ ! -f "$DB" ]; then
  DB=$TMP/sample.sqlite
  tools/load-sample.sh "$BUILD/hazmap" "$DB" > "$TMP/load.log" 2>&1 || DB=""
fi
if [ -n "$DB" ]; then
  ts=()
  for r in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    "$BUILD/hazmap" density --db "$DB" -o "$TMP/sample.tif" > "$TMP/sample.json"
    t1=$(date +%s.%N)
    ts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
  done
  m=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n 3p)
  g=$(python3 -c "import json; p=json.load(open('$TMP/sample.json')); print('%dx%d cells of %g m, h %.1f m (%s)' % (p['grid']['nx'], p['grid']['ny'], p['cell_size'], p['bandwidth'], p['bandwidth_source']))")
  e2e="median $m s over 5 runs (${ts[*]}), $g"
fi

m1=$(jget median_s < "$TMP/run_1000000.json")
c1=$(jget cpu_median_s < "$TMP/run_1000000.json")
e1=$(jget max_rel_err < "$TMP/run_1000000.json")
verdict=$(awk -v a="$m1" -v e="$e1" 'BEGIN {print (a <= 1.0 && e <= 1e-3) ? "meets" : "MISSES"}')
cverdict=$(awk -v c="$c1" 'BEGIN {print (c / 2 <= 1.0) ? "within" : "over"}')
{
  echo "## Kernel density (quartic, 500 m, 10 m cells)"
  echo
  echo "Command: \`bench/kde.sh $BUILD\` (driver \`bench/kde_bench.c\`: \`kde_compute()\`, 2 threads, median of 5 runs)."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs, so times vary"
  echo "(load average at the end of this run: $(cut -d' ' -f1-3 /proc/loadavg))."
  echo
  echo "Seeded synthetic incidents over an 11 x 12 km box in UTM 48N (the district's size): 60 % in 40 Gaussian"
  echo "clusters (sigma 80-400 m), 40 % uniform. Grid 1100 x 1200 cells of 10 m; h = 500 m. Error: max |grid - exact| /"
  echo "exact over sampled cells above 1 % of the maximum (plus the maximum), exact = every point's kernel summed in"
  echo "long double. The grid is Float32, so ~6e-8 is the floor."
  echo
  echo "| incidents | median wall s | growth | all runs, wall (s) | median CPU s (2 threads) | CPU / 2 | max relative error | cells checked |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
  echo
  echo "Target: 1,000,000 incidents in <= 1 s on 2 cores with relative error <= 1e-3: **$verdict** in wall time"
  echo "($m1 s, error $e1). The wall time includes waiting for a core on this shared machine (load above); the"
  echo "work itself is $c1 CPU-seconds over the two threads, i.e. $(awk -v c="$c1" 'BEGIN {printf "%.2f", c / 2}') s on two idle cores (rows are dealt out"
  echo "in small chunks, so the split is even): $cverdict the 1 s target by that measure."
  echo "Method: exact row sweeps; per row, each point within h adds its kernel's polynomial coefficients"
  echo "(in the column offset, about a local origin per 2.6 km block) at its run's first column and subtracts them"
  echo "after the last; a prefix sum and one Horner evaluation per cell give the exact sum. Cost O(rows x"
  echo "points per row + cells): about 1e8 point-rows at 1M, so the time grows linearly with the incidents."
  echo
  if [ -n "$qgis" ]; then
    echo "Peer: QGIS $("$qgis" --version 2>/dev/null | head -1 | tr -d '\n') \`qgis:heatmapkerneldensityestimation\` (quartic, radius 500, pixel 10, raw"
    echo "values; grid = the points' extent + radius, so slightly larger), measured in this run:"
    echo
    echo "| incidents | QGIS s | hazmap s | ratio |"
    echo "|---|---|---|---|"
    printf '%s' "$qrows"
  else
    echo "Peer: **QGIS was not run here** (\`qgis_process\` is not installed; \`BENCH_QGIS=1 bench/kde.sh\` installs the"
    echo "Debian package and runs it side by side). Reference figure from issue 3, **not measured here**: QGIS 3.22's"
    echo "heatmap needed about 100 s for the 1M case on the issue author's 2-core machine; against that figure this"
    echo "run's $m1 s wall would be about $(awk -v a="$m1" 'BEGIN {printf "%.0f", 100 / a}')x faster (an estimate across machines, not a measured ratio)."
  fi
  echo
  echo "Other kernels, 100,000 incidents, same grid (median of 3, Gaussian one run; triangular and Gaussian are evaluated directly"
  echo "over each point's disc, O(n (R/cell)^2) with R = h or 4h, the documented slower path):"
  echo
  echo "| kernel | median s | max relative error |"
  echo "|---|---|---|"
  printf '%s' "$krows"
  echo
  echo "End to end, \`hazmap density --db SAMPLE -o FILE.tif\` on the bundled 55,000-incident sample (opening the"
  echo "store, loading and projecting the snapshot, the ArcGIS bandwidth rule, KDE, DEFLATE GeoTIFF): $e2e."
} > "$OUT"
echo "wrote $OUT"
