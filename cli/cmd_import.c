/* cmd_import.c - the import-areas and import-incidents subcommands. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/import.h"
#include "hazmap/store.h"

static void print_summary(const char *what, const import_summary *s)
{
    printf("%s: read %lld, loaded %lld, replaced %lld, unchanged %lld, rejected %lld", what,
           (long long)s->read, (long long)s->loaded, (long long)s->replaced,
           (long long)s->unchanged, (long long)s->rejected);
    if (strcmp(what, "incidents") == 0)
        printf(", outside all areas %lld, area only (no point) %lld, point and area disagree "
               "%lld",
               (long long)s->outside, (long long)s->area_only, (long long)s->area_mismatch);
    printf(" (batch %lld)\n", (long long)s->batch_id);
    for (int i = 0; i < s->nreasons; i++)
        printf("  rejected, %s: %lld\n", s->reason[i], (long long)s->reason_count[i]);
    if (s->rejected > 0)
        printf("  (every rejected row is kept in import_rejects with its line and reason)\n");
}

static int run(const char *cmd, const char *db, const char *file, const import_opts *o, int areas)
{
    char err[1024];
    store *st = store_open(db, STORE_CREATE, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    import_summary sum;
    hz_status s = areas ? import_areas(st, file, o, &sum, err, sizeof err)
                        : import_incidents(st, file, o, &sum, err, sizeof err);
    store_close(st);
    if (s != HZ_OK) {
        cli_error(cmd, "%s (nothing imported)", err);
        return 1;
    }
    print_summary(areas ? "areas" : "incidents", &sum);
    return 0;
}

static const char areas_help[] =
    "usage: hazmap import-areas --db PATH FILE [options]\n"
    "Loads area boundaries (GeoJSON, Shapefile, GeoPackage, KML, any OGR format) into the store,\n"
    "creating it if absent. Areas with an existing code are replaced. One transaction.\n"
    "  --layer L              layer to read (default: the first)\n"
    "  --code-field F         unique code (default: code, adcode, gss_code, id)\n"
    "  --name-field F         name (default: name)\n"
    "  --name-en-field F      English name (default: name_en)\n"
    "  --population-field F   population (default: population)\n"
    "  --parent-field F       parent code field\n"
    "  --parent CODE          parent code for every area\n"
    "  --level L              district | subdistrict | community (default: the 'level' field,\n"
    "                         else district)\n"
    "  --srs SRS              source CRS: EPSG:n, PROJ string, WKT, gcj02 or bd09 (default: the\n"
    "                         file's own); reprojected to EPSG:4326\n";

int cmd_import_areas(int argc, char **argv)
{
    const char *db = NULL, *help = NULL;
    import_opts o = {0};
    const cli_opt opts[] = {{"db", 1, &db},
                            {"layer", 1, &o.layer},
                            {"code-field", 1, &o.code_field},
                            {"name-field", 1, &o.name_field},
                            {"name-en-field", 1, &o.name_en_field},
                            {"population-field", 1, &o.population_field},
                            {"parent-field", 1, &o.parent_field},
                            {"level", 1, &o.level},
                            {"parent", 1, &o.parent},
                            {"srs", 1, &o.srs},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    const char *pos[1];
    int np = 0;
    if (cli_parse(argc, argv, opts, NULL, pos, 1, &np) < 0) return 2;
    if (help) {
        fputs(areas_help, stdout);
        return 0;
    }
    if (!db || np != 1) {
        cli_error(argv[0], "need --db PATH and one FILE (see 'hazmap help import-areas')");
        return 2;
    }
    o.log = stderr;
    return run(argv[0], db, pos[0], &o, 1);
}

static const char incidents_help[] =
    "usage: hazmap import-incidents --db PATH FILE [options]\n"
    "Loads incidents from CSV (RFC 4180, UTF-8) or GeoJSON/GeoPackage/Shapefile into the store,\n"
    "creating it if absent, and gives each the most specific area containing it. One transaction;\n"
    "re-importing adds nothing, a changed row replaces the old one; bad rows are rejected with\n"
    "their line number and reason while the valid rows load.\n"
    "  --srs SRS          coordinates' CRS: EPSG:n, PROJ string, gcj02, bd09 (default EPSG:4326\n"
    "                     for CSV, the file's own otherwise)\n"
    "  --lon C --lat C    coordinate columns (found without options when named lon/lng/long/\n"
    "  --x C --y C        longitude/x/easting and lat/latitude/y/northing; --x/--y = --lon/--lat)\n"
    "  --wkt C            a WKT POINT column (found as wkt/geom/geometry)\n"
    "  --id C             source id column (default 'id'; without one: the line number)\n"
    "  --time C           date or date-time column (default 'occurred_at'): ISO 8601,\n"
    "                     YYYY/MM/DD, DD/MM/YYYY, each with an optional ' hh:mm[:ss]'\n"
    "  --time2 C          separate time-of-day column: hhmm or hh:mm[:ss]\n"
    "  --time-format F    strptime-like: %Y %m %d %H %M %S %y, e.g. '%m/%d/%Y %H:%M'\n"
    "  --tz TZ            offset of local times: +08:00 (default) or Asia/Shanghai\n"
    "  --map FILE         mapping file: lines 'severity: Slight = minor', 'mechanism: 2 =\n"
    "                     traffic', 'column: TIPO_ACIDE = mechanism' (see vocabmap.h)\n"
    "  --source NAME      source name keying the rows (default: the file's base name)\n"
    "  --mechanism V      mechanism for rows that give none (e.g. fall, traffic; violence sets\n"
    "                     the intent assault; see SURVEILLANCE.md)\n"
    "  --icd10 C          a column of ICD-10 external-cause codes (V01-Y98: W19, W19.9, W199):\n"
    "                     mechanism and intent by the injury matrix (SURVEILLANCE.md)\n"
    "  --format niss      the national injury surveillance report card (全国伤害监测报告卡): its\n"
    "                     Chinese column names and code lists; 伤害发生原因 and 是否故意 required\n"
    "  --sheet NAME       the sheet of an XLSX/XLS/ODS file (default the first; its first row is\n"
    "                     the header, even when every cell is text); the same as --layer\n"
    "  --skip-rows N      rows above the header to skip (a sheet's merged title rows), 0..1000\n"
    "  --area-field C     a column naming the record's sub-district by code, name or short\n"
    "                     name (春熙路 for 春熙路街道); found as 街道 without the option. A row\n"
    "                     without coordinates is stored with that area and no point; with\n"
    "                     both, the point decides (disagreements are counted)\n"
    "  --encoding E       of a CSV: auto (default: UTF-8 with or without BOM, UTF-16 with BOM,\n"
    "                     else GB18030, which covers GBK/GB2312), utf-8, gb18030, gbk, utf-16\n"
    "Columns named like the store fields (id, occurred_at, lon, lat, mechanism, place, intent,\n"
    "severity, victims, age, sex, disability, description, activity, outcome, nature, body_part)\n"
    "are used as such; all other columns\n"
    "are kept in 'extra' as a JSON object.\n";

int cmd_import_incidents(int argc, char **argv)
{
    const char *db = NULL, *help = NULL, *x = NULL, *y = NULL, *skip = NULL;
    import_opts o = {0};
    const cli_opt opts[] = {{"db", 1, &db},
                            {"layer", 1, &o.layer},
                            {"srs", 1, &o.srs},
                            {"lon", 1, &o.lon},
                            {"lat", 1, &o.lat},
                            {"x", 1, &x},
                            {"y", 1, &y},
                            {"wkt", 1, &o.wkt},
                            {"id", 1, &o.id},
                            {"time", 1, &o.time},
                            {"time2", 1, &o.time2},
                            {"time-format", 1, &o.time_format},
                            {"tz", 1, &o.tz},
                            {"map", 1, &o.map},
                            {"source", 1, &o.source},
                            {"mechanism", 1, &o.mechanism},
                            {"encoding", 1, &o.encoding},
                            {"sheet", 1, &o.layer},
                            {"skip-rows", 1, &skip},
                            {"icd10", 1, &o.icd10},
                            {"format", 1, &o.format},
                            {"area-field", 1, &o.area_field},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    const char *pos[1];
    int np = 0;
    if (cli_parse(argc, argv, opts, NULL, pos, 1, &np) < 0) return 2;
    if (help) {
        fputs(incidents_help, stdout);
        return 0;
    }
    if (!db || np != 1) {
        cli_error(argv[0], "need --db PATH and one FILE (see 'hazmap help import-incidents')");
        return 2;
    }
    if ((x || y) && (o.lon || o.lat)) {
        cli_error(argv[0], "give either --lon/--lat or --x/--y, not both");
        return 2;
    }
    if (skip && cli_int(argv[0], "skip-rows", skip, 0, 1000, &o.skip_rows) != 0) return 2;
    if (o.format && strcmp(o.format, "niss") != 0) {
        cli_error(argv[0], "--format: '%s' is not a format (niss)", o.format);
        return 2;
    }
    if (x) o.lon = x;
    if (y) o.lat = y;
    if (!o.lon != !o.lat) {
        cli_error(argv[0], "--lon/--x and --lat/--y go together");
        return 2;
    }
    if (o.wkt && o.lon) {
        cli_error(argv[0], "give either --wkt or a coordinate pair, not both");
        return 2;
    }
    o.log = stderr;
    if (!o.id)
        fprintf(stderr,
                "hazmap %s: no --id given: a column named 'id' is the source id if "
                "present, else the line number (re-import the same file to update)\n",
                argv[0]);
    return run(argv[0], db, pos[0], &o, 0);
}
