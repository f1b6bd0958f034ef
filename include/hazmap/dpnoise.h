/* dpnoise.h - exact discrete Gaussian noise and its privacy accounting (zero-concentrated
 * differential privacy), for the public statistical release (release.h).
 *
 * Mechanism: the discrete Gaussian N_Z(0, s2), P[X = x] = exp(-x^2 / (2 s2)) / Z for every integer
 * x, sampled exactly as Canonne, Kamath & Steinke 2020 ("The Discrete Gaussian for Differential
 * Privacy", NeurIPS), Algorithm 1 (Bernoulli(exp(-gamma)) for a rational gamma), Algorithm 2
 * (discrete Laplace) and Algorithm 3 (discrete Gaussian by rejection from the discrete Laplace).
 * s2 is a rational and every step is integer arithmetic on uniformly random bytes: no floating
 * point touches a sample, because floating-point noise leaks the value it hides through the
 * pattern of representable doubles (Mironov 2012, "On significance of the least significant bits
 * for differential privacy").
 *
 * Accounting: adding N_Z(0, s2) to an integer query of L2 sensitivity 1 is rho-zCDP with
 * rho = 1 / (2 s2) (CKS 2020, Theorem 4); rho adds up over queries (Bun & Steinke 2016, Lemma
 * 2.3); and rho-zCDP implies (epsilon, delta)-DP for epsilon = rho + 2 sqrt(rho ln(1/delta))
 * (Bun & Steinke 2016, Proposition 1.3).
 *
 * Randomness: a dpn_source hands out bytes from a caller's function (the release uses
 * dpn_source_system(), OpenSSL's RAND_bytes; tests use dpn_source_keyed(), an AES-256-CTR key
 * stream, so that a fixed key reproduces every draw). The samplers consume a number of bytes that
 * depends only on the bytes themselves, never on data.
 *
 * Failures: HZ_EINVAL for parameters out of range, HZ_EIO when the byte source fails, HZ_ELIMIT
 * when a rejection loop runs past a bound that a working source exceeds with probability below
 * exp(-100000) (a stuck source, e.g. one returning only 0xff bytes). No sample is approximated.
 *
 * Ownership: dpn_source_*() constructors return a source freed with dpn_source_free() (NULL is a
 * no-op), or NULL when out of memory (or when OpenSSL cannot set up the cipher). A source is used
 * by one thread at a time. The other functions are pure. */
#ifndef HAZMAP_DPNOISE_H
#define HAZMAP_DPNOISE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* A non-negative rational num / den; as a variance s2 = num / den. */
typedef struct dpn_ratio {
    uint64_t num, den;
} dpn_ratio;

/* Bounds of a variance the samplers accept: 0 < num <= DPN_MAX_NUM, 0 < den <= DPN_MAX_DEN and
 * num / den <= DPN_MAX_S2 (sigma up to 4096). They keep every intermediate below 2^127. */
#define DPN_MAX_NUM (UINT64_C(1) << 40)
#define DPN_MAX_DEN (UINT64_C(1) << 20)
#define DPN_MAX_S2 (UINT64_C(1) << 24)
/* dpn_split() rounds each variance up to a multiple of 1 / DPN_SPLIT_DEN. */
#define DPN_SPLIT_DEN 1024
#define DPN_KEY_BYTES 32
/* Largest scale of dpn_laplace() (the Gaussian uses t = floor(sigma) + 1 <= 4097). */
#define DPN_MAX_LAPLACE_T 8192

/* 1 if s2 is within the bounds above, else 0. */
int dpn_ratio_valid(dpn_ratio s2);

/* ---- randomness ---- */

/* Fills buf with n uniformly random bytes; returns 0, or non-zero on failure. */
typedef int (*dpn_bytes_fn)(void *ud, unsigned char *buf, size_t n);

typedef struct dpn_source dpn_source;

/* A source reading fn (ud is borrowed and passed back). */
dpn_source *dpn_source_new(dpn_bytes_fn fn, void *ud);
/* OpenSSL's cryptographically secure generator (RAND_bytes): what a release uses. */
dpn_source *dpn_source_system(void);
/* The AES-256-CTR key stream of key (initial counter 0): deterministic, for tests and for
 * releases reproducible by whoever holds the key. */
dpn_source *dpn_source_keyed(const unsigned char key[DPN_KEY_BYTES]);
void dpn_source_free(dpn_source *src);
/* Bytes consumed from the underlying function so far (for tests of the consumption rule). */
uint64_t dpn_source_bytes(const dpn_source *src);

/* ---- exact samplers ---- */

/* Bernoulli(exp(-gamma)) for gamma = g.num / g.den >= 0 (g.den > 0); *out is 0 or 1.
 * CKS 2020, Algorithm 1. */
hz_status dpn_bernoulli_exp(dpn_source *src, dpn_ratio g, int *out);

/* The discrete Laplace distribution of scale t >= 1, P[X = x] proportional to exp(-|x| / t).
 * CKS 2020, Algorithm 2 with s = 1. 1 <= t <= DPN_MAX_LAPLACE_T. */
hz_status dpn_laplace(dpn_source *src, uint64_t t, int64_t *out);

/* One draw of N_Z(0, s2). CKS 2020, Algorithm 3. */
hz_status dpn_gaussian(dpn_source *src, dpn_ratio s2, int64_t *out);

/* ---- the distribution (for intervals and tests; floating point, never used to sample) ---- */

/* P[X = x] under N_Z(0, s2): exp(-x^2 / (2 s2)) over the normalising sum, taken over every x
 * whose term is representable (|x| <= 40 sigma + 2). NaN when s2 is not valid. */
double dpn_pmf(dpn_ratio s2, int64_t x);

/* Variance of N_Z(0, s2) from the pmf (slightly below s2 when sigma < 1; equal to within 1e-12
 * relative above). NaN when s2 is not valid. */
double dpn_variance(dpn_ratio s2);

/* The smallest q >= 0 with P[X <= q] >= p, for 0.5 <= p < 1, summed from the pmf: X lies in
 * [-q, q] with probability at least 2p - 1 (p = 0.975 gives the 95 % interval). -1 when s2 is not
 * valid or p is out of range. */
int64_t dpn_quantile(dpn_ratio s2, double p);

/* ---- accounting (sensitivity 1 per query) ---- */

/* s2 as a double, and rho = 1 / (2 s2) = den / (2 num) of one query. */
double dpn_sigma2(dpn_ratio s2);
double dpn_rho(dpn_ratio s2);

/* epsilon = rho + 2 sqrt(rho ln(1/delta)) (Bun & Steinke 2016, Prop. 1.3), 0 < delta < 1. */
double dpn_epsilon(double rho, double delta);

/* The largest rho whose dpn_epsilon(rho, delta) is epsilon:
 * rho = (sqrt(ln(1/delta) + epsilon) - sqrt(ln(1/delta)))^2. */
double dpn_rho_for(double epsilon, double delta);

/* Splits the budget (epsilon, delta) over n queries of sensitivity 1 in proportion to weight[]
 * (each > 0): query i gets rho_i = rho * weight[i] / sum(weight) and the variance
 * s2[i] = 1 / (2 rho_i) rounded up to a multiple of 1 / DPN_SPLIT_DEN, so that the composed
 * sum of dpn_rho(s2[i]) never exceeds dpn_rho_for(epsilon, delta). HZ_EINVAL for epsilon <= 0,
 * delta outside (0, 1), a weight <= 0, or a variance outside the bounds above (budget too small
 * or too large for the samplers). */
hz_status dpn_split(double epsilon, double delta, size_t n, const double *weight, dpn_ratio *s2,
                    char *err, size_t errlen);

#endif
