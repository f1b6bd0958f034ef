/* check_chinacrs.c - tests of the GCJ-02 / BD-09 conversions: published pairs, round trips,
 * invariants. */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "hazmap/chinacrs.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Great-circle distance in metres (haversine on a 6371008.8 m sphere, the IUGG mean radius);
 * plenty for sub-metre checks where both points are within a few hundred metres. */
static double haversine_m(double lon1, double lat1, double lon2, double lat2)
{
    double r = 6371008.8, d2r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlon / 2) * sin(dlon / 2);
    return 2.0 * r * asin(sqrt(a));
}

/* Published WGS84 -> GCJ-02 pairs from the test suite of googollee/eviltransform
 * (python/test.py, TESTS: Shanghai, Shenzhen, Beijing) and wandergis/coordtransform
 * (test/app.js: wgs84togcj02(116.404, 39.915)). Each: wgs lon, wgs lat, gcj lon, gcj lat. */
static const double published_wgs_gcj[][4] = {
    {121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},
    {113.912316, 22.543847, 113.9171764808363, 22.540796131694766},
    {116.377817, 39.911954, 116.38404722455657, 39.91334545536069},
    {116.404, 39.915, 116.41024449916938, 39.91640428150164},
};

START_TEST(test_published_forward_pairs)
{
    for (size_t i = 0; i < sizeof published_wgs_gcj / sizeof published_wgs_gcj[0]; i++) {
        const double *p = published_wgs_gcj[i];
        double lon, lat;
        chinacrs_wgs84_to_gcj02(p[0], p[1], &lon, &lat);
        /* eviltransform scales with a = 6378137 instead of Krasovsky's 6378245: a relative
         * difference of 1.7e-5 on a ~0.005 degree offset, i.e. < 1e-7 degrees. */
        ck_assert_msg(fabs(lon - p[2]) < 1e-7 && fabs(lat - p[3]) < 1e-7,
                      "pair %zu: got %.10f %.10f want %.10f %.10f", i, lon, lat, p[2], p[3]);
        /* And the inverse brings the published GCJ-02 point back to the published WGS84 one. */
        chinacrs_gcj02_to_wgs84(p[2], p[3], &lon, &lat);
        ck_assert_msg(haversine_m(lon, lat, p[0], p[1]) < 0.05, "pair %zu inverse: %.10f %.10f", i,
                      lon, lat);
    }
}
END_TEST

START_TEST(test_published_bd09_pair)
{
    /* wandergis/coordtransform test/app.js: gcj02tobd09(116.404, 39.915) (exact forward). */
    double lon, lat;
    chinacrs_gcj02_to_bd09(116.404, 39.915, &lon, &lat);
    ck_assert(fabs(lon - 116.41036949371029) < 1e-9);
    ck_assert(fabs(lat - 39.92133699351021) < 1e-9);
    /* bd09togcj02(116.404, 39.915) there is Baidu's closed-form approximate inverse
     * (116.39762729119315, 39.90865673957631); ours iterates to the exact inverse, which must lie
     * within the approximation's known error (a few centimetres, < 1e-6 degrees). */
    chinacrs_bd09_to_gcj02(116.404, 39.915, &lon, &lat);
    ck_assert(fabs(lon - 116.39762729119315) < 1e-6);
    ck_assert(fabs(lat - 39.90865673957631) < 1e-6);
}
END_TEST

START_TEST(test_round_trip_grid_over_china)
{
    /* A 0.5 degree grid over the mainland box, and a 0.01 degree grid over Chengdu. */
    double worst = 0.0;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        double lon0 = pass ? 103.9 : 74.0, lon1 = pass ? 104.3 : 134.0;
        double lat0 = pass ? 30.5 : 18.5, lat1 = pass ? 30.8 : 53.0;
        double step = pass ? 0.01 : 0.5;
        for (double lat = lat0; lat <= lat1; lat += step) {
            for (double lon = lon0; lon <= lon1; lon += step) {
                double glon, glat, wlon, wlat;
                chinacrs_wgs84_to_gcj02(lon, lat, &glon, &glat);
                chinacrs_gcj02_to_wgs84(glon, glat, &wlon, &wlat);
                double d = haversine_m(lon, lat, wlon, wlat);
                ck_assert_msg(d < 0.5, "round trip at %.3f %.3f off by %.3f m", lon, lat, d);
                ck_assert_msg(fabs(wlon - lon) < 1e-7 && fabs(wlat - lat) < 1e-7,
                              "round trip at %.3f %.3f not within 1e-7 degrees", lon, lat);
                if (d > worst) worst = d;
                /* The forward offset is never zero inside the box and never above ~1 km
                 * (the series is bounded; typical published offsets are 100-700 m). */
                double off = haversine_m(lon, lat, glon, glat);
                ck_assert_msg(off > 1.0 && off < 1500.0, "offset at %.2f %.2f is %.1f m", lon, lat,
                              off);
                n++;
            }
        }
    }
    ck_assert_int_gt(n, 8000);
    ck_assert(worst < 0.01);
}
END_TEST

START_TEST(test_chengdu_offset)
{
    /* Tianfu Square (about 104.066 E, 30.657 N) and the middle of Jinjiang (104.12 E, 30.62 N).
     * GCJ-02 there lies east and south of WGS84 by a few hundred metres. (The offset direction
     * varies across China: north-east in Beijing, south-east here; the published pairs above
     * pin the formula, this pins its Chengdu size and direction for our data.) */
    const double pts[][2] = {{104.066, 30.657}, {104.12, 30.62}, {104.15, 30.58}};
    for (size_t i = 0; i < 3; i++) {
        double glon, glat;
        chinacrs_wgs84_to_gcj02(pts[i][0], pts[i][1], &glon, &glat);
        double east =
            haversine_m(pts[i][0], pts[i][1], glon, pts[i][1]) * (glon > pts[i][0] ? 1.0 : -1.0);
        double north =
            haversine_m(pts[i][0], pts[i][1], pts[i][0], glat) * (glat > pts[i][1] ? 1.0 : -1.0);
        double mag = hypot(east, north);
        ck_assert_msg(mag > 250.0 && mag < 600.0, "offset %.1f m", mag);
        ck_assert_msg(east > 150.0 && east < 450.0, "east %.1f m", east);
        ck_assert_msg(north < -100.0 && north > -450.0, "north %.1f m", north);
    }
}
END_TEST

START_TEST(test_outside_china_unchanged)
{
    /* Paris, London, Tokyo, New York, Singapore, Sydney, Moscow, (0, 0). */
    const double pts[][2] = {{2.35, 48.85}, {-0.12, 51.5},  {139.7, 35.7}, {-74.0, 40.7},
                             {103.85, 0.5}, {151.2, -33.9}, {37.6, 55.9},  {0.0, 0.0}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double lon, lat;
        ck_assert_int_eq(chinacrs_in_china(pts[i][0], pts[i][1]), 0);
        chinacrs_wgs84_to_gcj02(pts[i][0], pts[i][1], &lon, &lat);
        ck_assert(lon == pts[i][0] && lat == pts[i][1]);
        chinacrs_gcj02_to_wgs84(pts[i][0], pts[i][1], &lon, &lat);
        ck_assert(lon == pts[i][0] && lat == pts[i][1]);
    }
    ck_assert_int_eq(chinacrs_in_china(104.07, 30.66), 1);
    ck_assert_int_eq(chinacrs_in_china(116.4, 39.9), 1);
}
END_TEST

START_TEST(test_bd09_round_trip)
{
    double worst = 0.0;
    for (double lat = 18.5; lat <= 53.0; lat += 0.7) {
        for (double lon = 74.0; lon <= 134.0; lon += 0.7) {
            double blon, blat, glon, glat;
            chinacrs_gcj02_to_bd09(lon, lat, &blon, &blat);
            /* BD-09 is GCJ-02 shifted by roughly (+0.0065, +0.006) degrees: about 0.6-1 km. */
            double shift = haversine_m(lon, lat, blon, blat);
            ck_assert_msg(shift > 400.0 && shift < 1300.0, "bd shift %.1f m", shift);
            chinacrs_bd09_to_gcj02(blon, blat, &glon, &glat);
            ck_assert(fabs(glon - lon) < 1e-7 && fabs(glat - lat) < 1e-7);
            double d = haversine_m(lon, lat, glon, glat);
            if (d > worst) worst = d;
        }
    }
    ck_assert(worst < 0.01);
    /* Full chain BD-09 -> WGS84 through the batch call equals the two steps. */
    double lon[2] = {104.0877, 104.1384}, lat[2] = {30.6622, 30.6123};
    double want_lon[2], want_lat[2];
    for (int i = 0; i < 2; i++) {
        double g1, g2;
        chinacrs_bd09_to_gcj02(lon[i], lat[i], &g1, &g2);
        chinacrs_gcj02_to_wgs84(g1, g2, &want_lon[i], &want_lat[i]);
    }
    chinacrs_to_wgs84(CHINACRS_BD09, 2, lon, lat);
    for (int i = 0; i < 2; i++)
        ck_assert(lon[i] == want_lon[i] && lat[i] == want_lat[i]);
    /* And wgs -> gcj -> bd -> (batch) -> wgs comes home. */
    double w[2] = {104.08, 30.65}, g[2], b[2];
    chinacrs_wgs84_to_gcj02(w[0], w[1], &g[0], &g[1]);
    chinacrs_gcj02_to_bd09(g[0], g[1], &b[0], &b[1]);
    chinacrs_to_wgs84(CHINACRS_BD09, 1, &b[0], &b[1]);
    ck_assert(haversine_m(b[0], b[1], w[0], w[1]) < 0.5);
}
END_TEST

START_TEST(test_batch_and_parse)
{
    ck_assert_int_eq(chinacrs_parse("gcj02"), CHINACRS_GCJ02);
    ck_assert_int_eq(chinacrs_parse("GCJ-02"), CHINACRS_GCJ02);
    ck_assert_int_eq(chinacrs_parse("Gcj02"), CHINACRS_GCJ02);
    ck_assert_int_eq(chinacrs_parse("bd09"), CHINACRS_BD09);
    ck_assert_int_eq(chinacrs_parse("BD-09"), CHINACRS_BD09);
    ck_assert_int_eq(chinacrs_parse("EPSG:4326"), CHINACRS_NONE);
    ck_assert_int_eq(chinacrs_parse("gcj"), CHINACRS_NONE);
    ck_assert_int_eq(chinacrs_parse(""), CHINACRS_NONE);
    ck_assert_int_eq(chinacrs_parse(NULL), CHINACRS_NONE);

    double lon[3] = {104.08, 2.35, 104.12}, lat[3] = {30.65, 48.85, 30.60};
    double l0 = lon[0], a0 = lat[0];
    chinacrs_to_wgs84(CHINACRS_NONE, 3, lon, lat);
    ck_assert(lon[0] == l0 && lat[0] == a0);
    chinacrs_to_wgs84(CHINACRS_GCJ02, 3, lon, lat);
    ck_assert(lon[1] == 2.35 && lat[1] == 48.85); /* outside China: untouched */
    for (int i = 0; i < 3; i += 2) {
        double glon, glat;
        chinacrs_wgs84_to_gcj02(lon[i], lat[i], &glon, &glat);
        ck_assert(fabs(glon - (i ? 104.12 : 104.08)) < 1e-7);
        ck_assert(fabs(glat - (i ? 30.60 : 30.65)) < 1e-7);
    }
    chinacrs_to_wgs84(CHINACRS_GCJ02, 0, NULL, NULL); /* n = 0 touches nothing */
}
END_TEST

Suite *chinacrs_suite(void)
{
    Suite *s = suite_create("chinacrs");
    TCase *tc = tcase_create("chinacrs");
    tcase_add_test(tc, test_published_forward_pairs);
    tcase_add_test(tc, test_published_bd09_pair);
    tcase_add_test(tc, test_round_trip_grid_over_china);
    tcase_add_test(tc, test_chengdu_offset);
    tcase_add_test(tc, test_outside_china_unchanged);
    tcase_add_test(tc, test_bd09_round_trip);
    tcase_add_test(tc, test_batch_and_parse);
    suite_add_tcase(s, tc);
    return s;
}
