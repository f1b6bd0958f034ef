/* check_screen.c - road sites and network screening: sections against a union-find partition,
 * assignment against a brute-force nearest scan, sliding windows and EB against direct
 * computation, the SPF against nb2_fit on the same site table, the rule screen on hand-made
 * dates, and the ranking order. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/cancel.h"
#include "hazmap/ebayes.h"
#include "hazmap/hztime.h"
#include "hazmap/nb2.h"
#include "hazmap/roadsites.h"
#include "hazmap/screen.h"

/* ---- a network built from test segments (lon/lat = the metres scaled, as check_roadnet) */

enum { MAXV = 8, MAXSEG = 512 };

typedef struct tseg {
    int64_t id, from, to;
    size_t n;
    double x[MAXV], y[MAXV], lon[MAXV], lat[MAXV];
    const char *cls;
} tseg;

typedef struct tnet {
    size_t n;
    tseg s[MAXSEG];
} tnet;

static void add(tnet *t, int64_t from, int64_t to, size_t n, const double *xy)
{
    ck_assert_uint_lt(t->n, MAXSEG);
    tseg *s = &t->s[t->n];
    s->id = 100 + (int64_t)t->n, s->from = from, s->to = to, s->n = n, s->cls = NULL;
    for (size_t k = 0; k < n; k++) {
        s->x[k] = xy[2 * k];
        s->y[k] = xy[2 * k + 1];
        s->lon[k] = 104 + xy[2 * k] * 1e-5;
        s->lat[k] = 30 + xy[2 * k + 1] * 1e-5;
    }
    t->n++;
}

static roadnet *build(const tnet *t)
{
    static roadnet_seg_in in[MAXSEG];
    for (size_t i = 0; i < t->n; i++)
        in[i] = (roadnet_seg_in){.id = t->s[i].id,
                                 .from = t->s[i].from,
                                 .to = t->s[i].to,
                                 .npts = t->s[i].n,
                                 .x = t->s[i].x,
                                 .y = t->s[i].y,
                                 .lon = t->s[i].lon,
                                 .lat = t->s[i].lat,
                                 .cls = t->s[i].cls,
                                 .lanes = -1};
    char err[256];
    roadnet *net = roadnet_build(t->n, in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    return net;
}

/* Junction 1 at the origin with: a chain 1-2-3-4 east (the last segment drawn 4 -> 3), a dead
 * end north, and a loop 1-6-1 south-west; a ring 10-11-12 of degree-2 nodes; a self-loop at
 * node 20 alone. */
static void sample_net(tnet *t)
{
    t->n = 0;
    add(t, 1, 2, 2, (double[]){0, 0, 100, 0});
    add(t, 2, 3, 3, (double[]){100, 0, 150, 10, 200, 0});
    add(t, 4, 3, 2, (double[]){300, 0, 200, 0});
    add(t, 1, 5, 2, (double[]){0, 0, 0, 100});
    add(t, 1, 6, 2, (double[]){0, 0, -100, 0});
    add(t, 6, 1, 3, (double[]){-100, 0, -100, -100, 0, 0});
    add(t, 10, 11, 2, (double[]){1000, 1000, 1100, 1000});
    add(t, 11, 12, 2, (double[]){1100, 1000, 1050, 1100});
    add(t, 12, 10, 2, (double[]){1050, 1100, 1000, 1000});
    add(t, 20, 20, 4, (double[]){2000, 0, 2100, 0, 2100, 100, 2000, 0});
}

/* Union-find over segments joined at nodes of degree 2: the sections' partition, found
 * independently of the walk. */
static uint32_t uf_find(uint32_t *p, uint32_t a)
{
    while (p[a] != a)
        a = p[a] = p[p[a]];
    return a;
}

static void check_partition(const roadnet *net, const roadsites *rs)
{
    size_t ns = roadnet_seg_count(net), nv = roadnet_node_count(net);
    const roadnet_node *nd = roadnet_nodes(net);
    const roadnet_end *adj = roadnet_adj(net);
    uint32_t *p = malloc(ns * sizeof *p), *sec_of_root = malloc(ns * sizeof *p);
    uint32_t *root_of_sec = malloc((roadsites_section_count(rs) + 1) * sizeof *p);
    for (uint32_t i = 0; i < ns; i++)
        p[i] = i, sec_of_root[i] = UINT32_MAX;
    for (size_t c = 0; c < roadsites_section_count(rs); c++)
        root_of_sec[c] = UINT32_MAX;
    for (size_t v = 0; v < nv; v++) {
        if (nd[v].degree != 2) continue;
        uint32_t a = uf_find(p, adj[nd[v].adj].seg), b = uf_find(p, adj[nd[v].adj + 1].seg);
        p[a] = b;
    }
    /* the same partition: root -> section and section -> root are both functions */
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t si, r = uf_find(p, i);
        roadsites_seg_place(rs, i, &si, NULL);
        if (sec_of_root[r] == UINT32_MAX) sec_of_root[r] = si;
        if (root_of_sec[si] == UINT32_MAX) root_of_sec[si] = r;
        ck_assert_uint_eq(sec_of_root[r], si);
        ck_assert_uint_eq(root_of_sec[si], r);
    }
    free(p);
    free(sec_of_root);
    free(root_of_sec);
}

/* A section's steps chain: each starts where the previous ended, the starts are cumulative. */
static void check_chains(const roadnet *net, const roadsites *rs)
{
    const roadnet_seg *sg = roadnet_segs(net);
    const roadnet_node *nd = roadnet_nodes(net);
    const roadsites_step *st = roadsites_steps(rs);
    size_t seen = 0;
    for (size_t c = 0; c < roadsites_section_count(rs); c++) {
        const roadsites_section *sc = &roadsites_sections(rs)[c];
        uint32_t at = sc->from_node;
        double len = 0;
        for (uint32_t i = 0; i < sc->nsteps; i++) {
            const roadsites_step *s = &st[sc->first + i];
            const roadnet_seg *g = &sg[s->seg];
            ck_assert_uint_eq(s->reversed ? g->to : g->from, at);
            ck_assert_double_eq_tol(s->start, len, 1e-9);
            if (i > 0) ck_assert_uint_eq(nd[at].degree, 2);
            at = s->reversed ? g->from : g->to;
            len += g->length;
            seen++;
        }
        ck_assert_uint_eq(at, sc->to_node);
        ck_assert_double_eq_tol(sc->length, len, 1e-9);
        if (!sc->cycle) {
            ck_assert_uint_ne(nd[sc->from_node].degree, 2);
            ck_assert_uint_ne(nd[sc->to_node].degree, 2);
        }
    }
    ck_assert_uint_eq(seen, roadnet_seg_count(net));
}

START_TEST(test_sections)
{
    static tnet t;
    sample_net(&t);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    ck_assert_uint_eq(roadsites_junction_count(rs), 1); /* node 1: degree 4 */
    ck_assert_uint_eq(roadsites_junctions(rs)[0].degree, 4);
    ck_assert_uint_eq(roadsites_section_count(rs), 5);
    check_partition(net, rs);
    check_chains(net, rs);
    /* the east chain: three steps, the last reversed, 300 m plus the bend */
    uint32_t c, step;
    roadsites_seg_place(rs, 2, &c, &step);
    const roadsites_section *sc = &roadsites_sections(rs)[c];
    ck_assert_uint_eq(sc->nsteps, 3);
    ck_assert_int_eq(roadsites_steps(rs)[sc->first + 2].reversed, 1);
    double bend = 2 * hypot(50, 10);
    ck_assert_double_eq_tol(sc->length, 200 + bend, 1e-9);
    /* 10 m from node 4 along the reversed segment is 10 m before the section's end */
    ck_assert_double_eq_tol(roadsites_section_pos(rs, 2, 10), 100 + bend + 90, 1e-9);
    /* the ring and the lone self-loop are cycles; the loop at the junction is not */
    int cycles = 0;
    for (size_t k = 0; k < roadsites_section_count(rs); k++)
        cycles += roadsites_sections(rs)[k].cycle;
    ck_assert_int_eq(cycles, 2);
    roadsites_seg_place(rs, 6, &c, NULL);
    ck_assert_uint_eq(roadsites_sections(rs)[c].nsteps, 3);
    /* the section's line: from 50 m to 250 m passes the bend vertex and node 3 */
    double lon[16], lat[16];
    roadsites_seg_place(rs, 0, &c, NULL);
    size_t n = roadsites_section_line(rs, c, 50, 100 + bend + 50, lon, lat, 16);
    ck_assert_uint_eq(n, 5);
    ck_assert_double_eq_tol(lon[0], 104 + 50e-5, 1e-12);
    ck_assert_double_eq_tol(lon[2], 104 + 150e-5, 1e-12);
    ck_assert_double_eq_tol(lat[2], 30 + 10e-5, 1e-12);
    ck_assert_double_eq_tol(lon[4], 104 + 250e-5, 1e-12);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

/* A grid with uneven spacing: columns at xs, rows at ys; corner nodes have degree 2. Horizontal
 * segments get class "primary" on even rows. */
static const double xs[] = {0, 180, 420, 600, 950, 1100, 1400, 1650, 2000, 2200};
static const double ys[] = {0, 240, 400, 700, 880, 1200, 1380, 1700, 1850, 2200};
enum { NX = 10, NY = 10 };

static void grid_net(tnet *t, int classes)
{
    t->n = 0;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            int64_t v = j * NX + i;
            if (i + 1 < NX) {
                add(t, v, v + 1, 2, (double[]){xs[i], ys[j], xs[i + 1], ys[j]});
                if (classes) t->s[t->n - 1].cls = j % 2 ? "residential" : "primary";
            }
            if (j + 1 < NY) add(t, v, v + NX, 2, (double[]){xs[i], ys[j], xs[i], ys[j + 1]});
        }
}

/* Seeded LCG. */
static double rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double pt_seg(double px, double py, double ax, double ay, double bx, double by, double *t)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    *t = u * sqrt(l2);
    return hypot(px - ax - u * dx, py - ay - u * dy);
}

START_TEST(test_assign_brute)
{
    static tnet t;
    grid_net(&t, 0);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    enum { N = 4000 };
    static double x[N], y[N];
    static roadsites_loc loc[N];
    uint64_t seed = 7;
    for (int i = 0; i < N; i++)
        x[i] = rnd(&seed) * 2300 - 50, y[i] = rnd(&seed) * 2300 - 50;
    roadsites_assign_opts o;
    roadsites_assign_opts_init(&o);
    o.nthreads = 2;
    size_t none = 0, bnone = 0;
    ck_assert_int_eq(roadsites_assign(rs, N, x, y, &o, loc, &none, err, sizeof err), HZ_OK);
    const roadnet_node *nd = roadnet_nodes(net);
    const roadnet_seg *sg = roadnet_segs(net);
    const double *vx, *vy;
    roadnet_xy(net, &vx, &vy);
    int kinds[3] = {0};
    for (int i = 0; i < N; i++) {
        double best = INFINITY;
        int64_t bj = -1;
        for (size_t v = 0; v < roadnet_node_count(net); v++) {
            double d = hypot(x[i] - nd[v].x, y[i] - nd[v].y);
            if (nd[v].degree >= 3 && d <= 50 && d < best) best = d, bj = (int64_t)v;
        }
        if (bj >= 0) {
            ck_assert_int_eq(loc[i].kind, ROADSITES_JUNCTION);
            ck_assert_uint_eq(roadsites_junctions(rs)[loc[i].site].node, (uint32_t)bj);
            kinds[1]++;
            continue;
        }
        best = INFINITY;
        int64_t bs = -1;
        double bt = 0;
        for (size_t s = 0; s < roadnet_seg_count(net); s++) {
            double tt, d = pt_seg(x[i], y[i], vx[sg[s].pts], vy[sg[s].pts], vx[sg[s].pts + 1],
                                  vy[sg[s].pts + 1], &tt);
            if (d <= 30 && d < best) best = d, bs = (int64_t)s, bt = tt;
        }
        if (bs < 0) {
            ck_assert_int_eq(loc[i].kind, ROADSITES_NONE);
            bnone++;
            continue;
        }
        uint32_t c;
        roadsites_seg_place(rs, (uint32_t)bs, &c, NULL);
        ck_assert_int_eq(loc[i].kind, ROADSITES_SECTION);
        ck_assert_uint_eq(loc[i].site, c);
        ck_assert_double_eq_tol(loc[i].pos, roadsites_section_pos(rs, (uint32_t)bs, bt), 1e-6);
        kinds[2]++;
    }
    ck_assert_uint_eq(none, bnone);
    ck_assert_int_gt(kinds[1], 50); /* all three outcomes occur */
    ck_assert_int_gt(kinds[2], 200);
    ck_assert_uint_gt(bnone, 200);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

/* A straight chain from dead end to dead end along y = 0: 0 -> 1234 m in four segments. */
static void chain_net(tnet *t, double y0, int64_t base)
{
    static const double cuts[] = {0, 300, 610, 1000, 1234};
    for (int k = 0; k < 4; k++)
        add(t, base + k, base + k + 1, 2, (double[]){cuts[k], y0, cuts[k + 1], y0});
}

static const char *spf_text = "{\"sections\": {\"a\": -0.2, \"b\": 0.8, \"k\": 0.7},"
                              " \"junctions\": {\"a\": 0.22314355131420976, \"b\": 0, \"k\": 0.4}}";

START_TEST(test_window)
{
    ck_assert_uint_eq(screen_window_count(400, 500, 100), 1);
    ck_assert_uint_eq(screen_window_count(1234, 500, 100), 9);
    ck_assert_uint_eq(screen_window_count(1000, 500, 100), 6); /* 0..400 stepped, 500 last */
    static tnet t;
    t.n = 0;
    chain_net(&t, 0, 0);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    ck_assert_uint_eq(roadsites_section_count(rs), 1);
    double pos[] = {5, 80, 620, 650, 655, 700, 701, 702, 900, 1001, 1100, 1200, 1233};
    enum { M = sizeof pos / sizeof *pos };
    screen_crash c[M];
    for (int i = 0; i < M; i++)
        c[i] = (screen_crash){pos[i], (i % 3) * 7.0, INT64_MIN, HZ_SEV_MINOR};
    screen_spf spf;
    ck_assert_int_eq(screen_spf_parse(spf_text, &spf, err, sizeof err), HZ_OK);
    screen_opts o;
    screen_opts_init(&o);
    o.spf = &spf;
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1}, years = 3;
    screen_result *r;
    ck_assert_int_eq(screen_run_crashes(rs, M, c, years, sw, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 1);
    const screen_site *s = &r->sites[0];
    /* brute force over the documented windows */
    double starts[9] = {0, 100, 200, 300, 400, 500, 600, 700, 734};
    double best = -INFINITY, b0 = 0;
    int bc = 0;
    for (int w = 0; w < 9; w++) {
        double a = starts[w], b = a + 500;
        int cnt = 0;
        for (int i = 0; i < M; i++)
            cnt += pos[i] >= a && pos[i] <= b;
        double pred = exp(-0.2 + 0.8 * log(0.5)) * years, wgt = 1 / (1 + 0.7 * pred);
        double ex = wgt * pred + (1 - wgt) * cnt - pred;
        if (ex > best) best = ex, b0 = a, bc = cnt;
    }
    ck_assert_uint_eq(s->nwindows, 9);
    ck_assert_double_eq_tol(s->win0, b0, 1e-9);
    ck_assert_double_eq_tol(s->win1, b0 + 500, 1e-9);
    ck_assert_int_eq(s->win_count, bc);
    ck_assert_double_eq_tol(s->win_eb.excess, best, 1e-12);
    ck_assert_int_eq(s->count, M);
    /* the whole section's EB is ebayes_site on the SPF at 1234 m */
    ebayes_result e;
    ebayes_site(M, exp(-0.2 + 0.8 * log(1.234)) * years, 0.7, &e);
    ck_assert_double_eq_tol(s->eb.expected, e.expected, 1e-12);
    ck_assert_double_eq_tol(s->eb.excess, e.excess, 1e-12);
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

/* Hand-computed: a junction SPF predicting 1.25 a year over 2 years (N_pred 2.5), k 0.4, 7
 * crashes: w = 1 / (1 + 0.4 * 2.5) = 0.5, N_exp = 0.5 * 2.5 + 0.5 * 7 = 4.75, excess 2.25. */
START_TEST(test_eb_hand)
{
    static tnet t;
    sample_net(&t);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    screen_crash c[7];
    for (int i = 0; i < 7; i++)
        c[i] = (screen_crash){3.0 * i, -2.0, INT64_MIN, HZ_SEV_SERIOUS};
    screen_spf spf;
    ck_assert_int_eq(screen_spf_parse(spf_text, &spf, err, sizeof err), HZ_OK);
    screen_opts o;
    screen_opts_init(&o);
    o.spf = &spf;
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    screen_result *r;
    ck_assert_int_eq(screen_run_crashes(rs, 7, c, 2.0, sw, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 1);
    const screen_site *s = &r->sites[0];
    ck_assert_int_eq(s->kind, ROADSITES_JUNCTION);
    ck_assert_double_eq_tol(s->eb.pred, 2.5, 1e-12);
    ck_assert_double_eq_tol(s->eb.w, 0.5, 1e-12);
    ck_assert_double_eq_tol(s->eb.expected, 4.75, 1e-12);
    ck_assert_double_eq_tol(s->eb.excess, 2.25, 1e-12);
    ck_assert_double_eq_tol(s->epdo, 84, 1e-12);
    ck_assert_int_eq(s->severity[HZ_SEV_SERIOUS], 7);
    ck_assert_int_eq(r->at_junctions, 7);
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

/* Crashes placed on the grid's sites with known counts; the fitted SPFs must equal nb2_fit on
 * the site table built here, and each site's EB ebayes_site on the fit's prediction. */
START_TEST(test_spf_fit)
{
    static tnet t;
    grid_net(&t, 1);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    size_t nj = roadsites_junction_count(rs), ns = roadsites_section_count(rs);
    static screen_crash c[20000];
    static double jy[256], sy[512];
    size_t n = 0;
    uint64_t seed = 99;
    const roadnet_node *nd = roadnet_nodes(net);
    for (size_t j = 0; j < nj; j++) { /* junction crashes, overdispersed */
        const roadnet_node *v = &nd[roadsites_junctions(rs)[j].node];
        int m = (int)(rnd(&seed) * rnd(&seed) * 4 * roadsites_junctions(rs)[j].degree);
        for (int k = 0; k < m; k++)
            c[n++] = (screen_crash){v->x + 3, v->y + 2, INT64_MIN, HZ_SEV_MINOR};
        jy[j] = m;
    }
    for (size_t s = 0; s < ns; s++) { /* section crashes at the middle of its first segment */
        const roadsites_section *sc = &roadsites_sections(rs)[s];
        double x, y;
        roadnet_point_at(net, roadsites_steps(rs)[sc->first].seg,
                         roadnet_segs(net)[roadsites_steps(rs)[sc->first].seg].length / 2, &x, &y,
                         NULL, NULL);
        double cls = sc->cls && strcmp(sc->cls, "primary") == 0 ? 2 : 1;
        int m = (int)(rnd(&seed) * rnd(&seed) * 8 * cls * sc->length / 500);
        for (int k = 0; k < m; k++)
            c[n++] = (screen_crash){x, y + 1, INT64_MIN, HZ_SEV_NONE};
        sy[s] = m;
    }
    double years = 3, sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    screen_opts o;
    screen_opts_init(&o);
    o.min_class_sites = 20;
    screen_result *r;
    ck_assert_int_eq(screen_run_crashes(rs, n, c, years, sw, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r->unassigned, 0);
    /* sections: (1, ln L km, primary) with offset ln 3; residential is the larger class */
    size_t p = 3;
    double *x = calloc(ns * p, sizeof *x), *off = malloc(ns * sizeof *off);
    int nres = 0;
    for (size_t s = 0; s < ns; s++) {
        const roadsites_section *sc = &roadsites_sections(rs)[s];
        nres += sc->cls && strcmp(sc->cls, "residential") == 0;
        x[s * p] = 1, x[s * p + 1] = log(sc->length / 1000), off[s] = log(years);
    }
    ck_assert_int_eq(r->spf.section.available, 1);
    ck_assert_uint_eq(r->spf.section.nclass, 2); /* pooled vertical sections are the reference */
    for (size_t s = 0; s < ns; s++) {
        const roadsites_section *sc = &roadsites_sections(rs)[s];
        (void)nres;
        x[s * p + 2] = sc->cls && strcmp(sc->cls, r->spf.section.cls[0]) == 0;
    }
    /* two dummies: refit with both */
    double *x2 = calloc(ns * 4, sizeof *x2);
    for (size_t s = 0; s < ns; s++) {
        const roadsites_section *sc = &roadsites_sections(rs)[s];
        x2[s * 4] = 1, x2[s * 4 + 1] = x[s * p + 1];
        x2[s * 4 + 2] = sc->cls && strcmp(sc->cls, r->spf.section.cls[0]) == 0;
        x2[s * 4 + 3] = sc->cls && strcmp(sc->cls, r->spf.section.cls[1]) == 0;
    }
    nb2_result f;
    nb2_data d = {ns, 4, sy, x2, off};
    ck_assert_int_eq(nb2_fit(&d, NULL, &f, err, sizeof err), HZ_OK);
    ck_assert_double_eq_tol(r->spf.section.a, f.beta[0], 1e-12);
    ck_assert_double_eq_tol(r->spf.section.b, f.beta[1], 1e-12);
    ck_assert_double_eq_tol(r->spf.section.cls_coef[0], f.beta[2], 1e-12);
    ck_assert_double_eq_tol(r->spf.section.cls_coef[1], f.beta[3], 1e-12);
    ck_assert_double_eq_tol(r->spf.section.k, f.k, 1e-12);
    ck_assert_double_eq_tol(r->spf.section.loglik, f.loglik, 1e-9);
    ck_assert_double_eq_tol(r->spf.section.se_b, f.se[1], 1e-12);
    nb2_result_free(&f);
    /* junctions: (1, ln degree) */
    double *xj = malloc(nj * 2 * sizeof *xj);
    for (size_t j = 0; j < nj; j++)
        xj[2 * j] = 1, xj[2 * j + 1] = log(roadsites_junctions(rs)[j].degree);
    nb2_data dj = {nj, 2, jy, xj, off};
    ck_assert_int_eq(nb2_fit(&dj, NULL, &f, err, sizeof err), HZ_OK);
    ck_assert_double_eq_tol(r->spf.junction.a, f.beta[0], 1e-12);
    ck_assert_double_eq_tol(r->spf.junction.b, f.beta[1], 1e-12);
    ck_assert_double_eq_tol(r->spf.junction.k, f.k, 1e-12);
    ck_assert_uint_eq(r->spf.junction.n, nj);
    /* every listed junction's EB is ebayes_site on nb2_predict */
    for (size_t i = 0; i < r->n; i++) {
        const screen_site *s = &r->sites[i];
        if (s->kind != ROADSITES_JUNCTION) continue;
        ck_assert_int_eq(s->count, (int64_t)jy[s->index]);
        ebayes_result e;
        ebayes_site((double)s->count, nb2_predict(&f, &xj[2 * s->index], log(years)), f.k, &e);
        ck_assert_double_eq_tol(s->eb.excess, e.excess, 1e-9);
        ck_assert_double_eq_tol(s->eb.w, e.w, 1e-12);
    }
    nb2_result_free(&f);
    free(x);
    free(x2);
    free(xj);
    free(off);
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

static int64_t day(int y, int m, int d)
{
    return hztime_days_from_civil(y, m, d) * 86400 + 4 * 3600; /* noon in +08:00 */
}

START_TEST(test_rules)
{
    static tnet t;
    t.n = 0;
    chain_net(&t, 0, 0);      /* section A: 3 fatal within 12 months, 100 m apart */
    chain_net(&t, 5000, 10);  /* section B: 3 fatal over 13 calendar months */
    chain_net(&t, 10000, 20); /* section C: within 12 months but 700 m apart */
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    ck_assert_uint_eq(roadsites_section_count(rs), 3);
    screen_crash c[] = {
        {100, 0, day(2020, 1, 15), HZ_SEV_FATAL},   {200, 0, day(2020, 6, 10), HZ_SEV_FATAL},
        {300, 0, day(2020, 12, 20), HZ_SEV_FATAL},  {100, 5000, day(2020, 1, 15), HZ_SEV_FATAL},
        {200, 5000, day(2020, 7, 1), HZ_SEV_FATAL}, {300, 5000, day(2021, 1, 5), HZ_SEV_FATAL},
        {0, 10000, day(2020, 1, 15), HZ_SEV_FATAL}, {300, 10000, day(2020, 3, 1), HZ_SEV_FATAL},
        {700, 10000, day(2020, 4, 1), HZ_SEV_FATAL}};
    size_t n = sizeof c / sizeof *c;
    screen_opts o;
    screen_opts_init(&o);
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    screen_result *r;
    ck_assert_int_eq(screen_run_crashes(rs, n, c, 2, sw, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 3);
    int seen = 0;
    for (size_t i = 0; i < r->n; i++) {
        const screen_site *s = &r->sites[i];
        double y0 = roadnet_nodes(net)[roadsites_sections(rs)[s->index].from_node].y;
        if (y0 == 0) {
            ck_assert_int_eq(s->rule[SCREEN_RULE_FATAL].met, 1);
            ck_assert_int_eq(s->rule[SCREEN_RULE_FATAL].t_first, day(2020, 1, 15));
            ck_assert_int_eq(s->rule[SCREEN_RULE_FATAL].t_last, day(2020, 12, 20));
            ck_assert_double_eq_tol(s->rule[SCREEN_RULE_FATAL].pos0, 100, 1e-9);
            ck_assert_double_eq_tol(s->rule[SCREEN_RULE_FATAL].pos1, 300, 1e-9);
            ck_assert_int_eq(s->rule[SCREEN_RULE_SERIOUS].met, 0); /* 3 < 5 */
            seen |= 1;
        } else {
            ck_assert_int_eq(s->rule[SCREEN_RULE_FATAL].met, 0);
            seen |= y0 == 5000 ? 2 : 4;
        }
    }
    ck_assert_int_eq(seen, 7);
    ck_assert_uint_eq(r->flagged, 1);
    screen_free(r);
    /* a rule length of 700 m lets section C's stretch in */
    o.rule_length = 700;
    ck_assert_int_eq(screen_run_crashes(rs, n, c, 2, sw, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->flagged, 2);
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

static double key_of(const screen_site *s, screen_rank k)
{
    return k == SCREEN_BY_EXCESS ? s->win_eb.excess : k == SCREEN_BY_EPDO ? s->epdo : s->count;
}

START_TEST(test_ranking)
{
    static tnet t;
    grid_net(&t, 0);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    enum { N = 3000 };
    static screen_crash c[N];
    uint64_t seed = 5;
    for (int i = 0; i < N; i++) {
        double u = rnd(&seed);
        c[i] = (screen_crash){u * u * 2200,
                              rnd(&seed) < 0.5 ? ys[(int)(rnd(&seed) * NY)] + 5 : rnd(&seed) * 2200,
                              day(2019, 1, 1) + (int64_t)(rnd(&seed) * 1000) * 86400,
                              (uint8_t)(1 + (int)(rnd(&seed) * 4))};
    }
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    for (int k = 0; k < 3; k++) {
        screen_opts o;
        screen_opts_init(&o);
        o.rank = (screen_rank)k;
        o.limit = 40;
        screen_result *r;
        ck_assert_int_eq(screen_run_crashes(rs, N, c, 2.7, sw, &o, &r, err, sizeof err), HZ_OK);
        ck_assert_uint_eq(r->n, 40);
        for (size_t i = 0; i + 1 < r->n; i++) {
            ck_assert_int_eq(r->sites[i].rank, (int)i + 1);
            ck_assert(key_of(&r->sites[i], o.rank) >= key_of(&r->sites[i + 1], o.rank));
        }
        /* nothing left out ranks above the last listed */
        screen_opts all = o;
        all.limit = 0;
        screen_result *ra;
        ck_assert_int_eq(screen_run_crashes(rs, N, c, 2.7, sw, &all, &ra, err, sizeof err), HZ_OK);
        ck_assert_uint_gt(ra->n, 40);
        for (size_t i = 40; i < ra->n; i++)
            ck_assert(key_of(&ra->sites[i], o.rank) <= key_of(&r->sites[39], o.rank));
        ck_assert_int_eq(ra->at_junctions + ra->on_sections + ra->unassigned, N);
        json_t *gj;
        ck_assert_int_eq(screen_geojson(r, &gj, err, sizeof err), HZ_OK);
        ck_assert_uint_eq(json_array_size(json_object_get(gj, "features")), 40);
        json_decref(gj);
        char *csv;
        size_t len;
        ck_assert_int_eq(screen_csv(r, &csv, &len, err, sizeof err), HZ_OK);
        ck_assert(memcmp(csv, "\xEF\xBB\xBFrank,", 8) == 0);
        free(csv);
        screen_free(ra);
        screen_free(r);
    }
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

START_TEST(test_spf_file_errors)
{
    screen_spf spf;
    char err[256];
    ck_assert_int_eq(
        screen_spf_parse("{\"sections\": {\"a\": 1, \"b\": 2}}", &spf, err, sizeof err), HZ_EINVAL);
    ck_assert(strstr(err, "sections.k") != NULL);
    ck_assert_int_eq(
        screen_spf_parse("{\"junctions\": {\"a\": 1, \"b\": 2, \"k\": -1}}", &spf, err, sizeof err),
        HZ_EINVAL);
    ck_assert_int_eq(screen_spf_parse("[]", &spf, err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(
        screen_spf_parse("{\"sections\": {\"a\": 1, \"b\": 2, \"k\": 0.5, \"classes\": "
                         "{\"primary\": 0.25}}}",
                         &spf, err, sizeof err),
        HZ_OK);
    ck_assert_int_eq(spf.section.available, 1);
    ck_assert_int_eq(spf.junction.available, 0);
    ck_assert_double_eq_tol(screen_spf_section(&spf.section, 2000, "primary"),
                            exp(1 + 2 * log(2.0) + 0.25), 1e-12);
    ck_assert_double_eq_tol(screen_spf_section(&spf.section, 2000, "other"), exp(1 + 2 * log(2.0)),
                            1e-12);
}
END_TEST

/* Without a study period there is no SPF and no EB: excess is unknown, the ranking falls back to
 * the EPDO score, and a given SPF is used as given. */
START_TEST(test_no_period)
{
    static tnet t;
    t.n = 0;
    chain_net(&t, 0, 0);
    chain_net(&t, 5000, 10);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    screen_crash c[] = {{100, 0, INT64_MIN, HZ_SEV_MINOR},
                        {100, 5000, INT64_MIN, HZ_SEV_FATAL},
                        {900, 0, INT64_MIN, HZ_SEV_NONE}};
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    screen_result *r;
    ck_assert_int_eq(screen_run_crashes(rs, 3, c, 0, sw, NULL, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r->spf.section.available, 0);
    ck_assert(strstr(r->spf.section.note, "no study period") != NULL);
    ck_assert_uint_eq(r->n, 2);
    ck_assert(isnan(r->sites[0].eb.excess) && isnan(r->sites[0].win_eb.excess));
    ck_assert_double_eq(r->sites[0].epdo, 12); /* the fatal one first, by EPDO */
    ck_assert_double_eq(r->sites[1].epdo, 4);
    ck_assert(isnan(r->sites[0].rate));
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

START_TEST(test_cancel)
{
    static tnet t;
    grid_net(&t, 0);
    roadnet *net = build(&t);
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    screen_crash c[10];
    for (int i = 0; i < 10; i++)
        c[i] = (screen_crash){xs[i], 5, INT64_MIN, HZ_SEV_MINOR};
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    hz_cancel k;
    hz_cancel_init(&k, 0);
    hz_cancel_set(&k, HZ_CANCEL_GONE);
    hz_cancel *prev = hz_cancel_enter(&k);
    screen_result *r = NULL;
    ck_assert_int_eq(screen_run_crashes(rs, 10, c, 1, sw, NULL, &r, err, sizeof err), HZ_ELIMIT);
    ck_assert_ptr_null(r);
    hz_cancel_leave(prev);
    ck_assert_int_eq(screen_run_crashes(rs, 10, c, 1, sw, NULL, &r, err, sizeof err), HZ_OK);
    screen_free(r);
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

/* The real Jinjiang network of the benchmark (bench/data/SOURCE.md; © OpenStreetMap
 * contributors, ODbL 1.0), projected by a plain equirectangular approximation (metres about the
 * box's centre: the test needs a plane, not UTM): sections against the union-find partition and
 * the assignment of 3,000 points against the brute-force scan. */
static roadnet *jinjiang(void)
{
    json_error_t je;
    json_t *root = json_load_file("../bench/data/jinjiang_road_edges.geojson", 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    json_t *feats = json_object_get(root, "features");
    size_t n = json_array_size(feats), m = 0;
    roadnet_seg_in *in = calloc(n, sizeof *in);
    double *buf = calloc(n * 8, sizeof *buf);
    double kx = 111320 * cos(30.62 * M_PI / 180), ky = 110574;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(feats, i), *p = json_object_get(f, "properties");
        json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
        double *lon = buf + 8 * m, *lat = lon + 2, *x = lon + 4, *y = lon + 6;
        for (size_t k = 0; k < 2; k++) {
            lon[k] = json_number_value(json_array_get(json_array_get(c, k), 0));
            lat[k] = json_number_value(json_array_get(json_array_get(c, k), 1));
            x[k] = (lon[k] - 104.1) * kx, y[k] = (lat[k] - 30.62) * ky;
        }
        if (x[0] == x[1] && y[0] == y[1]) continue;
        in[m++] = (roadnet_seg_in){.id = json_integer_value(json_object_get(p, "edge_id")),
                                   .from = json_integer_value(json_object_get(p, "u")),
                                   .to = json_integer_value(json_object_get(p, "v")),
                                   .npts = 2,
                                   .x = x,
                                   .y = y,
                                   .lon = lon,
                                   .lat = lat,
                                   .lanes = -1};
    }
    char err[256];
    roadnet *net = roadnet_build(m, in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    free(in);
    free(buf);
    json_decref(root);
    return net;
}

START_TEST(test_real_network)
{
    roadnet *net = jinjiang();
    char err[256];
    roadsites *rs = roadsites_build(net, err, sizeof err);
    ck_assert_msg(rs != NULL, "%s", err);
    ck_assert_uint_gt(roadnet_seg_count(net), 7000);
    check_partition(net, rs);
    check_chains(net, rs);
    size_t nj = 0;
    for (size_t v = 0; v < roadnet_node_count(net); v++)
        nj += roadnet_nodes(net)[v].degree >= 3;
    ck_assert_uint_eq(roadsites_junction_count(rs), nj);
    enum { N = 3000 };
    static double x[N], y[N];
    static roadsites_loc loc[N];
    uint64_t seed = 11;
    const roadnet_node *nd = roadnet_nodes(net);
    for (int i = 0; i < N; i++) { /* around random nodes, so that all outcomes occur */
        const roadnet_node *v = &nd[(size_t)(rnd(&seed) * (double)roadnet_node_count(net))];
        x[i] = v->x + (rnd(&seed) - 0.5) * 400, y[i] = v->y + (rnd(&seed) - 0.5) * 400;
    }
    size_t none;
    ck_assert_int_eq(roadsites_assign(rs, N, x, y, NULL, loc, &none, err, sizeof err), HZ_OK);
    const roadnet_seg *sg = roadnet_segs(net);
    const double *vx, *vy;
    roadnet_xy(net, &vx, &vy);
    for (int i = 0; i < N; i++) {
        double best = INFINITY, bt = 0;
        int64_t b = -1;
        for (size_t v = 0; v < roadnet_node_count(net); v++) {
            double d = hypot(x[i] - nd[v].x, y[i] - nd[v].y);
            if (nd[v].degree >= 3 && d <= 50 && d < best) best = d, b = (int64_t)v;
        }
        if (b >= 0) {
            ck_assert_int_eq(loc[i].kind, ROADSITES_JUNCTION);
            ck_assert_uint_eq(roadsites_junctions(rs)[loc[i].site].node, (uint32_t)b);
            continue;
        }
        for (size_t s = 0; s < roadnet_seg_count(net); s++) {
            double tt, d = pt_seg(x[i], y[i], vx[sg[s].pts], vy[sg[s].pts], vx[sg[s].pts + 1],
                                  vy[sg[s].pts + 1], &tt);
            if (d <= 30 && d < best) best = d, b = (int64_t)s, bt = tt;
        }
        if (b < 0) {
            ck_assert_int_eq(loc[i].kind, ROADSITES_NONE);
            continue;
        }
        uint32_t c;
        roadsites_seg_place(rs, (uint32_t)b, &c, NULL);
        ck_assert_int_eq(loc[i].kind, ROADSITES_SECTION);
        ck_assert_uint_eq(loc[i].site, c);
        ck_assert_double_eq_tol(loc[i].pos, roadsites_section_pos(rs, (uint32_t)b, bt), 1e-6);
    }
    roadsites_free(rs);
    roadnet_free(net);
}
END_TEST

Suite *screen_suite(void)
{
    Suite *s = suite_create("screen");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sections);
    tcase_add_test(tc, test_assign_brute);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_eb_hand);
    tcase_add_test(tc, test_spf_fit);
    tcase_add_test(tc, test_rules);
    tcase_add_test(tc, test_ranking);
    tcase_add_test(tc, test_spf_file_errors);
    tcase_add_test(tc, test_no_period);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_real_network);
    suite_add_tcase(s, tc);
    return s;
}
