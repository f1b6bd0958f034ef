/* capture.h - capture-recapture estimates of the total number of injuries from several
 * overlapping sources (hospital, police, ...), after record linkage (linkage.h) has said which
 * records describe the same event.
 *
 * Two sources: Chapman's estimator (Chapman 1951), its variance (Seber 1970; Seber 1982, p. 60)
 * and the log-transformed 95 % interval of Chao (1987), whose lower end never falls below the
 * number of distinct events observed.
 * Three or more sources: a log-linear model (Fienberg 1972; Bishop, Fienberg & Holland 1975,
 * ch. 6): a Poisson GLM with log link on the 2^k - 1 observed capture-history cells, main effects
 * plus a set of two-way interactions, chosen by AIC among all sets (k <= 4) or by forward
 * selection (k > 4). The unobserved cell (no source) is exp(intercept) and N the observed
 * events plus it. var(N) by the delta method: g' I^-1 g with g = X'mu + exp(b0) e0 the gradient
 * of N in the coefficients and I = X'WX the Poisson information, minus N for multinomial
 * sampling (Cormack 1989; Rivest & Levesque 2001); with two sources it is Lincoln-Petersen's
 * n1 n2 (n1 - m)(n2 - m) / m^3. The 95 % interval is Chao's log-transformed one as for
 * Chapman, conditional on the chosen model (model-selection uncertainty is not in it).
 *
 * All functions are pure and thread-safe. */
#ifndef HAZMAP_CAPTURE_H
#define HAZMAP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* The most sources capture_loglinear() accepts (2^k cells). */
enum { CAPTURE_MAX_SOURCES = 8 };

typedef struct capture_est {
    double observed; /* distinct events seen by at least one source */
    double total;    /* estimated total N */
    double missed;   /* N - observed: the injuries no source recorded */
    double se;       /* standard error of N (Chapman: Seber's; log-linear: delta method) */
    double se_b0;    /* log-linear: standard error of the intercept, log of the missed cell */
    double lo, hi;   /* 95 % interval of N */
    /* log-linear only: */
    unsigned interactions; /* bit (pair index, see capture_pair_index()) of each interaction */
    int nparams;           /* parameters of the chosen model */
    double deviance;       /* residual deviance */
    double aic;            /* AIC as R's glm() reports it (log y! terms included) */
    int converged;         /* 1 when the fit converged */
} capture_est;

/* Chapman: n1, n2 records per source, m in both (0 <= m <= min(n1, n2)).
 *   N = (n1 + 1)(n2 + 1)/(m + 1) - 1
 *   var = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))
 *   Chao interval: f0 = N - M (M = n1 + n2 - m), C = exp(1.96 sqrt(ln(1 + var / f0^2))),
 *   [M + f0 / C, M + f0 C] (with f0 = 0: [M, M]).
 * HZ_EINVAL for inconsistent counts. */
hz_status capture_chapman(int64_t n1, int64_t n2, int64_t m, capture_est *out);

/* The index of the two-way interaction of sources i < j among the k(k-1)/2 pairs, in the order
 * (0,1), (0,2), ..., (0,k-1), (1,2), ...: the bit of capture_est.interactions. */
int capture_pair_index(int k, int i, int j);

/* Fits the log-linear model with main effects and the interactions in mask (bits as
 * capture_pair_index()) to cells[1 .. 2^k - 1] (cells[h]: events whose sources are the set bits
 * of h; cells[0] is ignored) and fills out. HZ_EINVAL for k outside 2..CAPTURE_MAX_SOURCES, a
 * model with as many parameters as cells plus one, or negative counts. A fit that does not
 * converge (a zero cell driving a parameter to infinity) returns HZ_OK with converged 0 and
 * total/lo/hi infinite or NaN. */
hz_status capture_loglinear_fit(int k, const int64_t *cells, unsigned mask, capture_est *out,
                                char *err, size_t errlen);

/* Chooses the interactions by AIC (all sets for k <= 4, forward selection above) among the
 * converged fits and returns the chosen fit. HZ_EINVAL as above; k = 2 fits main effects only
 * (the Lincoln-Petersen estimate). */
hz_status capture_loglinear(int k, const int64_t *cells, capture_est *out, char *err,
                            size_t errlen);

#endif
