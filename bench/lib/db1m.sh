# db1m.sh - sourced by the bench scripts that need the same 1,000,000-incident store
# (bench/server.sh, bench/snapshot.sh). Not a benchmark itself: bench/run.sh runs bench/*.sh only.
#
#   bench_db_1m HAZMAP DIR    prints DIR/server-1m.sqlite, building it first when absent
#
# The 55,000 synthetic sample incidents (data/) replicated with +-50 m jitter and new ids: the
# same clustering at 18 times the density, over the Jinjiang district and its sub-districts.
# Coordinates stay GCJ-02, as the importer expects. Run from the repository root.
bench_db_1m() {
  local hazmap=$1 dir=$2
  local db=$dir/server-1m.sqlite
  mkdir -p "$dir"
  if [ ! -s "$db" ]; then
    echo "building the 1,000,000-incident database $db (once)" >&2
    python3 - data/incidents_2012_2014.csv "$dir/incidents-1m.csv" <<'PY'
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
    rm -f "$db.tmp"
    local fields=(--code-field code --name-field name --name-en-field name_en --population-field population)
    "$hazmap" import-areas --db "$db.tmp" data/jinjiang_district.geojson "${fields[@]}" --level district > /dev/null
    "$hazmap" import-areas --db "$db.tmp" data/jinjiang_subdistricts.geojson "${fields[@]}" \
      --level subdistrict --parent 510104 > /dev/null
    "$hazmap" import-incidents --db "$db.tmp" "$dir/incidents-1m.csv" --srs gcj02 > /dev/null 2>&1
    mv "$db.tmp" "$db"
    rm -f "$dir/incidents-1m.csv"
  fi
  echo "$db"
}
