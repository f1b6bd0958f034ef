/* import_ogr.c - opening a vector source and its layer through OGR, and its coordinates' way to
 * WGS84, for every importer. */
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

/* Moves every vertex of g from GCJ-02/BD-09 to WGS84 in place. */
static void china_to_wgs84(OGRGeometryH g, chinacrs_kind k)
{
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            china_to_wgs84(OGR_G_GetGeometryRef(g, i), k);
        return;
    }
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i);
        chinacrs_to_wgs84(k, 1, &x, &y);
        OGR_G_SetPoint_2D(g, i, x, y);
    }
}

void import_crs_free(import_crs *x)
{
    if (x->ct) OCTDestroyCoordinateTransformation(x->ct);
    OSRDestroySpatialReference(x->src);
    OSRDestroySpatialReference(x->wgs);
    memset(x, 0, sizeof *x);
}

hz_status import_crs_open(const char *path, OGRLayerH ly, const char *srs, import_crs *x, char *err,
                          size_t errlen)
{
    memset(x, 0, sizeof *x);
    x->ck = srs ? chinacrs_parse(srs) : CHINACRS_NONE;
    if (srs && x->ck == CHINACRS_NONE) {
        x->src = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(x->src, srs) != OGRERR_NONE) {
            import_crs_free(x);
            return hz_fail(HZ_ECRS, err, errlen,
                           "unknown CRS '%s' (use EPSG:n, a PROJ string, WKT, gcj02 or bd09)", srs);
        }
    } else if (x->ck == CHINACRS_NONE && OGR_L_GetSpatialRef(ly)) {
        x->src = OSRClone(OGR_L_GetSpatialRef(ly));
    }
    if (!x->src) return HZ_OK;
    x->wgs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(x->wgs, "WGS84");
    /* x = longitude, y = latitude on both sides (EPSG:4326 is lat/lon by the book) */
    OSRSetAxisMappingStrategy(x->src, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(x->wgs, OAMS_TRADITIONAL_GIS_ORDER);
    if (!OSRIsSame(x->src, x->wgs) && !(x->ct = OCTNewCoordinateTransformation(x->src, x->wgs))) {
        import_crs_free(x);
        return hz_fail(HZ_ECRS, err, errlen, "%s: no transformation from its CRS to WGS84", path);
    }
    return HZ_OK;
}

int import_crs_to_wgs84(const import_crs *x, OGRGeometryH g)
{
    if (x->ct && OGR_G_Transform(g, x->ct) != OGRERR_NONE) return -1;
    if (x->ck != CHINACRS_NONE) china_to_wgs84(g, x->ck);
    return 0;
}

int import_in_lonlat_range(OGRGeometryH g)
{
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    return env.MinX >= -180 && env.MaxX <= 180 && env.MinY >= -90 && env.MaxY <= 90;
}
