/* check_rates.c - tests of the exact Poisson intervals and of area rates on a small store. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/poisson.h"
#include "hazmap/rates.h"
#include "hazmap/store.h"

/* P(X <= k | mu) summed term by term: an independent route to the interval. */
static double pois_cdf(int k, double mu)
{
    if (k < 0) return 0.0;
    double term = exp(-mu), sum = term;
    for (int j = 1; j <= k; j++) {
        term *= mu / j;
        sum += term;
    }
    return sum;
}

/* mu in [lo, hi] with f(mu) = target for f decreasing in mu, by bisection. */
static double bisect_cdf(int k, double target, double lo, double hi)
{
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (pois_cdf(k, mid) > target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void ref_ci(int k, double conf, double *lo, double *hi)
{
    double a2 = (1 - conf) / 2, top = k + 20 * sqrt(k + 1.0) + 20;
    *lo = k == 0 ? 0 : bisect_cdf(k - 1, 1 - a2, 0, top); /* P(X >= k | lo) = a2 */
    *hi = bisect_cdf(k, a2, 0, top);                      /* P(X <= k | hi) = a2 */
}

START_TEST(test_poisson_published)
{
    /* Exact 95 % limits as tabulated (e.g. Ulm 1990, Am J Epidemiol 131:373; the same values
     * appear in Rothman & Boice and Haenszel et al.'s tables), 4 significant digits. */
    static const struct {
        int k;
        double lo, hi, tol_lo, tol_hi;
    } t[] = {{0, 0, 3.689, 0, 0.0005},
             {1, 0.0253, 5.572, 0.00005, 0.0005},
             {2, 0.2422, 7.225, 0.00005, 0.0005},
             {5, 1.623, 11.67, 0.0005, 0.005},
             {10, 4.795, 18.39, 0.0005, 0.005},
             {20, 12.22, 30.89, 0.005, 0.005},
             {100, 81.36, 121.6, 0.005, 0.05}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        double lo, hi;
        ck_assert_int_eq(poisson_ci(t[i].k, 0.95, &lo, &hi), 0);
        ck_assert_msg(fabs(lo - t[i].lo) <= t[i].tol_lo, "k=%d lo %.6f", t[i].k, lo);
        ck_assert_msg(fabs(hi - t[i].hi) <= t[i].tol_hi, "k=%d hi %.6f", t[i].k, hi);
    }
    double lo, hi;
    ck_assert_int_eq(poisson_ci(-1, 0.95, &lo, &hi), -1);
    ck_assert_int_eq(poisson_ci(3, 1.0, &lo, &hi), -1);
}
END_TEST

START_TEST(test_poisson_against_cdf_bisection)
{
    const double confs[] = {0.95, 0.90, 0.99};
    for (size_t c = 0; c < 3; c++) {
        for (int k = 0; k <= 150; k += (k < 30 ? 1 : 7)) {
            double lo, hi, rlo, rhi;
            ck_assert_int_eq(poisson_ci(k, confs[c], &lo, &hi), 0);
            ref_ci(k, confs[c], &rlo, &rhi);
            ck_assert_msg(fabs(lo - rlo) <= 1e-9 * (1 + rlo), "k=%d conf %.2f lo %.12g vs %.12g", k,
                          confs[c], lo, rlo);
            ck_assert_msg(fabs(hi - rhi) <= 1e-9 * (1 + rhi), "k=%d conf %.2f hi %.12g vs %.12g", k,
                          confs[c], hi, rhi);
        }
    }
}
END_TEST

START_TEST(test_incomplete_gamma_closed_forms)
{
    /* P(1, x) = 1 - exp(-x); P(1/2, x) = erf(sqrt x); Q(1/2, x) = erfc(sqrt x). */
    for (double x = 0.01; x < 60; x *= 1.37) {
        ck_assert(fabs(poisson_gamma_p(1, x) - (-expm1(-x))) < 1e-14);
        ck_assert(fabs(poisson_gamma_p(0.5, x) - erf(sqrt(x))) < 1e-14);
        double q = poisson_gamma_q(0.5, x), rq = erfc(sqrt(x));
        ck_assert_msg(fabs(q - rq) <= 1e-12 * rq, "Q(0.5,%g) %.17g vs %.17g", x, q, rq);
        /* Inverse round trips, both tails. */
        double p = poisson_gamma_p(3.5, x);
        if (p > 1e-300 && p < 1 - 1e-12)
            ck_assert(fabs(poisson_gamma_p_inv(3.5, p) - x) <= 1e-9 * x);
        double qq = poisson_gamma_q(3.5, x);
        if (qq > 1e-300 && qq < 1 - 1e-12)
            ck_assert(fabs(poisson_gamma_q_inv(3.5, qq) - x) <= 1e-9 * x);
    }
    ck_assert(isnan(poisson_gamma_p(0, 1)));
    ck_assert(isnan(poisson_gamma_p(1, -1)));
}
END_TEST

/* ---- rates on a small store ---- */

static char dbpath[80];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-rates-%d.sqlite", (int)getpid());
    unlink(dbpath);
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
}

/* District D (population 100,000) = S1 (60,000) + S2 (40,000). In 2013: S1 has 25 traffic
 * incidents (age 30, male) and 4 falls (age 70, female); S2 has 7 traffic (age 10, sex unknown);
 * one traffic incident in 2012 and one outside every area. */
static store *make_store(void)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char w1[128], w2[128], w3[128];
    hz_area_rec d = {.code = "D", .name = "锦江区", .level = "district", .population = 100000};
    d.wkb = w1;
    d.wkb_len = tu_square_wkb(w1, 104.0, 30.0, 104.2, 30.2);
    hz_area_rec s1 = {.code = "S1",
                      .name = "春熙路街道",
                      .level = "subdistrict",
                      .parent_code = "D",
                      .population = 60000};
    s1.wkb = w2;
    s1.wkb_len = tu_square_wkb(w2, 104.0, 30.0, 104.1, 30.2);
    hz_area_rec s2 = {.code = "S2",
                      .name = "Shuyan, \"east\"",
                      .level = "subdistrict",
                      .parent_code = "D",
                      .population = 40000};
    s2.wkb = w3;
    s2.wkb_len = tu_square_wkb(w3, 104.1, 30.0, 104.2, 30.2);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &d, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &s1, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &s2, err, sizeof err), HZ_OK);
    int64_t t2013, t2012;
    hztime_parse_iso("2013-03-01T10:00:00+08:00", 0, &t2013);
    hztime_parse_iso("2012-03-01T10:00:00+08:00", 0, &t2012);
    int id = 0;
    struct {
        int n, mech, age, sex;
        const char *area;
        int64_t t;
    } groups[] = {{25, HZ_MECH_MVT_OTHER, 30, HZ_SEX_MALE, "S1", t2013},
                  {4, HZ_MECH_FALL, 70, HZ_SEX_FEMALE, "S1", t2013},
                  {7, HZ_MECH_MVT_OTHER, 10, HZ_SEX_UNKNOWN, "S2", t2013},
                  {1, HZ_MECH_MVT_OTHER, 40, HZ_SEX_MALE, "S2", t2012},
                  {1, HZ_MECH_MVT_OTHER, 40, HZ_SEX_MALE, NULL, t2013}};
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        for (int k = 0; k < groups[g].n; k++) {
            char sid[16];
            snprintf(sid, sizeof sid, "%d", id++);
            hz_incident_rec r = {.source = "t", .source_id = sid, .victims = 1, .disability = -1};
            r.t = groups[g].t + k * 3600;
            r.mechanism = groups[g].mech;
            r.age = groups[g].age;
            r.sex = groups[g].sex;
            r.area_code = groups[g].area;
            r.lon = groups[g].area && strcmp(groups[g].area, "S2") == 0 ? 104.15 : 104.05;
            r.lat = groups[g].area ? 30.1 : 31.0;
            store_put_outcome o;
            ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
        }
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    return st;
}

static const rates_row *find_row(const rates_result *r, const char *area, int mech, int age,
                                 int sex)
{
    for (size_t i = 0; i < r->n; i++) {
        const rates_row *w = &r->rows[i];
        if ((area ? w->area && strcmp(w->area, area) == 0 : !w->area) && w->mechanism == mech &&
            w->age_group == age && w->sex == sex)
            return w;
    }
    return NULL;
}

static void check_row(const rates_row *w, int64_t count, double pop, double years)
{
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->count, count);
    double pt = pop * years, lo, hi;
    ref_ci((int)count, 0.95, &lo, &hi);
    ck_assert(fabs(w->rate - count / pt * 1e5) < 1e-9 * (1 + w->rate));
    ck_assert(fabs(w->rate_lo - lo / pt * 1e5) < 1e-7 * (1 + w->rate_lo));
    ck_assert(fabs(w->rate_hi - hi / pt * 1e5) < 1e-7 * (1 + w->rate_hi));
    ck_assert_int_eq(w->unstable, count < 20);
}

START_TEST(test_rates_by_area_and_mechanism)
{
    char err[512];
    store *st = make_store();
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    hz_filter f;
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "from", "2013-01-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "to", "2013-12-31", err, sizeof err), HZ_OK);
    /* The store's incidents run from 2012-03-01 to 2013-03-02 (local days: the 25 hourly ones
     * from 2013-03-01 10:00 reach the next morning), so the study period is 2013 intersected
     * with that span: 2013-01-01 to the end of 2013-03-02, 61 days. */
    const double years = 61.0 / 365.25;
    unsigned by;
    ck_assert_int_eq(rates_parse_by("area,mechanism", &by, err, sizeof err), HZ_OK);
    rates_result *r;
    ck_assert_int_eq(rates_compute(s, &f, by, &r, err, sizeof err), HZ_OK);
    ck_assert_msg(fabs(r->years - years) < 1e-12, "years %.12g expected %.12g", r->years, years);
    /* 3 areas x 2 mechanisms seen (traffic, fall), zeros included. */
    ck_assert_uint_eq(r->n, 6);
    check_row(find_row(r, "S1", HZ_MECH_MVT_OTHER, -1, -1), 25, 60000, years);
    check_row(find_row(r, "S1", HZ_MECH_FALL, -1, -1), 4, 60000, years);
    check_row(find_row(r, "S2", HZ_MECH_MVT_OTHER, -1, -1), 7, 40000, years);
    check_row(find_row(r, "S2", HZ_MECH_FALL, -1, -1), 0, 40000, years);
    check_row(find_row(r, "D", HZ_MECH_MVT_OTHER, -1, -1), 32, 100000, years); /* nested */
    check_row(find_row(r, "D", HZ_MECH_FALL, -1, -1), 4, 100000, years);
    ck_assert_str_eq(find_row(r, "S1", HZ_MECH_FALL, -1, -1)->area_name, "春熙路街道");
    ck_assert_int_eq(r->incidents, 36); /* the one outside every area is not counted */

    json_t *j;
    ck_assert_int_eq(rates_json(r, &(disc_policy){.min_count = 10}, &j, err, sizeof err), HZ_OK);
    json_t *rows = json_object_get(j, "rows");
    ck_assert_uint_eq(json_array_size(rows), 6);
    size_t nsup = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (json_is_true(json_object_get(row, "suppressed"))) {
            nsup++;
            ck_assert(json_is_null(json_object_get(row, "count")));
            ck_assert(json_is_null(json_object_get(row, "rate")));
        }
    }
    /* S1 fall 4, S2 traffic 7, S2 fall 0, D fall 4; and D traffic 32 (complementary: shown,
     * 32 - S1's 25 would give S2's 7 back). */
    ck_assert_uint_eq(nsup, 5);
    ck_assert(json_is_null(json_object_get(json_array_get(rows, 0), "age_group")));
    ck_assert_ptr_nonnull(json_object_get(j, "provenance"));
    json_decref(j);

    char *csv;
    size_t len;
    ck_assert_int_eq(rates_csv(r, NULL, &csv, &len, err, sizeof err), HZ_OK);
    ck_assert(strncmp(csv,
                      "\xEF\xBB\xBF"
                      "area,area_name,mechanism,age_group,sex,count,population",
                      58) == 0);
    ck_assert_ptr_nonnull(strstr(csv, "\"S2\",\"Shuyan, \"\"east\"\"\",traffic_other,,,7,40000,"));
    ck_assert_uint_eq(strlen(csv), len);
    free(csv);
    rates_free(r);

    /* By age group and sex within S1 only: S1 has traffic at 25-44 male, falls at 65+ female. */
    ck_assert_int_eq(filter_set(&f, "area", "S1", err, sizeof err), HZ_OK);
    ck_assert_int_eq(rates_parse_by("age_group,sex", &by, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rates_compute(s, &f, by, &r, err, sizeof err), HZ_OK);
    check_row(find_row(r, "S1", -1, 2, HZ_SEX_MALE), 25, 60000, years);
    check_row(find_row(r, "S1", -1, 4, HZ_SEX_FEMALE), 4, 60000, years);
    check_row(find_row(r, "S1", -1, 2, HZ_SEX_FEMALE), 0, 60000, years);
    ck_assert_uint_eq(r->n, 4); /* age groups {25-44, 65+} x sexes {male, female} */
    rates_free(r);

    /* No grouping, no dates: the whole district over the data's span, 2012-03-01 to
     * 2013-03-03 local (whole days), population = the top-level area's. */
    filter_init(&f);
    ck_assert_int_eq(rates_compute(s, &f, 0, &r, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(r->n, 1);
    double days = (double)(hztime_days_from_civil(2013, 3, 3) - hztime_days_from_civil(2012, 3, 1));
    check_row(find_row(r, NULL, -1, -1, -1), 37, 100000, days / 365.25);
    rates_free(r);
    ck_assert_int_eq(rates_parse_by("area,colour", &by, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "colour"));
    incset_free(s);
    store_close(st);
}
END_TEST

/* The JSON row of area code and mechanism name (NULL = ungrouped). */
static json_t *json_row(json_t *j, const char *area, const char *mech)
{
    json_t *rows = json_object_get(j, "rows");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *w = json_array_get(rows, i);
        const char *a = json_string_value(json_object_get(w, "area"));
        const char *m = json_string_value(json_object_get(w, "mechanism"));
        if ((area ? a && strcmp(a, area) == 0 : !a) && (mech ? m && strcmp(m, mech) == 0 : !m))
            return w;
    }
    return NULL;
}

static void assert_hidden(json_t *w)
{
    ck_assert_ptr_nonnull(w);
    ck_assert(json_is_true(json_object_get(w, "suppressed")));
    const char *keys[] = {"count", "rate", "rate_lo", "rate_hi"};
    for (size_t k = 0; k < 4; k++) {
        ck_assert_ptr_nonnull(json_object_get(w, keys[k]));
        ck_assert(json_is_null(json_object_get(w, keys[k])));
    }
}

/* District D = S1 + S2 in 2013: 36 = 29 + 7. With S2 (7 < 10) hidden, a visible D would give it
 * back as 36 - 29: D must be hidden too, and the provenance total with it. */
START_TEST(test_complementary_suppression)
{
    char err[512];
    store *st = make_store();
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    hz_filter f;
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "from", "2013-01-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "to", "2013-12-31", err, sizeof err), HZ_OK);
    rates_result *r;
    ck_assert_int_eq(rates_compute(s, &f, RATES_BY_AREA, &r, err, sizeof err), HZ_OK);
    check_row(find_row(r, "D", -1, -1, -1), 36, 100000, r->years);
    json_t *j;
    ck_assert_int_eq(rates_json(r, &(disc_policy){.min_count = 10}, &j, err, sizeof err), HZ_OK);
    assert_hidden(json_row(j, "S2", NULL));
    assert_hidden(json_row(j, "D", NULL));
    json_t *s1 = json_row(j, "S1", NULL);
    ck_assert(json_is_false(json_object_get(s1, "suppressed")));
    ck_assert_int_eq(json_integer_value(json_object_get(s1, "count")), 29);
    json_t *prov = json_object_get(j, "provenance");
    ck_assert_ptr_nonnull(json_object_get(prov, "incidents"));
    ck_assert(json_is_null(json_object_get(prov, "incidents")));
    json_decref(j);
    /* Nothing under the threshold: every row and the total shown. */
    ck_assert_int_eq(rates_json(r, &(disc_policy){.min_count = 5}, &j, err, sizeof err), HZ_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(json_row(j, "D", NULL), "count")), 36);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "provenance"), "incidents")), 36);
    json_decref(j);
    /* The CSV hides the same rows: D's count, rate and CI cells empty. */
    char *csv;
    size_t len;
    ck_assert_int_eq(rates_csv(r, &(disc_policy){.min_count = 10}, &csv, &len, err, sizeof err),
                     HZ_OK);
    const char *d = strstr(csv, "\"D\",\"");
    ck_assert_ptr_nonnull(d);
    const char *eol = strstr(d, "\r\n");
    ck_assert_ptr_nonnull(eol);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(eol - d), d);
    ck_assert_msg(strstr(line, ",,100000,") != NULL && strstr(line, ",,,,false,true") != NULL,
                  "D row not hidden: %s", line);
    ck_assert_ptr_null(strstr(csv, ",36,"));
    free(csv);
    rates_free(r);
    /* Split rows without areas: traffic 32 + falls 4 = 36; the total would give the falls back. */
    ck_assert_int_eq(rates_compute(s, &f, RATES_BY_MECHANISM, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rates_json(r, &(disc_policy){.min_count = 10}, &j, err, sizeof err), HZ_OK);
    assert_hidden(json_row(j, NULL, "fall"));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_row(j, NULL, "traffic_other"), "count")), 32);
    ck_assert(json_is_null(json_object_get(json_object_get(j, "provenance"), "incidents")));
    json_decref(j);
    rates_free(r);
    incset_free(s);
    store_close(st);
}
END_TEST

START_TEST(test_age_groups)
{
    ck_assert_int_eq(rates_age_group(-1), 5);
    ck_assert_int_eq(rates_age_group(0), 0);
    ck_assert_int_eq(rates_age_group(14), 0);
    ck_assert_int_eq(rates_age_group(15), 1);
    ck_assert_int_eq(rates_age_group(24), 1);
    ck_assert_int_eq(rates_age_group(25), 2);
    ck_assert_int_eq(rates_age_group(44), 2);
    ck_assert_int_eq(rates_age_group(45), 3);
    ck_assert_int_eq(rates_age_group(64), 3);
    ck_assert_int_eq(rates_age_group(65), 4);
    ck_assert_str_eq(rates_age_group_name(4), "65+");
}
END_TEST

Suite *rates_suite(void)
{
    Suite *s = suite_create("rates");
    TCase *tc = tcase_create("rates");
    tcase_add_checked_fixture(tc, tmpdb, tmpdb_rm);
    tcase_add_test(tc, test_poisson_published);
    tcase_add_test(tc, test_poisson_against_cdf_bisection);
    tcase_add_test(tc, test_incomplete_gamma_closed_forms);
    tcase_add_test(tc, test_rates_by_area_and_mechanism);
    tcase_add_test(tc, test_age_groups);
    tcase_add_test(tc, test_complementary_suppression);
    suite_add_tcase(s, tc);
    return s;
}
