/* check_release.c - the public statistical release.
 *
 * dpnoise: the exact samplers against the distributions they must follow (Bernoulli(exp(-g)),
 * discrete Laplace, and the discrete Gaussian's moments, tails and a chi-square fit against its
 * pmf, which the tests compute themselves by summing exp(-x^2 / 2 s2)); the quantile; the zCDP
 * accounting against values worked by hand; reproducible keyed streams; broken sources.
 *
 * release: every cell of a release of a small store against a brute-force reading of release.h
 * (the test's own counting and group table, the noise replayed from the same key in the stated
 * order, suppression after noise, totals as their own cells); neighbouring databases (one
 * incident less changes exactly its cell of each table, by one; over many seeds the released
 * values follow the shifted discrete Gaussian and the mean privacy loss is the stated rho); no
 * count in the metadata; the store round trip and immutability; `hazmap publish` end to end;
 * and the utility of the default budget on the bundled sample (rates within 10 %, smoothed map
 * r >= 0.9). */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "hazmap/density.h"
#include "hazmap/dpnoise.h"
#include "hazmap/hztime.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/release.h"
#include "hazmap/reltile.h"
#include "hazmap/tilemath.h"
#include "hazmap/workcrs.h"
#include "hazmap/store.h"
#include "hazmap/vocab.h"

/* ---------------------------------------------------------------- dpnoise */

static dpn_source *keyed(unsigned seed)
{
    unsigned char key[DPN_KEY_BYTES] = {0};
    for (int i = 0; i < 4; i++)
        key[i] = (unsigned char)(seed >> (8 * i));
    dpn_source *src = dpn_source_keyed(key);
    ck_assert_ptr_nonnull(src);
    return src;
}

/* The discrete Gaussian's pmf, computed here independently of dpnoise.c: p[x + m] for
 * |x| <= m, normalised over |x| <= 60 sigma + 10. */
static double *test_pmf(double s2, int m)
{
    int big = (int)(60 * sqrt(s2)) + 10;
    if (big < m) big = m;
    double z = 0;
    for (int x = -big; x <= big; x++)
        z += exp(-(double)x * x / (2 * s2));
    double *p = malloc((size_t)(2 * m + 1) * sizeof *p);
    for (int x = -m; x <= m; x++)
        p[x + m] = exp(-(double)x * x / (2 * s2)) / z;
    return p;
}

START_TEST(test_bernoulli_exp)
{
    dpn_source *src = keyed(1);
    const dpn_ratio g[] = {{0, 1}, {1, 3}, {1, 1}, {7, 3}, {5, 1}};
    enum { N = 100000 };
    for (size_t k = 0; k < sizeof g / sizeof *g; k++) {
        long ones = 0;
        for (int i = 0; i < N; i++) {
            int b;
            ck_assert_int_eq(dpn_bernoulli_exp(src, g[k], &b), HZ_OK);
            ones += b;
        }
        double p = exp(-(double)g[k].num / (double)g[k].den);
        double sd = sqrt(N * p * (1 - p));
        ck_assert_msg(fabs(ones - N * p) <= 5 * sd + 1e-9,
                      "gamma %llu/%llu: %ld ones, expected %.1f", (unsigned long long)g[k].num,
                      (unsigned long long)g[k].den, ones, N * p);
    }
    int b;
    ck_assert_int_eq(dpn_bernoulli_exp(src, (dpn_ratio){1, 0}, &b), HZ_EINVAL);
    dpn_source_free(src);
}
END_TEST

START_TEST(test_laplace)
{
    dpn_source *src = keyed(2);
    enum { N = 100000 };
    const uint64_t ts[] = {1, 3, 20};
    for (size_t k = 0; k < 3; k++) {
        double t = (double)ts[k], q = exp(-1 / t), sum = 0, sq = 0;
        double var = 2 * q / ((1 - q) * (1 - q)); /* of P[x] proportional to q^|x| */
        long zeros = 0;
        for (int i = 0; i < N; i++) {
            int64_t x;
            ck_assert_int_eq(dpn_laplace(src, ts[k], &x), HZ_OK);
            sum += (double)x;
            sq += (double)x * (double)x;
            zeros += x == 0;
        }
        double mean = sum / N, v = sq / N - mean * mean, p0 = (1 - q) / (1 + q);
        ck_assert_msg(fabs(mean) < 5 * sqrt(var / N), "t %g: mean %g", t, mean);
        ck_assert_msg(fabs(v / var - 1) < 0.05, "t %g: variance %g, expected %g", t, v, var);
        ck_assert_msg(fabs(zeros - N * p0) < 5 * sqrt(N * p0 * (1 - p0)), "t %g: %ld zeros", t,
                      zeros);
    }
    int64_t x;
    ck_assert_int_eq(dpn_laplace(src, 0, &x), HZ_EINVAL);
    ck_assert_int_eq(dpn_laplace(src, DPN_MAX_LAPLACE_T + 1, &x), HZ_EINVAL);
    dpn_source_free(src);
}
END_TEST

/* Mean, variance and tails of 10^5 draws against the exact pmf, for small, moderate, rational
 * and large variances. */
START_TEST(test_gaussian_moments)
{
    const dpn_ratio s2s[] = {{1, 3}, {4, 1}, {45, 2}, {9409, 4}};
    enum { N = 100000 };
    dpn_source *src = keyed(3);
    for (size_t k = 0; k < sizeof s2s / sizeof *s2s; k++) {
        double s2 = (double)s2s[k].num / (double)s2s[k].den;
        int m = (int)(60 * sqrt(s2)) + 10;
        double *p = test_pmf(s2, m), var = 0;
        for (int x = -m; x <= m; x++)
            var += (double)x * x * p[x + m];
        int q = (int)ceil(2 * sqrt(s2)); /* the tail P[|X| > q] */
        double tail = 0;
        for (int x = q + 1; x <= m; x++)
            tail += 2 * p[x + m];
        double sum = 0, sq = 0;
        long beyond = 0;
        for (int i = 0; i < N; i++) {
            int64_t x;
            ck_assert_int_eq(dpn_gaussian(src, s2s[k], &x), HZ_OK);
            sum += (double)x;
            sq += (double)x * (double)x;
            beyond += x > q || x < -q;
        }
        double mean = sum / N, v = sq / N - mean * mean;
        ck_assert_msg(fabs(mean) < 5 * sqrt(var / N), "s2 %g: mean %g", s2, mean);
        ck_assert_msg(fabs(v - var) < 5 * var * sqrt(2.0 / N), "s2 %g: variance %g, exact %g", s2,
                      v, var);
        ck_assert_msg(fabs(beyond - N * tail) < 5 * sqrt(N * tail * (1 - tail)) + 1,
                      "s2 %g: %ld beyond %d, expected %.1f", s2, beyond, q, N * tail);
        ck_assert_msg(fabs(dpn_variance(s2s[k]) - var) < 1e-9 * (var + 1), "dpn_variance %g",
                      dpn_variance(s2s[k]));
        free(p);
    }
    dpn_source_free(src);
}
END_TEST

/* Pearson's chi-square of 10^5 draws of N_Z(0, 4) over the bins -6..6 and the two pooled tails
 * (15 bins, 14 degrees of freedom): below 36.12, the 0.999 quantile of chi-square(14). The key
 * is fixed, so the outcome is reproducible; a sampler off by a few percent in one bin fails. */
START_TEST(test_gaussian_chisq)
{
    enum { N = 100000, M = 6 };
    double *p = test_pmf(4.0, 80);
    double expect[2 * M + 3] = {0};
    for (int x = -80; x <= 80; x++) {
        int bin = x < -M ? 0 : x > M ? 2 * M + 2 : x + M + 1;
        expect[bin] += N * p[x + 80];
    }
    long seen[2 * M + 3] = {0};
    dpn_source *src = keyed(4);
    for (int i = 0; i < N; i++) {
        int64_t x;
        ck_assert_int_eq(dpn_gaussian(src, (dpn_ratio){4, 1}, &x), HZ_OK);
        seen[x < -M ? 0 : x > M ? 2 * M + 2 : x + M + 1]++;
    }
    double chi2 = 0;
    for (int b = 0; b < 2 * M + 3; b++) {
        ck_assert(expect[b] >= 5);
        chi2 += (seen[b] - expect[b]) * (seen[b] - expect[b]) / expect[b];
    }
    ck_assert_msg(chi2 < 36.12, "chi-square %.2f with 14 degrees of freedom", chi2);
    /* The continuous normal's probabilities are a different distribution at sigma 2: the same
     * statistic against them must be far larger, or the test could not tell them apart. */
    double chi2_normal = 0;
    for (int b = 1; b <= 2 * M + 1; b++) {
        double x = b - M - 1;
        double e =
            N * (0.5 * erfc(-(x + 0.5) / (2 * sqrt(2))) - 0.5 * erfc(-(x - 0.5) / (2 * sqrt(2))));
        chi2_normal += (seen[b] - e) * (seen[b] - e) / e;
    }
    ck_assert_msg(chi2_normal > chi2, "normal %.2f, discrete %.2f", chi2_normal, chi2);
    free(p);
    dpn_source_free(src);
}
END_TEST

START_TEST(test_pmf_and_quantile)
{
    const dpn_ratio s2s[] = {{1, 4}, {4, 1}, {25, 1}, {24614, 1000}, {10000, 1}};
    for (size_t k = 0; k < sizeof s2s / sizeof *s2s; k++) {
        double s2 = (double)s2s[k].num / (double)s2s[k].den;
        int m = (int)(45 * sqrt(s2)) + 3;
        double *p = test_pmf(s2, m), total = 0, cdf = 0;
        for (int x = -m; x <= m; x++) {
            ck_assert_msg(fabs(dpn_pmf(s2s[k], x) - p[x + m]) <= 1e-12 * p[x + m] + 1e-300,
                          "s2 %g x %d", s2, x);
            total += dpn_pmf(s2s[k], x);
        }
        ck_assert(fabs(total - 1) < 1e-12);
        int q = -1;
        for (int x = -m; x <= m && q < 0; x++) {
            cdf += p[x + m];
            if (cdf >= 0.975) q = x;
        }
        ck_assert_int_eq(dpn_quantile(s2s[k], 0.975), q);
        ck_assert_int_eq(dpn_quantile(s2s[k], 0.5), 0);
        free(p);
    }
    /* sigma 5: the 95 % interval is +/- 10 (the continuous 1.96 sigma = 9.8, rounded up) */
    ck_assert_int_eq(dpn_quantile((dpn_ratio){25, 1}, 0.975), 10);
    ck_assert_int_eq(dpn_quantile((dpn_ratio){25, 1}, 1.0), -1);
    ck_assert_int_eq(dpn_quantile((dpn_ratio){0, 1}, 0.975), -1);
    ck_assert(isnan(dpn_pmf((dpn_ratio){1, 0}, 0)));
}
END_TEST

/* Values worked by hand (and with a calculator): ln(1e6) = 13.815510557964274. */
START_TEST(test_accounting)
{
    ck_assert_double_eq_tol(dpn_rho((dpn_ratio){9, 4}), 4.0 / 18.0, 1e-15);
    ck_assert_double_eq_tol(dpn_rho((dpn_ratio){1, 2}), 1.0, 1e-15);
    /* rho 0.5, delta 1e-6: 0.5 + 2 sqrt(0.5 * 13.8155...) = 0.5 + 2 * 2.6282608848 */
    ck_assert_double_eq_tol(dpn_epsilon(0.5, 1e-6), 5.756521769756932, 1e-12);
    /* epsilon 4, delta 1e-6: rho = (sqrt(17.8155) - sqrt(13.8155))^2 = 0.2539355783 */
    ck_assert_double_eq_tol(dpn_rho_for(4, 1e-6), 0.2539355782894972, 1e-12);
    for (double e = 0.1; e < 30; e *= 1.7)
        ck_assert_double_eq_tol(dpn_epsilon(dpn_rho_for(e, 1e-9), 1e-9), e, 1e-10 * e);
    /* the split: equal weights give s2 = 1/(2 * rho/2) = 3.93800666..., rounded up to
     * 4033/1024 = 3.9384765625; weights 2:1:1 give 4033/1024 and twice 8066/1024 */
    dpn_ratio s2[3];
    ck_assert_int_eq(dpn_split(4, 1e-6, 2, (double[]){1, 1}, s2, NULL, 0), HZ_OK);
    ck_assert(s2[0].num == 4033 && s2[0].den == 1024 && s2[1].num == 4033);
    ck_assert_int_eq(dpn_split(4, 1e-6, 3, (double[]){2, 1, 1}, s2, NULL, 0), HZ_OK);
    ck_assert(s2[0].num == 4033 && s2[1].num == 8066 && s2[2].num == 8066 && s2[2].den == 1024);
    double rho = dpn_rho(s2[0]) + dpn_rho(s2[1]) + dpn_rho(s2[2]);
    ck_assert(rho <= dpn_rho_for(4, 1e-6));
    ck_assert(rho > 0.999 * dpn_rho_for(4, 1e-6)); /* rounding to 1/1024 costs < 0.1 % */
    /* refusals */
    ck_assert_int_eq(dpn_split(0, 1e-6, 1, (double[]){1}, s2, NULL, 0), HZ_EINVAL);
    ck_assert_int_eq(dpn_split(1, 0, 1, (double[]){1}, s2, NULL, 0), HZ_EINVAL);
    ck_assert_int_eq(dpn_split(1, 1e-6, 1, (double[]){0}, s2, NULL, 0), HZ_EINVAL);
    ck_assert_int_eq(dpn_split(1e-9, 1e-6, 1, (double[]){1}, s2, NULL, 0), HZ_EINVAL);
    ck_assert(!dpn_ratio_valid((dpn_ratio){DPN_MAX_S2 + 1, 1}));
    ck_assert(dpn_ratio_valid((dpn_ratio){DPN_MAX_S2, 1}));
}
END_TEST

static int stuck_bytes(void *ud, unsigned char *buf, size_t n)
{
    (void)ud;
    memset(buf, 0xff, n);
    return 0;
}

static int failing_bytes(void *ud, unsigned char *buf, size_t n)
{
    (void)ud;
    (void)buf;
    (void)n;
    return -1;
}

START_TEST(test_sources)
{
    /* a key reproduces its stream; another key gives another */
    dpn_source *a = keyed(7), *b = keyed(7), *c = keyed(8), *sys = dpn_source_system();
    ck_assert_ptr_nonnull(sys);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t x, y, z, w;
        ck_assert_int_eq(dpn_gaussian(a, (dpn_ratio){10, 1}, &x), HZ_OK);
        ck_assert_int_eq(dpn_gaussian(b, (dpn_ratio){10, 1}, &y), HZ_OK);
        ck_assert_int_eq(dpn_gaussian(c, (dpn_ratio){10, 1}, &z), HZ_OK);
        ck_assert_int_eq(dpn_gaussian(sys, (dpn_ratio){10, 1}, &w), HZ_OK);
        same &= x == y;
        differ |= x != z;
    }
    ck_assert(same && differ);
    ck_assert_uint_eq(dpn_source_bytes(a), dpn_source_bytes(b));
    dpn_source_free(a);
    dpn_source_free(b);
    dpn_source_free(c);
    dpn_source_free(sys);
    dpn_source_free(NULL);
    /* a stuck source is reported, never turned into an approximate sample */
    dpn_source *st = dpn_source_new(stuck_bytes, NULL), *fl = dpn_source_new(failing_bytes, NULL);
    ck_assert(st && fl);
    int64_t x;
    ck_assert_int_eq(dpn_gaussian(st, (dpn_ratio){4, 1}, &x), HZ_ELIMIT);
    ck_assert_int_eq(dpn_gaussian(fl, (dpn_ratio){4, 1}, &x), HZ_EIO);
    ck_assert_int_eq(dpn_gaussian(fl, (dpn_ratio){0, 1}, &x), HZ_EINVAL);
    dpn_source_free(st);
    dpn_source_free(fl);
}
END_TEST

Suite *dpnoise_suite(void)
{
    Suite *s = suite_create("dpnoise");
    TCase *tc = tcase_create("dpnoise");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bernoulli_exp);
    tcase_add_test(tc, test_laplace);
    tcase_add_test(tc, test_gaussian_moments);
    tcase_add_test(tc, test_gaussian_chisq);
    tcase_add_test(tc, test_pmf_and_quantile);
    tcase_add_test(tc, test_accounting);
    tcase_add_test(tc, test_sources);
    suite_add_tcase(s, tc);
    return s;
}

/* ---------------------------------------------------------------- release */

/* A small district (0.01 x 0.009 degrees, about 1 km square) split into sub-districts A (west)
 * and B (east), with community A1 inside A. */
#define LON0 104.060
#define LAT0 30.650

static void put_area(store *st, const char *code, const char *name, const char *level,
                     const char *parent, int64_t pop, double x0, double y0, double x1, double y1)
{
    unsigned char wkb[100];
    size_t n = tu_square_wkb(wkb, x0, y0, x1, y1);
    hz_area_rec a = {.code = code,
                     .name = name,
                     .level = level,
                     .parent_code = parent,
                     .population = pop,
                     .wkb = wkb,
                     .wkb_len = n};
    char err[256];
    ck_assert_msg(store_area_put(st, &a, err, sizeof err) == HZ_OK, "%s", err);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 20;
}

/* A mechanism and intent drawn in the model before issue 11 (traffic 1, fall 2, fire_burn 3,
 * violence 4, self_harm 5, poisoning 6, drowning 7, crush 8, cut_pierce 9, animal 10, electric 11,
 * other 12; intents unintentional 1, assault 2, self_harm 3, undetermined 4) in today's model,
 * keeping the release group the old rows fell in (self_harm first, then violence). */
static void old_model(int *mech, int *intent)
{
    static const int m[13] = {0,
                              HZ_MECH_MVT_OTHER,
                              HZ_MECH_FALL,
                              HZ_MECH_FIRE_FLAME,
                              HZ_MECH_UNSPECIFIED,
                              HZ_MECH_UNSPECIFIED,
                              HZ_MECH_POISONING,
                              HZ_MECH_DROWNING,
                              HZ_MECH_STRUCK,
                              HZ_MECH_CUT_PIERCE,
                              HZ_MECH_BITES_STINGS,
                              HZ_MECH_ELECTRIC,
                              HZ_MECH_OTHER};
    int old = *mech;
    *mech = m[old];
    if (*intent == HZ_INTENT_SELF_HARM || old == 5)
        *intent = HZ_INTENT_SELF_HARM;
    else if (*intent == HZ_INTENT_ASSAULT || old == 4)
        *intent = HZ_INTENT_ASSAULT;
}

static void put_incident(store *st, int id, const char *area, int64_t t, int mech, int intent,
                         int place, int sev, int age, int sex, double lon, double lat)
{
    char sid[16], err[256];
    snprintf(sid, sizeof sid, "%d", id);
    hz_incident_rec r = {.source = "t",
                         .source_id = sid,
                         .t = t,
                         .mechanism = mech,
                         .intent = intent,
                         .place = place,
                         .severity = sev,
                         .sex = sex,
                         .victims = 1,
                         .age = age,
                         .disability = -1,
                         .area_code = area,
                         .lon = lon,
                         .lat = lat};
    store_put_outcome o;
    ck_assert_msg(store_incident_put(st, &r, &o, err, sizeof err) == HZ_OK, "%s", err);
}

/* Noon of 2013-month-day in +08:00. */
static int64_t noon(int month, int day)
{
    return hztime_days_from_civil(2013, month, day) * 86400 + 4 * 3600;
}

/* Creates the test store at path: variant 0 (640 generated incidents), 1 (333, other counts) or
 * 2 (two, in January and December), all with the same areas and span of quarters, leaving out
 * generated incident `skip` (-1: none), plus an undated incident, one outside every area and one in
 * the district outside its sub-districts. One transaction: data version 1 whatever the variant. */
static void make_store(const char *path, int variant, int skip)
{
    char err[512];
    tu_remove_db(path);
    store *st = store_open(path, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert(store_begin(st, err, sizeof err) == HZ_OK);
    put_area(st, "510104", "District", "district", NULL, 10000, LON0, LAT0, LON0 + 0.01,
             LAT0 + 0.009);
    put_area(st, "510104001", "A", "subdistrict", "510104", 4000, LON0, LAT0, LON0 + 0.005,
             LAT0 + 0.009);
    put_area(st, "510104002", "B", "subdistrict", "510104", 6000, LON0 + 0.005, LAT0, LON0 + 0.01,
             LAT0 + 0.009);
    put_area(st, "510104001001", "A1", "community", "510104001", 1000, LON0, LAT0, LON0 + 0.0025,
             LAT0 + 0.0045);
    uint64_t seed = 1000 + (uint64_t)variant;
    int n = variant == 0 ? 640 : variant == 1 ? 333 : 2;
    for (int k = 0; k < n; k++) {
        uint64_t r = lcg(&seed);
        if (k == skip) continue;
        int which = k % 10; /* 0-3 A, 4-8 B, 9 A1 */
        const char *area = which < 4 ? "510104001" : which < 9 ? "510104002" : "510104001001";
        double lon = which < 4   ? LON0 + 0.0005 + 0.004 * (double)(r % 1000) / 1000
                     : which < 9 ? LON0 + 0.0055 + 0.004 * (double)(r % 1000) / 1000
                                 : LON0 + 0.0005 + 0.0015 * (double)(r % 1000) / 1000;
        double lat =
            LAT0 + 0.0005 + (which < 9 ? 0.008 : 0.0035) * (double)(r / 1000 % 1000) / 1000;
        /* skewed so that some cells are large: traffic and fall dominate in B. The draws are
         * those of the model before issue 11 (13 mechanisms, 5 intents), read as the schema
         * migration reads them (old_model()), so that the fixture's points and groups stay the
         * ones its tolerances were set on. */
        int mech = which >= 4 && which < 9 && (r >> 30) % 3 ? 1 + (int)((r >> 32) % 2)
                                                            : (int)((r >> 3) % 13);
        int intent = (int)((r >> 7) % 5);
        old_model(&mech, &intent);
        int age = (int)((r >> 18) % 100) - 5;
        int month = variant == 2 ? (k ? 12 : 1) : 1 + k % 12;
        put_incident(st, k, area, noon(month, 1 + (int)(r % 28)), mech, intent,
                     (int)((r >> 10) % HZ_PLACE_COUNT), (int)((r >> 13) % HZ_SEV_COUNT),
                     age < 0 ? -1 : age, (int)((r >> 16) % HZ_SEX_COUNT), lon, lat);
    }
    put_incident(st, 10001, "510104001", INT64_MIN, 1, 1, 1, 1, 30, 1, LON0 + 0.001, LAT0 + 0.001);
    put_incident(st, 10002, NULL, noon(6, 1), 2, 1, 1, 3, 70, 2, LON0 + 0.03, LAT0 + 0.001);
    put_incident(st, 10003, "510104", noon(7, 1), 1, 1, 5, 3, 40, 1, LON0 + 0.007, LAT0 + 0.002);
    ck_assert(store_commit(st, err, sizeof err) == HZ_OK);
    store_close(st);
}

static incset *load(const char *path)
{
    char err[512];
    store *st = store_open(path, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(st);
    return s;
}

static rel_release *build(const incset *s, unsigned seed, double eps, int min_count)
{
    rel_options o;
    rel_options_init(&o);
    o.epsilon = eps;
    o.disclosure = disc_public(min_count, 300);
    o.created = 1700000000;
    o.noise_source = "test key";
    dpn_source *src = keyed(seed);
    rel_release *r = NULL;
    char err[512];
    ck_assert_msg(rel_build(s, &o, src, &r, err, sizeof err) == HZ_OK, "%s", err);
    dpn_source_free(src);
    return r;
}

/* ---- the test's own reading of release.h: where an incident counts ---- */

static int test_injury(const hz_incident *i)
{
    if (i->intent == HZ_INTENT_SELF_HARM) return 0;
    if (i->intent == HZ_INTENT_ASSAULT) return 1;
    switch (i->mechanism) {
    case HZ_MECH_MVT_OCCUPANT:
    case HZ_MECH_MVT_MOTORCYCLIST:
    case HZ_MECH_MVT_PEDAL_CYCLIST:
    case HZ_MECH_MVT_PEDESTRIAN:
    case HZ_MECH_MVT_OTHER:
        return 2;
    case HZ_MECH_FALL:
        return 3;
    case HZ_MECH_FIRE_FLAME:
    case HZ_MECH_HOT_SUBSTANCE:
        return 4;
    default:
        return 5;
    }
}

static int test_place(const hz_incident *i)
{
    static const int g[HZ_PLACE_COUNT] = {
        [HZ_PLACE_HOME] = 0, [HZ_PLACE_SCHOOL] = 1, [HZ_PLACE_WORKPLACE] = 2, [HZ_PLACE_PUBLIC] = 3,
        [HZ_PLACE_ROAD] = 4, [HZ_PLACE_OTHER] = 5,  [HZ_PLACE_UNKNOWN] = 5};
    return g[i->place];
}

/* The coordinate of incident i along a named dimension of the test store's releases; -1 none. */
static long test_coord(const incset *s, const json_t *meta, const char *dim, const hz_incident *i)
{
    const char *code = i->area >= 0 ? incset_areas(s)[i->area].code : "";
    int month = -1;
    if (i->t != INT64_MIN) {
        int y, m, d;
        hztime_civil_from_days((i->t + 8 * 3600) / 86400, &y, &m, &d);
        month = y == 2013 ? m - 1 : -1;
    }
    if (strcmp(dim, "district") == 0) return strncmp(code, "510104", 6) == 0 ? 0 : 1;
    if (strcmp(dim, "subdistrict") == 0)
        return strncmp(code, "510104001", 9) == 0 ? 0 : strncmp(code, "510104002", 9) == 0 ? 1 : 2;
    if (strcmp(dim, "year") == 0) return month >= 0 ? 0 : -1;
    if (strcmp(dim, "period") == 0) return month >= 0 ? month / 3 : -1;
    if (strcmp(dim, "month") == 0) return month;
    if (strcmp(dim, "injury_group") == 0) return test_injury(i);
    if (strcmp(dim, "place_group") == 0) return test_place(i);
    if (strcmp(dim, "severity_group") == 0)
        return i->severity == HZ_SEV_FATAL || i->severity == HZ_SEV_SERIOUS ? 0
               : i->severity == HZ_SEV_MINOR                                ? 1
                                                                            : 2;
    if (strcmp(dim, "age_band") == 0)
        return i->age < 0     ? 5
               : i->age <= 14 ? 0
               : i->age <= 24 ? 1
               : i->age <= 44 ? 2
               : i->age <= 64 ? 3
                              : 4;
    if (strcmp(dim, "sex") == 0) return i->sex == HZ_SEX_MALE ? 0 : i->sex == HZ_SEX_FEMALE ? 1 : 2;
    if (strcmp(dim, "cell") == 0) {
        const json_t *c = json_object_get(json_object_get(meta, "dimensions"), "cell");
        double size = json_number_value(json_object_get(c, "size"));
        double fi = floor((i->x - json_number_value(json_object_get(c, "x0"))) / size);
        double fj = floor((json_number_value(json_object_get(c, "y1")) - i->y) / size);
        long nx = (long)json_integer_value(json_object_get(c, "nx"));
        long ny = (long)json_integer_value(json_object_get(c, "ny"));
        return fi >= 0 && fi < nx && fj >= 0 && fj < ny ? (long)fj * nx + (long)fi : -1;
    }
    ck_abort_msg("unknown dimension %s", dim);
    return -1;
}

/* The true count of every cell of table t, by brute force over the snapshot. */
static int64_t *true_counts(const incset *s, const rel_release *r, const rel_table *t)
{
    int64_t *c = calloc(rel_table_cells(t) + 1, sizeof *c);
    for (size_t k = 0; k < incset_count(s); k++) {
        size_t idx[4];
        int in = 1;
        for (size_t d = 0; d < rel_table_ndims(t) && in; d++) {
            long v = test_coord(s, rel_metadata(r), rel_table_dim(t, d), &incset_items(s)[k]);
            in = v >= 0;
            idx[d] = (size_t)v;
        }
        if (in) c[rel_table_index(t, idx)]++;
    }
    return c;
}

static int is_grid(const rel_release *r, size_t k)
{
    return json_is_true(json_object_get(
        json_array_get(json_object_get(rel_metadata(r), "tables"), k), "density_grid"));
}

static char dbpath[96], dbpath2[96];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-release-%d.sqlite", (int)getpid());
    snprintf(dbpath2, sizeof dbpath2, "/tmp/hazmap-release2-%d.sqlite", (int)getpid());
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
    tu_remove_db(dbpath2);
}

/* Every cell equals its true count plus the noise drawn for it from the same key in the stated
 * order; count cells under min_count after noise are withheld, grid cells never; totals are their
 * own cells. */
START_TEST(test_cells_exact)
{
    make_store(dbpath, 0, -1);
    incset *s = load(dbpath);
    enum { MINC = 10 };
    rel_release *r = build(s, 11, REL_DEFAULT_EPSILON, MINC);
    ck_assert_uint_eq(rel_table_count(r), 10);
    dpn_source *replay = keyed(11);
    int withheld_true_big = 0, released_true_small = 0, negative_grid = 0;
    for (size_t k = 0; k < rel_table_count(r); k++) {
        const rel_table *t = rel_table_at(r, k);
        int64_t *truth = true_counts(s, r, t);
        for (size_t c = 0; c < rel_table_cells(t); c++) {
            int64_t z;
            ck_assert_int_eq(dpn_gaussian(replay, rel_table_s2(t), &z), HZ_OK);
            int64_t want = truth[c] + z;
            rel_value v;
            int shown = rel_table_cell(t, c, &v);
            if (!is_grid(r, k) && want < MINC) {
                ck_assert_msg(!shown, "%s cell %zu: %lld shown", rel_table_name(t), c,
                              (long long)want);
                withheld_true_big += truth[c] >= MINC;
                continue;
            }
            ck_assert_msg(shown && v.value == want, "%s cell %zu: want %lld", rel_table_name(t), c,
                          (long long)want);
            ck_assert_int_eq(v.hi, want + rel_table_half95(t));
            ck_assert_int_eq(v.lo, want - rel_table_half95(t) > 0 ? want - rel_table_half95(t) : 0);
            released_true_small += truth[c] < MINC && !is_grid(r, k);
            negative_grid += want < 0;
        }
        ck_assert_int_eq(rel_table_half95(t), dpn_quantile(rel_table_s2(t), 0.975));
        free(truth);
    }
    /* suppression is decided after noise, both ways */
    ck_assert_msg(withheld_true_big > 0 && released_true_small > 0, "%d %d", withheld_true_big,
                  released_true_small);
    ck_assert(negative_grid > 0);
    /* totals: the district's cell is released although sub-district cells are withheld (no
     * complementary suppression is needed: it is its own noisy cell, not a sum) */
    const rel_table *dy = rel_table_find(r, "district_year"),
                    *sy = rel_table_find(r, "subdistrict_year");
    rel_value v, a, b;
    ck_assert(rel_table_cell(dy, rel_table_index(dy, (size_t[]){0, 0}), &v));
    ck_assert(rel_table_cell(sy, rel_table_index(sy, (size_t[]){0, 0}), &a));
    ck_assert(rel_table_cell(sy, rel_table_index(sy, (size_t[]){1, 0}), &b));
    ck_assert(!rel_table_cell(sy, rel_table_index(sy, (size_t[]){2, 0}), &v) ||
              v.value >= MINC); /* the "outside" row: 1 true incident */
    ck_assert(rel_table_cell(dy, rel_table_index(dy, (size_t[]){0, 0}), &v));
    ck_assert_int_ne(v.value, a.value + b.value);
    /* the budget adds up */
    const json_t *p = json_object_get(rel_metadata(r), "privacy");
    double rho = 0;
    for (size_t k = 0; k < rel_table_count(r); k++)
        rho += dpn_rho(rel_table_s2(rel_table_at(r, k)));
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "rho")), rho, 1e-12);
    ck_assert(rho <= dpn_rho_for(REL_DEFAULT_EPSILON, REL_DEFAULT_DELTA));
    ck_assert(json_number_value(json_object_get(p, "epsilon")) <= REL_DEFAULT_EPSILON);
    dpn_source_free(replay);
    rel_free(r);
    incset_free(s);
}
END_TEST

/* The index of the one cell of table t that incident i falls in. */
static size_t cell_of(const incset *s, const rel_release *r, const rel_table *t,
                      const hz_incident *i)
{
    size_t idx[4];
    for (size_t d = 0; d < rel_table_ndims(t); d++) {
        long v = test_coord(s, rel_metadata(r), rel_table_dim(t, d), i);
        ck_assert(v >= 0);
        idx[d] = (size_t)v;
    }
    return rel_table_index(t, idx);
}

/* D and D minus incident 5: with the same key, the releases differ in exactly that incident's cell
 * of each table, by one. Over many keys, the value of that cell follows count + N_Z(0, s2_t) in D
 * and count - 1 + N_Z(0, s2_t) in D' (mean difference 1, variance 2 Var), and the privacy loss
 * ln(P_D[x] / P_D'[x]) of the released values averages the stated rho (the mean privacy loss of
 * a rho-zCDP Gaussian release is rho), its empirical KL estimate from the two histograms of one
 * table too. */
START_TEST(test_neighbouring)
{
    enum { SKIP = 5, N = 800 };
    make_store(dbpath, 0, -1);
    make_store(dbpath2, 0, SKIP);
    incset *d = load(dbpath), *d2 = load(dbpath2);
    ck_assert_uint_eq(incset_count(d), incset_count(d2) + 1);
    const hz_incident *gone = NULL;
    for (size_t k = 0; k < incset_count(d); k++) /* the store's id order: source_id "5" is 6th */
        if (k == SKIP) gone = &incset_items(d)[k];
    /* same key: one cell per table, by one (nothing withheld at min_count 0) */
    rel_release *r = build(d, 21, REL_DEFAULT_EPSILON, 0),
                *r2 = build(d2, 21, REL_DEFAULT_EPSILON, 0);
    size_t ntab = rel_table_count(r), where[16];
    for (size_t k = 0; k < ntab; k++) {
        const rel_table *t = rel_table_at(r, k), *t2 = rel_table_at(r2, k);
        ck_assert_uint_eq(rel_table_cells(t), rel_table_cells(t2));
        where[k] = cell_of(d, r, t, gone);
        size_t ndiff = 0;
        for (size_t c = 0; c < rel_table_cells(t); c++) {
            rel_value v, v2;
            ck_assert(rel_table_cell(t, c, &v) && rel_table_cell(t2, c, &v2));
            if (v.value == v2.value) continue;
            ndiff++;
            ck_assert_msg(c == where[k], "%s: cell %zu differs by %lld, expected cell %zu",
                          rel_table_name(t), c, (long long)(v.value - v2.value), where[k]);
            ck_assert_int_eq(v.value - v2.value, 1);
        }
        ck_assert_msg(ndiff == 1, "%s: %zu cells differ", rel_table_name(t), ndiff);
    }
    rel_free(r2);
    /* many keys; a larger budget (epsilon 20) so that the loss is measured precisely */
    double rho = 0, s2[16], var[16], sumd[16] = {0}, sqd[16] = {0}, loss = 0, loss2 = 0;
    int64_t truth[16];
    rel_free(r);
    r = build(d, 1, 20, 0);
    for (size_t k = 0; k < ntab; k++) {
        const rel_table *t = rel_table_at(r, k);
        int64_t *tc = true_counts(d, r, t);
        truth[k] = tc[where[k]];
        free(tc);
        s2[k] = dpn_sigma2(rel_table_s2(t));
        var[k] = dpn_variance(rel_table_s2(t));
        rho += 1 / (2 * s2[k]);
    }
    rel_free(r);
    enum { H = 41 };
    long hist[H] = {0}, hist2[H] = {0};
    const size_t KT = 8; /* grid_year_injury: the largest share, the smallest sigma */
    for (unsigned i = 0; i < N; i++) {
        r = build(d, 100 + i, 20, 0);
        r2 = build(d2, 100 + N + i, 20, 0);
        double l = 0;
        for (size_t k = 0; k < ntab; k++) {
            rel_value v, v2;
            ck_assert(rel_table_cell(rel_table_at(r, k), where[k], &v));
            ck_assert(rel_table_cell(rel_table_at(r2, k), where[k], &v2));
            double z = (double)(v.value - truth[k]);
            l += (2 * z + 1) / (2 * s2[k]); /* ln of exp(-z^2/2s2) / exp(-(z+1)^2/2s2) */
            sumd[k] += (double)(v.value - v2.value);
            sqd[k] += (double)(v.value - v2.value) * (double)(v.value - v2.value);
            if (k == KT) {
                long b = (long)(v.value - truth[k]) + H / 2,
                     b2 = (long)(v2.value - truth[k]) + H / 2;
                ck_assert(b >= 0 && b < H && b2 >= 0 && b2 < H);
                hist[b]++;
                hist2[b2]++;
            }
        }
        loss += l;
        loss2 += l * l;
        rel_free(r);
        rel_free(r2);
    }
    for (size_t k = 0; k < ntab; k++) {
        double mean = sumd[k] / N, v = sqd[k] / N - mean * mean;
        ck_assert_msg(fabs(mean - 1) < 5 * sqrt(2 * var[k] / N), "table %zu: mean difference %g", k,
                      mean);
        ck_assert_msg(fabs(v / (2 * var[k]) - 1) < 0.3, "table %zu: variance %g, expected %g", k, v,
                      2 * var[k]);
    }
    double lm = loss / N, lv = loss2 / N - lm * lm, lv_want = 0;
    for (size_t k = 0; k < ntab; k++)
        lv_want += var[k] / (s2[k] * s2[k]);
    ck_assert_msg(fabs(lm - rho) < 5 * sqrt(lv_want / N), "mean privacy loss %g, rho %g", lm, rho);
    ck_assert_msg(fabs(lv / lv_want - 1) < 0.3, "privacy loss variance %g, expected %g", lv,
                  lv_want);
    /* the empirical KL divergence of the two histograms of one cell, against its table's rho */
    double kl = 0;
    for (int b = 0; b < H; b++)
        if (hist[b] > 0 && hist2[b] > 0)
            kl += (double)hist[b] / N * log((double)hist[b] / (double)hist2[b]);
    ck_assert_msg(fabs(kl - 1 / (2 * s2[KT])) < 0.25 / (2 * s2[KT]) + 0.05,
                  "empirical KL %g, table rho %g", kl, 1 / (2 * s2[KT]));
    incset_free(d);
    incset_free(d2);
}
END_TEST

/* Every number in a JSON value, into out (up to max). */
static size_t json_numbers(const json_t *j, double *out, size_t n, size_t max)
{
    if (json_is_number(j)) {
        if (n < max) out[n++] = json_number_value(j);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) n = json_numbers(v, out, n, max);
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            n = json_numbers(json_array_get(j, i), out, n, max);
    } else if (json_is_string(j)) { /* numbers written inside text ("4033/1024") count too */
        const char *s = json_string_value(j);
        while (*s && n < max) {
            if ((*s >= '0' && *s <= '9') &&
                (s == json_string_value(j) || !(s[-1] >= '0' && s[-1] <= '9'))) {
                out[n++] = strtod(s, NULL);
            }
            s++;
        }
    }
    return n;
}

static int holds_count(const double *nums, size_t n, int64_t count)
{
    for (size_t i = 0; i < n; i++)
        if (nums[i] == (double)count) return 1;
    return 0;
}

/* The metadata holds no count. (1) It is the same for three databases with the same areas and
 * period but other counts (640, 333 and 2 incidents): no function of the counts is in it. (2) No
 * number in it, written as a number or inside a text, equals a true count (12 or more: smaller
 * numbers are shapes and labels) of any cell of D's count tables, or D's number of incidents,
 * unless the metadata of the two-incident database, which cannot know D's counts, holds that
 * number too (the age band "25-44", the year 2013...). The scan is shown to find a count that is
 * there (positive control) and to have checked many counts. */
START_TEST(test_metadata_no_counts)
{
    make_store(dbpath, 0, -1);
    make_store(dbpath2, 1, -1);
    incset *d = load(dbpath), *d2 = load(dbpath2);
    rel_release *r = build(d, 31, REL_DEFAULT_EPSILON, 10),
                *r2 = build(d2, 32, REL_DEFAULT_EPSILON, 10);
    make_store(dbpath2, 2, -1);
    incset *d3 = load(dbpath2);
    rel_release *r3 = build(d3, 33, REL_DEFAULT_EPSILON, 10);
    char *m1 = json_dumps(rel_metadata(r), JSON_SORT_KEYS),
         *m2 = json_dumps(rel_metadata(r2), JSON_SORT_KEYS);
    char *m3 = json_dumps(rel_metadata(r3), JSON_SORT_KEYS);
    ck_assert_str_eq(m1, m2);
    ck_assert_str_eq(m1, m3);
    free(m1);
    free(m2);
    free(m3);
    enum { MAXN = 20000 };
    double *nums = malloc(MAXN * sizeof *nums), *tiny = malloc(MAXN * sizeof *tiny);
    size_t n = json_numbers(rel_metadata(r), nums, 0, MAXN);
    size_t ntiny = json_numbers(rel_metadata(r3), tiny, 0, MAXN);
    ck_assert(n > 50 && n < MAXN);
    int64_t counts_checked = 0;
    for (size_t k = 0; k < rel_table_count(r); k++) {
        if (is_grid(r, k)) continue;
        const rel_table *t = rel_table_at(r, k);
        int64_t *tc = true_counts(d, r, t);
        for (size_t c = 0; c < rel_table_cells(t); c++) {
            if (tc[c] < 12 || holds_count(tiny, ntiny, tc[c])) continue;
            ck_assert_msg(!holds_count(nums, n, tc[c]),
                          "%s cell %zu: its count %lld is in the metadata", rel_table_name(t), c,
                          (long long)tc[c]);
            counts_checked++;
        }
        free(tc);
    }
    ck_assert(counts_checked > 20);
    ck_assert(!holds_count(nums, n, (int64_t)incset_count(d)));
    /* positive control: a count put into the metadata is found */
    json_t *copy = json_deep_copy(rel_metadata(r));
    json_object_set_new(copy, "leak", json_sprintf("%zu incidents", incset_count(d)));
    n = json_numbers(copy, nums, 0, MAXN);
    ck_assert(holds_count(nums, n, (int64_t)incset_count(d)));
    json_decref(copy);
    /* and no incident time: the period is stated in whole quarters only */
    const json_t *per = json_object_get(rel_metadata(r), "period");
    ck_assert_str_eq(json_string_value(json_object_get(per, "first_quarter")), "2013-Q1");
    ck_assert_str_eq(json_string_value(json_object_get(per, "until")), "2014-01-01");
    free(nums);
    free(tiny);
    rel_free(r);
    rel_free(r2);
    rel_free(r3);
    incset_free(d);
    incset_free(d2);
    incset_free(d3);
}
END_TEST

static int same_release(const rel_release *a, const rel_release *b)
{
    if (rel_table_count(a) != rel_table_count(b)) return 0;
    for (size_t k = 0; k < rel_table_count(a); k++) {
        const rel_table *t = rel_table_at(a, k), *u = rel_table_find(b, rel_table_name(t));
        if (!u || rel_table_cells(t) != rel_table_cells(u) ||
            rel_table_half95(t) != rel_table_half95(u) || rel_table_ndims(t) != rel_table_ndims(u))
            return 0;
        for (size_t c = 0; c < rel_table_cells(t); c++) {
            rel_value v, w;
            int x = rel_table_cell(t, c, &v), y = rel_table_cell(u, c, &w);
            if (x != y || (x && (v.value != w.value || v.lo != w.lo || v.hi != w.hi))) return 0;
        }
    }
    return json_equal((json_t *)rel_metadata(a), (json_t *)rel_metadata(b));
}

/* Publish, read back by id and as the latest, a second release, the first unchanged; the data
 * version untouched; a store that never published has none. */
START_TEST(test_store_round_trip)
{
    char err[512];
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    store *st = store_open(dbpath, 0, err, sizeof err);
    ck_assert(st);
    rel_release *got = NULL, *r1 = build(d, 41, REL_DEFAULT_EPSILON, 10), *r2 = build(d, 42, 2, 5);
    int64_t id, v0, v1;
    ck_assert_int_eq(rel_load(st, 0, &got, err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(rel_load(st, 1, &got, err, sizeof err), HZ_ENOTFOUND);
    ck_assert(store_data_version(st, &v0) == HZ_OK);
    ck_assert_msg(rel_publish(st, r1, &id, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(rel_id(r1), 1);
    ck_assert_msg(rel_publish(st, r2, &id, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(id, 2);
    ck_assert(store_data_version(st, &v1) == HZ_OK);
    ck_assert_int_eq(v0, v1);
    ck_assert_int_eq(rel_load(st, 1, &got, err, sizeof err), HZ_OK);
    ck_assert(same_release(r1, got));
    ck_assert_int_eq(rel_id(got), 1);
    rel_free(got);
    ck_assert_int_eq(rel_load(st, 0, &got, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rel_id(got), 2);
    ck_assert(same_release(r2, got));
    rel_free(got);
    ck_assert_int_eq(rel_load(st, 3, &got, err, sizeof err), HZ_ENOTFOUND);
    /* the blobs keep withheld cells out and negative grid values in: checked by same_release */
    store_close(st);
    /* a read-only reader sees both */
    st = store_open(dbpath, STORE_READONLY, err, sizeof err);
    ck_assert_int_eq(rel_load(st, 1, &got, err, sizeof err), HZ_OK);
    ck_assert(same_release(r1, got));
    rel_free(got);
    store_close(st);
    rel_free(r1);
    rel_free(r2);
    incset_free(d);
}
END_TEST

/* Runs the hazmap binary next to this test binary with args; returns its exit status and its
 * standard output in out. */
static int run_hazmap(const char *args, char *out, size_t outlen)
{
    char self[PATH_MAX], cmd[PATH_MAX + 1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(n > 0);
    self[n] = 0;
    char *slash = strrchr(self, '/');
    ck_assert(slash);
    *slash = 0;
    snprintf(cmd, sizeof cmd, "%s/hazmap %s 2>/dev/null", self, args);
    FILE *p = popen(cmd, "r");
    ck_assert(p);
    size_t len = fread(out, 1, outlen - 1, p);
    out[len] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `hazmap publish` end to end: its release is the one built in process from the same store with
 * the key SHA-256(seed file); --list shows it; bad options are usage errors (2). */
START_TEST(test_publish_cli)
{
    char out[16384], args[1024], seed[128], err[512];
    make_store(dbpath, 0, -1);
    snprintf(seed, sizeof seed, "%s.seed", dbpath);
    FILE *fp = fopen(seed, "w");
    fputs("a seed for the test\n", fp);
    fclose(fp);
    snprintf(args, sizeof args, "publish --db %s --seed-file %s --min-count 5 --epsilon 3", dbpath,
             seed);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 0);
    ck_assert_msg(strstr(out, "release 1 of") && strstr(out, "rho") &&
                      strstr(out, "grid_year_injury") && strstr(out, "2013-Q1..2013-Q4"),
                  "%s", out);
    unsigned char key[32];
    unsigned int klen = 0;
    ck_assert(EVP_Digest("a seed for the test\n", 20, key, &klen, EVP_sha256(), NULL) == 1);
    incset *d = load(dbpath);
    rel_options o;
    rel_options_init(&o);
    o.epsilon = 3;
    o.disclosure = disc_public(5, 300);
    dpn_source *src = dpn_source_keyed(key);
    ck_assert_ptr_nonnull(src);
    rel_release *mine = NULL, *stored = NULL;
    ck_assert(rel_build(d, &o, src, &mine, err, sizeof err) == HZ_OK);
    store *st = store_open(dbpath, STORE_READONLY, err, sizeof err);
    ck_assert_int_eq(rel_load(st, 1, &stored, err, sizeof err), HZ_OK);
    store_close(st);
    /* equal but for the creation time and the noise source's description */
    json_t *a = json_deep_copy(rel_metadata(mine)), *b = json_deep_copy(rel_metadata(stored));
    json_object_del(a, "created_at");
    json_object_del(b, "created_at");
    json_object_del(json_object_get(a, "privacy"), "noise_source");
    json_object_del(json_object_get(b, "privacy"), "noise_source");
    /* publish adds the started projects' effects (rel_publish_projects()): none in this store */
    const json_t *eff = json_object_get(b, "project_effects");
    ck_assert(json_is_array(eff) && json_array_size(eff) == 0);
    json_object_del(b, "project_effects");
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    for (size_t k = 0; k < rel_table_count(mine); k++) {
        const rel_table *t = rel_table_at(mine, k), *u = rel_table_at(stored, k);
        for (size_t c = 0; c < rel_table_cells(t); c++) {
            rel_value v, w;
            int x = rel_table_cell(t, c, &v), y = rel_table_cell(u, c, &w);
            ck_assert(x == y && (!x || v.value == w.value));
        }
    }
    snprintf(args, sizeof args, "publish --db %s --period month", dbpath);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 0);
    ck_assert(strstr(out, "release 2 of"));
    snprintf(args, sizeof args, "publish --db %s --list", dbpath);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 0);
    ck_assert_msg(strstr(out, "\n1 ") && strstr(out, "\n2 ") && strstr(out, "(month)"), "%s", out);
    snprintf(args, sizeof args, "publish --db %s --period week", dbpath);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "publish --db %s --epsilon 0", dbpath);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 2);
    snprintf(args, sizeof args, "publish --db %s --quarters 2013Q3-2013Q1", dbpath);
    ck_assert_int_eq(run_hazmap(args, out, sizeof out), 2);
    ck_assert_int_eq(run_hazmap("publish", out, sizeof out), 2);
    unlink(seed);
    dpn_source_free(src);
    rel_free(mine);
    rel_free(stored);
    incset_free(d);
}
END_TEST

/* rel_density(): every cell of the surface is the quartic kernel sum of the grid's noisy cells
 * (summed over the chosen years and group) from their centres, per km² per year, clamped at 0,
 * computed here by brute force; the bandwidth is raised to the floor; bad arguments are
 * HZ_EINVAL. */
START_TEST(test_density)
{
    char err[512];
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    rel_release *r = build(d, 43, REL_DEFAULT_EPSILON, 10);
    const rel_table *t = rel_table_find(r, "grid_year_injury");
    ck_assert_ptr_nonnull(t);
    const json_t *dims = json_object_get(rel_metadata(r), "dimensions");
    const json_t *cell = json_object_get(dims, "cell");
    int nx = (int)json_integer_value(json_object_get(cell, "nx")),
        ny = (int)json_integer_value(json_object_get(cell, "ny"));
    double size = json_number_value(json_object_get(cell, "size")),
           x0 = json_number_value(json_object_get(cell, "x0")),
           y1 = json_number_value(json_object_get(cell, "y1"));
    double years = json_number_value(
        json_array_get(json_object_get(json_object_get(dims, "year"), "exposure_years"), 0));
    density_result *res = NULL;
    /* year 0, injury group 3 (fall), a 50 m bandwidth raised to 300 m */
    ck_assert_msg(rel_density(r, "injury_group", 3, 1u, 50, 300, &res, err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_int_eq(res->grid.nx, nx);
    ck_assert_int_eq(res->grid.ny, ny);
    ck_assert_double_eq(res->bandwidth, 300);
    ck_assert_double_eq_tol(res->years, years, 1e-12);
    ck_assert_uint_eq(res->incidents, 0);
    ck_assert_ptr_nonnull(json_object_get(res->provenance, "release"));
    const double h = 300, pi = 3.14159265358979323846;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double cx = x0 + (i + 0.5) * size, cy = y1 - (j + 0.5) * size, sum = 0;
            for (int c = 0; c < nx * ny; c++) {
                rel_value v;
                size_t idx[3] = {(size_t)c, 0, 3};
                if (!rel_table_cell(t, rel_table_index(t, idx), &v) || v.value == 0) continue;
                double dx = x0 + (c % nx + 0.5) * size - cx, dy = y1 - (c / nx + 0.5) * size - cy;
                double u = (dx * dx + dy * dy) / (h * h);
                if (u < 1) sum += (double)v.value * 3 / (pi * h * h) * (1 - u) * (1 - u);
            }
            double want = sum * 1e6 / years;
            if (want < 0) want = 0;
            double got = res->values[(size_t)j * (size_t)nx + (size_t)i];
            ck_assert_msg(got >= 0 && fabs(got - want) <= 1e-4 * (1 + fabs(want)),
                          "cell %d,%d: %g, brute force %g", i, j, got, want);
        }
    density_result_free(res);
    ck_assert_int_eq(rel_density(r, "mechanism", -1, 0, 300, 300, &res, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_int_eq(rel_density(r, "place_group", 6, 0, 300, 300, &res, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_int_eq(rel_density(r, NULL, -1, 1u << 30, 300, 300, &res, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_ptr_null(res);
    rel_free(r);
    incset_free(d);
}
END_TEST

/* A given study period: incidents outside it are in no table; the tables have its columns. */
START_TEST(test_given_period)
{
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    rel_options o;
    rel_options_init(&o);
    o.disclosure = disc_public(0, 300);
    o.period = REL_MONTH;
    char err[256];
    ck_assert(rel_parse_quarter("2013Q2", &o.first_quarter, err, sizeof err) == HZ_OK);
    ck_assert(rel_parse_quarter("2013-Q3", &o.last_quarter, err, sizeof err) == HZ_OK);
    ck_assert(rel_parse_quarter("2013Q5", &o.last_quarter, err, sizeof err) == HZ_EINVAL);
    dpn_source *src = keyed(51);
    rel_release *r = NULL;
    ck_assert(rel_build(d, &o, src, &r, err, sizeof err) == HZ_OK);
    const rel_table *t = rel_table_find(r, "subdistrict_period_injury");
    ck_assert_uint_eq(rel_table_shape(t, 1), 6); /* April..September by month */
    const json_t *labels = json_object_get(
        json_object_get(json_object_get(rel_metadata(r), "dimensions"), "period"), "labels");
    ck_assert_str_eq(json_string_value(json_array_get(labels, 0)), "2013-04");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(rel_metadata(r), "period"), "basis")),
        "given");
    rel_free(r);
    o.first_quarter = -1;
    ck_assert(rel_build(d, &o, src, &r, err, sizeof err) == HZ_EINVAL);
    dpn_source_free(src);
    incset_free(d);
}
END_TEST

/* ---- utility of the default budget on the bundled sample ---- */

static double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i] / (double)n;
        mb += b[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

/* A quartic (biweight) kernel of radius h cells over the grid: sum of cell values weighted by
 * (1 - d^2/h^2)^2, d between cell centres. */
static void quartic(const double *in, double *out, int nx, int ny, double h)
{
    int R = (int)ceil(h);
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double s = 0;
            for (int dj = -R; dj <= R; dj++)
                for (int di = -R; di <= R; di++) {
                    int ii = i + di, jj = j + dj;
                    double u = (di * di + dj * dj) / (h * h);
                    if (ii >= 0 && jj >= 0 && ii < nx && jj < ny && u < 1)
                        s += in[jj * nx + ii] * (1 - u) * (1 - u);
                }
            out[j * nx + i] = s;
        }
}

/* Metres between two lon/lat points near the test district (equirectangular). */
static double metres(double lon0, double lat0, double lon1, double lat1)
{
    double kx = 111320.0 * cos(lat0 * 3.14159265358979323846 / 180), ky = 110574.0;
    return hypot((lon1 - lon0) * kx, (lat1 - lat0) * ky);
}

/* The centre of a feature's first ring (its corners' mean). */
static void ring_centre(const json_t *feat, double *lon, double *lat)
{
    const json_t *ring =
        json_array_get(json_object_get(json_object_get(feat, "geometry"), "coordinates"), 0);
    size_t n = json_array_size(ring) - 1; /* closed */
    *lon = *lat = 0;
    for (size_t k = 0; k < n; k++) {
        *lon += json_number_value(json_array_get(json_array_get(ring, k), 0)) / (double)n;
        *lat += json_number_value(json_array_get(json_array_get(ring, k), 1)) / (double)n;
    }
}

/* The planted clusters of the sample with at least min_n incidents (data/planted_clusters.csv,
 * WGS84) into lon/lat; returns how many. */
static size_t planted(int min_n, double *lon, double *lat, size_t max)
{
    FILE *f = fopen("../data/planted_clusters.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    size_t n = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f) && n < max) {
        /* id,kind,name,lon,lat,radius_m,mechanism,n_incidents,notes */
        char *field[9] = {0}, *p = line;
        for (int k = 0; k < 9 && p; k++) {
            field[k] = p;
            p = strchr(p, ',');
            if (p) *p++ = 0;
        }
        ck_assert_ptr_nonnull(field[7]);
        if (atoi(field[7]) < min_n) continue;
        lon[n] = atof(field[3]);
        lat[n] = atof(field[4]);
        n++;
    }
    fclose(f);
    return n;
}

/* The distance from (lon, lat) to the nearest centre of the features of fc that pass (all when
 * hot is 0; class hot99 when 1). */
static double nearest_spot(const json_t *fc, int hot, double lon, double lat)
{
    double best = INFINITY;
    const json_t *feats = json_object_get(fc, "features");
    for (size_t k = 0; k < json_array_size(feats); k++) {
        const json_t *f = json_array_get(feats, k);
        const char *cls =
            json_string_value(json_object_get(json_object_get(f, "properties"), "class"));
        if (hot && (!cls || strcmp(cls, "hot99") != 0)) continue;
        double x, y;
        ring_centre(f, &x, &y);
        best = fmin(best, metres(lon, lat, x, y));
    }
    return best;
}

/* The defaults' promise on the sample (55,000 incidents, 16 sub-districts, 2012-2014): every
 * sub-district annual count of 100 or more (hence its rate) within 10 %, the 300 m quartic
 * map of all incidents from the noisy 100 m grid (injury table alone) correlating at r >= 0.9
 * with the map of the true counts, over every cell of the extent, and the five largest planted
 * clusters among the public black spots or 99 % hot spots. Three keys. */
START_TEST(test_sample_utility)
{
    char err[1024];
    store *st = tu_load_sample(dbpath);
    incset *s = incset_load(st, NULL, err, sizeof err);
    store_close(st);
    ck_assert(s);
    double worst_rate = 0, worst_r = 1, worst_spot = 0;
    for (unsigned key = 1; key <= 3; key++) {
        rel_options o;
        rel_options_init(&o);
        dpn_source *src = keyed(900 + key);
        rel_release *r = NULL;
        ck_assert(rel_build(s, &o, src, &r, err, sizeof err) == HZ_OK);
        dpn_source_free(src);
        const rel_table *sy = rel_table_find(r, "subdistrict_year");
        ck_assert_uint_eq(rel_table_shape(sy, 0), 17);
        ck_assert_uint_eq(rel_table_shape(sy, 1), 3);
        /* true counts by sub-district code and local year */
        const json_t *rows = json_object_get(
            json_object_get(json_object_get(rel_metadata(r), "dimensions"), "subdistrict"), "rows");
        const json_t *cell =
            json_object_get(json_object_get(rel_metadata(r), "dimensions"), "cell");
        int nx = (int)json_integer_value(json_object_get(cell, "nx"));
        int ny = (int)json_integer_value(json_object_get(cell, "ny"));
        double x0 = json_number_value(json_object_get(cell, "x0"));
        double y1 = json_number_value(json_object_get(cell, "y1"));
        long truth[17][3] = {{0}};
        double *tg = calloc((size_t)nx * ny, sizeof *tg), *ng = calloc((size_t)nx * ny, sizeof *ng);
        for (size_t k = 0; k < incset_count(s); k++) {
            const hz_incident *i = &incset_items(s)[k];
            int y, m, dd;
            hztime_civil_from_days((i->t + 8 * 3600) / 86400, &y, &m, &dd);
            size_t row = 16;
            for (size_t q = 0; q < 16; q++)
                if (i->area >= 0 &&
                    strcmp(json_string_value(json_object_get(json_array_get(rows, q), "code")),
                           incset_areas(s)[i->area].code) == 0)
                    row = q;
            truth[row][y - 2012]++;
            int ci = (int)floor((i->x - x0) / 100), cj = (int)floor((y1 - i->y) / 100);
            if (ci >= 0 && cj >= 0 && ci < nx && cj < ny) tg[cj * nx + ci]++;
        }
        for (size_t q = 0; q < 17; q++)
            for (size_t y = 0; y < 3; y++) {
                if (truth[q][y] < 100) continue;
                rel_value v;
                ck_assert(rel_table_cell(sy, rel_table_index(sy, (size_t[]){q, y}), &v));
                double e = fabs((double)v.value - truth[q][y]) / truth[q][y];
                ck_assert_msg(e <= 0.10, "sub-district %zu year %zu: %lld vs %ld", q, y,
                              (long long)v.value, truth[q][y]);
                worst_rate = fmax(worst_rate, e);
            }
        const rel_table *gi = rel_table_find(r, "grid_year_injury");
        size_t nyr = rel_table_shape(gi, 1), ng_ = rel_table_shape(gi, 2);
        for (size_t c = 0; c < (size_t)nx * ny; c++)
            for (size_t y = 0; y < nyr; y++)
                for (size_t g = 0; g < ng_; g++) {
                    rel_value v;
                    ck_assert(rel_table_cell(gi, (c * nyr + y) * ng_ + g, &v));
                    ng[c] += (double)v.value;
                }
        double *ts = malloc((size_t)nx * ny * sizeof *ts),
               *ns = malloc((size_t)nx * ny * sizeof *ns);
        quartic(tg, ts, nx, ny, 3.0);
        quartic(ng, ns, nx, ny, 3.0);
        double rr = pearson(ts, ns, (size_t)nx * ny);
        ck_assert_msg(rr >= 0.9, "key %u: map r = %.4f", key, rr);
        worst_r = fmin(worst_r, rr);
        free(tg);
        free(ng);
        free(ts);
        free(ns);
        /* the five largest planted clusters (900 incidents or more: seven, with ties) are public
         * black spots or 99 % hot spots: within 150 m of such a square's centre */
        double plon[16], plat[16];
        size_t np = planted(900, plon, plat, 16);
        ck_assert_uint_eq(np, 7);
        rel_view v;
        rel_view_init(&v);
        json_t *black = NULL, *hot = NULL;
        ck_assert_msg(rel_blackspots(r, &v, 10, &black, err, sizeof err) == HZ_OK, "%s", err);
        ck_assert_msg(rel_hotspots(r, &v, s, 10, &hot, err, sizeof err) == HZ_OK, "%s", err);
        for (size_t k = 0; k < np; k++) {
            double d = fmin(nearest_spot(black, 0, plon[k], plat[k]),
                            nearest_spot(hot, 1, plon[k], plat[k]));
            ck_assert_msg(d <= 150, "key %u: planted cluster %zu is %.0f m from a public spot", key,
                          k, d);
            worst_spot = fmax(worst_spot, d);
        }
        json_decref(black);
        json_decref(hot);
        rel_free(r);
    }
    printf("release utility on the sample (epsilon %g, delta %g): sub-district annual counts of "
           "100 or more within %.1f %%; 300 m map r >= %.3f; the 5 largest planted clusters (7 "
           "with ties) within %.0f m of a public black spot or 99 %% hot spot\n",
           REL_DEFAULT_EPSILON, REL_DEFAULT_DELTA, 100 * worst_rate, worst_r, worst_spot);
    incset_free(s);
}
END_TEST

/* ---------------------------------------------------------------- public maps */

/* A 2 km district (halves A and B) with 2,400 incidents spread evenly over 2013 (about 24 per
 * 200 m square, a city's background) and two planted clusters: P (500 traffic, within ~30 m of
 * P_LON, P_LAT) and Q (250 falls near Q_LON, Q_LAT). */
#define P_LON (LON0 + 0.0051)
#define P_LAT (LAT0 + 0.0052)
#define Q_LON (LON0 + 0.0149)
#define Q_LAT (LAT0 + 0.0121)

static void make_spots_store(const char *path)
{
    char err[512];
    tu_remove_db(path);
    store *st = store_open(path, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert(store_begin(st, err, sizeof err) == HZ_OK);
    put_area(st, "510104", "District", "district", NULL, 20000, LON0, LAT0, LON0 + 0.02,
             LAT0 + 0.018);
    put_area(st, "510104001", "A", "subdistrict", "510104", 8000, LON0, LAT0, LON0 + 0.01,
             LAT0 + 0.018);
    put_area(st, "510104002", "B", "subdistrict", "510104", 12000, LON0 + 0.01, LAT0, LON0 + 0.02,
             LAT0 + 0.018);
    uint64_t seed = 77;
    for (int k = 0; k < 3150; k++) {
        uint64_t r = lcg(&seed);
        double u = (double)(r % 10000) / 10000, v = (double)(r / 10000 % 10000) / 10000;
        double lon = LON0 + 0.0002 + 0.0196 * u, lat = LAT0 + 0.0002 + 0.0176 * v;
        int mech = (int)((r >> 40) % HZ_MECH_COUNT);
        if (k >= 2400 && k < 2900) { /* P */
            lon = P_LON + 0.0006 * (u - 0.5);
            lat = P_LAT + 0.0006 * (v - 0.5);
            mech = HZ_MECH_MVT_OTHER;
        } else if (k >= 2900) { /* Q */
            lon = Q_LON + 0.0006 * (u - 0.5);
            lat = Q_LAT + 0.0006 * (v - 0.5);
            mech = HZ_MECH_FALL;
        }
        put_incident(st, k, lon < LON0 + 0.01 ? "510104001" : "510104002",
                     noon(1 + k % 12, 1 + (int)(r % 28)), mech, 1,
                     (int)((r >> 10) % HZ_PLACE_COUNT), (int)((r >> 13) % HZ_SEV_COUNT), 30, 1, lon,
                     lat);
    }
    ck_assert(store_commit(st, err, sizeof err) == HZ_OK);
    store_close(st);
}

/* rel_view_set(): labels of the release only, one year, one group of one family; anything else
 * is HZ_ENOTFOUND (a key) or HZ_EINVAL (a value); canonical strings tell views apart. */
START_TEST(test_view)
{
    char err[512], a[160], b[160];
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    rel_release *r = build(d, 5, REL_DEFAULT_EPSILON, 10);
    rel_view v;
    rel_view_init(&v);
    ck_assert_str_eq(v.family, "injury_group");
    ck_assert_int_eq(v.group, -1);
    ck_assert_int_eq(rel_view_set(r, &v, "year", "2013", err, sizeof err), HZ_OK);
    ck_assert_uint_eq(v.years, 1u);
    ck_assert_int_eq(rel_view_set(r, &v, "year", "2013", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(rel_view_set(r, &v, "place_group", "road", err, sizeof err), HZ_OK);
    ck_assert_str_eq(v.family, "place_group");
    ck_assert_int_eq(v.group, 4);
    ck_assert_int_eq(rel_view_set(r, &v, "injury_group", "traffic", err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "injury_group") != NULL, "%s", err);
    rel_view_canonical(r, &v, a, sizeof a);
    rel_view_init(&v);
    ck_assert_int_eq(rel_view_set(r, &v, "year", "2012", err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "2013") != NULL, "the message lists the years: %s", err);
    ck_assert_int_eq(rel_view_set(r, &v, "injury_group", "nope", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(rel_view_set(r, &v, "mechanism", "traffic", err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(rel_view_set(r, &v, "bandwidth", "50", err, sizeof err), HZ_ENOTFOUND);
    rel_view_canonical(r, &v, b, sizeof b);
    ck_assert_str_ne(a, b);
    ck_assert_str_eq(b, "r0/injury_group=all/years=0");
    rel_free(r);
    incset_free(d);
}
END_TEST

/* rel_grid_sum(): each cell is the sum of the table's released cells over the view's years and
 * groups, read here one by one; the noise variance is terms x s2. */
START_TEST(test_grid_sum)
{
    char err[512];
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    rel_release *r = build(d, 6, REL_DEFAULT_EPSILON, 10);
    const rel_view views[] = {
        {"injury_group", -1, 0}, {"place_group", 2, 1u}, {"injury_group", 3, 0}};
    for (size_t k = 0; k < sizeof views / sizeof *views; k++) {
        rel_grid g;
        ck_assert_msg(rel_grid_sum(r, &views[k], &g, err, sizeof err) == HZ_OK, "%s", err);
        const rel_table *t = rel_table_find(
            r, strcmp(views[k].family, "place_group") ? "grid_year_injury" : "grid_year_place");
        size_t ny = rel_table_shape(t, 1), ng = rel_table_shape(t, 2), terms = 0;
        for (size_t y = 0; y < ny; y++)
            for (size_t q = 0; q < ng; q++)
                terms += (!views[k].years || views[k].years >> y & 1) &&
                         (views[k].group < 0 || (size_t)views[k].group == q);
        ck_assert_int_eq(g.terms, (int)terms);
        dpn_ratio s2 = rel_table_s2(t);
        ck_assert_double_eq_tol(g.var, (double)terms * (double)s2.num / (double)s2.den, 1e-9);
        ck_assert_uint_eq((size_t)g.nx * (size_t)g.ny, rel_table_shape(t, 0));
        for (size_t c = 0; c < rel_table_shape(t, 0); c++) {
            double want = 0;
            for (size_t y = 0; y < ny; y++)
                for (size_t q = 0; q < ng; q++) {
                    rel_value v;
                    if ((views[k].years && !(views[k].years >> y & 1)) ||
                        (views[k].group >= 0 && (size_t)views[k].group != q))
                        continue;
                    ck_assert(rel_table_cell(t, rel_table_index(t, (size_t[]){c, y, q}), &v));
                    want += (double)v.value;
                }
            ck_assert_double_eq(g.count[c], want);
        }
        rel_grid_free(&g);
    }
    rel_view bad = {"mechanism", -1, 0};
    rel_grid g;
    ck_assert_int_eq(rel_grid_sum(r, &bad, &g, err, sizeof err), HZ_EINVAL);
    rel_free(r);
    incset_free(d);
}
END_TEST

/* One square of the black-spot rule, worked here from the grid: 200 m squares aligned to
 * multiples of 200 m in the working CRS. */
typedef struct tsquare {
    long i, j;
    double count;
    int cells;
} tsquare;

static int tsquare_cmp(const void *a, const void *b)
{
    const tsquare *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    if (x->j != y->j) return x->j < y->j ? 1 : -1; /* north first */
    return (x->i > y->i) - (x->i < y->i);
}

/* rel_blackspots(): the squares, threshold, ranking and intervals of release.h's rule, computed
 * here by brute force from the grid; planted P is the first black spot and Q is one; a view of
 * one group lists only that group's cluster. */
START_TEST(test_blackspots)
{
    char err[512];
    make_spots_store(dbpath);
    incset *d = load(dbpath);
    rel_release *r = build(d, 7, REL_DEFAULT_EPSILON, 10);
    rel_view v;
    rel_view_init(&v);
    rel_grid g;
    ck_assert(rel_grid_sum(r, &v, &g, err, sizeof err) == HZ_OK);
    size_t cap = (size_t)g.nx * (size_t)g.ny, n = 0;
    tsquare *sq = calloc(cap, sizeof *sq);
    for (int j = 0; j < g.ny; j++)
        for (int i = 0; i < g.nx; i++) {
            long si = (long)floor((g.x0 + (i + 0.5) * g.cell) / 200),
                 sj = (long)floor((g.y1 - (j + 0.5) * g.cell) / 200);
            size_t k = 0;
            while (k < n && !(sq[k].i == si && sq[k].j == sj))
                k++;
            if (k == n) sq[n++] = (tsquare){si, sj, 0, 0};
            sq[k].count += g.count[(size_t)j * (size_t)g.nx + (size_t)i];
            sq[k].cells++;
        }
    double sum = 0, occupied = 0;
    for (size_t k = 0; k < n; k++)
        if (sq[k].count > 1.96 * sqrt(sq[k].cells * g.var)) sum += sq[k].count, occupied++;
    double threshold = fmax(10, ceil(3 * sum / occupied));
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (sq[k].count - 1.96 * sqrt(sq[k].cells * g.var) >= threshold) sq[m++] = sq[k];
    qsort(sq, m, sizeof *sq, tsquare_cmp);
    ck_assert_uint_ge(m, 2);
    json_t *fc = NULL;
    ck_assert_msg(rel_blackspots(r, &v, 10, &fc, err, sizeof err) == HZ_OK, "%s", err);
    const json_t *feats = json_object_get(fc, "features");
    ck_assert_uint_eq(json_array_size(feats), m);
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(json_object_get(fc, "provenance"), "threshold")),
        threshold, 1e-9);
    for (size_t k = 0; k < m; k++) {
        const json_t *p = json_object_get(json_array_get(feats, k), "properties");
        double h = 1.96 * sqrt(sq[k].cells * g.var);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "rank")), (int)k + 1);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "count")), llround(sq[k].count));
        ck_assert_int_eq(json_integer_value(json_object_get(p, "count_lo")),
                         llround(fmax(0, sq[k].count - h)));
        ck_assert_int_eq(json_integer_value(json_object_get(p, "count_hi")),
                         llround(sq[k].count + h));
        ck_assert_ptr_null(json_object_get(p, "hull"));
        ck_assert_ptr_null(json_object_get(p, "radius_m"));
    }
    double lon, lat;
    ring_centre(json_array_get(feats, 0), &lon, &lat);
    ck_assert_msg(metres(lon, lat, P_LON, P_LAT) < 150, "P: %.0f m",
                  metres(lon, lat, P_LON, P_LAT));
    int q_found = 0;
    for (size_t k = 0; k < m; k++) {
        ring_centre(json_array_get(feats, k), &lon, &lat);
        q_found |= metres(lon, lat, Q_LON, Q_LAT) < 150;
    }
    ck_assert_msg(q_found, "Q is a black spot");
    json_decref(fc);
    /* falls only: Q, never P */
    ck_assert(rel_view_set(r, &v, "injury_group", "fall", err, sizeof err) == HZ_OK);
    ck_assert(rel_blackspots(r, &v, 10, &fc, err, sizeof err) == HZ_OK);
    feats = json_object_get(fc, "features");
    ck_assert_uint_ge(json_array_size(feats), 1);
    for (size_t k = 0; k < json_array_size(feats); k++) {
        ring_centre(json_array_get(feats, k), &lon, &lat);
        ck_assert(metres(lon, lat, P_LON, P_LAT) > 300);
    }
    json_decref(fc);
    free(sq);
    rel_grid_free(&g);
    rel_free(r);
    incset_free(d);
}
END_TEST

/* rel_hotspots(): each listed square's count is the grid summed over it, and its z is Gi*
 * (binary weights, band 500 m, the square itself included) over the listed squares, computed
 * here from the definition (Ord & Getis 1995); the largest square is P's. */
START_TEST(test_hotspots_release)
{
    char err[512];
    make_spots_store(dbpath);
    incset *d = load(dbpath);
    rel_release *r = build(d, 8, REL_DEFAULT_EPSILON, 10);
    rel_view v;
    rel_view_init(&v);
    rel_grid g;
    ck_assert(rel_grid_sum(r, &v, &g, err, sizeof err) == HZ_OK);
    json_t *fc = NULL;
    ck_assert_msg(rel_hotspots(r, &v, d, 10, &fc, err, sizeof err) == HZ_OK, "%s", err);
    const json_t *feats = json_object_get(fc, "features");
    size_t n = json_array_size(feats);
    ck_assert_uint_ge(n, 30);
    double *x = malloc(n * sizeof *x), *cx = malloc(n * sizeof *cx), *cy = malloc(n * sizeof *cy);
    double mean = 0, ss = 0;
    for (size_t k = 0; k < n; k++) {
        const json_t *p = json_object_get(json_array_get(feats, k), "properties");
        cx[k] = json_number_value(json_object_get(p, "x_utm"));
        cy[k] = json_number_value(json_object_get(p, "y_utm"));
        double want = 0;
        for (int j = 0; j < g.ny; j++)
            for (int i = 0; i < g.nx; i++) {
                double gx = g.x0 + (i + 0.5) * g.cell, gy = g.y1 - (j + 0.5) * g.cell;
                if (fabs(gx - cx[k]) < 100 && fabs(gy - cy[k]) < 100)
                    want += g.count[(size_t)j * (size_t)g.nx + (size_t)i];
            }
        x[k] = want;
        const json_t *cnt = json_object_get(p, "count");
        if (json_is_null(cnt))
            ck_assert_msg(want < 10 && json_is_true(json_object_get(p, "suppressed")),
                          "count %g withheld", want);
        else
            ck_assert_double_eq((double)json_integer_value(cnt), want);
        ck_assert_ptr_null(json_object_get(p, "score"));
        mean += x[k] / (double)n;
    }
    for (size_t k = 0; k < n; k++)
        ss += (x[k] - mean) * (x[k] - mean) / (double)n;
    double p_z = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        double wx = 0, w = 0;
        for (size_t l = 0; l < n; l++)
            if (hypot(cx[k] - cx[l], cy[k] - cy[l]) <= 500 * (1 + 1e-9)) wx += x[l], w++;
        double z = (wx - w * mean) / (sqrt(ss) * sqrt((n * w - w * w) / (n - 1.0)));
        const json_t *p = json_object_get(json_array_get(feats, k), "properties");
        ck_assert_double_eq_tol(json_number_value(json_object_get(p, "z")), z, 1e-9);
        double lon, lat;
        ring_centre(json_array_get(feats, k), &lon, &lat);
        if (metres(lon, lat, P_LON, P_LAT) < 150) p_z = fmax(p_z, z);
    }
    /* The square holding P holds the largest count: the squares sit where the grid's cells do. */
    size_t top = 0;
    for (size_t k = 1; k < n; k++)
        if (x[k] > x[top]) top = k;
    double lon, lat;
    ring_centre(json_array_get(feats, top), &lon, &lat);
    ck_assert_msg(metres(lon, lat, P_LON, P_LAT) < 150, "largest square %.0f m from P (z %.2f)",
                  metres(lon, lat, P_LON, P_LAT), p_z);
    const json_t *pv = json_object_get(fc, "provenance");
    ck_assert_ptr_nonnull(json_object_get(pv, "release"));
    ck_assert_ptr_null(json_object_get(pv, "incidents"));
    free(x);
    free(cx);
    free(cy);
    json_decref(fc);
    rel_grid_free(&g);
    rel_free(r);
    incset_free(d);
}
END_TEST

/* reltile: a view's breaks are colorramp_scale_fit() of rel_density()'s non-zero cells; a tile's
 * values are the surface read bilinearly between cell centres at each pixel centre (0 off the
 * grid), computed here pixel by pixel with an exact projection of each; its PNG is
 * colorramp_png() of those values. */
START_TEST(test_reltile)
{
    char err[512];
    make_store(dbpath, 0, -1);
    incset *d = load(dbpath);
    rel_release *r = build(d, 9, REL_DEFAULT_EPSILON, 10);
    reltile *rt = reltile_new(r, 300, err, sizeof err);
    ck_assert_msg(rt != NULL, "%s", err);
    rel_view v;
    rel_view_init(&v);
    ck_assert(rel_view_set(r, &v, "injury_group", "traffic", err, sizeof err) == HZ_OK);
    density_result *dr = NULL;
    ck_assert(rel_density(r, v.family, v.group, v.years, 300, 300, &dr, err, sizeof err) == HZ_OK);
    size_t ncell = (size_t)dr->grid.nx * (size_t)dr->grid.ny, nz = 0;
    double *vals = malloc(ncell * sizeof *vals);
    for (size_t k = 0; k < ncell; k++)
        if (dr->values[k] > 0) vals[nz++] = dr->values[k];
    colorramp_scale want, got;
    colorramp_scale_fit(vals, nz, &want, NULL);
    ck_assert(reltile_scale(rt, &v, &got, err, sizeof err) == HZ_OK);
    char a[256], b[256];
    colorramp_scale_canonical(&want, a, sizeof a);
    colorramp_scale_canonical(&got, b, sizeof b);
    ck_assert_str_eq(a, b);
    int tx, ty;
    tilemath_lonlat_to_tile(LON0 + 0.006, LAT0 + 0.004, 16, &tx, &ty);
    workcrs *w = workcrs_new(dr->work_srs, 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    float *px = malloc(256 * 256 * sizeof *px);
    for (int j = 0; j < 256; j++)
        for (int i = 0; i < 256; i++) {
            double mx, my, lon, lat, x, y;
            tilemath_pixel_center(16, tx, ty, i, j, &mx, &my);
            tilemath_merc_to_lonlat(mx, my, &lon, &lat);
            ck_assert(workcrs_forward(w, 1, &lon, &lat, &x, &y) == HZ_OK);
            /* bilinear between cell centres (i + 0.5, j + 0.5) cells from the west and north */
            double fx = (x - dr->grid.x0) / dr->grid.cell - 0.5,
                   fy = (dr->grid.y1 - y) / dr->grid.cell - 0.5, acc = 0;
            for (int c = 0; c < 4; c++) {
                long ci = (long)floor(fx) + (c & 1), cj = (long)floor(fy) + (c >> 1);
                if (ci < 0 || cj < 0 || ci >= dr->grid.nx || cj >= dr->grid.ny) continue;
                double wx = 1 - fabs(fx - (double)ci), wy = 1 - fabs(fy - (double)cj);
                acc += wx * wy * dr->values[(size_t)cj * (size_t)dr->grid.nx + (size_t)ci];
            }
            px[j * 256 + i] = (float)acc;
        }
    /* reltile projects every 16th pixel and interpolates: millimetres at zoom 16 */
    float *tv = malloc(256 * 256 * sizeof *tv);
    ck_assert(reltile_values(rt, &v, 16, tx, ty, tv, NULL, err, sizeof err) == HZ_OK);
    for (int k = 0; k < 256 * 256; k++)
        ck_assert_msg(fabs(tv[k] - px[k]) <= 1e-5 * fabs(px[k]) + 1e-6, "pixel %d: %g vs %g", k,
                      tv[k], px[k]);
    unsigned char *png_want = NULL, *png_got = NULL;
    size_t len_want = 0, len_got = 0;
    ck_assert(colorramp_png(tv, 256, 256, &want, &png_want, &len_want, err, sizeof err) == HZ_OK);
    free(tv);
    ck_assert_msg(reltile_png(rt, &v, 16, tx, ty, &png_got, &len_got, err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_uint_eq(len_got, len_want);
    ck_assert(memcmp(png_got, png_want, len_want) == 0);
    int lit = 0;
    for (int k = 0; k < 256 * 256; k++)
        lit |= colorramp_class(&want, px[k]) >= 0;
    ck_assert_msg(lit, "the tile over the district shows something");
    free(png_got);
    png_got = NULL;
    ck_assert_int_eq(reltile_png(rt, &v, 3, 99, 0, &png_got, &len_got, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_null(png_got);
    free(png_want);
    free(px);
    free(vals);
    workcrs_free(w);
    density_result_free(dr);
    reltile_free(rt);
    rel_free(r);
    incset_free(d);
}
END_TEST

Suite *release_suite(void)
{
    Suite *s = suite_create("release");
    TCase *tc = tcase_create("release");
    tcase_add_checked_fixture(tc, tmpdb, tmpdb_rm);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cells_exact);
    tcase_add_test(tc, test_neighbouring);
    tcase_add_test(tc, test_metadata_no_counts);
    tcase_add_test(tc, test_store_round_trip);
    tcase_add_test(tc, test_publish_cli);
    tcase_add_test(tc, test_given_period);
    tcase_add_test(tc, test_density);
    tcase_add_test(tc, test_sample_utility);
    suite_add_tcase(s, tc);
    TCase *maps = tcase_create("maps");
    tcase_add_checked_fixture(maps, tmpdb, tmpdb_rm);
    tcase_set_timeout(maps, 300);
    tcase_add_test(maps, test_view);
    tcase_add_test(maps, test_grid_sum);
    tcase_add_test(maps, test_blackspots);
    tcase_add_test(maps, test_hotspots_release);
    tcase_add_test(maps, test_reltile);
    suite_add_tcase(s, maps);
    return s;
}
