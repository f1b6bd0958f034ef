#!/usr/bin/env bash
# load-sample.sh - creates the sample database from data/ with the importer CLI.
#
#   tools/load-sample.sh BIN DB      e.g. tools/load-sample.sh build/hazmap var/hazmap.sqlite
#
# Loads the Jinjiang district outline, its 16 (approximate) sub-districts, the synthetic
# 2012-2014 incidents (GCJ-02 coordinates, converted by the importer with --srs gcj02) and the
# real road network (OpenStreetMap-derived, with its own node ids: --from-node u --to-node v); see
# data/README.md. Everything goes into DB.tmp, which is checked and then renamed to DB: an
# interrupted or failed load leaves no DB behind (and no DB.tmp). Refuses to overwrite an existing DB.
# Then publishes the first public release (`hazmap publish`, default budget), so that the public
# side of the server has its statistics out of the box (NO_PUBLISH=1 skips it, for tests of a
# database that never published).
set -euo pipefail
die() { echo "load-sample: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: tools/load-sample.sh BIN DB"
BIN=$1 DB=$2
DATA=$(cd "$(dirname "$0")/../data" && pwd)
[ -x "$BIN" ] || die "$BIN is not an executable (build it first: make build/hazmap)"
[ -e "$DB" ] && die "$DB already exists; remove it to reload the sample"
for f in jinjiang_district.geojson jinjiang_subdistricts.geojson incidents_2012_2014.csv \
  jinjiang_roads.geojson; do
  [ -r "$DATA/$f" ] || die "missing $DATA/$f"
done
mkdir -p "$(dirname "$DB")"
TMP=$DB.tmp
# (DB.tmp.snapshot is the incident snapshot hazmap writes beside DB.tmp: it holds the incident
# records, so it must not outlive the load; DB gets its own on its first read)
rm -f "$TMP" "$TMP-wal" "$TMP-shm" "$TMP-journal" "$TMP.snapshot"
trap 'rm -f "$TMP" "$TMP-wal" "$TMP-shm" "$TMP-journal" "$TMP.snapshot"' EXIT

fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
echo "load-sample: district outline"
"$BIN" import-areas --db "$TMP" "$DATA/jinjiang_district.geojson" "${fields[@]}" --level district ||
  die "import-areas failed on jinjiang_district.geojson"
echo "load-sample: sub-districts"
"$BIN" import-areas --db "$TMP" "$DATA/jinjiang_subdistricts.geojson" "${fields[@]}" \
  --level subdistrict --parent 510104 || die "import-areas failed on jinjiang_subdistricts.geojson"
echo "load-sample: incidents (GCJ-02 -> WGS84)"
"$BIN" import-incidents --db "$TMP" "$DATA/incidents_2012_2014.csv" --srs gcj02 --tz +08:00 \
  --source sample || die "import-incidents failed on incidents_2012_2014.csv"
echo "load-sample: roads (© OpenStreetMap contributors, ODbL 1.0)"
"$BIN" import-roads --db "$TMP" "$DATA/jinjiang_roads.geojson" --from-node u --to-node v ||
  die "import-roads failed on jinjiang_roads.geojson"

if [ "${NO_PUBLISH:-0}" != 1 ]; then
  echo "load-sample: public release (hazmap publish)"
  "$BIN" publish --db "$TMP" > /dev/null || die "publish failed"
fi

# Fold any WAL back into the main file before the rename (the rename moves one file only).
sqlite3 "$TMP" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null || die "checkpoint of $TMP failed"
areas=$(sqlite3 "$TMP" 'SELECT count(*) FROM areas;')
incidents=$(sqlite3 "$TMP" 'SELECT count(*) FROM incidents;')
expected=$(($(wc -l < "$DATA/incidents_2012_2014.csv") - 1))
roads=$(sqlite3 "$TMP" 'SELECT count(*) FROM road_segments;')
# one feature per line between the FeatureCollection's first and last lines (tools/make-roads.py)
expected_roads=$(($(wc -l < "$DATA/jinjiang_roads.geojson") - 2))
[ "$areas" -eq 17 ] || die "expected 17 areas, loaded $areas"
[ "$incidents" -eq "$expected" ] || die "expected $expected incidents, loaded $incidents"
[ "$roads" -eq "$expected_roads" ] || die "expected $expected_roads road segments, loaded $roads"
[ ! -e "$TMP-wal" ] || [ ! -s "$TMP-wal" ] || die "$TMP-wal still holds data"
rm -f "$TMP-wal" "$TMP-shm"
mv "$TMP" "$DB"
rm -f "$TMP.snapshot"
trap - EXIT
echo "load-sample: $DB: $areas areas, $incidents incidents, $roads road segments"
