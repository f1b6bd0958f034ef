/* capture.c - capture-recapture estimates: Chapman for two sources, log-linear models for three
 * or more (see capture.h for the formulas and their sources).
 *
 * The log-linear fit is R's glm(family = poisson) done by hand: iteratively reweighted least
 * squares from mu = y + 0.1, stopping when the deviance changes by less than 1e-10 relative
 * (glm.control's epsilon is 1e-8), so its estimates agree with R's to many digits
 * (tests/data/capture/). */
#include "hazmap/capture.h"

#include <assert.h>
#include <math.h>
#include <string.h>

enum { MAXP = 1 + CAPTURE_MAX_SOURCES + CAPTURE_MAX_SOURCES * (CAPTURE_MAX_SOURCES - 1) / 2 };
enum { MAXCELLS = 1 << CAPTURE_MAX_SOURCES, MAX_ITER = 100 };

#define Z95 1.959963984540054

/* Chao (1987): log(N - M) is about normal, so the 95 % interval of N is M + f0 / C to M + f0 C
 * with C = exp(1.96 sqrt(ln(1 + var / f0^2))), f0 = N - M; it never goes below M. */
static void chao_interval(double observed, double f0, double var, capture_est *out)
{
    if (f0 > 0) {
        double cf = exp(Z95 * sqrt(log(1 + var / (f0 * f0))));
        out->lo = observed + f0 / cf;
        out->hi = observed + f0 * cf;
    } else {
        out->lo = out->hi = observed + f0;
    }
}

hz_status capture_chapman(int64_t n1, int64_t n2, int64_t m, capture_est *out)
{
    memset(out, 0, sizeof *out);
    if (n1 < 0 || n2 < 0 || m < 0 || m > n1 || m > n2) return HZ_EINVAL;
    double a = (double)n1, b = (double)n2, c = (double)m;
    double observed = a + b - c;
    double total = (a + 1) * (b + 1) / (c + 1) - 1;
    double var = (a + 1) * (b + 1) * (a - c) * (b - c) / ((c + 1) * (c + 1) * (c + 2));
    double f0 = total - observed;
    out->observed = observed;
    out->total = total;
    out->missed = f0;
    out->se = sqrt(var);
    out->nparams = 0;
    out->converged = 1;
    chao_interval(observed, f0, var, out);
    return HZ_OK;
}

int capture_pair_index(int k, int i, int j)
{
    assert(0 <= i && i < j && j < k);
    /* pairs before row i: (k-1) + (k-2) + ... + (k-i) */
    return i * (2 * k - i - 1) / 2 + (j - i - 1);
}

/* The design row of capture history h: intercept, k main effects, the interactions in mask. */
static int design_row(int k, unsigned mask, unsigned h, double *x)
{
    int p = 0;
    x[p++] = 1;
    for (int i = 0; i < k; i++)
        x[p++] = (h >> i) & 1u;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (mask & (1u << capture_pair_index(k, i, j)))
                x[p++] = ((h >> i) & 1u) && ((h >> j) & 1u);
    return p;
}

/* Solves a x = b for symmetric positive definite a (p x p, row-major; overwritten by its
 * Cholesky factor). -1 when a is not positive definite. */
static int chol_solve(double *a, int p, double *b)
{
    for (int j = 0; j < p; j++) {
        double d = a[j * p + j];
        for (int k = 0; k < j; k++)
            d -= a[j * p + k] * a[j * p + k];
        if (!(d > 1e-300)) return -1;
        d = sqrt(d);
        a[j * p + j] = d;
        for (int i = j + 1; i < p; i++) {
            double s = a[i * p + j];
            for (int k = 0; k < j; k++)
                s -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = s / d;
        }
    }
    for (int i = 0; i < p; i++) { /* L y = b */
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= a[i * p + k] * b[k];
        b[i] = s / a[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) { /* L' x = y */
        double s = b[i];
        for (int k = i + 1; k < p; k++)
            s -= a[k * p + i] * b[k];
        b[i] = s / a[i * p + i];
    }
    return 0;
}

static int popcount(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

hz_status capture_loglinear_fit(int k, const int64_t *cells, unsigned mask, capture_est *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (k < 2 || k > CAPTURE_MAX_SOURCES)
        return hz_fail(HZ_EINVAL, err, errlen, "log-linear model: %d sources (2..%d)", k,
                       CAPTURE_MAX_SOURCES);
    int ncell = (1 << k) - 1, npair = k * (k - 1) / 2;
    if (npair < 32 && (mask >> npair))
        return hz_fail(HZ_EINVAL, err, errlen, "log-linear model: interaction bit out of range");
    int p = 1 + k + popcount(mask);
    if (p > ncell)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "log-linear model: %d parameters for %d cells (more than saturated)", p,
                       ncell);
    static_assert(MAXP <= 64, "design row size");
    double X[MAXCELLS][MAXP], y[MAXCELLS], mu[MAXCELLS], eta[MAXCELLS];
    double observed = 0;
    for (int h = 1; h <= ncell; h++) {
        if (cells[h] < 0)
            return hz_fail(HZ_EINVAL, err, errlen, "log-linear model: negative count in cell %d",
                           h);
        int q = design_row(k, mask, (unsigned)h, X[h - 1]);
        assert(q == p);
        (void)q;
        y[h - 1] = (double)cells[h];
        observed += y[h - 1];
        mu[h - 1] = y[h - 1] + 0.1;
        eta[h - 1] = log(mu[h - 1]);
    }
    out->observed = observed;
    out->interactions = mask;
    out->nparams = p;
    double beta[MAXP], a[MAXP * MAXP], dev_old = INFINITY, dev = 0;
    int converged = 0;
    for (int it = 0; it < MAX_ITER && !converged; it++) {
        /* Working response z = eta + (y - mu)/mu, weights mu: solve X'WX beta = X'Wz. */
        memset(a, 0, sizeof a);
        memset(beta, 0, sizeof beta);
        for (int c = 0; c < ncell; c++) {
            double w = mu[c], z = eta[c] + (y[c] - mu[c]) / mu[c];
            for (int i = 0; i < p; i++) {
                if (X[c][i] == 0) continue;
                beta[i] += w * X[c][i] * z;
                for (int j = 0; j <= i; j++)
                    a[i * p + j] += w * X[c][i] * X[c][j];
            }
        }
        for (int i = 0; i < p; i++)
            for (int j = i + 1; j < p; j++)
                a[i * p + j] = a[j * p + i];
        if (chol_solve(a, p, beta) != 0) break;
        dev = 0;
        for (int c = 0; c < ncell; c++) {
            double e = 0;
            for (int i = 0; i < p; i++)
                e += X[c][i] * beta[i];
            eta[c] = e;
            mu[c] = exp(e);
            dev += 2 * ((y[c] > 0 ? y[c] * log(y[c] / mu[c]) : 0) - (y[c] - mu[c]));
        }
        if (!isfinite(dev)) break;
        converged = fabs(dev - dev_old) / (fabs(dev) + 0.1) < 1e-10;
        dev_old = dev;
    }
    /* A parameter running off to infinity (a zero margin) shows as a huge coefficient. */
    for (int i = 0; converged && i < p; i++)
        if (!(fabs(beta[i]) < 30)) converged = 0;
    out->converged = converged;
    out->deviance = dev;
    if (!converged) {
        out->total = out->lo = out->hi = out->missed = out->se = NAN;
        out->aic = INFINITY;
        return HZ_OK;
    }
    /* var(beta0) = (X'WX)^-1 [0][0] at the fitted mu. */
    memset(a, 0, sizeof a);
    for (int c = 0; c < ncell; c++)
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                a[i * p + j] += mu[c] * X[c][i] * X[c][j];
    /* N = sum over the observed cells of mu + mu0, mu0 = exp(beta0): its gradient in beta is
     * g = X'mu + mu0 e0, and var(N) = g' (X'WX)^-1 g under Poisson sampling; under multinomial
     * sampling (N fixed) it is that minus N (Cormack 1989; Rivest & Levesque 2001). */
    double f0 = exp(beta[0]), g[MAXP] = {0}, v[MAXP];
    for (int c = 0; c < ncell; c++)
        for (int i = 0; i < p; i++)
            g[i] += X[c][i] * mu[c];
    g[0] += f0;
    memcpy(v, g, sizeof v);
    if (chol_solve(a, p, v) != 0) {
        out->converged = 0;
        out->total = out->lo = out->hi = out->missed = out->se = NAN;
        out->aic = INFINITY;
        return HZ_OK;
    }
    double var = -(observed + f0), e0[MAXP] = {1};
    for (int i = 0; i < p; i++)
        var += g[i] * v[i];
    memset(a, 0, sizeof a); /* chol_solve() overwrote it: the information again, for se(beta0) */
    for (int c = 0; c < ncell; c++)
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
                a[i * p + j] += mu[c] * X[c][i] * X[c][j];
    if (chol_solve(a, p, e0) == 0) out->se_b0 = sqrt(e0[0]);
    double ll = 0;
    for (int c = 0; c < ncell; c++)
        ll += y[c] * log(mu[c]) - mu[c] - lgamma(y[c] + 1);
    out->aic = -2 * ll + 2 * p;
    out->missed = f0;
    out->total = observed + f0;
    out->se = sqrt(fmax(var, 0));
    chao_interval(observed, f0, fmax(var, 0), out);
    return HZ_OK;
}

/* 1 when fit a is preferred to b: lower AIC, then fewer parameters, then the lower mask. */
static int better(const capture_est *a, const capture_est *b)
{
    if (!a->converged) return 0;
    if (!b->converged) return 1;
    if (a->aic < b->aic - 1e-9) return 1;
    if (a->aic > b->aic + 1e-9) return 0;
    if (a->nparams != b->nparams) return a->nparams < b->nparams;
    return a->interactions < b->interactions;
}

hz_status capture_loglinear(int k, const int64_t *cells, capture_est *out, char *err, size_t errlen)
{
    capture_est best, e;
    hz_status s = capture_loglinear_fit(k, cells, 0, &best, err, errlen);
    if (s != HZ_OK) return s;
    int npair = k * (k - 1) / 2, ncell = (1 << k) - 1;
    if (k <= 4) {
        for (unsigned m = 1; m < (1u << npair); m++) {
            if (1 + k + popcount(m) > ncell) continue;
            if ((s = capture_loglinear_fit(k, cells, m, &e, err, errlen)) != HZ_OK) return s;
            if (better(&e, &best)) best = e;
        }
    } else {
        for (;;) {
            capture_est step = best;
            for (int b = 0; b < npair; b++) {
                unsigned m = best.interactions | (1u << b);
                if (m == best.interactions || 1 + k + popcount(m) > ncell) continue;
                if ((s = capture_loglinear_fit(k, cells, m, &e, err, errlen)) != HZ_OK) return s;
                if (better(&e, &step)) step = e;
            }
            if (step.interactions == best.interactions) break;
            best = step;
        }
    }
    *out = best;
    return HZ_OK;
}
