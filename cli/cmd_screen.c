/* cmd_screen.c - `hazmap screen`: network screening of the store's road network (screen.h) to
 * GeoJSON or CSV, with the SPF fit and a summary printed. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/screen.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap screen --db PATH [filters] [--rank excess|epdo|count]\n"
        "                     [--junction-radius M] [--tolerance M] [--window M] [--step M]\n"
        "                     [--spf FILE.json] [--min-class-sites N]\n"
        "                     [--rule-length M] [--rule-months P] [--rule-fatal F]\n"
        "                     [--rule-serious S] [--rule-any A] [--limit N] [--work-srs SRS]\n"
        "                     [-o FILE.geojson|FILE.csv]\n"
        "  Network screening of the road network imported with import-roads: junctions (nodes of\n"
        "  degree >= 3) and sections (chains of segments between them). Incidents (default "
        "filter:\n"
        "  --mechanism traffic) go to the nearest junction within --junction-radius (50 m), else\n"
        "  to the nearest section within --tolerance (30 m), else count as unassigned.\n"
        "  Per site: counts by severity, EPDO score (--weights), crash rate where volumes are\n"
        "  known, and the Empirical Bayes expected and excess crashes against a safety\n"
        "  performance function fitted by NB2 maximum likelihood on the network's own sites\n"
        "  (sections: ln mu = a + b ln(km) + class; junctions: ln mu = a + b ln(degree); offset\n"
        "  ln(years)), or read from --spf FILE:\n"
        "    {\"sections\": {\"a\": A, \"b\": B, \"k\": K, \"classes\": {\"primary\": C}},\n"
        "     \"junctions\": {\"a\": A, \"b\": B, \"k\": K}}\n"
        "  Sections are also scanned by a sliding window (--window 500 m, --step 100 m) and\n"
        "  represented by their worst window. Rule screen for 事故多发点段 (hazmap's defaults; "
        "set\n"
        "  them to the local standard): a junction or a stretch of at most --rule-length (500 m)\n"
        "  with --rule-fatal (3) fatal, or --rule-serious (5) serious-or-fatal, or --rule-any "
        "(10)\n"
        "  crashes within --rule-months (12) consecutive months; 0 disables a rule.\n"
        "  Sites with a crash are ranked by --rank (excess), the first --limit N kept (0: all).\n"
        "  Output: GeoJSON (standard output without -o), or CSV (UTF-8 with BOM) when FILE ends\n"
        "  in .csv. The SPF fit and a summary are printed.\n");
}

/* The screening options from the command line; -1 on a usage error (printed). */
static int parse_opts(const char *cmd, const char *const *v, screen_opts *o)
{
    /* v: rank, radius, tolerance, window, step, min-class-sites, rule-length, rule-months,
     * rule-fatal, rule-serious, rule-any, limit */
    long l;
    if (v[0] && screen_rank_parse(v[0], &o->rank) != 0) {
        cli_error(cmd, "--rank: '%s' is not excess, epdo or count", v[0]);
        return -1;
    }
    if (v[1] && cli_double(cmd, "junction-radius", v[1], 0, 1000, &o->junction_radius) != 0)
        return -1;
    if (v[2] && cli_double(cmd, "tolerance", v[2], 0, 1000, &o->tolerance) != 0) return -1;
    if (v[3] && cli_double(cmd, "window", v[3], 1, 1e5, &o->window) != 0) return -1;
    if (v[4] && cli_double(cmd, "step", v[4], 1, 1e5, &o->step) != 0) return -1;
    if (v[5]) {
        if (cli_int(cmd, "min-class-sites", v[5], 1, 1000000, &l) != 0) return -1;
        o->min_class_sites = (int)l;
    }
    if (v[6] && cli_double(cmd, "rule-length", v[6], 0, 1e5, &o->rule_length) != 0) return -1;
    int *ints[] = {&o->rule_months, &o->rule_fatal, &o->rule_serious, &o->rule_any};
    const char *names[] = {"rule-months", "rule-fatal", "rule-serious", "rule-any"};
    for (int i = 0; i < 4; i++) {
        if (!v[7 + i]) continue;
        if (cli_int(cmd, names[i], v[7 + i], i == 0 ? 1 : 0, 1000000, &l) != 0) return -1;
        *ints[i] = (int)l;
    }
    if (v[11]) {
        if (cli_int(cmd, "limit", v[11], 0, 100000000, &l) != 0) return -1;
        o->limit = (size_t)l;
    }
    return 0;
}

/* The road network of the store in the snapshot's working CRS; NULL with the error printed. */
static roadnet *load_net(const char *cmd, const char *db, const incset *s)
{
    char err[1024];
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    workcrs *w = st ? workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err) : NULL;
    roadnet *net = w ? roadnet_load(st, w, err, sizeof err) : NULL;
    if (!net) cli_error(cmd, "%s", err);
    workcrs_free(w);
    store_close(st);
    if (net && roadnet_seg_count(net) == 0) {
        cli_error(cmd, "%s has no road network: load one with hazmap import-roads", db);
        roadnet_free(net);
        return NULL;
    }
    return net;
}

static void print_spf(FILE *fp, const char *what, const screen_spf_model *m)
{
    if (!m->available) {
        fprintf(fp, "  %s SPF: none (%s)\n", what, m->note);
        return;
    }
    fprintf(fp, "  %s SPF (%s): a = %.6g (se %.3g), b = %.6g (se %.3g)", what,
            m->fitted ? "fitted, NB2 ML" : "given", m->a, m->se_a, m->b, m->se_b);
    for (size_t c = 0; c < m->nclass; c++)
        fprintf(fp, ", %s %+.4g (se %.3g)", m->cls[c], m->cls_coef[c], m->cls_se[c]);
    fprintf(fp, ", k = %.6g (se %.3g)", m->k, m->se_k);
    if (m->fitted)
        fprintf(fp, ", loglik %.6g, AIC %.6g, n %zu%s", m->loglik, m->aic, m->n,
                m->converged ? "" : ", NOT converged");
    fprintf(fp, "%s%s\n", m->note[0] ? "; " : "", m->note);
    if (m->nclass) fprintf(fp, "    reference: %s\n", m->reference);
}

static void print_summary(FILE *fp, const char *cmd, const screen_result *r, const char *output)
{
    fprintf(fp,
            "hazmap %s: %lld incidents over %.2f years: %lld at junctions, %lld on sections, "
            "%lld unassigned\n",
            cmd, (long long)r->incidents, r->years, (long long)r->at_junctions,
            (long long)r->on_sections, (long long)r->unassigned);
    fprintf(fp,
            "  sites: %zu junctions (%zu with a crash), %zu sections (%zu with a crash); "
            "%zu listed by %s, %zu meeting a rule%s%s\n",
            r->njunctions, r->junctions_with_crash, r->nsections, r->sections_with_crash, r->n,
            screen_rank_name(r->opts.rank), r->flagged, output ? " -> " : "", output ? output : "");
    print_spf(fp, "sections", &r->spf.section);
    print_spf(fp, "junctions", &r->spf.junction);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Writes the result to output (NULL or "-": standard output); 0 or -1 (printed). */
static int write_out(const char *cmd, const screen_result *r, const char *output)
{
    char err[1024];
    int to_stdout = !output || strcmp(output, "-") == 0;
    if (!to_stdout && ends_with(output, ".csv")) {
        char *csv;
        size_t len;
        if (screen_csv(r, &csv, &len, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "%s", err);
            return -1;
        }
        FILE *fp = fopen(output, "wb");
        int ok = fp && fwrite(csv, 1, len, fp) == len;
        if (fp && fclose(fp) != 0) ok = 0;
        free(csv);
        if (!ok) cli_error(cmd, "cannot write %s", output);
        return ok ? 0 : -1;
    }
    json_t *gj;
    if (screen_geojson(r, &gj, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        return -1;
    }
    size_t flags = JSON_INDENT(1) | JSON_REAL_PRECISION(12);
    int wr = to_stdout ? json_dumpf(gj, stdout, flags) : json_dump_file(gj, output, flags);
    json_decref(gj);
    if (wr != 0) {
        cli_error(cmd, "cannot write %s", to_stdout ? "standard output" : output);
        return -1;
    }
    if (to_stdout) fputc('\n', stdout);
    return 0;
}

int cmd_screen(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *srs = NULL, *output = NULL, *help = NULL, *spf_path = NULL;
    const char *v[12] = {NULL};
    const cli_opt opts[] = {{"db", 1, &db},
                            {"rank", 1, &v[0]},
                            {"junction-radius", 1, &v[1]},
                            {"tolerance", 1, &v[2]},
                            {"window", 1, &v[3]},
                            {"step", 1, &v[4]},
                            {"min-class-sites", 1, &v[5]},
                            {"rule-length", 1, &v[6]},
                            {"rule-months", 1, &v[7]},
                            {"rule-fatal", 1, &v[8]},
                            {"rule-serious", 1, &v[9]},
                            {"rule-any", 1, &v[10]},
                            {"limit", 1, &v[11]},
                            {"spf", 1, &spf_path},
                            {"work-srs", 1, &srs},
                            {"output", 1, &output},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    int st0 = cli_start(argc, argv, opts, &f, &help, &db, usage);
    if (st0 >= 0) return st0;
    screen_opts o;
    screen_opts_init(&o);
    if (parse_opts(cmd, v, &o) != 0) return 2;
    char err[1024];
    screen_spf spf;
    if (spf_path) {
        if (screen_spf_read(spf_path, &spf, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "%s", err);
            return 2;
        }
        o.spf = &spf;
    }
    incset *s = cli_load_snapshot(cmd, db, srs);
    if (!s) return 1;
    roadnet *net = load_net(cmd, db, s);
    screen_result *r = NULL;
    int status = 1;
    if (!net) goto done;
    hz_status hs = screen_run(net, s, &f, &o, &r, err, sizeof err);
    if (hs != HZ_OK) {
        cli_error(cmd, "%s", err);
        status = hs == HZ_EINVAL ? 2 : 1;
        goto done;
    }
    if (write_out(cmd, r, output) != 0) goto done;
    print_summary(output && strcmp(output, "-") != 0 ? stdout : stderr, cmd, r, output);
    cli_note_without_point(cmd, (size_t)r->without_point);
    status = 0;
done:
    screen_free(r);
    roadnet_free(net);
    incset_free(s);
    return status;
}
