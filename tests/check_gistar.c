/* check_gistar.c - tests of Gi / Gi*: published spdep and esda values, brute force, FDR,
 * permutations. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/gistar.h"

/* ---- fixtures ---- */

/* Reads a CSV of numbers (header skipped, quotes ignored) into rows x cols doubles. */
static int read_csv(const char *path, int rows, int cols, double *out)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    int r = 0;
    while (r < rows && fgets(line, sizeof line, f)) {
        char *p = line;
        for (int c = 0; c < cols; c++) {
            while (*p == '"' || *p == ',' || *p == ' ')
                p++;
            char *end;
            out[r * cols + c] = strtod(p, &end);
            if (end == p) {
                fclose(f);
                return -1;
            }
            p = end;
            while (*p == '"')
                p++;
        }
        r++;
    }
    fclose(f);
    return r == rows ? 0 : -1;
}

/* ---- spdep localG on the Getis-Ord 1996 grid ---- */

START_TEST(test_spdep_getisord_grid)
{
    double xyz[256 * 4], ref[256 * 7];
    ck_assert_int_eq(read_csv("data/getisord/getisord_xyz.csv", 256, 4, xyz), 0);
    ck_assert_int_eq(read_csv("data/getisord/REFERENCE_localG_spdep.csv", 256, 7, ref), 0);
    double x[256], y[256], v[256], z[256], p[256];
    for (int i = 0; i < 256; i++) {
        ck_assert_int_eq((int)xyz[i * 4], i + 1);
        ck_assert_int_eq((int)ref[i * 7], i + 1);
        x[i] = xyz[i * 4 + 1];
        y[i] = xyz[i * 4 + 2];
        v[i] = xyz[i * 4 + 3];
    }
    /* The published id-120 values (spdep's localG example), as SOURCE.md lists them. */
    ck_assert_double_eq_tol(ref[119 * 7 + 1], 1.221979, 1e-6);
    ck_assert_double_eq_tol(ref[119 * 7 + 6], 1.45078, 1e-5);
    const double d[6] = {30, 60, 90, 120, 150, 30};
    char err[256];
    for (int col = 0; col < 6; col++) {
        gistar_nb nb;
        ck_assert_int_eq(gistar_nb_distance(256, x, y, d[col], &nb, err, sizeof err), HZ_OK);
        gistar_opts o;
        gistar_opts_init(&o);
        o.star = col == 5; /* G for d = 30..150, G* for d = 30 */
        o.nthreads = 2;
        gistar_out out = {z, p, NULL, NULL};
        ck_assert_int_eq(gistar_compute(v, &nb, &o, &out, err, sizeof err), HZ_OK);
        for (int i = 0; i < 256; i++) {
            double want = ref[i * 7 + 1 + col];
            if (fabs(z[i] - want) > 1e-6)
                ck_abort_msg("list path: col %d id %d: got %.9f want %.9f", col, i + 1, z[i], want);
            ck_assert_double_eq_tol(p[i], erfc(fabs(want) / sqrt(2)), 1e-6);
        }
        gistar_nb_free(&nb);

        /* The same grid as a 16 x 16 lattice (row 0 = north, y = 450). */
        double lv[256], lz[256], lp[256];
        for (int i = 0; i < 256; i++) {
            int r = (int)((450 - y[i]) / 30), c = (int)(x[i] / 30);
            lv[r * 16 + c] = v[i];
        }
        gistar_lattice g = {16, 16, 0, 30.0, lv, NULL};
        gistar_stencil *s = gistar_stencil_new(&g, d[col], err, sizeof err);
        ck_assert_ptr_nonnull(s);
        gistar_out lout = {lz, lp, NULL, NULL};
        ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &lout, err, sizeof err), HZ_OK);
        for (int i = 0; i < 256; i++) {
            int r = (int)((450 - y[i]) / 30), c = (int)(x[i] / 30);
            double want = ref[i * 7 + 1 + col];
            if (fabs(lz[r * 16 + c] - want) > 1e-6)
                ck_abort_msg("lattice path: col %d id %d: got %.9f want %.9f", col, i + 1,
                             lz[r * 16 + c], want);
        }
        gistar_stencil_free(s);
    }
}
END_TEST

/* ---- PySAL esda G_Local doctest ---- */

START_TEST(test_esda_doctest)
{
    double t[6 * 8];
    ck_assert_int_eq(read_csv("data/getisord/pysal_esda_G_Local_doctest.csv", 6, 8, t), 0);
    double x[6], y[6], v[6], z[6], p[6], zo[6];
    for (int i = 0; i < 6; i++) {
        x[i] = t[i * 8 + 1];
        y[i] = t[i * 8 + 2];
        v[i] = t[i * 8 + 3];
    }
    char err[256];
    gistar_nb nb;
    ck_assert_int_eq(gistar_nb_distance(6, x, y, 15, &nb, err, sizeof err), HZ_OK);
    /* columns: B, B*, R, R* */
    for (int col = 0; col < 4; col++) {
        gistar_opts o;
        gistar_opts_init(&o);
        o.star = col & 1;
        o.weights = col >= 2 ? GISTAR_ROW : GISTAR_BINARY;
        o.variance = GISTAR_VAR_ESDA;
        o.nthreads = 1;
        gistar_out out = {z, p, NULL, NULL};
        ck_assert_int_eq(gistar_compute(v, &nb, &o, &out, err, sizeof err), HZ_OK);
        for (int i = 0; i < 6; i++)
            if (fabs(z[i] - t[i * 8 + 4 + col]) > 1e-6)
                ck_abort_msg("esda col %d point %d: got %.9f want %.9f", col, i, z[i],
                             t[i * 8 + 4 + col]);
        /* Under the exact Ord-Getis variance, row standardisation leaves z unchanged, so both
         * transforms give esda's binary column. */
        o.variance = GISTAR_VAR_ORD_GETIS;
        gistar_out out2 = {zo, p, NULL, NULL};
        ck_assert_int_eq(gistar_compute(v, &nb, &o, &out2, err, sizeof err), HZ_OK);
        for (int i = 0; i < 6; i++)
            ck_assert_double_eq_tol(zo[i], t[i * 8 + 4 + (col & 1)], 1e-6);
    }
    gistar_nb_free(&nb);
}
END_TEST

/* ---- brute force on random lattices ---- */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Pairwise Gi / Gi* straight from Ord & Getis (1995) with explicit weights, independent of
 * the module: centres from (r, c), distances compared directly, weights w_ij materialised. */
static void brute_force(int nr, int nc, int hex, double sp, const double *val,
                        const unsigned char *mask, double d, int queen, int star, int row,
                        double *z)
{
    int n = 0;
    int *id = malloc(sizeof(int) * (size_t)(nr * nc));
    for (int i = 0; i < nr * nc; i++)
        if (mask[i]) id[n++] = i;
    double *cx = malloc(sizeof(double) * (size_t)n), *cy = malloc(sizeof(double) * (size_t)n);
    for (int a = 0; a < n; a++) {
        int r = id[a] / nc, c = id[a] % nc;
        cx[a] = hex ? (c + 0.5 * (r & 1)) * sp : c * sp;
        cy[a] = hex ? -r * sp * sqrt(3) / 2 : -r * sp;
    }
    double *w = malloc(sizeof(double) * (size_t)n);
    for (int a = 0; a < n; a++) {
        int ia = id[a];
        double W = 0;
        for (int b = 0; b < n; b++) {
            int ib = id[b];
            int nbr;
            if (a == b)
                nbr = star;
            else if (queen && !hex)
                nbr = abs(ia / nc - ib / nc) <= 1 && abs(ia % nc - ib % nc) <= 1;
            else {
                double dd = queen ? sp : d;
                nbr = hypot(cx[a] - cx[b], cy[a] - cy[b]) <= dd * (1 + 1e-9);
            }
            w[b] = nbr;
            W += nbr;
        }
        double S1 = 0, lag = 0, Ww = 0, sum = 0, sum2 = 0;
        int N = 0;
        for (int b = 0; b < n; b++) {
            if (row && W > 0) w[b] /= W;
            lag += w[b] * val[id[b]];
            S1 += w[b] * w[b];
            Ww += w[b];
            if (star || b != a) {
                sum += val[id[b]];
                N++;
            }
        }
        double mean = sum / N;
        for (int b = 0; b < n; b++)
            if (star || b != a) sum2 += (val[id[b]] - mean) * (val[id[b]] - mean);
        double s = sqrt(sum2 / N);
        double v = (N * S1 - Ww * Ww) / (N - 1);
        z[ia] = (W > 0 && v > 1e-12) ? (lag - Ww * mean) / (s * sqrt(v)) : 0.0;
    }
    free(id);
    free(cx);
    free(cy);
    free(w);
}

START_TEST(test_lattice_matches_brute_force)
{
    uint64_t seed = 12345;
    char err[256];
    for (int trial = 0; trial < 16; trial++) {
        int nr = 9 + (int)(lcg(&seed) % 9), nc = 7 + (int)(lcg(&seed) % 11);
        int hex = trial & 1, star = (trial >> 1) & 1, row = (trial >> 2) & 1;
        int queen = (trial >> 3) & 1;
        double sp = 50.0;
        double d = queen ? 0 : sp * (1.0 + (double)(lcg(&seed) % 300) / 100.0);
        int ncell = nr * nc;
        double *val = malloc(sizeof(double) * (size_t)ncell);
        unsigned char *mask = malloc((size_t)ncell);
        double *zb = calloc((size_t)ncell, sizeof(double)),
               *zl = malloc(sizeof(double) * (size_t)ncell);
        double *pl = malloc(sizeof(double) * (size_t)ncell);
        for (int i = 0; i < ncell; i++) {
            mask[i] = lcg(&seed) % 10 != 0; /* a tenth of the cells absent */
            val[i] = (double)(lcg(&seed) % 7) * (lcg(&seed) % 3 == 0);
        }
        brute_force(nr, nc, hex, sp, val, mask, d, queen, star, row, zb);
        gistar_lattice g = {nr, nc, hex, sp, val, mask};
        gistar_stencil *s = gistar_stencil_new(&g, d, err, sizeof err);
        ck_assert_msg(s != NULL, "%s", err);
        gistar_opts o;
        gistar_opts_init(&o);
        o.star = star;
        o.weights = row ? GISTAR_ROW : GISTAR_BINARY;
        o.nthreads = 2;
        gistar_out out = {zl, pl, NULL, NULL};
        ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &out, err, sizeof err), HZ_OK);
        for (int i = 0; i < ncell; i++) {
            if (!mask[i]) continue;
            if (fabs(zl[i] - zb[i]) > 1e-9)
                ck_abort_msg(
                    "trial %d (hex %d star %d row %d queen %d d %g) cell %d: %.12f vs %.12f", trial,
                    hex, star, row, queen, d, i, zl[i], zb[i]);
        }
        gistar_stencil_free(s);
        free(val);
        free(mask);
        free(zb);
        free(zl);
        free(pl);
    }
}
END_TEST

START_TEST(test_queen_lists_match_lattice)
{
    /* gistar_nb_queen on the cells' (row, col) against the lattice's queen stencil. */
    int nr = 12, nc = 10, n = 0;
    double val[120], zl[120], pl[120], zq[120], pq[120], v2[120];
    int rr[120], cc[120], pos[120];
    unsigned char mask[120];
    uint64_t seed = 7;
    for (int i = 0; i < nr * nc; i++) {
        mask[i] = lcg(&seed) % 6 != 0;
        val[i] = (double)(lcg(&seed) % 5);
        if (mask[i]) {
            rr[n] = i / nc;
            cc[n] = i % nc;
            v2[n] = val[i];
            pos[n++] = i;
        }
    }
    char err[256];
    gistar_nb nb;
    ck_assert_int_eq(gistar_nb_queen((size_t)n, rr, cc, &nb, err, sizeof err), HZ_OK);
    gistar_opts o;
    gistar_opts_init(&o);
    gistar_out oq = {zq, pq, NULL, NULL};
    ck_assert_int_eq(gistar_compute(v2, &nb, &o, &oq, err, sizeof err), HZ_OK);
    gistar_lattice g = {nr, nc, 0, 100.0, val, mask};
    gistar_stencil *s = gistar_stencil_new(&g, 0, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_uint_eq(gistar_stencil_size(s), 8);
    gistar_out ol = {zl, pl, NULL, NULL};
    ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &ol, err, sizeof err), HZ_OK);
    for (int a = 0; a < n; a++)
        ck_assert_double_eq_tol(zq[a], zl[pos[a]], 1e-9);
    gistar_stencil_free(s);
    gistar_nb_free(&nb);
    /* The hexagonal contiguity stencil has the 6 edge neighbours. */
    gistar_lattice h = {nr, nc, 1, 100.0, val, mask};
    s = gistar_stencil_new(&h, 0, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_uint_eq(gistar_stencil_size(s), 6);
    gistar_stencil_free(s);
}
END_TEST

/* ---- Moran's I ---- */

START_TEST(test_moran_brute_force)
{
    int nr = 11, nc = 13, ncell = nr * nc;
    double val[143];
    unsigned char mask[143];
    uint64_t seed = 99;
    for (int i = 0; i < ncell; i++) {
        mask[i] = lcg(&seed) % 8 != 0;
        int r = i / nc, c = i % nc;
        val[i] = (double)(lcg(&seed) % 4) + (r < 5 && c < 6 ? 3.0 : 0.0); /* autocorrelated */
    }
    double d = 130; /* 50 m cells: offsets up to (1, 2) and (2, 1) */
    /* brute force: explicit binary weights, Moran (1950) and Cliff & Ord (1981) 1.35-1.38 with
     * S1 and S2 summed from the weights themselves */
    double n = 0, mean = 0;
    for (int i = 0; i < ncell; i++)
        if (mask[i]) {
            n++;
            mean += val[i];
        }
    mean /= n;
    double m2 = 0, m4 = 0, num = 0, S0 = 0, S1 = 0, S2 = 0;
    for (int i = 0; i < ncell; i++) {
        if (!mask[i]) continue;
        double zi = val[i] - mean;
        m2 += zi * zi;
        m4 += zi * zi * zi * zi;
        double rowsum = 0, colsum = 0;
        for (int j = 0; j < ncell; j++) {
            if (!mask[j] || j == i) continue;
            double dx = (i % nc - j % nc) * 50.0, dy = (i / nc - j / nc) * 50.0;
            double w = hypot(dx, dy) <= d ? 1.0 : 0.0;
            num += w * zi * (val[j] - mean);
            S0 += w;
            S1 += 0.5 * (2 * w) * (2 * w);
            rowsum += w;
            colsum += w;
        }
        S2 += (rowsum + colsum) * (rowsum + colsum);
    }
    double Iref = n / S0 * num / m2;
    double E = -1 / (n - 1), b2 = n * m4 / (m2 * m2);
    double EI2 = (n * ((n * n - 3 * n + 3) * S1 - n * S2 + 3 * S0 * S0) -
                  b2 * ((n * n - n) * S1 - 2 * n * S2 + 6 * S0 * S0)) /
                 ((n - 1) * (n - 2) * (n - 3) * S0 * S0);
    double zref = (Iref - E) / sqrt(EI2 - E * E);
    gistar_lattice g = {nr, nc, 0, 50.0, val, mask};
    char err[256];
    gistar_stencil *s = gistar_stencil_new(&g, d, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    double I, z;
    ck_assert_int_eq(gistar_lattice_moran(&g, s, 2, &I, &z, err, sizeof err), HZ_OK);
    ck_assert_double_eq_tol(I, Iref, 1e-12);
    ck_assert_double_eq_tol(z, zref, 1e-9);
    ck_assert(z > 2); /* the planted block is autocorrelated */
    gistar_stencil_free(s);
}
END_TEST

/* ---- FDR ---- */

START_TEST(test_fdr_bh_by_hand)
{
    /* By hand: sorted 0.005, 0.01, 0.03, 0.04, 0.5 (n = 5) -> n p / rank = 0.025, 0.025, 0.05,
     * 0.05, 0.5; running minimum from the top leaves them as they are. */
    double p[6] = {0.01, 0.04, 0.03, 0.005, 0.5, NAN}, q[6];
    ck_assert_int_eq(gistar_fdr_bh(6, p, q), HZ_OK);
    const double want[5] = {0.025, 0.05, 0.05, 0.025, 0.5};
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq_tol(q[i], want[i], 1e-15);
    ck_assert(isnan(q[5]));
    /* The running minimum matters here: 0.02, 0.021 (n = 2) -> 0.04, 0.021 -> 0.021 both. */
    double p2[2] = {0.021, 0.02};
    ck_assert_int_eq(gistar_fdr_bh(2, p2, p2), HZ_OK); /* in place */
    ck_assert_double_eq_tol(p2[0], 0.021, 1e-15);
    ck_assert_double_eq_tol(p2[1], 0.021, 1e-15);
    /* capped at 1 */
    double p3[3] = {0.9, 0.95, 1.0}, q3[3];
    ck_assert_int_eq(gistar_fdr_bh(3, p3, q3), HZ_OK);
    for (int i = 0; i < 3; i++)
        ck_assert(q3[i] <= 1.0);
}
END_TEST

/* ---- permutations ---- */

START_TEST(test_permutations_reproducible)
{
    int nr = 20, nc = 20, ncell = nr * nc;
    double val[400], z[400], p[400], pp1[400], pp2[400], pp3[400];
    uint64_t seed = 5;
    for (int i = 0; i < ncell; i++) {
        int r = i / nc, c = i % nc;
        val[i] = (double)(lcg(&seed) % 3) + ((r - 5) * (r - 5) + (c - 5) * (c - 5) <= 4 ? 8 : 0);
    }
    gistar_lattice g = {nr, nc, 0, 10.0, val, NULL};
    char err[256];
    gistar_stencil *s = gistar_stencil_new(&g, 25, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    gistar_opts o;
    gistar_opts_init(&o);
    o.permutations = 199;
    o.seed = 42;
    o.nthreads = 1;
    gistar_out a = {z, p, pp1, NULL};
    ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &a, err, sizeof err), HZ_OK);
    o.nthreads = 2; /* same seed, other thread split: identical */
    gistar_out b = {z, p, pp2, NULL};
    ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(memcmp(pp1, pp2, sizeof pp1), 0);
    o.seed = 43;
    gistar_out c = {z, p, pp3, NULL};
    ck_assert_int_eq(gistar_lattice_compute(&g, s, &o, &c, err, sizeof err), HZ_OK);
    ck_assert(memcmp(pp1, pp3, sizeof pp1) != 0);
    /* The planted centre: the smallest possible p, 2 / (199 + 1); a p is never below that. */
    ck_assert_double_eq_tol(pp1[5 * nc + 5], 2.0 / 200, 1e-12);
    for (int i = 0; i < ncell; i++)
        ck_assert(pp1[i] >= 2.0 / 200 - 1e-12 && pp1[i] <= 1.0);
    gistar_stencil_free(s);
}
END_TEST

START_TEST(test_permutation_p_exact)
{
    /* 8 values on a line, neighbours within 1 (k = 2 inside): the exact conditional
     * distribution of a neighbour sum is the C(7, 2) = 21 equally likely pairs of the other
     * values; the Monte Carlo p must match it within its standard error. */
    double v[8] = {0, 1, 1, 2, 9, 7, 0, 3}, x[8], y[8] = {0}, z[8], p[8], pp[8];
    for (int i = 0; i < 8; i++)
        x[i] = i;
    char err[256];
    gistar_nb nb;
    ck_assert_int_eq(gistar_nb_distance(8, x, y, 1, &nb, err, sizeof err), HZ_OK);
    gistar_opts o;
    gistar_opts_init(&o);
    o.permutations = 20000;
    o.seed = 11;
    gistar_out out = {z, p, pp, NULL};
    ck_assert_int_eq(gistar_compute(v, &nb, &o, &out, err, sizeof err), HZ_OK);
    for (int i = 0; i < 8; i++) {
        double L = 0;
        int k = 0;
        for (int j = 0; j < 8; j++)
            if (abs(j - i) == 1) {
                L += v[j];
                k++;
            }
        double ge = 0, le = 0, tot = 0;
        for (int a = 0; a < 8; a++)
            for (int b = a + 1; b < 8; b++) {
                if (a == i || b == i) continue;
                if (k == 1) continue;
                double s = v[a] + v[b];
                tot++;
                ge += s >= L - 1e-9;
                le += s <= L + 1e-9;
            }
        if (k == 1) { /* ends: one neighbour, 7 equally likely values */
            for (int a = 0; a < 8; a++) {
                if (a == i) continue;
                tot++;
                ge += v[a] >= L - 1e-9;
                le += v[a] <= L + 1e-9;
            }
        }
        double exact = fmin(1.0, 2 * fmin(ge, le) / tot);
        double se = sqrt(exact * (1 - exact / 2) / 20000) + 1e-3;
        if (fabs(pp[i] - exact) > 4 * se)
            ck_abort_msg("value %d: permutation p %.4f, exact %.4f", i, pp[i], exact);
    }
    gistar_nb_free(&nb);
}
END_TEST

START_TEST(test_undefined_inputs)
{
    double v[5] = {2, 2, 2, 2, 2}, x[5] = {0, 1, 2, 3, 4}, y[5] = {0}, z[5], p[5];
    char err[256];
    gistar_nb nb;
    ck_assert_int_eq(gistar_nb_distance(5, x, y, 1, &nb, err, sizeof err), HZ_OK);
    gistar_opts o;
    gistar_opts_init(&o);
    gistar_out out = {z, p, NULL, NULL};
    ck_assert_int_eq(gistar_compute(v, &nb, &o, &out, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "equal"));
    gistar_nb_free(&nb);
    ck_assert_int_eq(gistar_nb_distance(5, x, y, -1, &nb, err, sizeof err), HZ_EINVAL);
    gistar_lattice g = {4, 4, 0, 10.0, v, NULL};
    ck_assert_ptr_null(gistar_stencil_new(&g, 5, err, sizeof err)); /* shorter than a cell */
}
END_TEST

Suite *gistar_suite(void)
{
    Suite *s = suite_create("gistar");
    TCase *tc = tcase_create("gistar");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_spdep_getisord_grid);
    tcase_add_test(tc, test_esda_doctest);
    tcase_add_test(tc, test_lattice_matches_brute_force);
    tcase_add_test(tc, test_queen_lists_match_lattice);
    tcase_add_test(tc, test_moran_brute_force);
    tcase_add_test(tc, test_fdr_bh_by_hand);
    tcase_add_test(tc, test_permutations_reproducible);
    tcase_add_test(tc, test_permutation_p_exact);
    tcase_add_test(tc, test_undefined_inputs);
    suite_add_tcase(s, tc);
    return s;
}
