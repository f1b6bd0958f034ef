#!/usr/bin/env bash
# gisclients.sh - GIS clients read the collections as they would in the field (issue 15), with
# GDAL's own OGC API - Features driver (OAPIF) against a live `hazmap serve` on the sample:
#  1. a full ogr2ogr copy of the planners' hot spots at GDAL's default page size (10 in GDAL 3.6:
#     thousands of pages) costs one computation (/metrics: hazmap_analysis_computations_total);
#  2. GeoPackage and Shapefile copies of the collections keep every field and every value;
#  3. f=csv and f=gpkg downloads of the items (BOM, attachment name, every feature, readable by OGR).
# Env: HAZMAP (binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
command -v ogr2ogr > /dev/null || { echo "FAIL - ogr2ogr is not installed (gdal-bin)"; exit 1; }
TMP=$(mktemp -d "/tmp/hazmap-gisclients-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }

tools/load-sample.sh "$HAZMAP" "$TMP/sample.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$TMP/sample.sqlite" --role planner | tail -1 | tr -d '[:space:]')
for _ in 1 2 3; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  "$HAZMAP" serve --db "$TMP/sample.sqlite" --bind 127.0.0.1 --port "$PORT" > "$TMP/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break 2
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=
done
[ -n "$PID" ] || { tail -20 "$TMP/server.log"; echo "FAIL - hazmap serve did not start"; exit 1; }
B=http://127.0.0.1:$PORT
AUTH=(--config GDAL_HTTP_HEADERS "Authorization: Bearer $TOKEN")
computations() { curl -fsS "$B/metrics" | sed -n "s/^hazmap_analysis_computations_total{analysis=\"$1\"} //p"; }

# ---- 1. one computation for a whole copy at GDAL's default page size
t0=$(date +%s.%N)
if ogr2ogr -f GPKG "$TMP/hotspots.gpkg" "OAPIF:$B/collections/hotspots" "${AUTH[@]}" 2> "$TMP/ogr.err"; then
  secs=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
  pages=$(grep -c 'GET /collections/hotspots/items' "$TMP/server.log")
  n=$(ogrinfo -ro -so "$TMP/hotspots.gpkg" hotspots | sed -n 's/^Feature Count: //p')
  matched=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/hotspots/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
  c=$(computations hotspots)
  if [ "$n" = "$matched" ] && [ "$c" = 1 ] && [ "$pages" -gt 100 ]; then
    ok "ogr2ogr copied all $n hot-spot cells in $pages pages ($secs s) with 1 computation"
  else
    bad "ogr2ogr hot spots: $n of $matched cells, $pages pages, computations '$c' (want 1)"
  fi
else
  bad "ogr2ogr of the hot spots failed: $(tail -3 "$TMP/ogr.err")"
fi

# ---- 2. GeoPackage and Shapefile copies keep every field and value of every collection
# compare.py SERVER.json COPY.json FORMAT: the copy has every feature and, for every property the
# server sends as a number, string or boolean (the flat columns), a field with the same value:
# same name (in a Shapefile cut to dBASE's 10 characters; written as UTF-8), no list-typed field
# among them. The server's page is its first 10,000 features (the copy has them all, in order).
# dBASE has dates but no date-times: the incidents' occurred_at goes to a Shapefile as text
# (-mapFieldType DateTime=String, as README.md tells QGIS and GDAL users), else its time is lost.
cat > "$TMP/compare.py" <<'PY'
import json, sys
src, cp, fmt = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
a, b = src["features"], cp["features"]
assert len(b) == src["numberMatched"], f"{len(b)} features of {src['numberMatched']}"
bad = []
for fa, fb in zip(a, b):
    pa, pb = fa["properties"], fb["properties"]
    for k, v in pa.items():
        if isinstance(v, (dict, list)):
            continue  # nested (the page's charts): JSON text or lists in a copy
        kb = k if fmt == "GPKG" or k in pb else k[:10]
        if kb is None or kb not in pb:
            bad.append(f"field {k} missing"); continue
        w = pb[kb]
        if isinstance(w, list):
            bad.append(f"field {k} is a list"); continue
        if isinstance(v, bool):
            ok = w in (v, int(v), "T" if v else "F")
        elif isinstance(v, (int, float)) and v is not None:
            ok = isinstance(w, (int, float)) and abs(w - v) <= 1e-9 * max(1, abs(v))
        elif v is None:
            ok = w in (None, "", 0) if fmt != "GPKG" else w is None
        else:
            ok = w == v and (fmt == "GPKG" or len(v.encode()) <= 254)
        if not ok:
            bad.append(f"feature {fa.get('id')} {k}: {v!r} became {w!r}")
    if len(bad) > 5:
        break
assert not bad, "; ".join(bad[:5])
print(len(a))
PY
for coll in areas incidents blackspots blackspot_hulls emerging; do
  curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?limit=10000" > "$TMP/$coll.json" || { bad "GET $coll items"; continue; }
  for fmt in GPKG "ESRI Shapefile"; do
    ext=gpkg; [ "$fmt" = GPKG ] || ext=shp
    rm -rf "$TMP/copy.$ext" "$TMP/copy.json"
    if ogr2ogr -f "$fmt" "$TMP/copy.$ext" "OAPIF:$B/collections/$coll" -oo PAGE_SIZE=10000 -nln "$coll" "${AUTH[@]}" $([ "$ext" = shp ] && echo -lco ENCODING=UTF-8 -mapFieldType DateTime=String) 2> "$TMP/copy.err" &&
      ogr2ogr -f GeoJSON "$TMP/copy.json" "$TMP/copy.$ext" 2>> "$TMP/copy.err" &&
      out=$(python3 "$TMP/compare.py" "$TMP/$coll.json" "$TMP/copy.json" "$fmt" 2>&1); then
      ok "$coll -> $fmt: $out features, every flat field and value kept"
    else
      bad "$coll -> $fmt: ${out:-$(tail -3 "$TMP/copy.err")}"
    fi
    out=
  done
done

# ---- 3. downloads: f=csv (BOM, attachment) and f=gpkg of every collection's items
for coll in areas hotspots blackspots blackspot_hulls emerging incidents; do
  for f in csv gpkg; do
    rm -f "$TMP/dl.$f"
    hdr=$(curl -fsS -D - -o "$TMP/dl.$f" -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?f=$f&limit=100000" | tr -d '\r')
    n=$(ogrinfo -ro -so -al "$TMP/dl.$f" 2>/dev/null | sed -n 's/^Feature Count: //p' | head -1)
    want=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$B/collections/$coll/items?limit=1" | python3 -c 'import json,sys; print(min(100000, json.load(sys.stdin)["numberMatched"]))')
    bom=1
    [ "$f" = csv ] && { [ "$(head -c 3 "$TMP/dl.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] || bom=0; }
    if echo "$hdr" | grep -qi "^content-disposition: attachment; filename=\"hazmap-$coll.$f\"" && [ "$n" = "$want" ] && [ $bom = 1 ]; then
      ok "$coll f=$f: $n features, attachment hazmap-$coll.$f$([ "$f" = csv ] && echo ', UTF-8 BOM')"
    else
      bad "$coll f=$f: $n features of $want, BOM $bom, headers: $(echo "$hdr" | grep -i 'content-')"
    fi
  done
done

echo "gisclients.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
