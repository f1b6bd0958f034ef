/* check_linerender.c - the antialiased line canvas of the road tiles, against a brute-force
 * distance from every pixel centre to the drawn segments: a pixel whose centre lies within half
 * the width is coloured (in the stroke's colour where it is mostly covered), one farther than
 * half the width + 1 px is fully transparent. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/linerender.h"

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

Suite *linerender_suite(void)
{
    Suite *s = suite_create("linerender");
    TCase *tc = tcase_create("linerender");
    tcase_add_test(tc, test_lines_against_distance);
    tcase_add_test(tc, test_break_at_nan);
    tcase_add_test(tc, test_png);
    suite_add_tcase(s, tc);
    return s;
}
