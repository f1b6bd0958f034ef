/* gistar.h - the local Getis-Ord statistics Gi and Gi* with analytic, FDR and permutation p-values.
 *
 * Getis & Ord (1992), "The analysis of spatial association by use of distance statistics",
 * Geographical Analysis 24(3); Ord & Getis (1995), "Local spatial autocorrelation statistics:
 * distributional issues and an application", Geographical Analysis 27(4).
 *
 * For n values x and weights w_ij (binary: 1 for a neighbour; row-standardised: 1 / W_i), the
 * standardised statistic is (Ord & Getis 1995, eq. 2 and the moments below it)
 *     z_i = (sum_j w_ij x_j - W_i xbar) / (s sqrt((N S1_i - W_i^2) / (N - 1)))
 * with W_i = sum_j w_ij, S1_i = sum_j w_ij^2, and, for Gi* (j runs over i itself too, w_ii = 1
 * before row-standardisation): N = n, xbar and s^2 the mean and variance (divisor n) of all x;
 * for Gi (j != i): N = n - 1, xbar and s^2 computed without x_i. This is spdep's localG and
 * ArcGIS's Hot Spot Analysis. Under this exact variance, row-standardising does not change z
 * (it scales a row by a constant); PySAL esda's G_Local instead uses the binary variance
 * W_i (N - W_i) / (N - 1) for row-standardised weights, selectable as GISTAR_VAR_ESDA to
 * reproduce its published values.
 *
 * Two neighbour structures: an explicit list (gistar_nb, from a distance band on arbitrary
 * coordinates or queen contiguity on integer lattice positions), and a regular lattice
 * (gistar_lattice) where a distance band is the same stencil of offsets for every cell, summed
 * with per-row prefix sums in O(cells x stencil rows) instead of pairwise distances.
 *
 * Thread-safety: every function is reentrant; results depend only on the arguments (permutation
 * p-values depend on the seed, not on the number of threads). */
#ifndef HAZMAP_GISTAR_H
#define HAZMAP_GISTAR_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

typedef enum gistar_weights {
    GISTAR_BINARY = 0, /* w_ij = 1 for each neighbour ("B") */
    GISTAR_ROW = 1     /* w_ij = 1 / W_i, rows sum to 1 ("R") */
} gistar_weights;

typedef enum gistar_variance {
    GISTAR_VAR_ORD_GETIS = 0, /* Ord & Getis 1995 (spdep, ArcGIS); the default */
    GISTAR_VAR_ESDA = 1       /* PySAL esda G_Local: W_i (N - W_i) / (N - 1) for any weights */
} gistar_variance;

typedef struct gistar_opts {
    int star; /* 1: Gi* (the cell itself counts), 0: Gi */
    gistar_weights weights;
    gistar_variance variance;
    int permutations; /* conditional permutations per value; 0 = none */
    uint64_t seed;    /* for the permutations */
    int nthreads;     /* <= 0: one per core */
} gistar_opts;

/* Gi*, binary, Ord-Getis variance, no permutations, seed 1, threads auto. */
void gistar_opts_init(gistar_opts *o);

/* Per-value results; arrays of n, caller-allocated. p_perm may be NULL when no permutations
 * are asked for. z is 0 and p 1 where the statistic is undefined (no neighbour for Gi, or every
 * value in the neighbourhood: zero variance); nb_count then tells why. */
typedef struct gistar_out {
    double *z;      /* standardised Gi or Gi* */
    double *p;      /* two-sided normal p of z */
    double *p_perm; /* two-sided conditional-permutation p (NULL: not computed) */
    int *nb_count;  /* neighbours of each value, the value itself excluded (may be NULL) */
} gistar_out;

/* ---- explicit neighbour lists ---- */

/* Symmetric binary neighbours in compressed rows: the neighbours of i are
 * idx[start[i] .. start[i+1]-1], never i itself. */
typedef struct gistar_nb {
    size_t n;
    size_t *start; /* n + 1 */
    uint32_t *idx;
} gistar_nb;

/* Neighbours within distance d: every other point with dist <= d (a relative tolerance of 1e-9
 * keeps lattice points exactly d apart in, as spdep's dnearneigh(0, d) does). Unlike spdep,
 * coincident points (dist 0) are neighbours too: two incidents at one address are one place.
 * Bucketed, O(n x neighbours). HZ_EINVAL for d <= 0 or non-finite input. */
hz_status gistar_nb_distance(size_t n, const double *x, const double *y, double d, gistar_nb *out,
                             char *err, size_t errlen);

/* Queen contiguity on integer lattice positions: i and j are neighbours when their rows and
 * columns each differ by at most 1 (8 neighbours inside the lattice). */
hz_status gistar_nb_queen(size_t n, const int *row, const int *col, gistar_nb *out, char *err,
                          size_t errlen);

/* Frees the arrays and zeroes *nb; a zeroed gistar_nb is a no-op. */
void gistar_nb_free(gistar_nb *nb);

/* Gi / Gi* of x over nb. HZ_EINVAL when n < 3 or all values are equal (the statistic is then
 * undefined everywhere). */
hz_status gistar_compute(const double *x, const gistar_nb *nb, const gistar_opts *o,
                         gistar_out *out, char *err, size_t errlen);

/* ---- regular lattices ---- */

/* A lattice of nrows x ncols cells, row-major, row 0 first. Square: cell (r, c) has its centre
 * at (c * spacing, -r * spacing) relative to cell (0, 0). Hexagonal (pointy-top, odd rows shifted
 * east by half a cell): centre at ((c + 0.5 (r & 1)) * spacing, -r * spacing * sqrt(3) / 2), so
 * spacing is the distance between adjacent centres. Cells with mask 0 are absent (outside the
 * study area): not values, not neighbours. */
typedef struct gistar_lattice {
    int nrows, ncols;
    int hex;                   /* 0 square, 1 hexagonal */
    double spacing;            /* metres between adjacent centres */
    const double *value;       /* nrows * ncols; ignored where mask is 0 */
    const unsigned char *mask; /* nrows * ncols, 1 present; NULL = all present */
} gistar_lattice;

/* Neighbourhood on a lattice: a distance band d (centres at most d apart, tolerance as above),
 * or contiguity (d <= 0): queen (8 neighbours) on squares, the 6 edge neighbours on hexagons. */
typedef struct gistar_stencil gistar_stencil;

/* Builds the stencil; NULL with the reason in err (a band shorter than the spacing, which would
 * give no neighbour, is HZ_EINVAL; a band over 500 cells is HZ_ELIMIT). Free with
 * gistar_stencil_free(); NULL is a no-op. */
gistar_stencil *gistar_stencil_new(const gistar_lattice *g, double d, char *err, size_t errlen);
void gistar_stencil_free(gistar_stencil *s);

/* Number of offsets (neighbours of an interior cell). */
size_t gistar_stencil_size(const gistar_stencil *s);

/* Gi / Gi* on the lattice; out arrays have nrows * ncols entries (cells outside the mask get
 * z 0, p 1). Same results as gistar_compute() on the present cells with the equivalent
 * neighbour lists, faster. */
hz_status gistar_lattice_compute(const gistar_lattice *g, const gistar_stencil *s,
                                 const gistar_opts *o, gistar_out *out, char *err, size_t errlen);

/* Global Moran's I of the present cells under the stencil's binary weights, with its z-score
 * under the randomisation assumption (Cliff & Ord 1981, eqs. 1.35-1.38; as in ArcGIS's Spatial
 * Autocorrelation tool). HZ_EINVAL for fewer than 4 cells or zero variance. */
hz_status gistar_lattice_moran(const gistar_lattice *g, const gistar_stencil *s, int nthreads,
                               double *I, double *z, char *err, size_t errlen);

/* ---- p-values ---- */

/* Two-sided p of a standard normal z: erfc(|z| / sqrt 2). */
double gistar_p_normal(double z);

/* Benjamini & Hochberg (1995) false-discovery-rate adjusted p-values, as R's
 * p.adjust(p, "BH"): q_(i) = min over k >= i of n p_(k) / k, capped at 1. NaN p are left out
 * (and come back NaN). q may alias p. HZ_ENOMEM if the scratch allocation fails. */
hz_status gistar_fdr_bh(size_t n, const double *p, double *q);

#endif
