/* roadtopo.h - private to geo/import/: the nodes and segments of a road network made from line
 * parts, either with the node ids the source gives or by finding shared vertices (noding), for
 * import_roads.c (the rules are stated in include/hazmap/import_roads.h).
 *
 * Ownership: roadtopo_build() fills *out with arrays it allocates; roadtopo_free() releases
 * them (on a zeroed or half-built roadtopo too). The input is borrowed for the call. */
#ifndef HAZMAP_GEO_ROADTOPO_H
#define HAZMAP_GEO_ROADTOPO_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* One line part as read: vertices v0 .. v0 + nv - 1 of the input arrays (nv >= 2, no two
 * consecutive vertices equal), from the caller's feature feat; from/to are the given end node ids
 * (used only with roadtopo_in.given). */
typedef struct roadtopo_line {
    size_t v0, nv;
    size_t feat;
    int64_t from, to;
} roadtopo_line;

typedef struct roadtopo_in {
    size_t nverts;
    const double *lon, *lat; /* WGS84 degrees */
    const double *x, *y;     /* the same in working-CRS metres */
    size_t nlines;
    const roadtopo_line *lines;
    int given;   /* 1: the lines' from/to are the topology; 0: find the nodes */
    double snap; /* metres; < 0: identical coordinates only */
} roadtopo_in;

/* A segment of the result: vertices p0 .. p0 + np - 1 of the output arrays, from line `line`. */
typedef struct roadtopo_seg {
    size_t line;
    int64_t from, to; /* node ids (roadtopo.node_id values) */
    size_t p0, np;
    double length; /* metres, > 0 */
} roadtopo_seg;

/* A line left out, with the kind and text of its rejection. */
typedef struct roadtopo_reject {
    size_t line;
    const char *kind; /* static */
    char msg[160];
} roadtopo_reject;

typedef struct roadtopo {
    size_t nsegs;
    roadtopo_seg *segs; /* in line order, and along each line */
    size_t npts;
    double *lon, *lat, *x, *y; /* the segments' vertices; ends exactly at their nodes */
    size_t nnodes;
    int64_t *node_id; /* given ids, or 1, 2, ... in order of first use */
    double *node_lon, *node_lat;
    uint32_t *degree;
    size_t nrejects;
    roadtopo_reject *rejects;
} roadtopo;

/* Builds the network. HZ_ENOMEM (out is then to be freed all the same). */
hz_status roadtopo_build(const roadtopo_in *in, roadtopo *out);

void roadtopo_free(roadtopo *t);

#endif
