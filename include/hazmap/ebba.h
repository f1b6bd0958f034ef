/* ebba.h - the Empirical Bayes before/after evaluation of treated sites.
 *
 * Hauer, Observational Before-After Studies in Road Safety (Pergamon 1997), ch. 6-7; Hauer,
 * Harwood, Council & Griffith, TRR 1784 (2002); HSM 1st ed. (AASHTO 2010), part B ch. 9 and
 * appendix 9A.1. For each treated site i, with an SPF of overdispersion k_i predicting P_B,i
 * crashes over the before period and P_A,i over the after period, and O_B,i, O_A,i observed:
 *
 *     w_i       = 1 / (1 + k_i P_B,i)
 *     N_B,i     = w_i P_B,i + (1 - w_i) O_B,i          EB estimate for the before period
 *     r_i       = P_A,i / P_B,i                        traffic/duration adjustment
 *     N_A,i     = N_B,i r_i                            expected after, had nothing been done
 *     Var N_A,i = r_i^2 N_B,i (1 - w_i)                (HSM eq. 9A.1-9)
 *
 * Summed over the sites (lambda = sum O_A, pi = sum N_A, V = sum Var N_A):
 *     theta'    = lambda / pi                          the naive index
 *     theta     = theta' / (1 + V / pi^2)              corrected for its bias (Hauer 1997, eq. 6.6)
 *     Var theta = theta'^2 (1/lambda + V/pi^2) / (1 + V/pi^2)^2    (HSM eq. 9A.1-11; Hauer
 *                 1997 ch. 6 with Var lambda = lambda for Poisson counts; the HSM writes the
 *                 naive theta' in front, and so do we, so that the sample problem reproduces)
 * The 95 % CI is theta +- 1.96 SE (Hauer's normal approximation), clamped at 0; p is two-sided
 * normal for H0 theta = 1. Effectiveness = 100 (1 - theta) %. With lambda = 0 the variance
 * term 1/lambda is undefined: theta = 0 and SE, CI and p are NaN (say so, do not guess).
 *
 * Reference test: HSM section 9.10 sample problem (tests/data/ebba/SOURCE.md).
 * Thread-safety: pure functions. */
#ifndef HAZMAP_EBBA_H
#define HAZMAP_EBBA_H

#include <stddef.h>

#include "hazmap/status.h"

/* One treated site; a plain value. */
typedef struct ebba_site {
    double obs_before, obs_after;   /* counts, >= 0 */
    double pred_before, pred_after; /* SPF predictions over each whole period, > 0 */
    double k;                       /* NB2 overdispersion of the SPF, >= 0 */
} ebba_site;

typedef struct ebba_result {
    size_t n;
    double obs_before, obs_after, pred_before, pred_after; /* sums */
    double eb_before;                                      /* sum N_B */
    double expected_after;                                 /* pi = sum N_A */
    double var_expected_after;                             /* V */
    double theta_naive;                                    /* lambda / pi */
    double theta, se, lo, hi, p;                           /* corrected index; NaN see above */
    double effectiveness, se_effectiveness;                /* percent */
} ebba_result;

/* Evaluates n >= 1 sites. HZ_EINVAL naming the site (1-based) for a negative or non-finite
 * value or a prediction <= 0; then *out is all NaN. */
hz_status ebba_run(const ebba_site *s, size_t n, ebba_result *out, char *err, size_t errlen);

#endif
