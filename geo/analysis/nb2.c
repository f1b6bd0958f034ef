/* nb2.c - negative binomial (NB2) regression by maximum likelihood (see nb2.h). */
#include "hazmap/nb2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nb2_lik.h"
#include "nb2_wls.h"

/* State of one fit. Invariant between steps: eta = X beta + offset and mu = exp(eta) > 0. */
typedef struct fit_ctx {
    const nb2_data *d;
    const nb2_opts *o;
    nb2_lik lik;
    double *eta, *mu, *w, *z;       /* n each */
    double *beta, *beta_old, *prev; /* p each: current, previous IRLS step, previous alternation */
    double *work;                   /* nb2_wls_work_len(n, p) */
    double *block;                  /* the one allocation behind the arrays above */
    int irls_iter;
} fit_ctx;

void nb2_opts_init(nb2_opts *o)
{
    o->max_iter = 100;
    o->max_irls = 100;
    o->tol = 1e-10;
    o->poisson = 0;
}

static double offset_of(const nb2_data *d, size_t i)
{
    return d->offset ? d->offset[i] : 0.0;
}

static hz_status check_values(const nb2_data *d, char *err, size_t errlen)
{
    double total = 0;
    for (size_t i = 0; i < d->n; i++) {
        double y = d->y[i];
        if (!(y >= 0 && y <= NB2_MAX_COUNT) || y != floor(y))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "nb2: row %zu: count %g is not an integer in 0..%d", i + 1, y,
                           NB2_MAX_COUNT);
        if (!isfinite(offset_of(d, i)))
            return hz_fail(HZ_EINVAL, err, errlen, "nb2: row %zu: offset not finite", i + 1);
        for (size_t j = 0; j < d->p; j++)
            if (!isfinite(d->x[i * d->p + j]))
                return hz_fail(HZ_EINVAL, err, errlen, "nb2: row %zu, column %zu: not finite",
                               i + 1, j + 1);
        total += y;
    }
    if (total == 0)
        return hz_fail(HZ_EINVAL, err, errlen, "nb2: every count is 0 (no finite estimate)");
    return HZ_OK;
}

static hz_status validate(const nb2_data *d, char *err, size_t errlen)
{
    if (!d || !d->y || !d->x || d->p == 0)
        return hz_fail(HZ_EINVAL, err, errlen, "nb2: no data or no design column");
    if (d->n < d->p + 2)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "nb2: too few observations: %zu for %zu coefficients and k", d->n, d->p);
    return check_values(d, err, errlen);
}

static hz_status ctx_init(fit_ctx *c, const nb2_data *d, const nb2_opts *o)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->o = o;
    size_t n = d->n, p = d->p;
    c->block = malloc((4 * n + 3 * p + nb2_wls_work_len(n, p)) * sizeof *c->block);
    if (!c->block) return HZ_ENOMEM;
    c->eta = c->block;
    c->mu = c->eta + n;
    c->w = c->mu + n;
    c->z = c->w + n;
    c->beta = c->z + n;
    c->beta_old = c->beta + p;
    c->prev = c->beta_old + p;
    c->work = c->prev + p;
    if (nb2_lik_init(&c->lik, d->y, n) != 0) {
        free(c->block);
        return HZ_ENOMEM;
    }
    return HZ_OK;
}

static void ctx_free(fit_ctx *c)
{
    nb2_lik_free(&c->lik);
    free(c->block);
}

/* eta = X beta + offset, mu = exp(eta). */
static void set_linear(fit_ctx *c)
{
    const nb2_data *d = c->d;
    for (size_t i = 0; i < d->n; i++) {
        double e = offset_of(d, i);
        for (size_t j = 0; j < d->p; j++)
            e += d->x[i * d->p + j] * c->beta[j];
        c->eta[i] = e;
        c->mu[i] = exp(e);
    }
}

/* Largest change of a coefficient, relative to 1 + its size. */
static double max_change(const double *a, const double *b, size_t p)
{
    double m = 0;
    for (size_t j = 0; j < p; j++) {
        double r = fabs(a[j] - b[j]) / (1 + fabs(a[j]));
        if (!(r <= m)) m = r; /* NaN counts as the largest */
    }
    return m;
}

/* One Fisher scoring step: working weights and response at mu, then weighted least squares. */
static int irls_step(fit_ctx *c, double k)
{
    const nb2_data *d = c->d;
    for (size_t i = 0; i < d->n; i++) {
        double m = c->mu[i];
        c->w[i] = m / (1 + k * m);
        c->z[i] = c->eta[i] - offset_of(d, i) + (d->y[i] - m) / m;
    }
    memcpy(c->beta_old, c->beta, d->p * sizeof *c->beta);
    if (nb2_wls_solve(d->x, c->w, c->z, d->n, d->p, c->beta, NULL, c->work) >= 0) return -1;
    set_linear(c);
    return 0;
}

/* Halves the step back towards beta_old while the likelihood is below ll (at most 30 times). */
static double halve_if_worse(fit_ctx *c, double k, double ll)
{
    double now = nb2_lik_eval(&c->lik, c->mu, k, NULL, NULL);
    for (int h = 0; h < 30 && !(now >= ll - 1e-13 * fabs(ll)); h++) {
        for (size_t j = 0; j < c->d->p; j++)
            c->beta[j] = 0.5 * (c->beta[j] + c->beta_old[j]);
        set_linear(c);
        now = nb2_lik_eval(&c->lik, c->mu, k, NULL, NULL);
    }
    return now;
}

/* beta at fixed k by IRLS from the current mu. from_start: mu is a start (y + 0.1), not the
 * image of a beta, so the first step is neither compared nor halved. Returns 0 when converged,
 * 1 at the cap, -1 for a singular weighted design. */
static int irls(fit_ctx *c, double k, int from_start)
{
    double ll = from_start ? -INFINITY : nb2_lik_eval(&c->lik, c->mu, k, NULL, NULL);
    for (int it = 0; it < c->o->max_irls; it++) {
        c->irls_iter++;
        if (irls_step(c, k) != 0) return -1;
        if (from_start && it == 0) {
            ll = nb2_lik_eval(&c->lik, c->mu, k, NULL, NULL);
            continue;
        }
        ll = halve_if_worse(c, k, ll);
        if (max_change(c->beta, c->beta_old, c->d->p) <= c->o->tol) return 0;
    }
    return 1;
}

/* Moment start for k: sum((y - mu)^2 - y) / sum(mu^2), positive when the score at 0 is. */
static double moment_k(const fit_ctx *c)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < c->d->n; i++) {
        double r = c->d->y[i] - c->mu[i];
        num += r * r - c->d->y[i];
        den += c->mu[i] * c->mu[i];
    }
    return num / den;
}

/* One safeguarded Newton step on t = ln k from k (likelihood ll there); returns the new k and
 * sets *ll and *moved (|step in ln k|). */
static double newton_lnk(const fit_ctx *c, double k, double *ll, double *moved)
{
    double d1, d2;
    *ll = nb2_lik_eval(&c->lik, c->mu, k, &d1, &d2);
    double g = k * d1, h = k * k * d2 + k * d1; /* dl/dt and d2l/dt2 */
    double step = h < 0 ? -g / h : (g > 0 ? 1.0 : -1.0);
    step = fmax(-3.0, fmin(3.0, step));
    double kn = k, lln = *ll;
    for (int half = 0; half < 60; half++, step *= 0.5) {
        kn = k * exp(step);
        lln = nb2_lik_eval(&c->lik, c->mu, kn, NULL, NULL);
        if (lln >= *ll - 1e-13 * fabs(*ll)) break;
    }
    *moved = fabs(step);
    *ll = lln;
    return kn;
}

/* k maximising the likelihood at the current mu: 0 when the score at k = 0 is <= 0, else the
 * interior maximum by Newton on ln k from k0 (or the moment estimate when k0 == 0). */
static double maximise_k(const fit_ctx *c, double k0)
{
    double s0;
    nb2_lik_eval(&c->lik, c->mu, 0, &s0, NULL);
    if (!(s0 > 0)) return 0;
    double k = k0 > 0 ? k0 : moment_k(c), ll, moved = 1;
    for (int it = 0; it < 200 && moved > 1e-13 && k < 1e10; it++)
        k = newton_lnk(c, k, &ll, &moved);
    return k;
}

/* Alternates beta and k until both stop moving; returns 1 when converged, -1 when singular. */
static int alternate(fit_ctx *c, double *k, int *iter)
{
    const double tol = c->o->tol;
    for (*iter = 1; *iter <= c->o->max_iter; (*iter)++) {
        memcpy(c->prev, c->beta, c->d->p * sizeof *c->beta);
        int st = irls(c, *k, 0);
        if (st < 0) return -1;
        double kn = maximise_k(c, *k);
        int still = fabs(kn - *k) <= tol * (kn + tol) &&
                    max_change(c->beta, c->prev, c->d->p) <= tol && st == 0;
        *k = kn;
        if (still) return 1;
    }
    *iter = c->o->max_iter;
    return 0;
}

static hz_status fill_result(fit_ctx *c, double k, nb2_result *out)
{
    size_t n = c->d->n, p = c->d->p;
    out->p = p;
    out->beta = malloc((2 * p + p * p) * sizeof *out->beta);
    if (!out->beta) return HZ_ENOMEM;
    out->se = out->beta + p;
    out->cov = out->se + p;
    memcpy(out->beta, c->beta, p * sizeof *c->beta);
    for (size_t i = 0; i < n; i++)
        c->w[i] = c->mu[i] / (1 + k * c->mu[i]);
    if (nb2_wls_solve(c->d->x, c->w, NULL, n, p, NULL, out->cov, c->work) >= 0) return HZ_EINVAL;
    for (size_t j = 0; j < p; j++)
        out->se[j] = sqrt(out->cov[j * p + j]);
    double d2;
    out->loglik = nb2_lik_eval(&c->lik, c->mu, k, NULL, &d2);
    out->k = k;
    out->theta = k > 0 ? 1 / k : INFINITY;
    out->se_k = k > 0 && d2 < 0 ? 1 / sqrt(-d2) : NAN;
    out->se_theta = k > 0 ? out->se_k / (k * k) : NAN;
    out->aic = -2 * out->loglik + 2.0 * (double)(p + (c->o->poisson ? 0 : 1));
    out->irls_iter = c->irls_iter;
    return HZ_OK;
}

/* Poisson start (mu = y + 0.1, as R's poisson family), then the alternation unless Poisson. */
static hz_status run_fit(fit_ctx *c, nb2_result *out, char *err, size_t errlen)
{
    const nb2_data *d = c->d;
    for (size_t i = 0; i < d->n; i++) {
        c->mu[i] = d->y[i] + 0.1;
        c->eta[i] = log(c->mu[i]);
    }
    int st = irls(c, 0, 1), iter = 0;
    double k = 0;
    if (st >= 0 && !c->o->poisson) {
        k = maximise_k(c, 0);
        st = alternate(c, &k, &iter) == 1 ? 0 : st < 0 ? -1 : 1;
    }
    if (st < 0) return hz_fail(HZ_EINVAL, err, errlen, "nb2: singular weighted design");
    hz_status s = fill_result(c, k, out);
    if (s != HZ_OK) return hz_fail(s, err, errlen, "nb2: cannot form the covariance");
    out->iter = iter;
    out->converged = st == 0;
    if (!out->converged)
        hz_fail(HZ_OK, err, errlen, "nb2: not converged after %d alternations", iter);
    return HZ_OK;
}

hz_status nb2_fit(const nb2_data *d, const nb2_opts *o, nb2_result *out, char *err, size_t errlen)
{
    if (!out) return hz_fail(HZ_EINVAL, err, errlen, "nb2: no result");
    memset(out, 0, sizeof *out);
    nb2_opts defaults;
    if (!o) {
        nb2_opts_init(&defaults);
        o = &defaults;
    }
    hz_status s = validate(d, err, errlen);
    if (s != HZ_OK) return s;
    fit_ctx c;
    if (ctx_init(&c, d, o) != HZ_OK) return hz_fail(HZ_ENOMEM, err, errlen, "nb2: out of memory");
    long col = nb2_wls_solve(d->x, NULL, NULL, d->n, d->p, NULL, NULL, c.work);
    if (col >= 0) {
        ctx_free(&c);
        return hz_fail(HZ_EINVAL, err, errlen,
                       "nb2: singular design: column %ld is a linear combination of the earlier "
                       "ones",
                       col + 1);
    }
    s = run_fit(&c, out, err, errlen);
    ctx_free(&c);
    if (s != HZ_OK) nb2_result_free(out);
    return s;
}

double nb2_predict(const nb2_result *r, const double *x, double offset)
{
    double e = offset;
    for (size_t j = 0; j < r->p; j++)
        e += x[j] * r->beta[j];
    return exp(e);
}

void nb2_result_free(nb2_result *r)
{
    if (!r) return;
    free(r->beta);
    memset(r, 0, sizeof *r);
}
