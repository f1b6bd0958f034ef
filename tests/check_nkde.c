/* check_nkde.c - network kernel density: spNetwork's cases computed by hand on a star, mass
 * conservation of the path methods, simple against a brute force (all-pairs shortest paths over
 * every event and sample), the fast path against the reference, and thread independence. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>
#include <unistd.h>

#include "hazmap/cancel.h"
#include "hazmap/nkde.h"

/* Straight two-vertex segments from (x0, y0) to (x1, y1); lon/lat are the metres scaled. */
typedef struct tnet {
    size_t n;
    roadnet_seg_in in[512];
    double xy[512][8], ll[512][8];
} tnet;

static void tnet_add(tnet *t, int64_t from, int64_t to, double x0, double y0, double x1, double y1)
{
    ck_assert_uint_lt(t->n, 512);
    size_t i = t->n++;
    double *p = t->xy[i], *q = t->ll[i];
    p[0] = x0, p[1] = x1, p[4] = y0, p[5] = y1;
    for (int k = 0; k < 2; k++)
        q[k] = 104 + p[k] * 1e-5, q[4 + k] = 30 + p[4 + k] * 1e-5;
    t->in[i] = (roadnet_seg_in){.id = (int64_t)i + 1,
                                .from = from,
                                .to = to,
                                .npts = 2,
                                .x = p,
                                .y = p + 4,
                                .lon = q,
                                .lat = q + 4,
                                .lanes = -1};
}

/* A loop segment at node v (x, y): a triangle with sides r, r and r sqrt(2). */
static void tnet_add_loop(tnet *t, int64_t v, double x, double y, double r)
{
    ck_assert_uint_lt(t->n, 512);
    size_t i = t->n++;
    double *p = t->xy[i], *q = t->ll[i];
    const double px[4] = {x, x + r, x + r, x}, py[4] = {y, y, y + r, y};
    for (int k = 0; k < 4; k++) {
        p[k] = px[k], p[4 + k] = py[k];
        q[k] = 104 + px[k] * 1e-5, q[4 + k] = 30 + py[k] * 1e-5;
    }
    t->in[i] = (roadnet_seg_in){.id = (int64_t)i + 1,
                                .from = v,
                                .to = v,
                                .npts = 4,
                                .x = p,
                                .y = p + 4,
                                .lon = q,
                                .lat = q + 4,
                                .lanes = -1};
}

static roadnet *tnet_build(const tnet *t)
{
    char err[256];
    roadnet *net = roadnet_build(t->n, t->in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    return net;
}

/* Four arms of length L from node 0 at the origin: +x, +y, -x, -y (segments 0..3). */
static roadnet *star(double L)
{
    static tnet t;
    t.n = 0;
    tnet_add(&t, 0, 1, 0, 0, L, 0);
    tnet_add(&t, 0, 2, 0, 0, 0, L);
    tnet_add(&t, 0, 3, 0, 0, -L, 0);
    tnet_add(&t, 0, 4, 0, 0, 0, -L);
    return tnet_build(&t);
}

static nkde_result *run(const roadnet *net, size_t n, double *x, double *y, const nkde_opts *o)
{
    hz_points p = {.n = n, .x = x, .y = y};
    nkde_result *r = NULL;
    char err[256];
    hz_status rc = nkde_compute(net, &p, o, &r, err, sizeof err);
    ck_assert_msg(rc == HZ_OK, "%s", err);
    return r;
}

static nkde_result *run_ref(const roadnet *net, size_t n, double *x, double *y, const nkde_opts *o)
{
    hz_points p = {.n = n, .x = x, .y = y};
    nkde_result *r = NULL;
    char err[256];
    ck_assert_msg(nkde_compute_reference(net, &p, o, &r, err, sizeof err) == HZ_OK, "%s", err);
    return r;
}

static double lixel_value(const nkde_result *r, uint32_t seg, uint32_t index)
{
    for (size_t j = 0; j < r->nlixels; j++)
        if (r->lixels[j].seg == seg && r->lixels[j].index == index) return r->density[j];
    ck_abort_msg("no lixel %u of segment %u", index, seg);
    return NAN;
}

START_TEST(test_kernels)
{
    /* Each kernel integrates to 1 over [-h, h]; quartic's value by hand. */
    for (int k = 0; k <= NKDE_UNIFORM; k++) {
        double h = 7, sum = 0;
        int n = 200000;
        for (int i = 0; i < n; i++)
            sum += 2 * nkde_kernel_value((nkde_kernel)k, (i + 0.5) * h / n, h) * h / n;
        ck_assert_msg(fabs(sum - 1) < 1e-6, "%s integrates to %.9f",
                      nkde_kernel_name((nkde_kernel)k), sum);
        nkde_kernel kk;
        ck_assert_int_eq(nkde_kernel_parse(nkde_kernel_name((nkde_kernel)k), &kk), 0);
        ck_assert_int_eq(kk, k);
    }
    ck_assert_double_eq_tol(nkde_kernel_value(NKDE_QUARTIC, 6, 10), 15.0 / 16 * 0.4096 / 10, 1e-15);
    ck_assert_double_eq(nkde_kernel_value(NKDE_QUARTIC, 10, 10), 0);
    nkde_method m;
    ck_assert_int_eq(nkde_method_parse("continuous", &m), 0);
    ck_assert_int_eq(m, NKDE_CONTINUOUS);
    ck_assert_int_eq(nkde_method_parse("okabe", &m), -1);
}
END_TEST

/* spNetwork's cases on a star of four arms of length 5, quartic, 1 m lixels: an event 3.5 m from
 * the junction on arm +x, the sample 2.5 m from it on arm +y: network distance 6, h = 10. */
static double star_case(nkde_method m, int reference)
{
    roadnet *net = star(5);
    nkde_opts o;
    nkde_opts_init(&o);
    o.lixel = 1, o.bandwidth = 10, o.method = m, o.div = NKDE_DIV_BW, o.nthreads = 1;
    double x = 3.5, y = 0;
    nkde_result *r = reference ? run_ref(net, 1, &x, &y, &o) : run(net, 1, &x, &y, &o);
    ck_assert_uint_eq(r->snapped, 1);
    double v = lixel_value(r, 1, 2);
    nkde_result_free(r);
    roadnet_free(net);
    return v;
}

START_TEST(test_star_simple)
{
    /* K(6, 10) / 10 = 15/16 (1 - 0.36)^2 / 10 / 10 */
    ck_assert_double_eq_tol(star_case(NKDE_SIMPLE, 0), 0.00384, 1e-12);
    ck_assert_double_eq_tol(star_case(NKDE_SIMPLE, 1), 0.00384, 1e-12);
}
END_TEST

START_TEST(test_star_discontinuous)
{
    /* the mass continuing on each of the 3 other arms: x 1/3 */
    ck_assert_double_eq_tol(star_case(NKDE_DISCONTINUOUS, 0), 0.00128, 1e-12);
    ck_assert_double_eq_tol(star_case(NKDE_DISCONTINUOUS, 1), 0.00128, 1e-12);
}
END_TEST

START_TEST(test_star_continuous)
{
    /* Arms of 10, h = 5, no division; the event 1 m from the junction and the sample (2 m
     * lixels: centres 1, 3, ...) 3 m from it on the same arm: K(2, 5) directly, and the
     * reflection at the degree-4 junction, (2 - 4)/4 K(1 + 3, 5). */
    roadnet *net = star(10);
    nkde_opts o;
    nkde_opts_init(&o);
    o.lixel = 2, o.bandwidth = 5, o.method = NKDE_CONTINUOUS, o.nthreads = 1;
    double x = 1, y = 0;
    for (int ref = 0; ref < 2; ref++) {
        nkde_result *r = ref ? run_ref(net, 1, &x, &y, &o) : run(net, 1, &x, &y, &o);
        double want =
            nkde_kernel_value(NKDE_QUARTIC, 2, 5) - 0.5 * nkde_kernel_value(NKDE_QUARTIC, 4, 5);
        ck_assert_double_eq_tol(want, 0.12015, 1e-12);
        ck_assert_double_eq_tol(lixel_value(r, 0, 1), 0.12015, 1e-12);
        /* On another arm, 3 m from the junction: 2/4 K(4, 5). */
        ck_assert_double_eq_tol(lixel_value(r, 1, 1), 0.5 * nkde_kernel_value(NKDE_QUARTIC, 4, 5),
                                1e-12);
        nkde_result_free(r);
    }
    roadnet_free(net);
}
END_TEST

/* A grid of nx x nx nodes `step` apart (ids r * nx + c), every street split at each node. */
static roadnet *grid(int nx, double step)
{
    static tnet t;
    t.n = 0;
    for (int r = 0; r < nx; r++) {
        for (int c = 0; c < nx; c++) {
            int64_t v = r * nx + c;
            if (c + 1 < nx) tnet_add(&t, v, v + 1, c * step, r * step, (c + 1) * step, r * step);
            if (r + 1 < nx) tnet_add(&t, v, v + nx, c * step, r * step, c * step, (r + 1) * step);
        }
    }
    return tnet_build(&t);
}

static double integral(const nkde_result *r)
{
    double s = 0;
    for (size_t j = 0; j < r->nlixels; j++)
        s += r->density[j] * (r->lixels[j].s1 - r->lixels[j].s0);
    return s;
}

START_TEST(test_mass)
{
    /* 11 x 11 nodes 50 m apart; an event near the centre (250, 250), h = 120 m: its paths pass
     * two or three junctions and meet no dead end. Fine lixels (0.25 m). */
    roadnet *net = grid(11, 50);
    nkde_opts o;
    nkde_opts_init(&o);
    o.lixel = 0.25, o.bandwidth = 120;
    double x = 263, y = 250;
    nkde_method ms[] = {NKDE_DISCONTINUOUS, NKDE_CONTINUOUS};
    for (int i = 0; i < 2; i++) {
        o.method = ms[i];
        for (int k = 0; k <= NKDE_UNIFORM; k++) {
            o.kernel = (nkde_kernel)k;
            nkde_result *r = run(net, 1, &x, &y, &o);
            double s = integral(r);
            ck_assert_msg(fabs(s - 1) < 2e-3, "%s/%s integrates to %.6f", nkde_method_name(ms[i]),
                          nkde_kernel_name((nkde_kernel)k), s);
            nkde_result_free(r);
        }
    }
    /* simple counts every arm of a junction in full: more than 1. */
    o.method = NKDE_SIMPLE, o.kernel = NKDE_QUARTIC;
    nkde_result *r = run(net, 1, &x, &y, &o);
    ck_assert(integral(r) > 1.5);
    nkde_result_free(r);
    roadnet_free(net);
}
END_TEST

static uint64_t rng = 88172645463325252ULL;
static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* A random network: nn nodes in a 600 m square, each joined to 2 random lower-indexed nodes
 * (some twice: parallel segments), and loop segments at three nodes. */
static roadnet *random_net(int nn, double *nxy)
{
    static tnet t;
    t.n = 0;
    for (int v = 0; v < nn; v++) {
        nxy[2 * v] = 600 * rnd(), nxy[2 * v + 1] = 600 * rnd();
        for (int k = 0; k < 2 && v > 0; k++) {
            int u = (int)(rnd() * v);
            tnet_add(&t, u, v, nxy[2 * u], nxy[2 * u + 1], nxy[2 * v], nxy[2 * v + 1]);
        }
    }
    for (int v = 1; v <= 3; v++)
        tnet_add_loop(&t, v, nxy[2 * v], nxy[2 * v + 1], 20 + 10 * v);
    return tnet_build(&t);
}

/* Floyd-Warshall over the nodes (by index), segment lengths as weights. */
static double *all_pairs(const roadnet *net)
{
    size_t n = roadnet_node_count(net);
    double *D = malloc(n * n * sizeof *D);
    for (size_t i = 0; i < n * n; i++)
        D[i] = INFINITY;
    for (size_t i = 0; i < n; i++)
        D[i * n + i] = 0;
    const roadnet_seg *sg = roadnet_segs(net);
    for (size_t e = 0; e < roadnet_seg_count(net); e++) {
        size_t a = sg[e].from, b = sg[e].to;
        D[a * n + b] = fmin(D[a * n + b], sg[e].length);
        D[b * n + a] = fmin(D[b * n + a], sg[e].length);
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (D[i * n + k] + D[k * n + j] < D[i * n + j])
                    D[i * n + j] = D[i * n + k] + D[k * n + j];
    return D;
}

START_TEST(test_simple_brute_force)
{
    double nxy[2 * 40];
    roadnet *net = random_net(40, nxy);
    enum { NE = 300 };
    double x[NE], y[NE];
    for (int i = 0; i < NE; i++)
        x[i] = 600 * rnd(), y[i] = 600 * rnd();
    nkde_opts o;
    nkde_opts_init(&o);
    o.method = NKDE_SIMPLE, o.lixel = 15, o.bandwidth = 180, o.snap = 60, o.nthreads = 2;
    nkde_result *r = run(net, NE, x, y, &o);
    ck_assert_uint_gt(r->snapped, 50);
    ck_assert_uint_eq(r->snapped + r->unsnapped, NE);
    double *D = all_pairs(net);
    size_t nn = roadnet_node_count(net);
    const roadnet_seg *sg = roadnet_segs(net);
    double *want = calloc(r->nlixels, sizeof *want);
    for (int i = 0; i < NE; i++) {
        roadnet_hit hit;
        if (!roadnet_nearest(net, x[i], y[i], o.snap, &hit)) continue;
        const roadnet_seg *e = &sg[hit.seg];
        for (size_t j = 0; j < r->nlixels; j++) {
            const nkde_lixel *l = &r->lixels[j];
            const roadnet_seg *f = &sg[l->seg];
            double xs = (l->s0 + l->s1) / 2;
            double ev[2] = {hit.s, e->length - hit.s}, sm[2] = {xs, f->length - xs};
            uint32_t en[2] = {e->from, e->to}, fn[2] = {f->from, f->to};
            double d = l->seg == hit.seg ? fabs(xs - hit.s) : INFINITY;
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    d = fmin(d, ev[a] + D[en[a] * nn + fn[b]] + sm[b]);
            want[j] += nkde_kernel_value(NKDE_QUARTIC, d, o.bandwidth);
        }
    }
    nkde_result *rr = run_ref(net, NE, x, y, &o);
    double mx = 0;
    for (size_t j = 0; j < r->nlixels; j++)
        mx = fmax(mx, want[j]);
    ck_assert(mx > 0);
    for (size_t j = 0; j < r->nlixels; j++) {
        ck_assert_msg(fabs(r->density[j] - want[j]) < 1e-9 * mx, "lixel %zu: %.12g, brute %.12g", j,
                      r->density[j], want[j]);
        ck_assert_msg(fabs(rr->density[j] - want[j]) < 1e-9 * mx,
                      "lixel %zu: reference %.12g, brute %.12g", j, rr->density[j], want[j]);
    }
    free(want);
    free(D);
    nkde_result_free(r);
    nkde_result_free(rr);
    roadnet_free(net);
}
END_TEST

START_TEST(test_fast_equals_reference)
{
    double nxy[2 * 30];
    roadnet *net = random_net(30, nxy);
    enum { NE = 200 };
    double x[NE], y[NE], w[NE];
    for (int i = 0; i < NE; i++)
        x[i] = 600 * rnd(), y[i] = 600 * rnd(), w[i] = 1 + (i % 3);
    hz_points p = {.n = NE, .x = x, .y = y, .w = w};
    for (int m = 0; m <= NKDE_CONTINUOUS; m++) {
        for (int k = 0; k <= NKDE_UNIFORM; k++) {
            nkde_opts o;
            nkde_opts_init(&o);
            o.method = (nkde_method)m, o.kernel = (nkde_kernel)k;
            o.lixel = 10, o.bandwidth = 150, o.snap = 60, o.max_depth = 4, o.div = NKDE_DIV_N;
            nkde_result *a = NULL, *b = NULL;
            char err[256];
            ck_assert(nkde_compute(net, &p, &o, &a, err, sizeof err) == HZ_OK);
            ck_assert(nkde_compute_reference(net, &p, &o, &b, err, sizeof err) == HZ_OK);
            double mx = 0;
            for (size_t j = 0; j < a->nlixels; j++)
                mx = fmax(mx, fabs(b->density[j]));
            ck_assert(mx > 0);
            for (size_t j = 0; j < a->nlixels; j++)
                ck_assert_msg(fabs(a->density[j] - b->density[j]) < 1e-9 * mx,
                              "%s/%s lixel %zu: %.12g, reference %.12g",
                              nkde_method_name((nkde_method)m), nkde_kernel_name((nkde_kernel)k), j,
                              a->density[j], b->density[j]);
            nkde_result_free(a);
            nkde_result_free(b);
        }
    }
    roadnet_free(net);
}
END_TEST

START_TEST(test_threads)
{
    double nxy[2 * 60];
    roadnet *net = random_net(60, nxy);
    enum { NE = 2000 };
    double *x = malloc(NE * sizeof *x), *y = malloc(NE * sizeof *y);
    for (int i = 0; i < NE; i++)
        x[i] = 600 * rnd(), y[i] = 600 * rnd();
    for (int m = 0; m <= NKDE_CONTINUOUS; m++) {
        nkde_opts o;
        nkde_opts_init(&o);
        o.method = (nkde_method)m, o.lixel = 5, o.bandwidth = 200, o.max_depth = 6;
        o.nthreads = 1;
        nkde_result *a = run(net, NE, x, y, &o);
        for (int t = 2; t <= 4; t++) {
            o.nthreads = t;
            nkde_result *b = run(net, NE, x, y, &o);
            ck_assert_uint_eq(a->nlixels, b->nlixels);
            ck_assert_msg(memcmp(a->density, b->density, a->nlixels * sizeof(double)) == 0,
                          "%s: %d threads differ", nkde_method_name((nkde_method)m), t);
            nkde_result_free(b);
        }
        nkde_result_free(a);
    }
    free(x);
    free(y);
    roadnet_free(net);
}
END_TEST

START_TEST(test_snap_budget_cancel)
{
    roadnet *net = star(100);
    nkde_opts o;
    nkde_opts_init(&o);
    o.lixel = 10, o.bandwidth = 50;
    double x[] = {20, 0, 500}, y[] = {3, -40, 500};
    nkde_result *r = run(net, 3, x, y, &o);
    ck_assert_uint_eq(r->snapped, 2);
    ck_assert_uint_eq(r->unsnapped, 1);
    ck_assert_uint_eq(r->nlixels, 40);
    ck_assert_double_eq_tol(r->weight, 2, 1e-12);
    nkde_result_free(r);
    /* 40 lixels x 2 h / lixel = 400 */
    ck_assert_double_eq_tol(nkde_work(net, &o), 400, 1e-9);
    o.budget = 399;
    hz_points p = {.n = 3, .x = x, .y = y};
    char err[256];
    ck_assert_int_eq(nkde_compute(net, &p, &o, &r, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_null(r);
    o.budget = 0;
    hz_cancel c;
    hz_cancel_init(&c, 0);
    hz_cancel_set(&c, HZ_CANCEL_GONE);
    hz_cancel *prev = hz_cancel_enter(&c);
    ck_assert_int_eq(nkde_compute(net, &p, &o, &r, err, sizeof err), HZ_ELIMIT);
    hz_cancel_leave(prev);
    o.lixel = 0;
    ck_assert_int_eq(nkde_compute(net, &p, &o, &r, err, sizeof err), HZ_EINVAL);
    /* per km per year: 1 event per metre over 2 years = 500 per km per year */
    ck_assert_double_eq_tol(nkde_per_km_year(2), 500, 1e-12);
    roadnet_free(net);
}
END_TEST

START_TEST(test_write)
{
    roadnet *net = star(100);
    nkde_opts o;
    nkde_opts_init(&o);
    o.lixel = 30, o.bandwidth = 50;
    double x = 20, y = 0;
    nkde_result *r = run(net, 1, &x, &y, &o);
    ck_assert_uint_eq(r->nlixels, 16);
    const char *exts[] = {"geojson", "gpkg"};
    for (int i = 0; i < 2; i++) {
        char path[128], err[256];
        snprintf(path, sizeof path, "/tmp/check_nkde_%ld.%s", (long)getpid(), exts[i]);
        unlink(path);
        ck_assert_msg(nkde_write(net, r, path, 1, err, sizeof err) == HZ_OK, "%s", err);
        ck_assert_int_eq(nkde_write(net, r, path, 1, err, sizeof err), HZ_EIO); /* exists */
        GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
        ck_assert_ptr_nonnull(ds);
        OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
        /* h = 50 from s = 20 on arm +x: lixels [0,25] [25,50] [50,75] of arm 0 and the first of
         * each other arm */
        ck_assert_int_eq(OGR_L_GetFeatureCount(ly, 1), 6);
        OGRFeatureH f = OGR_L_GetNextFeature(ly);
        ck_assert_double_eq_tol(OGR_F_GetFieldAsDouble(f, 0), r->density[0], 1e-12);
        ck_assert_int_eq(OGR_F_GetFieldAsInteger64(f, 1), 1);
        ck_assert_int_eq(OGR_F_GetFieldAsInteger(f, 2), 0);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        ck_assert_int_eq(OGR_G_GetPointCount(g), 2);
        ck_assert_double_eq_tol(OGR_G_GetX(g, 1), 104 + 25 * 1e-5, 1e-9);
        OGR_F_Destroy(f);
        GDALClose(ds);
        unlink(path);
    }
    nkde_result_free(r);
    roadnet_free(net);
}
END_TEST

Suite *nkde_suite(void)
{
    Suite *s = suite_create("nkde");
    TCase *tc = tcase_create("nkde");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kernels);
    tcase_add_test(tc, test_star_simple);
    tcase_add_test(tc, test_star_discontinuous);
    tcase_add_test(tc, test_star_continuous);
    tcase_add_test(tc, test_mass);
    tcase_add_test(tc, test_simple_brute_force);
    tcase_add_test(tc, test_fast_equals_reference);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_snap_budget_cancel);
    tcase_add_test(tc, test_write);
    suite_add_tcase(s, tc);
    return s;
}
