/* tilerender_bench.c - raw density-tile render times (no HTTP, no cache) per zoom level.
 *
 *   tilerender_bench DB N [TILES_PER_ZOOM [auto|exact|binned]]
 * Creates DB (when absent) with N synthetic incidents over the Jinjiang district, Chengdu:
 * 70 % in 40 Gaussian clusters (sd 150-600 m), 30 % uniform over the district's box, dated
 * 2012-2014; then loads the snapshot and renders TILES_PER_ZOOM (default 40) random tiles
 * holding data at each zoom 10..18, uncached (a fresh point set is built first and timed
 * separately), and prints one markdown table row per zoom: median, p95, max ms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/tilemath.h"
#include "hazmap/tilerender.h"

#define W 104.05
#define S 30.56
#define E 104.16
#define N 30.67

static uint64_t seed = 12345;
static double rnd(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(seed >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(rnd())) * cos(2 * M_PI * rnd());
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int create(const char *path, long n)
{
    char err[512], sid[32], when[40];
    store *st = store_open(path, STORE_CREATE, err, sizeof err);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    double cl[40][3];
    for (int k = 0; k < 40; k++) {
        cl[k][0] = W + rnd() * (E - W);
        cl[k][1] = S + rnd() * (N - S);
        cl[k][2] = (150 + rnd() * 450) / 111000.0;
    }
    store_begin(st, err, sizeof err);
    for (long k = 0; k < n; k++) {
        hz_incident_rec r = {.source = "bench", .source_id = sid, .victims = 1, .age = 30,
                             .disability = -1, .mechanism = 1 + (int)(rnd() * 5),
                             .severity = 1 + (int)(rnd() * 4), .occurred_at = when};
        snprintf(sid, sizeof sid, "%ld", k);
        if (rnd() < 0.7) {
            int c = (int)(rnd() * 40);
            r.lon = cl[c][0] + gauss() * cl[c][2] / cos(30.6 * M_PI / 180);
            r.lat = cl[c][1] + gauss() * cl[c][2];
        } else {
            r.lon = W + rnd() * (E - W);
            r.lat = S + rnd() * (N - S);
        }
        long day = (long)(rnd() * 1095);
        r.t = 1325347200 + day * 86400; /* 2012-01-01 local-ish */
        snprintf(when, sizeof when, "2012-01-01T00:00:00+08:00");
        store_put_outcome o;
        if (store_incident_put(st, &r, &o, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "%s\n", err);
            store_close(st);
            return -1;
        }
    }
    int rc = store_commit(st, err, sizeof err) == HZ_OK ? 0 : -1;
    store_close(st);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tilerender_bench DB N [TILES_PER_ZOOM [auto|exact|binned]]\n");
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    int per = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 40;
    if (access(argv[1], F_OK) != 0) {
        double t0 = now_ms();
        if (create(argv[1], n) != 0) return 1;
        fprintf(stderr, "created %ld incidents in %.1f s\n", n, (now_ms() - t0) / 1e3);
    }
    char err[512];
    store *st = store_open(argv[1], STORE_READONLY, err, sizeof err);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t0 = now_ms();
    incset *s = incset_load(st, NULL, err, sizeof err);
    store_close(st);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    fprintf(stderr, "loaded %zu incidents in %.1f s\n", incset_count(s), (now_ms() - t0) / 1e3);
    tilerender *r = tilerender_new(s, 0, err, sizeof err);
    tile_params p;
    tilerender_params_init(&p);
    if (argc > 4 && strcmp(argv[4], "exact") == 0) p.method = TILERENDER_EXACT;
    if (argc > 4 && strcmp(argv[4], "binned") == 0) p.method = TILERENDER_BINNED;
    float *v = malloc(256 * 256 * sizeof *v);
    t0 = now_ms();
    tilerender_density(r, &p, 10, 808, 420, v, NULL, err, sizeof err);
    printf("first tile (builds the filter's point set): %.1f ms\n\n", now_ms() - t0);
    printf("| zoom | tiles | method | cell m | points/tile (median) | median ms | p95 ms | max ms "
           "| PNG bytes (median) |\n|---|---|---|---|---|---|---|---|---|\n");
    double *ms = malloc((size_t)per * sizeof *ms), *pts = malloc((size_t)per * sizeof *pts),
           *sz = malloc((size_t)per * sizeof *sz);
    for (int z = 10; z <= 18; z++) {
        tile_info info = {0};
        int done = 0;
        for (int k = 0; done < per && k < per * 50; k++) {
            /* Random tiles around incidents, so most hold data. */
            const hz_incident *it = &incset_items(s)[(size_t)(rnd() * (double)incset_count(s))];
            int x, y;
            tilemath_lonlat_to_tile(it->lon, it->lat, z, &x, &y);
            unsigned char *png;
            size_t len;
            double a = now_ms();
            if (tilerender_png(r, &p, z, x, y, &png, &len, &info, err, sizeof err) != HZ_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            ms[done] = now_ms() - a;
            pts[done] = (double)info.points;
            sz[done] = (double)len;
            free(png);
            done++;
        }
        qsort(ms, (size_t)done, sizeof *ms, cmp_d);
        qsort(pts, (size_t)done, sizeof *pts, cmp_d);
        qsort(sz, (size_t)done, sizeof *sz, cmp_d);
        int i95 = (int)ceil(0.95 * done) - 1;
        printf("| %d | %d | %s | %g | %.0f | %.1f | %.1f | %.1f | %.0f |\n", z, done,
               info.method == TILERENDER_EXACT ? "exact" : "binned", info.cell, pts[done / 2],
               ms[done / 2], ms[i95], ms[done - 1], sz[done / 2]);
    }
    free(ms);
    free(pts);
    free(sz);
    free(v);
    tilerender_free(r);
    incset_free(s);
    return 0;
}
