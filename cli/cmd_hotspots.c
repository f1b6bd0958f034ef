/* cmd_hotspots.c - `hazmap hotspots`: Getis-Ord Gi* hot and cold spots to a GeoJSON file. */
#include "cli.h"

#include <assert.h>
#include <errno.h>
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
        "         --activity --outcome\n"
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

/* The command line's option values (NULL when absent). */
typedef struct hs_args {
    const char *db, *cell, *shape, *band, *contig, *weights, *nostar, *nofdr, *perms, *seed, *srs,
        *outp, *help, *threads, *suppress;
} hs_args;

/* Copies argv to av (argc + 1 slots, NULL-terminated) but for a "--weights binary|row" (or
 * "--weights=binary|row"), whose value goes to *weights: "--weights" is the shared filter's
 * severity-weight list, so the spatial weights are recognised here first. Returns the count. */
static int take_spatial_weights(int argc, char **argv, char **av, const char **weights)
{
    int ac = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        assert(a); /* argv[i] for i < argc */
        const char *v = NULL;
        int skip = 0;
        if (strcmp(a, "--weights") == 0 && i + 1 < argc) {
            v = argv[i + 1];
            skip = 1;
        } else if (strncmp(a, "--weights=", 10) == 0) {
            v = a + 10;
        }
        if (v && (strcmp(v, "binary") == 0 || strcmp(v, "row") == 0)) {
            *weights = v;
            i += skip;
            continue;
        }
        av[ac++] = argv[i];
    }
    av[ac] = NULL;
    return ac;
}

/* Parses argv into *a (zeroed) and the filter f. Returns -1 to go on, else the exit status:
 * 0 after --help, 1 out of memory, 2 after a usage error (reported). */
static int parse_args(int argc, char **argv, hs_args *a, hz_filter *f)
{
    const char *cmd = argv[0];
    const cli_opt opts[] = {{"db", 1, &a->db},
                            {"cell", 1, &a->cell},
                            {"shape", 1, &a->shape},
                            {"band", 1, &a->band},
                            {"contiguity", 1, &a->contig},
                            {"spatial-weights", 1, &a->weights},
                            {"no-star", 0, &a->nostar},
                            {"no-fdr", 0, &a->nofdr},
                            {"permutations", 1, &a->perms},
                            {"seed", 1, &a->seed},
                            {"threads", 1, &a->threads},
                            {"work-srs", 1, &a->srs},
                            {"suppress-below", 1, &a->suppress},
                            {"output", 1, &a->outp},
                            {"help", 0, &a->help},
                            {NULL, 0, NULL}};
    filter_init(f);
    char **av = malloc((size_t)(argc + 1) * sizeof *av);
    if (!av) return 1;
    int ac = take_spatial_weights(argc, argv, av, &a->weights);
    int bad = cli_parse(ac, av, opts, f, NULL, 0, NULL);
    free(av);
    if (bad) return 2;
    if (a->help) {
        usage(stdout);
        return 0;
    }
    if (!a->db || !a->outp) {
        cli_error(cmd, "--db and -o are required");
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The analysis parameters from the options into *par and *suppress_below. 0, or 2 after a
 * usage error (reported). */
static int set_params(const char *cmd, const hs_args *a, hotspots_params *par, int *suppress_below)
{
    hotspots_params_init(par);
    if (metres(cmd, "cell", a->cell, &par->cell) || metres(cmd, "band", a->band, &par->band))
        return 2;
    if (a->shape && hotspots_shape_parse(a->shape, &par->shape)) {
        cli_error(cmd, "--shape: '%s' is not square or hex", a->shape);
        return 2;
    }
    if (a->weights && hotspots_weights_parse(a->weights, &par->weights)) {
        cli_error(cmd, "--weights: '%s' is not binary or row", a->weights);
        return 2;
    }
    if (a->contig) {
        if (strcmp(a->contig, "queen") != 0) {
            cli_error(cmd, "--contiguity: only queen is supported, not '%s'", a->contig);
            return 2;
        }
        if (a->band) {
            cli_error(cmd, "--contiguity and --band exclude each other");
            return 2;
        }
        par->contiguity = 1;
    }
    par->star = !a->nostar;
    par->fdr = !a->nofdr;
    long v;
    if (a->perms) {
        if (integer(cmd, "permutations", a->perms, 0, 99999, &v)) return 2;
        par->permutations = (int)v;
    }
    if (a->seed) {
        if (integer(cmd, "seed", a->seed, 0, 0x7fffffffL, &v)) return 2;
        par->seed = (uint64_t)v;
    } else if (a->perms) {
        fprintf(stderr, "hazmap %s: permutations with the default seed 1 (--seed to change)\n",
                cmd);
    }
    if (a->threads) {
        if (integer(cmd, "threads", a->threads, 1, 64, &v)) return 2;
        par->nthreads = (int)v;
    }
    *suppress_below = 0;
    if (a->suppress) {
        if (integer(cmd, "suppress-below", a->suppress, 0, 1000000, &v)) return 2;
        *suppress_below = (int)v;
    }
    return 0;
}

/* The cells per class: hot 99/95/90 %, not significant, cold 90/95/99 %. */
static void count_classes(const hotspots_result *r, int cls[7])
{
    size_t n;
    const hotspots_cell *c = hotspots_cells(r, &n);
    memset(cls, 0, 7 * sizeof *cls);
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
}

/* Writes r's cells as GeoJSON to outp, counts below suppress_below hidden. 0, or 1 on failure
 * (reported). */
static int write_geojson(const char *cmd, const hotspots_result *r, int suppress_below,
                         const char *outp)
{
    char err[1024];
    char *text = NULL;
    size_t len = 0;
    if (hotspots_geojson_text(r, &(disc_policy){.min_count = suppress_below}, &text, &len, err,
                              sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    FILE *fp = fopen(outp, "wb");
    int bad = !fp || fwrite(text, 1, len, fp) != len;
    if (fp && fclose(fp) != 0) bad = 1;
    if (bad) cli_error(cmd, "cannot write %s: %s", outp, strerror(errno));
    free(text);
    return bad;
}

/* Parses, runs the analysis on the snapshot, writes the file and a summary of the classes. */
int cmd_hotspots(int argc, char **argv)
{
    const char *cmd = argv[0];
    hs_args a;
    memset(&a, 0, sizeof a);
    hz_filter f;
    hotspots_params par;
    int suppress_below;
    int rc = parse_args(argc, argv, &a, &f);
    if (rc >= 0) return rc;
    if (set_params(cmd, &a, &par, &suppress_below)) return 2;
    incset *s = cli_load_snapshot(cmd, a.db, a.srs);
    if (!s) return 1;
    hotspots_result *r = NULL;
    char why[4096], err[1024];
    hz_status st = hotspots_run(s, &f, &par, &r, why, sizeof why, err, sizeof err);
    incset_free(s);
    if (st != HZ_OK) {
        cli_error(cmd, "%s", err);
        return st == HZ_EINVAL || st == HZ_ELIMIT ? 2 : 1;
    }
    fputs(why, stderr);
    cli_note_without_point(cmd, hotspots_without_point(r));
    int cls[7];
    count_classes(r, cls);
    rc = write_geojson(cmd, r, suppress_below, a.outp);
    hotspots_free(r);
    if (rc == 0)
        fprintf(stderr,
                "hot 99/95/90 %%: %d/%d/%d, not significant: %d, cold 90/95/99 %%: %d/%d/%d -> "
                "%s\n",
                cls[0], cls[1], cls[2], cls[3], cls[4], cls[5], cls[6], a.outp);
    return rc;
}
