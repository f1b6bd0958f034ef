#!/usr/bin/env bash
# db1m.sh - the 1,000,000-incident database the server benchmarks share, built once with the
# importer into build/bench/server-1m.sqlite (reused when present), with a public release (hazmap
# publish); prints its path.
#
#   bench/lib/db1m.sh HAZMAP
#
# The 55,000 synthetic sample incidents (data/) replicated with +-50 m jitter and new ids: the
# same clustering at 18 times the density. Coordinates stay GCJ-02, as the importer expects.
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${1:?usage: bench/lib/db1m.sh HAZMAP}
B=build/bench
DB=$B/server-1m.sqlite
mkdir -p "$B"
if [ ! -s "$DB" ]; then
  echo "bench/lib/db1m.sh: building the 1,000,000-incident database (once)" >&2
  python3 - data/incidents_2012_2014.csv "$B/incidents-1m.csv" <<'PY'
import csv, random, sys
random.seed(7)
src = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", encoding="utf-8", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(src[0].keys()))
    w.writeheader()
    for i in range(1000000):
        r = dict(src[i % len(src)])
        r["id"] = f"B{i:07d}"
        r["lon"] = f"{float(r['lon']) + random.uniform(-0.0005, 0.0005):.6f}"
        r["lat"] = f"{float(r['lat']) + random.uniform(-0.0005, 0.0005):.6f}"
        w.writerow(r)
PY
  rm -f "$DB.tmp"
  fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
  "$HAZMAP" import-areas --db "$DB.tmp" data/jinjiang_district.geojson "${fields[@]}" --level district > /dev/null
  "$HAZMAP" import-areas --db "$DB.tmp" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 > /dev/null
  "$HAZMAP" import-incidents --db "$DB.tmp" "$B/incidents-1m.csv" --srs gcj02 > /dev/null
  mv "$DB.tmp" "$DB"
  rm -f "$B/incidents-1m.csv"
fi
# The public answers from a release (issue 13): publish one when the store has none.
if ! "$HAZMAP" publish --db "$DB" --list | awk 'NR > 1' | grep -q .; then
  echo "bench/lib/db1m.sh: publishing the 1M store's public release" >&2
  "$HAZMAP" publish --db "$DB" > /dev/null
fi
echo "$DB"
