/* dbscan_bench.c - times dbscan_run() on seeded synthetic clustered points (bench/blackspots.sh).
 *
 *   dbscan_bench N EPS MINPTS RUNS POINTS.csv LABELS.txt
 * Writes the points (x,y in metres, header "x,y") for the peer, times RUNS clusterings (only the
 * dbscan_run() call, CLOCK_MONOTONIC), prints one line per run "run=k seconds=S clusters=C
 * noise=Z", and writes the labels (one per line) of the last run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hazmap/dbscan.h"

static double rnd(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: dbscan_bench N EPS MINPTS RUNS POINTS.csv LABELS.txt\n");
        return 2;
    }
    size_t n = (size_t)strtoull(argv[1], NULL, 10);
    double eps = strtod(argv[2], NULL);
    int minpts = (int)strtol(argv[3], NULL, 10), runs = (int)strtol(argv[4], NULL, 10);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    int32_t *lab = malloc(n * sizeof *lab);
    if (!x || !y || !lab) return 1;
    /* A city-like density whatever n: the side grows with sqrt(n) (20 km at 100,000 points);
     * half the points uniform, half in Gaussian clusters of ~250 points, sigma 20-80 m. */
    unsigned long long seed = 20141231;
    double side = 20000.0 * sqrt((double)n / 1e5);
    size_t ncl = n / 500 + 1;
    double *cx = malloc(ncl * sizeof *cx), *cy = malloc(ncl * sizeof *cy),
           *cs = malloc(ncl * sizeof *cs);
    for (size_t c = 0; c < ncl; c++) {
        cx[c] = rnd(&seed) * side;
        cy[c] = rnd(&seed) * side;
        cs[c] = 20 + 60 * rnd(&seed);
    }
    for (size_t i = 0; i < n; i++) {
        if (rnd(&seed) < 0.5) {
            x[i] = rnd(&seed) * side;
            y[i] = rnd(&seed) * side;
        } else {
            size_t c = (size_t)(rnd(&seed) * (double)ncl);
            double r = sqrt(-2 * log(1 - rnd(&seed))), t = 2 * M_PI * rnd(&seed);
            x[i] = cx[c] + cs[c] * r * cos(t);
            y[i] = cy[c] + cs[c] * r * sin(t);
        }
    }
    FILE *fp = fopen(argv[5], "w");
    if (!fp) return 1;
    fprintf(fp, "x,y\n");
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%.17g,%.17g\n", x[i], y[i]);
    fclose(fp);
    for (int r = 0; r < runs; r++) {
        struct timespec a, b;
        int32_t nc;
        char err[256];
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (dbscan_run(n, x, y, eps, minpts, lab, NULL, &nc, err, sizeof err) != HZ_OK) {
            fprintf(stderr, "dbscan_bench: %s\n", err);
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        size_t noise = 0;
        for (size_t i = 0; i < n; i++)
            noise += lab[i] == 0;
        printf("run=%d seconds=%.6f clusters=%d noise=%zu\n", r + 1,
               (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec), nc, noise);
    }
    fp = fopen(argv[6], "w");
    if (!fp) return 1;
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "%d\n", lab[i]);
    fclose(fp);
    free(x);
    free(y);
    free(lab);
    free(cx);
    free(cy);
    free(cs);
    return 0;
}
