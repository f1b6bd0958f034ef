#!/usr/bin/env bash
# db1m.sh - the 1,000,000-incident database the server benchmarks share, built once with the
# importer into build/bench/server-1m.sqlite (reused when present), with a public release (hazmap
# publish); prints its path.
#
#   bench/lib/db1m.sh HAZMAP
#
# The incidents are bench/lib/csv1m.sh's (the sample replicated 18 times with jitter).
set -euo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${1:?usage: bench/lib/db1m.sh HAZMAP}
B=build/bench
DB=$B/server-1m.sqlite
mkdir -p "$B"
if [ ! -s "$DB" ]; then
  echo "bench/lib/db1m.sh: building the 1,000,000-incident database (once)" >&2
  CSV=$(bench/lib/csv1m.sh)
  rm -f "$DB.tmp"
  fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
  "$HAZMAP" import-areas --db "$DB.tmp" data/jinjiang_district.geojson "${fields[@]}" --level district > /dev/null
  "$HAZMAP" import-areas --db "$DB.tmp" data/jinjiang_subdistricts.geojson "${fields[@]}" \
    --level subdistrict --parent 510104 > /dev/null
  "$HAZMAP" import-incidents --db "$DB.tmp" "$CSV" --srs gcj02 > /dev/null
  mv "$DB.tmp" "$DB"
  rm -f "$CSV"
fi
# The public answers from a release (issue 13): publish one when the store has none.
if ! "$HAZMAP" publish --db "$DB" --list | awk 'NR > 1' | grep -q .; then
  echo "bench/lib/db1m.sh: publishing the 1M store's public release" >&2
  "$HAZMAP" publish --db "$DB" > /dev/null
fi
echo "$DB"
