#!/usr/bin/env bash
# gisclients.sh - benchmark: a GIS client copies the planners' hot spots (issue 15).
#
#   bench/gisclients.sh [BUILD]     (default build; writes bench/results/gisclients.md)
#
# `ogr2ogr -f GPKG` from `hazmap serve` on the bundled sample (tools/load-sample.sh) through GDAL's
# OAPIF driver at its default page size (10 in GDAL 3.6: its first request; it then follows the
# next links, which double the page up to 1,000), the token in GDAL_HTTP_HEADERS, the view
# computed by the first page and every later page read from the result cache. Reports the wall
# time of the copy, the pages, the server's time for the first page (the computation) and the
# median of the others, hazmap_analysis_computations_total, and the CPU seconds (user + system)
# of ogr2ogr and of the server (on a shared machine the wall time waits for cores; the CPU
# seconds do not). Median of 3 runs, each on a fresh server. Target (issue 15): <= 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
HAZMAP=$BUILD/hazmap
OUT=bench/results/gisclients.md
[ -x "$HAZMAP" ] || { echo "bench/gisclients.sh: build $HAZMAP first" >&2; exit 1; }
TMP=$(mktemp -d /tmp/hazmap_bench_gisclients_$$.XXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
tools/load-sample.sh "$HAZMAP" "$TMP/sample.sqlite" > "$TMP/load.log" 2>&1
TOKEN=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role planner | tail -1 | tr -d '[:space:]')
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: > "$TMP/runs"
for run in 1 2 3; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$HAZMAP" serve --db "$TMP/sample.sqlite" --bind 127.0.0.1 --port "$PORT" > "$TMP/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
  rm -f "$TMP/hs.gpkg"
  t0=$(date +%s.%N)
  python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime} {r.ru_stime}\n")
sys.exit(rc)' "$TMP/cpu" ogr2ogr -f GPKG "$TMP/hs.gpkg" "OAPIF:http://127.0.0.1:$PORT/collections/hotspots" \
    --config GDAL_HTTP_HEADERS "Authorization: Bearer $TOKEN"
  wall=$(python3 -c "import time; print(f'{time.time() - $t0:.2f}')")
  ccpu=$(awk '{printf "%.2f", $1 + $2}' "$TMP/cpu")
  scpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$PID/stat")
  comp=$(curl -fs "http://127.0.0.1:$PORT/metrics" | sed -n 's/^hazmap_analysis_computations_total{analysis="hotspots"} //p')
  grep 'GET /collections/hotspots/items' "$TMP/server.log" | awk '{print $NF}' > "$TMP/ms"
  pages=$(wc -l < "$TMP/ms")
  first=$(head -1 "$TMP/ms")
  rest=$(tail -n +2 "$TMP/ms" | median)
  n=$(ogrinfo -ro -so "$TMP/hs.gpkg" hotspots | sed -n 's/^Feature Count: //p')
  echo "$wall $pages $first $rest $comp $n $ccpu $scpu" >> "$TMP/runs"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
done
# The next links' page cap (paging.c, PAGING_NEXT_CAP = 1,000), side by side: the same copy with
# every page 1,000 features against every page 10,000 (GDAL's PAGE_SIZE; a page above the cap
# keeps its size), from one server whose view is already cached, alternating, 4 rounds: the
# client's CPU seconds, which the page size changes.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$HAZMAP" serve --db "$TMP/sample.sqlite" --bind 127.0.0.1 --port "$PORT" > "$TMP/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/collections/hotspots/items?limit=1"
: > "$TMP/ab"
for round in 1 2 3 4; do
  for ps in 1000 10000; do
    rm -f "$TMP/ab.gpkg"
    /usr/bin/time -f "$ps %U %S" -a -o "$TMP/ab" ogr2ogr -f GPKG "$TMP/ab.gpkg" \
      "OAPIF:http://127.0.0.1:$PORT/collections/hotspots" -oo PAGE_SIZE=$ps \
      --config GDAL_HTTP_HEADERS "Authorization: Bearer $TOKEN"
  done
done
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
ab1=$(awk '$1 == 1000 {print $2 + $3}' "$TMP/ab" | median)
ab10=$(awk '$1 == 10000 {print $2 + $3}' "$TMP/ab" | median)
abruns1=$(awk '$1 == 1000 {printf "%.2f ", $2 + $3}' "$TMP/ab")
abruns10=$(awk '$1 == 10000 {printf "%.2f ", $2 + $3}' "$TMP/ab")
sort -g "$TMP/runs" | sed -n 2p > "$TMP/med"
read -r wall pages first rest comp n ccpu scpu < "$TMP/med"
verdict=$(python3 -c "print('meets' if $wall <= 5 else 'MISSES')")
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "## GIS client copy (ogr2ogr, OAPIF)"
  echo
  echo "Command: \`bench/gisclients.sh $BUILD\` on commit \`$rev\`; \`ogr2ogr -f GPKG out.gpkg OAPIF:http://.../collections/hotspots\`"
  echo "with GDAL $(gdalinfo --version | cut -d' ' -f2 | tr -d ,)'s default page size, the planners' default view of the sample (auto cell and band)."
  echo "Machine: $(nproc) cores, load average $load while it ran (shared). Median of 3 runs (by wall time), a fresh server each."
  echo
  echo "| features | pages | wall s | first page ms (computes) | other pages ms (median) | computations | ogr2ogr CPU s | server CPU s |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| $n | $pages | $wall | $first | $rest | $comp | $ccpu | $scpu |"
  echo
  echo "Target: the copy <= 5 s: **$verdict** ($wall s). Every page after the first is read from the packed view in the"
  echo "result cache (O(page)). GDAL 3.6 asks for 10 features, then follows the next links, whose limit doubles up to"
  echo "1,000: $pages requests. The rest of the wall time is the computation (the first page) and the client's"
  echo "parsing and writing (its CPU seconds above); on a loaded machine both wait for a core."
  echo
  echo "The next links' page cap, side by side in this run (one server, its view cached; 4 alternating copies each):"
  echo "ogr2ogr CPU s, median, with pages of 1,000: **$ab1** (runs $abruns1); with pages of 10,000: **$ab10** (runs $abruns10);"
  echo "ratio $(python3 -c "print(f'{$ab1 / $ab10:.2f}')"). GDAL parses each page as one JSON tree, so the next links stop doubling at 1,000."
} > "$OUT"
echo "| ogr2ogr copy of the planners' hot spots, sample, GDAL default page size (issue 15) | <= 5 s | $wall s ($pages pages, $comp computation; CPU: ogr2ogr $ccpu s, server $scpu s) | $verdict |" > bench/results/gisclients.targets
cat "$OUT"
