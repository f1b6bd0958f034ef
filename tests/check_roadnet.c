/* check_roadnet.c - the road network model: topology from node ids, positions along segments,
 * and the nearest queries against a brute-force scan. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/roadnet.h"

/* Up to 8 vertices per test segment; lon/lat are the metres scaled, so both CRSs are checked. */
typedef struct tseg {
    int64_t id, from, to;
    size_t n;
    double x[8], y[8], lon[8], lat[8];
} tseg;

static void tseg_set(tseg *t, int64_t id, int64_t from, int64_t to, size_t n, const double *xy)
{
    t->id = id, t->from = from, t->to = to, t->n = n;
    for (size_t k = 0; k < n; k++) {
        t->x[k] = xy[2 * k];
        t->y[k] = xy[2 * k + 1];
        t->lon[k] = 104 + xy[2 * k] * 1e-5;
        t->lat[k] = 30 + xy[2 * k + 1] * 1e-5;
    }
}

static roadnet *build(size_t n, const tseg *t, char *err)
{
    roadnet_seg_in in[16];
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++) {
        in[i] = (roadnet_seg_in){.id = t[i].id,
                                 .from = t[i].from,
                                 .to = t[i].to,
                                 .npts = t[i].n,
                                 .x = t[i].x,
                                 .y = t[i].y,
                                 .lon = t[i].lon,
                                 .lat = t[i].lat,
                                 .lanes = -1,
                                 .name = i == 0 ? "红星路" : NULL};
    }
    return roadnet_build(n, in, err, 256);
}

/* A star of four arms of length 5 (node 0 at the origin) plus a bent tail from arm 1's end. */
static void star(tseg *t)
{
    static const double a[] = {0, 0, 5, 0}, b[] = {0, 0, 0, 5}, c[] = {0, 0, -5, 0},
                        d[] = {0, 0, 0, -5}, e[] = {5, 0, 5, 3, 9, 6};
    tseg_set(&t[0], 10, 0, 1, 2, a);
    tseg_set(&t[1], 11, 0, 2, 2, b);
    tseg_set(&t[2], 12, 0, 3, 2, c);
    tseg_set(&t[3], 13, 0, 4, 2, d);
    tseg_set(&t[4], 14, 1, 5, 3, e);
}

START_TEST(test_topology)
{
    tseg t[5];
    star(t);
    char err[256];
    roadnet *net = build(5, t, err);
    ck_assert_msg(net != NULL, "%s", err);
    ck_assert_uint_eq(roadnet_seg_count(net), 5);
    ck_assert_uint_eq(roadnet_node_count(net), 6);
    const roadnet_node *nd = roadnet_nodes(net);
    const roadnet_seg *sg = roadnet_segs(net);
    const roadnet_end *adj = roadnet_adj(net);
    /* Nodes come in ascending id order: node 0 is the centre with degree 4. */
    ck_assert_int_eq(nd[0].id, 0);
    ck_assert_uint_eq(nd[0].degree, 4);
    ck_assert_uint_eq(nd[1].degree, 2);
    ck_assert_uint_eq(nd[5].degree, 1);
    uint32_t sum = 0;
    for (size_t v = 0; v < roadnet_node_count(net); v++) {
        sum += nd[v].degree;
        for (uint32_t k = 0; k < nd[v].degree; k++) {
            const roadnet_end *e = &adj[nd[v].adj + k];
            ck_assert_uint_eq(e->at_to ? sg[e->seg].to : sg[e->seg].from, v);
        }
    }
    ck_assert_uint_eq(sum, 10);
    ck_assert_double_eq_tol(sg[4].length, 3 + 5, 1e-12); /* 3 + hypot(4, 3) */
    ck_assert_double_eq_tol(roadnet_total_length(net), 28, 1e-12);
    ck_assert_str_eq(sg[0].name, "红星路");
    ck_assert_ptr_null(sg[1].name);
    ck_assert(isnan(sg[0].volume));
    ck_assert_int_eq(roadnet_seg_find(net, 13), 3);
    ck_assert_int_eq(roadnet_seg_find(net, 99), -1);
    roadnet_free(net);
}
END_TEST

START_TEST(test_positions)
{
    tseg t[5];
    star(t);
    char err[256];
    roadnet *net = build(5, t, err);
    ck_assert_ptr_nonnull(net);
    double x, y, lon, lat;
    roadnet_point_at(net, 4, 4, &x, &y, &lon, &lat); /* 1 m past the bend at (5, 3) */
    ck_assert_double_eq_tol(x, 5 + 0.8, 1e-12);
    ck_assert_double_eq_tol(y, 3 + 0.6, 1e-12);
    ck_assert_double_eq_tol(lon, 104 + 5.8e-5, 1e-12);
    roadnet_point_at(net, 4, 99, &x, &y, NULL, NULL); /* clamped to the end */
    ck_assert_double_eq(x, 9);
    double lo[8], la[8];
    size_t n = roadnet_subline(net, 4, 1, 8, lo, la, 8);
    ck_assert_uint_eq(n, 3); /* start, the bend, end */
    ck_assert_double_eq_tol(la[0], 30 + 1e-5, 1e-12);
    ck_assert_double_eq_tol(lo[1], 104 + 5e-5, 1e-15);
    ck_assert_double_eq_tol(lo[2], 104 + 9e-5, 1e-12);
    ck_assert_uint_eq(roadnet_subline(net, 4, 3.5, 4, NULL, NULL, 0), 2);
    roadnet_free(net);
}
END_TEST

/* The nearest point of any segment, by brute force over every vertex pair. */
static double brute_nearest(const roadnet *net, double px, double py, uint32_t *seg)
{
    const double *x, *y;
    roadnet_xy(net, &x, &y);
    const roadnet_seg *sg = roadnet_segs(net);
    double best = INFINITY;
    for (uint32_t i = 0; i < roadnet_seg_count(net); i++) {
        for (uint32_t k = sg[i].pts; k + 1 < sg[i].pts + sg[i].npts; k++) {
            double dx = x[k + 1] - x[k], dy = y[k + 1] - y[k];
            double t = ((px - x[k]) * dx + (py - y[k]) * dy) / (dx * dx + dy * dy);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double d = hypot(px - x[k] - t * dx, py - y[k] - t * dy);
            if (d < best) best = d, *seg = i;
        }
    }
    return best;
}

START_TEST(test_nearest_against_brute_force)
{
    /* A long zig-zag (pieces of 300 m, far longer than the index's sampling step) and a grid. */
    tseg t[12];
    double zz[] = {0, 0, 300, 40, 600, -20, 900, 10, 1200, 0};
    tseg_set(&t[0], 1, 100, 101, 5, zz);
    for (int i = 0; i < 11; i++) {
        double xy[] = {i * 110.0, 200, i * 110.0, 700};
        tseg_set(&t[1 + i], 2 + i, 200 + i, 300 + i, 2, xy);
    }
    char err[256];
    roadnet *net = build(12, t, err);
    ck_assert_msg(net != NULL, "%s", err);
    uint64_t s = 42;
    for (int q = 0; q < 4000; q++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double px = -100 + (double)(s >> 11) / 9007199254740992.0 * 1400;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double py = -100 + (double)(s >> 11) / 9007199254740992.0 * 900;
        uint32_t bseg = 0;
        double bd = brute_nearest(net, px, py, &bseg);
        roadnet_hit h;
        int found = roadnet_nearest(net, px, py, 60, &h);
        ck_assert_int_eq(found, bd <= 60);
        if (!found) continue;
        ck_assert_double_eq_tol(h.dist, bd, 1e-9);
        double hx, hy;
        roadnet_point_at(net, h.seg, h.s, &hx, &hy, NULL, NULL);
        ck_assert_double_eq_tol(hypot(hx - px, hy - py), bd, 1e-6);
    }
    ck_assert_int_eq(roadnet_nearest_node(net, 1195, 3, 10, 1), 1); /* node id 101 */
    ck_assert_int_eq(roadnet_nearest_node(net, 1195, 3, 10, 3), -1);
    roadnet_free(net);
}
END_TEST

START_TEST(test_refusals)
{
    tseg t[5];
    star(t);
    char err[256];
    t[4].id = 12; /* duplicate id */
    ck_assert_ptr_null(build(5, t, err));
    ck_assert_ptr_nonnull(strstr(err, "12"));
    star(t);
    t[4].x[0] = 5.5; /* node 1 at two places */
    ck_assert_ptr_null(build(5, t, err));
    ck_assert_ptr_nonnull(strstr(err, "node 1"));
    star(t);
    t[2].x[1] = 0; /* zero length */
    ck_assert_ptr_null(build(5, t, err));
    ck_assert_ptr_nonnull(strstr(err, "zero length"));
    star(t);
    t[1].y[1] = NAN;
    ck_assert_ptr_null(build(5, t, err));
    roadnet *net = roadnet_build(0, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(net);
    roadnet_hit h;
    ck_assert_int_eq(roadnet_nearest(net, 0, 0, 1e9, &h), 0);
    ck_assert_int_eq(roadnet_nearest_node(net, 0, 0, 1e9, 0), -1);
    roadnet_free(net);
}
END_TEST

Suite *roadnet_suite(void)
{
    Suite *s = suite_create("roadnet");
    TCase *tc = tcase_create("roadnet");
    tcase_add_test(tc, test_topology);
    tcase_add_test(tc, test_positions);
    tcase_add_test(tc, test_nearest_against_brute_force);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}
