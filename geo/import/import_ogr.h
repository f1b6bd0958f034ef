/* import_ogr.h - private to geo/import_*.c: opening a vector source and its layer through OGR. */
#ifndef HAZMAP_GEO_IMPORT_OGR_H
#define HAZMAP_GEO_IMPORT_OGR_H

#include <gdal.h>
#include <ogr_api.h>

#include "hazmap/status.h"

/* Opens path read-only as a vector dataset and finds the layer named layer (NULL = the first).
 * headers: 1, a spreadsheet's first row is its header (even when every cell is text); 0, it is
 * data like the others (fields Field1, Field2, ...: the caller finds the header itself). On
 * success *ds (close with GDALClose) and *ly (owned by *ds) are set; on failure nothing is
 * left open and err names the file (HZ_EIO: unreadable or unknown format; HZ_ENOTFOUND: no such
 * layer). */
hz_status import_ogr_open(const char *path, const char *layer, int headers, GDALDatasetH *ds,
                          OGRLayerH *ly, char *err, size_t errlen);

#endif
