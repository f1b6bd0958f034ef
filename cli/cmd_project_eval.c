/* cmd_project_eval.c - `hazmap project evaluate`: the evaluation of one project (projeval.h),
 * a stored one by its id or an unsaved one from a JSON file (project_from_json()), printed as
 * JSON. */
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
#include "hazmap/store_projects.h"
#include "hazmap/workcrs.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap project evaluate --db PATH (ID | --json PROJECT.json)\n"
        "                               [--compare CODE,CODE...] [--suppress-below N] [-o FILE]\n"
        "  Evaluates one safety-promotion project (PROGRAMME.md, \"Evaluation\"): the stored\n"
        "  project ID, or the API's project object in PROJECT.json (not stored). Area projects:\n"
        "  before/after rate ratio against comparison areas (--compare, else the 3 untargeted\n"
        "  areas of the same level with the closest before-window rates) and, with >= 24\n"
        "  months of data before start, an interrupted time series. Site projects (road sites\n"
        "  or a point): the Empirical Bayes before/after method with the network screening's\n"
        "  SPF. --suppress-below N gives the public version (counts below N hidden).\n");
}

/* The project: from the store (id) or the file; -1 after printing the error. */
static int load_project(const char *cmd, const char *db, const char *id_s, const char *jpath,
                        hz_project *p)
{
    char err[1024];
    memset(p, 0, sizeof *p);
    if (jpath) {
        json_error_t je;
        json_t *pj = json_load_file(jpath, 0, &je);
        if (!pj) {
            cli_error(cmd, "%s:%d: %s", jpath, je.line, je.text);
            return -1;
        }
        hz_status s = project_from_json(pj, p, err, sizeof err);
        json_decref(pj);
        if (s != HZ_OK) cli_error(cmd, "%s: %s", jpath, err);
        return s == HZ_OK ? 0 : -1;
    }
    long id;
    if (cli_int(cmd, "ID", id_s, 1, INT32_MAX, &id) != 0) return -1;
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    hz_status s = st ? store_project_get(st, id, p, err, sizeof err) : HZ_EDB;
    store_close(st);
    if (s != HZ_OK) cli_error(cmd, "%s", err);
    return s == HZ_OK ? 0 : -1;
}

/* Splits "A,B,C" in place into v (at most cap); returns the count. */
static size_t split_codes(char *s, const char **v, size_t cap)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(s, ",", &save); t && n < cap;
         t = strtok_r(NULL, ",", &save))
        v[n++] = t;
    return n;
}

/* Runs the evaluation and writes it; the exit status. */
static int evaluate(const char *cmd, const char *db, const hz_project *p, const char *compare,
                    long mincount, const char *outp)
{
    char err[1024];
    roadnet *net = NULL;
    workcrs *w = NULL;
    int rc = 1;
    incset *s = cli_load_snapshot(cmd, db, NULL);
    if (!s) return 1;
    if (p->nsites || p->wkb) {
        store *st = store_open(db, STORE_READONLY, err, sizeof err);
        w = st ? workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err) : NULL;
        net = w ? roadnet_load(st, w, err, sizeof err) : NULL;
        store_close(st);
        if (!net) {
            cli_error(cmd, "%s", err);
            goto done;
        }
    }
    char *cbuf = compare ? strdup(compare) : NULL;
    const char *codes[64];
    disc_policy pol = {.min_count = (int)mincount};
    projeval_opts po = {net, w, codes, cbuf ? split_codes(cbuf, codes, 64) : 0,
                        mincount > 0 ? &pol : NULL};
    json_t *res = NULL;
    if (projeval_run(s, p, &po, &res, err, sizeof err) != HZ_OK) {
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
    return rc;
}

int cmd_project_evaluate(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *help = NULL, *jpath = NULL, *compare = NULL, *supp = NULL, *outp = NULL;
    cli_opt opts[] = {{"db", 1, &db},           {"help", 0, &help},           {"json", 1, &jpath},
                      {"compare", 1, &compare}, {"suppress-below", 1, &supp}, {"output", 1, &outp},
                      {NULL, 0, NULL}};
    const char *pos[1];
    int npos = 0;
    if (cli_parse(argc, argv, opts, NULL, pos, 1, &npos) != 0) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (!db || (npos == 1) == (jpath != NULL)) {
        cli_error(cmd, "%s", !db ? "--db PATH is required" : "give a project ID or --json FILE");
        usage(stderr);
        return 2;
    }
    long mincount = 0;
    if (supp && cli_int(cmd, "--suppress-below", supp, 0, 1000000, &mincount) != 0) return 2;
    hz_project p;
    int rc = load_project(cmd, db, npos ? pos[0] : NULL, jpath, &p) == 0
                 ? evaluate(cmd, db, &p, compare, mincount, outp)
                 : 1;
    project_free(&p);
    return rc;
}
