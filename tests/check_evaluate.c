/* check_evaluate.c - tests of the before/after rate ratio, the ratio of rate ratios and the
 * window counting. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/evaluate.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

START_TEST(test_textbook_rate_ratio)
{
    /* The textbook case quoted in issue 3: a = 136 cases over 22,050 person-years vs
     * b = 1,709 over 127,650 -> RR 0.4607, 95 % CI 0.3869 - 0.5486 (to 4 decimals). */
    double rr, lo, hi;
    ck_assert_int_eq(evaluate_rate_ratio(136, 22050, 1709, 127650, &rr, &lo, &hi), 0);
    ck_assert_msg(fabs(rr - 0.4607) < 0.00005, "rr %.6f", rr);
    ck_assert_msg(fabs(lo - 0.3869) < 0.00005, "lo %.6f", lo);
    ck_assert_msg(fabs(hi - 0.5486) < 0.00005, "hi %.6f", hi);
}
END_TEST

START_TEST(test_ratio_of_rate_ratios)
{
    /* RRR = RR1 / RR2 with SE(ln RRR) = sqrt(SE1^2 + SE2^2), the SEs recovered from each RR's
     * interval width (Altman & Bland 2003): a second route to the same numbers. */
    double r1, l1, h1, r2, l2, h2, r, l, h;
    evaluate_rate_ratio(12, 1000, 30, 1000, &r1, &l1, &h1);
    evaluate_rate_ratio(18, 1600, 20, 1600, &r2, &l2, &h2);
    ck_assert_int_eq(evaluate_rrr(12, 1000, 30, 1000, 18, 1600, 20, 1600, &r, &l, &h), 0);
    double se1 = (log(h1) - log(l1)) / (2 * 1.959963984540054);
    double se2 = (log(h2) - log(l2)) / (2 * 1.959963984540054);
    double se = sqrt(se1 * se1 + se2 * se2);
    ck_assert(fabs(r - r1 / r2) < 1e-12);
    ck_assert(fabs(l - r1 / r2 * exp(-1.959963984540054 * se)) < 1e-12);
    ck_assert(fabs(h - r1 / r2 * exp(1.959963984540054 * se)) < 1e-12);
    ck_assert(fabs(r - (0.4 / 0.9)) < 1e-12);
}
END_TEST

START_TEST(test_zero_counts)
{
    double rr, lo, hi;
    /* One zero: 0.5 added to both counts (Haldane-Anscombe). */
    ck_assert_int_eq(evaluate_rate_ratio(0, 100, 10, 100, &rr, &lo, &hi), 1);
    ck_assert(fabs(rr - 0.5 / 10.5) < 1e-12);
    ck_assert(fabs(hi - rr * exp(1.959963984540054 * sqrt(1 / 0.5 + 1 / 10.5))) < 1e-12);
    /* Both zero: undefined. */
    ck_assert_int_eq(evaluate_rate_ratio(0, 100, 0, 100, &rr, &lo, &hi), -1);
    ck_assert(isnan(rr) && isnan(lo) && isnan(hi));
    ck_assert_int_eq(evaluate_rate_ratio(3, 0, 4, 100, &rr, &lo, &hi), -1);
    ck_assert_int_eq(evaluate_rrr(0, 1, 5, 1, 5, 1, 5, 1, &rr, &lo, &hi), 1);
    ck_assert(fabs(rr - (0.5 / 5.5) / (5.5 / 5.5)) < 1e-12);
}
END_TEST

static char dbpath[80];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-evaluate-%d.sqlite", (int)getpid());
    unlink(dbpath);
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
}

static int put(store *st, int *id, const char *area, int mech, int64_t t)
{
    char err[256], sid[16];
    snprintf(sid, sizeof sid, "%d", (*id)++);
    hz_incident_rec r = {.source = "t",
                         .source_id = sid,
                         .victims = 1,
                         .age = -1,
                         .disability = -1,
                         .mechanism = mech,
                         .area_code = area,
                         .t = t,
                         .lon = strcmp(area, "A") == 0 ? 104.05 : 104.15,
                         .lat = 30.05};
    store_put_outcome o;
    return store_incident_put(st, &r, &o, err, sizeof err);
}

START_TEST(test_evaluate_windows)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char w1[128], w2[128];
    hz_area_rec a = {.code = "A", .name = "A", .level = "subdistrict", .population = 50000};
    a.wkb = w1;
    a.wkb_len = tu_square_wkb(w1, 104.0, 30.0, 104.1, 30.1);
    hz_area_rec b = {.code = "B", .name = "B", .level = "subdistrict", .population = 80000};
    b.wkb = w2;
    b.wkb_len = tu_square_wkb(w2, 104.1, 30.0, 104.2, 30.1);
    hz_area_rec c = {.code = "C", .name = "C", .level = "subdistrict", .population = -1};
    c.wkb = w2;
    c.wkb_len = b.wkb_len;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &c, err, sizeof err), HZ_OK);
    int64_t start;
    ck_assert_int_eq(hztime_parse_iso("2013-07-01", HZ_TZ_SHANGHAI, &start), 0);
    const int64_t D = 86400, Y = 365 * D;
    int id = 0;
    /* A: 30 traffic before (the first exactly at start - 365 d: inside), 12 after (the first
     * exactly at start: after); plus 5 falls before, one traffic exactly at start + 365 d
     * (outside) and one 1 s before start - 365 d (outside). */
    for (int k = 0; k < 30; k++)
        ck_assert_int_eq(put(st, &id, "A", HZ_MECH_MVT_OTHER, start - Y + k * D), HZ_OK);
    for (int k = 0; k < 12; k++)
        ck_assert_int_eq(put(st, &id, "A", HZ_MECH_MVT_OTHER, start + k * D), HZ_OK);
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(put(st, &id, "A", HZ_MECH_FALL, start - 10 * D), HZ_OK);
    ck_assert_int_eq(put(st, &id, "A", HZ_MECH_MVT_OTHER, start + Y), HZ_OK);
    ck_assert_int_eq(put(st, &id, "A", HZ_MECH_MVT_OTHER, start - Y - 1), HZ_OK);
    /* B: 20 before, 18 after. */
    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(put(st, &id, "B", HZ_MECH_MVT_OTHER, start - 100 * D + k), HZ_OK);
    for (int k = 0; k < 18; k++)
        ck_assert_int_eq(put(st, &id, "B", HZ_MECH_MVT_OTHER, start + 100 * D + k), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    hz_filter f;
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "mechanism", "traffic", err, sizeof err), HZ_OK);
    evaluate_result r;
    ck_assert_int_eq(evaluate_run(s, &f, "A", "B", start, 365, 365, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.area.before.count, 30);
    ck_assert_int_eq(r.area.after.count, 12);
    ck_assert_int_eq(r.comparison.before.count, 20);
    ck_assert_int_eq(r.comparison.after.count, 18);
    double py = 50000 * 365 / 365.25;
    ck_assert(fabs(r.area.before.person_years - py) < 1e-6);
    ck_assert(fabs(r.area.after.rate - 12 / py * 1e5) < 1e-9);
    ck_assert(fabs(r.area.rr - 0.4) < 1e-12);
    ck_assert(fabs(r.area.rr_lo - 0.4 * exp(-1.959963984540054 * sqrt(1 / 12.0 + 1 / 30.0))) <
              1e-12);
    ck_assert(fabs(r.comparison.rr - 0.9) < 1e-12);
    ck_assert(fabs(r.rrr - 0.4 / 0.9) < 1e-12);
    json_t *j;
    ck_assert_int_eq(evaluate_json(&r, NULL, &j, err, sizeof err), HZ_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "after"), "count")), 12);
    ck_assert(fabs(json_real_value(json_object_get(j, "rrr")) - 0.4 / 0.9) < 1e-12);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(j, "comparison"), "rr_lo"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "before"), "from")),
                     "2012-07-01T00:00:00+08:00");
    json_decref(j);
    /* Public suppression: A's after count (12) < 15. */
    ck_assert_int_eq(evaluate_json(&r, &(disc_policy){.min_count = 15}, &j, err, sizeof err),
                     HZ_OK);
    ck_assert(json_is_null(json_object_get(json_object_get(j, "after"), "count")));
    ck_assert(json_is_null(json_object_get(j, "rr")));
    /* Nothing derived from the hidden count may remain: the provenance total (30 + 12 + 20 + 18
     * less the visible 30, 20, 18 would be 12), RR's CI and the zero-correction flag. */
    json_t *prov = json_object_get(j, "provenance");
    ck_assert_ptr_nonnull(json_object_get(prov, "incidents"));
    ck_assert(json_is_null(json_object_get(prov, "incidents")));
    ck_assert(json_is_null(json_object_get(j, "rr_lo")));
    ck_assert(json_is_null(json_object_get(j, "rr_hi")));
    ck_assert(json_is_null(json_object_get(j, "rrr")));
    ck_assert(json_is_true(json_object_get(j, "suppressed")));
    ck_assert_ptr_null(json_object_get(j, "zero_corrected"));
    json_t *arm = json_object_get(j, "comparison");
    ck_assert(json_is_true(json_object_get(arm, "suppressed")) == 0);
    ck_assert(fabs(json_real_value(json_object_get(arm, "rr")) - 0.9) < 1e-12);
    ck_assert_ptr_nonnull(json_object_get(arm, "zero_corrected"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(arm, "after"), "count")),
                     18);
    json_decref(j);
    /* A threshold under every count hides nothing: the total is shown. */
    ck_assert_int_eq(evaluate_json(&r, &(disc_policy){.min_count = 5}, &j, err, sizeof err), HZ_OK);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "provenance"), "incidents")),
        30 + 12 + 20 + 18);
    ck_assert(json_is_false(json_object_get(j, "zero_corrected")));
    ck_assert(json_is_false(json_object_get(j, "suppressed")));
    json_decref(j);
    /* Without the mechanism filter the falls count too. */
    filter_init(&f);
    ck_assert_int_eq(evaluate_run(s, &f, "A", NULL, start, 365, 365, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.area.before.count, 35);
    ck_assert(isnan(r.rrr));
    /* Shorter windows: 10 days after, 10 days before. */
    ck_assert_int_eq(evaluate_run(s, &f, "A", NULL, start, 10, 10, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.area.after.count, 10);
    ck_assert_int_eq(r.area.before.count, 5);
    ck_assert_int_eq(evaluate_run(s, &f, "C", NULL, start, 365, 365, &r, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "population"));
    ck_assert_int_eq(evaluate_run(s, &f, "Z", NULL, start, 365, 365, &r, err, sizeof err),
                     HZ_EINVAL);
    incset_free(s);
    store_close(st);
}
END_TEST

Suite *evaluate_suite(void)
{
    Suite *s = suite_create("evaluate");
    TCase *tc = tcase_create("evaluate");
    tcase_add_checked_fixture(tc, tmpdb, tmpdb_rm);
    tcase_add_test(tc, test_textbook_rate_ratio);
    tcase_add_test(tc, test_ratio_of_rate_ratios);
    tcase_add_test(tc, test_zero_counts);
    tcase_add_test(tc, test_evaluate_windows);
    suite_add_tcase(s, tc);
    return s;
}
