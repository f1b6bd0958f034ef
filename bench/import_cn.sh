#!/usr/bin/env bash
# import_cn.sh - benchmark (issue 11, item 7): what encoding detection and the surveillance fields
# cost the 1M-row import. The same N rows imported side by side, alternately:
#   A. plain UTF-8 CSV with the minimal columns of bench/import.sh (id, occurred_at, lon, lat,
#      mechanism, severity, age, sex);
#   B. the same rows as GB18030 (detected, then decoded to UTF-8) with Chinese headers (编号,
#      发生时间, 经度, 纬度, 伤害类型, 严重程度, 年龄, 性别) and the new fields: 伤害发生时活动,
#      伤害结局, 伤害性质, 伤害部位 (the NISS card's code lists), an ICD-10 column (--icd10, which
#      sets mechanism and intent) and 街道 (the area field, resolved and compared with the point).
# Target: B's median at most 10 % above A's.
# Usage: bench/import_cn.sh [BUILD_DIR]   (writes bench/results/import_cn.md)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hazmap=$build/hazmap
runs=${RUNS:-5}
n=${ROWS:-1000000}
work=$build/bench-import-cn
out=bench/results/import_cn.md
mkdir -p "$work" bench/results
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
command -v iconv >/dev/null || { echo "iconv is needed (libc-bin)" >&2; exit 1; }
[ -x "$hazmap" ] || { echo "build $hazmap first (make)" >&2; exit 1; }

# The rows of both files from one awk run (fixed seed): a.csv in the minimal columns, b.txt the
# same rows with the Chinese columns, UTF-8 (converted to GB18030 below).
gen() {
  awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { srand(20140101);
    split("traffic fall fire_burn violence other", m, " "); split("交通 跌倒 烧烫伤 暴力 其他", mz, " ");
    split("V43.5 W19 X00 Y04 W45", icd, " ");
    split("minor serious fatal", s, " "); split("轻度 中度 重度", sz, " ");
    split("工作 家务 休闲活动 步行 驾乘交通工具", act, " ");
    split("处理后离院 留观 住院 转院", oc, " "); split("骨折 挫伤、擦伤 锐器伤、咬伤、开放伤 脑震荡、脑挫裂伤", nat, " ");
    split("头部 上肢 下肢 躯干 多部位", bp, " "); split("春熙路 牛市口街道 水井坊 510104008 沙河", st, " ");
    print "id,occurred_at,lon,lat,mechanism,severity,age,sex" > a;
    print "编号,发生时间,经度,纬度,伤害类型,严重程度,年龄,性别,伤害发生时活动,伤害结局,伤害性质,伤害部位,ICD10,街道" > b;
    for (i = 1; i <= n; i++) {
      t = sprintf("2013-%02d-%02d %02d:%02d:00", 1 + int(rand() * 12), 1 + int(rand() * 28),
                  int(rand() * 24), int(rand() * 60));
      lon = sprintf("%.6f", 104.07 + rand() * 0.13); lat = sprintf("%.6f", 30.56 + rand() * 0.11);
      k = 1 + int(rand() * 5); v = 1 + int(rand() * 3); age = 1 + int(rand() * 90); male = rand() < 0.5;
      printf "%d,%s,%s,%s,%s,%s,%d,%s\n", i, t, lon, lat, m[k], s[v], age, male ? "M" : "F" > a;
      printf "%d,%s,%s,%s,%s,%s,%d,%s,%s,%s,\"%s\",%s,%s,%s\n", i, t, lon, lat, mz[k], sz[v], age,
        male ? "男" : "女", act[1 + i % 5], oc[1 + i % 4], nat[1 + i % 4], bp[1 + i % 5], icd[k],
        st[1 + i % 5] > b } }'
}
a=$work/a_$n.csv b=$work/b_$n.csv
if [ ! -s "$a" ] || [ ! -s "$b" ]; then
  gen "$n" "$a" "$work/b.txt"
  iconv -f UTF-8 -t GB18030 "$work/b.txt" > "$b"
  rm -f "$work/b.txt"
fi

# The store of bench/import.sh: the Jinjiang outline, copied before every run.
rm -f "$work/areas.sqlite"
"$hazmap" import-areas --db "$work/areas.sqlite" tests/data/chengdu-datav-geojson/510104.json \
  --srs gcj02 >/dev/null

measure() {
  sync
  /usr/bin/time -v "$@" >"$work/out.txt" 2>"$work/time.txt" || { cat "$work/time.txt" >&2; return 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                 for (i = 1; i <= n; i++) s = s * 60 + p[i]; t = s }
              /User time/ { u = $2 } /System time/ { y = $2 }
              END { printf "%.3f %.2f\n", t, u + y }' "$work/time.txt"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

ta=(); tb=(); ca=(); cb=(); runlog=""
for r in $(seq "$runs"); do
  rm -f "$work/db.sqlite"*; cp "$work/areas.sqlite" "$work/db.sqlite"
  read -r t c < <(measure "$hazmap" import-incidents --db "$work/db.sqlite" "$a")
  got_a=$(sqlite3 "$work/db.sqlite" "SELECT count(*) FROM incidents")
  ta+=("$t"); ca+=("$c")
  rm -f "$work/db.sqlite"*; cp "$work/areas.sqlite" "$work/db.sqlite"
  read -r t c < <(measure "$hazmap" import-incidents --db "$work/db.sqlite" "$b" --icd10 ICD10)
  got_b=$(sqlite3 "$work/db.sqlite" "SELECT count(*) FROM incidents WHERE activity IS NOT NULL AND
    outcome IS NOT NULL AND nature IS NOT NULL AND body_part IS NOT NULL AND intent IS NOT NULL")
  tb+=("$t"); cb+=("$c")
  if [ "$got_a" != "$n" ] || [ "$got_b" != "$n" ]; then
    echo "import_cn: expected $n rows each, got $got_a (A) and $got_b with every new field (B)" >&2
    cat "$work/out.txt" >&2
    exit 1
  fi
  echo "  run $r: A ${ta[-1]} s (CPU ${ca[-1]} s), B ${tb[-1]} s (CPU ${cb[-1]} s)" >&2
  runlog+="A ${ta[-1]} s / B ${tb[-1]} s; "
done
rm -f "$work/db.sqlite"*
ma=$(printf '%s\n' "${ta[@]}" | median); mb=$(printf '%s\n' "${tb[@]}" | median)
mca=$(printf '%s\n' "${ca[@]}" | median); mcb=$(printf '%s\n' "${cb[@]}" | median)
cratio=$(awk -v a="$mca" -v b="$mcb" 'BEGIN { printf "%.3f", b / a }')
ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }')
pct=$(awk -v r="$ratio" 'BEGIN { printf "%+.1f", (r - 1) * 100 }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "meets" : "MISSES" }')
cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
{
  echo "## Import: encoding detection and the surveillance fields (issue 11)"
  echo
  echo "Command: \`bench/import_cn.sh $build\` ($n rows, $runs runs of each file, alternating)."
  echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}; $(uname -sr). Medians of wall clock and of CPU time"
  echo "(user + system, both threads: less sensitive to a loaded machine); \`sync\` before every run."
  echo
  echo "- A: \`$hazmap import-incidents --db db.sqlite a.csv\`: UTF-8, the columns id, occurred_at, lon,"
  echo "  lat, mechanism, severity, age, sex ($(du -m "$a" | cut -f1) MB)"
  echo "- B: \`$hazmap import-incidents --db db.sqlite b.csv --icd10 ICD10\`: the same rows in GB18030"
  echo "  (detected), Chinese headers, and 伤害发生时活动, 伤害结局, 伤害性质, 伤害部位, ICD10, 街道"
  echo "  ($(du -m "$b" | cut -f1) MB)"
  echo "Both into a store holding the Jinjiang outline (every point gets its area); generated by the script"
  echo "(awk, fixed seed; iconv for GB18030) into \`$work\`."
  echo
  echo "| file | median wall s | rows/s | median CPU s |"
  echo "|---|---:|---:|---:|"
  awk -v n="$n" -v t="$ma" -v c="$mca" 'BEGIN { printf "| A: UTF-8, minimal columns | %.2f | %.0f | %.2f |\n", t, n / t, c }'
  awk -v n="$n" -v t="$mb" -v c="$mcb" 'BEGIN { printf "| B: GB18030, Chinese headers, new fields | %.2f | %.0f | %.2f |\n", t, n / t, c }'
  echo
  echo "B / A = $ratio in wall clock ($pct %), $cratio in CPU time. Target (issue 11): at most +10 % wall"
  echo "clock: **$verdict**. Every run: ${runlog% }"
} > "$out"
echo "| Import 1M rows GB18030 + new fields vs UTF-8 minimal (issue 11) | <= +10 % | $pct % ($mb s vs $ma s) | $verdict |" \
  > bench/results/import_cn.targets
cat "$out"
