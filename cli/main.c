/* main.c - the hazmap command: parse the subcommand, run it, exit with its status. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"import-areas", cmd_import_areas,
     "load area boundaries (Shapefile, GeoJSON, GeoPackage, KML)"},
    {"import-incidents", cmd_import_incidents,
     "load incidents (CSV, GeoJSON, GeoPackage, Shapefile)"},
    {"import-roads", cmd_import_roads,
     "load a road network (OpenStreetMap, GeoJSON, Shapefile, GeoPackage)"},
    {"density", cmd_density, "kernel density grid to GeoTIFF"},
    {"network-density", cmd_network_density,
     "network kernel density along the roads, per lixel, to GeoJSON or GeoPackage"},
    {"hotspots", cmd_hotspots, "Getis-Ord Gi* hot and cold spots to GeoJSON"},
    {"emerging", cmd_emerging, "emerging hot spots: space-time cube, trends, 17 patterns"},
    {"blackspots", cmd_blackspots, "DBSCAN black-spot clusters, ranked, to GeoJSON"},
    {"screen", cmd_screen, "network screening of junctions and road sections (EB, rules)"},
    {"stats", cmd_stats, "counts and rates per 100,000 with confidence intervals"},
    {"evaluate", cmd_evaluate, "before/after rate ratio of an intervention"},
    {"link", cmd_link, "link records of several sources; capture-recapture estimate"},
    {"serve", cmd_serve, "run the HTTP server (OGC API - Features, tiles, map page)"},
    {"token", cmd_token, "create API tokens for planners and editors"},
    {"render-tiles", cmd_render_tiles, "pre-render density tiles to MBTiles or z/x/y files"},
    {"publish", cmd_publish, "build and store a public release of noisy aggregates"},
    {"report", cmd_report, "the quarterly diagnosis report of a working group (HTML, PDF)"},
    {"copy", cmd_copy, "copy a whole store between SpatiaLite and PostGIS"},
    {"project", cmd_project,
     "the safety-promotion projects registry: add, list, show, update, delete"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: hazmap COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-17s %s\n", "help [COMMAND]", "this list, or a command's options");
    fprintf(out, "\nfilters shared by the analyses: --mechanism --place --intent --severity --sex"
                 " --activity --outcome\n  --from --to --age --disability --area --weight --weights"
                 " --count events|records\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc > 2) {
            /* Each command prints its own options for --help. */
            for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
                if (strcmp(commands[i].name, argv[2]) == 0) {
                    char *sub[] = {argv[2], (char *)"--help", NULL};
                    return commands[i].run(2, sub);
                }
            }
            fprintf(stderr, "hazmap: unknown command '%s'\n", argv[2]);
            return 2;
        }
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "hazmap: unknown command '%s' (try 'hazmap help')\n", name);
    return 2;
}
