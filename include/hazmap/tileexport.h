/* tileexport.h - writing tile sets for static hosting (MBTiles 1.3, z/x/y directories) and
 * describing them (TileJSON 3.0.0).
 *
 * MBTiles 1.3 (github.com/mapbox/mbtiles-spec, 1.3/spec.md): an SQLite file with
 *   metadata(name TEXT, value TEXT): name, format = png, bounds (w,s,e,n), center, minzoom,
 *     maxzoom, type = overlay, version, description, attribution
 *   tiles(zoom_level, tile_column, tile_row, tile_data) with tile_row in TMS order (from the
 *     south, tilemath_tms_y()), unique index on (zoom_level, tile_column, tile_row).
 * A z/x/y directory holds DIR/z/x/y.png (XYZ rows, as Leaflet requests them), and beside them
 * DIR/metadata.json (the same metadata, names and text values, as tippecanoe writes) and
 * DIR/tilejson.json (TileJSON 3.0.0 with the relative tiles URL {z}/{x}/{y}.png, the legend as
 * JSON), written when the directory is opened.
 *
 * Ownership: tileexport_open() returns a writer that tileexport_close() finishes and frees. */
#ifndef HAZMAP_TILEEXPORT_H
#define HAZMAP_TILEEXPORT_H

#include <jansson.h>
#include <stddef.h>

#include "hazmap/incset.h"
#include "hazmap/status.h"

typedef enum tileexport_format { TILEEXPORT_MBTILES = 0, TILEEXPORT_DIR = 1 } tileexport_format;

typedef struct tileexport_meta {
    const char *name;        /* required */
    const char *description; /* may be NULL */
    const char *attribution; /* may be NULL */
    const char *version;     /* may be NULL ("1") */
    const char *legend; /* the view's legend as JSON text (colorramp_legend_json); may be NULL */
    double bounds[4];   /* w, s, e, n degrees */
    int minzoom, maxzoom;
} tileexport_meta;

typedef struct tileexport tileexport;

/* The format a path asks for: a path ending in '/' or naming an existing directory is a
 * directory, anything else MBTiles. */
tileexport_format tileexport_format_of(const char *path);

/* Creates the output (an existing MBTiles file is replaced). NULL on failure (err names it). */
tileexport *tileexport_open(const char *path, tileexport_format fmt, const tileexport_meta *m,
                            char *err, size_t errlen);

/* Writes tile z/x/y (XYZ numbering). Not thread-safe: one writer thread. */
hz_status tileexport_put(tileexport *e, int z, int x, int y, const unsigned char *png, size_t len,
                         char *err, size_t errlen);

/* Commits and frees (NULL is a no-op returning HZ_OK). After an error the output may be
 * incomplete; the writer is freed anyway. */
hz_status tileexport_close(tileexport *e, char *err, size_t errlen);

/* Bounds w, s, e, n (degrees) of the snapshot's areas, or of its incidents when it has no
 * areas; HZ_ENOTFOUND when it has neither. */
hz_status tileexport_bounds(const incset *s, double b[4]);

/* TileJSON 3.0.0 (github.com/mapbox/tilejson-spec) of the density tiles:
 * {"tilejson": "3.0.0", "name", "description", "attribution", "scheme": "xyz",
 *  "tiles": ["<base_url>/tiles/density/{z}/{x}/{y}.png?<query>"], "minzoom", "maxzoom",
 *  "bounds", "center", "legend": "<base_url>/tiles/density/legend.json"}.
 * base_url has no trailing slash ("http://127.0.0.1:8080"); query is the canonical params
 * (tilerender_params_canonical(), may be NULL or ""). attribution may be NULL.
 * New reference, caller decrefs; NULL on out of memory. */
json_t *tileexport_tilejson(const char *base_url, const char *query, int minzoom, int maxzoom,
                            const double bounds[4], const char *attribution);

#endif
