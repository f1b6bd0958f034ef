/* roadtile.h - road tiles: a road network (roadnet.h) drawn on Web Mercator XYZ tiles
 * (tilemath.h) with the line canvas of linerender.h.
 *
 * The street layer is every segment in light grey on transparency, the width by road class
 * (roadtile_class_width()): the offline base map of the page, drawn under every overlay.
 * roadtile_png_pieces() draws given parts of segments in given colours instead (the roads
 * coloured by network density).
 *
 * Method. roadtile_new() projects every vertex once to EPSG:3857 and keeps each segment's box
 * there, and an order of the segments from minor to major classes (major roads are drawn last,
 * on top). A tile tests every segment's box against its own, grown by the widest line's half
 * width: O(segments) box tests per tile (about 10 us for the 5,000 segments of Jinjiang); a
 * city's 10^5 segments would want a grid index here. A tile that no line reaches is the
 * constant transparent PNG, without drawing.
 *
 * Ownership: roadtile_new() borrows net, which must outlive the roadtile; roadtile_free()
 * releases it (NULL is a no-op). Thread-safety: a built roadtile is immutable; any number of
 * threads may render from it at once. */
#ifndef HAZMAP_ROADTILE_H
#define HAZMAP_ROADTILE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/roadnet.h"
#include "hazmap/status.h"

typedef struct roadtile roadtile;

/* The street colour (light grey, opaque: the layer is drawn under the overlays). */
#define ROADTILE_STREET_RGBA                                                                       \
    {                                                                                              \
        180, 184, 189, 255                                                                         \
    }

/* A roadtile over net (borrowed), or NULL with the reason (HZ_ENOMEM). An empty network is fine:
 * every tile is then transparent. */
roadtile *roadtile_new(const roadnet *net, char *err, size_t errlen);

void roadtile_free(roadtile *rt);

/* The line width in pixels of road class cls (an OSM highway value; NULL or unknown is a medium
 * road) at zoom z: at z16 motorway and trunk 7, primary 6, secondary 5, tertiary 4, unknown 3.5,
 * residential, unclassified and living streets 2.5, service roads and paths 1.5, a *_link 0.7 of
 * its road; times 2^((z - 16) / 2) clamped to [0.35, 1.6], and at least 0.6 px. */
double roadtile_class_width(const char *cls, int z);

/* The bounding box of the network in degrees {west, south, east, north}; 0 when it is empty
 * (b untouched), else 1. */
int roadtile_bounds(const roadtile *rt, double b[4]);

/* The street layer's tile z/x/y (valid, tilemath_valid()) as an RGBA PNG; *png malloc'd, the
 * caller frees it. HZ_EINVAL for an invalid tile, HZ_ENOMEM, HZ_EIO. */
hz_status roadtile_png(const roadtile *rt, int z, int x, int y, unsigned char **png, size_t *len,
                       char *err, size_t errlen);

/* A part of a segment to draw: seg's stretch from s0 to s1 metres along it (roadnet_subline()),
 * in colour rgba (alpha 0: not drawn), at the segment's class width times width_scale. */
typedef struct roadtile_piece {
    uint32_t seg;
    double s0, s1;
    unsigned char rgba[4];
    double width_scale;
} roadtile_piece;

/* Tile z/x/y with the n pieces drawn in order (callers put the strongest colours last, on top).
 * As roadtile_png() otherwise. */
hz_status roadtile_png_pieces(const roadtile *rt, int z, int x, int y, const roadtile_piece *pieces,
                              size_t n, unsigned char **png, size_t *len, char *err, size_t errlen);

#endif
