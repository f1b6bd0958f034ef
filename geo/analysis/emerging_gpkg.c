/* emerging_gpkg.c - the emerging hot spot result as a GeoPackage (OGR): a layer of locations
 * and a layer with one row per bin of the space-time cube, with each step's start and end as
 * DateTime fields so QGIS's temporal controller can play the cube. All rows go in one
 * transaction per layer. */
#include "hazmap/emerging.h"
#include "hazmap/hztime.h"

#include <cpl_vsi.h>
#include <gdal.h>
#include <pthread.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct field_def {
    const char *name;
    OGRFieldType type;
} field_def;

static const field_def location_fields[] = {
    {"cell_id", OFTInteger64},  {"pattern", OFTString},     {"label", OFTString},
    {"label_zh", OFTString},    {"colour", OFTString},      {"count", OFTInteger64},
    {"hot_steps", OFTInteger},  {"cold_steps", OFTInteger}, {"trend_count_z", OFTReal},
    {"trend_count_p", OFTReal}, {"trend_z_z", OFTReal},     {"trend_z_p", OFTReal},
    {"trend_z_tau", OFTReal},   {NULL, OFTString}};

static const field_def bin_fields[] = {{"cell_id", OFTInteger64},
                                       {"step", OFTInteger},
                                       {"label", OFTString},
                                       {"step_start", OFTDateTime},
                                       {"step_end", OFTDateTime},
                                       {"count", OFTInteger},
                                       {"value", OFTReal},
                                       {"z", OFTReal},
                                       {"p", OFTReal},
                                       {"q", OFTReal},
                                       {"class", OFTInteger},
                                       {NULL, OFTString}};

static OGRLayerH make_layer(GDALDatasetH ds, OGRSpatialReferenceH srs, const char *name,
                            const field_def *f)
{
    OGRLayerH ly = GDALDatasetCreateLayer(ds, name, srs, wkbPolygon, NULL);
    for (; ly && f->name; f++) {
        OGRFieldDefnH d = OGR_Fld_Create(f->name, f->type);
        OGRErr e = OGR_L_CreateField(ly, d, 1);
        OGR_Fld_Destroy(d);
        if (e != OGRERR_NONE) return NULL;
    }
    return ly;
}

/* Cell i's closed ring from the outline arrays. */
static OGRGeometryH cell_polygon(const double *x, const double *y, int nv, size_t i)
{
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    for (int v = 0; v <= nv; v++) {
        size_t k = i * (size_t)nv + (size_t)(v % nv);
        OGR_G_AddPoint_2D(ring, x[k], y[k]);
    }
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGR_G_AddGeometryDirectly(poly, ring);
    return poly;
}

/* A step boundary as a UTC DateTime (TZFlag 100): unambiguous whatever the local offset. */
static void set_time(OGRFeatureH f, int field, int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int y, m, d;
    hztime_civil_from_days(day, &y, &m, &d);
    int s = (int)(t - day * 86400);
    OGR_F_SetFieldDateTimeEx(f, field, y, m, d, s / 3600, s / 60 % 60, (float)(s % 60), 100);
}

static int write_location(OGRLayerH ly, const emerging_result *r, size_t i, OGRGeometryH g)
{
    size_t n;
    const emerging_cell *c = &emerging_cells(r, &n)[i];
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ly));
    OGR_F_SetFieldInteger64(f, 0, hotspots_cell_id(emerging_lattice(r), i));
    OGR_F_SetFieldString(f, 1, ehsa_pattern_name(c->pattern));
    OGR_F_SetFieldString(f, 2, ehsa_pattern_label(c->pattern));
    OGR_F_SetFieldString(f, 3, ehsa_pattern_label_zh(c->pattern));
    OGR_F_SetFieldString(f, 4, ehsa_pattern_colour(c->pattern));
    OGR_F_SetFieldInteger64(f, 5, c->count);
    OGR_F_SetFieldInteger(f, 6, c->hot_steps);
    OGR_F_SetFieldInteger(f, 7, c->cold_steps);
    OGR_F_SetFieldDouble(f, 8, c->trend_count.z);
    OGR_F_SetFieldDouble(f, 9, c->trend_count.p);
    OGR_F_SetFieldDouble(f, 10, c->trend_z.z);
    OGR_F_SetFieldDouble(f, 11, c->trend_z.p);
    OGR_F_SetFieldDouble(f, 12, c->trend_z.tau);
    OGR_F_SetGeometry(f, g);
    int bad = OGR_L_CreateFeature(ly, f) != OGRERR_NONE;
    OGR_F_Destroy(f);
    return bad;
}

static int write_bin(OGRLayerH ly, const emerging_result *r, size_t i, size_t t, OGRGeometryH g)
{
    const emerging_bin *b = emerging_bin_at(r, i, t);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ly));
    OGR_F_SetFieldInteger64(f, 0, hotspots_cell_id(emerging_lattice(r), i));
    OGR_F_SetFieldInteger(f, 1, (int)t);
    OGR_F_SetFieldString(f, 2, emerging_step_label(r, t));
    set_time(f, 3, emerging_step_start(r, t));
    set_time(f, 4, emerging_step_start(r, t + 1));
    OGR_F_SetFieldInteger(f, 5, b->count);
    OGR_F_SetFieldDouble(f, 6, b->value);
    OGR_F_SetFieldDouble(f, 7, b->z);
    OGR_F_SetFieldDouble(f, 8, b->p);
    OGR_F_SetFieldDouble(f, 9, b->q);
    OGR_F_SetFieldInteger(f, 10, b->cls);
    OGR_F_SetGeometry(f, g);
    int bad = OGR_L_CreateFeature(ly, f) != OGRERR_NONE;
    OGR_F_Destroy(f);
    return bad;
}

/* Every row of both layers. 0, or -1 when OGR refused one. */
static int write_rows(GDALDatasetH ds, OGRLayerH loc, OGRLayerH bins, const emerging_result *r,
                      const double *x, const double *y, int nv)
{
    size_t n, T = emerging_steps(r);
    emerging_cells(r, &n);
    if (GDALDatasetStartTransaction(ds, 0) != OGRERR_NONE) return -1;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        OGRGeometryH g = cell_polygon(x, y, nv, i);
        bad = write_location(loc, r, i, g);
        for (size_t t = 0; t < T && !bad; t++)
            bad = write_bin(bins, r, i, t, g);
        OGR_G_DestroyGeometry(g);
    }
    if (bad) {
        GDALDatasetRollbackTransaction(ds);
        return -1;
    }
    return GDALDatasetCommitTransaction(ds) == OGRERR_NONE ? 0 : -1;
}

/* Writes the GeoPackage at path (a file, or /vsimem/). */
static hz_status write_gpkg(const emerging_result *r, const char *path, char *err, size_t errlen)
{
    double *x, *y;
    int nv;
    hz_status rc = hotspots_outlines(emerging_lattice(r), &x, &y, &nv, err, errlen);
    if (rc != HZ_OK) return rc;
    if (!GDALGetDriverByName("GPKG")) GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH loc = ds ? make_layer(ds, srs, "emerging_locations", location_fields) : NULL;
    OGRLayerH bins = loc ? make_layer(ds, srs, "emerging_bins", bin_fields) : NULL;
    if (!ds)
        rc = hz_fail(HZ_EIO, err, errlen, "%s: cannot create a GeoPackage (%s)", path,
                     CPLGetLastErrorMsg());
    else if (!loc || !bins || write_rows(ds, loc, bins, r, x, y, nv) != 0)
        rc = hz_fail(HZ_EIO, err, errlen, "%s: writing the layers failed (%s)", path,
                     CPLGetLastErrorMsg());
    if (ds) GDALClose(ds); /* void in GDAL 3.6; the rows were committed above */
    if (rc != HZ_OK && ds) VSIUnlink(path);
    OSRDestroySpatialReference(srs);
    free(x);
    free(y);
    return rc;
}

hz_status emerging_gpkg(const emerging_result *r, const char *path, char *err, size_t errlen)
{
    if (access(path, F_OK) == 0)
        return hz_fail(HZ_EIO, err, errlen, "%s: exists; give a new file name", path);
    return write_gpkg(r, path, err, errlen);
}

hz_status emerging_gpkg_bytes(const emerging_result *r, unsigned char **buf, size_t *len, char *err,
                              size_t errlen)
{
    *buf = NULL;
    *len = 0;
    /* a name of this thread and call alone: /vsimem/ is shared by the process */
    char name[128];
    int here = 0;
    snprintf(name, sizeof name, "/vsimem/hazmap-emerging-%lx-%p.gpkg",
             (unsigned long)pthread_self(), (void *)&here);
    hz_status st = write_gpkg(r, name, err, errlen);
    if (st != HZ_OK) return st;
    vsi_l_offset n = 0;
    GByte *data = VSIGetMemFileBuffer(name, &n, FALSE);
    if (data && n > 0 && (*buf = malloc((size_t)n))) {
        memcpy(*buf, data, (size_t)n);
        *len = (size_t)n;
    }
    VSIUnlink(name);
    return *buf ? HZ_OK : hz_fail(HZ_ENOMEM, err, errlen, "GeoPackage in memory: out of memory");
}
