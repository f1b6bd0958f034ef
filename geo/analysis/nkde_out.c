/* nkde_out.c - the network kernel density's lixels as a GeoJSON or GeoPackage layer (OGR). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "hazmap/nkde.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static OGRLayerH make_layer(GDALDatasetH ds, OGRSpatialReferenceH srs)
{
    OGRLayerH ly = GDALDatasetCreateLayer(ds, "network_density", srs, wkbLineString, NULL);
    static const struct {
        const char *name;
        OGRFieldType type;
    } fields[] = {{"density", OFTReal},
                  {"segment_id", OFTInteger64},
                  {"lixel", OFTInteger},
                  {"s0", OFTReal},
                  {"s1", OFTReal}};
    for (size_t i = 0; ly && i < sizeof fields / sizeof *fields; i++) {
        OGRFieldDefnH d = OGR_Fld_Create(fields[i].name, fields[i].type);
        OGRErr e = OGR_L_CreateField(ly, d, 1);
        OGR_Fld_Destroy(d);
        if (e != OGRERR_NONE) return NULL;
    }
    return ly;
}

/* One lixel as a feature; 0, or -1 when OGR refused it. lon/lat: scratch of cap points. */
static int write_lixel(OGRLayerH ly, const roadnet *net, const nkde_result *r, size_t j,
                       double **lon, double **lat, size_t *cap)
{
    const nkde_lixel *l = &r->lixels[j];
    size_t n = roadnet_subline(net, l->seg, l->s0, l->s1, *lon, *lat, *cap);
    if (n > *cap) {
        double *a = realloc(*lon, n * sizeof *a), *b = a ? realloc(*lat, n * sizeof *b) : NULL;
        if (a) *lon = a;
        if (!b) return -1;
        *lat = b, *cap = n;
        roadnet_subline(net, l->seg, l->s0, l->s1, *lon, *lat, *cap);
    }
    OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
    for (size_t k = 0; k < n; k++)
        OGR_G_AddPoint_2D(g, (*lon)[k], (*lat)[k]);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ly));
    OGR_F_SetFieldDouble(f, 0, r->density[j]);
    OGR_F_SetFieldInteger64(f, 1, roadnet_segs(net)[l->seg].id);
    OGR_F_SetFieldInteger(f, 2, (int)l->index);
    OGR_F_SetFieldDouble(f, 3, l->s0);
    OGR_F_SetFieldDouble(f, 4, l->s1);
    OGR_F_SetGeometryDirectly(f, g);
    int bad = OGR_L_CreateFeature(ly, f) != OGRERR_NONE;
    OGR_F_Destroy(f);
    return bad ? -1 : 0;
}

static int write_rows(GDALDatasetH ds, OGRLayerH ly, const roadnet *net, const nkde_result *r,
                      int skip_zero)
{
    size_t cap = 64;
    double *lon = malloc(cap * sizeof *lon), *lat = malloc(cap * sizeof *lat);
    int bad = !lon || !lat;
    int tx = !bad && GDALDatasetStartTransaction(ds, 0) == OGRERR_NONE;
    for (size_t j = 0; j < r->nlixels && !bad; j++)
        if (!(skip_zero && r->density[j] == 0)) bad = write_lixel(ly, net, r, j, &lon, &lat, &cap);
    if (tx) bad |= GDALDatasetCommitTransaction(ds) != OGRERR_NONE;
    free(lon);
    free(lat);
    return bad ? -1 : 0;
}

hz_status nkde_write(const roadnet *net, const nkde_result *r, const char *path, int skip_zero,
                     char *err, size_t errlen)
{
    if (access(path, F_OK) == 0)
        return hz_fail(HZ_EIO, err, errlen, "%s: exists; give a new file name", path);
    if (!GDALGetDriverByName("GPKG")) GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName(ends_with(path, ".gpkg") ? "GPKG" : "GeoJSON");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH ly = ds ? make_layer(ds, srs) : NULL;
    hz_status rc = HZ_OK;
    if (!ds)
        rc = hz_fail(HZ_EIO, err, errlen, "%s: cannot create (%s)", path, CPLGetLastErrorMsg());
    else if (!ly || write_rows(ds, ly, net, r, skip_zero) != 0)
        rc = hz_fail(HZ_EIO, err, errlen, "%s: writing the lixels failed (%s)", path,
                     CPLGetLastErrorMsg());
    if (ds) GDALClose(ds);
    if (rc != HZ_OK && ds) VSIUnlink(path);
    OSRDestroySpatialReference(srs);
    return rc;
}
