/* geojson.h - WKB geometries to GeoJSON geometry objects (jansson), and URL query encoding for
 * the links of GeoJSON feature collections.
 *
 * Ownership: returned json_t* are new references the caller json_decref()s; NULL on malformed
 * WKB or OOM. Returned char* are malloc'd. */
#ifndef HAZMAP_GEOJSON_H
#define HAZMAP_GEOJSON_H

#include <stddef.h>

#include <jansson.h>

/* The GeoJSON geometry of a WKB geometry: whatever wkb_read() reads (Point, LineString, Polygon
 * and their Multi* forms, 2D, either byte order), NULL for what it refuses. Coordinates are
 * rounded to 1e-7 degrees (about 1 cm), which is below any source's precision. */
json_t *geojson_from_wkb(const unsigned char *wkb, size_t len);

/* A GeoJSON Point. */
json_t *geojson_point(double lon, double lat);

/* Appends the percent-encoding (RFC 3986 unreserved kept) of s to buf of cap bytes at *off;
 * returns -1 when it does not fit. */
int geojson_urlencode(char *buf, size_t cap, size_t *off, const char *s);

#endif
