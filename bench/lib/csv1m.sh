#!/usr/bin/env bash
# csv1m.sh - the 1,000,000-incident CSV the server and store benchmarks import: the 55,000
# synthetic sample incidents (data/) replicated with +-50 m jitter (fixed seed) and new ids, the
# same clustering at 18 times the density; coordinates stay GCJ-02, as the importer expects.
# Written once to build/bench/incidents-1m.csv (reused when present); prints its path.
#
#   bench/lib/csv1m.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/bench
CSV=$B/incidents-1m.csv
mkdir -p "$B"
if [ ! -s "$CSV" ]; then
  python3 - data/incidents_2012_2014.csv "$CSV.tmp" <<'PY'
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
  mv "$CSV.tmp" "$CSV"
fi
echo "$CSV"
