/* workcrs.h - the projected working coordinate system in which distances are metres.
 *
 * Analyses run in a projected CRS: the UTM zone (WGS84) that contains the data's centre, or one
 * the user names (--work-srs). A workcrs owns its own PROJ context, so it must be used from one
 * thread at a time; create one per thread. */
#ifndef HAZMAP_WORKCRS_H
#define HAZMAP_WORKCRS_H

#include <stddef.h>

#include "hazmap/status.h"

typedef struct workcrs workcrs;

/* Creates the transformation EPSG:4326 (lon/lat order) <-> srs. srs is any PROJ string
 * ("EPSG:32648", "+proj=..."); NULL or "auto" picks the UTM zone of (lon0, lat0). Returns NULL
 * with the reason in err (an unknown or geographic srs is HZ_ECRS). Free with workcrs_free(). */
workcrs *workcrs_new(const char *srs, double lon0, double lat0, char *err, size_t errlen);

/* NULL is a no-op. */
void workcrs_free(workcrs *w);

/* The working CRS as "EPSG:n" when it has an EPSG code, else its PROJ string. Borrowed. */
const char *workcrs_srs(const workcrs *w);

/* The CRS's WKT (for GeoTIFF output). Borrowed. */
const char *workcrs_wkt(const workcrs *w);

/* Transforms n lon/lat pairs (degrees) to x/y metres in place-safe arrays (x may alias lon).
 * Non-finite results are NaN; returns HZ_ECRS only if PROJ fails as a whole. */
hz_status workcrs_forward(workcrs *w, size_t n, const double *lon, const double *lat, double *x,
                          double *y);

/* The inverse: x/y metres to lon/lat degrees. */
hz_status workcrs_inverse(workcrs *w, size_t n, const double *x, const double *y, double *lon,
                          double *lat);

/* EPSG code of the UTM zone (WGS84) containing lon/lat: 326zz north, 327zz south. */
int workcrs_utm_epsg(double lon, double lat);

/* The PROJ library's version ("9.1.1"), for caches of projected coordinates. Borrowed. */
const char *workcrs_proj_version(void);

#endif
