/* check_import.c - tests of the importers (geo/import_*.c), the area index and the bulk store
 * path, on the real files copied into tests/data/ and on small fixtures written to /tmp.
 * References are independent of the code under test: GDAL/OGR reads of the original files,
 * SpatiaLite SQL (ST_Area, ST_Contains) run on the store file over a separate connection, a CSV
 * splitter of the test's own, and SQLite's rtreecheck(). */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop
#include <sqlite3.h>
#include <spatialite.h>

#include "hazmap/areaindex.h"
#include "hazmap/chinacrs.h"
#include "hazmap/import.h"
#include "hazmap/store.h"

static char dbpath[256];

/* Removes the store file and its WAL, shared-memory and journal side files. */
static void rm_db(void)
{
    char p[300];
    unlink(dbpath);
    snprintf(p, sizeof p, "%s-wal", dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", dbpath);
    unlink(p);
}

static store *fresh_store(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap_check_import_%d.sqlite", (int)getpid());
    rm_db();
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    return st;
}

static void drop_store(store *st)
{
    store_close(st);
    rm_db();
}

/* ---- an independent SQL connection with SpatiaLite on the store file ---- */

typedef struct sqlconn {
    sqlite3 *db;
    void *cache;
} sqlconn;

static sqlconn sql_open(void)
{
    sqlconn c = {0};
    ck_assert_int_eq(sqlite3_open_v2(dbpath, &c.db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    c.cache = spatialite_alloc_connection();
    spatialite_init_ex(c.db, c.cache, 0);
    return c;
}

static void sql_close(sqlconn *c)
{
    sqlite3_close(c->db);
    spatialite_cleanup_ex(c->cache);
}

static sqlite3_stmt *sql_prep(sqlconn *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(c->db));
    return s;
}

static double sql_double(sqlconn *c, const char *sql, const char *arg)
{
    sqlite3_stmt *s = sql_prep(c, sql);
    if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    double v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int64_t sql_int(sqlconn *c, const char *sql, const char *arg)
{
    sqlite3_stmt *s = sql_prep(c, sql);
    if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static char *sql_text(sqlconn *c, const char *sql, const char *arg)
{
    sqlite3_stmt *s = sql_prep(c, sql);
    if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
    char *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
}

/* ---- a CSV splitter of the test's own (quotes, "" escapes; no embedded newlines) ---- */

static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line, *o = line;
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
        line[--l] = 0;
    for (;;) {
        if (n >= max) return n;
        f[n++] = o;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *o++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else if (!*p) {
                    break;
                } else {
                    *o++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *o++ = *p++;
        }
        if (*p == ',') {
            *o++ = 0;
            p++;
            o = p;
            continue;
        }
        *o = 0;
        return n;
    }
}

static int col_of(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0) return i;
    ck_abort_msg("no column %s", name);
    return -1;
}

/* ---- Chengdu: the Jinjiang outline, GCJ-02 -> WGS84 ---- */

/* Reads feature where field == value from path with OGR, independently of the importer. */
static OGRGeometryH read_feature_geom(const char *path, const char *field, const char *value)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(ds);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    OGRGeometryH g = NULL;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        int i = OGR_F_GetFieldIndex(f, field);
        if (i >= 0 && strcmp(OGR_F_GetFieldAsString(f, i), value) == 0)
            g = OGR_G_Clone(OGR_F_GetGeometryRef(f));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    ck_assert_ptr_nonnull(g);
    return g;
}

static void check_jinjiang(const char *path)
{
    store *st = fresh_store();
    char err[512];
    import_summary sum;
    import_opts o = {.srs = "gcj02", .code_field = "adcode"};
    ck_assert_msg(import_areas(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.rejected, 0);
    store_close(st);

    sqlconn c = sql_open();
    /* geodesic area on the WGS84 ellipsoid (SpatiaLite ST_Area(geom, 1), via GeographicLib) */
    double km2 =
        sql_double(&c, "SELECT ST_Area(geom, 1) / 1e6 FROM areas WHERE code = ?", "510104");
    ck_assert_msg(km2 > 60.0 && km2 < 61.5, "%s: Jinjiang %.3f km2", path, km2);
    char *name = sql_text(&c, "SELECT name FROM areas WHERE code = ?", "510104");
    ck_assert_str_eq(name, "锦江区");
    free(name);
    /* every vertex is the GCJ-02 inverse of the original one, and nothing else changed */
    sqlite3_stmt *s = sql_prep(&c, "SELECT AsBinary(geom) FROM areas WHERE code = '510104'");
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    OGRGeometryH got = NULL;
    ck_assert_int_eq(
        OGR_G_CreateFromWkb(sqlite3_column_blob(s, 0), NULL, &got, sqlite3_column_bytes(s, 0)),
        OGRERR_NONE);
    sqlite3_finalize(s);
    sql_close(&c);
    OGRGeometryH orig = read_feature_geom(path, "adcode", "510104");
    ck_assert_int_eq(wkbFlatten(OGR_G_GetGeometryType(orig)), wkbPolygon);
    ck_assert_int_eq(OGR_G_GetGeometryCount(got), 1); /* one polygon */
    OGRGeometryH gp = OGR_G_GetGeometryRef(got, 0);
    ck_assert_int_eq(OGR_G_GetGeometryCount(gp), OGR_G_GetGeometryCount(orig));
    double maxmove = 0;
    for (int r = 0; r < OGR_G_GetGeometryCount(orig); r++) {
        OGRGeometryH ro = OGR_G_GetGeometryRef(orig, r), rg = OGR_G_GetGeometryRef(gp, r);
        ck_assert_int_eq(OGR_G_GetPointCount(ro), OGR_G_GetPointCount(rg));
        for (int i = 0; i < OGR_G_GetPointCount(ro); i++) {
            double x, y;
            chinacrs_gcj02_to_wgs84(OGR_G_GetX(ro, i), OGR_G_GetY(ro, i), &x, &y);
            ck_assert_double_eq_tol(OGR_G_GetX(rg, i), x, 1e-9);
            ck_assert_double_eq_tol(OGR_G_GetY(rg, i), y, 1e-9);
            double d = hypot(x - OGR_G_GetX(ro, i), y - OGR_G_GetY(ro, i));
            if (d > maxmove) maxmove = d;
        }
    }
    /* the offset in Chengdu is a few hundred metres: it did move */
    ck_assert_double_gt(maxmove, 0.001);
    ck_assert_double_lt(maxmove, 0.01);
    OGR_G_DestroyGeometry(orig);
    OGR_G_DestroyGeometry(got);
    rm_db();
}

START_TEST(test_chengdu_shapefile_gcj02)
{
    check_jinjiang("data/chengdu-districts-shp/chengdu_districts.shp");
}
END_TEST

START_TEST(test_datav_geojson_gcj02)
{
    check_jinjiang("data/chengdu-datav-geojson/510104.json");
}
END_TEST

/* ---- São Paulo: WKT, POINT EMPTY, two date formats, separate hour column ---- */

static void check_saopaulo(const char *path, int64_t want_empty)
{
    store *st = fresh_store();
    char err[512];
    import_summary sum;
    import_opts o = {.id = "ID_ACIDENT", .time = "DATA", .time2 = "HORA", .tz = "-03:00"};
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    store_close(st);

    /* the reference: the file read by the test itself */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096], *fl[64];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    int nf = split_csv(line, fl, 64);
    int cw = col_of(fl, nf, "WKT"), cid = col_of(fl, nf, "ID_ACIDENT"), cd = col_of(fl, nf, "DATA"),
        ch = col_of(fl, nf, "HORA");
    int64_t rows = 0, empty = 0, checked = 0;
    sqlconn c = sql_open();
    sqlite3_stmt *q = sql_prep(&c, "SELECT occurred_at, lon, lat FROM incidents WHERE source_id=?");
    while (fgets(line, sizeof line, f)) {
        rows++;
        /* each row has the header's fields, so fl[c] is this row's field c */
        ck_assert_int_eq(split_csv(line, fl, 64), nf);
        if (strcmp(fl[cw], "POINT EMPTY") == 0) {
            empty++;
            continue;
        }
        if (rows % 97 != 1) continue;
        /* DATA is yyyy/mm/dd (2014) or "yyyy/mm/dd 00:00:00" (2015); HORA hhmm */
        char want[64];
        snprintf(want, sizeof want, "%.4s-%.2s-%.2sT%.2s:%.2s:00-03:00", fl[cd], fl[cd] + 5,
                 fl[cd] + 8, fl[ch], fl[ch] + 2);
        double lon, lat;
        ck_assert_int_eq(sscanf(fl[cw], "POINT (%lf %lf)", &lon, &lat), 2);
        sqlite3_bind_text(q, 1, fl[cid], -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
        ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), want);
        ck_assert_double_eq(sqlite3_column_double(q, 1), lon);
        ck_assert_double_eq(sqlite3_column_double(q, 2), lat);
        sqlite3_reset(q);
        checked++;
    }
    sqlite3_finalize(q);
    fclose(f);
    ck_assert_int_gt(checked, 100);
    ck_assert_int_eq(empty, want_empty);
    ck_assert_int_eq(sum.read, rows);
    ck_assert_int_eq(sum.rejected, empty);
    ck_assert_int_eq(sum.loaded, rows - empty);
    ck_assert_int_eq(sql_int(&c, "SELECT count(*) FROM incidents", NULL), rows - empty);
    ck_assert_int_eq(
        sql_int(&c,
                "SELECT count(*) FROM import_rejects WHERE reason LIKE"
                " 'line %: empty geometry (POINT EMPTY)' AND raw LIKE '\"POINT EMPTY\"%'",
                NULL),
        empty);
    /* line numbers: the first POINT EMPTY row of the file, counted by the test */
    ck_assert_int_eq(sql_int(&c, "SELECT count(*) FROM import_rejects WHERE line < 2", NULL), 0);
    /* the columns without a field of their own are kept */
    char *extra = sql_text(&c, "SELECT extra FROM incidents LIMIT 1", NULL);
    ck_assert_ptr_nonnull(extra);
    ck_assert_ptr_nonnull(strstr(extra, "\"TIPO_ACIDE\""));
    free(extra);
    sql_close(&c);
    rm_db();
}

START_TEST(test_saopaulo_2014)
{
    check_saopaulo("data/saopaulo-traffic/ocorrencias-transito-pmsp-2014.csv", 73);
}
END_TEST

START_TEST(test_saopaulo_2015)
{
    check_saopaulo("data/saopaulo-traffic/ocorrencias-transito-pmsp-2015.csv", 52);
}
END_TEST

/* ---- Edinburgh: British National Grid easting/northing ---- */

START_TEST(test_edinburgh_epsg27700)
{
    const char *path = "data/edinburgh-collisions/accident-2010-13-geocoded-first500.csv";
    store *st = fresh_store();
    char err[512];
    import_summary sum;
    import_opts o = {.lon = "easting",
                     .lat = "northing",
                     .srs = "EPSG:27700",
                     .id = "acc_ref",
                     .time = "a_date"};
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.rejected, 0);
    store_close(st);
    FILE *f = fopen(path, "r");
    char line[8192], *fl[64];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    int nf = split_csv(line, fl, 64);
    int cid = col_of(fl, nf, "acc_ref"), clat = col_of(fl, nf, "latitude"),
        clon = col_of(fl, nf, "longitude"), cdate = col_of(fl, nf, "a_date"),
        csev = col_of(fl, nf, "severity");
    sqlconn c = sql_open();
    sqlite3_stmt *q =
        sql_prep(&c, "SELECT lon, lat, occurred_at, severity FROM incidents WHERE source_id=?");
    int n = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        /* each row has the header's fields, so fl[c] is this row's field c */
        ck_assert_int_eq(split_csv(line, fl, 64), nf);
        sqlite3_bind_text(q, 1, fl[cid], -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
        double lon = sqlite3_column_double(q, 0), lat = sqlite3_column_double(q, 1);
        double rlon = strtod(fl[clon], NULL), rlat = strtod(fl[clat], NULL);
        /* equirectangular distance, exact enough at 2 m */
        double dy = (lat - rlat) * 111320.0, dx = (lon - rlon) * 111320.0 * cos(rlat * M_PI / 180);
        double d = hypot(dx, dy);
        if (d > worst) worst = d;
        ck_assert_msg(d < 2.0, "acc_ref %s: %.2f m from its own lat/lon", fl[cid], d);
        /* a_date is DD/MM/YYYY */
        char want[16];
        snprintf(want, sizeof want, "%.4s-%.2s-%.2s", fl[cdate] + 6, fl[cdate] + 3, fl[cdate]);
        ck_assert_int_eq(strncmp((const char *)sqlite3_column_text(q, 2), want, 10), 0);
        const char *sev = (const char *)sqlite3_column_text(q, 3);
        ck_assert_str_eq(sev, strcmp(fl[csev], "Slight") == 0    ? "minor"
                              : strcmp(fl[csev], "Serious") == 0 ? "serious"
                                                                 : "fatal");
        sqlite3_reset(q);
        n++;
    }
    fclose(f);
    sqlite3_finalize(q);
    sql_close(&c);
    ck_assert_int_eq(n, 500);
    ck_assert_int_eq(sum.loaded, 500);
    rm_db();
}
END_TEST

/* ---- London: per-borough counts against SpatiaLite's ST_Contains ---- */

START_TEST(test_london_fires_per_borough)
{
    store *st = fresh_store();
    char err[512];
    import_summary sum;
    ck_assert_msg(import_areas(st, "data/london-dwelling-fires/london_boroughs_8.geojson", NULL,
                               &sum, err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_int_eq(sum.loaded, 8);
    import_opts o = {.mechanism = "fire_burn"};
    ck_assert_msg(import_incidents(st, "data/london-dwelling-fires/fires_central.geojson", &o, &sum,
                                   err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_int_eq(sum.read, 1614);
    ck_assert_int_eq(sum.loaded, 1614);
    store_close(st);
    sqlconn c = sql_open();
    sqlite3_stmt *s = sql_prep(&c, "SELECT code FROM areas ORDER BY code");
    int64_t total_in = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(s, 0);
        int64_t ours = sql_int(&c, "SELECT count(*) FROM incidents WHERE area_code = ?", code);
        int64_t ref = sql_int(&c,
                              "SELECT count(*) FROM incidents i, areas a WHERE a.code = ?"
                              " AND ST_Contains(a.geom, i.geom)",
                              code);
        ck_assert_msg(ours == ref, "borough %s: %lld assigned, %lld by ST_Contains", code,
                      (long long)ours, (long long)ref);
        total_in += ref;
    }
    sqlite3_finalize(s);
    ck_assert_int_gt(total_in, 1000);
    ck_assert_int_eq(sum.outside, 1614 - total_in);
    ck_assert_int_gt(sum.outside, 0);
    ck_assert_int_eq(
        sql_int(&c, "SELECT count(*) FROM incidents WHERE mechanism='fire_flame'", NULL), 1614);
    /* the spatial index holds every point, and is a valid R*Tree */
    char *chk = sql_text(&c, "SELECT rtreecheck('idx_incidents_geom')", NULL);
    ck_assert_str_eq(chk, "ok");
    free(chk);
    ck_assert_int_eq(sql_int(&c,
                             "SELECT count(*) FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM"
                             " idx_incidents_geom r WHERE r.pkid = i.id AND r.xmin <= i.lon AND"
                             " r.xmax >= i.lon AND r.ymin <= i.lat AND r.ymax >= i.lat)",
                             NULL),
                     0);
    sql_close(&c);
    rm_db();
}
END_TEST

/* ---- the area index against brute force ---- */

typedef struct locate_job {
    const areaindex *ai;
    const double *pts;
    int n;
    const char **out;
} locate_job;

static void *locate_thread(void *ud)
{
    locate_job *j = ud;
    for (int i = 0; i < j->n; i++)
        j->out[i] = areaindex_locate(j->ai, j->pts[2 * i], j->pts[2 * i + 1]);
    return NULL;
}

START_TEST(test_areaindex_matches_st_contains)
{
    store *st = fresh_store();
    char err[512];
    import_summary sum;
    ck_assert_msg(import_areas(st, "data/london-dwelling-fires/london_boroughs_8.geojson", NULL,
                               &sum, err, sizeof err) == HZ_OK,
                  "%s", err);
    areaindex *ai = areaindex_new(st, err, sizeof err);
    ck_assert_msg(ai != NULL, "%s", err);
    ck_assert_uint_eq(areaindex_count(ai), 8);
    enum { N = 3000 };
    double *pts = malloc(2 * N * sizeof *pts);
    const char **a = malloc(N * sizeof *a), **b = malloc(N * sizeof *b);
    srand(12345);
    for (int i = 0; i < N; i++) {
        pts[2 * i] = -0.22 + 0.235 * rand() / (double)RAND_MAX;
        pts[2 * i + 1] = 51.40 + 0.18 * rand() / (double)RAND_MAX;
    }
    /* four threads on the same index at once */
    pthread_t th[4];
    locate_job jobs[4];
    for (int t = 0; t < 4; t++) {
        /* a is the threads' output, not read before they are joined (a false uninitdata) */
        // cppcheck-suppress uninitdata
        jobs[t] = (locate_job){ai, pts + 2 * (N / 4) * t, N / 4, a + (N / 4) * t};
        pthread_create(&th[t], NULL, locate_thread, &jobs[t]);
    }
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    store_close(st);
    sqlconn c = sql_open();
    sqlite3_stmt *q = sql_prep(
        &c, "SELECT code FROM areas WHERE ST_Contains(geom, MakePoint(?, ?, 4326)) ORDER BY code");
    int inside = 0;
    for (int i = 0; i < N; i++) {
        sqlite3_bind_double(q, 1, pts[2 * i]);
        sqlite3_bind_double(q, 2, pts[2 * i + 1]);
        b[i] = NULL;
        if (sqlite3_step(q) == SQLITE_ROW) b[i] = strdup((const char *)sqlite3_column_text(q, 0));
        sqlite3_reset(q);
        if (b[i]) inside++;
        ck_assert_msg((a[i] == NULL) == (b[i] == NULL) && (!a[i] || strcmp(a[i], b[i]) == 0),
                      "point %.7f %.7f: index %s, ST_Contains %s", pts[2 * i], pts[2 * i + 1],
                      a[i] ? a[i] : "none", b[i] ? b[i] : "none");
        free((void *)b[i]);
    }
    ck_assert_int_gt(inside, N / 3);
    ck_assert_int_lt(inside, N);
    ck_assert_ptr_null(areaindex_locate(ai, NAN, 51.5));
    ck_assert_ptr_null(areaindex_locate(ai, 10.0, 51.5));
    sqlite3_finalize(q);
    sql_close(&c);
    areaindex_free(ai);
    free(pts);
    free(a);
    free(b);
    rm_db();
}
END_TEST

/* A district with two subdistricts inside: the subdistrict wins, the rest goes to the district. */
START_TEST(test_areaindex_most_specific)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_nest_%d.geojson", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("{\"type\":\"FeatureCollection\",\"features\":["
          "{\"type\":\"Feature\",\"properties\":{\"code\":\"D\",\"name\":\"区\",\"level\":"
          "\"district\"},"
          "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[104,30],[104.2,30],[104.2,30.2],["
          "104,30.2],[104,30]]]}},"
          "{\"type\":\"Feature\",\"properties\":{\"code\":\"S1\",\"name\":\"街道一\",\"level\":"
          "\"subdistrict\"},"
          "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[104,30],[104.1,30],[104.1,30.1],["
          "104,30.1],[104,30]],"
          "[[104.04,30.04],[104.06,30.04],[104.06,30.06],[104.04,30.06],[104.04,30.04]]]}},"
          "{\"type\":\"Feature\",\"properties\":{\"code\":\"S2\",\"name\":\"街道二\",\"level\":"
          "\"subdistrict\"},"
          "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[104.1,30.1],[104.2,30.1],[104.15,"
          "30.2],[104.1,30.1]]]}}"
          "]}",
          f);
    fclose(f);
    import_summary sum;
    ck_assert_msg(import_areas(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    unlink(path);
    areaindex *ai = areaindex_new(st, err, sizeof err);
    ck_assert_ptr_nonnull(ai);
    ck_assert_str_eq(areaindex_locate(ai, 104.02, 30.02), "S1");
    ck_assert_str_eq(areaindex_locate(ai, 104.05, 30.05), "D"); /* in S1's hole */
    ck_assert_str_eq(areaindex_locate(ai, 104.15, 30.15), "S2");
    ck_assert_str_eq(areaindex_locate(ai, 104.11, 30.19), "D"); /* beside S2's triangle */
    ck_assert_str_eq(areaindex_locate(ai, 104.15, 30.05), "D");
    ck_assert_ptr_null(areaindex_locate(ai, 104.3, 30.05));
    /* brute force on a fine lattice: the answer follows from the shapes by hand */
    for (int i = 1; i < 200; i++)
        for (int j = 1; j < 200; j++) {
            double x = 104 + i * 0.001 + 0.00037, y = 30 + j * 0.001 + 0.00041;
            const char *want = "D";
            int in_s1 =
                x < 104.1 && y < 30.1 && !(x > 104.04 && x < 104.06 && y > 30.04 && y < 30.06);
            /* S2: triangle (104.1,30.1) (104.2,30.1) (104.15,30.2) */
            int in_s2 = y > 30.1 && y < 30.2 && fabs(x - 104.15) < 0.05 * (30.2 - y) / 0.1;
            if (in_s1) want = "S1";
            if (in_s2) want = "S2";
            const char *got = areaindex_locate(ai, x, y);
            ck_assert_msg(got && strcmp(got, want) == 0, "%.5f %.5f: %s, want %s", x, y,
                          got ? got : "none", want);
        }
    areaindex_free(ai);
    drop_store(st);
}
END_TEST

/* ---- re-import, replacement ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_reimport_unchanged_and_replaced)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_re_%d.csv", (int)getpid());
    write_file(path, "id,occurred_at,lon,lat,severity,sex,age\n"
                     "a,2013-01-02 08:00,104.10,30.60,slight,M,34\n"
                     "b,2013-01-03,104.11,30.61,Serious,女,\n"
                     "c,2013/01/04 09:30,104.12,30.62,fatal,F,70\n");
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 3);
    int64_t v1;
    store_data_version(st, &v1);
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 0);
    ck_assert_int_eq(sum.unchanged, 3);
    ck_assert_int_eq(sum.replaced, 0);
    /* b moves and changes severity */
    write_file(path, "id,occurred_at,lon,lat,severity,sex,age\n"
                     "a,2013-01-02 08:00,104.10,30.60,slight,M,34\n"
                     "b,2013-01-03,104.15,30.65,fatal,女,\n"
                     "c,2013/01/04 09:30,104.12,30.62,fatal,F,70\n");
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 0);
    ck_assert_int_eq(sum.unchanged, 2);
    ck_assert_int_eq(sum.replaced, 1);
    int64_t na, ni;
    store_counts(st, &na, &ni);
    ck_assert_int_eq(ni, 3);
    store_close(st);
    unlink(path);
    sqlconn c = sql_open();
    char *sev = sql_text(&c, "SELECT severity FROM incidents WHERE source_id=?", "b");
    ck_assert_str_eq(sev, "fatal");
    free(sev);
    char *sex = sql_text(&c, "SELECT sex FROM incidents WHERE source_id=?", "b");
    ck_assert_str_eq(sex, "female");
    free(sex);
    char *at = sql_text(&c, "SELECT occurred_at FROM incidents WHERE source_id=?", "c");
    ck_assert_str_eq(at, "2013-01-04T09:30:00+08:00");
    free(at);
    ck_assert_double_eq(sql_double(&c, "SELECT ST_X(geom) FROM incidents WHERE source_id=?", "b"),
                        104.15);
    /* the R*Tree entry moved with the row */
    ck_assert_int_eq(sql_int(&c,
                             "SELECT count(*) FROM idx_incidents_geom r, incidents i WHERE"
                             " i.source_id='b' AND r.pkid=i.id AND r.xmin<=104.15 AND"
                             " r.xmax>=104.15 AND r.ymin<=30.65 AND r.ymax>=30.65",
                             NULL),
                     1);
    char *chk = sql_text(&c, "SELECT rtreecheck('idx_incidents_geom')", NULL);
    ck_assert_str_eq(chk, "ok");
    free(chk);
    /* the SpatiaLite triggers are back after the bulk load */
    ck_assert_int_ge(sql_int(&c,
                             "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND"
                             " name IN ('gii_incidents_geom','ggi_incidents_geom')",
                             NULL),
                     2);
    ck_assert_int_eq(sql_int(&c,
                             "SELECT count(*) FROM sqlite_master WHERE type='index' AND"
                             " name IN ('incidents_t','incidents_area')",
                             NULL),
                     2);
    sql_close(&c);
    rm_db();
}
END_TEST

/* The three ways the bulk load maintains the R*Tree: packed from memory (empty table), packed
 * from the table (many new rows; here with sparse ids), and row by row (few new rows). */
static void write_points(const char *path, const char *prefix, int n, int seed)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("id,lon,lat\n", f);
    srand((unsigned)seed);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d,%.6f,%.6f\n", prefix, i, 104.07 + 0.13 * rand() / RAND_MAX,
                30.56 + 0.11 * rand() / RAND_MAX);
    fclose(f);
}

static void check_rtree_complete(int64_t want)
{
    sqlconn c = sql_open();
    char *chk = sql_text(&c, "SELECT rtreecheck('idx_incidents_geom')", NULL);
    ck_assert_str_eq(chk, "ok");
    free(chk);
    ck_assert_int_eq(sql_int(&c, "SELECT count(*) FROM incidents", NULL), want);
    ck_assert_int_eq(sql_int(&c, "SELECT count(*) FROM idx_incidents_geom", NULL), want);
    /* every row found through the index at its own point (SpatiaLite's own index query) */
    ck_assert_int_eq(sql_int(&c,
                             "SELECT count(*) FROM incidents i WHERE i.id IN (SELECT pkid FROM"
                             " idx_incidents_geom WHERE xmin <= i.lon AND xmax >= i.lon AND"
                             " ymin <= i.lat AND ymax >= i.lat)",
                             NULL),
                     want);
    sql_close(&c);
}

START_TEST(test_spatial_index_paths)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_rt_%d.csv", (int)getpid());
    import_summary sum;
    write_points(path, "a", 3000, 1);
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    store_close(st);
    check_rtree_complete(3000);
    /* make the ids sparse behind the store's back, then load many rows: packed from the table */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE incidents SET id = id + 5000000 WHERE id > 1500",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    st = store_open(dbpath, 0, err, sizeof err);
    write_points(path, "b", 5000, 2);
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 5000);
    store_close(st);
    check_rtree_complete(8000);
    /* a few rows: added one by one */
    st = store_open(dbpath, 0, err, sizeof err);
    write_points(path, "c", 20, 3);
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 20);
    store_close(st);
    check_rtree_complete(8020);
    unlink(path);
    rm_db();
}
END_TEST

/* Duplicate ids inside one file loaded into an empty table: the grouped multi-row INSERT meets
 * the UNIQUE constraint and the group is redone row by row; the later row wins. */
START_TEST(test_duplicates_within_file)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_dup_%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("id,lon,lat,severity\n", f);
    for (int i = 0; i < 200; i++) {
        if (i == 50)
            fputs("r10,104.15,30.65,fatal\n", f); /* changed duplicate of r10 */
        else if (i == 120)
            fprintf(f, "r20,%.6f,%.6f,minor\n", 104.1 + 20 * 0.0001, 30.6); /* same as r20 */
        else
            fprintf(f, "r%d,%.6f,%.6f,minor\n", i, 104.1 + i * 0.0001, 30.6);
    }
    fclose(f);
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.read, 200);
    ck_assert_int_eq(sum.loaded, 198);
    ck_assert_int_eq(sum.replaced, 1);
    ck_assert_int_eq(sum.unchanged, 1);
    store_close(st);
    unlink(path);
    sqlconn c = sql_open();
    char *sev = sql_text(&c, "SELECT severity FROM incidents WHERE source_id=?", "r10");
    ck_assert_str_eq(sev, "fatal");
    free(sev);
    ck_assert_double_eq(sql_double(&c, "SELECT lon FROM incidents WHERE source_id=?", "r10"),
                        104.15);
    sql_close(&c);
    check_rtree_complete(198);
    rm_db();
}
END_TEST

/* ---- bad input ---- */

static char *reasons(void)
{
    sqlconn c = sql_open();
    sqlite3_stmt *s = sql_prep(&c, "SELECT group_concat(reason, '|') FROM (SELECT reason FROM"
                                   " import_rejects ORDER BY batch_id, line)");
    char *r = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        r = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sql_close(&c);
    return r ? r : strdup("");
}

START_TEST(test_bad_rows_rejected_valid_rows_load)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_bad_%d.csv", (int)getpid());
    static const char data[] = "id,occurred_at,lon,lat,severity,mechanism\n"
                               "1,2013-01-02,104.1,30.6,minor,traffic\n"       /* 2 ok */
                               "2,2013-01-02,200,30.6,minor,traffic\n"         /* 3 range */
                               "3,2013-01-02,nan,30.6,minor,traffic\n"         /* 4 nan */
                               "4,2013-01-02,inf,30.6,minor,traffic\n"         /* 5 inf */
                               "5,2013-02-30,104.1,30.6,minor,traffic\n"       /* 6 date */
                               "6,yesterday,104.1,30.6,minor,traffic\n"        /* 7 date */
                               "7,2013-01-02,104.1,30.6,grazed,traffic\n"      /* 8 vocab */
                               "8,2013-01-02,104.1,30.6,minor,spaceship\n"     /* 9 vocab */
                               "9,2013-01-02,104.1,30.6,minor,traffic,extra\n" /* 10 fields */
                               "10,2013-01-02,104.1,30.6,mi\0nor,traffic\n"    /* 11 NUL */
                               "11,2013-01-02,,30.6,minor,traffic\n"           /* 12 empty */
                               "12,13/01/2013,104.1,30.6,SERIOUS,Fall\n";      /* 13 ok */
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, sizeof data - 1, f);
    fclose(f);
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.read, 12);
    ck_assert_int_eq(sum.loaded, 2);
    ck_assert_int_eq(sum.rejected, 10);
    store_close(st);
    char *r = reasons();
    static const char *const want[] = {
        "line 3: coordinates out of range",
        "line 4: coordinates are not finite",
        "line 5: coordinates are not finite",
        "line 6: malformed date '2013-02-30' in field 'occurred_at'",
        "line 7: malformed date 'yesterday'",
        "line 8: unknown severity value 'grazed' in field 'severity'",
        "line 9: unknown mechanism value 'spaceship' in field 'mechanism'",
        "line 10: 7 fields where the header has 6",
        "line 11: NUL byte",
        "line 12: empty coordinate",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(r, want[i]) != NULL, "no '%s' in %s", want[i], r);
    free(r);
    /* a mapping file teaches the unknown values; the same file then loads those rows too */
    char map[256];
    snprintf(map, sizeof map, "/tmp/hazmap_check_import_map_%d.txt", (int)getpid());
    write_file(map, "# test mapping\nseverity: Grazed = minor\nmechanism: spaceship = other\n");
    st = store_open(dbpath, 0, err, sizeof err);
    import_opts o = {.map = map};
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 2);
    ck_assert_int_eq(sum.unchanged, 2);
    ck_assert_int_eq(sum.rejected, 8);
    /* a malformed mapping file is an error naming its line */
    write_file(map, "severity: Grazed = minor\nthis is not a rule\n");
    ck_assert_int_eq(import_incidents(st, path, &o, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2:"));
    unlink(map);
    unlink(path);
    drop_store(st);
}
END_TEST

START_TEST(test_unbalanced_quote_rejects_one_line)
{
    /* 50 rows; line 4 holds a stray, never-closed quote. Every other row is valid, so by hand:
     * read 50, loaded 49, rejected 1 (line 4). Line 20 has a correct two-line quoted field. */
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_quote_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("id,lon,lat,description\n", f);
    for (int i = 1; i <= 50; i++) {
        const char *d = i == 3    ? "\"he said 5\"\" tall"
                        : i == 10 ? "\"fell, on stairs\""
                        : i == 19 ? "\"two\nlines\""
                                  : "plain";
        fprintf(f, "r%d,104.%03d,30.6,%s\n", i, i, d);
    }
    fclose(f);
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.read, 50);
    ck_assert_int_eq(sum.loaded, 49);
    ck_assert_int_eq(sum.rejected, 1);
    store_close(st);
    char *r = reasons();
    ck_assert_msg(strstr(r, "line 4: unterminated quote") != NULL, "%s", r);
    ck_assert_msg(strchr(r, '|') == NULL, "more than one reject: %s", r);
    free(r);
    /* the multi-line field was stored whole, and the row after the stray quote too */
    sqlconn c = sql_open();
    sqlite3_stmt *q = sql_prep(&c, "SELECT count(*) FROM incidents WHERE (source_id = 'r19' AND "
                                   "description = 'two' || char(10) || 'lines') OR source_id = "
                                   "'r4' OR source_id = 'r10'");
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 3);
    sqlite3_finalize(q);
    sql_close(&c);
    unlink(path);
    st = store_open(dbpath, 0, err, sizeof err);
    drop_store(st);
}
END_TEST

START_TEST(test_latin1_row_rejected)
{
    /* One Latin-1 row ("caf\xe9") among UTF-8 rows: it is rejected naming its line and column,
     * the others load; nothing stored is anything but UTF-8. */
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_latin1_%d.csv", (int)getpid());
    write_file(path, "id,lon,lat,description\n"
                     "a,104.1,30.6,\xe5\x8d\x96\xe5\x92\x96\xe5\x95\xa1\n" /* UTF-8 */
                     "b,104.1,30.6,caf\xe9\n"                              /* line 3 */
                     "c,104.1,30.6,plain\n"
                     "d\xff,104.1,30.6,plain\n" /* line 5: the id */
                     "e,104.1,30.6,caf\xc3\xa9\n");
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.read, 5);
    ck_assert_int_eq(sum.loaded, 3);
    ck_assert_int_eq(sum.rejected, 2);
    store_close(st);
    char *r = reasons();
    ck_assert_msg(strstr(r, "line 3: column 'description' is not valid UTF-8 text (give "
                            "--encoding, e.g. gb18030, or save the file as UTF-8)") != NULL,
                  "%s", r);
    ck_assert_msg(strstr(r, "line 5: column 'id' is not valid UTF-8") != NULL, "%s", r);
    free(r);
    sqlconn c = sql_open();
    sqlite3_stmt *q = sql_prep(&c, "SELECT group_concat(source_id, ',') FROM (SELECT source_id "
                                   "FROM incidents ORDER BY source_id)");
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "a,c,e");
    sqlite3_finalize(q);
    sql_close(&c);
    unlink(path);
    st = store_open(dbpath, 0, err, sizeof err);
    drop_store(st);
}
END_TEST

START_TEST(test_overlong_line_and_header_only)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_long_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    fputs("id,lon,lat,description\n1,104.1,30.6,short\n2,104.1,30.6,", f);
    for (int i = 0; i < 1100 * 1024; i++)
        fputc('x', f);
    fputs("\n3,104.1,30.6,after\n", f);
    fclose(f);
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 2);
    ck_assert_int_eq(sum.rejected, 1);
    char *r = reasons();
    ck_assert_ptr_nonnull(strstr(r, "line 3: record longer than 1 MiB"));
    free(r);
    /* header only: an error, nothing written */
    write_file(path, "id,lon,lat\n");
    int64_t v0, v1;
    store_data_version(st, &v0);
    ck_assert_int_eq(import_incidents(st, path, NULL, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "header only"));
    store_data_version(st, &v1);
    ck_assert_int_eq(v0, v1);
    /* empty file */
    write_file(path, "");
    ck_assert_int_eq(import_incidents(st, path, NULL, &sum, err, sizeof err), HZ_EINVAL);
    unlink(path);
    drop_store(st);
}
END_TEST

START_TEST(test_bad_files)
{
    store *st = fresh_store();
    char path[256], err[512];
    import_summary sum;
    /* unreadable */
    ck_assert_int_eq(import_incidents(st, "/nonexistent/x.csv", NULL, &sum, err, sizeof err),
                     HZ_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.csv"));
    ck_assert_int_ne(import_areas(st, "/nonexistent/x.shp", NULL, &sum, err, sizeof err), HZ_OK);
    /* not a format GDAL knows */
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_junk_%d.geojson", (int)getpid());
    write_file(path, "this is not geojson {");
    ck_assert_int_eq(import_areas(st, path, NULL, &sum, err, sizeof err), HZ_EIO);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
    unlink(path);
    /* missing coordinate columns: the error names the columns found */
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_nocoord_%d.csv", (int)getpid());
    write_file(path, "id,place_name,when\n1,market,2013-01-01\n");
    ck_assert_int_eq(import_incidents(st, path, NULL, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no coordinate columns"));
    ck_assert_ptr_nonnull(strstr(err, "id, place_name, when"));
    /* a named column that does not exist */
    import_opts o = {.lon = "x_coord", .lat = "y_coord"};
    ck_assert_int_eq(import_incidents(st, path, &o, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'x_coord' not found"));
    /* unknown CRS */
    write_file(path, "id,x,y\n1,500000,3380000\n");
    import_opts o2 = {.srs = "EPSG:999999"};
    ck_assert_int_eq(import_incidents(st, path, &o2, &sum, err, sizeof err), HZ_ECRS);
    ck_assert_ptr_nonnull(strstr(err, "EPSG:999999"));
    ck_assert_int_eq(
        import_areas(st, "data/chengdu-datav-geojson/510104.json", &o2, &sum, err, sizeof err),
        HZ_ECRS);
    unlink(path);
    int64_t na, ni;
    store_counts(st, &na, &ni);
    ck_assert_int_eq(na, 0);
    ck_assert_int_eq(ni, 0);
    drop_store(st);
}
END_TEST

/* WKT column with POINT EMPTY, a non-point, GCJ-02 coordinates converted per point. */
START_TEST(test_wkt_and_gcj02_points)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_wkt_%d.csv", (int)getpid());
    write_file(path, "geometry,id,time\n"
                     "POINT (104.1 30.6),a,2014-05-01T10:00:00+08:00\n"
                     "POINT EMPTY,b,2014-05-01\n"
                     "\"LINESTRING (104 30, 104.1 30.1)\",c,2014-05-01\n"
                     "point(104.12 30.62),d,\n");
    import_opts o = {.srs = "gcj02"};
    import_summary sum;
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 2);
    ck_assert_int_eq(sum.rejected, 2);
    store_close(st);
    unlink(path);
    sqlconn c = sql_open();
    double x, y;
    chinacrs_gcj02_to_wgs84(104.12, 30.62, &x, &y);
    ck_assert_double_eq_tol(sql_double(&c, "SELECT lon FROM incidents WHERE source_id=?", "d"), x,
                            1e-12);
    ck_assert_double_eq_tol(sql_double(&c, "SELECT lat FROM incidents WHERE source_id=?", "d"), y,
                            1e-12);
    ck_assert_int_eq(sql_int(&c, "SELECT t IS NULL FROM incidents WHERE source_id=?", "d"), 1);
    sql_close(&c);
    char *r = reasons();
    ck_assert_ptr_nonnull(strstr(r, "line 3: empty geometry (POINT EMPTY)"));
    ck_assert_ptr_nonnull(strstr(r, "line 4: geometry is not a point (LINESTRING)"));
    free(r);
    rm_db();
}
END_TEST

/* Shapefile whose .dbf is GBK (CP936) with a .cpg saying so; GeoPackage; KML. The files are
 * written by the test with OGR from the DataV outline. */
static void convert(const char *src, const char *dst, const char *driver, char **lco)
{
    GDALAllRegister();
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
    GDALDriverH drv = GDALGetDriverByName(driver);
    ck_assert_ptr_nonnull(drv);
    GDALDatasetH out = GDALCreate(drv, dst, 0, 0, 0, GDT_Unknown, NULL);
    ck_assert_ptr_nonnull(out);
    OGRLayerH il = GDALDatasetGetLayer(in, 0);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(srs, "WGS84");
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH ol = GDALDatasetCreateLayer(out, "jinjiang", srs, wkbPolygon, lco);
    ck_assert_ptr_nonnull(ol);
    OGRFieldDefnH fc = OGR_Fld_Create("adcode", OFTString), fn = OGR_Fld_Create("name", OFTString);
    OGR_L_CreateField(ol, fc, 1);
    OGR_L_CreateField(ol, fn, 1);
    OGR_Fld_Destroy(fc);
    OGR_Fld_Destroy(fn);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(il)) != NULL) {
        OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(ol));
        OGR_F_SetFieldString(g, 0, OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "adcode")));
        OGR_F_SetFieldString(g, 1, OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name")));
        OGR_F_SetGeometry(g, OGR_F_GetGeometryRef(f));
        ck_assert_int_eq(OGR_L_CreateFeature(ol, g), OGRERR_NONE);
        OGR_F_Destroy(g);
        OGR_F_Destroy(f);
    }
    OSRDestroySpatialReference(srs);
    GDALClose(out);
    GDALClose(in);
}

START_TEST(test_area_formats)
{
    static const struct {
        const char *driver, *ext;
        const char *lco;
    } fmt[] = {
        {"ESRI Shapefile", "shp", "ENCODING=CP936"}, {"GPKG", "gpkg", NULL}, {"KML", "kml", NULL}};
    for (size_t i = 0; i < sizeof fmt / sizeof *fmt; i++) {
        char dir[256], path[300], err[512];
        snprintf(dir, sizeof dir, "/tmp/hazmap_check_import_fmt_%d_%zu", (int)getpid(), i);
        ck_assert_int_eq(system(NULL) != 0, 1);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
        ck_assert_int_eq(system(cmd), 0);
        snprintf(path, sizeof path, "%s/jinjiang.%s", dir, fmt[i].ext);
        char *lco[] = {(char *)fmt[i].lco, NULL};
        convert("data/chengdu-datav-geojson/510104.json", path, fmt[i].driver,
                fmt[i].lco ? lco : NULL);
        if (i == 0) {
            /* the .dbf really holds GBK bytes: 锦 is 0xBD 0xF5 in GBK */
            char dbf[320];
            snprintf(dbf, sizeof dbf, "%s/jinjiang.dbf", dir);
            FILE *f = fopen(dbf, "rb");
            ck_assert_ptr_nonnull(f);
            unsigned char buf[4096];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            int found = 0;
            for (size_t k = 0; k + 1 < n; k++)
                found |= buf[k] == 0xBD && buf[k + 1] == 0xF5;
            ck_assert_msg(found, "GBK bytes not in the .dbf");
        }
        store *st = fresh_store();
        import_summary sum;
        /* OGR's KML writer puts the first two string fields in <name> and <description> */
        int kml = strcmp(fmt[i].ext, "kml") == 0;
        import_opts o = {.srs = "gcj02",
                         .code_field = kml ? "Name" : "adcode",
                         .name_field = kml ? "description" : NULL,
                         .level = "district"};
        hz_status s = import_areas(st, path, &o, &sum, err, sizeof err);
        ck_assert_msg(s == HZ_OK, "%s: %s", fmt[i].driver, err);
        ck_assert_int_eq(sum.loaded, 1);
        store_close(st);
        sqlconn c = sql_open();
        char *name = sql_text(&c, "SELECT name FROM areas WHERE code=?", "510104");
        ck_assert_msg(name && strcmp(name, "锦江区") == 0, "%s: name %s", fmt[i].driver,
                      name ? name : "(none)");
        free(name);
        double km2 =
            sql_double(&c, "SELECT ST_Area(geom, 1)/1e6 FROM areas WHERE name=?", "锦江区");
        ck_assert_msg(km2 > 60.0 && km2 < 61.5, "%s: %.3f km2", fmt[i].driver, km2);
        sql_close(&c);
        rm_db();
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* A self-intersecting "bow-tie" is repaired by MakeValid; a line is rejected with the reason. */
START_TEST(test_invalid_polygon_repaired_or_rejected)
{
    store *st = fresh_store();
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap_check_import_inv_%d.geojson", (int)getpid());
    write_file(
        path,
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"B\",\"name\":\"bow\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"L\",\"name\":\"line\"},"
        "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"\",\"name\":\"nocode\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}}"
        "]}");
    import_summary sum;
    ck_assert_msg(import_areas(st, path, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    unlink(path);
    ck_assert_int_eq(sum.loaded, 1);
    ck_assert_int_eq(sum.rejected, 2);
    store_close(st);
    sqlconn c = sql_open();
    ck_assert_int_eq(sql_int(&c, "SELECT ST_IsValid(geom) FROM areas WHERE code=?", "B"), 1);
    /* the two triangles of the bow-tie: planar area 2 square degrees */
    ck_assert_double_eq_tol(sql_double(&c, "SELECT ST_Area(geom) FROM areas WHERE code=?", "B"),
                            2.0, 1e-9);
    sql_close(&c);
    char *r = reasons();
    ck_assert_ptr_nonnull(strstr(r, "feature 2: area L: geometry is a LINESTRING, not a polygon"));
    ck_assert_ptr_nonnull(strstr(r, "feature 3: empty code"));
    free(r);
    rm_db();
}
END_TEST

Suite *import_suite(void)
{
    Suite *s = suite_create("import");
    TCase *tc = tcase_create("real files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chengdu_shapefile_gcj02);
    tcase_add_test(tc, test_datav_geojson_gcj02);
    tcase_add_test(tc, test_saopaulo_2014);
    tcase_add_test(tc, test_saopaulo_2015);
    tcase_add_test(tc, test_edinburgh_epsg27700);
    tcase_add_test(tc, test_london_fires_per_borough);
    suite_add_tcase(s, tc);
    TCase *ti = tcase_create("area index");
    tcase_set_timeout(ti, 60);
    tcase_add_test(ti, test_areaindex_matches_st_contains);
    tcase_add_test(ti, test_areaindex_most_specific);
    suite_add_tcase(s, ti);
    TCase *tb = tcase_create("bad input and updates");
    tcase_set_timeout(tb, 60);
    tcase_add_test(tb, test_reimport_unchanged_and_replaced);
    tcase_add_test(tb, test_spatial_index_paths);
    tcase_add_test(tb, test_duplicates_within_file);
    tcase_add_test(tb, test_bad_rows_rejected_valid_rows_load);
    tcase_add_test(tb, test_overlong_line_and_header_only);
    tcase_add_test(tb, test_unbalanced_quote_rejects_one_line);
    tcase_add_test(tb, test_latin1_row_rejected);
    tcase_add_test(tb, test_bad_files);
    tcase_add_test(tb, test_wkt_and_gcj02_points);
    tcase_add_test(tb, test_area_formats);
    tcase_add_test(tb, test_invalid_polygon_repaired_or_rejected);
    suite_add_tcase(s, tb);
    return s;
}
