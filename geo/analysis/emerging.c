/* emerging.c - emerging hot spot analysis: the space-time cube, its Gi*, trends and patterns.
 *
 * Pipeline (emerging_compute), one stage per function: pool (the dated points inside the whole
 * steps) -> lattice (hotspots_run_points() on the pooled points: cell size, band and study-area
 * cells exactly as a hot-spot map of the same filter) -> fill (each point into its cell and
 * step) -> neighbours (the cells' centres within the band, or the contiguity distance) ->
 * stgistar_compute() -> adjust (Benjamini-Hochberg over the cube, bin classes) -> patterns
 * (Mann-Kendall of each location's values and z-scores, ehsa_classify()).
 * Invariants (asserted): every pooled point is in one bin or counted outside; the bins hold
 * exactly the cells of the lattice's study area times the steps. */
#include "hazmap/emerging.h"
#include "hazmap/cancel.h"
#include "hazmap/hztime.h"
#include "hazmap/stgistar.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct emerging_result {
    hotspots_result *H; /* the spatial lattice */
    emerging_params par;
    size_t nloc, nsteps;
    emerging_cell *cells; /* nloc */
    emerging_bin *bins;   /* nsteps x nloc, step-major */
    int64_t *starts;      /* nsteps + 1: each step's first second, then the end */
    char (*labels)[32];   /* nsteps */
    int score;
    size_t incidents, outside, undated;
    size_t without_point;     /* selected but left out: no point (hz_points.without_point) */
    size_t linked_duplicates; /* left out as another record's event (hz_points) */
    const char *counted;      /* hz_points.counted; static */
    char *filters;
    int64_t data_version;
};

void emerging_params_init(emerging_params *p)
{
    memset(p, 0, sizeof *p);
    hotspots_params_init(&p->space);
    p->step = TS_MONTH;
    p->time_lag = 1;
    p->alpha = 0.10;
    p->trend_alpha = 0.05;
    p->fdr = 1;
}

void emerging_free(emerging_result *r)
{
    if (!r) return;
    hotspots_free(r->H);
    free(r->cells);
    free(r->bins);
    free(r->starts);
    free(r->labels);
    free(r->filters);
    free(r);
}

const emerging_cell *emerging_cells(const emerging_result *r, size_t *n)
{
    *n = r->nloc;
    return r->cells;
}

size_t emerging_steps(const emerging_result *r)
{
    return r->nsteps;
}

const emerging_bin *emerging_bin_at(const emerging_result *r, size_t i, size_t t)
{
    assert(i < r->nloc && t < r->nsteps);
    return &r->bins[t * r->nloc + i];
}

int64_t emerging_step_start(const emerging_result *r, size_t t)
{
    assert(t <= r->nsteps);
    return r->starts[t];
}

const char *emerging_step_label(const emerging_result *r, size_t t)
{
    assert(t < r->nsteps);
    return r->labels[t];
}

int emerging_score(const emerging_result *r)
{
    return r->score;
}

const emerging_params *emerging_params_used(const emerging_result *r)
{
    return &r->par;
}

const char *emerging_filters(const emerging_result *r)
{
    return r->filters;
}

void emerging_tally(const emerging_result *r, size_t *in, size_t *outside, size_t *undated)
{
    *in = r->incidents;
    *outside = r->outside;
    *undated = r->undated;
}

size_t emerging_without_point(const emerging_result *r)
{
    return r->without_point;
}

const char *emerging_counted(const emerging_result *r, size_t *linked_duplicates)
{
    *linked_duplicates = r->linked_duplicates;
    return r->counted ? r->counted : "records";
}

const hotspots_result *emerging_lattice(const emerging_result *r)
{
    return r->H;
}

/* ---- stages ---- */

/* What one emerging_compute() holds while it runs, freed by work_free() on every path. */
typedef struct em_work {
    hz_points pool;          /* the dated points inside the whole steps */
    int32_t *step;           /* pool.n: step index from 0 */
    gistar_nb nb;            /* the cells' spatial neighbours */
    double *val, *z, *p, *q; /* nsteps x nloc */
    int *cnt;
} em_work;

static void work_free(em_work *w)
{
    free(w->pool.x);
    free(w->pool.y);
    free(w->pool.w);
    free(w->step);
    gistar_nb_free(&w->nb);
    free(w->val);
    free(w->z);
    free(w->p);
    free(w->q);
    free(w->cnt);
}

/* The result with its steps: starts and labels of first..last. */
static hz_status result_new(const emerging_params *par, int64_t first, int64_t last, int tz,
                            const char *filters, int score, emerging_result **out, char *err,
                            size_t errlen)
{
    size_t nsteps = (size_t)(last - first + 1);
    emerging_result *R = calloc(1, sizeof *R);
    if (R) {
        R->par = *par;
        R->nsteps = nsteps;
        R->score = score;
        R->starts = malloc((nsteps + 1) * sizeof *R->starts);
        R->labels = malloc(nsteps * sizeof *R->labels);
        R->filters = strdup(filters ? filters : "");
    }
    if (!R || !R->starts || !R->labels || !R->filters) {
        emerging_free(R);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t t = 0; t <= nsteps; t++)
        R->starts[t] = ts_start(par->step, first + (int64_t)t, tz);
    for (size_t t = 0; t < nsteps; t++)
        ts_label(par->step, first + (int64_t)t, R->labels[t]);
    *out = R;
    return HZ_OK;
}

/* Stage 1: the dated points inside [starts[0], starts[nsteps]), with their step. */
static hz_status pool(emerging_result *R, const hz_points *pts, const int64_t *t, ts_unit u,
                      int64_t first, int tz, em_work *w, char *err, size_t errlen)
{
    size_t n = pts->n ? pts->n : 1;
    w->pool.x = malloc(n * sizeof *w->pool.x);
    w->pool.y = malloc(n * sizeof *w->pool.y);
    w->pool.w = pts->w ? malloc(n * sizeof *w->pool.w) : NULL;
    w->step = malloc(n * sizeof *w->step);
    if (!w->pool.x || !w->pool.y || !w->step || (pts->w && !w->pool.w))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < pts->n; i++) {
        if (t[i] == INT64_MIN) {
            R->undated++;
            continue;
        }
        if (t[i] < R->starts[0] || t[i] >= R->starts[R->nsteps]) {
            R->outside++;
            continue;
        }
        w->pool.x[k] = pts->x[i];
        w->pool.y[k] = pts->y[i];
        if (pts->w) w->pool.w[k] = pts->w[i];
        w->step[k] = (int32_t)(ts_index(u, t[i], tz) - first);
        assert(w->step[k] >= 0 && (size_t)w->step[k] < R->nsteps);
        k++;
    }
    w->pool.n = k;
    if (k == 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "no dated incident lies in the %zu whole %s(s) of the study period",
                       R->nsteps, ts_unit_name(u));
    return HZ_OK;
}

/* Stage 2: the spatial lattice, as the hot spots of the pooled points would have it. An auto
 * cell (hotspots.h: about one incident per cell over the whole period) is first tried on a
 * probe with contiguity (its band search would be wasted on a lattice that may be replaced),
 * then raised, when the bins would hold less than one incident on average, to the size at which
 * they hold one: Gi*'s normal approximation is poor for sparse counts, and a cube spreads each
 * cell's incidents over its steps. */
static hz_status lattice(emerging_result *R, const incset *s, const char *area, const em_work *w,
                         const char *filters, int score, char *why, size_t whylen, char *err,
                         size_t errlen)
{
    hotspots_params sp = R->par.space;
    sp.band_peak_only = 1;
    hz_status rc;
    if (!(sp.cell > 0)) {
        hotspots_params probe = sp;
        probe.contiguity = 1;
        rc = hotspots_run_points(s, area, &w->pool, filters, score, &probe, &R->H, NULL, 0, err,
                                 errlen);
        if (rc != HZ_OK) return rc;
        size_t nloc;
        hotspots_cells(R->H, &nloc);
        double mean = (double)hotspots_incidents(R->H) / ((double)nloc * (double)R->nsteps);
        double from = hotspots_cell_size(R->H);
        hotspots_free(R->H);
        R->H = NULL;
        if (mean < 1.0) {
            sp.cell = ceil(from * sqrt(1.0 / mean));
            hz_append(why, whylen,
                      "cell size auto for the cube: the hot-spot rule's %.0f m leaves %.3f "
                      "incidents per bin on average, so it is raised to %.0f m (about one per "
                      "bin)\n",
                      from, mean, sp.cell);
        }
    }
    rc = hotspots_run_points(s, area, &w->pool, filters, score, &sp, &R->H, NULL, 0, err, errlen);
    if (rc != HZ_OK) return rc;
    if (sp.cell == R->par.space.cell)
        hz_append(why, whylen, "cell size %s\n", hotspots_cell_rule(R->H));
    hz_append(why, whylen, "neighbourhood %s, and the same cells in the %d previous %s(s)\n",
              hotspots_band_rule(R->H), R->par.time_lag, ts_unit_name(R->par.step));
    hotspots_cells(R->H, &R->nloc);
    return HZ_OK;
}

/* Stage 3: each pooled point into its bin. */
static hz_status fill(emerging_result *R, em_work *w, char *err, size_t errlen)
{
    size_t N = R->nloc * R->nsteps;
    size_t max = R->par.max_bins ? R->par.max_bins : EMERGING_MAX_BINS;
    if (N > max)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "cell: %zu cells x %zu steps is more than %zu bins; use a larger cell or "
                       "step, or a shorter period",
                       R->nloc, R->nsteps, max);
    w->val = calloc(N, sizeof *w->val);
    w->cnt = calloc(N, sizeof *w->cnt);
    w->z = malloc(N * sizeof *w->z);
    w->p = malloc(N * sizeof *w->p);
    w->q = malloc(N * sizeof *w->q);
    if (!w->val || !w->cnt || !w->z || !w->p || !w->q)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t before = R->outside;
    for (size_t k = 0; k < w->pool.n; k++) {
        long i = hotspots_locate(R->H, w->pool.x[k], w->pool.y[k]);
        if (i < 0) {
            R->outside++;
            continue;
        }
        size_t b = (size_t)w->step[k] * R->nloc + (size_t)i;
        w->val[b] += w->pool.w ? w->pool.w[k] : 1.0;
        w->cnt[b]++;
        R->incidents++;
    }
    assert(R->incidents + (R->outside - before) == w->pool.n);
    return HZ_OK;
}

/* Stage 4: the cells' spatial neighbours: within the band, or the contiguity distance (queen:
 * the diagonal of a square; hexagons: the distance between adjacent centres). */
static hz_status neighbours(const emerging_result *R, em_work *w, char *err, size_t errlen)
{
    size_t n;
    const hotspots_cell *c = hotspots_cells(R->H, &n);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    hz_status rc = HZ_OK;
    if (!x || !y) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; rc == HZ_OK && i < n; i++) {
        x[i] = c[i].cx;
        y[i] = c[i].cy;
    }
    double s = hotspots_cell_size(R->H), d = hotspots_band(R->H);
    if (!(d > 0)) d = R->par.space.shape == HOTSPOTS_HEX ? s : s * sqrt(2.0);
    if (rc == HZ_OK) rc = gistar_nb_distance(n, x, y, d, &w->nb, err, errlen);
    free(x);
    free(y);
    return rc;
}

/* Stage 6: BH adjustment over every bin of the cube, and the bins' classes. */
static hz_status adjust(emerging_result *R, em_work *w, char *err, size_t errlen)
{
    size_t N = R->nloc * R->nsteps;
    memcpy(w->q, w->p, N * sizeof *w->q);
    if (R->par.fdr && gistar_fdr_bh(N, w->q, w->q) != HZ_OK)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    R->bins = malloc(N * sizeof *R->bins);
    if (!R->bins) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t b = 0; b < N; b++) {
        int sig = w->q[b] <= R->par.alpha;
        R->bins[b] = (emerging_bin){w->val[b], w->cnt[b], w->z[b],
                                    w->p[b],   w->q[b],   sig ? (w->z[b] > 0) - (w->z[b] < 0) : 0};
    }
    return HZ_OK;
}

/* Stage 7: each location's trends and pattern. */
static hz_status patterns(emerging_result *R, char *err, size_t errlen)
{
    size_t n, T = R->nsteps;
    const hotspots_cell *hc = hotspots_cells(R->H, &n);
    assert(n == R->nloc);
    R->cells = calloc(n ? n : 1, sizeof *R->cells);
    double *zs = malloc(T * sizeof *zs), *vs = malloc(T * sizeof *vs);
    unsigned char *sig = malloc(T);
    if (!R->cells || !zs || !vs || !sig) {
        free(zs);
        free(vs);
        free(sig);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        emerging_cell *c = &R->cells[i];
        *c = (emerging_cell){.row = hc[i].row, .col = hc[i].col, .cx = hc[i].cx, .cy = hc[i].cy};
        for (size_t t = 0; t < T; t++) {
            const emerging_bin *b = &R->bins[t * n + i];
            zs[t] = b->z;
            vs[t] = b->value;
            sig[t] = b->cls != 0;
            c->count += b->count;
            c->value += b->value;
            c->hot_steps += b->cls > 0;
            c->cold_steps += b->cls < 0;
        }
        mk_test(vs, T, &c->trend_count);
        mk_test(zs, T, &c->trend_z);
        c->pattern = ehsa_classify(zs, sig, T, &c->trend_z, R->par.trend_alpha);
    }
    free(zs);
    free(vs);
    free(sig);
    return HZ_OK;
}

/* HZ_OK when first..last are between 1 and EMERGING_MAX_STEPS steps; else the error naming step. */
static hz_status steps_ok(int64_t first, int64_t last, ts_unit u, char *err, size_t errlen)
{
    if (last < first)
        return hz_fail(HZ_EINVAL, err, errlen, "step: no whole %s in the study period",
                       ts_unit_name(u));
    if (last - first + 1 > EMERGING_MAX_STEPS)
        return hz_fail(HZ_ELIMIT, err, errlen, "step: %lld %ss is more than %d; use a longer step",
                       (long long)(last - first + 1), ts_unit_name(u), EMERGING_MAX_STEPS);
    return HZ_OK;
}

hz_status emerging_compute(const incset *s, const char *area, const hz_points *pts,
                           const int64_t *t, int64_t first, int64_t last, int tz,
                           const char *filters, int score, const emerging_params *par,
                           emerging_result **out, char *why, size_t whylen, char *err,
                           size_t errlen)
{
    *out = NULL;
    if (why && whylen) why[0] = 0;
    hz_status rc = steps_ok(first, last, par->step, err, errlen);
    if (rc != HZ_OK) return rc;
    if (par->time_lag < 0 || !(par->alpha > 0 && par->alpha < 1) ||
        !(par->trend_alpha > 0 && par->trend_alpha < 1))
        return hz_fail(HZ_EINVAL, err, errlen, "time_lag, alpha or trend_alpha out of range");
    emerging_result *R = NULL;
    em_work w = {0};
    rc = result_new(par, first, last, tz, filters, score, &R, err, errlen);
    if (rc == HZ_OK) rc = pool(R, pts, t, par->step, first, tz, &w, err, errlen);
    if (rc == HZ_OK) rc = lattice(R, s, area, &w, filters, score, why, whylen, err, errlen);
    if (rc == HZ_OK) {
        R->data_version = incset_data_version(s);
        R->without_point = pts->without_point;
        R->linked_duplicates = pts->linked_duplicates;
        R->counted = pts->counted;
        rc = fill(R, &w, err, errlen);
    }
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = neighbours(R, &w, err, errlen);
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK)
        rc = stgistar_compute(w.val, R->nloc, R->nsteps, &w.nb, par->time_lag, par->space.nthreads,
                              w.z, w.p, NULL, err, errlen);
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = adjust(R, &w, err, errlen);
    if (rc == HZ_OK) rc = patterns(R, err, errlen);
    work_free(&w);
    if (rc != HZ_OK) {
        emerging_free(R);
        return rc;
    }
    hz_append(why, whylen,
              "cube: %zu cells x %zu %ss (%s..%s) = %zu bins; %zu incidents in it, %zu outside the "
              "cells or the whole steps, %zu undated, %zu without a point\n",
              R->nloc, R->nsteps, ts_unit_name(par->step), R->labels[0], R->labels[R->nsteps - 1],
              R->nloc * R->nsteps, R->incidents, R->outside, R->undated, R->without_point);
    *out = R;
    return HZ_OK;
}

/* ---- from the snapshot ---- */

hz_status emerging_period(const incset *s, const hz_filter *f, ts_unit u, int64_t *first,
                          int64_t *last, char *err, size_t errlen)
{
    int64_t dfrom, dto, from, to;
    hz_filter all = *f;
    all.from = INT64_MIN;
    all.to = INT64_MAX;
    if (incset_study_period(s, &all, &dfrom, &dto) <= 0)
        return hz_fail(HZ_EINVAL, err, errlen, "no incident has a date: no time steps");
    char a[32], b[32];
    if (f->from != INT64_MIN && f->from < dfrom) {
        hztime_format_iso(dfrom, f->tz_offset_s, a);
        return hz_fail(HZ_EINVAL, err, errlen,
                       "from: before the data's span, which starts %.10s; steps outside it would "
                       "count as zeros nobody observed",
                       a);
    }
    if (f->to != INT64_MAX && f->to > dto) {
        hztime_format_iso(dto - 1, f->tz_offset_s, b);
        return hz_fail(HZ_EINVAL, err, errlen,
                       "to: after the data's span, which ends %.10s; steps outside it would count "
                       "as zeros nobody observed",
                       b);
    }
    if (incset_study_period(s, f, &from, &to) <= 0)
        return hz_fail(HZ_EINVAL, err, errlen, "from/to: the period is empty");
    *first = ts_index(u, from, f->tz_offset_s);
    if (ts_start(u, *first, f->tz_offset_s) < from) (*first)++; /* partial first step */
    *last = ts_index(u, to - 1, f->tz_offset_s);
    if (ts_start(u, *last + 1, f->tz_offset_s) > to) (*last)--; /* partial last step */
    return steps_ok(*first, *last, u, err, errlen);
}

hz_status emerging_run(const incset *s, const hz_filter *f, const emerging_params *p,
                       emerging_result **out, char *why, size_t whylen, char *err, size_t errlen)
{
    *out = NULL;
    int64_t first = 0, last = -1;
    hz_status rc = emerging_period(s, f, p->step, &first, &last, err, errlen);
    if (rc != HZ_OK) return rc;
    hz_points pts;
    rc = incset_select(s, f, &pts, err, errlen);
    if (rc != HZ_OK) return rc;
    int64_t *t = malloc((pts.n ? pts.n : 1) * sizeof *t);
    if (!t) {
        hz_points_free(&pts);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    const hz_incident *items = incset_items(s);
    for (size_t k = 0; k < pts.n; k++)
        t[k] = items[pts.idx[k]].t;
    char filters[1024];
    filter_canonical(f, filters, sizeof filters);
    rc = emerging_compute(s, f->area, &pts, t, first, last, f->tz_offset_s, filters,
                          f->weight == HZ_WEIGHT_SCORE, p, out, why, whylen, err, errlen);
    free(t);
    hz_points_free(&pts);
    return rc;
}
