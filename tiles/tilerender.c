/* tilerender.c - density tiles: KDE on a globally aligned lattice, sampled at pixel centres.
 *
 * Pipeline of one tile (see tilerender.h for the method and its error bound):
 *   1. the pixel centres' working-CRS positions: a 33 x 33 net of points 8 pixels apart goes
 *      EPSG:3857 -> lon/lat (closed form) -> working CRS (PROJ); pixels between interpolate
 *      bilinearly (the map between the two conformal projections is smooth: over 8 pixels the
 *      curvature error is millimetres, far below a lattice cell);
 *   2. the lattice window: the footprint's bounding box plus 2 cells, snapped to the global
 *      lattice (node i at (i + 0.5) cell);
 *   3. the points within reach, from the cached point set of the filter (on a point grid,
 *      ptgrid.h, whose rectangle walk gives them in the order every tile sums in);
 *   4. lattice values, exact (kde_compute) or binned (linear binning + direct convolution);
 *   5. bilinear reads at the pixel centres.
 *
 * Shared state (pointset cache, workcrs pool) is guarded by r->mu; a pointset in use is pinned
 * by its refcount and freed by the last user once evicted. */
#include "hazmap/tilerender.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/colorramp.h"
#include "hazmap/ptgrid.h"
#include "hazmap/tilemath.h"
#include "hazmap/workcrs.h"

#define NET 33              /* net points per side (every 8 pixels, edges included) */
#define NET_STEP 8.0        /* pixels between net points */
#define LATTICE_MARGIN 2    /* cells of lattice beyond the footprint */
#define MAX_SIDE_CELLS 1024 /* the lattice cell grows (per zoom) to keep a tile within this */
#define EXACT_BUDGET 2e7    /* AUTO: exact while points x nodes-in-reach stays below this */
#define POOL_MAX 64
#define VIEW_SLOTS 256 /* memoised views (direct-mapped by key hash) */
#define SECONDS_PER_YEAR (365.25 * 86400.0)

/* A filter's points on a grid of square cells of at least 250 m, at most ~512 per side. The
 * renderer reads a point's position as a float offset from the grid's south-west corner (ps_x,
 * ps_y): the precision the point sets have always had, which every density depends on. */
typedef struct pointset {
    struct pointset *next; /* LRU list, most recent first */
    char *key;             /* canonical filter */
    int refs;              /* users + 1 while in the cache */
    int cached;
    size_t n;
    size_t without_point;  /* passing the filter but without a point: not drawn (incset.h) */
    ptgrid *g;             /* the points, reported as their positions among the selected */
    const double *xs, *ys; /* the grid's sorted coordinates (borrowed from g) */
    double ox, oy;         /* the grid's south-west corner */
    float *w;              /* per sorted position: the filter's weight of the incident */
    size_t bytes;
} pointset;

typedef struct view_slot {
    char *key; /* canonical params; NULL = empty */
    tile_view v;
} view_slot;

struct tilerender {
    const incset *s;
    view_slot views[VIEW_SLOTS]; /* guarded by mu */
    pthread_mutex_t mu;
    pointset *sets;
    size_t set_bytes, budget;
    workcrs *pool[POOL_MAX];
    int npool;
    double lon0, lat0; /* data centre: the latitude fixes each zoom's lattice cell */
    double dbox[4];    /* lon/lat box of all incidents (empty: dbox[0] > dbox[2]) */
    unsigned char *empty_png;
    size_t empty_len;
};

/* ---- parameters ---- */

void tilerender_params_init(tile_params *p)
{
    memset(p, 0, sizeof *p);
    filter_init(&p->filter);
    p->kernel = KDE_QUARTIC;
    p->bandwidth = TILERENDER_DEFAULT_BANDWIDTH;
    memset(&p->disclosure, 0, sizeof p->disclosure);
    p->method = TILERENDER_AUTO;
}

hz_status tilerender_params_set(tile_params *p, const char *key, const char *value, char *err,
                                size_t errlen)
{
    if (strcmp(key, "kernel") == 0) {
        kde_kernel k;
        if (kde_kernel_parse(value, &k) != 0)
            return hz_fail(HZ_EINVAL, err, errlen, "kernel: unknown kernel '%s'", value);
        p->kernel = k;
        return HZ_OK;
    }
    if (strcmp(key, "bandwidth") == 0) {
        char *end = NULL;
        double h = strtod(value, &end);
        if (!value[0] || *end || !isfinite(h) || h <= 0 || h > TILERENDER_MAX_BANDWIDTH)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "bandwidth: '%s' is not a number of metres in (0, %.0f]", value,
                           TILERENDER_MAX_BANDWIDTH);
        p->bandwidth = h;
        return HZ_OK;
    }
    if (filter_is_param(key)) return filter_set(&p->filter, key, value, err, errlen);
    return hz_fail(HZ_ENOTFOUND, err, errlen, "unknown parameter '%s'", key);
}

double tilerender_bandwidth(const tile_params *p)
{
    return disc_bandwidth(&p->disclosure, p->bandwidth);
}

int tilerender_params_canonical(const tile_params *p, char *buf, size_t buflen)
{
    char f[1024];
    int n = filter_canonical(&p->filter, f, sizeof f);
    if (n < 0 || (size_t)n >= sizeof f) f[0] = '\0';
    return snprintf(buf, buflen, "%s%skernel=%s&bandwidth=%.6g", f, f[0] ? "&" : "",
                    kde_kernel_name(p->kernel), tilerender_bandwidth(p));
}

/* ---- renderer ---- */

tilerender *tilerender_new(const incset *s, size_t pointset_budget, char *err, size_t errlen)
{
    tilerender *r = calloc(1, sizeof *r);
    if (!r) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    r->s = s;
    r->budget = pointset_budget ? pointset_budget : (size_t)48 << 20;
    pthread_mutex_init(&r->mu, NULL);

    /* The data's centre (areas first, else incidents) and its time span. */
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    const hz_area *a = incset_areas(s);
    for (size_t k = 0; k < incset_area_count(s); k++) {
        bb[0] = fmin(bb[0], a[k].minlon);
        bb[1] = fmin(bb[1], a[k].minlat);
        bb[2] = fmax(bb[2], a[k].maxlon);
        bb[3] = fmax(bb[3], a[k].maxlat);
    }
    const hz_incident *it = incset_items(s);
    int use_incidents = !(bb[0] <= bb[2]);
    incset_note_scan(s);
    r->dbox[0] = r->dbox[1] = INFINITY;
    r->dbox[2] = r->dbox[3] = -INFINITY;
    for (size_t k = 0; k < incset_count(s); k++) {
        if (isfinite(it[k].x) && isfinite(it[k].lon) && isfinite(it[k].lat)) {
            r->dbox[0] = fmin(r->dbox[0], it[k].lon);
            r->dbox[1] = fmin(r->dbox[1], it[k].lat);
            r->dbox[2] = fmax(r->dbox[2], it[k].lon);
            r->dbox[3] = fmax(r->dbox[3], it[k].lat);
        }
        if (use_incidents && isfinite(it[k].lon) && isfinite(it[k].lat)) {
            bb[0] = fmin(bb[0], it[k].lon);
            bb[1] = fmin(bb[1], it[k].lat);
            bb[2] = fmax(bb[2], it[k].lon);
            bb[3] = fmax(bb[3], it[k].lat);
        }
    }
    r->lon0 = bb[0] <= bb[2] ? (bb[0] + bb[2]) / 2 : 0;
    r->lat0 = bb[1] <= bb[3] ? (bb[1] + bb[3]) / 2 : 0;

    float *zero = calloc((size_t)TILEMATH_SIZE * TILEMATH_SIZE, sizeof *zero);
    colorramp_scale def;
    colorramp_scale_default(&def);
    hz_status st = zero ? colorramp_png(zero, TILEMATH_SIZE, TILEMATH_SIZE, &def, &r->empty_png,
                                        &r->empty_len, err, errlen)
                        : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    free(zero);
    if (st != HZ_OK) {
        tilerender_free(r);
        return NULL;
    }
    return r;
}

static void pointset_free(pointset *ps)
{
    if (!ps) return;
    free(ps->key);
    ptgrid_free(ps->g);
    free(ps->w);
    free(ps);
}

void tilerender_free(tilerender *r)
{
    if (!r) return;
    for (pointset *ps = r->sets, *n; ps; ps = n) {
        n = ps->next;
        pointset_free(ps);
    }
    for (int k = 0; k < r->npool; k++)
        workcrs_free(r->pool[k]);
    for (int k = 0; k < VIEW_SLOTS; k++)
        free(r->views[k].key);
    free(r->empty_png);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int64_t tilerender_data_version(const tilerender *r)
{
    return incset_data_version(r->s);
}

double tilerender_years(const tilerender *r, const hz_filter *f)
{
    int64_t from, to;
    double years = incset_study_period(r->s, f, &from, &to);
    /* Under a day (or no dates at all) would blow values up: the documented fallbacks. */
    if (years <= 0) return 1.0;
    return years < 1 / 365.25 ? 1 / 365.25 : years;
}

const unsigned char *tilerender_empty_png(const tilerender *r, size_t *len)
{
    *len = r->empty_len;
    return r->empty_png;
}

int tilerender_cache_key(const tilerender *r, const tile_params *p, const tile_view *v, int z,
                         int x, int y, char *buf, size_t buflen)
{
    char q[1200], b[256];
    tilerender_params_canonical(p, q, sizeof q);
    colorramp_scale_canonical(&v->scale, b, sizeof b);
    return snprintf(buf, buflen, "v%lld/%s/%s/%d/%d/%d", (long long)incset_data_version(r->s), q, b,
                    z, x, y);
}

/* ---- point sets ---- */

/* Sorted point k's position as the renderer reads it (see pointset). */
static double ps_x(const pointset *ps, size_t k)
{
    return ps->ox + (float)(ps->xs[k] - ps->ox);
}

static double ps_y(const pointset *ps, size_t k)
{
    return ps->oy + (float)(ps->ys[k] - ps->oy);
}

/* Builds the filter's point set: its points on a grid (a stable counting sort, so the order
 * within a cell is the snapshot's order and every tile sums in the same order). */
static hz_status pointset_build(const tilerender *r, const hz_filter *f, const char *key,
                                pointset **out, char *err, size_t errlen)
{
    /* incset_select(): the same points as every point analysis (one per event, incset.h) */
    hz_points sel;
    hz_status st = incset_select(r->s, f, &sel, err, errlen);
    if (st != HZ_OK) return st;
    size_t n = sel.n, without_point = sel.without_point;
    double *x = sel.x, *y = sel.y;
    float *w = malloc((n ? n : 1) * sizeof *w); /* the weights, in snapshot order */
    pointset *ps = calloc(1, sizeof *ps);
    if (!w || !ps || !(ps->key = strdup(key)))
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t k = 0; st == HZ_OK && k < n; k++)
        w[k] = (float)sel.w[k];
    ptgrid_spec spec = {.cell = 250.0, .across = 512};
    if (st == HZ_OK) st = ptgrid_new(n, x, y, NULL, &spec, &ps->g, err, errlen);
    if (st == HZ_OK && !(ps->w = malloc((n ? n : 1) * sizeof *ps->w)))
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (st == HZ_OK) {
        const uint32_t *index = ptgrid_index(ps->g); /* sorted position -> selected point */
        for (size_t d = 0; d < n; d++)
            ps->w[d] = w[index[d]];
    }
    free(w);
    hz_points_free(&sel);
    if (st != HZ_OK) {
        pointset_free(ps);
        return st;
    }
    ps->n = n;
    ps->without_point = without_point;
    ps->xs = ptgrid_xs(ps->g);
    ps->ys = ptgrid_ys(ps->g);
    ps->ox = ptgrid_geometry(ps->g)->x0;
    ps->oy = ptgrid_geometry(ps->g)->y0;
    ps->bytes = sizeof *ps + ptgrid_bytes(ps->g) + n * sizeof *ps->w;
    *out = ps;
    return HZ_OK;
}

static void pointset_release(tilerender *r, pointset *ps)
{
    pthread_mutex_lock(&r->mu);
    int last = --ps->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last) pointset_free(ps);
}

/* Returns the filter's point set pinned (release with pointset_release). */
static hz_status pointset_acquire(tilerender *r, const hz_filter *f, pointset **out, char *err,
                                  size_t errlen)
{
    char key[1024];
    filter_canonical(f, key, sizeof key);
    pthread_mutex_lock(&r->mu);
    for (pointset **pp = &r->sets; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            pointset *ps = *pp;
            *pp = ps->next; /* move to front */
            ps->next = r->sets;
            r->sets = ps;
            ps->refs++;
            pthread_mutex_unlock(&r->mu);
            *out = ps;
            return HZ_OK;
        }
    }
    pthread_mutex_unlock(&r->mu);
    /* Built outside the lock: two threads may build the same set; the second one is dropped. */
    pointset *ps = NULL;
    hz_status st = pointset_build(r, f, key, &ps, err, errlen);
    if (st != HZ_OK) return st;
    pthread_mutex_lock(&r->mu);
    for (pointset *q = r->sets; q; q = q->next) {
        if (strcmp(q->key, key) == 0) {
            q->refs++;
            pthread_mutex_unlock(&r->mu);
            pointset_free(ps);
            *out = q;
            return HZ_OK;
        }
    }
    ps->refs = 2; /* the cache and the caller */
    ps->cached = 1;
    ps->next = r->sets;
    r->sets = ps;
    r->set_bytes += ps->bytes;
    /* Evict from the tail while over budget, keeping the newest set. */
    while (r->set_bytes > r->budget && r->sets->next) {
        pointset **pp = &r->sets;
        while ((*pp)->next)
            pp = &(*pp)->next;
        pointset *old = *pp;
        *pp = NULL;
        r->set_bytes -= old->bytes;
        old->cached = 0;
        if (--old->refs == 0) pointset_free(old);
    }
    pthread_mutex_unlock(&r->mu);
    *out = ps;
    return HZ_OK;
}

/* ---- working-CRS transforms: one per thread at a time, pooled ---- */

static workcrs *pool_get(tilerender *r, char *err, size_t errlen)
{
    pthread_mutex_lock(&r->mu);
    workcrs *w = r->npool ? r->pool[--r->npool] : NULL;
    pthread_mutex_unlock(&r->mu);
    if (!w) w = workcrs_new(incset_work_srs(r->s), r->lon0, r->lat0, err, errlen);
    return w;
}

static void pool_put(tilerender *r, workcrs *w)
{
    pthread_mutex_lock(&r->mu);
    if (r->npool < POOL_MAX) {
        r->pool[r->npool++] = w;
        w = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    workcrs_free(w);
}

/* ---- the lattice ---- */

typedef struct lattice {
    kde_grid g;
    long i0, jtop; /* global index of column 0 and of row 0 */
    float *v;      /* g.nx * g.ny */
} lattice;

static double pow2_floor(double v)
{
    int e;
    double m = frexp(v, &e); /* v = m 2^e, 0.5 <= m < 1 */
    (void)m;
    return ldexp(1.0, e - 1);
}

/* The lattice cell of zoom z: the power of two below clamp(pixel, h/8, h/4), grown so that a
 * tile spans at most MAX_SIDE_CELLS. Depends only on (z, h, data centre): tiles agree. */
static double zoom_cell(const tilerender *r, int z, double h)
{
    double px = tilemath_ground_res(z, r->lat0);
    double c = fmin(fmax(px, h / 8), h / 4);
    double cell = pow2_floor(c);
    while (px * TILEMATH_SIZE / cell > MAX_SIDE_CELLS)
        cell *= 2;
    return cell;
}

static double kernel_reach(kde_kernel k, double h)
{
    return kde_kernel_support(k, h);
}

/* Fills the net of working-CRS positions (NET x NET) of tile z/x/y. */
static hz_status tile_net(workcrs *wc, int z, int x, int y, double *nx, double *ny)
{
    double lon[NET * NET], lat[NET * NET];
    for (int j = 0; j < NET; j++) {
        for (int i = 0; i < NET; i++) {
            double mx, my;
            tilemath_pixel_center(z, x, y, i * NET_STEP - 0.5, j * NET_STEP - 0.5, &mx, &my);
            tilemath_merc_to_lonlat(mx, my, &lon[j * NET + i], &lat[j * NET + i]);
        }
    }
    hz_status st = workcrs_forward(wc, NET * NET, lon, lat, nx, ny);
    if (st != HZ_OK) return st;
    for (int k = 0; k < NET * NET; k++)
        if (!isfinite(nx[k]) || !isfinite(ny[k])) return HZ_ECRS;
    return HZ_OK;
}

/* Exact: kde_compute over the gathered points. */
static hz_status lattice_exact(const pointset *ps, const uint32_t *sel, size_t m,
                               const tile_params *p, double h, double scale, lattice *L, char *err,
                               size_t errlen)
{
    hz_points pts = {0};
    pts.n = m;
    pts.x = malloc((m ? m : 1) * sizeof *pts.x);
    pts.y = malloc((m ? m : 1) * sizeof *pts.y);
    pts.w = malloc((m ? m : 1) * sizeof *pts.w);
    pts.idx = malloc((m ? m : 1) * sizeof *pts.idx);
    if (!pts.x || !pts.y || !pts.w || !pts.idx) {
        hz_points_free(&pts);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t k = 0; k < m; k++) {
        pts.x[k] = ps_x(ps, sel[k]);
        pts.y[k] = ps_y(ps, sel[k]);
        pts.w[k] = ps->w[sel[k]];
        pts.idx[k] = sel[k];
    }
    hz_status st = kde_compute(&pts, p->kernel, h, scale, &L->g, 1, L->v, err, errlen);
    hz_points_free(&pts);
    return st;
}

/* a[i] += w * s[i] for i < n, each element once, in that order (four at a time: the loop is
 * the heart of the binned tiles, and a one-element loop ran a third slower or faster with where
 * the compiler happened to place it). */
static void axpy(double *a, const double *s, int n, double w)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        a[i] += w * s[i];
        a[i + 1] += w * s[i + 1];
        a[i + 2] += w * s[i + 2];
        a[i + 3] += w * s[i + 3];
    }
    for (; i < n; i++)
        a[i] += w * s[i];
}

/* Binned: linear binning onto the global lattice extended by the kernel's reach, then direct
 * convolution with the kernel sampled at whole-cell offsets (Wand 1994). Bins are scattered in
 * global row-major order, so every output node sums the same terms in the same order whichever
 * tile computes it. */
static hz_status lattice_binned(const pointset *ps, const uint32_t *sel, size_t m,
                                const tile_params *p, double h, double scale, lattice *L, char *err,
                                size_t errlen)
{
    double cell = L->g.cell, reach = kernel_reach(p->kernel, h);
    int rad = (int)ceil(reach / cell);
    long bx0 = L->i0 - rad, btop = L->jtop + rad; /* bins: global columns, rows from north */
    int bnx = L->g.nx + 2 * rad, bny = L->g.ny + 2 * rad;
    double *bins = calloc((size_t)bnx * (size_t)bny, sizeof *bins);
    int sw = 2 * rad + 1;
    /* the stencil, stored flipped (the tap at offset (di, dj) in place of (-di, -dj)) so that
     * the scatter below reads its rows forwards; every tap is set below, zeroed only because
     * clang's analyzer cannot follow that the loops cover them all (make analyze) */
    double *sten = calloc((size_t)sw * (size_t)sw, sizeof *sten);
    double *acc = calloc((size_t)L->g.nx * (size_t)L->g.ny, sizeof *acc);
    if (!bins || !sten || !acc) {
        free(bins);
        free(sten);
        free(acc);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t k = 0; k < m; k++) {
        double X = ps_x(ps, sel[k]), Y = ps_y(ps, sel[k]);
        double u = X / cell - 0.5, v = Y / cell - 0.5; /* global node coordinates */
        double fu = floor(u), fv = floor(v);
        double a = u - fu, b = v - fv, w = ps->w[sel[k]];
        long gi = (long)fu, gj = (long)fv;
        /* node (gi, gj) .. (gi+1, gj+1); local column gi - bx0, local row btop - gj */
        for (int dj = 0; dj < 2; dj++) {
            long row = btop - (gj + dj);
            if (row < 0 || row >= bny) continue;
            for (int di = 0; di < 2; di++) {
                long col = gi + di - bx0;
                if (col < 0 || col >= bnx) continue;
                double f = (di ? a : 1 - a) * (dj ? b : 1 - b);
                bins[row * bnx + col] += w * f;
            }
        }
    }
    if (cell <= h / 4) {
        for (int dj = -rad; dj <= rad; dj++)
            for (int di = -rad; di <= rad; di++)
                sten[(rad - dj) * sw + (rad - di)] =
                    kde_kernel_value(p->kernel, h, hypot(di * cell, dj * cell)) * scale;
    } else {
        /* Cells wider than h/4 (low zooms, where the cell was grown to bound the lattice):
         * point samples of the kernel would miss or overstate it, so each tap is the kernel's
         * mean over the cell (midpoint rule on a ss x ss subgrid), renormalised to unit mass:
         * a pixel then shows the incidents per area it covers. */
        int ss = (int)fmin(128, fmax(4, ceil(4 * cell / h)));
        double mass = 0;
        for (int dj = -rad; dj <= rad; dj++) {
            for (int di = -rad; di <= rad; di++) {
                double acc_k = 0;
                for (int b = 0; b < ss; b++)
                    for (int a = 0; a < ss; a++)
                        acc_k += kde_kernel_value(p->kernel, h,
                                                  hypot((di + (a + 0.5) / ss - 0.5) * cell,
                                                        (dj + (b + 0.5) / ss - 0.5) * cell));
                sten[(rad - dj) * sw + (rad - di)] = acc_k / (ss * ss);
                mass += acc_k / (ss * ss) * cell * cell;
            }
        }
        for (int k = 0; k < sw * sw; k++)
            sten[k] = mass > 0 ? sten[k] / mass * scale : 0;
    }
    int nx = L->g.nx, ny = L->g.ny;
    for (int row = 0; row < bny; row++) {
        for (int col = 0; col < bnx; col++) {
            double w = bins[row * bnx + col];
            if (w == 0) continue;
            /* bin (col, row) reaches outputs (col - rad - dj', ...): output local index
             * oc = col - rad + di for di in -rad..rad, i.e. col + di - 2 rad ... */
            int oc0 = col - 2 * rad, or0 = row - 2 * rad;
            for (int dj = 0; dj < sw; dj++) {
                int orow = or0 + dj;
                if (orow < 0 || orow >= ny) continue;
                const double *srow = sten + (size_t)dj * sw; /* flipped: read forwards */
                double *arow = acc + (size_t)orow * nx;
                int di0 = oc0 < 0 ? -oc0 : 0, di1 = sw;
                if (oc0 + di1 > nx) di1 = nx - oc0;
                axpy(arow + oc0 + di0, srow + di0, di1 - di0, w);
            }
        }
    }
    for (size_t k = 0; k < (size_t)nx * ny; k++)
        L->v[k] = (float)acc[k];
    free(bins);
    free(sten);
    free(acc);
    return HZ_OK;
}

/* L's window: the nodes of the global lattice of cell `cell` over the box (x0, y0)-(x1, y1)
 * plus LATTICE_MARGIN nodes on each side (values not allocated). Returns the node count, which
 * the caller bounds (nx and ny are meaningful only within int). */
static double lattice_span(lattice *L, double cell, double x0, double y0, double x1, double y1)
{
    long i0 = (long)floor(x0 / cell) - LATTICE_MARGIN, i1 = (long)ceil(x1 / cell) + LATTICE_MARGIN;
    long jb = (long)floor(y0 / cell) - LATTICE_MARGIN, jt = (long)ceil(y1 / cell) + LATTICE_MARGIN;
    L->i0 = i0;
    L->jtop = jt;
    L->g.cell = cell;
    L->g.x0 = (double)i0 * cell;
    L->g.y1 = (double)(jt + 1) * cell;
    double nx = (double)(i1 - i0 + 1), ny = (double)(jt - jb + 1);
    L->g.nx = nx <= INT_MAX ? (int)nx : INT_MAX;
    L->g.ny = ny <= INT_MAX ? (int)ny : INT_MAX;
    return nx * ny;
}

/* 1 when tile z/x/y is away from every incident (by the kernel's reach, in degrees,
 * generously): it is empty, answered without projecting, which also keeps far-away tiles (where
 * the working CRS is meaningless) from failing. */
static int tile_far(const tilerender *r, kde_kernel k, double h, int z, int x, int y)
{
    double tb[4], reach_deg = 2 * kde_kernel_support(k, h) / 111000.0;
    tilemath_tile_bounds_lonlat(z, x, y, tb);
    double coslat = cos(fmin(fabs(r->lat0), 80.0) * M_PI / 180);
    return !(r->dbox[0] <= r->dbox[2]) || tb[2] < r->dbox[0] - reach_deg / coslat ||
           tb[0] > r->dbox[2] + reach_deg / coslat || tb[3] < r->dbox[1] - reach_deg ||
           tb[1] > r->dbox[3] + reach_deg;
}

/* The net of tile z/x/y into net_x/net_y, and the lattice window of cell `cell` over its
 * footprint plus LATTICE_MARGIN cells into L (values not allocated). */
static hz_status tile_window(const tilerender *r, workcrs *wc, int z, int x, int y, double cell,
                             double h, double *net_x, double *net_y, lattice *L, char *err,
                             size_t errlen)
{
    if (tile_net(wc, z, x, y, net_x, net_y) != HZ_OK)
        return hz_fail(HZ_ECRS, err, errlen, "tile %d/%d/%d: cannot project to %s", z, x, y,
                       incset_work_srs(r->s));
    double fx0 = INFINITY, fy0 = INFINITY, fx1 = -INFINITY, fy1 = -INFINITY;
    for (int k = 0; k < NET * NET; k++) {
        fx0 = fmin(fx0, net_x[k]);
        fx1 = fmax(fx1, net_x[k]);
        fy0 = fmin(fy0, net_y[k]);
        fy1 = fmax(fy1, net_y[k]);
    }
    /* Near the poles or far from the working CRS's zone the footprint can be huge. */
    if ((fx1 - fx0) / cell > 1.5 * MAX_SIDE_CELLS || (fy1 - fy0) / cell > 1.5 * MAX_SIDE_CELLS)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "tile %d/%d/%d: zoom too low to render at bandwidth %g m", z, x, y, h);
    lattice_span(L, cell, fx0, fy0, fx1, fy1);
    /* The footprint bound above bounds the window: 1.5 sides, the margins and the rounding. */
    assert(L->g.nx > 2 * LATTICE_MARGIN &&
           L->g.nx <= 3 * MAX_SIDE_CELLS / 2 + 2 * LATTICE_MARGIN + 3);
    assert(L->g.ny > 2 * LATTICE_MARGIN &&
           L->g.ny <= 3 * MAX_SIDE_CELLS / 2 + 2 * LATTICE_MARGIN + 3);
    return HZ_OK;
}

/* The method for n points at lattice cell `cell`: depends on (filter, zoom, kernel, h) only,
 * never on the tile. */
static tilerender_method tile_method(const tile_params *p, size_t n, double cell, double h)
{
    if (p->method != TILERENDER_AUTO) return p->method;
    if (cell > h / 4)
        return TILERENDER_BINNED; /* point samples of a kernel narrower than 4
                                    cells alias */
    return kde_work(p->kernel, n, h, cell, 0, 0) <= EXACT_BUDGET ? TILERENDER_EXACT
                                                                 : TILERENDER_BINNED;
}

/* The sorted positions of the set's points within reach of L's window (plus two cells for
 * binning's spread), in grid order - the order every tile sums in - into a malloc'd *out. */
static hz_status points_in_reach(const pointset *ps, const lattice *L, double reach, uint32_t **out,
                                 size_t *nout, char *err, size_t errlen)
{
    double cell = L->g.cell;
    double gx0 = L->g.x0 - reach - 2 * cell, gx1 = L->g.x0 + L->g.nx * cell + reach + 2 * cell;
    double gy1 = L->g.y1 + reach + 2 * cell, gy0 = L->g.y1 - L->g.ny * cell - reach - 2 * cell;
    /* tested as the renderer reads the points: float offsets from the corner */
    float lx0 = (float)(gx0 - ps->ox), lx1 = (float)(gx1 - ps->ox);
    float ly0 = (float)(gy0 - ps->oy), ly1 = (float)(gy1 - ps->oy);
    size_t m = 0, cap = 1024, p0, p1;
    uint32_t *sel = malloc(cap * sizeof *sel);
    if (!sel) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    const double rect[4] = {gx0, gy0, gx1, gy1};
    ptgrid_rows it;
    ptgrid_rows_begin(ps->g, rect, &it);
    while (ptgrid_rows_next(ps->g, &it, &p0, &p1)) {
        for (size_t k = p0; k < p1; k++) {
            float fx = (float)(ps->xs[k] - ps->ox), fy = (float)(ps->ys[k] - ps->oy);
            if (fx < lx0 || fx > lx1 || fy < ly0 || fy > ly1) continue;
            if (m == cap) {
                uint32_t *q = realloc(sel, 2 * cap * sizeof *sel);
                if (!q) {
                    free(sel);
                    return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                }
                sel = q;
                cap *= 2;
            }
            sel[m++] = (uint32_t)k;
        }
    }
    assert(m <= ps->n);
    *out = sel;
    *nout = m;
    return HZ_OK;
}

/* Everything up to the lattice values for tile z/x/y: the far-tile test, the window, the points
 * within reach and the values (allocated only when a point is in reach). net_x/net_y receive
 * the net. */
static hz_status tile_lattice(tilerender *r, const tile_params *p, int z, int x, int y, workcrs *wc,
                              double *net_x, double *net_y, lattice *L, tile_info *info, char *err,
                              size_t errlen)
{
    memset(L, 0, sizeof *L);
    memset(info, 0, sizeof *info);
    if (!tilemath_valid(z, x, y))
        return hz_fail(HZ_EINVAL, err, errlen, "tile %d/%d/%d: out of range", z, x, y);
    double h = tilerender_bandwidth(p);
    if (!isfinite(h) || h <= 0 || h > TILERENDER_MAX_BANDWIDTH)
        return hz_fail(HZ_EINVAL, err, errlen, "bandwidth: %g m out of (0, %.0f]", h,
                       TILERENDER_MAX_BANDWIDTH);
    info->bandwidth = h;
    info->years = tilerender_years(r, &p->filter);
    double cell = zoom_cell(r, z, h);
    if (tile_far(r, p->kernel, h, z, x, y)) {
        info->cell = cell;
        info->method = TILERENDER_EXACT;
        assert(!L->v && info->points == 0); /* and the net unset */
        return HZ_OK;
    }
    hz_status st = tile_window(r, wc, z, x, y, cell, h, net_x, net_y, L, err, errlen);
    if (st != HZ_OK) return st;
    info->cell = cell;
    pointset *ps = NULL;
    st = pointset_acquire(r, &p->filter, &ps, err, errlen);
    if (st != HZ_OK) return st;
    info->method = tile_method(p, ps->n, cell, h);
    uint32_t *sel = NULL;
    size_t m = 0;
    st = points_in_reach(ps, L, kernel_reach(p->kernel, h), &sel, &m, err, errlen);
    info->points = m;
    /* The lattice only where something is to be computed: far tiles cost no memory. */
    if (st == HZ_OK && m > 0 && !(L->v = calloc((size_t)L->g.nx * (size_t)L->g.ny, sizeof *L->v)))
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (st == HZ_OK && m > 0) {
        double scale = 1e6 / info->years;
        st = info->method == TILERENDER_EXACT
                 ? lattice_exact(ps, sel, m, p, h, scale, L, err, errlen)
                 : lattice_binned(ps, sel, m, p, h, scale, L, err, errlen);
    }
    free(sel);
    pointset_release(r, ps);
    if (st != HZ_OK) {
        free(L->v);
        L->v = NULL;
    }
    return st;
}

/* ---- views: the colour scale of a parameter set ---- */

static size_t view_slot_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *q = (const unsigned char *)key; *q; q++)
        h = (h ^ *q) * 1099511628211ULL;
    return (size_t)(h % VIEW_SLOTS);
}

/* The reference lattice over the point set's extent plus the kernel's reach (see tilerender.h).
 */
static void ref_lattice(const pointset *ps, double h, double reach, lattice *L)
{
    memset(L, 0, sizeof *L);
    double cell = pow2_floor(h / 4);
    const ptgrid_geom *e = ptgrid_geometry(ps->g);
    double x0 = e->x0 - reach, x1 = e->x0 + (double)e->ncols * e->cell + reach;
    double y0 = e->y0 - reach, y1 = e->y0 + (double)e->nrows * e->cell + reach;
    while (lattice_span(L, cell, x0, y0, x1, y1) > TILERENDER_REF_MAX_CELLS)
        cell *= 2;
}

/* Computes the view of p from its point set (no memo). */
static hz_status view_compute(tilerender *r, const tile_params *p, tile_view *v, char *err,
                              size_t errlen)
{
    memset(v, 0, sizeof *v);
    colorramp_scale_default(&v->scale);
    double h = tilerender_bandwidth(p);
    if (!isfinite(h) || h <= 0 || h > TILERENDER_MAX_BANDWIDTH)
        return hz_fail(HZ_EINVAL, err, errlen, "bandwidth: %g m out of (0, %.0f]", h,
                       TILERENDER_MAX_BANDWIDTH);
    pointset *ps = NULL;
    hz_status st = pointset_acquire(r, &p->filter, &ps, err, errlen);
    if (st != HZ_OK) return st;
    v->incidents = ps->n;
    v->without_point = ps->without_point;
    lattice L;
    ref_lattice(ps, h, kernel_reach(p->kernel, h), &L);
    v->ref_cell = L.g.cell;
    size_t cells = (size_t)L.g.nx * (size_t)L.g.ny;
    uint32_t *sel = malloc((ps->n ? ps->n : 1) * sizeof *sel);
    L.v = calloc(cells, sizeof *L.v);
    double *vals = malloc(cells * sizeof *vals);
    if (!sel || !L.v || !vals) st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (st == HZ_OK && ps->n) {
        for (size_t k = 0; k < ps->n; k++)
            sel[k] = (uint32_t)k;
        double scale = 1e6 / tilerender_years(r, &p->filter);
        st = lattice_binned(ps, sel, ps->n, p, h, scale, &L, err, errlen);
    }
    if (st == HZ_OK) {
        size_t m = 0;
        for (size_t k = 0; k < cells; k++)
            if (L.v[k] > 0) vals[m++] = L.v[k];
        v->ref_nonzero = m;
        colorramp_scale_fit(vals, m, &v->scale, &v->top_share);
    }
    free(vals);
    free(L.v);
    free(sel);
    pointset_release(r, ps);
    return st;
}

hz_status tilerender_view(tilerender *r, const tile_params *p, tile_view *v, char *err,
                          size_t errlen)
{
    char key[1200];
    int cacheable = tilerender_params_canonical(p, key, sizeof key) < (int)sizeof key;
    size_t slot = view_slot_of(key);
    if (cacheable) {
        pthread_mutex_lock(&r->mu);
        view_slot *vs = &r->views[slot];
        int hit = vs->key && strcmp(vs->key, key) == 0;
        if (hit) *v = vs->v;
        pthread_mutex_unlock(&r->mu);
        if (hit) return HZ_OK;
    }
    /* Computed outside the lock: two threads may compute the same view, with the same result. */
    hz_status st = view_compute(r, p, v, err, errlen);
    char *dup = st == HZ_OK && cacheable ? strdup(key) : NULL;
    if (!dup) return st; /* an error, or computed but not remembered */
    pthread_mutex_lock(&r->mu);
    free(r->views[slot].key);
    r->views[slot].key = dup;
    r->views[slot].v = *v;
    pthread_mutex_unlock(&r->mu);
    return HZ_OK;
}

/* Bilinear read of the lattice at working-CRS (X, Y); nodes beyond the window count as 0. */
static double lattice_read(const lattice *L, double X, double Y)
{
    double u = (X - L->g.x0) / L->g.cell - 0.5, v = (L->g.y1 - Y) / L->g.cell - 0.5;
    double fu = floor(u), fv = floor(v);
    long i = (long)fu, j = (long)fv;
    double a = u - fu, b = v - fv, s = 0;
    for (int dj = 0; dj < 2; dj++) {
        for (int di = 0; di < 2; di++) {
            long ii = i + di, jj = j + dj;
            if (ii < 0 || jj < 0 || ii >= L->g.nx || jj >= L->g.ny) continue;
            s += (di ? a : 1 - a) * (dj ? b : 1 - b) * L->v[jj * L->g.nx + ii];
        }
    }
    return s;
}

hz_status tilerender_density(tilerender *r, const tile_params *p, int z, int x, int y, float *out,
                             tile_info *info, char *err, size_t errlen)
{
    tile_info tmp;
    if (!info) info = &tmp;
    workcrs *wc = pool_get(r, err, errlen);
    if (!wc) return HZ_ECRS;
    double net_x[NET * NET], net_y[NET * NET];
    lattice L;
    tile_view view;
    hz_status st = tilerender_view(r, p, &view, err, errlen);
    if (st == HZ_OK) st = tile_lattice(r, p, z, x, y, wc, net_x, net_y, &L, info, err, errlen);
    pool_put(r, wc);
    if (st != HZ_OK) return st;
    double maxv = 0;
    for (int py = 0; py < TILEMATH_SIZE; py++) {
        /* net row coordinate of this pixel centre: net point j sits at pixel j*8 - 0.5 */
        double t = (py + 0.5) / NET_STEP;
        int j = (int)t;
        if (j > NET - 2) j = NET - 2;
        double b = t - j;
        for (int px = 0; px < TILEMATH_SIZE; px++) {
            double s = (px + 0.5) / NET_STEP;
            int i = (int)s;
            if (i > NET - 2) i = NET - 2;
            double a = s - i, v = 0.0;
            if (info->points) { /* else the net may be unset: a far tile (tile_lattice) */
                int k = j * NET + i;
                double X = (1 - a) * (1 - b) * net_x[k] + a * (1 - b) * net_x[k + 1] +
                           (1 - a) * b * net_x[k + NET] + a * b * net_x[k + NET + 1];
                double Y = (1 - a) * (1 - b) * net_y[k] + a * (1 - b) * net_y[k + 1] +
                           (1 - a) * b * net_y[k + NET] + a * b * net_y[k + NET + 1];
                v = lattice_read(&L, X, Y);
            }
            if (v < 0) v = 0; /* rounding in the convolution; densities are never negative */
            out[py * TILEMATH_SIZE + px] = (float)v;
            if (v > maxv) maxv = v;
        }
    }
    free(L.v);
    info->max_value = maxv;
    info->empty = colorramp_class(&view.scale, maxv) < 0;
    return HZ_OK;
}

hz_status tilerender_png(tilerender *r, const tile_params *p, int z, int x, int y,
                         unsigned char **png, size_t *len, tile_info *info, char *err,
                         size_t errlen)
{
    tile_info tmp;
    if (!info) info = &tmp;
    *png = NULL;
    *len = 0;
    tile_view view;
    hz_status st = tilerender_view(r, p, &view, err, errlen);
    if (st != HZ_OK) return st;
    float *v = malloc((size_t)TILEMATH_SIZE * TILEMATH_SIZE * sizeof *v);
    if (!v) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    st = tilerender_density(r, p, z, x, y, v, info, err, errlen);
    if (st == HZ_OK && info->empty) {
        *png = malloc(r->empty_len);
        if (!*png)
            st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        else {
            memcpy(*png, r->empty_png, r->empty_len);
            *len = r->empty_len;
        }
    } else if (st == HZ_OK) {
        st = colorramp_png(v, TILEMATH_SIZE, TILEMATH_SIZE, &view.scale, png, len, err, errlen);
    }
    free(v);
    return st;
}

hz_status tilerender_value_at(tilerender *r, const tile_params *p, int z, int x, int y, double lon,
                              double lat, double *value, char *err, size_t errlen)
{
    *value = NAN;
    workcrs *wc = pool_get(r, err, errlen);
    if (!wc) return HZ_ECRS;
    double net_x[NET * NET], net_y[NET * NET], X = 0, Y = 0;
    lattice L;
    tile_info info;
    hz_status st = tile_lattice(r, p, z, x, y, wc, net_x, net_y, &L, &info, err, errlen);
    if (st == HZ_OK && info.points &&
        (workcrs_forward(wc, 1, &lon, &lat, &X, &Y) != HZ_OK || !isfinite(X)))
        st = hz_fail(HZ_ECRS, err, errlen, "cannot project %g, %g", lon, lat);
    pool_put(r, wc);
    if (st != HZ_OK) {
        free(L.v);
        return st;
    }
    if (!info.points) { /* nothing within reach of the tile: no lattice was made */
        free(L.v);
        *value = 0;
        return HZ_OK;
    }
    double u = (X - L.g.x0) / L.g.cell - 0.5, v = (L.g.y1 - Y) / L.g.cell - 0.5;
    if (u < 0 || v < 0 || u > L.g.nx - 1 || v > L.g.ny - 1) {
        free(L.v);
        return hz_fail(HZ_EINVAL, err, errlen,
                       "%g, %g is outside tile %d/%d/%d's lattice (the tile plus %d cells)", lon,
                       lat, z, x, y, LATTICE_MARGIN);
    }
    *value = info.points ? lattice_read(&L, X, Y) : 0.0;
    free(L.v);
    return HZ_OK;
}
