/* cmd_project.c - `hazmap project add|list|show|update|delete`: the safety-promotion projects
 * registry (store_projects.h) from the command line. The JSON is the API's (API.md,
 * "Projects"), read by the same strict project_from_json(); every change is audited with the
 * actor "cli". */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/project.h"
#include "hazmap/store.h"
#include "hazmap/store_projects.h"
#include "hazmap/wgroups.h"

static const char *const usage_text =
    "usage: hazmap project add    --db PATH --json FILE|-\n"
    "       hazmap project list   --db PATH [--group G] [--status S] [--json]\n"
    "       hazmap project show   --db PATH ID\n"
    "       hazmap project update --db PATH ID --json FILE|-\n"
    "       hazmap project delete --db PATH ID [--version V]\n"
    "  The safety-promotion projects of the working groups (API.md, \"Projects\"). add and\n"
    "  update read one project as JSON (- for standard input); update needs the \"version\"\n"
    "  the project was read at and fails when it changed since. add, show and update print\n"
    "  the stored project as JSON; list prints one line per project (id, group, status,\n"
    "  start, end, title), or the JSON array with --json. Every change is written to the\n"
    "  audit log (GET /api/projects/audit) with the actor \"cli\".\n"
    "  --group: traffic, fire, workplace, home, elderly, disabled, school, public,\n"
    "  environment, order, surveillance, publicity; --status: planned, active, finished,\n"
    "  stopped.\n";

static void usage(FILE *out)
{
    fputs(usage_text, out);
}

/* The project of file path ("-": standard input) into *p; -1 with the error printed. */
static int read_project(const char *cmd, const char *path, hz_project *p)
{
    memset(p, 0, sizeof *p);
    json_error_t jerr;
    json_t *doc = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                         : json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        cli_error(cmd, "%s: line %d: %s", path, jerr.line, jerr.text);
        return -1;
    }
    char err[512];
    hz_status s = project_from_json(doc, p, err, sizeof err);
    json_decref(doc);
    if (s != HZ_OK) {
        cli_error(cmd, "%s: %s", path, err);
        return -1;
    }
    return 0;
}

static void print_json(const hz_project *p)
{
    json_t *j = project_to_json(p);
    char *t = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    if (t) printf("%s\n", t);
    free(t);
    json_decref(j);
}

/* Prints project id as stored; 0, or 1 with the error printed. */
static int show(const char *cmd, store *st, int64_t id)
{
    hz_project p;
    char err[512];
    hz_status s = store_project_get(st, id, &p, err, sizeof err);
    if (s == HZ_OK) print_json(&p);
    project_free(&p);
    if (s != HZ_OK) cli_error(cmd, "%s", err);
    return s == HZ_OK ? 0 : 1;
}

static int64_t parse_id(const char *cmd, const char *s)
{
    long v;
    return cli_int(cmd, "ID", s, 1, 0x7fffffffL, &v) == 0 ? v : -1;
}

typedef struct list_ctx {
    int json;
    json_t *arr;
} list_ctx;

static int list_cb(void *ud, const hz_project *p)
{
    list_ctx *x = ud;
    if (x->json) {
        json_array_append_new(x->arr, project_to_json(p));
        return 0;
    }
    printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)p->id, p->group, project_status_word(p->status),
           p->start, p->end[0] ? p->end : "-", p->title);
    return 0;
}

static int run(const char *cmd, const char *verb, store *st, const char *json_path,
               const char *group, const char *status, int as_json, int64_t id, long version)
{
    char err[512];
    hz_status s = HZ_OK;
    if (strcmp(verb, "list") == 0) {
        int si = -1;
        for (int i = 0; status && i < HZ_PSTATUS_COUNT; i++)
            if (strcmp(project_status_word((hz_project_status)i), status) == 0) si = i;
        list_ctx x = {as_json, json_array()};
        s = store_projects_scan(st, group, si, list_cb, &x, err, sizeof err);
        if (s == HZ_OK && as_json) {
            char *t = json_dumps(x.arr, JSON_INDENT(2));
            if (t) printf("%s\n", t);
            free(t);
        }
        json_decref(x.arr);
    } else if (strcmp(verb, "show") == 0) {
        return show(cmd, st, id);
    } else if (strcmp(verb, "delete") == 0) {
        s = store_project_delete(st, id, version, "cli", err, sizeof err);
        if (s == HZ_OK) fprintf(stderr, "hazmap %s: project %lld deleted\n", cmd, (long long)id);
    } else {
        hz_project p;
        if (read_project(cmd, json_path, &p)) {
            project_free(&p);
            return 1;
        }
        if (strcmp(verb, "add") == 0) {
            s = store_project_add(st, &p, "cli", &id, err, sizeof err);
        } else if (p.version < 1) {
            s = hz_fail(HZ_EINVAL, err, sizeof err,
                        "%s: version: required (the version the project was read at)", json_path);
        } else if (p.id && p.id != id) {
            s = hz_fail(HZ_EINVAL, err, sizeof err, "%s: id: %lld is not project %lld", json_path,
                        (long long)p.id, (long long)id);
        } else {
            p.id = id;
            s = store_project_update(st, &p, "cli", err, sizeof err);
        }
        project_free(&p);
        if (s == HZ_OK) return show(cmd, st, id);
    }
    if (s != HZ_OK) cli_error(cmd, "%s", err);
    return s == HZ_OK ? 0 : 1;
}

int cmd_project(int argc, char **argv)
{
    static const char *const verbs[] = {"add", "list", "show", "update", "delete"};
    const char *verb = argc > 1 ? argv[1] : NULL;
    int known = 0;
    for (size_t i = 0; verb && i < sizeof verbs / sizeof *verbs; i++)
        known |= strcmp(verb, verbs[i]) == 0;
    if (!known) {
        if (verb && (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)) {
            usage(stdout);
            return 0;
        }
        cli_error("project", "%s%s%s", verb ? "unknown subcommand '" : "a subcommand is needed",
                  verb ? verb : "", verb ? "'" : "");
        usage(stderr);
        return 2;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "project %s", verb);
    int is_list = strcmp(verb, "list") == 0, needs_id = !is_list && strcmp(verb, "add") != 0;
    int needs_json = strcmp(verb, "add") == 0 || strcmp(verb, "update") == 0;
    const char *db = NULL, *json = NULL, *group = NULL, *status = NULL, *vtext = NULL, *help = NULL;
    /* list's --json is a flag; add's and update's names the file */
    const cli_opt opts[] = {{"db", 1, &db},         {"json", !is_list, &json}, {"group", 1, &group},
                            {"status", 1, &status}, {"version", 1, &vtext},    {"help", 0, &help},
                            {NULL, 0, NULL}};
    const char *pos[2];
    int npos = 0;
    argv[1] = cmd; /* messages name "project VERB" */
    if (cli_parse(argc - 1, argv + 1, opts, NULL, pos, 2, &npos) != 0) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    const char *why = !db                   ? "--db PATH is required"
                      : needs_json && !json ? "--json FILE is required"
                      : npos != (needs_id ? 1 : 0)
                          ? (needs_id ? "one project ID is needed" : "no positional argument")
                      : !is_list && (group || status)   ? "--group and --status are list's"
                      : vtext && strcmp(verb, "delete") ? "--version is delete's"
                      : !needs_json && !is_list && json ? "--json is add's, update's and list's"
                                                        : NULL;
    if (why) {
        cli_error(cmd, "%s", why);
        usage(stderr);
        return 2;
    }
    if (group && !wgroup_find(group)) {
        cli_error(cmd, "--group: '%s' is not a working group", group);
        return 2;
    }
    int status_ok = !status;
    for (int i = 0; status && i < HZ_PSTATUS_COUNT; i++)
        status_ok |= strcmp(project_status_word((hz_project_status)i), status) == 0;
    if (!status_ok) {
        cli_error(cmd, "--status: '%s' is not planned, active, finished or stopped", status);
        return 2;
    }
    int64_t id = needs_id ? parse_id(cmd, pos[0]) : 0;
    long version = 0;
    if (id < 0 || (vtext && cli_int(cmd, "--version", vtext, 1, 0x7fffffffL, &version) != 0))
        return 2;
    char err[1024];
    int ro = is_list || strcmp(verb, "show") == 0;
    store *st = store_open(db, ro ? STORE_READONLY : 0, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    int rc = run(cmd, verb, st, json, group, status, is_list && json, id, version);
    store_close(st);
    return rc;
}
