#!/usr/bin/env python3
"""make-roads.py - builds data/jinjiang_roads.geojson, the bundled Jinjiang road network.

    tools/make-roads.py EDGES.geojson OSM.osm OUT.geojson
    e.g. tools/make-roads.py /work/shared/data/chengdu-roads/jinjiang_road_edges.geojson \\
             /work/shared/data/chengdu-roads/chengdu_north_2018.osm data/jinjiang_roads.geojson

Input: the Jinjiang edge list (fields edge_id, u, v, length_m; straight lines from node to node,
WGS84) and an OpenStreetMap XML extract with names and classes (see data/README.md, "Roads").
Output: the same edges, with every shared node at one position (the first edge's), coordinates
rounded to 7 decimals (about 1 cm), length_m to 0.1 m, and `name` and `highway` copied from an
OSM way along which the edge clearly lies.

The rule. An OSM way (with a highway tag, not an area) is along an edge when both end nodes of
the edge and its midpoint lie within 15 m of the way's polyline. Of the ways along an edge the
one with the smallest largest distance of the three points is taken; it gives `highway`, and
`name` when it has one. Distances are planar in a local equirectangular projection (metres at
the data's mean latitude; the error over a few kilometres is far below the 15 m). Standard
library only (no GDAL bindings needed). Prints how many edges got a class and a name.
"""
import json
import math
import sys
import xml.etree.ElementTree as ET

TOL = 15.0  # metres
CELL = 50.0  # metres, the grid of the way index


def local_xy(lat0):
    kx = math.cos(math.radians(lat0)) * 111320.0
    ky = 110574.0
    return lambda lon, lat: (lon * kx, lat * ky)


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    d2 = dx * dx + dy * dy
    t = 0.0 if d2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / d2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def read_osm(path, xy):
    root = ET.parse(path).getroot()
    nodes = {n.get('id'): xy(float(n.get('lon')), float(n.get('lat'))) for n in root.iter('node')}
    ways = []
    for w in root.iter('way'):
        tags = {t.get('k'): t.get('v') for t in w.iter('tag')}
        if 'highway' not in tags or tags.get('area') == 'yes':
            continue
        pts = [nodes[nd.get('ref')] for nd in w.iter('nd') if nd.get('ref') in nodes]
        if len(pts) >= 2:
            ways.append((tags.get('name'), tags['highway'], pts))
    return ways


def index_ways(ways):
    grid = {}
    for wi, (_, _, pts) in enumerate(ways):
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            for cx in range(int(math.floor(min(ax, bx) / CELL)), int(math.floor(max(ax, bx) / CELL)) + 1):
                for cy in range(int(math.floor(min(ay, by) / CELL)), int(math.floor(max(ay, by) / CELL)) + 1):
                    grid.setdefault((cx, cy), set()).add(wi)
    return grid


def way_dist(pts, px, py):
    return min(seg_dist(px, py, ax, ay, bx, by) for (ax, ay), (bx, by) in zip(pts, pts[1:]))


def near_ways(grid, px, py):
    cx, cy = int(math.floor(px / CELL)), int(math.floor(py / CELL))
    out = set()
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            out |= grid.get((cx + dx, cy + dy), set())
    return out


def best_way(ways, grid, probes):
    """The way within TOL of every probe point with the smallest largest distance, or None."""
    cand = None
    for p in probes:
        s = near_ways(grid, *p)
        cand = s if cand is None else cand & s
    best, best_d = None, TOL
    for wi in sorted(cand or ()):
        d = max(way_dist(ways[wi][2], *p) for p in probes)
        if d <= best_d:
            best, best_d = wi, d
    return best


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    edges = json.load(open(sys.argv[1], encoding='utf-8'))['features']
    lat0 = sum(f['geometry']['coordinates'][0][1] for f in edges) / len(edges)
    xy = local_xy(lat0)
    ways = read_osm(sys.argv[2], xy)
    grid = index_ways(ways)
    pos = {}
    out, named, classed = [], 0, 0
    for f in edges:
        p = f['properties']
        c = f['geometry']['coordinates']
        a = pos.setdefault(p['u'], (round(c[0][0], 7), round(c[0][1], 7)))
        b = pos.setdefault(p['v'], (round(c[-1][0], 7), round(c[-1][1], 7)))
        coords = [list(a)] + [[round(x, 7), round(y, 7)] for x, y in c[1:-1]] + [list(b)]
        props = {'edge_id': p['edge_id'], 'u': p['u'], 'v': p['v'],
                 'length_m': round(p['length_m'], 1)}
        pa, pb = xy(*a), xy(*b)
        wi = best_way(ways, grid, [pa, pb, ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)])
        if wi is not None:
            name, hw, _ = ways[wi]
            props['highway'] = hw
            classed += 1
            if name:
                props['name'] = name
                named += 1
        out.append({'type': 'Feature', 'properties': props,
                    'geometry': {'type': 'LineString', 'coordinates': coords}})
    doc = {'type': 'FeatureCollection', 'name': 'jinjiang_roads', 'features': out}
    with open(sys.argv[3], 'w', encoding='utf-8') as fo:
        fo.write('{"type":"FeatureCollection","name":"jinjiang_roads","features":[\n')
        fo.write(',\n'.join(json.dumps(f, ensure_ascii=False, separators=(',', ':')) for f in out))
        fo.write('\n]}\n')
    json.loads(open(sys.argv[3], encoding='utf-8').read())  # the output parses
    del doc
    print(f'make-roads: {len(out)} edges, {len(pos)} nodes; {classed} with an OSM class, '
          f'{named} with a name ({len(ways)} OSM highway ways read)')


if __name__ == '__main__':
    main()
