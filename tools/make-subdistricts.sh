#!/usr/bin/env bash
# make-subdistricts.sh - builds data/jinjiang_district_gcj02.geojson, data/jinjiang_district.geojson,
# data/jinjiang_subdistricts.geojson and data/jinjiang_areas.txt from the Chengdu district Shapefile (see data/README.md).
#
#   tools/make-subdistricts.sh [SHAPEFILE] [OUTDIR]
#     SHAPEFILE  default /work/shared/data/chengdu-districts-shp/chengdu_districts.shp
#                (GaryBikini/ChinaAdminDivisonSHP, MIT; coordinates are GCJ-02 though labelled WGS84),
#                or data/jinjiang_district_gcj02.geojson (the committed verbatim extract of it)
#     OUTDIR     default data
#
# Steps: take 锦江区 (adcode 510104) out of the Shapefile; convert its vertices GCJ-02 -> WGS84 with
# geo/chinacrs.c (tools/gcj2wgs.c); then split it into 16 APPROXIMATE sub-districts (no public
# street-level boundaries exist): Voronoi cells of one seed point per sub-district (placed at the
# sub-district's approximate real centre, WGS84) clipped to the outline, with SpatiaLite's
# ST_VoronojDiagram and ST_Intersection. Cells of a Voronoi diagram tile the plane, so the clipped
# cells partition the outline (checked below, and again by tests/integration/sample.sh).
# Needs: cc, ogr2ogr, sqlite3 and mod_spatialite. Deterministic: same inputs, same files.
set -euo pipefail
cd "$(dirname "$0")/.."
SHP=${1:-/work/shared/data/chengdu-districts-shp/chengdu_districts.shp}
OUT=${2:-data}
die() { echo "make-subdistricts: $*" >&2; exit 1; }
[ -r "$SHP" ] || die "cannot read $SHP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/hazmap-subd.$$.XXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT

cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude tools/gcj2wgs.c geo/chinacrs.c -lm \
  -o "$TMP/gcj2wgs"

# 1. The outline's vertices, GCJ-02 as stored, one "lon lat" per line. The GCJ-02 original is kept
# too (jinjiang_district_gcj02.geojson, with the same adcode field), so the script can be re-run
# from it when the Shapefile is not at hand, and the importer's --srs gcj02 can be checked against it.
ogr2ogr -f CSV -lco GEOMETRY=AS_WKT -where "adcode='510104'" -select adcode "$TMP/jj.csv" "$SHP"
ogr2ogr -f GeoJSON -where "adcode='510104'" -select adcode,name -nln jinjiang_district_gcj02 \
  -lco COORDINATE_PRECISION=6 "$TMP/gcj02.geojson" "$SHP"
[ "$(wc -l < "$TMP/jj.csv")" -eq 2 ] || die "expected exactly one 510104 feature in $SHP"
wkt=$(sed -n 2p "$TMP/jj.csv")
case $wkt in '"POLYGON (('*'))","510104"') ;; *) die "510104 is not a single-ring POLYGON" ;; esac
case $wkt in *'),('*) die "510104 has holes or parts; this script expects one ring" ;; esac
printf '%s\n' "$wkt" | sed 's/^"POLYGON ((//; s/))".*$//' | tr ',' '\n' > "$TMP/gcj.txt"

# 2. GCJ-02 -> WGS84, vertex by vertex.
"$TMP/gcj2wgs" < "$TMP/gcj.txt" > "$TMP/wgs.txt"
ring=$(paste -sd, "$TMP/wgs.txt")

# 3. Seeds: approximate centres of the 16 sub-districts of the 2014 structure (WGS84), with
# illustrative codes and populations (old town dense, 三圣/柳江 sparse; sum = 690,422, the
# district's 2010 census total).
cat > "$TMP/seeds.csv" <<'SEEDS'
510104001|督院街|Duyuanjie|32000|104.0700|30.6540
510104002|盐市口|Yanshikou|38000|104.0710|30.6610
510104003|春熙路|Chunxilu|36000|104.0800|30.6585
510104004|书院街|Shuyuanjie|41000|104.0830|30.6665
510104005|合江亭|Hejiangting|45000|104.0840|30.6475
510104006|水井坊|Shuijingfang|44000|104.0930|30.6505
510104007|牛市口|Niushikou|52000|104.1040|30.6420
510104008|龙舟路|Longzhoulu|48000|104.0960|30.6370
510104009|双桂路|Shuangguilu|55000|104.1160|30.6330
510104010|莲新|Lianxin|50000|104.1020|30.6260
510104011|沙河|Shahe|53000|104.1200|30.6190
510104012|东光|Dongguang|47000|104.0900|30.6160
510104013|狮子山|Shizishan|46000|104.1280|30.6060
510104014|成龙路|Chenglonglu|42000|104.1450|30.5930
510104015|柳江|Liujiang|30000|104.1120|30.5650
510104016|三圣|Sansheng|31422|104.1400|30.5770
SEEDS

DB=$TMP/subd.sqlite
sqlite3 -bail "$DB" <<SQL >/dev/null
.load mod_spatialite
SELECT InitSpatialMetadata(1);
CREATE TABLE seeds (code TEXT PRIMARY KEY, name TEXT, name_en TEXT, population INTEGER,
                    lon REAL, lat REAL);
.mode list
.separator |
.import $TMP/seeds.csv seeds
SELECT AddGeometryColumn('seeds', 'geom', 4326, 'POINT', 'XY');
UPDATE seeds SET geom = MakePoint(lon, lat, 4326);
CREATE TABLE district (code TEXT PRIMARY KEY, name TEXT, name_en TEXT, population INTEGER);
SELECT AddGeometryColumn('district', 'geom', 4326, 'MULTIPOLYGON', 'XY');
INSERT INTO district VALUES ('510104', '锦江区', 'Jinjiang', 690422,
  CastToMultiPolygon(GeomFromText('POLYGON(($ring))', 4326)));
-- Voronoi cells of the seeds; the frame is extended by 100 % so every cell reaches past the outline.
CREATE TABLE cells AS SELECT ST_VoronojDiagram(ST_Collect(geom), 0, 100) AS vor FROM seeds;
CREATE TABLE subdistricts (code TEXT PRIMARY KEY, name TEXT, name_en TEXT, level TEXT,
                           parent_code TEXT, population INTEGER);
SELECT AddGeometryColumn('subdistricts', 'geom', 4326, 'MULTIPOLYGON', 'XY');
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i, cells WHERE n < ST_NumGeometries(vor)),
  cell(g) AS (SELECT ST_GeometryN(vor, n) FROM i, cells)
INSERT INTO subdistricts
  SELECT s.code, s.name, s.name_en, 'subdistrict', '510104', s.population,
         CastToMultiPolygon(ST_Intersection(c.g, d.geom))
  FROM seeds s JOIN cell c ON ST_Contains(c.g, s.geom), district d
  ORDER BY s.code;
SQL

# 4. Checks: every seed inside the outline, 16 valid non-empty cells, areas add up, no overlaps.
q() { sqlite3 -bail -cmd '.load mod_spatialite' "$DB" "$1" 2>/dev/null | tail -n 1; }
outside=$(q "SELECT group_concat(s.name) FROM seeds s, district d WHERE NOT ST_Within(s.geom, d.geom)")
[ -z "$outside" ] || die "seeds outside the outline: $outside"
n=$(q "SELECT count(*) FROM subdistricts WHERE geom IS NOT NULL AND ST_IsValid(geom) AND ST_Area(geom) > 0")
[ "$n" -eq 16 ] || die "expected 16 valid sub-districts, got $n"
# Areas in UTM zone 48N (EPSG:32648): SpatiaLite's ellipsoidal ST_Area(g, 1) is not additive to
# better than ~1e-5 here, the projected area is (to ~1e-7).
ratio=$(q "SELECT (SELECT sum(ST_Area(ST_Transform(geom, 32648))) FROM subdistricts) / (SELECT ST_Area(ST_Transform(geom, 32648)) FROM district)")
overlap=$(q "SELECT coalesce(sum(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 32648))), 0) FROM subdistricts a, subdistricts b WHERE a.code < b.code AND ST_Intersects(a.geom, b.geom)")
awk -v r="$ratio" -v o="$overlap" 'BEGIN { exit !(r > 0.99999 && r < 1.00001 && o < 1.0) }' ||
  die "sub-districts do not partition the outline (area ratio $ratio, overlap $overlap m²)"
km2=$(q "SELECT printf('%.2f', ST_Area(ST_Transform(geom, 32648)) / 1e6) FROM district")
echo "make-subdistricts: district $km2 km², 16 sub-districts, area ratio $ratio, overlap ${overlap} m²"

# 5. Outputs: GeoJSON (WGS84, the importer's input) and the plain-text rings gensample reads.
rm -f "$OUT/jinjiang_district.geojson" "$OUT/jinjiang_subdistricts.geojson"
if [ "$(cd "$(dirname "$SHP")" && pwd)/$(basename "$SHP")" != "$(cd "$OUT" && pwd)/jinjiang_district_gcj02.geojson" ]; then
  cp "$TMP/gcj02.geojson" "$OUT/jinjiang_district_gcj02.geojson"
fi
ogr2ogr -f GeoJSON -a_srs EPSG:4326 -lco RFC7946=YES -lco COORDINATE_PRECISION=9 -nln jinjiang_district \
  "$OUT/jinjiang_district.geojson" "$DB" -sql "SELECT code, name, name_en, population, geom FROM district"
ogr2ogr -f GeoJSON -a_srs EPSG:4326 -lco RFC7946=YES -lco COORDINATE_PRECISION=9 -nln jinjiang_subdistricts \
  "$OUT/jinjiang_subdistricts.geojson" "$DB" \
  -sql "SELECT code, name, name_en, level, parent_code, population, geom FROM subdistricts ORDER BY code"
{
  echo "# jinjiang_areas.txt - Jinjiang district and sub-district rings (WGS84 lon lat) for tools/gensample."
  echo "# Generated by tools/make-subdistricts.sh; do not edit. Format: 'area CODE POPULATION LEVEL NAME',"
  echo "# then per ring 'ring N' and N 'lon lat' lines. Point-in-area is even-odd over all its rings."
  sqlite3 -bail -cmd '.load mod_spatialite' -separator '|' "$DB" \
    "SELECT code, population, 'district', name, AsWkt(geom, 9) FROM district
     UNION ALL SELECT code, population, 'subdistrict', name, AsWkt(geom, 9) FROM subdistricts ORDER BY 1" |
  awk -F'|' '{
    printf "area %s %s %s %s\n", $1, $2, $3, $4
    w = $5
    while (match(w, /\([^()]*\)/)) {
      r = substr(w, RSTART + 1, RLENGTH - 2); w = substr(w, RSTART + RLENGTH)
      k = split(r, p, ",")
      printf "ring %d\n", k
      for (j = 1; j <= k; j++) { sub(/^ +/, "", p[j]); split(p[j], c, " "); printf "%.9f %.9f\n", c[1], c[2] }
    }
  }'
} > "$OUT/jinjiang_areas.txt"
echo "make-subdistricts: wrote $OUT/jinjiang_district_gcj02.geojson $OUT/jinjiang_district.geojson $OUT/jinjiang_subdistricts.geojson $OUT/jinjiang_areas.txt"
