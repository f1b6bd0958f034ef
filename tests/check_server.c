/* check_server.c - tests of the server's parsing, routing, authentication and responses,
 * calling the handlers directly (no sockets) on a temporary store. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <jansson.h>
#include <ogr_api.h>
#include <openssl/sha.h>

#include "testutil.h"
#include "hazmap/app.h"
#include "hazmap/geojson.h"
#include "hazmap/htmlpage.h"
#include "hazmap/httpmsg.h"
#include "hazmap/incset.h"
#include "hazmap/incpost.h"
#include "hazmap/hotspack.h"
#include "hazmap/json_out.h"
#include "hazmap/paging.h"
#include "hazmap/ptindex.h"
#include "hazmap/metrics.h"
#include "hazmap/qparam.h"
#include "hazmap/srvconf.h"
#include "hazmap/store.h"
#include "hazmap/tokens.h"
#include "hazmap/webroot.h"
#include "hazmap/wpool.h"

static char dbpath[256], webdir[256];

/* ---- strict parameter parsing ---- */

START_TEST(test_qparam_numbers)
{
    char err[256];
    double d;
    long l;
    ck_assert_int_eq(qparam_double("x", "12.5", 0, 100, &d, err, sizeof err), HZ_OK);
    ck_assert(d == 12.5);
    const char *bad_d[] = {"", "nan", "inf", "-inf", "0x10", "1e999", "12a", " 1", "1,5", NULL};
    for (int i = 0; bad_d[i]; i++)
        ck_assert_msg(qparam_double("x", bad_d[i], -1e300, 1e300, &d, err, sizeof err) == HZ_EINVAL,
                      "accepted '%s'", bad_d[i]);
    ck_assert_int_eq(qparam_double("x", "101", 0, 100, &d, err, sizeof err), HZ_EINVAL);
    ck_assert(strstr(err, "x") != NULL);
    ck_assert_int_eq(qparam_long("limit", "10000", 1, 10000, &l, err, sizeof err), HZ_OK);
    ck_assert_int_eq(l, 10000);
    const char *bad_l[] = {"", "0", "10001", "-1", "1e3", "+5", "5 ", "99999999999999999999", NULL};
    for (int i = 0; bad_l[i]; i++)
        ck_assert_msg(qparam_long("limit", bad_l[i], 1, 10000, &l, err, sizeof err) == HZ_EINVAL,
                      "accepted '%s'", bad_l[i]);
}
END_TEST

START_TEST(test_qparam_bbox)
{
    char err[256];
    double bb[4];
    ck_assert_int_eq(qparam_bbox("104.0,30.5,104.2,30.7", bb, err, sizeof err), HZ_OK);
    ck_assert(bb[0] == 104.0 && bb[1] == 30.5 && bb[2] == 104.2 && bb[3] == 30.7);
    ck_assert_int_eq(qparam_bbox("-180,-90,180,90", bb, err, sizeof err), HZ_OK);
    const char *bad[] = {"1,2,3",     "1,2,3,4,5", "10,10,5,5", "0,10,10,5", "-181,0,1,1",
                         "0,-91,1,1", "0,0,181,1", "0,0,1,91",  "nan,0,1,1", "1,,2,3",
                         "a,b,c,d",   "",          "1,1,1,1",   "0,0,1,1,",  NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(qparam_bbox(bad[i], bb, err, sizeof err) == HZ_EINVAL, "accepted '%s'",
                      bad[i]);
}
END_TEST

static int64_t utc(int y, int m, int d, int hh, int mm, int ss)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = m - 1,
                    .tm_mday = d,
                    .tm_hour = hh,
                    .tm_min = mm,
                    .tm_sec = ss};
    return (int64_t)timegm(&tm);
}

START_TEST(test_qparam_datetime)
{
    char err[256];
    int64_t a, b;
    const int tz = 8 * 3600;
    /* A date instant is that whole local day (reference: the C library's timegm). */
    ck_assert_int_eq(qparam_datetime("2013-05-01", tz, &a, &b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(a, utc(2013, 4, 30, 16, 0, 0));
    ck_assert_int_eq(b, utc(2013, 5, 1, 16, 0, 0));
    ck_assert_int_eq(qparam_datetime("2013-01-01/2013-12-31", tz, &a, &b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(b - a, 365 * 86400);
    ck_assert_int_eq(qparam_datetime("../2013-01-01T00:00:00Z", tz, &a, &b, err, sizeof err),
                     HZ_OK);
    ck_assert(a == INT64_MIN);
    ck_assert_int_eq(b, utc(2013, 1, 1, 0, 0, 1)); /* an end instant is inclusive */
    ck_assert_int_eq(qparam_datetime("2013-01-01T00:00:00Z/", tz, &a, &b, err, sizeof err), HZ_OK);
    ck_assert(b == INT64_MAX && a == utc(2013, 1, 1, 0, 0, 0));
    const char *bad[] = {"",
                         "../..",
                         "/",
                         "2013-13-01",
                         "2014-01-01/2013-01-01",
                         "a/b",
                         "2013-01-01/2013-02-01/2013-03-01",
                         "yesterday",
                         NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(qparam_datetime(bad[i], tz, &a, &b, err, sizeof err) == HZ_EINVAL,
                      "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_request_args)
{
    char err[256];
    hreq_arg args[] = {{"limit", "5"}, {"mechanism", "traffic,fall"}};
    hreq rq = {.method = "GET", .path = "/", .args = args, .nargs = 2};
    const char *allowed[] = {"limit", NULL};
    ck_assert_int_eq(hreq_check_args(&rq, allowed, 1, err, sizeof err), HZ_OK);
    ck_assert_int_eq(hreq_check_args(&rq, allowed, 0, err, sizeof err), HZ_EINVAL);
    ck_assert(strstr(err, "mechanism") != NULL);
    hz_filter f;
    filter_init(&f);
    ck_assert_int_eq(hreq_filter(&rq, &f, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(f.mechanisms, HZ_MECH_TRAFFIC_MASK | (1u << HZ_MECH_FALL));
    ck_assert_ptr_null(hreq_repeated_arg(&rq));
    /* any repeated parameter, a filter's or another, is named */
    hreq_arg dup[] = {{"limit", "5"}, {"from", "2013-01-01"}, {"limit", "6"}};
    hreq rq2 = {.method = "GET", .path = "/", .args = dup, .nargs = 3};
    ck_assert_str_eq(hreq_repeated_arg(&rq2), "limit");
    hreq_arg dupf[] = {{"from", "2013-01-01"}, {"limit", "5"}, {"from", "2014-01-01"}};
    hreq rq3 = {.method = "GET", .path = "/", .args = dupf, .nargs = 3};
    ck_assert_str_eq(hreq_repeated_arg(&rq3), "from");
    /* the same value twice is no ambiguity (GDAL's OAPIF driver repeats its URL's query) */
    hreq_arg same[] = {{"crs", "x"}, {"limit", "5"}, {"crs", "x"}};
    hreq rq4 = {.method = "GET", .path = "/", .args = same, .nargs = 3};
    ck_assert_ptr_null(hreq_repeated_arg(&rq4));
}
END_TEST

START_TEST(test_accept_and_bearer)
{
    hreq rq = {.method = "GET", .path = "/"};
    ck_assert_int_eq(hreq_wants_html(&rq), 0);
    rq.accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    ck_assert_int_eq(hreq_wants_html(&rq), 1);
    rq.accept = "application/json";
    ck_assert_int_eq(hreq_wants_html(&rq), 0);
    rq.accept = "application/json, text/html;q=0.5"; /* GDAL-style preference for JSON */
    ck_assert_int_eq(hreq_wants_html(&rq), 0);
    char tok[HREQ_TOKEN_MAX + 1];
    ck_assert_int_eq(hreq_token(&rq, tok), 0);
    rq.authorization = "Bearer abc123";
    ck_assert_int_eq(hreq_token(&rq, tok), 1);
    ck_assert_str_eq(tok, "abc123");
    rq.authorization = "Bearer ";
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    rq.authorization = "Bearer a\x01z";
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    /* Basic: the password is the token, any user (RFC 7617 examples encoded with base64(1)) */
    rq.authorization = "Basic cWdpczphYmMxMjM="; /* qgis:abc123 */
    ck_assert_int_eq(hreq_token(&rq, tok), 1);
    ck_assert_str_eq(tok, "abc123");
    rq.authorization = "Basic OmFiYzEyMzQ1"; /* :abc12345 (empty user) */
    ck_assert_int_eq(hreq_token(&rq, tok), 1);
    ck_assert_str_eq(tok, "abc12345");
    rq.authorization = "basic dTpwOnE="; /* u:p:q - the password is everything after the 1st : */
    ck_assert_int_eq(hreq_token(&rq, tok), 1);
    ck_assert_str_eq(tok, "p:q");
    rq.authorization = "Basic dXNlcg=="; /* user - no colon */
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    rq.authorization = "Basic dTo="; /* u: - empty password */
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    rq.authorization = "Basic abc"; /* not base64 */
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    rq.authorization = "Basic ####"; /* not base64 */
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
    rq.authorization = "Digest x";
    ck_assert_int_eq(hreq_token(&rq, tok), -1);
}
END_TEST

/* ---- WKB to GeoJSON ---- */

static size_t put_u32(unsigned char *b, size_t o, uint32_t v)
{
    memcpy(b + o, &v, 4);
    return o + 4;
}

START_TEST(test_wkb_geojson)
{
    unsigned char b[256];
    size_t n = tu_square_wkb(b, 104.0, 30.0, 104.5, 30.25);
    json_t *g = geojson_from_wkb(b, n);
    ck_assert_ptr_nonnull(g);
    char *text = json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(text, "{\"coordinates\":[[[104.0,30.0],[104.5,30.0],[104.5,30.25],"
                           "[104.0,30.25],[104.0,30.0]]],\"type\":\"Polygon\"}");
    free(text);
    json_decref(g);
    /* big-endian point */
    unsigned char p[21] = {0, 0, 0, 0, 1};
    double x = 104.25, y = 30.5;
    unsigned char xb[8], yb[8];
    memcpy(xb, &x, 8);
    memcpy(yb, &y, 8);
    for (int i = 0; i < 8; i++) {
        p[5 + i] = xb[7 - i];
        p[13 + i] = yb[7 - i];
    }
    g = geojson_from_wkb(p, sizeof p);
    ck_assert_ptr_nonnull(g);
    ck_assert(json_real_value(json_array_get(json_object_get(g, "coordinates"), 0)) == 104.25);
    json_decref(g);
    /* truncated or lying about its size: refused, never read past the end */
    for (size_t cut = 0; cut < n; cut += 7)
        ck_assert_ptr_null(geojson_from_wkb(b, cut));
    put_u32(b, 9, 0x7fffffff);
    ck_assert_ptr_null(geojson_from_wkb(b, n));
    char buf[64];
    size_t off = 0;
    ck_assert_int_eq(geojson_urlencode(buf, sizeof buf, &off, "a b&c=锦"), 0);
    ck_assert_str_eq(buf, "a%20b%26c%3D%E9%94%A6");
}
END_TEST

/* Coordinates of a and b agree to the server's rounding (1e-7 degrees, half a step either way);
 * every array has the same length. */
static int same_coords(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return fabs(json_number_value(a) - json_number_value(b)) <= 0.5e-7 + 1e-12;
    if (!json_is_array(a) || !json_is_array(b) || json_array_size(a) != json_array_size(b))
        return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!same_coords(json_array_get(a, i), json_array_get(b, i))) return 0;
    return 1;
}

/* The GeoJSON of geojson_from_wkb() (through wkb.c) against GDAL/OGR's own WKB reader and GeoJSON
 * writer (OGR_G_CreateFromWkb + OGR_G_ExportToJson), on WKB that OGR wrote from WKT in both
 * byte orders; and truncated WKB is refused by both. */
START_TEST(test_wkb_geojson_matches_ogr)
{
    static const char *const wkt[] = {
        "POINT (104.0759045 30.65)",
        "POINT (-0.123456789 51.987654321)",
        "MULTIPOINT ((104.1 30.6),(104.2 30.7),(104.30000004 30.80000006))",
        "LINESTRING (104.0 30.0,104.05 30.02,104.1 30.1)",
        "MULTILINESTRING ((104 30,104.1 30.1),(104.2 30.2,104.3 30.3,104.4 30.5))",
        "POLYGON ((104.0 30.0,104.2 30.0,104.2 30.1,104.0 30.1,104.0 30.0))",
        "POLYGON ((104.0 30.0,104.2 30.0,104.2 30.1,104.0 30.1,104.0 30.0),"
        "(104.05 30.02,104.05 30.04,104.07 30.04,104.05 30.02))",
        "MULTIPOLYGON (((104.0 30.0,104.2 30.0,104.2 30.1,104.0 30.1,104.0 30.0),"
        "(104.05 30.02,104.05 30.04,104.07 30.04,104.05 30.02),"
        "(104.1 30.05,104.1 30.06,104.11 30.06,104.1 30.05)),"
        "((105 31,105.1 31,105.1 31.1,105 31)),"
        "((106.123456789 32.1,106.2 32.1,106.2 32.2,106.123456789 32.1),"
        "(106.15 32.12,106.16 32.12,106.16 32.13,106.15 32.12)))",
    };
    for (size_t i = 0; i < sizeof wkt / sizeof *wkt; i++) {
        OGRGeometryH src = NULL;
        char *w = (char *)wkt[i];
        ck_assert_int_eq(OGR_G_CreateFromWkt(&w, NULL, &src), OGRERR_NONE);
        int size = OGR_G_WkbSize(src);
        unsigned char *buf = malloc((size_t)size);
        for (int order = 0; order < 2; order++) {
            OGRwkbByteOrder bo = order ? wkbXDR : wkbNDR;
            ck_assert_int_eq(OGR_G_ExportToWkb(src, bo, buf), OGRERR_NONE);
            OGRGeometryH ref = NULL;
            ck_assert_int_eq(OGR_G_CreateFromWkb(buf, NULL, &ref, size), OGRERR_NONE);
            char *rtext = OGR_G_ExportToJson(ref);
            json_t *rj = json_loads(rtext, 0, NULL);
            ck_assert_ptr_nonnull(rj);
            json_t *g = geojson_from_wkb(buf, (size_t)size);
            ck_assert_msg(g != NULL, "%s (%s-endian) refused", wkt[i], order ? "big" : "little");
            char *mine = json_dumps(g, JSON_COMPACT);
            ck_assert_str_eq(json_string_value(json_object_get(g, "type")),
                             json_string_value(json_object_get(rj, "type")));
            ck_assert_msg(
                same_coords(json_object_get(g, "coordinates"), json_object_get(rj, "coordinates")),
                "%s:\n  ours %s\n  OGR  %s", wkt[i], mine, rtext);
            free(mine);
            json_decref(g);
            json_decref(rj);
            CPLFree(rtext);
            OGR_G_DestroyGeometry(ref);
            /* Truncated anywhere: refused, as OGR refuses it (quietly). */
            CPLPushErrorHandler(CPLQuietErrorHandler);
            for (int cut = 0; cut < size; cut++) {
                OGRGeometryH t = NULL;
                int ogr_ok = OGR_G_CreateFromWkb(buf, NULL, &t, cut) == OGRERR_NONE;
                OGR_G_DestroyGeometry(t);
                ck_assert_msg(!ogr_ok, "OGR read %s cut at %d", wkt[i], cut);
                ck_assert_msg(geojson_from_wkb(buf, (size_t)cut) == NULL, "%s cut at %d read",
                              wkt[i], cut);
            }
            CPLPopErrorHandler();
        }
        free(buf);
        OGR_G_DestroyGeometry(src);
    }
}
END_TEST

/* ---- tokens ---- */

static void make_store(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-check-server-%d.sqlite", (int)getpid());
    unlink(dbpath);
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char w1[256], w2[256], w3[256];
    hz_area_rec d = {.code = "D", .name = "锦江区", .level = "district", .population = 100000};
    d.wkb = w1;
    d.wkb_len = tu_square_wkb(w1, 104.0, 30.0, 104.2, 30.1);
    hz_area_rec s1 = {.code = "S1",
                      .name = "春熙路",
                      .level = "subdistrict",
                      .parent_code = "D",
                      .population = 40000};
    s1.wkb = w2;
    s1.wkb_len = tu_square_wkb(w2, 104.0, 30.0, 104.1, 30.1);
    hz_area_rec s2 = {.code = "S2",
                      .name = "合江亭",
                      .level = "subdistrict",
                      .parent_code = "D",
                      .population = 60000};
    s2.wkb = w3;
    s2.wkb_len = tu_square_wkb(w3, 104.1, 30.0, 104.2, 30.1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &d, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &s1, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &s2, err, sizeof err), HZ_OK);
    /* 25 incidents in S1, 3 in S2, over 2013 (local time): 25 and 3 are the counts the tests
     * expect below, written here by hand rather than computed by the code under test. */
    for (int i = 0; i < 28; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        int in_s1 = i < 25;
        hz_incident_rec r = {.source = "t",
                             .source_id = id,
                             .mechanism = HZ_MECH_FALL,
                             .victims = 1,
                             .age = 30 + i,
                             .disability = -1,
                             .area_code = in_s1 ? "S1" : "S2",
                             .lon = in_s1 ? 104.01 + 0.003 * i : 104.15 + 0.01 * i,
                             .lat = 30.05};
        r.t = utc(2013, 1 + i % 12, 10, 4, 0, 0);
        r.severity = i % 2 ? HZ_SEV_MINOR : HZ_SEV_SERIOUS;
        store_put_outcome o;
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    store_close(st);
}

static void rm_store(void)
{
    tu_remove_db(dbpath);
}

START_TEST(test_tokens)
{
    make_store();
    char err[512], tok[65], hex[65];
    store *st = store_open(dbpath, 0, err, sizeof err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PLANNER, "alice", tok, err, sizeof err), HZ_OK);
    ck_assert_int_eq(strlen(tok), 64);
    /* The hash is SHA-256 of the token text: checked against OpenSSL's one-shot SHA256(). */
    unsigned char md[32];
    SHA256((const unsigned char *)tok, 64, md);
    char ref[65];
    for (int i = 0; i < 32; i++)
        snprintf(ref + 2 * i, 3, "%02x", md[i]);
    tokens_hash(tok, hex);
    ck_assert_str_eq(hex, ref);
    hz_role r;
    ck_assert_int_eq(tokens_lookup(st, tok, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r, HZ_ROLE_PLANNER);
    char tok2[65];
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_EDITOR, NULL, tok2, err, sizeof err), HZ_OK);
    ck_assert_str_ne(tok, tok2);
    ck_assert_int_eq(tokens_lookup(st, tok2, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r, HZ_ROLE_EDITOR);
    tok[0] = tok[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(tokens_lookup(st, tok, &r, err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(r, HZ_ROLE_PUBLIC);
    ck_assert_int_eq(tokens_lookup(st, hex, &r, err, sizeof err),
                     HZ_ENOTFOUND); /* the hash is no token */
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PUBLIC, NULL, tok, err, sizeof err), HZ_EINVAL);
    store_close(st);
    rm_store();
}
END_TEST

/* ---- the application, end to end without sockets ---- */

typedef struct call {
    hresp rs;
    json_t *j;
} call;

/* do_call() as if on a thread of kind `where` (httpmsg.h). */
static void do_call_on(hreq_where where, app *a, call *c, const char *method, const char *path,
                       hreq_arg *args, size_t nargs, const char *auth, const char *body)
{
    memset(c, 0, sizeof *c);
    hreq rq = {.method = method,
               .path = path,
               .args = args,
               .nargs = nargs,
               .host = "test:1",
               .authorization = auth,
               .body = body,
               .body_len = body ? strlen(body) : 0,
               .content_type = body ? "application/geo+json" : NULL,
               .where = where};
    app_handle(a, &rq, &c->rs);
    c->j = c->rs.body ? json_loadb((const char *)c->rs.body, c->rs.len, 0, NULL) : NULL;
}

static void do_call(app *a, call *c, const char *method, const char *path, hreq_arg *args,
                    size_t nargs, const char *auth, const char *body)
{
    do_call_on(HREQ_INLINE, a, c, method, path, args, nargs, auth, body);
}

static void end_call(call *c)
{
    json_decref(c->j);
    hresp_free(&c->rs);
}

static json_t *feature_by_code(json_t *fc, const char *code)
{
    json_t *fs = json_object_get(fc, "features");
    for (size_t i = 0; i < json_array_size(fs); i++) {
        json_t *p = json_object_get(json_array_get(fs, i), "properties");
        if (strcmp(json_string_value(json_object_get(p, "code")), code) == 0) return p;
    }
    return NULL;
}

START_TEST(test_app_routes)
{
    make_store();
    srvconf cfg;
    srvconf_init(&cfg);
    snprintf(cfg.db, sizeof cfg.db, "%s", dbpath);
    char err[512];
    app *a = app_new(&cfg, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    store *st = store_open(dbpath, 0, err, sizeof err);
    char tok[65], auth[80];
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PLANNER, NULL, tok, err, sizeof err), HZ_OK);
    store_close(st);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    call c;

    /* The public learns only the status and the release (none in this store): no counts. */
    do_call(a, &c, "GET", "/healthz", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    ck_assert_int_eq(json_object_size(c.j), 2);
    ck_assert(json_is_null(json_object_get(c.j, "release")));
    end_call(&c);
    /* ... and before the first `hazmap publish` no public statistics, only a 503. */
    do_call(a, &c, "GET", "/api/stats", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 503);
    end_call(&c);
    do_call(a, &c, "GET", "/healthz", NULL, 0, auth, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(c.j, "incidents")), 28);
    ck_assert_int_eq(json_integer_value(json_object_get(c.j, "areas")), 3);
    ck_assert_str_eq(hresp_header_get(&c.rs, "X-Content-Type-Options"), "nosniff");
    end_call(&c);
    /* Links come from the bind address and port, not from the request's Host ("test:1"). */
    hreq_arg fj[] = {{"f", "json"}};
    do_call(a, &c, "GET", "/", fj, 1, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    json_t *l0 = json_array_get(json_object_get(c.j, "links"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(l0, "href")),
                     "http://127.0.0.1:8080/?f=json");
    end_call(&c);
    /* Every audience-dependent route says so to caches; the conformance page is the same for all.
     */
    const char *vary[] = {"/",        "/collections",  "/collections/areas", "/api/config",
                          "/healthz", "/api/releases", "/tiles/density.json"};
    for (size_t i = 0; i < sizeof vary / sizeof *vary; i++) {
        do_call(a, &c, "GET", vary[i], NULL, 0, NULL, NULL);
        ck_assert_msg(hresp_header_get(&c.rs, "Vary") &&
                          !strcmp(hresp_header_get(&c.rs, "Vary"), "Authorization"),
                      "%s", vary[i]);
        end_call(&c);
    }
    do_call(a, &c, "GET", "/collections", NULL, 0, "Bearer nonsense", NULL);
    ck_assert_int_eq(c.rs.status, 401);
    ck_assert_str_eq(hresp_header_get(&c.rs, "Vary"), "Authorization");
    end_call(&c);
    do_call(a, &c, "GET", "/conformance", NULL, 0, NULL, NULL);
    ck_assert_ptr_null(hresp_header_get(&c.rs, "Vary"));
    end_call(&c);

    do_call(a, &c, "GET", "/nowhere", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 404);
    ck_assert_str_eq(json_string_value(json_object_get(c.j, "code")), "NotFound");
    end_call(&c);
    do_call(a, &c, "DELETE", "/collections", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 405);
    end_call(&c);
    do_call(a, &c, "OPTIONS", "/collections", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 204);
    ck_assert_ptr_nonnull(hresp_header_get(&c.rs, "Access-Control-Allow-Methods"));
    end_call(&c);
    /* a repeated filter parameter is a 400 naming it, on every route (it was last-wins) */
    hreq_arg twice[] = {{"from", "2013-01-01"}, {"from", "2014-01-01"}};
    const char *routes_twice[] = {"/collections/areas/items", "/api/stats", "/healthz"};
    for (size_t i = 0; i < sizeof routes_twice / sizeof *routes_twice; i++) {
        do_call(a, &c, "GET", routes_twice[i], twice, 2, auth, NULL);
        ck_assert_int_eq(c.rs.status, 400);
        ck_assert(strstr(json_string_value(json_object_get(c.j, "description")), "'from'"));
        end_call(&c);
    }
    hreq_arg unk[] = {{"colour", "red"}};
    do_call(a, &c, "GET", "/collections/areas/items", unk, 1, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 400);
    ck_assert(strstr(json_string_value(json_object_get(c.j, "description")), "colour") != NULL);
    end_call(&c);

    /* public: incidents hidden */
    do_call(a, &c, "GET", "/collections/incidents/items", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 401);
    end_call(&c);
    do_call(a, &c, "GET", "/collections/incidents/items", NULL, 0, "Bearer nope", NULL);
    ck_assert_int_eq(c.rs.status, 401);
    end_call(&c);
    /* The public's areas come from the release (none here: 503 saying how to make one; the
     * released figures are checked in tests/integration/public.sh), after their names were
     * checked (400 above). */
    do_call(a, &c, "GET", "/collections/areas/items", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 503);
    ck_assert(strstr(json_string_value(json_object_get(c.j, "description")), "hazmap publish"));
    end_call(&c);
    do_call(a, &c, "GET", "/collections/areas/items/D", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 503);
    end_call(&c);
    /* /api/stats: the public's answers come from the release (none here: 503, above; the
     * release's cells in tests/integration/public.sh); a planner's by area shows every count. */
    hreq_arg bya[] = {{"by", "area"}};
    do_call(a, &c, "GET", "/api/stats", bya, 1, auth, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    json_t *rows = json_object_get(c.j, "rows");
    ck_assert_uint_eq(json_array_size(rows), 3);
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *w = json_array_get(rows, i);
        ck_assert_ptr_nonnull(json_string_value(json_object_get(w, "area")));
        ck_assert(json_is_integer(json_object_get(w, "count")));
    }
    end_call(&c);
    /* A planner sees D. */
    do_call(a, &c, "GET", "/collections/areas/items/D", NULL, 0, auth, NULL);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(c.j, "properties"), "count")), 28);
    end_call(&c);

    /* planner, with an explicit year: rate = count * 1e5 / (population * 365 / 365.25) and the
     * exact Poisson limits of 25 (Garwood; tables e.g. Ulm 1990: 16.18 and 36.90) scaled alike */
    hreq_arg yr[] = {{"from", "2013-01-01"}, {"to", "2013-12-31"}};
    do_call(a, &c, "GET", "/collections/areas/items", yr, 2, auth, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    json_t *s1 = feature_by_code(c.j, "S1"), *s2 = feature_by_code(c.j, "S2");
    ck_assert_int_eq(json_integer_value(json_object_get(s2, "count")), 3);
    double py = 40000.0 * 365.0 / 365.25;
    ck_assert_double_eq_tol(json_real_value(json_object_get(s1, "rate")), 25e5 / py, 1e-6);
    ck_assert_double_eq_tol(json_real_value(json_object_get(s1, "rate_lo")) * py / 1e5, 16.18,
                            0.01);
    ck_assert_double_eq_tol(json_real_value(json_object_get(s1, "rate_hi")) * py / 1e5, 36.90,
                            0.01);
    ck_assert(json_is_false(json_object_get(s1, "unstable"))); /* 25 >= 20: stable */
    ck_assert(json_is_true(json_object_get(s2, "unstable")));
    end_call(&c);

    /* incidents: bbox selects the S1 points west of 104.05 (i * 0.003 < 0.04: i = 0..13) */
    hreq_arg bb[] = {{"bbox", "104.0,30.0,104.05,30.1"}, {"limit", "5"}};
    do_call(a, &c, "GET", "/collections/incidents/items", bb, 2, auth, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(c.j, "numberMatched")), 14);
    ck_assert_int_eq(json_integer_value(json_object_get(c.j, "numberReturned")), 5);
    end_call(&c);

    /* a POST with one bad feature stores nothing and names the field */
    const char *badpost =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[104.01,30.01]},"
        "\"properties\":{\"source_id\":\"p1\"}},"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[104.01,30.01]},"
        "\"properties\":{\"source_id\":\"p2\",\"severity\":\"awful\"}}]}";
    do_call(a, &c, "POST", "/collections/incidents/items", NULL, 0, auth, badpost);
    ck_assert_int_eq(c.rs.status, 400);
    json_t *e0 = json_array_get(json_object_get(c.j, "errors"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(e0, "feature")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "properties.severity");
    end_call(&c);
    const char *goodpost = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                           "\"coordinates\":[104.01,30.01]},\"properties\":{\"source_id\":\"p1\","
                           "\"occurred_at\":\"2013-06-01T08:00:00\",\"mechanism\":\"traffic\"}}";
    do_call(a, &c, "POST", "/collections/incidents/items", NULL, 0, NULL, goodpost);
    ck_assert_int_eq(c.rs.status, 401);
    end_call(&c);
    do_call(a, &c, "POST", "/collections/incidents/items", NULL, 0, auth, goodpost);
    ck_assert_int_eq(c.rs.status, 201);
    end_call(&c);
    /* a point in no area is refused unless the POST says such points are expected */
    const char *outpost = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                          "\"coordinates\":[110.5,40.5]},\"properties\":{\"source_id\":\"o1\"}}";
    do_call(a, &c, "POST", "/collections/incidents/items", NULL, 0, auth, outpost);
    ck_assert_int_eq(c.rs.status, 400);
    e0 = json_array_get(json_object_get(c.j, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "geometry");
    end_call(&c);
    hreq_arg acc[] = {{"outside", "accept"}};
    do_call(a, &c, "POST", "/collections/incidents/items", acc, 1, auth, outpost);
    ck_assert_int_eq(c.rs.status, 201);
    end_call(&c);
    do_call(a, &c, "GET", "/healthz", NULL, 0, auth, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(c.j, "incidents")), 30);
    end_call(&c);

    do_call(a, &c, "GET", "/metrics", NULL, 0, NULL, NULL);
    ck_assert_int_eq(c.rs.status, 200);
    /* (requests are counted by the HTTP front end, so only the exposition's shape shows here) */
    ck_assert(strncmp((const char *)c.rs.body, "# HELP hazmap_http_requests_total", 33) == 0);
    end_call(&c);
    app_free(a);
    rm_store();
}
END_TEST

/* ---- isolation: the analysis pool ---- */

typedef struct pool_probe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int gate_open, started, ran, cancelled;
} pool_probe;

/* A job that counts itself and, until the gate opens, blocks its worker. */
static void probe_job(void *arg, int cancelled)
{
    pool_probe *p = arg;
    pthread_mutex_lock(&p->mu);
    p->started++;
    pthread_cond_broadcast(&p->cv);
    while (!cancelled && !p->gate_open)
        pthread_cond_wait(&p->cv, &p->mu);
    if (cancelled)
        p->cancelled++;
    else
        p->ran++;
    pthread_mutex_unlock(&p->mu);
}

START_TEST(test_wpool)
{
    pool_probe pr = {.gate_open = 0};
    pthread_mutex_init(&pr.mu, NULL);
    pthread_cond_init(&pr.cv, NULL);
    ck_assert_ptr_null(wpool_new(0, 1, 0));
    wpool *p = wpool_new(1, 1, 0);
    ck_assert_ptr_nonnull(p);
    /* one worker busy, one job waiting: the next is refused at once (never blocks) */
    ck_assert_int_eq(wpool_submit(p, probe_job, &pr), 0);
    pthread_mutex_lock(&pr.mu);
    while (pr.started < 1)
        pthread_cond_wait(&pr.cv, &pr.mu);
    pthread_mutex_unlock(&pr.mu);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pr), 0);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pr), -1);
    size_t queued, running;
    unsigned long long refused;
    wpool_stats(p, &queued, &running, &refused);
    ck_assert_uint_eq(queued, 1);
    ck_assert_uint_eq(running, 1);
    ck_assert_uint_eq(refused, 1);
    pthread_mutex_lock(&pr.mu);
    pr.gate_open = 1;
    pthread_cond_broadcast(&pr.cv);
    pthread_mutex_unlock(&pr.mu);
    /* every accepted job runs exactly once: on a worker, or cancelled by the stop */
    wpool_stop(p);
    ck_assert_int_eq(pr.ran + pr.cancelled, 2);
    ck_assert_int_ge(pr.ran, 1);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pr), -1); /* refused once stopped */
    wpool_free(p);
    /* without a waiting place a job is taken only by an idle worker */
    pool_probe pz = {.gate_open = 0};
    pthread_mutex_init(&pz.mu, NULL);
    pthread_cond_init(&pz.cv, NULL);
    p = wpool_new(2, 0, 5);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pz), 0);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pz), 0);
    ck_assert_int_eq(wpool_submit(p, probe_job, &pz), -1);
    pthread_mutex_lock(&pz.mu);
    pz.gate_open = 1;
    pthread_cond_broadcast(&pz.cv);
    pthread_mutex_unlock(&pz.mu);
    wpool_free(p);
    ck_assert_int_eq(pz.ran + pz.cancelled, 2);
    pthread_mutex_destroy(&pr.mu);
    pthread_cond_destroy(&pr.cv);
    pthread_mutex_destroy(&pz.mu);
    pthread_cond_destroy(&pz.cv);
}
END_TEST

/* On a network thread an analysis that no cache answers is handed back (rs.offload) instead of
 * computed; its answer from the pool is then cached, and cheap routes are answered at once. */
START_TEST(test_app_offload)
{
    make_store();
    srvconf cfg;
    srvconf_init(&cfg);
    snprintf(cfg.db, sizeof cfg.db, "%s", dbpath);
    char err[512];
    app *a = app_new(&cfg, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    store *st = store_open(dbpath, 0, err, sizeof err);
    char tok[65], auth[80];
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PLANNER, NULL, tok, err, sizeof err), HZ_OK);
    store_close(st);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    call c;
    hreq_arg bya[] = {{"by", "area"}};
    do_call_on(HREQ_EVENT, a, &c, "GET", "/api/stats", bya, 1, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 1);
    ck_assert_int_eq(c.rs.status, 0);
    ck_assert_ptr_null(c.rs.body);
    ck_assert_int_eq(c.rs.nheaders, 0);
    ck_assert_str_eq(app_route_name(a, c.rs.route), "stats");
    end_call(&c);
    do_call_on(HREQ_POOL, a, &c, "GET", "/api/stats", bya, 1, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 0);
    ck_assert_int_eq(c.rs.status, 200);
    end_call(&c);
    do_call_on(HREQ_EVENT, a, &c, "GET", "/api/stats", bya, 1, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 0); /* cached now */
    ck_assert_int_eq(c.rs.status, 200);
    end_call(&c);
    /* bad parameters are answered on the spot: only computing is offloaded */
    hreq_arg bad[] = {{"by", "colour"}};
    do_call_on(HREQ_EVENT, a, &c, "GET", "/api/stats", bad, 1, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 0);
    ck_assert_int_eq(c.rs.status, 400);
    end_call(&c);
    do_call_on(HREQ_EVENT, a, &c, "GET", "/healthz", NULL, 0, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 0);
    ck_assert_int_eq(c.rs.status, 200);
    end_call(&c);
    hreq_arg bs[] = {{"eps", "50"}};
    do_call_on(HREQ_EVENT, a, &c, "GET", "/api/blackspots", bs, 1, auth, NULL);
    ck_assert_int_eq(c.rs.offload, 1);
    end_call(&c);
    app_free(a);
    rm_store();
}
END_TEST

static void fake_pool(void *ud, size_t *waiting, size_t *running, unsigned long long *refused)
{
    (void)ud;
    *waiting = 3;
    *running = 2;
    *refused = 11;
}

START_TEST(test_metrics_render)
{
    static const char *const routes[] = {"a", "b"};
    metrics *m = metrics_new(routes, 2);
    metrics_request(m, 0, 200, 3.0, 10);
    metrics_request(m, 0, 200, 30.0, 10);
    metrics_request(m, 1, 404, 0.5, 5);
    metrics_request(m, 7, 999, 0.5, 5); /* out of range: counted as the last route, "other" */
    metrics_cache(m, 1, 1);
    size_t len;
    char *t = metrics_render(m, 7, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert(strstr(t, "hazmap_http_requests_total{route=\"a\",status=\"200\"} 2\n"));
    ck_assert(strstr(t, "hazmap_http_requests_total{route=\"b\",status=\"404\"} 1\n"));
    ck_assert(strstr(t, "hazmap_http_requests_total{route=\"b\",status=\"other\"} 1\n"));
    /* 3 ms falls in le=0.005, 30 ms in le=0.05: cumulative counts 1 and 2 */
    ck_assert(
        strstr(t, "hazmap_http_request_duration_seconds_bucket{route=\"a\",le=\"0.005\"} 1\n"));
    ck_assert(
        strstr(t, "hazmap_http_request_duration_seconds_bucket{route=\"a\",le=\"0.05\"} 2\n"));
    ck_assert(strstr(t, "hazmap_cache_requests_total{cache=\"tile\",outcome=\"hit\"} 1\n"));
    ck_assert_ptr_null(strstr(t, "hazmap_analysis")); /* no pool, no pool lines */
    free(t);
    metrics_computation(m, "hotspots");
    metrics_computation(m, "blackspots");
    metrics_computation(m, "hotspots");
    t = metrics_render(m, 7, &len);
    ck_assert(strstr(t, "\nhazmap_analysis_computations_total{analysis=\"hotspots\"} 2\n"));
    ck_assert(strstr(t, "\nhazmap_analysis_computations_total{analysis=\"blackspots\"} 1\n"));
    free(t);
    metrics_set_pool(m, fake_pool, NULL);
    t = metrics_render(m, 7, &len);
    ck_assert(strstr(t, "\nhazmap_analysis_waiting 3\n"));
    ck_assert(strstr(t, "\nhazmap_analysis_running 2\n"));
    ck_assert(strstr(t, "\nhazmap_analysis_refused_total 11\n"));
    free(t);
    metrics_free(m);
}
END_TEST

START_TEST(test_webroot)
{
    snprintf(webdir, sizeof webdir, "/tmp/hazmap-check-web-%d", (int)getpid());
    char p[512], q[512];
    mkdir(webdir, 0700);
    snprintf(p, sizeof p, "%s/index.html", webdir);
    FILE *f = fopen(p, "w");
    fputs("<!doctype html>", f);
    fclose(f);
    snprintf(q, sizeof q, "%s-secret.txt", webdir);
    f = fopen(q, "w");
    fputs("secret", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/out.txt", webdir);
    ck_assert_int_eq(symlink(q, p), 0);
    snprintf(p, sizeof p, "%s/sub", webdir);
    mkdir(p, 0700);
    hresp rs = {0};
    ck_assert_int_eq(webroot_serve_path(webdir, "/index.html", &rs), 0);
    ck_assert_int_eq(rs.status, 200);
    ck_assert_str_eq(rs.content_type, "text/html; charset=utf-8");
    hresp_free(&rs);
    ck_assert_int_eq(webroot_serve_path(webdir, "/out.txt", &rs), 0); /* symlink leaving the root */
    ck_assert_int_eq(rs.status, 403);
    hresp_free(&rs);
    ck_assert_int_eq(webroot_serve_path(webdir, "/../x", &rs), 0);
    ck_assert_int_eq(rs.status, 403);
    hresp_free(&rs);
    /* dot-files and dot-directories are refused even when they exist */
    snprintf(p, sizeof p, "%s/.env", webdir);
    f = fopen(p, "w");
    fputs("secret", f);
    fclose(f);
    const char *dots[] = {"/.env", "/sub/.env", "/.git/config", "/./index.html"};
    for (size_t i = 0; i < sizeof dots / sizeof *dots; i++) {
        ck_assert_int_eq(webroot_serve_path(webdir, dots[i], &rs), 0);
        ck_assert_msg(rs.status == 403, "%s: %d", dots[i], rs.status);
        hresp_free(&rs);
    }
    snprintf(p, sizeof p, "%s/.env", webdir);
    unlink(p);
    ck_assert_int_eq(webroot_serve_path(webdir, "/sub", &rs), -1); /* a directory */
    ck_assert_int_eq(webroot_serve_path(webdir, "/missing.js", &rs), -1);
    /* The 404 of a missing file carries its extension's type, never the API's JSON. */
    static const struct {
        const char *path, *type;
        int filled;
    } missing[] = {
        {"/missing.js", "text/javascript; charset=utf-8", 1},
        {"/vendor/x/leaflet.CSS", "text/css; charset=utf-8", 1},
        {"/images/marker.png", "image/png", 1},
        {"/data.json", "application/json", 1},
        {"/notes.xyz", "text/plain; charset=utf-8", 1},
        {"/v1.2/readme", NULL, 0}, /* the dot is not in the last segment */
        {"/nowhere", NULL, 0},
        {"/.hidden", NULL, 0}, /* a dot-file's name has no extension */
    };
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
        ck_assert_int_eq(webroot_not_found(missing[i].path, &rs), missing[i].filled ? 0 : -1);
        if (missing[i].filled) {
            ck_assert_int_eq(rs.status, 404);
            ck_assert_str_eq(rs.content_type, missing[i].type);
        } else {
            ck_assert_int_eq(rs.status, 0);
        }
        hresp_free(&rs);
    }
    ck_assert_str_eq(webroot_mime("a/b.js"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(webroot_mime("a.exe"), "application/octet-stream");
    snprintf(p, sizeof p, "%s/out.txt", webdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/index.html", webdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/sub", webdir);
    rmdir(p);
    rmdir(webdir);
    unlink(q);
}
END_TEST

START_TEST(test_srvconf)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "/tmp/hazmap-check-conf-%d", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs("# comment\n\ntitle = 锦江区 伤害地图\nmin_count = 5\nbasemap_gcj02 = yes\n"
          "min_bandwidth=250.5\n",
          f);
    fclose(f);
    srvconf c;
    srvconf_init(&c);
    ck_assert_int_eq(srvconf_load(&c, path, err, sizeof err), HZ_OK);
    ck_assert_str_eq(c.title, "锦江区 伤害地图");
    ck_assert_int_eq(c.min_count, 5);
    ck_assert_int_eq(c.basemap_gcj02, 1);
    ck_assert(c.min_bandwidth == 250.5);
    f = fopen(path, "w");
    fputs("title = x\nmin_count = ten\n", f);
    fclose(f);
    ck_assert_int_eq(srvconf_load(&c, path, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, ":2:") && strstr(err, "min_count"), "%s", err);
    f = fopen(path, "w");
    fputs("colour = red\n", f);
    fclose(f);
    ck_assert_int_eq(srvconf_load(&c, path, err, sizeof err), HZ_EINVAL);
    srvconf_init(&c);
    ck_assert_int_eq(c.analysis_threads, 0);
    ck_assert_int_eq(c.analysis_queue, 64);
    ck_assert_int_eq(srvconf_set(&c, "analysis_threads", "3", err, sizeof err), HZ_OK);
    ck_assert_int_eq(srvconf_set(&c, "analysis_queue", "0", err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.analysis_threads, 3);
    ck_assert_int_eq(c.analysis_queue, 0);
    ck_assert_int_eq(srvconf_set(&c, "analysis_queue", "-1", err, sizeof err), HZ_EINVAL);
    unlink(path);
    /* Links: base_url when set (one trailing '/' dropped), else the bind address and port. */
    char base[320];
    srvconf_init(&c);
    srvconf_base(&c, base, sizeof base);
    ck_assert_str_eq(base, "http://127.0.0.1:8080");
    ck_assert_int_eq(srvconf_set(&c, "bind", "::1", err, sizeof err), HZ_OK);
    srvconf_base(&c, base, sizeof base);
    ck_assert_str_eq(base, "http://[::1]:8080");
    ck_assert_int_eq(srvconf_set(&c, "base_url", "https://maps.example.org/hz/", err, sizeof err),
                     HZ_OK);
    srvconf_base(&c, base, sizeof base);
    ck_assert_str_eq(base, "https://maps.example.org/hz");
    const char *bad[] = {"maps.example.org", "ftp://x",     "http://",
                         "https:///x",       "http://a b",  "http://a\"b",
                         "http://a/?q=1",    "http://a/#f", "http://a/<x>"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(srvconf_set(&c, "base_url", bad[i], err, sizeof err) == HZ_EINVAL, "%s",
                      bad[i]);
    ck_assert_str_eq(c.base_url, "https://maps.example.org/hz");
    ck_assert_int_eq(srvconf_set(&c, "base_url", "", err, sizeof err), HZ_OK);
    ck_assert_str_eq(c.base_url, "");
}
END_TEST

/* The hot-spot view packed from the cells' text (hotspack.c, the server's path) is byte for byte
 * the view paging_pack() makes of hotspots_geojson()'s FeatureCollection tree, jansson writing
 * every value: scored and counted cells, squares and hexagons, hidden cells. */
START_TEST(test_hotspack)
{
    enum { N = 2500 };
    hz_points pts = {0};
    pts.x = malloc(N * sizeof *pts.x);
    pts.y = malloc(N * sizeof *pts.y);
    pts.w = malloc(N * sizeof *pts.w);
    pts.idx = malloc(N * sizeof *pts.idx);
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = (double)(x >> 11) / 9007199254740992.0;
        int hot = i % 5 == 0; /* a cluster */
        pts.x[i] = 400000 + (hot ? 1200 + 300 * u : 4000 * u);
        pts.y[i] = 3390000 + (hot ? 1500 + 300 * v : 3000 * v);
        pts.w[i] = 1 + (double)(i % 3);
        pts.idx[i] = i;
    }
    pts.n = N;
    for (int k = 0; k < 4; k++) {
        hotspots_params par;
        hotspots_params_init(&par);
        par.cell = 150;
        par.band = 400;
        par.shape = k & 1 ? HOTSPOTS_HEX : HOTSPOTS_SQUARE;
        hotspots_input in = {&pts, NULL, "EPSG:32648", "", k >= 2, 3};
        disc_policy hide = {.min_count = 5};
        const disc_policy *pol = k == 3 ? &hide : NULL;
        hotspots_result *r = NULL;
        char err[256];
        ck_assert_int_eq(hotspots_compute(&in, &par, &r, NULL, 0, err, sizeof err), HZ_OK);
        unsigned char *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        ck_assert_int_eq(hotspack_pack(r, pol, &a, &alen, err, sizeof err), HZ_OK);
        json_t *fc = NULL;
        ck_assert_int_eq(hotspots_geojson(r, pol, &fc, err, sizeof err), HZ_OK);
        ck_assert_int_eq(paging_pack(fc, &b, &blen), 0);
        size_t n;
        hotspots_cells(r, &n);
        ck_assert_uint_gt(n, 100);
        ck_assert_msg(alen == blen && memcmp(a, b, alen) == 0, "case %d: %zu vs %zu bytes", k, alen,
                      blen);
        free(a);
        free(b);
        json_decref(fc);
        hotspots_free(r);
    }
    free(pts.x);
    free(pts.y);
    free(pts.w);
    free(pts.idx);
}
END_TEST

START_TEST(test_json_out)
{
    /* Coordinates: compared with printf's own rounding to 7 decimals, trailing zeros dropped. */
    const double v[] = {104.0759045, -0.5, 30.65, 0, -179.99999995, 104.12345675, 1e-8, 90};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        jbuf b = {0};
        jbuf_fixed7(&b, v[i]);
        size_t len;
        char *t = jbuf_take(&b, &len);
        char ref[64];
        snprintf(ref, sizeof ref, "%.7f", v[i]);
        char *e = ref + strlen(ref) - 1;
        while (*e == '0')
            *e-- = 0;
        if (*e == '.') *e = 0;
        if (strcmp(ref, "-0") == 0) snprintf(ref, sizeof ref, "0");
        /* equal, except at exact decimal ties where the binary product may round the other way */
        ck_assert_msg(fabs(strtod(t, NULL) - strtod(ref, NULL)) <= 1.000001e-7, "%g: '%s' vs '%s'",
                      v[i], t, ref);
        ck_assert_msg(strtod(t, NULL) == strtod(ref, NULL) || i == 4, "%g: '%s' vs '%s'", v[i], t,
                      ref);
        free(t);
    }
    /* Reals: byte for byte as jansson writes them at 12 digits (the trees' output), so that a
     * view written as text reads as the tree did (".0" on integral values, the exponent's form):
     * fixed values, a million random doubles of every magnitude, and values a hair from a
     * rounding tie in the 12th digit. */
    static const double fixed[] = {
        0,    -0.0, 1,      -2,     0.5,      412546.5, 3393643.0, 1e-5,           1e-4,
        1e11, 1e12, 2.5e20, -1e100, 1.5e-300, 0.1,      1.0 / 3,   99999999999.95, 123456789012.0};
    unsigned long long x = 88172645463325252ULL;
    for (size_t i = 0; i < 1000000 + sizeof fixed / sizeof *fixed; i++) {
        double r;
        if (i < sizeof fixed / sizeof *fixed) {
            r = fixed[i];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            double m = (double)(x >> 11) / 9007199254740992.0;
            int e = (int)(x % 23) - 7;
            r = (i & 1 ? -1 : 1) * m * pow(10.0, e);
            if (i % 4 == 0) /* next to a tie: d.ddddddddddd5 x 10^e */
                r = (i & 2 ? -1 : 1) * (floor(m * 1e11) + 0.5) * pow(10.0, e - 11);
            if (i % 8 == 1) r = floor(m * 1e6) / 2; /* cell centres: halves */
        }
        jbuf rb = {0};
        jbuf_real(&rb, r);
        size_t rlen;
        char *got = jbuf_take(&rb, &rlen);
        json_t *jr = json_real(r);
        char *ref = json_dumps(jr, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
        ck_assert_msg(strcmp(got, ref) == 0, "%.17g: '%s' vs jansson's '%s'", r, got, ref);
        free(ref);
        free(got);
        json_decref(jr);
    }
    jbuf nb = {0};
    jbuf_real(&nb, NAN);
    size_t nlen;
    char *nt = jbuf_take(&nb, &nlen);
    ck_assert_str_eq(nt, "null");
    free(nt);
    /* Strings with quotes, control characters and UTF-8 come back intact through a parser. */
    const char *s = "a\"b\\c\n\t\x01锦江";
    jbuf b = {0};
    jbuf_str(&b, s);
    size_t len;
    char *t = jbuf_take(&b, &len);
    json_t *j = json_loadb(t, len, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), s);
    json_decref(j);
    free(t);
}
END_TEST

/* A reference HTML unescaper of the five entities htmlpage_escape() writes. */
static void html_unescape(const char *in, char *out)
{
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    while (*in) {
        size_t k = 0;
        while (k < 5 && strncmp(in, ent[k][0], strlen(ent[k][0])) != 0)
            k++;
        if (k < 5) {
            *out++ = ent[k][1][0];
            in += strlen(ent[k][0]);
        } else {
            *out++ = *in++;
        }
    }
    *out = 0;
}

START_TEST(test_htmlpage_escape)
{
    /* Random strings over markup characters, letters and UTF-8: the escaped text holds no markup
     * character and unescapes to the original. */
    const char *alphabet[] = {"&", "<", ">", "\"", "'", "a", " ", "锦", "&amp;", "=", "/"};
    unsigned seed = 15;
    for (int round = 0; round < 500; round++) {
        char in[256] = "";
        int n = (int)(rand_r(&seed) % 30);
        for (int i = 0; i < n; i++)
            strcat(in, alphabet[rand_r(&seed) % (sizeof alphabet / sizeof *alphabet)]);
        jbuf b = {0};
        htmlpage_escape(&b, in);
        size_t len;
        char *t = jbuf_take(&b, &len);
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(!strpbrk(t, "<>\"'"), "'%s' escaped to '%s'", in, t);
        char back[2048];
        html_unescape(t, back);
        ck_assert_str_eq(back, in);
        free(t);
    }
}
END_TEST

START_TEST(test_ptindex_matches_brute_force)
{
    make_store();
    char err[512];
    store *st = store_open(dbpath, 0, err, sizeof err);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ptindex *pi = ptindex_new(s);
    ck_assert_ptr_nonnull(pi);
    const hz_incident *it = incset_items(s);
    /* Many boxes, including ones whose edges fall exactly on incident coordinates. */
    for (int k = 0; k < 200; k++) {
        double w = 104.0 + 0.001 * (k % 40), e = w + 0.002 * (1 + k % 50);
        double so = 30.0 + 0.0005 * (k % 7), no = 30.05 + 0.01 * (k % 3);
        if (k % 5 == 0) w = it[k % incset_count(s)].lon;
        double bb[4] = {w, so, e, no};
        uint32_t *idx;
        size_t n;
        ck_assert_int_eq(ptindex_query(pi, bb, &idx, &n), HZ_OK);
        size_t m = 0;
        for (size_t i = 0; i < incset_count(s); i++) {
            if (it[i].lon < bb[0] || it[i].lon > bb[2] || it[i].lat < bb[1] || it[i].lat > bb[3])
                continue;
            ck_assert_uint_lt(m, n);
            ck_assert_uint_eq(idx[m], i); /* same positions, same (ascending) order */
            m++;
        }
        ck_assert_uint_eq(m, n);
        free(idx);
    }
    ptindex_free(pi);
    incset_free(s);
    store_close(st);
    rm_store();
}
END_TEST

Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_qparam_numbers);
    tcase_add_test(tc, test_qparam_bbox);
    tcase_add_test(tc, test_qparam_datetime);
    tcase_add_test(tc, test_request_args);
    tcase_add_test(tc, test_accept_and_bearer);
    tcase_add_test(tc, test_wkb_geojson);
    tcase_add_test(tc, test_wkb_geojson_matches_ogr);
    tcase_add_test(tc, test_tokens);
    tcase_add_test(tc, test_app_routes);
    tcase_add_test(tc, test_wpool);
    tcase_add_test(tc, test_app_offload);
    tcase_add_test(tc, test_metrics_render);
    tcase_add_test(tc, test_webroot);
    tcase_add_test(tc, test_srvconf);
    tcase_add_test(tc, test_json_out);
    tcase_add_test(tc, test_hotspack);
    tcase_add_test(tc, test_htmlpage_escape);
    tcase_add_test(tc, test_ptindex_matches_brute_force);
    suite_add_tcase(s, tc);
    return s;
}
