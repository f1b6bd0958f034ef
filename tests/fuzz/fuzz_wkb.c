/* fuzz_wkb.c - libFuzzer harness of the WKB reader (wkb.h).
 *
 * The input is WKB. Invariants of an accepted geometry:
 *   - the counts agree (part_rings add up to nrings, ring_points to npoints, a point's ring holds
 *     one point, a single geometry has one part) and every coordinate is finite;
 *   - written back as WKB (little-endian here) it fits in the input, reads back to the same
 *     geometry bit for bit, and equals the input's first bytes whenever the input is
 *     little-endian throughout (every byte-order mark 1);
 *   - wkb_polygon_rings() walks exactly its rings for a (multi)polygon and refuses other types.
 * Refused input: wkb_polygon_rings() refuses it too. */
#include "fuzzutil.h"
#include "hazmap/wkb.h"

#include <math.h>
#include <string.h>

typedef struct writer {
    unsigned char *buf;
    size_t n, cap;
    size_t marks[4096]; /* where the byte-order marks are */
    size_t nmarks;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    FUZZ_CHECK(w->n + n <= w->cap);
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

static void put_header(writer *w, uint32_t type)
{
    unsigned char le = 1;
    if (w->nmarks < sizeof w->marks / sizeof *w->marks) w->marks[w->nmarks++] = w->n;
    put(w, &le, 1);
    put(w, &type, 4);
}

/* One part's body: its rings from ring *r, points from point *pt. */
static void put_part(writer *w, const wkb_geom *g, uint32_t type, uint32_t nrings, uint32_t *r,
                     size_t *pt)
{
    if (type == WKB_POLYGON) put(w, &nrings, 4);
    for (uint32_t i = 0; i < nrings; i++, (*r)++) {
        uint32_t np = g->ring_points[*r];
        if (type != WKB_POINT) put(w, &np, 4);
        put(w, g->xy + 2 * *pt, 16 * (size_t)np);
        *pt += np;
    }
}

static void write_wkb(writer *w, const wkb_geom *g)
{
    uint32_t r = 0;
    size_t pt = 0;
    put_header(w, g->type);
    if (g->type <= WKB_POLYGON) {
        put_part(w, g, g->type, g->part_rings[0], &r, &pt);
        return;
    }
    put(w, &g->nparts, 4);
    for (uint32_t p = 0; p < g->nparts; p++) {
        put_header(w, g->type - 3);
        put_part(w, g, g->type - 3, g->part_rings[p], &r, &pt);
    }
}

static int same_geom(const wkb_geom *a, const wkb_geom *b)
{
    return a->type == b->type && a->nparts == b->nparts && a->nrings == b->nrings &&
           a->npoints == b->npoints &&
           !memcmp(a->part_rings, b->part_rings, a->nparts * sizeof *a->part_rings) &&
           !memcmp(a->ring_points, b->ring_points, a->nrings * sizeof *a->ring_points) &&
           !memcmp(a->xy, b->xy, 2 * a->npoints * sizeof *a->xy);
}

static void check_counts(const wkb_geom *g)
{
    size_t rings = 0, points = 0;
    for (uint32_t p = 0; p < g->nparts; p++)
        rings += g->part_rings[p];
    for (uint32_t r = 0; r < g->nrings; r++) {
        points += g->ring_points[r];
        if (g->type == WKB_POINT || g->type == WKB_MULTIPOINT) FUZZ_CHECK(g->ring_points[r] == 1);
    }
    FUZZ_CHECK(rings == g->nrings && points == g->npoints);
    if (g->type <= WKB_POLYGON) FUZZ_CHECK(g->nparts == 1);
    if (g->type == WKB_POINT || g->type == WKB_LINESTRING) FUZZ_CHECK(g->part_rings[0] == 1);
    for (size_t i = 0; i < 2 * g->npoints; i++)
        FUZZ_CHECK(isfinite(g->xy[i]));
}

typedef struct walk {
    const wkb_geom *g;
    uint32_t ring;
    size_t point;
    uint32_t part, in_part;
} walk;

static int ring_cb(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    walk *w = ud;
    while (w->part < w->g->nparts && w->in_part == w->g->part_rings[w->part])
        w->part++, w->in_part = 0;
    FUZZ_CHECK(polygon == w->part && ring == w->in_part && w->ring < w->g->nrings);
    FUZZ_CHECK(n == w->g->ring_points[w->ring]);
    FUZZ_CHECK(!memcmp(xy, w->g->xy + 2 * w->point, 16 * n));
    w->ring++, w->in_part++, w->point += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk wk = {0};
    if (size > 1 << 20) return 0;
    wkb_geom *g = wkb_read(data, size);
    if (!g) {
        FUZZ_CHECK(wkb_polygon_rings(data, size, ring_cb, &wk) == -1);
        return 0;
    }
    check_counts(g);
    static writer w;
    static unsigned char buf[1 << 20];
    w.buf = buf, w.n = 0, w.cap = size < sizeof buf ? size : sizeof buf, w.nmarks = 0;
    write_wkb(&w, g); /* put() checks it fits in the input's size */
    wkb_geom *h = wkb_read(w.buf, w.n);
    FUZZ_CHECK(h && same_geom(g, h));
    int all_le = w.nmarks < sizeof w.marks / sizeof *w.marks;
    for (size_t i = 0; i < w.nmarks; i++)
        all_le &= data[w.marks[i]] == 1;
    if (all_le) FUZZ_CHECK(memcmp(w.buf, data, w.n) == 0);
    wk.g = g;
    int polygonal = g->type == WKB_POLYGON || g->type == WKB_MULTIPOLYGON;
    FUZZ_CHECK(wkb_polygon_rings(data, size, ring_cb, &wk) == (polygonal ? 0 : -1));
    if (polygonal) FUZZ_CHECK(wk.ring == g->nrings && wk.point == g->npoints);
    wkb_geom_free(h);
    wkb_geom_free(g);
    return 0;
}
