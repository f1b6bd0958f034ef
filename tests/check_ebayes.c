/* check_ebayes.c - Empirical Bayes against the 2,466 HSM segments of data/hsm-eb-reference/ and
 * the edge cases of ebayes.h. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/ebayes.h"

/* One row of eb_reference.csv: factype,id,length_mi,aadt,years,obs,pred,k,exp. Returns 1 when
 * the line was parsed. */
static int parse_row(char *line, double *obs, double *pred, double *k, double *exp_)
{
    double v[9];
    char *save = NULL, *tok = strtok_r(line, ",\n", &save);
    for (int i = 0; i < 9; i++) {
        if (!tok) return 0;
        v[i] = i == 0 ? 0 : strtod(tok, NULL);
        tok = strtok_r(NULL, ",\n", &save);
    }
    *obs = v[5];
    *pred = v[6];
    *k = v[7];
    *exp_ = v[8];
    return 1;
}

START_TEST(test_hsm_reference_every_row)
{
    FILE *f = fopen("data/hsm-eb-reference/eb_reference.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* header */
    ck_assert_int_eq(strncmp(line, "factype,id,length_mi,aadt,years,obs,pred,k,exp", 46), 0);
    size_t rows = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        double obs, pred, k, ref;
        ck_assert_msg(parse_row(line, &obs, &pred, &k, &ref), "row %zu unparsed", rows + 1);
        ebayes_result r;
        ck_assert_int_eq(ebayes_site(obs, pred, k, &r), HZ_OK);
        double rel = fabs(r.expected - ref) / fabs(ref);
        if (rel > worst) worst = rel;
        ck_assert_msg(rel <= 1e-9, "row %zu: %.15g vs %.15g", rows + 1, r.expected, ref);
        ck_assert_double_eq_tol(r.excess, ref - pred, 1e-9 * fabs(ref) + 1e-12);
        ck_assert(r.w > 0 && r.w <= 1);
        ck_assert_double_eq_tol(r.variance, (1 - r.w) * r.expected, 1e-15);
        rows++;
    }
    fclose(f);
    ck_assert_uint_eq(rows, 2466);
    fprintf(stderr, "ebayes: %zu HSM rows, largest relative deviation %.3g\n", rows, worst);
}
END_TEST

START_TEST(test_hand_values)
{
    /* k = 0.5, N_pred = 2, N_obs = 8: w = 1/2, N_exp = 5, excess 3, var 2.5. */
    ebayes_result r;
    ck_assert_int_eq(ebayes_site(8, 2, 0.5, &r), HZ_OK);
    ck_assert_double_eq_tol(r.w, 0.5, 1e-15);
    ck_assert_double_eq_tol(r.expected, 5, 1e-15);
    ck_assert_double_eq_tol(r.excess, 3, 1e-15);
    ck_assert_double_eq_tol(r.variance, 2.5, 1e-15);
    /* Per-year predictions are summed: 0.5 + 0.7 + 0.8 = 2. */
    const double years[] = {0.5, 0.7, 0.8};
    ebayes_result ry;
    ck_assert_int_eq(ebayes_site_years(8, years, 3, 0.5, &ry), HZ_OK);
    ck_assert_double_eq_tol(ry.pred, 2, 1e-15);
    ck_assert_double_eq_tol(ry.expected, 5, 1e-14);
}
END_TEST

START_TEST(test_edge_cases)
{
    ebayes_result r;
    /* k = 0: the prediction is exact. */
    ck_assert_int_eq(ebayes_site(9, 3, 0, &r), HZ_OK);
    ck_assert(r.w == 1 && r.expected == 3 && r.excess == 0 && r.variance == 0);
    /* N_pred = 0: w = 1 whatever k. */
    ck_assert_int_eq(ebayes_site(4, 0, 2.5, &r), HZ_OK);
    ck_assert(r.w == 1 && r.expected == 0 && r.excess == 0);
    /* No crashes observed: N_exp = w N_pred below the prediction, excess negative. */
    ck_assert_int_eq(ebayes_site(0, 4, 0.25, &r), HZ_OK);
    ck_assert_double_eq_tol(r.expected, 2, 1e-15);
    ck_assert_double_eq_tol(r.excess, -2, 1e-15);
    /* Huge k: N_exp tends to N_obs. */
    ck_assert_int_eq(ebayes_site(7, 1, 1e12, &r), HZ_OK);
    ck_assert_double_eq_tol(r.expected, 7, 1e-10);
    /* Refusals. */
    const double bad[] = {-1, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(ebayes_site(bad[i], 1, 1, &r), HZ_EINVAL);
        ck_assert(isnan(r.expected) && isnan(r.w));
        ck_assert_int_eq(ebayes_site(1, bad[i], 1, &r), HZ_EINVAL);
        ck_assert_int_eq(ebayes_site(1, 1, bad[i], &r), HZ_EINVAL);
    }
    ck_assert_int_eq(ebayes_site(1, 1, 1, NULL), HZ_EINVAL);
    const double years[] = {1, -0.5};
    ck_assert_int_eq(ebayes_site_years(1, years, 2, 1, &r), HZ_EINVAL);
    ck_assert_int_eq(ebayes_site_years(1, NULL, 2, 1, &r), HZ_EINVAL);
    ck_assert_int_eq(ebayes_site_years(1, NULL, 0, 1, &r), HZ_OK);
    ck_assert(r.pred == 0 && r.expected == 0);
}
END_TEST

Suite *ebayes_suite(void)
{
    Suite *s = suite_create("ebayes");
    TCase *tc = tcase_create("ebayes");
    tcase_add_test(tc, test_hsm_reference_every_row);
    tcase_add_test(tc, test_hand_values);
    tcase_add_test(tc, test_edge_cases);
    suite_add_tcase(s, tc);
    return s;
}
