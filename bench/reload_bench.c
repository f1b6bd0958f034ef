/* reload_bench.c - driver of bench/reload.sh: the snapshot reload after a one-incident commit
 * (issue 14: every replica reloads within 1 s of a commit), incremental (incset_reload()) side by
 * side with the full load from the rows (incset_load()), on one store connection as a replica
 * holds it.
 *
 *   reload_bench DB [--reps N]
 *
 * DB is written to (one incident per round, source "reload-bench"): pass a copy. Each round
 * commits one new incident as a POST does (store_incident_put()), then times
 *  - incset_reload() from the previous round's snapshot, which must take the incremental path
 *    (INCSET_DELTA, one row read); and
 *  - incset_load() from the rows (DB.snapshot removed first; a PostGIS store has none unless
 *    HAZMAP_SNAPSHOT_DIR is set, which bench/reload.sh leaves unset),
 * and checks that the two snapshots hold the very same records. Both include writing the
 * snapshot file where there is one, as the server's reload does. Prints one JSON line: wall
 * seconds, and this process's CPU seconds (a PostGIS server's own CPU is not in them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/benchclock.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

static void print_runs(const char *name, const double *v, int n)
{
    printf("\"%s\": [", name);
    for (int i = 0; i < n; i++)
        printf("%s%.4f", i ? ", " : "", v[i]);
    printf("], \"%s_median\": %.4f", name, bench_median(v, n));
}

/* Commits one new incident, as POST /collections/incidents/items does. */
static int commit_one(store *st, int round)
{
    char err[512], sid[64];
    snprintf(sid, sizeof sid, "%d-%d", (int)getpid(), round);
    hz_incident_rec r = {.source = "reload-bench",
                         .source_id = sid,
                         .t = 1420070400 + round,
                         .mechanism = 1,
                         .victims = 1,
                         .age = 40,
                         .disability = -1,
                         .area_code = NULL,
                         .lon = 104.08 + round * 1e-4,
                         .lat = 30.66};
    store_put_outcome o;
    if (store_begin(st, err, sizeof err) != HZ_OK ||
        store_incident_put(st, &r, &o, err, sizeof err) != HZ_OK ||
        store_commit(st, err, sizeof err) != HZ_OK) {
        fprintf(stderr, "reload_bench: %s\n", err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: reload_bench DB [--reps N]\n");
        return 2;
    }
    const char *db = argv[1];
    int reps = 5;
    if (argc == 4 && strcmp(argv[2], "--reps") == 0) reps = (int)strtol(argv[3], NULL, 10);
    if (reps < 1 || reps > 64) reps = 5;
    char err[1024], snap[4096];
    snprintf(snap, sizeof snap, "%s.snapshot", db);
    store *st = store_open(db, 0, err, sizeof err);
    incset *s = st ? incset_load(st, NULL, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "reload_bench: %s\n", err);
        return 1;
    }
    double inc[64], full[64], inc_cpu[64], full_cpu[64];
    for (int r = 0; r < reps; r++) {
        if (commit_one(st, r) != 0) return 1;
        double t0 = bench_now(), c0 = bench_cpu();
        incset *ns = incset_reload(s, st, NULL, err, sizeof err);
        inc[r] = bench_now() - t0;
        inc_cpu[r] = bench_cpu() - c0;
        size_t rows = 0;
        if (!ns || incset_source_of(ns, &rows) != INCSET_DELTA || rows != 1 ||
            incset_count(ns) != incset_count(s) + 1) {
            fprintf(stderr, "reload_bench: the reload did not read just the new row (%s)\n",
                    ns ? "fell back" : err);
            return 1;
        }
        incset_free(s);
        s = ns;
        unlink(snap);
        t0 = bench_now();
        c0 = bench_cpu();
        incset *f = incset_load(st, NULL, err, sizeof err);
        full[r] = bench_now() - t0;
        full_cpu[r] = bench_cpu() - c0;
        if (!f || incset_source_of(f, NULL) != INCSET_ROWS || incset_count(f) != incset_count(s) ||
            memcmp(incset_items(f), incset_items(s), incset_count(s) * sizeof(hz_incident)) != 0) {
            fprintf(stderr, "reload_bench: the full load differs from the incremental one\n");
            return 1;
        }
        incset_free(f);
    }
    printf("{\"incidents\": %zu, \"backend\": \"%s\", ", incset_count(s), store_backend_name(st));
    print_runs("incremental", inc, reps);
    printf(", ");
    print_runs("full", full, reps);
    printf(", ");
    print_runs("incremental_cpu", inc_cpu, reps);
    printf(", ");
    print_runs("full_cpu", full_cpu, reps);
    printf("}\n");
    incset_free(s);
    store_close(st);
    return 0;
}
