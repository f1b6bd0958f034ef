/* poisson.h - exact Poisson confidence intervals and the regularised incomplete gamma function.
 *
 * The exact (Garwood 1936) interval for a Poisson count k at confidence 1 - alpha is
 *   lower = chi2_quantile(alpha/2, 2k) / 2,   upper = chi2_quantile(1 - alpha/2, 2k + 2) / 2,
 * i.e. the gamma quantiles P^-1(k, alpha/2) and Q^-1(k + 1, alpha/2), using
 *   P(X >= k | mu) = P(k, mu) and P(X <= k | mu) = Q(k + 1, mu)  (X ~ Poisson(mu)).
 * Everything here is computed in this module (series and continued fraction of Numerical Recipes,
 * 3rd ed., sec. 6.2; a safeguarded Newton-bisection inverse); no statistics library is used.
 *
 * Thread-safety: pure functions, reentrant. */
#ifndef HAZMAP_POISSON_H
#define HAZMAP_POISSON_H

#include <stdint.h>

/* Regularised lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0, x >= 0.
 * NaN for a <= 0, x < 0 or non-finite input. */
double poisson_gamma_p(double a, double x);

/* The upper complement Q(a, x) = 1 - P(a, x), computed directly (no cancellation). */
double poisson_gamma_q(double a, double x);

/* x such that P(a, x) = p, for a > 0 and 0 < p < 1 (0 for p == 0, +inf for p == 1);
 * relative accuracy about 1e-12. NaN for bad arguments. */
double poisson_gamma_p_inv(double a, double p);

/* x such that Q(a, x) = q (the same, accurate for small q). */
double poisson_gamma_q_inv(double a, double q);

/* Exact (Garwood) two-sided interval for the mean of a Poisson count k >= 0 at confidence conf
 * (0.95 for 95 %). For k == 0 the lower bound is 0 and the upper bound uses alpha/2 (3.689 at
 * 95 %), the usual convention of the tables (e.g. Ulm 1990). Returns 0, or -1 for k < 0 or conf
 * outside (0, 1) (then *lo and *hi are NaN). */
int poisson_ci(int64_t k, double conf, double *lo, double *hi);

#endif
