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
# (机动车车祸: motor-vehicle traffic, road user not said; 钝器伤: struck, the intent its own column's)
want='Z1|2013-05-01T08:30|traffic_other|minor|road|unintentional|male|34|骑车被撞|1
Z2|2013-05-02T17:05|fall|serious|home|unintentional|female|72|在家中摔倒|1
Z3|2013-05-03T22:40|struck|serious|public|assault|male|25|斗殴|1
Z4|2013-05-04T10:00|bites_stings|minor|school|undetermined|female|8|被狗咬伤|1'
check "GB18030 CSV with Chinese headers and code lists: 4 rows, every field as expected" \
  '[[ $out == *"loaded 4"* && "$got" == "$want" ]] || { echo "$out"; echo "$got"; false; }'
# The national injury surveillance report card (全国伤害监测报告卡), --format niss, GB18030, no
# mapping file: every code list of the card (SURVEILLANCE.md), row by row.
cat > "$tmp/niss.u8" <<'CSV'
编号,伤害发生时间,经度,纬度,性别,年龄,伤害发生原因,伤害发生地点,伤害发生时活动,是否故意,伤害性质,伤害部位,伤害严重程度,伤害结局
N01,2014-03-01 08:10,104.0820,30.6578,男,45,机动车车祸,公路/街道,驾乘交通工具,非故意,骨折,下肢,中度,住院
N02,2014-03-02 09:20,104.0830,30.6570,女,30,非机动车车祸,公路/街道,步行,非故意,挫伤、擦伤,上肢,轻度,处理后离院
N03,2014-03-03 10:30,104.0840,30.6560,男,81,跌倒/坠落,家中,家务,非故意,骨折,躯干,重度,死亡
N04,2014-03-04 11:40,104.0850,30.6550,男,27,钝器伤,贸易和服务场所,休闲活动,故意/他人加害,脑震荡、脑挫裂伤,头部,中度,留观
N05,2014-03-05 12:50,104.0860,30.6540,男,33,火器伤,公共居住场所,其他,故意/他人加害,锐器伤、咬伤、开放伤,躯干,重度,转院
N06,2014-03-06 13:00,104.0870,30.6530,女,19,刀/锐器伤,家中,生命活动,自残/自杀,锐器伤、咬伤、开放伤,上肢,轻度,处理后离院
N07,2014-03-07 14:10,104.0880,30.6520,女,2,烧烫伤,家中,休闲活动,非故意,烧烫伤,多部位,中度,住院
N08,2014-03-08 15:20,104.0890,30.6510,男,50,窒息/悬吊,家中,其他,自残/自杀,器官系统损伤,全身广泛受伤,重度,死亡
N09,2014-03-09 16:30,104.0900,30.6500,男,12,溺水,其他,体育活动,非故意,其他,全身广泛受伤,重度,住院
N10,2014-03-10 17:40,104.0910,30.6490,女,40,中毒,家中,家务,不清楚,器官系统损伤,全身广泛受伤,中度,留观
N11,2014-03-11 18:50,104.0920,30.6480,女,9,动物伤,学校与公共场所,学习,非故意,锐器伤、咬伤、开放伤,下肢,轻度,处理后离院
N12,2014-03-12 19:00,104.0930,30.6470,女,24,性侵犯,体育和运动场所,其他,故意/他人加害,其他,多部位,轻度,其他
N13,2014-03-13 20:10,104.0940,30.6460,男,38,其他,工业和建筑场所,工作,非故意,扭伤/拉伤,上肢,轻度,处理后离院
N14,2014-03-14 21:20,104.0950,30.6450,男,61,不清楚,农场/农田,工作,不清楚,不清楚,不清楚,轻度,处理后离院
CSV
iconv -f UTF-8 -t GB18030 "$tmp/niss.u8" > "$tmp/niss.csv"
rm -f "$tmp/niss.sqlite"
"$HAZMAP" import-areas --db "$tmp/niss.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
out=$("$HAZMAP" import-incidents --db "$tmp/niss.sqlite" "$tmp/niss.csv" --format niss --srs gcj02 2>&1)
got=$(sqlite3 "$tmp/niss.sqlite" "SELECT source_id, mechanism, intent, severity, place, sex, activity, nature, body_part, outcome FROM incidents ORDER BY source_id")
want_niss='N01|traffic_other|unintentional|serious|road|male|travel|fracture|lower_limb|hospitalised
N02|other_transport|unintentional|minor|road|female|walking|bruise|upper_limb|discharged
N03|fall|unintentional|fatal|home|male|housework|fracture|trunk|died
N04|struck|assault|serious|public|male|leisure|concussion|head|observation
N05|firearm|assault|serious|home|male|other|open_wound|trunk|transferred
N06|cut_pierce|self_harm|minor|home|female|vital|open_wound|upper_limb|discharged
N07|fire_flame|unintentional|serious|home|female|leisure|burn|multiple|hospitalised
N08|suffocation|self_harm|fatal|home|male|other|organ|systemic|died
N09|drowning|unintentional|serious|other|male|sport|other|systemic|hospitalised
N10|poisoning|undetermined|serious|home|female|housework|organ|systemic|observation
N11|bites_stings|unintentional|minor|school|female|education|open_wound|lower_limb|discharged
N12|other|assault|minor|public|female|other|other|multiple|other
N13|other|unintentional|minor|workplace|male|work|sprain|upper_limb|discharged
N14|unspecified|undetermined|minor|workplace|male|work|||discharged'
check "NISS card (--format niss, GB18030): 14 rows, every code list as documented" \
  '[[ $out == *"loaded 14"* && $out == *"rejected 0"* && "$got" == "$want_niss" ]] || { echo "$out"; echo "$got"; false; }'
out=$("$HAZMAP" import-incidents --db "$tmp/niss.sqlite" "$tmp/niss.csv" --format niss --srs gcj02 2>&1)
check "NISS card re-imported: nothing changes" '[[ $out == *"loaded 0, replaced 0, unchanged 14"* ]] || { echo "$out"; false; }'
printf '编号,经度,纬度,伤害发生原因\nQ1,104.08,30.65,跌倒/坠落\n' > "$tmp/notcard.csv"
out=$("$HAZMAP" import-incidents --db "$tmp/niss.sqlite" "$tmp/notcard.csv" --format niss 2>&1); rc=$?
check "--format niss without the card's 是否故意 column: exit 1 naming it" '[[ $rc == 1 && $out == *"是否故意"* ]] || { echo "$out"; false; }'
# A hospital's ICD-10-coded export (--icd10 COLUMN), codes with and without the dot; the bad
# codes are rejected with their line and reason while the others load.
cat > "$tmp/icd.csv" <<'CSV'
id,occurred_at,lon,lat,sex,age,place,severity,ecode
H1,2014-04-01 08:00,104.0820,30.6578,male,30,road,serious,V43.5
H2,2014-04-02 09:00,104.0830,30.6570,female,80,home,serious,W19
H3,2014-04-03 10:00,104.0840,30.6560,male,22,public,minor,Y04.0
H4,2014-04-04 11:00,104.0850,30.6550,female,35,home,fatal,X700
H5,2014-04-05 12:00,104.0860,30.6540,male,6,road,minor,V03.1
H6,2014-04-06 13:00,104.0870,30.6530,male,44,workplace,serious,W31
H7,2014-04-07 14:00,104.0880,30.6520,female,3,home,minor,X12
H8,2014-04-08 15:00,104.0890,30.6510,male,50,other,minor,Y45
H9,2014-04-09 16:00,104.0900,30.6500,male,51,other,minor,W1
H10,2014-04-10 17:00,104.0910,30.6490,male,29,road,minor,Y35.3
CSV
rm -f "$tmp/icd.sqlite"
"$HAZMAP" import-areas --db "$tmp/icd.sqlite" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
out=$("$HAZMAP" import-incidents --db "$tmp/icd.sqlite" "$tmp/icd.csv" --icd10 ecode --srs gcj02 2>&1)
got=$(sqlite3 "$tmp/icd.sqlite" "SELECT source_id, mechanism, intent, severity, place, sex FROM incidents ORDER BY t")
want_icd='H1|traffic_occupant|unintentional|serious|road|male
H2|fall|unintentional|serious|home|female
H3|struck|assault|minor|public|male
H4|suffocation|self_harm|fatal|home|female
H5|traffic_pedestrian|unintentional|minor|road|male
H6|machinery|unintentional|serious|workplace|male
H7|hot_substance|unintentional|minor|home|female
H10|struck|legal_war|minor|road|male'
rej=$(sqlite3 "$tmp/icd.sqlite" "SELECT line || ': ' || reason FROM import_rejects ORDER BY line")
check "ICD-10-coded CSV (--icd10 ecode): 8 rows mapped by the injury matrix" \
  '[[ $out == *"loaded 8"* && $out == *"rejected 2"* && "$got" == "$want_icd" ]] || { echo "$out"; echo "$got"; false; }'
check "bad ICD-10 codes rejected with line and reason" \
  '[[ $rej == *"9: ICD-10 code '"'"'Y45'"'"'"*"medical"* && $rej == *"10: ICD-10 code '"'"'W1'"'"'"*"malformed"* ]] || { echo "$rej"; false; }'
out=$("$HAZMAP" import-incidents --db "$tmp/icd.sqlite" "$tmp/icd.csv" --icd10 ecode --srs gcj02 2>&1)
check "ICD-10 CSV re-imported: nothing changes" '[[ $out == *"loaded 0, replaced 0, unchanged 8"* ]] || { echo "$out"; false; }'
out=$("$HAZMAP" import-incidents --db "$tmp/icd.sqlite" "$tmp/icd.csv" --icd10 nope 2>&1); rc=$?
check "--icd10 naming no column: exit 1 naming it" '[[ $rc == 1 && $out == *"--icd10 column '"'"'nope'"'"'"* ]] || { echo "$out"; false; }'
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
