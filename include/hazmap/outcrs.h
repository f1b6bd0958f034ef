/* outcrs.h - the coordinate reference systems features are served in (OGC API - Features Part 2,
 * CRS by reference): CRS84 (longitude, latitude; the default and the storage CRS), EPSG:4326 and
 * EPSG:4490 (CGCS2000, China's geodetic system) in their authorities' latitude, longitude order,
 * EPSG:3857 (Web Mercator) and the working UTM zone (EPSG:326NN, metres).
 *
 * A CRS is named by its URI (http://www.opengis.net/def/crs/OGC/1.3/CRS84,
 * http://www.opengis.net/def/crs/EPSG/0/NNNN) and held as an EPSG code, 0 for CRS84.
 *
 * Threads: an outcrs owns its PROJ context; use it from one thread at a time. outcrs_free(NULL) is
 * a no-op. */
#ifndef HAZMAP_OUTCRS_H
#define HAZMAP_OUTCRS_H

#include <stddef.h>

#include "hazmap/status.h"

#define OUTCRS_CRS84_URI "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

/* The EPSG code of CRS URI uri (0 for CRS84) when it is one of the served CRSs (work_epsg: the
 * working UTM zone's code, 0 for none); -1 otherwise. */
int outcrs_parse(const char *uri, int work_epsg, int *epsg);

/* The URI of epsg (0: CRS84) into buf. */
void outcrs_uri(int epsg, char *buf, size_t n);

/* The served CRSs' codes (0 first) into codes (room for 5); their number. */
int outcrs_list(int work_epsg, int codes[5]);

/* 1 when epsg's first axis is the latitude (4326, 4490), else 0. */
int outcrs_lat_first(int epsg);

typedef struct outcrs outcrs;

/* The transformation CRS84 -> epsg (in epsg's own axis order). NULL with err on failure. */
outcrs *outcrs_new(int epsg, char *err, size_t errlen);
void outcrs_free(outcrs *t);

/* Transforms n points in place: CRS84 longitude, latitude -> epsg's axes (forward), or back
 * (inverse). HZ_ECRS when PROJ cannot. */
hz_status outcrs_forward(outcrs *t, size_t n, double *a, double *b);
hz_status outcrs_inverse(outcrs *t, size_t n, double *a, double *b);

#endif
