/* import_ogr.c - opening a vector source and its layer through OGR, for both importers. */
#include "import_ogr.h"

#include <cpl_conv.h>
#include <string.h>

/* Spreadsheets: the first row is the header, even when every cell is text (the drivers' own
 * guess takes an all-text first row for data and names the columns Field1, Field2, ...). GDAL
 * 3.6 sets this with per-driver configuration options, set here for this thread's open only. */
static const char *const header_options[] = {"OGR_XLSX_HEADERS", "OGR_ODS_HEADERS",
                                             "OGR_XLS_HEADERS"};

static void set_headers(const char *mode)
{
    for (size_t k = 0; k < sizeof header_options / sizeof *header_options; k++)
        CPLSetThreadLocalConfigOption(header_options[k], mode);
}

hz_status import_ogr_open(const char *path, const char *layer, int headers, GDALDatasetH *ds,
                          OGRLayerH *ly, char *err, size_t errlen)
{
    GDALAllRegister();
    /* Dates as written (GeoJSON would otherwise turn "2013-05-01T08:30+02:00" into a DateTime
     * field read back as "2013/05/01 08:30:00+02", and "2013-02-29" into "2013/02/29 00:00:00"):
     * the normaliser, not the driver, reads and checks them. */
    static const char *const as_string[] = {"DATE_AS_STRING=YES", NULL};
    GDALDriverH drv = GDALIdentifyDriverEx(path, GDAL_OF_VECTOR, NULL, NULL);
    const char *oo = drv ? GDALGetMetadataItem(drv, GDAL_DMD_OPENOPTIONLIST, NULL) : NULL;
    set_headers(headers ? "FORCE" : "DISABLE");
    *ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                     oo && strstr(oo, "DATE_AS_STRING") ? as_string : NULL, NULL);
    if (!*ds) {
        set_headers(NULL);
        return hz_fail(HZ_EIO, err, errlen,
                       "%s: cannot open (unreadable or not a vector format GDAL knows)", path);
    }
    *ly = layer ? GDALDatasetGetLayerByName(*ds, layer) : GDALDatasetGetLayer(*ds, 0);
    /* the spreadsheet drivers read a sheet, header included, when its schema is first asked */
    if (*ly) OGR_L_GetLayerDefn(*ly);
    set_headers(NULL);
    if (!*ly) {
        GDALClose(*ds);
        *ds = NULL;
        return hz_fail(HZ_ENOTFOUND, err, errlen, "%s: no layer%s%s", path, layer ? " named " : "",
                       layer ? layer : "");
    }
    return HZ_OK;
}
