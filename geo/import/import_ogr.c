/* import_ogr.c - opening a vector source and its layer through OGR, for both importers. */
#include "import_ogr.h"

hz_status import_ogr_open(const char *path, const char *layer, GDALDatasetH *ds, OGRLayerH *ly,
                          char *err, size_t errlen)
{
    GDALAllRegister();
    *ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!*ds)
        return hz_fail(HZ_EIO, err, errlen,
                       "%s: cannot open (unreadable or not a vector format GDAL knows)", path);
    *ly = layer ? GDALDatasetGetLayerByName(*ds, layer) : GDALDatasetGetLayer(*ds, 0);
    if (!*ly) {
        GDALClose(*ds);
        *ds = NULL;
        return hz_fail(HZ_ENOTFOUND, err, errlen, "%s: no layer%s%s", path, layer ? " named " : "",
                       layer ? layer : "");
    }
    return HZ_OK;
}
