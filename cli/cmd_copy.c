/* cmd_copy.c - hazmap copy: a whole store into a new one, between SpatiaLite and PostGIS. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>

#include "hazmap/store.h"
#include "hazmap/store_copy.h"

static const char copy_usage[] =
    "usage: hazmap copy --from DB --to DB\n"
    "  Copies a whole store into a new one (created when absent, else it must hold no areas and\n"
    "  no incidents): areas, incidents, roads, releases, record links, projects with their audit\n"
    "  log, import batches and rejected rows, and tokens (their hashes: the same tokens work).\n"
    "  DB is a file (SpatiaLite) or a PostgreSQL URI or conninfo (PostGIS), e.g.\n"
    "    hazmap copy --from var/hazmap.sqlite --to postgresql:///hazmap\n";

int cmd_copy(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *help = NULL;
    const cli_opt opts[] = {
        {"from", 1, &from}, {"to", 1, &to}, {"help", 0, &help}, {NULL, 0, NULL}};
    int npos = 0;
    if (cli_parse(argc, argv, opts, NULL, NULL, 0, &npos) != 0) return 2;
    if (help) {
        fputs(copy_usage, stdout);
        return 0;
    }
    if (!from || !to) {
        cli_error(argv[0], "--from and --to are required");
        fputs(copy_usage, stderr);
        return 2;
    }
    char err[1024];
    store *src = store_open(from, STORE_READONLY, err, sizeof err);
    if (!src) {
        cli_error(argv[0], "--from: %s", err);
        return 1;
    }
    store *dst = store_open(to, STORE_CREATE, err, sizeof err);
    if (!dst) {
        cli_error(argv[0], "--to: %s", err);
        store_close(src);
        return 1;
    }
    store_copy_summary sum;
    hz_status s = store_copy(src, dst, &sum, err, sizeof err);
    store_close(src);
    store_close(dst);
    if (s != HZ_OK) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    printf("copied: %" PRId64 " areas, %" PRId64 " incidents, %" PRId64 " road sources, %" PRId64
           " releases, %" PRId64 " links, %" PRId64 " projects (%" PRId64 " audit rows), %" PRId64
           " import batches (%" PRId64 " rejects), %" PRId64 " tokens\n",
           sum.areas, sum.incidents, sum.road_sources, sum.releases, sum.links, sum.projects,
           sum.audit, sum.batches, sum.rejects, sum.tokens);
    return 0;
}
