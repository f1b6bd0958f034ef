/* fcexport.c - a GeoJSON FeatureCollection as CSV or GeoPackage through OGR (fcexport.h). */
#include "hazmap/fcexport.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>

const char *fcexport_type(fcexport_format fmt)
{
    return fmt == FCEXPORT_GPKG ? "application/geopackage+sqlite3" : "text/csv; charset=utf-8";
}

const char *fcexport_ext(fcexport_format fmt)
{
    return fmt == FCEXPORT_GPKG ? "gpkg" : "csv";
}

/* The bytes of /vsimem/ file name into *out (copied); the file is removed. */
static hz_status take_file(const char *name, unsigned char **out, size_t *outlen, char *err,
                           size_t errlen)
{
    vsi_l_offset n = 0;
    GByte *data = VSIGetMemFileBuffer(name, &n, FALSE);
    if (data && n > 0 && (*out = malloc((size_t)n))) {
        memcpy(*out, data, (size_t)n);
        *outlen = (size_t)n;
    }
    VSIUnlink(name);
    return *out ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "download in memory: out of memory");
}

hz_status fcexport_bytes(const char *geojson, size_t len, fcexport_format fmt, const char *layer,
                         int epsg, unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    if (!GDALGetDriverByName("GeoJSON")) GDALAllRegister();
    /* names of this thread and call alone: /vsimem/ is shared by the process */
    char src[128], dst[128];
    int here = 0;
    snprintf(src, sizeof src, "/vsimem/hazmap-fc-%lx-%p.geojson", (unsigned long)pthread_self(),
             (void *)&here);
    snprintf(dst, sizeof dst, "/vsimem/hazmap-fc-%lx-%p.%s", (unsigned long)pthread_self(),
             (void *)&here, fcexport_ext(fmt));
    /* the text is borrowed by the in-memory file (not copied, not freed by GDAL) */
    VSILFILE *fp = VSIFileFromMemBuffer(src, (GByte *)(uintptr_t)geojson, len, FALSE);
    if (!fp) return hz_fail(HZ_ENOMEM, err, errlen, "download: out of memory");
    VSIFCloseL(fp);
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!in) {
        VSIUnlink(src);
        return hz_fail(HZ_EIO, err, errlen, "download: OGR cannot read the features: %s",
                       CPLGetLastErrorMsg());
    }
    char **argv = NULL;
    argv = CSLAddString(argv, "-f");
    argv = CSLAddString(argv, fmt == FCEXPORT_GPKG ? "GPKG" : "CSV");
    argv = CSLAddString(argv, "-nln");
    argv = CSLAddString(argv, layer);
    if (epsg > 0) {
        char t_srs[32];
        snprintf(t_srs, sizeof t_srs, "EPSG:%d", epsg);
        argv = CSLAddString(argv, "-t_srs");
        argv = CSLAddString(argv, t_srs);
    }
    if (fmt == FCEXPORT_CSV) {
        argv = CSLAddString(argv, "-lco");
        argv = CSLAddString(argv, "GEOMETRY=AS_WKT");
        argv = CSLAddString(argv, "-lco");
        argv = CSLAddString(argv, "WRITE_BOM=YES");
    }
    GDALVectorTranslateOptions *o = argv ? GDALVectorTranslateOptionsNew(argv, NULL) : NULL;
    CSLDestroy(argv);
    int usage_error = 0;
    GDALDatasetH ds = o ? GDALVectorTranslate(dst, NULL, 1, &in, o, &usage_error) : NULL;
    GDALVectorTranslateOptionsFree(o);
    hz_status s = HZ_OK;
    if (!ds)
        s = hz_fail(HZ_EIO, err, errlen, "download: OGR cannot write %s: %s", fcexport_ext(fmt),
                    CPLGetLastErrorMsg());
    else
        GDALClose(ds);
    GDALClose(in);
    VSIUnlink(src);
    if (s != HZ_OK) {
        VSIUnlink(dst);
        return s;
    }
    return take_file(dst, out, outlen, err, errlen);
}
