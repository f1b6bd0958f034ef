#!/usr/bin/env bash
# snapshot.sh - benchmark of issue 8 ("fast cold paths") on the 1,000,000-incident store:
#  1. incset_load() from the store's rows (no DB.snapshot: the load also writes it) and from
#     DB.snapshot (driver bench/snapshot_bench.c, store opened read-only like the CLI);
#  2. `hazmap density` as a whole process (quartic, 500 m, 10 m cells, the points' extent),
#     cold (DB.snapshot removed before each run) and warm;
#  3. the server's start-up, from starting `hazmap serve` until /healthz answers, cold and warm;
#  4. QGIS 3.22's qgis:heatmapkerneldensityestimation on the same points and grid, as a whole
#     qgis_process run, in the same run (as bench/kde.sh calls it), for the end-to-end ratio.
#
#   bench/snapshot.sh [BUILD]        writes bench/results/snapshot.md and snapshot.targets
#   BENCH_QGIS=1 bench/snapshot.sh   also installs QGIS (Debian package qgis, large) if absent
#   REPS=5 (hazmap runs per case)    QGIS_REPS=1 (QGIS runs, about 100 s each; 0 skips QGIS)
#
# Targets (issue 8): the snapshot of 1,000,000 incidents loads in <= 0.3 s from the server and
# from the CLI; `hazmap density` end to end is >= 100x faster than QGIS's heatmap.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
HAZMAP=$BUILD/hazmap
OUT=bench/results/snapshot.md
REPS=${REPS:-5}
QGIS_REPS=${QGIS_REPS:-1}
B=build/bench
PKGS="gdal proj spatialite jansson sqlite3 geos libcrypto libxxhash zlib libpq"
mkdir -p bench/results
make -s "$BUILD/libhazmap.a" "$BUILD/hazmap" > /dev/null
cc -std=c11 -O2 -g -D_GNU_SOURCE -pthread -Iinclude $(pkg-config --cflags $PKGS) \
  bench/snapshot_bench.c "$BUILD/libhazmap.a" $(pkg-config --libs $PKGS) -lm -pthread \
  -o "$BUILD/snapshot_bench"

DB=$(bench/lib/db1m.sh "$HAZMAP")
TMP=$(mktemp -d /tmp/hazmap_bench_snapshot_$$.XXXX)
trap 'rm -rf "$TMP"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
jget() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }

# ---- 1. incset_load()
"$BUILD/snapshot_bench" "$DB" --reps "$REPS" > "$TMP/load.json"
NINC=$(jget "$TMP/load.json" incidents)
LROWS=$(jget "$TMP/load.json" rows_median)
LCACHED=$(jget "$TMP/load.json" cached_median)
LROWS_ALL=$(python3 -c "import json; print(' '.join('%.3f' % t for t in json.load(open('$TMP/load.json'))['rows']))")
LCACHED_ALL=$(python3 -c "import json; print(' '.join('%.3f' % t for t in json.load(open('$TMP/load.json'))['cached']))")
FILE_MB=$(python3 -c "import json; print('%.1f' % (json.load(open('$TMP/load.json'))['file_bytes'] / 1e6))")
echo "incset_load, $NINC incidents: rows $LROWS s ($LROWS_ALL), DB.snapshot $LCACHED s ($LCACHED_ALL)"

# ---- 2. hazmap density, whole process
DENSITY=(density --db "$DB" --kernel quartic --bandwidth 500 --cell 10 --extent points
  --threads 2 -o "$TMP/hazmap.tif")
# cpu_of FILE: user + system seconds from /usr/bin/time -f "%U %S".
cpu_of() { awk '{printf "%.2f", $1 + $2}' "$1"; }
density_runs() { # cold|warm: prints the wall seconds of REPS runs, then their CPU seconds
  local ts=() cs=() t0
  for _ in $(seq "$REPS"); do
    [ "$1" = cold ] && rm -f "$DB.snapshot"
    t0=$(now)
    /usr/bin/time -f "%U %S" -o "$TMP/cpu.txt" "$HAZMAP" "${DENSITY[@]}" > "$TMP/density.json"
    ts+=("$(secs "$t0" "$(now)")")
    cs+=("$(cpu_of "$TMP/cpu.txt")")
  done
  echo "${ts[*]}"
  echo "${cs[*]}"
}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time > /dev/null; }
density_runs cold > "$TMP/dcold.txt"
density_runs warm > "$TMP/dwarm.txt"
read -ra DCOLD < "$TMP/dcold.txt"
read -ra DWARM < "$TMP/dwarm.txt"
read -ra DCOLD_CPU <<< "$(sed -n 2p "$TMP/dcold.txt")"
read -ra DWARM_CPU <<< "$(sed -n 2p "$TMP/dwarm.txt")"
DC=$(med "${DCOLD[@]}")
DW=$(med "${DWARM[@]}")
DC_CPU=$(med "${DCOLD_CPU[@]}")
DW_CPU=$(med "${DWARM_CPU[@]}")
GRID=$(python3 -c "import json; g=json.load(open('$TMP/density.json'))['grid']; print('%d x %d' % (g['nx'], g['ny']))")
echo "hazmap density: cold $DC s (${DCOLD[*]}), warm $DW s (${DWARM[*]}), CPU $DC_CPU / $DW_CPU s, grid $GRID"

# ---- 3. server start-up until /healthz answers
python3 - "$HAZMAP" "$DB" "$REPS" "$TMP" > "$TMP/serve.txt" <<'PY'
import os, socket, statistics, subprocess, sys, time, urllib.request
hazmap, db, reps, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def start_once():
    p = port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([hazmap, "serve", "--db", db, "--port", str(p), "--cache-dir",
                             os.path.join(tmp, "tiles")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None: raise SystemExit("hazmap serve exited")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/healthz", timeout=5) as r:
                    if r.status == 200: return time.perf_counter() - t0
            except OSError:
                time.sleep(0.005)
    finally:
        proc.terminate(); proc.wait()
for mode in ("cold", "warm"):
    ts = []
    for _ in range(reps):
        if mode == "cold" and os.path.exists(db + ".snapshot"): os.unlink(db + ".snapshot")
        ts.append(start_once())
    print(mode, "%.3f" % statistics.median(ts), " ".join("%.3f" % t for t in ts))
PY
read -r _ SC SCOLD_ALL <<< "$(grep '^cold' "$TMP/serve.txt")"
read -r _ SW SWARM_ALL <<< "$(grep '^warm' "$TMP/serve.txt")"
echo "hazmap serve until /healthz: cold $SC s ($SCOLD_ALL), warm $SW s ($SWARM_ALL)"

# ---- 4. QGIS, same points (projected to EPSG:32648 by ogr2ogr, not timed) and grid
qgis=""
if ! command -v qgis_process > /dev/null && [ "${BENCH_QGIS:-0}" = 1 ]; then
  echo "installing qgis (BENCH_QGIS=1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qgis qgis-providers \
    python3-qgis > /dev/null 2>&1 || echo "warning: apt-get install qgis failed" >&2
fi
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$TMP/xdg
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
qgis_ok() { local v; v=$("$1" --version 2> /dev/null || true); [[ "$v" == *QGIS* ]]; }
if command -v qgis_process > /dev/null; then
  qgis=$(command -v qgis_process)
  # Debian's wrapper passes --noversioncheck, which qgis_process 3.22 rejects (see bench/kde.sh).
  if ! qgis_ok "$qgis" && [ -x "$qgis.bin" ]; then qgis=$qgis.bin; fi
  qgis_ok "$qgis" || { echo "warning: $qgis does not run; QGIS skipped" >&2; qgis=""; }
fi
QS="" QALL="" QGRID="" QVER="" QCPU=""
if [ -n "$qgis" ] && [ "$QGIS_REPS" -gt 0 ]; then
  QVER=$("$qgis" --version 2> /dev/null | head -1 | tr -d '\n')
  ogr2ogr -f GPKG "$TMP/pts.gpkg" "$DB" -sql "SELECT geom FROM incidents" -t_srs EPSG:32648 \
    -nln pts > /dev/null
  ts=() cs=()
  for _ in $(seq "$QGIS_REPS"); do
    rm -f "$TMP/qgis.tif"
    t0=$(now)
    /usr/bin/time -f "%U %S" -o "$TMP/qcpu.txt" "$qgis" run qgis:heatmapkerneldensityestimation \
      --INPUT="$TMP/pts.gpkg" --RADIUS=500 --PIXEL_SIZE=10 --KERNEL=0 --OUTPUT_VALUE=0 \
      --OUTPUT="$TMP/qgis.tif" > "$TMP/qgis.log" 2>&1 || { tail -5 "$TMP/qgis.log" >&2; ts=(); break; }
    ts+=("$(secs "$t0" "$(now)")")
    cs+=("$(cpu_of "$TMP/qcpu.txt")")
    echo "QGIS run: ${ts[-1]} s (CPU ${cs[-1]} s)"
  done
  if [ ${#ts[@]} -gt 0 ]; then
    QS=$(med "${ts[@]}")
    QCPU=$(med "${cs[@]}")
    QALL="${ts[*]}"
    QGRID=$(gdalinfo -json "$TMP/qgis.tif" | python3 -c "import json,sys; j=json.load(sys.stdin); print('%d x %d' % tuple(j['size']))")
  fi
fi

# ---- results
v_load=$(awk -v a="$LCACHED" 'BEGIN {print (a <= 0.3) ? "meets" : "MISSES"}')
v_serve=$(awk -v a="$SW" 'BEGIN {print (a <= 0.3) ? "meets" : "MISSES"}')
ratio="-" ratio_cold="-" v_qgis="NOT MEASURED (QGIS missing or failed)"
if [ -n "$QS" ]; then
  ratio=$(awk -v q="$QS" -v h="$DW" 'BEGIN {printf "%.0fx", q / h}')
  ratio_cold=$(awk -v q="$QS" -v h="$DC" 'BEGIN {printf "%.0fx", q / h}')
  v_qgis=$(awk -v r="${ratio%x}" 'BEGIN {print (r >= 100) ? "meets" : "MISSES"}')
fi
commit=$(git rev-parse --short HEAD 2> /dev/null || echo "?")
dirty=$(git status --porcelain --untracked-files=no 2> /dev/null | grep -q . && echo " + uncommitted changes" || true)
{
  echo "## Snapshot load and cold paths (issue 8)"
  echo
  echo "Command: \`bench/snapshot.sh $BUILD\` at commit $commit$dirty; $REPS runs per case, medians."
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); shared with other jobs"
  echo "(load average at the end of this run: $(cut -d' ' -f1-3 /proc/loadavg))."
  echo "Store: \`$DB\`, $NINC incidents (the sample replicated with jitter, \`bench/lib/db1m.sh\`, shared with"
  echo "bench/server.sh). DB.snapshot: $FILE_MB MB beside it (the packed, projected incident records)."
  echo
  echo "| case | median wall s | all runs, wall s | median CPU s |"
  echo "|---|---|---|---|"
  echo "| \`incset_load()\` from the store's rows (no DB.snapshot; includes writing it) | $LROWS | $LROWS_ALL | |"
  echo "| \`incset_load()\` from DB.snapshot | $LCACHED | $LCACHED_ALL | |"
  echo "| \`hazmap density\` whole process, cold (DB.snapshot removed before each run) | $DC | ${DCOLD[*]} | $DC_CPU |"
  echo "| \`hazmap density\` whole process, warm | $DW | ${DWARM[*]} | $DW_CPU |"
  echo "| \`hazmap serve\` start until /healthz answers, cold | $SC | $SCOLD_ALL | |"
  echo "| \`hazmap serve\` start until /healthz answers, warm | $SW | $SWARM_ALL | |"
  [ -n "$QS" ] && echo "| QGIS heatmap whole process (\`qgis_process run\`) | $QS | $QALL | $QCPU |"
  echo
  echo "\`incset_load()\` is timed by \`bench/snapshot_bench.c\` from \`store_open()\` (read-only, as the CLI) to"
  echo "the loaded snapshot. Density: \`hazmap ${DENSITY[*]//$TMP\//}\` (grid $GRID cells of 10 m),"
  echo "wall clock of the whole process: start, opening the store, loading, KDE, DEFLATE GeoTIFF, exit. Its"
  echo "KDE runs on both cores, so other jobs on this shared machine lengthen its wall time most; the"
  echo "CPU column (user + system, from \`/usr/bin/time\`) is the work itself."
  echo "Server: \`hazmap serve --db DB --port P\`, wall clock from the process start until \`GET /healthz\`"
  echo "answers 200 (polled every 5 ms); start-up also builds the point index and the tile renderer."
  echo
  if [ -n "$QS" ]; then
    echo "Peer: $QVER (Debian package \`qgis\`), headless: \`QT_QPA_PLATFORM=offscreen $(basename "$qgis") run"
    echo "qgis:heatmapkerneldensityestimation --INPUT=pts.gpkg --RADIUS=500 --PIXEL_SIZE=10 --KERNEL=0"
    echo "--OUTPUT_VALUE=0 --OUTPUT=out.tif\`, $QGIS_REPS run(s), on the same incidents written to a GeoPackage in"
    echo "EPSG:32648 by ogr2ogr (not timed). Its grid is the points' extent plus the radius ($QGRID cells of 10 m),"
    echo "hazmap's \`--extent points\` the points' box grown by the kernel's reach ($GRID): the same grid up to a"
    echo "row and a column. Both are timed as whole processes, from start to exit, in this run."
    echo
    echo "End to end, QGIS / hazmap wall time: **$ratio** warm, $ratio_cold cold (the first run after a write);"
    echo "by CPU time, $(awk -v q="$QCPU" -v h="$DW_CPU" 'BEGIN {printf "%.0fx", q / h}') warm."
  else
    echo "Peer: **QGIS was not run here** (\`qgis_process\` is not installed, or QGIS_REPS=0;"
    echo "\`BENCH_QGIS=1 bench/snapshot.sh\` installs the Debian package and runs it side by side)."
  fi
} > "$OUT"
{
  echo "| Snapshot load, 1M incidents, CLI (issue 8) | <= 0.3 s | $LCACHED s from DB.snapshot ($LROWS s from the rows) | $v_load |"
  echo "| Server start-up to /healthz, 1M incidents (issue 8) | load <= 0.3 s | $SW s whole start-up, warm ($SC s cold) | $v_serve |"
  echo "| hazmap density 1M end to end vs QGIS 3.22, same run (issue 8) | >= 100x | $ratio warm, $ratio_cold cold (hazmap $DW s, QGIS ${QS:--} s) | $v_qgis |"
} > bench/results/snapshot.targets
echo "wrote $OUT"
