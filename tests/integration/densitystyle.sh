#!/usr/bin/env bash
# densitystyle.sh - the density GeoTIFF's colours (issue 15: QGIS drew it grey; densitystyle.h):
#  1. `hazmap density -o x.tif` writes x.qml beside it; gdalinfo shows the band's colour
#     interpretation (Gray) and the legend on the band; the QML parses (Python's xml) and its
#     items are the legend's breaks and colours;
#  2. the breaks follow the legend's rule (colorramp.h), recomputed here in Python from the
#     GeoTIFF's own cells (nearest-rank 99.5th percentile, nice numbers, <= 1 % in the top
#     class, 1-2-5 series below), and the colours are the map legend's (/tiles/density/legend.json);
#  3. /api/density.tif?f=zip (planners and the public): application/zip; unzip lists the
#     GeoTIFF, its QML and the legend JSON, which agree with each other and with the band;
#  4. where PyQGIS is installed: QGIS opens x.tif and draws it with x.qml by itself
#     (singleband pseudocolor, 10 discrete items), not grey.
set -uo pipefail
cd "$(dirname "$0")/../.."
HAZMAP=${HAZMAP:-build/hazmap}
. tests/integration/lib/serve.sh
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
for c in gdalinfo gdal_translate unzip; do
  command -v $c > /dev/null || { echo "FAIL - $c is not installed"; exit 1; }
done
TMP=$(mktemp -d "/tmp/hazmap-densitystyle-$$-XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
tools/load-sample.sh "$HAZMAP" "$TMP/s.sqlite" > "$TMP/load.log" 2>&1 || { cat "$TMP/load.log"; echo "FAIL - sample database"; exit 1; }

# check.py TIF QML [LEGEND.json]: the band's interpretation and legend, the QML against it, the
# breaks against the rule recomputed from the cells, the colours against LEGEND.json (the map's)
cat > "$TMP/check.py" <<'PY'
import array, json, math, os, subprocess, sys, xml.etree.ElementTree as ET
tif, qml = sys.argv[1], sys.argv[2]
info = json.loads(subprocess.check_output(["gdalinfo", "-json", tif]))
band = info["bands"][0]
assert band["colorInterpretation"] == "Gray", band["colorInterpretation"]
md = band["metadata"][""]
leg = json.loads(md["LEGEND"])
br, co = leg["breaks"], leg["colors"]
assert [float(x) for x in md["LEGEND_BREAKS"].split(",")] == br and md["LEGEND_COLORS"].split(",") == co
assert md["STYLE"] == os.path.basename(qml), md["STYLE"]
# the QML: a discrete pseudocolor ramp, transparent below the first break, class k up to break k+1
root = ET.parse(qml).getroot()
r = root.find("pipe/rasterrenderer")
assert r.get("type") == "singlebandpseudocolor" and r.get("band") == "1"
sh = r.find("rastershader/colorrampshader")
assert sh.get("colorRampType") == "DISCRETE"
items = sh.findall("item")
assert len(items) == len(br) + 1, len(items)
assert float(items[0].get("value")) == br[0] and items[0].get("alpha") == "0"
for k, it in enumerate(items[1:]):
    want_v = br[k + 1] if k + 1 < len(br) else math.inf
    assert float(it.get("value")) == want_v, (k, it.get("value"), want_v)
    assert it.get("color") + "%02x" % int(it.get("alpha")) == co[k], (k, it.attrib, co[k])
# the rule, from the cells (Float32 raw, via GDAL's ENVI writer)
raw = tif + ".f32"
subprocess.check_call(["gdal_translate", "-q", "-of", "ENVI", "-ot", "Float32", tif, raw])
cells = array.array("f")
with open(raw, "rb") as f:
    cells.frombytes(f.read())
nd = band.get("noDataValue", -9999)
v = sorted(x for x in cells if x > 0 and x != nd and math.isfinite(x))
assert v, "no non-zero cell"
p = v[math.ceil(0.995 * len(v)) - 1]
nice = lambda k: [1, 1.5, 2, 3, 4, 5, 6, 8][k % 8] * 10.0 ** (k // 8)
k = 8 * math.floor(math.log10(p)) - 8
while nice(k + 1) <= p * (1 + 1e-12):
    k += 1
share = lambda t: sum(1 for x in v if x >= t) / len(v)
while share(nice(k)) > 0.01:
    k += 1
top = nice(k)
series = lambda j: [1, 2, 5][j % 3] * 10.0 ** (j // 3)
j = 3 * math.floor(math.log10(top)) + 3
while series(j) > top / 1.5 * (1 + 1e-12):
    j -= 1
want = [series(j - 7 + i) for i in range(8)] + [top]
assert all(abs(a - b) <= 1e-9 * b for a, b in zip(br, want)), (br, want)
if len(sys.argv) > 3:  # the map's legend: the same ramp and unit
    m = json.load(open(sys.argv[3]))
    assert m["colors"] == co and m["unit"] == leg["unit"] and m["ramp"] == leg["ramp"], (m, leg)
print(f"breaks {br[0]:g}..{br[-1]:g} from {len(v)} non-zero cells (99.5th percentile {p:.4g}), "
      f"{len(items)} QML items")
PY

# ---- 1, 2. the CLI
if "$HAZMAP" density --db "$TMP/s.sqlite" -o "$TMP/d.tif" > "$TMP/prov.json" 2> "$TMP/d.err"; then
  [ -f "$TMP/d.qml" ] && ok "hazmap density -o d.tif wrote d.qml beside it" || bad "no d.qml beside d.tif"
  gdalinfo "$TMP/d.tif" > "$TMP/d.info" 2>&1
  grep -q 'ColorInterp=Gray' "$TMP/d.info" && ok "gdalinfo: Band 1 ... ColorInterp=Gray" || bad "gdalinfo shows no ColorInterp=Gray"
  if out=$(python3 "$TMP/check.py" "$TMP/d.tif" "$TMP/d.qml" 2>&1); then
    ok "CLI: band legend, QML and the rule agree ($out)"
  else
    bad "CLI: $(echo "$out" | tail -2)"
  fi
else
  bad "hazmap density: $(tail -2 "$TMP/d.err")"
fi

# ---- 3. the server: f=zip for a planner and for the public
TOKEN=$("$HAZMAP" token create --db "$TMP/s.sqlite" --role planner | tail -1 | tr -d '[:space:]')
hz_serve "$TMP/serve.log" "$TMP/serve.log" --db "$TMP/s.sqlite" || { echo "FAIL - hazmap serve did not start"; exit 1; }
PID=$HZ_PID
B=$BASE
curl -fsS -H "Authorization: Bearer $TOKEN" -o "$TMP/maplegend.json" "$B/tiles/density/legend.json" || bad "GET /tiles/density/legend.json"
for who in planner public; do
  A=()
  [ $who = planner ] && A=(-H "Authorization: Bearer $TOKEN")
  mkdir -p "$TMP/$who"
  hdr=$(curl -fsS ${A[@]+"${A[@]}"} -D - -o "$TMP/$who/d.zip" "$B/api/density.tif?f=zip" | tr -d '\r')
  if ! echo "$hdr" | grep -qi '^content-type: application/zip'; then
    bad "$who f=zip: $(echo "$hdr" | grep -i '^content-type')"
    continue
  fi
  echo "$hdr" | grep -qi '^content-disposition: attachment; filename="hazmap-density.zip"' || bad "$who f=zip: no attachment name"
  list=$(unzip -Z1 "$TMP/$who/d.zip" | sort | paste -sd' ')
  if [ "$list" = "hazmap-density.legend.json hazmap-density.qml hazmap-density.tif" ]; then
    ok "$who f=zip: unzip lists $list"
  else
    bad "$who f=zip lists '$list'"
    continue
  fi
  (cd "$TMP/$who" && unzip -q d.zip)
  if out=$(python3 "$TMP/check.py" "$TMP/$who/hazmap-density.tif" "$TMP/$who/hazmap-density.qml" "$TMP/maplegend.json" 2>&1) &&
    python3 -c "
import json, subprocess, sys
z = json.load(open('$TMP/$who/hazmap-density.legend.json'))
b = json.loads(json.loads(subprocess.check_output(['gdalinfo', '-json', '$TMP/$who/hazmap-density.tif']))['bands'][0]['metadata']['']['LEGEND'])
assert z == b, (z, b)"; then
    ok "$who f=zip: the legend JSON, the band's legend, the QML and the rule agree; colours are the map legend's ($out)"
  else
    bad "$who f=zip: $(echo "$out" | tail -2)"
  fi
done
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$B/api/density.tif?f=png")
[ "$s" = 400 ] && ok "f=png is a 400" || bad "f=png answered $s"
gdalinfo "$TMP/planner/hazmap-density.tif" > "$TMP/p.info" 2>&1
grep -q 'ColorInterp=Gray' "$TMP/p.info" && ok "the served GeoTIFF: ColorInterp=Gray" || bad "the served GeoTIFF has no ColorInterp=Gray"

# ---- 4. QGIS draws the CLI's GeoTIFF with its sidecar by itself
PY=/usr/bin/python3
if QT_QPA_PLATFORM=offscreen "$PY" -c 'import qgis.core' > /dev/null 2>&1 && [ -f "$TMP/d.tif" ]; then
  mkdir -p "$TMP/home" "$TMP/run"
  chmod 700 "$TMP/run"
  if out=$(HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/run" QT_QPA_PLATFORM=offscreen "$PY" - "$TMP/d.tif" <<'PY' 2> "$TMP/qgis.err"
import sys
import os
from qgis.core import QgsApplication, QgsRasterLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
layer = QgsRasterLayer(sys.argv[1], "density")
assert layer.isValid(), "the GeoTIFF does not open"
r = layer.renderer()
assert r.type() == "singlebandpseudocolor", r.type()
items = r.shader().rasterShaderFunction().colorRampItemList()
assert len(items) == 10, len(items)
print(f"{r.type()}, {len(items)} items, top colour {items[-1].color.name()}")
sys.stdout.flush()
os._exit(0)  # as qgis.sh: exitQgis() of a headless 3.22 may crash on the way out
PY
  ); then
    ok "QGIS opens d.tif with d.qml by itself: $out"
  else
    bad "QGIS: ${out:-} $(grep -v '^\(salt\|hash\|cipheriv\) hex' "$TMP/qgis.err" | tail -3)"
  fi
else
  echo "SKIP QGIS drawing: PyQGIS is not installed (python3-qgis, tools/deps.sh)"
fi

echo "densitystyle.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
