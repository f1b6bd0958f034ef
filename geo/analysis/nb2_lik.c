/* nb2_lik.c - the NB2 log-likelihood in k and its derivatives (see nb2_lik.h). */
#include "nb2_lik.h"

#include <math.h>
#include <stdlib.h>

/* Below this u = k mu the power series are used (about 30 terms reach 1e-40 at u = 0.05). */
#define SERIES_U 0.05
#define SERIES_TERMS 30

int nb2_lik_init(nb2_lik *L, const double *y, size_t n)
{
    L->n = n;
    L->y = y;
    L->ymax = 0;
    L->lgamma_sum = 0;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)y[i] > L->ymax) L->ymax = (size_t)y[i];
        int sign;
        L->lgamma_sum += lgamma_r(y[i] + 1, &sign);
    }
    L->tail = calloc(L->ymax + 1, sizeof *L->tail);
    if (!L->tail) return -1;
    for (size_t i = 0; i < n; i++)
        L->tail[(size_t)y[i]] += 1; /* histogram first */
    double above = 0;               /* then #{y > j} from the top */
    for (size_t j = L->ymax + 1; j-- > 0;) {
        double here = L->tail[j];
        L->tail[j] = above;
        above += here;
    }
    return 0;
}

void nb2_lik_free(nb2_lik *L)
{
    free(L->tail);
    L->tail = NULL;
}

/* L(u) = ln(1 + u)/u = sum_{m>=1} (-1)^(m+1) u^(m-1)/m. */
static double fn_l(double u)
{
    if (u >= SERIES_U) return log1p(u) / u;
    double s = 0, pw = 1;
    for (int m = 1; m <= SERIES_TERMS; m++, pw *= -u)
        s += pw / m;
    return s;
}

/* G(u) = (ln(1 + u) - u/(1 + u))/u^2 = sum_{m>=2} (-1)^m (m-1)/m u^(m-2). */
static double fn_g(double u)
{
    if (u >= SERIES_U) return (log1p(u) - u / (1 + u)) / (u * u);
    double s = 0, pw = 1;
    for (int m = 2; m <= SERIES_TERMS; m++, pw *= -u)
        s += pw * (m - 1) / m;
    return s;
}

/* H(u) = G'(u) = (u^2/(1 + u)^2 - 2 ln(1 + u) + 2u/(1 + u))/u^3
 *      = sum_{m>=3} (-1)^m (m-1)(m-2)/m u^(m-3). */
static double fn_h(double u)
{
    if (u >= SERIES_U) {
        double q = u / (1 + u);
        return (q * q - 2 * log1p(u) + 2 * q) / (u * u * u);
    }
    double s = 0, pw = -1;
    for (int m = 3; m <= SERIES_TERMS; m++, pw *= -u)
        s += pw * (m - 1) * (m - 2) / m;
    return s;
}

/* The sum over j of c_j ln(1 + k j) and its two derivatives. */
static double tail_part(const nb2_lik *L, double k, double *d1, double *d2)
{
    double l = 0, s1 = 0, s2 = 0;
    for (size_t j = 1; j < L->ymax; j++) {
        double c = L->tail[j], kj = k * (double)j, q = (double)j / (1 + kj);
        l += c * log1p(kj);
        s1 += c * q;
        s2 -= c * q * q;
    }
    *d1 = s1;
    *d2 = s2;
    return l;
}

double nb2_lik_eval(const nb2_lik *L, const double *mu, double k, double *d1, double *d2)
{
    double s1, s2, l = tail_part(L, k, &s1, &s2) - L->lgamma_sum;
    for (size_t i = 0; i < L->n; i++) {
        double y = L->y[i], m = mu[i], u = k * m, r = 1 / (1 + u);
        l += (y > 0 ? y * log(m) : 0) - y * log1p(u) - m * fn_l(u);
        s1 += -y * m * r + m * m * fn_g(u);
        s2 += y * m * m * r * r + m * m * m * fn_h(u);
    }
    if (d1) *d1 = s1;
    if (d2) *d2 = s2;
    return l;
}
