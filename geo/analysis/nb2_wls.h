/* nb2_wls.h - weighted least squares by Householder QR, for nb2.c's IRLS (internal).
 *
 * Solves min_b sum_i w_i (z_i - x_i b)^2 for an n x p design x (row-major, n >= p) and weights
 * w_i > 0 (w == NULL: all 1), by QR of diag(sqrt w) x (Golub & Van Loan, Matrix Computations,
 * 4th ed., sec. 5.1-5.3), without squaring the condition number as the normal equations would.
 * A column whose part orthogonal to the earlier columns has norm <= NB2_WLS_RANK_TOL times its
 * own norm makes the design singular (R's lm/glm use the same relative 1e-7 in dqrdc2). */
#ifndef HAZMAP_NB2_WLS_H
#define HAZMAP_NB2_WLS_H

#include <stddef.h>

#define NB2_WLS_RANK_TOL 1e-7

/* Scratch for nb2_wls_solve: n * p + n + 2 p doubles, caller-owned. */
size_t nb2_wls_work_len(size_t n, size_t p);

/* b[p] receives the solution; cov (p x p row-major, may be NULL) receives (X'WX)^-1. Returns -1
 * on success, or the 0-based index of the first column found dependent on the earlier ones
 * (b and cov are then unspecified). z may be NULL when only the rank matters (b unused then). */
long nb2_wls_solve(const double *x, const double *w, const double *z, size_t n, size_t p, double *b,
                   double *cov, double *work);

#endif
