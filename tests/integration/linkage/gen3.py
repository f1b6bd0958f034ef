#!/usr/bin/env python3
"""gen3.py - three synthetic injury sources with a known truth, for tests/integration/linkage.sh.

usage: gen3.py OUTDIR [EVENTS] [SEED]
True events (EVENTS, default 300) in a 1 km box in Chengdu over 10 days; the hospital, police and
traffic_police sources record each event with probability 0.6, 0.5 and 0.4, each with the time
moved by up to +-15 minutes, the point by about 20 m, the age by 1 year now and then, and the sex
sometimes missing. Writes OUTDIR/{hospital,police,traffic_police}.csv and OUTDIR/truth.csv
(source, source_id, event)."""
import csv
import datetime
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261129)
os.makedirs(out, exist_ok=True)
t0 = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
mechs = ["traffic", "fall", "violence", "cut_pierce", "fire_burn"]
events = []
for e in range(n):
    events.append(dict(t=t0 + datetime.timedelta(seconds=rng.uniform(0, 10 * 86400)),
                       lon=104.06 + rng.uniform(0, 0.0104), lat=30.65 + rng.uniform(0, 0.009),
                       age=rng.randint(1, 90), sex=rng.choice(["male", "female"]),
                       mech=rng.choice(mechs)))
sources = [("hospital", 0.6), ("police", 0.5), ("traffic_police", 0.4)]
truth = open(os.path.join(out, "truth.csv"), "w", newline="")
tw = csv.writer(truth)
tw.writerow(["source", "source_id", "event"])
for name, p in sources:
    with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "occurred_at", "lon", "lat", "age", "sex", "mechanism"])
        k = 0
        for e, ev in enumerate(events):
            if rng.random() >= p:
                continue
            k += 1
            t = ev["t"] + datetime.timedelta(seconds=rng.uniform(-900, 900))
            age = ev["age"] + (rng.choice([-1, 1]) if rng.random() < 0.3 else 0)
            sex = "" if rng.random() < 0.1 else ev["sex"]
            w.writerow([k, t.isoformat(timespec="seconds"),
                        "%.6f" % (ev["lon"] + rng.gauss(0, 20) / 95800),
                        "%.6f" % (ev["lat"] + rng.gauss(0, 20) / 111000), age, sex, ev["mech"]])
            tw.writerow([name, k, e])
truth.close()
