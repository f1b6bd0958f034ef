/* cli.h - the subcommands of the hazmap binary and their shared option parser. */
#ifndef HAZMAP_CLI_H
#define HAZMAP_CLI_H

#include <stdio.h>

#include "hazmap/filter.h"
#include "hazmap/incset.h"

/* Each subcommand: argv[0] is the subcommand's name. Returns the process exit status:
 * 0 success, 1 failure at run time (bad input data, I/O), 2 usage error. */
int cmd_import_areas(int argc, char **argv);
int cmd_import_incidents(int argc, char **argv);
int cmd_import_roads(int argc, char **argv);
int cmd_density(int argc, char **argv);
int cmd_network_density(int argc, char **argv);
int cmd_hotspots(int argc, char **argv);
int cmd_emerging(int argc, char **argv);
int cmd_blackspots(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_project_eval(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_render_tiles(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_project(int argc, char **argv);

/* One option a subcommand accepts. "--name value" and "--name=value" are both accepted. */
typedef struct cli_opt {
    const char *name;   /* without the dashes */
    int has_arg;        /* 0: a flag (value set to "1"), 1: takes a value */
    const char **value; /* where the value goes (last occurrence wins); NULL if absent */
} cli_opt;

/* Parses argv[1..argc-1] ("-o" is "--output", "-h" is "--help"): options listed in opts (terminated
 * by {NULL}), the shared filter options (filter.h: --mechanism, --from, ...) into f when f is
 * non-NULL, and up to maxpos positional arguments into pos (count in *npos). On error prints
 * "hazmap CMD: ..." naming the option to stderr and returns -1; else 0. */
int cli_parse(int argc, char **argv, const cli_opt *opts, hz_filter *f, const char **pos,
              int maxpos, int *npos);

/* The start the analysis subcommands share: cli_parse() (filters into f when non-NULL), then
 * --help prints usage to stdout, and --db PATH is required (a message and usage on stderr when
 * absent). help and db are the variables opts fills. Returns -1 to go on, else the exit status
 * to return: 0 after --help, 2 on a usage error. */
int cli_start(int argc, char **argv, const cli_opt *opts, hz_filter *f, const char *const *help,
              const char *const *db, void (*usage)(FILE *));

/* Strict number parsing for option values: the whole string, within [lo, hi] (finite). On error
 * prints "hazmap CMD: --OPT: ..." and returns -1; else 0 and sets *out. */
int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);

/* Opens the database read-only and loads its snapshot in the working CRS work_srs (NULL = auto).
 * On failure prints the reason as "hazmap CMD: ..." and returns NULL. Free with incset_free(). */
incset *cli_load_snapshot(const char *cmd, const char *db, const char *work_srs);

/* When n > 0, prints "hazmap CMD: left out N records without a point (known only by their
 * area)" to stderr: every point analysis says what it did not map (incset.h). */
void cli_note_without_point(const char *cmd, size_t n);

/* Prints "hazmap CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
