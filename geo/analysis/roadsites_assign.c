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
 * query; this index, built per call for the given radius and tolerance (O(cells + segment
 * length / cell)), made the assignment of 1M incidents about ten times faster (BENCHMARKS.md).
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

/* The candidate lists: cell c's junctions are jl[js[c] .. js[c + 1]), its segments
 * sl[ss[c] .. ss[c + 1]), both ascending. */
typedef struct agrid {
    double x0, y0, cell;
    size_t nx, ny;
    uint32_t *js, *jl, *ss, *sl;
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

/* Segment s's squared distance to (px, py) and the position of its nearest point (the first
 * nearest piece wins, as roadnet's own scan). */
static double seg_d2(const roadnet *net, const double *x, const double *y, uint32_t s, double px,
                     double py, double *pos)
{
    const roadnet_seg *g = &roadnet_segs(net)[s];
    double best = INFINITY, acc = 0;
    *pos = 0;
    for (uint32_t k = 0; k + 1 < g->npts; k++) {
        size_t p = g->pts + k;
        double al, d = piece_d2(px, py, x[p], y[p], x[p + 1], y[p + 1], &al);
        if (d < best) best = d, *pos = acc + al;
        if (k + 2 < g->npts) acc += hypot(x[p + 1] - x[p], y[p + 1] - y[p]);
    }
    if (*pos > g->length) *pos = g->length;
    return best;
}

/* Cell range [c0, c1] of the interval [lo, hi] on an axis from o, clamped to [0, n). */
static void span(double lo, double hi, double o, double cell, size_t n, size_t *c0, size_t *c1)
{
    double a = floor((lo - o) / cell), b = floor((hi - o) / cell);
    *c0 = a < 0 ? 0 : (size_t)a;
    *c1 = b < 0 ? 0 : b >= (double)n ? n - 1 : (size_t)b;
}

/* One pass over the segments' pieces: counts (fill 0) or fills the segment lists. mark[c] is the
 * last segment entered in cell c, so a segment enters a cell once. */
static void seg_pass(const roadnet *net, agrid *g, double reach, uint32_t *mark, int fill)
{
    const double *x, *y;
    roadnet_xy(net, &x, &y);
    double h = g->cell / 2;
    for (uint32_t s = 0; s < roadnet_seg_count(net); s++) {
        const roadnet_seg *sg = &roadnet_segs(net)[s];
        for (uint32_t k = 0; k + 1 < sg->npts; k++) {
            size_t p = sg->pts + k, cx0, cx1, cy0, cy1;
            span(fmin(x[p], x[p + 1]) - reach, fmax(x[p], x[p + 1]) + reach, g->x0, g->cell, g->nx,
                 &cx0, &cx1);
            span(fmin(y[p], y[p + 1]) - reach, fmax(y[p], y[p + 1]) + reach, g->y0, g->cell, g->ny,
                 &cy0, &cy1);
            for (size_t cy = cy0; cy <= cy1; cy++) {
                for (size_t cx = cx0; cx <= cx1; cx++) {
                    size_t c = cy * g->nx + cx;
                    if (mark[c] == s) continue;
                    double mx = g->x0 + (double)cx * g->cell + h,
                           my = g->y0 + (double)cy * g->cell + h;
                    if (piece_d2(mx, my, x[p], y[p], x[p + 1], y[p + 1], NULL) > reach * reach)
                        continue;
                    mark[c] = s;
                    if (fill)
                        g->sl[g->ss[c + 1]++] = s;
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
                    g->jl[g->js[c + 1]++] = j;
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
    uint32_t *mark = malloc(nc * sizeof *mark);
    if (!g->js || !g->ss || !mark) goto oom;
    for (size_t c = 0; c < nc; c++)
        mark[c] = UINT32_MAX;
    junc_pass(rs, g, o->junction_radius + h, 0);
    seg_pass(net, g, o->tolerance + h, mark, 0);
    size_t nj = starts(g->js, nc), ns = starts(g->ss, nc);
    if (nj > UINT32_MAX || ns > UINT32_MAX) goto oom;
    g->jl = malloc((nj ? nj : 1) * sizeof *g->jl);
    g->sl = malloc((ns ? ns : 1) * sizeof *g->sl);
    if (!g->jl || !g->sl) goto oom;
    for (size_t c = 0; c < nc; c++)
        mark[c] = UINT32_MAX;
    junc_pass(rs, g, o->junction_radius + h, 1);
    seg_pass(net, g, o->tolerance + h, mark, 1);
    assert(g->js[nc] == nj && g->ss[nc] == ns); /* the fill matched the count */
    free(mark);
    return HZ_OK;
oom:
    free(mark);
    agrid_free(g);
    return HZ_ENOMEM;
}

typedef struct assign_job {
    const roadsites *rs;
    const agrid *g;
    const double *x, *y, *vx, *vy;
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
    const roadnet *net = roadsites_net(j->rs);
    const roadnet_node *nd = roadnet_nodes(net);
    const roadsites_junction *jn = roadsites_junctions(j->rs);
    double best = INFINITY, r2 = j->o->junction_radius * j->o->junction_radius;
    int64_t bj = -1;
    for (uint32_t k = g->js[c]; k < g->js[c + 1]; k++) {
        const roadnet_node *v = &nd[jn[g->jl[k]].node];
        double d = (px - v->x) * (px - v->x) + (py - v->y) * (py - v->y);
        if (d <= r2 && d < best) best = d, bj = g->jl[k];
    }
    if (bj >= 0) return (roadsites_loc){ROADSITES_JUNCTION, (uint32_t)bj, 0};
    int64_t bs = -1;
    double bpos = 0, t2 = j->o->tolerance * j->o->tolerance;
    for (uint32_t k = g->ss[c]; k < g->ss[c + 1]; k++) {
        double pos, d = seg_d2(net, j->vx, j->vy, g->sl[k], px, py, &pos);
        if (d <= t2 && d < best) best = d, bs = g->sl[k], bpos = pos;
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
    roadnet_xy(roadsites_net(rs), &j.vx, &j.vy);
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
