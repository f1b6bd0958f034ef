#!/usr/bin/env bash
# import.sh - CLI checks of import-areas / import-incidents: help, summary, re-import, bad input,
# and kill -9 during a large import leaving the database exactly as it was.
set -uo pipefail
HAZMAP=${HAZMAP:-build/hazmap}
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/hazmap_it_import_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.sqlite
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# 1. help lists the contract's options
help=$("$HAZMAP" help import-incidents)
check "import-incidents --help lists its options" \
  '[[ $help == *--time2* && $help == *--wkt* && $help == *--map* && $help == *--mechanism* ]]'
help=$("$HAZMAP" import-areas --help)
check "import-areas --help lists its options" '[[ $help == *--code-field* && $help == *--srs* ]]'

# 2. areas, then incidents with a summary
out=$("$HAZMAP" import-areas --db "$db" tests/data/chengdu-datav-geojson/510104.json --srs gcj02)
check "import-areas creates the database and loads Jinjiang" '[[ $out == *"loaded 1"* ]]'
cat > "$tmp/small.csv" <<'CSV'
id,occurred_at,lon,lat,severity,mechanism
1,2013-05-01 08:30,104.10,30.62,minor,traffic
2,2013-05-02,104.12,30.63,serious,fall
3,2013-05-03,104.50,31.00,fatal,traffic
4,2013-05-04,104.11,30.62,unheard,traffic
CSV
out=$("$HAZMAP" import-incidents --db "$db" "$tmp/small.csv" 2>"$tmp/err")
err=$(cat "$tmp/err")
check "summary: read, loaded, rejected, outside" \
  '[[ $out == *"read 4, loaded 3"* && $out == *"rejected 1"* && $out == *"outside all areas 1"* ]]'
check "rejected row printed as file:line: reason" \
  '[[ $err == *"small.csv:5: unknown severity value '"'"'unheard'"'"'"* ]]'
out=$("$HAZMAP" import-incidents --db "$db" "$tmp/small.csv" 2>/dev/null)
check "re-import adds nothing" '[[ $out == *"loaded 0, replaced 0, unchanged 3"* ]]'

# 2b. Chinese spreadsheets' encodings (issue 11): the sample's first 300 rows as Excel's GBK CSV
# and as UTF-16 with a BOM load like the UTF-8 file, descriptions intact; a wrong --encoding is
# named; an undecodable row is rejected naming the encoding, the others load.
head -301 data/incidents_2012_2014.csv > "$tmp/u8.csv"
iconv -f UTF-8 -t GB18030 "$tmp/u8.csv" > "$tmp/gbk.csv"
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$tmp/u8.csv"; } > "$tmp/u16.csv"
for enc in u8 gbk u16; do
  rm -f "$tmp/e.sqlite"
  "$HAZMAP" import-areas --db "$tmp/e.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
  out=$("$HAZMAP" import-incidents --db "$tmp/e.sqlite" "$tmp/$enc.csv" --srs gcj02 --source s 2>/dev/null)
  sqlite3 "$tmp/e.sqlite" "SELECT source_id, description FROM incidents ORDER BY source_id" > "$tmp/$enc.desc"
  check "$enc.csv: 300 rows loaded, none rejected" '[[ $out == *"read 300, loaded 300"* && $out == *"rejected 0"* ]]'
done
check "GBK and UTF-16 files store the same Chinese text as the UTF-8 file" \
  'cmp -s "$tmp/u8.desc" "$tmp/gbk.desc" && cmp -s "$tmp/u8.desc" "$tmp/u16.desc" && grep -q 摔倒 "$tmp/gbk.desc"'
# A GB18030 export with Chinese headers and code lists, as a hospital or police office writes it:
# imported without a mapping file or options; every stored field checked row by row.
cat > "$tmp/zh.u8" <<'CSV'
编号,发生时间,经度,纬度,性别,年龄,伤害类型,严重程度,发生地点,是否故意,描述
Z1,2013-05-01 08:30,104.0820,30.6578,男,34,机动车车祸,轻度,公路/街道,非故意,骑车被撞
Z2,2013-05-02 17:05,104.0985,30.6440,女,72,跌倒/坠落,重度,家中,非故意,在家中摔倒
Z3,2013-05-03 22:40,104.0905,30.6520,男,25,钝器伤,中度,贸易和服务场所,故意/他人加害,斗殴
Z4,2013-05-04 10:00,104.1080,30.6235,女,8,动物伤,轻伤,学校与公共场所,不清楚,被狗咬伤
CSV
iconv -f UTF-8 -t GB18030 "$tmp/zh.u8" > "$tmp/zh.csv"
rm -f "$tmp/zh.sqlite"
"$HAZMAP" import-areas --db "$tmp/zh.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
out=$("$HAZMAP" import-incidents --db "$tmp/zh.sqlite" "$tmp/zh.csv" --srs gcj02 2>&1)
got=$(sqlite3 "$tmp/zh.sqlite" "SELECT source_id, substr(occurred_at, 1, 16), mechanism, severity, place, intent, sex, age, description, extra IS NULL FROM incidents ORDER BY source_id")
want='Z1|2013-05-01T08:30|traffic|minor|road|unintentional|male|34|骑车被撞|1
Z2|2013-05-02T17:05|fall|serious|home|unintentional|female|72|在家中摔倒|1
Z3|2013-05-03T22:40|violence|serious|public|assault|male|25|斗殴|1
Z4|2013-05-04T10:00|animal|minor|school|undetermined|female|8|被狗咬伤|1'
check "GB18030 CSV with Chinese headers and code lists: 4 rows, every field as expected" \
  '[[ $out == *"loaded 4"* && "$got" == "$want" ]] || { echo "$out"; echo "$got"; false; }'
# Spreadsheets whose cells are all text (GDAL's writer stores CSV fields as text), as offices
# export them: the first row is the header all the same; --sheet picks a sheet; ODS as XLSX.
cp "$tmp/zh.u8" "$tmp/zh8.csv"
rm -f "$tmp/zh.xlsx" "$tmp/zh.ods"
ogr2ogr -f XLSX "$tmp/zh.xlsx" "$tmp/small.csv" -nln first 2> /dev/null
ogr2ogr -f XLSX -update "$tmp/zh.xlsx" "$tmp/zh8.csv" -nln 伤害 2> /dev/null
ogr2ogr -f ODS "$tmp/zh.ods" "$tmp/zh8.csv" -nln 伤害 2> /dev/null
for f in zh.xlsx zh.ods; do
  rm -f "$tmp/s.sqlite"
  "$HAZMAP" import-areas --db "$tmp/s.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
  out=$("$HAZMAP" import-incidents --db "$tmp/s.sqlite" "$tmp/$f" --sheet 伤害 --srs gcj02 2>&1)
  got=$(sqlite3 "$tmp/s.sqlite" "SELECT source_id, substr(occurred_at, 1, 16), mechanism, severity, place, intent, sex, age, description, extra IS NULL FROM incidents ORDER BY source_id")
  check "$f (all-text cells, Chinese headers, --sheet 伤害): every field as from the CSV" \
    '[[ $out == *"loaded 4"* && "$got" == "$want" ]] || { echo "$out"; echo "$got"; false; }'
done
# Title rows above the header (a report's merged title cells): --skip-rows N, in a CSV and in a
# sheet (GDAL writes its own first row of field names, then the title row, then the header).
{ echo "锦江区伤害监测数据（2013年5月）,,,,,,,,,,"; cat "$tmp/zh.u8"; } > "$tmp/titled.csv"
rm -f "$tmp/titled.xlsx"
ogr2ogr -f XLSX "$tmp/titled.xlsx" "$tmp/titled.csv" -oo HEADERS=NO -nln 伤害 2> /dev/null
for f in "titled.csv --skip-rows 1" "titled.xlsx --skip-rows 2"; do
  rm -f "$tmp/s.sqlite"
  "$HAZMAP" import-areas --db "$tmp/s.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
  # shellcheck disable=SC2086
  out=$("$HAZMAP" import-incidents --db "$tmp/s.sqlite" $tmp/$f --srs gcj02 2>&1)
  got=$(sqlite3 "$tmp/s.sqlite" "SELECT source_id, substr(occurred_at, 1, 16), mechanism, severity, place, intent, sex, age, description, extra IS NULL FROM incidents ORDER BY source_id")
  check "${f%% *} with a title row and ${f#* }: every field as from the plain CSV" \
    '[[ $out == *"loaded 4"* && "$got" == "$want" ]] || { echo "$out"; echo "$got"; false; }'
done
out=$("$HAZMAP" import-incidents --db "$tmp/s.sqlite" "$tmp/titled.xlsx" --skip-rows 9 2>&1)
check "--skip-rows past the sheet's end: an error naming it" '[[ $out == *"--skip-rows 9"* ]]'
out=$("$HAZMAP" import-incidents --db "$tmp/s.sqlite" "$tmp/zh.xlsx" --sheet nope 2>&1)
check "--sheet naming no sheet: an error naming it" '[[ $out == *"no layer named nope"* ]]'
out=$("$HAZMAP" import-incidents --db "$tmp/e.sqlite" "$tmp/gbk.csv" --encoding latin9 2>&1)
check "an unknown --encoding is an error naming the choices" '[[ $out == *latin9* && $out == *gb18030* ]]'
{ head -3 "$tmp/gbk.csv"; printf 'X1,2013-01-01T08:00:00+08:00,104.08,30.65,fall,home,unintentional,minor,1,30,male,0,\x81\x20bad\n'; } > "$tmp/gbbad.csv"
out=$("$HAZMAP" import-incidents --db "$tmp/e.sqlite" "$tmp/gbbad.csv" --srs gcj02 --source b 2>"$tmp/err")
check "an undecodable GBK row is rejected naming the encoding; the others load" \
  '[[ $out == *"loaded 2"* && $out == *"rejected 1"* ]] && grep -q "not valid GB18030 text" "$tmp/err"'

# 3. bad input: exit 1 with a reason; usage errors exit 2
"$HAZMAP" import-incidents --db "$db" /nonexistent.csv >/dev/null 2>"$tmp/err"; rc=$?
check "unreadable file: exit 1, path named" '[[ $rc == 1 && $(cat "$tmp/err") == *nonexistent.csv* ]]'
printf 'a,b\n1,2\n' > "$tmp/nocoord.csv"
"$HAZMAP" import-incidents --db "$db" "$tmp/nocoord.csv" >/dev/null 2>"$tmp/err"; rc=$?
check "no coordinate columns: exit 1, columns listed" \
  '[[ $rc == 1 && $(cat "$tmp/err") == *"columns found: a, b"* ]]'
"$HAZMAP" import-incidents --db "$db" --srs EPSG:999999 "$tmp/small.csv" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown CRS: exit 1" '[[ $rc == 1 && $(cat "$tmp/err") == *"unknown CRS"* ]]'
"$HAZMAP" import-incidents --db "$db" --lon x "$tmp/small.csv" >/dev/null 2>&1; rc=$?
check "--lon without --lat: usage error (exit 2)" '[[ $rc == 2 ]]'

# 4. kill -9 during a large import leaves the database as it was
awk 'BEGIN { srand(7); print "id,occurred_at,lon,lat,severity";
  for (i = 1; i <= 600000; i++)
    printf "k%d,2014-%02d-%02d 10:00,%.6f,%.6f,minor\n", i, 1 + i % 12, 1 + i % 28,
      104.07 + rand() * 0.13, 30.56 + rand() * 0.11 }' > "$tmp/big.csv"
before=$(sqlite3 "$db" "SELECT count(*), (SELECT value FROM meta WHERE key='data_version'),
  (SELECT count(*) FROM import_batches), (SELECT count(*) FROM idx_incidents_geom) FROM incidents")
killed=0
for delay in 0.2 0.6 1.2 1.8 2.6; do
  "$HAZMAP" import-incidents --db "$db" "$tmp/big.csv" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if ! kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    echo "skip kill -9 after ${delay}s: the import had already finished"
    break
  fi
  wait "$pid" 2>/dev/null
  killed=$((killed + 1))
  after=$(sqlite3 "$db" "SELECT count(*), (SELECT value FROM meta WHERE key='data_version'),
    (SELECT count(*) FROM import_batches), (SELECT count(*) FROM idx_incidents_geom) FROM incidents")
  check "kill -9 after ${delay}s: database unchanged ($after)" '[[ $after == "$before" ]]'
done
check "at least two imports killed part way" '[[ $killed -ge 2 ]]'
check "integrity and R*Tree after the kills" \
  '[[ $(sqlite3 "$db" "PRAGMA integrity_check; SELECT rtreecheck('"'"'idx_incidents_geom'"'"');" | tr "\n" " ") == "ok ok " ]]'
trig=$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND tbl_name='incidents'")
check "SpatiaLite triggers intact after the kills" '[[ $trig -ge 8 ]]'
out=$("$HAZMAP" import-incidents --db "$db" "$tmp/big.csv" 2>&1)
n=$(sqlite3 "$db" "SELECT count(*) FROM incidents")
[[ $out == *"600000"* ]] || echo "$out" | tail -3
check "the full import then completes (600000 more rows)" \
  '[[ ($out == *"loaded 600000"* || $out == *"unchanged 600000"*) && $n == 600003 ]]'
check "R*Tree valid and complete after the bulk load" \
  '[[ $(sqlite3 "$db" "SELECT rtreecheck('"'"'idx_incidents_geom'"'"'), (SELECT count(*) FROM idx_incidents_geom)" ) == "ok|600003" ]]'
check "journal mode back to WAL" '[[ $(sqlite3 "$db" "PRAGMA journal_mode") == wal ]]'
exit $fail
