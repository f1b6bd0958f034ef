/* ebayes.h - Empirical Bayes expected crash frequency of a site (network screening).
 *
 * Highway Safety Manual, 1st ed. (AASHTO 2010), part B, ch. 4 (network screening, "excess
 * expected average crash frequency with EB adjustment") and part C, appendix A.2; the method is
 * Hauer's (Observational Before-After Studies in Road Safety, 1997, ch. 7; Hauer, Harwood,
 * Council & Griffith, TRR 1784, 2002). For one site observed over a study period:
 *
 *     N_pred = sum over the study years of the safety performance function's prediction
 *     w      = 1 / (1 + k * N_pred)                  weight on the prediction, in (0, 1]
 *     N_exp  = w * N_pred + (1 - w) * N_obs          EB expected crashes over the period
 *     excess = N_exp - N_pred                        excess expected crashes (the ranking key)
 *     var    = (1 - w) * N_exp                       Var(N_exp | N_obs) (Hauer 1997, eq. 7.9)
 *
 * k is the overdispersion of the SPF's negative binomial (Var = mu + k mu^2; per site, e.g. the
 * HSM's k = 0.236 / L for rural two-lane segments). With N_pred and N_obs over the same years the
 * units cancel; divide by the years for an annual figure.
 *
 * Edge cases, all by the formula: k == 0 (a Poisson SPF: the prediction is exact) gives w = 1 and
 * N_exp = N_pred; N_pred == 0 also gives w = 1 and N_exp = 0 (an SPF that predicts no crash at
 * all outweighs any observation - fix the SPF, not this). N_obs need not be an integer (a
 * severity-weighted count may be given). Negative, NaN or infinite inputs are refused.
 *
 * Thread-safety: pure functions, reentrant. */
#ifndef HAZMAP_EBAYES_H
#define HAZMAP_EBAYES_H

#include <stddef.h>

#include "hazmap/status.h"

/* One site's EB estimate; a plain value, no ownership. */
typedef struct ebayes_result {
    double pred;     /* N_pred, as given (or summed by ebayes_site_years) */
    double w;        /* weight on the prediction, 0 < w <= 1 */
    double expected; /* N_exp, between N_pred and N_obs */
    double excess;   /* N_exp - N_pred; > 0 when the site has more crashes than its peers */
    double variance; /* (1 - w) * N_exp >= 0 */
} ebayes_result;

/* EB estimate for a site with obs crashes observed and pred predicted over the same period,
 * under an SPF of overdispersion k. Returns HZ_OK, or HZ_EINVAL (then *out is all NaN) when any
 * argument is negative or not finite, or out is NULL. */
hz_status ebayes_site(double obs, double pred, double k, ebayes_result *out);

/* The same with the prediction given per study year (pred_by_year[0..nyears-1], summed; the
 * HSM's sum of N_pred,y). nyears == 0 means N_pred = 0. HZ_EINVAL for a bad value in any year. */
hz_status ebayes_site_years(double obs, const double *pred_by_year, size_t nyears, double k,
                            ebayes_result *out);

#endif
