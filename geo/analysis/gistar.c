/* gistar.c - local Getis-Ord Gi / Gi* statistics, Moran's I on lattices, BH FDR, permutations.
 *
 * Everything reduces to four numbers per value i: x_i, the sum L_i of its neighbours' values
 * (binary, i excluded), their number k_i, and the global n, mean and sum of squared deviations.
 * gistar_z() turns them into the Ord & Getis (1995) z-score; the explicit-list and the lattice
 * paths differ only in how they compute L_i and k_i. The conditional permutation test holds x_i
 * and k_i fixed and draws k_i of the other n - 1 values (Anselin 1995, sec. 4): star, row
 * standardisation and the denominator are then monotone functions of the drawn sum, so one test
 * on L_i serves every variant. */
#include "hazmap/gistar.h"
#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "hazmap/ptgrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Relative tolerance on distance comparisons, so that lattice points exactly d apart count. */
#define DIST_TOL 1e-9

void gistar_opts_init(gistar_opts *o)
{
    memset(o, 0, sizeof *o);
    o->star = 1;
    o->weights = GISTAR_BINARY;
    o->variance = GISTAR_VAR_ORD_GETIS;
    o->seed = 1;
}

double gistar_p_normal(double z)
{
    if (!isfinite(z)) return isnan(z) ? NAN : 0.0;
    return erfc(fabs(z) / sqrt(2.0));
}

/* ---- the statistic ---- */

/* Global moments of the values: n, mean and M2 = sum (x - mean)^2 (two passes, no
 * cancellation). */
typedef struct moments {
    double n, mean, m2;
} moments;

/* z of value x with neighbour sum L (binary, self excluded) over k neighbours. */
static double gistar_z(const moments *m, const gistar_opts *o, double x, double L, int k)
{
    double N, xbar, s2, lag, W;
    if (o->star) {
        /* Gi*: the value is its own neighbour (w_ii = 1). Ord & Getis 1995, eq. 2 with the
         * mean and variance of all n values (divisor n), as in spdep's localG. */
        N = m->n;
        xbar = m->mean;
        s2 = m->m2 / m->n;
        lag = L + x;
        W = k + 1;
    } else {
        /* Gi: Getis & Ord 1992, eqs. 3-4, with the mean and variance of the other n - 1
         * values; M2 without x_i by the leave-one-out update M2 - (x - mean)^2 n / (n - 1). */
        N = m->n - 1;
        xbar = (m->n * m->mean - x) / N;
        double d = x - m->mean;
        s2 = (m->m2 - d * d * m->n / N) / N;
        lag = L;
        W = k;
    }
    if (W <= 0 || s2 <= 0) return 0.0;
    double S1 = W; /* sum of squared binary weights */
    if (o->weights == GISTAR_ROW) {
        lag /= W;
        S1 = 1.0 / W;
        W = 1.0;
    }
    double v;
    if (o->variance == GISTAR_VAR_ESDA)
        v = W * (N - W) / (N - 1); /* esda G_Local.calc(), exact for binary weights only */
    else
        v = (N * S1 - W * W) / (N - 1);   /* Ord & Getis 1995, Var of the numerator / s^2 */
    if (!(v > 1e-12 * W * W)) return 0.0; /* every value is a neighbour: nothing to test */
    return (lag - W * xbar) / sqrt(s2 * v);
}

static hz_status moments_of(size_t n, const double *x, const unsigned char *mask, moments *m,
                            char *err, size_t errlen)
{
    double cnt = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        if (!isfinite(x[i])) return hz_fail(HZ_EINVAL, err, errlen, "value %zu is not finite", i);
        cnt++;
        sum += x[i];
    }
    if (cnt < 3)
        return hz_fail(HZ_EINVAL, err, errlen, "Gi* needs at least 3 values, got %.0f", cnt);
    m->n = cnt;
    m->mean = sum / cnt;
    m->m2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        double d = x[i] - m->mean;
        m->m2 += d * d;
    }
    if (m->m2 <= 1e-24 * cnt * (1 + m->mean * m->mean))
        return hz_fail(HZ_EINVAL, err, errlen, "all %.0f values are equal (%g): Gi* is undefined",
                       cnt, m->mean);
    return HZ_OK;
}

/* ---- permutations ---- */

/* splitmix64 (Steele, Lea & Flood 2014): a small, well-mixed generator; one stream per value,
 * seeded from (seed, i), so results do not depend on how values are split among threads. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Unbiased integer in [0, range) by Lemire's (2019) multiply-and-reject method. */
static uint32_t rand_below(uint64_t *s, uint32_t range)
{
    uint64_t m = (uint64_t)(uint32_t)splitmix64(s) * range;
    uint32_t l = (uint32_t)m;
    if (l < range) {
        uint32_t t = (uint32_t)(-range) % range;
        while (l < t) {
            m = (uint64_t)(uint32_t)splitmix64(s) * range;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Two-sided conditional permutation p of the neighbour sum L of value i among vals[0..n-1]
 * (all present values; i is its position). scratch: n doubles holding vals (restored on
 * return); swaps: room for k indices. */
static double perm_p(double *scratch, uint32_t *swaps, size_t n, size_t i, int k, double L,
                     int perms, uint64_t seed)
{
    if (k <= 0 || (size_t)k > n - 1) return 1.0;
    uint64_t st = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(i + 1));
    splitmix64(&st);
    /* The others are scratch[0 .. n-2] once value i is swapped to the end. */
    double t = scratch[i];
    scratch[i] = scratch[n - 1];
    scratch[n - 1] = t;
    uint32_t m = (uint32_t)(n - 1);
    long ge = 0, le = 0;
    double tol = 1e-9 * (fabs(L) + 1.0);
    for (int p = 0; p < perms; p++) {
        double sum = 0;
        /* Partial Fisher-Yates draw of k of the m others; undone below so that every draw
         * starts from the same order. */
        for (int a = 0; a < k; a++) {
            uint32_t b = (uint32_t)a + rand_below(&st, m - (uint32_t)a);
            swaps[a] = b;
            double v = scratch[b];
            scratch[b] = scratch[a];
            scratch[a] = v;
            sum += v;
        }
        for (int a = k - 1; a >= 0; a--) {
            double v = scratch[swaps[a]];
            scratch[swaps[a]] = scratch[a];
            scratch[a] = v;
        }
        if (sum >= L - tol) ge++;
        if (sum <= L + tol) le++;
    }
    scratch[n - 1] = scratch[i];
    scratch[i] = t;
    double q = 2.0 * (double)((ge < le ? ge : le) + 1) / (perms + 1.0);
    return q > 1.0 ? 1.0 : q;
}

/* ---- explicit neighbour lists ---- */

void gistar_nb_free(gistar_nb *nb)
{
    free(nb->start);
    free(nb->idx);
    memset(nb, 0, sizeof *nb);
}

typedef struct idxvec {
    uint32_t *v;
    size_t n, cap;
} idxvec;

static int idxvec_push(idxvec *a, uint32_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        uint32_t *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv) return -1;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* Sorts v[first..n) ascending: one cell's neighbour list, short, so insertion sort. */
static void sort_from(idxvec *v, size_t first)
{
    for (size_t a = first + 1; a < v->n; a++) {
        uint32_t x = v->v[a];
        size_t b = a;
        while (b > first && v->v[b - 1] > x) {
            v->v[b] = v->v[b - 1];
            b--;
        }
        v->v[b] = x;
    }
}

/* Neighbour lists from a point grid (spec): j != i is a neighbour of i when |dx| <= half,
 * |dy| <= half and dx^2 + dy^2 <= d2. Each list sorted by index, as spdep keeps them (it only
 * matters for reading). */
static hz_status nb_on_grid(size_t n, const double *x, const double *y, const ptgrid_spec *spec,
                            double half, double d2, gistar_nb *out, char *err, size_t errlen)
{
    ptgrid *g = NULL;
    idxvec nbr = {0};
    hz_status rc = ptgrid_new(n, x, y, NULL, spec, &g, err, errlen);
    if (rc != HZ_OK) return rc;
    out->start = malloc((n + 1) * sizeof *out->start);
    if (!out->start) {
        rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    const uint32_t *index = ptgrid_index(g);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        out->start[i] = nbr.n;
        size_t first = nbr.n, p0, p1;
        double sq[4] = {x[i] - half, y[i] - half, x[i] + half, y[i] + half};
        ptgrid_rows it;
        ptgrid_rows_begin(g, sq, &it);
        while (ptgrid_rows_next(g, &it, &p0, &p1)) {
            for (size_t q = p0; q < p1; q++) {
                uint32_t j = index[q];
                double dx = x[j] - x[i], dy = y[j] - y[i];
                if (j == i || fabs(dx) > half || fabs(dy) > half || dx * dx + dy * dy > d2)
                    continue;
                if (idxvec_push(&nbr, j)) {
                    rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                    goto done;
                }
            }
        }
        sort_from(&nbr, first);
    }
    out->start[n] = nbr.n;
    out->idx = nbr.v ? nbr.v : malloc(sizeof *out->idx);
    nbr.v = NULL;
    if (!out->idx) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
done:
    ptgrid_free(g);
    free(nbr.v);
    if (rc != HZ_OK) gistar_nb_free(out);
    return rc;
}

hz_status gistar_nb_distance(size_t n, const double *x, const double *y, double d, gistar_nb *out,
                             char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!(d > 0) || !isfinite(d))
        return hz_fail(HZ_EINVAL, err, errlen, "band: %g is not a positive distance", d);
    if (n >= UINT32_MAX) return hz_fail(HZ_ELIMIT, err, errlen, "too many points (%zu)", n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "point %zu has no finite coordinates", i);
    /* Cells of side >= d (at most 2048 across): a point's neighbours lie in the cells that the
     * square of half-side d around it touches. (Within the band, |dx| and |dy| are within the
     * square's half-side by far more than rounding.) */
    ptgrid_spec spec = {.cell = d, .across = 2048};
    return nb_on_grid(n, x, y, &spec, d * (1 + DIST_TOL), d * d * (1 + DIST_TOL), out, err, errlen);
}

hz_status gistar_nb_queen(size_t n, const int *row, const int *col, gistar_nb *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n >= UINT32_MAX) return hz_fail(HZ_ELIMIT, err, errlen, "too many cells (%zu)", n);
    /* Lattice positions as points on a grid of unit cells (coarser over a vast extent):
     * neighbours are the points in the 3 x 3 square around each. */
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    hz_status rc = x && y ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; rc == HZ_OK && i < n; i++) {
        x[i] = col[i];
        y[i] = row[i];
    }
    ptgrid_spec spec = {.cell = 1, .across = 1 << 20};
    if (rc == HZ_OK) rc = nb_on_grid(n, x, y, &spec, 1, INFINITY, out, err, errlen);
    free(x);
    free(y);
    return rc;
}

/* Per-thread scratch for permutations: a copy of the present values and the swap log. */
typedef struct perm_scratch {
    double *vals;
    uint32_t *swaps;
} perm_scratch;

static void perm_scratch_free(perm_scratch *ps, int nt)
{
    if (!ps) return;
    for (int t = 0; t < nt; t++) {
        free(ps[t].vals);
        free(ps[t].swaps);
    }
    free(ps);
}

/* nt scratch sets of m values (copied from vals) and maxk swap slots; NULL on failure. */
static perm_scratch *perm_scratch_new(int nt, const double *vals, size_t m, size_t maxk)
{
    perm_scratch *ps = calloc((size_t)nt, sizeof *ps);
    if (!ps) return NULL;
    for (int t = 0; t < nt; t++) {
        ps[t].vals = malloc(m * sizeof *ps[t].vals);
        ps[t].swaps = malloc((maxk ? maxk : 1) * sizeof *ps[t].swaps);
        if (!ps[t].vals || !ps[t].swaps) {
            perm_scratch_free(ps, nt);
            return NULL;
        }
        memcpy(ps[t].vals, vals, m * sizeof *vals);
    }
    return ps;
}

typedef struct list_ctx {
    const double *x;
    const gistar_nb *nb;
    const gistar_opts *o;
    const moments *m;
    gistar_out *out;
    perm_scratch *ps;
} list_ctx;

static void list_work(void *vctx, size_t lo, size_t hi, int tid)
{
    list_ctx *c = vctx;
    for (size_t i = lo; i < hi; i++) {
        double L = 0;
        size_t a = c->nb->start[i], b = c->nb->start[i + 1];
        for (size_t q = a; q < b; q++)
            L += c->x[c->nb->idx[q]];
        int k = (int)(b - a);
        double z = gistar_z(c->m, c->o, c->x[i], L, k);
        c->out->z[i] = z;
        c->out->p[i] = gistar_p_normal(z);
        if (c->out->nb_count) c->out->nb_count[i] = k;
        if (c->ps)
            c->out->p_perm[i] = perm_p(c->ps[tid].vals, c->ps[tid].swaps, c->nb->n, i, k, L,
                                       c->o->permutations, c->o->seed);
    }
}

hz_status gistar_compute(const double *x, const gistar_nb *nb, const gistar_opts *o,
                         gistar_out *out, char *err, size_t errlen)
{
    moments m;
    hz_status rc = moments_of(nb->n, x, NULL, &m, err, errlen);
    if (rc != HZ_OK) return rc;
    int nt = par_threads(o->nthreads);
    list_ctx c = {x, nb, o, &m, out, NULL};
    if (o->permutations > 0) {
        if (!out->p_perm)
            return hz_fail(HZ_EINVAL, err, errlen, "permutations asked for but no p_perm array");
        size_t maxk = 0;
        for (size_t i = 0; i < nb->n; i++)
            if (nb->start[i + 1] - nb->start[i] > maxk) maxk = nb->start[i + 1] - nb->start[i];
        c.ps = perm_scratch_new(nt, x, nb->n, maxk);
        if (!c.ps) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    par_for(nb->n, nt, list_work, &c);
    perm_scratch_free(c.ps, nt);
    return HZ_OK;
}

/* ---- lattices ---- */

/* For each row offset dr in [-R, R] and each parity of the centre row, the neighbours in row
 * r + dr are the contiguous columns c + lo .. c + hi (a disk cut by a row is an interval). */
struct gistar_stencil {
    int R;
    int *lo, *hi; /* [(parity * (2R + 1)) + dr + R]; lo > hi: none */
    size_t size;  /* offsets of an interior cell, self excluded */
};

void gistar_stencil_free(gistar_stencil *s)
{
    if (!s) return;
    free(s->lo);
    free(s->hi);
    free(s);
}

size_t gistar_stencil_size(const gistar_stencil *s)
{
    return s->size;
}

gistar_stencil *gistar_stencil_new(const gistar_lattice *g, double d, char *err, size_t errlen)
{
    if (!(g->spacing > 0) || g->nrows < 1 || g->ncols < 1) {
        hz_fail(HZ_EINVAL, err, errlen, "lattice: bad size %d x %d or spacing %g", g->nrows,
                g->ncols, g->spacing);
        return NULL;
    }
    int queen = !(d > 0);
    if (queen && g->hex) d = g->spacing; /* the 6 edge neighbours are the centres 1 apart */
    if (!queen || g->hex) {
        if (!isfinite(d) || d < g->spacing * (1 - DIST_TOL)) {
            hz_fail(HZ_EINVAL, err, errlen,
                    "band: %g m is shorter than the cell spacing %g m (no neighbours)", d,
                    g->spacing);
            return NULL;
        }
        if (d > 500 * g->spacing) {
            hz_fail(HZ_ELIMIT, err, errlen, "band: %g m is more than 500 cells of %g m", d,
                    g->spacing);
            return NULL;
        }
    }
    gistar_stencil *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    double rowh = g->hex ? g->spacing * sqrt(3.0) / 2 : g->spacing;
    s->R = queen && !g->hex ? 1 : (int)floor(d * (1 + DIST_TOL) / rowh);
    size_t w = 2 * (size_t)s->R + 1;
    s->lo = malloc(2 * w * sizeof *s->lo);
    s->hi = malloc(2 * w * sizeof *s->hi);
    if (!s->lo || !s->hi) goto oom;
    double d2 = d * d * (1 + DIST_TOL);
    for (int par = 0; par < 2; par++) {
        for (int dr = -s->R; dr <= s->R; dr++) {
            int lo, hi;
            if (queen && !g->hex) {
                lo = -1;
                hi = 1;
            } else {
                double dy = dr * rowh;
                double m = sqrt(fmax(0.0, d2 - dy * dy)) / g->spacing;
                /* the target row's centres are shifted by delta cells relative to ours */
                double delta = g->hex ? 0.5 * (double)(((par + dr) & 1) - par) : 0.0;
                lo = (int)ceil(-m - delta - 1e-12);
                hi = (int)floor(m - delta + 1e-12);
                /* exact check at the ends guards the floating rounding above */
                while (lo <= hi && pow((lo + delta) * g->spacing, 2) + dy * dy > d2)
                    lo++;
                while (hi >= lo && pow((hi + delta) * g->spacing, 2) + dy * dy > d2)
                    hi--;
            }
            s->lo[(size_t)par * w + (size_t)(dr + s->R)] = lo;
            s->hi[(size_t)par * w + (size_t)(dr + s->R)] = hi;
            if (par == 0 && hi >= lo) s->size += (size_t)(hi - lo + 1);
        }
    }
    s->size -= 1; /* self */
    return s;
oom:
    gistar_stencil_free(s);
    hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return NULL;
}

/* Per-row prefix sums of values and of present cells: sums over a row interval in O(1). */
typedef struct prefix {
    double *v;  /* (ncols + 1) per row */
    int32_t *c; /* (ncols + 1) per row */
} prefix;

static void prefix_free(prefix *p)
{
    free(p->v);
    free(p->c);
}

static hz_status prefix_build(const gistar_lattice *g, const double *val, prefix *p)
{
    size_t w = (size_t)g->ncols + 1;
    p->v = malloc((size_t)g->nrows * w * sizeof *p->v);
    p->c = malloc((size_t)g->nrows * w * sizeof *p->c);
    if (!p->v || !p->c) {
        prefix_free(p);
        return HZ_ENOMEM;
    }
    for (int r = 0; r < g->nrows; r++) {
        double *pv = p->v + (size_t)r * w;
        int32_t *pc = p->c + (size_t)r * w;
        pv[0] = 0;
        pc[0] = 0;
        for (int c = 0; c < g->ncols; c++) {
            size_t i = (size_t)r * (size_t)g->ncols + (size_t)c;
            int on = !g->mask || g->mask[i];
#ifndef __clang_analyzer__
            pv[c + 1] = pv[c] + (on ? val[i] : 0.0);
#else
            /* A false positive hidden from clang's analyzer (make analyze): it cannot tie cell
             * r * ncols + c to the nrows * ncols values the callers set, and reports the read as
             * of unset or zero-size memory. */
            pv[c + 1] = pv[c];
#endif
            pc[c + 1] = pc[c] + on;
        }
    }
    return HZ_OK;
}

/* Sum and count of present cells in the stencil around (r, c), self included. */
static void stencil_sum(const gistar_lattice *g, const gistar_stencil *s, const prefix *p, int r,
                        int c, double *sum, int *cnt)
{
    size_t w = (size_t)g->ncols + 1, sw = 2 * (size_t)s->R + 1;
    int par = g->hex ? (r & 1) : 0;
    const int *lo = s->lo + (size_t)par * sw, *hi = s->hi + (size_t)par * sw;
    double S = 0;
    int C = 0;
    int dr0 = r - s->R < 0 ? -r : -s->R;
    int dr1 = r + s->R >= g->nrows ? g->nrows - 1 - r : s->R;
    for (int dr = dr0; dr <= dr1; dr++) {
        int a = c + lo[dr + s->R], b = c + hi[dr + s->R];
        if (a < 0) a = 0;
        if (b > g->ncols - 1) b = g->ncols - 1;
        if (a > b) continue;
        size_t row = (size_t)(r + dr) * w;
        S += p->v[row + (size_t)b + 1] - p->v[row + (size_t)a];
        C += p->c[row + (size_t)b + 1] - p->c[row + (size_t)a];
    }
    *sum = S;
    *cnt = C;
}

typedef struct lat_ctx {
    const gistar_lattice *g;
    const gistar_stencil *s;
    const gistar_opts *o;
    const moments *m;
    const prefix *p;
    gistar_out *out;
    perm_scratch *ps;
    const size_t *rank; /* position of each present cell among the present cells */
    size_t npresent;
    _Atomic int stopped; /* cancelled (cancel.h): the rows not yet done stay undone */
} lat_ctx;

static void lat_work(void *vctx, size_t lo, size_t hi, int tid)
{
    lat_ctx *c = vctx;
    const gistar_lattice *g = c->g;
    for (size_t r = lo; r < hi; r++) {
        if (hz_cancel_check()) {
            atomic_store(&c->stopped, 1);
            return;
        }
        for (int col = 0; col < g->ncols; col++) {
            size_t i = r * (size_t)g->ncols + (size_t)col;
            if (g->mask && !g->mask[i]) {
                c->out->z[i] = 0;
                c->out->p[i] = 1;
                if (c->out->nb_count) c->out->nb_count[i] = 0;
                if (c->ps) c->out->p_perm[i] = 1;
                continue;
            }
            double S;
            int C;
            stencil_sum(g, c->s, c->p, (int)r, col, &S, &C);
            double L = S - g->value[i];
            int k = C - 1;
            double z = gistar_z(c->m, c->o, g->value[i], L, k);
            c->out->z[i] = z;
            c->out->p[i] = gistar_p_normal(z);
            if (c->out->nb_count) c->out->nb_count[i] = k;
            if (c->ps)
                c->out->p_perm[i] = perm_p(c->ps[tid].vals, c->ps[tid].swaps, c->npresent,
                                           c->rank[i], k, L, c->o->permutations, c->o->seed);
        }
    }
}

hz_status gistar_lattice_compute(const gistar_lattice *g, const gistar_stencil *s,
                                 const gistar_opts *o, gistar_out *out, char *err, size_t errlen)
{
    size_t ncell = (size_t)g->nrows * (size_t)g->ncols;
    moments m;
    hz_status rc = moments_of(ncell, g->value, g->mask, &m, err, errlen);
    if (rc != HZ_OK) return rc;
    prefix p = {0};
    if (prefix_build(g, g->value, &p) != HZ_OK)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    int nt = par_threads(o->nthreads);
    lat_ctx c = {.g = g, .s = s, .o = o, .m = &m, .p = &p, .out = out};
    atomic_init(&c.stopped, 0);
    size_t *rank = NULL;
    double *vals = NULL;
    if (o->permutations > 0) {
        if (!out->p_perm) {
            prefix_free(&p);
            return hz_fail(HZ_EINVAL, err, errlen, "permutations asked for but no p_perm array");
        }
        rank = malloc(ncell * sizeof *rank);
        vals = malloc((size_t)m.n * sizeof *vals);
        if (rank && vals) {
            size_t q = 0;
            for (size_t i = 0; i < ncell; i++) {
                if (g->mask && !g->mask[i]) continue;
                rank[i] = q;
                vals[q++] = g->value[i];
            }
            c.rank = rank;
            c.npresent = q;
            c.ps = perm_scratch_new(nt, vals, q, s->size);
        }
        if (!c.ps) {
            free(rank);
            free(vals);
            prefix_free(&p);
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        }
    }
    par_for((size_t)g->nrows, nt, lat_work, &c);
    perm_scratch_free(c.ps, nt);
    free(rank);
    free(vals);
    prefix_free(&p);
    return atomic_load(&c.stopped) ? hz_cancel_status(err, errlen) : HZ_OK;
}

typedef struct moran_ctx {
    const gistar_lattice *g;
    const gistar_stencil *s;
    const prefix *p;
    const double *zv;
    double part[64][3]; /* per thread: sum z_i lag_i, sum k_i, sum k_i^2 */
} moran_ctx;

static void moran_work(void *vctx, size_t lo, size_t hi, int tid)
{
    moran_ctx *c = vctx;
    const gistar_lattice *g = c->g;
    double num = 0, s0 = 0, sk2 = 0;
    for (size_t r = lo; r < hi; r++) {
        for (int col = 0; col < g->ncols; col++) {
            size_t i = r * (size_t)g->ncols + (size_t)col;
            if (g->mask && !g->mask[i]) continue;
            double S;
            int C;
            stencil_sum(g, c->s, c->p, (int)r, col, &S, &C);
            num += c->zv[i] * (S - c->zv[i]);
            s0 += C - 1;
            sk2 += (double)(C - 1) * (C - 1);
        }
    }
    c->part[tid][0] = num;
    c->part[tid][1] = s0;
    c->part[tid][2] = sk2;
}

hz_status gistar_lattice_moran(const gistar_lattice *g, const gistar_stencil *s, int nthreads,
                               double *I, double *z, char *err, size_t errlen)
{
    size_t ncell = (size_t)g->nrows * (size_t)g->ncols;
    moments m;
    hz_status rc = moments_of(ncell, g->value, g->mask, &m, err, errlen);
    if (rc != HZ_OK) return rc;
    if (m.n < 4) return hz_fail(HZ_EINVAL, err, errlen, "Moran's I needs at least 4 cells");
    double *zv = malloc(ncell * sizeof *zv);
    if (!zv) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    double m4 = 0;
    for (size_t i = 0; i < ncell; i++) {
        zv[i] = (g->mask && !g->mask[i]) ? 0.0 : g->value[i] - m.mean;
        m4 += zv[i] * zv[i] * zv[i] * zv[i];
    }
    prefix p = {0};
    if (prefix_build(g, zv, &p) != HZ_OK) {
        free(zv);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    moran_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        free(zv);
        prefix_free(&p);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    c->g = g;
    c->s = s;
    c->p = &p;
    c->zv = zv;
    int nt = par_threads(nthreads);
    par_for((size_t)g->nrows, nt, moran_work, c);
    double num = 0, S0 = 0, sk2 = 0;
    for (int t = 0; t < 64; t++) {
        num += c->part[t][0];
        S0 += c->part[t][1];
        sk2 += c->part[t][2];
    }
    free(c);
    free(zv);
    prefix_free(&p);
    if (S0 <= 0) return hz_fail(HZ_EINVAL, err, errlen, "Moran's I: no cell has a neighbour");
    double n = m.n;
    /* Moran (1950); moments under randomisation, Cliff & Ord (1981) eqs. 1.35-1.38:
     * symmetric binary weights give S1 = 2 S0 and S2 = 4 sum k_i^2. */
    *I = n / S0 * num / m.m2;
    double E = -1.0 / (n - 1);
    double S1 = 2 * S0, S2 = 4 * sk2;
    double b2 = n * m4 / (m.m2 * m.m2);
    double A = n * ((n * n - 3 * n + 3) * S1 - n * S2 + 3 * S0 * S0);
    double B = b2 * ((n * n - n) * S1 - 2 * n * S2 + 6 * S0 * S0);
    double C = (n - 1) * (n - 2) * (n - 3) * S0 * S0;
    double var = (A - B) / C - E * E;
    *z = var > 0 ? (*I - E) / sqrt(var) : 0.0;
    return HZ_OK;
}

/* ---- FDR ---- */

typedef struct pidx {
    double p;
    size_t i;
} pidx;

static int pidx_cmp(const void *a, const void *b)
{
    const pidx *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

hz_status gistar_fdr_bh(size_t n, const double *p, double *q)
{
    pidx *a = malloc((n ? n : 1) * sizeof *a);
    if (!a) return HZ_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i])) a[m++] = (pidx){p[i], i};
    for (size_t i = 0; i < n; i++)
        if (isnan(p[i])) q[i] = NAN;
    qsort(a, m, sizeof *a, pidx_cmp);
    /* Benjamini & Hochberg 1995, step-up: running minimum from the largest p down. */
    double run = 1.0;
    for (size_t k = m; k-- > 0;) {
        double v = a[k].p * (double)m / (double)(k + 1);
        if (v < run) run = v;
        q[a[k].i] = run;
    }
    free(a);
    return HZ_OK;
}
