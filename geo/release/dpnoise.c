/* dpnoise.c - exact discrete Gaussian sampling (Canonne, Kamath & Steinke 2020) and zCDP
 * accounting (see dpnoise.h).
 *
 * Invariants:
 *  1. Samples are computed in integers only: a Bernoulli(n / d) is "a uniform integer below d is
 *     below n", with n, d unsigned 128-bit and d < 2^102 (the bounds of dpn_ratio_valid() keep
 *     every product below that; asserted where formed).
 *  2. A uniform integer below m is drawn by rejection from ceil(log2 m) random bits, never by a
 *     modulo (which would bias it).
 *  3. Every loop whose length is random is bounded; the bound is reached with probability below
 *     exp(-100000) from a working source, and then the sampler returns HZ_ELIMIT instead of an
 *     approximation.
 *  4. pos <= len <= sizeof buf in a dpn_source; used counts the bytes handed to the samplers. */
#include "hazmap/dpnoise.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

typedef unsigned __int128 u128;

enum {
    BUF_BYTES = 4096,
    MAX_UNIFORM_TRIES = 200000, /* each try succeeds with probability > 1/2 */
    MAX_K = 16384,              /* Algorithm 1's K: P[K >= k] <= 1/(k-1)! */
    MAX_EXP_ONE_RUN = 100001,   /* consecutive Bernoulli(exp(-1)) successes */
    MAX_REJECTIONS = 1000000,   /* outer loops of Algorithms 2 and 3 (acceptance > 0.2) */
    MAX_LAPLACE_ABS = 1 << 30   /* |Laplace draw| (keeps |Y| den t below 2^63) */
};

struct dpn_source {
    dpn_bytes_fn fn;
    void *ud;
    EVP_CIPHER_CTX *ctx; /* keyed sources only */
    unsigned char buf[BUF_BYTES];
    size_t pos, len; /* invariant 4 */
    uint64_t used;
};

int dpn_ratio_valid(dpn_ratio s2)
{
    return s2.num > 0 && s2.den > 0 && s2.num <= DPN_MAX_NUM && s2.den <= DPN_MAX_DEN &&
           (u128)s2.num <= (u128)DPN_MAX_S2 * s2.den;
}

/* ---- sources ---- */

dpn_source *dpn_source_new(dpn_bytes_fn fn, void *ud)
{
    dpn_source *src = calloc(1, sizeof *src);
    if (!src) return NULL;
    src->fn = fn;
    src->ud = ud;
    return src;
}

static int system_bytes(void *ud, unsigned char *buf, size_t n)
{
    (void)ud;
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

dpn_source *dpn_source_system(void)
{
    return dpn_source_new(system_bytes, NULL);
}

static int keyed_bytes(void *ud, unsigned char *buf, size_t n)
{
    dpn_source *src = ud;
    int outl = 0;
    memset(buf, 0, n); /* the key stream is the encryption of zeros */
    return EVP_EncryptUpdate(src->ctx, buf, &outl, buf, (int)n) == 1 && (size_t)outl == n ? 0 : -1;
}

dpn_source *dpn_source_keyed(const unsigned char key[DPN_KEY_BYTES])
{
    dpn_source *src = dpn_source_new(keyed_bytes, NULL);
    if (!src) return NULL;
    src->ud = src;
    unsigned char iv[16] = {0};
    src->ctx = EVP_CIPHER_CTX_new();
    if (!src->ctx || EVP_EncryptInit_ex(src->ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1) {
        dpn_source_free(src);
        return NULL;
    }
    return src;
}

void dpn_source_free(dpn_source *src)
{
    if (!src) return;
    EVP_CIPHER_CTX_free(src->ctx);
    OPENSSL_cleanse(src->buf, sizeof src->buf);
    free(src);
}

uint64_t dpn_source_bytes(const dpn_source *src)
{
    return src->used;
}

static hz_status take_bytes(dpn_source *src, unsigned char *out, size_t n)
{
    while (n > 0) {
        if (src->pos == src->len) {
            if (src->fn(src->ud, src->buf, sizeof src->buf) != 0) return HZ_EIO;
            src->pos = 0;
            src->len = sizeof src->buf;
        }
        size_t k = src->len - src->pos < n ? src->len - src->pos : n;
        memcpy(out, src->buf + src->pos, k);
        src->pos += k;
        src->used += k;
        out += k;
        n -= k;
    }
    assert(src->pos <= src->len && src->len <= sizeof src->buf);
    return HZ_OK;
}

/* ---- integer building blocks ---- */

static int bit_length(u128 v)
{
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

/* A uniform integer in [0, m), m >= 1 (invariant 2). */
static hz_status uniform_below(dpn_source *src, u128 m, u128 *out)
{
    assert(m >= 1);
    if (m == 1) {
        *out = 0;
        return HZ_OK;
    }
    int bits = bit_length(m - 1);
    size_t nbytes = (size_t)(bits + 7) / 8;
    u128 mask = bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
    for (int tries = 0; tries < MAX_UNIFORM_TRIES; tries++) {
        unsigned char b[16];
        hz_status s = take_bytes(src, b, nbytes);
        if (s != HZ_OK) return s;
        u128 v = 0;
        for (size_t i = 0; i < nbytes; i++)
            v |= (u128)b[i] << (8 * i);
        v &= mask;
        if (v < m) {
            *out = v;
            return HZ_OK;
        }
    }
    return HZ_ELIMIT;
}

/* Bernoulli(n / d), 0 <= n <= d, d >= 1. */
static hz_status bernoulli(dpn_source *src, u128 n, u128 d, int *out)
{
    u128 u;
    hz_status s = uniform_below(src, d, &u);
    if (s == HZ_OK) *out = u < n;
    return s;
}

/* Bernoulli(exp(-n/d)) for 0 <= n <= d: CKS 2020, Algorithm 1, first case. With A_k ~
 * Bernoulli(gamma / k), K is the first k with A_k = 0, and P[K odd] = exp(-gamma). */
static hz_status bern_exp_le1(dpn_source *src, u128 n, u128 d, int *out)
{
    assert(n <= d && d >= 1 && d < ((u128)1 << 102));
    for (uint64_t k = 1; k <= MAX_K; k++) {
        int a;
        hz_status s = bernoulli(src, n, d * k, &a);
        if (s != HZ_OK) return s;
        if (!a) {
            *out = (int)(k & 1);
            return HZ_OK;
        }
    }
    return HZ_ELIMIT;
}

/* Bernoulli(exp(-n/d)) for any n >= 0: CKS 2020, Algorithm 1. exp(-gamma) is
 * exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))), each factor an independent Bernoulli. */
static hz_status bern_exp(dpn_source *src, u128 n, u128 d, int *out)
{
    hz_status s;
    if (n <= d) return bern_exp_le1(src, n, d, out);
    u128 whole = n / d;
    for (u128 k = 0; k < whole; k++) {
        if (k >= MAX_EXP_ONE_RUN) return HZ_ELIMIT;
        int b;
        if ((s = bern_exp_le1(src, 1, 1, &b)) != HZ_OK) return s;
        if (!b) {
            *out = 0;
            return HZ_OK;
        }
    }
    return bern_exp_le1(src, n % d, d, out);
}

hz_status dpn_bernoulli_exp(dpn_source *src, dpn_ratio g, int *out)
{
    if (g.den == 0) return HZ_EINVAL;
    return bern_exp(src, g.num, g.den, out);
}

/* CKS 2020, Algorithm 2 (s = 1): U uniform below t, kept with probability exp(-U/t); V geometric
 * with P[V >= v] = exp(-v); X = U + t V; a random sign, rejecting -0 so 0 is not counted twice. */
hz_status dpn_laplace(dpn_source *src, uint64_t t, int64_t *out)
{
    if (t < 1 || t > DPN_MAX_LAPLACE_T) return HZ_EINVAL;
    hz_status s;
    for (int loop = 0; loop < MAX_REJECTIONS; loop++) {
        u128 u;
        int d, a, b;
        if ((s = uniform_below(src, t, &u)) != HZ_OK) return s;
        if ((s = bern_exp(src, u, t, &d)) != HZ_OK) return s;
        if (!d) continue;
        uint64_t v = 0;
        for (;;) {
            if ((s = bern_exp_le1(src, 1, 1, &a)) != HZ_OK) return s;
            if (!a) break;
            if (++v > (MAX_LAPLACE_ABS - t) / t) return HZ_ELIMIT; /* invariant 3 */
        }
        int64_t x = (int64_t)u + (int64_t)(t * v);
        u128 half;
        if ((s = uniform_below(src, 2, &half)) != HZ_OK) return s;
        b = (int)half;
        if (b && x == 0) continue;
        *out = b ? -x : x;
        return HZ_OK;
    }
    return HZ_ELIMIT;
}

/* floor(sqrt(num / den)), exactly. */
static uint64_t isqrt_ratio(dpn_ratio r)
{
    uint64_t g = (uint64_t)sqrt((double)r.num / (double)r.den);
    while (g > 0 && (u128)g * g * r.den > r.num)
        g--;
    while ((u128)(g + 1) * (g + 1) * r.den <= r.num)
        g++;
    return g;
}

/* CKS 2020, Algorithm 3: with t = floor(sigma) + 1, Y ~ discrete Laplace(t) is accepted with
 * probability exp(-(|Y| - s2/t)^2 / (2 s2)). With s2 = n/d that exponent is the rational
 * (|Y| d t - n)^2 / (2 n d t^2). */
hz_status dpn_gaussian(dpn_source *src, dpn_ratio s2, int64_t *out)
{
    if (!dpn_ratio_valid(s2)) return HZ_EINVAL;
    uint64_t t = isqrt_ratio(s2) + 1;
    assert(t <= 4097);
    u128 gd = (u128)2 * s2.num * s2.den * t * t;
    hz_status s;
    for (int loop = 0; loop < MAX_REJECTIONS; loop++) {
        int64_t y;
        int c;
        if ((s = dpn_laplace(src, t, &y)) != HZ_OK) return s;
        uint64_t ay = (uint64_t)(y < 0 ? -y : y);
        u128 a = (u128)ay * s2.den * t; /* < 2^30 * 2^20 * 2^13 (invariant 1) */
        assert(a < ((u128)1 << 63));
        u128 diff = a >= s2.num ? a - s2.num : s2.num - a;
        if ((s = bern_exp(src, diff * diff, gd, &c)) != HZ_OK) return s;
        if (c) {
            *out = y;
            return HZ_OK;
        }
    }
    return HZ_ELIMIT;
}

/* ---- the distribution ---- */

static int64_t support(dpn_ratio s2)
{
    return (int64_t)ceil(40.0 * sqrt(dpn_sigma2(s2))) + 2;
}

static long double term(dpn_ratio s2, int64_t x)
{
    long double v = (long double)s2.num / (long double)s2.den;
    return expl(-(long double)x * (long double)x / (2.0L * v));
}

/* The normalising sum Z = sum over x of exp(-x^2 / (2 s2)). */
static long double norm_sum(dpn_ratio s2)
{
    int64_t m = support(s2);
    long double z = term(s2, 0);
    for (int64_t x = m; x >= 1; x--) /* smallest terms first */
        z += 2 * term(s2, x);
    return z;
}

double dpn_pmf(dpn_ratio s2, int64_t x)
{
    if (!dpn_ratio_valid(s2)) return NAN;
    if (x > support(s2) || x < -support(s2)) return 0;
    return (double)(term(s2, x) / norm_sum(s2));
}

double dpn_variance(dpn_ratio s2)
{
    if (!dpn_ratio_valid(s2)) return NAN;
    long double z = norm_sum(s2), v = 0;
    for (int64_t x = support(s2); x >= 1; x--)
        v += 2 * (long double)x * (long double)x * term(s2, x);
    return (double)(v / z);
}

int64_t dpn_quantile(dpn_ratio s2, double p)
{
    if (!dpn_ratio_valid(s2) || !(p >= 0.5 && p < 1)) return -1;
    int64_t m = support(s2);
    long double z = norm_sum(s2), tail = 0;
    for (int64_t x = m; x >= 1; x--)
        tail += term(s2, x);
    tail /= z; /* P[X > 0] */
    for (int64_t q = 0; q <= m; q++) {
        if (1.0L - tail >= (long double)p) return q;
        tail -= term(s2, q + 1) / z; /* now P[X > q + 1] */
    }
    return m;
}

/* ---- accounting ---- */

double dpn_sigma2(dpn_ratio s2)
{
    return (double)s2.num / (double)s2.den;
}

double dpn_rho(dpn_ratio s2)
{
    return (double)s2.den / (2.0 * (double)s2.num);
}

double dpn_epsilon(double rho, double delta)
{
    return rho + 2.0 * sqrt(rho * log(1.0 / delta));
}

double dpn_rho_for(double epsilon, double delta)
{
    double l = log(1.0 / delta);
    /* (sqrt(l + e) - sqrt(l))^2 written without the cancellation */
    double r = epsilon / (sqrt(l + epsilon) + sqrt(l));
    return r * r;
}

hz_status dpn_split(double epsilon, double delta, size_t n, const double *weight, dpn_ratio *s2,
                    char *err, size_t errlen)
{
    if (!(epsilon > 0) || !isfinite(epsilon))
        return hz_fail(HZ_EINVAL, err, errlen, "epsilon must be a positive number");
    if (!(delta > 0 && delta < 1))
        return hz_fail(HZ_EINVAL, err, errlen, "delta must lie strictly between 0 and 1");
    double wsum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(weight[i] > 0) || !isfinite(weight[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "split: weight %zu is not positive", i);
        wsum += weight[i];
    }
    double rho = dpn_rho_for(epsilon, delta);
    for (size_t i = 0; i < n; i++) {
        double rho_i = rho * weight[i] / wsum;
        double v = ceil(DPN_SPLIT_DEN / (2.0 * rho_i));
        if (!(v >= 1 && v <= (double)DPN_MAX_S2 * DPN_SPLIT_DEN))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "epsilon %g, delta %g: the variance of query %zu (%g) is outside the "
                           "sampler's range 1/%d..%llu",
                           epsilon, delta, i, 1.0 / (2.0 * rho_i), DPN_SPLIT_DEN,
                           (unsigned long long)DPN_MAX_S2);
        s2[i] = (dpn_ratio){(uint64_t)v, DPN_SPLIT_DEN};
        while (dpn_rho(s2[i]) > rho_i) /* floating-point rounding of the division above */
            s2[i].num++;
        assert(dpn_ratio_valid(s2[i]));
    }
    return HZ_OK;
}
