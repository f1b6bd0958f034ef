/* cmd_project_eval.c - `hazmap project-eval`: the evaluation of one project (projeval.h) given
 * as a JSON file, printed as JSON. To be folded into `hazmap project evaluate` once the projects
 * registry stores projects; until project_from_json() exists it reads the members it needs
 * itself (read_project), strictly. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/incset.h"
#include "hazmap/project.h"
#include "hazmap/projeval.h"
#include "hazmap/roadnet.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap project-eval --db PATH --json PROJECT.json [--compare CODE,CODE...]\n"
        "                           [--suppress-below N] [-o FILE.json]\n"
        "  Evaluates one safety-promotion project (PROGRAMME.md, \"Evaluation\"). PROJECT.json\n"
        "  is the API's project object; read here: group, target, areas, sites, location\n"
        "  (a GeoJSON Point), buffer_m, start, end (other members are ignored). Area projects:\n"
        "  before/after rate ratio against comparison areas (--compare, else the 3 untargeted\n"
        "  areas of the same level with the closest before-window rates) and, with >= 24\n"
        "  months of data before start, an interrupted time series. Site projects (road sites\n"
        "  or a point): the Empirical Bayes before/after method with the network screening's\n"
        "  SPF. --suppress-below N gives the public version (counts below N hidden).\n");
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* An array of strings into *v (n); -1 when the member is not one. */
static int str_array(json_t *a, char ***v, size_t *n)
{
    if (!a) return 0;
    if (!json_is_array(a)) return -1;
    *v = calloc(json_array_size(a) + 1, sizeof **v);
    if (!*v) return -1;
    for (size_t k = 0; k < json_array_size(a); k++) {
        const char *s = json_string_value(json_array_get(a, k));
        if (!s || !((*v)[k] = dup_str(s))) return -1;
        *n = k + 1;
    }
    return 0;
}

static void free_strs(char **v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(v[k]);
    free(v);
}

static void free_project(hz_project *p)
{
    free(p->group);
    free(p->target);
    free_strs(p->areas, p->nareas);
    free_strs(p->sites, p->nsites);
    free(p->wkb);
    memset(p, 0, sizeof *p);
}

/* The members the evaluation needs; -1 with the member named on stderr. */
static int read_project(const char *cmd, json_t *o, hz_project *p)
{
    memset(p, 0, sizeof *p);
    const char *group = json_string_value(json_object_get(o, "group"));
    const char *target = json_string_value(json_object_get(o, "target"));
    const char *start = json_string_value(json_object_get(o, "start"));
    const char *end = json_string_value(json_object_get(o, "end"));
    json_t *id = json_object_get(o, "id"), *buf = json_object_get(o, "buffer_m");
    json_t *loc = json_object_get(o, "location");
    if (!json_is_object(o) || !group || !start || strlen(start) != 10 ||
        (end && strlen(end) != 10 && end[0])) {
        cli_error(cmd, "--json: the project needs a group and a start (YYYY-MM-DD), and an end "
                       "(YYYY-MM-DD) if any");
        return -1;
    }
    p->id = json_is_integer(id) ? json_integer_value(id) : 0;
    p->group = dup_str(group);
    p->target = dup_str(target ? target : "");
    snprintf(p->start, sizeof p->start, "%s", start);
    snprintf(p->end, sizeof p->end, "%s", end ? end : "");
    p->buffer_m = json_is_number(buf) ? json_number_value(buf) : 0;
    if (str_array(json_object_get(o, "areas"), &p->areas, &p->nareas) != 0 ||
        str_array(json_object_get(o, "sites"), &p->sites, &p->nsites) != 0) {
        cli_error(cmd, "--json: areas and sites must be arrays of strings");
        return -1;
    }
    if (loc && !json_is_null(loc)) {
        json_t *c = json_object_get(loc, "coordinates");
        const char *t = json_string_value(json_object_get(loc, "type"));
        if (!t || strcmp(t, "Point") != 0 || json_array_size(c) != 2 ||
            !json_is_number(json_array_get(c, 0)) || !json_is_number(json_array_get(c, 1))) {
            cli_error(cmd, "--json: location: only a GeoJSON Point is evaluated here");
            return -1;
        }
        double lon = json_number_value(json_array_get(c, 0));
        double lat = json_number_value(json_array_get(c, 1));
        uint32_t type = 1;
        p->wkb = malloc(21);
        if (!p->wkb) return -1;
        p->wkb[0] = 1; /* little-endian WKB Point */
        memcpy(p->wkb + 1, &type, 4);
        memcpy(p->wkb + 5, &lon, 8);
        memcpy(p->wkb + 13, &lat, 8);
        p->wkb_len = 21;
    }
    return 0;
}

/* Splits "a,b,c" in place into v (at most cap). */
static size_t split_codes(char *s, const char **v, size_t cap)
{
    size_t n = 0;
    for (char *save = s, *tok; save && n < cap;) {
        tok = save;
        char *c = strchr(save, ',');
        save = c ? c + 1 : NULL;
        if (c) *c = 0;
        if (*tok) v[n++] = tok;
    }
    return n;
}

int cmd_project_eval(int argc, char **argv)
{
    const char *cmd = "project-eval";
    const char *db = NULL, *help = NULL, *jpath = NULL, *compare = NULL, *supp = NULL, *outp = NULL;
    cli_opt opts[] = {{"db", 1, &db},           {"help", 0, &help},           {"json", 1, &jpath},
                      {"compare", 1, &compare}, {"suppress-below", 1, &supp}, {"output", 1, &outp},
                      {NULL, 0, NULL}};
    int rc = cli_start(argc, argv, opts, NULL, &help, &db, usage);
    if (rc >= 0) return rc;
    if (!jpath) {
        cli_error(cmd, "--json PROJECT.json is required");
        return 2;
    }
    long mincount = 0;
    if (supp && cli_int(cmd, "--suppress-below", supp, 0, 1000000, &mincount) != 0) return 2;
    json_error_t je;
    json_t *pj = json_load_file(jpath, 0, &je);
    if (!pj) {
        cli_error(cmd, "%s:%d: %s", jpath, je.line, je.text);
        return 1;
    }
    hz_project p;
    int ok = read_project(cmd, pj, &p) == 0;
    json_decref(pj);
    if (!ok) {
        free_project(&p);
        return 1;
    }
    incset *s = cli_load_snapshot(cmd, db, NULL);
    char err[1024];
    roadnet *net = NULL;
    workcrs *w = NULL;
    rc = 1;
    if (!s) goto done;
    if (p.nsites || p.wkb) {
        store *st = store_open(db, STORE_READONLY, err, sizeof err);
        w = st ? workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err) : NULL;
        net = w ? roadnet_load(st, w, err, sizeof err) : NULL;
        store_close(st);
        if (!net) {
            cli_error(cmd, "%s", err);
            goto done;
        }
    }
    char *cbuf = compare ? dup_str(compare) : NULL;
    const char *codes[64];
    disc_policy pol = {.min_count = (int)mincount};
    projeval_opts po = {net, w, codes, cbuf ? split_codes(cbuf, codes, 64) : 0,
                        mincount > 0 ? &pol : NULL};
    json_t *res = NULL;
    if (projeval_run(s, &p, &po, &res, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
    } else if (outp ? json_dump_file(res, outp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0
                    : json_dumpf(res, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0) {
        cli_error(cmd, "cannot write the result");
    } else {
        if (!outp) putchar('\n');
        rc = 0;
    }
    json_decref(res);
    free(cbuf);
done:
    roadnet_free(net);
    workcrs_free(w);
    incset_free(s);
    free_project(&p);
    return rc;
}
