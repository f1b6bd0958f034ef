/* check_dbscan.c - tests of DBSCAN (hand-made sets, a brute-force reference) and black spots. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/blackspots.h"
#include "hazmap/dbscan.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

/* The reference: R dbscan's dbscan_int (Hahsler et al.) transcribed literally, with an O(n^2)
 * region query (|p - q|^2 <= eps^2, self included), a visited flag per point and a LIFO list. */
static int32_t brute_dbscan(size_t n, const double *x, const double *y, double eps, int minpts,
                            int32_t *label)
{
    double eps2 = eps * eps;
    char *visited = calloc(n, 1);
    size_t *N = malloc(n * n * sizeof *N + sizeof *N); /* worst case: every list appended */
    size_t *N2 = malloc(n * sizeof *N2 + sizeof *N2);
    int32_t ncl = 0;
    for (size_t i = 0; i < n; i++)
        label[i] = 0;
    for (size_t i = 0; i < n; i++) {
        if (visited[i]) continue;
        size_t nn = 0;
        for (size_t j = 0; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx * dx + dy * dy <= eps2) N[nn++] = j;
        }
        if (nn < (size_t)minpts) continue;
        ncl++;
        label[i] = ncl;
        visited[i] = 1;
        while (nn) {
            size_t j = N[--nn];
            if (visited[j]) continue;
            visited[j] = 1;
            size_t n2 = 0;
            for (size_t k = 0; k < n; k++) {
                double dx = x[j] - x[k], dy = y[j] - y[k];
                if (dx * dx + dy * dy <= eps2) N2[n2++] = k;
            }
            if (n2 >= (size_t)minpts)
                for (size_t k = 0; k < n2; k++)
                    N[nn++] = N2[k];
            label[j] = ncl;
        }
    }
    free(visited);
    free(N);
    free(N2);
    return ncl;
}

/* A deterministic generator (SplitMix64) so that every run tests the same sets. */
static double rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

START_TEST(test_handmade_border_between_two_clusters)
{
    /* Cluster A (x = 0, 0.3, 0.6, 1.0), cluster C (x = 3.0, 3.4, 3.7, 4.0), a border point B at
     * x = 2 exactly eps = 1 from A's last and C's first point (distances are inclusive, as in
     * R), and a noise point. With min_points 4, B has 3 points in its neighbourhood (itself, 1.0
     * and 3.0): not core, reachable from both clusters. */
    const double ax[] = {0, 0.3, 0.6, 1.0}, cx[] = {3.0, 3.4, 3.7, 4.0};
    double x[10], y[10];
    int32_t lab[10];
    uint8_t core[10];
    int32_t ncl;
    char err[256];
    /* Order 1: A, B, C, noise. */
    size_t k = 0;
    for (int i = 0; i < 4; i++)
        x[k] = ax[i], y[k++] = 0;
    x[k] = 2, y[k++] = 0;
    for (int i = 0; i < 4; i++)
        x[k] = cx[i], y[k++] = 0;
    x[k] = 10, y[k++] = 10;
    ck_assert_int_eq(dbscan_run(k, x, y, 1.0, 4, lab, core, &ncl, err, sizeof err), HZ_OK);
    ck_assert_int_eq(ncl, 2);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(lab[i], 1);
    for (int i = 5; i < 9; i++)
        ck_assert_int_eq(lab[i], 2);
    ck_assert_int_eq(lab[4], 1); /* A's core point 0 comes first: A claims B */
    ck_assert_int_eq(core[4], 0);
    ck_assert_int_eq(lab[9], 0);
    ck_assert_int_eq(core[9], 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(core[i], 1);
    /* Order 2: C first, then B, then A: C is cluster 1 and claims B. */
    k = 0;
    for (int i = 0; i < 4; i++)
        x[k] = cx[i], y[k++] = 0;
    x[k] = 2, y[k++] = 0;
    for (int i = 0; i < 4; i++)
        x[k] = ax[i], y[k++] = 0;
    x[k] = 10, y[k++] = 10;
    ck_assert_int_eq(dbscan_run(k, x, y, 1.0, 4, lab, core, &ncl, err, sizeof err), HZ_OK);
    ck_assert_int_eq(ncl, 2);
    ck_assert_int_eq(lab[0], 1);
    ck_assert_int_eq(lab[4], 1);
    ck_assert_int_eq(lab[5], 2);
    /* Order 3: B first (not core, skipped by the scan), then A, then C: A still claims it. */
    k = 0;
    x[k] = 2, y[k++] = 0;
    for (int i = 0; i < 4; i++)
        x[k] = ax[i], y[k++] = 0;
    for (int i = 0; i < 4; i++)
        x[k] = cx[i], y[k++] = 0;
    ck_assert_int_eq(dbscan_run(k, x, y, 1.0, 4, lab, core, &ncl, err, sizeof err), HZ_OK);
    ck_assert_int_eq(lab[0], 1);
    ck_assert_int_eq(lab[1], 1);
    ck_assert_int_eq(lab[5], 2);
    /* Order 4: A's last core (x = 1.0) after C: C's first core comes first, C claims B. */
    k = 0;
    for (int i = 0; i < 3; i++)
        x[k] = ax[i], y[k++] = 0; /* 0, 0.3, 0.6: cores of A */
    for (int i = 0; i < 4; i++)
        x[k] = cx[i], y[k++] = 0;
    x[k] = 2, y[k++] = 0;
    x[k] = 1.0, y[k++] = 0;
    ck_assert_int_eq(dbscan_run(k, x, y, 1.0, 4, lab, core, &ncl, err, sizeof err), HZ_OK);
    /* A is still discovered first (its core 0 is point 0), so A claims B. */
    ck_assert_int_eq(lab[7], 1);
    /* Just beyond eps B is noise: the inclusive boundary matters. */
    k = 0;
    for (int i = 0; i < 4; i++)
        x[k] = ax[i], y[k++] = 0;
    x[k] = 2.0000001, y[k++] = 0;
    ck_assert_int_eq(dbscan_run(k, x, y, 1.0, 4, lab, core, &ncl, err, sizeof err), HZ_OK);
    ck_assert_int_eq(ncl, 1);
    ck_assert_int_eq(lab[4], 0);
}
END_TEST

START_TEST(test_handmade_square_and_chain)
{
    /* A 3x3 lattice of spacing 1 with eps 1 and min_points 5: only the centre has 5 points
     * (itself and its 4 axis neighbours), so it is the single core; the 4 axis neighbours are
     * border points, the 4 corners (distance sqrt 2) noise. */
    double x[9], y[9];
    int32_t lab[9], ncl;
    uint8_t core[9];
    for (int i = 0; i < 9; i++)
        x[i] = i % 3, y[i] = i / 3;
    ck_assert_int_eq(dbscan_run(9, x, y, 1.0, 5, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 1);
    const int want[9] = {0, 1, 0, 1, 1, 1, 0, 1, 0};
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(lab[i], want[i]);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(core[i], i == 4);
    /* min_points 1: every point is core; clusters are the eps-connected components. */
    ck_assert_int_eq(dbscan_run(9, x, y, 0.9, 1, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 9);
    ck_assert_int_eq(dbscan_run(9, x, y, 1.0, 1, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 1);
    /* Coincident points: 5 at one spot form a cluster with min_points 5, 4 do not. */
    double px[5] = {7, 7, 7, 7, 7}, py[5] = {3, 3, 3, 3, 3};
    ck_assert_int_eq(dbscan_run(5, px, py, 1.0, 5, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 1);
    ck_assert_int_eq(dbscan_run(4, px, py, 1.0, 5, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 0);
    ck_assert_int_eq(dbscan_run(0, px, py, 1.0, 5, lab, core, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 0);
}
END_TEST

START_TEST(test_handmade_groups_at_eps)
{
    /* Two groups of 5 coincident points: with min_points 5 all are cores. At exactly eps apart
     * they are one cluster, a hair beyond eps two, whatever their bounding boxes suggest. */
    double x[10], y[10];
    int32_t lab[10], ncl;
    const double dist[2] = {10.0, 10.0000001};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 10; i++) {
            x[i] = 500000.0 + (i < 5 ? 0 : dist[k]);
            y[i] = 3400000.0;
        }
        ck_assert_int_eq(dbscan_run(10, x, y, 10.0, 5, lab, NULL, &ncl, NULL, 0), HZ_OK);
        ck_assert_int_eq(ncl, k == 0 ? 1 : 2);
        ck_assert_int_eq(lab[9], k == 0 ? 1 : 2);
    }
    /* Two groups whose bounding boxes come within eps (their corners (1, 1) and (8, 8) are
     * 9.9 apart) while no two of their points do (11.3 at least): two clusters. Each group is
     * 5 points at each end of a box diagonal, all cores at min_points 5. */
    const double gx[4] = {0, 1, 8, 9}, gy[4] = {1, 0, 9, 8};
    double px[20], py[20];
    int32_t pl[20];
    for (int i = 0; i < 20; i++) {
        px[i] = gx[i / 5];
        py[i] = gy[i / 5];
    }
    ck_assert_int_eq(dbscan_run(20, px, py, 10.0, 5, pl, NULL, &ncl, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl, 2);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(pl[i], i < 10 ? 1 : 2);
}
END_TEST

START_TEST(test_errors)
{
    double x[2] = {0, NAN}, y[2] = {0, 0};
    int32_t lab[2], ncl;
    char err[256];
    ck_assert_int_eq(dbscan_run(2, x, y, 1.0, 2, lab, NULL, &ncl, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "point 1"));
    x[1] = 1;
    ck_assert_int_eq(dbscan_run(2, x, y, 0.0, 2, lab, NULL, &ncl, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "eps"));
    ck_assert_int_eq(dbscan_run(2, x, y, -1.0, 2, lab, NULL, &ncl, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(dbscan_run(2, x, y, 1.0, 0, lab, NULL, &ncl, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "min_points"));
}
END_TEST

/* Random clustered sets: blobs, uniform background, and lattice points at exact eps spacing. */
static void random_set(uint64_t *seed, size_t n, double *x, double *y, double *eps, int *minpts)
{
    int nblobs = 1 + (int)(rnd(seed) * 8);
    double bx[8], by[8], bs[8];
    for (int b = 0; b < nblobs; b++) {
        bx[b] = rnd(seed) * 2000;
        by[b] = rnd(seed) * 2000;
        bs[b] = 5 + rnd(seed) * 80;
    }
    *eps = 10 + rnd(seed) * 60;
    *minpts = 1 + (int)(rnd(seed) * 10);
    for (size_t i = 0; i < n; i++) {
        double u = rnd(seed);
        if (u < 0.5) {
            int b = (int)(rnd(seed) * nblobs);
            /* Box-Muller */
            double r = sqrt(-2 * log(1 - rnd(seed))), t = 2 * M_PI * rnd(seed);
            x[i] = bx[b] + bs[b] * r * cos(t);
            y[i] = by[b] + bs[b] * r * sin(t);
        } else if (u < 0.8) {
            x[i] = rnd(seed) * 2000;
            y[i] = rnd(seed) * 2000;
        } else if (u < 0.95) { /* exact multiples of eps: ties at distance eps */
            x[i] = 500 + *eps * (int)(rnd(seed) * 6);
            y[i] = 500 + *eps * (int)(rnd(seed) * 6);
        } else if (i > 0) { /* duplicates */
            size_t j = (size_t)(rnd(seed) * (double)i);
            x[i] = x[j];
            y[i] = y[j];
        } else {
            x[i] = y[i] = 0;
        }
    }
}

START_TEST(test_against_brute_force)
{
    uint64_t seed = 12345;
    enum { N = 1500 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    int32_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    for (int round = 0; round < 12; round++) {
        size_t n = 200 + (size_t)(rnd(&seed) * (N - 200));
        double eps;
        int minpts;
        random_set(&seed, n, x, y, &eps, &minpts);
        int32_t na, nb;
        ck_assert_int_eq(dbscan_run(n, x, y, eps, minpts, a, NULL, &na, NULL, 0), HZ_OK);
        nb = brute_dbscan(n, x, y, eps, minpts, b);
        ck_assert_int_eq(na, nb);
        /* The rule fixes the labels themselves, not only the partition. */
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(a[i] == b[i], "round %d point %zu: %d vs %d", round, i, a[i], b[i]);
    }
    free(x);
    free(y);
    free(a);
    free(b);
}
END_TEST

/* The core flags by definition: at least minpts points (itself included) within eps. */
static void brute_cores(size_t n, const double *x, const double *y, double eps, int minpts,
                        uint8_t *core)
{
    double eps2 = eps * eps;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            c += dx * dx + dy * dy <= eps2;
        }
        core[i] = c >= (size_t)minpts;
    }
}

/* The grid's shortcuts (cells counted whole or skipped by their bounding boxes, cores joined
 * cell by cell, border points given the lowest cluster number in reach) against the literal
 * algorithm: dense blobs where whole cells decide, densities near the threshold where points
 * are counted one by one, exact ties at eps and at fractions of it, duplicates, coordinates
 * the size of UTM's, and min_points from 1 to several hundred. */
START_TEST(test_grid_against_brute_force)
{
    uint64_t seed = 20240601;
    enum { N = 1500 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    int32_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    uint8_t *ca = malloc(N), *cb = malloc(N);
    const double spacing[] = {1.0, 0.5, M_SQRT1_2, 0.25 * M_SQRT2, 1.0 / 3};
    for (int round = 0; round < 24; round++) {
        size_t n = 300 + (size_t)(rnd(&seed) * (N - 300));
        double eps = 5 + rnd(&seed) * 60;
        double ox = round % 2 ? 400000 + rnd(&seed) * 1e5 : 0, oy = round % 2 ? 3.3e6 : 0;
        int nblobs = 1 + (int)(rnd(&seed) * 4);
        double bx[4], by[4], bs[4];
        for (int k = 0; k < nblobs; k++) {
            bx[k] = ox + rnd(&seed) * 600;
            by[k] = oy + rnd(&seed) * 600;
            bs[k] = eps * (0.1 + rnd(&seed) * 1.5);
        }
        double sp = eps * spacing[round % 5];
        for (size_t i = 0; i < n; i++) {
            double u = rnd(&seed);
            if (u < 0.6) { /* Gaussian blobs, from far denser than eps to about eps wide */
                int k = (int)(rnd(&seed) * nblobs);
                double r = sqrt(-2 * log(1 - rnd(&seed))), t = 2 * M_PI * rnd(&seed);
                x[i] = bx[k] + bs[k] * r * cos(t);
                y[i] = by[k] + bs[k] * r * sin(t);
            } else if (u < 0.8) {
                x[i] = ox + rnd(&seed) * 600;
                y[i] = oy + rnd(&seed) * 600;
            } else if (u < 0.95) { /* a lattice: ties at eps and at fractions of it */
                x[i] = ox + 100 + sp * (int)(rnd(&seed) * 12);
                y[i] = oy + 100 + sp * (int)(rnd(&seed) * 12);
            } else if (i > 0) {
                size_t j = (size_t)(rnd(&seed) * (double)i);
                x[i] = x[j];
                y[i] = y[j];
            } else {
                x[i] = ox;
                y[i] = oy;
            }
        }
        /* Also min_points equal to the neighbour counts of two points: thresholds met exactly. */
        int minpts_list[] = {1, 2, 4, 8, 16, 40, 100, 300, 0, 0};
        for (int q = 8; q < 10; q++) {
            size_t i = (size_t)(rnd(&seed) * (double)n), cnt = 0;
            for (size_t j = 0; j < n; j++) {
                double dx = x[i] - x[j], dy = y[i] - y[j];
                cnt += dx * dx + dy * dy <= eps * eps;
            }
            minpts_list[q] = (int)cnt;
        }
        for (int q = 0; q < 10; q++) {
            int minpts = minpts_list[q];
            int32_t na, nb;
            ck_assert_int_eq(dbscan_run(n, x, y, eps, minpts, a, ca, &na, NULL, 0), HZ_OK);
            nb = brute_dbscan(n, x, y, eps, minpts, b);
            brute_cores(n, x, y, eps, minpts, cb);
            ck_assert_msg(na == nb, "round %d minpts %d: %d vs %d clusters", round, minpts, na, nb);
            for (size_t i = 0; i < n; i++) {
                ck_assert_msg(ca[i] == cb[i], "round %d minpts %d point %zu: core %d vs %d", round,
                              minpts, i, ca[i], cb[i]);
                ck_assert_msg(a[i] == b[i], "round %d minpts %d point %zu: %d vs %d", round, minpts,
                              i, a[i], b[i]);
            }
            /* The same on threads, each taking a chunk of the cells. */
            int nt = 2 + round % 3;
            ck_assert_int_eq(dbscan_run_threads(n, x, y, eps, minpts, nt, b, cb, &nb, NULL, 0),
                             HZ_OK);
            ck_assert_int_eq(na, nb);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(a[i] == b[i] && ca[i] == cb[i],
                              "round %d minpts %d point %zu on %d threads", round, minpts, i, nt);
        }
    }
    free(x);
    free(y);
    free(a);
    free(b);
    free(ca);
    free(cb);
}
END_TEST

START_TEST(test_order_invariance)
{
    /* Reordering the input may only move border points between the clusters that reach them:
     * cores keep the same partition (up to labels) and noise stays noise. */
    uint64_t seed = 777;
    enum { N = 1200 };
    double x[N], y[N], px[N], py[N];
    int32_t a[N], b[N], ncl_a, ncl_b;
    uint8_t ca[N], cb[N];
    size_t perm[N];
    double eps;
    int minpts;
    random_set(&seed, N, x, y, &eps, &minpts);
    minpts = 6;
    for (size_t i = 0; i < N; i++)
        perm[i] = i;
    for (size_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)(rnd(&seed) * (double)(i + 1));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < N; i++)
        px[i] = x[perm[i]], py[i] = y[perm[i]];
    ck_assert_int_eq(dbscan_run(N, x, y, eps, minpts, a, ca, &ncl_a, NULL, 0), HZ_OK);
    ck_assert_int_eq(dbscan_run(N, px, py, eps, minpts, b, cb, &ncl_b, NULL, 0), HZ_OK);
    ck_assert_int_eq(ncl_a, ncl_b);
    int32_t *map = calloc((size_t)ncl_a + 1, sizeof *map);
    int borders_moved = 0;
    for (size_t i = 0; i < N; i++) {
        int32_t la = a[perm[i]], lb = b[i];
        ck_assert_int_eq(ca[perm[i]], cb[i]);
        ck_assert_int_eq(la == 0, lb == 0);
        if (!cb[i]) {
            borders_moved += la && map[la] && map[la] != lb;
            continue;
        }
        if (!map[la]) map[la] = lb;
        ck_assert_int_eq(map[la], lb); /* a bijection on the cores' clusters */
    }
    (void)borders_moved;
    free(map);
}
END_TEST

/* ---- black spots on a small store ---- */

static char dbpath[80];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-dbscan-%d.sqlite", (int)getpid());
    unlink(dbpath);
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
}

START_TEST(test_blackspots_describe_and_rank)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    /* Two junctions in UTM 48N: J1 gets 8 minor crashes, J2 gets 5 fatal ones (score 60 > 24
     * with the default weights, count 5 < 8), plus a lone incident far away. Points are built in
     * metres and transformed to lon/lat with PROJ, so the centroid is known exactly. */
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    const double j1x = 410000, j1y = 3390000, j2x = 412000, j2y = 3391000;
    double mx[14], my[14], lon[14], lat[14];
    int n = 0;
    for (int k = 0; k < 8; k++) { /* octagon of radius 10 m around J1 */
        mx[n] = j1x + 10 * cos(k * M_PI / 4);
        my[n++] = j1y + 10 * sin(k * M_PI / 4);
    }
    const double sq[5][2] = {{-3, -3}, {3, -3}, {3, 3}, {-3, 3}, {0, 0}};
    for (int k = 0; k < 5; k++) {
        mx[n] = j2x + sq[k][0];
        my[n++] = j2y + sq[k][1];
    }
    mx[n] = 420000, my[n++] = 3400000;
    ck_assert_int_eq(workcrs_inverse(w, (size_t)n, mx, my, lon, lat), HZ_OK);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    /* 2013-07-01 was a Monday; 08:30 local = 00:30 UTC. The J2 crashes are on Sunday
     * 2014-06-01 23:10 local (15:10 UTC). */
    int64_t t1, t2;
    ck_assert_int_eq(hztime_parse_iso("2013-07-01T08:30:00+08:00", 0, &t1), 0);
    ck_assert_int_eq(hztime_parse_iso("2014-06-01T23:10:00+08:00", 0, &t2), 0);
    for (int k = 0; k < n; k++) {
        char sid[16];
        snprintf(sid, sizeof sid, "%d", k);
        hz_incident_rec r = {.source = "t",
                             .source_id = sid,
                             .victims = 1,
                             .age = 30,
                             .disability = -1,
                             .lon = lon[k],
                             .lat = lat[k]};
        r.mechanism = HZ_MECH_MVT_OTHER;
        r.severity = k < 8 ? HZ_SEV_MINOR : HZ_SEV_FATAL;
        r.t = k < 8 ? t1 + (k == 7 ? 365 * 86400 : 0) : t2;
        if (k == 0) r.mechanism = HZ_MECH_FALL;
        store_put_outcome o;
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, "EPSG:32648", err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    hz_filter f;
    filter_init(&f);
    blackspots_params p;
    blackspots_params_init(&p);
    p.eps = 15;
    p.min_points = 5;
    blackspots_result *r;
    ck_assert_int_eq(blackspots_compute(s, &f, &p, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 2);
    ck_assert_int_eq(r->noise, 1);
    const blackspot *b1 = &r->spots[0], *b2 = &r->spots[1];
    ck_assert_int_eq(b1->count, 5); /* J2 ranks first by score */
    ck_assert(fabs(b1->score - 60) < 1e-9);
    ck_assert_int_eq(b1->severity[HZ_SEV_FATAL], 5);
    ck_assert(fabs(b1->cx - j2x) < 1e-6 && fabs(b1->cy - j2y) < 1e-6);
    ck_assert(fabs(b1->radius_m - 3 * sqrt(2)) < 1e-6);
    ck_assert_uint_eq(b1->hull_n, 4); /* the centre point is inside */
    ck_assert_int_eq(b1->hours[23], 5);
    ck_assert_int_eq(b1->weekdays[6], 5); /* Sunday */
    ck_assert_int_eq(b2->count, 8);
    ck_assert(fabs(b2->score - 24) < 1e-9);
    ck_assert(fabs(b2->cx - j1x) < 1e-6 && fabs(b2->cy - j1y) < 1e-6);
    ck_assert(fabs(b2->radius_m - 10) < 1e-6);
    ck_assert_uint_eq(b2->hull_n, 8);
    ck_assert_int_eq(b2->hours[8], 8);
    ck_assert_int_eq(b2->weekdays[0], 7); /* Monday 2013-07-01 */
    ck_assert_int_eq(b2->weekdays[1], 1); /* 365 days later: Tuesday 2014-07-01 */
    ck_assert_int_eq(b2->mechanisms[HZ_MECH_FALL], 1);
    ck_assert_int_eq(r->year0, 2013);
    ck_assert_int_eq(r->nyears, 2);
    ck_assert_int_eq(b2->trend[0], 7);
    ck_assert_int_eq(b2->trend[1], 1);
    ck_assert_int_eq(b1->trend[1], 5);
    /* The centroid in lon/lat is the PROJ inverse of the known centre. */
    double clon, clat, cxm = j1x, cym = j1y;
    workcrs_inverse(w, 1, &cxm, &cym, &clon, &clat);
    ck_assert(fabs(b2->lon - clon) < 1e-9 && fabs(b2->lat - clat) < 1e-9);
    json_t *gj;
    ck_assert_int_eq(blackspots_geojson(r, NULL, &gj, err, sizeof err), HZ_OK);
    json_t *f0 = json_array_get(json_object_get(gj, "features"), 0);
    json_t *pr = json_object_get(f0, "properties");
    ck_assert_int_eq(json_integer_value(json_object_get(pr, "rank")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pr, "hull"), "type")),
                     "Polygon");
    ck_assert_int_eq(json_array_size(json_array_get(
                         json_object_get(json_object_get(pr, "hull"), "coordinates"), 0)),
                     5);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(pr, "trend"), "2014")), 5);
    /* the flat columns: counts by severity, top hour and weekday, the trend's least-squares slope
     * (0 then 5 incidents: +5 a year; the second cluster's 7 then 1: -6 a year) */
    ck_assert_int_eq(json_integer_value(json_object_get(pr, "fatal")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(pr, "top_hour")), 23);
    ck_assert_str_eq(json_string_value(json_object_get(pr, "top_day")), "Sunday");
    ck_assert(fabs(json_real_value(json_object_get(pr, "slope_yr")) - 5) < 1e-12);
    json_t *pr2 = json_object_get(json_array_get(json_object_get(gj, "features"), 1), "properties");
    ck_assert(fabs(json_real_value(json_object_get(pr2, "slope_yr")) + 6) < 1e-12);
    ck_assert_int_eq(json_integer_value(json_object_get(pr2, "top_hour")), 8);
    ck_assert_str_eq(json_string_value(json_object_get(pr2, "top_day")), "Monday");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(pr2, "top_mechs")), "fall"));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(gj, "provenance"), "min_points")), 5);
    json_decref(gj);
    /* Public suppression: both clusters have fewer than 10 incidents. */
    ck_assert_int_eq(blackspots_geojson(r, &(disc_policy){.min_count = 10}, &gj, err, sizeof err),
                     HZ_OK);
    f0 = json_array_get(json_object_get(gj, "features"), 1);
    ck_assert(json_is_null(json_object_get(f0, "geometry")));
    ck_assert(json_is_true(json_object_get(json_object_get(f0, "properties"), "suppressed")));
    ck_assert_ptr_null(json_object_get(json_object_get(f0, "properties"), "count"));
    /* incidents - noise - the visible counts would be the hidden clusters' total. */
    json_t *pv = json_object_get(gj, "provenance");
    ck_assert_ptr_nonnull(json_object_get(pv, "incidents"));
    ck_assert(json_is_null(json_object_get(pv, "incidents")));
    ck_assert(json_is_null(json_object_get(pv, "noise")));
    json_decref(gj);
    /* A threshold hiding nothing keeps them: 5 + 8 clustered, 1 noise. */
    ck_assert_int_eq(blackspots_geojson(r, &(disc_policy){.min_count = 5}, &gj, err, sizeof err),
                     HZ_OK);
    pv = json_object_get(gj, "provenance");
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents")), 14);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "noise")), 1);
    json_decref(gj);
    blackspots_free(r);
    /* Ranked by count, J1 comes first. */
    p.rank = BLACKSPOTS_BY_COUNT;
    ck_assert_int_eq(blackspots_compute(s, &f, &p, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r->spots[0].count, 8);
    blackspots_free(r);
    /* A filter: fatal only leaves J2. */
    ck_assert_int_eq(filter_set(&f, "severity", "fatal", err, sizeof err), HZ_OK);
    ck_assert_int_eq(blackspots_compute(s, &f, &p, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 1);
    ck_assert_int_eq(r->incidents, 6); /* J2 and the lone (fatal) incident */
    blackspots_free(r);
    incset_free(s);
    workcrs_free(w);
    store_close(st);
}
END_TEST

/* The reference descriptions: each cluster's members visited cluster by cluster in input
 * order, and the hull by the monotone chain on a qsort by (x, y) - the straightforward way. */
static int ref_cmp_xy(const void *a, const void *b)
{
    const double *p = a, *q = b;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    if (p[1] != q[1]) return p[1] < q[1] ? -1 : 1;
    return 0;
}

static double ref_cross(const double *o, const double *a, const double *b)
{
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* pts: n (x, y) pairs, sorted in place; hull: room for 2n + 2 pairs. Returns the vertices. */
static size_t ref_hull(double *pts, size_t n, double *hull)
{
    qsort(pts, n, 2 * sizeof *pts, ref_cmp_xy);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || ref_cmp_xy(pts + 2 * (m - 1), pts + 2 * i) != 0) {
            pts[2 * m] = pts[2 * i];
            pts[2 * m + 1] = pts[2 * i + 1];
            m++;
        }
    if (m <= 2) {
        memcpy(hull, pts, 2 * m * sizeof *pts);
        return m;
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        while (k >= 2 && ref_cross(hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i) <= 0)
            k--;
        hull[2 * k] = pts[2 * i];
        hull[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    for (size_t i = m - 1, t = k + 1; i-- > 0;) {
        while (k >= t && ref_cross(hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i) <= 0)
            k--;
        hull[2 * k] = pts[2 * i];
        hull[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    return k - 1 < 2 ? 2 : k - 1;
}

/* Every description of every black spot against the reference, on random incidents: blobs of
 * a few hundred (so the hulls are large), repeated locations (coincident members), unknown
 * times, all severities and mechanisms; fixed and automatic min_points. */
START_TEST(test_blackspots_against_brute_force)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    enum { N = 2500 };
    double *mx = malloc(N * sizeof *mx), *my = malloc(N * sizeof *my);
    double *lon = malloc(N * sizeof *lon), *lat = malloc(N * sizeof *lat);
    uint64_t seed = 99;
    const double cx[4] = {410000, 410400, 412000, 411000},
                 cy[4] = {3390000, 3390100, 3391000, 3392500};
    for (int i = 0; i < N; i++) {
        double u = rnd(&seed);
        if (u < 0.8) {
            int k = (int)(rnd(&seed) * 4);
            double r = sqrt(-2 * log(1 - rnd(&seed))), t = 2 * M_PI * rnd(&seed);
            mx[i] = cx[k] + (10 + 20 * k) * r * cos(t);
            my[i] = cy[k] + (10 + 20 * k) * r * sin(t);
        } else if (u < 0.9 && i > 0) {
            int j = (int)(rnd(&seed) * i);
            mx[i] = mx[j];
            my[i] = my[j];
        } else {
            mx[i] = 409000 + rnd(&seed) * 5000;
            my[i] = 3389000 + rnd(&seed) * 5000;
        }
    }
    ck_assert_int_eq(workcrs_inverse(w, N, mx, my, lon, lat), HZ_OK);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    for (int i = 0; i < N; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "%d", i);
        hz_incident_rec r = {.source = "t",
                             .source_id = sid,
                             .victims = 1,
                             .age = -1,
                             .disability = -1,
                             .lon = lon[i],
                             .lat = lat[i]};
        r.mechanism = (int)(rnd(&seed) * HZ_MECH_COUNT);
        r.severity = (int)(rnd(&seed) * HZ_SEV_COUNT);
        /* 2011-12-31 16:00 UTC (2012-01-01 local) plus up to three years; 1 in 10 unknown */
        r.t = rnd(&seed) < 0.1 ? INT64_MIN : 1325347200 + (int64_t)(rnd(&seed) * 3 * 365 * 86400);
        store_put_outcome o;
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, "EPSG:32648", err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    const hz_incident *items = incset_items(s);
    hz_filter f;
    filter_init(&f);
    hz_points pts = {0};
    ck_assert_int_eq(incset_select(s, &f, &pts, err, sizeof err), HZ_OK);
    size_t n = pts.n;
    int32_t *label = malloc(n * sizeof *label);
    double *mem = malloc(2 * n * sizeof *mem), *hull = malloc((4 * n + 4) * sizeof *hull);
    for (int round = 0; round < 2; round++) {
        blackspots_params p;
        blackspots_params_init(&p);
        p.eps = 25;
        p.min_points = round == 0 ? 8 : 0;
        blackspots_result *r;
        ck_assert_int_eq(blackspots_compute(s, &f, &p, &r, err, sizeof err), HZ_OK);
        int32_t ncl;
        ck_assert_int_eq(dbscan_run(n, pts.x, pts.y, p.eps, r->params.min_points, label, NULL, &ncl,
                                    err, sizeof err),
                         HZ_OK);
        ck_assert_uint_eq(r->n, (size_t)ncl);
        ck_assert_int_gt(ncl, 3);
        size_t big = 0;
        for (size_t q = 0; q < r->n; q++) {
            const blackspot *b = &r->spots[q];
            int32_t c = label[b->first];
            ck_assert_int_gt(c, 0);
            int64_t count = 0, sev[HZ_SEV_COUNT] = {0}, mech[HZ_MECH_COUNT] = {0};
            int64_t hours[24] = {0}, wdays[7] = {0}, trend[8] = {0};
            double score = 0, sx = 0, sy = 0, radius = 0;
            size_t m = 0;
            for (size_t k = 0; k < n; k++) {
                if (label[k] != c) continue;
                const hz_incident *i = &items[pts.idx[k]];
                ck_assert(count > 0 || k == b->first);
                count++;
                sev[i->severity]++;
                score += r->weights[i->severity];
                mech[i->mechanism]++;
                sx += pts.x[k];
                sy += pts.y[k];
                mem[2 * m] = pts.x[k];
                mem[2 * m + 1] = pts.y[k];
                m++;
                if (i->t == INT64_MIN) continue;
                int64_t l = i->t + HZ_TZ_SHANGHAI, days = l / 86400;
                int yy, mo, dd;
                hztime_civil_from_days(days, &yy, &mo, &dd);
                hours[(l - days * 86400) / 3600]++;
                wdays[(days + 3) % 7]++;
                trend[yy - r->year0]++;
            }
            double ccx = sx / (double)count, ccy = sy / (double)count;
            for (size_t k = 0; k < m; k++) {
                double d = hypot(mem[2 * k] - ccx, mem[2 * k + 1] - ccy);
                if (d > radius) radius = d;
            }
            big += m >= 64;
            ck_assert_int_eq(b->count, count);
            for (int k = 0; k < HZ_SEV_COUNT; k++)
                ck_assert_int_eq(b->severity[k], sev[k]);
            for (int k = 0; k < HZ_MECH_COUNT; k++)
                ck_assert_int_eq(b->mechanisms[k], mech[k]);
            for (int k = 0; k < 24; k++)
                ck_assert_int_eq(b->hours[k], hours[k]);
            for (int k = 0; k < 7; k++)
                ck_assert_int_eq(b->weekdays[k], wdays[k]);
            ck_assert_int_eq(r->nyears, 3);
            for (int k = 0; k < r->nyears; k++)
                ck_assert_int_eq(b->trend[k], trend[k]);
            ck_assert(b->score == score);
            ck_assert(b->cx == ccx && b->cy == ccy);
            ck_assert(b->radius_m == radius);
            size_t hn = ref_hull(mem, m, hull);
            ck_assert_uint_eq(b->hull_n, hn);
            for (size_t v = 0; v < hn; v++) {
                double hlon, hlat;
                workcrs_inverse(w, 1, &hull[2 * v], &hull[2 * v + 1], &hlon, &hlat);
                ck_assert(b->hull_lon[v] == hlon && b->hull_lat[v] == hlat);
            }
        }
        ck_assert_uint_gt(big, 3); /* hulls large enough for a radix sort */
        blackspots_free(r);
    }
    free(label);
    free(mem);
    free(hull);
    hz_points_free(&pts);
    free(mx);
    free(my);
    free(lon);
    free(lat);
    incset_free(s);
    workcrs_free(w);
    store_close(st);
}
END_TEST

/* The automatic min_points: a 100 x 100 lattice at 10 m puts 25 points in each of 400 occupied
 * 50 m cells, so the rule gives ceil(3 pi 10000 / 400) = ceil(235.62) = 236. */
START_TEST(test_auto_min_points)
{
    enum { N = 100 };
    double *x = malloc(N * N * sizeof *x), *y = malloc(N * N * sizeof *y);
    ck_assert(x && y);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            x[i * N + j] = 500000.0 + 10.0 * i + 1.0;
            y[i * N + j] = 3390000.0 + 10.0 * j + 1.0;
        }
    ck_assert_int_eq(blackspots_auto_min_points(N * N, x, y, 50.0), 236);
    double fx[2] = {x[0], x[N * N - 1]}, fy[2] = {y[0], y[N * N - 1]};
    /* Every occupied cell holds at least one point, so the rule never goes below ceil(3 pi) = 10.
     */
    ck_assert_int_eq(blackspots_auto_min_points(2, fx, fy, 50.0), 10);
    /* Two points in one cell: 3 pi 2 / 1 = 18.85 -> 19. */
    ck_assert_int_eq(blackspots_auto_min_points(2, x, y, 50.0), 19);
    ck_assert_int_eq(blackspots_auto_min_points(0, x, y, 50.0), 5);
    free(x);
    free(y);
}
END_TEST

/* The rule against a brute-force count of the occupied cells (every pair of points compared)
 * on random sets: negative coordinates, points on cell edges, duplicates, and points too far
 * out to have a cell (left out of n as well). */
START_TEST(test_auto_min_points_random)
{
    uint64_t seed = 4242;
    enum { N = 3000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    ck_assert(x && y);
    for (int round = 0; round < 20; round++) {
        size_t n = 1 + (size_t)(rnd(&seed) * (N - 1));
        double eps = 5 + rnd(&seed) * 100, side = eps * (1 + rnd(&seed) * 60);
        for (size_t i = 0; i < n; i++) {
            double u = rnd(&seed);
            if (u < 0.7) {
                x[i] = (rnd(&seed) - 0.5) * side;
                y[i] = (rnd(&seed) - 0.5) * side;
            } else if (u < 0.85) { /* on cell edges */
                x[i] = eps * (int)((rnd(&seed) - 0.5) * 20);
                y[i] = eps * (int)((rnd(&seed) - 0.5) * 20);
            } else if (u < 0.97 && i > 0) {
                size_t j = (size_t)(rnd(&seed) * (double)i);
                x[i] = x[j];
                y[i] = y[j];
            } else {
                x[i] = 1e12 * eps; /* cell number beyond 2e9 */
                y[i] = 0;
            }
        }
        size_t m = 0, occupied = 0;
        for (size_t i = 0; i < n; i++) {
            double cx = floor(x[i] / eps), cy = floor(y[i] / eps);
            if (fabs(cx) > 2e9 || fabs(cy) > 2e9) continue;
            m++;
            size_t j = 0;
            for (; j < i; j++)
                if (fabs(floor(x[j] / eps)) <= 2e9 && floor(x[j] / eps) == cx &&
                    floor(y[j] / eps) == cy)
                    break;
            occupied += j == i;
        }
        double k = occupied ? ceil(3.0 * M_PI * (double)m / (double)occupied) : 0;
        int want = k > 5 ? (int)k : 5;
        ck_assert_msg(blackspots_auto_min_points(n, x, y, eps) == want, "round %d: %d vs %d", round,
                      blackspots_auto_min_points(n, x, y, eps), want);
    }
    free(x);
    free(y);
}
END_TEST

/* dbscan_work(): every pair it counts lies in cells at most 3 apart (cells of eps / (2 sqrt 2)),
 * so closer than 2 eps; it is at most 49 per point plus twice the ordered pairs closer than 2 eps,
 * counted here by brute force. It is small when every cell is decided whole (min_points 2 on
 * well-separated clumps) and large when min_points leaves the cells open. */
static double pairs_within(size_t n, const double *x, const double *y, double r)
{
    double c = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            c += i != j && hypot(x[i] - x[j], y[i] - y[j]) < r;
    return c;
}

START_TEST(test_work_estimate)
{
    enum { N = 2000 };
    static double x[N], y[N];
    uint64_t seed = 777;
    const double eps = 100;
    for (size_t i = 0; i < N; i++) { /* uniform over 600 m x 600 m: ~170 within eps of each */
        x[i] = rnd(&seed) * 600;
        y[i] = rnd(&seed) * 600;
    }
    char err[256];
    double open_work, decided_work, bound = 49.0 * N + 2 * pairs_within(N, x, y, 2 * eps);
    /* min_points 150: near the typical count, so the cells' bounds rarely decide */
    ck_assert_int_eq(dbscan_work(N, x, y, eps, 150, &open_work, err, sizeof err), HZ_OK);
    ck_assert_msg(open_work <= bound, "%g > %g", open_work, bound);
    ck_assert_msg(open_work > 100.0 * N, "open cells estimated at only %g", open_work);
    /* min_points 2000: more than any cell can reach, every cell decided with no test */
    ck_assert_int_eq(dbscan_work(N, x, y, eps, 2000, &decided_work, err, sizeof err), HZ_OK);
    ck_assert_msg(decided_work <= 49.0 * N, "%g", decided_work);
    ck_assert(open_work > 50 * decided_work);
    /* 40 clumps of 50 points within 5 m, 1 km apart, min_points 2: every cell decided core */
    for (size_t i = 0; i < N; i++) {
        x[i] = 1000.0 * (double)(i / 50) + rnd(&seed) * 5;
        y[i] = rnd(&seed) * 5;
    }
    ck_assert_int_eq(dbscan_work(N, x, y, eps, 2, &decided_work, err, sizeof err), HZ_OK);
    ck_assert_msg(decided_work <= 49.0 * N, "%g", decided_work);
    ck_assert_int_eq(dbscan_work(N, x, y, -1, 2, &decided_work, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(dbscan_work(N, x, y, eps, 0, &decided_work, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(dbscan_work(0, x, y, eps, 2, &decided_work, err, sizeof err), HZ_OK);
    ck_assert(decided_work == 0);
}
END_TEST

Suite *dbscan_suite(void)
{
    Suite *s = suite_create("dbscan");
    TCase *tc = tcase_create("dbscan");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, tmpdb, tmpdb_rm);
    tcase_add_test(tc, test_handmade_border_between_two_clusters);
    tcase_add_test(tc, test_handmade_square_and_chain);
    tcase_add_test(tc, test_handmade_groups_at_eps);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_work_estimate);
    tcase_add_test(tc, test_against_brute_force);
    tcase_add_test(tc, test_grid_against_brute_force);
    tcase_add_test(tc, test_order_invariance);
    tcase_add_test(tc, test_blackspots_describe_and_rank);
    tcase_add_test(tc, test_blackspots_against_brute_force);
    tcase_add_test(tc, test_auto_min_points);
    tcase_add_test(tc, test_auto_min_points_random);
    suite_add_tcase(s, tc);
    return s;
}
