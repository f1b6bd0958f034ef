/* cmd_emerging.c - `hazmap emerging`: emerging hot spot analysis to GeoJSON or GeoPackage. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/emerging.h"
#include "hazmap/incset.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hazmap emerging --db PATH [filters] [--step week|month|quarter|year]\n"
            "         [--cell METRES|auto] [--shape square|hex] [--band METRES|auto |\n"
            "         --contiguity queen] [--time-lag K] [--alpha A] [--trend-alpha A]\n"
            "         [--no-fdr] [--threads N] [--work-srs SRS] -o FILE.geojson|FILE.gpkg\n"
            "\n"
            "Builds the space-time cube (the hot-spot lattice x calendar steps, month by\n"
            "default), runs Gi* on every bin over its cells within the band in the same step\n"
            "and the K previous ones (default 1), tests each location's trend with\n"
            "Mann-Kendall and classes it into the 17 patterns of ArcGIS Pro's Emerging Hot\n"
            "Spot Analysis (new, consecutive, intensifying, persistent, diminishing, sporadic,\n"
            "oscillating, historical; hot or cold; or none). EMERGING.md has the rules.\n"
            "GeoJSON: one polygon per location with its pattern and series. GeoPackage:\n"
            "layers emerging_locations and emerging_bins (one row per bin, step_start and\n"
            "step_end for QGIS's temporal controller).\n"
            "filters: --mechanism --place --intent --severity --sex --from --to --age\n"
            "         --activity --outcome\n"
            "         --disability --area --weight count|score --weights fatal=12,...\n");
}

typedef struct em_args {
    const char *db, *step, *cell, *shape, *band, *contig, *lag, *alpha, *talpha, *nofdr, *threads,
        *srs, *outp, *help;
} em_args;

static int metres(const char *cmd, const char *opt, const char *s, double *out)
{
    *out = 0;
    if (!s || strcmp(s, "auto") == 0) return 0;
    return cli_double(cmd, opt, s, 1, 1e6, out);
}

/* The parameters from the options. 0, or 2 after a usage error (reported). */
static int set_params(const char *cmd, const em_args *a, emerging_params *p)
{
    emerging_params_init(p);
    if (a->step && ts_unit_parse(a->step, &p->step)) {
        cli_error(cmd, "--step: '%s' is not week, month, quarter or year", a->step);
        return 2;
    }
    if (metres(cmd, "cell", a->cell, &p->space.cell) ||
        metres(cmd, "band", a->band, &p->space.band))
        return 2;
    if (a->shape && hotspots_shape_parse(a->shape, &p->space.shape)) {
        cli_error(cmd, "--shape: '%s' is not square or hex", a->shape);
        return 2;
    }
    if (a->contig) {
        if (strcmp(a->contig, "queen") != 0 || a->band) {
            cli_error(cmd, "--contiguity: only queen, and not with --band");
            return 2;
        }
        p->space.contiguity = 1;
    }
    long v;
    if (a->lag) {
        if (cli_int(cmd, "time-lag", a->lag, 0, 52, &v)) return 2;
        p->time_lag = (int)v;
    }
    if (a->threads) {
        if (cli_int(cmd, "threads", a->threads, 1, 64, &v)) return 2;
        p->space.nthreads = (int)v;
    }
    if ((a->alpha && cli_double(cmd, "alpha", a->alpha, 1e-6, 0.5, &p->alpha)) ||
        (a->talpha && cli_double(cmd, "trend-alpha", a->talpha, 1e-6, 0.5, &p->trend_alpha)))
        return 2;
    p->fdr = !a->nofdr;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Writes r to outp by its extension. 0, or 1 after a failure (reported). */
static int write_out(const char *cmd, const emerging_result *r, const char *outp)
{
    char err[1024];
    if (ends_with(outp, ".gpkg")) {
        if (emerging_gpkg(r, outp, err, sizeof err) == HZ_OK) return 0;
        cli_error(cmd, "%s", err);
        return 1;
    }
    json_t *fc = NULL;
    if (emerging_geojson(r, NULL, 1, &fc, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    int bad = json_dump_file(fc, outp, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0;
    if (bad) cli_error(cmd, "cannot write %s", outp);
    json_decref(fc);
    return bad;
}

static void summary(const emerging_result *r, const char *outp)
{
    size_t n;
    const emerging_cell *c = emerging_cells(r, &n);
    int count[EHSA_NPATTERNS] = {0};
    for (size_t i = 0; i < n; i++)
        count[c[i].pattern]++;
    for (int k = 1; k < EHSA_NPATTERNS; k++)
        if (count[k]) fprintf(stderr, "%s: %d\n", ehsa_pattern_label((ehsa_pattern)k), count[k]);
    fprintf(stderr, "no pattern: %d -> %s\n", count[EHSA_NONE], outp);
}

int cmd_emerging(int argc, char **argv)
{
    const char *cmd = argv[0];
    em_args a;
    memset(&a, 0, sizeof a);
    const cli_opt opts[] = {
        {"db", 1, &a.db},        {"step", 1, &a.step},       {"cell", 1, &a.cell},
        {"shape", 1, &a.shape},  {"band", 1, &a.band},       {"contiguity", 1, &a.contig},
        {"time-lag", 1, &a.lag}, {"alpha", 1, &a.alpha},     {"trend-alpha", 1, &a.talpha},
        {"no-fdr", 0, &a.nofdr}, {"threads", 1, &a.threads}, {"work-srs", 1, &a.srs},
        {"output", 1, &a.outp},  {"help", 0, &a.help},       {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    if (cli_parse(argc, argv, opts, &f, NULL, 0, NULL)) return 2;
    if (a.help) {
        usage(stdout);
        return 0;
    }
    if (!a.db || !a.outp) {
        cli_error(cmd, "--db and -o are required");
        usage(stderr);
        return 2;
    }
    emerging_params p;
    if (set_params(cmd, &a, &p)) return 2;
    incset *s = cli_load_snapshot(cmd, a.db, a.srs);
    if (!s) return 1;
    emerging_result *r = NULL;
    char why[4096], err[1024];
    hz_status st = emerging_run(s, &f, &p, &r, why, sizeof why, err, sizeof err);
    incset_free(s);
    if (st != HZ_OK) {
        cli_error(cmd, "%s", err);
        return st == HZ_EINVAL || st == HZ_ELIMIT ? 2 : 1;
    }
    fputs(why, stderr);
    cli_note_without_point(cmd, emerging_without_point(r));
    int rc = write_out(cmd, r, a.outp);
    if (rc == 0) summary(r, a.outp);
    emerging_free(r);
    return rc;
}
