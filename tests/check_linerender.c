/* check_linerender.c - the antialiased line canvas of the road tiles, against a brute-force
 * distance from every pixel centre to the drawn segments: a pixel whose centre lies within half
 * the width is coloured (in the stroke's colour where it is mostly covered), one farther than
 * half the width + 1 px is fully transparent. Then the road tiles drawn with it (roadtile.h):
 * a road's pixel is coloured, a far tile transparent, a piece drawn in its colour; and the
 * network density tiles (nettile.h) on a road through a sample incident. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazmap/incset.h"
#include "hazmap/linerender.h"
#include "hazmap/nettile.h"
#include "hazmap/roadtile.h"
#include "hazmap/store.h"
#include "hazmap/tilemath.h"
#include "hazmap/workcrs.h"
#include "testutil.h"

#include <png.h>

enum { W = 256, H = 256 };

/* Distance from (px, py) to the segment (ax, ay)-(bx, by). */
static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - (ax + t * dx), py - (ay + t * dy));
}

static double poly_dist(double px, double py, const double *x, const double *y, size_t n)
{
    double d = INFINITY;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!isfinite(x[i]) || !isfinite(x[i + 1])) continue;
        double e = seg_dist(px, py, x[i], y[i], x[i + 1], y[i + 1]);
        if (e < d) d = e;
    }
    return d;
}

typedef struct tline {
    size_t n;
    double x[6], y[6];
    double width;
} tline;

static const tline lines[] = {
    {2, {10.3, 240.7}, {20.1, 200.9}, 1.5},                        /* thin, shallow */
    {2, {128, 128}, {-20, 300}, 3},                                /* vertical across the tile */
    {4, {30, 200.5, 60, 230}, {30.25, 60, 220, 120}, 6},           /* wide, sharp turns */
    {5, {5.5, 70, 140.2, 180, 250}, {250, 190.5, 240, 15, 40}, 4}, /* zigzag */
    {3, {-50, 100.6, 400}, {128.4, 127.9, 133}, 2.5},              /* crosses both edges */
};

static void check_line(const tline *t, const unsigned char col[4])
{
    char err[256];
    linerender *c = linerender_new(W, H, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert(linerender_blank(c));
    linerender_polyline(c, t->x, t->y, t->n, t->width, col);
    ck_assert(!linerender_blank(c));
    unsigned char *px = malloc((size_t)W * H * 4);
    ck_assert_ptr_nonnull(px);
    linerender_rgba(c, px);
    size_t inside = 0, outside = 0;
    for (int j = 0; j < H; j++)
        for (int i = 0; i < W; i++) {
            const unsigned char *p = px + ((size_t)j * W + (size_t)i) * 4;
            double d = poly_dist(i + 0.5, j + 0.5, t->x, t->y, t->n);
            if (d <= t->width / 2) {
                inside++;
                ck_assert_msg(p[3] > 0, "pixel %d,%d at %.3f px from a %.1f px line is clear", i, j,
                              d, t->width);
                if (p[3] >= 128) /* mostly covered: the colour, up to unpremultiplying's rounding */
                    ck_assert_msg(abs(p[0] - col[0]) <= 2 && abs(p[1] - col[1]) <= 2 &&
                                      abs(p[2] - col[2]) <= 2,
                                  "pixel %d,%d is %d,%d,%d", i, j, p[0], p[1], p[2]);
            } else if (d > t->width / 2 + 1) {
                outside++;
                ck_assert_msg(p[3] == 0, "pixel %d,%d at %.3f px from a %.1f px line has alpha %d",
                              i, j, d, t->width, p[3]);
            }
        }
    ck_assert(inside > 0 && outside > 0);
    free(px);
    linerender_free(c);
}

START_TEST(test_lines_against_distance)
{
    const unsigned char grey[4] = {180, 184, 189, 255}, red[4] = {200, 30, 40, 255};
    for (size_t k = 0; k < sizeof lines / sizeof *lines; k++)
        check_line(&lines[k], k % 2 ? red : grey);
}
END_TEST

/* A non-finite point breaks the line: nothing is drawn between its neighbours. */
START_TEST(test_break_at_nan)
{
    char err[256];
    linerender *c = linerender_new(W, H, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    const double x[] = {10, 100, NAN, 150, 240}, y[] = {128, 128, 0, 128, 128};
    const unsigned char col[4] = {0, 0, 0, 255};
    linerender_polyline(c, x, y, 5, 2, col);
    unsigned char *px = malloc((size_t)W * H * 4);
    ck_assert_ptr_nonnull(px);
    linerender_rgba(c, px);
    ck_assert_int_gt(px[((size_t)128 * W + 50) * 4 + 3], 0);
    ck_assert_int_gt(px[((size_t)128 * W + 200) * 4 + 3], 0);
    ck_assert_int_eq(px[((size_t)128 * W + 125) * 4 + 3], 0); /* the gap */
    free(px);
    /* n < 2, zero width and a transparent colour draw nothing */
    linerender *e = linerender_new(W, H, err, sizeof err);
    ck_assert_ptr_nonnull(e);
    linerender_polyline(e, x, y, 1, 2, col);
    linerender_polyline(e, x, y, 2, 0, col);
    const unsigned char clear[4] = {0, 0, 0, 0};
    linerender_polyline(e, x, y, 2, 2, clear);
    ck_assert(linerender_blank(e));
    linerender_free(e);
    linerender_free(c);
}
END_TEST

/* The PNG is an 8-bit RGBA image of the canvas' size; bad sizes are refused. */
START_TEST(test_png)
{
    char err[256];
    linerender *c = linerender_new(W, H, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    linerender_polyline(c, lines[2].x, lines[2].y, lines[2].n, lines[2].width,
                        (const unsigned char[4]){180, 184, 189, 255});
    unsigned char *png = NULL;
    size_t len = 0;
    ck_assert_int_eq(linerender_png(c, &png, &len, err, sizeof err), HZ_OK);
    ck_assert(len > 33 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    ck_assert(memcmp(png + 12, "IHDR", 4) == 0);
    ck_assert_int_eq(png[19], W & 0xff); /* width, big-endian, low byte (256 -> 0x00) */
    ck_assert_int_eq(png[18], W >> 8);
    ck_assert_int_eq(png[24], 8); /* bit depth */
    ck_assert_int_eq(png[25], 6); /* colour type RGBA */
    free(png);
    linerender_free(c);
    ck_assert_ptr_null(linerender_new(0, 10, err, sizeof err));
    ck_assert_ptr_null(linerender_new(10, 5000, err, sizeof err));
    linerender_free(NULL);
}
END_TEST

/* Decodes a PNG into 256 x 256 straight RGBA (libpng's simplified API). */
static void decode(const unsigned char *png, size_t len, unsigned char *rgba)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    ck_assert(png_image_begin_read_from_memory(&im, png, len));
    ck_assert(im.width == W && im.height == H);
    im.format = PNG_FORMAT_RGBA;
    ck_assert(png_image_finish_read(&im, NULL, rgba, 0, NULL));
}

/* Two roads in Jinjiang: a primary road east-west and a residential street north-south, their
 * metres a scaled copy of the degrees (the tiles read only lon/lat). */
START_TEST(test_road_tiles)
{
    const double lon1[] = {104.080, 104.085, 104.090}, lat1[] = {30.650, 30.650, 30.650};
    const double lon2[] = {104.085, 104.085}, lat2[] = {30.650, 30.655};
    double x1[3], y1[3], x2[2], y2[2];
    for (int i = 0; i < 3; i++)
        x1[i] = lon1[i] * 1e5, y1[i] = lat1[i] * 1e5;
    for (int i = 0; i < 2; i++)
        x2[i] = lon2[i] * 1e5, y2[i] = lat2[i] * 1e5;
    roadnet_seg_in in[2] = {
        {.id = 1,
         .from = 10,
         .to = 11,
         .npts = 3,
         .x = x1,
         .y = y1,
         .lon = lon1,
         .lat = lat1,
         .name = "东大街",
         .cls = "primary",
         .lanes = 4},
        {.id = 2,
         .from = 12,
         .to = 13,
         .npts = 2,
         .x = x2,
         .y = y2,
         .lon = lon2,
         .lat = lat2,
         .cls = "residential",
         .lanes = -1},
    };
    char err[256];
    roadnet *net = roadnet_build(2, in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    roadtile *rt = roadtile_new(net, err, sizeof err);
    ck_assert_msg(rt != NULL, "%s", err);
    double b[4];
    ck_assert(roadtile_bounds(rt, b) && b[0] == 104.080 && b[3] == 30.655);

    int z = 16, tx, ty;
    tilemath_lonlat_to_tile(104.0825, 30.650, z, &tx, &ty);
    unsigned char *png = NULL, *rgba = malloc((size_t)W * H * 4);
    size_t len = 0;
    ck_assert_ptr_nonnull(rgba);
    ck_assert_int_eq(roadtile_png(rt, z, tx, ty, &png, &len, err, sizeof err), HZ_OK);
    decode(png, len, rgba);
    free(png);
    /* the primary road's pixel is grey and opaque; 20 px north of it nothing */
    double mx, my, px, py;
    tilemath_lonlat_to_merc(104.0825, 30.650, &mx, &my);
    tilemath_merc_to_pixel(z, tx, ty, mx, my, &px, &py);
    int i = (int)lround(px), j = (int)lround(py);
    ck_assert(i >= 0 && i < W && j >= 20 && j < H);
    const unsigned char *on = rgba + ((size_t)j * W + (size_t)i) * 4;
    const unsigned char *off = rgba + ((size_t)(j - 20) * W + (size_t)i) * 4;
    const unsigned char grey[4] = ROADTILE_STREET_RGBA;
    ck_assert_msg(on[3] == 255 && abs(on[0] - grey[0]) <= 2, "road pixel %d,%d,%d,%d", on[0], on[1],
                  on[2], on[3]);
    ck_assert_int_eq(off[3], 0);

    /* a tile far away is the transparent tile */
    ck_assert_int_eq(roadtile_png(rt, z, tx + 5, ty + 5, &png, &len, err, sizeof err), HZ_OK);
    decode(png, len, rgba);
    free(png);
    for (size_t k = 0; k < (size_t)W * H; k++)
        ck_assert_int_eq(rgba[k * 4 + 3], 0);
    ck_assert_int_eq(roadtile_png(rt, 30, 0, 0, &png, &len, err, sizeof err), HZ_EINVAL);

    /* a piece of the primary road in red, 2x wide: red where drawn, nothing on the rest */
    roadtile_piece pc = {.seg = 0, .s0 = 0, .s1 = 100, .rgba = {200, 0, 0, 255}, .width_scale = 2};
    int64_t k0 = roadnet_seg_find(net, 1);
    ck_assert_int_ge(k0, 0);
    pc.seg = (uint32_t)k0;
    int px0;
    tilemath_lonlat_to_tile(104.080, 30.650, z, &px0, &ty);
    ck_assert_int_eq(roadtile_png_pieces(rt, z, px0, ty, &pc, 1, &png, &len, err, sizeof err),
                     HZ_OK);
    decode(png, len, rgba);
    free(png);
    tilemath_lonlat_to_merc(104.0802, 30.650, &mx, &my); /* about 19 m from the start */
    tilemath_merc_to_pixel(z, px0, ty, mx, my, &px, &py);
    on = rgba + ((size_t)lround(py) * W + (size_t)lround(px)) * 4;
    ck_assert_msg(on[0] == 200 && on[1] == 0 && on[3] == 255, "piece pixel %d,%d,%d,%d", on[0],
                  on[1], on[2], on[3]);
    free(rgba);
    roadtile_free(rt);
    roadnet_free(net);
}
END_TEST

/* Wider lines for more important roads; unknown classes medium; thinner at low zooms. */
START_TEST(test_class_widths)
{
    ck_assert(roadtile_class_width("motorway", 16) > roadtile_class_width("primary", 16));
    ck_assert(roadtile_class_width("primary", 16) > roadtile_class_width(NULL, 16));
    ck_assert(roadtile_class_width(NULL, 16) == roadtile_class_width("no_such_class", 16));
    ck_assert(roadtile_class_width(NULL, 16) > roadtile_class_width("residential", 16));
    ck_assert(roadtile_class_width("primary_link", 16) < roadtile_class_width("primary", 16));
    ck_assert(roadtile_class_width("primary", 12) < roadtile_class_width("primary", 16));
    ck_assert(roadtile_class_width("service", 3) >= 0.6);
}
END_TEST

/* Network density on an 800 m east-west road through the first sample incident: the view is
 * memoised, its breaks ascend, the incident is snapped, and the tile over it is coloured there. */
START_TEST(test_network_tiles)
{
    char err[1024], db[64];
    snprintf(db, sizeof db, "/tmp/hazmap-nettile-%d.sqlite", (int)getpid());
    store *st = tu_load_sample(db);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    const hz_incident *i0 = &incset_items(s)[0];
    workcrs *w = workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    double x[5], y[5], lon[5], lat[5];
    for (int k = 0; k < 5; k++)
        x[k] = i0->x + (k - 2) * 200.0, y[k] = i0->y;
    ck_assert_int_eq(workcrs_inverse(w, 5, x, y, lon, lat), HZ_OK);
    x[2] = i0->x, y[2] = i0->y; /* the shared node bit for bit in both segments */
    roadnet_seg_in in[2] = {
        {.id = 1,
         .from = 1,
         .to = 2,
         .npts = 3,
         .x = x,
         .y = y,
         .lon = lon,
         .lat = lat,
         .cls = "primary",
         .lanes = -1},
        {.id = 2,
         .from = 2,
         .to = 3,
         .npts = 3,
         .x = x + 2,
         .y = y + 2,
         .lon = lon + 2,
         .lat = lat + 2,
         .cls = "primary",
         .lanes = -1},
    };
    roadnet *net = roadnet_build(2, in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    roadtile *rt = roadtile_new(net, err, sizeof err);
    nettile *nt = rt ? nettile_new(s, net, rt, err, sizeof err) : NULL;
    ck_assert_msg(nt != NULL, "%s", err);

    nettile_params p;
    nettile_params_init(&p);
    char q[1200];
    nettile_params_canonical(&p, q, sizeof q);
    ck_assert_str_eq(q, "bandwidth=300");
    ck_assert_int_eq(nettile_params_set(&p, "bandwidth", "10", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(nettile_params_set(&p, "bandwidth", "2000", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(nettile_params_set(&p, "kernel", "quartic", err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(nettile_params_set(&p, "bandwidth", "250", err, sizeof err), HZ_OK);
    nettile_params_canonical(&p, q, sizeof q);
    ck_assert_str_eq(q, "bandwidth=250");

    ck_assert(!nettile_view_ready(nt, &p));
    nettile_view v;
    ck_assert_msg(nettile_view_get(nt, &p, &v, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert(nettile_view_ready(nt, &p));
    ck_assert_uint_eq(v.lixels, 40); /* two 400 m segments in 20 m lixels */
    ck_assert(v.snapped >= 1 && v.nonzero > 0 && v.years > 2.9);
    for (int k = 0; k + 1 < COLORRAMP_CLASSES; k++)
        ck_assert(v.scale.breaks[k] < v.scale.breaks[k + 1]);
    char key[2048];
    nettile_cache_key(nt, &p, &v, 16, 1, 2, key, sizeof key);
    ck_assert_msg(strncmp(key, "net/v", 5) == 0 && strstr(key, "/bandwidth=250/b=") &&
                      strstr(key, "/16/1/2"),
                  "%s", key);

    int z = 17, tx, ty;
    tilemath_lonlat_to_tile(i0->lon, i0->lat, z, &tx, &ty);
    unsigned char *png = NULL, *rgba = malloc((size_t)W * H * 4);
    size_t len = 0;
    ck_assert_ptr_nonnull(rgba);
    ck_assert_msg(nettile_png(nt, &p, z, tx, ty, &png, &len, err, sizeof err) == HZ_OK, "%s", err);
    decode(png, len, rgba);
    free(png);
    double mx, my, px, py;
    tilemath_lonlat_to_merc(i0->lon, i0->lat, &mx, &my);
    tilemath_merc_to_pixel(z, tx, ty, mx, my, &px, &py);
    const unsigned char *on = rgba + ((size_t)lround(py) * W + (size_t)lround(px)) * 4;
    ck_assert_msg(on[3] > 0, "the incident's pixel is clear");
    ck_assert_int_eq(nettile_png(nt, &p, 40, 0, 0, &png, &len, err, sizeof err), HZ_EINVAL);
    json_t *lg = nettile_legend_json(&p, &v);
    ck_assert_ptr_nonnull(lg);
    ck_assert_str_eq(json_string_value(json_object_get(lg, "unit")),
                     "incidents per km of road per year");
    json_decref(lg);
    /* another view, then many: the first is evicted and recomputed the same */
    for (int k = 0; k < NETTILE_VIEWS + 1; k++) {
        nettile_params p2;
        nettile_params_init(&p2);
        char bw[16];
        snprintf(bw, sizeof bw, "%d", 100 + 10 * k);
        ck_assert_int_eq(nettile_params_set(&p2, "bandwidth", bw, err, sizeof err), HZ_OK);
        nettile_view v2;
        ck_assert_int_eq(nettile_view_get(nt, &p2, &v2, err, sizeof err), HZ_OK);
    }
    ck_assert(!nettile_view_ready(nt, &p));
    nettile_view again;
    ck_assert_int_eq(nettile_view_get(nt, &p, &again, err, sizeof err), HZ_OK);
    ck_assert(memcmp(&again.scale, &v.scale, sizeof v.scale) == 0 && again.nonzero == v.nonzero);
    free(rgba);
    nettile_free(nt);
    roadtile_free(rt);
    roadnet_free(net);
    workcrs_free(w);
    incset_free(s);
    store_close(st);
    tu_remove_db(db);
}
END_TEST

Suite *linerender_suite(void)
{
    Suite *s = suite_create("linerender");
    TCase *tc = tcase_create("linerender");
    tcase_add_test(tc, test_lines_against_distance);
    tcase_add_test(tc, test_break_at_nan);
    tcase_add_test(tc, test_png);
    tcase_add_test(tc, test_road_tiles);
    tcase_add_test(tc, test_class_widths);
    tcase_add_test(tc, test_network_tiles);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
