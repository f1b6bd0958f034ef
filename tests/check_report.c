/* check_report.c - the pure helpers of the quarterly report (report.h, reportmap.h): quarter
 * parsing and bounds against timegm(), the seasonal baseline against a brute-force mean of the
 * same calendar month of earlier years, and the map window against the Web Mercator extent of
 * the box computed here. The report itself is checked on the sample by
 * tests/integration/report.sh. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "hazmap/report.h"
#include "hazmap/reportmap.h"
#include "hazmap/tilemath.h"

START_TEST(test_parse_quarter)
{
    char err[256];
    int q = -1;
    ck_assert_int_eq(report_parse_quarter("2014Q2", &q, err, sizeof err), HZ_OK);
    ck_assert_int_eq(q, 2014 * 4 + 1);
    ck_assert_int_eq(report_parse_quarter("2012-Q4", &q, err, sizeof err), HZ_OK);
    ck_assert_int_eq(q, 2012 * 4 + 3);
    static const char *const badq[] = {"2014Q5",  "2014Q0", "2014",   "Q2",      "",
                                       "2014Q2x", "1899Q1", "3000Q1", "2014q2 ", NULL};
    for (const char *const *b = badq; *b; b++) {
        err[0] = 0;
        ck_assert_msg(report_parse_quarter(*b, &q, err, sizeof err) == HZ_EINVAL, "%s accepted",
                      *b);
        ck_assert_msg(err[0] != 0, "%s: no message", *b);
    }
    ck_assert_int_eq(report_parse_quarter(NULL, &q, err, sizeof err), HZ_EINVAL);
}
END_TEST

START_TEST(test_quarter_bounds)
{
    for (int q = 1990 * 4; q < 2040 * 4; q++) {
        struct tm a = {.tm_year = q / 4 - 1900, .tm_mon = q % 4 * 3, .tm_mday = 1};
        struct tm b = {.tm_year = (q + 1) / 4 - 1900, .tm_mon = (q + 1) % 4 * 3, .tm_mday = 1};
        int64_t from, to;
        report_quarter_bounds(q, &from, &to);
        ck_assert_int_eq(from, (int64_t)timegm(&a) - 8 * 3600);
        ck_assert_int_eq(to, (int64_t)timegm(&b) - 8 * 3600);
    }
}
END_TEST

START_TEST(test_seasonal_baseline)
{
    enum { N = 61 };
    double v[N], base[N];
    srand(7);
    for (int i = 0; i < N; i++)
        v[i] = rand() % 9 == 0 ? NAN : rand() % 100;
    report_seasonal_baseline(v, N, base);
    for (int i = 0; i < N; i++) {
        double sum = 0;
        int k = 0;
        for (int j = 0; j < i; j++)
            if ((i - j) % 12 == 0 && !isnan(v[j])) {
                sum += v[j];
                k++;
            }
        if (k == 0)
            ck_assert_msg(isnan(base[i]), "month %d: %g, want none", i, base[i]);
        else
            ck_assert_msg(fabs(base[i] - sum / k) < 1e-12, "month %d: %g, want %g", i, base[i],
                          sum / k);
    }
    ck_assert(isnan(base[0]) && isnan(base[11]));
}
END_TEST

/* The box's width and height in pixels at zoom z. */
static void box_px(const double bb[4], int z, double *w, double *h)
{
    double x0, y0, x1, y1;
    tilemath_lonlat_to_merc(bb[0], bb[1], &x0, &y0);
    tilemath_lonlat_to_merc(bb[2], bb[3], &x1, &y1);
    double px = tilemath_tile_span(z) / TILEMATH_SIZE;
    *w = (x1 - x0) / px;
    *h = (y1 - y0) / px;
}

START_TEST(test_map_window)
{
    const double bb[4] = {104.05, 30.57, 104.16, 30.67}; /* about Jinjiang */
    int z;
    double ox, oy, w, h;
    ck_assert_int_eq(reportmap_window(bb, 640, 480, &z, &ox, &oy), 0);
    box_px(bb, z, &w, &h);
    ck_assert(w + 32 <= 640 && h + 32 <= 480);
    box_px(bb, z + 1, &w, &h);
    ck_assert(w + 32 > 640 || h + 32 > 480);
    /* the box's centre is the window's centre, to the pixel */
    double cx, cy;
    tilemath_lonlat_to_merc((bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2, &cx, &cy);
    double px = tilemath_tile_span(z) / TILEMATH_SIZE, half = M_PI * TILEMATH_R;
    ck_assert(fabs((cx + half) / px - (ox + 320)) <= 1.0);
    const double empty[4] = {104.1, 30.6, 104.1, 30.7};
    ck_assert_int_eq(reportmap_window(empty, 640, 480, &z, &ox, &oy), -1);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_parse_quarter);
    tcase_add_test(tc, test_quarter_bounds);
    tcase_add_test(tc, test_seasonal_baseline);
    tcase_add_test(tc, test_map_window);
    suite_add_tcase(s, tc);
    return s;
}
