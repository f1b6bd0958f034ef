/* cmd_blackspots.c - `hazmap blackspots`: DBSCAN black spots of the filtered incidents to GeoJSON.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/blackspots.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap blackspots --db PATH [filters] [--eps METRES] [--min-points N|auto]\n"
        "                         [--rank score|count] [--work-srs SRS] [--min-count N]\n"
        "                         [-o FILE.geojson]\n"
        "  DBSCAN clusters of the filtered incidents (eps default 50 m; min-points, the point\n"
        "  itself included as in R dbscan, default auto = max(5, ceil(3 pi n / cells of eps x eps\n"
        "  holding an incident)), i.e. a core needs 3x the background density), ranked by\n"
        "  severity score (default) or\n"
        "  count. --min-count N suppresses clusters under N incidents (public output).\n"
        "  Without -o the GeoJSON goes to standard output.\n");
}

int cmd_blackspots(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *eps_s = NULL, *minpts_s = NULL, *rank_s = NULL, *srs = NULL,
               *output = NULL, *help = NULL, *mincount_s = NULL;
    const cli_opt opts[] = {{"db", 1, &db},
                            {"eps", 1, &eps_s},
                            {"min-points", 1, &minpts_s},
                            {"rank", 1, &rank_s},
                            {"work-srs", 1, &srs},
                            {"output", 1, &output},
                            {"min-count", 1, &mincount_s},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    int st0 = cli_start(argc, argv, opts, &f, &help, &db, usage);
    if (st0 >= 0) return st0;
    blackspots_params p;
    blackspots_params_init(&p);
    long mp = 0, mincount = 0;
    if (eps_s && cli_double(cmd, "eps", eps_s, 0.001, 1e6, &p.eps) != 0) return 2;
    if (minpts_s && strcmp(minpts_s, "auto") != 0) {
        if (cli_int(cmd, "min-points", minpts_s, 1, 1000000, &mp) != 0) return 2;
        p.min_points = (int)mp;
    }
    if (mincount_s && cli_int(cmd, "min-count", mincount_s, 0, 1000000, &mincount) != 0) return 2;
    if (rank_s) {
        if (strcmp(rank_s, "score") == 0)
            p.rank = BLACKSPOTS_BY_SCORE;
        else if (strcmp(rank_s, "count") == 0)
            p.rank = BLACKSPOTS_BY_COUNT;
        else {
            cli_error(cmd, "--rank: '%s' is not score or count", rank_s);
            return 2;
        }
    }
    char err[1024];
    incset *s = cli_load_snapshot(cmd, db, srs);
    if (!s) return 1;
    blackspots_result *r = NULL;
    json_t *gj = NULL;
    int status = 1;
    hz_status hs = blackspots_compute(s, &f, &p, &r, err, sizeof err);
    if (hs == HZ_OK)
        hs =
            blackspots_geojson(r, &(disc_policy){.min_count = (int)mincount}, &gj, err, sizeof err);
    if (hs != HZ_OK) {
        cli_error(cmd, "%s", err);
        status = hs == HZ_EINVAL ? 2 : 1;
        goto done;
    }
    size_t flags = JSON_INDENT(1) | JSON_REAL_PRECISION(12);
    int wr = output && strcmp(output, "-") != 0 ? json_dump_file(gj, output, flags)
                                                : json_dumpf(gj, stdout, flags);
    if (wr != 0) {
        cli_error(cmd, "cannot write %s", output ? output : "standard output");
        goto done;
    }
    if (!output || strcmp(output, "-") == 0) fputc('\n', stdout);
    fprintf(stderr,
            "hazmap %s: %zu clusters from %lld incidents (%lld noise), eps %g m, "
            "min_points %d, work CRS %s%s%s\n",
            cmd, r->n, (long long)r->incidents, (long long)r->noise, p.eps, r->params.min_points,
            r->work_srs, output ? " -> " : "", output ? output : "");
    cli_note_without_point(cmd, (size_t)r->without_point);
    status = 0;
done:
    json_decref(gj);
    blackspots_free(r);
    incset_free(s);
    return status;
}
