/* its.h - interrupted time series: segmented quasi-Poisson regression of monthly counts.
 *
 * Model (Bernal, Cummins & Gasparrini 2017, "Interrupted time series regression for the
 * evaluation of public health interventions: a tutorial", Int J Epidemiol 46:348; Wagner et al.
 * 2002, J Clin Pharm Ther 27:299), for months t = 0 .. n-1 with the intervention at month t0:
 *
 *     ln E[y_t] = ln(E_t) + b0 + b1 t + b2 post_t + b3 (t - t0) post_t + season_t,
 *     post_t = 1 when t >= t0, Var y_t = phi E[y_t]
 *
 * E_t the exposure (population x days of the month), b1 the pre-intervention trend (per month),
 * b2 the level change at t0, b3 the slope change (per month). Season (its_season): by default
 * month dummies (11 columns, the first calendar month January is the reference) - no shape is
 * imposed on the seasonal pattern, at the cost of 11 degrees of freedom, which the >= 24
 * months before allow; or 2 Fourier harmonic pairs sin/cos(2 pi h m / 12), h = 1, 2 (m = month
 * 0..11); or none.
 *
 * Estimation: the Poisson GLM by IRLS (nb2_fit with poisson = 1: Fisher scoring, the same
 * algorithm as R's glm), then the quasi-Poisson dispersion phi = Pearson chi2 / (n - p) = sum
 * (y - mu)^2 / mu / (n - p), and the standard errors sqrt(phi) x those of the Poisson fit, as
 * R's summary.glm(family = quasipoisson). 95 % CIs are Wald intervals b +- z_0.975 se, p-values
 * two-sided normal (R's summary uses the t distribution on n - p df; with n - p >= 20 the two
 * differ by under 5 % in the interval's width). Reference: tests/data/its (R 4.2, glm).
 *
 * Refusals (HZ_EINVAL, message naming the cause): fewer than ITS_MIN_BEFORE months before t0,
 * no month from t0 on, an exposure <= 0 or not finite, a negative or non-integer count, every
 * count 0, a design the counts cannot identify (nb2's rank check).
 *
 * Thread-safety: reentrant; no globals. */
#ifndef HAZMAP_ITS_H
#define HAZMAP_ITS_H

#include <stddef.h>

#include "hazmap/status.h"

enum { ITS_MIN_BEFORE = 24, ITS_MAX_P = 15 };

typedef enum its_season {
    ITS_SEASON_MONTHS = 0,    /* 11 month dummies (default) */
    ITS_SEASON_HARMONICS = 1, /* 2 sin/cos pairs */
    ITS_SEASON_NONE = 2
} its_season;

/* The series, borrowed for the call. */
typedef struct its_data {
    size_t n;               /* months */
    const double *count;    /* n counts */
    const double *exposure; /* n exposures (population x days), > 0 */
    int first_month;        /* calendar month (1..12) of count[0] */
    size_t t0;              /* index of the first month of the intervention */
    its_season season;
} its_data;

/* One coefficient on the log scale with its 95 % CI and two-sided p. */
typedef struct its_coef {
    double est, se, lo, hi, p;
} its_coef;

/* A fit: a plain value. Coefficients in design order: intercept, t, post, since, then the
 * season's columns (month dummies 2..12 of the calendar, or sin1, cos1, sin2, cos2). */
typedef struct its_result {
    size_t p, n;
    char names[ITS_MAX_P][16];
    its_coef coef[ITS_MAX_P];
    its_coef trend, level, slope; /* coef[1], coef[2], coef[3] */
    double dispersion;            /* phi */
    double deviance;
    size_t df; /* n - p */
    int converged;
} its_result;

/* Fits the model; HZ_OK with *out filled, else HZ_EINVAL / HZ_ENOMEM with err set. */
hz_status its_fit(const its_data *d, its_result *out, char *err, size_t errlen);

/* The seasonality's word: "month_dummies", "harmonics", "none". */
const char *its_season_name(its_season s);

#endif
