/* blackspots.c - DBSCAN black spots with their descriptions, ranking and GeoJSON (blackspots.h).
 *
 * blackspots_compute, one stage per function: cluster (selection, min_points, DBSCAN) ->
 * trend_years -> tally (counts and sums per cluster, one pass in memory order) ->
 * group_members (counting sort by cluster) -> shapes (centroid, radius, hull, back to lon/lat)
 * -> rank_spots. The temporaries live in one bs_work, freed on every path.
 * Invariants (asserted): every clustered point lands in its cluster's group, and each group
 * holds as many members as the cluster counts. */
#include "hazmap/blackspots.h"
#include "hazmap/dbscan.h"
#include "hazmap/hztime.h"
#include "hazmap/workcrs.h"
#include "hazmap/cancel.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekday_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                             "Friday", "Saturday", "Sunday"};

void blackspots_params_init(blackspots_params *p)
{
    p->eps = 50.0;
    p->min_points = 0;
    p->rank = BLACKSPOTS_BY_SCORE;
    p->nthreads = 0;
    p->max_work = 0; /* none */
}

typedef struct xy {
    double x, y;
} xy;

static int cmp_xy(const void *a, const void *b)
{
    const xy *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return 0;
}

static double cross(xy o, xy a, xy b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/* An unsigned integer ordered as the double v is (-0 and +0 alike; v is not NaN). */
static uint64_t order_key(double v)
{
    v += 0.0; /* -0 becomes +0 */
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u >> 63 ? ~u : u | 1ULL << 63;
}

/* One stable counting-sort pass of src[0..n) into dst by the digit (key - base) >> shift of y
 * (by_y) or x. */
static void radix_pass(const xy *src, xy *dst, size_t n, int by_y, uint64_t base, int shift,
                       size_t *cnt)
{
    enum { DIGITS = 1 << 11 };
    memset(cnt, 0, (DIGITS + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++)
        cnt[((order_key(by_y ? src[i].y : src[i].x) - base) >> shift & (DIGITS - 1)) + 1]++;
    for (size_t d = 0; d < DIGITS; d++)
        cnt[d + 1] += cnt[d];
    for (size_t i = 0; i < n; i++)
        dst[cnt[(order_key(by_y ? src[i].y : src[i].x) - base) >> shift & (DIGITS - 1)]++] = src[i];
}

/* Sorts pts[0..n) in the order of cmp_xy (by x, then y; -0 and +0 alike) with 11-bit LSD
 * radix passes over the key bits that vary: y first, then x, both stable. qsort took 0.06 s
 * of a 1M-incident request, this 0.02 s. tmp has room for n points. */
static void sort_xy(xy *pts, size_t n, xy *tmp)
{
    if (n < 64) {
        qsort(pts, n, sizeof *pts, cmp_xy);
        return;
    }
    size_t cnt[(1 << 11) + 1];
    xy *src = pts, *dst = tmp;
    for (int by_y = 1; by_y >= 0; by_y--) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t k = order_key(by_y ? src[i].y : src[i].x);
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
        }
        for (int shift = 0; shift < 64 && (hi - lo) >> shift != 0; shift += 11) {
            radix_pass(src, dst, n, by_y, lo, shift, cnt);
            xy *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != pts) memcpy(pts, src, n * sizeof *pts);
}

/* Andrew's monotone chain (1979) on pts[0..n) (sorted in place, duplicates removed); writes the
 * hull counter-clockwise into hull (room for 2n) and returns its vertex count. Collinear
 * points are dropped, so a collinear set gives its 2 end points and a coincident set 1. */
static size_t convex_hull(xy *pts, size_t n, xy *hull)
{
    sort_xy(pts, n, hull);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || cmp_xy(&pts[m - 1], &pts[i]) != 0) pts[m++] = pts[i];
    n = m;
    if (n <= 2) {
        memcpy(hull, pts, n * sizeof *pts);
        return n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) { /* lower hull */
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0)
            k--;
        hull[k++] = pts[i];
    }
    for (size_t i = n - 1, t = k + 1; i-- > 0;) { /* upper hull */
        while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0)
            k--;
        hull[k++] = pts[i];
    }
    k--; /* the last point repeats the first */
    return k < 2 ? 2 : k;
}

/* Local (+08:00) civil fields of t. */
static void local_fields(int64_t t, int *year, int *hour, int *wday_mon0)
{
    int64_t l = t + HZ_TZ_SHANGHAI;
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sec = l - days * 86400;
    int m, d;
    hztime_civil_from_days(days, year, &m, &d);
    *hour = (int)(sec / 3600);
    /* 1970-01-01 was a Thursday: index 3 with Monday = 0. */
    *wday_mon0 = (int)(((days + 3) % 7 + 7) % 7);
}

/* qsort has no context argument: the sort keys travel with the indices. */
typedef struct rank_key {
    double k1, k2;
    size_t first;
    size_t i;
} rank_key;

static int cmp_rank(const void *a, const void *b)
{
    const rank_key *p = a, *q = b;
    if (p->k1 != q->k1) return p->k1 > q->k1 ? -1 : 1;
    if (p->k2 != q->k2) return p->k2 > q->k2 ? -1 : 1;
    return p->first < q->first ? -1 : p->first > q->first;
}

void blackspots_free(blackspots_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->spots[i].hull_lon);
        free(r->spots[i].hull_lat);
        free(r->spots[i].trend);
    }
    free(r->spots);
    free(r);
}

/* A set of cell keys: open addressing with linear probing in a power-of-two table kept at most
 * half full, grown as keys arrive (there are far fewer occupied cells than points, and a small
 * table stays in cache). Sorting a million keys took 0.13 s of a 1M-incident request. */
typedef struct keyset {
    uint64_t *key;
    unsigned char *used;
    int bits; /* the table has 2^bits slots */
    size_t n; /* distinct keys inserted */
} keyset;

static size_t keyset_slot(const keyset *ks, uint64_t k)
{
    size_t mask = ((size_t)1 << ks->bits) - 1;
    size_t h = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> (64 - ks->bits)); /* Fibonacci hashing */
    while (ks->used[h] && ks->key[h] != k)
        h = (h + 1) & mask;
    return h;
}

static int keyset_resize(keyset *ks, int bits)
{
    keyset old = *ks;
    ks->key = malloc(((size_t)1 << bits) * sizeof *ks->key);
    ks->used = calloc((size_t)1 << bits, 1);
    ks->bits = bits;
    if (!ks->key || !ks->used) {
        free(ks->key);
        free(ks->used);
        *ks = old;
        return -1;
    }
    for (size_t i = 0; old.used && i < (size_t)1 << old.bits; i++) {
        if (!old.used[i]) continue;
        size_t h = keyset_slot(ks, old.key[i]);
        ks->used[h] = 1;
        ks->key[h] = old.key[i];
    }
    free(old.key);
    free(old.used);
    return 0;
}

static int keyset_add(keyset *ks, uint64_t k)
{
    size_t h = keyset_slot(ks, k);
    if (ks->used[h]) return 0;
    ks->used[h] = 1;
    ks->key[h] = k;
    if (2 * ++ks->n > (size_t)1 << ks->bits) return keyset_resize(ks, ks->bits + 1);
    return 0;
}

int blackspots_auto_min_points(size_t n, const double *x, const double *y, double eps)
{
    enum { FLOOR = 5 };
    if (n == 0 || !(eps > 0)) return FLOOR;
    keyset ks = {0};
    size_t m = 0;
    int ok = keyset_resize(&ks, 10) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        double cx = floor(x[i] / eps), cy = floor(y[i] / eps);
        if (!isfinite(cx) || !isfinite(cy) || fabs(cx) > 2e9 || fabs(cy) > 2e9) continue;
        ok = keyset_add(&ks, (uint64_t)(uint32_t)(int32_t)cx << 32 | (uint32_t)(int32_t)cy) == 0;
        m++;
    }
    size_t occupied = ks.n;
    free(ks.key);
    free(ks.used);
    if (!ok) return FLOOR;
    if (occupied == 0) return FLOOR;
    double k = ceil(3.0 * M_PI * (double)m / (double)occupied);
    return k > FLOOR ? (k > 1e6 ? 1000000 : (int)k) : FLOOR;
}

/* What one blackspots_compute() holds while it runs, all freed on every path. */
typedef struct bs_work {
    hz_points pts;  /* the filtered incidents, working CRS */
    int32_t *label; /* per point: its cluster, 0 = noise */
    int32_t ncl;    /* clusters */
    size_t *cstart; /* ncl + 2: cluster c's members are buf[cstart[c] .. cstart[c + 1]) */
    xy *buf, *hull; /* members grouped by cluster; one hull */
    workcrs *w;     /* for the way back to lon/lat */
} bs_work;

/* The budget (blackspots_params.max_work): refused before DBSCAN runs, naming the estimate and
 * what would lower it. */
static hz_status check_work(const blackspots_params *p, int min_points, const hz_points *pts,
                            char *err, size_t errlen)
{
    if (!(p->max_work > 0)) return HZ_OK;
    double work;
    hz_status rc = dbscan_work(pts->n, pts->x, pts->y, p->eps, min_points, &work, err, errlen);
    if (rc != HZ_OK || work <= p->max_work) return rc;
    return hz_fail(
        HZ_ELIMIT, err, errlen,
        "the estimated work of these black spots (%zu incidents, eps %g m: %.3g "
        "point-pair tests at min_points %d) is over the limit of %.3g; use a smaller eps, "
        "a larger min_points or fewer incidents",
        pts->n, p->eps, work, min_points, p->max_work);
}

/* Stage 1: the filtered incidents, min_points (given or automatic) and the DBSCAN labels. */
static hz_status cluster(const incset *s, const hz_filter *f, const blackspots_params *p,
                         blackspots_result *r, bs_work *w, char *err, size_t errlen)
{
    hz_status rc = incset_select(s, f, &w->pts, err, errlen);
    if (rc != HZ_OK) return rc;
    size_t n = w->pts.n;
    w->label = malloc((n ? n : 1) * sizeof *w->label);
    if (!w->label) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (p->min_points <= 0) {
        r->params.min_points = blackspots_auto_min_points(n, w->pts.x, w->pts.y, p->eps);
        snprintf(r->params_rule, sizeof r->params_rule,
                 "eps %g m as given; min_points %d automatic: max(5, ceil(3 pi n / occupied "
                 "eps-cells)) over %zu incidents",
                 p->eps, r->params.min_points, n);
    } else {
        snprintf(r->params_rule, sizeof r->params_rule, "eps %g m and min_points %d as given",
                 p->eps, p->min_points);
    }
    if ((rc = check_work(p, r->params.min_points, &w->pts, err, errlen)) != HZ_OK) return rc;
    rc = dbscan_run_threads(n, w->pts.x, w->pts.y, p->eps, r->params.min_points, p->nthreads,
                            w->label, NULL, &w->ncl, err, errlen);
    r->incidents = (int64_t)n;
    r->without_point = (int64_t)w->pts.without_point;
    r->linked_duplicates = (int64_t)w->pts.linked_duplicates;
    r->counted = w->pts.counted;
    return rc;
}

/* Stage 2: the trend years over all filtered incidents: those of the first and last instants
 * (the local year never decreases with time; converting every time took 0.01 s at 1M). */
static void trend_years(blackspots_result *r, const hz_incident *items, const hz_points *pts)
{
    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    for (size_t k = 0; k < pts->n; k++) {
        int64_t t = items[pts->idx[k]].t;
        if (t == INT64_MIN) continue;
        tmin = t < tmin ? t : tmin;
        tmax = t > tmax ? t : tmax;
    }
    int ymin = 0, ymax = -1;
    if (tmax != INT64_MIN) {
        int hour, wday;
        local_fields(tmin, &ymin, &hour, &wday);
        local_fields(tmax, &ymax, &hour, &wday);
    }
    r->year0 = ymin;
    r->nyears = ymax >= ymin ? ymax - ymin + 1 : 0;
}

/* Stage 3: the counts and sums of every cluster in one pass over the filtered points, which
 * follow the snapshot's memory order: a cluster's members are spread over the whole snapshot,
 * and visiting them cluster by cluster missed the cache on nearly every one (0.15 s of a
 * 1M-incident request). Within a cluster the sums still run in input order. Also the members
 * per cluster (cstart[c + 1]) and the noise. */
static hz_status tally(blackspots_result *r, const hz_incident *items, bs_work *w, char *err,
                       size_t errlen)
{
    r->spots = calloc((size_t)w->ncl + 1, sizeof *r->spots);
    if (!r->spots) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    r->n = (size_t)w->ncl; /* from here blackspots_free() frees the trends allocated */
    for (int32_t c = 0; c < w->ncl; c++)
        if (!(r->spots[c].trend = calloc((size_t)r->nyears + 1, sizeof *r->spots[c].trend)))
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    w->cstart = calloc((size_t)w->ncl + 2, sizeof *w->cstart);
    if (!w->cstart) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    const hz_points *pts = &w->pts;
    for (size_t k = 0; k < pts->n; k++) {
        int32_t lab = w->label[k];
        w->cstart[lab + 1]++;
        if (lab == 0) continue;
        blackspot *b = &r->spots[lab - 1];
        const hz_incident *i = &items[pts->idx[k]];
        if (b->count++ == 0) b->first = k;
        b->severity[i->severity < HZ_SEV_COUNT ? i->severity : 0]++;
        b->score += r->weights[i->severity < HZ_SEV_COUNT ? i->severity : 0];
        b->mechanisms[i->mechanism < HZ_MECH_COUNT ? i->mechanism : 0]++;
        b->cx += pts->x[k]; /* the sums, divided in shapes() */
        b->cy += pts->y[k];
        if (i->t != INT64_MIN) {
            int y, h, wd;
            local_fields(i->t, &y, &h, &wd);
            b->hours[h]++;
            b->weekdays[wd]++;
            b->trend[y - r->year0]++;
        }
    }
    r->noise = (int64_t)w->cstart[1];
    return HZ_OK;
}

/* Stage 4: the members' coordinates grouped by cluster (counting sort, input order within a
 * cluster), for the radius and hull; and room for the largest hull. */
static hz_status group_members(bs_work *w, char *err, size_t errlen)
{
    size_t *cs = w->cstart, n = w->pts.n;
    cs[1] = 0; /* the noise is not grouped */
    for (int32_t c = 1; c <= w->ncl; c++)
        cs[c + 1] += cs[c];
    w->buf = malloc((cs[w->ncl + 1] + 1) * sizeof *w->buf);
    size_t *fill = malloc(((size_t)w->ncl + 1) * sizeof *fill);
    if (!w->buf || !fill) {
        free(fill);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    memcpy(fill, cs, ((size_t)w->ncl + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++)
        if (w->label[k]) w->buf[fill[w->label[k]]++] = (xy){w->pts.x[k], w->pts.y[k]};
    for (int32_t c = 1; c <= w->ncl; c++) /* every member placed, each cluster full */
        assert(fill[c] == cs[c + 1]);
    free(fill);
    size_t maxm = 0;
    for (int32_t c = 1; c <= w->ncl; c++)
        if (cs[c + 1] - cs[c] > maxm) maxm = cs[c + 1] - cs[c];
    w->hull = malloc((2 * maxm + 2) * sizeof *w->hull);
    if (!w->hull) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* Stage 5: per cluster the centroid, radius and convex hull, back to lon/lat. */
static hz_status shapes(blackspots_result *r, const incset *s, bs_work *w, char *err, size_t errlen)
{
    w->w = workcrs_new(incset_work_srs(s), 0, 0, err, errlen);
    if (!w->w) return HZ_ECRS;
    for (int32_t c = 1; c <= w->ncl; c++) {
        blackspot *b = &r->spots[c - 1];
        xy *mem = w->buf + w->cstart[c];
        size_t m = w->cstart[c + 1] - w->cstart[c];
        assert(m == (size_t)b->count);
        b->cx /= (double)b->count;
        b->cy /= (double)b->count;
        for (size_t q = 0; q < m; q++) {
            double d = hypot(mem[q].x - b->cx, mem[q].y - b->cy);
            if (d > b->radius_m) b->radius_m = d;
        }
        size_t hn = convex_hull(mem, m, w->hull);
        b->hull_n = hn;
        b->hull_lon = malloc((hn + 1) * sizeof *b->hull_lon);
        b->hull_lat = malloc((hn + 1) * sizeof *b->hull_lat);
        if (!b->hull_lon || !b->hull_lat) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        for (size_t v = 0; v < hn; v++) {
            b->hull_lon[v] = w->hull[v].x;
            b->hull_lat[v] = w->hull[v].y;
        }
        if (workcrs_inverse(w->w, hn, b->hull_lon, b->hull_lat, b->hull_lon, b->hull_lat) !=
                HZ_OK ||
            workcrs_inverse(w->w, 1, &b->cx, &b->cy, &b->lon, &b->lat) != HZ_OK)
            return hz_fail(HZ_ECRS, err, errlen, "cannot transform cluster %d back to lon/lat", c);
    }
    return HZ_OK;
}

/* Stage 6: the clusters in rank order (by score or count, then the other, then the position
 * of the first member). */
static hz_status rank_spots(blackspots_result *r, blackspots_rank by, char *err, size_t errlen)
{
    rank_key *keys = malloc((r->n + 1) * sizeof *keys);
    blackspot *ranked = malloc((r->n + 1) * sizeof *ranked);
    if (!keys || !ranked) {
        free(keys);
        free(ranked);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t i = 0; i < r->n; i++) {
        const blackspot *b = &r->spots[i];
        keys[i].k1 = by == BLACKSPOTS_BY_COUNT ? (double)b->count : b->score;
        keys[i].k2 = by == BLACKSPOTS_BY_COUNT ? b->score : (double)b->count;
        keys[i].first = b->first;
        keys[i].i = i;
    }
    qsort(keys, r->n, sizeof *keys, cmp_rank);
    for (size_t i = 0; i < r->n; i++) {
        ranked[i] = r->spots[keys[i].i];
        ranked[i].rank = (int)i + 1;
    }
    free(keys);
    free(r->spots);
    r->spots = ranked;
    return HZ_OK;
}

hz_status blackspots_compute(const incset *s, const hz_filter *f, const blackspots_params *p,
                             blackspots_result **out, char *err, size_t errlen)
{
    *out = NULL;
    blackspots_result *r = calloc(1, sizeof *r);
    if (!r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    r->params = *p;
    hz_filter sf = *f;
    sf.weight = HZ_WEIGHT_SCORE;
    for (int k = 0; k < HZ_SEV_COUNT; k++)
        r->weights[k] = filter_weight(&sf, k);
    const hz_incident *items = incset_items(s);
    bs_work w = {0};
    hz_status rc = cluster(s, f, p, r, &w, err, errlen);
    if (rc == HZ_OK) {
        trend_years(r, items, &w.pts);
        rc = tally(r, items, &w, err, errlen);
    }
    if (rc == HZ_OK) {
        assert((size_t)r->noise <= w.pts.n);
        rc = group_members(&w, err, errlen);
    }
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = shapes(r, s, &w, err, errlen);
    if (rc == HZ_OK) rc = rank_spots(r, p->rank, err, errlen);
    if (rc == HZ_OK) {
        filter_canonical(f, r->filters, sizeof r->filters);
        snprintf(r->work_srs, sizeof r->work_srs, "%s", incset_work_srs(s));
        r->data_version = incset_data_version(s);
        *out = r;
        r = NULL;
    }
    /* On failure r->n counts the clusters whose arrays may be allocated (calloc'd: NULL-safe). */
    blackspots_free(r);
    hz_points_free(&w.pts);
    free(w.label);
    free(w.cstart);
    free(w.buf);
    free(w.hull);
    workcrs_free(w.w);
    return rc;
}

/* The up-to-k indices of the largest positive values of v[0..n), largest first (ties: lower
 * index first). */
static size_t top_k(const int64_t *v, size_t n, size_t k, size_t *outi)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= 0) continue;
        size_t j = m < k ? m++ : k;
        if (j == k && v[i] <= v[outi[k - 1]]) continue;
        if (j == k) j = k - 1;
        while (j > 0 && v[outi[j - 1]] < v[i]) {
            outi[j] = outi[j - 1];
            j--;
        }
        outi[j] = i;
    }
    return m;
}

static json_t *int_array(const int64_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static const char *mech_name(int m)
{
    const char *s = vocab_name(HZ_VOCAB_MECHANISM, m);
    return s ? s : "unknown";
}

/* The least-squares slope of counts v[0..n-1] against their index (here: incidents per year);
 * NAN for fewer than two years. */
static double ls_slope(const int64_t *v, int n)
{
    if (n < 2) return NAN;
    double xm = (n - 1) / 2.0, ym = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++)
        ym += (double)v[i] / n;
    for (int i = 0; i < n; i++) {
        sxy += (i - xm) * ((double)v[i] - ym);
        sxx += (i - xm) * (i - xm);
    }
    return sxy / sxx;
}

/* The flat, typed columns of a black spot, which GIS formats without nested values (Shapefile,
 * CSV) keep whole, their names at most 10 characters (dBASE): counts by severity (each severity
 * word, and unknown), the most frequent hour (top_hour, 0-23) and weekday (top_day), the three
 * most frequent mechanisms as text (top_mechs) and the trend's slope (slope_yr); null where there
 * is nothing to say (no times, fewer than two years). */
static void flat_props(json_t *props, const blackspots_result *r, const blackspot *b,
                       const size_t *mech_idx, size_t nm)
{
    for (int k = 1; k < HZ_SEV_COUNT; k++)
        json_object_set_new(props, vocab_name(HZ_VOCAB_SEVERITY, k), json_integer(b->severity[k]));
    json_object_set_new(props, "unknown", json_integer(b->severity[0]));
    size_t h, w;
    json_object_set_new(props, "top_hour",
                        top_k(b->hours, 24, 1, &h) ? json_integer((json_int_t)h) : json_null());
    json_object_set_new(props, "top_day",
                        top_k(b->weekdays, 7, 1, &w) ? json_string(weekday_names[w]) : json_null());
    char mm[256] = "";
    for (size_t k = 0; k < nm && k < 3; k++) {
        size_t l = strlen(mm);
        snprintf(mm + l, sizeof mm - l, "%s%s", k ? ", " : "", mech_name((int)mech_idx[k]));
    }
    json_object_set_new(props, "top_mechs", json_string(mm));
    double slope = ls_slope(b->trend, r->nyears);
    json_object_set_new(props, "slope_yr", isfinite(slope) ? json_real(slope) : json_null());
}

static json_t *spot_json(const blackspots_result *r, const blackspot *b)
{
    json_t *props = json_object();
    json_t *sev = json_object(), *mech = json_object(), *trend = json_object();
    json_t *mh = json_array(), *mw = json_array(), *mm = json_array();
    for (int k = 1; k < HZ_SEV_COUNT; k++)
        json_object_set_new(sev, vocab_name(HZ_VOCAB_SEVERITY, k), json_integer(b->severity[k]));
    json_object_set_new(sev, "unknown", json_integer(b->severity[0]));
    size_t idx[HZ_MECH_COUNT];
    size_t nm = top_k(b->mechanisms, HZ_MECH_COUNT, HZ_MECH_COUNT, idx);
    for (size_t k = 0; k < nm; k++) /* every mechanism present, most frequent first */
        json_object_set_new(mech, mech_name((int)idx[k]), json_integer(b->mechanisms[idx[k]]));
    for (size_t k = 0; k < nm && k < 3; k++)
        json_array_append_new(mm, json_string(mech_name((int)idx[k])));
    size_t hi[3], wi[2];
    size_t nh = top_k(b->hours, 24, 3, hi), nw = top_k(b->weekdays, 7, 2, wi);
    for (size_t k = 0; k < nh; k++)
        json_array_append_new(mh, json_integer((json_int_t)hi[k]));
    for (size_t k = 0; k < nw; k++)
        json_array_append_new(mw, json_string(weekday_names[wi[k]]));
    for (int y = 0; y < r->nyears; y++) {
        char key[16];
        snprintf(key, sizeof key, "%d", r->year0 + y);
        json_object_set_new(trend, key, json_integer(b->trend[y]));
    }
    /* The hull: a closed Polygon ring; a Point or LineString when the members are coincident
     * or collinear (no area to draw). */
    json_t *ring = json_array();
    for (size_t v = 0; v <= b->hull_n; v++) {
        size_t u = v % b->hull_n;
        if (v == b->hull_n && b->hull_n < 3) break;
        json_array_append_new(ring, json_pack("[f,f]", b->hull_lon[u], b->hull_lat[u]));
    }
    json_t *hullg;
    if (b->hull_n >= 3)
        hullg = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
    else if (b->hull_n == 2)
        hullg = json_pack("{s:s, s:o}", "type", "LineString", "coordinates", ring);
    else {
        hullg = json_pack("{s:s, s:O}", "type", "Point", "coordinates", json_array_get(ring, 0));
        json_decref(ring);
    }
    json_object_set_new(props, "rank", json_integer(b->rank));
    json_object_set_new(props, "count", json_integer(b->count));
    json_object_set_new(props, "severity", sev);
    json_object_set_new(props, "score", json_real(b->score));
    json_object_set_new(props, "radius_m", json_real(b->radius_m));
    json_object_set_new(props, "hull", hullg);
    json_object_set_new(props, "hours", int_array(b->hours, 24));
    json_object_set_new(props, "weekdays", int_array(b->weekdays, 7));
    json_object_set_new(props, "mechanisms", mech);
    json_object_set_new(props, "trend", trend);
    json_object_set_new(props, "main_hours", mh);
    json_object_set_new(props, "main_weekdays", mw);
    json_object_set_new(props, "main_mechanisms", mm);
    json_object_set_new(props, "x_utm", json_real(b->cx));
    json_object_set_new(props, "y_utm", json_real(b->cy));
    json_object_set_new(props, "suppressed", json_false());
    flat_props(props, r, b, idx, nm);
    return json_pack("{s:s, s:i, s:{s:s, s:[f,f]}, s:o}", "type", "Feature", "id", b->rank,
                     "geometry", "type", "Point", "coordinates", b->lon, b->lat, "properties",
                     props);
}

hz_status blackspots_geojson(const blackspots_result *r, const disc_policy *pol, json_t **out,
                             char *err, size_t errlen)
{
    json_t *feats = json_array(), *prov = json_object(), *w = json_object();
    if (!feats || !prov || !w) goto oom;
    int any_suppressed = 0;
    for (size_t i = 0; i < r->n; i++) {
        const blackspot *b = &r->spots[i];
        json_t *f;
        if (disc_hidden(pol, (long)b->count)) {
            any_suppressed = 1;
            f = json_pack("{s:s, s:i, s:n, s:{s:i, s:b}}", "type", "Feature", "id", b->rank,
                          "geometry", "properties", "rank", b->rank, "suppressed", 1);
        } else {
            f = spot_json(r, b);
        }
        if (!f) goto oom;
        json_array_append_new(feats, f);
    }
    for (int k = 1; k < HZ_SEV_COUNT; k++)
        json_object_set_new(w, vocab_name(HZ_VOCAB_SEVERITY, k), json_real(r->weights[k]));
    json_object_set_new(w, "unknown", json_real(r->weights[0]));
    json_object_set_new(prov, "filters", json_string(r->filters));
    json_object_set_new(
        prov, "method",
        json_string("DBSCAN (Ester et al. 1996) in the working CRS; border points "
                    "join the first cluster reaching them, as R dbscan; convex hull "
                    "by monotone chain; times in Asia/Shanghai (UTC+8)"));
    json_object_set_new(prov, "eps", json_real(r->params.eps));
    json_object_set_new(prov, "min_points", json_integer(r->params.min_points));
    json_object_set_new(prov, "parameter_rule", json_string(r->params_rule));
    json_object_set_new(prov, "min_points_rule",
                        json_string("the point itself counts (R dbscan minPts)"));
    json_object_set_new(prov, "rank",
                        json_string(r->params.rank == BLACKSPOTS_BY_COUNT ? "count" : "score"));
    json_object_set_new(
        prov, "slope_yr",
        json_string("least-squares slope of the count per local calendar year against the year, "
                    "over the years the filtered incidents span (incidents per year; null for "
                    "fewer than two years)"));
    json_object_set_new(prov, "score_weights", w);
    w = NULL;
    json_object_set_new(prov, "work_srs", json_string(r->work_srs));
    /* incidents - noise - the visible counts would be the suppressed clusters' total. */
    int totals = disc_total_shown(pol, any_suppressed);
    json_object_set_new(prov, "incidents", totals ? json_integer(r->incidents) : json_null());
    json_object_set_new(prov, "noise", totals ? json_integer(r->noise) : json_null());
    json_object_set_new(prov, "without_point",
                        totals ? json_integer(r->without_point) : json_null());
    json_object_set_new(prov, "linked_duplicates",
                        totals ? json_integer(r->linked_duplicates) : json_null());
    json_object_set_new(prov, "counted", json_string(r->counted ? r->counted : "records"));
    json_object_set_new(prov, "clusters", json_integer((json_int_t)r->n));
    json_object_set_new(prov, "data_version", json_integer(r->data_version));
    json_object_set_new(prov, "suppress_below", json_integer(pol ? pol->min_count : 0));
    *out = json_pack("{s:s, s:o, s:o}", "type", "FeatureCollection", "features", feats,
                     "provenance", prov);
    if (!*out) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
oom:
    json_decref(feats);
    json_decref(prov);
    json_decref(w);
    return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
}
