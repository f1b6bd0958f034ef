/* check_hotspots.c - tests of the hot spot analysis: planted clusters, clipping, aggregation,
 * GeoJSON. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/gistar.h"
#include "hazmap/hotspots.h"
#include "hazmap/workcrs.h"

/* A 6 x 5 km study area in UTM 48N (Chengdu is at about 404000 E, 3392000 N) with a 1 km square
 * hole (a park where incidents cannot happen). */
#define X0 400000.0
#define Y0 3388000.0
static const double region_xy[] = {
    X0,        Y0,        X0 + 6000, Y0,
    X0 + 6000, Y0 + 5000, X0,        Y0 + 5000, /* outer */
    X0 + 4000, Y0 + 500,  X0 + 5000, Y0 + 500,
    X0 + 5000, Y0 + 1500, X0 + 4000, Y0 + 1500 /* hole */
};
static const size_t region_start[] = {0, 4, 8};
static const int region_group[] = {0, 0};

/* The planted clusters: centres and radii. */
static const double plant[2][3] = {{X0 + 1500, Y0 + 1500, 120}, {X0 + 4200, Y0 + 3800, 150}};

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static double unif(uint64_t *s)
{
    return (double)lcg(s) / 9007199254740992.0; /* 2^53 */
}

static int in_region(double x, double y)
{
    int in = 0;
    for (int k = 0; k < 2; k++) {
        size_t a = region_start[k], b = region_start[k + 1];
        for (size_t i = a, j = b - 1; i < b; j = i++) {
            double xi = region_xy[2 * i], yi = region_xy[2 * i + 1];
            double xj = region_xy[2 * j], yj = region_xy[2 * j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
        }
    }
    return in;
}

/* 3000 background incidents uniform over the region, 250 and 180 in the planted disks. */
static void make_points(hz_points *p, uint64_t seed)
{
    size_t cap = 4000;
    p->x = malloc(cap * sizeof *p->x);
    p->y = malloc(cap * sizeof *p->y);
    p->w = malloc(cap * sizeof *p->w);
    p->idx = malloc(cap * sizeof *p->idx);
    p->n = 0;
    while (p->n < 3000) {
        double x = X0 + 6000 * unif(&seed), y = Y0 + 5000 * unif(&seed);
        if (!in_region(x, y)) continue;
        p->x[p->n] = x;
        p->y[p->n] = y;
        p->n++;
    }
    for (int c = 0; c < 2; c++) {
        int m = c ? 180 : 250;
        for (int k = 0; k < m; k++) {
            double r = plant[c][2] * sqrt(unif(&seed)), a = 2 * M_PI * unif(&seed);
            p->x[p->n] = plant[c][0] + r * cos(a);
            p->y[p->n] = plant[c][1] + r * sin(a);
            p->n++;
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        p->w[i] = 1;
        p->idx[i] = (uint32_t)i;
    }
}

static hotspots_result *run(const hz_points *pts, const hotspots_params *par, char *why,
                            size_t whylen)
{
    hotspots_region reg = {2, region_start, region_group, region_xy};
    hotspots_input in = {pts, &reg, "EPSG:32648", "mechanism=traffic", 0, 7};
    hotspots_result *r = NULL;
    char err[512];
    hz_status rc = hotspots_compute(&in, par, &r, why, whylen, err, sizeof err);
    ck_assert_msg(rc == HZ_OK, "hotspots_compute: %s", err);
    return r;
}

/* The output tests' analysis: the planted points (seed 9), 250 m cells, a 600 m band, with
 * permutations (seeded) for p_perm. */
static hotspots_result *run_fixed(hz_points *pts, int permutations, uint64_t seed)
{
    make_points(pts, 9);
    hotspots_params par;
    hotspots_params_init(&par);
    par.cell = 250;
    par.band = 600;
    par.permutations = permutations;
    par.seed = seed;
    return run(pts, &par, NULL, 0);
}

/* Hot cells at both planted centres, none far from them. */
static void check_planted(const hotspots_result *r)
{
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    double s = hotspots_cell_size(r), band = hotspots_band(r);
    if (band <= 0) band = s * 1.5;
    for (int k = 0; k < 2; k++) {
        /* the cell whose centre is nearest the planted centre */
        size_t best = 0;
        double bd = INFINITY;
        for (size_t i = 0; i < n; i++) {
            double d = hypot(c[i].cx - plant[k][0], c[i].cy - plant[k][1]);
            if (d < bd) {
                bd = d;
                best = i;
            }
        }
        ck_assert_msg(c[best].confidence == 99, "planted centre %d: cell (%d,%d) class %s z %g", k,
                      c[best].row, c[best].col, hotspots_class_name(c[best].confidence), c[best].z);
    }
    double far = band + plant[1][2] + 1.5 * s;
    int hot = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].confidence <= 0) continue;
        hot++;
        double d0 = hypot(c[i].cx - plant[0][0], c[i].cy - plant[0][1]);
        double d1 = hypot(c[i].cx - plant[1][0], c[i].cy - plant[1][1]);
        ck_assert_msg(fmin(d0, d1) <= far, "hot cell (%d,%d) %.0f m from the planted centres",
                      c[i].row, c[i].col, fmin(d0, d1));
    }
    ck_assert_int_ge(hot, 2);
}

START_TEST(test_planted_fixed_square)
{
    hz_points pts;
    make_points(&pts, 2024);
    hotspots_params par;
    hotspots_params_init(&par);
    par.cell = 200;
    par.band = 450;
    par.nthreads = 2;
    hotspots_result *r = run(&pts, &par, NULL, 0);
    check_planted(r);
    hotspots_free(r);
    hz_points_free(&pts);
}
END_TEST

START_TEST(test_planted_auto_square_and_hex)
{
    hz_points pts;
    make_points(&pts, 77);
    for (int shape = 0; shape < 2; shape++) {
        hotspots_params par;
        hotspots_params_init(&par);
        par.shape = shape ? HOTSPOTS_HEX : HOTSPOTS_SQUARE;
        char why[2048];
        hotspots_result *r = run(&pts, &par, why, sizeof why);
        ck_assert_ptr_nonnull(strstr(why, "nearest-neighbour"));
        ck_assert_ptr_nonnull(strstr(why, "Moran"));
        ck_assert(hotspots_cell_size(r) >= 10 && hotspots_cell_size(r) <= 1000);
        ck_assert(hotspots_band(r) >= hotspots_cell_size(r));
        check_planted(r);
        hotspots_free(r);
    }
    /* contiguity and Gi, row weights: the planted centres are still found */
    hotspots_params par;
    hotspots_params_init(&par);
    par.cell = 150;
    par.contiguity = 1;
    par.star = 0;
    par.weights = GISTAR_ROW;
    hotspots_result *r = run(&pts, &par, NULL, 0);
    check_planted(r);
    hotspots_free(r);
    hz_points_free(&pts);
}
END_TEST

/* Clipping and aggregation against brute force: the cells are exactly those whose centre is in
 * the region; each incident is counted in the cell whose centre is nearest (squares: containing).
 */
START_TEST(test_clip_and_aggregate_brute_force)
{
    hz_points pts;
    make_points(&pts, 5);
    for (int shape = 0; shape < 2; shape++) {
        hotspots_params par;
        hotspots_params_init(&par);
        par.shape = shape ? HOTSPOTS_HEX : HOTSPOTS_SQUARE;
        par.cell = 170;
        par.band = 400;
        hotspots_result *r = run(&pts, &par, NULL, 0);
        size_t n;
        const hotspots_cell *c = hotspots_cells(r, &n);
        /* Brute force on the documented absolute alignment: square centres at
         * ((i + 0.5) s, (j + 0.5) s); hexagon centres at ((i + 0.5 (m & 1)) s, m h). */
        double s = 170, h = shape ? s * sqrt(3) / 2 : s;
        size_t want = 0;
        for (long m = (long)floor((Y0 - 200) / h); m * h < Y0 + 5200; m++) {
            double cy = shape ? m * h : (m + 0.5) * s;
            for (long i = (long)floor((X0 - 200) / s); i * s < X0 + 6200; i++) {
                double cx = shape ? (i + 0.5 * (double)(m & 1)) * s : (i + 0.5) * s;
                if (in_region(cx, cy)) want++;
            }
        }
        ck_assert_uint_eq(n, want);
        for (size_t i = 0; i < n; i++) {
            ck_assert(in_region(c[i].cx, c[i].cy));
            double m = shape ? c[i].cy / h : c[i].cy / s - 0.5;
            ck_assert_double_eq_tol(m, round(m), 1e-6);
            double ii =
                shape ? c[i].cx / s - 0.5 * (double)((long)round(m) & 1) : c[i].cx / s - 0.5;
            ck_assert_double_eq_tol(ii, round(ii), 1e-6);
        }
        /* each incident's own cell: square containing it, or the nearest hexagon centre */
        int *cnt = calloc(n, sizeof *cnt);
        size_t inside = 0;
        for (size_t k = 0; k < pts.n; k++) {
            double bx = 0, by = 0;
            if (!shape) {
                bx = (floor(pts.x[k] / s) + 0.5) * s;
                by = (floor(pts.y[k] / s) + 0.5) * s;
            } else {
                double bd = INFINITY;
                for (long m = (long)floor(pts.y[k] / h) - 1; m <= (long)floor(pts.y[k] / h) + 2;
                     m++)
                    for (long i = (long)floor(pts.x[k] / s) - 1; i <= (long)floor(pts.x[k] / s) + 1;
                         i++) {
                        double cx = (i + 0.5 * (double)(m & 1)) * s, cy = m * h;
                        double d = hypot(cx - pts.x[k], cy - pts.y[k]);
                        if (d < bd) {
                            bd = d;
                            bx = cx;
                            by = cy;
                        }
                    }
            }
            if (!in_region(bx, by)) continue;
            inside++;
            size_t i;
            for (i = 0; i < n; i++)
                if (fabs(c[i].cx - bx) < 1e-6 && fabs(c[i].cy - by) < 1e-6) break;
            ck_assert_uint_lt(i, n);
            cnt[i]++;
        }
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_eq(c[i].count, cnt[i]);
            ck_assert_double_eq(c[i].value, c[i].count);
        }
        ck_assert_uint_eq(hotspots_incidents(r), inside);
        free(cnt);

        /* z recomputed from the output alone (centres, values, band) with explicit neighbour
         * lists: what a reader of the GeoJSON can do */
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *v = malloc(n * sizeof *v);
        double *z = malloc(n * sizeof *z), *p = malloc(n * sizeof *p);
        for (size_t i = 0; i < n; i++) {
            x[i] = c[i].cx;
            y[i] = c[i].cy;
            v[i] = c[i].value;
        }
        gistar_nb nb;
        char err[256];
        ck_assert_int_eq(gistar_nb_distance(n, x, y, 400, &nb, err, sizeof err), HZ_OK);
        gistar_opts o;
        gistar_opts_init(&o);
        gistar_out go = {z, p, NULL, NULL};
        ck_assert_int_eq(gistar_compute(v, &nb, &o, &go, err, sizeof err), HZ_OK);
        for (size_t i = 0; i < n; i++) {
            ck_assert_double_eq_tol(c[i].z, z[i], 1e-9);
            ck_assert_int_eq(c[i].neighbours, (int)(nb.start[i + 1] - nb.start[i]));
        }
        /* BH over the cells, recomputed */
        ck_assert_int_eq(gistar_fdr_bh(n, p, p), HZ_OK);
        for (size_t i = 0; i < n; i++)
            ck_assert_double_eq_tol(c[i].p_fdr, p[i], 1e-12);
        gistar_nb_free(&nb);
        free(x);
        free(y);
        free(v);
        free(z);
        free(p);
        hotspots_free(r);
    }
    hz_points_free(&pts);
}
END_TEST

START_TEST(test_geojson)
{
    hz_points pts;
    hotspots_result *r = run_fixed(&pts, 99, 3);
    json_t *fc;
    char err[256];
    ck_assert_int_eq(hotspots_geojson(r, &(disc_policy){.min_count = 10}, &fc, err, sizeof err),
                     HZ_OK);
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    json_t *feats = json_object_get(fc, "features");
    ck_assert_uint_eq(json_array_size(feats), n);
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    int suppressed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(feats, i);
        json_t *pr = json_object_get(f, "properties");
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "row")), c[i].row);
        /* public output: classes only, no z or p from which counts could be solved back */
        ck_assert_ptr_null(json_object_get(pr, "z"));
        ck_assert_ptr_null(json_object_get(pr, "p"));
        ck_assert_ptr_null(json_object_get(pr, "p_perm"));
        ck_assert_str_eq(json_string_value(json_object_get(pr, "class")),
                         hotspots_class_name(c[i].confidence));
        if (c[i].count < 10) {
            ck_assert(json_is_null(json_object_get(pr, "count")));
            ck_assert(json_is_true(json_object_get(pr, "suppressed")));
            suppressed++;
        } else {
            ck_assert_int_eq(json_integer_value(json_object_get(pr, "count")), c[i].count);
        }
        /* the ring is closed and its first corner projects back to the cell's SW corner */
        json_t *ring =
            json_array_get(json_object_get(json_object_get(f, "geometry"), "coordinates"), 0);
        ck_assert_uint_eq(json_array_size(ring), 5);
        double lon = json_real_value(json_array_get(json_array_get(ring, 0), 0));
        double lat = json_real_value(json_array_get(json_array_get(ring, 0), 1));
        ck_assert(json_equal(json_array_get(ring, 0), json_array_get(ring, 4)));
        double ex, ey;
        workcrs_forward(w, 1, &lon, &lat, &ex, &ey);
        ck_assert_double_eq_tol(ex, c[i].cx - 125, 0.05);
        ck_assert_double_eq_tol(ey, c[i].cy - 125, 0.05);
    }
    ck_assert_int_gt(suppressed, 0);
    json_t *pv = json_object_get(fc, "provenance");
    ck_assert_str_eq(json_string_value(json_object_get(pv, "filters")), "mechanism=traffic");
    ck_assert_str_eq(json_string_value(json_object_get(pv, "statistic")), "Gi*");
    ck_assert_double_eq(json_real_value(json_object_get(pv, "cell_size")), 250);
    ck_assert_double_eq(json_real_value(json_object_get(pv, "band")), 600);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "data_version")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "permutations")), 99);
    ck_assert_int_eq(json_integer_value(json_object_get(pv, "incidents")),
                     (json_int_t)hotspots_incidents(r));
    ck_assert_str_eq(json_string_value(json_object_get(pv, "work_srs")), "EPSG:32648");
    json_decref(fc);
    /* the same seed, the same permutation p-values */
    hz_points pts2;
    hotspots_result *r2 = run_fixed(&pts2, 99, 3);
    size_t n2;
    const hotspots_cell *c2 = hotspots_cells(r2, &n2);
    ck_assert_uint_eq(n, n2);
    for (size_t i = 0; i < n; i++)
        ck_assert(c[i].p_perm == c2[i].p_perm);
    hotspots_free(r2);
    hz_points_free(&pts2);
    workcrs_free(w);
    hotspots_free(r);
    hz_points_free(&pts);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A smooth west-to-east gradient of counts (1 + x / 600 m incidents on every 100 m point): the
 * incremental Moran's I z-scores only rise with the band, there is no first peak, and the band
 * falls back to ArcGIS's mean distance to the K-th nearest feature, here recomputed by brute
 * force over all pairs of the study area's cells, K = 5 % of them within 3..30. */
START_TEST(test_auto_band_without_peak)
{
    hz_points pts = {0};
    size_t cap = 40000;
    pts.x = malloc(cap * sizeof *pts.x);
    pts.y = malloc(cap * sizeof *pts.y);
    pts.w = malloc(cap * sizeof *pts.w);
    pts.idx = malloc(cap * sizeof *pts.idx);
    for (int a = 0; a < 60; a++)
        for (int b = 0; b < 50; b++) {
            double x = X0 + 50 + 100 * a, y = Y0 + 50 + 100 * b;
            if (!in_region(x, y)) continue;
            for (int m = 0; m < 1 + a / 6; m++) {
                ck_assert_uint_lt(pts.n, cap);
                pts.x[pts.n] = x;
                pts.y[pts.n] = y;
                pts.w[pts.n] = 1;
                pts.idx[pts.n] = (uint32_t)pts.n;
                pts.n++;
            }
        }
    for (int shape = 0; shape < 2; shape++) {
        hotspots_params par;
        hotspots_params_init(&par);
        par.shape = shape ? HOTSPOTS_HEX : HOTSPOTS_SQUARE;
        par.cell = 200;
        par.nthreads = 2;
        char why[2048];
        hotspots_result *r = run(&pts, &par, why, sizeof why);
        ck_assert_msg(strstr(hotspots_band_rule(r), "K-th nearest") != NULL, "%s",
                      hotspots_band_rule(r));
        size_t n;
        const hotspots_cell *c = hotspots_cells(r, &n);
        int k = (int)fmin(fmax(round(0.05 * (double)n), 3), 30);
        double *d = malloc(n * sizeof *d), sum = 0;
        for (size_t i = 0; i < n; i++) {
            size_t m = 0;
            for (size_t j = 0; j < n; j++)
                if (j != i) d[m++] = hypot(c[j].cx - c[i].cx, c[j].cy - c[i].cy);
            qsort(d, m, sizeof *d, cmp_double);
            sum += d[k - 1];
        }
        free(d);
        ck_assert_double_eq_tol(hotspots_band(r), sum / (double)n, 1e-6);
        ck_assert(hotspots_band(r) > par.cell && hotspots_band(r) < 5 * par.cell);
        hotspots_free(r);
        /* band_peak_only (the emerging hot spots' rule): 2 cell spacings instead */
        par.band_peak_only = 1;
        r = run(&pts, &par, NULL, 0);
        ck_assert_double_eq(hotspots_band(r), 2 * par.cell);
        ck_assert_ptr_nonnull(strstr(hotspots_band_rule(r), "2 cell spacings"));
        hotspots_free(r);
    }
    hz_points_free(&pts);
}
END_TEST

/* The fallback band when the study area is in pockets farther apart than the widest offset disc
 * (512 cells): three pockets of two 10 m cells, 9 km apart. K = 3 (the floor), so each cell's
 * third nearest lies in another pocket, found by the scan of every cell; brute force here. */
START_TEST(test_auto_band_far_pockets)
{
    static const double xy[] = {X0,        Y0,      X0 + 20,   Y0,       X0 + 20,   Y0 + 10,
                                X0,        Y0 + 10, X0 + 9000, Y0,       X0 + 9020, Y0,
                                X0 + 9020, Y0 + 10, X0 + 9000, Y0 + 10,  X0,        Y0 + 90,
                                X0 + 20,   Y0 + 90, X0 + 20,   Y0 + 100, X0,        Y0 + 100};
    static const size_t start[] = {0, 4, 8, 12};
    static const int group[] = {0, 1, 2};
    hotspots_region reg = {3, start, group, xy};
    hz_points pts = {0};
    double px[] = {X0 + 5, X0 + 15, X0 + 9005, X0 + 9015, X0 + 5, X0 + 15, X0 + 5};
    double py[] = {Y0 + 5, Y0 + 5, Y0 + 5, Y0 + 5, Y0 + 95, Y0 + 95, Y0 + 5};
    double pw[] = {1, 1, 1, 1, 1, 1, 1};
    uint32_t pi[] = {0, 1, 2, 3, 4, 5, 6};
    pts = (hz_points){7, px, py, pw, pi, 0, 0, NULL};
    hotspots_params par;
    hotspots_params_init(&par);
    par.cell = 10;
    hotspots_input in = {&pts, &reg, "EPSG:32648", "", 0, -1};
    hotspots_result *r = NULL;
    char err[512];
    ck_assert_msg(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err) == HZ_OK, "%s", err);
    if (!strstr(hotspots_band_rule(r), "K-th nearest")) {
        hotspots_free(r); /* a first peak: the fallback is not reached on this lattice */
        ck_abort_msg("expected the K-th nearest fallback, got: %s", hotspots_band_rule(r));
    }
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    ck_assert_uint_eq(n, 6);
    double sum = 0, d[6];
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i) d[m++] = hypot(c[j].cx - c[i].cx, c[j].cy - c[i].cy);
        qsort(d, m, sizeof *d, cmp_double);
        sum += d[2];
    }
    ck_assert_double_eq_tol(hotspots_band(r), sum / 6, 1e-6);
    hotspots_free(r);
}
END_TEST

START_TEST(test_errors)
{
    hz_points none = {0};
    hotspots_params par;
    hotspots_params_init(&par);
    hotspots_input in = {&none, NULL, "EPSG:32648", "", 0, -1};
    hotspots_result *r;
    char err[256];
    ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_null(r);
    hz_points pts;
    make_points(&pts, 1);
    in.pts = &pts;
    par.cell = 0.5; /* 12000 x 10000 cells */
    ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_ELIMIT);
    par.cell = 100;
    par.band = 50; /* shorter than a cell */
    ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "band"));
    hz_points_free(&pts);
    hotspots_shape sh;
    ck_assert_int_eq(hotspots_shape_parse("hex", &sh), 0);
    ck_assert_int_eq(sh, HOTSPOTS_HEX);
    ck_assert_int_eq(hotspots_shape_parse("round", &sh), -1);
}
END_TEST

/* The server's limits: lattice cells, band per cell, public minima; and the sparse-count
 * warning, checked against the mean computed here from the cells. */
START_TEST(test_limits_and_warning)
{
    hz_points pts;
    make_points(&pts, 3);
    hotspots_region reg = {2, region_start, region_group, region_xy};
    hotspots_input in = {&pts, &reg, "EPSG:32648", "", 0, -1};
    hotspots_params par;
    hotspots_params_init(&par);
    hotspots_result *r = NULL;
    char err[256];
    par.max_cells = 50000;
    par.cell = 20; /* at least 300 x 250 lattice cells */
    par.band = 100;
    ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err, "cell"));
    par.max_band_ratio = 10;
    par.cell = 100;
    par.band = 1500;
    ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err, "band"));
    par.band = 1000;
    r = run(&pts, &par, NULL, 0);
    hotspots_free(r);
    /* the public minima raise what is asked */
    par.disclosure.min_cell = 200;
    par.disclosure.min_band = 500;
    par.cell = 50;
    par.band = 100;
    r = run(&pts, &par, NULL, 0);
    ck_assert_double_eq(hotspots_cell_size(r), 200);
    ck_assert_double_eq(hotspots_band(r), 500);
    hotspots_free(r);
    hotspots_params_init(&par);
    double cells[2] = {400, 25};
    for (int k = 0; k < 2; k++) {
        par.cell = cells[k];
        par.band = 2 * cells[k];
        r = run(&pts, &par, NULL, 0);
        size_t n, sum = 0;
        const hotspots_cell *c = hotspots_cells(r, &n);
        for (size_t i = 0; i < n; i++)
            sum += (size_t)c[i].count;
        double mean = (double)sum / (double)n;
        json_t *fc = NULL;
        ck_assert_int_eq(hotspots_geojson(r, NULL, &fc, err, sizeof err), HZ_OK);
        json_t *pv = json_object_get(fc, "provenance");
        ck_assert_msg((json_object_get(pv, "warning") != NULL) == (mean < 1),
                      "cell %g: mean %g, warning %s", cells[k], mean,
                      json_object_get(pv, "warning") ? "present" : "absent");
        ck_assert(k == 0 ? mean >= 1 : mean < 1); /* both cases are exercised */
        json_decref(fc);
        hotspots_free(r);
    }
    hz_points_free(&pts);
}
END_TEST

/* The one Feature writer (hotspots_writer_feature()) read back by a JSON parser, cell by cell,
 * against the cells themselves: every value, its JSON type (a real stays a real when it is
 * integral, for clients that type a column from its first values), the property order, and the
 * bounding box the writer reports against the written ring. */
START_TEST(test_writer_values)
{
    static const char *const keys[] = {"count", "z",   "p",     "p_fdr", "class",      "confidence",
                                       "row",   "col", "x_utm", "y_utm", "neighbours", "p_perm"};
    hz_points pts;
    hotspots_result *r = run_fixed(&pts, 49, 5);
    char err[256];
    hotspots_writer *w;
    ck_assert_int_eq(hotspots_writer_new(r, NULL, &w, err, sizeof err), HZ_OK);
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    ck_assert_uint_gt(n, 20);
    for (size_t i = 0; i < n; i++) {
        jbuf b = {0};
        double bb[4];
        hotspots_writer_feature(w, i, (long long)i + 7, &b, bb);
        size_t len;
        char *t = jbuf_take(&b, &len);
        json_error_t je;
        json_t *f = json_loadb(t, len, 0, &je);
        ck_assert_msg(f != NULL, "cell %zu: %s in %s", i, je.text, t);
        ck_assert_int_eq(json_integer_value(json_object_get(f, "id")), (long long)i + 7);
        json_t *pr = json_object_get(f, "properties");
        ck_assert_uint_eq(json_object_size(pr), sizeof keys / sizeof *keys);
        const char *prev = t;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) { /* in the documented order */
            char quoted[32];
            snprintf(quoted, sizeof quoted, "\"%s\":", keys[k]);
            const char *at = strstr(prev, quoted);
            ck_assert_msg(at != NULL, "cell %zu: %s missing or out of order", i, keys[k]);
            prev = at;
        }
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "count")), c[i].count);
        const char *reals[] = {"z", "p", "p_fdr", "p_perm", "x_utm", "y_utm"};
        const double want[] = {c[i].z, c[i].p, c[i].p_fdr, c[i].p_perm, c[i].cx, c[i].cy};
        for (int k = 0; k < 6; k++) {
            json_t *v = json_object_get(pr, reals[k]);
            ck_assert_msg(json_is_real(v), "cell %zu: %s is not a real", i, reals[k]);
            double got = json_real_value(v); /* 12 significant digits */
            ck_assert_msg(fabs(got - want[k]) <= 1e-11 * fmax(1.0, fabs(want[k])),
                          "cell %zu %s: %.17g vs %.17g", i, reals[k], got, want[k]);
        }
        ck_assert_str_eq(json_string_value(json_object_get(pr, "class")),
                         hotspots_class_name(c[i].confidence));
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "confidence")), c[i].confidence);
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "row")), c[i].row);
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "col")), c[i].col);
        ck_assert_int_eq(json_integer_value(json_object_get(pr, "neighbours")), c[i].neighbours);
        json_t *ring =
            json_array_get(json_object_get(json_object_get(f, "geometry"), "coordinates"), 0);
        double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        for (size_t v = 0; v < json_array_size(ring); v++)
            for (int d = 0; d < 2; d++) {
                double x = json_number_value(json_array_get(json_array_get(ring, v), d));
                lo[d] = fmin(lo[d], x);
                hi[d] = fmax(hi[d], x);
            }
        ck_assert(bb[0] == lo[0] && bb[1] == lo[1] && bb[2] == hi[0] && bb[3] == hi[1]);
        json_decref(f);
        free(t);
    }
    hotspots_writer_free(w);
    hotspots_free(r);
    hz_points_free(&pts);
}
END_TEST

Suite *hotspots_suite(void)
{
    Suite *s = suite_create("hotspots");
    TCase *tc = tcase_create("hotspots");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_planted_fixed_square);
    tcase_add_test(tc, test_planted_auto_square_and_hex);
    tcase_add_test(tc, test_clip_and_aggregate_brute_force);
    tcase_add_test(tc, test_geojson);
    tcase_add_test(tc, test_writer_values);
    tcase_add_test(tc, test_auto_band_without_peak);
    tcase_add_test(tc, test_auto_band_far_pockets);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_limits_and_warning);
    suite_add_tcase(s, tc);
    return s;
}
