/* wkb.c - reading 2D well-known binary into a flattened geometry (wkb.h).
 *
 * The input is read twice by the same code: a first pass checks it and counts parts, rings and
 * points without storing anything; the second fills arrays of exactly those sizes. Invariant:
 * both passes see the same bytes, so the second finds the counts of the first (asserted). */
#include "hazmap/wkb.h"

#include <assert.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const unsigned char *p, *end;
    int swap;    /* the (sub-)geometry's byte order differs from the machine's */
    wkb_geom *g; /* NULL on the counting pass */
    uint32_t nparts, nrings;
    size_t npoints;
} reader;

static int rd_u32(reader *r, uint32_t *v)
{
    if (r->end - r->p < 4) return -1;
    uint32_t x;
    memcpy(&x, r->p, 4);
    *v = r->swap ? __builtin_bswap32(x) : x;
    r->p += 4;
    return 0;
}

/* Byte order and geometry type of the next (sub-)geometry. */
static int rd_header(reader *r, uint32_t *type)
{
    if (r->p >= r->end || *r->p > 1) return -1;
    r->swap = (*r->p++ == 1) != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    return rd_u32(r, type);
}

/* One point list: a count and that many points, or (single) one point without a count. */
static int rd_points(reader *r, int single)
{
    uint32_t n = 1;
    if (!single && rd_u32(r, &n)) return -1;
    if ((size_t)(r->end - r->p) / 16 < n) return -1;
    double *out = r->g ? r->g->xy + 2 * r->npoints : NULL;
    for (size_t k = 0; k < (size_t)n * 2; k++) {
        uint64_t bits;
        double v;
        memcpy(&bits, r->p, 8);
        if (r->swap) bits = __builtin_bswap64(bits);
        memcpy(&v, &bits, 8);
        if (!isfinite(v)) return -1;
        if (out) out[k] = v;
        r->p += 8;
    }
    if (r->g) r->g->ring_points[r->nrings] = n;
    r->nrings++;
    r->npoints += n;
    return 0;
}

/* The body of a single geometry (after its header): one part. */
static int rd_part(reader *r, uint32_t type)
{
    uint32_t first = r->nrings, n;
    switch (type) {
    case WKB_POINT:
    case WKB_LINESTRING:
        if (rd_points(r, type == WKB_POINT)) return -1;
        break;
    case WKB_POLYGON:
        if (rd_u32(r, &n) || (size_t)(r->end - r->p) / 4 < n) return -1;
        for (uint32_t i = 0; i < n; i++)
            if (rd_points(r, 0)) return -1;
        break;
    default:
        return -1;
    }
    if (r->g) r->g->part_rings[r->nparts] = r->nrings - first;
    r->nparts++;
    return 0;
}

static int rd_geometry(reader *r, uint32_t *type)
{
    if (rd_header(r, type)) return -1;
    if (*type >= WKB_POINT && *type <= WKB_POLYGON) return rd_part(r, *type);
    if (*type < WKB_MULTIPOINT || *type > WKB_MULTIPOLYGON) return -1;
    uint32_t n, sub;
    /* a member is at least 9 bytes (an empty polygon or line string) */
    if (rd_u32(r, &n) || (size_t)(r->end - r->p) / 9 < n) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (rd_header(r, &sub) || sub != *type - 3 || rd_part(r, sub)) return -1;
    return 0;
}

/* wkb_read(), setting *oom when it is memory that ran out. */
static wkb_geom *read_geom(const unsigned char *wkb, size_t len, int *oom)
{
    *oom = 0;
    if (!wkb) return NULL;
    reader r = {wkb, wkb + len, 0, NULL, 0, 0, 0};
    uint32_t type;
    if (rd_geometry(&r, &type)) return NULL;
    /* One block: the struct, the points, then the two count arrays. */
    size_t head = (sizeof(wkb_geom) + alignof(double) - 1) / alignof(double) * alignof(double);
    size_t size =
        head + r.npoints * 2 * sizeof(double) + ((size_t)r.nparts + r.nrings) * sizeof(uint32_t);
    wkb_geom *g = malloc(size);
    if (!g) {
        *oom = 1;
        return NULL;
    }
    g->type = (wkb_type)type;
    g->nparts = r.nparts;
    g->nrings = r.nrings;
    g->npoints = r.npoints;
    /* cppcheck: invalidPointerCast is about reading one type's bytes as another; these casts only
     * carve the fresh block into its arrays (aligned by head, doubles first) and read nothing. */
    // cppcheck-suppress invalidPointerCast
    g->xy = (double *)((char *)g + head);
    // cppcheck-suppress invalidPointerCast
    g->part_rings = (uint32_t *)(g->xy + 2 * r.npoints);
    g->ring_points = g->part_rings + r.nparts;
    reader fill = {wkb, wkb + len, 0, g, 0, 0, 0};
    int rc = rd_geometry(&fill, &type);
    assert(rc == 0 && fill.nparts == g->nparts && fill.nrings == g->nrings &&
           fill.npoints == g->npoints);
    (void)rc;
    return g;
}

wkb_geom *wkb_read(const unsigned char *wkb, size_t len)
{
    int oom;
    return read_geom(wkb, len, &oom);
}

void wkb_geom_free(wkb_geom *g)
{
    free(g);
}

int wkb_polygon_rings(const unsigned char *wkb, size_t len, wkb_ring_cb cb, void *ud)
{
    int oom;
    wkb_geom *g = read_geom(wkb, len, &oom);
    if (!g || (g->type != WKB_POLYGON && g->type != WKB_MULTIPOLYGON)) {
        wkb_geom_free(g);
        return oom ? -2 : -1;
    }
    const double *xy = g->xy;
    const uint32_t *np = g->ring_points;
    int rc = 0;
    for (uint32_t p = 0; p < g->nparts && rc == 0; p++)
        for (uint32_t i = 0; i < g->part_rings[p] && rc == 0; i++) {
            rc = cb(ud, p, i, *np, xy);
            xy += 2 * (size_t)*np++;
        }
    wkb_geom_free(g);
    return rc;
}
