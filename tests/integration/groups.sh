#!/usr/bin/env bash
# groups.sh - the page's working groups select the same incidents of the sample under the
# mechanism x intent model (issue 11) as the old one's filters did.
#
# Before: the old filters (mechanism=traffic, fire_burn, violence, drowning/animal/electric/
# poisoning, place, age, disability) counted straight from data/incidents_2012_2014.csv by an
# independent python count. After: the page's groups, which it reads from /api/config's "groups"
# (the one table of geo/wgroups.c; read here from a running `hazmap serve`), sent
# through `hazmap stats` to the sample as today's importer reads it (old words as vocab.h says); the district row's
# count must equal the CSV's. The old filter words, kept as aliases, must give the same counts too.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
tmp=$(mktemp -d /tmp/hazmap-groups-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

NO_PUBLISH=1 tools/load-sample.sh "$HAZMAP" "$tmp/s.sqlite" > "$tmp/load.log" 2>&1 ||
  { cat "$tmp/load.log"; echo "FAIL sample"; exit 1; }

# the old model's selections, from the CSV
python3 - data/incidents_2012_2014.csv > "$tmp/before" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
old = {
    "traffic": lambda r: r["mechanism"] == "traffic",
    "fire": lambda r: r["mechanism"] == "fire_burn",
    "workplace": lambda r: r["place"] == "workplace",
    "home": lambda r: r["place"] == "home",
    "elderly": lambda r: r["age"] != "" and int(r["age"]) >= 65,
    "disabled": lambda r: r["disability"] == "1",
    "school": lambda r: r["place"] == "school",
    "environment": lambda r: r["mechanism"] in ("drowning", "animal", "electric", "poisoning"),
    "public": lambda r: r["place"] == "public",
    "order": lambda r: r["mechanism"] == "violence",
}
for g, f in old.items():
    print(g, sum(1 for r in rows if f(r)))
PY
# the page's groups: /api/config's working groups, name and filter as command-line options
hz_serve "$tmp/serve.out" "$tmp/serve.out" --db "$tmp/s.sqlite" || { echo "FAIL hazmap serve did not start"; exit 1; }
PID=$HZ_PID
trap 'kill "$PID" 2>/dev/null; rm -rf "$tmp"' EXIT
curl -sf "$BASE/api/config" > "$tmp/config.json" || { echo "FAIL reading /api/config"; exit 1; }
python3 - "$tmp/config.json" > "$tmp/groups" <<'PY' || { echo "FAIL parsing /api/config's groups"; exit 1; }
import json, sys, urllib.parse
for g in json.load(open(sys.argv[1]))["groups"]:
    if g["working"]:
        print(g["key"], " ".join(f"--{k} {v}" for k, v in urllib.parse.parse_qsl(g["filter"])))
PY
check "the page has the ten working groups" '[[ $(wc -l < "$tmp/groups") == 10 ]]'

count() { # options... -> the district's count
  "$HAZMAP" stats --db "$tmp/s.sqlite" --area 510104 "$@" 2> /dev/null | awk -F, 'NR == 2 { print $6 }'
}
while read -r g opts; do
  want=$(awk -v g="$g" '$1 == g { print $2 }' "$tmp/before")
  # shellcheck disable=SC2086
  got=$(count $opts)
  check "working group $g ($opts): $got incidents, the old filter's $want" '[[ -n $want && $got == "$want" ]]'
done < "$tmp/groups"
# the old words as filter aliases select the same incidents as before
while read -r g want; do
  case $g in
    traffic) opts="--mechanism traffic" ;;
    fire) opts="--mechanism fire_burn" ;;
    environment) opts="--mechanism drowning,animal,electric,poisoning" ;;
    order) opts="--mechanism violence" ;;
    *) continue ;;
  esac
  # shellcheck disable=SC2086
  got=$(count $opts)
  check "old filter $opts: $got incidents, as before ($want)" '[[ $got == "$want" ]]'
done < "$tmp/before"
exit $fail
