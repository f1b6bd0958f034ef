#!/usr/bin/env bash
# postgis.sh - benchmark of the PostGIS store (issue 14) side by side with SpatiaLite, in the same
# run, on a throwaway PostgreSQL 15 + PostGIS 3 cluster (tests/pgcluster.sh: initdb into a
# temporary directory, Unix socket only, removed at the end):
#  1. `hazmap import-incidents` of 1,000,000 incidents (the sample replicated with +-50 m jitter,
#     as bench/lib/db1m.sh makes them) into a SpatiaLite file and into a PostGIS database, both
#     holding only the Jinjiang areas, alternating, ROUNDS rounds: rows/s, medians;
#  2. the snapshot load of the 1M store (incset_load(), bench/snapshot_bench.c, timed from
#     store_open() as the CLI and the server load): SpatiaLite from its rows and from DB.snapshot,
#     PostGIS from its rows (COPY ... TO STDOUT binary) and from its snapshot file in
#     HAZMAP_SNAPSHOT_DIR, alternating;
#  3. bench/replicas.sh on the 1M store in SpatiaLite and on its PostGIS copy (`hazmap copy`), one
#     after the other (results replicas.md and replicas_pg.md);
#  4. per-request costs of one replica on each store for the capacity note: requests per second
#     of the replica's own CPU time (user + system from /proc/PID/stat) for cached and uncached
#     tiles and a stats call, and its resident memory with the 1M store vs an empty one.
#
#   bench/postgis.sh [BUILD]   writes bench/results/postgis.md, postgis.targets and capacity.md
#   ROUNDS=3 (import and load rounds)   PG_FSYNC=on (fsync=off is a test setting, not measured)
#
# PostgreSQL is tuned for bulk loads as a deployment on this machine would be (PG_OPTS below):
# shared_buffers 2GB, max_wal_size 8GB, checkpoint_timeout 30min, maintenance_work_mem 1GB (the
# index builds after a load), wal_compression on; fsync and synchronous_commit stay on.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
HAZMAP=$(realpath "$BUILD/hazmap")
ROUNDS=${ROUNDS:-3}
PG_FSYNC=${PG_FSYNC:-on}
PG_OPTS=${PG_OPTS:-"-c shared_buffers=2GB -c max_wal_size=8GB -c checkpoint_timeout=30min \
-c maintenance_work_mem=1GB -c wal_compression=on -c synchronous_commit=on"}
OUT=bench/results/postgis.md
CAP=bench/results/capacity.md
B=build/bench
PKGS="gdal proj spatialite jansson sqlite3 geos libcrypto libxxhash zlib libpq"
mkdir -p bench/results "$B"
make -s "$BUILD/libhazmap.a" "$BUILD/hazmap" > /dev/null
cc -std=c11 -O2 -g -D_GNU_SOURCE -pthread -Iinclude $(pkg-config --cflags $PKGS) \
  bench/snapshot_bench.c "$BUILD/libhazmap.a" $(pkg-config --libs $PKGS) -lm -pthread \
  -o "$BUILD/snapshot_bench"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time > /dev/null; }
command -v wrk > /dev/null || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }

DB1M=$(bench/lib/db1m.sh "$HAZMAP")
TMP=$(mktemp -d /tmp/hazmap-bench-postgis.$$.XXXX)
chmod 755 "$TMP"
. tests/pgcluster.sh
SPIDS=()
cleanup() {
  for p in ${SPIDS[@]+"${SPIDS[@]}"}; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  pgcluster_stop
  rm -rf "$TMP"
}
trap cleanup EXIT
HZPG_FSYNC=$PG_FSYNC HZPG_OPTS=$PG_OPTS pgcluster_start || exit 1
PGVER=$(psql -X -A -t "$HZPG_DB" -c "SELECT split_part(version(), ' ', 2) || ', PostGIS ' || postgis_lib_version()")
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
pgdb() { echo "$HZPG dbname=$1"; }
newdb() { PGOPTIONS=-cclient_min_messages=warning psql -X -q "$HZPG dbname=postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }

# ---- the input: 1M incidents as bench/lib/db1m.sh makes them (kept in build/bench)
CSV=$(bench/lib/csv1m.sh)
NROWS=$(($(wc -l < "$CSV") - 1))
fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
areas() {
  "$HAZMAP" import-areas --db "$1" data/jinjiang_district.geojson "${fields[@]}" --level district > /dev/null
  "$HAZMAP" import-areas --db "$1" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 > /dev/null
}
rm -f "$TMP/areas.sqlite"
areas "$TMP/areas.sqlite"

# timed STORE: "wall_s peak_kB user_s sys_s" of one import of the CSV into STORE
timed() {
  sync
  /usr/bin/time -f "%e %M %U %S" -o "$TMP/time.txt" "$HAZMAP" import-incidents --db "$1" "$CSV" \
    --srs gcj02 > "$TMP/import.txt" 2> /dev/null || { cat "$TMP/import.txt" >&2; return 1; }
  cat "$TMP/time.txt"
}
SL=() PG=() SLM=() PGM=() SLC=() PGC=() PGSRV=()
# the server's CPU seconds (every postgres process of the cluster: backend, WAL writer, checkpointer)
# the server's CPU seconds: the postmaster's own and its reaped children's (the import's backend
# ends with its connection), plus the live children's (WAL writer, checkpointer, ...)
pgcpu() {
  local pm hz
  pm=$(head -1 "$HZPG_DIR/data/postmaster.pid")
  hz=$(getconf CLK_TCK)
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for c in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2> /dev/null || true; done
  } | awk -v hz="$hz" '{s += $1} END {printf "%.2f", s / hz}'
}
for r in $(seq "$ROUNDS"); do
  cp "$TMP/areas.sqlite" "$TMP/imp.sqlite"
  read -r t m u s <<< "$(timed "$TMP/imp.sqlite")"
  SL+=("$t") SLM+=("$m") SLC+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
  rm -f "$TMP/imp.sqlite"*
  newdb imp
  areas "$(pgdb imp)"
  nb=$(pgrep -c -P "$(head -1 "$HZPG_DIR/data/postmaster.pid")")
  c0=$(pgcpu)
  read -r t m u s <<< "$(timed "$(pgdb imp)")"
  # the import's backend is counted once the postmaster has reaped it
  for _ in $(seq 1 50); do
    [ "$(pgrep -c -P "$(head -1 "$HZPG_DIR/data/postmaster.pid")")" -le "$nb" ] && break
    sleep 0.1
  done
  PG+=("$t") PGM+=("$m") PGC+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
  PGSRV+=("$(awk -v a="$c0" -v b="$(pgcpu)" 'BEGIN {print b - a}')")
  echo "import round $r: SpatiaLite ${SL[-1]} s, PostGIS ${PG[-1]} s (client CPU ${PGC[-1]} s, server CPU ${PGSRV[-1]} s)"
done
PGN=$(psql -X -A -t "$(pgdb imp)" -c "SELECT count(*) FROM incidents")
PGSIZE=$(psql -X -A -t "$(pgdb imp)" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
[ "$PGN" = "$NROWS" ] || { echo "bench/postgis.sh: PostGIS holds $PGN incidents, expected $NROWS" >&2; exit 1; }
SLT=$(med "${SL[@]}") PGT=$(med "${PG[@]}")
SLR=$(awk -v n="$NROWS" -v t="$SLT" 'BEGIN {printf "%.0f", n / t}')
PGR=$(awk -v n="$NROWS" -v t="$PGT" 'BEGIN {printf "%.0f", n / t}')

# ---- the 1M store in PostGIS: `hazmap copy` of bench/lib/db1m.sh's store (with its release)
T0=$(date +%s.%N)
"$HAZMAP" copy --from "$DB1M" --to "$HZPG_DB" > "$TMP/copy.txt"
COPY_S=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
psql -X -q "$HZPG_DB" -c "VACUUM ANALYZE" > /dev/null
NINC=$(psql -X -A -t "$HZPG_DB" -c "SELECT count(*) FROM incidents")

# ---- snapshot load, alternating: SpatiaLite rows + DB.snapshot (one each), PostGIS rows, and
# PostGIS from its snapshot file (HAZMAP_SNAPSHOT_DIR; the untimed first load writes it)
LSR=() LSC=() LPG=() LPC=()
mkdir -p "$TMP/snap"
jrun() { python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))[sys.argv[2]][0])" "$@"; }
for r in $(seq "$ROUNDS"); do
  "$BUILD/snapshot_bench" "$DB1M" --reps 1 > "$TMP/l.json"
  LSR+=("$(jrun "$TMP/l.json" rows)") LSC+=("$(jrun "$TMP/l.json" cached)")
  "$BUILD/snapshot_bench" "$HZPG_DB" --reps 1 --rows-only > "$TMP/l.json"
  LPG+=("$(jrun "$TMP/l.json" rows)")
  rm -f "$TMP"/snap/*
  HAZMAP_SNAPSHOT_DIR=$TMP/snap "$BUILD/snapshot_bench" "$HZPG_DB" --reps 1 --cached-only > "$TMP/l.json"
  LPC+=("$(jrun "$TMP/l.json" cached)")
  echo "snapshot load round $r: SpatiaLite rows ${LSR[-1]} s, DB.snapshot ${LSC[-1]} s, PostGIS rows ${LPG[-1]} s, file ${LPC[-1]} s"
done
LSRM=$(med "${LSR[@]}") LSCM=$(med "${LSC[@]}") LPGM=$(med "${LPG[@]}") LPCM=$(med "${LPC[@]}")

# ---- per-request costs of one replica (no nginx), on each store
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# serve STORE NAME: starts a replica; sets SPORT and SPID
serve() {
  SPORT=$(free_port)
  "$HAZMAP" serve --db "$1" --bind 127.0.0.1 --port "$SPORT" --cache-dir "$TMP/cache-$2" \
    > "$TMP/out-$2" 2> /dev/null &
  SPID=$!
  SPIDS+=("$SPID")
  for _ in $(seq 1 600); do grep -q listening "$TMP/out-$2" 2> /dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz"
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# cost PID BASE LUA SECONDS: "requests requests/s requests-per-CPU-second non-2xx" of one wrk run
cost() {
  local c0 c1
  c0=$(cpu_s "$1")
  wrk -t1 -c4 -d"$4"s -s "$3" "$2" > "$TMP/wrk.txt"
  c1=$(cpu_s "$1")
  awk -v c0="$c0" -v c1="$c1" '/requests in/ {n = $1} /Requests\/sec/ {r = $2} /Non-2xx/ {e = $5}
    END {printf "%d %.0f %.0f %d\n", n, r, (c1 > c0) ? n / (c1 - c0) : 0, e}' "$TMP/wrk.txt"
}
lua() { # lua HEADERS FILE_OF_PATHS: a wrk script cycling through the paths
  printf 'local paths = {}\nfor l in io.lines("%s") do paths[#paths + 1] = l end\nlocal i = 0\nlocal h = %s\nrequest = function() i = i %% #paths + 1; return wrk.format("GET", paths[i], h) end\n' "$2" "$1"
}
read -r CLON CLAT <<< "$(sqlite3 "$DB1M" "SELECT avg(lon), avg(lat) FROM incidents WHERE area_code=(SELECT area_code FROM incidents GROUP BY area_code ORDER BY count(*) DESC LIMIT 1)" | tr '|' ' ')"
read -r MINX MINY MAXX MAXY <<< "$(sqlite3 "$DB1M" "SELECT min(lon), min(lat), max(lon), max(lat) FROM incidents" | tr '|' ' ')"
# tiles Z X0 X1 Y0 Y1 -> paths; the 9 z14 tiles round the centre (cached), and every z17 and z18
# tile over the incidents' box, shuffled (each requested at most once per store: uncached)
python3 - "$CLON" "$CLAT" "$MINX" "$MINY" "$MAXX" "$MAXY" "$TMP" <<'PY'
import math, random, sys
clon, clat, x0, y0, x1, y1 = map(float, sys.argv[1:7]); tmp = sys.argv[7]
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
cx, cy = tile(clon, clat, 14)
with open(tmp + "/cached.txt", "w") as f:
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            f.write(f"/tiles/density/14/{cx + dx}/{cy + dy}.png\n")
paths = []
for z in (17, 18):
    ax, ay = tile(x0, y1, z); bx, by = tile(x1, y0, z)
    paths += [f"/tiles/density/{z}/{x}/{y}.png" for x in range(ax, bx + 1) for y in range(ay, by + 1)]
random.seed(14)
random.shuffle(paths)
half = len(paths) // 2
open(tmp + "/uncached-sqlite.txt", "w").write("\n".join(paths[:half]) + "\n")
open(tmp + "/uncached-pg.txt", "w").write("\n".join(paths[half:]) + "\n")
open(tmp + "/stats.txt", "w").write("/api/stats\n")
PY
NUNC=$(wc -l < "$TMP/uncached-pg.txt")
declare -A C
for st in sqlite pg; do
  store=$DB1M
  [ $st = pg ] && store=$HZPG_DB
  serve "$store" "$st"
  C[$st.load_rss]=$(rss_mb "$SPID")
  TOKEN=$("$HAZMAP" token create --db "$store" --role planner --label bench-postgis)
  lua '{}' "$TMP/cached.txt" > "$TMP/cached.lua"
  lua '{}' "$TMP/uncached-$st.txt" > "$TMP/uncached.lua"
  lua "{ [\"Authorization\"] = \"Bearer $TOKEN\" }" "$TMP/uncached-$st.txt" > "$TMP/uncached-planner.lua"
  lua '{}' "$TMP/stats.txt" > "$TMP/stats.lua"
  while read -r p; do curl -sf -o /dev/null "http://127.0.0.1:$SPORT$p"; done < "$TMP/cached.txt"
  base=http://127.0.0.1:$SPORT
  C[$st.cached]=$(cost "$SPID" "$base" "$TMP/cached.lua" 5)
  C[$st.uncached]=$(cost "$SPID" "$base" "$TMP/uncached.lua" 3)
  C[$st.stats]=$(cost "$SPID" "$base" "$TMP/stats.lua" 5)
  C[$st.rss]=$(rss_mb "$SPID")
  echo "$st: cached ${C[$st.cached]}; uncached ${C[$st.uncached]}; stats ${C[$st.stats]}; RSS ${C[$st.rss]} MB"
  kill "$SPID"
  wait "$SPID" 2> /dev/null || true
done
# the same replica on an empty store (the areas only): its memory without incidents
newdb empty
areas "$(pgdb empty)"
serve "$(pgdb empty)" empty
EMPTY_RSS=$(rss_mb "$SPID")
kill "$SPID"
wait "$SPID" 2> /dev/null || true

# ---- replicas behind nginx, on each store
bash bench/replicas.sh "$BUILD" > "$TMP/replicas-sl.txt"
REPLICAS_DB=$HZPG_DB REPLICAS_NAME=replicas_pg REPLICAS_LABEL="PostGIS store" \
  bash bench/replicas.sh "$BUILD" > "$TMP/replicas-pg.txt"
RPG=$(grep -o '\*\*[0-9]* %\*\* (target' bench/results/replicas_pg.md | grep -o '[0-9]*' | head -1)
RSL=$(grep -o '\*\*[0-9]* %\*\* (target' bench/results/replicas.md | grep -o '[0-9]*' | head -1)

# ---- results
v() { awk -v a="$1" -v t="$2" -v op="$3" 'BEGIN {print ((op == "ge") ? a >= t : a <= t) ? "meets" : "MISSES"}'; }
V_IMP=$(v "$PGR" 100000 ge) V_LOAD=$(v "$LPGM" 1 le) V_LOADC=$(v "$LPCM" 1 le) V_REP=$(v "$RPG" 50 ge)
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
commit=$(git rev-parse --short HEAD 2> /dev/null || echo "?")
{
  echo "## PostGIS store vs SpatiaLite (issue 14)"
  echo
  echo "Command: \`bench/postgis.sh $BUILD\` at commit $commit; $ROUNDS alternating rounds, medians. Machine: $(nproc)"
  echo "cores ($CPU), shared with other jobs (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))."
  echo "PostgreSQL $PGVER: a throwaway cluster (tests/pgcluster.sh), Unix socket, on the same disk"
  echo "and cores as the client, tuned for bulk loads as a deployment would be: \`$PG_OPTS\`,"
  echo "fsync=$PG_FSYNC (synchronous_commit on: an import's commit waits for its WAL on disk)."
  echo
  echo "| measure | SpatiaLite | PostGIS | all runs (SpatiaLite; PostGIS) |"
  echo "|---|---|---|---|"
  echo "| \`hazmap import-incidents\` of $NROWS incidents, wall s | $SLT | $PGT | ${SL[*]}; ${PG[*]} |"
  echo "| the same, rows/s | $SLR | **$PGR** | |"
  echo "| the same, client CPU s (user + system) | $(med "${SLC[@]}") | $(med "${PGC[@]}") (server: $(med "${PGSRV[@]}")) | ${SLC[*]}; ${PGC[*]} (server ${PGSRV[*]}) |"
  echo "| the same, client peak RSS, MB | $(( $(med "${SLM[@]}") / 1024 )) | $(( $(med "${PGM[@]}") / 1024 )) | |"
  echo "| snapshot load of $NINC, from the rows, s | $LSRM | **$LPGM** | ${LSR[*]}; ${LPG[*]} |"
  echo "| snapshot load of $NINC, from the snapshot file (SpatiaLite: DB.snapshot; PostGIS: in HAZMAP_SNAPSHOT_DIR), s | $LSCM | **$LPCM** | ${LSC[*]}; ${LPC[*]} |"
  echo "| cached public tiles via nginx over two replicas, % of nginx files | $RSL % | **$RPG %** | replicas.md, replicas_pg.md |"
  echo
  echo "Import: the CSV (bench/lib/csv1m.sh: the 55,000 sample incidents replicated with +-50 m"
  echo "jitter, new ids; $(du -m "$CSV" | cut -f1) MB) into a store holding only the Jinjiang areas: a fresh copy of a"
  echo "SpatiaLite file, or a freshly created PostgreSQL database; \`--srs gcj02\`, area assignment and"
  echo "every index included, one transaction, wall clock of the whole process (\`/usr/bin/time\`)."
  echo "PostGIS loads by \`COPY … FROM STDIN (FORMAT binary)\` (geo/store/pg_bulk.c); its server CPU is"
  echo "every postgres process of the cluster during the import. The PostGIS database after the import:"
  echo "$PGSIZE. Snapshot load: \`incset_load()\` timed from \`store_open()\` to the loaded snapshot"
  echo "(bench/snapshot_bench.c, as the CLI and \`hazmap serve\` load it). From the rows, PostGIS streams"
  echo "the incidents with \`COPY (SELECT …) TO STDOUT (FORMAT binary)\`. A full load from the rows is the cold"
  echo "path: a start without a matching snapshot file, or a commit the delta cannot cover (a replacement"
  echo "outside an import batch, changed areas); after any other commit a replica reads only the rows written"
  echo "since (\`incset_reload()\`, measured in the section \"Snapshot reload after a commit\"). From the file: a SpatiaLite store reads DB.snapshot beside it,"
  echo "a PostGIS store its file in HAZMAP_SNAPSHOT_DIR (README), when the file matches the data version"
  echo "(a start or restart with unchanged data)."
  echo "The 1M store is bench/lib/db1m.sh's, copied into PostGIS by \`hazmap copy\` ($COPY_S s, with its"
  echo "release). Replicas: bench/replicas.sh run on each store (sections below)."
  echo
  echo "Targets (issue 14): import >= 100,000 rows/s: **$V_IMP**; snapshot load of 1M <= 1 s: **$V_LOADC**"
  echo "from the snapshot file, **$V_LOAD** from the rows (the cold path above);"
  echo "cached public tiles through nginx over two PostGIS-backed replicas >= 50 % of nginx files: **$V_REP**."
} > "$OUT"
{
  echo "| PostGIS import of 1M incidents, same run as SpatiaLite (issue 14) | >= 100,000 rows/s | $PGR rows/s ($PGT s; SpatiaLite $SLR rows/s) | $V_IMP |"
  echo "| PostGIS snapshot load of 1M, from the snapshot file (issue 14) | <= 1 s | $LPCM s (SpatiaLite: $LSCM s from DB.snapshot) | $V_LOADC |"
  echo "| PostGIS snapshot load of 1M, from the rows: the cold path (a start without a snapshot file; a commit the delta cannot cover) (issue 14) | <= 1 s | $LPGM s (SpatiaLite: $LSRM s from its rows) | $V_LOAD |"
} > bench/results/postgis.targets

# ---- the capacity note
read -r _ _ CACHED_PC _ <<< "${C[pg.cached]}"
read -r _ _ UNC_PC _ <<< "${C[pg.uncached]}"
read -r _ _ STATS_PC _ <<< "${C[pg.stats]}"
python3 - "$CAP" "$NINC" "${C[pg.rss]}" "${C[sqlite.rss]}" "$EMPTY_RSS" "$CACHED_PC" "$UNC_PC" \
  "$STATS_PC" "${C[sqlite.cached]}" "${C[sqlite.uncached]}" "${C[sqlite.stats]}" \
  "${C[pg.cached]}" "${C[pg.uncached]}" "${C[pg.stats]}" "$NUNC" "$LPGM" "$PGSIZE" "$BUILD" <<'PY'
import csv, json, sys
(out, ninc, rss_pg, rss_sl, rss_empty, cached_pc, unc_pc, stats_pc, sl_c, sl_u, sl_s, pg_c, pg_u,
 pg_s, nunc, load_s, pgsize, build) = sys.argv[1:]
ninc, rss_pg, rss_sl, rss_empty = int(ninc), int(rss_pg), int(rss_sl), int(rss_empty)
# the sample's rate per population: incidents per year per person in Jinjiang
rows = list(csv.DictReader(open("data/incidents_2012_2014.csv", encoding="utf-8")))
years = sorted({r["occurred_at"][:4] for r in rows})
nyears = int(years[-1]) - int(years[0]) + 1
areas = json.load(open("data/jinjiang_district.geojson", encoding="utf-8"))
pop = sum(int(f["properties"]["population"]) for f in areas["features"])
rate = len(rows) / nyears / pop
city = 21_000_000
per_year = rate * city
mb_per_m = (rss_pg - rss_empty) / (ninc / 1e6)
def cell(v):
    n, rps, pc, e = v.split()
    return f"{pc} ({rps} req/s on 4 connections{', %s non-2xx' % e if e != '0' else ''})"
ram_gb = 8
years_in_ram = (ram_gb * 1024 - rss_empty) / mb_per_m / (per_year / 1e6)
with open(out, "w", encoding="utf-8") as f:
    w = lambda s="": f.write(s + "\n")
    w("## Capacity note: one replica, and a city like Chengdu")
    w()
    w(f"Written by `bench/postgis.sh {build}` from its own measurements (the same run as the PostGIS section).")
    w("One `hazmap serve` on the 1M store, no nginx, `wrk -t1 -c4` on the same 2 shared cores; the")
    w("cost is the replica's own CPU time over the run (user + system from /proc/PID/stat), so the")
    w("figure is requests per second per core the replica would sustain with a core to itself.")
    w()
    w("| request | PostGIS store: requests per CPU second | SpatiaLite store |")
    w("|---|---|---|")
    w(f"| cached public tile (9 z14 density tiles, the replica's tile cache) | {cell(pg_c)} | {cell(sl_c)} |")
    w(f"| uncached public tile (z17/z18 density tiles over the data, each asked once; {nunc} per store) | {cell(pg_u)} | {cell(sl_u)} |")
    w(f"| `GET /api/stats` (public, from the release; the result cache after the first) | {cell(pg_s)} | {cell(sl_s)} |")
    w()
    w(f"Memory: the replica holds {rss_pg} MB resident with {ninc:,} incidents on PostGIS ({rss_sl} MB on")
    w(f"SpatiaLite) and {rss_empty} MB on a store holding only the areas: **{mb_per_m:.0f} MB per million")
    w(f"incidents** (snapshot, point index, caches after the runs above). PostgreSQL holds the rows")
    w(f"({pgsize} for 1M incidents with their indexes, after an import); a replica reloads them in")
    w(f"{float(load_s):.2f} s after every commit.")
    w()
    w(f"Chengdu: the sample has {len(rows):,} incidents over {nyears} years ({years[0]}-{years[-1]}) in")
    w(f"Jinjiang's {pop:,} people, {rate * 1e5:.0f} per 100,000 people per year. At that rate the city's")
    w(f"21 million people give about **{per_year / 1e3:,.0f} thousand incidents a year**. One replica then")
    w(f"needs about {mb_per_m * per_year / 1e6:,.0f} MB per year of data kept online; {ram_gb} GB of RAM")
    w(f"carries about {years_in_ram:.0f} years, and a snapshot reload grows with it")
    w(f"({float(load_s) * per_year / ninc:.2f} s per year of the city's data at this run's rate). Requests:")
    w(f"one core answers about {int(cached_pc):,} cached tiles/s, {int(unc_pc):,} newly rendered tiles/s or")
    w(f"{int(stats_pc):,} stats calls/s; public tiles are cached by nginx in front (replicas.md), so")
    w("replicas are added for the planners' uncached work and for availability, not for the public's")
    w("cached tiles. The estimate assumes the sample's reporting rate holds for the whole city and")
    w("that the working set is the whole history; districts that report more scale it linearly.")
PY
cat "$OUT" "$CAP"
