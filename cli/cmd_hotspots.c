/* cmd_hotspots.c - `hazmap hotspots`: Getis-Ord Gi* hot and cold spots to a GeoJSON file. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/hotspots.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap hotspots --db PATH [filters] [--cell METRES|auto] [--shape square|hex]\n"
        "         [--band METRES|auto | --contiguity queen] [--weights binary|row] [--no-star]\n"
        "         [--no-fdr] [--permutations N [--seed S]] [--threads N] [--work-srs SRS]\n"
        "         [--suppress-below N] -o FILE.geojson\n"
        "\n"
        "Aggregates the filtered incidents (count, or score with --weight score) into square\n"
        "or hexagonal cells clipped to the study areas, runs Getis-Ord Gi* (Gi with --no-star)\n"
        "and classes each cell hot/cold at 99/95/90 %% confidence on Benjamini-Hochberg\n"
        "adjusted p-values (raw p with --no-fdr; permutation p with --permutations).\n"
        "auto (the default for --cell and --band) chooses as ArcGIS's Optimized Hot Spot\n"
        "Analysis does and prints what it chose and why.\n"
        "filters: --mechanism --place --intent --severity --sex --from --to --age\n"
        "         --disability --area --weight count|score --weights fatal=12,serious=12,...\n"
        "--weights binary|row (or --spatial-weights) selects the spatial weights instead.\n");
}

/* Parses a positive number of metres or "auto" (-> 0). */
static int metres(const char *cmd, const char *opt, const char *s, double *out)
{
    if (!s || strcmp(s, "auto") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 1e6) {
        cli_error(cmd, "--%s: '%s' is not a distance in metres (or auto)", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int integer(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        cli_error(cmd, "--%s: '%s' is not an integer in %ld..%ld", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_hotspots(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *cell = NULL, *shape = NULL, *band = NULL, *contig = NULL,
               *weights = NULL, *nostar = NULL, *nofdr = NULL, *perms = NULL, *seed = NULL,
               *srs = NULL, *outp = NULL, *help = NULL, *threads = NULL, *suppress = NULL;
    const cli_opt opts[] = {{"db", 1, &db},
                            {"cell", 1, &cell},
                            {"shape", 1, &shape},
                            {"band", 1, &band},
                            {"contiguity", 1, &contig},
                            {"spatial-weights", 1, &weights},
                            {"no-star", 0, &nostar},
                            {"no-fdr", 0, &nofdr},
                            {"permutations", 1, &perms},
                            {"seed", 1, &seed},
                            {"threads", 1, &threads},
                            {"work-srs", 1, &srs},
                            {"suppress-below", 1, &suppress},
                            {"output", 1, &outp},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    /* "--weights" is the shared filter's severity-weight list, so the spatial weights are
     * recognised here first when their value is binary or row. */
    hz_filter f;
    filter_init(&f);
    char **av = malloc((size_t)(argc + 1) * sizeof *av);
    if (!av) return 1;
    int ac = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        int skip = 0;
        if (strcmp(a, "--weights") == 0 && i + 1 < argc) {
            v = argv[i + 1];
            skip = 1;
        } else if (strncmp(a, "--weights=", 10) == 0) {
            v = a + 10;
        }
        if (v && (strcmp(v, "binary") == 0 || strcmp(v, "row") == 0)) {
            weights = v;
            i += skip;
            continue;
        }
        av[ac++] = argv[i];
    }
    av[ac] = NULL;
    int bad = cli_parse(ac, av, opts, &f, NULL, 0, NULL);
    free(av);
    if (bad) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (!db || !outp) {
        cli_error(cmd, "--db and -o are required");
        usage(stderr);
        return 2;
    }
    hotspots_params par;
    hotspots_params_init(&par);
    if (metres(cmd, "cell", cell, &par.cell) || metres(cmd, "band", band, &par.band)) return 2;
    if (shape && hotspots_shape_parse(shape, &par.shape)) {
        cli_error(cmd, "--shape: '%s' is not square or hex", shape);
        return 2;
    }
    if (weights && hotspots_weights_parse(weights, &par.weights)) {
        cli_error(cmd, "--weights: '%s' is not binary or row", weights);
        return 2;
    }
    if (contig) {
        if (strcmp(contig, "queen") != 0) {
            cli_error(cmd, "--contiguity: only queen is supported, not '%s'", contig);
            return 2;
        }
        if (band) {
            cli_error(cmd, "--contiguity and --band exclude each other");
            return 2;
        }
        par.contiguity = 1;
    }
    par.star = !nostar;
    par.fdr = !nofdr;
    long v;
    if (perms) {
        if (integer(cmd, "permutations", perms, 0, 99999, &v)) return 2;
        par.permutations = (int)v;
    }
    if (seed) {
        if (integer(cmd, "seed", seed, 0, 0x7fffffffL, &v)) return 2;
        par.seed = (uint64_t)v;
    } else if (perms) {
        fprintf(stderr, "hazmap %s: permutations with the default seed 1 (--seed to change)\n",
                cmd);
    }
    if (threads) {
        if (integer(cmd, "threads", threads, 1, 64, &v)) return 2;
        par.nthreads = (int)v;
    }
    int suppress_below = 0;
    if (suppress) {
        if (integer(cmd, "suppress-below", suppress, 0, 1000000, &v)) return 2;
        suppress_below = (int)v;
    }

    char err[1024];
    incset *s = cli_load_snapshot(cmd, db, srs);
    if (!s) return 1;
    hotspots_result *r = NULL;
    char why[4096];
    hz_status rc = hotspots_run(s, &f, &par, &r, why, sizeof why, err, sizeof err);
    incset_free(s);
    if (rc != HZ_OK) {
        cli_error(cmd, "%s", err);
        return rc == HZ_EINVAL || rc == HZ_ELIMIT ? 2 : 1;
    }
    fputs(why, stderr);
    json_t *fc = NULL;
    rc = hotspots_geojson(r, &(disc_policy){.min_count = suppress_below}, &fc, err, sizeof err);
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    int cls[7] = {0};
    for (size_t i = 0; i < n; i++) {
        int k = c[i].confidence;
        cls[k == 99    ? 0
            : k == 95  ? 1
            : k == 90  ? 2
            : k == 0   ? 3
            : k == -90 ? 4
            : k == -95 ? 5
                       : 6]++;
    }
    hotspots_free(r);
    if (rc != HZ_OK) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    if (json_dump_file(fc, outp, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0) {
        cli_error(cmd, "cannot write %s", outp);
        json_decref(fc);
        return 1;
    }
    json_decref(fc);
    fprintf(stderr,
            "hot 99/95/90 %%: %d/%d/%d, not significant: %d, cold 90/95/99 %%: %d/%d/%d -> %s\n",
            cls[0], cls[1], cls[2], cls[3], cls[4], cls[5], cls[6], outp);
    return 0;
}
