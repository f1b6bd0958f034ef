/* check_nb2.c - NB2 regression against R's MASS::glm.nb and glm(poisson) on the fixtures of
 * data/nb2/ (real Jinjiang edge lengths and junction degrees, synthetic counts; see SOURCE.md),
 * and the refusals of nb2.h. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/nb2.h"
#include "../geo/analysis/nb2_lik.h" /* internal: the likelihood in k, tested directly */

#define MAXROWS 512

/* Columns of sections.csv (edge_id,length_m,class,years,y,y_under) or junctions.csv
 * (node_id,degree,years,y), class coded 0 local, 1 collector, 2 arterial. */
typedef struct fixture {
    size_t n;
    double a[MAXROWS], b[MAXROWS], years[MAXROWS], y[MAXROWS], y2[MAXROWS];
    int cls[MAXROWS];
} fixture;

static void read_sections(fixture *f)
{
    FILE *in = fopen("data/nb2/sections.csv", "r");
    ck_assert_ptr_nonnull(in);
    char line[256], cls[32];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
    f->n = 0;
    while (fgets(line, sizeof line, in)) {
        size_t i = f->n++;
        ck_assert_uint_lt(i, MAXROWS);
        ck_assert_int_eq(sscanf(line, "%lf,%lf,%31[a-z],%lf,%lf,%lf", &f->b[i], &f->a[i], cls,
                                &f->years[i], &f->y[i], &f->y2[i]),
                         6);
        f->cls[i] = !strcmp(cls, "arterial") ? 2 : !strcmp(cls, "collector") ? 1 : 0;
    }
    fclose(in);
    ck_assert_uint_eq(f->n, 400);
}

static void read_junctions(fixture *f)
{
    FILE *in = fopen("data/nb2/junctions.csv", "r");
    ck_assert_ptr_nonnull(in);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
    f->n = 0;
    while (fgets(line, sizeof line, in)) {
        size_t i = f->n++;
        ck_assert_uint_lt(i, MAXROWS);
        ck_assert_int_eq(
            sscanf(line, "%lf,%lf,%lf,%lf", &f->b[i], &f->a[i], &f->years[i], &f->y[i]), 4);
    }
    fclose(in);
    ck_assert_uint_eq(f->n, 300);
}

/* The value of (model, term) in reference.csv; se may be NULL. "NA" reads as NaN. */
static double ref(const char *model, const char *term, double *se)
{
    FILE *in = fopen("data/nb2/reference.csv", "r");
    ck_assert_ptr_nonnull(in);
    char line[256];
    double est = NAN;
    int found = 0;
    while (!found && fgets(line, sizeof line, in)) {
        char *save = NULL, *m = strtok_r(line, ",\n", &save), *t = strtok_r(NULL, ",\n", &save);
        char *e = strtok_r(NULL, ",\n", &save), *s = strtok_r(NULL, ",\n", &save);
        if (!m || !t || strcmp(m, model) || strcmp(t, term)) continue;
        found = 1;
        est = strcmp(e, "NA") ? strtod(e, NULL) : NAN;
        if (se) *se = s && strcmp(s, "NA") ? strtod(s, NULL) : NAN;
    }
    fclose(in);
    ck_assert_msg(found, "reference %s %s missing", model, term);
    return est;
}

/* Section design (1, ln km, arterial, collector[, ln years]) into x; returns p. */
static size_t section_design(const fixture *f, int with_years, double *x)
{
    size_t p = with_years ? 5 : 4;
    for (size_t i = 0; i < f->n; i++) {
        double *r = x + i * p;
        r[0] = 1;
        r[1] = log(f->a[i] / 1000);
        r[2] = f->cls[i] == 2;
        r[3] = f->cls[i] == 1;
        if (with_years) r[4] = log(f->years[i]);
    }
    return p;
}

static double rel(double got, double want)
{
    return fabs(got - want) / fmax(fabs(want), 1e-300);
}

/* Compares a fit's coefficients (and k, SEs, loglik when asked) with reference rows. Returns the
 * largest relative deviation of the coefficients and k. */
static double compare(const nb2_result *r, const char *model, const char *const *terms, int with_k)
{
    double worst = 0, worst_se = 0;
    for (size_t j = 0; j < r->p; j++) {
        double se, b = ref(model, terms[j], &se);
        double dev = fabs(r->beta[j] - b) / fmax(fabs(b), 1.0);
        ck_assert_msg(dev <= 1e-4, "%s %s: %.10g vs R %.10g", model, terms[j], r->beta[j], b);
        ck_assert_msg(rel(r->se[j], se) <= 1e-4, "%s se %s: %.10g vs %.10g", model, terms[j],
                      r->se[j], se);
        worst = fmax(worst, rel(r->beta[j], b));
        worst_se = fmax(worst_se, rel(r->se[j], se));
    }
    if (with_k) {
        double se_k, k = ref(model, "k", &se_k), se_th, th = ref(model, "theta", &se_th);
        ck_assert_msg(rel(r->k, k) <= 1e-4, "%s k %.10g vs R %.10g", model, r->k, k);
        ck_assert_msg(rel(r->theta, th) <= 1e-4, "%s theta", model);
        ck_assert_msg(rel(r->se_k, se_k) <= 1e-3, "%s se k %.10g vs %.10g", model, r->se_k, se_k);
        ck_assert_msg(rel(r->se_theta, se_th) <= 1e-3, "%s se theta", model);
        worst = fmax(worst, rel(r->k, k));
        fprintf(stderr, "nb2 %s: k %.10g (R %.10g), se_k rel dev %.2g\n", model, r->k, k,
                rel(r->se_k, se_k));
    }
    double ll = ref(model, "loglik", NULL);
    if (!isnan(ll))
        ck_assert_msg(rel(r->loglik, ll) <= 1e-8, "%s loglik %.12g vs %.12g", model, r->loglik, ll);
    fprintf(stderr, "nb2 %s: largest rel dev coefficients+k %.3g, se %.3g, loglik %.3g\n", model,
            worst, worst_se, isnan(ll) ? 0.0 : rel(r->loglik, ll));
    return worst;
}

static const char *const section_terms[] = {"(Intercept)", "lnlen", "arterial", "collector",
                                            "lnyears"};

START_TEST(test_sections_vs_glm_nb)
{
    static fixture f;
    static double x[MAXROWS * 5], off[MAXROWS];
    read_sections(&f);
    for (size_t i = 0; i < f.n; i++)
        off[i] = log(f.years[i]);
    nb2_data d = {f.n, section_design(&f, 0, x), f.y, x, off};
    nb2_result r;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_OK);
    ck_assert_msg(r.converged, "%s", err);
    compare(&r, "sections_nb", section_terms, 1);
    ck_assert_double_eq_tol(r.aic, -2 * r.loglik + 10, 1e-9);
    /* The prediction is exp(x'beta + offset). */
    double mu = nb2_predict(&r, x + 7 * 4, off[7]);
    double e = off[7];
    for (size_t j = 0; j < 4; j++)
        e += x[7 * 4 + j] * r.beta[j];
    ck_assert_double_eq_tol(mu, exp(e), 1e-12 * exp(e));
    nb2_result_free(&r);

    /* ln years as a covariate instead of the offset (and no offset at all). */
    d.p = section_design(&f, 1, x);
    d.offset = NULL;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_OK);
    ck_assert(r.converged);
    compare(&r, "sections_nb_nooffset", section_terms, 1);
    nb2_result_free(&r);
}
END_TEST

START_TEST(test_junctions_vs_glm_nb)
{
    static fixture f;
    static double x[MAXROWS * 2], off[MAXROWS];
    read_junctions(&f);
    for (size_t i = 0; i < f.n; i++) {
        x[2 * i] = 1;
        x[2 * i + 1] = log(f.a[i]);
        off[i] = log(f.years[i]);
    }
    nb2_data d = {f.n, 2, f.y, x, off};
    nb2_result r;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_OK);
    ck_assert(r.converged);
    static const char *const terms[] = {"(Intercept)", "lndeg"};
    compare(&r, "junctions_nb", terms, 1);
    nb2_result_free(&r);
}
END_TEST

START_TEST(test_underdispersed_is_poisson)
{
    static fixture f;
    static double x[MAXROWS * 4], off[MAXROWS];
    read_sections(&f);
    for (size_t i = 0; i < f.n; i++)
        off[i] = log(f.years[i]);
    nb2_data d = {f.n, section_design(&f, 0, x), f.y2, x, off};
    nb2_result r, rp;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_OK);
    ck_assert(r.converged);
    /* R's glm.nb drifts to k ~ 8e-18 with warnings; here k reaches the boundary exactly. */
    ck_assert_double_le(r.k, 1e-6);
    ck_assert_double_le(ref("under_nb", "k", NULL), 1e-6);
    ck_assert(isinf(r.theta) && isnan(r.se_k));
    compare(&r, "under_poisson", section_terms, 0);
    compare(&r, "under_nb", section_terms, 0);
    /* The Poisson-only fit gives the same. */
    nb2_opts o;
    nb2_opts_init(&o);
    o.poisson = 1;
    ck_assert_int_eq(nb2_fit(&d, &o, &rp, err, sizeof err), HZ_OK);
    ck_assert(rp.converged && rp.k == 0);
    compare(&rp, "under_poisson", section_terms, 0);
    ck_assert_double_eq_tol(rp.aic, -2 * rp.loglik + 8, 1e-9);
    nb2_result_free(&r);
    nb2_result_free(&rp);
}
END_TEST

START_TEST(test_refusals)
{
    static fixture f;
    static double x[MAXROWS * 5], y[MAXROWS];
    read_sections(&f);
    /* Singular: a "local" dummy makes the three class dummies sum to the intercept. */
    section_design(&f, 0, x);
    for (size_t i = f.n; i-- > 0;) { /* widen rows from 4 to 5 columns, last row first */
        double *r = x + i * 5;
        memmove(r, x + i * 4, 4 * sizeof *x);
        r[4] = f.cls[i] == 0;
    }
    nb2_data d = {f.n, 5, f.y, x, NULL};
    nb2_result r;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "singular") && strstr(err, "column 5"), "%s", err);
    ck_assert_ptr_null(r.beta);
    nb2_result_free(&r);
    /* A column proportional to another. */
    for (size_t i = 0; i < f.n; i++)
        x[i * 5 + 4] = 3 * x[i * 5 + 1];
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "column 5"), "%s", err);
    /* A zero column. */
    for (size_t i = 0; i < f.n; i++)
        x[i * 5 + 4] = 0;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    /* Back to 4 columns for the value checks. */
    d.p = section_design(&f, 0, x);
    memcpy(y, f.y, f.n * sizeof *y);
    d.y = y;
    y[10] = -1;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "row 11"), "%s", err);
    y[10] = 2.5;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    y[10] = NAN;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    y[10] = f.y[10];
    x[3 * 4 + 1] = INFINITY;
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "row 4, column 2"), "%s", err);
    x[3 * 4 + 1] = 0;
    d.n = 5; /* 5 < p + 2 */
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "too few"), "%s", err);
    d.n = f.n;
    memset(y, 0, f.n * sizeof *y);
    ck_assert_int_eq(nb2_fit(&d, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(nb2_fit(NULL, NULL, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(nb2_fit(&d, NULL, NULL, err, sizeof err), HZ_EINVAL);
}
END_TEST

START_TEST(test_iteration_cap)
{
    static fixture f;
    static double x[MAXROWS * 4];
    read_sections(&f);
    nb2_data d = {f.n, section_design(&f, 0, x), f.y, x, NULL};
    nb2_opts o;
    nb2_opts_init(&o);
    o.max_iter = 1;
    o.max_irls = 2;
    nb2_result r;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.converged, 0);
    ck_assert_int_le(r.iter, 1);
    ck_assert_msg(strstr(err, "not converged"), "%s", err);
    nb2_result_free(&r);
}
END_TEST

/* The textbook NB2 log-likelihood with lgamma (fine for moderate k). */
static double textbook_ll(const double *y, const double *mu, size_t n, double k)
{
    double l = 0, th = 1 / k;
    int sg;
    for (size_t i = 0; i < n; i++)
        l += lgamma_r(y[i] + th, &sg) - lgamma_r(th, &sg) - lgamma_r(y[i] + 1, &sg) +
             y[i] * log(k * mu[i]) - (y[i] + th) * log1p(k * mu[i]);
    return l;
}

START_TEST(test_likelihood_in_k)
{
    /* Means spanning u = k mu on both sides of the series switch (0.05). */
    static const double y[] = {0, 1, 3, 7, 0, 2, 12, 5};
    static const double mu[] = {0.02, 0.3, 1.5, 6.0, 0.9, 2.2, 9.5, 0.04};
    const size_t n = 8;
    nb2_lik L;
    ck_assert_int_eq(nb2_lik_init(&L, y, n), 0);
    static const double ks[] = {1e-3, 0.01, 0.04, 0.2, 1.0, 5.0};
    for (size_t t = 0; t < 6; t++) {
        double k = ks[t], d1, d2, h = 1e-5 * k;
        double l = nb2_lik_eval(&L, mu, k, &d1, &d2);
        ck_assert_msg(fabs(l - textbook_ll(y, mu, n, k)) <= 1e-10 * fabs(l), "k=%g", k);
        double lp, lm, d1p, d1m;
        lp = nb2_lik_eval(&L, mu, k + h, &d1p, NULL);
        lm = nb2_lik_eval(&L, mu, k - h, &d1m, NULL);
        ck_assert_msg(fabs((lp - lm) / (2 * h) - d1) <= 1e-6 * (1 + fabs(d1)), "d1 k=%g", k);
        ck_assert_msg(fabs((d1p - d1m) / (2 * h) - d2) <= 1e-6 * (1 + fabs(d2)), "d2 k=%g", k);
    }
    /* k = 0: the Poisson log-likelihood; score (1/2) sum((y - mu)^2 - y). */
    double d1, pois = 0, score = 0;
    for (size_t i = 0; i < n; i++) {
        int sg;
        pois += y[i] * log(mu[i]) - mu[i] - lgamma_r(y[i] + 1, &sg);
        score += 0.5 * ((y[i] - mu[i]) * (y[i] - mu[i]) - y[i]);
    }
    ck_assert_double_eq_tol(nb2_lik_eval(&L, mu, 0, &d1, NULL), pois, 1e-12 * fabs(pois));
    ck_assert_double_eq_tol(d1, score, 1e-12 * fabs(score));
    /* Continuity at 0: k = 1e-12 agrees with k = 0. */
    ck_assert_double_eq_tol(nb2_lik_eval(&L, mu, 1e-12, NULL, NULL), pois, 1e-9);
    nb2_lik_free(&L);
}
END_TEST

START_TEST(test_separation_does_not_converge)
{
    /* Every arterial site with y = 0: the arterial coefficient diverges to -inf. */
    static fixture f;
    static double x[MAXROWS * 4], y[MAXROWS];
    read_sections(&f);
    nb2_data d = {f.n, section_design(&f, 0, x), y, x, NULL};
    for (size_t i = 0; i < f.n; i++)
        y[i] = f.cls[i] == 2 ? 0 : f.y[i];
    nb2_opts o;
    nb2_opts_init(&o);
    o.max_iter = 5;
    nb2_result r;
    char err[256] = "";
    ck_assert_int_eq(nb2_fit(&d, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.converged, 0);
    ck_assert_double_lt(r.beta[2], -10);
    nb2_result_free(&r);
}
END_TEST

Suite *nb2_suite(void)
{
    Suite *s = suite_create("nb2");
    TCase *tc = tcase_create("nb2");
    tcase_add_test(tc, test_sections_vs_glm_nb);
    tcase_add_test(tc, test_junctions_vs_glm_nb);
    tcase_add_test(tc, test_underdispersed_is_poisson);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_iteration_cap);
    tcase_add_test(tc, test_likelihood_in_k);
    tcase_add_test(tc, test_separation_does_not_converge);
    suite_add_tcase(s, tc);
    return s;
}
