#!/usr/bin/env python3
"""Builds the NB2 regression fixtures (sections.csv, junctions.csv) from the real Jinjiang road
network; run once, outputs committed. Python 3 standard library only, seeded: reruns give the
same files.

    python3 make_fixture.py /work/shared/data/chengdu-roads/jinjiang_road_edges.geojson

Lengths and node degrees are the real network's (see ../../../../shared/data/chengdu-roads/
SOURCE.md; (c) OpenStreetMap contributors, ODbL 1.0). Road classes, study years and every crash
count are synthetic, drawn here:
  sections: ln mu = -0.6 + 0.8 ln(length_km) + 0.5 [arterial] + 0.25 [collector] + ln(years),
            y ~ NB2(mu, theta = 2.5)  (k = 0.4); y_under ~ Binomial(n = 40, mu / 40), an
            underdispersed (Var < mu) count of the same mean, for the k -> 0 case.
  junctions (nodes of degree >= 3): ln mu = -0.2 + 1.1 ln(degree) + ln(years), theta = 4.
"""
import json
import math
import random
import sys

rng = random.Random(20240610)


def poisson(lam):
    """Knuth's multiplication method, in pieces of mean <= 10 (sum of Poissons is Poisson)."""
    total = 0
    while lam > 0:
        part = min(lam, 10.0)
        lam -= part
        limit, k, p = math.exp(-part), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        total += k
    return total


def negbin(mu, theta):
    return poisson(rng.gammavariate(theta, mu / theta))


def binomial(n, p):
    return sum(1 for _ in range(n) if rng.random() < p)


def main(path):
    edges = json.load(open(path, encoding="utf-8"))["features"]
    degree = {}
    for e in edges:
        for end in ("u", "v"):
            node = e["properties"][end]
            degree[node] = degree.get(node, 0) + 1
    sample = rng.sample(edges, 400)
    with open("sections.csv", "w", encoding="ascii") as out:
        out.write("edge_id,length_m,class,years,y,y_under\n")
        for e in sample:
            p = e["properties"]
            length = p["length_m"]
            r = rng.random()
            cls = "arterial" if r < 0.25 else "collector" if r < 0.55 else "local"
            years = rng.choice((3, 5))
            eta = -0.6 + 0.8 * math.log(length / 1000) + math.log(years)
            eta += {"arterial": 0.5, "collector": 0.25, "local": 0.0}[cls]
            mu = math.exp(eta)
            y = negbin(mu, 2.5)
            y_under = binomial(40, min(mu / 40, 1.0))
            out.write(f"{p['edge_id']},{length:.3f},{cls},{years},{y},{y_under}\n")
    junctions = sorted(n for n, d in degree.items() if d >= 3)
    picked = sorted(rng.sample(junctions, 300))
    with open("junctions.csv", "w", encoding="ascii") as out:
        out.write("node_id,degree,years,y\n")
        for n in picked:
            years = rng.choice((3, 5))
            mu = math.exp(-0.2 + 1.1 * math.log(degree[n]) + math.log(years))
            out.write(f"{n},{degree[n]},{years},{negbin(mu, 4.0)}\n")


if __name__ == "__main__":
    main(sys.argv[1])
