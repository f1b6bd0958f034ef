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
#include "hazmap/dpnoise.h"
#include "hazmap/hztime.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/vocab.h"

/* ---------------------------------------------------------------- dpnoise */

static dpn_source *keyed(unsigned seed)
{
    unsigned char key[DPN_KEY_BYTES] = {0};
    for (int i = 0; i < 4; i++)
        key[i] = (unsigned char)(seed >> (8 * i));
    return dpn_source_keyed(key);
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
