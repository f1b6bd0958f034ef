/* import_ogr.h - private to geo/import_*.c: opening a vector source and its layer through OGR,
 * and the way from its coordinates to WGS84 lon/lat that every importer shares. */
#ifndef HAZMAP_GEO_IMPORT_OGR_H
#define HAZMAP_GEO_IMPORT_OGR_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "hazmap/chinacrs.h"

#include "hazmap/status.h"

/* Opens path read-only as a vector dataset and finds the layer named layer (NULL = the first).
 * headers: 1, a spreadsheet's first row is its header (even when every cell is text); 0, it is
 * data like the others (fields Field1, Field2, ...: the caller finds the header itself). On
 * success *ds (close with GDALClose) and *ly (owned by *ds) are set; on failure nothing is
 * left open and err names the file (HZ_EIO: unreadable or unknown format; HZ_ENOTFOUND: no such
 * layer). */
hz_status import_ogr_open(const char *path, const char *layer, int headers, GDALDatasetH *ds,
                          OGRLayerH *ly, char *err, size_t errlen);

/* The way from a layer's coordinates to WGS84 lon/lat: an OGR transformation ct (NULL when the
 * CRS is WGS84 already or unknown), or GCJ-02/BD-09 (ck), which GDAL does not know. Set up by
 * import_crs_open(), released by import_crs_free(). */
typedef struct import_crs {
    chinacrs_kind ck;
    OGRSpatialReferenceH src, wgs;
    OGRCoordinateTransformationH ct;
} import_crs;

/* Sets up *x for layer ly of the file at path: srs (NULL: the layer's own CRS, else none, i.e.
 * lon/lat) overrides the layer's; "gcj02"/"bd09" are lon/lat in that system. HZ_ECRS for an
 * unknown srs or no transformation; on failure *x holds nothing to free. */
hz_status import_crs_open(const char *path, OGRLayerH ly, const char *srs, import_crs *x, char *err,
                          size_t errlen);

void import_crs_free(import_crs *x);

/* Moves g to WGS84 lon/lat in place, vertex by vertex for GCJ-02/BD-09; -1 when OGR cannot
 * transform it. */
int import_crs_to_wgs84(const import_crs *x, OGRGeometryH g);

/* 1 when g lies within lon -180..180, lat -90..90. */
int import_in_lonlat_range(OGRGeometryH g);

#endif
