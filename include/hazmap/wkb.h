/* wkb.h - reading the rings of (MULTI)POLYGON well-known binary (OGC Simple Features Access,
 * ISO 19125-1, section 8.2), as the store hands area geometries out. */
#ifndef HAZMAP_WKB_H
#define HAZMAP_WKB_H

#include <stddef.h>
#include <stdint.h>

/* Called once per ring, in file order: polygon index, ring index within it (0 = exterior),
 * n points as interleaved x, y doubles in native byte order (borrowed for the call). A non-zero
 * return stops the walk and is passed back. */
typedef int (*wkb_ring_cb)(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy);

/* Walks the rings of a WKB POLYGON or MULTIPOLYGON of either byte order. Returns 0, -1 when the
 * WKB is malformed, truncated or of another type (or memory runs out), or cb's non-zero value. */
int wkb_polygon_rings(const unsigned char *wkb, size_t len, wkb_ring_cb cb, void *ud);

#endif
