/* nb2.h - negative binomial (NB2) regression by maximum likelihood: safety performance functions.
 *
 * Model (Hilbe, Negative Binomial Regression, 2nd ed., Cambridge 2011, ch. 8; Cameron & Trivedi,
 * Regression Analysis of Count Data, 2nd ed., sec. 3.3; the HSM's SPFs, HSM 1st ed. part C):
 *     y_i ~ NB(mu_i, k),  ln mu_i = x_i' beta + offset_i,  Var y_i = mu_i + k mu_i^2,
 * with k = 1/theta in the parameterisation of R's MASS::glm.nb (Venables & Ripley, Modern Applied
 * Statistics with S, 4th ed., sec. 7.4). A typical road SPF: x = (1, ln length, class dummies) and
 * offset ln(years) for sections, x = (1, ln degree) for junctions.
 *
 * Estimation, as glm.nb: a Poisson fit by IRLS gives the start; then, alternately, beta by IRLS
 * (Fisher scoring, working weights mu/(1 + k mu), step halving if the likelihood drops) at fixed
 * k, and k by a safeguarded Newton iteration on ln k maximising the likelihood at fixed mu, until
 * both stop moving (relative change <= tol). The log-likelihood in k is written so that k = 0 is
 * the Poisson model and is reached exactly: when the score in k at k = 0,
 * (1/2) sum((y - mu)^2 - y), is <= 0 (equi- or underdispersed counts), k = 0, theta = +inf and
 * beta is the Poisson GLM's (R's glm.nb instead drifts to theta ~ 1e17 with warnings).
 *
 * Standard errors are glm.nb's: for beta, the square roots of the diagonal of (X'WX)^-1, the
 * inverse expected information at the estimate (beta and k are orthogonal in it); for k, the
 * inverse observed information in k at fixed beta (R's SE.theta, mapped by se_k =
 * se_theta/theta^2).
 *
 * Limits and refusals (HZ_EINVAL with a message): n < p + 2; a count negative, not an integer or
 * above NB2_MAX_COUNT; a non-finite covariate or offset; every count 0; a design column that is a
 * linear combination of the earlier ones (relative tolerance 1e-7, as R's QR). Designs where an
 * estimate diverges (a class dummy whose sites all have y = 0) do not converge: converged = 0.
 *
 * Thread-safety: reentrant; no globals. */
#ifndef HAZMAP_NB2_H
#define HAZMAP_NB2_H

#include <stddef.h>

#include "hazmap/status.h"

#define NB2_MAX_COUNT 1000000

/* The data, all borrowed for the call. */
typedef struct nb2_data {
    size_t n;             /* observations (sites) */
    size_t p;             /* coefficients: columns of x, the intercept's column of 1 included */
    const double *y;      /* n counts */
    const double *x;      /* n x p design, row-major: x[i * p + j] */
    const double *offset; /* n offsets added to the linear predictor (e.g. ln years), or NULL */
} nb2_data;

typedef struct nb2_opts {
    int max_iter; /* alternations of beta and k (glm.nb's outer loop); default 100 */
    int max_irls; /* IRLS iterations per beta fit; default 100 */
    double tol;   /* relative change of beta and k that ends the iteration; default 1e-10 */
    int poisson;  /* 1: fit the Poisson GLM only (k fixed at 0); default 0 */
} nb2_opts;

/* max_iter 100, max_irls 100, tol 1e-10, poisson 0. */
void nb2_opts_init(nb2_opts *o);

/* A fit. beta, se and cov point into one block owned by the result: release with
 * nb2_result_free. */
typedef struct nb2_result {
    size_t p;
    double *beta;    /* p coefficients, in design column order */
    double *se;      /* p standard errors */
    double *cov;     /* p x p row-major (X'WX)^-1 */
    double k;        /* overdispersion, >= 0; 0 when the fit is at the Poisson boundary */
    double se_k;     /* NaN when k == 0 */
    double theta;    /* 1/k (+inf when k == 0) */
    double se_theta; /* NaN when k == 0 */
    double loglik;   /* maximised log-likelihood (the full one, with ln y! terms) */
    double aic;      /* -2 loglik + 2 (p + 1), as glm.nb's (p for the Poisson fit) */
    int iter;        /* alternations done */
    int irls_iter;   /* IRLS iterations over all alternations */
    int converged;   /* 1 when both beta and k stopped moving within the caps */
} nb2_result;

/* Fits the model. o == NULL means the defaults. On HZ_OK *out holds the fit (check converged;
 * when 0, err also says so); on failure *out is zeroed (nb2_result_free is still safe) and err
 * names the offending row or column. HZ_ENOMEM when allocation fails. */
hz_status nb2_fit(const nb2_data *d, const nb2_opts *o, nb2_result *out, char *err, size_t errlen);

/* exp(x' beta + offset): the fit's prediction for one site (x has p entries). */
double nb2_predict(const nb2_result *r, const double *x, double offset);

void nb2_result_free(nb2_result *r);

#endif
