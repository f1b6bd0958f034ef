/* import.h - loading area boundaries and incidents from the files people have into the store.
 *
 * Areas: any vector format GDAL/OGR reads (GeoJSON, Shapefile with .cpg or a non-UTF-8 .dbf,
 * GeoPackage, KML, ...), reprojected to EPSG:4326 lon/lat, GCJ-02/BD-09 undone with chinacrs.h,
 * invalid polygons repaired with OGR_G_MakeValid() (GEOS) or rejected with the reason.
 * Incidents: CSV through the strict reader of csv.h, or GeoJSON/GeoPackage/Shapefile through OGR;
 * each point is given the most specific area containing it (areaindex.h).
 *
 * Each import is one transaction (store_begin() .. store_commit()): it is recorded as a batch
 * with its summary, rejected rows are recorded with their line (feature) number, raw text and
 * reason, and a failure or a crash part way leaves the store as it was. Re-importing a file adds
 * nothing: a row keyed (source, source id) with the same content is UNCHANGED, a changed one is
 * replaced. */
#ifndef HAZMAP_IMPORT_H
#define HAZMAP_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

/* Options; every member may be NULL (the default). Strings are borrowed for the call. */
typedef struct import_opts {
    const char *layer; /* OGR layer name (default: the first layer) */
    const char *srs;   /* source CRS: "EPSG:n", a PROJ string or WKT, "gcj02" or "bd09";
                          default: the file's own, else EPSG:4326 */
    /* incidents */
    const char *lon, *lat;   /* coordinate columns (--x/--y are the same, named for clarity) */
    const char *wkt;         /* a WKT POINT column */
    const char *id;          /* source id column; default "id", else the line number */
    const char *time;        /* date or date-time column; default "occurred_at" */
    const char *time2;       /* separate time-of-day column (hhmm or hh:mm[:ss]) */
    const char *time_format; /* strptime-like: %Y %m %d %H %M %S %y and literals */
    const char *tz;          /* offset of local times: "+08:00" (default), "Asia/Shanghai" */
    const char *map;         /* mapping file (vocabmap.h) */
    const char *source;      /* source name; default: the file's base name */
    const char *mechanism;   /* mechanism for rows that give none */
    const char *encoding;    /* of a CSV: "auto" (NULL: the same) or a textdec.h name */
    long skip_rows;          /* rows above the header (a spreadsheet's title rows); default 0 */
    const char *icd10;       /* a column of ICD-10 external-cause codes (icd10.h): it sets the
                                mechanism and intent */
    const char *format;      /* NULL or "niss": the national injury surveillance report card
                                (全国伤害监测报告卡), whose cause (伤害发生原因) and intent
                                (是否故意) columns must then be present */
    const char *area_field;  /* a column naming each record's area by code, name or short name
                                (areaindex_resolve()); found as 街道 without the option. A row
                                with no coordinates is stored with that area and no point; a
                                row with both keeps its point (area_mismatch counts the rows
                                whose named area does not hold it) */
    /* areas */
    const char *code_field, *name_field, *name_en_field, *population_field, *parent_field;
    const char *level;  /* district, subdistrict or community; default the "level" field, else
                           district */
    const char *parent; /* parent code for every area */
    FILE *log;          /* the first rejects go here as "FILE:LINE: reason"; NULL: nowhere */
} import_opts;

#define IMPORT_MAX_REASONS 24

typedef struct import_summary {
    int64_t batch_id;
    int64_t read;      /* data rows or features read */
    int64_t loaded;    /* inserted */
    int64_t replaced;  /* existed with other content */
    int64_t unchanged; /* existed with the same content */
    int64_t rejected;
    int64_t outside;       /* incidents outside every area (stored with no area) */
    int64_t area_only;     /* incidents stored with an area and no point */
    int64_t area_mismatch; /* stored by their point, naming an area that does not hold it */
    /* roads (import_roads.h): the network as imported */
    int64_t segments, nodes, junctions, dead_ends; /* junction: degree >= 3; dead end: 1 */
    double km;                                     /* total length of the segments */
    int nreasons;
    char reason[IMPORT_MAX_REASONS][64]; /* rejection kinds ("empty geometry", ...) */
    int64_t reason_count[IMPORT_MAX_REASONS];
} import_summary;

/* Imports the incidents of the file at path. Returns HZ_OK when the import committed (rows may
 * have been rejected: see *sum); otherwise nothing was written and err says why (unreadable
 * file, unknown CRS, no coordinate columns with the columns found, a header-only file, ...). */
hz_status import_incidents(store *st, const char *path, const import_opts *o, import_summary *sum,
                           char *err, size_t errlen);

/* Imports the areas of the file at path (replacing areas with the same code). As above. */
hz_status import_areas(store *st, const char *path, const import_opts *o, import_summary *sum,
                       char *err, size_t errlen);

/* The summary as a JSON object; the caller frees it with free(). NULL when out of memory. */
char *import_summary_json(const import_summary *sum);

/* Counts one rejection of the given kind (internal to the importers, shared by both). */
void import_count_reason(import_summary *sum, const char *kind);

#endif
