/* roadsites_assign.c - incidents to junctions and road sections (roadsites.h, "Assignment").
 *
 * Index. A uniform grid of square cells over the network's bounding box widened by the reach;
 * each cell lists the junctions within junction_radius + h of its centre and the segments within
 * tolerance + h of it, h = half the cell's diagonal. A point P of the cell is within h of the
 * centre, so any junction within junction_radius of P, and any segment with a point within
 * tolerance of P, is listed: one cell's lists are all the candidates, and each candidate's exact
 * distance decides (ties: the lower junction, the lower segment index, as roadnet_nearest_node()
 * and roadnet_nearest() break them). A point outside the grid is farther than the reach from
 * every segment and node: unassigned. The generic roadnet queries walk a sampled point grid per
 * query (0.68 s CPU for 1M incidents on the Jinjiang network, bench/screen.sh; this index about
 * 0.26 s, the build included); it is built per call for the given radius and tolerance
 * (O(cells + segment length / cell)), and its candidates are copies of the pieces and junction
 * positions, so a query reads one contiguous run of memory.
 *
 * Each point is independent: par_for() splits the points into chunks, each writing its own part
 * of loc; the unassigned are counted per chunk and summed. Cancellation is polled every
 * CHECK_EVERY points. */
#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "hazmap/roadsites.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

enum { CHECK_EVERY = 4096 };
#define MAX_CELLS 4000000.0 /* the cell grows to keep the index at most this many cells */

void roadsites_assign_opts_init(roadsites_assign_opts *o)
{
    o->junction_radius = 50;
    o->tolerance = 30;
    o->nthreads = 0;
}

/* A candidate junction and a candidate piece of a segment (vertex k to k + 1), copied into the
 * cell's list so that a query reads one contiguous run of memory. */
typedef struct jent {
    double x, y;
    uint32_t j;
} jent;

typedef struct pent {
    double ax, ay, dx, dy; /* the piece: a and b - a */
    double inv_l2, len;    /* 1 / |b - a|^2 (0 for a zero piece), |b - a| */
    double acc;            /* distance along the segment to a */
    uint32_t seg;
} pent;

/* The candidate lists: cell c's junctions are jl[js[c] .. js[c + 1]) in ascending junction
 * order, its pieces sl[ss[c] .. ss[c + 1]) in ascending segment, then piece, order. */
typedef struct agrid {
    double x0, y0, cell;
    size_t nx, ny;
    uint32_t *js, *ss;
    jent *jl;
    pent *sl;
} agrid;

static void agrid_free(agrid *g)
{
    free(g->js);
    free(g->jl);
    free(g->ss);
    free(g->sl);
}

/* Squared distance from (px, py) to the piece a-b, and the distance along it of the nearest
 * point. Squares compare as the distances do and save the square roots of the candidates. */
static double piece_d2(double px, double py, double ax, double ay, double bx, double by,
                       double *along)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    if (along) *along = t * sqrt(l2);
    double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
    return ex * ex + ey * ey;
}

/* Cell range [c0, c1] of the interval [lo, hi] on an axis from o, clamped to [0, n). */
static void span(double lo, double hi, double o, double cell, size_t n, size_t *c0, size_t *c1)
{
    double a = floor((lo - o) / cell), b = floor((hi - o) / cell);
    *c0 = a < 0 ? 0 : (size_t)a;
    *c1 = b < 0 ? 0 : b >= (double)n ? n - 1 : (size_t)b;
}

/* One pass over the segments' pieces: counts (fill 0) or fills the piece lists. */
static void seg_pass(const roadnet *net, agrid *g, double reach, int fill)
{
    const double *x, *y;
    roadnet_xy(net, &x, &y);
    double h = g->cell / 2;
    for (uint32_t s = 0; s < roadnet_seg_count(net); s++) {
        const roadnet_seg *sg = &roadnet_segs(net)[s];
        double acc = 0;
        for (uint32_t k = 0; k + 1 < sg->npts; k++) {
            size_t p = sg->pts + k, cx0, cx1, cy0, cy1;
            double dx = x[p + 1] - x[p], dy = y[p + 1] - y[p], l2 = dx * dx + dy * dy;
            pent e = {x[p], y[p], dx, dy, l2 > 0 ? 1 / l2 : 0, sqrt(l2), acc, s};
            acc += e.len;
            span(fmin(x[p], x[p + 1]) - reach, fmax(x[p], x[p + 1]) + reach, g->x0, g->cell, g->nx,
                 &cx0, &cx1);
            span(fmin(y[p], y[p + 1]) - reach, fmax(y[p], y[p + 1]) + reach, g->y0, g->cell, g->ny,
                 &cy0, &cy1);
            for (size_t cy = cy0; cy <= cy1; cy++) {
                for (size_t cx = cx0; cx <= cx1; cx++) {
                    size_t c = cy * g->nx + cx;
                    double mx = g->x0 + (double)cx * g->cell + h,
                           my = g->y0 + (double)cy * g->cell + h;
                    if (piece_d2(mx, my, x[p], y[p], x[p + 1], y[p + 1], NULL) > reach * reach)
                        continue;
                    if (fill)
                        g->sl[g->ss[c + 1]++] = e;
                    else
                        g->ss[c + 1]++;
                }
            }
        }
    }
}

static void junc_pass(const roadsites *rs, agrid *g, double reach, int fill)
{
    const roadnet_node *nd = roadnet_nodes(roadsites_net(rs));
    double h = g->cell / 2;
    for (uint32_t j = 0; j < roadsites_junction_count(rs); j++) {
        const roadnet_node *v = &nd[roadsites_junctions(rs)[j].node];
        size_t cx0, cx1, cy0, cy1;
        span(v->x - reach, v->x + reach, g->x0, g->cell, g->nx, &cx0, &cx1);
        span(v->y - reach, v->y + reach, g->y0, g->cell, g->ny, &cy0, &cy1);
        for (size_t cy = cy0; cy <= cy1; cy++) {
            for (size_t cx = cx0; cx <= cx1; cx++) {
                size_t c = cy * g->nx + cx;
                double mx = g->x0 + (double)cx * g->cell + h, my = g->y0 + (double)cy * g->cell + h;
                if ((mx - v->x) * (mx - v->x) + (my - v->y) * (my - v->y) > reach * reach) continue;
                if (fill)
                    g->jl[g->js[c + 1]++] = (jent){v->x, v->y, j};
                else
                    g->js[c + 1]++;
            }
        }
    }
}

/* Prefix sums of the counts in st[1 .. nc]; st[c + 1] becomes where cell c's list starts,
 * ready for the fill pass to advance it to the end. Returns the total. */
static size_t starts(uint32_t *st, size_t nc)
{
    size_t tot = 0;
    for (size_t c = 0; c < nc; c++) {
        size_t k = st[c + 1];
        st[c + 1] = (uint32_t)tot;
        tot += k;
    }
    return tot;
}

static hz_status agrid_build(const roadsites *rs, const roadsites_assign_opts *o, agrid *g)
{
    const roadnet *net = roadsites_net(rs);
    const double *x, *y;
    roadnet_xy(net, &x, &y);
    size_t npts = 0;
    for (size_t s = 0; s < roadnet_seg_count(net); s++)
        npts += roadnet_segs(net)[s].npts;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < npts; i++)
        x0 = fmin(x0, x[i]), x1 = fmax(x1, x[i]), y0 = fmin(y0, y[i]), y1 = fmax(y1, y[i]);
    double reach = fmax(o->junction_radius, o->tolerance), cell = 25;
    if (npts == 0) x0 = y0 = x1 = y1 = 0;
    x0 -= reach, y0 -= reach, x1 += reach, y1 += reach;
    while (((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > MAX_CELLS)
        cell *= 2;
    *g = (agrid){.x0 = x0, .y0 = y0, .cell = cell};
    g->nx = (size_t)((x1 - x0) / cell) + 1;
    g->ny = (size_t)((y1 - y0) / cell) + 1;
    size_t nc = g->nx * g->ny;
    double h = cell * M_SQRT1_2;
    g->js = calloc(nc + 1, sizeof *g->js);
    g->ss = calloc(nc + 1, sizeof *g->ss);
    if (!g->js || !g->ss) goto oom;
    junc_pass(rs, g, o->junction_radius + h, 0);
    seg_pass(net, g, o->tolerance + h, 0);
    size_t nj = starts(g->js, nc), ns = starts(g->ss, nc);
    if (nj > UINT32_MAX || ns > UINT32_MAX) goto oom;
    g->jl = malloc((nj ? nj : 1) * sizeof *g->jl);
    g->sl = malloc((ns ? ns : 1) * sizeof *g->sl);
    if (!g->jl || !g->sl) goto oom;
    junc_pass(rs, g, o->junction_radius + h, 1);
    seg_pass(net, g, o->tolerance + h, 1);
    assert(g->js[nc] == nj && g->ss[nc] == ns); /* the fill matched the count */
    return HZ_OK;
oom:
    agrid_free(g);
    return HZ_ENOMEM;
}

typedef struct assign_job {
    const roadsites *rs;
    const agrid *g;
    const double *x, *y;
    const roadsites_assign_opts *o;
    roadsites_loc *loc;
    size_t none[PAR_MAX_THREADS];
    int stopped[PAR_MAX_THREADS];
} assign_job;

/* One point's site. */
static roadsites_loc assign_one(const assign_job *j, double px, double py)
{
    const agrid *g = j->g;
    roadsites_loc none = {ROADSITES_NONE, 0, 0};
    double fx = floor((px - g->x0) / g->cell), fy = floor((py - g->y0) / g->cell);
    if (!(fx >= 0 && fy >= 0 && fx < (double)g->nx && fy < (double)g->ny)) return none;
    size_t c = (size_t)fy * g->nx + (size_t)fx;
    double best = INFINITY, r2 = j->o->junction_radius * j->o->junction_radius;
    int64_t bj = -1;
    for (const jent *e = g->jl + g->js[c], *end = g->jl + g->js[c + 1]; e < end; e++) {
        double d = (px - e->x) * (px - e->x) + (py - e->y) * (py - e->y);
        if (d <= r2 && d < best) best = d, bj = e->j;
    }
    if (bj >= 0) return (roadsites_loc){ROADSITES_JUNCTION, (uint32_t)bj, 0};
    int64_t bs = -1;
    double bpos = 0, t2 = j->o->tolerance * j->o->tolerance;
    for (const pent *e = g->sl + g->ss[c], *end = g->sl + g->ss[c + 1]; e < end; e++) {
        double t = ((px - e->ax) * e->dx + (py - e->ay) * e->dy) * e->inv_l2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double ex = px - (e->ax + t * e->dx), ey = py - (e->ay + t * e->dy), d = ex * ex + ey * ey;
        if (d <= t2 && d < best) best = d, bs = e->seg, bpos = e->acc + t * e->len;
    }
    if (bs < 0) return none;
    uint32_t sec;
    roadsites_seg_place(j->rs, (uint32_t)bs, &sec, NULL);
    return (roadsites_loc){ROADSITES_SECTION, sec,
                           roadsites_section_pos(j->rs, (uint32_t)bs, bpos)};
}

static void assign_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    assign_job *j = ctx;
    for (size_t i = lo; i < hi; i++) {
        if ((i - lo) % CHECK_EVERY == 0 && hz_cancel_check()) {
            j->stopped[tid] = 1;
            return;
        }
        j->loc[i] = assign_one(j, j->x[i], j->y[i]);
        j->none[tid] += j->loc[i].kind == ROADSITES_NONE;
    }
}

hz_status roadsites_assign(const roadsites *rs, size_t n, const double *x, const double *y,
                           const roadsites_assign_opts *o, roadsites_loc *loc, size_t *unassigned,
                           char *err, size_t errlen)
{
    roadsites_assign_opts def;
    if (!o) {
        roadsites_assign_opts_init(&def);
        o = &def;
    }
    if (!(o->junction_radius >= 0) || !isfinite(o->junction_radius) || !(o->tolerance >= 0) ||
        !isfinite(o->tolerance) || o->junction_radius > 1e5 || o->tolerance > 1e5)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "junction radius %g m and tolerance %g m must be finite, >= 0 and at most "
                       "100 km",
                       o->junction_radius, o->tolerance);
    agrid g;
    if (agrid_build(rs, o, &g) != HZ_OK)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory indexing the road sites");
    assign_job j = {.rs = rs, .g = &g, .x = x, .y = y, .o = o, .loc = loc};
    int nt = par_threads(o->nthreads);
    if (n < 2 * CHECK_EVERY) nt = 1;
    par_for(n, nt, assign_chunk, &j);
    agrid_free(&g);
    size_t none = 0;
    for (int t = 0; t < PAR_MAX_THREADS; t++) {
        if (j.stopped[t]) return hz_cancel_status(err, errlen);
        none += j.none[t];
    }
    if (unassigned) *unassigned = none;
    return HZ_OK;
}
