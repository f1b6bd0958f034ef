#!/usr/bin/env bash
# hotspots.sh - benchmark: Gi* hot spots in auto mode on 10k / 100k / 1M synthetic incidents.
#
#   bench/hotspots.sh [BUILD]     (default build; writes bench/results/hotspots.md)
#
# Synthetic clustered incidents over the Jinjiang district outline (seeded, bench/hotspots_bench.c):
# 70 % uniform, 30 % in 40 Gaussian clusters. Times hotspots_compute() in auto mode (cell size from
# nearest-neighbour distances, band from incremental Moran's I, Gi*, BH FDR) on 2 threads, median of
# 3 runs, and separately the GeoJSON building. Target (issue 3): auto mode on 1,000,000 incidents
# <= 2 s on 2 cores. The peer named in the issue, PySAL esda, is not packaged by Debian
# (python3-esda has no candidate), so it is not run; when R's spdep is already installed, its
# dnearneigh + localG run side by side on the same 100k-incident cells (it is not installed here:
# r-cran-spdep pulls in about 600 packages).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=bench/results/hotspots.md
PKGS="gdal proj spatialite jansson sqlite3 geos libcrypto libxxhash zlib libpq"
if ! make -s "$BUILD/libhazmap.a" >/dev/null 2>&1; then
  # another module mid-edit; an existing library with the hot spot objects still measures ours
  ar t "$BUILD/libhazmap.a" 2>/dev/null | grep -q hotspots.o || { echo "cannot build $BUILD/libhazmap.a" >&2; exit 1; }
  echo "warning: make $BUILD/libhazmap.a failed; using the existing library" >&2
fi
cc -std=c11 -O2 -g -D_GNU_SOURCE -pthread -Iinclude $(pkg-config --cflags $PKGS) \
  bench/hotspots_bench.c "$BUILD/libhazmap.a" $(pkg-config --libs $PKGS) -lm -pthread \
  -o "$BUILD/hotspots_bench"
TMP=$(mktemp -d /tmp/hazmap_bench_hotspots_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

rows=""
prev=""
for n in 10000 100000 1000000; do
  csv=""
  [ "$n" = 100000 ] && csv=$TMP/cells_100k.csv
  "$BUILD/hotspots_bench" data/jinjiang_areas.txt "$n" 3 2 $csv > "$TMP/run_$n.txt" 2> "$TMP/why_$n.txt"
  a=$(field analysis_s < "$TMP/run_$n.txt" | median)
  g=$(field geojson_s < "$TMP/run_$n.txt" | median)
  line=$(head -1 "$TMP/run_$n.txt")
  cells=$(echo "$line" | field cells) cell=$(echo "$line" | field cell_m) band=$(echo "$line" | field band_m)
  hot=$(echo "$line" | field hot99)
  growth="-"
  [ -n "$prev" ] && growth=$(awk -v a="$a" -v b="$prev" 'BEGIN {printf "%.2fx", a / b}')
  prev=$a
  rows+="| $n | $cells | $cell | $band | $hot | $a | $growth | $g |"$'\n'
  echo "n=$n: analysis median $a s, geojson median $g s ($cells cells of $cell m, band $band m)"
done
a1m=$(field analysis_s < "$TMP/run_1000000.txt" | median)
verdict=$(awk -v a="$a1m" 'BEGIN {print (a <= 2.0) ? "meets" : "MISSES"}')

peer="Not run: PySAL esda is not packaged by Debian (\`apt-cache policy python3-esda\`: no candidate)."
if command -v Rscript >/dev/null && Rscript -e 'suppressMessages(library(spdep))' >/dev/null 2>&1; then
  band100k=$(head -1 "$TMP/run_100000.txt" | field band_m)
  a100k=$(field analysis_s < "$TMP/run_100000.txt" | median)
  cat > "$TMP/peer.R" <<RS
suppressMessages(library(spdep))
d <- read.csv("$TMP/cells_100k.csv")
t <- system.time({
  nb <- include.self(dnearneigh(as.matrix(d[, 1:2]), 0, $band100k * (1 + 1e-9)))
  g <- localG(d\$value, nb2listw(nb, style = "B"))
})[["elapsed"]]
cat(sprintf("spdep_s=%.3f maxdiff=%.3g\n", t, max(abs(as.numeric(g) - d\$z))))
RS
  pr=$(Rscript "$TMP/peer.R")
  ps=$(echo " $pr" | field spdep_s) pd=$(echo " $pr" | field maxdiff)
  peer="R spdep $(Rscript -e 'cat(as.character(packageVersion("spdep")))') dnearneigh + localG (Gi*, style B) on the same 100k-incident cells and band: ${ps} s vs hazmap's whole auto analysis ${a100k} s (ratio $(awk -v a="$ps" -v b="$a100k" 'BEGIN {printf "%.1f", a / b}')x); max |z difference| ${pd}."
fi

{
  echo "## Gi* hot spots (auto mode)"
  echo
  echo "Command: \`bench/hotspots.sh $BUILD\` (driver \`bench/hotspots_bench.c\`: \`hotspots_compute()\` in auto mode, 2 threads, median of 3 runs)."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs, so medians vary."
  echo
  echo "Synthetic seeded incidents over the Jinjiang outline (61 km²): 70 % uniform, 30 % in 40 Gaussian clusters"
  echo "(sigma 30-150 m). Auto: cell = 2 x mean nearest-neighbour distance, clamped to at most 200,000 cells in the"
  echo "study box; band = first peak of Moran's I z over 15 distances. Analysis = NN sampling, lattice, clipping,"
  echo "aggregation, 15 Moran's I, Gi*, FDR, classes; the GeoJSON text (hotspots_geojson_text(), the CLI's output: polygons back to EPSG:4326) is timed apart."
  echo
  echo "| incidents | cells | cell m | band m | hot99 | analysis s (median) | growth | GeoJSON s |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
  echo
  echo "Target: auto mode on 1,000,000 incidents <= 2 s on 2 cores: **${verdict}** (${a1m} s)."
  echo "The analysis is O(incidents) for aggregation plus O(cells x stencil rows) for Moran's I and Gi*:"
  echo "above about 100k incidents the cell size reaches the 200,000-cell floor, so the time grows only with"
  echo "the aggregation pass."
  echo
  echo "Peer: $peer"
  echo
  echo "What auto chose at 1,000,000 incidents:"
  echo
  sed 's/^/    /' "$TMP/why_1000000.txt"
} > "$OUT"
echo "| Gi* auto mode, 1M incidents (issue 3) | <= 2 s | ${a1m} s | ${verdict} |" > bench/results/hotspots.targets
echo "wrote $OUT"
