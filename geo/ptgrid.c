/* ptgrid.c - planar points bucketed on a uniform grid of square cells (see ptgrid.h).
 *
 * Build: extent and geometry -> one key per point -> the points sorted by key, stably: one
 * counting sort when there are no more cells than points or 2^16 (its counts give the occupied
 * cells), else LSD radix passes of at most 16 bits (the cells compacted from the sorted keys)
 * -> the cells' boxes when asked for. */
#include "hazmap/ptgrid.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ptgrid {
    size_t n, m;      /* points, occupied cells */
    ptgrid_geom geom; /* see ptgrid.h */
    int clamps;       /* cells over a given extent: points (and queries) beyond it are clamped */
    double *x, *y;    /* n, sorted by key */
    uint32_t *index;  /* n: sorted position -> reported index */
    uint64_t *key;    /* m, strictly increasing */
    uint32_t *start;  /* m + 1 */
    ptgrid_box *box;  /* m, or NULL */
    uint32_t *dense;  /* ncols * nrows + 1, or NULL: per cell key, the first occupied cell at or
                       * after it */
};

/* min and max without fmin's and fmax's NaN rules (there is no NaN here). */
static double min2(double a, double b)
{
    return a < b ? a : b;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}

void ptgrid_free(ptgrid *g)
{
    if (!g) return;
    free(g->x);
    free(g->y);
    free(g->index);
    free(g->key);
    free(g->start);
    free(g->box);
    free(g->dense);
    free(g);
}

/* The extent, the cell counts and the finiteness of every point. */
static hz_status set_geometry(ptgrid *g, size_t n, const double *x, const double *y,
                              const ptgrid_spec *spec, char *err, size_t errlen)
{
    double e[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "point %zu has a non-finite coordinate", i);
        e[0] = min2(e[0], x[i]);
        e[1] = min2(e[1], y[i]);
        e[2] = max2(e[2], x[i]);
        e[3] = max2(e[3], y[i]);
    }
    if (spec->has_extent) {
        memcpy(e, spec->extent, sizeof e);
        if (!isfinite(e[0]) || !isfinite(e[1]) || !(e[2] >= e[0]) || !(e[3] >= e[1]) ||
            !isfinite(e[2]) || !isfinite(e[3]))
            return hz_fail(HZ_EINVAL, err, errlen, "grid: bad extent %g %g %g %g", e[0], e[1], e[2],
                           e[3]);
    } else if (n == 0) {
        e[0] = e[1] = e[2] = e[3] = 0;
    }
    double s = spec->cell, m2 = 2.0 * spec->margin;
    if (spec->across > 0) s = fmax(s, fmax(e[2] - e[0], e[3] - e[1]) / spec->across);
    double fc = floor((e[2] - e[0]) / s) + 1 + m2, fr = floor((e[3] - e[1]) / s) + 1 + m2;
    if (!(fc < 4.6e18 && fr < 4.6e18 && fc * fr < 4.6e18))
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "grid: %.3g x %.3g cells of %g are more than 2^62 cells", fc, fr, s);
    g->geom = (ptgrid_geom){e[0], e[1], s, (int64_t)fc, (int64_t)fr, spec->margin};
    g->clamps = spec->has_extent;
    return HZ_OK;
}

/* floor((v - v0) / cell), clamped to the n cells of the extent, plus the margin. */
static int64_t axis_cell(double v, double v0, double cell, int64_t n, int margin)
{
    double c = floor((v - v0) / cell);
    if (!(c >= 0)) c = 0;
    if (c > (double)(n - 1)) c = (double)(n - 1);
    return (int64_t)c + margin;
}

int64_t ptgrid_col(const ptgrid *g, double x)
{
    const ptgrid_geom *e = &g->geom;
    return axis_cell(x, e->x0, e->cell, e->ncols - 2 * e->margin, e->margin);
}

int64_t ptgrid_row(const ptgrid *g, double y)
{
    const ptgrid_geom *e = &g->geom;
    return axis_cell(y, e->y0, e->cell, e->nrows - 2 * e->margin, e->margin);
}

/* cnt (2^bits + 1 entries) <- the first sorted position of each value of the digit
 * (key >> shift) & (2^bits - 1), and the end: the offsets of one counting sort. */
static void digit_offsets(size_t n, const uint64_t *k, int shift, int bits, size_t *cnt)
{
    size_t nd = (size_t)1 << bits, mask = nd - 1;
    memset(cnt, 0, (nd + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++)
        cnt[((k[i] >> shift) & mask) + 1]++;
    for (size_t d = 0; d < nd; d++)
        cnt[d + 1] += cnt[d];
}

/* One stable counting-sort pass of (k, o) into (k2, o2) by a digit; o == NULL stands for the
 * identity (the first pass). */
static void radix_pass(size_t n, const uint64_t *k, const uint32_t *o, uint64_t *k2, uint32_t *o2,
                       int shift, int bits, size_t *cnt)
{
    size_t mask = ((size_t)1 << bits) - 1;
    digit_offsets(n, k, shift, bits, cnt);
    for (size_t i = 0; i < n; i++) {
        size_t d = cnt[(k[i] >> shift) & mask]++;
        k2[d] = k[i];
        o2[d] = o ? o[i] : (uint32_t)i;
    }
}

/* The occupied cells: from the offsets of a counting sort by the whole key (cnt, nkeys + 1
 * entries) or, when cnt is NULL, from the sorted keys skey. */
static int make_cells(ptgrid *g, const size_t *cnt, size_t nkeys, const uint64_t *skey)
{
    assert(cnt || skey); /* one of the two is given */
    size_t n = g->n, m = 0;
    for (size_t i = 0; i < (cnt ? nkeys : n); i++)
        m += cnt ? cnt[i + 1] > cnt[i] : i == 0 || skey[i] != skey[i - 1];
    g->m = m;
    g->key = malloc((m ? m : 1) * sizeof *g->key);
    g->start = malloc((m + 1) * sizeof *g->start);
    if (!g->key || !g->start) return -1;
    size_t c = 0;
    for (size_t i = 0; i < (cnt ? nkeys : n); i++) {
        if (cnt ? cnt[i + 1] == cnt[i] : i > 0 && skey[i] == skey[i - 1]) continue;
        assert(cnt || i == 0 || skey[i] > skey[i - 1]); /* sorted: the keys only increase */
        g->key[c] = cnt ? i : skey[i];
        g->start[c++] = (uint32_t)(cnt ? cnt[i] : i);
    }
    g->start[m] = (uint32_t)n;
    assert(c == m && g->start[0] == 0);
    assert(m == 0 || g->key[m - 1] < (uint64_t)g->geom.ncols * (uint64_t)g->geom.nrows);
    return 0;
}

/* Point i of the input into sorted position d. */
static void put(ptgrid *g, size_t d, const double *x, const double *y, const uint32_t *idx,
                uint32_t i)
{
    g->x[d] = x[i];
    g->y[d] = y[i];
    g->index[d] = idx ? idx[i] : i;
}

/* Sorts the points by key, stably, into g and makes the cells. One counting sort when there
 * are no more cells than points or 2^16 (its counts give the cells; each point goes straight to
 * its place), else LSD radix passes of at most 16 bits splitting the key's bits evenly over
 * (key, input index), then the points gathered in that order. key (n entries) is overwritten.
 * -1 when out of memory. */
static int sort_points(ptgrid *g, const double *x, const double *y, const uint32_t *idx,
                       uint64_t *key, uint64_t maxkey)
{
    size_t n = g->n, sz = n ? n : 1;
    int bits = 0;
    while (bits < 64 && (maxkey >> bits) != 0)
        bits++;
    int passes = maxkey < 65536 || maxkey < n ? 1 : (bits + 15) / 16;
    int width = passes == 1 ? bits : (bits + passes - 1) / passes;
    size_t *cnt = malloc((((size_t)1 << width) + 1) * sizeof *cnt);
    uint32_t *o = malloc(sz * sizeof *o), *o2 = passes > 1 ? malloc(sz * sizeof *o2) : NULL;
    uint64_t *k2 = passes > 1 ? malloc(sz * sizeof *k2) : NULL;
    g->x = malloc(sz * sizeof *g->x);
    g->y = malloc(sz * sizeof *g->y);
    int ok = cnt && o && g->x && g->y && (passes == 1 || (o2 && k2));
    if (ok && passes == 1) {
        g->index = o;
        o = NULL;
        digit_offsets(n, key, 0, width, cnt);
        ok = make_cells(g, cnt, (size_t)1 << width, NULL) == 0;
        for (size_t i = 0; ok && i < n; i++)
            put(g, cnt[key[i]]++, x, y, idx, (uint32_t)i);
    } else if (ok) { /* (keys, input indices) from (ks, os) to (kd, od), pass after pass */
        uint64_t *ks = key, *kd = k2;
        uint32_t *os = NULL, *od = o;
        for (int p = 0; p < passes; p++) {
            radix_pass(n, ks, os, kd, od, p * width, width, cnt);
            uint64_t *t = ks;
            ks = kd;
            kd = t;
            os = od;
            od = od == o ? o2 : o;
        }
        ok = make_cells(g, NULL, 0, ks) == 0;
        g->index = os; /* the input order, becoming the reported indices in place */
        o = od;
        o2 = NULL;
        for (size_t s = 0; ok && s < n; s++)
            put(g, s, x, y, idx, os[s]);
    }
    free(cnt);
    free(o);
    free(o2);
    free(k2);
    return ok ? 0 : -1;
}

/* The dense index, when the cells are few enough; 0 also when it is not made. */
static int make_dense(ptgrid *g)
{
    uint64_t ncells = (uint64_t)g->geom.ncols * (uint64_t)g->geom.nrows;
    if (ncells > 4 * (uint64_t)g->n + 65536) return 0;
    g->dense = malloc((size_t)(ncells + 1) * sizeof *g->dense);
    if (!g->dense) return -1;
    size_t c = 0;
    for (uint64_t k = 0; k <= ncells; k++) {
        while (c < g->m && g->key[c] < k)
            c++;
        g->dense[k] = (uint32_t)c;
    }
    assert(g->dense[ncells] == g->m);
    return 0;
}

static int make_boxes(ptgrid *g)
{
    g->box = malloc((g->m ? g->m : 1) * sizeof *g->box);
    if (!g->box) return -1;
    for (size_t c = 0; c < g->m; c++) {
        ptgrid_box *b = &g->box[c];
        b->x0 = b->x1 = g->x[g->start[c]];
        b->y0 = b->y1 = g->y[g->start[c]];
        for (uint32_t s = g->start[c] + 1; s < g->start[c + 1]; s++) {
            b->x0 = min2(b->x0, g->x[s]);
            b->x1 = max2(b->x1, g->x[s]);
            b->y0 = min2(b->y0, g->y[s]);
            b->y1 = max2(b->y1, g->y[s]);
        }
    }
    return 0;
}

hz_status ptgrid_new(size_t n, const double *x, const double *y, const uint32_t *idx,
                     const ptgrid_spec *spec, ptgrid **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!(spec->cell > 0) || !isfinite(spec->cell) || spec->margin < 0 ||
        spec->margin > PTGRID_MAX_REACH)
        return hz_fail(HZ_EINVAL, err, errlen, "grid: bad cell %g or margin %d", spec->cell,
                       spec->margin);
    if (n >= UINT32_MAX) return hz_fail(HZ_ELIMIT, err, errlen, "grid: %zu points", n);
    ptgrid *g = calloc(1, sizeof *g);
    if (!g) return hz_fail(HZ_ENOMEM, err, errlen, "grid: out of memory for %zu points", n);
    g->n = n;
    hz_status rc = set_geometry(g, n, x, y, spec, err, errlen);
    if (rc != HZ_OK) {
        ptgrid_free(g);
        return rc;
    }
    uint64_t *key = malloc((n ? n : 1) * sizeof *key), maxkey = 0;
    int ok = key != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        key[i] =
            (uint64_t)ptgrid_row(g, y[i]) * (uint64_t)g->geom.ncols + (uint64_t)ptgrid_col(g, x[i]);
        maxkey = key[i] > maxkey ? key[i] : maxkey;
    }
    assert(g->n == n); /* sort_points() reads the g->n keys just set */
    ok = ok && sort_points(g, x, y, idx, key, maxkey) == 0 &&
         (!spec->boxes || make_boxes(g) == 0) && (!spec->dense || make_dense(g) == 0);
    free(key);
    if (!ok) {
        ptgrid_free(g);
        return hz_fail(HZ_ENOMEM, err, errlen, "grid: out of memory for %zu points", n);
    }
    *out = g;
    return HZ_OK;
}

size_t ptgrid_count(const ptgrid *g)
{
    return g->n;
}

size_t ptgrid_cells(const ptgrid *g)
{
    return g->m;
}

size_t ptgrid_bytes(const ptgrid *g)
{
    size_t per_point = 2 * sizeof(double) + sizeof(uint32_t);
    size_t per_cell = sizeof(uint64_t) + sizeof(uint32_t) + (g->box ? sizeof(ptgrid_box) : 0);
    size_t dense =
        g->dense ? ((size_t)g->geom.ncols * (size_t)g->geom.nrows + 1) * sizeof(uint32_t) : 0;
    return sizeof *g + g->n * per_point + g->m * per_cell + sizeof(uint32_t) + dense;
}

const ptgrid_geom *ptgrid_geometry(const ptgrid *g)
{
    return &g->geom;
}

const double *ptgrid_xs(const ptgrid *g)
{
    return g->x;
}

const double *ptgrid_ys(const ptgrid *g)
{
    return g->y;
}

const uint32_t *ptgrid_index(const ptgrid *g)
{
    return g->index;
}

const uint32_t *ptgrid_start(const ptgrid *g)
{
    return g->start;
}

const uint64_t *ptgrid_keys(const ptgrid *g)
{
    return g->key;
}

const ptgrid_box *ptgrid_boxes(const ptgrid *g)
{
    return g->box;
}

ptgrid_box *ptgrid_take_boxes(ptgrid *g)
{
    ptgrid_box *b = g->box;
    g->box = NULL;
    return b;
}

/* The first cell at or after `from` whose key is at least k. */
static size_t lower_bound(const ptgrid *g, size_t from, uint64_t k)
{
    if (g->dense) {
        assert(g->dense[k] >= from);
        return g->dense[k];
    }
    size_t lo = from, hi = g->m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->key[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void ptgrid_run(const ptgrid *g, int64_t row, int64_t col0, int64_t col1, size_t *c0, size_t *c1)
{
    assert(row >= 0 && row < g->geom.nrows && 0 <= col0 && col0 <= col1 && col1 < g->geom.ncols);
    uint64_t k0 = (uint64_t)row * (uint64_t)g->geom.ncols + (uint64_t)col0;
    *c0 = lower_bound(g, 0, k0);
    *c1 = lower_bound(g, *c0, k0 + (uint64_t)(col1 - col0) + 1);
}

/* The cells [*c0, *c1] of one axis that the interval [lo, hi] touches; 0 when none. Without
 * clamping (the points' own extent) the interval is cut to the cells; with it (a given extent)
 * it is clamped like the points, whose edge cells then stand for everything beyond. */
static int axis_span(const ptgrid *g, double lo, double hi, double v0, int64_t ncells, int64_t *c0,
                     int64_t *c1)
{
    if (!(lo <= hi)) return 0;
    int64_t inner = ncells - 2 * g->geom.margin;
    double a = floor((lo - v0) / g->geom.cell), b = floor((hi - v0) / g->geom.cell);
    if (!g->clamps && (b < 0 || a > (double)(inner - 1))) return 0;
    *c0 = axis_cell(lo, v0, g->geom.cell, inner, g->geom.margin);
    *c1 = axis_cell(hi, v0, g->geom.cell, inner, g->geom.margin);
    return 1;
}

void ptgrid_rows_begin(const ptgrid *g, const double rect[4], ptgrid_rows *it)
{
    const ptgrid_geom *e = &g->geom;
    memset(it, 0, sizeof *it);
    it->row = 0;
    it->row1 = -1; /* empty */
    int64_t r0, r1;
    if (g->m == 0 || !axis_span(g, rect[0], rect[2], e->x0, e->ncols, &it->col0, &it->col1) ||
        !axis_span(g, rect[1], rect[3], e->y0, e->nrows, &r0, &r1))
        return;
    it->row = r0;
    it->row1 = r1;
}

int ptgrid_rows_next(const ptgrid *g, ptgrid_rows *it, size_t *p0, size_t *p1)
{
    while (it->row <= it->row1) {
        uint64_t k0 = (uint64_t)it->row * (uint64_t)g->geom.ncols + (uint64_t)it->col0;
        size_t c0 = lower_bound(g, it->from, k0);
        size_t c1 = lower_bound(g, c0, k0 + (uint64_t)(it->col1 - it->col0) + 1);
        it->row++;
        it->from = c1; /* the next row's cells come later */
        if (c0 == c1) continue;
        *p0 = g->start[c0];
        *p1 = g->start[c1];
        return 1;
    }
    return 0;
}

hz_status ptgrid_query(const ptgrid *g, const double rect[4], uint32_t **pos, size_t *n)
{
    *pos = NULL;
    *n = 0;
    ptgrid_rows it, probe;
    size_t bound = 0, m = 0, p0, p1;
    ptgrid_rows_begin(g, rect, &it);
    probe = it;
    while (ptgrid_rows_next(g, &probe, &p0, &p1))
        bound += p1 - p0;
    if (bound == 0) return HZ_OK;
    uint32_t *out = malloc(bound * sizeof *out);
    if (!out) return HZ_ENOMEM;
    for (int64_t row = it.row; row <= it.row1; row++) {
        size_t c0, c1;
        ptgrid_run(g, row, it.col0, it.col1, &c0, &c1);
        uint64_t base = (uint64_t)row * (uint64_t)g->geom.ncols;
        for (size_t c = c0; c < c1; c++) {
            /* A cell strictly inside the first and last rows and columns lies inside the rect
             * (the cell of a coordinate is monotonic in it): its points need no test. */
            int64_t col = (int64_t)(g->key[c] - base);
            int inner = row > it.row && row < it.row1 && col > it.col0 && col < it.col1;
            for (uint32_t q = g->start[c]; q < g->start[c + 1]; q++) {
                out[m] = q;
                m += (size_t)(inner || (g->x[q] >= rect[0] && g->x[q] <= rect[2] &&
                                        g->y[q] >= rect[1] && g->y[q] <= rect[3]));
            }
        }
    }
    assert(m <= bound);
    if (m == 0) {
        free(out);
        out = NULL;
    }
    *pos = out;
    *n = m;
    return HZ_OK;
}

void ptgrid_sweep_init(ptgrid_sweep *sw, int r)
{
    assert(r >= 1 && r <= PTGRID_MAX_REACH);
    memset(sw, 0, sizeof *sw);
    sw->r = r;
}

void ptgrid_sweep_to(const ptgrid *g, ptgrid_sweep *sw, size_t c)
{
    /* key[c] >= r * ncols + r: the margin rows and columns keep these from wrapping. */
    assert(c < g->m && sw->r <= g->geom.margin);
    uint64_t w = (uint64_t)g->geom.ncols, r = (uint64_t)sw->r;
    uint64_t row0 = g->key[c] - r * w;
    for (uint64_t k = 0; k <= 2 * r; k++) {
        uint64_t a = row0 + k * w - r, b = a + 2 * r;
        size_t lo = sw->lo[k], hi = sw->hi[k];
        while (lo < g->m && g->key[lo] < a)
            lo++;
        if (hi < lo) hi = lo;
        while (hi < g->m && g->key[hi] <= b)
            hi++;
        sw->lo[k] = lo;
        sw->hi[k] = hi;
    }
}
