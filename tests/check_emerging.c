/* check_emerging.c - tests of emerging hot spot analysis: the space-time Gi* against a brute-force
 * computation, calendar time steps against gmtime_r(), and the whole pipeline (cube counts,
 * zeros, tallies, from/to checks, planted patterns, GeoJSON and GeoPackage) on a small store
 * whose expected values are recomputed in the test. */
#include <check.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hazmap/emerging.h"
#include "hazmap/gistar.h"
#include "hazmap/incset.h"
#include "hazmap/stgistar.h"
#include "hazmap/store.h"
#include "hazmap/timestep.h"
#include "hazmap/workcrs.h"
#include "testutil.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static double unif(uint64_t *s)
{
    return (double)lcg(s) / 9007199254740992.0; /* 2^53 */
}

/* ---- stgistar_compute against brute force ---- */

/* Gi* of bin (i, t) from its definition: the neighbourhood {(j, t'): j == i or |c_i - c_j| <=
 * band, max(0, t - lag) <= t' <= t}, binary weights, the cube's mean and variance (divisor N). */
static void brute_stgistar(const double *x, const double *cx, const double *cy, size_t nloc,
                           size_t nsteps, double band, int lag, double *z, double *p, int *w)
{
    size_t N = nloc * nsteps;
    double sum = 0, sum2 = 0;
    for (size_t b = 0; b < N; b++)
        sum += x[b];
    double xbar = sum / (double)N;
    for (size_t b = 0; b < N; b++)
        sum2 += (x[b] - xbar) * (x[b] - xbar);
    double s = sqrt(sum2 / (double)N);
    for (size_t t = 0; t < nsteps; t++)
        for (size_t i = 0; i < nloc; i++) {
            double S = 0, W = 0;
            size_t t0 = t >= (size_t)lag ? t - (size_t)lag : 0;
            for (size_t j = 0; j < nloc; j++) {
                double d = hypot(cx[i] - cx[j], cy[i] - cy[j]);
                if (j != i && !(d <= band * (1 + 1e-9))) continue;
                for (size_t u = t0; u <= t; u++) {
                    S += x[u * nloc + j];
                    W += 1;
                }
            }
            double den2 = ((double)N * W - W * W) / ((double)N - 1);
            size_t b = t * nloc + i;
            w[b] = (int)W;
            if (den2 <= 0) {
                z[b] = 0;
                p[b] = 1;
            } else {
                z[b] = (S - W * xbar) / (s * sqrt(den2));
                p[b] = erfc(fabs(z[b]) / sqrt(2.0));
            }
        }
}

START_TEST(test_stgistar_brute)
{
    enum { NR = 6, NC = 7, NT = 9, NL = NR * NC };
    double cx[NL], cy[NL];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) {
            cx[r * NC + c] = 400000.0 + 250.0 * c;
            cy[r * NC + c] = 3390000.0 - 250.0 * r;
        }
    uint64_t seed = 17;
    double x[NT * NL];
    for (int b = 0; b < NT * NL; b++) {
        double u = unif(&seed);
        x[b] = u < 0.5 ? 0 : floor(12 * unif(&seed)); /* many zeros, as a sparse cube */
    }
    x[5 * NL + 20] = 60; /* one spike */
    /* 250: rook; 360: queen-like (diagonal 353.6); 600; 5000: every location */
    const double bands[] = {250, 360, 600, 5000};
    double z[NT * NL], p[NT * NL], bz[NT * NL], bp[NT * NL];
    int w[NT * NL], bw[NT * NL];
    char err[256];
    int nwhole = 0;
    for (size_t k = 0; k < sizeof bands / sizeof *bands; k++) {
        gistar_nb nb = {0};
        ck_assert_int_eq(gistar_nb_distance(NL, cx, cy, bands[k], &nb, err, sizeof err), HZ_OK);
        for (int lag = 0; lag <= 9; lag++) {
            if (lag > 2 && lag != 8 && lag != 9) continue;
            for (int th = 1; th <= 2; th++) {
                ck_assert_int_eq(
                    stgistar_compute(x, NL, NT, &nb, lag, th, z, p, w, err, sizeof err), HZ_OK);
                brute_stgistar(x, cx, cy, NL, NT, bands[k], lag, bz, bp, bw);
                for (int b = 0; b < NT * NL; b++) {
                    ck_assert_msg(w[b] == bw[b], "band %g lag %d bin %d: W %d, brute force %d",
                                  bands[k], lag, b, w[b], bw[b]);
                    ck_assert_msg(fabs(z[b] - bz[b]) <= 1e-9 * (1 + fabs(bz[b])),
                                  "band %g lag %d bin %d: z %.15g, brute force %.15g", bands[k],
                                  lag, b, z[b], bz[b]);
                    ck_assert_msg(fabs(p[b] - bp[b]) <= 1e-9 * (1e-300 + bp[b]) + 1e-15,
                                  "band %g lag %d bin %d: p %.15g, brute force %.15g", bands[k],
                                  lag, b, p[b], bp[b]);
                    if (bw[b] == NT * NL) nwhole++;
                }
            }
        }
        gistar_nb_free(&nb);
    }
    ck_assert_int_gt(nwhole, 0); /* the whole-cube neighbourhood (z 0, p 1) was exercised */

    /* Degenerate cubes. */
    gistar_nb nb = {0};
    ck_assert_int_eq(gistar_nb_distance(NL, cx, cy, 360, &nb, err, sizeof err), HZ_OK);
    for (int b = 0; b < NT * NL; b++)
        x[b] = 3.5;
    ck_assert_int_eq(stgistar_compute(x, NL, NT, &nb, 1, 1, z, p, NULL, err, sizeof err),
                     HZ_EINVAL);
    for (int b = 0; b < NT * NL; b++)
        x[b] = 0;
    ck_assert_int_eq(stgistar_compute(x, NL, NT, &nb, 0, 2, z, p, NULL, err, sizeof err),
                     HZ_EINVAL);
    x[0] = 1e6; /* one unequal value: defined again */
    ck_assert_int_eq(stgistar_compute(x, NL, NT, &nb, 0, 2, z, p, NULL, err, sizeof err), HZ_OK);
    gistar_nb_free(&nb);
    double two[2] = {1, 2}, tx[2] = {0, 1}, ty[2] = {0, 0};
    ck_assert_int_eq(gistar_nb_distance(2, tx, ty, 1.5, &nb, err, sizeof err), HZ_OK);
    ck_assert_int_eq(stgistar_compute(two, 2, 1, &nb, 0, 1, z, p, NULL, err, sizeof err),
                     HZ_EINVAL);
    gistar_nb_free(&nb);
}
END_TEST

/* ---- calendar steps against gmtime_r ---- */

/* Day of the week of a civil date, 0 = Monday (Zeller's congruence, independent of the code). */
static int weekday_monday0(int y, int m, int d)
{
    if (m < 3) {
        m += 12;
        y -= 1;
    }
    int K = y % 100, J = y / 100;
    int h = (d + 13 * (m + 1) / 5 + K + K / 4 + J / 4 + 5 * J) % 7; /* 0 = Saturday */
    return (h + 5) % 7;
}

START_TEST(test_timestep_brute)
{
    const time_t lo = -157766400; /* 1965-01-01 */
    const time_t hi = 2240611200; /* 2041-01-01 */
    uint64_t seed = 99;
    for (int u = TS_WEEK; u <= TS_YEAR; u++) {
        ts_unit back;
        ck_assert_int_eq(ts_unit_parse(ts_unit_name((ts_unit)u), &back), 0);
        ck_assert_int_eq(back, u);
    }
    ts_unit dummy = TS_YEAR;
    ck_assert_int_eq(ts_unit_parse("fortnight", &dummy), -1);
    ck_assert_int_eq(ts_unit_parse(NULL, &dummy), -1);
    for (int it = 0; it < 20000; it++) {
        int64_t t = lo + (int64_t)((double)(hi - lo) * unif(&seed));
        int tz = -12 * 3600 + 900 * (int)(unif(&seed) * (26 * 4 + 1)); /* -12:00..+14:00 */
        int64_t mid = (int64_t)floor((double)(t + tz) / 86400) * 86400 - tz;
        if (it % 7 == 0) t = mid;      /* often exactly at local midnight */
        if (it % 11 == 0) t = mid - 1; /* or one second before it */
        time_t lt = (time_t)(t + tz);
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&lt, &tm));
        int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
        for (int u = TS_WEEK; u <= TS_YEAR; u++) {
            int64_t k = ts_index((ts_unit)u, t, tz);
            int64_t s0 = ts_start((ts_unit)u, k, tz), s1 = ts_start((ts_unit)u, k + 1, tz);
            ck_assert_msg(s0 <= t && t < s1, "%s: t %lld tz %d step %lld [%lld, %lld)",
                          ts_unit_name((ts_unit)u), (long long)t, tz, (long long)k, (long long)s0,
                          (long long)s1);
            ck_assert_int_eq(ts_index((ts_unit)u, s0 - 1, tz), k - 1);
            ck_assert_int_eq(ts_index((ts_unit)u, s1, tz), k + 1);
            ck_assert_int_eq(ts_index((ts_unit)u, s1 - 1, tz), k);
            /* steps start at local midnight */
            time_t ls = (time_t)(s0 + tz);
            struct tm ts;
            gmtime_r(&ls, &ts);
            ck_assert(ts.tm_hour == 0 && ts.tm_min == 0 && ts.tm_sec == 0);
            char lab[32], want[32];
            ts_label((ts_unit)u, k, lab);
            switch (u) {
            case TS_WEEK: {
                /* the step starts on a Monday, within the 7 days up to t's local date */
                ck_assert_int_eq(ts.tm_wday, 1);
                ck_assert(t - s0 < 7 * 86400);
                int wd = (tm.tm_wday + 6) % 7; /* 0 = Monday */
                time_t mon = lt - (time_t)wd * 86400;
                struct tm tmon;
                gmtime_r(&mon, &tmon);
                snprintf(want, sizeof want, "%04d-%02d-%02d", tmon.tm_year + 1900, tmon.tm_mon + 1,
                         tmon.tm_mday);
                ck_assert_str_eq(lab, want);
                int ly, lm, ld;
                ck_assert_int_eq(sscanf(lab, "%d-%d-%d", &ly, &lm, &ld), 3);
                ck_assert_int_eq(weekday_monday0(ly, lm, ld), 0);
                ck_assert_int_eq(s1 - s0, 7 * 86400);
                break;
            }
            case TS_MONTH:
                ck_assert_int_eq(k, (int64_t)y * 12 + m - 1);
                snprintf(want, sizeof want, "%04d-%02d", y, m);
                ck_assert_str_eq(lab, want);
                ck_assert(ts.tm_mday == 1 && ts.tm_mon == tm.tm_mon && ts.tm_year == tm.tm_year);
                break;
            case TS_QUARTER:
                ck_assert_int_eq(k, (int64_t)y * 4 + (m - 1) / 3);
                snprintf(want, sizeof want, "%04dQ%d", y, (m - 1) / 3 + 1);
                ck_assert_str_eq(lab, want);
                ck_assert(ts.tm_mday == 1 && ts.tm_mon == (m - 1) / 3 * 3);
                break;
            default:
                ck_assert_int_eq(k, y);
                snprintf(want, sizeof want, "%04d", y);
                ck_assert_str_eq(lab, want);
                ck_assert(ts.tm_mday == 1 && ts.tm_mon == 0 && ts.tm_year == tm.tm_year);
                break;
            }
        }
    }
    /* Fixed examples of the header. */
    char lab[32];
    ts_label(TS_MONTH, 2014 * 12 + 2, lab);
    ck_assert_str_eq(lab, "2014-03");
    ts_label(TS_QUARTER, 2014 * 4 + 1, lab);
    ck_assert_str_eq(lab, "2014Q2");
    ts_label(TS_YEAR, 2014, lab);
    ck_assert_str_eq(lab, "2014");
    ts_label(TS_WEEK, 0, lab);
    ck_assert_str_eq(lab, "1970-01-05");
    ts_label(TS_WEEK, -1, lab);
    ck_assert_str_eq(lab, "1969-12-29");
}
END_TEST

/* ---- the pipeline on a small store ---- */

/* The study area: one lon/lat square near Chengdu (about 5.8 x 5.6 km); incidents keep MARGIN
 * degrees (about 770 m, more than a cell's diagonal) from its edges so each lies in a cell whose
 * centre is inside. */
#define LON0 104.00
#define LAT0 30.60
#define LON1 104.06
#define LAT1 30.65
#define MARGIN 0.008
#define CELL 500.0
#define BAND 750.0
#define TZ (8 * 3600)
/* The planted sites: P1 only in the last two months of 2013, P2 in every month. */
#define P1LON 104.015
#define P1LAT 30.615
#define P2LON 104.045
#define P2LAT 30.638

static char dbpath[80];
static char gpkgpath[80];

static void em_setup(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-emerging-%d.sqlite", (int)getpid());
    snprintf(gpkgpath, sizeof gpkgpath, "/tmp/hazmap-emerging-%d.gpkg", (int)getpid());
    tu_remove_db(dbpath);
    unlink(gpkgpath);
}

static void em_teardown(void)
{
    tu_remove_db(dbpath);
    unlink(gpkgpath);
}

/* Seconds since the epoch of a local (+08:00) civil time, via timegm(). */
static int64_t local_time(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) - TZ;
}

static int put(store *st, int id, double lon, double lat, int64_t t, const char *area)
{
    char sid[16], err[256];
    snprintf(sid, sizeof sid, "%d", id);
    hz_incident_rec r = {.source = "t", .source_id = sid, .victims = 1, .disability = -1};
    r.t = t;
    r.age = -1;
    r.severity = id % HZ_SEV_COUNT;
    r.area_code = area;
    r.lon = lon;
    r.lat = lat;
    store_put_outcome o;
    ck_assert_msg(store_incident_put(st, &r, &o, err, sizeof err) == HZ_OK, "%s", err);
    return id + 1;
}

/* 300 background incidents uniform over the inner square and over 2013; P1: 30 incidents in
 * each of 2013-11 and 2013-12; P2: 30 in each month of 2013; one at the first and one at the last
 * minute of 2013 (local), one on 2014-01-15 (a partial step), one far outside the area (in
 * 2013), one undated. */
static store *make_store(void)
{
    char err[256];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char wkb[128];
    hz_area_rec a = {.code = "A", .name = "A", .level = "district", .population = -1};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, LON0, LAT0, LON1, LAT1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    uint64_t seed = 2013;
    int id = 0;
    int64_t y0 = local_time(2013, 1, 1, 0, 0), y1 = local_time(2014, 1, 1, 0, 0);
    for (int k = 0; k < 300; k++) {
        double lon = LON0 + MARGIN + (LON1 - LON0 - 2 * MARGIN) * unif(&seed);
        double lat = LAT0 + MARGIN + (LAT1 - LAT0 - 2 * MARGIN) * unif(&seed);
        id = put(st, id, lon, lat, y0 + (int64_t)((double)(y1 - y0) * unif(&seed)), "A");
    }
    for (int mo = 1; mo <= 12; mo++)
        for (int k = 0; k < 30; k++) {
            int64_t t = local_time(2013, mo, 1 + k % 28, 9 + k % 10, k);
            id = put(st, id, P2LON + 1e-5 * (k % 5), P2LAT + 1e-5 * (k % 3), t, "A");
            if (mo >= 11) id = put(st, id, P1LON + 1e-5 * (k % 4), P1LAT + 1e-5 * (k % 5), t, "A");
        }
    id = put(st, id, 104.03, 30.625, local_time(2013, 1, 1, 0, 1), "A");
    id = put(st, id, 104.03, 30.625, local_time(2013, 12, 31, 23, 59), "A");
    id = put(st, id, 104.03, 30.625, local_time(2014, 1, 15, 12, 0), "A");
    id = put(st, id, 105.0, 30.625, local_time(2013, 6, 15, 12, 0), NULL);
    (void)put(st, id, 104.03, 30.625, INT64_MIN, "A"); /* the last: its next id is not needed */
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    return st;
}

/* Even-odd point in polygon. */
static int in_quad(const double *qx, const double *qy, double x, double y)
{
    int in = 0;
    for (int i = 0, j = 3; i < 4; j = i++)
        if ((qy[i] > y) != (qy[j] > y) &&
            x < (qx[j] - qx[i]) * (y - qy[i]) / (qy[j] - qy[i]) + qx[i])
            in = !in;
    return in;
}

/* Distance from (x, y) to the quad's boundary. */
static double quad_edge_dist(const double *qx, const double *qy, double x, double y)
{
    double best = INFINITY;
    for (int i = 0, j = 3; i < 4; j = i++) {
        double dx = qx[i] - qx[j], dy = qy[i] - qy[j];
        double u = ((x - qx[j]) * dx + (y - qy[j]) * dy) / (dx * dx + dy * dy);
        u = u < 0 ? 0 : u > 1 ? 1 : u;
        best = fmin(best, hypot(x - qx[j] - u * dx, y - qy[j] - u * dy));
    }
    return best;
}

/* The brute-force cube of the incidents: cell by floor arithmetic on the lattice of multiples of
 * CELL (squares) or by the nearest centre (hexagons: a hexagonal lattice's cells are its
 * centres' Voronoi cells), step from gmtime_r() of local time. */
typedef struct brute_cube {
    size_t n, T;
    long *cnt;   /* T x n */
    double *val; /* T x n: counts, or the sums of the severity weights */
    size_t in, outside, undated;
} brute_cube;

static int g_hex; /* the shape the brute-force cell search assumes */

static long cell_of(const emerging_cell *c, size_t n, double x, double y)
{
    if (g_hex) {
        long best = -1;
        double bd = 0.75 * CELL; /* beyond a hexagon's circumradius (0.577 CELL): no cell */
        for (size_t i = 0; i < n; i++) {
            double d = hypot(x - c[i].cx, y - c[i].cy);
            if (d < bd) {
                bd = d;
                best = (long)i;
            }
        }
        return best;
    }
    double kx = floor(x / CELL), ky = floor(y / CELL);
    for (size_t i = 0; i < n; i++)
        if (floor(c[i].cx / CELL) == kx && floor(c[i].cy / CELL) == ky) return (long)i;
    return -1;
}

/* The step of t counted from the step starting at s0 (local midnight), by civil fields. */
static long brute_step(ts_unit u, int64_t s0, int64_t t)
{
    time_t lt = (time_t)(t + TZ), l0 = (time_t)(s0 + TZ);
    struct tm tm, t0;
    gmtime_r(&lt, &tm);
    gmtime_r(&l0, &t0);
    long dy = tm.tm_year - t0.tm_year;
    switch (u) {
    case TS_WEEK:
        return (long)floor((double)(t - s0) / (7 * 86400.0));
    case TS_MONTH:
        return dy * 12 + tm.tm_mon - t0.tm_mon;
    case TS_QUARTER:
        return dy * 4 + tm.tm_mon / 3 - t0.tm_mon / 3;
    default:
        return dy;
    }
}

/* Counts the incidents with t in [from, to) into T steps of unit u from the one starting at
 * s0; their values are 1, or sevw[severity] when sevw is not NULL. */
static void brute_count(const incset *s, const emerging_cell *c, size_t n, int64_t from, int64_t to,
                        ts_unit u, int64_t s0, size_t T, const double *sevw, brute_cube *B)
{
    B->n = n;
    B->T = T;
    B->cnt = calloc(n * T, sizeof *B->cnt);
    B->val = calloc(n * T, sizeof *B->val);
    B->in = B->outside = B->undated = 0;
    const hz_incident *it = incset_items(s);
    for (size_t k = 0; k < incset_count(s); k++) {
        if (it[k].t == INT64_MIN) {
            if (from == INT64_MIN && to == INT64_MAX) B->undated++;
            continue;
        }
        if (it[k].t < from || it[k].t >= to) continue;
        long step = brute_step(u, s0, it[k].t);
        long i = cell_of(c, n, it[k].x, it[k].y);
        if (step < 0 || step >= (long)T || i < 0) {
            B->outside++;
            continue;
        }
        B->cnt[(size_t)step * n + (size_t)i]++;
        B->val[(size_t)step * n + (size_t)i] += sevw ? sevw[it[k].severity] : 1.0;
        B->in++;
    }
}

/* Checks the cube of r against B, and its Gi* against brute_stgistar() on B's counts. */
static void check_cube(const emerging_result *r, const brute_cube *B, double band, int lag)
{
    size_t n, T = emerging_steps(r);
    const emerging_cell *c = emerging_cells(r, &n);
    ck_assert_uint_eq(n, B->n);
    ck_assert_uint_eq(T, B->T);
    size_t in, outside, undated;
    emerging_tally(r, &in, &outside, &undated);
    ck_assert_uint_eq(in, B->in);
    ck_assert_uint_eq(outside, B->outside);
    ck_assert_uint_eq(undated, B->undated);
    double *x = malloc(n * T * sizeof *x), *cx = malloc(n * sizeof *cx),
           *cy = malloc(n * sizeof *cy), *z = malloc(n * T * sizeof *z),
           *p = malloc(n * T * sizeof *p);
    int *w = malloc(n * T * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        cx[i] = c[i].cx;
        cy[i] = c[i].cy;
        long total = 0;
        for (size_t t = 0; t < T; t++) {
            const emerging_bin *b = emerging_bin_at(r, i, t);
            long want = B->cnt[t * n + i];
            double wv = B->val[t * n + i];
            ck_assert_msg(b->count == want && fabs(b->value - wv) <= 1e-9 * (1 + wv),
                          "cell (%d,%d) step %zu: count %d value %g, brute force %ld %g", c[i].row,
                          c[i].col, t, b->count, b->value, want, wv);
            x[t * n + i] = wv;
            total += want;
        }
        ck_assert_int_eq(c[i].count, total);
    }
    brute_stgistar(x, cx, cy, n, T, band, lag, z, p, w);
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < n; i++) {
            const emerging_bin *b = emerging_bin_at(r, i, t);
            double bz = z[t * n + i];
            ck_assert_msg(fabs(b->z - bz) <= 1e-9 * (1 + fabs(bz)),
                          "cell %zu step %zu: z %.15g, brute force %.15g", i, t, b->z, bz);
            ck_assert(b->q >= b->p - 1e-15 && b->q <= 1);
            ck_assert_int_eq(b->cls, b->q <= 0.10 ? (b->z > 0) - (b->z < 0) : 0);
        }
    free(x);
    free(cx);
    free(cy);
    free(z);
    free(p);
    free(w);
}

static void set_params(emerging_params *par)
{
    emerging_params_init(par);
    par->space.cell = CELL;
    par->space.band = BAND;
    par->space.nthreads = 2;
}

/* A DateTime field as seconds since the epoch, with its time zone flag (100 UTC, 100 + k:
 * k quarter hours east; 1 local and 0 unknown are refused). */
static int64_t gpkg_time(OGRFeatureH ft, int field)
{
    int y, mo, d, h, mi, tzf;
    float sec;
    ck_assert(OGR_F_GetFieldAsDateTimeEx(ft, field, &y, &mo, &d, &h, &mi, &sec, &tzf));
    ck_assert_int_ge(tzf, 2);
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = (int)sec};
    return (int64_t)timegm(&tm) - (int64_t)(tzf - 100) * 900;
}

/* Index of the cell holding lon/lat (projected to the snapshot's working CRS). */
static long cell_at(const incset *s, const emerging_cell *c, size_t n, double lon, double lat)
{
    char err[256];
    workcrs *w = workcrs_new(incset_work_srs(s), lon, lat, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    double x, y;
    ck_assert_int_eq(workcrs_forward(w, 1, &lon, &lat, &x, &y), HZ_OK);
    workcrs_free(w);
    return cell_of(c, n, x, y);
}

START_TEST(test_emerging_end_to_end)
{
    char err[512], why[2048];
    store *st = make_store();
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    g_hex = 0;
    emerging_params par;
    set_params(&par);
    hz_filter f;
    filter_init(&f);
    emerging_result *r = NULL;
    ck_assert_msg(emerging_run(s, &f, &par, &r, why, sizeof why, err, sizeof err) == HZ_OK, "%s",
                  err);
    ck_assert_double_eq(hotspots_cell_size(emerging_lattice(r)), CELL);
    ck_assert_double_eq(hotspots_band(emerging_lattice(r)), BAND);

    /* (a) counts, tallies, Gi*; 2014-01 is a partial step, so the steps are the 12 months of
     * 2013 and the 2014-01-15 incident is outside, as is the one far from the area. */
    size_t n, T = emerging_steps(r);
    const emerging_cell *c = emerging_cells(r, &n);
    ck_assert_uint_eq(T, 12);
    for (size_t t = 0; t < T; t++) {
        char want[32];
        snprintf(want, sizeof want, "2013-%02zu", t + 1);
        ck_assert_str_eq(emerging_step_label(r, t), want);
        ck_assert_int_eq(emerging_step_start(r, t), local_time(2013, (int)t + 1, 1, 0, 0));
    }
    ck_assert_int_eq(emerging_step_start(r, T), local_time(2014, 1, 1, 0, 0));
    brute_cube B;
    brute_count(s, c, n, INT64_MIN, INT64_MAX, TS_MONTH, local_time(2013, 1, 1, 0, 0), 12, NULL,
                &B);
    ck_assert_uint_eq(B.in, 300 + 12 * 30 + 2 * 30 + 2);
    ck_assert_uint_eq(B.outside, 2); /* (c) */
    ck_assert_uint_eq(B.undated, 1);
    check_cube(r, &B, BAND, par.time_lag);

    /* (b) the cells are exactly the lattice positions whose centre is in the projected area
     * (1 m of slack at the edges); empty ones are zeros present in the cube. */
    double qlon[4] = {LON0, LON1, LON1, LON0}, qlat[4] = {LAT0, LAT0, LAT1, LAT1}, qx[4], qy[4];
    workcrs *wc = workcrs_new(incset_work_srs(s), 104.03, 30.625, err, sizeof err);
    ck_assert_msg(wc != NULL, "%s", err);
    ck_assert_int_eq(workcrs_forward(wc, 4, qlon, qlat, qx, qy), HZ_OK);
    workcrs_free(wc);
    double bx0 = fmin(qx[0], qx[3]), bx1 = fmax(qx[1], qx[2]);
    double by0 = fmin(qy[0], qy[1]), by1 = fmax(qy[2], qy[3]);
    size_t inside = 0, empty = 0;
    for (double ky = floor(by0 / CELL) - 1; ky <= floor(by1 / CELL) + 1; ky++)
        for (double kx = floor(bx0 / CELL) - 1; kx <= floor(bx1 / CELL) + 1; kx++) {
            double x = (kx + 0.5) * CELL, y = (ky + 0.5) * CELL;
            if (quad_edge_dist(qx, qy, x, y) < 1) continue;
            long i = cell_of(c, n, x, y);
            if (!in_quad(qx, qy, x, y)) {
                ck_assert_msg(i < 0, "cell at %.0f %.0f outside the area", x, y);
                continue;
            }
            ck_assert_msg(i >= 0, "no cell at %.0f %.0f inside the area", x, y);
            ck_assert(fabs(c[i].cx - x) < 1e-6 && fabs(c[i].cy - y) < 1e-6);
            inside++;
            if (c[i].count == 0) {
                empty++;
                for (size_t t = 0; t < T; t++)
                    ck_assert(emerging_bin_at(r, (size_t)i, t)->value == 0);
            }
        }
    ck_assert_uint_ge(inside, n - 40); /* all but a few edge cells checked */
    ck_assert_uint_le(inside, n);
    ck_assert_uint_gt(empty, 0);

    /* (e) the planted sites. */
    long p1 = cell_at(s, c, n, P1LON, P1LAT), p2 = cell_at(s, c, n, P2LON, P2LAT);
    ck_assert(p1 >= 0 && p2 >= 0);
    ck_assert_msg(c[p1].pattern == EHSA_NEW_HOT || c[p1].pattern == EHSA_CONSECUTIVE_HOT,
                  "P1: %s (hot steps %d)", ehsa_pattern_name(c[p1].pattern), c[p1].hot_steps);
    ck_assert(emerging_bin_at(r, (size_t)p1, T - 1)->cls == 1);
    for (size_t t = 0; t + 2 < T; t++)
        ck_assert_int_eq(emerging_bin_at(r, (size_t)p1, t)->cls, 0);
    ck_assert_msg(c[p2].pattern == EHSA_PERSISTENT_HOT || c[p2].pattern == EHSA_INTENSIFYING_HOT ||
                      c[p2].pattern == EHSA_DIMINISHING_HOT,
                  "P2: %s (hot steps %d)", ehsa_pattern_name(c[p2].pattern), c[p2].hot_steps);
    ck_assert_int_ge(c[p2].hot_steps, 11);

    /* (f) GeoJSON with series. */
    json_t *j;
    ck_assert_msg(emerging_geojson(r, NULL, 1, &j, err, sizeof err) == HZ_OK, "%s", err);
    json_t *feats = json_object_get(j, "features");
    ck_assert_uint_eq(json_array_size(feats), n);
    for (size_t i = 0; i < n; i++) {
        json_t *pr = json_object_get(json_array_get(feats, i), "properties");
        ck_assert_str_eq(json_string_value(json_object_get(pr, "pattern")),
                         ehsa_pattern_name(c[i].pattern));
        const char *col = json_string_value(json_object_get(pr, "colour"));
        ck_assert(col && col[0] == '#' && strlen(col) == 7);
        ck_assert_str_eq(col, ehsa_pattern_colour(c[i].pattern));
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "count")), c[i].count);
        json_t *ser = json_object_get(pr, "series");
        const char *keys[] = {"step", "count", "z", "q", "class"};
        for (size_t k = 0; k < 5; k++)
            ck_assert_uint_eq(json_array_size(json_object_get(ser, keys[k])), T);
        for (size_t t = 0; t < T; t++) {
            ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(ser, "count"), t)),
                             B.cnt[t * n + i]);
            ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ser, "step"), t)),
                             emerging_step_label(r, t));
        }
    }
    json_t *pv = json_object_get(j, "provenance");
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents")), (json_int_t)B.in);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents_outside")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents_undated")), 1);
    json_decref(j);

    /* (g) GeoPackage, read back with OGR. */
    ck_assert_msg(emerging_gpkg(r, gpkgpath, err, sizeof err) == HZ_OK, "%s", err);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(gpkgpath, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(ds);
    OGRLayerH loc = GDALDatasetGetLayerByName(ds, "emerging_locations");
    OGRLayerH bins = GDALDatasetGetLayerByName(ds, "emerging_bins");
    ck_assert_ptr_nonnull(loc);
    ck_assert_ptr_nonnull(bins);
    ck_assert_int_eq(OGR_L_GetFeatureCount(loc, 1), (GIntBig)n);
    ck_assert_int_eq(OGR_L_GetFeatureCount(bins, 1), (GIntBig)(n * T));
    /* every bin row's count is the brute-force count of its (cell, step) */
    const hotspots_result *H = emerging_lattice(r);
    OGRFeatureDefnH bd = OGR_L_GetLayerDefn(bins);
    int fid = OGR_FD_GetFieldIndex(bd, "cell_id"), fstep = OGR_FD_GetFieldIndex(bd, "step"),
        fcnt = OGR_FD_GetFieldIndex(bd, "count");
    int fs0 = OGR_FD_GetFieldIndex(bd, "step_start"), fs1 = OGR_FD_GetFieldIndex(bd, "step_end");
    ck_assert(fs0 >= 0 && fs1 >= 0);
    ck_assert(fid >= 0 && fstep >= 0 && fcnt >= 0);
    OGR_L_ResetReading(bins);
    OGRFeatureH ft;
    size_t rows = 0;
    long total = 0;
    while ((ft = OGR_L_GetNextFeature(bins)) != NULL) {
        GIntBig id = OGR_F_GetFieldAsInteger64(ft, fid);
        int t = OGR_F_GetFieldAsInteger(ft, fstep);
        size_t i = 0;
        while (i < n && hotspots_cell_id(H, i) != id)
            i++;
        ck_assert(i < n && t >= 0 && (size_t)t < T);
        ck_assert_int_eq(OGR_F_GetFieldAsInteger(ft, fcnt), B.cnt[(size_t)t * n + i]);
        ck_assert_ptr_nonnull(OGR_F_GetGeometryRef(ft));
        total += OGR_F_GetFieldAsInteger(ft, fcnt);
        /* the step's bounds are local midnights of the 1st of months t + 1 and t + 2 */
        ck_assert_int_eq(gpkg_time(ft, fs0), local_time(2013, t + 1, 1, 0, 0));
        ck_assert_int_eq(gpkg_time(ft, fs1),
                         local_time(2013 + (t + 1) / 12, (t + 1) % 12 + 1, 1, 0, 0));
        rows++;
        OGR_F_Destroy(ft);
    }
    ck_assert_uint_eq(rows, n * T);
    ck_assert_int_eq(total, (long)B.in);
    /* every location row carries its cell's pattern */
    OGRFeatureDefnH ld = OGR_L_GetLayerDefn(loc);
    int lid = OGR_FD_GetFieldIndex(ld, "cell_id"), lpat = OGR_FD_GetFieldIndex(ld, "pattern"),
        lcnt = OGR_FD_GetFieldIndex(ld, "count");
    ck_assert(lid >= 0 && lpat >= 0 && lcnt >= 0);
    OGR_L_ResetReading(loc);
    rows = 0;
    while ((ft = OGR_L_GetNextFeature(loc)) != NULL) {
        GIntBig id = OGR_F_GetFieldAsInteger64(ft, lid);
        size_t i = 0;
        while (i < n && hotspots_cell_id(H, i) != id)
            i++;
        ck_assert(i < n);
        ck_assert_str_eq(OGR_F_GetFieldAsString(ft, lpat), ehsa_pattern_name(c[i].pattern));
        ck_assert_int_eq(OGR_F_GetFieldAsInteger64(ft, lcnt), c[i].count);
        rows++;
        OGR_F_Destroy(ft);
    }
    ck_assert_uint_eq(rows, n);
    GDALClose(ds);
    struct stat sb0, sb1;
    ck_assert_int_eq(stat(gpkgpath, &sb0), 0);
    ck_assert_int_eq(emerging_gpkg(r, gpkgpath, err, sizeof err), HZ_EIO);
    ck_assert_int_eq(stat(gpkgpath, &sb1), 0);
    ck_assert(sb0.st_size == sb1.st_size && sb0.st_mtime == sb1.st_mtime);
    free(B.cnt);
    free(B.val);
    emerging_free(r);

    /* (d) from/to past the data's span (2013-01-01 .. 2014-01-15 local) are refused; at its
     * edges they are not. */
    struct {
        const char *from, *to;
        hz_status rc;
        const char *name;
    } cases[] = {
        {"2012-12-31", NULL, HZ_EINVAL, "from"},         {"2012-06-01", NULL, HZ_EINVAL, "from"},
        {NULL, "2014-01-16", HZ_EINVAL, "to"},           {NULL, "2015-01-01", HZ_EINVAL, "to"},
        {"2013-03-05", "2013-03-20", HZ_EINVAL, "step"}, /* no whole month */
        {"2013-01-01", "2014-01-15", HZ_OK, NULL}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        filter_init(&f);
        if (cases[k].from)
            ck_assert_int_eq(filter_set(&f, "from", cases[k].from, err, sizeof err), HZ_OK);
        if (cases[k].to)
            ck_assert_int_eq(filter_set(&f, "to", cases[k].to, err, sizeof err), HZ_OK);
        err[0] = 0;
        hz_status rc = emerging_run(s, &f, &par, &r, NULL, 0, err, sizeof err);
        ck_assert_msg(rc == cases[k].rc, "case %zu: %d %s", k, (int)rc, err);
        if (cases[k].name) {
            size_t len = strlen(cases[k].name);
            ck_assert_msg(strncmp(err, cases[k].name, len) == 0 && err[len] == ':', "case %zu: %s",
                          k, err);
            ck_assert_ptr_null(r);
        } else {
            ck_assert_uint_eq(emerging_steps(r), 12);
        }
        emerging_free(r);
    }

    /* A filter starting mid-March: the steps are April..October, and the incidents of March
     * 15-31 are outside the cube. */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "from", "2013-03-15", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "to", "2013-10-31", err, sizeof err), HZ_OK);
    par.time_lag = 2;
    ck_assert_msg(emerging_run(s, &f, &par, &r, NULL, 0, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_uint_eq(emerging_steps(r), 7);
    ck_assert_str_eq(emerging_step_label(r, 0), "2013-04");
    ck_assert_str_eq(emerging_step_label(r, 6), "2013-10");
    c = emerging_cells(r, &n);
    brute_count(s, c, n, local_time(2013, 3, 15, 0, 0), local_time(2013, 11, 1, 0, 0), TS_MONTH,
                local_time(2013, 4, 1, 0, 0), 7, NULL, &B);
    ck_assert_uint_gt(B.outside, 14); /* P2's 14 of March 15-28 at least */
    check_cube(r, &B, BAND, 2);
    free(B.cnt);
    free(B.val);
    emerging_free(r);

    incset_free(s);
    store_close(st);
}
END_TEST

/* emerging_compute on given points: undated points and points outside the whole steps are
 * tallied; last < first is refused naming step. */
START_TEST(test_emerging_compute_tally)
{
    char err[512];
    store *st = make_store();
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    g_hex = 0;
    emerging_params par;
    set_params(&par);
    par.time_lag = 0;
    /* the store's own points, with times of our own: quarters 2013Q1..2013Q4 */
    const hz_incident *it = incset_items(s);
    size_t m = incset_count(s);
    hz_points pts = {m,
                     malloc(m * sizeof(double)),
                     malloc(m * sizeof(double)),
                     NULL,
                     malloc(m * sizeof(uint32_t)),
                     0,
                     0,
                     NULL};
    int64_t *t = malloc(m * sizeof *t);
    size_t want_undated = 0, want_outside_time = 0;
    for (size_t k = 0; k < m; k++) {
        pts.x[k] = it[k].x;
        pts.y[k] = it[k].y;
        pts.idx[k] = (uint32_t)k;
        t[k] = it[k].t;
        if (k % 50 == 7) t[k] = INT64_MIN; /* some more undated */
        if (k % 50 == 9) t[k] = local_time(2012, 12, 31, 23, 59);
        if (k % 50 == 11) t[k] = local_time(2014, 1, 1, 0, 0);
        if (t[k] == INT64_MIN)
            want_undated++;
        else if (t[k] < local_time(2013, 1, 1, 0, 0) || t[k] >= local_time(2014, 1, 1, 0, 0))
            want_outside_time++;
    }
    par.step = TS_QUARTER;
    emerging_result *r = NULL;
    ck_assert_msg(emerging_compute(s, NULL, &pts, t, 2013 * 4, 2013 * 4 + 3, TZ, "", 0, &par, &r,
                                   NULL, 0, err, sizeof err) == HZ_OK,
                  "%s", err);
    size_t in, outside, undated, n;
    emerging_tally(r, &in, &outside, &undated);
    ck_assert_uint_eq(undated, want_undated);
    ck_assert_uint_eq(in + outside + undated, m);
    const emerging_cell *c = emerging_cells(r, &n);
    ck_assert_uint_eq(emerging_steps(r), 4);
    ck_assert_str_eq(emerging_step_label(r, 1), "2013Q2");
    /* brute force per (cell, quarter) */
    long *cnt = calloc(n * 4, sizeof *cnt);
    size_t bin = 0, bout = 0;
    for (size_t k = 0; k < m; k++) {
        if (t[k] == INT64_MIN) continue;
        time_t lt = (time_t)(t[k] + TZ);
        struct tm tm;
        gmtime_r(&lt, &tm);
        long i = cell_of(c, n, pts.x[k], pts.y[k]);
        if (tm.tm_year != 113 || i < 0) {
            bout++;
            continue;
        }
        cnt[(size_t)(tm.tm_mon / 3) * n + (size_t)i]++;
        bin++;
    }
    ck_assert_uint_eq(in, bin);
    ck_assert_uint_eq(outside, bout);
    ck_assert_uint_ge(outside, want_outside_time);
    for (size_t q = 0; q < 4; q++)
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(emerging_bin_at(r, i, q)->count, cnt[q * n + i]);
    free(cnt);
    emerging_free(r);
    ck_assert_int_eq(emerging_compute(s, NULL, &pts, t, 2013 * 4 + 1, 2013 * 4, TZ, "", 0, &par, &r,
                                      NULL, 0, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(strncmp(err, "step", 4), 0);
    free(pts.x);
    free(pts.y);
    free(pts.idx);
    free(t);
    incset_free(s);
    store_close(st);
}
END_TEST

/* Other shapes, neighbourhoods and steps: squares with queen contiguity by month, hexagons with
 * a band by quarter, hexagons with contiguity by week, squares with a band by year; each cube's
 * counts and Gi* against brute force. The data span 2013-01-01 .. 2014-01-15 (local): the whole
 * weeks run from Monday 2013-01-07 to the week of Monday 2014-01-06, 53 of them. Also the
 * documented disclosure behaviour of the GeoJSON: a cell under min_count has its count and its
 * series' counts null, its pattern kept. */
START_TEST(test_emerging_shapes_steps)
{
    char err[512];
    store *st = make_store();
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    struct {
        hotspots_shape shape;
        int contiguity;
        double band; /* brute force's band */
        ts_unit u;
        int lag;
        int64_t s0;
        size_t T;
        int score;
    } cases[] = {
        {HOTSPOTS_SQUARE, 1, CELL * sqrt(2.0), TS_MONTH, 1, local_time(2013, 1, 1, 0, 0), 12, 0},
        {HOTSPOTS_HEX, 0, 900, TS_QUARTER, 1, local_time(2013, 1, 1, 0, 0), 4, 0},
        {HOTSPOTS_HEX, 1, CELL, TS_WEEK, 3, local_time(2013, 1, 7, 0, 0), 53, 0},
        {HOTSPOTS_SQUARE, 0, 1100, TS_YEAR, 1, local_time(2013, 1, 1, 0, 0), 1, 0},
        {HOTSPOTS_SQUARE, 0, BAND, TS_MONTH, 2, local_time(2013, 1, 1, 0, 0), 12, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        emerging_params par;
        set_params(&par);
        par.space.shape = cases[k].shape;
        par.space.contiguity = cases[k].contiguity;
        par.space.band = cases[k].contiguity ? 0 : cases[k].band;
        par.step = cases[k].u;
        par.time_lag = cases[k].lag;
        g_hex = cases[k].shape == HOTSPOTS_HEX;
        hz_filter f;
        filter_init(&f);
        /* the weights by severity: unknown (the default 1), fatal, serious, minor, none */
        const double sevw[HZ_SEV_COUNT] = {1, 20, 10, 3, 0.5};
        if (cases[k].score) {
            ck_assert_int_eq(filter_set(&f, "weight", "score", err, sizeof err), HZ_OK);
            ck_assert_int_eq(
                filter_set(&f, "weights", "fatal=20,serious=10,minor=3,none=0.5", err, sizeof err),
                HZ_OK);
        }
        emerging_result *r = NULL;
        ck_assert_msg(emerging_run(s, &f, &par, &r, NULL, 0, err, sizeof err) == HZ_OK,
                      "case %zu: %s", k, err);
        ck_assert_uint_eq(emerging_steps(r), cases[k].T);
        ck_assert_int_eq(emerging_step_start(r, 0), cases[k].s0);
        size_t n;
        const emerging_cell *c = emerging_cells(r, &n);
        brute_cube B;
        brute_count(s, c, n, INT64_MIN, INT64_MAX, cases[k].u, cases[k].s0, cases[k].T,
                    cases[k].score ? sevw : NULL, &B);
        check_cube(r, &B, cases[k].band, cases[k].lag);
        if (cases[k].u == TS_WEEK) {
            ck_assert_str_eq(emerging_step_label(r, 0), "2013-01-07");
            ck_assert_str_eq(emerging_step_label(r, 52), "2014-01-06");
            ck_assert_uint_gt(B.outside, 3); /* also 2013-01-01..06 and 2014-01-15 */
        }

        disc_policy pol = {.min_count = 5};
        json_t *j;
        ck_assert_msg(emerging_geojson(r, &pol, 1, &j, err, sizeof err) == HZ_OK, "%s", err);
        json_t *feats = json_object_get(j, "features");
        ck_assert_uint_eq(json_array_size(feats), n);
        size_t nhidden = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *pr = json_object_get(json_array_get(feats, i), "properties");
            ck_assert_str_eq(json_string_value(json_object_get(pr, "pattern")),
                             ehsa_pattern_name(c[i].pattern));
            json_t *cnt = json_object_get(json_object_get(pr, "series"), "count");
            ck_assert_uint_eq(json_array_size(cnt), cases[k].T);
            if (c[i].count < 5) {
                nhidden++;
                ck_assert(json_is_null(json_object_get(pr, "count")));
                for (size_t t = 0; t < cases[k].T; t++)
                    ck_assert(json_is_null(json_array_get(cnt, t)));
            } else {
                ck_assert_int_eq(json_integer_value(json_object_get(pr, "count")), c[i].count);
                /* each bin is an aggregate too (disclosure.h, rule 1) */
                for (size_t t = 0; t < cases[k].T; t++) {
                    long want = B.cnt[t * n + i];
                    json_t *v = json_array_get(cnt, t);
                    ck_assert_msg(want < 5 ? json_is_null(v) : json_integer_value(v) == want,
                                  "case %zu cell %zu step %zu: bin of %ld shown as %s", k, i, t,
                                  want, json_is_null(v) ? "null" : "a number");
                }
            }
            /* Gi* is linear in the counts: as in the hot spots, no z (or q) under a policy */
            ck_assert_ptr_null(json_object_get(json_object_get(pr, "series"), "z"));
            ck_assert_ptr_null(json_object_get(json_object_get(pr, "series"), "q"));
            ck_assert_ptr_nonnull(json_object_get(json_object_get(pr, "series"), "class"));
        }
        ck_assert_uint_gt(nhidden, 0);
        /* rule 3: no totals beside hidden cells */
        json_t *pv = json_object_get(j, "provenance");
        ck_assert(json_is_null(json_object_get(pv, "incidents")));
        ck_assert(json_is_null(json_object_get(pv, "incidents_outside")));
        json_decref(j);
        free(B.cnt);
        free(B.val);
        emerging_free(r);
    }
    g_hex = 0;
    incset_free(s);
    store_close(st);
}
END_TEST

Suite *emerging_suite(void)
{
    Suite *s = suite_create("emerging");
    TCase *tc = tcase_create("emerging");
    tcase_add_checked_fixture(tc, em_setup, em_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stgistar_brute);
    tcase_add_test(tc, test_timestep_brute);
    tcase_add_test(tc, test_emerging_end_to_end);
    tcase_add_test(tc, test_emerging_compute_tally);
    tcase_add_test(tc, test_emerging_shapes_steps);
    suite_add_tcase(s, tc);
    return s;
}
