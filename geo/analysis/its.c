/* its.c - interrupted time series by segmented quasi-Poisson regression (its.h). */
#include "hazmap/its.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/nb2.h"

#define Z95 1.959963984540054
#define PI 3.14159265358979323846

const char *its_season_name(its_season s)
{
    switch (s) {
    case ITS_SEASON_MONTHS:
        return "month_dummies";
    case ITS_SEASON_HARMONICS:
        return "harmonics";
    case ITS_SEASON_NONE:
        return "none";
    }
    return "none";
}

static size_t season_cols(its_season s)
{
    return s == ITS_SEASON_MONTHS ? 11 : s == ITS_SEASON_HARMONICS ? 4 : 0;
}

/* Fills row i of the design (p columns) and names the columns. */
static void design_row(const its_data *d, size_t i, double *row, its_result *r)
{
    double t = (double)i, post = i >= d->t0 ? 1.0 : 0.0;
    row[0] = 1.0;
    row[1] = t;
    row[2] = post;
    row[3] = post * (t - (double)d->t0);
    int m = (int)((size_t)(d->first_month - 1) + i) % 12; /* 0 = January */
    if (d->season == ITS_SEASON_MONTHS) {
        for (int j = 1; j < 12; j++) {
            row[3 + j] = m == j ? 1.0 : 0.0;
            snprintf(r->names[3 + j], sizeof r->names[0], "m%d", j + 1);
        }
    } else if (d->season == ITS_SEASON_HARMONICS) {
        for (int h = 1; h <= 2; h++) {
            row[2 + 2 * h] = sin(2 * PI * h * m / 12.0);
            row[3 + 2 * h] = cos(2 * PI * h * m / 12.0);
            snprintf(r->names[2 + 2 * h], sizeof r->names[0], "sin%d", h);
            snprintf(r->names[3 + 2 * h], sizeof r->names[0], "cos%d", h);
        }
    }
}

static hz_status check(const its_data *d, char *err, size_t errlen)
{
    if (!d || !d->count || !d->exposure || d->first_month < 1 || d->first_month > 12)
        return hz_fail(HZ_EINVAL, err, errlen, "its: no series or a bad first month");
    if (d->t0 < ITS_MIN_BEFORE)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "its: %zu months before the intervention; an interrupted time series "
                       "needs at least %d",
                       d->t0, ITS_MIN_BEFORE);
    if (d->t0 >= d->n)
        return hz_fail(HZ_EINVAL, err, errlen, "its: no month after the intervention");
    for (size_t i = 0; i < d->n; i++)
        if (!(d->exposure[i] > 0) || !isfinite(d->exposure[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "its: month %zu: exposure %g is not > 0", i + 1,
                           d->exposure[i]);
    return HZ_OK;
}

static its_coef coef_of(double est, double se)
{
    its_coef c = {est, se, est - Z95 * se, est + Z95 * se, erfc(fabs(est / se) / sqrt(2.0))};
    return c;
}

hz_status its_fit(const its_data *d, its_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    hz_status rc = check(d, err, errlen);
    if (rc != HZ_OK) return rc;
    size_t n = d->n, p = 4 + season_cols(d->season);
    assert(p <= ITS_MAX_P);
    double *x = malloc(n * p * sizeof *x), *off = malloc(n * sizeof *off);
    if (!x || !off) {
        free(x);
        free(off);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    static const char *const base[4] = {"int", "t", "post", "since"};
    for (int j = 0; j < 4; j++)
        snprintf(out->names[j], sizeof out->names[0], "%s", base[j]);
    for (size_t i = 0; i < n; i++) {
        design_row(d, i, x + i * p, out);
        off[i] = log(d->exposure[i]);
    }
    nb2_data nd = {n, p, d->count, x, off};
    nb2_opts o;
    nb2_opts_init(&o);
    o.poisson = 1;
    o.tol = 1e-12;
    nb2_result f;
    rc = nb2_fit(&nd, &o, &f, err, errlen);
    if (rc == HZ_OK) {
        double chi2 = 0, dev = 0;
        for (size_t i = 0; i < n; i++) {
            double mu = nb2_predict(&f, x + i * p, off[i]), y = d->count[i];
            chi2 += (y - mu) * (y - mu) / mu;
            dev += 2 * ((y > 0 ? y * log(y / mu) : 0) - (y - mu));
        }
        out->p = p;
        out->n = n;
        out->df = n - p;
        out->dispersion = chi2 / (double)(n - p);
        out->deviance = dev;
        out->converged = f.converged;
        for (size_t j = 0; j < p; j++)
            out->coef[j] = coef_of(f.beta[j], f.se[j] * sqrt(out->dispersion));
        out->trend = out->coef[1];
        out->level = out->coef[2];
        out->slope = out->coef[3];
    }
    nb2_result_free(&f);
    free(x);
    free(off);
    return rc;
}
