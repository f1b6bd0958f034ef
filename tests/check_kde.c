/* check_kde.c - tests of kernel density: brute force on every cell, kernel integrals, bandwidth
 * rules, grid geometry, GeoTIFF output read back through GDAL, and the density analysis. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop
#include <jansson.h>

#include "testutil.h"
#include "hazmap/density.h"
#include "hazmap/kde.h"
#include "hazmap/raster.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/vocab.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const kde_kernel all_kernels[] = {KDE_QUARTIC,    KDE_EPANECHNIKOV, KDE_TRIWEIGHT,
                                         KDE_TRIANGULAR, KDE_UNIFORM,      KDE_GAUSSIAN};

/* xorshift64*: the tests' own seeded generator (independent of the C library's rand). */
static double rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* The kernel written out again from its textbook formula (not through kde_kernel_value). */
static double ref_kernel(kde_kernel k, double h, double r)
{
    double t = r / h;
    switch (k) {
    case KDE_QUARTIC:
        return t < 1 ? 3 / (M_PI * h * h) * pow(1 - t * t, 2) : 0;
    case KDE_EPANECHNIKOV:
        return t < 1 ? 2 / (M_PI * h * h) * (1 - t * t) : 0;
    case KDE_TRIWEIGHT:
        return t < 1 ? 4 / (M_PI * h * h) * pow(1 - t * t, 3) : 0;
    case KDE_TRIANGULAR:
        return t < 1 ? 3 / (M_PI * h * h) * (1 - t) : 0;
    case KDE_UNIFORM:
        return t < 1 ? 1 / (M_PI * h * h) : 0;
    case KDE_GAUSSIAN:
        return t < 4 ? exp(-t * t / 2) / (2 * M_PI * h * h) : 0;
    }
    return NAN;
}

/* Brute force: every point against every cell centre, in metres. */
static void brute(const hz_points *p, kde_kernel k, double h, double scale, const kde_grid *g,
                  double *out)
{
    for (int j = 0; j < g->ny; j++) {
        for (int i = 0; i < g->nx; i++) {
            double cx = g->x0 + (i + 0.5) * g->cell, cy = g->y1 - (j + 0.5) * g->cell, s = 0;
            for (size_t q = 0; q < p->n; q++)
                s += p->w[q] * ref_kernel(k, h, hypot(p->x[q] - cx, p->y[q] - cy));
            out[(size_t)j * g->nx + i] = s * scale;
        }
    }
}

static void make_points(hz_points *p, size_t n, const kde_grid *g, double margin, uint64_t seed)
{
    p->n = n;
    p->x = malloc(n * sizeof *p->x);
    p->y = malloc(n * sizeof *p->y);
    p->w = malloc(n * sizeof *p->w);
    p->idx = NULL;
    double w = g->nx * g->cell + 2 * margin, hgt = g->ny * g->cell + 2 * margin;
    for (size_t q = 0; q < n; q++) {
        p->x[q] = g->x0 - margin + rnd(&seed) * w;
        p->y[q] = g->y1 + margin - rnd(&seed) * hgt;
        p->w[q] = 0.5 + 2.5 * rnd(&seed);
    }
}

/* Worst ratio over cells of |got - ref| to the tolerance 1e-9 |ref| + 1e-14 peak: 1e-9 relative
 * wherever the density is above 1e-5 of its peak; below that (cells where only the vanishing edge
 * of a kernel reaches) the bound is absolute, since any polynomial expansion of the kernels is
 * limited there by double rounding of the individual kernel terms (~1e-16 of a term). */
static double worst_ratio(const double *got, const double *ref, size_t n)
{
    double peak = 0, worst = 0;
    for (size_t c = 0; c < n; c++)
        peak = fmax(peak, fabs(ref[c]));
    for (size_t c = 0; c < n; c++) {
        double e = fabs(got[c] - ref[c]) / (1e-9 * fabs(ref[c]) + 1e-14 * peak + 1e-300);
        if (e > worst && getenv("KDE_DEBUG"))
            fprintf(stderr, "cell %zu got %.17g ref %.17g peak %g\n", c, got[c], ref[c], peak);
        worst = fmax(worst, e);
    }
    return worst;
}

START_TEST(test_brute_force_every_kernel)
{
    /* UTM-sized origin on purpose: the method must not lose digits to 5e5 m coordinates. */
    const kde_grid grids[] = {{500003.7, 3390011.2, 10, 47, 39},
                              {500003.7, 3390011.2, 7.5, 30, 61},
                              {-1234.5, 987.25, 25, 20, 16}};
    const double hs[] = {73, 25.3, 18, 400};
    for (size_t gi = 0; gi < sizeof grids / sizeof *grids; gi++) {
        for (size_t hi = 0; hi < sizeof hs / sizeof *hs; hi++) {
            const kde_grid *g = &grids[gi];
            double h = hs[hi];
            hz_points p;
            make_points(&p, 250, g, 1.2 * h, 1000 + gi * 10 + hi);
            size_t nc = (size_t)g->nx * g->ny;
            double *got = malloc(nc * sizeof *got), *ref = malloc(nc * sizeof *ref);
            float *gotf = malloc(nc * sizeof *gotf);
            for (size_t ki = 0; ki < 6; ki++) {
                kde_kernel k = all_kernels[ki];
                char err[256];
                ck_assert_int_eq(kde_compute_f64(&p, k, h, 1e6, g, 2, got, err, sizeof err), HZ_OK);
                brute(&p, k, h, 1e6, g, ref);
                double e = worst_ratio(got, ref, nc);
                ck_assert_msg(e <= 1, "kernel %s grid %zu h %g: error %g x the tolerance",
                              kde_kernel_name(k), gi, h, e);
                /* The float grid is the same numbers rounded to float. */
                ck_assert_int_eq(kde_compute(&p, k, h, 1e6, g, 3, gotf, err, sizeof err), HZ_OK);
                double peak = 0;
                for (size_t c = 0; c < nc; c++)
                    peak = fmax(peak, ref[c]);
                for (size_t c = 0; c < nc; c++)
                    ck_assert_msg(fabs(gotf[c] - ref[c]) <= 1.2e-7 * fabs(ref[c]) + 1e-14 * peak,
                                  "float cell %zu: %g vs %g", c, (double)gotf[c], ref[c]);
            }
            free(got);
            free(ref);
            free(gotf);
            hz_points_free(&p);
        }
    }
}
END_TEST

START_TEST(test_kernel_integrals)
{
    /* Midpoint rule over a fine grid around one unit-weight point (off the lattice), through
     * kde_compute itself: each kernel must integrate to 1 (the Gaussian to 1 - e^-8, its mass
     * inside 4h). A constant off by QGIS's 7.25x (or by any factor 1.001) fails. */
    double h = 100, cell = 0.5;
    for (size_t ki = 0; ki < 6; ki++) {
        kde_kernel k = all_kernels[ki];
        double R = kde_kernel_support(k, h);
        int n = (int)ceil(2 * R / cell) + 4;
        kde_grid g = {-n * cell / 2, n * cell / 2, cell, n, n};
        double x = 0.123, y = -0.377, w = 1;
        hz_points p = {1, &x, &y, &w, NULL, 0, 0, NULL};
        float *out = malloc((size_t)n * n * sizeof *out);
        char err[256];
        ck_assert_int_eq(kde_compute(&p, k, h, 1.0, &g, 2, out, err, sizeof err), HZ_OK);
        double s = 0;
        for (size_t c = 0; c < (size_t)n * n; c++)
            s += out[c];
        s *= cell * cell;
        double expect = k == KDE_GAUSSIAN ? 1 - exp(-8.0) : 1.0;
        ck_assert_msg(fabs(s - expect) < 1e-3, "kernel %s integrates to %.6f", kde_kernel_name(k),
                      s);
        free(out);
        /* kde_kernel_value: a radial Simpson integral 2 pi int r K(r) dr to 1e-9. */
        int m = 200000;
        double a = 0, step = R / m;
        for (int i = 0; i <= m; i++) {
            double r = i * step, f = 2 * M_PI * r * kde_kernel_value(k, h, r * (1 - 1e-15));
            a += f * (i == 0 || i == m ? 1 : i % 2 ? 4 : 2);
        }
        a *= step / 3;
        ck_assert_msg(fabs(a - expect) < 1e-9, "kernel %s value integrates to %.12f",
                      kde_kernel_name(k), a);
        /* And it is the textbook formula. */
        for (double r = 0; r < R * 1.1; r += h / 7)
            ck_assert_double_eq_tol(kde_kernel_value(k, h, r), ref_kernel(k, h, r), 1e-15);
    }
}
END_TEST

START_TEST(test_bandwidth_convert)
{
    /* The equal-smoothing factors from numerical R(K) and mu2(K) (radial integrals). */
    double ratio[6];
    for (size_t ki = 0; ki < 6; ki++) {
        kde_kernel k = all_kernels[ki];
        double R = kde_kernel_support(k, 1), rk = 0, mu = 0;
        int m = 200000;
        double step = R / m;
        for (int i = 0; i <= m; i++) {
            double r = i * step, f = kde_kernel_value(k, 1, r * (1 - 1e-15));
            double wt = (i == 0 || i == m ? 1 : i % 2 ? 4 : 2) * step / 3;
            rk += wt * 2 * M_PI * r * f * f;
            mu += wt * 2 * M_PI * r * f * r * r / 2; /* per coordinate: E[x^2] = E[r^2]/2 */
        }
        if (k == KDE_GAUSSIAN) { /* untruncated values, as in the AMISE theory */
            rk = 1 / (4 * M_PI);
            mu = 1;
        }
        ratio[ki] = rk / (mu * mu);
    }
    for (size_t a = 0; a < 6; a++)
        for (size_t b = 0; b < 6; b++) {
            double expect = 100 * pow(ratio[b] / ratio[a], 1.0 / 6);
            ck_assert_double_eq_tol(kde_bandwidth_convert(100, all_kernels[a], all_kernels[b]),
                                    expect, 1e-5);
        }
    /* Quartic is about 2.78 Gaussian sigmas. */
    ck_assert_double_eq_tol(kde_bandwidth_convert(1, KDE_GAUSSIAN, KDE_QUARTIC), 2.7799, 1e-3);
}
END_TEST

/* Weighted median by its definition: the smallest d with weight(<= d) >= W/2, averaged with the
 * next larger distance when weight(<= d) is exactly W/2. O(n^2). */
static double brute_wmedian(const double *d, const double *w, size_t n)
{
    double W = 0;
    for (size_t i = 0; i < n; i++)
        W += w[i];
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double below = 0;
        for (size_t j = 0; j < n; j++)
            if (d[j] <= d[i]) below += w[j];
        if (below >= W / 2 && d[i] < best) best = d[i];
    }
    double below = 0, next = INFINITY;
    for (size_t j = 0; j < n; j++) {
        if (d[j] <= best) below += w[j];
        if (d[j] > best && d[j] < next) next = d[j];
    }
    return fabs(below - W / 2) < 1e-12 && isfinite(next) ? (best + next) / 2 : best;
}

static void check_rules(const hz_points *p)
{
    size_t n = p->n;
    double W = 0, W2 = 0, mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        W += p->w[i];
        W2 += p->w[i] * p->w[i];
        mx += p->w[i] * p->x[i];
        my += p->w[i] * p->y[i];
    }
    mx /= W;
    my /= W;
    double sxx = 0, syy = 0, sxy = 0, *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) {
        sxx += p->w[i] * (p->x[i] - mx) * (p->x[i] - mx);
        syy += p->w[i] * (p->y[i] - my) * (p->y[i] - my);
        sxy += p->w[i] * (p->x[i] - mx) * (p->y[i] - my);
        d[i] = hypot(p->x[i] - mx, p->y[i] - my);
    }
    double sd = sqrt((sxx + syy) / W), dm = brute_wmedian(d, p->w, n);
    double arcgis = 0.9 * fmin(sd, sqrt(1 / log(2.0)) * dm) * pow(W, -0.2);
    double den = W - W2 / W, neff = W * W / W2;
    double silverman = sqrt((sxx / den + syy / den) / 2) * pow(neff, -1.0 / 6);
    double scott = pow(sxx / den * syy / den - sxy / den * sxy / den, 0.25) * pow(neff, -1.0 / 6);
    double h;
    char why[256];
    ck_assert_int_eq(kde_bandwidth(p, KDE_BW_ARCGIS, &h, why, sizeof why), HZ_OK);
    ck_assert_double_eq_tol(h, arcgis, 1e-9 * arcgis);
    ck_assert_ptr_nonnull(strstr(why, "ArcGIS"));
    ck_assert_int_eq(kde_bandwidth(p, KDE_BW_SILVERMAN, &h, why, sizeof why), HZ_OK);
    ck_assert_double_eq_tol(h, silverman, 1e-9 * silverman);
    ck_assert_int_eq(kde_bandwidth(p, KDE_BW_SCOTT, &h, why, sizeof why), HZ_OK);
    ck_assert_double_eq_tol(h, scott, 1e-9 * scott);
    free(d);
}

START_TEST(test_bandwidth_rules)
{
    uint64_t seed = 42;
    double x[41], y[41], w[41];
    /* Correlated cloud so Scott's det(S) differs from Silverman's mean variance. */
    for (int i = 0; i < 41; i++) {
        double a = rnd(&seed) * 1000, b = rnd(&seed) * 300;
        x[i] = 400000 + a + b;
        y[i] = 3300000 + 0.5 * a - b;
        w[i] = 1;
    }
    hz_points p = {41, x, y, w, NULL, 0, 0, NULL};
    check_rules(&p); /* odd n, equal weights */
    p.n = 40;
    check_rules(&p); /* even n: the median averages the middle two */
    for (int i = 0; i < 41; i++)
        w[i] = 1 + (i % 4); /* score-like integer weights */
    p.n = 41;
    check_rules(&p);
    for (int i = 0; i < 41; i++)
        w[i] = 0.3 + rnd(&seed);
    check_rules(&p);
    /* The median branch: a tight core plus far outliers makes sqrt(1/ln2) Dm < SD. */
    for (int i = 0; i < 41; i++) {
        w[i] = 1;
        x[i] = 400000 + (i < 30 ? rnd(&seed) * 50 : 5000 + rnd(&seed) * 5000);
    }
    check_rules(&p);
    double h;
    char why[128];
    p.n = 1;
    ck_assert_int_eq(kde_bandwidth(&p, KDE_BW_ARCGIS, &h, why, sizeof why), HZ_EINVAL);
    double cx[3] = {5, 5, 5}, cy[3] = {7, 7, 7}, cw[3] = {1, 1, 1};
    hz_points c = {3, cx, cy, cw, NULL, 0, 0, NULL};
    for (int r = 0; r < 3; r++)
        ck_assert_int_eq(kde_bandwidth(&c, (kde_bw_rule)r, &h, why, sizeof why), HZ_EINVAL);
    kde_bw_rule rule;
    ck_assert_int_eq(kde_bw_rule_parse("auto", &rule), 0);
    ck_assert_int_eq(rule, KDE_BW_ARCGIS);
    ck_assert_int_eq(kde_bw_rule_parse("scott", &rule), 0);
    ck_assert_int_eq(rule, KDE_BW_SCOTT);
    ck_assert_int_eq(kde_bw_rule_parse("nrd0", &rule), -1);
}
END_TEST

START_TEST(test_weights_and_geometry)
{
    kde_grid g = {1000, 2000, 10, 12, 9};
    /* One point exactly on the centre of column 3, row 2 (north-up: row 0 is the top). */
    double x = 1000 + 3.5 * 10, y = 2000 - 2.5 * 10, w = 1;
    hz_points p = {1, &x, &y, &w, NULL, 0, 0, NULL};
    double out[12 * 9], out3[12 * 9];
    char err[128];
    ck_assert_int_eq(kde_compute_f64(&p, KDE_QUARTIC, 25, 1e6, &g, 1, out, err, sizeof err), HZ_OK);
    size_t best = 0;
    for (size_t c = 0; c < 12 * 9; c++)
        if (out[c] > out[best]) best = c;
    ck_assert_uint_eq(best, 2 * 12 + 3);
    ck_assert_double_eq_tol(out[best], 3 / (M_PI * 625) * 1e6, 1e-9);
    /* Symmetric about the centre: (3 +- 1, 2) equal, (3, 2 +- 1) equal. */
    ck_assert_double_eq_tol(out[2 * 12 + 2], out[2 * 12 + 4], 1e-12);
    ck_assert_double_eq_tol(out[1 * 12 + 3], out[3 * 12 + 3], 1e-12);
    /* Weight 3 equals three coincident unit points. */
    w = 3;
    ck_assert_int_eq(kde_compute_f64(&p, KDE_QUARTIC, 25, 1e6, &g, 1, out3, err, sizeof err),
                     HZ_OK);
    double xs[3] = {x, x, x}, ys[3] = {y, y, y}, ws[3] = {1, 1, 1};
    hz_points p3 = {3, xs, ys, ws, NULL, 0, 0, NULL};
    ck_assert_int_eq(kde_compute_f64(&p3, KDE_QUARTIC, 25, 1e6, &g, 1, out, err, sizeof err),
                     HZ_OK);
    for (size_t c = 0; c < 12 * 9; c++)
        ck_assert_double_eq_tol(out[c], out3[c], 1e-9 * out3[c] + 1e-15);
    /* A point north of the grid (outside it) reaches only the top rows. */
    x = 1000 + 60;
    y = 2000 + 15;
    w = 1;
    ck_assert_int_eq(kde_compute_f64(&p, KDE_EPANECHNIKOV, 25, 1, &g, 2, out, err, sizeof err),
                     HZ_OK);
    ck_assert(out[0 * 12 + 6] > 0);
    ck_assert_double_eq_tol(out[0 * 12 + 5], ref_kernel(KDE_EPANECHNIKOV, 25, hypot(5, 20)), 1e-15);
    ck_assert_double_eq(out[2 * 12 + 6], 0); /* 30 m away: beyond h */
}
END_TEST

START_TEST(test_edge_cases)
{
    kde_grid g = {0, 100, 10, 10, 10};
    float out[100];
    char err[128];
    for (int c = 0; c < 100; c++)
        out[c] = 123;
    hz_points none = {0, NULL, NULL, NULL, NULL, 0, 0, NULL};
    ck_assert_int_eq(kde_compute(&none, KDE_QUARTIC, 50, 1, &g, 2, out, err, sizeof err), HZ_OK);
    for (int c = 0; c < 100; c++)
        ck_assert_float_eq(out[c], 0);
    double x = 50, y = 50, w = 1;
    hz_points p = {1, &x, &y, &w, NULL, 0, 0, NULL};
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, 0, 1, &g, 2, out, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bandwidth"));
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, -5, 1, &g, 2, out, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, NAN, 1, &g, 2, out, err, sizeof err), HZ_EINVAL);
    kde_grid bad = {0, 100, 0, 10, 10};
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, 50, 1, &bad, 2, out, err, sizeof err), HZ_EINVAL);
    bad.cell = 10;
    bad.nx = 0;
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, 50, 1, &bad, 2, out, err, sizeof err), HZ_EINVAL);
    x = NAN;
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, 50, 1, &g, 2, out, err, sizeof err), HZ_EINVAL);
    /* Far away from the grid: zeros exactly. */
    x = 1e6;
    ck_assert_int_eq(kde_compute(&p, KDE_GAUSSIAN, 50, 1, &g, 2, out, err, sizeof err), HZ_OK);
    for (int c = 0; c < 100; c++)
        ck_assert_float_eq(out[c], 0);
    /* A point far to the west of a wide grid: cells beyond its reach are exactly 0, not a
     * rounding residue of the difference arrays. */
    kde_grid wide = {0, 100, 1, 400, 3};
    double got[1200];
    x = 3;
    y = 98.5;
    ck_assert_int_eq(kde_compute_f64(&p, KDE_TRIWEIGHT, 20, 1, &wide, 1, got, err, sizeof err),
                     HZ_OK);
    for (int i = 30; i < 400; i++)
        ck_assert_double_eq(got[i], 0);
    kde_kernel k;
    ck_assert_int_eq(kde_kernel_parse("quartic", &k), 0);
    ck_assert_int_eq(k, KDE_QUARTIC);
    ck_assert_int_eq(kde_kernel_parse("gaussian", &k), 0);
    ck_assert_int_eq(k, KDE_GAUSSIAN);
    ck_assert_int_eq(kde_kernel_parse("cosine", &k), -1);
    ck_assert_str_eq(kde_kernel_name(KDE_TRIWEIGHT), "triweight");
}
END_TEST

/* ---- GeoTIFF ---- */

static char tifpath[80], dbpath[80];

static void tmp_paths(void)
{
    snprintf(tifpath, sizeof tifpath, "/tmp/hazmap-kde-%d.tif", (int)getpid());
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-kde-%d.sqlite", (int)getpid());
    unlink(dbpath);
}

static void tmp_rm(void)
{
    unlink(tifpath);
    tu_remove_db(dbpath);
}

/* Opens a GeoTIFF with GDAL and checks it against what was written. */
static void check_tiff(const char *path, const kde_grid *g, const float *values, int epsg)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    ck_assert_ptr_nonnull(ds);
    ck_assert_int_eq(GDALGetRasterXSize(ds), g->nx);
    ck_assert_int_eq(GDALGetRasterYSize(ds), g->ny);
    double gt[6];
    ck_assert_int_eq(GDALGetGeoTransform(ds, gt), CE_None);
    ck_assert_double_eq(gt[0], g->x0);
    ck_assert_double_eq(gt[1], g->cell);
    ck_assert_double_eq(gt[2], 0);
    ck_assert_double_eq(gt[3], g->y1);
    ck_assert_double_eq(gt[4], 0);
    ck_assert_double_eq(gt[5], -g->cell);
    /* The CRS is the one asked for, compared by OSR with an independently built EPSG CRS. */
    OGRSpatialReferenceH got = OSRNewSpatialReference(GDALGetProjectionRef(ds));
    OGRSpatialReferenceH want = OSRNewSpatialReference(NULL);
    ck_assert_int_eq(OSRImportFromEPSG(want, epsg), OGRERR_NONE);
    ck_assert(OSRIsSame(got, want));
    OSRDestroySpatialReference(got);
    OSRDestroySpatialReference(want);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    ck_assert_int_eq(GDALGetRasterDataType(b), GDT_Float32);
    int has = 0;
    ck_assert_double_eq(GDALGetRasterNoDataValue(b, &has), DENSITY_NODATA);
    ck_assert_int_eq(has, 1);
    const char *comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    ck_assert_ptr_nonnull(comp);
    ck_assert_str_eq(comp, "DEFLATE");
    size_t n = (size_t)g->nx * g->ny;
    float *back = malloc(n * sizeof *back);
    ck_assert_int_eq(
        GDALRasterIO(b, GF_Read, 0, 0, g->nx, g->ny, back, g->nx, g->ny, GDT_Float32, 0, 0),
        CE_None);
    ck_assert_int_eq(memcmp(back, values, n * sizeof *back), 0);
    free(back);
    GDALClose(ds);
}

START_TEST(test_geotiff_roundtrip)
{
    kde_grid g = {404000, 3397000, 10, 37, 23};
    hz_points p;
    make_points(&p, 60, &g, 50, 7);
    float *v = malloc((size_t)g.nx * g.ny * sizeof *v);
    char err[256];
    ck_assert_int_eq(kde_compute(&p, KDE_QUARTIC, 60, 1e6, &g, 2, v, err, sizeof err), HZ_OK);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 32648);
    char *wkt = NULL;
    OSRExportToWkt(srs, &wkt);
    const char *meta[] = {"KERNEL=quartic", "HAZMAP_PROVENANCE={\"a\":1}", NULL};
    raster_desc d = {.nx = g.nx,
                     .ny = g.ny,
                     .gt = {g.x0, g.cell, 0, g.y1, 0, -g.cell},
                     .wkt = wkt,
                     .nodata = DENSITY_NODATA,
                     .meta = meta};
    ck_assert_int_eq(raster_write_geotiff(tifpath, &d, v, err, sizeof err), HZ_OK);
    check_tiff(tifpath, &g, v, 32648);
    GDALDatasetH ds = GDALOpen(tifpath, GA_ReadOnly);
    ck_assert_str_eq(GDALGetMetadataItem(ds, "KERNEL", NULL), "quartic");
    ck_assert_str_eq(GDALGetMetadataItem(ds, "HAZMAP_PROVENANCE", NULL), "{\"a\":1}");
    GDALClose(ds);
    /* In memory: the same file as bytes. */
    unsigned char *buf;
    size_t len;
    ck_assert_int_eq(raster_geotiff_bytes(&d, v, &buf, &len, err, sizeof err), HZ_OK);
    ck_assert_uint_gt(len, 8);
    ck_assert(memcmp(buf, "II*", 3) == 0 || memcmp(buf, "II+", 3) == 0);
    FILE *f = fopen(tifpath, "wb");
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    check_tiff(tifpath, &g, v, 32648);
    /* An unwritable path is HZ_EIO naming it. */
    ck_assert_int_eq(raster_write_geotiff("/nonexistent/dir/x.tif", &d, v, err, sizeof err),
                     HZ_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.tif"));
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    free(v);
    hz_points_free(&p);
}
END_TEST

/* ---- the density analysis over a store ---- */

/* 200 incidents in a 0.04 x 0.04 degree square near Chengdu: 2013-01-01 .. 2014-12-31 (local),
 * every fourth a fall, the rest traffic. */
static incset *fixture(void)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char wkb[128];
    hz_area_rec a = {.code = "A1", .name = "测试", .level = "district", .population = 1000};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.06, 30.64, 104.10, 30.68);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    uint64_t seed = 99;
    int64_t t0 = 1356998400 - 8 * 3600;         /* 2013-01-01T00:00+08:00 (date -d) */
    int64_t t1 = 1419984000 - 8 * 3600 + 86399; /* 2014-12-31T23:59:59+08:00 */
    for (int i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        hz_incident_rec r = {.source = "t",
                             .source_id = id,
                             .victims = 1,
                             .age = 30,
                             .disability = -1,
                             .area_code = "A1"};
        r.t = i == 0 ? t0 : i == 1 ? t1 : t0 + (int64_t)(rnd(&seed) * (double)(t1 - t0));
        r.mechanism = i % 4 == 0 ? HZ_MECH_FALL : HZ_MECH_MVT_OTHER;
        r.severity = HZ_SEV_MINOR;
        r.lon = 104.07 + 0.02 * rnd(&seed);
        r.lat = 30.65 + 0.02 * rnd(&seed);
        store_put_outcome o;
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(st);
    return s;
}

/* Sum of cells x cell area / 1e6 x years: the incidents (or score) whose kernels fit the grid. */
static double grid_mass(const density_result *r)
{
    double m = 0;
    for (size_t c = 0; c < (size_t)r->grid.nx * r->grid.ny; c++)
        m += r->values[c];
    return m * r->grid.cell * r->grid.cell / 1e6 * r->years;
}

START_TEST(test_density_run)
{
    incset *s = fixture();
    hz_filter f;
    filter_init(&f);
    density_opts o;
    density_opts_init(&o);
    char err[512];
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "150", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "extent", "points", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "cell", "5", err, sizeof err), HZ_OK);
    density_result *r;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->incidents, 200);
    /* Years: first to last local day inclusive, 2013-01-01..2014-12-31 = 730 days. */
    ck_assert_double_eq_tol(r->years, 730 / 365.25, 1e-12);
    ck_assert_double_eq_tol(r->scale, 1e6 / r->years, 1e-9);
    /* Points extent holds every kernel: the grid integrates back to the 200 incidents. */
    ck_assert_double_eq_tol(grid_mass(r), 200, 0.2);
    ck_assert_str_eq(json_string_value(json_object_get(r->provenance, "kernel")), "quartic");
    ck_assert_str_eq(json_string_value(json_object_get(r->provenance, "bandwidth_rule")), "given");
    ck_assert_str_eq(json_string_value(json_object_get(r->provenance, "work_srs")), "EPSG:32648");
    ck_assert_int_eq(json_integer_value(json_object_get(r->provenance, "incidents")), 200);
    ck_assert_ptr_nonnull(json_object_get(r->provenance, "data_version"));
    ck_assert_double_eq(json_real_value(json_object_get(r->provenance, "cell_size")), 5);
    /* The GeoTIFF of the result: geometry, CRS, values, provenance in the metadata. */
    ck_assert_int_eq(density_write_geotiff(r, tifpath, NULL, err, sizeof err), HZ_OK);
    check_tiff(tifpath, &r->grid, r->values, 32648);
    GDALDatasetH ds = GDALOpen(tifpath, GA_ReadOnly);
    json_t *pv = json_loads(GDALGetMetadataItem(ds, "HAZMAP_PROVENANCE", NULL), 0, NULL);
    ck_assert_ptr_nonnull(pv);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents")), 200);
    json_decref(pv);
    GDALClose(ds);
    unsigned char *buf;
    size_t len;
    ck_assert_int_eq(density_geotiff_bytes(r, NULL, &buf, &len, err, sizeof err), HZ_OK);
    ck_assert_uint_gt(len, 100);
    free(buf);
    density_result_free(r);

    /* Filters: falls only, both dates given -> years from the filter (2013 = 365 days). */
    ck_assert_int_eq(filter_set(&f, "mechanism", "fall", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "from", "2013-01-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "to", "2013-12-31", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    size_t falls2013 = 0;
    for (size_t k = 0; k < incset_count(s); k++) {
        const hz_incident *it = &incset_items(s)[k];
        if (it->mechanism == HZ_MECH_FALL && it->t >= f.from && it->t < f.to) falls2013++;
    }
    ck_assert_uint_eq(r->incidents, falls2013);
    ck_assert_double_eq_tol(r->years, 365 / 365.25, 1e-12);
    ck_assert_double_eq_tol(grid_mass(r), (double)falls2013, 0.01 * (double)falls2013);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r->provenance, "filters")), "mechanism=fall"));
    density_result_free(r);

    /* Only "from": the span runs from it to the data's last day (2014-12-31): 365 days. */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "from", "2014-01-01", err, sizeof err), HZ_OK);
    char basis[256];
    ck_assert_double_eq_tol(density_years(s, &f, basis, sizeof basis), 365 / 365.25, 1e-12);
    ck_assert_ptr_nonnull(strstr(basis, "2014-01-01..2014-12-31"));
    /* No dated incident at all would give years = 1, said so; here: the data's span. */
    filter_init(&f);
    ck_assert_double_eq_tol(density_years(s, &f, basis, sizeof basis), 730 / 365.25, 1e-12);
    ck_assert_ptr_nonnull(strstr(basis, "study period 2013-01-01..2014-12-31"));

    /* Score weights: the mass is the score (minor = 3 by default). */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "weight", "score", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_double_eq_tol(r->weight_sum, 600, 1e-9);
    ck_assert_double_eq_tol(grid_mass(r), 600, 0.6);
    density_result_free(r);

    /* Rules: the ArcGIS radius by the formula, Silverman converted to the quartic. */
    filter_init(&f);
    density_opts_init(&o);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    hz_points pts;
    ck_assert_int_eq(incset_select(s, &f, &pts, err, sizeof err), HZ_OK);
    double h;
    char why[256];
    ck_assert_int_eq(kde_bandwidth(&pts, KDE_BW_ARCGIS, &h, why, sizeof why), HZ_OK);
    ck_assert_double_eq_tol(r->bandwidth, h, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(r->provenance, "extent")), "areas");
    /* Areas extent: the square's projected box, aligned to the cell. */
    ck_assert_double_eq(fmod(r->grid.x0, r->grid.cell), 0);
    density_result_free(r);
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "silverman", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(kde_bandwidth(&pts, KDE_BW_SILVERMAN, &h, why, sizeof why), HZ_OK);
    ck_assert_double_eq_tol(r->bandwidth, kde_bandwidth_convert(h, KDE_GAUSSIAN, KDE_QUARTIC),
                            1e-9);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r->provenance, "bandwidth_rule")), "Marron"));
    density_result_free(r);
    hz_points_free(&pts);
    /* The public floor. */
    o.disclosure.min_bandwidth = 5000;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_double_eq(r->bandwidth, 5000);
    density_result_free(r);

    /* The public minima: a 5 m cell and a 150 m band are raised to 100 m and 300 m, and the
     * grid still integrates to the 200 incidents (cell area 1e4 m2). */
    density_opts_init(&o);
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "150", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "extent", "points", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "cell", "5", err, sizeof err), HZ_OK);
    o.disclosure.min_cell = 100;
    o.disclosure.min_bandwidth = 300;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_double_eq(r->grid.cell, 100);
    ck_assert_double_eq(r->bandwidth, 300);
    ck_assert_double_eq(json_real_value(json_object_get(r->provenance, "cell_size")), 100);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r->provenance, "cell_rule")), "raised from 5 m"));
    ck_assert_double_eq_tol(grid_mass(r), 200, 0.5);
    density_result_free(r);

    /* Mask: cells whose centre lies outside the area are nodata. Reference: each cell centre
     * taken back to lon/lat by GDAL's own OSR transformation and tested against the square. */
    density_opts_init(&o);
    ck_assert_int_eq(density_opts_set(&o, "mask", "areas", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    OGRSpatialReferenceH utm = OSRNewSpatialReference(NULL), wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(utm, 32648);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(utm, wgs);
    ck_assert_ptr_nonnull(ct);
    size_t masked = 0, checked = 0;
    for (int j = 0; j < r->grid.ny; j++) {
        for (int i = 0; i < r->grid.nx; i++) {
            double lon = r->grid.x0 + (i + 0.5) * r->grid.cell;
            double lat = r->grid.y1 - (j + 0.5) * r->grid.cell;
            ck_assert(OCTTransform(ct, 1, &lon, &lat, NULL));
            float v = r->values[(size_t)j * r->grid.nx + i];
            masked += v == (float)DENSITY_NODATA;
            double margin = fmin(fmin(lon - 104.06, 104.10 - lon), fmin(lat - 30.64, 30.68 - lat));
            if (fabs(margin) * 9.6e4 < 3) continue; /* within ~3 m of the edge */
            checked++;
            ck_assert_msg((v == (float)DENSITY_NODATA) == (margin < 0),
                          "cell %d,%d at %.6f,%.6f: %g", i, j, lon, lat, (double)v);
        }
    }
    ck_assert_uint_gt(masked, 0); /* the UTM box of a lon/lat square has corners outside it */
    ck_assert_uint_gt(checked, 1000);
    ck_assert_int_eq(json_integer_value(json_object_get(r->provenance, "nodata_cells")),
                     (json_int_t)masked);
    ck_assert_str_eq(json_string_value(json_object_get(r->provenance, "mask")), "areas");
    ck_assert(r->max_value > 0);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(wgs);
    density_result_free(r);
    ck_assert_int_eq(density_opts_set(&o, "mask", "roads", err, sizeof err), HZ_EINVAL);

    /* The default cell is coarsened to fit a small cell budget (the server's); a given one
     * over the budget is HZ_ELIMIT. */
    density_opts_init(&o);
    o.max_cells = 1000;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_le(r->grid.nx * r->grid.ny, 1000);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r->provenance, "cell_rule")), "coarsened"));
    density_result_free(r);
    o.cell = 5;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_ELIMIT);

    /* Errors: too many cells, unknown area, bad option values. */
    density_opts_init(&o);
    o.cell = 0.01;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_null(r);
    o.cell = 0;
    snprintf(f.area, sizeof f.area, "NOPE");
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(density_opts_set(&o, "kernel", "cosine", err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "cosine"));
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "-3", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "12x", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(density_opts_set(&o, "cell", "0", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(density_opts_set(&o, "extent", "world", err, sizeof err), HZ_EINVAL);
    /* No incident selected with a rule: an error saying so; with a bandwidth: zeros. */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "from", "2020-01-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "fewer than 2"));
    o.bandwidth = 100;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_float_eq(r->max_value, 0);
    density_result_free(r);
    incset_free(s);
}
END_TEST

/* kde_work(): the stated counts (4 per point and grid row within reach for the polynomial
 * kernels, one per cell within the disk of reach for the others), capped by the grid; and a
 * density over its budget is refused before anything is computed, naming the estimate. */
START_TEST(test_work_budget)
{
    /* quartic, h = 100 m on 10 m cells: 2 * 10 + 1 = 21 rows; capped at 5 rows */
    ck_assert_double_eq(kde_work(KDE_QUARTIC, 1000, 100, 10, 0, 0), 1000.0 * 4 * 21);
    ck_assert_double_eq(kde_work(KDE_QUARTIC, 1000, 100, 10, 50, 5), 1000.0 * 4 * 5);
    /* Gaussian reach 4h = 400 m = 40 cells: pi 41^2 cells, capped at the grid's 30 x 20 */
    ck_assert_double_eq_tol(kde_work(KDE_GAUSSIAN, 10, 100, 10, 0, 0),
                            10 * 3.14159265358979323846 * 41 * 41, 1e-6);
    ck_assert_double_eq(kde_work(KDE_GAUSSIAN, 10, 100, 10, 30, 20), 10.0 * 600);
    incset *s = fixture();
    hz_filter f;
    filter_init(&f);
    density_opts o;
    density_opts_init(&o);
    char err[512];
    ck_assert_int_eq(density_opts_set(&o, "bandwidth", "150", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "extent", "points", err, sizeof err), HZ_OK);
    ck_assert_int_eq(density_opts_set(&o, "cell", "5", err, sizeof err), HZ_OK);
    /* 200 incidents x 4 x (2 x 30 + 1) rows = 48,800 */
    o.max_work = 48800;
    density_result *r = NULL;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_OK);
    density_result_free(r);
    o.max_work = 48799;
    r = NULL;
    ck_assert_int_eq(density_run(s, &f, &o, &r, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err, "4.88e+04") && strstr(err, "200 incidents"), "%s", err);
    incset_free(s);
}
END_TEST

Suite *kde_suite(void)
{
    Suite *s = suite_create("kde");
    TCase *tc = tcase_create("kde");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_brute_force_every_kernel);
    tcase_add_test(tc, test_kernel_integrals);
    tcase_add_test(tc, test_bandwidth_convert);
    tcase_add_test(tc, test_bandwidth_rules);
    tcase_add_test(tc, test_weights_and_geometry);
    tcase_add_test(tc, test_edge_cases);
    suite_add_tcase(s, tc);
    TCase *io = tcase_create("io");
    tcase_set_timeout(io, 60);
    tcase_add_checked_fixture(io, tmp_paths, tmp_rm);
    tcase_add_test(io, test_geotiff_roundtrip);
    tcase_add_test(io, test_density_run);
    tcase_add_test(io, test_work_budget);
    suite_add_tcase(s, io);
    return s;
}
