/* fcexport.h - a GeoJSON FeatureCollection as a download that GIS and spreadsheet users open
 * directly: a GeoPackage, or CSV (UTF-8 with a byte-order mark, so that Excel reads Chinese
 * names, the geometry as WKT), both written by OGR from the GeoJSON text in /vsimem/.
 *
 * Any collection's features go through it, whatever their properties: OGR's GeoJSON reader
 * types the columns (integers, reals, strings, booleans; nested objects and arrays as JSON
 * text), so a collection added later gets its downloads with no code of its own.
 *
 * Ownership: *out is malloc'd (caller frees); on failure *out is NULL and err says why. */
#ifndef HAZMAP_FCEXPORT_H
#define HAZMAP_FCEXPORT_H

#include <stddef.h>

#include "hazmap/status.h"

typedef enum fcexport_format { FCEXPORT_CSV = 0, FCEXPORT_GPKG } fcexport_format;

/* The FeatureCollection text geojson (len bytes, CRS84) as format fmt, one layer named layer
 * (letters, digits, '_'), its geometries transformed to EPSG:epsg by OGR when epsg > 0 (in the
 * format's own axis order: x = longitude in a GeoPackage). HZ_EIO when OGR fails, HZ_ENOMEM. */
hz_status fcexport_bytes(const char *geojson, size_t len, fcexport_format fmt, const char *layer,
                         int epsg, unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* "text/csv; charset=utf-8" or "application/geopackage+sqlite3"; and the file name extension. */
const char *fcexport_type(fcexport_format fmt);
const char *fcexport_ext(fcexport_format fmt);

#endif
