#!/usr/bin/env python3
"""fuzz.py - random hostile query strings against a live hazmap server (tests/integration/server.sh).

usage: fuzz.py BASE_URL TOKEN N SEED
Sends N requests built from the endpoints' own parameter names with hostile values, half with the
planner token; prints one line per request that got a 5xx or no answer, and exits 1 if any did."""
import http.client
import random
import sys
import urllib.parse

base, token, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
u = urllib.parse.urlparse(base)
paths = ["/collections/areas/items", "/collections/incidents/items", "/collections/hotspots/items",
         "/collections/blackspots/items", "/api/stats", "/api/evaluate", "/api/blackspots",
         "/tiles/density/14/12928/6725.png", "/tiles/density.json", "/tiles/density/legend.json",
         "/collections/areas/items/510104001", "/api/config", "/", "/collections"]
keys = ["bbox", "limit", "offset", "datetime", "mechanism", "place", "intent", "severity", "sex",
        "from", "to", "age", "disability", "area", "weight", "weights", "cell", "shape", "band",
        "star", "eps", "min_points", "by", "format", "start", "before_days", "after_days",
        "compare", "kernel", "bandwidth", "f", "x"]
values = ["", "0", "-1", "1e308", "nan", "inf", "-0", "99999999999999999999", "1,2", "1,2,3,4",
          "104,30,105,31", "180,90,-180,-90", "..", "../..", "2013-01-01", "2013-02-30",
          "2013-01-01/..", "traffic,traffic", "fall,", ",", "a" * 5000, "锦江", "%00", "\x01",
          "'; DROP TABLE incidents; --", "auto", "hex", "row", "binary", "65-", "-14", "200-1",
          "fatal=1e308", "fatal=-1", "yes", "maybe", "510104001", "csv", "json", "area,sex,colour",
          "0.0001", "5000", "2", "1"]
bad = 0
seen = {}
for i in range(n):
    path = rnd.choice(paths)
    q = "&".join(f"{urllib.parse.quote(rnd.choice(keys))}={urllib.parse.quote(rnd.choice(values))}"
                 for _ in range(rnd.randint(0, 4)))
    url = path + ("?" + q if q else "")
    headers = {"Authorization": "Bearer " + token} if rnd.random() < 0.5 else {}
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        c.request("GET", url, headers=headers)
        r = c.getresponse()
        r.read()
        c.close()
        seen[r.status] = seen.get(r.status, 0) + 1
        if r.status >= 500:
            print(f"{r.status} {url}")
            bad += 1
    except Exception as e:  # no answer at all
        print(f"no answer ({e}) {url}")
        bad += 1
print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))
sys.exit(1 if bad else 0)
