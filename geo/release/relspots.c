/* relspots.c - the public's hot spots and black spots, computed from a release's noisy grid only
 * (release.h). Nothing here reads an incident: the guarantee of the release covers every output
 * as post-processing. */
#include "hazmap/release.h"
#include "hazmap/emerging.h"
#include "hazmap/hotspots.h"
#include "hazmap/workcrs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hot spots ---- */

/* The view's non-zero cells as points at their centres weighted by their noisy counts. */
static hz_status grid_points(const rel_grid *g, hz_points *p, char *err, size_t errlen)
{
    size_t n = (size_t)g->nx * (size_t)g->ny;
    memset(p, 0, sizeof *p);
    p->x = malloc((n ? n : 1) * sizeof *p->x);
    p->y = malloc((n ? n : 1) * sizeof *p->y);
    p->w = malloc((n ? n : 1) * sizeof *p->w);
    if (!p->x || !p->y || !p->w) {
        hz_points_free(p);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t c = 0; c < n; c++) {
        if (g->count[c] == 0) continue;
        p->x[p->n] = g->x0 + ((double)(c % (size_t)g->nx) + 0.5) * g->cell;
        p->y[p->n] = g->y1 - ((double)(c / (size_t)g->nx) + 0.5) * g->cell;
        p->w[p->n] = g->count[c];
        p->n++;
    }
    return HZ_OK;
}

/* The public provenance: the method's keys of hotspots.h's, none that counts points. */
static json_t *hot_provenance(const rel_release *r, const char *view, const json_t *pv)
{
    static const char *const keep[] = {
        "method",     "statistic", "weights",           "neighbourhood",
        "band",       "band_rule", "cell_size",         "shape",
        "study_area", "fdr",       "p_basis",           "classes",
        "work_srs",   "cells",     "incremental_moran", NULL};
    json_t *out =
        json_pack("{s:I, s:s, s:s, s:s}", "release", (json_int_t)rel_id(r), "view", view, "value",
                  "noisy count of the release's grid (grid_year_*) summed over the "
                  "view's years and groups, per square",
                  "source", "the published release only; no incident is read");
    for (const char *const *k = keep; out && *k; k++) {
        json_t *v = json_object_get(pv, *k);
        if (v) json_object_set(out, *k, v);
    }
    return out;
}

/* Turns hotspots_geojson()'s output on scores into the public form: "count" is the noisy count
 * (the score, rounded), or null with "suppressed" true below min_count, as in the count tables
 * (a small or negative noisy sum would read as a fact about a few people); "score" goes. */
/* A square's public count in properties p: its noisy sum ("score"), rounded, or null with
 * "suppressed" true below min_count; "score" goes. Returns 1 when it was withheld. */
static int publicise_count(json_t *p, int min_count)
{
    long long v = llround(json_number_value(json_object_get(p, "score")));
    int hide = v < min_count;
    json_object_set_new(p, "count", hide ? json_null() : json_integer((json_int_t)v));
    json_object_set_new(p, "suppressed", json_boolean(hide));
    json_object_del(p, "score");
    return hide;
}

static void hot_publicise(json_t *fc, int min_count)
{
    json_t *feats = json_object_get(fc, "features");
    for (size_t i = 0; i < json_array_size(feats); i++)
        publicise_count(json_object_get(json_array_get(feats, i), "properties"), min_count);
}

hz_status rel_hotspots(const rel_release *r, const rel_view *v, const struct incset *areas,
                       int min_count, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    rel_grid g;
    hz_status st = rel_grid_sum(r, v, &g, err, errlen);
    if (st != HZ_OK) return st;
    hz_points pts;
    st = grid_points(&g, &pts, err, errlen);
    rel_grid_free(&g);
    if (st != HZ_OK) return st;
    char view[160];
    rel_view_canonical(r, v, view, sizeof view);
    hotspots_params hp;
    hotspots_params_init(&hp);
    hp.cell = REL_SPOT_CELL;
    hp.band = REL_SPOT_BAND;
    hotspots_result *res = NULL;
    st = hotspots_run_points(areas, NULL, &pts, view, 1, &hp, &res, NULL, 0, err, errlen);
    hz_points_free(&pts);
    json_t *fc = NULL;
    if (st == HZ_OK) st = hotspots_geojson(res, NULL, &fc, err, errlen);
    hotspots_free(res);
    if (st != HZ_OK) return st;
    hot_publicise(fc, min_count);
    json_t *pv = hot_provenance(r, view, json_object_get(fc, "provenance"));
    if (!pv || json_object_set_new(fc, "provenance", pv)) {
        json_decref(fc);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    *out = fc;
    return HZ_OK;
}

/* ---- emerging hot spots ---- */

/* The points of every year of view v (its groups), each stamped with a time inside its year;
 * the years' numbers into *first and *last. */
static hz_status yearly_points(const rel_release *r, const rel_view *v, hz_points *all, int64_t **t,
                               int64_t *first, int64_t *last, char *err, size_t errlen)
{
    const json_t *labels = json_object_get(
        json_object_get(json_object_get(rel_metadata(r), "dimensions"), "year"), "labels");
    size_t ny = json_array_size(labels);
    memset(all, 0, sizeof *all);
    *t = NULL;
    if (ny == 0 || ny > 32) return hz_fail(HZ_EINVAL, err, errlen, "the release has no years");
    *first = atoi(json_string_value(json_array_get(labels, 0)));
    *last = atoi(json_string_value(json_array_get(labels, ny - 1)));
    if (*last - *first + 1 != (int64_t)ny)
        return hz_fail(HZ_EINVAL, err, errlen, "the release's years are not consecutive");
    hz_status st = HZ_OK;
    for (size_t y = 0; y < ny && st == HZ_OK; y++) {
        rel_view vy = *v;
        vy.years = 1u << y;
        rel_grid g;
        hz_points p;
        st = rel_grid_sum(r, &vy, &g, err, errlen);
        if (st != HZ_OK) break;
        st = grid_points(&g, &p, err, errlen);
        rel_grid_free(&g);
        if (st != HZ_OK) break;
        size_t n = all->n + p.n;
        double *x = realloc(all->x, (n ? n : 1) * sizeof *x);
        if (x) all->x = x;
        double *yy = realloc(all->y, (n ? n : 1) * sizeof *yy);
        if (yy) all->y = yy;
        double *w = realloc(all->w, (n ? n : 1) * sizeof *w);
        if (w) all->w = w;
        int64_t *tt = realloc(*t, (n ? n : 1) * sizeof *tt);
        if (tt) *t = tt;
        if (!x || !yy || !w || !tt) {
            hz_points_free(&p);
            st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            break;
        }
        int64_t mid = ts_start(TS_YEAR, *first + (int64_t)y, 8 * 3600) + 183 * 86400;
        for (size_t k = 0; k < p.n; k++) {
            all->x[all->n + k] = p.x[k];
            all->y[all->n + k] = p.y[k];
            all->w[all->n + k] = p.w[k];
            (*t)[all->n + k] = mid;
        }
        all->n = n;
        hz_points_free(&p);
    }
    if (st != HZ_OK) {
        hz_points_free(all);
        free(*t);
        *t = NULL;
    }
    return st;
}

/* Replaces the counts (of grid cells, meaningless here) by the noisy sums, rounded, and
 * withholds those below min_count, as the count tables do; the provenance loses its tallies. */
static void emerging_publicise(json_t *fc, int min_count)
{
    json_t *feats = json_object_get(fc, "features");
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *p = json_object_get(json_array_get(feats, i), "properties");
        int hide = publicise_count(p, min_count);
        json_t *s = json_object_get(p, "series");
        json_t *sc = json_object_get(s, "score"), *cn = json_array();
        for (size_t k = 0; k < json_array_size(sc); k++) {
            long long c = llround(json_number_value(json_array_get(sc, k)));
            json_array_append_new(cn, hide || c < min_count ? json_null()
                                                            : json_integer((json_int_t)c));
        }
        if (s) {
            json_object_set_new(s, "count", cn);
            json_object_del(s, "score");
        } else {
            json_decref(cn);
        }
    }
    json_t *pv = json_object_get(fc, "provenance");
    json_object_del(pv, "incidents");
    json_object_del(pv, "incidents_outside");
    json_object_del(pv, "incidents_undated");
    json_object_del(pv, "filters");
}

hz_status rel_emerging(const rel_release *r, const rel_view *v, const struct incset *areas,
                       int min_count, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    hz_points pts;
    int64_t *t, first = 0, last = -1;
    hz_status st = yearly_points(r, v, &pts, &t, &first, &last, err, errlen);
    if (st != HZ_OK) return st;
    char view[160];
    rel_view_canonical(r, v, view, sizeof view);
    emerging_params ep;
    emerging_params_init(&ep);
    ep.step = TS_YEAR;
    ep.space.cell = REL_SPOT_CELL;
    ep.space.band = REL_SPOT_BAND;
    emerging_result *res = NULL;
    st = emerging_compute(areas, NULL, &pts, t, first, last, 8 * 3600, view, 1, &ep, &res, NULL, 0,
                          err, errlen);
    hz_points_free(&pts);
    free(t);
    json_t *fc = NULL;
    if (st == HZ_OK) st = emerging_geojson(res, NULL, 1, &fc, err, errlen);
    emerging_free(res);
    if (st != HZ_OK) return st;
    emerging_publicise(fc, min_count);
    json_t *pv = json_object_get(fc, "provenance");
    json_object_set_new(pv, "release", json_integer((json_int_t)rel_id(r)));
    json_object_set_new(pv, "view", json_string(view));
    json_object_set_new(pv, "source",
                        json_string("the published release only; no incident is "
                                    "read: each year's noisy 100 m grid"));
    *out = fc;
    return HZ_OK;
}

/* ---- black spots ---- */

/* The view's grid summed into squares of REL_SPOT_CELL m aligned to its multiples. */
typedef struct squares {
    long i0, j0;    /* the north-west square's indices: x / size and y / size, floored */
    int nx, ny;     /* squares; (i, j) is index j * nx + i, row 0 north */
    double size;    /* metres */
    double *count;  /* noisy sums */
    int *cells;     /* release cells in each (fewer at the grid's edge) */
    double cellvar; /* noise variance of one release cell's sum (rel_grid.var) */
} squares;

static void squares_free(squares *q)
{
    free(q->count);
    free(q->cells);
    q->count = NULL;
    q->cells = NULL;
}

static hz_status squares_of(const rel_grid *g, squares *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->size = REL_SPOT_CELL;
    q->cellvar = g->var;
    q->i0 = (long)floor((g->x0 + 0.5 * g->cell) / q->size);
    q->j0 = (long)floor((g->y1 - 0.5 * g->cell) / q->size); /* northernmost */
    long i1 = (long)floor((g->x0 + (g->nx - 0.5) * g->cell) / q->size);
    long j1 = (long)floor((g->y1 - (g->ny - 0.5) * g->cell) / q->size);
    q->nx = (int)(i1 - q->i0 + 1);
    q->ny = (int)(q->j0 - j1 + 1);
    size_t n = (size_t)q->nx * (size_t)q->ny;
    q->count = calloc(n, sizeof *q->count);
    q->cells = calloc(n, sizeof *q->cells);
    if (!q->count || !q->cells) {
        squares_free(q);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (int j = 0; j < g->ny; j++)
        for (int i = 0; i < g->nx; i++) {
            long si = (long)floor((g->x0 + (i + 0.5) * g->cell) / q->size) - q->i0;
            long sj = q->j0 - (long)floor((g->y1 - (j + 0.5) * g->cell) / q->size);
            size_t k = (size_t)sj * (size_t)q->nx + (size_t)si;
            q->count[k] += g->count[(size_t)j * (size_t)g->nx + (size_t)i];
            q->cells[k]++;
        }
    return HZ_OK;
}

static double half95(const squares *q, size_t k)
{
    return 1.96 * sqrt((double)q->cells[k] * q->cellvar);
}

/* The threshold rule of release.h; *mean receives the occupied squares' mean. */
static double spot_threshold(const squares *q, int min_count, double *mean)
{
    double sum = 0;
    size_t occupied = 0;
    for (size_t k = 0; k < (size_t)q->nx * (size_t)q->ny; k++)
        if (q->cells[k] && q->count[k] > half95(q, k)) {
            sum += q->count[k];
            occupied++;
        }
    *mean = occupied ? sum / (double)occupied : 0;
    return fmax((double)min_count, ceil(3.0 * *mean));
}

typedef struct spot {
    size_t k;
    double count;
} spot;

static int spot_cmp(const void *a, const void *b)
{
    const spot *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* The square k's outline (4 corners, lon/lat) through w. */
static hz_status square_ring(const squares *q, size_t k, workcrs *w, json_t **ring)
{
    double x0 = (double)(q->i0 + (long)(k % (size_t)q->nx)) * q->size;
    double y0 = (double)(q->j0 - (long)(k / (size_t)q->nx)) * q->size;
    double x[5] = {x0, x0 + q->size, x0 + q->size, x0, x0};
    double y[5] = {y0, y0, y0 + q->size, y0 + q->size, y0};
    if (workcrs_inverse(w, 5, x, y, x, y) != HZ_OK) return HZ_ECRS;
    *ring = json_array();
    for (int v = 0; v < 5; v++)
        json_array_append_new(
            *ring, json_pack("[f, f]", round(x[v] * 1e7) / 1e7, round(y[v] * 1e7) / 1e7));
    return HZ_OK;
}

static json_t *spot_feature(const squares *q, const spot *s, int rank, double years, json_t *ring)
{
    double h = half95(q, s->k);
    json_t *props = json_pack("{s:i, s:I, s:I, s:I, s:f, s:f}", "rank", rank, "count",
                              (json_int_t)llround(s->count), "count_lo",
                              (json_int_t)llround(fmax(0, s->count - h)), "count_hi",
                              (json_int_t)llround(s->count + h), "per_year",
                              round(s->count / years * 10) / 10, "square_m", q->size);
    return json_pack("{s:s, s:i, s:{s:s, s:[o]}, s:o}", "type", "Feature", "id", rank, "geometry",
                     "type", "Polygon", "coordinates", ring, "properties", props);
}

static json_t *spot_provenance(const rel_release *r, const rel_view *v, const squares *q,
                               double threshold, double mean, double years)
{
    char view[160];
    rel_view_canonical(r, v, view, sizeof view);
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:s, s:i}", "release", (json_int_t)rel_id(r),
        "view", view, "source", "the published release only; no incident is read", "rule",
        "squares whose noisy count less its 95 % half-width (1.96 sqrt(cells x s2)) reaches "
        "threshold = max(min_count, ceil(3 x mean)), mean over the squares whose count exceeds "
        "its own half-width; ranked by noisy count",
        "threshold", threshold, "mean_occupied", mean, "square_m", q->size, "years", years,
        "interval", "95 %, normal approximation of a sum of independent discrete Gaussians",
        "max_listed", REL_MAX_BLACKSPOTS);
}

/* The ranked features of the squares passing threshold, through w, into feats. */
static hz_status spot_features(const squares *q, double threshold, double years, workcrs *w,
                               json_t *feats, char *err, size_t errlen)
{
    size_t n = (size_t)q->nx * (size_t)q->ny, ns = 0;
    spot *sp = malloc((n ? n : 1) * sizeof *sp);
    if (!sp) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t k = 0; k < n; k++)
        if (q->cells[k] && q->count[k] - half95(q, k) >= threshold)
            sp[ns++] = (spot){k, q->count[k]};
    qsort(sp, ns, sizeof *sp, spot_cmp);
    hz_status st = HZ_OK;
    for (size_t i = 0; i < ns && i < REL_MAX_BLACKSPOTS && st == HZ_OK; i++) {
        json_t *ring = NULL;
        st = square_ring(q, sp[i].k, w, &ring);
        if (st != HZ_OK) {
            hz_fail(st, err, errlen, "black spot outline: inverse projection failed");
            break;
        }
        if (json_array_append_new(feats, spot_feature(q, &sp[i], (int)i + 1, years, ring)))
            st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    free(sp);
    return st;
}

hz_status rel_blackspots(const rel_release *r, const rel_view *v, int min_count, json_t **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    rel_grid g;
    squares q = {0};
    workcrs *w = NULL;
    json_t *fc = NULL;
    hz_status st = rel_grid_sum(r, v, &g, err, errlen);
    if (st != HZ_OK) return st;
    if ((st = squares_of(&g, &q, err, errlen)) != HZ_OK) goto done;
    if (!(w = workcrs_new(g.crs, 0, 0, err, errlen))) {
        st = HZ_ECRS;
        goto done;
    }
    double mean, threshold = spot_threshold(&q, min_count, &mean);
    json_t *feats = json_array();
    fc = json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", feats, "provenance",
                   spot_provenance(r, v, &q, threshold, mean, g.years));
    if (!fc) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    st = spot_features(&q, threshold, g.years, w, feats, err, errlen);
done:
    workcrs_free(w);
    squares_free(&q);
    rel_grid_free(&g);
    if (st != HZ_OK) {
        json_decref(fc);
        return st;
    }
    *out = fc;
    return HZ_OK;
}
