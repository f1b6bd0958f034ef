/* wkb.h - reading 2D well-known binary (OGC Simple Features Access, ISO 19125-1, section 8.2):
 * POINT, LINESTRING, POLYGON and their MULTI* forms, of either byte order, as the store hands
 * geometries out. The one WKB reader of the tree: the area index, the snapshot's bounding boxes,
 * the hot-spot regions and the server's GeoJSON all read through it.
 *
 * What is refused (NULL or -1, never a read past the end): a byte-order mark other than 0 or 1,
 * a type other than 1..6 (Z, M, ZM and GEOMETRYCOLLECTION included), a MULTI* member of another
 * type than the MULTI* says, a count larger than the bytes left could hold, a coordinate that is
 * not finite (which includes the NaN of POINT EMPTY), and truncated input. Bytes after the
 * geometry are ignored. */
#ifndef HAZMAP_WKB_H
#define HAZMAP_WKB_H

#include <stddef.h>
#include <stdint.h>

typedef enum wkb_type {
    WKB_POINT = 1,
    WKB_LINESTRING = 2,
    WKB_POLYGON = 3,
    WKB_MULTIPOINT = 4,
    WKB_MULTILINESTRING = 5,
    WKB_MULTIPOLYGON = 6
} wkb_type;

/* A geometry as read, flattened into three levels:
 *   parts   the members of a MULTI*, or the geometry itself (nparts = 1) for a single one;
 *   rings   the point lists of each part, in order: a point's one position, a line string, a
 *           polygon's rings (exterior first, then the holes);
 *   points  x, y interleaved, native byte order, in order over all the rings.
 * part_rings[p] is the number of rings of part p, ring_points[r] the number of points of ring r
 * (counted over all parts). Invariants: the part_rings add up to nrings, the ring_points to
 * npoints; a point's ring holds exactly one point.
 *
 * Ownership: wkb_read() returns a geometry (one allocation block per array) the caller frees
 * with wkb_geom_free(); wkb_geom_free(NULL) is a no-op. */
typedef struct wkb_geom {
    wkb_type type;
    uint32_t nparts, nrings;
    size_t npoints;
    uint32_t *part_rings;
    uint32_t *ring_points;
    double *xy;
} wkb_geom;

/* Reads the geometry at wkb (len bytes; NULL is refused). NULL when refused (above) or out of
 * memory. */
wkb_geom *wkb_read(const unsigned char *wkb, size_t len);

void wkb_geom_free(wkb_geom *g);

/* Called once per ring, in file order: polygon index (0 for a POLYGON), ring index within it
 * (0 = exterior), n points as interleaved x, y doubles in native byte order (borrowed for the
 * call). A non-zero return stops the walk and is passed back. */
typedef int (*wkb_ring_cb)(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy);

/* Walks the rings of a WKB POLYGON or MULTIPOLYGON (wkb_read()). Returns 0; -1, before any call
 * of cb, when the WKB is refused or of another type; -2, before any call, when memory runs out;
 * or cb's non-zero value. */
int wkb_polygon_rings(const unsigned char *wkb, size_t len, wkb_ring_cb cb, void *ud);

#endif
