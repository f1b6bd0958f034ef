/* reportmap.h - the static maps of the quarterly report (report.h): one PNG of the study area
 * with, bottom to top, a white ground, a density surface (tilerender.h, classed by the view's
 * colour scale, colorramp.h), the streets (roadnet.h, widths of roadtile_class_width()), the
 * area boundaries and marks (hot-spot cells, black spots, road sites), the line layers stroked
 * with the canvas of linerender.h and composited OVER in straight RGBA.
 *
 * Geometry. The map is a window of Web Mercator pixels at the deepest whole zoom at which the
 * areas' bounding box (plus a 16 px margin) fits the requested size, centred on that box; the
 * density is read through the same XYZ tiles as the page's layer (tilerender_density()), so the
 * report shows what the page shows at that zoom.
 *
 * Ownership: reportmap_png() returns a malloc'd PNG the caller frees. Everything in the spec is
 * borrowed for the call. Thread-safety: as the tilerender it is given (shared renderers are). */
#ifndef HAZMAP_REPORTMAP_H
#define HAZMAP_REPORTMAP_H

#include <stddef.h>

#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/status.h"
#include "hazmap/tilerender.h"

/* A mark: a point (n 1, drawn as a dot of diameter width) or a polyline (n >= 2; closed: the
 * last point joined to the first), lon/lat degrees. */
typedef struct reportmap_mark {
    size_t n;
    const double *lon, *lat;
    int closed;
    double width;          /* pixels */
    unsigned char rgba[4]; /* straight */
    const char *label;     /* drawn at the first point, above every mark (ranks); may be NULL */
} reportmap_mark;

typedef struct reportmap_spec {
    const incset *areas; /* boundaries and the map's extent; required */
    const roadnet *net;  /* streets; NULL for none */
    tilerender *tr;      /* density layer; NULL for none (then density is ignored) */
    const tile_params *density;
    const reportmap_mark *marks;
    size_t nmarks;
    int width, height; /* pixels, 64..2048 */
} reportmap_spec;

/* The map as an RGBA PNG. HZ_EINVAL for a bad size or no area with an extent; the density's
 * errors (tilerender_density()); HZ_ENOMEM; HZ_EIO for libpng. */
hz_status reportmap_png(const reportmap_spec *s, unsigned char **png, size_t *len, char *err,
                        size_t errlen);

/* The zoom and the window's top-left global pixel chosen for a bounding box {west, south, east,
 * north} and a size (rule above); exposed for tests. 0 on success, -1 for an empty box. */
int reportmap_window(const double bbox[4], int width, int height, int *z, double *ox, double *oy);

#endif
