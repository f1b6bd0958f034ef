/* hotspots_bench.c - times Gi* hot spots in auto mode on synthetic clustered incidents over
 * Jinjiang.
 *
 *   hotspots_bench AREAS_TXT N [RUNS] [THREADS] [CELLS_CSV]
 *
 * Reads the district outline (first area) from data/jinjiang_areas.txt, projects it to UTM 48N,
 * generates N incidents (seeded: 70 % uniform over the district's box kept inside the outline,
 * 30 % in 40 Gaussian clusters of sigma 30-150 m), and runs hotspots_compute() in auto mode RUNS
 * times, printing one line per run: seconds for the analysis and for the GeoJSON. CELLS_CSV, if
 * given, receives the first run's cells (cx, cy, value, z) so a peer can recompute Gi* on them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/benchclock.h"
#include "hazmap/hotspots.h"
#include "hazmap/workcrs.h"

/* A 64-bit LCG (Knuth's MMIX constants): the same points on every machine. */
static double unif(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*rng >> 11) / 9007199254740992.0;
}

static double gauss(uint64_t *rng)
{
    double u = unif(rng), v = unif(rng);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static int inside(const double *xy, size_t n, double x, double y)
{
    int in = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hotspots_bench AREAS_TXT N [RUNS] [THREADS]\n");
        return 2;
    }
    size_t n = (size_t)strtoul(argv[2], NULL, 10);
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    int threads = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    /* the first area's first ring */
    char line[512];
    size_t cap = 0, np = 0;
    double *xy = NULL;
    int areas = 0, inring = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (strncmp(line, "area ", 5) == 0) {
            if (++areas > 1) break;
            continue;
        }
        if (strncmp(line, "ring ", 5) == 0) {
            if (inring) break;
            inring = 1;
            cap = (size_t)strtoul(line + 5, NULL, 10);
            xy = malloc(2 * cap * sizeof *xy);
            continue;
        }
        if (inring && np < cap && sscanf(line, "%lf %lf", &xy[2 * np], &xy[2 * np + 1]) == 2) np++;
    }
    fclose(f);
    if (!np) {
        fprintf(stderr, "no ring in %s\n", argv[1]);
        return 1;
    }
    char err[512];
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double *lon = malloc(np * sizeof *lon), *lat = malloc(np * sizeof *lat);
    for (size_t i = 0; i < np; i++) {
        lon[i] = xy[2 * i];
        lat[i] = xy[2 * i + 1];
    }
    workcrs_forward(w, np, lon, lat, lon, lat);
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < np; i++) {
        xy[2 * i] = lon[i];
        xy[2 * i + 1] = lat[i];
        bb[0] = fmin(bb[0], lon[i]);
        bb[1] = fmin(bb[1], lat[i]);
        bb[2] = fmax(bb[2], lon[i]);
        bb[3] = fmax(bb[3], lat[i]);
    }
    uint64_t rng = 0x2014123120121231ull;
    hz_points p = {0};
    p.x = malloc(n * sizeof *p.x);
    p.y = malloc(n * sizeof *p.y);
    p.w = malloc(n * sizeof *p.w);
    p.idx = malloc(n * sizeof *p.idx);
    double cl[40][3];
    for (int k = 0; k < 40; k++) {
        do {
            cl[k][0] = bb[0] + (bb[2] - bb[0]) * unif(&rng);
            cl[k][1] = bb[1] + (bb[3] - bb[1]) * unif(&rng);
        } while (!inside(xy, np, cl[k][0], cl[k][1]));
        cl[k][2] = 30 + 120 * unif(&rng);
    }
    while (p.n < n) {
        double x, y;
        if (unif(&rng) < 0.3) {
            int k = (int)(unif(&rng) * 40);
            x = cl[k][0] + cl[k][2] * gauss(&rng);
            y = cl[k][1] + cl[k][2] * gauss(&rng);
        } else {
            x = bb[0] + (bb[2] - bb[0]) * unif(&rng);
            y = bb[1] + (bb[3] - bb[1]) * unif(&rng);
        }
        if (!inside(xy, np, x, y)) continue;
        p.x[p.n] = x;
        p.y[p.n] = y;
        p.w[p.n] = 1;
        p.idx[p.n] = (uint32_t)p.n;
        p.n++;
    }
    size_t rs[2] = {0, np};
    int rg[1] = {0};
    hotspots_region reg = {1, rs, rg, xy};
    hotspots_input in = {&p, &reg, "EPSG:32648", "", 0, -1};
    hotspots_params par;
    hotspots_params_init(&par);
    par.nthreads = threads;
    for (int r = 0; r < runs; r++) {
        char why[4096];
        hotspots_result *res;
        double t0 = bench_now();
        if (hotspots_compute(&in, &par, &res, why, sizeof why, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t1 = bench_now();
        char *text;
        size_t tlen;
        if (hotspots_geojson_text(res, 0, &text, &tlen, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double t2 = bench_now();
        size_t nc;
        const hotspots_cell *c = hotspots_cells(res, &nc);
        int hot = 0;
        for (size_t i = 0; i < nc; i++)
            hot += c[i].confidence == 99;
        printf("n=%zu run=%d analysis_s=%.4f geojson_s=%.4f cells=%zu cell_m=%.0f band_m=%.0f "
               "hot99=%d\n",
               n, r, t1 - t0, t2 - t1, nc, hotspots_cell_size(res), hotspots_band(res), hot);
        if (r == 0) fprintf(stderr, "%s", why);
        if (r == 0 && argc > 5) {
            FILE *o = fopen(argv[5], "w");
            if (!o) {
                perror(argv[5]);
                return 1;
            }
            fprintf(o, "cx,cy,value,z\n");
            for (size_t i = 0; i < nc; i++)
                fprintf(o, "%.3f,%.3f,%.17g,%.17g\n", c[i].cx, c[i].cy, c[i].value, c[i].z);
            fclose(o);
        }
        free(text);
        hotspots_free(res);
    }
    hz_points_free(&p);
    free(xy);
    free(lon);
    free(lat);
    workcrs_free(w);
    return 0;
}
