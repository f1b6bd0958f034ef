/* check_projeval.c - the evaluation of a project (projeval.h) on hand-built snapshots: windows,
 * counts and comparison areas by brute force over the incidents the test wrote, the ITS series,
 * the EB before/after sums by hand with the screening's SPF, disclosure and refusals. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/its.h"
#include "hazmap/projeval.h"
#include "hazmap/roadnet.h"
#include "hazmap/screen.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

#define DAY 86400
#define NAREA 6

static char dbpath[80];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-projeval-%d.sqlite", (int)getpid());
    tu_remove_db(dbpath);
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
}

/* The incidents the test wrote, for the brute-force counts. */
typedef struct wrote {
    int area, traffic;
    int64_t t;
    double lon, lat;
} wrote;

static wrote *W;
static size_t NW;
static uint64_t lcg = 12345;

static double unif(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static int64_t local_date(int y, int m, int d)
{
    return hztime_days_from_civil(y, m, d) * DAY - HZ_TZ_SHANGHAI;
}

static void put(store *st, const char *code, int area, int traffic, int64_t t, double lon,
                double lat)
{
    char err[256], sid[16];
    snprintf(sid, sizeof sid, "%zu", NW);
    hz_incident_rec r = {.source = "t",
                         .source_id = sid,
                         .victims = 1,
                         .age = -1,
                         .disability = -1,
                         .mechanism = traffic ? HZ_MECH_MVT_OTHER : HZ_MECH_FALL,
                         .area_code = code,
                         .t = t,
                         .lon = lon,
                         .lat = lat};
    store_put_outcome o;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    wrote *grown = realloc(W, (NW + 1) * sizeof *W);
    ck_assert_ptr_nonnull(grown);
    W = grown;
    W[NW++] = (wrote){area, traffic, t, lon, lat};
}

static const char *const codes[NAREA] = {"A", "B", "C", "D", "E", "F"};
static const int64_t pops[NAREA] = {50000, 40000, 60000, 45000, 55000, 30000};

/* Six sub-districts side by side (0.1 degree squares), 2010-01 .. 2014-12 of incidents: area i
 * has a traffic rate rising with i, A's rate halves from 2013-01-01; a fall for every third. */
static incset *area_snapshot(store **stp)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    unsigned char wkb[NAREA][128];
    for (int i = 0; i < NAREA; i++) {
        hz_area_rec a = {
            .code = codes[i], .name = codes[i], .level = "subdistrict", .population = pops[i]};
        a.wkb = wkb[i];
        a.wkb_len = tu_square_wkb(wkb[i], 104.0 + 0.1 * i, 30.0, 104.1 + 0.1 * i, 30.1);
        ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    }
    free(W);
    W = NULL;
    NW = 0;
    int64_t t0 = local_date(2010, 1, 1), t1 = local_date(2015, 1, 1), cut = local_date(2013, 1, 1);
    for (int i = 0; i < NAREA; i++) {
        int n = 150 + 60 * i;
        for (int k = 0; k < n; k++) {
            int64_t t = t0 + (int64_t)(unif() * (double)(t1 - t0));
            if (i == 0 && t >= cut && unif() < 0.5) continue;
            put(st, codes[i], i, k % 3 != 0, t, 104.05 + 0.1 * i, 30.05);
        }
    }
    /* The data span whole months 2010-01 .. 2014-12: a fall (not a target) on the first and
     * the last day. */
    put(st, "F", 5, 0, t0 + 12 * 3600, 104.55, 30.05);
    put(st, "F", 5, 0, t1 - 12 * 3600, 104.55, 30.05);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    *stp = st;
    return s;
}

static void brute(int area, int64_t a, int64_t b, int64_t c, long *before, long *after)
{
    *before = *after = 0;
    for (size_t k = 0; k < NW; k++) {
        if (W[k].area != area || !W[k].traffic) continue;
        if (W[k].t >= a && W[k].t < b) ++*before;
        if (W[k].t >= b && W[k].t < c) ++*after;
    }
}

static hz_project area_project(char **areas, size_t n)
{
    hz_project p;
    memset(&p, 0, sizeof p);
    p.group = (char *)"traffic";
    p.target = (char *)"mechanism=traffic";
    p.areas = areas;
    p.nareas = n;
    snprintf(p.start, sizeof p.start, "2013-01-01");
    snprintf(p.end, sizeof p.end, "2013-12-31");
    return p;
}

static json_t *method(json_t *r, const char *name)
{
    json_t *m = json_object_get(r, "methods");
    for (size_t k = 0; k < json_array_size(m); k++)
        if (strcmp(json_string_value(json_object_get(json_array_get(m, k), "method")), name) == 0)
            return json_array_get(m, k);
    return NULL;
}

static double jnum(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

START_TEST(test_area_project)
{
    store *st;
    incset *s = area_snapshot(&st);
    char *areas[] = {(char *)"A"};
    hz_project p = area_project(areas, 1);
    projeval_opts o = {0};
    json_t *r = NULL;
    char err[512];
    ck_assert_msg(projeval_run(s, &p, &o, &r, err, sizeof err) == HZ_OK, "%s", err);
    int64_t b = local_date(2013, 1, 1), c = local_date(2014, 1, 1), a = b - 365 * DAY;
    ck_assert_int_eq(json_integer_value(json_object_get(r, "days")), 365);
    json_t *rr = method(r, "rate_ratio");
    ck_assert_ptr_nonnull(rr);
    long nb, na;
    brute(0, a, b, c, &nb, &na);
    ck_assert_int_eq(json_integer_value(json_object_get(rr, "before")), nb);
    ck_assert_int_eq(json_integer_value(json_object_get(rr, "after")), na);
    ck_assert(fabs(jnum(rr, "rr") - (double)na / (double)nb) < 1e-12);
    /* The automatic comparison: the 3 other areas with the closest before-window rates. */
    double rate0 = (double)nb / pops[0], d[NAREA];
    long cb[NAREA], ca[NAREA];
    for (int i = 1; i < NAREA; i++) {
        brute(i, a, b, c, &cb[i], &ca[i]);
        d[i] = fabs((double)cb[i] / pops[i] - rate0);
    }
    int chosen[NAREA] = {0};
    long pb = 0, pa = 0;
    for (int q = 0; q < 3; q++) {
        int best = -1;
        for (int i = 1; i < NAREA; i++)
            if (!chosen[i] && (best < 0 || d[i] < d[best])) best = i;
        chosen[best] = 1;
        pb += cb[best];
        pa += ca[best];
    }
    json_t *ca_json = json_object_get(rr, "comparison_areas");
    ck_assert_uint_eq(json_array_size(ca_json), 3);
    for (size_t k = 0; k < 3; k++) {
        const char *code = json_string_value(json_array_get(ca_json, k));
        ck_assert_msg(chosen[code[0] - 'A'], "%s was not among the closest", code);
    }
    ck_assert_int_eq(json_integer_value(json_object_get(rr, "comparison_before")), pb);
    ck_assert_int_eq(json_integer_value(json_object_get(rr, "comparison_after")), pa);
    ck_assert(fabs(jnum(rr, "rrr") - ((double)na / nb) / ((double)pa / pb)) < 1e-12);
    double z = fabs(log((double)na / nb)) / sqrt(1.0 / na + 1.0 / nb);
    ck_assert(fabs(jnum(rr, "rr_p") - erfc(z / sqrt(2.0))) < 1e-9);
    /* ITS: 36 months before 2013-01; the series by brute force; the effect is its level change. */
    json_t *its = method(r, "its");
    ck_assert_ptr_nonnull(its);
    json_t *series = json_object_get(its, "monthly_counts");
    ck_assert_uint_eq(json_array_size(series), 48); /* 2010-01 .. 2013-12 */
    double y[48] = {0}, e[48];
    for (size_t k = 0; k < NW; k++) {
        if (W[k].area != 0 || !W[k].traffic) continue;
        int yy, mm, dd;
        hztime_civil_from_days((W[k].t + HZ_TZ_SHANGHAI) / DAY, &yy, &mm, &dd);
        int mi = (yy - 2010) * 12 + mm - 1;
        if (mi < 48) y[mi]++;
    }
    for (int k = 0; k < 48; k++) {
        ck_assert_int_eq(json_integer_value(json_array_get(series, (size_t)k)), (long)y[k]);
        int yy = 2010 + k / 12, mm = k % 12 + 1;
        e[k] = (double)pops[0] *
               (double)(hztime_days_from_civil(mm == 12 ? yy + 1 : yy, mm == 12 ? 1 : mm + 1, 1) -
                        hztime_days_from_civil(yy, mm, 1));
    }
    its_data id = {48, y, e, 1, 36, ITS_SEASON_MONTHS};
    its_result ir;
    ck_assert_int_eq(its_fit(&id, &ir, err, sizeof err), HZ_OK);
    json_t *eff = json_object_get(r, "effect");
    ck_assert_str_eq(json_string_value(json_object_get(eff, "method")), "its");
    ck_assert(fabs(jnum(eff, "estimate") - exp(ir.level.est)) < 1e-12);
    json_decref(r);
    /* Given comparison areas; and the public version hides what A's small count gives away. */
    const char *cmp[] = {"B", "C"};
    o.compare = cmp;
    o.ncompare = 2;
    ck_assert_int_eq(projeval_run(s, &p, &o, &r, err, sizeof err), HZ_OK);
    rr = method(r, "rate_ratio");
    long b1, a1, b2, a2;
    brute(1, a, b, c, &b1, &a1);
    brute(2, a, b, c, &b2, &a2);
    ck_assert(fabs(jnum(rr, "rrr") - ((double)na / nb) / ((double)(a1 + a2) / (b1 + b2))) < 1e-12);
    ck_assert_str_eq(json_string_value(json_object_get(rr, "comparison_chosen")), "given");
    json_decref(r);
    disc_policy pol = {.min_count = (int)na + 1};
    o.pol = &pol;
    ck_assert_int_eq(projeval_run(s, &p, &o, &r, err, sizeof err), HZ_OK);
    rr = method(r, "rate_ratio");
    ck_assert(json_is_null(json_object_get(rr, "after")) &&
              json_is_null(json_object_get(rr, "rr")));
    ck_assert(json_is_true(json_object_get(rr, "suppressed")));
    json_decref(r);
    o.pol = NULL;
    o.ncompare = 0;
    /* 23 months before the start: no ITS, the effect is the RRR. */
    snprintf(p.start, sizeof p.start, "2011-12-01");
    p.end[0] = 0;
    ck_assert_int_eq(projeval_run(s, &p, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_ptr_null(method(r, "its"));
    ck_assert_int_eq(json_integer_value(json_object_get(r, "days")), 365);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     json_array_get(json_object_get(r, "skipped"), 0), "reason")),
                                 "at least 24"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "effect"), "method")),
                     "rate_ratio");
    json_decref(r);
    /* Refusals name the member. */
    char *bad[] = {(char *)"Z"};
    hz_project q = area_project(bad, 1);
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "areas"));
    q = area_project(areas, 1);
    snprintf(q.start, sizeof q.start, "2013-13-01");
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "start"));
    q = area_project(areas, 1);
    q.target = (char *)"colour=red";
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "target"));
    char *twice[] = {(char *)"B", (char *)"B"};
    q = area_project(twice, 2);
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "overlap"));
    q = area_project(NULL, 0);
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "location"));
    /* The group's filter when the target is empty: traffic for the traffic group. */
    q = area_project(areas, 1);
    q.target = (char *)"";
    ck_assert_int_eq(projeval_run(s, &q, &o, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(method(r, "rate_ratio"), "before")), nb);
    json_decref(r);
    incset_free(s);
    store_close(st);
}
END_TEST

/* A 5 x 5 grid of roads 0.01 degree apart: 9 inner junctions (degree 4), 12 edge junctions
 * (degree 3), 4 corners (degree 2, not junctions). Crashes at every junction node, in 2013
 * (before) and 2014 (after); the treated junction has 24 before and 6 after. */
START_TEST(test_site_project)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    unsigned char wkb[128];
    hz_area_rec ar = {.code = "A", .name = "A", .level = "subdistrict", .population = 100000};
    ar.wkb = wkb;
    ar.wkb_len = tu_square_wkb(wkb, 103.99, 29.99, 104.05, 30.05);
    ck_assert_int_eq(store_area_put(st, &ar, err, sizeof err), HZ_OK);
    free(W);
    W = NULL;
    NW = 0;
    int64_t b = local_date(2013, 1, 1), c = local_date(2014, 1, 1), e = local_date(2015, 1, 1);
    int treated = 2 * 5 + 2; /* node (2, 2): inner */
    int nb[25], na[25];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            int v = i * 5 + j, deg = (i % 4 ? 2 : 1) + (j % 4 ? 2 : 1);
            nb[v] = v == treated ? 24 : (int)(unif() * 4 * deg);
            na[v] = v == treated ? 6 : (int)(unif() * 4 * deg);
            for (int k = 0; k < nb[v] + na[v]; k++) {
                int64_t t = k < nb[v] ? b + (int64_t)(unif() * (double)(c - b))
                                      : c + (int64_t)(unif() * (double)(e - c));
                put(st, "A", 0, 1, t, 104.0 + 0.01 * j, 30.0 + 0.01 * i);
            }
        }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    workcrs *w = workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    /* Segments: node (i, j) has id 100 + 5 i + j. */
    roadnet_seg_in in[40];
    double lon[40][2], lat[40][2], x[40][2], y[40][2];
    size_t ns = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            for (int dir = 0; dir < 2; dir++) {
                int i2 = i + (dir == 1), j2 = j + (dir == 0);
                if (i2 > 4 || j2 > 4) continue;
                lon[ns][0] = 104.0 + 0.01 * j, lat[ns][0] = 30.0 + 0.01 * i;
                lon[ns][1] = 104.0 + 0.01 * j2, lat[ns][1] = 30.0 + 0.01 * i2;
                ck_assert_int_eq(workcrs_forward(w, 2, lon[ns], lat[ns], x[ns], y[ns]), HZ_OK);
                in[ns] = (roadnet_seg_in){.id = (int64_t)ns + 1,
                                          .from = 100 + 5 * i + j,
                                          .to = 100 + 5 * i2 + j2,
                                          .npts = 2,
                                          .x = x[ns],
                                          .y = y[ns],
                                          .lon = lon[ns],
                                          .lat = lat[ns],
                                          .lanes = -1,
                                          .volume = NAN};
                ns++;
            }
    roadnet *net = roadnet_build(ns, in, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    hz_project p;
    memset(&p, 0, sizeof p);
    p.group = (char *)"traffic";
    p.target = (char *)"";
    char id[16];
    snprintf(id, sizeof id, "J%d", 100 + treated);
    char *sites[] = {id};
    p.sites = sites;
    p.nsites = 1;
    snprintf(p.start, sizeof p.start, "2014-01-01");
    snprintf(p.end, sizeof p.end, "2014-12-31");
    projeval_opts o = {net, w, NULL, 0, NULL};
    json_t *r = NULL;
    ck_assert_msg(projeval_run(s, &p, &o, &r, err, sizeof err) == HZ_OK, "%s", err);
    json_t *m = method(r, "eb_before_after");
    ck_assert_ptr_nonnull(m);
    ck_assert(jnum(m, "observed_before") == 24 && jnum(m, "observed_after") == 6);
    /* By hand, with the SPF the screening fits over the before window. */
    hz_filter f;
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "mechanism", "traffic", err, sizeof err), HZ_OK);
    f.from = b;
    f.to = c;
    screen_result *sr;
    ck_assert_int_eq(screen_run(net, s, &f, NULL, &sr, err, sizeof err), HZ_OK);
    double mu = screen_spf_junction(&sr->spf.junction, 4), k = sr->spf.junction.k;
    ck_assert(isfinite(mu));
    double P = mu * 365 / 365.25, wgt = 1 / (1 + k * P), N = wgt * P + (1 - wgt) * 24;
    double V = N * (1 - wgt), th1 = 6 / N, th = th1 / (1 + V / (N * N));
    double se = sqrt(th1 * th1 * (1.0 / 6 + V / (N * N))) / (1 + V / (N * N));
    ck_assert_msg(fabs(jnum(m, "theta") - th) < 1e-9, "theta %g vs %g", jnum(m, "theta"), th);
    ck_assert(fabs(jnum(m, "se") - se) < 1e-9);
    ck_assert(fabs(jnum(m, "expected_after") - N) < 1e-9);
    json_t *eff = json_object_get(r, "effect");
    ck_assert_str_eq(json_string_value(json_object_get(eff, "method")), "eb_before_after");
    const char *want = th + 1.959963984540054 * se < 1 ? "reduced" : "no_evidence";
    ck_assert_str_eq(json_string_value(json_object_get(eff, "verdict")), want);
    json_decref(r);
    /* The same junction as a drawn point 10 m off with a 30 m buffer. */
    double plon = 104.02 + 0.0001, plat = 30.02;
    p.nsites = 0;
    p.wkb = (unsigned char[21]){1, 1, 0, 0, 0};
    memcpy(p.wkb + 5, &plon, 8);
    memcpy(p.wkb + 13, &plat, 8);
    p.wkb_len = 21;
    p.buffer_m = 30;
    ck_assert_msg(projeval_run(s, &p, &o, &r, err, sizeof err) == HZ_OK, "%s", err);
    m = method(r, "eb_before_after");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(m, "sites"), 0)), id);
    ck_assert(fabs(jnum(m, "theta") - th) < 1e-9);
    json_decref(r);
    /* Unknown site, no network. */
    p.wkb = NULL;
    p.wkb_len = 0;
    sites[0] = (char *)"J999";
    p.nsites = 1;
    ck_assert_int_eq(projeval_run(s, &p, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "J999"));
    o.net = NULL;
    ck_assert_int_eq(projeval_run(s, &p, &o, &r, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "road network"));
    screen_free(sr);
    roadnet_free(net);
    workcrs_free(w);
    incset_free(s);
    store_close(st);
}
END_TEST

static void free_wrote(void)
{
    free(W);
    W = NULL;
    NW = 0;
    tmpdb_rm();
}

Suite *projeval_suite(void)
{
    Suite *s = suite_create("projeval");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tmpdb, free_wrote);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_area_project);
    tcase_add_test(tc, test_site_project);
    suite_add_tcase(s, tc);
    return s;
}
