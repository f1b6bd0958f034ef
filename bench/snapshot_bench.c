/* snapshot_bench.c - driver of bench/snapshot.sh: times incset_load() on a store, from the
 * store's rows (DB.snapshot removed first, so the load also writes it) and from DB.snapshot.
 *
 *   snapshot_bench DB [--reps N] [--rows-only | --cached-only]
 *
 * Opens the store read-only, as the command line does. Prints one JSON line: the incidents, the
 * file's size, every run's wall seconds and the medians. --rows-only times only the loads from
 * the store's rows, without removing anything first: a PostGIS store (bench/postgis.sh) has no
 * snapshot file, and every load reads its rows. --cached-only loads once untimed (writing the
 * snapshot file: a PostGIS store's in HAZMAP_SNAPSHOT_DIR), then times the loads from the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/benchclock.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

/* One load, timed from opening the store to the loaded snapshot; -1 on failure. */
static double timed_load(const char *db, int want_cached, size_t *n)
{
    char err[1024];
    double t0 = bench_now();
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    incset *s = st ? incset_load(st, NULL, err, sizeof err) : NULL;
    double t = bench_now() - t0;
    store_close(st);
    if (!s) {
        fprintf(stderr, "snapshot_bench: %s\n", err);
        return -1;
    }
    if (incset_cached(s) != want_cached) {
        fprintf(stderr, "snapshot_bench: expected a load %s the snapshot file\n",
                want_cached ? "from" : "without");
        incset_free(s);
        return -1;
    }
    *n = incset_count(s);
    incset_free(s);
    return t;
}

static void print_runs(const char *name, const double *v, int n)
{
    printf("\"%s\": [", name);
    for (int i = 0; i < n; i++)
        printf("%s%.4f", i ? ", " : "", v[i]);
    printf("], \"%s_median\": %.4f", name, bench_median(v, n));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: snapshot_bench DB [--reps N]\n");
        return 2;
    }
    const char *db = argv[1];
    int reps = 5, rows_only = 0, cached_only = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rows-only") == 0)
            rows_only = 1;
        else if (strcmp(argv[i], "--cached-only") == 0)
            cached_only = 1;
    }
    if (reps < 1 || reps > 64) reps = 5;
    char snap[4096];
    snprintf(snap, sizeof snap, "%s.snapshot", db);
    double rows[64], cached[64];
    size_t n = 0;
    if (cached_only) {
        if (timed_load(db, 0, &n) < 0) return 1;
        for (int r = 0; r < reps; r++)
            if ((cached[r] = timed_load(db, 1, &n)) < 0) return 1;
        printf("{\"incidents\": %zu, ", n);
        print_runs("cached", cached, reps);
        printf("}\n");
        return 0;
    }
    for (int r = 0; r < reps; r++) {
        if (!rows_only) unlink(snap);
        if ((rows[r] = timed_load(db, 0, &n)) < 0) return 1;
    }
    if (rows_only) {
        printf("{\"incidents\": %zu, ", n);
        print_runs("rows", rows, reps);
        printf("}\n");
        return 0;
    }
    for (int r = 0; r < reps; r++)
        if ((cached[r] = timed_load(db, 1, &n)) < 0) return 1;
    struct stat sb;
    printf("{\"incidents\": %zu, \"file_bytes\": %lld, ", n,
           stat(snap, &sb) == 0 ? (long long)sb.st_size : -1LL);
    print_runs("rows", rows, reps);
    printf(", ");
    print_runs("cached", cached, reps);
    printf("}\n");
    return 0;
}
