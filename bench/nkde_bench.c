/* nkde_bench.c - benchmark driver for nkde_compute(): a real road network read from GeoJSON,
 * synthetic incidents along it, the median time of several runs, and the straightforward
 * reference (nkde_compute_reference()) side by side with the error between the two.
 *
 * Built by bench/nkde.sh against build/libhazmap.a (not by the Makefile).
 *   nkde_bench ROADS.geojson N [--method discontinuous] [--kernel quartic] [--lixel 20]
 *              [--h 300] [--snap 30] [--threads 2] [--reps 3] [--reference 0|1] [--seed 1]
 * ROADS: a FeatureCollection of LineStrings with properties edge_id, u, v (node ids), WGS84;
 * projected to UTM 48N (EPSG:32648). Incidents: 40 % uniform along the roads by length, 59.5 %
 * in 150 clusters (a random road position, then a Gaussian offset of sigma 60-250 m, moved onto
 * the nearest road within 300 m), each then jittered by a Gaussian of 4 m across both axes;
 * 0.5 % far off the network (unsnapped). Prints one JSON line: {"n", "segments", "km",
 * "lixels", "method", "kernel", "lixel", "h", "threads", "snapped", "unsnapped", "times",
 * "median_s", "cpu_median_s", "ref_s", "ref_cpu_s", "ratio", "max_rel_err", "max_value",
 * "max_rss_mb" (the process's peak, points and network included)}; the
 * error is max |fast - reference| / reference over lixels above 1 % of the maximum. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "hazmap/nkde.h"
#include "hazmap/workcrs.h"

static uint64_t seed_state = 1;

static double rnd(void)
{
    uint64_t *s = &seed_state;
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
    double u = rnd(), v = rnd();
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The network of a GeoJSON file of edges, or NULL (message printed). */
static roadnet *load_roads(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    json_t *feats = root ? json_object_get(root, "features") : NULL;
    if (!json_is_array(feats)) {
        fprintf(stderr, "nkde_bench: %s: %s\n", path, root ? "no features" : je.text);
        json_decref(root);
        return NULL;
    }
    size_t n = json_array_size(feats), npts = 0;
    for (size_t i = 0; i < n; i++)
        npts += json_array_size(
            json_object_get(json_object_get(json_array_get(feats, i), "geometry"), "coordinates"));
    roadnet_seg_in *in = calloc(n ? n : 1, sizeof *in);
    double *buf = malloc(4 * (npts ? npts : 1) * sizeof *buf);
    char err[256];
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    size_t m = 0, p = 0;
    for (size_t i = 0; w && in && buf && i < n; i++) {
        json_t *f = json_array_get(feats, i), *pr = json_object_get(f, "properties");
        json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
        size_t k = json_array_size(co);
        double *lon = buf + p, *lat = lon + k, *x = lat + k, *y = x + k;
        for (size_t j = 0; j < k; j++) {
            lon[j] = json_number_value(json_array_get(json_array_get(co, j), 0));
            lat[j] = json_number_value(json_array_get(json_array_get(co, j), 1));
        }
        workcrs_forward(w, k, lon, lat, x, y);
        p += 4 * k;
        double len = 0;
        for (size_t j = 1; j < k; j++)
            len += hypot(x[j] - x[j - 1], y[j] - y[j - 1]);
        if (k < 2 || !(len > 0)) continue; /* zero-length edges carry no lixel */
        in[m++] = (roadnet_seg_in){.id = json_integer_value(json_object_get(pr, "edge_id")),
                                   .from = json_integer_value(json_object_get(pr, "u")),
                                   .to = json_integer_value(json_object_get(pr, "v")),
                                   .npts = k,
                                   .x = x,
                                   .y = y,
                                   .lon = lon,
                                   .lat = lat,
                                   .lanes = -1};
    }
    roadnet *net = w && in && buf ? roadnet_build(m, in, err, sizeof err) : NULL;
    if (!net) fprintf(stderr, "nkde_bench: %s: %s\n", path, err);
    workcrs_free(w);
    free(in);
    free(buf);
    json_decref(root);
    return net;
}

/* A uniformly random position along the network (by length): x, y. */
static void on_road(const roadnet *net, const double *cum, double *x, double *y)
{
    size_t ns = roadnet_seg_count(net), lo = 0, hi = ns - 1;
    double t = rnd() * cum[ns - 1];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    roadnet_point_at(net, (uint32_t)lo, rnd() * roadnet_segs(net)[lo].length, x, y, NULL, NULL);
}

static void make_points(const roadnet *net, size_t n, double *x, double *y)
{
    size_t ns = roadnet_seg_count(net);
    double *cum = malloc(ns * sizeof *cum), acc = 0;
    for (size_t i = 0; i < ns; i++)
        cum[i] = acc += roadnet_segs(net)[i].length;
    enum { NC = 150 };
    double cx[NC], cy[NC], cs[NC];
    for (int c = 0; c < NC; c++) {
        on_road(net, cum, &cx[c], &cy[c]);
        cs[c] = 60 + 190 * rnd();
    }
    for (size_t q = 0; q < n; q++) {
        double r = rnd();
        if (r < 0.4) {
            on_road(net, cum, &x[q], &y[q]);
        } else if (r < 0.995) {
            int c = (int)(rnd() * NC);
            roadnet_hit hit;
            do {
                x[q] = cx[c] + cs[c] * gauss(), y[q] = cy[c] + cs[c] * gauss();
            } while (!roadnet_nearest(net, x[q], y[q], 300, &hit));
            roadnet_point_at(net, hit.seg, hit.s, &x[q], &y[q], NULL, NULL);
        } else {
            x[q] = cx[0] + 50000 + 1000 * rnd(), y[q] = cy[0];
        }
        x[q] += 4 * gauss(), y[q] += 4 * gauss();
    }
    free(cum);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: nkde_bench ROADS.geojson N [options]\n");
        return 2;
    }
    size_t n = (size_t)strtoull(argv[2], NULL, 10);
    nkde_opts o;
    nkde_opts_init(&o);
    o.nthreads = 2;
    int reps = 3, reference = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--method") && nkde_method_parse(v, &o.method) == 0) continue;
        if (!strcmp(k, "--kernel") && nkde_kernel_parse(v, &o.kernel) == 0) continue;
        if (!strcmp(k, "--lixel"))
            o.lixel = strtod(v, NULL);
        else if (!strcmp(k, "--h"))
            o.bandwidth = strtod(v, NULL);
        else if (!strcmp(k, "--snap"))
            o.snap = strtod(v, NULL);
        else if (!strcmp(k, "--threads"))
            o.nthreads = atoi(v);
        else if (!strcmp(k, "--max-depth"))
            o.max_depth = atoi(v);
        else if (!strcmp(k, "--reps"))
            reps = atoi(v);
        else if (!strcmp(k, "--reference"))
            reference = atoi(v);
        else if (!strcmp(k, "--seed"))
            seed_state = strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
        else {
            fprintf(stderr, "nkde_bench: bad option %s %s\n", k, v);
            return 2;
        }
    }
    roadnet *net = load_roads(argv[1]);
    if (!net) return 1;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    make_points(net, n, x, y);
    hz_points p = {.n = n, .x = x, .y = y};
    char err[512];
    double times[64], cpus[64];
    if (reps > 64) reps = 64;
    nkde_result *r = NULL;
    for (int k = 0; k < reps; k++) {
        nkde_result_free(r);
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (nkde_compute(net, &p, &o, &r, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "nkde_bench: %s\n", err);
            return 1;
        }
        times[k] = clock_s(CLOCK_MONOTONIC) - t0;
        cpus[k] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    printf("{\"n\": %zu, \"segments\": %zu, \"km\": %.1f, \"lixels\": %zu, \"method\": \"%s\", "
           "\"kernel\": \"%s\", \"lixel\": %g, \"h\": %g, \"threads\": %d, \"snapped\": %zu, "
           "\"unsnapped\": %zu, \"max_depth\": %d, \"times\": [",
           n, roadnet_seg_count(net), roadnet_total_length(net) / 1000, r->nlixels,
           nkde_method_name(o.method), nkde_kernel_name(o.kernel), o.lixel, o.bandwidth, o.nthreads,
           r->snapped, r->unsnapped, o.max_depth);
    for (int k = 0; k < reps; k++)
        printf("%s%.4f", k ? ", " : "", times[k]);
    double vmax = 0;
    for (size_t j = 0; j < r->nlixels; j++)
        vmax = fmax(vmax, r->density[j]);
    printf("], \"median_s\": %.4f, \"cpu_median_s\": %.4f, \"max_value\": %.6g",
           median(times, reps), median(cpus, reps), vmax);
    if (reference) {
        nkde_result *ref = NULL;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (nkde_compute_reference(net, &p, &o, &ref, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "nkde_bench: reference: %s\n", err);
            return 1;
        }
        double rs = clock_s(CLOCK_MONOTONIC) - t0, rc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        double e = 0;
        for (size_t j = 0; j < r->nlixels; j++)
            if (ref->density[j] > 0.01 * vmax)
                e = fmax(e, fabs(r->density[j] - ref->density[j]) / ref->density[j]);
        printf(", \"ref_s\": %.3f, \"ref_cpu_s\": %.3f, \"ratio\": %.1f, \"max_rel_err\": %.3g", rs,
               rc, rs / median(times, reps), e);
        nkde_result_free(ref);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf(", \"max_rss_mb\": %.0f}\n", ru.ru_maxrss / 1024.0);
    nkde_result_free(r);
    roadnet_free(net);
    free(x);
    free(y);
    return 0;
}
