/* nkde_impl.h - what the network kernel density's files share (geo/analysis/nkde*.c): the
 * kernels as sums of separable terms, the lixels, and the snapped events sorted along their
 * segments with prefix sums from either end. Not a public interface.
 *
 * Separable kernels. With u = d / h, every kernel of nkde.h is k(u) / h on [0, 1), and
 * k(u + a) = sum_k q_k(a) phi_k(u): phi_k(u) = u^k with q the Taylor shift of k's polynomial
 * coefficients, or for the cosine phi = (cos(pi u / 2), sin(pi u / 2)),
 * q = pi/4 (cos(pi a / 2), -sin(pi a / 2)). So the sum over the events e of a segment end whose
 * distance to it is below a cut, of w_e K(d_e + a h), is sum_k q_k(a) P_k with P_k the prefix sum
 * of w_e phi_k(d_e / h) over those events (sorted by d_e): one binary search and nb products,
 * whatever the number of events. Only events with d_e < h can count, so u < 1 in every prefix
 * sum and the powers stay below 1 (no cancellation).
 *
 * Invariants (asserted where built): events are sorted by s within their segment; an end's
 * distance array is ascending and holds exactly the segment's events closer than h to that end;
 * its prefix rows number one more than its events, row 0 all zeros. */
#ifndef HAZMAP_NKDE_IMPL_H
#define HAZMAP_NKDE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/nkde.h"

enum { NKDE_MAXB = 10 }; /* the most basis terms (tricube: degree 9) */

typedef struct nkde_basis {
    int nb;              /* terms */
    int cosine;          /* 1: the cosine pair, else polynomial coefficients c */
    double c[NKDE_MAXB]; /* k(u) = sum c[m] u^m (normalising constant included) */
} nkde_basis;

void nkde_basis_init(nkde_kernel k, nkde_basis *b);
/* phi(u), nb values. */
void nkde_basis_phi(const nkde_basis *b, double u, double *phi);
/* q(a): k(u + a) = sum q_k phi_k(u). */
void nkde_basis_shift(const nkde_basis *b, double a, double *q);
/* k(u) for 0 <= u < 1 (no 1/h). */
double nkde_basis_k(const nkde_basis *b, double u);

/* The lixels: segment i has lixels first[i] .. first[i + 1] - 1, count[i] = ceil(L / lixel). */
typedef struct nkde_lix {
    size_t n;
    size_t *first; /* nseg + 1 */
} nkde_lix;

/* HZ_ELIMIT past about 2^31 lixels, HZ_ENOMEM. */
hz_status nkde_lix_build(const roadnet *net, double lixel, nkde_lix *lx, char *err, size_t errlen);
void nkde_lix_free(nkde_lix *lx);
/* Fills the public lixel array (n entries). */
void nkde_lix_fill(const roadnet *net, const nkde_lix *lx, nkde_lixel *out);

/* The snapped events. */
typedef struct nkde_events {
    size_t nseg;
    size_t *start; /* nseg + 1: segment i's events are start[i] .. start[i + 1] - 1 */
    double *s, *w; /* position along the segment (ascending within it) and weight */
    /* End 0 (from-node) and 1 (to-node): the events closer than h to it, by distance. */
    size_t *off[2]; /* nseg + 1: segment i's are off[end][i] .. off[end][i + 1] - 1 */
    double *d[2];   /* their distances to the end, ascending */
    double *P[2];   /* prefix rows: segment i's row j (j = 0 .. count) at (off[i] + i + j) * nb */
    int nb;
    double h;
    size_t snapped, unsnapped;
    double weight;
} nkde_events;

/* Snaps p onto net within snap metres and builds the sorted events and prefix sums for
 * bandwidth h and basis b, on nthreads threads. HZ_EINVAL for non-finite points, HZ_ENOMEM,
 * HZ_ELIMIT when cancelled (polled while snapping). On failure nothing is left allocated. */
hz_status nkde_events_build(const roadnet *net, const hz_points *p, double snap, double h,
                            const nkde_basis *b, int nthreads, nkde_events *ev, char *err,
                            size_t errlen);
void nkde_events_free(nkde_events *ev);

/* Number of values in d[0 .. n-1] (ascending) below cut. */
static inline size_t nkde_count_below(const double *d, size_t n, double cut)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d[mid] < cut)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Checks the options: HZ_EINVAL naming the bad one. */
hz_status nkde_opts_check(const nkde_opts *o, char *err, size_t errlen);

/* A result with its lixels filled and zero densities; NULL on ENOMEM. */
nkde_result *nkde_result_new(const roadnet *net, const nkde_lix *lx);

/* The divisor of "Values" (nkde.h) folded with the scale: multiply every raw sum by this. */
double nkde_out_factor(const nkde_opts *o, double weight);

/* The checks, lixels, events and an empty result of nkde_compute(), on one thread, for
 * nkde_compute_reference() (geo/analysis/nkde.c). On failure nothing is left allocated. */
hz_status nkde_prepare_reference(const roadnet *net, const hz_points *p, const nkde_opts *o,
                                 nkde_lix *lx, nkde_events *ev, nkde_result **out, char *err,
                                 size_t errlen);

#endif
