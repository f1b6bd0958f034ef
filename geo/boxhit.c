/* boxhit.c - exact geometry/box intersection (boxhit.h). */
#include "hazmap/boxhit.h"
#include "hazmap/wkb.h"

#include <assert.h>
#include <string.h>

void boxhit_init(boxhit *h, const double box[4])
{
    assert(box[0] <= box[2] && box[1] <= box[3]);
    memcpy(h->box, box, sizeof h->box);
    h->met = 0;
    h->inside = 0;
}

void boxhit_point(boxhit *h, double x, double y)
{
    const double *b = h->box;
    if (x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) h->met = 1;
}

/* Liang-Barsky: clips p + t d, t in [t0, t1], by p.q <= q; 0 when nothing is left. */
static int clip(double p, double q, double *t0, double *t1)
{
    if (p == 0) return q >= 0;
    double r = q / p;
    if (p < 0) {
        if (r > *t1) return 0;
        if (r > *t0) *t0 = r;
    } else {
        if (r < *t0) return 0;
        if (r < *t1) *t1 = r;
    }
    return 1;
}

/* Whether the segment (x0, y0)-(x1, y1) meets the box. */
static int segment_meets(const double *b, double x0, double y0, double x1, double y1)
{
    double dx = x1 - x0, dy = y1 - y0, t0 = 0, t1 = 1;
    return clip(-dx, x0 - b[0], &t0, &t1) && clip(dx, b[2] - x0, &t0, &t1) &&
           clip(-dy, y0 - b[1], &t0, &t1) && clip(dy, b[3] - y0, &t0, &t1);
}

void boxhit_edge(boxhit *h, double x0, double y0, double x1, double y1, int area)
{
    const double *b = h->box;
    if (!h->met && segment_meets(b, x0, y0, x1, y1)) h->met = 1;
    /* even-odd: does the edge cross the ray from the box's centre towards +x? */
    double cx = 0.5 * (b[0] + b[2]), cy = 0.5 * (b[1] + b[3]);
    if (area && (y0 > cy) != (y1 > cy) && cx < x0 + (cy - y0) * (x1 - x0) / (y1 - y0))
        h->inside ^= 1;
}

void boxhit_path(boxhit *h, size_t n, const double *xy, int area)
{
    if (n == 1) boxhit_point(h, xy[0], xy[1]);
    for (size_t i = 0; n >= 2 && i < (area ? n : n - 1); i++) {
        size_t j = (i + 1) % n; /* an area's ring closes itself */
        boxhit_edge(h, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1], area);
    }
}

int boxhit_met(const boxhit *h)
{
    return h->met || h->inside;
}

/* ---- GeoJSON ---- */

enum { POINTS, LINE, RING }; /* what an array of positions is */

/* Position p's x and y; -1 when p is not a position. */
static int position(const json_t *p, double *x, double *y)
{
    if (!json_is_array(p) || json_array_size(p) < 2 || !json_is_number(json_array_get(p, 0)) ||
        !json_is_number(json_array_get(p, 1)))
        return -1;
    *x = json_number_value(json_array_get(p, 0));
    *y = json_number_value(json_array_get(p, 1));
    return 0;
}

/* Adds an array of positions: points (MultiPoint), a line, or an area's ring (closed by its
 * last edge back to the first position). -1 when malformed. */
static int add_path(boxhit *h, const json_t *a, int kind)
{
    size_t n = json_array_size(a);
    if (!json_is_array(a)) return -1;
    double x0 = 0, y0 = 0, px = 0, py = 0;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (position(json_array_get(a, i), &x, &y)) return -1;
        if (kind == POINTS || n == 1)
            boxhit_point(h, x, y);
        else if (i > 0)
            boxhit_edge(h, px, py, x, y, kind == RING);
        if (i == 0) x0 = x, y0 = y;
        px = x, py = y;
    }
    if (kind == RING && n >= 2) boxhit_edge(h, px, py, x0, y0, 1);
    return 0;
}

/* Adds every array of positions of a (a polygon's rings, a MultiLineString's lines). */
static int add_paths(boxhit *h, const json_t *a, int kind)
{
    if (!json_is_array(a)) return -1;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (add_path(h, json_array_get(a, i), kind)) return -1;
    return 0;
}

static int add_geometry(boxhit *h, const json_t *g)
{
    const char *t = json_string_value(json_object_get(g, "type"));
    const json_t *c = json_object_get(g, "coordinates");
    double x, y;
    if (!t) return -1;
    if (strcmp(t, "Point") == 0) {
        if (position(c, &x, &y)) return -1;
        boxhit_point(h, x, y);
        return 0;
    }
    if (strcmp(t, "MultiPoint") == 0) return add_path(h, c, POINTS);
    if (strcmp(t, "LineString") == 0) return add_path(h, c, LINE);
    if (strcmp(t, "MultiLineString") == 0) return add_paths(h, c, LINE);
    if (strcmp(t, "Polygon") == 0) return add_paths(h, c, RING);
    if (strcmp(t, "MultiPolygon") == 0) {
        if (!json_is_array(c)) return -1;
        for (size_t i = 0; i < json_array_size(c); i++)
            if (add_paths(h, json_array_get(c, i), RING)) return -1;
        return 0;
    }
    return -1;
}

int boxhit_geojson(const json_t *g, const double box[4])
{
    const char *t = json_string_value(json_object_get(g, "type"));
    if (t && strcmp(t, "GeometryCollection") == 0) {
        const json_t *gs = json_object_get(g, "geometries");
        for (size_t i = 0; i < json_array_size(gs); i++)
            if (boxhit_geojson(json_array_get(gs, i), box)) return 1;
        return 0;
    }
    boxhit h;
    boxhit_init(&h, box);
    return add_geometry(&h, g) == 0 && boxhit_met(&h);
}

/* ---- WKB ---- */

static int wkb_ring(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    (void)polygon;
    (void)ring;
    boxhit_path(ud, n, xy, 1);
    return 0;
}

int boxhit_wkb(const unsigned char *wkb, size_t len, const double box[4])
{
    boxhit h;
    boxhit_init(&h, box);
    return wkb_polygon_rings(wkb, len, wkb_ring, &h) == 0 && boxhit_met(&h);
}
