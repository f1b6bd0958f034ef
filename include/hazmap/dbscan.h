/* dbscan.h - DBSCAN density-based clustering of planar points (Ester, Kriegel, Sander & Xu 1996).
 *
 * Definitions, matching the R package dbscan (Hahsler, Piekenbrock & Doran 2019, dbscan_int):
 *  - the eps-neighbourhood of p is every point q with |p - q| <= eps, p itself included;
 *  - p is a core point when its neighbourhood holds at least min_points points (the point itself
 *    counts, like R's minPts);
 *  - clusters are discovered by scanning the points in input order: the first core point not yet
 *    in a cluster starts cluster 1, 2, ... and the cluster is expanded completely before the scan
 *    goes on;
 *  - a border point (not core, within eps of a core point) joins the first cluster that reaches
 *    it, i.e. the cluster among those it touches whose lowest-index core point comes first. R's
 *    dbscan() assigns labels identically, so the labels can be compared directly.
 * Neighbours are found with a uniform grid of cells of side eps / (2 sqrt 2) whose bounding
 * boxes let whole cells be counted or skipped (dbscan.c); every decision is the one the test
 * dx * dx + dy * dy <= eps * eps on each pair would give, so the labels are those of a
 * brute-force scan. The result is a pure function of the input order and coordinates: same
 * input, same output.
 *
 * Thread-safety: reentrant; no state is kept between calls. dbscan_run() runs on the calling
 * thread. */
#ifndef HAZMAP_DBSCAN_H
#define HAZMAP_DBSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* Clusters n points (x[i], y[i]), metres in a projected CRS.
 * label: caller-allocated n ints, receives 0 for noise and 1..*nclusters for the clusters.
 * core: NULL, or caller-allocated n bytes receiving 1 for core points, 0 otherwise.
 * HZ_EINVAL for eps <= 0 or non-finite, min_points < 1, or a non-finite coordinate (named by
 * index); HZ_ENOMEM; HZ_ELIMIT when the grid would need more than 2^62 cells, or when eps is so
 * small (its square underflows) that two points of one grid cell might not be within eps.
 * n == 0 is fine. */
hz_status dbscan_run(size_t n, const double *x, const double *y, double eps, int min_points,
                     int32_t *label, uint8_t *core, int32_t *nclusters, char *err, size_t errlen);

/* dbscan_run() on nthreads threads (parfor.h; <= 0: one per core, but no more than one per
 * 16384 points). The result does not depend on the number of threads. */
hz_status dbscan_run_threads(size_t n, const double *x, const double *y, double eps, int min_points,
                             int nthreads, int32_t *label, uint8_t *core, int32_t *nclusters,
                             char *err, size_t errlen);

/* The work of clustering these points at radius eps with min_points, estimated before running
 * it (the server's budget): an upper bound of the point-pair distance tests of dbscan_run's
 * passes 1 and 4, on the same grid, plus 49 per occupied cell (the cells within reach each cell
 * looks at). Pass 1 decides a cell whole, with no test, when the cells within reach hold fewer
 * than min_points points, or the cells whose boxes are wholly within eps of its box hold
 * min_points, or those and the cells partly within eps together hold fewer; any other cell is
 * bounded by its points times those of the cells partly within eps. Pass 4 tests the non-core
 * points of a cell against the cells partly within eps that may hold cores. The passes' early
 * exits often stop sooner, so this errs high, never low. One grid build and two sweeps over the
 * occupied cells. HZ_EINVAL, HZ_ELIMIT and HZ_ENOMEM as dbscan_run; 0 for n == 0. */
hz_status dbscan_work(size_t n, const double *x, const double *y, double eps, int min_points,
                      double *work, char *err, size_t errlen);

#endif
