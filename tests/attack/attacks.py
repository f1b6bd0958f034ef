#!/usr/bin/env python3
"""attacks.py - replays issue 13's attacks on the public (no token) side of a live hazmap server.

    attacks.py BASE DB PLANNER_TOKEN [REPORT.md]

BASE is the server (http://127.0.0.1:PORT) serving the sample database DB, whose release 1 was
published by tools/load-sample.sh. Ground truth is read from DB with sqlite3 (incidents: WGS84
lon/lat columns; the release: its stored tables). PLANNER_TOKEN is used only to sanity-check the
measurement and that planners keep live answers, never inside an attack. Python 3 standard
library only. Prints one line per check (`ok   ...` / `FAIL ...`), exit 1 on any failure.

Every attack first sends its ORIGINAL requests (those of issue 13) as an anonymous client; an
answer 400/401/403/404/422/503 means that avenue is closed. It then tries the strongest
ADAPTATION the public contract still permits (released years and groups, the public density
GeoTIFF, public hot- and black-spot cells of a year and group, the release's own count cells) and
measures what was recovered against the ground truth. A BASELINE attacker applies the same
guessing rule to the release's tables read directly from the database (its noisy 100 m grid and
count cells: "knowing only the released aggregates"). Distances: UTM 48N (the release's grid) is
converted to lon/lat with the Krueger series (sub-mm), lon/lat to metres with a local
equirectangular approximation around the district (error < 0.1 % over a few km).

Success (= the attack FAILS the suite) per attack:
 1 hull vertices: a published coordinate within 1 cm of an incident. Real hull vertices coincide
   with incidents to < 1 mm; a random point is within 1 cm of one of the 55,000 incidents with
   probability ~3e-7, so the baseline (every corner and centre of the released grid) finds ~0.
   Success if attack's incidents-within-1-cm > baseline's.
 2 minute differencing: the minute of a target (an incident alone in its minute, three days of
   2013) is recovered when two answers for windows differing by that one minute differ by its
   count. Baseline: released periods are months or longer, so 0. Success if > baseline.
 3 eps/min_points differencing: n1*c1 - n0*c0 of one-cluster black spots over windows differing
   by one minute; recovered = target located within 50 m. Adaptation: the highest-count public
   black-spot cell of the target's year and injury group; baseline: the highest released grid
   cell of that year and group. Success if attack > baseline + max(3, 5 % of targets)
   (the margin absorbs the noise in which of two near-equal cells tops; any real leak of a point
   locates far more than 3 of the targets) or any target within 1 m.
 4 density of 10: a density map of a selection of ~10 incidents, its K highest local maxima
   (K = the selection's size) as guesses; recovered = incidents within 50 m of a guess.
   Adaptation: the public density.tif of the smallest released (year, group); baseline: the same
   rule on the release's grid of that year and group smoothed by us with the same 300 m quartic
   kernel. Success as in 3.
 5 two maps differing by one incident: original: density.tif (and tiles) over windows differing
   by one minute; recovered = pairs whose maps differ (showing the incident; located by the
   argmax of the difference when a GeoTIFF). Adaptation: the difference of two released years'
   maps of the target's group, argmax as the guess; baseline: the same on our smoothing of the
   released grid. Success as in 3.
 6 weighted sums: score weights fatal=1000000,serious=1000,minor=1 decode three counts; recovered
   = black spots whose decoded counts equal the planners' severity counts with some count 1..9.
   Adaptation: the released severity cells; recovered = true counts < 10 given exactly; baseline:
   the same read from the release in the database. Success if attack > baseline (original) or >
   baseline + 3 (adaptation: exact hits of a noisy cell happen by chance, ~7 % each).
 7 inclusion-exclusion: a sub-district's hidden day count (1..9) as the difference of two
   overlapping windows' counts, both >= 10; recovered = exact. Adaptation: a withheld severity
   cell as its sub-district-year total minus the other released severity cells; baseline: the
   same from the release in the database. Success as in 6.
 8 category presence: rows existing only for categories present; recovered = selections whose
   row set omits a category and equals the true set of categories present. Baseline 0 (a
   release lists every cell). Success if > 0.
 9 temporal extent: every timestamp (ISO or epoch seconds) in the public metadata answers;
   recovered = how many of the exact first and last incident times appear. Baseline 0 (the
   release states whole quarters). Success if > 0. Also /healthz must be {status, release}.
10 hot-spot classes: hot-spot analysis of a one-minute window holding one target, the hot cell's
   centre as the guess, recovered = within 50 m. Adaptation: the top public hot-spot cell of the
   target's year and injury group; baseline: the top released grid cell smoothed. Success as 3.
"""
import calendar
import json
import math
import re
import socket
import sqlite3
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

BASE, DB, PLANNER = sys.argv[1], sys.argv[2], sys.argv[3]
REPORT = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
T_START = time.time()
CLOSED = (400, 401, 403, 404, 405, 422, 503)
FAILS = 0
ROWS = []  # (n, name, verdict, recovered, baseline, note)
NREQ = [0]


def line(okay, text):
    global FAILS
    if not okay:
        FAILS += 1
    print(("ok   " if okay else "FAIL ") + text, flush=True)


def report(n, name, okay, rec, base, note):
    ROWS.append((n, name, "ok" if okay else "FAIL", rec, base, note))
    line(okay, "attack %d %s: recovered %s (baseline %s)%s" % (n, name, rec, base,
                                                              "; " + note if note else ""))


def get(path, token=None, timeout=30):
    """(status, body bytes). path may hold a query string."""
    NREQ[0] += 1
    rq = urllib.request.Request(BASE + path)
    if token:
        rq.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(rq, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def q(**kw):
    return urllib.parse.urlencode(kw, safe=",:=")


def jget(path, token=None):
    s, b = get(path, token)
    try:
        return s, json.loads(b) if s == 200 else None
    except ValueError:
        return s, None


# ---------------------------------------------------------------- geometry

LAT0, LON0 = 30.61, 104.11
R_EARTH = 6371008.8
KX = R_EARTH * math.cos(math.radians(LAT0)) * math.pi / 180
KY = R_EARTH * math.pi / 180


def xy(lon, lat):
    return ((lon - LON0) * KX, (lat - LAT0) * KY)


def utm_inverse(e, n, zone=48):
    """WGS84 UTM (north) -> (lon, lat), Krueger series (Karney 2011), sub-mm."""
    a, f, k0 = 6378137.0, 1 / 298.257223563, 0.9996
    nn = f / (2 - f)
    A = a / (1 + nn) * (1 + nn * nn / 4 + nn ** 4 / 64)
    beta = [nn / 2 - 2 * nn ** 2 / 3 + 37 * nn ** 3 / 96, nn ** 2 / 48 + nn ** 3 / 15,
            17 * nn ** 3 / 480]
    delta = [2 * nn - 2 * nn ** 2 / 3 - 2 * nn ** 3, 7 * nn ** 2 / 3 - 8 * nn ** 3 / 5,
             56 * nn ** 3 / 15]
    xi = n / (k0 * A)
    eta = (e - 500000.0) / (k0 * A)
    xp, ep = xi, eta
    for j, b in enumerate(beta, 1):
        xp -= b * math.sin(2 * j * xi) * math.cosh(2 * j * eta)
        ep -= b * math.cos(2 * j * xi) * math.sinh(2 * j * eta)
    chi = math.asin(math.sin(xp) / math.cosh(ep))
    phi = chi + sum(d * math.sin(2 * j * chi) for j, d in enumerate(delta, 1))
    lam0 = math.radians(zone * 6 - 183)
    lam = lam0 + math.atan2(math.sinh(ep), math.cos(xp))
    return math.degrees(lam), math.degrees(phi)


class PointIndex:
    """Incidents in 100 m buckets of local metres, for nearest-distance queries."""

    def __init__(self, pts):
        self.b = {}
        for i, (x, y) in enumerate(pts):
            self.b.setdefault((int(x // 100), int(y // 100)), []).append((x, y, i))

    def near(self, x, y, r):
        """[(distance, index)] of points within r metres (r <= 100)."""
        out, cx, cy = [], int(x // 100), int(y // 100)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for px, py, i in self.b.get((cx + dx, cy + dy), ()):
                    d = math.hypot(px - x, py - y)
                    if d <= r:
                        out.append((d, i))
        return out

    def nearest(self, x, y, r=100):
        n = self.near(x, y, r)
        return min(n) if n else (float("inf"), -1)


def coords_of(geom):
    """Every [lon, lat] position of a GeoJSON geometry."""
    out = []

    def walk(c):
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            out.append((c[0], c[1]))
        elif isinstance(c, list):
            for x in c:
                walk(x)
    if geom:
        walk(geom.get("coordinates"))
        for g in geom.get("geometries", []) or []:
            out.extend(coords_of(g))
    return out


def centre_of(geom):
    """A feature's position: a Point, or the mean of a polygon's ring vertices."""
    c = coords_of(geom)
    if not c:
        return None
    if len(c) > 1 and c[0] == c[-1]:
        c = c[:-1]
    return (sum(p[0] for p in c) / len(c), sum(p[1] for p in c) / len(c))


# ---------------------------------------------------------------- ground truth

INJ = ["self_harm", "violence", "traffic", "fall", "fire", "other"]
PLACES = ["home", "school", "workplace", "public", "road", "other"]
SEVS = ["fatal_serious", "minor", "none_unknown"]


def injury_group(mech, intent):
    if intent == "self_harm" or mech == "self_harm":
        return "self_harm"
    if intent == "assault" or mech == "violence":
        return "violence"
    return {"traffic": "traffic", "fall": "fall", "fire_burn": "fire"}.get(mech, "other")


def sev_group(s):
    return "fatal_serious" if s in ("fatal", "serious") else "minor" if s == "minor" else \
        "none_unknown"


con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
INC = []  # dicts
for row in con.execute("SELECT id, t, lon, lat, mechanism, intent, place, severity, area_code,"
                       " age, sex FROM incidents WHERE t IS NOT NULL ORDER BY t, id"):
    i, t, lon, lat, mech, intent, place, sev, area, age, sex = row
    lt = time.gmtime(t + 8 * 3600)
    INC.append({"id": i, "t": t, "lon": lon, "lat": lat, "xy": xy(lon, lat),
                "inj": injury_group(mech, intent),
                "place": place if place in PLACES else "other", "sev": sev,
                "sevg": sev_group(sev), "area": area, "year": str(lt.tm_year),
                "mech": mech, "day": time.strftime("%Y-%m-%d", lt)})
PIDX = PointIndex([r["xy"] for r in INC])
T_FIRST, T_LAST = INC[0]["t"], INC[-1]["t"]


def local(t):
    return time.strftime("%Y-%m-%dT%H:%M", time.gmtime(t + 8 * 3600))


def day_start(day):  # "2013-05-01" -> epoch seconds at local midnight
    return calendar.timegm(time.strptime(day, "%Y-%m-%d")) - 8 * 3600


# Targets: the incidents alone in their minute on three days (as in the issue).
DAYS = ["2013-05-01", "2013-05-02", "2013-05-03"]
by_min = {}
for r in INC:
    if r["day"] in DAYS:
        by_min.setdefault(r["t"] // 60, []).append(r)
TARGETS = [v[0] for k, v in sorted(by_min.items()) if len(v) == 1]

# The release, decoded from the database (as release.h stores it).
META = json.loads(con.execute("SELECT metadata FROM releases ORDER BY id DESC LIMIT 1").fetchone()[0])
RID = con.execute("SELECT max(id) FROM releases").fetchone()[0]


def rel_table(name):
    blob = con.execute("SELECT cells FROM release_tables WHERE release_id=? AND name=?",
                       (RID, name)).fetchone()[0]
    assert blob[:4] == b"HZR1"
    raw, vals, i = zlib.decompress(blob[20:]), [], 0
    while i < len(raw):
        v, sh = 0, 0
        while True:
            b = raw[i]
            i += 1
            v |= (b & 0x7F) << sh
            sh += 7
            if not b & 0x80:
                break
        vals.append(None if v == 0 else ((v - 1) >> 1) ^ -((v - 1) & 1))
    return vals


DIMS = META["dimensions"]
YEARS = DIMS["year"]["labels"]
CELL = DIMS["cell"]
NX, NY, CS, X0, Y1 = CELL["nx"], CELL["ny"], CELL["size"], CELL["x0"], CELL["y1"]
GRID_INJ = rel_table("grid_year_injury")
SUBCODES = [r["code"] for r in DIMS["subdistrict"]["rows"]]


def rel_grid(year, group):
    """The released noisy grid of (year, injury group) as a list of NX*NY values."""
    y, g, ny, ng = YEARS.index(year), INJ.index(group), len(YEARS), len(INJ)
    return [GRID_INJ[(c * ny + y) * ng + g] for c in range(NX * NY)]


def cell_lonlat(c, x0=X0, y1=Y1, cs=CS, nx=NX):
    i, j = c % nx, c // nx
    return utm_inverse(x0 + (i + 0.5) * cs, y1 - (j + 0.5) * cs)


def smooth(grid, nx=NX, ny=NY, cs=CS, h=300.0):
    """Quartic-kernel smoothing of a lattice's values (unnormalised: peaks only)."""
    offs = []
    r = int(h // cs)
    for dj in range(-r, r + 1):
        for di in range(-r, r + 1):
            d2 = (di * di + dj * dj) * cs * cs
            if d2 < h * h:
                offs.append((di, dj, (1 - d2 / (h * h)) ** 2))
    out = [0.0] * (nx * ny)
    for c, v in enumerate(grid):
        if not v:
            continue
        i, j = c % nx, c // nx
        for di, dj, w in offs:
            ii, jj = i + di, j + dj
            if 0 <= ii < nx and 0 <= jj < ny:
                out[jj * nx + ii] += v * w
    return out


def peaks(surf, nx, ny, k):
    """Indices of the k highest strict-enough local maxima (>= their 8 neighbours, > 0)."""
    cand = []
    for c, v in enumerate(surf):
        if v is None or v <= 0:
            continue
        i, j = c % nx, c // nx
        top = True
        for dj in (-1, 0, 1):
            for di in (-1, 0, 1):
                ii, jj = i + di, j + dj
                if (di or dj) and 0 <= ii < nx and 0 <= jj < ny:
                    w = surf[jj * nx + ii]
                    if w is not None and w > v:
                        top = False
        if top:
            cand.append((v, c))
    cand.sort(reverse=True)
    return [c for v, c in cand[:k]]


# ---------------------------------------------------------------- GeoTIFF (float32, deflate)

def read_tiff(data):
    """(values list row-major, width, height, x0, y1, dx, dy) of a one-band float32 GeoTIFF."""
    assert data[:4] == b"II*\x00", "not a little-endian TIFF"
    off = struct.unpack_from("<I", data, 4)[0]
    n = struct.unpack_from("<H", data, off)[0]
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 11: 4, 12: 8, 16: 8}
    fmts = {1: "B", 2: "c", 3: "H", 4: "I", 11: "f", 12: "d", 16: "Q"}
    tags = {}
    for k in range(n):
        tag, typ, cnt, val = struct.unpack_from("<HHII", data, off + 2 + 12 * k)
        sz = sizes.get(typ, 1) * cnt
        pos = off + 2 + 12 * k + 8 if sz <= 4 else val
        if typ == 2:
            tags[tag] = data[pos:pos + cnt]
        else:
            tags[tag] = list(struct.unpack_from("<%d%s" % (cnt, fmts[typ]), data, pos))
    w, h = tags[256][0], tags[257][0]
    comp = tags.get(259, [1])[0]
    pred = tags.get(317, [1])[0]
    assert tags.get(258, [32])[0] == 32 and tags.get(339, [3])[0] == 3, "not float32"
    if 322 in tags:
        tw, th, offs, cnts = tags[322][0], tags[323][0], tags[324], tags[325]
    else:
        tw, th, offs, cnts = w, tags.get(278, [h])[0], tags[273], tags[279]
    out = [None] * (w * h)
    across = (w + tw - 1) // tw
    for t, (o, c) in enumerate(zip(offs, cnts)):
        raw = data[o:o + c]
        if comp in (8, 32946):
            raw = zlib.decompress(raw)
        tx, ty = (t % across) * tw, (t // across) * th
        rows = len(raw) // (tw * 4)
        for r in range(rows):
            row = bytearray(raw[r * tw * 4:(r + 1) * tw * 4])
            if pred == 3:
                for b in range(1, len(row)):
                    row[b] = (row[b] + row[b - 1]) & 0xFF
                vals = [struct.unpack(">f", bytes((row[i], row[tw + i], row[2 * tw + i],
                                                   row[3 * tw + i])))[0] for i in range(tw)]
            else:
                vals = list(struct.unpack("<%df" % tw, row))
            y = ty + r
            if y >= h:
                break
            for i in range(tw):
                x = tx + i
                if x < w:
                    out[y * w + x] = vals[i]
    scale, tie = tags[33550], tags[33922]
    nod = tags.get(42113)
    if nod:
        nv = float(bytes(nod).strip(b"\x00"))
        out = [None if v == nv else v for v in out]
    return out, w, h, tie[3] - tie[0] * scale[0], tie[4] + tie[1] * scale[1], scale[0], scale[1]


def tif_crs_is_utm48(data):
    return b"32648" in data or b"UTM zone 48N" in data


# ---------------------------------------------------------------- helpers for attacks

def within(lonlat, target, r):
    x, y = xy(*lonlat)
    return math.hypot(x - target["xy"][0], y - target["xy"][1]) <= r


def margin(n):
    return max(3, int(math.ceil(0.05 * n)))


def fc_features(path):
    """All features of a (paged) public collection or GeoJSON answer; (status, features)."""
    s, d = jget(path)
    if s != 200 or d is None:
        return s, []
    feats = list(d.get("features", []))
    nm = d.get("numberMatched")
    off = len(feats)
    sep = "&" if "?" in path else "?"
    while nm is not None and off < nm and "/collections/" in path and off < 20000:
        s2, d2 = jget(path + sep + "offset=%d" % off)
        if s2 != 200 or not d2 or not d2.get("features"):
            break
        feats += d2["features"]
        off += len(d2["features"])
    return s, feats


def strip_volatile(b, end):
    """b without what merely echoes the request: the time stamp, the window's end as given
    (plain or URL-encoded) and as epoch seconds (within 2 minutes of it)."""
    b = re.sub(rb'"timeStamp":"[^"]*"', b"", b)
    for s in (local(end), urllib.parse.quote(local(end), safe="")):
        b = b.replace(s.encode(), b"END")
    return re.sub(rb"\d{10}", lambda m: b"END" if abs(int(m.group(0)) - end) <= 120 else
                  m.group(0), b)


# ---------------------------------------------------------------- measurement sanity

def sanity():
    s, d = jget("/api/blackspots?" + q(eps=50, min_points=5, **{"from": "2013-05-01",
                                                                  "to": "2013-05-31"}), PLANNER)
    verts, near, cxok, cxn = 0, 0, 0, 0
    for f in (d or {}).get("features", []):
        hull = f["properties"].get("hull")
        for lon, lat in coords_of(hull):
            verts += 1
            dist, _ = PIDX.nearest(*xy(lon, lat), r=1)
            near += dist <= 0.01
        p = f["properties"]
        if "x_utm" in p and f.get("geometry"):
            cxn += 1
            lon, lat = utm_inverse(p["x_utm"], p["y_utm"])
            g = f["geometry"]["coordinates"]
            cxok += math.hypot(*(a - b for a, b in zip(xy(lon, lat), xy(*g)))) <= 0.01
    line(s == 200 and verts > 20 and near == verts and cxn > 0 and cxok == cxn,
         "measurement sanity: planner black-spot hull vertices within 1 cm of an incident: %d of %d;"
         " UTM centroids (our Krueger inverse) = published lon/lat within 1 cm: %d of %d"
         % (near, verts, cxok, cxn))
    # The release grid and our geometry: incidents counted per cell agree with the release
    # (noise sigma ~3) on average over the busiest cells.
    diffs = []
    g = rel_grid("2013", "fall")
    top = sorted(range(len(g)), key=lambda c: -(g[c] or 0))[:30]
    for c in top:
        lon, lat = cell_lonlat(c)
        x, y = xy(lon, lat)
        n = sum(1 for d_, i in PIDX.near(x, y, 72) if INC[i]["year"] == "2013" and
                INC[i]["inj"] == "fall" and abs(INC[i]["xy"][0] - x) <= 50 and
                abs(INC[i]["xy"][1] - y) <= 50)
        diffs.append(g[c] - n)
    mean = sum(diffs) / len(diffs)
    line(abs(mean) < 4 and max(abs(v) for v in diffs) < 25,
         "measurement sanity: the release's grid cells (UTM -> lon/lat) hold the incidents we place"
         " in them: mean noisy - true over the 30 busiest cells %.1f (noise sigma ~3)" % mean)


# ---------------------------------------------------------------- 1 hull vertices

def attack1():
    sweep = []
    for y in YEARS:
        for eps in (25, 50, 100, 200):
            for mp in (2, 3, 5, 10):
                sweep.append("/api/blackspots?" + q(eps=eps, min_points=mp,
                                                    **{"from": y + "-01-01", "to": y + "-12-31"}))
    pts, opened = [], 0
    for p in sweep:
        s, d = jget(p)
        if s == 200 and d:
            opened += 1
            for f in d.get("features", []):
                pts += coords_of(f.get("geometry"))
                pts += coords_of(f["properties"].get("hull"))
    # adaptation: every geometry the contract still gives: black and hot spots of a year and group
    adapt = []
    for y in YEARS:
        for g in INJ:
            for p in ("/api/blackspots?", "/collections/blackspots/items?limit=1000&",
                      "/collections/hotspots/items?limit=10000&"):
                s, feats = fc_features(p + q(year=y, injury_group=g))
                for f in feats:
                    adapt += coords_of(f.get("geometry"))
                    adapt += coords_of(f.get("properties", {}).get("hull"))

    def exact(points):
        hit = set()
        for lon, lat in set(points):
            dist, i = PIDX.nearest(*xy(lon, lat), r=1)
            if dist <= 0.01:
                hit.add(i)
        return hit
    base_pts = []
    for c in range(NX * NY):
        i, j = c % NX, c // NX
        base_pts.append(cell_lonlat(c))
        base_pts.append(utm_inverse(X0 + i * CS, Y1 - j * CS))
    rec = exact(pts) | exact(adapt)
    base = exact(base_pts)
    report(1, "hull vertices", len(rec) <= len(base),
           "%d of %d incidents within 1 cm" % (len(rec), len(INC)), "%d" % len(base),
           "original sweep: %d of %d requests answered, %d positions; adaptation (year x group "
           "black/hot spots): %d positions" % (opened, len(sweep), len(pts), len(adapt)))


# ---------------------------------------------------------------- 2 minute differencing

def stats_total(d):
    """The district row's count of a planner-style /api/stats answer (None if hidden)."""
    for r in d.get("rows", []):
        if r.get("area") == "510104":
            return r.get("count")
    return None


def attack2():
    rec, tried, opened = 0, 0, 0
    probe = TARGETS[0]
    s, _ = get("/api/stats?" + q(**{"from": local(probe["t"] - 86400)[:10],
                                     "to": local(probe["t"])}))
    if s == 200:
        opened = 1
        for r in TARGETS:
            d0 = local(r["t"] - 86400)[:10]
            s1, a = jget("/api/stats?" + q(**{"from": d0, "to": local(r["t"])}))
            s0, b = jget("/api/stats?" + q(**{"from": d0, "to": local(r["t"] - 60)}))
            tried += 1
            if a and b and stats_total(a) is not None and stats_total(b) is not None:
                rec += stats_total(a) - stats_total(b) == 1
    # adaptation: any public endpoint that still takes a minute window (from/to, datetime,
    # start) and answers differently for two windows differing by the target's minute
    cands = [("/api/stats?", "ft"), ("/api/evaluate?area=%s&" % probe["area"], "start"),
             ("/collections/areas/items?", "dt"), ("/collections/hotspots/items?", "dt"),
             ("/collections/blackspots/items?", "dt"), ("/api/blackspots?", "ft"),
             ("/api/density.tif?", "ft"), ("/tiles/density/legend.json?", "ft"),
             ("/tiles/density.json?", "ft")]
    leaky, most = [], 0
    for path, kind in cands:
        hits = 0
        for r in TARGETS[:5]:
            d0 = local(r["t"] - 86400)[:10]

            def window(end):
                if kind == "ft":
                    return q(**{"from": d0, "to": local(end)})
                if kind == "dt":
                    return q(datetime="%s:00+08:00/%s:00+08:00" % (d0 + "T00:00", local(end)))
                return q(start=local(end))
            s1, b1 = get(path + window(r["t"]))
            if s1 in CLOSED:
                break
            s0, b0 = get(path + window(r["t"] - 60))
            if s1 == 200 and s0 == 200 and \
                    strip_volatile(b1, r["t"]) != strip_volatile(b0, r["t"] - 60):
                hits += 1
        most = max(most, hits)
        if hits:
            leaky.append("%s (%d of 5)" % (path.split("?")[0], hits))
    okay = rec == 0 and not leaky
    report(2, "minute differencing", okay,
           "minute of %d of %d single-incident minutes" % (rec, len(TARGETS)) if rec or not leaky
           else "minute of %d of 5 tried targets (answers differ exactly at it)" % most, "0",
           "original /api/stats from/to %s; endpoints whose answers for two windows one minute "
           "apart differ: %s" % ("answered" if opened else "closed", ", ".join(leaky) or "none"))


# ---------------------------------------------------------------- 3 eps/min_points differencing

def bs_location(d):
    """(n, UTM x, y) of the one cluster of a black-spot answer, else None."""
    f = d.get("features", []) if d else []
    if len(f) != 1:
        return None
    p = f[0]["properties"]
    if p.get("count") is None:
        return None
    if "x_utm" in p:
        return p["count"], p["x_utm"], p["y_utm"], True
    g = f[0].get("geometry") or {}
    if g.get("type") != "Point":
        return None
    x, y = xy(*g["coordinates"])
    return p["count"], x, y, False


def top_cell_guess(cells):
    """The lon/lat of the highest (value, lon/lat) pair."""
    cells = [c for c in cells if c[0] is not None]
    return max(cells)[1] if cells else None


def attack3():
    rec, exact, opened = 0, 0, 0
    n_orig = min(len(TARGETS), 60)
    for k, r in enumerate(TARGETS[:n_orig]):
        d0 = local(r["t"] - 86400)[:10]
        s1, a = jget("/api/blackspots?" + q(eps=5000, min_points=2,
                                            **{"from": d0, "to": local(r["t"])}))
        if k == 0 and s1 in CLOSED:
            break
        s0, b = jget("/api/blackspots?" + q(eps=5000, min_points=2,
                                            **{"from": d0, "to": local(r["t"] - 60)}))
        opened += s1 == 200
        la, lb = bs_location(a), bs_location(b)
        if la and lb and la[0] == lb[0] + 1:
            px, py = la[0] * la[1] - lb[0] * lb[1], la[0] * la[2] - lb[0] * lb[2]
            if la[3]:
                px, py = xy(*utm_inverse(px, py))
            dist = math.hypot(px - r["xy"][0], py - r["xy"][1])
            rec += dist <= 50
            exact += dist <= 1
    # adaptation: the top public black-spot cell of the target's year and injury group;
    # baseline: the top released grid cell of the same year and group
    ad, bl, cache = 0, 0, {}
    for r in TARGETS:
        key = (r["year"], r["inj"])
        if key not in cache:
            s, feats = fc_features("/api/blackspots?" + q(year=r["year"], injury_group=r["inj"]))
            # the released count (any of its usual names), else the answer's own ranking
            cells = []
            for k, f in enumerate(feats):
                p = f.get("properties") or {}
                v = next((p[n] for n in ("count", "value", "noisy_count") if
                          isinstance(p.get(n), (int, float))), -k - 1e9)
                if f.get("geometry"):
                    cells.append((v, centre_of(f.get("geometry"))))
            g = rel_grid(*key)
            bc = max(range(len(g)), key=lambda c: g[c])
            cache[key] = (top_cell_guess(cells), cell_lonlat(bc), s)
        guess, bguess, s = cache[key]
        ad += bool(guess) and within(guess, r, 50)
        bl += within(bguess, r, 50)
    best = max(rec, ad)
    okay = best <= bl + margin(len(TARGETS)) and exact == 0
    report(3, "eps/min_points differencing", okay,
           "%d of %d targets within 50 m (%d within 1 m)" % (rec, n_orig, exact) if rec > ad else
           "%d of %d targets within 50 m" % (ad, len(TARGETS)), "%d" % bl,
           "original (eps=5000&min_points=2, windows one minute apart) %s: %d of %d within 50 m; "
           "adaptation (top public black-spot cell of year x group): %d"
           % ("answered" if opened else "closed", rec, n_orig, ad))


# ---------------------------------------------------------------- 4 density of 10

def tif_guesses(data, k):
    vals, w, h, x0, y1, dx, dy = read_tiff(data)
    utm = tif_crs_is_utm48(data)
    out = []
    for c in peaks(vals, w, h, k):
        i, j = c % w, c // w
        x, y = x0 + (i + 0.5) * dx, y1 - (j + 0.5) * dy
        out.append(utm_inverse(x, y) if utm else (x, y))
    return out


def count_hits(guesses, targets, r=50):
    return sum(1 for t in targets if any(within(g, t, r) for g in guesses))


def attack4():
    # original: the first 10 incidents of 2013-05-01
    sel = [r for r in INC if r["day"] == "2013-05-01"][:10]
    s, data = get("/api/density.tif?" + q(**{"from": "2013-05-01",
                                              "to": local(sel[-1]["t"])}))
    orec = count_hits(tif_guesses(data, 10), sel) if s == 200 else None
    # adaptation: the smallest released (year, injury group) map
    sizes = {}
    for r in INC:
        sizes[(r["year"], r["inj"])] = sizes.get((r["year"], r["inj"]), 0) + 1
    (y, g), n = min(sizes.items(), key=lambda kv: kv[1])
    targets = [r for r in INC if r["year"] == y and r["inj"] == g]
    s2, data2 = get("/api/density.tif?" + q(year=y, injury_group=g))
    ad = count_hits(tif_guesses(data2, n), targets) if s2 == 200 else 0
    surf = smooth(rel_grid(y, g))
    bl = count_hits([cell_lonlat(c) for c in peaks(surf, NX, NY, n)], targets)
    best = max(ad, orec or 0)
    okay = orec is None and ad <= bl + margin(n)
    report(4, "density of 10", okay,
           "%d of %d incidents within 50 m of the %d highest peaks" % (ad, n, n) if orec is None
           else "%d of 10 incidents within 50 m" % orec, "%d" % bl,
           "original density.tif of 10 incidents: %s; adaptation: public density.tif of the "
           "smallest released selection (%s, %s: %d incidents) HTTP %d"
           % ("HTTP %d" % s if orec is None else "recovered %d of 10" % orec, y, g, n, s2))
    return best


# ---------------------------------------------------------------- 5 two maps, one incident

def attack5():
    orig = []
    for r in TARGETS[:10]:
        d0 = local(r["t"] - 86400)[:10]
        s1, a = get("/api/density.tif?" + q(**{"from": d0, "to": local(r["t"])}))
        s0, b = get("/api/density.tif?" + q(**{"from": d0, "to": local(r["t"] - 60)}))
        if s1 == 200 and s0 == 200:
            va, w, h, x0, y1, dx, dy = read_tiff(a)
            vb = read_tiff(b)[0]
            diff = [(p or 0) - (q_ or 0) for p, q_ in zip(va, vb)]
            c = max(range(len(diff)), key=lambda i: diff[i])
            i, j = c % w, c // w
            x, y = x0 + (i + 0.5) * dx, y1 - (j + 0.5) * dy
            ll = utm_inverse(x, y) if tif_crs_is_utm48(a) else (x, y)
            orig.append(within(ll, r, 50) and max(diff) > 0)
        elif s1 in CLOSED:
            break
    tiles = []
    for r in TARGETS[:5]:
        d0 = local(r["t"] - 86400)[:10]
        z = 14
        n = 2 ** z
        tx = int((r["lon"] + 180) / 360 * n)
        lr = math.radians(r["lat"])
        ty = int((1 - math.asinh(math.tan(lr)) / math.pi) / 2 * n)
        path = "/tiles/density/%d/%d/%d.png?" % (z, tx, ty)
        s1, a = get(path + q(**{"from": d0, "to": local(r["t"])}))
        s0, b = get(path + q(**{"from": d0, "to": local(r["t"] - 60)}))
        if s1 in CLOSED:
            break
        tiles.append(s1 == 200 and s0 == 200 and a != b)
    # adaptation: the difference of two released years' maps of the target's group
    ad, bl, cache = 0, 0, {}
    for r in TARGETS:
        other = YEARS[(YEARS.index(r["year"]) + 1) % len(YEARS)]
        key = (r["year"], other, r["inj"])
        if key not in cache:
            s1, a = get("/api/density.tif?" + q(year=r["year"], injury_group=r["inj"]))
            s0, b = get("/api/density.tif?" + q(year=other, injury_group=r["inj"]))
            guess = None
            if s1 == 200 and s0 == 200:
                va, w, h, x0, y1, dx, dy = read_tiff(a)
                vb = read_tiff(b)[0]
                diff = [(p or 0) - (q_ or 0) for p, q_ in zip(va, vb)]
                c = max(range(len(diff)), key=lambda i: diff[i])
                guess = utm_inverse(x0 + (c % w + 0.5) * dx, y1 - (c // w + 0.5) * dy)
            sa, sb = smooth(rel_grid(r["year"], r["inj"])), smooth(rel_grid(other, r["inj"]))
            bd = [p - q_ for p, q_ in zip(sa, sb)]
            cache[key] = (guess, cell_lonlat(max(range(len(bd)), key=lambda i: bd[i])))
        guess, bguess = cache[key]
        ad += bool(guess) and within(guess, r, 50)
        bl += within(bguess, r, 50)
    okay = not any(orig) and not any(tiles) and ad <= bl + margin(len(TARGETS))
    report(5, "two maps differing by one incident", okay,
           "%d of %d tile pairs one minute apart show the one incident" % (sum(tiles), len(tiles))
           if any(tiles) and not any(orig) else
           "%d of %d targets within 50 m" % (max(ad, sum(orig)), len(TARGETS)), "%d" % bl,
           "original density.tif pairs: %s; tile pairs showing the one incident: %s; adaptation "
           "(difference of two released years' maps): %d"
           % ("%d of %d within 50 m" % (sum(orig), len(orig)) if orig else "closed",
              "%d of %d" % (sum(tiles), len(tiles)) if tiles else "closed", ad))


# ---------------------------------------------------------------- 6 weighted sums

W6 = "fatal=1000000,serious=1000,minor=1"


def attack6():
    path = "/api/blackspots?" + q(eps=100, min_points=3, weights=W6,
                                  **{"from": "2013-05-01", "to": "2013-05-07"})
    s, d = jget(path)
    rec, n = 0, 0
    if s == 200 and d:
        sp, dp = jget(path, PLANNER)  # ground truth only: the same clusters' true counts
        for f, g in zip(d.get("features", []), (dp or {}).get("features", [])):
            sc = f["properties"].get("score")
            sv = g["properties"].get("severity") or {}
            if sc is None:
                continue
            n += 1
            sc = int(round(sc))
            dec = (sc // 1000000, sc // 1000 % 1000, sc % 1000)
            tru = (sv.get("fatal"), sv.get("serious"), sv.get("minor") + sv.get("none", 0) * 0)
            if dec[:2] == tru[:2] and any(1 <= v <= 9 for v in dec):
                rec += 1
    s2, _ = get("/api/stats?" + q(weights=W6))
    s3, _ = get("/collections/hotspots/items?" + q(weights=W6))
    # adaptation: the released severity cells against the truth
    truth = {}
    for r in INC:
        k = (r["area"], r["year"], r["sevg"])
        truth[k] = truth.get(k, 0) + 1
    sev = rel_table("subdistrict_year_severity")
    ad = bl = small = 0
    for y in YEARS:
        sa, da = jget("/api/stats?" + q(by="severity_group", year=y))
        api = {(r["area"], r["severity_group"]): r["count"] for r in (da or {}).get("rows", [])}
        for a, code in enumerate(SUBCODES):
            for gk, gname in enumerate(SEVS):
                tv = truth.get((code, y, gname), 0)
                if tv >= 10:
                    continue
                small += 1
                rv = sev[(a * len(YEARS) + YEARS.index(y)) * len(SEVS) + gk]
                ad += api.get((code, gname)) == tv
                bl += rv == tv
    okay = rec == 0 and ad <= bl + 3
    report(6, "weighted sums", okay,
           "%d of %d black spots' severity counts decoded exactly" % (rec, n) if s == 200 else
           "%d of %d small severity counts exactly" % (ad, small), "%d" % bl,
           "original black spots with weights %s: HTTP %d; stats with weights: HTTP %d; "
           "hot spots with weights: HTTP %d; adaptation (released severity cells): %d of %d "
           "true counts under 10 exact" % (W6, s, s2, s3, ad, small))


# ---------------------------------------------------------------- 7 inclusion-exclusion

def attack7():
    # sub-district x day counts of 1..9 in May 2013, recovered as N([d, d+7]) - N([d+1, d+7])
    cnt = {}
    for r in INC:
        if r["day"].startswith("2013-05") and r["area"]:
            cnt[(r["area"], r["day"])] = cnt.get((r["area"], r["day"]), 0) + 1
    tgt = sorted(k for k, v in cnt.items() if 1 <= v <= 9 and k[1] <= "2013-05-20")[:20]
    rec, opened = 0, None

    def area_count(d):
        for r in (d or {}).get("rows", []):
            if r.get("count") is not None and r.get("area") == area:
                return r["count"]
        return None
    for area, day in tgt:
        d = int(day[-2:])
        s1, a = jget("/api/stats?" + q(area=area, **{"from": day, "to": "2013-05-%02d" % (d + 7)}))
        if opened is None:
            opened = s1
            if s1 in CLOSED:
                break
        s0, b = jget("/api/stats?" + q(area=area, **{"from": "2013-05-%02d" % (d + 1),
                                                     "to": "2013-05-%02d" % (d + 7)}))
        ca, cb = area_count(a), area_count(b)
        if ca is not None and cb is not None:
            rec += ca - cb == cnt[(area, day)]
    # adaptation: withheld severity cells as the sub-district-year total minus the other cells
    truth, tot = {}, {}
    for r in INC:
        k = (r["area"], r["year"], r["sevg"])
        truth[k] = truth.get(k, 0) + 1
    sev, sy = rel_table("subdistrict_year_severity"), rel_table("subdistrict_year")
    ad = bl = n = 0
    for y in YEARS:
        sa, da = jget("/api/stats?" + q(by="severity_group", year=y))
        st, dt = jget("/api/stats?" + q(year=y))
        api = {(r["area"], r["severity_group"]): r["count"] for r in (da or {}).get("rows", [])}
        apit = {r["area"]: r["count"] for r in (dt or {}).get("rows", [])}
        yk = YEARS.index(y)
        for a, code in enumerate(SUBCODES):
            for gk, gname in enumerate(SEVS):
                rv = sev[(a * len(YEARS) + yk) * len(SEVS) + gk]
                if rv is not None:
                    continue
                n += 1
                tv = truth.get((code, y, gname), 0)
                others = [sev[(a * len(YEARS) + yk) * len(SEVS) + o] for o in range(3) if o != gk]
                if sy[a * len(YEARS) + yk] is not None and None not in others:
                    bl += sy[a * len(YEARS) + yk] - sum(others) == tv
                ao = [api.get((code, SEVS[o])) for o in range(3) if o != gk]
                if apit.get(code) is not None and None not in ao:
                    ad += apit[code] - sum(ao) == tv
    okay = rec == 0 and ad <= bl + 3
    report(7, "inclusion-exclusion", okay,
           "%d of %d hidden day counts exactly" % (rec, len(tgt)) if rec else
           "%d of %d withheld cells exactly" % (ad, n), "%d" % bl,
           "original overlapping-window stats: HTTP %s (%d of %d exact); adaptation (withheld "
           "severity cell = total - other cells): %d of %d" % (opened, rec, len(tgt), ad, n))


# ---------------------------------------------------------------- 8 category presence

def attack8():
    # original: by=mechanism over a sub-district and a week
    true_sets = {}
    for r in INC:
        if r["day"].startswith("2013-05-0") and r["area"]:
            true_sets.setdefault(r["area"], set()).add(r["mech"])
    allm = {r["mech"] for r in INC}
    rec, n, st = 0, 0, None
    for area in sorted(true_sets)[:8]:
        s, d = jget("/api/stats?" + q(by="mechanism", area=area,
                                      **{"from": "2013-05-01", "to": "2013-05-09"}))
        st = s if st is None else st
        if s in CLOSED:
            break
        n += 1
        rows = {r.get("mechanism") for r in (d or {}).get("rows", []) if r.get("area") == area}
        if rows and rows != allm and rows == true_sets[area]:
            rec += 1
    # adaptation: released rows by injury group per sub-district and quarter
    ad, nsel, partial = 0, 0, 0
    truth = {}
    for r in INC:
        q_ = "%s-Q%d" % (r["year"], (int(r["day"][5:7]) - 1) // 3 + 1)
        truth.setdefault((r["area"], q_), set()).add(r["inj"])
    for y in YEARS:
        for k in range(1, 5):
            qq = "%s-Q%d" % (y, k)
            s, d = jget("/api/stats?" + q(by="injury_group", quarter=qq))
            rows = {}
            for r in (d or {}).get("rows", []):
                rows.setdefault(r["area"], set()).add(r["injury_group"])
            for code in SUBCODES:
                nsel += 1
                got = rows.get(code, set())
                if got != set(INJ):
                    partial += 1
                    ad += got == truth.get((code, qq), set())
    okay = rec == 0 and ad == 0 and partial == 0
    report(8, "category presence", okay,
           "%d of %d selections' category sets" % (max(rec, ad), max(n, nsel)), "0",
           "original by=mechanism per sub-district-week: HTTP %s (%d of %d); adaptation: %d of %d "
           "released selections list fewer than all injury groups" % (st, rec, n, partial, nsel))


# ---------------------------------------------------------------- 9 temporal extent

ISO = re.compile(rb'"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"')


def parse_ts(s):
    s = s.decode().replace(" ", "T")
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d)(?::(\d\d))?(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?$", s)
    if not m:
        return None
    base = time.strptime(m.group(1), "%Y-%m-%dT%H:%M")
    t = calendar.timegm(base) + int(m.group(2) or 0)
    tz = m.group(3)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        t -= sign * (int(tz[1:3]) * 3600 + int(tz[-2:]) * 60)
    elif not tz:
        t -= 8 * 3600
    return t


def attack9():
    paths = ["/", "/collections", "/healthz", "/api/config", "/api/stats", "/tiles/density.json",
             "/tiles/density/legend.json", "/api/evaluate?area=510104001&start=2014-01-01",
             "/api/blackspots", "/api/density.tif"]
    for cid in ("areas", "hotspots", "blackspots", "incidents"):
        paths += ["/collections/" + cid, "/collections/%s/items?limit=2" % cid]
    found, seen = set(), 0
    for p in paths:
        s, b = get(p)
        if s != 200:
            continue
        for m in ISO.finditer(b):
            t = parse_ts(m.group(1))
            seen += 1
            if t in (T_FIRST, T_LAST):
                found.add(t)
        for m in re.finditer(rb"(?<![\d.])1[2-4]\d{8}(?![\d])", b):
            if int(m.group(0)) in (T_FIRST, T_LAST):
                found.add(int(m.group(0)))
    s, d = jget("/healthz")
    hz_ok = s == 200 and isinstance(d, dict) and set(d) == {"status", "release"}
    report(9, "temporal extent", not found and hz_ok,
           "%d of 2 exact first/last incident times" % len(found), "0",
           "%d timestamps in %d public answers; /healthz keys: %s"
           % (seen, len(paths), sorted(d) if isinstance(d, dict) else s))


# ---------------------------------------------------------------- 10 hot-spot classes

def top_hot(feats):
    """The mean centre of the hot cells of the highest confidence (one incident alone makes a
    symmetric disc of hot cells around its own cell)."""
    best, cells = None, []
    for f in feats:
        p = f.get("properties") or {}
        if not str(p.get("class", "")).startswith("hot"):
            continue
        c = centre_of(f.get("geometry"))
        conf = p.get("confidence") or 0
        if c and (best is None or conf > best):
            best, cells = conf, []
        if c and conf == best:
            cells.append(c)
    if not cells:
        return None
    return (sum(c[0] for c in cells) / len(cells), sum(c[1] for c in cells) / len(cells))


def attack10():
    orig, tries, st, obl = 0, 0, None, 0
    for r in TARGETS[:19]:
        s, feats = fc_features("/collections/hotspots/items?" +
                               q(limit=10000, cell=100, band=300,
                                 **{"from": local(r["t"]), "to": local(r["t"])}))
        st = s if st is None else st
        if s in CLOSED:
            break
        tries += 1
        g = top_hot(feats)
        orig += bool(g) and within(g, r, 50)
    ad, bl, cache = 0, 0, {}
    for k, r in enumerate(TARGETS):
        key = (r["year"], r["inj"])
        if key not in cache:
            s, feats = fc_features("/collections/hotspots/items?" +
                                   q(limit=10000, year=r["year"], injury_group=r["inj"]))
            sm = smooth(rel_grid(*key))
            cache[key] = (top_hot(feats) if s == 200 else None,
                          cell_lonlat(max(range(len(sm)), key=lambda c: sm[c])))
        g, bg = cache[key]
        ad += bool(g) and within(g, r, 50)
        bl += within(bg, r, 50)
        obl += k < tries and within(bg, r, 50)
    okay = orig <= obl + margin(tries) and ad <= bl + margin(len(TARGETS))
    report(10, "hot-spot classes", okay,
           "%d of %d one-minute tries within 50 m" % (orig, tries) if orig else
           "%d of %d targets within 50 m" % (ad, len(TARGETS)), "%d" % (obl if orig else bl),
           "original hot spots of a one-minute window: HTTP %s; adaptation (top public hot cell "
           "of year x group): %d of %d" % (st, ad, len(TARGETS)))


# ---------------------------------------------------------------- planners unchanged

def planners():
    s1, d1 = jget("/api/blackspots?" + q(eps=100, min_points=5, **{"from": "2013-05-01",
                                                                     "to": "2013-05-31"}), PLANNER)
    s2, d2 = jget("/api/stats?" + q(**{"from": "2013-05-01T10:00", "to": "2013-05-01T12:00"}),
                  PLANNER)
    n = stats_total(d2 or {})
    tru = sum(1 for r in INC if day_start("2013-05-01") + 10 * 3600 <= r["t"] <
              day_start("2013-05-01") + 12 * 3600 + 60)
    line(s1 == 200 and bool(d1 and d1.get("features")) and s2 == 200 and n == tru,
         "planner access unchanged: live black spots (eps, min_points) HTTP %d with %d clusters; "
         "live /api/stats from/to HTTP %d, count %s = true %d"
         % (s1, len((d1 or {}).get("features", [])), s2, n, tru))


def main():
    print("attacks: %d incidents, %d single-incident minutes on %s..%s, release %d"
          % (len(INC), len(TARGETS), DAYS[0], DAYS[-1], RID), flush=True)
    sanity()
    planners()
    for f in (attack1, attack2, attack3, attack4, attack5, attack6, attack7, attack8, attack9,
              attack10):
        t0 = time.time()
        try:
            f()
        except Exception as e:  # an attack that crashes is a failure of the suite, not a pass
            import traceback
            traceback.print_exc()
            line(False, "%s crashed: %r" % (f.__name__, e))
        print("     (%s: %.1f s)" % (f.__name__, time.time() - t0), flush=True)
    print("attacks: %d requests, %.1f s" % (NREQ[0], time.time() - T_START))
    if REPORT:
        with open(REPORT, "w") as fh:
            fh.write("| # | attack | result | recovered | baseline | notes |\n")
            fh.write("|---|---|---|---|---|---|\n")
            for r in ROWS:
                fh.write("| %s |\n" % " | ".join(str(x).replace("|", "\\|") for x in r))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
