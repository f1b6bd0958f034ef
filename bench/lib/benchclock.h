/* benchclock.h - the clocks and the median of the benchmark drivers in bench/ (header only:
 * each driver is one file compiled by its script). */
#ifndef HAZMAP_BENCHCLOCK_H
#define HAZMAP_BENCHCLOCK_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic wall-clock seconds. */
static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* This process's CPU seconds, every thread (on shared cores, wall time is partly other jobs'). */
static inline double bench_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n >= 1; v is left as it is. NaN when out of memory. */
static inline double bench_median(const double *v, int n)
{
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return 0.0 / 0.0;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

#endif
