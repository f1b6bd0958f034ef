/* densitystyle.h - the colours of a density GeoTIFF (issue 15: QGIS drew it grey).
 *
 * The colours and the rule for the class breaks have one home, colorramp.h: the breaks are
 * fitted by colorramp_scale_fit() to the GeoTIFF's own cells (its finite, non-zero, non-nodata
 * values: the same rule the map's legend applies to its reference grid), and the legend is
 * colorramp_legend_json() of them. That legend goes with the GeoTIFF three ways:
 *  - on its band, as metadata items LEGEND (the legend JSON), LEGEND_BREAKS and LEGEND_COLORS
 *    (comma-separated) and STYLE (the QML's file name), beside the band's gray colour
 *    interpretation (a Float32 band carries no palette);
 *  - as a QGIS style sidecar (QML: a singleband pseudocolor renderer, discrete ramp): QGIS loads
 *    x.qml with x.tif by itself;
 *  - with the server's f=zip: the GeoTIFF, its QML and the legend JSON in one ZIP archive
 *    (written by GDAL's CPLCreateZip(), in memory).
 * QGIS's discrete items colour values at or below their value; the legend's classes are
 * [break k, break k+1): the two differ only for a value equal to a break.
 *
 * Thread-safety: reentrant; the ZIP is built under a name unique to the call. */
#ifndef HAZMAP_DENSITYSTYLE_H
#define HAZMAP_DENSITYSTYLE_H

#include <jansson.h>
#include <stddef.h>

#include "hazmap/colorramp.h"
#include "hazmap/density.h"

/* Fits s to r's cells by colorramp_scale_fit(). HZ_ENOMEM. */
hz_status densitystyle_fit(const density_result *r, colorramp_scale *s, char *err, size_t errlen);

/* The band metadata of the legend (see above): a NULL-terminated array of malloc'd "KEY=VALUE"
 * strings for density_write_geotiff(); qml_name is the sidecar's file name. NULL on OOM. Free
 * with densitystyle_meta_free(). */
char **densitystyle_band_meta(const colorramp_scale *s, hz_weight_mode mode, const char *qml_name);
void densitystyle_meta_free(char **meta);

/* The QML of s (malloc'd, NUL-terminated; NULL on OOM). */
char *densitystyle_qml(const colorramp_scale *s, hz_weight_mode mode);

/* Writes the QML of s to path. HZ_EIO naming the path. */
hz_status densitystyle_write_qml(const colorramp_scale *s, hz_weight_mode mode, const char *path,
                                 char *err, size_t errlen);

/* path with its extension (".tif", ".tiff", or none) replaced by ".qml", into out. -1 when it
 * does not fit. */
int densitystyle_qml_path(const char *path, char *out, size_t outlen);

/* One file of a ZIP archive. */
typedef struct densitystyle_file {
    const char *name;
    const void *data;
    size_t len;
} densitystyle_file;

/* A ZIP archive of the n files (deflated) as malloc'd bytes. HZ_EIO when GDAL fails. */
hz_status densitystyle_zip(const densitystyle_file *files, int n, unsigned char **zip, size_t *len,
                           char *err, size_t errlen);

#endif
