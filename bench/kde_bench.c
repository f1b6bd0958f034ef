/* kde_bench.c - benchmark driver for kde_compute(): synthetic clustered incidents over the
 * district, the median time of several runs, and the error against exact evaluation.
 *
 * Built by bench/kde.sh against build/libhazmap.a (not by the Makefile).
 *   kde_bench N [--h 500] [--cell 10] [--nx 1100] [--ny 1200] [--kernel quartic] [--seed 1]
 *             [--threads 2] [--reps 5] [--samples 400] [--csv FILE]
 *             [--x0 M --y1 M] [--compare FILE.raw]
 * Prints one JSON line: {"n", "kernel", "h", "cell", "nx", "ny", "threads", "times": [..],
 * "median_s", "cpu_median_s" (process CPU time, all threads), "max_rel_err", "cells_checked",
 * "max_value"}; with --compare also "cmp": the distribution of other / ours over the cells
 * where ours is above 1 % of its maximum (another tool's nx x ny Float32 grid in the same
 * order, e.g. QGIS's heatmap converted with gdal_translate -of ENVI; its nodata -9999 counts
 * as 0). --x0/--y1 place the grid (default: the synthetic district box's corner).
 * Exact evaluation: for sampled cells whose value is above 1 % of the grid's maximum (and the
 * maximum cell itself), the kernel sum over every point, accumulated in long double. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hazmap/kde.h"

/* Jinjiang district in UTM 48N, roughly: 11 km x 12 km. */
#define X0 404000.0
#define Y1 3397000.0

static double rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gauss(uint64_t *s)
{
    double u = rnd(s), v = rnd(s);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Ratio other / ours over the cells where ours is above 1 % of its maximum: quantiles, and the
 * other grid's maximum over ours (a shape check that needs no cell-by-cell alignment). */
static int compare(const char *path, const float *ours, size_t nc, double vmax)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    float *o = malloc(nc * sizeof *o);
    double *r = malloc(nc * sizeof *r);
    size_t got = fread(o, sizeof *o, nc, f);
    fclose(f);
    if (got != nc) {
        fprintf(stderr, "kde_bench: %s holds %zu cells, expected %zu\n", path, got, nc);
        return 1;
    }
    size_t m = 0;
    double omax = 0, sum_o = 0, sum_us = 0;
    for (size_t c = 0; c < nc; c++) {
        double v = o[c] == -9999.0f ? 0 : o[c];
        if (v > omax) omax = v;
        sum_o += v;
        sum_us += ours[c];
        if (ours[c] > 0.01 * vmax) r[m++] = v / ours[c];
    }
    qsort(r, m, sizeof *r, cmp_d);
#define Q(p) r[(size_t)((p) * (double)(m - 1) + 0.5)]
    printf(", \"cmp\": {\"cells\": %zu, \"min\": %.6g, \"p01\": %.6g, \"p05\": %.6g, "
           "\"median\": %.6g, \"p95\": %.6g, \"p99\": %.6g, \"max\": %.6g, "
           "\"max_ratio\": %.6g, \"sum_ratio\": %.6g}",
           m, r[0], Q(0.01), Q(0.05), Q(0.5), Q(0.95), Q(0.99), r[m - 1], omax / vmax,
           sum_o / sum_us);
#undef Q
    free(o);
    free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: kde_bench N [--h M] [--cell M] [--nx N] [--ny N] [--kernel K] "
                        "[--seed S] [--threads T] [--reps R] [--samples S] [--csv FILE]\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    double h = 500, cell = 10;
    int nx = 1100, ny = 1200, threads = 2, reps = 5, samples = 400;
    uint64_t seed = 1;
    const char *kname = "quartic", *csv = NULL, *cmpfile = NULL;
    double gx0 = X0, gy1 = Y1;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--h"))
            h = strtod(v, NULL);
        else if (!strcmp(k, "--cell"))
            cell = strtod(v, NULL);
        else if (!strcmp(k, "--nx"))
            nx = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--ny"))
            ny = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--kernel"))
            kname = v;
        else if (!strcmp(k, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--threads"))
            threads = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--reps"))
            reps = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--samples"))
            samples = (int)strtol(v, NULL, 10);
        else if (!strcmp(k, "--csv"))
            csv = v;
        else if (!strcmp(k, "--x0"))
            gx0 = strtod(v, NULL);
        else if (!strcmp(k, "--y1"))
            gy1 = strtod(v, NULL);
        else if (!strcmp(k, "--compare"))
            cmpfile = v;
        else {
            fprintf(stderr, "kde_bench: unknown option %s\n", k);
            return 2;
        }
    }
    kde_kernel kern;
    if (kde_kernel_parse(kname, &kern) != 0) {
        fprintf(stderr, "kde_bench: unknown kernel %s\n", kname);
        return 2;
    }
    if (reps < 1) reps = 1;
    /* 60 % in 40 clusters (sd 80-400 m), 40 % uniform background: incident maps are clustered
     * along roads and junctions with a diffuse remainder. */
    double W = 1100 * 10.0, Hgt = 1200 * 10.0; /* the points' box, whatever the grid */
    hz_points p = {
        n, malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)), NULL,
        0};
    double cx[40], cy[40], cs[40];
    for (int c = 0; c < 40; c++) {
        cx[c] = X0 + (0.1 + 0.8 * rnd(&seed)) * W;
        cy[c] = Y1 - (0.1 + 0.8 * rnd(&seed)) * Hgt;
        cs[c] = 80 + 320 * rnd(&seed);
    }
    for (size_t q = 0; q < n; q++) {
        if (rnd(&seed) < 0.6) {
            int c = (int)(rnd(&seed) * 40) % 40;
            p.x[q] = cx[c] + cs[c] * gauss(&seed);
            p.y[q] = cy[c] + cs[c] * gauss(&seed);
        } else {
            p.x[q] = X0 + rnd(&seed) * W;
            p.y[q] = Y1 - rnd(&seed) * Hgt;
        }
        p.w[q] = 1;
    }
    if (csv) {
        FILE *f = fopen(csv, "w");
        if (!f) {
            perror(csv);
            return 1;
        }
        fprintf(f, "x,y\n");
        for (size_t q = 0; q < n; q++)
            fprintf(f, "%.3f,%.3f\n", p.x[q], p.y[q]);
        fclose(f);
    }
    kde_grid g = {gx0, gy1, cell, nx, ny};
    size_t nc = (size_t)nx * ny;
    float *out = malloc(nc * sizeof *out);
    /* Wall time, and the process's CPU time (both threads): on a shared machine the wall time
     * includes waiting for a core, the CPU time does not. */
    double *times = malloc((size_t)reps * sizeof *times), *cpu = malloc((size_t)reps * sizeof *cpu);
    double *sorted = malloc((size_t)reps * sizeof *sorted);
    char err[256];
    for (int r = 0; r < reps; r++) {
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (kde_compute(&p, kern, h, 1e6, &g, threads, out, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "kde_bench: %s\n", err);
            return 1;
        }
        times[r] = clock_s(CLOCK_MONOTONIC) - t0;
        cpu[r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    memcpy(sorted, times, (size_t)reps * sizeof *sorted);
    double med = median(sorted, reps);
    memcpy(sorted, cpu, (size_t)reps * sizeof *sorted);
    double cmed = median(sorted, reps);

    size_t imax = 0;
    for (size_t c = 0; c < nc; c++)
        if (out[c] > out[imax]) imax = c;
    double vmax = out[imax], worst = 0;
    int checked = 0;
    uint64_t s2 = seed ^ 0x9e3779b97f4a7c15ULL;
    for (int tries = 0; checked < samples && tries < samples * 200; tries++) {
        size_t c = tries == 0 ? imax : (size_t)(rnd(&s2) * (double)nc) % nc;
        if (out[c] < 0.01 * vmax) continue;
        double ccx = gx0 + ((double)(c % nx) + 0.5) * cell,
               ccy = gy1 - ((double)(c / nx) + 0.5) * cell;
        long double sum = 0;
        for (size_t q = 0; q < n; q++)
            sum += kde_kernel_value(kern, h, hypot(p.x[q] - ccx, p.y[q] - ccy));
        double exact = (double)sum * 1e6;
        double e = fabs(out[c] - exact) / exact;
        if (e > worst) worst = e;
        checked++;
    }
    printf("{\"n\": %zu, \"kernel\": \"%s\", \"h\": %g, \"cell\": %g, \"nx\": %d, \"ny\": %d, "
           "\"threads\": %d, \"times\": [",
           n, kde_kernel_name(kern), h, cell, nx, ny, threads);
    for (int r = 0; r < reps; r++)
        printf("%s%.4f", r ? ", " : "", times[r]);
    printf("], \"median_s\": %.4f, \"cpu_median_s\": %.4f, \"max_rel_err\": %.3g, "
           "\"cells_checked\": %d, \"max_value\": %.6g",
           med, cmed, worst, checked, vmax);
    if (cmpfile && compare(cmpfile, out, nc, vmax) != 0) return 1;
    printf("}\n");
    free(out);
    free(times);
    free(cpu);
    free(sorted);
    free(p.x);
    free(p.y);
    free(p.w);
    return 0;
}
