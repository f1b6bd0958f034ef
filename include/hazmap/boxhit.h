/* boxhit.h - whether a geometry meets an axis-aligned box, exactly (2D, the box's edges
 * included): OGC API - Features 1, /req/core/fc-bbox-response selects a feature when its
 * geometry intersects the bbox, not its envelope.
 *
 * A geometry meets the box when a point of it lies in the box, a segment of it crosses the box,
 * or (areas) the box lies inside it. The last is tested once, for the box's centre, by the
 * even-odd rule over all the area's rings: when no ring crosses the box, the box is wholly
 * inside or wholly outside, and holes and the parts of a multipolygon count by parity.
 *
 * Usage: boxhit_init(), then the geometry's points and rings, then boxhit_met(). A boxhit is a
 * plain value on the caller's stack; nothing is allocated. */
#ifndef HAZMAP_BOXHIT_H
#define HAZMAP_BOXHIT_H

#include <stddef.h>

#include <jansson.h>

typedef struct boxhit {
    double box[4]; /* west, south, east, north; west <= east */
    int met;       /* a point or a segment met the box */
    int inside;    /* parity of the area rings around the box's centre */
} boxhit;

void boxhit_init(boxhit *h, const double box[4]);
void boxhit_point(boxhit *h, double x, double y);
/* One segment; area: an edge of a polygon's ring (counted for the box's centre). */
void boxhit_edge(boxhit *h, double x0, double y0, double x1, double y1, int area);
/* A path of n points (xy: x0, y0, x1, y1, ...); area: a ring of a polygon (closed or not). */
void boxhit_path(boxhit *h, size_t n, const double *xy, int area);
int boxhit_met(const boxhit *h);

/* Whether GeoJSON geometry g (Point, LineString, Polygon, their Multi forms, or a
 * GeometryCollection of them) meets box; 0 for a null or malformed geometry. */
int boxhit_geojson(const json_t *g, const double box[4]);

/* Whether a WKB POLYGON or MULTIPOLYGON (wkb.h) meets box; 0 when it cannot be read. */
int boxhit_wkb(const unsigned char *wkb, size_t len, const double box[4]);

#endif
