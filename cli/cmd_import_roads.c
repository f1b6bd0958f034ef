/* cmd_import_roads.c - the import-roads subcommand. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/import_roads.h"
#include "hazmap/store.h"

static const char roads_help[] =
    "usage: hazmap import-roads --db PATH FILE [options]\n"
    "Loads a road network into the store, creating it if absent: OpenStreetMap XML or PBF (the\n"
    "ways with a highway tag, split where they share a node) or any line layer OGR reads\n"
    "(GeoJSON, Shapefile, GeoPackage, ...). One transaction; the file's roads replace those\n"
    "loaded before from the same source, and the same file again changes nothing. Features\n"
    "that are not usable lines or have bad values are rejected with their number and reason.\n"
    "  --layer L            layer to read (default: 'lines' for OSM, else the first)\n"
    "  --srs SRS            source CRS: EPSG:n, PROJ string, WKT, gcj02 or bd09 (default: the\n"
    "                       file's own)\n"
    "  --source NAME        source name keying the roads (default: the file's base name)\n"
    "  --from-node F --to-node T\n"
    "                       integer end-node fields: the file's topology is used as given\n"
    "                       (without them, line ends and shared vertices become nodes)\n"
    "  --snap M             metres within which vertices are one node, 0..100 (default 0.5;\n"
    "                       OSM: identical coordinates; 0: identical coordinates only)\n"
    "  --id-field F         segment id (default: id, edge_id, osm_id; else the feature number)\n"
    "  --name-field F       name (default: name)\n"
    "  --class-field F      road class (default: highway, class, fclass)\n"
    "  --oneway-field F     yes/true/1, -1/reverse, no/false/0 (default: oneway)\n"
    "  --lanes-field F      lanes, 1..99 (default: lanes)\n"
    "  --speed-field F      speed limit, km/h or 'N mph' (default: maxspeed, speed)\n"
    "  --volume-field F     traffic volume, vehicles/day (default: aadt, volume)\n"
    "Other fields (and OSM tags) are kept in each segment's 'extra' as a JSON object.\n";

static void print_summary(const import_summary *s)
{
    printf("roads: read %lld, rejected %lld; %lld segments (%lld new, %lld replaced, %lld "
           "unchanged), %lld nodes, %lld junctions, %lld dead ends, %.2f km (batch %lld)\n",
           (long long)s->read, (long long)s->rejected, (long long)s->segments, (long long)s->loaded,
           (long long)s->replaced, (long long)s->unchanged, (long long)s->nodes,
           (long long)s->junctions, (long long)s->dead_ends, s->km, (long long)s->batch_id);
    for (int i = 0; i < s->nreasons; i++)
        printf("  rejected, %s: %lld\n", s->reason[i], (long long)s->reason_count[i]);
    if (s->rejected > 0)
        printf("  (every rejected feature is kept in import_rejects with its number and "
               "reason)\n");
}

int cmd_import_roads(int argc, char **argv)
{
    const char *db = NULL, *help = NULL, *snap = NULL;
    import_roads_opts o = {0};
    const cli_opt opts[] = {{"db", 1, &db},
                            {"layer", 1, &o.layer},
                            {"srs", 1, &o.srs},
                            {"source", 1, &o.source},
                            {"from-node", 1, &o.from_field},
                            {"to-node", 1, &o.to_field},
                            {"snap", 1, &snap},
                            {"id-field", 1, &o.id_field},
                            {"name-field", 1, &o.name_field},
                            {"class-field", 1, &o.class_field},
                            {"oneway-field", 1, &o.oneway_field},
                            {"lanes-field", 1, &o.lanes_field},
                            {"speed-field", 1, &o.speed_field},
                            {"volume-field", 1, &o.volume_field},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    const char *pos[1];
    int np = 0;
    if (cli_parse(argc, argv, opts, NULL, pos, 1, &np) < 0) return 2;
    if (help) {
        fputs(roads_help, stdout);
        return 0;
    }
    if (!db || np != 1) {
        cli_error(argv[0], "need --db PATH and one FILE (see 'hazmap help import-roads')");
        return 2;
    }
    if (!o.from_field != !o.to_field) {
        cli_error(argv[0], "--from-node and --to-node go together");
        return 2;
    }
    if (snap) {
        if (cli_double(argv[0], "snap", snap, 0, IMPORT_ROADS_SNAP_MAX, &o.snap_m) != 0) return 2;
        if (o.snap_m == 0) o.snap_m = IMPORT_ROADS_SNAP_EXACT;
    }
    o.log = stderr;
    char err[1024];
    store *st = store_open(db, STORE_CREATE, err, sizeof err);
    if (!st) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    import_summary sum;
    hz_status s = import_roads(st, pos[0], &o, &sum, err, sizeof err);
    store_close(st);
    if (s != HZ_OK) {
        cli_error(argv[0], "%s (nothing imported)", err);
        return 1;
    }
    print_summary(&sum);
    return 0;
}
