/* raster.h - single-band Float32 GeoTIFF output through GDAL, to a file or to bytes in memory.
 *
 * The files are tiled, DEFLATE-compressed (with the floating-point predictor), carry the
 * geotransform, the CRS as WKT, the band's nodata value and free-form metadata items (the
 * analysis' provenance), so any GIS reads them as they were computed.
 *
 * Thread-safety: reentrant; the in-memory variant uses a /vsimem/ name unique to the call. */
#ifndef HAZMAP_RASTER_H
#define HAZMAP_RASTER_H

#include <stddef.h>

#include "hazmap/status.h"

typedef struct raster_desc {
    int nx, ny;              /* columns, rows */
    double gt[6];            /* GDAL geotransform: {x0, cell, 0, y1, 0, -cell} for north-up */
    const char *wkt;         /* CRS as WKT; NULL or "" writes none */
    double nodata;           /* the band's nodata value; NAN writes none */
    const char *description; /* band description; may be NULL */
    const char *unit;        /* band unit type ("incidents per km2 per year"); may be NULL */
    const char *const *meta; /* NULL-terminated "KEY=VALUE" items (default domain); may be NULL */
    const char *const *band_meta; /* the same, of the band (a colour legend); may be NULL */
} raster_desc;

/* Writes values (nx * ny floats, row 0 first) to a GeoTIFF at path (replaced if present); the
 * band's colour interpretation is gray (GCI_GrayIndex: one continuous quantity; a Float32 band
 * can carry no palette, its colours are a style's: densitystyle.h).
 * HZ_EIO naming the path when GDAL cannot create or write it. */
hz_status raster_write_geotiff(const char *path, const raster_desc *d, const float *values,
                               char *err, size_t errlen);

/* The same GeoTIFF as bytes: *buf is malloc()ed, the caller frees it with free(). */
hz_status raster_geotiff_bytes(const raster_desc *d, const float *values, unsigned char **buf,
                               size_t *len, char *err, size_t errlen);

#endif
