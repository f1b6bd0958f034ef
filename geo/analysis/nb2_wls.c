/* nb2_wls.c - weighted least squares by Householder QR (see nb2_wls.h). */
#include "nb2_wls.h"

#include <math.h>
#include <string.h>

size_t nb2_wls_work_len(size_t n, size_t p)
{
    return n * p + n + 2 * p;
}

/* a = diag(sqrt w) x (row-major n x p), r = sqrt(w) z (zeros when z is NULL). */
static void scale_rows(const double *x, const double *w, const double *z, size_t n, size_t p,
                       double *a, double *r)
{
    for (size_t i = 0; i < n; i++) {
        double s = w ? sqrt(w[i]) : 1.0;
        for (size_t j = 0; j < p; j++)
            a[i * p + j] = s * x[i * p + j];
        r[i] = z ? s * z[i] : 0.0;
    }
}

static double col_norm(const double *a, size_t n, size_t p, size_t j, size_t from)
{
    double scale = 0, ssq = 1;
    for (size_t i = from; i < n; i++) { /* scaled sum of squares, as LAPACK's dnrm2 */
        double v = fabs(a[i * p + j]);
        if (v == 0) continue;
        if (scale < v) {
            ssq = 1 + ssq * (scale / v) * (scale / v);
            scale = v;
        } else {
            ssq += (v / scale) * (v / scale);
        }
    }
    return scale * sqrt(ssq);
}

/* Applies the reflection I - v v' / vtv (v = a[j..n-1, j], the Householder vector) to column c
 * of a, or to r when c == p. */
static void reflect(double *a, double *r, size_t n, size_t p, size_t j, size_t c, double vtv)
{
    double dot = 0;
    for (size_t i = j; i < n; i++)
        dot += a[i * p + j] * (c == p ? r[i] : a[i * p + c]);
    double f = 2 * dot / vtv;
    for (size_t i = j; i < n; i++) {
        if (c == p)
            r[i] -= f * a[i * p + j];
        else
            a[i * p + c] -= f * a[i * p + j];
    }
}

/* Householder step on column j; *diag receives R[j][j]. Returns 0, or -1 when the column is
 * dependent on the earlier ones (its remaining norm is below the tolerance of its own norm). */
static int householder(double *a, double *r, size_t n, size_t p, size_t j, double orig_norm,
                       double *diag)
{
    double norm = col_norm(a, n, p, j, j);
    if (!(orig_norm > 0) || norm <= NB2_WLS_RANK_TOL * orig_norm) return -1;
    double alpha = a[j * p + j] > 0 ? -norm : norm;
    a[j * p + j] -= alpha; /* the Householder vector v now sits in a[j.., j] */
    double vtv = 0;
    for (size_t i = j; i < n; i++)
        vtv += a[i * p + j] * a[i * p + j];
    for (size_t c = j + 1; c <= p; c++)
        reflect(a, r, n, p, j, c, vtv);
    *diag = alpha;
    return 0;
}

/* Back substitution R b = r[0..p-1], R upper triangular with diagonal d. */
static void back_substitute(const double *a, const double *d, const double *r, size_t p, double *b)
{
    for (size_t jj = p; jj-- > 0;) {
        double s = r[jj];
        for (size_t c = jj + 1; c < p; c++)
            s -= a[jj * p + c] * b[c];
        b[jj] = s / d[jj];
    }
}

/* cov = R^-1 R^-T = (X'WX)^-1, column by column: solve R'u = e_c, then R v = u. */
static void inverse_gram(const double *a, const double *d, size_t p, double *cov, double *u,
                         double *v)
{
    for (size_t c = 0; c < p; c++) {
        for (size_t i = 0; i < p; i++) { /* forward substitution with R' */
            double s = i == c ? 1.0 : 0.0;
            for (size_t m = 0; m < i; m++)
                s -= a[m * p + i] * u[m];
            u[i] = s / d[i];
        }
        back_substitute(a, d, u, p, v);
        for (size_t i = 0; i < p; i++)
            cov[i * p + c] = v[i];
    }
}

long nb2_wls_solve(const double *x, const double *w, const double *z, size_t n, size_t p, double *b,
                   double *cov, double *work)
{
    double *a = work, *r = work + n * p, *d = r + n;
    scale_rows(x, w, z, n, p, a, r);
    for (size_t j = 0; j < p; j++) {
        double orig = col_norm(a, n, p, j, 0);
        if (householder(a, r, n, p, j, orig, &d[j]) != 0) return (long)j;
    }
    if (z) back_substitute(a, d, r, p, b);
    if (cov) inverse_gram(a, d, p, cov, r, d + p); /* r is free scratch now (n >= p) */
    return -1;
}
