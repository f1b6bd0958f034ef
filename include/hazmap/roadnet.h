/* roadnet.h - a road network in the working CRS: junction nodes and the segments between them,
 * for the road analyses (sites and screening, network kernel density, the road tiles).
 *
 * Model. A segment is a polyline from one node to another (from != to, or a loop when equal);
 * its length is the polyline's length in the working CRS, in metres (a source's own length field
 * is not used: positions along a segment must agree with its geometry). A node's degree is the
 * number of segment ends at it (a loop counts twice): degree 1 is a dead end, 2 a bend or a
 * change of attributes, >= 3 a junction. Positions on the network are (segment, s) with s the
 * distance in metres from the segment's from-node along its polyline, 0 <= s <= length.
 *
 * Every vertex is kept twice: in working-CRS metres (x, y) for the analyses and in WGS84 degrees
 * (lon, lat) for output, so no analysis has to transform back.
 *
 * Invariants (asserted by roadnet_build): every segment has >= 2 vertices, a length > 0, its
 * first vertex at its from-node's position and its last at its to-node's (bit for bit); node
 * degrees equal the sum of the ends; the adjacency lists hold each segment once per end.
 *
 * Ownership: roadnet_build() copies everything it is given; roadnet_free() releases the network
 * (NULL is a no-op). Pointers returned by the accessors are borrowed, valid until roadnet_free().
 * Thread-safety: a built network is immutable; any number of threads may read and query it. */
#ifndef HAZMAP_ROADNET_H
#define HAZMAP_ROADNET_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

typedef struct roadnet roadnet;

/* One segment as given to roadnet_build(); everything borrowed for the call. */
typedef struct roadnet_seg_in {
    int64_t id;              /* the caller's id (the store's road_segments.id); unique */
    int64_t from, to;        /* node ids, matched by value across segments */
    size_t npts;             /* >= 2 */
    const double *x, *y;     /* npts vertices, working CRS metres */
    const double *lon, *lat; /* the same vertices in WGS84 degrees */
    const char *name;        /* may be NULL */
    const char *cls;         /* road class (OSM highway value: "primary", ...); may be NULL */
    int oneway;              /* 1 only from -> to, -1 only to -> from, 0 both ways */
    int lanes;               /* -1 unknown */
    double maxspeed_kmh;     /* <= 0 or NaN unknown */
    double volume;           /* traffic volume (AADT, vehicles per day); <= 0 or NaN unknown */
} roadnet_seg_in;

/* A built segment. Vertices pts .. pts + npts - 1 of roadnet_xy()/roadnet_lonlat(). */
typedef struct roadnet_seg {
    int64_t id;
    uint32_t from, to; /* node indices */
    uint32_t pts, npts;
    double length; /* metres, > 0 */
    const char *name, *cls;
    int oneway, lanes;
    double maxspeed_kmh, volume; /* NaN when unknown */
} roadnet_seg;

typedef struct roadnet_node {
    int64_t id;
    double x, y, lon, lat;
    uint32_t degree;
    uint32_t adj; /* first entry of this node's adjacency in roadnet_adj(); degree entries */
} roadnet_node;

/* One end of a segment at a node: the segment and whether the node is its from end (s = 0) or
 * its to end (s = length). A loop has two entries at its node. */
typedef struct roadnet_end {
    uint32_t seg;
    uint8_t at_to; /* 0: the node is the segment's from end, 1: its to end */
} roadnet_end;

/* Builds the network from n segments. Node positions are taken from the segments' end vertices;
 * two ends with the same node id must have the same coordinates (HZ_EINVAL names the segment
 * otherwise), as must every vertex be finite and every segment have length > 0. Duplicate
 * segment ids are HZ_EINVAL. HZ_ENOMEM. n == 0 gives an empty network. */
roadnet *roadnet_build(size_t n, const roadnet_seg_in *segs, char *err, size_t errlen);

void roadnet_free(roadnet *net);

size_t roadnet_seg_count(const roadnet *net);
size_t roadnet_node_count(const roadnet *net);
const roadnet_seg *roadnet_segs(const roadnet *net);
const roadnet_node *roadnet_nodes(const roadnet *net);
/* The adjacency: node v's ends are adj[nodes[v].adj .. nodes[v].adj + nodes[v].degree - 1]. */
const roadnet_end *roadnet_adj(const roadnet *net);
/* All vertices, segment after segment: x[i], y[i] metres; lon[i], lat[i] degrees. */
void roadnet_xy(const roadnet *net, const double **x, const double **y);
void roadnet_lonlat(const roadnet *net, const double **lon, const double **lat);
/* Total length of all segments, metres. */
double roadnet_total_length(const roadnet *net);
/* Index of the segment with this id, or -1 (binary search). */
int64_t roadnet_seg_find(const roadnet *net, int64_t id);

/* The point at distance s (clamped to [0, length]) along segment seg, in both CRSs (any output
 * pointer may be NULL). */
void roadnet_point_at(const roadnet *net, uint32_t seg, double s, double *x, double *y, double *lon,
                      double *lat);

/* The part of segment seg between s0 and s1 (0 <= s0 < s1 <= length, clamped) as a polyline in
 * WGS84: its vertices strictly between s0 and s1 plus the two interpolated ends. Writes at most
 * cap points to lon/lat and returns the number the part has (call with cap 0 to size it). */
size_t roadnet_subline(const roadnet *net, uint32_t seg, double s0, double s1, double *lon,
                       double *lat, size_t cap);

/* A position on the network found by a nearest query. */
typedef struct roadnet_hit {
    uint32_t seg;
    double s;    /* distance along seg from its from-node, metres */
    double dist; /* planar distance from the query point, metres */
} roadnet_hit;

/* The nearest point of any segment to (x, y) within maxdist metres (ties: the lower segment
 * index). Returns 1 and fills *hit, or 0 when no segment is that close. Uses a grid index built
 * with the network; O(segments near the point). */
int roadnet_nearest(const roadnet *net, double x, double y, double maxdist, roadnet_hit *hit);

/* The nearest node of degree >= min_degree within maxdist (ties: the lower index). Returns its
 * index, or -1. */
int64_t roadnet_nearest_node(const roadnet *net, double x, double y, double maxdist,
                             uint32_t min_degree);

/* Loads the store's road network (the road_segments table; geo/roadnet_load.c), its vertices
 * projected to the working CRS with w. A store without roads gives an empty network. NULL with
 * the reason in err. */
roadnet *roadnet_load(store *st, workcrs *w, char *err, size_t errlen);

#endif
