/* cli.c - the option parser shared by the subcommands. */
#include "cli.h"
#include "hazmap/linkage_db.h"
#include "hazmap/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hazmap %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse(int argc, char **argv, const cli_opt *opts, hz_filter *f, const char **pos,
              int maxpos, int *npos)
{
    const char *cmd = argv[0];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* The two conventional short options. */
        if (strcmp(a, "-o") == 0) a = "--output";
        if (strcmp(a, "-h") == 0) a = "--help";
        if (a[0] != '-' || a[1] != '-' || a[2] == 0) {
            if (np >= maxpos) {
                cli_error(cmd, "unexpected argument '%s'", a);
                return -1;
            }
            pos[np++] = a;
            continue;
        }
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof name) {
            cli_error(cmd, "unknown option '%s'", a);
            return -1;
        }
        memcpy(name, a + 2, len);
        name[len] = 0;
        const cli_opt *o = NULL;
        for (const cli_opt *p = opts; p && p->name; p++)
            if (strcmp(p->name, name) == 0) o = p;
        int is_filter = !o && f && filter_is_param(name);
        if (!o && !is_filter) {
            cli_error(cmd, "unknown option '--%s' (see 'hazmap help %s')", name, cmd);
            return -1;
        }
        const char *val = "1";
        if (is_filter || o->has_arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                cli_error(cmd, "option '--%s' needs a value", name);
                return -1;
            }
        } else if (eq) {
            cli_error(cmd, "option '--%s' takes no value", name);
            return -1;
        }
        if (is_filter) {
            char err[512];
            if (filter_set(f, name, val, err, sizeof err) != HZ_OK) {
                cli_error(cmd, "--%s", err);
                return -1;
            }
        } else {
            *o->value = val;
        }
    }
    if (npos) *npos = np;
    return 0;
}

int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error(cmd, "--%s: '%s' is not an integer in %ld..%ld", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        cli_error(cmd, "--%s: '%s' is not a number in %g..%g", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_start(int argc, char **argv, const cli_opt *opts, hz_filter *f, const char *const *help,
              const char *const *db, void (*usage)(FILE *))
{
    if (cli_parse(argc, argv, opts, f, NULL, 0, NULL) != 0) return 2;
    if (*help) {
        usage(stdout);
        return 0;
    }
    if (!*db) {
        cli_error(argv[0], "--db PATH is required");
        usage(stderr);
        return 2;
    }
    return -1;
}

incset *cli_load_snapshot(const char *cmd, const char *db, const char *work_srs)
{
    char err[1024];
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return NULL;
    }
    incset *s = incset_load(st, work_srs, err, sizeof err);
    /* the events of the stored links, for the default count (filter.h) */
    if (s && linkage_db_attach_events(st, s, err, sizeof err) != HZ_OK) {
        incset_free(s);
        s = NULL;
    }
    store_close(st);
    if (!s) cli_error(cmd, "%s", err);
    return s;
}

void cli_note_without_point(const char *cmd, size_t n)
{
    if (n > 0)
        fprintf(stderr,
                "hazmap %s: left out %zu records without a point (known only by their area)\n", cmd,
                n);
}
