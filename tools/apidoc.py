#!/usr/bin/env python3
"""apidoc.py - the JSON shapes of API.md, taken from a live `hazmap serve`.

    tools/apidoc.py BASE PLANNER_TOKEN EDITOR_TOKEN --check API.md   exit 1 when a shape differs
    tools/apidoc.py BASE PLANNER_TOKEN EDITOR_TOKEN --write API.md   rewrite the shapes in place

API.md holds the prose; each response shape in it stands between `<!-- shape: NAME -->` and
`<!-- /shape -->` and is written by this script from the answers of the requests REQUESTS lists
under NAME (as the public, a planner or an editor): the keys every answer had, the keys only some
had (`key?`), the types each key took (a union such as `integer | null`), and, where a key showed
for some audiences only, which (`// planner`). Objects whose keys are data (years, vocabulary words)
are shown as maps (`{<year>: integer}`), GeoJSON geometries by their type. tests/integration/
apidoc.sh runs --check against the sample database, so the document cannot drift from the server.
The server must have been started on a fresh sample database: the POST requests come last and add
an incident.
"""
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

GEOMETRIES = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}
FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [104.08, 30.65]},
           "properties": {"source": "apidoc", "source_id": "apidoc-1", "occurred_at": "2014-06-01T10:00:00",
                          "mechanism": "fall", "severity": "minor", "age": 70, "sex": "female", "ward": "7"}}
BAD = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [200, 30]},
     "properties": {"source_id": "x", "mechanism": "flying"}}]}
RARE = "mechanism=drowning&from=2013-05-01&to=2013-05-20"
# Two projects (the registry, issue 12): an active one over the district, a planned one drawn as a
# point, which the PUT of project_updated starts.
PROJECT = {"title": "老年人防跌倒", "title_en": "Falls prevention for the elderly", "group": "elderly",
           "lead_unit": "区卫健局", "partners": ["街道办事处"], "type": "education",
           "target": "mechanism=fall&age=65-", "areas": ["510104"], "start": "2014-01-01",
           "end": "2014-12-31", "status": "active", "indicators": ["falls per 100,000 aged 65+"]}
PROJECT2 = {"title": "路口渠化改造", "group": "traffic", "type": "engineering", "target": "mechanism=traffic",
            "location": {"type": "Point", "coordinates": [104.0812, 30.6571]}, "buffer_m": 150,
            "start": "2014-06-01", "status": "planned"}
PROJECT2_V1 = dict(PROJECT2, status="active", version=1)

def both(path, status=200):
    """The same request as the public and as a planner: a key in one's answers only is marked."""
    return [("public", "GET", path, None, status), ("planner", "GET", path, None, status)]


def planner(*paths):
    return [("planner", "GET", p, None, 200) for p in paths]


def public(*paths):
    return [("public", "GET", p, None, 200) for p in paths]


# NAME -> [(audience, method, path, body, expected status)], asked in this order. {AREA} and {AREA2}
# are two sub-district codes of the data, {NEW} the id of the incident the first request adds.
REQUESTS = {
    "post_created": [("editor", "POST", "/collections/incidents/items", FEATURE, 201)],
    "post_invalid": [("editor", "POST", "/collections/incidents/items", BAD, 400)],
    "project_created": [("planner", "POST", "/api/projects", PROJECT, 201),
                        ("editor", "POST", "/api/projects", PROJECT2, 201)],
    "landing": both("/?f=json"),
    "conformance": both("/conformance"),
    "collections": both("/collections"),
    "collection": both("/collections/areas") + [("planner", "GET", "/collections/incidents", None, 200)],
    "areas": planner("/collections/areas/items?limit=100", "/collections/areas/items?limit=5&offset=5&mechanism=drowning"),
    "area": planner("/collections/areas/items/{AREA}", "/collections/areas/items/{AREA}?mechanism=drowning"),
    "areas_public": public("/collections/areas/items?limit=100", "/collections/areas/items?year=2012&limit=5&offset=5",
                           "/collections/areas/items/{AREA}", "/collections/areas/items/{AREA}?year=2013"),
    "incidents": [("planner", "GET", "/collections/incidents/items?limit=50&offset=50", None, 200)],
    "incident": [("planner", "GET", "/collections/incidents/items/1", None, 200),
                 ("planner", "GET", "/collections/incidents/items/{NEW}", None, 200)],
    "hotspots": planner("/collections/hotspots/items?limit=50&cell=250",
                        "/collections/hotspots/items?limit=50&cell=30&band=90&from=2013-01-01&to=2013-02-01",
                        f"/collections/hotspots/items?limit=1&cell=250&{RARE}"),
    "hotspot": planner("/collections/hotspots/items/1?cell=250"),
    "hotspots_public": public("/collections/hotspots/items?limit=10000", "/collections/hotspots/items?year=2013&injury_group=traffic&limit=20"),
    "emerging": planner("/collections/emerging/items?limit=50&cell=250",
                        "/collections/emerging/items?limit=20&step=quarter&mechanism=traffic"),
    "emerging_item": planner("/collections/emerging/items/1?cell=250"),
    "emerging_public": public("/collections/emerging/items?limit=10000",
                              "/collections/emerging/items?injury_group=traffic&limit=20"),
    "roads": both("/collections/roads/items?limit=20") + both("/collections/roads/items?bbox=104.08,30.64,104.09,30.65&limit=5")
    + both("/collections/roads/items/1"),
    "road_sites": planner("/collections/road_sites/items?limit=60", "/collections/road_sites/items?limit=5&rank=count&severity=fatal,serious",
                          "/collections/road_sites/items/1"),
    "blackspots": planner("/collections/blackspots/items?limit=30", "/collections/blackspots/items?limit=30&mechanism=fall"),
    "blackspot": planner("/collections/blackspots/items/1"),
    "api_blackspots": planner("/api/blackspots", "/api/blackspots?mechanism=fall"),
    "blackspots_public": public("/api/blackspots", "/api/blackspots?year=2014&place_group=road",
                                "/collections/blackspots/items?limit=30", "/collections/blackspots/items/1"),
    "stats": [("planner", "GET", q, None, 200)
              for q in ("/api/stats?by=area", "/api/stats?by=mechanism,age_group,sex", "/api/stats?by=none")],
    "stats_public": [("public", "GET", q, None, 200)
                     for q in ("/api/stats", "/api/stats?area={AREA}&year=2013",
                               "/api/stats?injury_group=traffic&quarter=2013-Q2",
                               "/api/stats?by=age_sex&year=2012")],
    "evaluate": [("planner", "GET", q, None, 200)
                 for q in ("/api/evaluate?area={AREA}&start=2013-07-01",
                           "/api/evaluate?area={AREA}&start=2013-07-01&compare={AREA2}",
                           "/api/evaluate?area={AREA}&start=2013-07-01&mechanism=drowning")],
    "evaluate_public": [("public", "GET", q, None, 200)
                        for q in ("/api/evaluate?area={AREA}&start=2014-01-01",
                                  "/api/evaluate?area={AREA}&start=2013-04-01&injury_group=traffic&before_days=90&after_days=90")],
    "config": both("/api/config"),
    "density_tif": [("planner", "GET", q, None, 200)
                    for q in ("/api/density.tif?bandwidth=300&cell=100", "/api/density.tif?mechanism=traffic")],
    "density_tif_public": [("public", "GET", q, None, 200)
                           for q in ("/api/density.tif", "/api/density.tif?year=2013&injury_group=traffic")],
    "tilejson": planner("/tiles/density.json", f"/tiles/density.json?{RARE}"),
    "legend": planner("/tiles/density/legend.json", f"/tiles/density/legend.json?{RARE}"),
    "network_legend": planner("/tiles/network/legend.json", "/tiles/network/legend.json?mechanism=traffic&bandwidth=200"),
    "tilejson_public": public("/tiles/density.json", "/tiles/density.json?year=2013&injury_group=fall"),
    "legend_public": public("/tiles/density/legend.json", "/tiles/density/legend.json?year=2013&injury_group=fall"),
    "releases": both("/api/releases"),
    "release": both("/api/releases/1"),
    "release_table": both("/api/releases/1/tables/subdistrict_year") + both("/api/releases/1/tables/district_year"),
    "links": planner("/api/links?status=all&limit=5") + [("editor", "GET", "/api/links?status=auto&limit=5", None, 200)],
    "link_review": [("editor", "POST", "/api/links/1", {"status": "rejected"}, 200),
                    ("planner", "POST", "/api/links/1", {"status": "confirmed"}, 200)],
    "links_summary": planner("/api/links/summary"),
    "healthz": both("/healthz"),
    "projects": both("/api/projects") + [("editor", "GET", "/api/projects?group=traffic&status=planned", None, 200)],
    "project": both("/api/projects/1"),
    "project_updated": [("editor", "PUT", "/api/projects/2", PROJECT2_V1, 200)],
    "project_audit": planner("/api/projects/2/audit", "/api/projects/audit?limit=5"),
    "projects_items": both("/collections/projects/items"),
    "project_item": both("/collections/projects/items/1"),
    "project_errors": [("public", "GET", "/api/projects/audit", None, 401),
                       ("editor", "GET", "/api/projects/audit", None, 403),
                       ("editor", "POST", "/api/projects", {"title": "x"}, 400),
                       ("planner", "PUT", "/api/projects/2", PROJECT2_V1, 409)],
    "error": [("public", "GET", "/collections/areas/items?limit=0", None, 400),
              ("public", "GET", "/collections/incidents/items", None, 401),
              ("public", "GET", "/collections/nope", None, 404),
              ("public", "DELETE", "/collections", None, 405),
              ("public", "GET", f"/api/density.tif?{RARE}", None, 400),
              ("public", "GET", "/api/blackspots?eps=5000&min_points=2", None, 400),
              ("public", "GET", "/collections/hotspots/items?cell=30", None, 400),
              ("public", "GET", "/tiles/density/12/3235/1689.png?mechanism=traffic", None, 400),
              ("public", "GET", "/api/stats?from=2013-01-01", None, 400),
              ("public", "GET", "/api/links", None, 401),
              ("editor", "POST", "/api/links/1", {"status": "maybe"}, 400),
              ("public", "GET", "/collections/road_sites/items", None, 401),
              ("public", "GET", "/tiles/network/legend.json", None, 401)],
}


class Shape:
    """The merged shape of the values seen at one place of the answers."""

    def __init__(self):
        self.scalars = []  # 'string', 'integer', ..., in the order first seen
        self.literals = []  # string values of a "type" key
        self.geoms = []  # GeoJSON geometry types
        self.obj = None  # key -> [Shape, times present, audiences]
        self.nobj = 0
        self.obj_aud = set()
        self.arr = None  # Shape of the elements
        self.maps = {}  # map label -> Shape of the values
        self.aud = set()

    def _scalar(self, t):
        if t not in self.scalars:
            self.scalars.append(t)

    def add(self, v, aud, key, vocab):
        self.aud.add(aud)
        if v is None:
            self._scalar("null")
        elif isinstance(v, bool):
            self._scalar("boolean")
        elif isinstance(v, int):
            self._scalar("integer")
        elif isinstance(v, float):
            self._scalar("number")
        elif isinstance(v, str):
            if key == "type":
                if v not in self.literals:
                    self.literals.append(v)
            else:
                self._scalar("string")
        elif isinstance(v, list):
            if self.arr is None:
                self.arr = Shape()
            for e in v:
                self.arr.add(e, aud, None, vocab)
        elif v.get("type") in GEOMETRIES and "coordinates" in v:
            if v["type"] not in self.geoms:
                self.geoms.append(v["type"])
        else:
            label = map_label(v, vocab, key)
            if label:
                m = self.maps.setdefault(label, Shape())
                for x in v.values():
                    m.add(x, aud, None, vocab)
                return
            if self.obj is None:
                self.obj = {}
            self.nobj += 1
            self.obj_aud.add(aud)
            for k, x in v.items():
                slot = self.obj.setdefault(k, [Shape(), 0, set()])
                slot[0].add(x, aud, k, vocab)
                slot[1] += 1
                slot[2].add(aud)

    def render(self, indent):
        """Lines of text; the first continues the line of its key."""
        alts, block = [], None
        alts += [json.dumps(s) for s in self.literals]
        alts += ["GeoJSON " + g for g in self.geoms]
        scal = [s for s in self.scalars if s != "null"]
        if "integer" in scal and "number" in scal:
            scal.remove("integer")
        alts += scal
        for label, m in self.maps.items():
            alts.append("{<%s>: %s}" % (label, " | ".join(m.render(indent))))
        if self.arr is not None:
            inner = self.arr.render(indent)
            if len(inner) == 1:
                alts.append("[%s]" % inner[0] if inner[0] else "[]")
            else:
                block = ["[" + inner[0]] + inner[1:-1] + [inner[-1] + "]"]
        if self.obj is not None:
            lines = ["{"]
            for k, (s, n, aud) in self.obj.items():
                sub = s.render(indent + 2)
                note = ""
                if aud != self.obj_aud:
                    note = "  // " + ", ".join(sorted(aud))
                name = k + ("?" if n < self.nobj else "")
                lines.append(" " * (indent + 2) + name + ": " + sub[0] + ("" if len(sub) > 1 else note))
                lines += sub[1:-1]
                if len(sub) > 1:
                    lines.append(sub[-1] + note)
            lines.append(" " * indent + "}")
            obj_lines = lines
            if block is not None:  # an array of objects and an object: keep both, rarely seen
                alts.append("[...]")
            block = obj_lines
        if "null" in self.scalars:
            alts.append("null")
        if block is None:
            return [" | ".join(alts)]
        prefix = " | ".join(alts)
        return [(prefix + " | " if prefix else "") + block[0]] + block[1:]


def map_label(d, vocab, key):
    """The label of an object whose keys are data (years, vocabulary words, source columns), or None."""
    keys = list(d)
    if key == "extra":
        return "source column"
    if not keys:
        return None
    if all(re.fullmatch(r"\d{4}", k) for k in keys):
        return "year"
    for name, words in vocab.items():
        if all(k in words or k == "unknown" for k in keys):
            return name
    return None


def tiff_provenance(data):
    """The HAZMAP_PROVENANCE metadata item of a GeoTIFF, as GDAL reads it (gdalinfo -json)."""
    with tempfile.NamedTemporaryFile(suffix=".tif", delete=False) as f:
        f.write(data)
    try:
        r = subprocess.run(["gdalinfo", "-json", f.name], capture_output=True)
    finally:
        os.unlink(f.name)
    if r.returncode != 0:
        raise RuntimeError(f"gdalinfo cannot read the GeoTIFF: {r.stderr.decode()[:300]}")
    info = json.loads(r.stdout)
    return json.loads(info["metadata"][""]["HAZMAP_PROVENANCE"])


def fetch(base, tokens, aud, method, path, body):
    headers = {"Accept": "application/json"}
    if tokens.get(aud):
        headers["Authorization"] = "Bearer " + tokens[aud]
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json" if path.startswith("/api/") else "application/geo+json"
    rq = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(rq, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def shapes(base, tokens):
    cfg = json.loads(fetch(base, tokens, "public", "GET", "/api/config", None)[1])
    vocab = cfg.get("vocabularies", {})
    areas = json.loads(fetch(base, tokens, "planner", "GET", "/collections/areas/items?limit=10000", None)[1])
    subs = sorted(f["properties"]["code"] for f in areas["features"]
                  if f["properties"].get("parent_code"))
    subst = {"{AREA}": subs[0], "{AREA2}": subs[1]}
    out, failures = {}, []
    for name, reqs in REQUESTS.items():
        s = Shape()
        seen = []
        for aud, method, path, body, want in reqs:
            if "{NEW}" in path and "{NEW}" not in subst:  # the last incident by id: the one added
                page = json.loads(fetch(base, tokens, "planner", "GET", "/collections/incidents/items?limit=1", None)[1])
                last = json.loads(fetch(base, tokens, "planner", "GET",
                                        f"/collections/incidents/items?limit=1&offset={page['numberMatched'] - 1}", None)[1])
                subst["{NEW}"] = str(last["features"][0]["id"])
            for k, v in subst.items():
                path = path.replace(k, v)
            status, text = fetch(base, tokens, aud, method, path, body)
            if status != want:
                failures.append(f"{name}: {method} {path} as {aud}: {status}, expected {want}")
                continue
            tiff = want == 200 and path.startswith("/api/density.tif")
            s.add(tiff_provenance(text) if tiff else json.loads(text), aud, None, vocab)
            shown = re.sub(r"/items/[0-9]+", "/items/{id}", path.replace(subs[0], "{code}").replace(subs[1], "{code2}"))
            seen.append(f"{method} {shown} ({aud}{'' if want == 200 else f', {want}'})")
        out[name] = "\n".join(["# " + x for x in seen] + s.render(0))
    return out, failures


BLOCK = re.compile(r"(<!-- shape: ([a-z_]+) -->\n```text\n)(.*?)(```\n<!-- /shape -->)", re.S)


def main(argv):
    if len(argv) != 6 or argv[4] not in ("--check", "--write"):
        sys.stderr.write(__doc__)
        return 2
    base, planner, editor, mode, doc = argv[1].rstrip("/"), argv[2], argv[3], argv[4], argv[5]
    got, failures = shapes(base, {"planner": planner, "editor": editor})
    for f in failures:
        print("FAIL - " + f)
    text = open(doc, encoding="utf-8").read()
    named = [m.group(2) for m in BLOCK.finditer(text)]
    bad = 0
    for name in got:
        if name not in named:
            print(f"FAIL - {doc} has no shape block '{name}'")
            bad += 1
    for name in named:
        if name not in got:
            print(f"FAIL - {doc}: shape block '{name}' names no request list in {argv[0]}")
            bad += 1

    def replace(m):
        nonlocal bad
        name, old = m.group(2), m.group(3)
        new = got.get(name)
        if new is None:
            return m.group(0)
        new += "\n"
        if new != old:
            if mode == "--check":
                bad += 1
                print(f"FAIL - {doc}: the shape of '{name}' differs from the server's:")
                for line in difflib.unified_diff(old.splitlines(), new.splitlines(), "API.md", "server", lineterm="", n=1):
                    print("    " + line)
            return m.group(1) + new + m.group(4)
        print(f"ok   - {name}: the shape in {doc} is the server's")
        return m.group(0)

    text2 = BLOCK.sub(replace, text)
    if mode == "--write" and text2 != text:
        open(doc, "w", encoding="utf-8").write(text2)
        print(f"wrote {doc}")
    return 1 if (bad and mode == "--check") or failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
