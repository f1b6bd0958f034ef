#!/usr/bin/env bash
# html.sh - OGC API - Features 1, Requirements class "HTML" (7.7; conformance class
# http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html) against a live `hazmap serve`
# (issue 15): f=html of the landing page, conformance, collections, a collection, items and an
# item. Each check names its clause. The HTML is read by Python's html.parser, not by our code:
#  - /req/html/definition: a 200 with f=html is text/html;
#  - /req/html/content: the page holds the JSON's information (the features' property values,
#    decoded from the HTML, equal the JSON's) and every link of the JSON as an <a> element;
#  - /req/core/fc-links, /rec/json/...: the JSON links its HTML page (rel alternate, text/html)
#    and the HTML page links its JSON back (rel alternate);
#  - escaping: an incident posted with a hostile description (<script>, quotes, &) comes back as
#    that text, never as markup (no <script> element in any page).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
[ -x "$HAZMAP" ] || { echo "FAIL - $HAZMAP is not built"; exit 1; }
WORK=$(mktemp -d /tmp/hazmap-html-test.$$.XXXX)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
FAILS=0
ok() { echo "ok   $*"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
DB=$WORK/t.sqlite
"$HAZMAP" import-areas --db "$DB" tests/data/chengdu-datav-geojson/510104.json --srs gcj02 > /dev/null
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner | tail -1 | tr -d '[:space:]')
hz_serve "$WORK/serve.log" "$WORK/serve.log" --db "$DB" || { echo "FAIL hazmap serve did not start"; exit 1; }
PID=$HZ_PID
B=$BASE
A=(-H "Authorization: Bearer $TOKEN")

# the hostile incident: markup, both quotes and an ampersand in its description
HOSTILE='<script>alert("x")</script> & <img src=x onerror=alert(1)> '"'"'q'"'"
python3 - "$HOSTILE" > "$WORK/post.json" <<'PY'
import json, sys
p = {"source": "html", "source_id": "h-1", "occurred_at": "2014-06-01T10:00:00", "mechanism": "fall",
     "severity": "minor", "age": 70, "sex": "female", "description": sys.argv[1]}
fs = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.08, 30.65]}, "properties": p}]
for i in range(2, 4):  # two plain ones after it, for the pages' next links
    fs.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.08, 30.65]},
               "properties": dict(p, source_id=f"h-{i}", description="plain")})
print(json.dumps({"type": "FeatureCollection", "features": fs}))
PY
s=$(curl -s -o "$WORK/post.out" -w '%{http_code}' "${A[@]}" -X POST -H 'Content-Type: application/geo+json' \
  --data @"$WORK/post.json" "$B/collections/incidents/items")
[ "$s" = 200 ] || [ "$s" = 201 ] && ok "POST of the hostile incident ($s)" || { bad "POST of the hostile incident: $s $(cat "$WORK/post.out")"; }
ID=$(curl -fsS "${A[@]}" "$B/collections/incidents/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["features"][0]["id"])')

# page.py JSON HTML: reads the HTML page with html.parser (charrefs decoded) and checks it
# against the JSON it was made from; prints a summary, exits non-zero with the reason.
cat > "$WORK/page.py" <<'PY'
import json, sys
from html.parser import HTMLParser
j = json.load(open(sys.argv[1]))
html = open(sys.argv[2], encoding="utf-8").read()
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.links, self.cells, self.cur, self.stack = [], [], [], None, []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag not in ("meta", "br", "img", "input", "link"):
            self.stack.append(tag)
        if tag == "a":
            self.links.append(a)
        if tag in ("td", "th"):
            self.cur = ""
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        if tag in ("td", "th"):
            self.cells.append(self.cur)
            self.cur = None
    def handle_data(self, d):
        if self.cur is not None:
            self.cur += d
p = P()
p.feed(html)
p.close()
assert not p.stack, f"unclosed {p.stack}"
assert "script" not in p.tags and "img" not in p.tags, "markup from the data became elements"
from urllib.parse import urlsplit, parse_qsl
def norm(h):  # a page's links name their own f and (next) limit: compared without them
    u = urlsplit(h)
    return u.path, tuple(sorted((k, v) for k, v in parse_qsl(u.query) if k not in ("f", "limit")))
hrefs = {(norm(l.get("href", "")), l.get("rel")) for l in p.links}
for l in j.get("links", []):  # /req/html/content: every link of the JSON as an <a>
    assert (norm(l["href"]), l["rel"]) in hrefs, f"link {l} missing"
back = [l for l in p.links if l.get("rel") == "alternate" and "json" in (l.get("type") or "")]
assert back, "no alternate link back to the JSON"
cells = set(p.cells)
feats = j["features"] if "features" in j else [j] if j.get("type") == "Feature" else []
n = 0
for f in feats:  # /req/html/content: every property value, as text
    for k, v in f["properties"].items():
        if isinstance(v, str):
            assert v in cells, f"value {v!r} of {k} missing"
            n += 1
        elif isinstance(v, bool) or v is None:
            assert json.dumps(v) in cells, f"{k}={v!r} missing"
            n += 1
        elif isinstance(v, (int, float)):
            assert any(c == str(v) or (c.replace(".", "", 1).lstrip("-").isdigit() and abs(float(c) - v) <= 1e-9 * max(1, abs(v))) for c in cells), f"{k}={v!r} missing"
            n += 1
for c in j.get("collections", []):
    assert c["id"] in cells and c["title"] in cells, f"collection {c['id']}"
print(f"{len(p.links)} links, {n} values, {len(p.cells)} cells")
PY

check_page() { # PATH (without f), AUTH...: the JSON and the HTML of PATH
  local path=$1 sep='?'
  shift
  [[ "$path" == *\?* ]] && sep='&'
  curl -fsS "$@" -o "$WORK/j.json" "$B$path" || { bad "GET $path"; return; }
  local ct
  ct=$(curl -fsS "$@" -D - -o "$WORK/h.html" "$B$path${sep}f=html" | tr -d '\r' | sed -n 's/^Content-Type: //ip')
  # /req/html/definition
  [[ "$ct" == text/html* ]] || { bad "$path?f=html is $ct, not text/html"; return; }
  # the JSON's alternate link to this page (/req/core/fc-links; the landing page's is the map or this)
  if [ "$path" != /conformance ]; then
    python3 -c "
import json,sys; j=json.load(open('$WORK/j.json'))
assert any(l['rel']=='alternate' and l['type']=='text/html' for l in j['links'])" 2> /dev/null ||
      { bad "$path: the JSON has no alternate text/html link"; return; }
  fi
  local out
  if out=$(python3 "$WORK/page.py" "$WORK/j.json" "$WORK/h.html" 2>&1); then
    ok "$path f=html: text/html, the JSON's content and links ($out)"
  else
    bad "$path f=html: $(echo "$out" | tail -1)"
  fi
}
check_page / 
check_page /conformance
grep -q 'ogcapi-features-1/1.0/conf/html' "$WORK/j.json" && ok "/conformance declares conf/html" || bad "/conformance lacks conf/html"
check_page /collections "${A[@]}"
for c in areas incidents hotspots blackspots; do
  check_page "/collections/$c" "${A[@]}"
done
check_page "/collections/areas/items?limit=5" "${A[@]}"
check_page "/collections/areas/items/510104" "${A[@]}"
check_page "/collections/incidents/items?limit=5" "${A[@]}"
check_page "/collections/incidents/items/$ID" "${A[@]}"
check_page "/collections/hotspots/items?limit=5" "${A[@]}"
check_page "/api/blackspots?limit=5&eps=200&min_points=2" "${A[@]}"

# escaping: the hostile description, decoded from the item's HTML, is the text posted; the raw
# page has it escaped (no "<script>" at all)
curl -fsS "${A[@]}" -o "$WORK/h.html" "$B/collections/incidents/items/$ID?f=html"
if ! grep -q '<script' "$WORK/h.html" && grep -qF '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ' "$WORK/h.html" &&
  python3 - "$WORK/h.html" "$HOSTILE" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    cells, cur = [], None
    def handle_starttag(self, t, a):
        if t == "td": self.cur = ""
    def handle_endtag(self, t):
        if t == "td": self.cells.append(self.cur); self.cur = None
    def handle_data(self, d):
        if self.cur is not None: self.cur += d
p = P(convert_charrefs=True)
p.feed(open(sys.argv[1], encoding="utf-8").read())
sys.exit(0 if p.cells.count(sys.argv[2]) == 1 else 1)
PY
then
  ok "escaping: the hostile description is text in the item's page, no <script>"
else
  bad "escaping of the hostile description: $(grep -o '.\{20\}alert.\{40\}' "$WORK/h.html" | head -2)"
fi
# an HTML page's next link stays HTML and keeps its page size (a person reads it)
if python3 - "$B" "${A[1]}" <<'PY'
import sys, urllib.request, re, html
req = urllib.request.Request(sys.argv[1] + "/collections/incidents/items?limit=2&f=html", headers={"Authorization": sys.argv[2].split(": ", 1)[1]})
page = urllib.request.urlopen(req).read().decode()
nxt = [html.unescape(m) for m in re.findall(r'<a href="([^"]*)" rel="next"', page)]
assert len(nxt) == 1 and "f=html" in nxt[0] and "limit=2" in nxt[0] and "offset=2" in nxt[0], nxt
PY
then ok "the HTML page's next link: f=html, limit=2, offset=2"; else bad "the HTML page's next link"; fi
# the JSON's next link doubles the page (GDAL 3.6 follows next links as they are; README.md)
if curl -fsS "${A[@]}" "$B/collections/incidents/items?limit=1" | python3 -c '
import json, sys
from urllib.parse import urlsplit, parse_qs
n = [parse_qs(urlsplit(l["href"]).query) for l in json.load(sys.stdin)["links"] if l["rel"] == "next"]
assert len(n) == 1 and n[0]["limit"] == ["2"] and n[0]["offset"] == ["1"], n'
then ok "the JSON page of 1 links the next page of 2 at offset 1"; else bad "the JSON next link's limit"; fi
# errors stay JSON; a bad f is a 400
s=$(curl -s -o /dev/null -w '%{http_code}' "${A[@]}" "$B/collections/areas/items?f=xml")
[ "$s" = 400 ] && ok "f=xml is a 400" || bad "f=xml answered $s"

echo "html.sh: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
