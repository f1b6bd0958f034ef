/* nb2_lik.h - the NB2 log-likelihood as a function of the overdispersion k, for nb2.c (internal).
 *
 * For counts y_i with means mu_i and k = 1/theta >= 0 (Hilbe, Negative Binomial Regression, 2nd
 * ed., sec. 8.2; Cameron & Trivedi, Regression Analysis of Count Data, 2nd ed., eq. 3.11):
 *   l = sum_i [ lnG(y_i + 1/k) - lnG(1/k) - lnG(y_i + 1) + y_i ln(k mu_i) - (y_i + 1/k) ln(1 + k
 * mu_i) ] rewritten, with lnG(y + 1/k) - lnG(1/k) = sum_{j<y} ln(1/k + j), as l = sum_{j>=0} c_j
 * ln(1 + k j) + sum_i [ y_i ln mu_i - y_i ln(1 + k mu_i) - mu_i L(k mu_i)
 *       - lnG(y_i + 1) ]
 * where c_j = #{i : y_i > j} and L(u) = ln(1 + u)/u (L(0) = 1). This form has no lgamma
 * cancellation as k -> 0 and is continuous there: at k = 0 it is the Poisson log-likelihood, and
 * its derivative in k is (1/2) sum_i ((y_i - mu_i)^2 - y_i). The first and second derivatives in k
 * are
 *   l'  = sum_j c_j j/(1 + k j) + sum_i [ -y_i mu_i/(1 + k mu_i) + mu_i^2 G(k mu_i) ]
 *   l'' = -sum_j c_j j^2/(1 + k j)^2 + sum_i [ y_i mu_i^2/(1 + k mu_i)^2 + mu_i^3 H(k mu_i) ]
 * with G(u) = (ln(1 + u) - u/(1 + u))/u^2 and H(u) = G'(u), evaluated by their power series for
 * small u. Counts are integers 0 <= y <= NB2_MAX_COUNT (checked by nb2.c). */
#ifndef HAZMAP_NB2_LIK_H
#define HAZMAP_NB2_LIK_H

#include <stddef.h>

/* The counts' part of the likelihood that does not depend on mu; owns tail. */
typedef struct nb2_lik {
    size_t n;
    const double *y;   /* borrowed, n counts */
    double *tail;      /* tail[j] = #{i : y_i > j}, j < ymax; owned */
    size_t ymax;       /* largest count */
    double lgamma_sum; /* sum_i lnG(y_i + 1) */
} nb2_lik;

/* Returns 0, or -1 when out of memory. */
int nb2_lik_init(nb2_lik *L, const double *y, size_t n);
void nb2_lik_free(nb2_lik *L);

/* l(k) at means mu; d1 and d2 (may be NULL) receive l'(k) and l''(k). k >= 0. */
double nb2_lik_eval(const nb2_lik *L, const double *mu, double k, double *d1, double *d2);

#endif
