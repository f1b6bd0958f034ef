/* poisson.c - regularised incomplete gamma, its inverse, and exact Poisson confidence intervals. */
#include "hazmap/poisson.h"

#include <float.h>
#include <math.h>

/* ln Gamma(a) for a > 0; lgamma_r (glibc, _GNU_SOURCE) because lgamma() writes the global
 * signgam, a data race when the server computes rates in several threads. */
static double log_gamma(double a)
{
    int sign;
    return lgamma_r(a, &sign);
}

/* exp(-x + a ln x - ln Gamma(a)): the common prefactor of both expansions. */
static double gamma_prefactor(double a, double x)
{
    return exp(-x + a * log(x) - log_gamma(a));
}

/* Series for P(a, x), good for x < a + 1 (Numerical Recipes 3rd ed., eq. 6.2.5). */
static double gamma_series(double a, double x)
{
    double ap = a, del = 1.0 / a, sum = del;
    for (int n = 0; n < 100000; n++) {
        ap += 1.0;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * 1e-17) break;
    }
    return sum * gamma_prefactor(a, x);
}

/* Continued fraction for Q(a, x), good for x >= a + 1, by the modified Lentz method
 * (Numerical Recipes 3rd ed., eq. 6.2.7). */
static double gamma_cfrac(double a, double x)
{
    const double tiny = DBL_MIN / DBL_EPSILON;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 100000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16) break;
    }
    return gamma_prefactor(a, x) * h;
}

double poisson_gamma_p(double a, double x)
{
    if (!(a > 0) || !(x >= 0) || !isfinite(a)) return NAN;
    if (x == 0) return 0.0;
    if (isinf(x)) return 1.0;
    return x < a + 1.0 ? gamma_series(a, x) : 1.0 - gamma_cfrac(a, x);
}

double poisson_gamma_q(double a, double x)
{
    if (!(a > 0) || !(x >= 0) || !isfinite(a)) return NAN;
    if (x == 0) return 1.0;
    if (isinf(x)) return 0.0;
    return x < a + 1.0 ? 1.0 - gamma_series(a, x) : gamma_cfrac(a, x);
}

/* Solves P(a, x) = target (upper == 0) or Q(a, x) = target (upper == 1) for x. The residual is
 * taken on whichever tail the target names, so small tail probabilities keep full relative
 * accuracy. Newton steps (the derivative is the gamma density) are accepted only inside the
 * current bracket; otherwise the bracket is bisected, so convergence is guaranteed. */
static double gamma_inv(double a, double target, int upper)
{
    if (!(a > 0) || !isfinite(a) || !(target >= 0 && target <= 1)) return NAN;
    if (target == (upper ? 1.0 : 0.0)) return 0.0;
    if (target == (upper ? 0.0 : 1.0)) return INFINITY;
        /* f(x) increases with x in both cases. */
#define RESID(x) (upper ? target - poisson_gamma_q(a, (x)) : poisson_gamma_p(a, (x)) - target)
    double lo = 0.0, hi = a > 1.0 ? a : 1.0;
    while (RESID(hi) < 0) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300) return INFINITY;
    }
    double x = 0.5 * (lo + hi), lg = log_gamma(a);
    for (int it = 0; it < 400; it++) {
        double f = RESID(x);
        if (f == 0) break;
        if (f < 0)
            lo = x;
        else
            hi = x;
        double pdf = exp((a - 1.0) * log(x) - x - lg);
        double nx = pdf > 0 && isfinite(pdf) ? x - f / pdf : NAN;
        if (!(nx > lo && nx < hi)) nx = 0.5 * (lo + hi);
        if (fabs(nx - x) <= 1e-15 * fabs(x) || hi - lo <= 1e-15 * hi) {
            x = nx;
            break;
        }
        x = nx;
    }
#undef RESID
    return x;
}

double poisson_gamma_p_inv(double a, double p)
{
    return p > 0.5 ? gamma_inv(a, 1.0 - p, 1) : gamma_inv(a, p, 0);
}

double poisson_gamma_q_inv(double a, double q)
{
    return q > 0.5 ? gamma_inv(a, 1.0 - q, 0) : gamma_inv(a, q, 1);
}

int poisson_ci(int64_t k, double conf, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (k < 0 || !(conf > 0 && conf < 1)) return -1;
    double half = (1.0 - conf) / 2.0;
    /* Garwood 1936: P(X >= k | lo) = alpha/2 and P(X <= k | hi) = alpha/2. */
    *lo = k == 0 ? 0.0 : gamma_inv((double)k, half, 0);
    *hi = gamma_inv((double)k + 1.0, half, 1);
    return 0;
}
