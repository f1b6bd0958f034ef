/* roadtile.c - road networks drawn on XYZ tiles (roadtile.h).
 *
 * Invariants: mx/my hold every vertex of the network in EPSG:3857 in roadnet_xy()'s order; box
 * [k] holds segment k's extent there; order is a permutation of the segments, minor classes
 * first (asserted when built). */
#include "hazmap/roadtile.h"
#include "hazmap/linerender.h"
#include "hazmap/tilemath.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct roadtile {
    const roadnet *net;
    double *mx, *my;  /* vertices, EPSG:3857 metres */
    double (*box)[4]; /* per segment: minx, miny, maxx, maxy */
    uint32_t *order;  /* segments in drawing order */
    double bounds[4]; /* degrees */
    size_t nseg;
    size_t maxpts;        /* the most vertices of one segment */
    unsigned char *empty; /* the transparent tile's PNG */
    size_t empty_len;
};

/* Widths at zoom 16 (pixels) and drawing rank (higher is drawn later) of the OSM highway
 * classes; wiki.openstreetmap.org/wiki/Key:highway. */
typedef struct road_class {
    const char *name;
    double width;
    int rank;
} road_class;

static const road_class classes[] = {
    {"motorway", 7, 9},       {"trunk", 7, 8},           {"primary", 6, 7},
    {"secondary", 5, 6},      {"tertiary", 4, 5},        {"residential", 2.5, 3},
    {"unclassified", 2.5, 3}, {"living_street", 2.5, 3}, {"road", 3.5, 4},
    {"service", 1.5, 1},      {"track", 1.5, 1},         {"path", 1.5, 0},
    {"footway", 1.5, 0},      {"cycleway", 1.5, 0},      {"pedestrian", 1.5, 1},
    {"steps", 1.5, 0},        {"busway", 2.5, 3},
};
#define UNKNOWN_WIDTH 3.5 /* a road of unknown class is drawn as a medium road */
#define UNKNOWN_RANK 4
#define LINK_SCALE 0.7

/* The class of cls ("primary_link" is "primary"'s), NULL when unknown; *link set for _link. */
static const road_class *class_of(const char *cls, int *link)
{
    *link = 0;
    if (!cls) return NULL;
    size_t n = strlen(cls);
    if (n > 5 && strcmp(cls + n - 5, "_link") == 0) {
        *link = 1;
        n -= 5;
    }
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (strlen(classes[i].name) == n && strncmp(classes[i].name, cls, n) == 0)
            return &classes[i];
    return NULL;
}

double roadtile_class_width(const char *cls, int z)
{
    int link;
    const road_class *c = class_of(cls, &link);
    double w = c ? c->width : UNKNOWN_WIDTH;
    if (link) w *= LINK_SCALE;
    double f = pow(2.0, (z - 16) / 2.0);
    f = f < 0.35 ? 0.35 : f > 1.6 ? 1.6 : f;
    w *= f;
    return w < 0.6 ? 0.6 : w;
}

static int rank_of(const char *cls)
{
    int link;
    const road_class *c = class_of(cls, &link);
    return c ? c->rank : UNKNOWN_RANK;
}

roadtile *roadtile_new(const roadnet *net, char *err, size_t errlen)
{
    roadtile *rt = calloc(1, sizeof *rt);
    size_t nseg = roadnet_seg_count(net);
    const roadnet_seg *segs = roadnet_segs(net);
    size_t npts = nseg ? segs[nseg - 1].pts + segs[nseg - 1].npts : 0;
    if (rt) {
        rt->net = net;
        rt->nseg = nseg;
        rt->mx = malloc((npts ? npts : 1) * sizeof *rt->mx);
        rt->my = malloc((npts ? npts : 1) * sizeof *rt->my);
        rt->box = malloc((nseg ? nseg : 1) * sizeof *rt->box);
        rt->order = malloc((nseg ? nseg : 1) * sizeof *rt->order);
    }
    if (!rt || !rt->mx || !rt->my || !rt->box || !rt->order) {
        roadtile_free(rt);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    const double *lon, *lat;
    roadnet_lonlat(net, &lon, &lat);
    rt->bounds[0] = rt->bounds[1] = INFINITY;
    rt->bounds[2] = rt->bounds[3] = -INFINITY;
    for (size_t i = 0; i < npts; i++) {
        tilemath_lonlat_to_merc(lon[i], lat[i], &rt->mx[i], &rt->my[i]);
        rt->bounds[0] = fmin(rt->bounds[0], lon[i]);
        rt->bounds[1] = fmin(rt->bounds[1], lat[i]);
        rt->bounds[2] = fmax(rt->bounds[2], lon[i]);
        rt->bounds[3] = fmax(rt->bounds[3], lat[i]);
    }
    /* Counting sort of the segments by class rank (ranks 0..9), stable in segment order. */
    enum { NRANK = 10 };
    size_t start[NRANK + 1] = {0};
    for (size_t k = 0; k < nseg; k++) {
        const roadnet_seg *s = &segs[k];
        assert(s->pts + s->npts <= npts && s->npts >= 2);
        double *b = rt->box[k];
        b[0] = b[1] = INFINITY;
        b[2] = b[3] = -INFINITY;
        for (uint32_t i = s->pts; i < s->pts + s->npts; i++) {
            b[0] = fmin(b[0], rt->mx[i]);
            b[1] = fmin(b[1], rt->my[i]);
            b[2] = fmax(b[2], rt->mx[i]);
            b[3] = fmax(b[3], rt->my[i]);
        }
        start[rank_of(s->cls) + 1]++;
        if (s->npts > rt->maxpts) rt->maxpts = s->npts;
    }
    for (int r = 0; r < NRANK; r++)
        start[r + 1] += start[r];
    for (size_t k = 0; k < nseg; k++)
        rt->order[start[rank_of(segs[k].cls)]++] = (uint32_t)k;
    assert(start[NRANK - 1] == nseg);
    linerender *c = linerender_new(TILEMATH_SIZE, TILEMATH_SIZE, err, errlen);
    if (!c || linerender_png(c, &rt->empty, &rt->empty_len, err, errlen) != HZ_OK) {
        linerender_free(c);
        roadtile_free(rt);
        return NULL;
    }
    linerender_free(c);
    return rt;
}

void roadtile_free(roadtile *rt)
{
    if (!rt) return;
    free(rt->mx);
    free(rt->my);
    free(rt->box);
    free(rt->order);
    free(rt->empty);
    free(rt);
}

int roadtile_bounds(const roadtile *rt, double b[4])
{
    if (!rt->nseg) return 0;
    memcpy(b, rt->bounds, sizeof rt->bounds);
    return 1;
}

/* Tile z/x/y's box in EPSG:3857 grown by `grow` pixels, and the size of a pixel in metres. */
static void tile_box(int z, int x, int y, double grow, double tb[4], double *res)
{
    tilemath_tile_bounds_merc(z, x, y, tb);
    *res = tilemath_tile_span(z) / TILEMATH_SIZE;
    tb[0] -= grow * *res;
    tb[1] -= grow * *res;
    tb[2] += grow * *res;
    tb[3] += grow * *res;
}

static int box_meets(const double *a, const double *b)
{
    return !(a[2] < b[0] || a[0] > b[2] || a[3] < b[1] || a[1] > b[3]);
}

/* Cairo's coordinates of EPSG:3857 (mx, my) in tile z/x/y: tilemath's pixel position puts pixel
 * 0's centre at 0, Cairo's at 0.5. */
static void to_canvas(int z, int x, int y, double mx, double my, double *cx, double *cy)
{
    tilemath_merc_to_pixel(z, x, y, mx, my, cx, cy);
    *cx += 0.5;
    *cy += 0.5;
}

/* The widest line (pixels) a tile of zoom z can hold, + 1 px of antialiasing. */
static double max_half_width(int z)
{
    return roadtile_class_width("motorway", z) / 2 + 1;
}

/* The PNG of canvas c (freed), or a copy of the transparent tile when nothing was drawn. */
static hz_status finish(const roadtile *rt, linerender *c, int drawn, unsigned char **png,
                        size_t *len, char *err, size_t errlen)
{
    hz_status s = HZ_OK;
    if (drawn) {
        s = linerender_png(c, png, len, err, errlen);
    } else if ((*png = malloc(rt->empty_len))) {
        memcpy(*png, rt->empty, rt->empty_len);
        *len = rt->empty_len;
    } else {
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    linerender_free(c);
    return s;
}

hz_status roadtile_png(const roadtile *rt, int z, int x, int y, unsigned char **png, size_t *len,
                       char *err, size_t errlen)
{
    *png = NULL;
    *len = 0;
    if (!tilemath_valid(z, x, y)) return hz_fail(HZ_EINVAL, err, errlen, "invalid tile");
    linerender *c = linerender_new(TILEMATH_SIZE, TILEMATH_SIZE, err, errlen);
    if (!c) return HZ_ENOMEM;
    double tb[4], res;
    tile_box(z, x, y, max_half_width(z), tb, &res);
    const roadnet_seg *segs = roadnet_segs(rt->net);
    const unsigned char grey[4] = ROADTILE_STREET_RGBA;
    double *cx = malloc((rt->maxpts + 1) * sizeof *cx), *cy = malloc((rt->maxpts + 1) * sizeof *cy);
    if (!cx || !cy) {
        free(cx);
        free(cy);
        linerender_free(c);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    int drawn = 0;
    for (size_t k = 0; k < rt->nseg; k++) {
        uint32_t i = rt->order[k];
        if (!box_meets(rt->box[i], tb)) continue;
        const roadnet_seg *s = &segs[i];
        for (uint32_t v = 0; v < s->npts; v++)
            to_canvas(z, x, y, rt->mx[s->pts + v], rt->my[s->pts + v], &cx[v], &cy[v]);
        linerender_polyline(c, cx, cy, s->npts, roadtile_class_width(s->cls, z), grey);
        drawn = 1;
    }
    free(cx);
    free(cy);
    return finish(rt, c, drawn, png, len, err, errlen);
}

hz_status roadtile_png_pieces(const roadtile *rt, int z, int x, int y, const roadtile_piece *pieces,
                              size_t n, unsigned char **png, size_t *len, char *err, size_t errlen)
{
    *png = NULL;
    *len = 0;
    if (!tilemath_valid(z, x, y)) return hz_fail(HZ_EINVAL, err, errlen, "invalid tile");
    linerender *c = linerender_new(TILEMATH_SIZE, TILEMATH_SIZE, err, errlen);
    if (!c) return HZ_ENOMEM;
    double tb[4], res;
    /* a piece may be drawn wider than its class: grow by the widest scale asked */
    double scale = 1;
    for (size_t k = 0; k < n; k++)
        if (pieces[k].width_scale > scale) scale = pieces[k].width_scale;
    tile_box(z, x, y, max_half_width(z) * scale, tb, &res);
    const roadnet_seg *segs = roadnet_segs(rt->net);
    /* a sub-line has at most its segment's vertices plus its two interpolated ends */
    size_t cap = rt->maxpts + 2;
    double *lon = malloc(cap * sizeof *lon), *lat = malloc(cap * sizeof *lat);
    double *cx = malloc(cap * sizeof *cx), *cy = malloc(cap * sizeof *cy);
    int drawn = 0;
    hz_status st =
        lon && lat && cx && cy ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t k = 0; k < n && st == HZ_OK; k++) {
        const roadtile_piece *p = &pieces[k];
        if (p->seg >= rt->nseg || p->rgba[3] == 0 || !box_meets(rt->box[p->seg], tb)) continue;
        size_t m = roadnet_subline(rt->net, p->seg, p->s0, p->s1, lon, lat, cap);
        assert(m <= cap);
        for (size_t v = 0; v < m; v++) {
            double mx, my;
            tilemath_lonlat_to_merc(lon[v], lat[v], &mx, &my);
            to_canvas(z, x, y, mx, my, &cx[v], &cy[v]);
        }
        double w =
            roadtile_class_width(segs[p->seg].cls, z) * (p->width_scale > 0 ? p->width_scale : 1);
        linerender_polyline(c, cx, cy, m, w, p->rgba);
        drawn = 1;
    }
    free(lon), free(lat), free(cx), free(cy);
    if (st != HZ_OK) {
        linerender_free(c);
        return st;
    }
    return finish(rt, c, drawn, png, len, err, errlen);
}
