/* import_areas.c - loading area boundaries through GDAL/OGR into the store (import.h).
 *
 * Per feature: code, names, level, parent and population from the attribute fields (options, or
 * the usual field names); the geometry reprojected to EPSG:4326 lon/lat with OGR/PROJ, or moved
 * from GCJ-02/BD-09 to WGS84 vertex by vertex with chinacrs (GDAL knows neither); repaired with
 * OGR_G_MakeValid() (GEOS's MakeValid) when invalid, its polygon parts kept; stored as a 2D
 * MULTIPOLYGON. Shapefile attribute encodings come from the .cpg (GDAL's SHAPE_ENCODING logic
 * recodes the .dbf to UTF-8). */
#include "hazmap/import.h"
#include "import_ogr.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* GDAL's cpl_port.h tests __clang_major__ without defining it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop

#define LOG_REJECTS 10

static const char *const code_names[] = {"code", "adcode", "gss_code", "area_code", "id", NULL};
static const char *const name_names[] = {"name", "名称", "name_zh", "NAME", NULL};
static const char *const name_en_names[] = {"name_en", "ename", "english", NULL};
static const char *const pop_names[] = {"population", "pop", "人口", NULL};
static const char *const parent_names[] = {"parent_code", NULL};

static int find_field(OGRFeatureDefnH def, const char *given, const char *const *names)
{
    if (given) return OGR_FD_GetFieldIndex(def, given);
    int n = OGR_FD_GetFieldCount(def);
    for (int k = 0; names[k]; k++)
        for (int i = 0; i < n; i++)
            if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, i)), names[k]) == 0)
                return i;
    return -1;
}

/* A field's text copied into buf (OGR reuses one buffer per feature for numeric fields), or
 * NULL when unset or empty. */
static const char *field_str(OGRFeatureH f, int i, char *buf, size_t len)
{
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return NULL;
    const char *s = OGR_F_GetFieldAsString(f, i);
    if (!s || !*s) return NULL;
    snprintf(buf, len, "%s", s);
    return buf;
}

/* The polygon parts of g as a new MULTIPOLYGON (NULL if none). g is consumed. */
static OGRGeometryH to_multipolygon(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon || t == wkbMultiPolygon) return OGR_G_ForceToMultiPolygon(g);
    if (t != wkbGeometryCollection) {
        OGR_G_DestroyGeometry(g);
        return NULL;
    }
    /* MakeValid may return a collection with lines or points where the polygon collapsed */
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        OGRGeometryH part = OGR_G_GetGeometryRef(g, i);
        OGRwkbGeometryType pt = wkbFlatten(OGR_G_GetGeometryType(part));
        if (pt == wkbPolygon) {
            OGR_G_AddGeometry(mp, part);
        } else if (pt == wkbMultiPolygon) {
            for (int k = 0; k < OGR_G_GetGeometryCount(part); k++)
                OGR_G_AddGeometry(mp, OGR_G_GetGeometryRef(part, k));
        }
    }
    OGR_G_DestroyGeometry(g);
    if (OGR_G_GetGeometryCount(mp) == 0) {
        OGR_G_DestroyGeometry(mp);
        return NULL;
    }
    return mp;
}

typedef struct area_ctx {
    store *st;
    import_summary *sum;
    const char *path;
    FILE *log;
    int nlogged;
} area_ctx;

static hz_status reject(area_ctx *c, int64_t fno, const char *raw, const char *kind, char *err,
                        size_t errlen, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static hz_status reject(area_ctx *c, int64_t fno, const char *raw, const char *kind, char *err,
                        size_t errlen, const char *fmt, ...)
{
    char msg[512], reason[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(reason, sizeof reason, "feature %lld: %s", (long long)fno, msg);
    import_count_reason(c->sum, kind);
    if (c->log && c->nlogged++ < LOG_REJECTS)
        fprintf(c->log, "%s:%lld: %s\n", c->path, (long long)fno, msg);
    return store_reject_add(c->st, c->sum->batch_id, fno, raw, reason, err, errlen);
}

/* An attribute field: the one named by option `opt` (given) or, without it, the first of `names`
 * present; idx is its index in the layer, -1 if none. */
typedef struct field_spec {
    const char *given, *opt;
    const char *const *names;
    int idx;
} field_spec;

enum { F_CODE, F_NAME, F_NAME_EN, F_POP, F_PARENT, F_COUNT };

/* What load_layer() learns about the layer before reading it; it owns crs. */
typedef struct layer_spec {
    const import_opts *o;
    field_spec fl[F_COUNT];
    int level_idx; /* the 'level' field, -1 if none */
    import_crs crs;
} layer_spec;

/* Finds L's fields in def: a field given by option must exist, and a code and a name field must
 * be found. Also checks --level. */
static hz_status find_fields(const area_ctx *c, OGRFeatureDefnH def, layer_spec *L, char *err,
                             size_t errlen)
{
    const import_opts *o = L->o;
    for (size_t i = 0; i < F_COUNT; i++) {
        field_spec *fs = &L->fl[i];
        fs->idx = find_field(def, fs->given, fs->names);
        if (fs->given && fs->idx < 0) {
            char cols[1024];
            size_t used = 0;
            cols[0] = 0;
            for (int k = 0; k < OGR_FD_GetFieldCount(def) && used + 4 < sizeof cols; k++) {
                int w = snprintf(cols + used, sizeof cols - used, "%s%s", k ? ", " : "",
                                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, k)));
                if (w > 0) used += (size_t)w;
            }
            return hz_fail(HZ_EINVAL, err, errlen, "%s: %s '%s' not found; fields: %s", c->path,
                           fs->opt, fs->given, cols);
        }
    }
    if (L->fl[F_CODE].idx < 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "%s: no code field (looked for code, adcode, gss_code, id): give "
                       "--code-field",
                       c->path);
    if (L->fl[F_NAME].idx < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: no name field: give --name-field", c->path);
    L->level_idx = OGR_FD_GetFieldIndex(def, "level");
    if (o->level && strcmp(o->level, "district") != 0 && strcmp(o->level, "subdistrict") != 0 &&
        strcmp(o->level, "community") != 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "--level: '%s' is not district, subdistrict or community", o->level);
    return HZ_OK;
}

/* The feature's geometry g as a valid 2D WGS84 MULTIPOLYGON in *mp (the caller destroys it),
 * repaired with OGR_G_MakeValid() when invalid; *mp = NULL when the feature is rejected (the
 * status is then reject()'s). */
static hz_status feature_geometry(area_ctx *c, const import_crs *x, int64_t fno, const char *raw,
                                  const char *code, OGRGeometryH g, OGRGeometryH *mp, char *err,
                                  size_t errlen)
{
    *mp = NULL;
    OGRGeometryH gc = OGR_G_Clone(g);
    OGR_G_FlattenTo2D(gc);
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(gc));
    hz_status s = HZ_OK;
    int rejected = 1;
    if (t != wkbPolygon && t != wkbMultiPolygon)
        s = reject(c, fno, raw, "not a polygon", err, errlen,
                   "area %s: geometry is a %s, not a polygon", code, OGR_G_GetGeometryName(gc));
    else if (import_crs_to_wgs84(x, gc) < 0)
        s = reject(c, fno, raw, "bad coordinates", err, errlen,
                   "area %s cannot be transformed to WGS84", code);
    else if (!import_in_lonlat_range(gc))
        s = reject(c, fno, raw, "bad coordinates", err, errlen,
                   "area %s: coordinates outside lon -180..180 / lat -90..90 (wrong --srs?)", code);
    else
        rejected = 0;
    if (rejected) {
        OGR_G_DestroyGeometry(gc);
        return s;
    }
    if (!OGR_G_IsValid(gc)) {
        OGRGeometryH v = OGR_G_MakeValid(gc);
        OGR_G_DestroyGeometry(gc);
        gc = v;
    }
    *mp = gc ? to_multipolygon(gc) : NULL;
    if (!*mp)
        return reject(c, fno, raw, "invalid polygon", err, errlen,
                      "area %s: invalid polygon that cannot be repaired into an area", code);
    /* the header's promise: stored as a 2D MULTIPOLYGON */
    assert(wkbFlatten(OGR_G_GetGeometryType(*mp)) == wkbMultiPolygon);
    assert(!OGR_G_Is3D(*mp) && !OGR_G_IsMeasured(*mp));
    return HZ_OK;
}

/* Stores feature f as area `code` with geometry mp and the other attributes of L's fields. */
static hz_status store_feature(area_ctx *c, const layer_spec *L, OGRFeatureH f, const char *code,
                               const char *name, const char *lv, OGRGeometryH mp, char *err,
                               size_t errlen)
{
    char b_en[512], b_pop[64], b_parent[256];
    size_t n = (size_t)OGR_G_WkbSize(mp);
    unsigned char *wkb = malloc(n);
    if (!wkb) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    OGR_G_ExportToIsoWkb(mp, wkbNDR, wkb);
    const char *pop = field_str(f, L->fl[F_POP].idx, b_pop, sizeof b_pop);
    char *end = NULL;
    long long popv = pop ? strtoll(pop, &end, 10) : -1;
    if (pop && (*end || popv < 0)) popv = -1;
    hz_area_rec a = {
        .code = code,
        .name = name,
        .name_en = field_str(f, L->fl[F_NAME_EN].idx, b_en, sizeof b_en),
        .level = lv,
        .parent_code = L->o->parent ? L->o->parent
                                    : field_str(f, L->fl[F_PARENT].idx, b_parent, sizeof b_parent),
        .population = popv,
        .wkb = wkb,
        .wkb_len = n};
    hz_status s = store_area_put(c->st, &a, err, errlen);
    if (s == HZ_OK) c->sum->loaded++;
    free(wkb);
    return s;
}

/* Feature number fno: rejected with its reason when it lacks a code, a name or a usable polygon,
 * else stored. */
static hz_status load_feature(area_ctx *c, const layer_spec *L, OGRFeatureH f, int64_t fno,
                              char *err, size_t errlen)
{
    char b_code[256], b_name[512], b_level[64], raw[512];
    const char *code = field_str(f, L->fl[F_CODE].idx, b_code, sizeof b_code);
    const char *name = field_str(f, L->fl[F_NAME].idx, b_name, sizeof b_name);
    snprintf(raw, sizeof raw, "code=%s; name=%s", code ? code : "", name ? name : "");
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    const char *lv =
        L->o->level ? L->o->level : field_str(f, L->level_idx, b_level, sizeof b_level);
    if (!lv || (strcmp(lv, "district") != 0 && strcmp(lv, "subdistrict") != 0 &&
                strcmp(lv, "community") != 0))
        lv = "district";
    if (!code) return reject(c, fno, raw, "missing code", err, errlen, "empty code");
    if (!name) return reject(c, fno, raw, "missing name", err, errlen, "area %s has no name", code);
    if (!g || OGR_G_IsEmpty(g))
        return reject(c, fno, raw, "empty geometry", err, errlen, "area %s has no geometry", code);
    OGRGeometryH mp;
    hz_status s = feature_geometry(c, &L->crs, fno, raw, code, g, &mp, err, errlen);
    if (s != HZ_OK || !mp) return s;
    s = store_feature(c, L, f, code, name, lv, mp, err, errlen);
    OGR_G_DestroyGeometry(mp);
    return s;
}

/* Loads every feature of the layer until one fails; the CRS set-up is freed here. */
static hz_status load_layer(area_ctx *c, OGRLayerH ly, const import_opts *o, char *err,
                            size_t errlen)
{
    layer_spec L = {.o = o,
                    .fl = {{o->code_field, "--code-field", code_names, -1},
                           {o->name_field, "--name-field", name_names, -1},
                           {o->name_en_field, "--name-en-field", name_en_names, -1},
                           {o->population_field, "--population-field", pop_names, -1},
                           {o->parent_field, "--parent-field", parent_names, -1}}};
    hz_status s = find_fields(c, OGR_L_GetLayerDefn(ly), &L, err, errlen);
    if (s == HZ_OK) s = import_crs_open(c->path, ly, o->srs, &L.crs, err, errlen);
    if (s != HZ_OK) return s;
    OGRFeatureH f;
    int64_t fno = 0;
    OGR_L_ResetReading(ly);
    while (s == HZ_OK && (f = OGR_L_GetNextFeature(ly)) != NULL) {
        fno++;
        c->sum->read++;
        s = load_feature(c, &L, f, fno, err, errlen);
        OGR_F_Destroy(f);
    }
    import_crs_free(&L.crs);
    if (s == HZ_OK && c->sum->read == 0)
        s = hz_fail(HZ_EINVAL, err, errlen, "%s: no features", c->path);
    return s;
}

hz_status import_areas(store *st, const char *path, const import_opts *o, import_summary *sum,
                       char *err, size_t errlen)
{
    import_opts none = {0};
    if (!o) o = &none;
    memset(sum, 0, sizeof *sum);
    GDALDatasetH ds;
    OGRLayerH ly;
    hz_status so = import_ogr_open(path, o->layer, 1, &ds, &ly, err, errlen);
    if (so != HZ_OK) return so;
    area_ctx c = {st, sum, path, o->log, 0};
    hz_status s = store_begin(st, err, errlen);
    if (s != HZ_OK) {
        GDALClose(ds);
        return s;
    }
    s = store_batch_begin(st, "areas", path, &sum->batch_id, err, errlen);
    if (s == HZ_OK) s = load_layer(&c, ly, o, err, errlen);
    if (s == HZ_OK) {
        char *js = import_summary_json(sum);
        s = js ? store_batch_finish(st, sum->batch_id, js, err, errlen)
               : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        free(js);
    }
    if (s == HZ_OK)
        s = store_commit(st, err, errlen);
    else
        store_rollback(st);
    GDALClose(ds);
    return s;
}
