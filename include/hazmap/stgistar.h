/* stgistar.h - Getis-Ord Gi* on a space-time cube, as ArcGIS Pro's Emerging Hot Spot Analysis
 * computes it.
 *
 * The cube holds one value per location i and time step t. A bin's neighbourhood is every bin
 * of the same location and of its spatial neighbours (a gistar_nb: a distance band or
 * contiguity) in the same step and in the lag previous steps (the "neighbourhood time step"
 * of ArcGIS's tool; steps before the first one do not exist, so early bins have fewer
 * neighbours). Weights are binary. The mean and the variance in Gi* are those of the WHOLE cube
 * (N = locations x steps), so a bin is compared with every place at every time: a place whose
 * counts rise over the years becomes hot in its later steps. (R sfdep computes Gi* per time slice
 * with time-lagged neighbours; its issue #58 discusses how its results differ from ArcGIS's.) With
 * W bins in the neighbourhood (the bin itself included), sum S of their values, mean xbar and
 * variance s^2 (divisor N) of the cube: z = (S - W xbar) / (s sqrt((N W - W^2) / (N - 1))) (Ord &
 * Getis 1995, the Gi* of gistar.h with binary weights).
 *
 * Thread-safety: reentrant; results do not depend on the thread count. */
#ifndef HAZMAP_STGISTAR_H
#define HAZMAP_STGISTAR_H

#include <stddef.h>

#include "hazmap/gistar.h"
#include "hazmap/status.h"

/* x: nsteps x nloc values, step-major (x[t * nloc + i]). nb: the locations' spatial neighbours
 * (nb->n == nloc). lag >= 0. z and p (caller-allocated, nsteps x nloc, same layout) receive Gi*
 * and its two-sided normal p; a bin whose neighbourhood is the whole cube gets z 0 and p 1.
 * nbins (may be NULL) receives each bin's W. HZ_EINVAL when the cube has fewer than 3 bins or
 * all its values are equal. */
hz_status stgistar_compute(const double *x, size_t nloc, size_t nsteps, const gistar_nb *nb,
                           int lag, int nthreads, double *z, double *p, int *nbins, char *err,
                           size_t errlen);

#endif
