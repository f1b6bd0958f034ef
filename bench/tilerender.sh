#!/usr/bin/env bash
# tilerender.sh - raw density-tile render times (library calls, no HTTP, no tile cache) at zooms
# 10..18 over 1,000,000 synthetic incidents; the server benchmark (bench/tiles.sh) measures the
# same over HTTP. Peer: the exact method (kde_compute per tile) against the default binned one,
# in the same run.   Usage: bench/tilerender.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/libhazmap.a" ] || { echo "tilerender.sh: build $build/libhazmap.a first" >&2; exit 1; }
n=${TILEBENCH_N:-1000000}
per=${TILEBENCH_TILES:-40}
db=${TILEBENCH_DB:-$build/bench-tiles-$n.sqlite}
bin=$build/tilerender_bench
PKGS="gdal proj spatialite libmicrohttpd check jansson libpng zlib sqlite3 geos libcrypto"
cc -std=c11 -O2 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags $PKGS) -o "$bin" \
  bench/tilerender_bench.c "$build/libhazmap.a" $(pkg-config --libs $PKGS) -lm -pthread
mkdir -p bench/results
out=bench/results/tilerender.md
auto=$("$bin" "$db" "$n" "$per" auto)
exact=$("$bin" "$db" "$n" "$per" exact)
{
  echo "## Density tile rendering (raw, uncached)"
  echo
  echo "Command: \`bench/tilerender.sh $build\` (runs \`$bin $db $n $per auto|exact\`)."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs."
  echo "$n synthetic incidents over the Jinjiang district (70 % in 40 Gaussian clusters), quartic"
  echo "kernel, h = 300 m, no filter; $per random tiles holding data per zoom, one thread, each tile"
  echo "rendered from scratch to PNG (the filter's point set is cached, as in the server)."
  echo "Target (issue 4): p95 <= 100 ms at every zoom 10..18."
  echo
  echo "### Default (auto: binned at this size)"
  echo
  echo "$auto"
  echo
  echo "### Peer: exact KDE per tile (kde_compute over the points in reach)"
  echo
  echo "$exact"
} > "$out"
cat "$out"
