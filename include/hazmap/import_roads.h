/* import_roads.h - loading a road network into the store (store.h, "roads") from OpenStreetMap
 * (XML or PBF, through GDAL's OSM driver) or any line layer OGR reads (GeoJSON, Shapefile,
 * GeoPackage, ...; any CRS; GCJ-02/BD-09 undone with chinacrs.h).
 *
 * Topology. With from/to node fields (from_field, to_field) the file's topology is taken as
 * given: each feature is one segment between those nodes (an end further than snap_m from the
 * node's first position is rejected, a closer one is moved onto it). Without them the nodes are
 * found: every line end, and every vertex that two or more lines (or one line twice) share,
 * becomes a node, and the lines are split at their nodes. Vertices are shared when they lie
 * within snap_m metres of each other in the working CRS (chains of such vertices form one node,
 * at the position of its first vertex in file order); OSM ways share exactly equal coordinates
 * (GDAL's OSM lines carry no node ids: a node shared by two ways has the same coordinates in
 * both). A line end lying on another line between two of its vertices is not a junction.
 *
 * The working CRS is the UTM zone of the centre of the data's bounding box (workcrs.h); lengths
 * are measured there. Each import is one transaction, recorded as a batch with its rejects (the
 * feature number and reason of every feature left out: not a line, empty, fewer than 2 distinct
 * vertices, non-finite or out-of-range coordinates, zero length, bad field values, given end
 * nodes that disagree with the geometry). The source (default: the file's base name) is written
 * whole: the same file again changes nothing and keeps the data version, a changed file replaces
 * the source's roads. */
#ifndef HAZMAP_IMPORT_ROADS_H
#define HAZMAP_IMPORT_ROADS_H

#include <stdio.h>

#include "hazmap/import.h"
#include "hazmap/status.h"
#include "hazmap/store.h"

/* snap_m value for "identical coordinates only" */
#define IMPORT_ROADS_SNAP_EXACT (-1.0)
#define IMPORT_ROADS_SNAP_DEFAULT 0.5 /* metres */
/* The largest snap distance: noding compares each vertex with those of its 3 x 3 cells of this
 * size, so a huge one makes the work quadratic in the vertices of a city. */
#define IMPORT_ROADS_SNAP_MAX 100.0

/* Options; every pointer may be NULL (the default), strings are borrowed for the call. A field
 * named by an option must exist in the layer. The fields used for nothing else go into each
 * segment's extra JSON. */
typedef struct import_roads_opts {
    const char *layer;    /* OGR layer (default: "lines" for OSM, else the first layer) */
    const char *srs;      /* source CRS: "EPSG:n", PROJ, WKT, "gcj02", "bd09"; default the file's */
    const char *source;   /* source name; default: the file's base name */
    const char *id_field; /* segment id (default: id, edge_id, osm_id; else feature number) */
    const char *from_field;   /* from-node id (integer); with to_field: topology as given */
    const char *to_field;     /* to-node id */
    const char *name_field;   /* default: name */
    const char *class_field;  /* default: highway, class, fclass */
    const char *oneway_field; /* yes/true/1 -> 1, -1/reverse -> -1, no/false/0 -> 0 */
    const char *lanes_field;  /* default: lanes; an integer 1..99 */
    const char *speed_field;  /* default: maxspeed, speed; km/h, or "N mph" */
    const char *volume_field; /* default: aadt, volume; vehicles per day */
    double snap_m;            /* node tolerance, metres, up to IMPORT_ROADS_SNAP_MAX; 0: the default
                                 (IMPORT_ROADS_SNAP_DEFAULT, for OSM equal coordinates);
                                 IMPORT_ROADS_SNAP_EXACT: equal coordinates */
    FILE *log;                /* the first rejects as "FILE:FEATURE: reason"; NULL: nowhere */
} import_roads_opts;

/* Imports the roads of the file at path (o may be NULL). Returns HZ_OK when the import
 * committed (features may have been rejected: see *sum, whose segments .. km describe the
 * network of this file); otherwise nothing was written and err names the file and the reason
 * (unreadable, no such layer or field, unknown CRS, no features). */
hz_status import_roads(store *st, const char *path, const import_roads_opts *o, import_summary *sum,
                       char *err, size_t errlen);

#endif
