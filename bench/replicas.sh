#!/usr/bin/env bash
# replicas.sh - benchmark of two `hazmap serve` replicas behind nginx (issue 14), against the
# same nginx serving the same tiles as files, in the same run, on the 1,000,000-incident database
# of bench/lib/db1m.sh (build/bench/server-1m.sqlite, reused).
#
#   bench/replicas.sh [BUILD_DIR]     writes bench/results/replicas.md and replicas.targets
#   REPLICAS_DB=STORE REPLICAS_NAME=N REPLICAS_LABEL=TEXT bench/replicas.sh [BUILD_DIR]
#       the same on another store holding the same kind of data (a file or a PostgreSQL conninfo:
#       bench/postgis.sh passes a PostGIS copy of the 1M store), written to bench/results/N.md
#       and N.targets, TEXT naming the store in the heading and the targets' row
#
# nginx runs deploy/nginx/'s configuration itself (tools/nginx-conf.sh substitutes ports and
# paths): the upstream over the two replicas with keepalive, and the /prerendered/ location that
# serves a z/x/y directory as files. The 9 public z14 density tiles around the data's centre are
# fetched once through nginx into that directory, so both paths answer the very same bytes:
#  (1) /tiles/density/14/x/y.png without a token: the public's tiles, from nginx's tile cache
#      (deploy/'s /tiles/ location; filled from the replicas, which draw them from the release);
#  (2) /prerendered/14/x/y.png: nginx -> the file;
#  (3) the same tiles with a planner token: nginx -> a replica's tile cache (the hop itself).
# wrk -t2 -c32 -d8s cycles through the 9 tiles, median of 3 alternating runs; target: (1) >= 50 %
# of (2). Also one replica without nginx, for scale, and each replica's resident memory.
# Peers are installed with apt-get only when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
HAZMAP=$(realpath "$BUILD/hazmap")
NAME=${REPLICAS_NAME:-replicas}
LABEL=${REPLICAS_LABEL:-}
OUT=bench/results/$NAME.md
mkdir -p bench/results
[ -x "$HAZMAP" ] || { echo "bench/replicas.sh: build $HAZMAP first" >&2; exit 1; }
need=()
command -v wrk > /dev/null || need+=(wrk)
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl > /dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench/replicas.sh: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > /dev/null ||
    { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > /dev/null; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

DB=${REPLICAS_DB:-$(bench/lib/db1m.sh "$HAZMAP")}
# sql QUERY: the query's rows, "|"-separated, on the store (SpatiaLite file or PostgreSQL)
sql() {
  case "$DB" in
    postgres://* | postgresql://* | *dbname=* | *host=*) psql -X -q -A -t -F '|' "$DB" -c "$1" ;;
    *) sqlite3 "$DB" "$1" ;;
  esac
}
NINC=$(sql 'SELECT count(*) FROM incidents')
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APORT=$(free_port) BPORT=$(free_port) NPORT=$(free_port) TPORT=$(free_port)
WORK=$(mktemp -d /tmp/hazmap-bench-replicas.$$.XXXX)
chmod 755 "$WORK"
APID= BPID= NPID=
cleanup() {
  for p in $NPID $APID $BPID; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
N=http://127.0.0.1:$NPORT
sed "s#^base_url = .*#base_url = $N#" deploy/hazmap.conf > "$WORK/hazmap.conf"
T0=$(date +%s.%N)
for r in A B; do
  port=$APORT; [ $r = B ] && port=$BPORT
  "$HAZMAP" serve --db "$DB" --bind 127.0.0.1 --port "$port" --config "$WORK/hazmap.conf" \
    --cache-dir "$WORK/cache-$r" > "$WORK/out-$r" 2> "$WORK/access-$r.log" &
  eval "${r}PID=$!"
done
for _ in $(seq 1 600); do
  grep -q listening "$WORK/out-A" 2>/dev/null && grep -q listening "$WORK/out-B" 2>/dev/null && break
  sleep 0.1
done
LOAD_S=$(python3 -c "import time; print(f'{time.time() - $T0:.1f}')")
mkdir -p "$WORK/tls" "$WORK/tiles"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" > /dev/null 2>&1
NGINX_WORKERS=$(nproc) NGINX_ACCESS_LOG=off \
  tools/nginx-conf.sh "$WORK/ng" "$NPORT" "$TPORT" "$WORK/tiles" "$WORK/tls" "$APORT" "$BPORT"
chmod 755 "$WORK/ng"
"$NGINX" -c "$WORK/ng/nginx.conf" -g 'daemon off;' &
NPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$N/healthz" && break; sleep 0.1; done

# The 9 public z14 tiles around the densest sub-district's centre, through nginx, into the files.
read -r CLON CLAT <<< "$(sql "SELECT avg(lon), avg(lat) FROM incidents WHERE area_code=(SELECT area_code FROM incidents GROUP BY area_code ORDER BY count(*) DESC LIMIT 1)" | tr '|' ' ')"
read -r TX TY <<< "$(python3 -c "import math; z=14; n=2**z; print(int(($CLON+180)/360*n), int((1-math.asinh(math.tan(math.radians($CLAT)))/math.pi)/2*n))")"
TILES=() FILES=()
for dx in -1 0 1; do for dy in -1 0 1; do
  x=$((TX + dx)) y=$((TY + dy))
  mkdir -p "$WORK/tiles/14/$x"
  curl -sf -o "$WORK/tiles/14/$x/$y.png" "$N/tiles/density/14/$x/$y.png"
  TILES+=("/tiles/density/14/$x/$y.png") FILES+=("/prerendered/14/$x/$y.png")
done; done
chmod -R o+rX "$WORK/tiles"
# every replica has rendered or cached each tile before the runs (round robin: 4 rounds)
for _ in 1 2 3 4; do for t in "${TILES[@]}"; do curl -sf -o /dev/null "$N$t"; done; done
for t in "${TILES[@]}"; do
  curl -sf "http://127.0.0.1:$APORT$t" | cmp -s - "$WORK/tiles${t#/tiles/density}" ||
    { echo "bench/replicas.sh: replica A's $t differs from the file" >&2; exit 1; }
  curl -sf "http://127.0.0.1:$BPORT$t" | cmp -s - "$WORK/tiles${t#/tiles/density}" ||
    { echo "bench/replicas.sh: replica B's $t differs from the file" >&2; exit 1; }
done
# lua HEADERS PATH...: a wrk script cycling through the paths, with the headers (a Lua table)
lua() {
  local h=$1
  shift
  printf 'local paths = { %s }\nlocal i = 0\nlocal h = %s\nrequest = function() i = i %% #paths + 1; return wrk.format("GET", paths[i], h) end\n' \
    "$(printf '"%s",' "$@")" "$h"
}
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label bench-replicas)
lua '{}' "${TILES[@]}" > "$WORK/tiles.lua"
lua '{}' "${FILES[@]}" > "$WORK/files.lua"
lua "{ [\"Authorization\"] = \"Bearer $TOKEN\" }" "${TILES[@]}" > "$WORK/planner.lua"
# the planners' tiles of the same 9 places, rendered once by each replica before the runs
for _ in 1 2 3 4; do for t in "${TILES[@]}"; do curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$N$t"; done; done
NA0=$(grep -c '^GET /tiles/density/14/' "$WORK/access-A.log") NB0=$(grep -c '^GET /tiles/density/14/' "$WORK/access-B.log")
# run SCRIPT BASE: "requests/s non-2xx" of one wrk run
run() {
  wrk -t2 -c32 -d8s -s "$1" "$2" > "$WORK/wrk.txt"
  echo "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") $(awk '/Non-2xx/ {print $5}' "$WORK/wrk.txt")"
}
R=() F=() P=() D=() ERRS=0
for _ in 1 2 3; do
  read -r rps e <<< "$(run "$WORK/tiles.lua" "$N")"; R+=("$rps"); ERRS=$((ERRS + ${e:-0}))
  read -r rps e <<< "$(run "$WORK/files.lua" "$N")"; F+=("$rps"); ERRS=$((ERRS + ${e:-0}))
  read -r rps e <<< "$(run "$WORK/planner.lua" "$N")"; P+=("$rps"); ERRS=$((ERRS + ${e:-0}))
done
NA=$(( $(grep -c '^GET /tiles/density/14/' "$WORK/access-A.log") - NA0 ))
NB=$(( $(grep -c '^GET /tiles/density/14/' "$WORK/access-B.log") - NB0 ))
for _ in 1 2 3; do
  read -r rps e <<< "$(run "$WORK/tiles.lua" "http://127.0.0.1:$APORT")"; D+=("$rps"); ERRS=$((ERRS + ${e:-0}))
done
RSS_A=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$APID/status)
RSS_B=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$BPID/status)
med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
RRPS=$(med "${R[@]}") FRPS=$(med "${F[@]}") DRPS=$(med "${D[@]}") PRPS=$(med "${P[@]}")
PRATIO=$(python3 -c "print(f'{100 * $PRPS / $FRPS:.0f}')")
RATIO=$(python3 -c "print(f'{100 * $RRPS / $FRPS:.0f}')")
DRATIO=$(python3 -c "print(f'{100 * $DRPS / $FRPS:.0f}')")
V=$(awk -v r="$RATIO" -v e="$ERRS" 'BEGIN {print (r >= 50 && e == 0) ? "meets" : "MISSES"}')
CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
{
  echo "## Replicas behind nginx (deploy/)${LABEL:+, $LABEL}"
  echo
  echo "Command: \`bench/replicas.sh $BUILD\` on $(nproc) cores ($CPU), shared with other jobs: nginx"
  echo "($(nginx -v 2>&1 | sed 's/.*\///'), $(nproc) workers, access log off), both replicas and wrk on the same cores."
  echo "Database: $NINC incidents (bench/lib/db1m.sh${LABEL:+; $LABEL}). nginx runs deploy/nginx/'s files (tools/nginx-conf.sh:"
  echo "only ports and paths substituted): the upstream over two \`hazmap serve\` replicas of one store,"
  echo "keepalive 32, and the /prerendered/ location serving the same 9 public z14 density tiles as files"
  echo "(fetched through nginx; each replica's copy was checked byte for byte against them)."
  echo
  echo "| measure | requests/s (median of 3) | runs | vs nginx serving files |"
  echo "|---|---|---|---|"
  echo "| nginx serving the tiles as files (/prerendered/) | $FRPS | ${F[*]} | 100 % |"
  echo "| nginx over two replicas, cached public tiles (deploy/'s configuration: nginx's tile cache) | $RRPS | ${R[*]} | **$RATIO %** (target >= 50 %) |"
  echo "| nginx over two replicas, the planners' tiles (token: every request to a replica's tile cache) | $PRPS | ${P[*]} | $PRATIO % |"
  echo "| one replica without nginx, the public tiles | $DRPS | ${D[*]} | $DRATIO % |"
  echo
  echo "wrk -t2 -c32 -d8s cycling through the 9 tiles; non-2xx answers over all runs: $ERRS. The public's"
  echo "tiles are marked \"public, max-age=300\" by hazmap, and deploy/'s /tiles/ location keeps them in"
  echo "nginx's cache for that long (a request with a token is never cached): after the first request"
  echo "of each tile the public's runs are answered by nginx alone. The planners' runs measure the hop"
  echo "itself: each request went through nginx to a replica ($NA / $NB to A / B) and was answered from"
  echo "that replica's tile cache. On 2 shared cores that hop pays for two processes per request (nginx"
  echo "and the replica, and the token's lookup) where a file costs one. Resident memory with 1M"
  echo "incidents loaded, after the runs: $RSS_A MB and $RSS_B MB (each replica holds its own snapshot"
  echo "and caches); both replicas started (loaded the store, side by side) in $LOAD_S s."
  echo
  echo "Target (issue 14): cached public tiles through nginx over two replicas >= 50 % of nginx serving"
  echo "files: **$V**."
} > "$OUT"
echo "| Cached public tiles, nginx over two replicas${LABEL:+ ($LABEL)} vs nginx files, wrk, 1M (issue 14) | >= 50 % of nginx files | $RATIO % ($RRPS vs $FRPS req/s, $ERRS errors; planners' tiles through the replicas $PRATIO %) | $V |" \
  > "bench/results/$NAME.targets"
cat "$OUT"
