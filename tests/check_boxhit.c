/* check_boxhit.c - boxhit (exact geometry/box intersection) against OGR's Intersects (GEOS) on
 * random polygons with holes, multipolygons, lines and points, as GeoJSON and as WKB. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <ogr_api.h>

#include "hazmap/boxhit.h"

static double rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* A star-shaped ring of n vertices around (cx, cy), radii in [r/3, r], closed. */
static json_t *star(uint64_t *s, double cx, double cy, double r, int n, int reverse)
{
    json_t *ring = json_array();
    for (int k = 0; k <= n; k++) {
        int i = reverse ? (n - k) % n : k % n;
        double a = 2 * M_PI * i / n, rr = r * (1.0 / 3 + 2.0 / 3 * rnd(s));
        if (k == n) { /* closed: the first vertex again */
            json_array_append(ring, json_array_get(ring, 0));
            break;
        }
        json_array_append_new(ring, json_pack("[f, f]", cx + rr * cos(a), cy + rr * sin(a)));
    }
    return ring;
}

/* A random geometry of kind k: polygon, polygon with a hole, multipolygon, line, multipoint. */
static json_t *random_geometry(uint64_t *s, int k)
{
    double cx = 104.0 + 0.1 * rnd(s), cy = 30.6 + 0.1 * rnd(s), r = 0.005 + 0.02 * rnd(s);
    int n = 3 + (int)(rnd(s) * 12);
    if (k == 0)
        return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates",
                         star(s, cx, cy, r, n, 0));
    if (k == 1) /* the hole lies within the inner radius r / 3 */
        return json_pack("{s:s, s:[o, o]}", "type", "Polygon", "coordinates",
                         star(s, cx, cy, r, n, 0), star(s, cx, cy, r / 3.5, 5, 1));
    if (k == 2)
        return json_pack("{s:s, s:[[o], [o]]}", "type", "MultiPolygon", "coordinates",
                         star(s, cx, cy, r, n, 0), star(s, cx + 3 * r, cy, r, n, 0));
    json_t *pts = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            pts, json_pack("[f, f]", cx + r * (2 * rnd(s) - 1), cy + r * (2 * rnd(s) - 1)));
    return json_pack("{s:s, s:o}", "type", k == 3 ? "LineString" : "MultiPoint", "coordinates",
                     pts);
}

static OGRGeometryH box_geometry(const double b[4])
{
    char wkt[256];
    snprintf(wkt, sizeof wkt,
             "POLYGON((%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g))", b[0], b[1],
             b[2], b[1], b[2], b[3], b[0], b[3], b[0], b[1]);
    char *p = wkt;
    OGRGeometryH g = NULL;
    ck_assert_int_eq(OGR_G_CreateFromWkt(&p, NULL, &g), OGRERR_NONE);
    return g;
}

START_TEST(test_against_ogr)
{
    uint64_t s = 0x2545f4914f6cdd1dULL;
    int hits[5] = {0}, misses[5] = {0}, hard = 0;
    for (int t = 0; t < 4000; t++) {
        int k = t % 5;
        json_t *g = random_geometry(&s, k);
        char *text = json_dumps(g, JSON_COMPACT | JSON_REAL_PRECISION(17));
        OGRGeometryH og = OGR_G_CreateGeometryFromJson(text);
        ck_assert_ptr_nonnull(og);
        OGREnvelope env;
        OGR_G_GetEnvelope(og, &env);
        unsigned char *wkb = NULL;
        int wlen = OGR_G_WkbSize(og);
        if (k <= 2) {
            wkb = malloc((size_t)wlen);
            ck_assert_int_eq(OGR_G_ExportToWkb(og, wkbNDR, wkb), OGRERR_NONE);
        }
        for (int j = 0; j < 10; j++) {
            /* boxes around the envelope: most meet it, many only near the geometry's edge */
            double w = (env.MaxX - env.MinX) * (0.02 + 0.5 * rnd(&s)),
                   h = (env.MaxY - env.MinY) * (0.02 + 0.5 * rnd(&s));
            double x0 = env.MinX - w + (env.MaxX - env.MinX + w) * rnd(&s);
            double y0 = env.MinY - h + (env.MaxY - env.MinY + h) * rnd(&s);
            double b[4] = {x0, y0, x0 + w, y0 + h};
            OGRGeometryH ob = box_geometry(b);
            int want = OGR_G_Intersects(og, ob);
            int inside_env =
                b[0] >= env.MinX && b[2] <= env.MaxX && b[1] >= env.MinY && b[3] <= env.MaxY;
            hard += inside_env && !want; /* the envelope says yes, the geometry no */
            ck_assert_msg(boxhit_geojson(g, b) == want, "kind %d case %d/%d: boxhit %d, OGR %d; %s",
                          k, t, j, !want, want, text);
            if (wkb) ck_assert_int_eq(boxhit_wkb(wkb, (size_t)wlen, b), want);
            (want ? hits : misses)[k]++;
            OGR_G_DestroyGeometry(ob);
        }
        free(wkb);
        OGR_G_DestroyGeometry(og);
        free(text);
        json_decref(g);
    }
    for (int k = 0; k < 5; k++) /* both answers are exercised for every kind */
        ck_assert_msg(hits[k] > 100 && misses[k] > 100, "kind %d: %d hits, %d misses", k, hits[k],
                      misses[k]);
    ck_assert_int_gt(hard, 100);
}
END_TEST

START_TEST(test_edges_and_malformed)
{
    const double b[4] = {0, 0, 1, 1};
    json_t *p = json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", 1.0, 0.5);
    ck_assert(boxhit_geojson(p, b)); /* on the edge: the box's edges belong to it */
    json_decref(p);
    /* a box wholly inside a polygon meets it with no vertex or edge in the box */
    json_t *big = json_pack("{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
                            "coordinates", -5.0, -5.0, 5.0, -5.0, 5.0, 5.0, -5.0, 5.0, -5.0, -5.0);
    ck_assert(boxhit_geojson(big, b));
    json_decref(big);
    const char *bad[] = {
        "null", "{\"type\":\"Polygon\"}", "{\"type\":\"Polygon\",\"coordinates\":[[[0,\"x\"]]]}",
        "{\"type\":\"Circle\",\"coordinates\":[0,0]}", "{\"coordinates\":[0.5,0.5]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *g = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        ck_assert_msg(!boxhit_geojson(g, b), "%s", bad[i]);
        json_decref(g);
    }
    ck_assert(!boxhit_wkb((const unsigned char *)"\x01\x02", 2, b));
}
END_TEST

Suite *boxhit_suite(void)
{
    Suite *s = suite_create("boxhit");
    TCase *tc = tcase_create("boxhit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_against_ogr);
    tcase_add_test(tc, test_edges_and_malformed);
    suite_add_tcase(s, tc);
    return s;
}
