/* cmd_report.c - `hazmap report`: the quarterly diagnosis report of a working group or the
 * district as HTML or PDF (report.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hazmap/linkage_db.h"
#include "hazmap/projeval.h"
#include "hazmap/release.h"
#include "hazmap/report.h"
#include "hazmap/roadnet.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

static void report_usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap report --db PATH --group KEY|district --quarter 2014Q2 -o "
        "FILE.html|FILE.pdf\n"
        "                     [--lang zh|en] [--public] [--projects FILE.json] [--chromium PATH]\n"
        "  The quarterly diagnosis report of a working group (order, traffic, fire, workplace,\n"
        "  home, elderly, disabled, school, environment, public, surveillance, publicity) or the\n"
        "  whole district: headline rates with CIs against the same quarter a year before, hot\n"
        "  spots, black spots and (traffic) screened road sites with maps, rates by age and sex,\n"
        "  vulnerable groups, the monthly trend against a seasonal baseline, the group's\n"
        "  projects, sources and provenance. One self-contained HTML page (zh-CN by default);\n"
        "  a .pdf output is printed by headless Chromium (--chromium, default chromium).\n"
        "  --public: the public version, from the newest release only (PRIVACY.md).\n"
        "  --projects: a JSON array of project objects (API.md), with optional evaluations;\n"
        "  without it the registry's projects of the group with their evaluations (the public\n"
        "  version: the effects published with the newest release).\n");
}

static int write_file(const char *cmd, const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        cli_error(cmd, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int bad = fwrite(data, 1, len, fp) != len;
    bad |= fclose(fp) != 0;
    if (bad) cli_error(cmd, "cannot write %s", path);
    return bad ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The projects the report lists when --projects names none: the registry's, with live
 * evaluations (projeval_list()), or for the public version the release's published effects. */
static hz_status load_projects(store *st, const incset *s, const roadnet *net, const char *group,
                               const rel_release *rel, json_t **projects, char *err, size_t errlen)
{
    if (rel) {
        const json_t *e = json_object_get(rel_metadata(rel), "project_effects");
        *projects = e ? json_deep_copy(e) : json_array();
        return *projects ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    return projeval_list(st, s, net, strcmp(group, "district") ? group : NULL, 0, NULL, projects,
                         err, errlen);
}

/* What the report reads from the store besides the snapshot: the roads, the linkage summary,
 * (public) the newest release and, unless given (*projects non-NULL), the projects. Returns 0,
 * or -1 with the error printed. */
static int load_inputs(const char *cmd, const char *db, const incset *s, int public_version,
                       const char *group, roadnet **net, json_t **linkage, rel_release **rel,
                       json_t **projects)
{
    char err[1024];
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return -1;
    }
    int rc = 0;
    if (public_version) {
        if (rel_load(st, 0, rel, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "--public: %s (run hazmap publish)", err);
            rc = -1;
        }
    } else {
        workcrs *w = workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err);
        *net = w ? roadnet_load(st, w, err, sizeof err) : NULL;
        workcrs_free(w);
        if (!*net) {
            cli_error(cmd, "%s", err);
            rc = -1;
        }
        if (rc == 0 && linkage_db_has_links(st) &&
            linkage_db_summary(st, linkage, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "%s", err);
            rc = -1;
        }
    }
    if (rc == 0 && !*projects &&
        load_projects(st, s, *net, group, *rel, projects, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        rc = -1;
    }
    store_close(st);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *group = NULL, *quarter_s = NULL, *lang = NULL, *pub = NULL,
               *projects_s = NULL, *output = NULL, *chromium = NULL, *help = NULL;
    const cli_opt opts[] = {
        {"db", 1, &db},         {"group", 1, &group},       {"quarter", 1, &quarter_s},
        {"lang", 1, &lang},     {"public", 0, &pub},        {"projects", 1, &projects_s},
        {"output", 1, &output}, {"chromium", 1, &chromium}, {"help", 0, &help},
        {NULL, 0, NULL}};
    int st0 = cli_start(argc, argv, opts, NULL, &help, &db, report_usage);
    if (st0 >= 0) return st0;
    char err[1024];
    report_inputs in = {.group = group, .source = db};
    if (!group || !quarter_s || !output) {
        cli_error(cmd, "--group, --quarter and -o are required");
        report_usage(stderr);
        return 2;
    }
    if (report_parse_quarter(quarter_s, &in.quarter, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "--%s", err);
        return 2;
    }
    if (lang && strcmp(lang, "zh") && strcmp(lang, "en")) {
        cli_error(cmd, "--lang: '%s' is not zh or en", lang);
        return 2;
    }
    in.lang_en = lang && strcmp(lang, "en") == 0;
    in.public_version = pub != NULL;
    int pdf = ends_with(output, ".pdf");
    if (!pdf && !ends_with(output, ".html")) {
        cli_error(cmd, "-o: '%s' does not end in .html or .pdf", output);
        return 2;
    }
    json_t *projects = NULL;
    if (projects_s) {
        json_error_t je;
        projects = json_load_file(projects_s, 0, &je);
        if (!json_is_array(projects)) {
            cli_error(cmd, "--projects: %s:%d: %s", projects_s, je.line,
                      projects ? "not a JSON array" : je.text);
            json_decref(projects);
            return 2;
        }
    }
    int status = 1;
    roadnet *net = NULL;
    json_t *linkage = NULL;
    rel_release *rel = NULL;
    char *html = NULL;
    unsigned char *pdfbuf = NULL;
    size_t len = 0, pdflen = 0;
    incset *s = cli_load_snapshot(cmd, db, NULL);
    if (!s ||
        load_inputs(cmd, db, s, in.public_version, group, &net, &linkage, &rel, &projects) != 0)
        goto done;
    in.projects = projects;
    in.snap = s;
    in.net = net;
    in.linkage = linkage;
    in.rel = rel;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hz_status rc = report_html(&in, &html, &len, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != HZ_OK) {
        cli_error(cmd, "%s", err);
        status = rc == HZ_EINVAL ? 2 : 1;
        goto done;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (pdf) {
        if (report_pdf(html, len, chromium, 120, &pdfbuf, &pdflen, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "%s", err);
            goto done;
        }
        if (write_file(cmd, output, pdfbuf, pdflen) != 0) goto done;
    } else if (write_file(cmd, output, html, len) != 0)
        goto done;
    fprintf(stderr, "hazmap %s: %s %s%s, HTML %zu bytes in %.2f s -> %s\n", cmd, group, quarter_s,
            in.public_version ? " (public)" : "", len, secs, output);
    status = 0;
done:
    free(pdfbuf);
    free(html);
    rel_free(rel);
    json_decref(linkage);
    roadnet_free(net);
    incset_free(s);
    json_decref(projects);
    return status;
}
