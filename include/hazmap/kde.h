/* kde.h - kernel density estimation of weighted points on a regular grid.
 *
 * Every kernel is normalised to integrate to 1 over the plane, so the grid holds (sum of
 * weights) per square metre times `scale` (pass 1e6 / years for "per km² per year").
 * Kernels with bounded support are zero beyond the bandwidth h; the Gaussian uses h as its
 * standard deviation and is truncated at 4h (the missing mass, 0.03 %, is documented).
 *
 * The grid is caller-defined so that map tiles can sample one global, aligned lattice:
 * cell (i, j), i = column 0..nx-1 from the west, j = row 0..ny-1 from the NORTH, has its centre at
 * (x0 + (i + 0.5) * cell, y1 - (j + 0.5) * cell); out[j * nx + i] is its value (GeoTIFF order).
 *
 * Thread-safety: the functions are reentrant; they keep no state between calls. */
#ifndef HAZMAP_KDE_H
#define HAZMAP_KDE_H

#include <stddef.h>

#include "hazmap/incset.h"
#include "hazmap/status.h"

typedef enum kde_kernel {
    KDE_QUARTIC = 0, /* (biweight) 3/(pi h^2) (1 - r^2/h^2)^2 */
    KDE_EPANECHNIKOV,
    KDE_TRIWEIGHT,
    KDE_TRIANGULAR,
    KDE_UNIFORM,
    KDE_GAUSSIAN
} kde_kernel;

/* "quartic", "epanechnikov", "triweight", "triangular", "uniform", "gaussian". 0 or -1. */
int kde_kernel_parse(const char *name, kde_kernel *k);
const char *kde_kernel_name(kde_kernel k);

typedef enum kde_bw_rule {
    KDE_BW_ARCGIS = 0, /* 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2 (ArcGIS Pro Kernel Density) */
    KDE_BW_SILVERMAN,
    KDE_BW_SCOTT
} kde_bw_rule;

/* "auto"/"arcgis", "silverman", "scott". 0 or -1. */
int kde_bw_rule_parse(const char *name, kde_bw_rule *r);

/* Bandwidth in metres by a rule over the (weighted) points. why receives one sentence saying
 * what was computed ("ArcGIS rule: SD 812 m, Dm 640 m, n 5321 -> 118 m"). HZ_EINVAL if fewer
 * than 2 points or all coincide. */
hz_status kde_bandwidth(const hz_points *p, kde_bw_rule rule, double *h, char *why, size_t whylen);

typedef struct kde_grid {
    double x0;   /* west edge, working CRS metres */
    double y1;   /* north edge */
    double cell; /* cell size, metres */
    int nx, ny;
} kde_grid;

/* Evaluates the density of p on grid g into out (nx * ny floats, caller-allocated).
 * nthreads <= 0 means one per core. HZ_EINVAL for h <= 0, a bad grid, or non-finite input. */
hz_status kde_compute(const hz_points *p, kde_kernel k, double h, double scale, const kde_grid *g,
                      int nthreads, float *out, char *err, size_t errlen);

/* The kernel's value at distance r for bandwidth h (per square metre): for tests and legends. */
double kde_kernel_value(kde_kernel k, double h, double r);

/* ---- additions (geo/kde.c) ---- */

/* kde_compute() into doubles: the same sums before the float conversion (tests compare it with
 * brute force to 1e-9; callers needing more than float precision). */
hz_status kde_compute_f64(const hz_points *p, kde_kernel k, double h, double scale,
                          const kde_grid *g, int nthreads, double *out, char *err, size_t errlen);

/* The kernel's formula as text, for provenance ("3/(pi h^2) (1 - r^2/h^2)^2, r < h"). Borrowed. */
const char *kde_kernel_formula(kde_kernel k);

/* Radius beyond which the kernel is zero: h, or 4h for the Gaussian. */
double kde_kernel_support(kde_kernel k, double h);

/* The work kde_compute() does for n points with bandwidth h on cells of `cell` metres, in units
 * of about 3 ns on one core of the reference machine (BENCHMARKS.md): the polynomial kernels
 * cost one row update per point and grid row within reach (row sweeps) and a row update is
 * counted 4, the others one kernel evaluation per cell within reach. Rows and cells in reach
 * are capped by the grid's own (ny rows, ny x nx cells; 0 = no cap). For budgets (density_opts,
 * the tile renderer's method choice): an estimate, not a measurement. */
double kde_work(kde_kernel k, size_t n, double h, double cell, int nx, int ny);

/* "arcgis", "silverman", "scott". Borrowed. */
const char *kde_bw_rule_name(kde_bw_rule r);

/* The kernel a rule's bandwidth is defined for: the quartic radius for ArcGIS, the Gaussian
 * standard deviation for Silverman and Scott. */
kde_kernel kde_bw_rule_kernel(kde_bw_rule r);

/* Converts bandwidth h of kernel `from` into the bandwidth of kernel `to` that smooths equally:
 * the AMISE-optimal bandwidth scales as (R(K)/mu2(K)^2)^(1/6) in two dimensions (Marron & Nolan
 * 1988, canonical kernels), e.g. a Gaussian sigma of 100 m ~ a quartic radius of 278 m. */
double kde_bandwidth_convert(double h, kde_kernel from, kde_kernel to);

#endif
