/* dbscan.c - DBSCAN over planar points on a fine uniform grid of cells (see dbscan.h).
 *
 * The grid (ptgrid.h): cells of side h = eps / (2 sqrt 2), so a cell's diagonal is eps / 2 and
 * any two points of one cell are neighbours, with a margin no rounding can eat (checked per cell
 * when the grid is built); the neighbours of a point lie within R = 3 cells of its own in each
 * direction (eps / h = 2.83), so the grid has R margin cells on each side. Each occupied cell
 * is a run of the sorted points and the 7 cells of one grid row around a cell form one key
 * range; a sweep over the cells in key order (ptgrid_sweep) finds the 7 ranges.
 *
 * Exact bounds from bounding boxes. Every cell keeps the bounding box of its points. Rounded
 * subtraction, multiplication and addition are monotone (and a - b rounds to -(b - a)), so for
 * p in box A and q in box B the computed dx * dx + dy * dy lies between the same expression
 * evaluated on the boxes' nearest and farthest coordinate differences. A cell whose box is
 * wholly within eps of a point (or of every point of another box) therefore counts in full
 * with no distance computed, one wholly beyond eps is skipped, and only the others are
 * scanned: every decision is the one the pairwise test dx * dx + dy * dy <= eps * eps (as R's
 * kd-tree does) would give. This needs the expression evaluated as written, in double: C11
 * with the build's flags does not contract it into a fused multiply-add.
 *
 * The result is DBSCAN's as R dbscan's dbscan_int computes it, in four passes:
 *  1. core points: at least min_points points within eps (the point itself included). A cell
 *     whose box has enough points wholly within eps of it, or too few within reach, is decided
 *     whole; otherwise the points of the cells partly within reach are split the same way
 *     against the cell's box, and only those left open are tested per point, with early exits
 *     (testing every point of the cells within reach, as with cells of side eps, took 3.7 s of
 *     a 1M-incident request);
 *  2. clusters are the connected components of the core points under "within eps". The cores
 *     of one cell are all within eps of each other, so components are unions of cells: a
 *     union-find over cells (the grid DBSCAN of Gunawan 2013 and Gan & Tao 2015);
 *  3. clusters are numbered by their first core point in input order, the order in which R's
 *     scan discovers them (a core is only ever reached by its own component);
 *  4. a non-core point takes the smallest cluster number among the cores within eps of it, and
 *     is noise if there is none: R expands each cluster completely before discovering the
 *     next, so the first cluster to reach a border point is the lowest-numbered one that can. */
#include "hazmap/dbscan.h"
#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "hazmap/ptgrid.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Neighbour reach in cells: ceil(eps / h) = ceil(2 sqrt 2). */
enum { R = 3, SPAN = 2 * R + 1, NEAR_MAX = SPAN * SPAN };

typedef ptgrid_box box;

/* The point grid and, per occupied cell, what the passes find out. */
typedef struct grid {
    ptgrid *pg;
    size_t n, m; /* points, occupied cells */
    double eps2;
    const double *sx, *sy; /* coordinates in sorted (cell) order */
    const uint32_t *ord;   /* sorted position -> input index */
    const uint32_t *start; /* m + 1: cell c holds sorted positions [start[c], start[c + 1]) */
    box *bb;               /* per cell: the box of its points; after pass 1, of its core points
                            * (taken over from the grid) */
    uint32_t *ncore;       /* per cell: core points */
    uint32_t *parent;      /* per cell: union-find of pass 2 */
    int32_t *cl;           /* per cell: cluster number of its cores (pass 3), 0 = none */
} grid;

static void grid_free(grid *g)
{
    ptgrid_free(g->pg);
    free(g->bb);
    free(g->ncore);
    free(g->parent);
    free(g->cl);
}

/* min and max without fmin's and fmax's NaN rules (there is no NaN here): one instruction
 * each instead of a call to libm. */
static double min2(double a, double b)
{
    return a < b ? a : b;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

/* The computed squared distance bounds (see the top of the file). */
static double sq2(double dx, double dy)
{
    return dx * dx + dy * dy;
}

/* Lower bound over p in a, q in b. */
static double box_near2(const box *a, const box *b)
{
    double gx = b->x0 > a->x1 ? b->x0 - a->x1 : a->x0 > b->x1 ? a->x0 - b->x1 : 0;
    double gy = b->y0 > a->y1 ? b->y0 - a->y1 : a->y0 > b->y1 ? a->y0 - b->y1 : 0;
    return sq2(gx, gy);
}

/* Upper bound over p in a, q in b. */
static double box_far2(const box *a, const box *b)
{
    return sq2(max2(b->x1 - a->x0, a->x1 - b->x0), max2(b->y1 - a->y0, a->y1 - b->y0));
}

/* The largest of 0, b0 - p and p - b1 is the distance of p from [b0, b1] as computed. */
static double pt_near2(double px, double py, const box *b)
{
    return sq2(max2(max2(b->x0 - px, px - b->x1), 0), max2(max2(b->y0 - py, py - b->y1), 0));
}

static double pt_far2(double px, double py, const box *b)
{
    return sq2(max2(b->x1 - px, px - b->x0), max2(b->y1 - py, py - b->y0));
}

static int within(const grid *g, size_t s, size_t t)
{
    return sq2(g->sx[t] - g->sx[s], g->sy[t] - g->sy[s]) <= g->eps2;
}

static size_t cell_size(const grid *g, uint32_t c)
{
    return g->start[c + 1] - g->start[c];
}

static hz_status grid_build(grid *g, size_t n, const double *x, const double *y, double eps,
                            char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->eps2 = eps * eps;
    double h = eps / (2.0 * M_SQRT2);
    ptgrid_spec spec = {.cell = h, .margin = R, .boxes = 1};
    char why[256] = "";
    hz_status rc = h > 0 ? ptgrid_new(n, x, y, NULL, &spec, &g->pg, why, sizeof why) : HZ_ELIMIT;
    if (rc == HZ_ELIMIT)
        return hz_fail(HZ_ELIMIT, err, errlen, "dbscan: eps %g m is too small for the extent", eps);
    if (rc == HZ_ENOMEM) goto oom;
    if (rc != HZ_OK) return hz_fail(rc, err, errlen, "dbscan: %s", why);
    g->m = ptgrid_cells(g->pg);
    g->sx = ptgrid_xs(g->pg);
    g->sy = ptgrid_ys(g->pg);
    g->ord = ptgrid_index(g->pg);
    g->start = ptgrid_start(g->pg);
    g->bb = ptgrid_take_boxes(g->pg);
    for (size_t c = 0; c < g->m; c++) {
        /* The passes rely on it; only an eps whose square underflows could break it. */
        if (!(box_far2(&g->bb[c], &g->bb[c]) <= g->eps2)) {
            grid_free(g);
            return hz_fail(HZ_ELIMIT, err, errlen,
                           "dbscan: eps %g m is too small for the precision of the coordinates",
                           eps);
        }
    }
    g->ncore = calloc(g->m ? g->m : 1, sizeof *g->ncore);
    g->parent = malloc((g->m ? g->m : 1) * sizeof *g->parent);
    g->cl = calloc(g->m ? g->m : 1, sizeof *g->cl);
    if (!g->ncore || !g->parent || !g->cl) goto oom;
    return HZ_OK;
oom:
    grid_free(g);
    return hz_fail(HZ_ENOMEM, err, errlen, "dbscan: out of memory for %zu points", n);
}

/* How many points the cells of the sweep hold or, given cum (prefix sums over the cells of a
 * per-cell count, m + 1 entries), how many of what is counted: each row's cells are one run,
 * so no cell is visited. */
static size_t sweep_total(const grid *g, const ptgrid_sweep *sw, const uint32_t *cum)
{
    size_t t = 0;
    for (int r = 0; r < SPAN; r++)
        t += cum ? cum[sw->hi[r]] - cum[sw->lo[r]] : g->start[sw->hi[r]] - g->start[sw->lo[r]];
    return t;
}

/* The cells of the sweep into nb (room for NEAR_MAX); returns their count. */
static size_t sweep_cells(const ptgrid_sweep *sw, uint32_t *nb)
{
    size_t k = 0;
    for (int r = 0; r < SPAN; r++)
        for (size_t d = sw->lo[r]; d < sw->hi[r]; d++)
            nb[k++] = (uint32_t)d;
    return k;
}

/* Points (ax[i], ay[i]), i in [0, na), within eps of point s. */
static size_t count_within(const grid *g, size_t s, const double *ax, const double *ay, size_t na)
{
    double px = g->sx[s], py = g->sy[s];
    size_t cnt = 0;
    for (size_t i = 0; i < na; i++) /* no branch per point: the test is a coin toss here */
        cnt += sq2(ax[i] - px, ay[i] - py) <= g->eps2;
    return cnt;
}

/* Pass 1 for point s, when its cell's bounds left it open: at least mp points within eps?
 * full points are within eps of every point of the cell; (ax, ay)[0..na) may be. Counted in
 * blocks, stopping as soon as it is decided. */
static int is_core(const grid *g, size_t s, size_t full, const double *ax, const double *ay,
                   size_t na, size_t mp)
{
    enum { BLOCK = 64 };
    size_t cnt = full;
    for (size_t i = 0; i < na; i += BLOCK) {
        size_t e = na - i < BLOCK ? na - i : BLOCK;
        cnt += count_within(g, s, ax + i, ay + i, e);
        if (cnt >= mp) return 1;
        if (cnt + (na - i - e) < mp) return 0;
    }
    return 0;
}

/* Pass 1 on cells [c0, c1): iscore per sorted position. For each cell,
 * the cells around it are split into wholly within eps of its box (counted), wholly beyond
 * (dropped) and partly within; the points of the last are split the same way against the box,
 * and only the points left open are tested against each point of the cell. Returns -1 when
 * out of memory. */
static int mark_cores(const grid *g, size_t mp, uint8_t *iscore, size_t c0, size_t c1)
{
    size_t cap = 0;
    double *ax = NULL, *ay = NULL;
    uint32_t nb[NEAR_MAX];
    ptgrid_sweep sw;
    ptgrid_sweep_init(&sw, R);
    for (size_t c = c0; c < c1; c++) {
        const box *bc = &g->bb[c];
        ptgrid_sweep_to(g->pg, &sw, c);
        if (sweep_total(g, &sw, NULL) < mp) { /* too few points in reach: most cells */
            memset(iscore + g->start[c], 0, cell_size(g, (uint32_t)c));
            continue;
        }
        size_t k = sweep_cells(&sw, nb), np = 0, full = 0, maybe = 0, na = 0;
        for (size_t j = 0; j < k; j++) {
            const box *b = &g->bb[nb[j]];
            if (box_near2(bc, b) > g->eps2) continue;
            if (box_far2(bc, b) <= g->eps2) {
                full += cell_size(g, nb[j]);
            } else {
                maybe += cell_size(g, nb[j]);
                nb[np++] = nb[j];
            }
        }
        if (full < mp && full + maybe >= mp) {
            if (maybe > cap) {
                cap = maybe > 2 * cap ? maybe : 2 * cap;
                double *nx = realloc(ax, cap * sizeof *ax),
                       *ny = nx ? realloc(ay, cap * sizeof *ay) : NULL;
                if (nx) ax = nx;
                if (ny) ay = ny;
                if (!nx || !ny) {
                    free(ax);
                    free(ay);
                    return -1;
                }
            }
            for (size_t j = 0; j < np; j++) {
                for (uint32_t t = g->start[nb[j]]; t < g->start[nb[j] + 1]; t++) {
                    double qx = g->sx[t], qy = g->sy[t];
                    int in = pt_far2(qx, qy, bc) <= g->eps2;
                    full += (size_t)in;
                    ax[na] = qx; /* kept only when open: no branch per point */
                    ay[na] = qy;
#ifndef __clang_analyzer__
                    na += (size_t)(!in & (pt_near2(qx, qy, bc) <= g->eps2));
#else
                    /* The same with a branch, for clang's analyzer (make analyze): it does not
                     * follow the & of two conditions, takes na as any count, and reports reads of
                     * ax[i], ay[i] beyond those written (a false positive). */
                    if (!in && pt_near2(qx, qy, bc) <= g->eps2) na++;
#endif
                }
            }
        }
        for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++) {
            if (full >= mp)
                iscore[s] = 1;
            else if (full + maybe < mp || full + na < mp)
                iscore[s] = 0;
            else
                iscore[s] = (uint8_t)is_core(g, s, full, ax, ay, na, mp);
        }
    }
    free(ax);
    free(ay);
    return 0;
}

/* After pass 1 on every cell (the boxes of all points are needed until then): ncore and the
 * box of the core points of cells [c0, c1). */
static void core_boxes(grid *g, const uint8_t *iscore, size_t c0, size_t c1)
{
    for (size_t c = c0; c < c1; c++) {
        box *b = &g->bb[c];
        for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++) {
            if (!iscore[s]) continue;
            if (g->ncore[c]++ == 0) {
                b->x0 = b->x1 = g->sx[s];
                b->y0 = b->y1 = g->sy[s];
            } else {
                b->x0 = min2(b->x0, g->sx[s]);
                b->x1 = max2(b->x1, g->sx[s]);
                b->y0 = min2(b->y0, g->sy[s]);
                b->y1 = max2(b->y1, g->sy[s]);
            }
        }
    }
}

static uint32_t uf_find(uint32_t *parent, uint32_t c)
{
    while (parent[c] != c) {
        parent[c] = parent[parent[c]]; /* path halving */
        c = parent[c];
    }
    return c;
}

/* 1 if some core of cell c is within eps of some core of cell d. */
static int cores_touch(const grid *g, const uint8_t *iscore, uint32_t c, uint32_t d)
{
    for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++) {
        if (!iscore[s] || pt_near2(g->sx[s], g->sy[s], &g->bb[d]) > g->eps2) continue;
        for (uint32_t t = g->start[d]; t < g->start[d + 1]; t++)
            if (iscore[t] && within(g, s, t)) return 1;
    }
    return 0;
}

/* Pass 2: the components of the core cells in parent (each cell with cores is a clique). */
static void join_cores(grid *g, const uint8_t *iscore)
{
    uint32_t nb[NEAR_MAX];
    ptgrid_sweep sw;
    ptgrid_sweep_init(&sw, R);
    for (size_t c = 0; c < g->m; c++)
        g->parent[c] = (uint32_t)c;
    for (size_t c = 0; c < g->m; c++) {
        if (!g->ncore[c]) continue;
        ptgrid_sweep_to(g->pg, &sw, c);
        size_t k = sweep_cells(&sw, nb);
        for (size_t j = 0; j < k; j++) {
            uint32_t d = nb[j];
            if (d <= c || !g->ncore[d]) continue; /* each pair once */
            uint32_t rc = uf_find(g->parent, (uint32_t)c), rd = uf_find(g->parent, d);
            if (rc == rd || box_near2(&g->bb[c], &g->bb[d]) > g->eps2) continue;
            if (box_far2(&g->bb[c], &g->bb[d]) <= g->eps2 || cores_touch(g, iscore, (uint32_t)c, d))
                g->parent[rc > rd ? rc : rd] = rc > rd ? rd : rc;
        }
    }
}

/* Pass 3: cluster numbers in the order of each component's first core in input order, into cl.
 * Returns the number of clusters, or -1 when out of memory. */
static int32_t number_clusters(grid *g, const uint8_t *iscore)
{
    const uint32_t none = UINT32_MAX;
    uint32_t *low = malloc(g->m * sizeof *low); /* per component root: its first input index */
    uint32_t *root_at = malloc(g->n * sizeof *root_at); /* per input index: the root it starts */
    if (!low || !root_at) {
        free(low);
        free(root_at);
        return -1;
    }
    for (size_t c = 0; c < g->m; c++)
        low[c] = none;
    for (size_t i = 0; i < g->n; i++)
        root_at[i] = none;
    for (size_t c = 0; c < g->m; c++) {
        if (!g->ncore[c]) continue;
        uint32_t r = uf_find(g->parent, (uint32_t)c);
        for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++)
            if (iscore[s] && g->ord[s] < low[r]) low[r] = g->ord[s];
    }
    for (size_t c = 0; c < g->m; c++)
        if (low[c] != none) root_at[low[c]] = (uint32_t)c;
    int32_t ncl = 0;
    for (size_t i = 0; i < g->n; i++)
        if (root_at[i] != none) g->cl[root_at[i]] = ++ncl;
    for (size_t c = 0; c < g->m; c++)
        if (g->ncore[c]) g->cl[c] = g->cl[uf_find(g->parent, (uint32_t)c)];
    free(low);
    free(root_at);
    return ncl;
}

/* Pass 4 on cells [c0, c1): the labels, by input index; cum: the prefix sums of ncore. */
static void label_points(const grid *g, const uint8_t *iscore, int32_t *label, const uint32_t *cum,
                         size_t c0, size_t c1)
{
    uint32_t nb[NEAR_MAX];
    ptgrid_sweep sw;
    ptgrid_sweep_init(&sw, R);
    for (size_t c = c0; c < c1; c++) {
        size_t ncell = cell_size(g, (uint32_t)c);
        if (g->ncore[c] == ncell) {
            for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++)
                label[g->ord[s]] = g->cl[c];
            continue;
        }
        ptgrid_sweep_to(g->pg, &sw, c);
        if (sweep_total(g, &sw, cum) == 0) { /* no core in reach: noise */
            for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++)
                label[g->ord[s]] = 0;
            continue;
        }
        /* The box of the cell's other points, to keep the core cells that can reach them. */
        box o = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++) {
            if (iscore[s]) continue;
            o.x0 = min2(o.x0, g->sx[s]);
            o.x1 = max2(o.x1, g->sx[s]);
            o.y0 = min2(o.y0, g->sy[s]);
            o.y1 = max2(o.y1, g->sy[s]);
        }
        size_t k = sweep_cells(&sw, nb), np = 0;
        for (size_t j = 0; j < k; j++) {
            uint32_t d = nb[j];
            if (!g->ncore[d] || box_near2(&o, &g->bb[d]) > g->eps2) continue;
            /* insertion by cluster number: the first hit below is the answer */
            size_t i = np++;
            while (i > 0 && g->cl[nb[i - 1]] > g->cl[d]) {
                nb[i] = nb[i - 1];
                i--;
            }
            nb[i] = d;
        }
        for (uint32_t s = g->start[c]; s < g->start[c + 1]; s++) {
            int32_t lab = iscore[s] ? g->cl[c] : 0;
            for (size_t j = 0; !lab && j < np; j++) {
                uint32_t d = nb[j];
                const box *b = &g->bb[d];
                if (pt_near2(g->sx[s], g->sy[s], b) > g->eps2) continue;
                if (pt_far2(g->sx[s], g->sy[s], b) <= g->eps2) {
                    lab = g->cl[d];
                    break;
                }
                for (uint32_t t = g->start[d]; !lab && t < g->start[d + 1]; t++)
                    if (iscore[t] && within(g, s, t)) lab = g->cl[d];
            }
            assert(!iscore[s] || lab > 0);
            label[g->ord[s]] = lab;
        }
    }
}

/* Passes 1 and 4 run on threads, each on the cells whose first point falls in its chunk of the
 * sorted points (so the chunks hold similar numbers of points); a cell's decisions read the
 * other cells but write only its own points. */
typedef struct pass_ctx {
    grid *g;
    uint8_t *iscore;
    int32_t *label;
    const uint32_t *cum;
    size_t mp;
    int failed[PAR_MAX_THREADS];
} pass_ctx;

/* The cells whose first sorted position lies in [lo, hi). */
static void cells_of(const grid *g, size_t lo, size_t hi, size_t *c0, size_t *c1)
{
    size_t b[2] = {lo, hi};
    for (int k = 0; k < 2; k++) {
        size_t l = 0, h = g->m;
        while (l < h) {
            size_t mid = l + (h - l) / 2;
            if (g->start[mid] < b[k])
                l = mid + 1;
            else
                h = mid;
        }
        *(k ? c1 : c0) = l;
    }
}

static void cores_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    pass_ctx *p = ctx;
    size_t c0, c1;
    cells_of(p->g, lo, hi, &c0, &c1);
    p->failed[tid] = mark_cores(p->g, p->mp, p->iscore, c0, c1) != 0;
}

static void boxes_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    pass_ctx *p = ctx;
    size_t c0, c1;
    (void)tid;
    cells_of(p->g, lo, hi, &c0, &c1);
    core_boxes(p->g, p->iscore, c0, c1);
}

static void labels_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    pass_ctx *p = ctx;
    size_t c0, c1;
    (void)tid;
    cells_of(p->g, lo, hi, &c0, &c1);
    label_points(p->g, p->iscore, p->label, p->cum, c0, c1);
}

/* The arguments dbscan_run() and dbscan_work() refuse. */
static hz_status check_args(size_t n, double eps, int min_points, char *err, size_t errlen)
{
    if (!(eps > 0) || !isfinite(eps))
        return hz_fail(HZ_EINVAL, err, errlen, "eps: must be a positive number of metres, not %g",
                       eps);
    if (min_points < 1)
        return hz_fail(HZ_EINVAL, err, errlen, "min_points: must be at least 1, not %d",
                       min_points);
    if (n > UINT32_MAX - 1)
        return hz_fail(HZ_ELIMIT, err, errlen, "dbscan: at most %u points", UINT32_MAX - 1);
    return HZ_OK;
}

hz_status dbscan_run(size_t n, const double *x, const double *y, double eps, int min_points,
                     int32_t *label, uint8_t *core, int32_t *nclusters, char *err, size_t errlen)
{
    return dbscan_run_threads(n, x, y, eps, min_points, 1, label, core, nclusters, err, errlen);
}

hz_status dbscan_run_threads(size_t n, const double *x, const double *y, double eps, int min_points,
                             int nthreads, int32_t *label, uint8_t *core, int32_t *nclusters,
                             char *err, size_t errlen)
{
    *nclusters = 0;
    hz_status rc = check_args(n, eps, min_points, err, errlen);
    if (rc != HZ_OK) return rc;
    if (n == 0) return HZ_OK;
    grid g;
    rc = grid_build(&g, n, x, y, eps, err, errlen);
    if (rc != HZ_OK) return rc;
    /* Automatic: one thread per core, but no more than one per 16384 points. */
    int nt = par_threads(nthreads);
    if (nthreads <= 0 && (size_t)nt > n / 16384) nt = n / 16384 > 1 ? (int)(n / 16384) : 1;
    uint8_t *iscore = malloc(n); /* by sorted position */
    uint32_t *cum = malloc((g.m + 1) * sizeof *cum);
    pass_ctx pc = {.g = &g, .iscore = iscore, .label = label, .cum = cum, .mp = (size_t)min_points};
    int32_t ncl = -1;
    if (iscore && cum) {
        par_for(n, nt, cores_chunk, &pc);
        int failed = 0;
        for (int t = 0; t < PAR_MAX_THREADS; t++)
            failed |= pc.failed[t];
        if (!failed) {
            par_for(n, nt, boxes_chunk, &pc);
            join_cores(&g, iscore);
            ncl = number_clusters(&g, iscore);
        }
    }
    if (ncl < 0) {
        rc = hz_fail(HZ_ENOMEM, err, errlen, "dbscan: out of memory for %zu points", n);
        goto done;
    }
    if ((rc = hz_cancel_status(err, errlen)) != HZ_OK) goto done;
    cum[0] = 0;
    for (size_t c = 0; c < g.m; c++)
        cum[c + 1] = cum[c] + g.ncore[c];
    par_for(n, nt, labels_chunk, &pc);
    *nclusters = ncl;
    if (core)
        for (size_t s = 0; s < n; s++)
            core[g.ord[s]] = iscore[s];
done:
    free(iscore);
    free(cum);
    grid_free(&g);
    return rc;
}

/* dbscan_work(): how pass 1 decides each cell, from the same counts mark_cores() uses. */
enum { CELL_NONCORE = 0, CELL_CORE = 1, CELL_OPEN = 2 };

/* The points of the cells within reach whose box is wholly within eps of cell c's (*full) and
 * partly (*maybe); cells wholly beyond are skipped. */
static void reach_counts(const grid *g, size_t c, const ptgrid_sweep *sw, size_t *full,
                         size_t *maybe)
{
    *full = *maybe = 0;
    for (int r = 0; r < SPAN; r++) {
        for (size_t d = sw->lo[r]; d < sw->hi[r]; d++) {
            if (box_near2(&g->bb[c], &g->bb[d]) > g->eps2) continue;
            if (box_far2(&g->bb[c], &g->bb[d]) <= g->eps2)
                *full += cell_size(g, (uint32_t)d);
            else
                *maybe += cell_size(g, (uint32_t)d);
        }
    }
}

/* Pass 1's decision for cell c (mark_cores decides at least these cells whole) and its bound of
 * point-pair tests, added to *w. */
static uint8_t classify(const grid *g, size_t c, size_t mp, const ptgrid_sweep *sw, double *w)
{
    if (sweep_total(g, sw, NULL) < mp) return CELL_NONCORE;
    size_t full, maybe;
    reach_counts(g, c, sw, &full, &maybe);
    if (full >= mp) return CELL_CORE;
    if (full + maybe < mp) return CELL_NONCORE;
    *w += (double)cell_size(g, (uint32_t)c) * (double)maybe;
    return CELL_OPEN;
}

/* Pass 4's bound for cell c: its points against those of the cells partly within eps that may
 * hold cores (not decided core-free). A cell of cores only costs nothing. */
static double label_work(const grid *g, size_t c, const uint8_t *state, const ptgrid_sweep *sw)
{
    if (state[c] == CELL_CORE) return 0;
    double w = 0, nc = (double)cell_size(g, (uint32_t)c);
    for (int r = 0; r < SPAN; r++) {
        for (size_t d = sw->lo[r]; d < sw->hi[r]; d++) {
            if (state[d] == CELL_NONCORE || box_near2(&g->bb[c], &g->bb[d]) > g->eps2 ||
                box_far2(&g->bb[c], &g->bb[d]) <= g->eps2)
                continue;
            w += nc * (double)cell_size(g, (uint32_t)d);
        }
    }
    return w;
}

hz_status dbscan_work(size_t n, const double *x, const double *y, double eps, int min_points,
                      double *work, char *err, size_t errlen)
{
    *work = 0;
    hz_status rc = check_args(n, eps, min_points, err, errlen);
    if (rc != HZ_OK) return rc;
    if (n == 0) return HZ_OK;
    grid g;
    rc = grid_build(&g, n, x, y, eps, err, errlen);
    if (rc != HZ_OK) return rc;
    uint8_t *state = malloc(g.m);
    if (!state) {
        grid_free(&g);
        return hz_fail(HZ_ENOMEM, err, errlen, "dbscan: out of memory for %zu points", n);
    }
    ptgrid_sweep sw;
    double w = (double)g.m * NEAR_MAX; /* every cell looks at the cells within reach */
    ptgrid_sweep_init(&sw, R);
    for (size_t c = 0; c < g.m; c++) {
        ptgrid_sweep_to(g.pg, &sw, c);
        state[c] = classify(&g, c, (size_t)min_points, &sw, &w);
    }
    ptgrid_sweep_init(&sw, R);
    for (size_t c = 0; c < g.m; c++) {
        ptgrid_sweep_to(g.pg, &sw, c);
        w += label_work(&g, c, state, &sw);
    }
    free(state);
    grid_free(&g);
    *work = w;
    return HZ_OK;
}
