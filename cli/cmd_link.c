/* cmd_link.c - `hazmap link`: links the records of different sources that describe the same
 * injury, stores the links, and reports the sources' overlaps and the capture-recapture
 * estimate of the injuries no source recorded. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/linkage_db.h"
#include "hazmap/store.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap link --db PATH [--window-h H] [--max-m M] [--weights FILE.json]\n"
        "                   [--link T] [--possible T] [--summary] [--format text|json]\n"
        "                   [-o FILE]\n"
        "  Links records of different sources (import-incidents --source) that describe the\n"
        "  same injury: pairs within --window-h hours (default 2) and --max-m metres\n"
        "  (default 200) are compared on time, distance, age (+-2), sex and mechanism;\n"
        "  Fellegi-Sunter weights (log2 m/u) come from EM, or from --weights\n"
        "  ({\"time\": {\"m\": 0.95, \"u\": 0.2}, \"distance\": ..., \"age\": ..., \"sex\": ...,\n"
        "  \"mechanism\": ...}). A score >= --link (default 6) is a link, >= --possible\n"
        "  (default 2) a possible link for a reviewer (POST /api/links/{id}). One-to-one,\n"
        "  greedy by score; reviewers' decisions are kept; re-running is idempotent.\n"
        "  Then reports per-source counts, overlaps and the capture-recapture estimate\n"
        "  (Chapman for 2 sources, log-linear for 3+). --summary reports from the stored\n"
        "  links without linking again. See LINKAGE.md.\n");
}

/* The whole file as a NUL-terminated string (free it), or NULL with the error printed. */
static char *read_file(const char *cmd, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cli_error(cmd, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n < cap - 1) break;
        if (cap >= (1u << 20)) { /* a weights file is a few hundred bytes */
            free(buf);
            buf = NULL;
            cli_error(cmd, "%s: larger than 1 MiB", path);
            fclose(fp);
            return NULL;
        }
        char *nb = realloc(buf, cap *= 2);
        if (!nb) free(buf);
        buf = nb;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        free(buf);
        cli_error(cmd, "cannot read %s", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static double jnum(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void text_names(FILE *fp, const json_t *names)
{
    for (size_t i = 0; i < json_array_size(names); i++)
        fprintf(fp, "%s%s", i ? "+" : "", json_string_value(json_array_get(names, i)));
}

static void text_summary(FILE *fp, const json_t *sm)
{
    size_t i;
    const json_t *v;
    fprintf(fp, "records %lld, events %lld\n",
            (long long)json_integer_value(json_object_get(sm, "records")),
            (long long)json_integer_value(json_object_get(sm, "events")));
    fprintf(fp, "sources:\n");
    const json_t *srcs = json_object_get(sm, "sources");
    for (i = 0; i < json_array_size(srcs) && (v = json_array_get(srcs, i)); i++)
        fprintf(fp, "  %-20s %8lld records %8lld events\n",
                json_string_value(json_object_get(v, "name")),
                (long long)json_integer_value(json_object_get(v, "records")),
                (long long)json_integer_value(json_object_get(v, "events")));
    fprintf(fp, "capture histories (events seen by exactly these sources):\n");
    const json_t *hists = json_object_get(sm, "histories");
    for (i = 0; i < json_array_size(hists) && (v = json_array_get(hists, i)); i++) {
        fprintf(fp, "  ");
        text_names(fp, json_object_get(v, "sources"));
        fprintf(fp, ": %lld\n", (long long)json_integer_value(json_object_get(v, "events")));
    }
    const json_t *e = json_object_get(sm, "estimate");
    if (!json_is_object(e)) {
        fprintf(fp, "estimate: none (capture-recapture needs 2..8 sources)\n");
        return;
    }
    const json_t *ci = json_object_get(e, "ci95");
    const char *model = json_string_value(json_object_get(e, "model"));
    fprintf(fp, "estimate (%s%s%s): %.1f injuries (95%% CI %.1f-%.1f; %s)\n",
            json_string_value(json_object_get(e, "method")), model ? ", " : "", model ? model : "",
            jnum(e, "total"), json_number_value(json_array_get(ci, 0)),
            json_number_value(json_array_get(ci, 1)),
            json_string_value(json_object_get(e, "interval")));
    fprintf(fp, "  observed %.0f; no source recorded about %.1f\n", jnum(e, "observed"),
            jnum(e, "missed"));
}

static void text_report(FILE *fp, const json_t *r)
{
    const json_t *l = json_object_get(r, "links"), *em = json_object_get(r, "em");
    fprintf(fp,
            "%lld candidate pairs; links: %lld auto, %lld possible, %lld confirmed, %lld "
            "rejected (%lld rows written)\n",
            (long long)json_integer_value(json_object_get(r, "candidate_pairs")),
            (long long)json_integer_value(json_object_get(l, "auto")),
            (long long)json_integer_value(json_object_get(l, "possible")),
            (long long)json_integer_value(json_object_get(l, "confirmed")),
            (long long)json_integer_value(json_object_get(l, "rejected")),
            (long long)json_integer_value(json_object_get(r, "rows_written")));
    if (json_is_object(em) && json_is_true(json_object_get(em, "fallback")))
        fprintf(fp, "weights (built-in: EM's estimate was not usable, too few or too alike "
                    "candidate pairs; see LINKAGE.md):\n");
    else if (json_is_object(em))
        fprintf(fp, "weights (EM, %lld iterations, prior %.3f):\n",
                (long long)json_integer_value(json_object_get(em, "iterations")),
                jnum(em, "prior"));
    else
        fprintf(fp, "weights (given):\n");
    const char *k;
    const json_t *w;
    json_object_foreach((json_t *)json_object_get(r, "weights"), k, w)
    {
        fprintf(fp, "  %-10s m %.4f u %.4f  agree %+.2f  disagree %+.2f\n", k, jnum(w, "m"),
                jnum(w, "u"), jnum(w, "agree"), jnum(w, "disagree"));
    }
    text_summary(fp, json_object_get(r, "summary"));
}

int cmd_link(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *window_s = NULL, *maxm_s = NULL, *weights = NULL, *link_s = NULL,
               *possible_s = NULL, *summary = NULL, *format = NULL, *output = NULL, *help = NULL;
    const cli_opt opts[] = {{"db", 1, &db},           {"window-h", 1, &window_s},
                            {"max-m", 1, &maxm_s},    {"weights", 1, &weights},
                            {"link", 1, &link_s},     {"possible", 1, &possible_s},
                            {"summary", 0, &summary}, {"format", 1, &format},
                            {"output", 1, &output},   {"help", 0, &help},
                            {NULL, 0, NULL}};
    int st0 = cli_start(argc, argv, opts, NULL, &help, &db, usage);
    if (st0 >= 0) return st0;
    linkage_params p;
    linkage_params_init(&p);
    double h = p.window_s / 3600;
    if (window_s && cli_double(cmd, "window-h", window_s, 0.001, 24 * 30, &h) != 0) return 2;
    p.window_s = h * 3600;
    if (maxm_s && cli_double(cmd, "max-m", maxm_s, 0.1, 100000, &p.max_m) != 0) return 2;
    if (link_s && cli_double(cmd, "link", link_s, -1000, 1000, &p.link_t) != 0) return 2;
    if (possible_s && cli_double(cmd, "possible", possible_s, -1000, 1000, &p.possible_t) != 0)
        return 2;
    if (p.possible_t > p.link_t) {
        cli_error(cmd, "--possible (%g) must not exceed --link (%g)", p.possible_t, p.link_t);
        return 2;
    }
    int json = 0;
    if (format && strcmp(format, "json") == 0)
        json = 1;
    else if (format && strcmp(format, "text") != 0) {
        cli_error(cmd, "--format: '%s' is not text or json", format);
        return 2;
    }
    char err[1024];
    if (weights) {
        char *text = read_file(cmd, weights);
        if (!text) return 1;
        hz_status ws = linkage_weights_parse(text, &p, err, sizeof err);
        free(text);
        if (ws != HZ_OK) {
            cli_error(cmd, "%s: %s", weights, err);
            return 2;
        }
    }
    store *st = store_open(db, summary ? STORE_READONLY : 0, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    json_t *r = NULL;
    hz_status s = summary ? linkage_db_summary(st, &r, err, sizeof err)
                          : linkage_db_run(st, &p, &r, err, sizeof err);
    store_close(st);
    if (s != HZ_OK) {
        cli_error(cmd, "%s", err);
        return s == HZ_EINVAL ? 2 : 1;
    }
    int to_stdout = !output || strcmp(output, "-") == 0;
    FILE *fp = to_stdout ? stdout : fopen(output, "w");
    if (!fp) {
        cli_error(cmd, "cannot write %s: %s", output, strerror(errno));
        json_decref(r);
        return 1;
    }
    if (json) {
        json_dumpf(r, fp, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        fputc('\n', fp);
    } else if (summary) {
        text_summary(fp, r);
    } else {
        text_report(fp, r);
    }
    json_decref(r);
    int bad = to_stdout ? fflush(fp) != 0 : fclose(fp) != 0;
    if (bad) {
        cli_error(cmd, "cannot write %s", to_stdout ? "standard output" : output);
        return 1;
    }
    return 0;
}
