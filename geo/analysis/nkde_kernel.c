/* nkde_kernel.c - the network kernels of spNetwork (nkde.h) and their separable form for the
 * prefix sums (nkde_impl.h). */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "nkde_impl.h"

static const char *const kernel_names[] = {"quartic", "triangle", "epanechnikov", "triweight",
                                           "tricube", "cosine",   "uniform"};

int nkde_kernel_parse(const char *name, nkde_kernel *k)
{
    for (int i = 0; i <= NKDE_UNIFORM; i++) {
        if (name && strcmp(name, kernel_names[i]) == 0) {
            *k = (nkde_kernel)i;
            return 0;
        }
    }
    return -1;
}

const char *nkde_kernel_name(nkde_kernel k)
{
    return (int)k >= 0 && k <= NKDE_UNIFORM ? kernel_names[k] : "?";
}

/* Polynomial coefficients of k(u), u = d / h in [0, 1), lowest power first (spNetwork's
 * base_kernel_funtions.cpp; each integrates to 1/2 over [0, 1)). */
void nkde_basis_init(nkde_kernel k, nkde_basis *b)
{
    memset(b, 0, sizeof *b);
    double *c = b->c;
    switch (k) {
    case NKDE_QUARTIC: /* 15/16 (1 - u^2)^2 */
        b->nb = 5, c[0] = 1, c[2] = -2, c[4] = 1;
        for (int m = 0; m < 5; m++)
            c[m] *= 15.0 / 16.0;
        break;
    case NKDE_TRIANGLE: /* 1 - u */
        b->nb = 2, c[0] = 1, c[1] = -1;
        break;
    case NKDE_EPANECHNIKOV: /* 3/4 (1 - u^2) */
        b->nb = 3, c[0] = 0.75, c[2] = -0.75;
        break;
    case NKDE_TRIWEIGHT: /* 35/32 (1 - u^2)^3 */
        b->nb = 7, c[0] = 1, c[2] = -3, c[4] = 3, c[6] = -1;
        for (int m = 0; m < 7; m++)
            c[m] *= 35.0 / 32.0;
        break;
    case NKDE_TRICUBE: /* 70/81 (1 - u^3)^3 */
        b->nb = 10, c[0] = 1, c[3] = -3, c[6] = 3, c[9] = -1;
        for (int m = 0; m < 10; m++)
            c[m] *= 70.0 / 81.0;
        break;
    case NKDE_COSINE: /* pi/4 cos(pi u / 2) */
        b->nb = 2, b->cosine = 1;
        break;
    case NKDE_UNIFORM: /* 1/2 */
        b->nb = 1, c[0] = 0.5;
        break;
    }
    assert(b->nb >= 1 && b->nb <= NKDE_MAXB);
}

void nkde_basis_phi(const nkde_basis *b, double u, double *phi)
{
    if (b->cosine) {
        phi[0] = cos(M_PI_2 * u);
        phi[1] = sin(M_PI_2 * u);
        return;
    }
    double p = 1;
    for (int k = 0; k < b->nb; k++, p *= u)
        phi[k] = p;
}

/* The Taylor shift: q(u) = c(u + a) by repeated synthetic division (nb^2 / 2 products). */
void nkde_basis_shift(const nkde_basis *b, double a, double *q)
{
    if (b->cosine) {
        q[0] = M_PI_4 * cos(M_PI_2 * a);
        q[1] = -M_PI_4 * sin(M_PI_2 * a);
        return;
    }
    int m = b->nb - 1;
    for (int k = 0; k <= m; k++)
        q[k] = b->c[k];
    for (int i = 0; i < m; i++)
        for (int j = m - 1; j >= i; j--)
            q[j] += a * q[j + 1];
}

double nkde_basis_k(const nkde_basis *b, double u)
{
    if (b->cosine) return M_PI_4 * cos(M_PI_2 * u);
    double v = 0;
    for (int k = b->nb - 1; k >= 0; k--)
        v = v * u + b->c[k];
    return v;
}

double nkde_kernel_value(nkde_kernel k, double d, double h)
{
    if (!(h > 0) || !(d >= 0) || !(d < h) || (int)k < 0 || k > NKDE_UNIFORM) return 0;
    nkde_basis b;
    nkde_basis_init(k, &b);
    return nkde_basis_k(&b, d / h) / h;
}
