/* screen_bench.c - times network screening (screen_run_crashes) of seeded synthetic incidents on
 * the real Jinjiang road network, against a brute-force nearest assignment (bench/screen.sh).
 *
 *   screen_bench EDGES.geojson N RUNS SAMPLE
 * Reads the edges (jansson), projects them to UTM 48N (EPSG:32648, workcrs) and builds the
 * roadnet (edges of zero length - a node joined to itself by a straight line - are skipped).
 * N incidents: 85 % along the network (a segment drawn in proportion to its length, 5 % of the
 * segments 10 times as likely, a uniform position on it, a Gaussian offset of sigma 10 m), 15 %
 * uniform in the network's bounding box; severities fatal 1 %, serious 9 %, minor 50 %, none
 * 40 %; times uniform over 2019-2021. Prints per run "run=k seconds=S" for the whole
 * screen_run_crashes() call (sites built once before), then "assign_seconds=A" (median of RUNS
 * roadsites_assign() calls alone, wall and CPU), then the references, in CPU time of one thread:
 * the network's generic nearest queries on the first 100,000 incidents, and the nearest junction
 * and segment by scanning every node and segment for the first SAMPLE incidents
 * ("brute_per_point_us=U brute_scaled_seconds=B agree=K/SAMPLE"), both scaled to N; and a
 * summary line of the result. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hazmap/hztime.h"
#include "hazmap/roadsites.h"
#include "hazmap/screen.h"
#include "hazmap/workcrs.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double rnd(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static int cmp_d(const void *a, const void *b)
{
    double p = *(const double *)a, q = *(const double *)b;
    return p < q ? -1 : p > q;
}

/* The network of the GeoJSON edges; NULL on failure (message printed). */
static roadnet *load(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return NULL;
    }
    json_t *feats = json_object_get(root, "features");
    size_t n = json_array_size(feats), m = 0;
    roadnet_seg_in *in = calloc(n, sizeof *in);
    double *buf = calloc(n * 8, sizeof *buf);
    char err[256];
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    if (!in || !buf || !w) return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(feats, i), *p = json_object_get(f, "properties");
        json_t *c = json_object_get(json_object_get(f, "geometry"), "coordinates");
        if (json_array_size(c) != 2) continue;
        double *lon = buf + 8 * m, *lat = lon + 2, *x = lon + 4, *y = lon + 6;
        for (int k = 0; k < 2; k++) {
            lon[k] = json_number_value(json_array_get(json_array_get(c, (size_t)k), 0));
            lat[k] = json_number_value(json_array_get(json_array_get(c, (size_t)k), 1));
        }
        workcrs_forward(w, 2, lon, lat, x, y);
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
    roadnet *net = roadnet_build(m, in, err, sizeof err);
    if (!net) fprintf(stderr, "roadnet_build: %s\n", err);
    workcrs_free(w);
    free(in);
    free(buf);
    json_decref(root);
    return net;
}

static void make_crashes(const roadnet *net, size_t n, screen_crash *c)
{
    unsigned long long seed = 20190101;
    size_t ns = roadnet_seg_count(net);
    const roadnet_seg *sg = roadnet_segs(net);
    double *cum = malloc((ns + 1) * sizeof *cum);
    cum[0] = 0;
    for (size_t s = 0; s < ns; s++)
        cum[s + 1] = cum[s] + sg[s].length * (rnd(&seed) < 0.05 ? 10 : 1);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t v = 0; v < roadnet_node_count(net); v++) {
        const roadnet_node *nd = &roadnet_nodes(net)[v];
        x0 = fmin(x0, nd->x), x1 = fmax(x1, nd->x), y0 = fmin(y0, nd->y), y1 = fmax(y1, nd->y);
    }
    int64_t t0 = hztime_days_from_civil(2019, 1, 1) * 86400, span = 3 * 365 * 86400;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (rnd(&seed) < 0.85) {
            double u = rnd(&seed) * cum[ns];
            size_t lo = 0, hi = ns;
            while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (cum[mid] <= u)
                    lo = mid;
                else
                    hi = mid;
            }
            roadnet_point_at(net, (uint32_t)lo, rnd(&seed) * sg[lo].length, &x, &y, NULL, NULL);
            double r = 10 * sqrt(-2 * log(1 - rnd(&seed))), a = 2 * M_PI * rnd(&seed);
            x += r * cos(a), y += r * sin(a);
        } else {
            x = x0 + rnd(&seed) * (x1 - x0), y = y0 + rnd(&seed) * (y1 - y0);
        }
        double u = rnd(&seed);
        uint8_t sev = u < 0.01  ? HZ_SEV_FATAL
                      : u < 0.1 ? HZ_SEV_SERIOUS
                      : u < 0.6 ? HZ_SEV_MINOR
                                : HZ_SEV_NONE;
        c[i] = (screen_crash){x, y, t0 + (int64_t)(rnd(&seed) * (double)span), sev};
    }
    free(cum);
}

static double seg_dist(const roadnet *net, uint32_t s, double px, double py, double *along)
{
    const double *x, *y;
    roadnet_xy(net, &x, &y);
    const roadnet_seg *g = &roadnet_segs(net)[s];
    double best = INFINITY, acc = 0;
    for (uint32_t k = 0; k + 1 < g->npts; k++) {
        size_t p = g->pts + k;
        double dx = x[p + 1] - x[p], dy = y[p + 1] - y[p], l2 = dx * dx + dy * dy;
        double t = l2 > 0 ? ((px - x[p]) * dx + (py - y[p]) * dy) / l2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double d = hypot(px - x[p] - t * dx, py - y[p] - t * dy);
        if (d < best) best = d, *along = acc + t * sqrt(l2);
        acc += sqrt(l2);
    }
    return best;
}

/* The reference: every node and every segment scanned for each point. */
static roadsites_loc brute(const roadsites *rs, double px, double py)
{
    const roadnet *net = roadsites_net(rs);
    const roadnet_node *nd = roadnet_nodes(net);
    double best = INFINITY, along = 0, ba = 0;
    int64_t bj = -1, bs = -1;
    for (size_t v = 0; v < roadnet_node_count(net); v++) {
        double d = hypot(px - nd[v].x, py - nd[v].y);
        if (nd[v].degree >= 3 && d <= 50 && d < best) best = d, bj = (int64_t)v;
    }
    if (bj >= 0)
        return (roadsites_loc){ROADSITES_JUNCTION,
                               (uint32_t)roadsites_node_junction(rs, (uint32_t)bj), 0};
    best = INFINITY;
    for (size_t s = 0; s < roadnet_seg_count(net); s++) {
        double d = seg_dist(net, (uint32_t)s, px, py, &along);
        if (d <= 30 && d < best) best = d, bs = (int64_t)s, ba = along;
    }
    if (bs < 0) return (roadsites_loc){0, 0, 0};
    uint32_t sec;
    roadsites_seg_place(rs, (uint32_t)bs, &sec, NULL);
    return (roadsites_loc){ROADSITES_SECTION, sec, roadsites_section_pos(rs, (uint32_t)bs, ba)};
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: screen_bench EDGES.geojson N RUNS SAMPLE\n");
        return 2;
    }
    size_t n = strtoull(argv[2], NULL, 10), sample = strtoull(argv[4], NULL, 10);
    int runs = (int)strtol(argv[3], NULL, 10);
    roadnet *net = load(argv[1]);
    if (!net) return 1;
    char err[256];
    double tb = now();
    roadsites *rs = roadsites_build(net, err, sizeof err);
    if (!rs) return 1;
    printf("network segments=%zu nodes=%zu junctions=%zu sections=%zu build_sites_seconds=%.4f\n",
           roadnet_seg_count(net), roadnet_node_count(net), roadsites_junction_count(rs),
           roadsites_section_count(rs), now() - tb);
    screen_crash *c = malloc(n * sizeof *c);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *ta = malloc(runs * sizeof *ta);
    roadsites_loc *loc = malloc(n * sizeof *loc);
    if (!c || !x || !y || !loc || !ta) return 1;
    make_crashes(net, n, c);
    for (size_t i = 0; i < n; i++)
        x[i] = c[i].x, y[i] = c[i].y;
    double sw[HZ_SEV_COUNT] = {1, 12, 12, 3, 1};
    screen_opts o;
    screen_opts_init(&o);
    screen_result *r = NULL;
    for (int k = 0; k < runs; k++) {
        screen_free(r);
        double t = now(), tc = cpu();
        if (screen_run_crashes(rs, n, c, 3.0, sw, &o, &r, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "screen_run_crashes: %s\n", err);
            return 1;
        }
        printf("run=%d seconds=%.4f cpu=%.4f\n", k + 1, now() - t, cpu() - tc);
    }
    double *tac = malloc(runs * sizeof *tac);
    for (int k = 0; k < runs; k++) {
        double t = now(), tc = cpu();
        size_t none;
        roadsites_assign(rs, n, x, y, NULL, loc, &none, err, sizeof err);
        ta[k] = now() - t;
        tac[k] = cpu() - tc;
    }
    qsort(ta, (size_t)runs, sizeof *ta, cmp_d);
    qsort(tac, (size_t)runs, sizeof *tac, cmp_d);
    printf("assign_seconds=%.4f assign_cpu=%.4f\n", ta[runs / 2], tac[runs / 2]);
    free(tac);
    /* the network's generic nearest queries (roadnet_nearest_node, roadnet_nearest), one thread,
     * on the first 100,000 incidents, CPU time scaled */
    size_t ng = n < 100000 ? n : 100000, gagree = 0;
    double tg = cpu();
    for (size_t i = 0; i < ng; i++) {
        int64_t v = roadnet_nearest_node(net, x[i], y[i], 50, 3);
        roadnet_hit hit;
        int kind = v >= 0                                       ? ROADSITES_JUNCTION
                   : roadnet_nearest(net, x[i], y[i], 30, &hit) ? ROADSITES_SECTION
                                                                : 0;
        gagree += kind == loc[i].kind;
    }
    tg = (cpu() - tg) / (double)(ng ? ng : 1);
    printf("generic_per_point_us=%.3f generic_scaled_cpu=%.3f generic_agree=%zu/%zu\n", tg * 1e6,
           tg * (double)n, gagree, ng);
    if (sample > n) sample = n;
    size_t agree = 0;
    double t = cpu();
    for (size_t i = 0; i < sample; i++) {
        roadsites_loc b = brute(rs, x[i], y[i]);
        agree += b.kind == loc[i].kind && b.site == loc[i].site && fabs(b.pos - loc[i].pos) < 1e-6;
    }
    double per = (cpu() - t) / (double)(sample ? sample : 1);
    printf("brute_per_point_us=%.2f brute_scaled_seconds=%.2f agree=%zu/%zu\n", per * 1e6,
           per * (double)n, agree, sample);
    json_t *gj = NULL;
    double t0 = now();
    screen_geojson(r, &gj, err, sizeof err);
    char *text = json_dumps(gj, JSON_COMPACT);
    double tj = now() - t0;
    printf("incidents=%lld unassigned=%lld at_junctions=%lld on_sections=%lld listed=%zu "
           "flagged=%zu section_spf_b=%.4f section_k=%.4f junction_b=%.4f junction_k=%.4f "
           "top_excess=%.2f geojson_seconds=%.3f geojson_bytes=%zu\n",
           (long long)r->incidents, (long long)r->unassigned, (long long)r->at_junctions,
           (long long)r->on_sections, r->n, r->flagged, r->spf.section.b, r->spf.section.k,
           r->spf.junction.b, r->spf.junction.k, r->n ? r->sites[0].win_eb.excess : NAN, tj,
           text ? strlen(text) : 0);
    int64_t ymax_s = 0, ymax_j = 0;
    for (size_t i = 0; i < r->n; i++) {
        int64_t *m = r->sites[i].kind == ROADSITES_JUNCTION ? &ymax_j : &ymax_s;
        *m = r->sites[i].count > *m ? r->sites[i].count : *m;
    }
    printf("max_count sections=%lld junctions=%lld\n", (long long)ymax_s, (long long)ymax_j);
    printf("spf_iter sections=%d junctions=%d converged=%d/%d\n", r->spf.section.iter,
           r->spf.junction.iter, r->spf.section.converged, r->spf.junction.converged);
    free(text);
    json_decref(gj);
    screen_free(r);
    free(c);
    free(x);
    free(y);
    free(loc);
    free(ta);
    roadsites_free(rs);
    roadnet_free(net);
    return 0;
}
