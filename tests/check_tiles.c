/* check_tiles.c - tests of the tiles layer: tile math, colour ramp and PNG, cache, export. */
#include <check.h>
#include <cpl_vsi.h>
#include <math.h>
#include <png.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/colorramp.h"
#include "hazmap/densitystyle.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/tilecache.h"
#include "hazmap/tileexport.h"
#include "hazmap/tilemath.h"
#include "hazmap/tilerender.h"
#include "hazmap/workcrs.h"

/* Tianfu Square, Chengdu (WGS84). */
#define CD_LON 104.0657
#define CD_LAT 30.6570

/* The OSM wiki's formulas ("Slippy map tilenames", lon/lat to tile numbers), written with asinh
 * rather than tilemath's log(tan(pi/4 + phi/2)). */
static void osm_tile(double lon, double lat, int z, int *x, int *y)
{
    double n = ldexp(1.0, z), r = lat * M_PI / 180.0;
    *x = (int)floor((lon + 180.0) / 360.0 * n);
    *y = (int)floor((1.0 - asinh(tan(r)) / M_PI) / 2.0 * n);
}

static double osm_tile_lat(int y, int z)
{
    double n = ldexp(1.0, z);
    return atan(sinh(M_PI * (1 - 2.0 * y / n))) * 180.0 / M_PI;
}

START_TEST(test_tile_of_chengdu)
{
    /* Worked by hand from the OSM formulas: at z10, (104.0657+180)/360*1024 = 808.0, and
     * (1 - asinh(tan(30.657 deg))/pi)/2*1024 = 420.4. */
    int x, y;
    tilemath_lonlat_to_tile(CD_LON, CD_LAT, 10, &x, &y);
    ck_assert_int_eq(x, 808);
    ck_assert_int_eq(y, 420);
    for (int z = 0; z <= 20; z++) {
        int ox, oy;
        osm_tile(CD_LON, CD_LAT, z, &ox, &oy);
        tilemath_lonlat_to_tile(CD_LON, CD_LAT, z, &x, &y);
        ck_assert_int_eq(x, ox);
        ck_assert_int_eq(y, oy);
        /* The tile's bounds contain the point, and the OSM formula gives the same edges. */
        double b[4];
        tilemath_tile_bounds_lonlat(z, x, y, b);
        ck_assert(b[0] <= CD_LON && CD_LON < b[2] && b[1] < CD_LAT && CD_LAT <= b[3]);
        ck_assert_double_eq_tol(b[3], osm_tile_lat(y, z), 1e-9);
        ck_assert_double_eq_tol(b[1], osm_tile_lat(y + 1, z), 1e-9);
        ck_assert_double_eq_tol(b[0], x / ldexp(1.0, z) * 360.0 - 180.0, 1e-9);
    }
}
END_TEST

START_TEST(test_tile_bounds_round_trip)
{
    for (int z = 1; z <= 18; z += 3) {
        int x0, y0;
        tilemath_lonlat_to_tile(CD_LON, CD_LAT, z, &x0, &y0);
        for (int dx = -1; dx <= 1; dx++) {
            for (int dy = -1; dy <= 1; dy++) {
                int x = x0 + dx, y = y0 + dy, rx, ry;
                if (!tilemath_valid(z, x, y)) continue;
                double b[4], m[4], e[4];
                tilemath_tile_bounds_lonlat(z, x, y, b);
                tilemath_lonlat_to_tile((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, z, &rx, &ry);
                ck_assert_int_eq(rx, x);
                ck_assert_int_eq(ry, y);
                /* Neighbours share edges exactly. */
                tilemath_tile_bounds_merc(z, x, y, m);
                tilemath_tile_bounds_merc(z, x + 1, y, e);
                ck_assert_double_eq(m[2], e[0]);
                /* Pixel centre <-> pixel position round trip. */
                double mx, my, px, py;
                tilemath_pixel_center(z, x, y, 17, 200, &mx, &my);
                tilemath_merc_to_pixel(z, x, y, mx, my, &px, &py);
                ck_assert_double_eq_tol(px, 17, 1e-6);
                ck_assert_double_eq_tol(py, 200, 1e-6);
            }
        }
    }
    ck_assert(!tilemath_valid(3, 8, 0));
    ck_assert(!tilemath_valid(3, 0, -1));
    ck_assert(!tilemath_valid(25, 0, 0));
    ck_assert(tilemath_valid(0, 0, 0));
    ck_assert_int_eq(tilemath_tms_y(3, 0), 7);
    ck_assert_int_eq(tilemath_tms_y(10, 420), 603);
    /* Published: 156543.03392 m per pixel at zoom 0 on the equator (OSM wiki "Zoom levels"). */
    ck_assert_double_eq_tol(tilemath_ground_res(0, 0), 156543.03392, 1e-4);
    ck_assert_double_eq_tol(tilemath_ground_res(10, 60), 156543.03392 / 1024 / 2, 1e-6);
    /* EPSG:3857 by the sphere formulas in their asinh form (Snyder 1987, eq. 7-2 / 7-7a). */
    double mx, my;
    tilemath_lonlat_to_merc(CD_LON, CD_LAT, &mx, &my);
    ck_assert_double_eq_tol(mx, 6378137.0 * CD_LON * M_PI / 180, 1e-6);
    ck_assert_double_eq_tol(my, 6378137.0 * asinh(tan(CD_LAT * M_PI / 180)), 1e-6);
    int x0, y0, x1, y1;
    double bb[4] = {103.9, 30.5, 104.2, 30.8};
    tilemath_tile_range(bb, 12, &x0, &y0, &x1, &y1);
    int ox, oy;
    osm_tile(103.9, 30.8, 12, &ox, &oy);
    ck_assert_int_eq(x0, ox);
    ck_assert_int_eq(y0, oy);
    osm_tile(104.2, 30.5, 12, &ox, &oy);
    ck_assert_int_eq(x1, ox);
    ck_assert_int_eq(y1, oy);
}
END_TEST

START_TEST(test_colorramp_classes_and_legend)
{
    colorramp_scale d;
    colorramp_scale_default(&d);
    ck_assert_int_eq(colorramp_class(&d, 0), -1);
    ck_assert_int_eq(colorramp_class(&d, 0.999), -1);
    ck_assert_int_eq(colorramp_class(&d, NAN), -1);
    ck_assert_int_eq(colorramp_class(&d, 1), 0);
    ck_assert_int_eq(colorramp_class(&d, 10.6), 3);
    ck_assert_int_eq(colorramp_class(&d, 499.9), 7);
    ck_assert_int_eq(colorramp_class(&d, 1e9), 8);
    json_t *j = colorramp_legend_json(&d, HZ_WEIGHT_COUNT);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "unit")), "incidents per km² per year");
    json_t *b = json_object_get(j, "breaks"), *c = json_object_get(j, "colors");
    ck_assert_uint_eq(json_array_size(b), 9);
    ck_assert_uint_eq(json_array_size(c), 9);
    ck_assert_double_eq(json_number_value(json_array_get(b, 0)), 1);
    ck_assert_double_eq(json_number_value(json_array_get(b, 8)), 500);
    /* ColorBrewer YlOrRd-9 published colours, first and last. */
    ck_assert_str_eq(json_string_value(json_array_get(c, 0)), "#ffffcc66");
    ck_assert_str_eq(json_string_value(json_array_get(c, 8)), "#800026e6");
    json_decref(j);
    j = colorramp_legend_json(&d, HZ_WEIGHT_SCORE);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "unit")), "score"));
    json_decref(j);
    char canon[128];
    colorramp_scale_canonical(&d, canon, sizeof canon);
    ck_assert_str_eq(canon, "b=1,2,5,10,20,50,100,200,500");
}
END_TEST

/* The 1-2-5 series written out, and the fitting rule checked against a direct reading of it. */
START_TEST(test_colorramp_fit)
{
    static const double terms[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100};
    for (int k = -6; k <= 6; k++)
        ck_assert_double_eq_tol(colorramp_series(k), terms[k + 6], 1e-12 * terms[k + 6]);
    colorramp_scale s;
    double share = -1;
    colorramp_scale_fit(NULL, 0, &s, &share);
    ck_assert_double_eq(s.breaks[0], 1);
    ck_assert_double_eq(share, 0);
    /* Several distributions: heavy-tailed, uniform, one spike, ties at a break. */
    uint64_t seed = 7;
    enum { N = 20000 };
    double *v = malloc(N * sizeof *v), *copy = malloc(N * sizeof *copy);
    for (int dist = 0; dist < 4; dist++) {
        for (int i = 0; i < N; i++) {
            double u =
                (double)((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 11) /
                9007199254740992.0;
            v[i] = dist == 0   ? 0.3 / pow(1 - u * 0.9999, 1.5)
                   : dist == 1 ? 1 + 999 * u
                   : dist == 2 ? (i < N - 30 ? 0.2 : 5000)
                               : (i % 50 == 0 ? 200 : 3 + u);
            copy[i] = v[i];
        }
        colorramp_scale_fit(v, N, &s, &share);
        /* brute force: the top break's share, and the 99.5th percentile by counting */
        size_t above = 0;
        for (int i = 0; i < N; i++)
            above += copy[i] >= s.breaks[8];
        ck_assert_double_eq_tol(share, (double)above / N, 1e-12);
        ck_assert_msg(share <= 0.01, "dist %d: top class holds %.4f", dist, share);
        /* the top break: the largest nice number <= p99.5, unless that put more than 1 % in
         * the top class; never more than one nice step (<= 1.5x) above a smaller candidate */
        static const double nice[] = {1, 1.5, 2, 3, 4, 5, 6, 8, 10};
        double p = v[(size_t)ceil(0.995 * N) - 1], top = s.breaks[8]; /* v sorted by the fit */
        double m = top / pow(10, floor(log10(top) + 1e-12));
        int is_nice = 0;
        for (int i = 0; i < 9; i++)
            is_nice |= fabs(m - nice[i]) < 1e-9;
        ck_assert_msg(is_nice, "dist %d: top %g is not a nice number", dist, top);
        size_t above_lower = 0; /* the nice number below top */
        double lower = top / 1.5;
        for (int i = 0; i < 9; i++)
            if (nice[i] * pow(10, floor(log10(top) + 1e-12)) < top * (1 - 1e-12))
                lower = nice[i] * pow(10, floor(log10(top) + 1e-12));
        if (fabs(m - 1) < 1e-9) lower = top * 0.8;
        for (int i = 0; i < N; i++)
            above_lower += copy[i] >= lower;
        ck_assert_msg(top <= p || (double)above_lower / N > 0.01, "dist %d: top %g for p99.5 %g",
                      dist, top, p);
        ck_assert_msg(top * 1.5 > p || (double)above_lower / N > 0.01,
                      "dist %d: top %g far below p99.5 %g", dist, top, p);
        for (int k = 1; k < 8; k++) {
            double r = s.breaks[k] / s.breaks[k - 1];
            ck_assert_msg(fabs(r - 2) < 1e-9 || fabs(r - 2.5) < 1e-9, "ratio %g", r);
        }
        double r8 = s.breaks[8] / s.breaks[7];
        ck_assert_msg(r8 >= 1.5 - 1e-9 && r8 < 4, "top ratio %g", r8);
    }
    free(v);
    free(copy);
}
END_TEST

/* Decodes a PNG with libpng's simplified API into RGBA (caller frees). */
static unsigned char *decode_png(const unsigned char *png, size_t len, int *w, int *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&im, png, len)) return NULL;
    im.format = PNG_FORMAT_RGBA;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(im));
    if (!buf || !png_image_finish_read(&im, NULL, buf, 0, NULL)) {
        free(buf);
        png_image_free(&im);
        return NULL;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    return buf;
}

START_TEST(test_png_colours)
{
    float *v = calloc(256 * 256, sizeof *v);
    /* Column bands: 0 (transparent), then one value inside each class. */
    const float vals[10] = {0.5f, 1.5f, 3, 7, 15, 30, 70, 150, 300, 1000};
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
            v[y * 256 + x] = vals[x * 10 / 256];
    unsigned char *png;
    size_t len;
    char err[256];
    colorramp_scale d;
    colorramp_scale_default(&d);
    ck_assert_int_eq(colorramp_png(v, 256, 256, &d, &png, &len, err, sizeof err), HZ_OK);
    ck_assert(len > 8 && memcmp(png, "\x89PNG", 4) == 0);
    int w = 0, h = 0;
    unsigned char *rgba = decode_png(png, len, &w, &h);
    ck_assert_ptr_nonnull(rgba);
    ck_assert_int_eq(w, 256);
    ck_assert_int_eq(h, 256);
    static const unsigned char expect[10][4] = {{0, 0, 0, 0},
                                                {0xff, 0xff, 0xcc, 0x66},
                                                {0xff, 0xed, 0xa0, 0x76},
                                                {0xfe, 0xd9, 0x76, 0x86},
                                                {0xfe, 0xb2, 0x4c, 0x96},
                                                {0xfd, 0x8d, 0x3c, 0xa6},
                                                {0xfc, 0x4e, 0x2a, 0xb6},
                                                {0xe3, 0x1a, 0x1c, 0xc6},
                                                {0xbd, 0x00, 0x26, 0xd6},
                                                {0x80, 0x00, 0x26, 0xe6}};
    for (int band = 0; band < 10; band++) {
        int x = band * 256 / 10 + 5, y = 100;
        const unsigned char *p = rgba + (y * 256 + x) * 4;
        ck_assert_msg(p[3] == expect[band][3], "band %d alpha %d", band, p[3]);
        if (p[3]) ck_assert(memcmp(p, expect[band], 3) == 0);
    }
    free(rgba);
    free(png);
    free(v);
    ck_assert_int_eq(colorramp_png(NULL, 0, 256, &d, &png, &len, err, sizeof err), HZ_EINVAL);
}
END_TEST

START_TEST(test_cache_lru_budget)
{
    char err[256], key[64];
    unsigned char data[1000];
    /* Room for about 4 entries of 1000 bytes plus overhead. */
    size_t budget = 4 * (1000 + 200);
    tilecache *c = tilecache_new(budget, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    for (int k = 0; k < 10; k++) {
        memset(data, k, sizeof data);
        snprintf(key, sizeof key, "v1/q/10/%d/0", k);
        ck_assert_int_eq(tilecache_put(c, key, data, sizeof data, err, sizeof err), HZ_OK);
        if (k == 6) {
            /* Touch entry 4 so that it survives the next insertions; 5 is then the oldest. */
            unsigned char *d;
            size_t n;
            snprintf(key, sizeof key, "v1/q/10/%d/0", 4);
            ck_assert_int_eq(tilecache_get(c, key, &d, &n), HZ_OK);
            free(d);
        }
        tilecache_stats s;
        tilecache_get_stats(c, &s);
        ck_assert_uint_le(s.bytes, budget);
    }
    tilecache_stats s;
    tilecache_get_stats(c, &s);
    ck_assert_uint_le(s.entries, 4);
    ck_assert_uint_ge(s.entries, 3);
    ck_assert_uint_eq(s.evictions, 10 - s.entries);
    unsigned char *d;
    size_t n;
    ck_assert_int_eq(tilecache_get(c, "v1/q/10/9/0", &d, &n), HZ_OK);
    ck_assert_uint_eq(n, 1000);
    ck_assert_int_eq(d[0], 9);
    ck_assert_int_eq(d[999], 9);
    free(d);
    ck_assert_int_eq(tilecache_get(c, "v1/q/10/4/0", &d, &n), HZ_OK); /* touched: kept */
    ck_assert_int_eq(d[0], 4);
    free(d);
    ck_assert_int_eq(tilecache_get(c, "v1/q/10/5/0", &d, &n), HZ_ENOTFOUND);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(tilecache_get(c, "v1/q/10/0/0", &d, &n), HZ_ENOTFOUND);
    tilecache_get_stats(c, &s);
    ck_assert_uint_eq(s.hits, 3);
    ck_assert_uint_eq(s.misses, 2);
    /* An entry above a quarter of the budget is not kept in memory. */
    unsigned char big[2000] = {0};
    ck_assert_int_eq(tilecache_put(c, "big", big, sizeof big, err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilecache_get(c, "big", &d, &n), HZ_ENOTFOUND);
    tilecache_purge(c, 0);
    tilecache_get_stats(c, &s);
    ck_assert_uint_eq(s.entries, 0);
    ck_assert_uint_eq(s.bytes, 0);
    tilecache_free(c);
    tilecache_free(NULL);
}
END_TEST

START_TEST(test_cache_disk_and_etag)
{
    char dir[64], err[256];
    snprintf(dir, sizeof dir, "/tmp/hazmap-tilecache-%d", (int)getpid());
    tilecache *c = tilecache_new(1 << 20, dir, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    const char *key = "v7/mechanism=traffic&kernel=quartic&bandwidth=300/14/13000/6800";
    unsigned char data[300];
    for (int k = 0; k < 300; k++)
        data[k] = (unsigned char)(k * 7);
    ck_assert_int_eq(tilecache_put(c, key, data, sizeof data, err, sizeof err), HZ_OK);
    tilecache_free(c);
    /* A fresh cache over the same directory finds it on disk. */
    c = tilecache_new(1 << 20, dir, err, sizeof err);
    unsigned char *d;
    size_t n;
    ck_assert_int_eq(tilecache_get(c, key, &d, &n), HZ_OK);
    ck_assert_uint_eq(n, sizeof data);
    ck_assert(memcmp(d, data, n) == 0);
    free(d);
    tilecache_stats s;
    tilecache_get_stats(c, &s);
    ck_assert_uint_eq(s.disk_hits, 1);
    ck_assert_int_eq(tilecache_get(c, key, &d, &n), HZ_OK); /* promoted to memory */
    free(d);
    tilecache_get_stats(c, &s);
    ck_assert_uint_eq(s.hits, 1);

    /* ETag: SHA-256 of the key by the coreutils sha256sum, first 32 hex digits, quoted. */
    char cmd[256], ref[80] = "";
    snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | sha256sum", key);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(ref, sizeof ref, p));
    pclose(p);
    char etag[TILECACHE_ETAG_LEN], want[40];
    snprintf(want, sizeof want, "\"%.32s\"", ref);
    tilecache_etag(key, etag);
    ck_assert_str_eq(etag, want);
    /* The file sits where the header says: DIR/hh/<sha256>.png. */
    char path[256];
    snprintf(path, sizeof path, "%s/%.2s/%.64s.png", dir, ref, ref);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq((int)sb.st_size, 300);

    tilecache_purge(c, 1);
    ck_assert_int_ne(stat(path, &sb), 0);
    ck_assert_int_eq(tilecache_get(c, key, &d, &n), HZ_ENOTFOUND);
    tilecache_free(c);
    rmdir(dir);
}
END_TEST

static int64_t sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void sql_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

START_TEST(test_mbtiles_and_dir_export)
{
    char path[64], dir[64], err[256];
    snprintf(path, sizeof path, "/tmp/hazmap-tiles-%d.mbtiles", (int)getpid());
    snprintf(dir, sizeof dir, "/tmp/hazmap-tiles-%d/", (int)getpid());
    ck_assert_int_eq(tileexport_format_of(path), TILEEXPORT_MBTILES);
    ck_assert_int_eq(tileexport_format_of(dir), TILEEXPORT_DIR);
    /* Real PNG tiles (GDAL reads them), each filled with a different class. */
    float *v = malloc(256 * 256 * sizeof *v);
    tileexport_meta m = {.name = "test",
                         .description = "d",
                         .bounds = {103.9, 30.5, 104.2, 30.8},
                         .minzoom = 11,
                         .maxzoom = 12};
    tileexport *e = tileexport_open(path, TILEEXPORT_MBTILES, &m, err, sizeof err);
    ck_assert_msg(e != NULL, "%s", err);
    tileexport *ed = tileexport_open(dir, TILEEXPORT_DIR, &m, err, sizeof err);
    ck_assert_msg(ed != NULL, "%s", err);
    int x0, y0, x1, y1, ntiles = 0;
    for (int z = 11; z <= 12; z++) {
        tilemath_tile_range(m.bounds, z, &x0, &y0, &x1, &y1);
        for (int x = x0; x <= x1; x++) {
            for (int y = y0; y <= y1; y++) {
                for (int k = 0; k < 256 * 256; k++)
                    v[k] = (float)(x + y);
                unsigned char *png;
                size_t len;
                colorramp_scale d;
                colorramp_scale_default(&d);
                ck_assert_int_eq(colorramp_png(v, 256, 256, &d, &png, &len, err, sizeof err),
                                 HZ_OK);
                ck_assert_int_eq(tileexport_put(e, z, x, y, png, len, err, sizeof err), HZ_OK);
                ck_assert_int_eq(tileexport_put(ed, z, x, y, png, len, err, sizeof err), HZ_OK);
                free(png);
                ntiles++;
            }
        }
    }
    ck_assert_int_eq(tileexport_close(e, err, sizeof err), HZ_OK);
    ck_assert_int_eq(tileexport_close(ed, err, sizeof err), HZ_OK);
    free(v);

    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char t[128];
    sql_text(db, "SELECT value FROM metadata WHERE name = 'format'", t, sizeof t);
    ck_assert_str_eq(t, "png");
    sql_text(db, "SELECT value FROM metadata WHERE name = 'type'", t, sizeof t);
    ck_assert_str_eq(t, "overlay");
    sql_text(db, "SELECT value FROM metadata WHERE name = 'bounds'", t, sizeof t);
    ck_assert_str_eq(t, "103.900000,30.500000,104.200000,30.800000");
    ck_assert_int_eq(sql_int(db, "SELECT value FROM metadata WHERE name = 'minzoom'"), 11);
    ck_assert_int_eq(sql_int(db, "SELECT value FROM metadata WHERE name = 'maxzoom'"), 12);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM tiles"), ntiles);
    /* TMS rows: Chengdu's XYZ tile at z12 is stored at row 2^12 - 1 - y. */
    int cx, cy;
    osm_tile(CD_LON, CD_LAT, 12, &cx, &cy);
    char q[200];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM tiles WHERE zoom_level = 12 AND tile_column = %d AND "
             "tile_row = %d",
             cx, 4095 - cy);
    ck_assert_int_eq(sql_int(db, q), 1);
    snprintf(q, sizeof q, "SELECT count(*) FROM tiles WHERE zoom_level = 12 AND tile_row = %d", cy);
    ck_assert_int_eq(sql_int(db, q), 0);
    sqlite3_close(db);

    char f[128];
    struct stat sb;
    snprintf(f, sizeof f, "%s12/%d/%d.png", dir, cx, cy);
    ck_assert_int_eq(stat(f, &sb), 0);
    /* the directory describes itself: metadata.json (MBTiles names) and tilejson.json */
    snprintf(f, sizeof f, "%smetadata.json", dir);
    json_t *md = json_load_file(f, 0, NULL);
    ck_assert_ptr_nonnull(md);
    ck_assert_str_eq(json_string_value(json_object_get(md, "format")), "png");
    ck_assert_str_eq(json_string_value(json_object_get(md, "bounds")),
                     "103.900000,30.500000,104.200000,30.800000");
    ck_assert_str_eq(json_string_value(json_object_get(md, "maxzoom")), "12");
    json_decref(md);
    snprintf(f, sizeof f, "%stilejson.json", dir);
    json_t *tj = json_load_file(f, 0, NULL);
    ck_assert_ptr_nonnull(tj);
    ck_assert_str_eq(json_string_value(json_object_get(tj, "tilejson")), "3.0.0");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tj, "tiles"), 0)),
                     "{z}/{x}/{y}.png");
    ck_assert_int_eq(json_integer_value(json_object_get(tj, "minzoom")), 11);
    json_decref(tj);

    /* GDAL's MBTiles driver, when the tools are installed. */
    if (system("command -v gdalinfo >/dev/null 2>&1") == 0) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "gdalinfo %s 2>&1 | grep -q 'Driver: MBTiles'", path);
        ck_assert_int_eq(system(cmd), 0);
    }
    unlink(path);
    snprintf(f, sizeof f, "rm -rf %s", dir);
    ck_assert_int_eq(system(f), 0);
}
END_TEST

/* The ZIP of densitystyle_zip() read back through GDAL's /vsizip/ reader: every file, byte for
 * byte (one of them larger than a deflate window and incompressible); the QML path rule. */
START_TEST(test_densitystyle_zip_and_paths)
{
    size_t big = 300000;
    unsigned char *noise = malloc(big);
    ck_assert_ptr_nonnull(noise);
    unsigned seed = 7;
    for (size_t i = 0; i < big; i++)
        noise[i] = (unsigned char)rand_r(&seed);
    const char *text = "<qgis>\n</qgis>\n";
    const densitystyle_file files[] = {
        {"a.tif", noise, big}, {"a.qml", text, strlen(text)}, {"e", "", 0}};
    unsigned char *zip;
    size_t len;
    char err[256];
    ck_assert_int_eq(densitystyle_zip(files, 3, &zip, &len, err, sizeof err), HZ_OK);
    ck_assert(len > 4 && zip[0] == 'P' && zip[1] == 'K');
    VSILFILE *m = VSIFileFromMemBuffer("/vsimem/check_ds.zip", zip, len, FALSE);
    ck_assert_ptr_nonnull(m);
    VSIFCloseL(m);
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "/vsizip//vsimem/check_ds.zip/%s", files[i].name);
        VSILFILE *f = VSIFOpenL(name, "rb");
        ck_assert_msg(f != NULL, "%s", name);
        unsigned char *back = malloc(files[i].len + 16);
        size_t got = VSIFReadL(back, 1, files[i].len + 16, f);
        VSIFCloseL(f);
        ck_assert_uint_eq(got, files[i].len);
        ck_assert(memcmp(back, files[i].data, got) == 0);
        free(back);
    }
    VSIUnlink("/vsimem/check_ds.zip");
    free(zip);
    free(noise);
    const char *cases[][2] = {{"x.tif", "x.qml"},     {"d/x.TIFF", "d/x.qml"},
                              {"x", "x.qml"},         {"a.b/x", "a.b/x.qml"},
                              {"x.png", "x.png.qml"}, {"/t/d.tif", "/t/d.qml"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        ck_assert_int_eq(densitystyle_qml_path(cases[i][0], out, sizeof out), 0);
        ck_assert_str_eq(out, cases[i][1]);
    }
    char tiny[4];
    ck_assert_int_eq(densitystyle_qml_path("long.tif", tiny, sizeof tiny), -1);
}
END_TEST

START_TEST(test_tilejson)
{
    double b[4] = {103.9, 30.5, 104.2, 30.8};
    json_t *j = tileexport_tilejson("http://127.0.0.1:8080",
                                    "mechanism=traffic&kernel=quartic&bandwidth=300", 10, 18, b,
                                    "Jinjiang CDC");
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "tilejson")), "3.0.0");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tiles"), 0)),
                     "http://127.0.0.1:8080/tiles/density/{z}/{x}/"
                     "{y}.png?mechanism=traffic&kernel=quartic&bandwidth=300");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "minzoom")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "maxzoom")), 18);
    ck_assert_double_eq(json_real_value(json_array_get(json_object_get(j, "bounds"), 3)), 30.8);
    json_decref(j);
    j = tileexport_tilejson("http://h", NULL, 0, 1, b, NULL);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "tiles"), 0)),
                     "http://h/tiles/density/{z}/{x}/{y}.png");
    json_decref(j);
}
END_TEST

/* ---- rendering ---- */

/* Fixture: 300 traffic incidents in a 2 km cluster around Tianfu Square (a fixed LCG), dated
 * over 2013-2014, and one lone fall 5 km east on 2013-06-01. */
#define LONE_LON 104.1180
#define LONE_LAT 30.6570
static char rdb[64];
static store *rst;
static incset *rset;

static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void render_setup(void)
{
    char err[512], sid[32], when[40];
    snprintf(rdb, sizeof rdb, "/tmp/hazmap-tiles-%d.sqlite", (int)getpid());
    unlink(rdb);
    rst = store_open(rdb, STORE_CREATE, err, sizeof err);
    ck_assert_msg(rst != NULL, "%s", err);
    ck_assert_int_eq(store_begin(rst, err, sizeof err), HZ_OK);
    uint64_t seed = 42;
    for (int k = 0; k <= 300; k++) {
        hz_incident_rec r = {.source = "t",
                             .source_id = sid,
                             .victims = 1,
                             .age = -1,
                             .disability = -1,
                             .severity = HZ_SEV_MINOR};
        snprintf(sid, sizeof sid, "%d", k);
        if (k < 300) {
            r.mechanism = HZ_MECH_MVT_OTHER;
            r.lon = CD_LON + (lcg(&seed) - 0.5) * 0.02;
            r.lat = CD_LAT + (lcg(&seed) - 0.5) * 0.02;
            snprintf(when, sizeof when, "%d-%02d-15T12:00:00+08:00", 2013 + k % 2, 1 + k % 12);
        } else {
            r.mechanism = HZ_MECH_FALL;
            r.lon = LONE_LON;
            r.lat = LONE_LAT;
            snprintf(when, sizeof when, "2013-06-01T12:00:00+08:00");
        }
        r.occurred_at = when;
        ck_assert_int_eq(hztime_parse_iso(when, HZ_TZ_SHANGHAI, &r.t), 0);
        store_put_outcome o;
        ck_assert_msg(store_incident_put(rst, &r, &o, err, sizeof err) == HZ_OK, "%s", err);
    }
    ck_assert_int_eq(store_commit(rst, err, sizeof err), HZ_OK);
    rset = incset_load(rst, NULL, err, sizeof err);
    ck_assert_msg(rset != NULL, "%s", err);
}

static void render_teardown(void)
{
    incset_free(rset);
    store_close(rst);
    tu_remove_db(rdb);
}

/* Brute-force quartic KDE at working-CRS (X, Y), per km² per year, written from the formula
 * 3/(pi h^2) (1 - r^2/h^2)^2 (Silverman 1986, table 3.1), over the incidents passing f.
 * *near receives the weight within reach + pad (for the error bound). */
static double brute_quartic(const hz_filter *f, double h, double years, double X, double Y,
                            double pad, double *near)
{
    const hz_incident *it = incset_items(rset);
    double s = 0;
    *near = 0;
    for (size_t k = 0; k < incset_count(rset); k++) {
        if (!incset_match(rset, f, -1, &it[k])) continue;
        double r = hypot(it[k].x - X, it[k].y - Y);
        if (r < h + pad) *near += 1;
        if (r >= h) continue;
        double z = 1 - r * r / (h * h);
        s += 3 / (M_PI * h * h) * z * z;
    }
    return s * 1e6 / years;
}

START_TEST(test_render_matches_brute_force)
{
    char err[512];
    tilerender *r = tilerender_new(rset, 0, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    workcrs *wc = workcrs_new(incset_work_srs(rset), 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(wc);
    float *v = malloc(256 * 256 * sizeof *v);
    const int methods[2] = {TILERENDER_EXACT, TILERENDER_BINNED};
    for (int mi = 0; mi < 2; mi++) {
        for (int z = 13; z <= 15; z += 2) {
            tile_params p;
            tilerender_params_init(&p);
            ck_assert_int_eq(tilerender_params_set(&p, "mechanism", "traffic", err, sizeof err),
                             HZ_OK);
            ck_assert_int_eq(tilerender_params_set(&p, "bandwidth", "300", err, sizeof err), HZ_OK);
            p.method = methods[mi];
            int tx, ty;
            tilemath_lonlat_to_tile(CD_LON, CD_LAT, z, &tx, &ty);
            tile_info info;
            ck_assert_msg(tilerender_density(r, &p, z, tx, ty, v, &info, err, sizeof err) == HZ_OK,
                          "%s", err);
            ck_assert_int_eq(info.method, methods[mi]);
            ck_assert_double_eq(info.bandwidth, 300);
            ck_assert(info.points >= 100);
            /* Data span 2013-01-15 .. 2014-12-15 local days, inclusive. */
            double years = (double)(hztime_days_from_civil(2014, 12, 15) -
                                    hztime_days_from_civil(2013, 1, 15) + 1) /
                           365.25;
            ck_assert_double_eq_tol(info.years, years, 1e-9);
            /* Bound (tilerender.h): bilinear sampling (and linear binning) each err by at most
             * 2 (cell/h)^2 of one incident's peak per incident within reach. */
            double peak = 3 / (M_PI * 300.0 * 300.0) * 1e6 / years;
            double per =
                (methods[mi] == TILERENDER_BINNED ? 4 : 2) * pow(info.cell / 300, 2) * peak;
            int checked = 0;
            for (int py = 3; py < 256; py += 37) {
                for (int px = 5; px < 256; px += 41) {
                    double mx, my, lon, lat, X, Y, nearw;
                    tilemath_pixel_center(z, tx, ty, px, py, &mx, &my);
                    tilemath_merc_to_lonlat(mx, my, &lon, &lat);
                    workcrs_forward(wc, 1, &lon, &lat, &X, &Y);
                    double ref = brute_quartic(&p.filter, 300, years, X, Y, 2 * info.cell, &nearw);
                    double got = v[py * 256 + px];
                    ck_assert_msg(fabs(got - ref) <= per * nearw + 1e-4 * ref + 1e-6,
                                  "method %d z%d pixel %d,%d: %g vs brute force %g (tol %g)",
                                  methods[mi], z, px, py, got, ref, per * nearw);
                    if (ref > 1) checked++;
                }
            }
            ck_assert_int_ge(checked, 5);
        }
    }
    free(v);
    workcrs_free(wc);
    tilerender_free(r);
}
END_TEST

START_TEST(test_render_seamless)
{
    char err[512];
    tilerender *r = tilerender_new(rset, 0, err, sizeof err);
    const int methods[3] = {TILERENDER_EXACT, TILERENDER_BINNED, TILERENDER_AUTO};
    for (int mi = 0; mi < 3; mi++) {
        for (int z = 12; z <= 16; z += 2) {
            tile_params p;
            tilerender_params_init(&p);
            p.method = methods[mi];
            int tx, ty;
            tilemath_lonlat_to_tile(CD_LON, CD_LAT, z, &tx, &ty);
            double b[4];
            tilemath_tile_bounds_lonlat(z, tx, ty, b);
            /* Points just inside the tile's east and south edges, read through the tile and
             * through its east or south neighbour. */
            for (int k = 1; k <= 3; k++) {
                double t = k / 4.0, eps = 1e-9;
                double lon_e = b[2] - eps, lat_e = b[1] + t * (b[3] - b[1]);
                double lon_s = b[0] + t * (b[2] - b[0]), lat_s = b[1] + eps;
                double a1, a2, c1, c2;
                ck_assert_msg(tilerender_value_at(r, &p, z, tx, ty, lon_e, lat_e, &a1, err,
                                                  sizeof err) == HZ_OK,
                              "%s", err);
                ck_assert_msg(tilerender_value_at(r, &p, z, tx + 1, ty, lon_e, lat_e, &a2, err,
                                                  sizeof err) == HZ_OK,
                              "%s", err);
                ck_assert_msg(tilerender_value_at(r, &p, z, tx, ty, lon_s, lat_s, &c1, err,
                                                  sizeof err) == HZ_OK,
                              "%s", err);
                ck_assert_msg(tilerender_value_at(r, &p, z, tx, ty + 1, lon_s, lat_s, &c2, err,
                                                  sizeof err) == HZ_OK,
                              "%s", err);
                ck_assert_msg(fabs(a1 - a2) <= 1e-5 * fabs(a1) + 1e-9, "z%d east seam %.9g vs %.9g",
                              z, a1, a2);
                ck_assert_msg(fabs(c1 - c2) <= 1e-5 * fabs(c1) + 1e-9,
                              "z%d south seam %.9g vs %.9g", z, c1, c2);
            }
            /* And the last pixel column of the tile continues smoothly into the neighbour's
             * first: the step between them is no larger than the steps beside it allow. */
            float *v1 = malloc(256 * 256 * sizeof *v1), *v2 = malloc(256 * 256 * sizeof *v2);
            ck_assert_int_eq(tilerender_density(r, &p, z, tx, ty, v1, NULL, err, sizeof err),
                             HZ_OK);
            ck_assert_int_eq(tilerender_density(r, &p, z, tx + 1, ty, v2, NULL, err, sizeof err),
                             HZ_OK);
            for (int py = 0; py < 256; py += 15) {
                double a = v1[py * 256 + 254], bb = v1[py * 256 + 255], c = v2[py * 256],
                       d = v2[py * 256 + 1];
                double step = fmax(fabs(bb - a), fabs(d - c));
                ck_assert_msg(fabs(c - bb) <= 2.5 * step + 1e-3 * fabs(bb) + 1e-6,
                              "z%d row %d: edge step %g vs neighbours %g", z, py, c - bb, step);
            }
            free(v1);
            free(v2);
        }
    }
    /* A point too far outside the tile is refused; a tile far from every incident reads 0. */
    double val;
    tile_params p;
    tilerender_params_init(&p);
    int tx, ty;
    tilemath_lonlat_to_tile(CD_LON, CD_LAT, 14, &tx, &ty);
    ck_assert_int_eq(
        tilerender_value_at(r, &p, 14, tx, ty, LONE_LON, LONE_LAT, &val, err, sizeof err),
        HZ_EINVAL);
    ck_assert_int_eq(tilerender_value_at(r, &p, 14, 0, 0, 0, 0, &val, err, sizeof err), HZ_OK);
    ck_assert_double_eq(val, 0);
    /* Low zoom (the lattice cell grown far beyond h): the tile conserves mass - the density
     * summed over the pixels' ground areas is the incidents per year (301 over the data span). */
    float *big = malloc(256 * 256 * sizeof *big);
    tile_info info;
    /* Tianfu Square lies 0.003 deg east of a z8 tile edge: sum the tile and its west neighbour. */
    tilemath_lonlat_to_tile(CD_LON, CD_LAT, 8, &tx, &ty);
    double sum = 0;
    for (int t = tx - 1; t <= tx; t++) {
        ck_assert_int_eq(tilerender_density(r, &p, 8, t, ty, big, &info, err, sizeof err), HZ_OK);
        ck_assert_int_eq(info.method, TILERENDER_BINNED);
        ck_assert_double_gt(info.cell, 300.0 / 4);
        for (int py = 0; py < 256; py++) {
            double mx, my, lon, lat;
            tilemath_pixel_center(8, t, ty, 0, py, &mx, &my);
            tilemath_merc_to_lonlat(mx, my, &lon, &lat);
            double res_km = tilemath_ground_res(8, lat) / 1000;
            for (int px = 0; px < 256; px++)
                sum += big[py * 256 + px] * res_km * res_km;
        }
    }
    /* the loop ran twice (t = tx - 1, tx), each call filling info (a false uninitvar) */
    // cppcheck-suppress uninitvar
    ck_assert_double_eq_tol(sum * info.years, 301, 301 * 0.05);
    ck_assert_int_eq(tilerender_density(r, &p, 2, 0, 0, big, &info, err, sizeof err), HZ_OK);
    ck_assert(info.empty);
    free(big);
    tilerender_free(r);
}
END_TEST

START_TEST(test_render_png_colour_and_floor)
{
    char err[512];
    tilerender *r = tilerender_new(rset, 0, err, sizeof err);
    tile_params p;
    tilerender_params_init(&p);
    /* The lone fall over exactly one year inside the data's span (2013-01-15 .. 2014-12-15):
     * 2013-01-15 .. 2014-01-14 inclusive = 365 days. */
    ck_assert_int_eq(tilerender_params_set(&p, "mechanism", "fall", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_params_set(&p, "from", "2013-01-15", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_params_set(&p, "to", "2014-01-14", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_params_set(&p, "bandwidth", "250", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_params_set(&p, "kernel", "quartic", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_params_set(&p, "nope", "1", err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(tilerender_params_set(&p, "bandwidth", "-3", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(tilerender_params_set(&p, "bandwidth", "nan", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(tilerender_params_set(&p, "kernel", "box", err, sizeof err), HZ_EINVAL);
    ck_assert_double_eq_tol(tilerender_years(r, &p.filter), 365 / 365.25, 1e-12);
    /* Peak: 3/(pi 0.0625 km²) * 365.25/365 = 15.29 per km² per year. The view's scale is fitted
     * on this one kernel: its 99.5th percentile is at the peak, and the largest nice number
     * below it, 10, would put a fifth of the disc in the top class (r <= 0.44 h), so the top
     * break is 15 or 20 and the 1-2-5 terms below end with 10: 0.05, 0.1, ..., 10. */
    tile_view view;
    ck_assert_int_eq(tilerender_view(r, &p, &view, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(view.incidents, 1);
    ck_assert_msg(view.scale.breaks[8] == 15 || view.scale.breaks[8] == 20, "top %g",
                  view.scale.breaks[8]);
    ck_assert_double_eq_tol(view.scale.breaks[7], 10, 1e-12);
    ck_assert_double_eq_tol(view.scale.breaks[0], 0.05, 1e-12);
    int z = 16, tx, ty;
    tilemath_lonlat_to_tile(LONE_LON, LONE_LAT, z, &tx, &ty);
    unsigned char *png;
    size_t len;
    tile_info info;
    ck_assert_msg(tilerender_png(r, &p, z, tx, ty, &png, &len, &info, err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_double_eq_tol(info.max_value, 3 / (M_PI * 0.0625) * 365.25 / 365, 0.5);
    int w, h;
    unsigned char *rgba = decode_png(png, len, &w, &h);
    ck_assert_ptr_nonnull(rgba);
    ck_assert_int_eq(w, 256);
    ck_assert_int_eq(h, 256);
    double mx, my, px, py;
    tilemath_lonlat_to_merc(LONE_LON, LONE_LAT, &mx, &my);
    tilemath_merc_to_pixel(z, tx, ty, mx, my, &px, &py);
    const unsigned char *c = rgba + ((int)lround(py) * 256 + (int)lround(px)) * 4;
    /* the pixel holding the incident is within a pixel of the peak: class 7 or 8 */
    unsigned char rgba_want[4];
    colorramp_rgba(colorramp_class(&view.scale, info.max_value), rgba_want);
    ck_assert_int_ge(colorramp_class(&view.scale, info.max_value), 7);
    ck_assert_msg(memcmp(c, rgba_want, 4) == 0, "colour at the incident %02x%02x%02x%02x", c[0],
                  c[1], c[2], c[3]);
    free(rgba);
    free(png);
    /* 2 tiles east at z16 (~1.2 km) nothing reaches: the constant transparent tile. */
    ck_assert_int_eq(tilerender_png(r, &p, z, tx + 2, ty, &png, &len, &info, err, sizeof err),
                     HZ_OK);
    ck_assert(info.empty);
    size_t elen;
    const unsigned char *empty = tilerender_empty_png(r, &elen);
    ck_assert_uint_eq(len, elen);
    ck_assert(memcmp(png, empty, len) == 0);
    rgba = decode_png(png, len, &w, &h);
    for (int k = 0; k < 256 * 256; k += 97)
        ck_assert_int_eq(rgba[k * 4 + 3], 0);
    free(rgba);
    free(png);

    /* Bandwidth floor: asking 50 m on the public portal (floor 300) renders with 300 m. */
    tile_params pub = p, ref = p;
    pub.bandwidth = 50;
    pub.disclosure.min_bandwidth = 300;
    ref.bandwidth = 300;
    ck_assert_double_eq(tilerender_bandwidth(&pub), 300);
    char k1[512], k2[512];
    tile_view vpub, vref;
    ck_assert_int_eq(tilerender_view(r, &pub, &vpub, err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_view(r, &ref, &vref, err, sizeof err), HZ_OK);
    tilerender_cache_key(r, &pub, &vpub, z, tx, ty, k1, sizeof k1);
    tilerender_cache_key(r, &ref, &vref, z, tx, ty, k2, sizeof k2);
    ck_assert_str_eq(k1, k2);
    ck_assert_ptr_nonnull(strstr(k1, "bandwidth=300/b="));
    ck_assert_ptr_nonnull(strstr(k1, "/16/"));
    char want[32];
    snprintf(want, sizeof want, "v%lld/", (long long)incset_data_version(rset));
    ck_assert(strncmp(k1, want, strlen(want)) == 0);
    float *a = malloc(256 * 256 * sizeof *a), *b = malloc(256 * 256 * sizeof *b);
    ck_assert_int_eq(tilerender_density(r, &pub, z, tx, ty, a, &info, err, sizeof err), HZ_OK);
    ck_assert_double_eq(info.bandwidth, 300);
    ck_assert_int_eq(tilerender_density(r, &ref, z, tx, ty, b, NULL, err, sizeof err), HZ_OK);
    ck_assert(memcmp(a, b, 256 * 256 * sizeof *a) == 0);
    /* The peak under 300 m is 3/(pi 0.09) * 365.25/365 = 10.6 - not the 50 m kernel's 382. */
    ck_assert_double_lt(info.max_value, 11);
    pub.disclosure.min_bandwidth = 0;
    ck_assert_int_eq(tilerender_density(r, &pub, z, tx, ty, a, &info, err, sizeof err), HZ_OK);
    ck_assert_double_gt(info.max_value, 300);
    free(a);
    free(b);

    /* Errors: a bad tile, an unknown area. */
    ck_assert_int_eq(tilerender_png(r, &p, 3, 8, 0, &png, &len, NULL, err, sizeof err), HZ_EINVAL);
    tile_params q;
    tilerender_params_init(&q);
    ck_assert_int_eq(tilerender_params_set(&q, "area", "XX", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_png(r, &q, z, tx, ty, &png, &len, NULL, err, sizeof err),
                     HZ_EINVAL);
    tilerender_free(r);
}
END_TEST

Suite *tiles_suite(void)
{
    Suite *s = suite_create("tiles");
    TCase *tc = tcase_create("tiles");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tile_of_chengdu);
    tcase_add_test(tc, test_tile_bounds_round_trip);
    tcase_add_test(tc, test_colorramp_classes_and_legend);
    tcase_add_test(tc, test_colorramp_fit);
    tcase_add_test(tc, test_png_colours);
    tcase_add_test(tc, test_cache_lru_budget);
    tcase_add_test(tc, test_cache_disk_and_etag);
    tcase_add_test(tc, test_mbtiles_and_dir_export);
    tcase_add_test(tc, test_tilejson);
    tcase_add_test(tc, test_densitystyle_zip_and_paths);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("render");
    tcase_set_timeout(tr, 60);
    tcase_add_checked_fixture(tr, render_setup, render_teardown);
    tcase_add_test(tr, test_render_matches_brute_force);
    tcase_add_test(tr, test_render_seamless);
    tcase_add_test(tr, test_render_png_colour_and_floor);
    suite_add_tcase(s, tr);
    return s;
}
