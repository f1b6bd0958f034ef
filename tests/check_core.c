/* check_core.c - tests of the core: time parsing, the shared filter, the store and the snapshot. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "hazmap/filter.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/wkb.h"
#include "hazmap/workcrs.h"

START_TEST(test_days_from_civil_matches_timegm)
{
    /* Independent reference: the C library's timegm over a range of dates. */
    for (int y = 1900; y <= 2100; y += 7) {
        for (int m = 1; m <= 12; m++) {
            struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = 28};
            time_t ref = timegm(&tm);
            ck_assert_int_eq(hztime_days_from_civil(y, m, 28) * 86400, (int64_t)ref);
            int yy, mm, dd;
            hztime_civil_from_days((int64_t)ref / 86400, &yy, &mm, &dd);
            ck_assert_int_eq(yy, y);
            ck_assert_int_eq(mm, m);
            ck_assert_int_eq(dd, 28);
        }
    }
}
END_TEST

START_TEST(test_parse_iso)
{
    int64_t t;
    /* 2013-05-01 08:30 in Shanghai is 00:30 UTC. */
    ck_assert_int_eq(hztime_parse_iso("2013-05-01T08:30:00", HZ_TZ_SHANGHAI, &t), 0);
    struct tm tm = {.tm_year = 113, .tm_mon = 4, .tm_mday = 1, .tm_hour = 0, .tm_min = 30};
    ck_assert_int_eq(t, (int64_t)timegm(&tm));
    int64_t t2;
    ck_assert_int_eq(hztime_parse_iso("2013-05-01 00:30Z", HZ_TZ_SHANGHAI, &t2), 0);
    ck_assert_int_eq(t, t2);
    ck_assert_int_eq(hztime_parse_iso("2013-05-01T02:30:00+02:00", 0, &t2), 0);
    ck_assert_int_eq(t, t2);
    ck_assert_int_eq(hztime_parse_iso("2013-02-29", 0, &t), -1); /* not a leap year */
    ck_assert_int_eq(hztime_parse_iso("2012-02-29", 0, &t), 0);
    ck_assert_int_eq(hztime_parse_iso("2013-13-01", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_iso("2013-05-01T24:00", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_iso("2013-05-01x", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_iso("", 0, &t), -1);
    char buf[32];
    hztime_parse_iso("2014-12-31T23:59:59+08:00", 0, &t);
    hztime_format_iso(t, HZ_TZ_SHANGHAI, buf);
    ck_assert_str_eq(buf, "2014-12-31T23:59:59+08:00");
    hztime_format_iso(t, 0, buf);
    ck_assert_str_eq(buf, "2014-12-31T15:59:59Z");
}
END_TEST

/* seconds since the epoch of a UTC civil time, by the C library (the reference) */
static int64_t utc_ref(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm);
}

START_TEST(test_parse_date_forms)
{
    int64_t t;
    /* leap days by the Gregorian rule: every 4th year, not every 100th, every 400th */
    const struct {
        const char *s;
        int ok;
    } leap[] = {{"2012-02-29", 1}, {"2013-02-29", 0}, {"1900-02-29", 0}, {"2000-02-29", 1},
                {"2100-02-29", 0}, {"2400-02-29", 1}, {"2013-04-31", 0}, {"2013-12-31", 1},
                {"29/02/2000", 1}, {"29.02.1900", 0}, {"1900/02/29", 0}, {"2016/2/29", 1}};
    for (size_t i = 0; i < sizeof leap / sizeof *leap; i++)
        ck_assert_msg((hztime_parse_date(leap[i].s, 0, &t) == 0) == leap[i].ok, "%s", leap[i].s);
    ck_assert_int_eq(hztime_parse_date("2000-02-29", 0, &t), 0);
    ck_assert_int_eq(t, utc_ref(2000, 2, 29, 0, 0, 0));
    /* the written forms of one instant: 2013-05-01 08:30 at +08:00 is 00:30 UTC */
    const int64_t want = utc_ref(2013, 5, 1, 0, 30, 0);
    const char *const same[] = {
        "2013-05-01T08:30:00",    "2013-05-01 08:30",       " 2013/05/01 08:30 ",
        "2013/5/1 08:30:00",      "01/05/2013 08:30",       "1.5.2013 08:30",
        "2013-05-01T00:30:00Z",   "2013-05-01T02:30+02:00", "2013-04-30T19:30-0500",
        "2013/05/01 06:30:00+06", "2013-05-01T08:30:00.750"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        t = 0;
        ck_assert_msg(hztime_parse_date(same[i], HZ_TZ_SHANGHAI, &t) == 0, "%s", same[i]);
        ck_assert_msg(t == want, "%s: %lld", same[i], (long long)t);
    }
    const char *const bad[] = {"",
                               "  ",
                               "yesterday",
                               "2013-05-01x",
                               "2013/13/01",
                               "32/01/2013",
                               "2013-05-01T25:00",
                               "2013-05-01T08:30+15:00",
                               "2013/05/01x08:30",
                               "05/01/13",
                               NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(hztime_parse_date(bad[i], 0, &t) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(hztime_parse_date(NULL, 0, &t), -1);
}
END_TEST

START_TEST(test_parse_format_and_time_of_day)
{
    int64_t t;
    ck_assert_int_eq(hztime_parse_format("2013/05/01 08:30", "%Y/%m/%d %H:%M", 0, &t), 0);
    ck_assert_int_eq(t, utc_ref(2013, 5, 1, 8, 30, 0));
    ck_assert_int_eq(hztime_parse_format("05-01-13 8h30m05", "%m-%d-%y %Hh%Mm%S", -3 * 3600, &t),
                     0);
    ck_assert_int_eq(t, utc_ref(2013, 5, 1, 11, 30, 5));
    ck_assert_int_eq(hztime_parse_format("01-01-69", "%d-%m-%y", 0, &t), 0); /* POSIX pivot */
    ck_assert_int_eq(t, utc_ref(2069, 1, 1, 0, 0, 0));
    ck_assert_int_eq(hztime_parse_format("1999 100%", "%Y 100%%", 0, &t), 0);
    ck_assert_int_eq(t, utc_ref(1999, 1, 1, 0, 0, 0));
    ck_assert_int_eq(hztime_parse_format("2013/02/29", "%Y/%m/%d", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_format("1900/02/29", "%Y/%m/%d", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_format("2000/02/29", "%Y/%m/%d", 0, &t), 0);
    ck_assert_int_eq(hztime_parse_format("2013/05/01", "%Y-%m-%d", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_format("2013/05/01", "%Y/%m/%d %q", 0, &t), -1);
    ck_assert_int_eq(hztime_parse_format("2013/05/01 extra", "%Y/%m/%d", 0, &t), -1);
    int secs;
    const struct {
        const char *s;
        int secs;
    } tod[] = {{"905", 9 * 3600 + 5 * 60}, {"0905", 9 * 3600 + 5 * 60},
               {"23:59", 86340},           {"7:05:09", 7 * 3600 + 309},
               {"12.30", 45000},           {" 0000 ", 0}};
    for (size_t i = 0; i < sizeof tod / sizeof *tod; i++) {
        ck_assert_msg(hztime_parse_tod(tod[i].s, &secs) == 0, "%s", tod[i].s);
        ck_assert_int_eq(secs, tod[i].secs);
    }
    const char *const bad[] = {"2400", "1260", "99", "12345", "12:5", "12:30:60", "noon", "", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(hztime_parse_tod(bad[i], &secs) == -1, "accepted '%s'", bad[i]);
    /* the local day of t at +08:00 (2013-05-01 07:00 local is 2013-04-30 23:00 UTC) */
    t = utc_ref(2013, 4, 30, 23, 0, 0);
    ck_assert_int_eq(hztime_at_time_of_day(t, HZ_TZ_SHANGHAI, 14 * 3600),
                     utc_ref(2013, 5, 1, 6, 0, 0));
    ck_assert_int_eq(hztime_at_time_of_day(utc_ref(1969, 12, 31, 12, 0, 0), 0, 60),
                     utc_ref(1969, 12, 31, 0, 1, 0));
}
END_TEST

START_TEST(test_format_iso_matches_printf)
{
    /* hztime_format_iso() writes without printf; the reference is gmtime + snprintf */
    srand(4242);
    const int offs[] = {0, HZ_TZ_SHANGHAI, -3 * 3600, 5 * 3600 + 1800, -(9 * 3600 + 2700)};
    for (int i = 0; i < 20000; i++) {
        int64_t t = (int64_t)((double)rand() / RAND_MAX * 8e9) - 2208988800LL; /* 1900..2123 */
        int off = offs[i % 5];
        time_t lt = (time_t)(t + off);
        struct tm tm;
        gmtime_r(&lt, &tm);
        char want[64], got[32];
        int a = off < 0 ? -off : off;
        if (off == 0)
            snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        else
            snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
        hztime_format_iso(t, off, got);
        ck_assert_str_eq(got, want);
        int64_t back;
        ck_assert_int_eq(hztime_parse_iso(got, 0, &back), 0);
        ck_assert_int_eq(back, t);
    }
}
END_TEST

START_TEST(test_filter_parse)
{
    hz_filter f;
    char err[256];
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "mechanism", "traffic,fall", err, sizeof err), HZ_OK);
    ck_assert_uint_eq(f.mechanisms, HZ_MECH_TRAFFIC_MASK | (1u << HZ_MECH_FALL));
    ck_assert_int_eq(filter_set(&f, "mechanism", "trafic", err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "trafic"));
    ck_assert_int_eq(filter_set(&f, "age", "65-", err, sizeof err), HZ_OK);
    ck_assert_int_eq(f.age_min, 65);
    ck_assert_int_eq(f.age_max, -1);
    ck_assert_int_eq(filter_set(&f, "age", "20-10", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(filter_set(&f, "age", "abc", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(filter_set(&f, "from", "2013-01-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "to", "2013-12-31", err, sizeof err), HZ_OK);
    ck_assert_int_eq(f.to - f.from, 365 * 86400);
    ck_assert_int_eq(filter_set(&f, "to", "2012-01-01", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(filter_set(&f, "weight", "score", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "weights", "fatal=20,minor=2", err, sizeof err), HZ_OK);
    ck_assert(filter_weight(&f, HZ_SEV_FATAL) == 20.0);
    ck_assert(filter_weight(&f, HZ_SEV_MINOR) == 2.0);
    ck_assert_int_eq(filter_set(&f, "weights", "fatal=-1", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(filter_set(&f, "weights", "fatal=nan", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(filter_set(&f, "bogus", "x", err, sizeof err), HZ_EINVAL);
    ck_assert(!filter_is_param("bbox"));
    char a[512], b[512];
    filter_canonical(&f, a, sizeof a);
    hz_filter g;
    filter_init(&g);
    filter_set(&g, "weights", "minor=2,fatal=20", err, sizeof err);
    filter_set(&g, "weight", "score", err, sizeof err);
    filter_set(&g, "to", "2013-12-31", err, sizeof err);
    filter_set(&g, "from", "2013-01-01", err, sizeof err);
    filter_set(&g, "age", "65-", err, sizeof err);
    filter_set(&g, "mechanism", "fall", err, sizeof err);
    filter_set(&g, "mechanism", "traffic", err, sizeof err);
    filter_canonical(&g, b, sizeof b);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "mechanism=traffic,fall"));
}
END_TEST

/* The mechanism x intent model's filters (issue 11): old words as aliases, activity and outcome,
 * each in one canonical form. */
START_TEST(test_filter_model)
{
    hz_filter f, g;
    char err[1024], a[512], b[512];
    filter_init(&f);
    filter_init(&g);
    /* the five traffic groups named one by one read as "traffic" */
    ck_assert_int_eq(filter_set(&f, "mechanism",
                                "traffic_pedestrian,traffic_occupant,traffic_motorcyclist,"
                                "traffic_pedal_cyclist,traffic_other",
                                err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(filter_set(&g, "mechanism", "traffic", err, sizeof err), HZ_OK);
    filter_canonical(&f, a, sizeof a);
    filter_canonical(&g, b, sizeof b);
    ck_assert_str_eq(a, "mechanism=traffic");
    ck_assert_str_eq(b, a);
    /* part of them by name */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "mechanism", "traffic_pedestrian", err, sizeof err), HZ_OK);
    filter_canonical(&f, a, sizeof a);
    ck_assert_str_eq(a, "mechanism=traffic_pedestrian");
    /* violence and self_harm select intents, OR-ed with the mechanisms named beside them */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "mechanism", "violence,fall,fire_burn", err, sizeof err),
                     HZ_OK);
    ck_assert_uint_eq(f.mech_intents, 1u << HZ_INTENT_ASSAULT);
    ck_assert_uint_eq(f.mechanisms, (1u << HZ_MECH_FALL) | (1u << HZ_MECH_FIRE_FLAME) |
                                        (1u << HZ_MECH_HOT_SUBSTANCE));
    filter_canonical(&f, a, sizeof a);
    ck_assert_str_eq(a, "mechanism=fall,fire_flame,hot_substance,violence");
    filter_init(&g);
    ck_assert_int_eq(filter_set(&g, "mechanism", a + strlen("mechanism="), err, sizeof err), HZ_OK);
    filter_canonical(&g, b, sizeof b);
    ck_assert_str_eq(a, b); /* the canonical form reads back to itself */
    /* intent=assault is another filter than mechanism=violence (AND with the mechanism) */
    filter_init(&g);
    ck_assert_int_eq(filter_set(&g, "intent", "assault", err, sizeof err), HZ_OK);
    filter_canonical(&g, b, sizeof b);
    ck_assert_str_eq(b, "intent=assault");
    /* activity and outcome: strict, canonical */
    filter_init(&f);
    ck_assert_int_eq(filter_set(&f, "outcome", "died,hospitalised", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&f, "activity", "sport", err, sizeof err), HZ_OK);
    filter_canonical(&f, a, sizeof a);
    ck_assert_str_eq(a, "activity=sport&outcome=hospitalised,died");
    ck_assert_int_eq(filter_set(&f, "outcome", "dead", err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "discharged"));
    ck_assert_int_eq(filter_set(&f, "activity", "", err, sizeof err), HZ_EINVAL);
    ck_assert(filter_is_param("activity") && filter_is_param("outcome"));
    ck_assert(!filter_is_param("nature"));
    /* an unknown mechanism word lists the new words and the old ones */
    ck_assert_int_eq(filter_set(&f, "mechanism", "bogus", err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bites_stings"));
    ck_assert_ptr_nonnull(strstr(err, "violence"));
}
END_TEST

static char dbpath[64];

static void tmpdb(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-core-%d.sqlite", (int)getpid());
    unlink(dbpath);
}

static void tmpdb_rm(void)
{
    tu_remove_db(dbpath);
}

static int count_cb(void *ud, const hz_incident_rec *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

START_TEST(test_store_roundtrip)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    int64_t v0, v1, na, ni;
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    unsigned char wkb[128];
    hz_area_rec a = {.code = "A1", .name = "春熙路", .level = "subdistrict", .population = 1000};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.0, 104.1, 30.1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    hz_incident_rec r = {.source = "t.csv",
                         .source_id = "1",
                         .t = 1000,
                         .mechanism = HZ_MECH_FALL,
                         .victims = 1,
                         .age = 70,
                         .disability = -1,
                         .area_code = "A1",
                         .lon = 104.05,
                         .lat = 30.05};
    store_put_outcome o;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    r.age = 71;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_REPLACED);
    r.source_id = "2";
    r.lon = 104.5; /* outside the area */
    r.area_code = NULL;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_data_version(st, &v1), HZ_OK);
    ck_assert_int_eq(v1, v0 + 1);
    ck_assert_int_eq(store_counts(st, &na, &ni), HZ_OK);
    ck_assert_int_eq(na, 1);
    ck_assert_int_eq(ni, 2);

    /* A rolled-back transaction leaves nothing and does not bump the version. */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r.source_id = "3";
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    store_rollback(st);
    ck_assert_int_eq(store_counts(st, &na, &ni), HZ_OK);
    ck_assert_int_eq(ni, 2);
    int64_t v2;
    store_data_version(st, &v2);
    ck_assert_int_eq(v2, v1);
    /* A committed transaction that changed nothing (an unchanged incident sent again) keeps
     * the version: caches keyed on it stay valid. */
    char id1[STORE_DATA_ID_SIZE], id2[STORE_DATA_ID_SIZE];
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r.source_id = "2";
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    store_data_version(st, &v2);
    ck_assert_int_eq(v2, v1);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_OK);
    ck_assert_str_eq(id1, id2);

    int n = 0;
    ck_assert_int_eq(store_incidents_scan(st, count_cb, &n, err, sizeof err), HZ_OK);
    ck_assert_int_eq(n, 2);

    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_str_eq(incset_work_srs(s), "EPSG:32648");
    ck_assert_uint_eq(incset_count(s), 2);
    ck_assert_uint_eq(incset_area_count(s), 1);
    ck_assert_str_eq(incset_areas(s)[0].name, "春熙路");
    ck_assert(fabs(incset_areas(s)[0].minlon - 104.0) < 1e-12);
    ck_assert(fabs(incset_areas(s)[0].maxlat - 30.1) < 1e-12);
    const hz_incident *it = incset_items(s);
    ck_assert_int_eq(it[0].area, 0);
    ck_assert_int_eq(it[0].age, 71);
    ck_assert_int_eq(it[1].area, -1);
    /* The projection agrees with an independent PROJ pipeline through workcrs. */
    workcrs *w = workcrs_new("EPSG:32648", 0, 0, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    double lon = 104.05, lat = 30.05, x, y;
    workcrs_forward(w, 1, &lon, &lat, &x, &y);
    ck_assert(fabs(it[0].x - x) < 1e-6 && fabs(it[0].y - y) < 1e-6);
    ck_assert(x > 400000 && x < 600000 && y > 3.3e6 && y < 3.4e6);
    workcrs_free(w);

    hz_filter f;
    filter_init(&f);
    /* Study period: the incidents (t = 1000 s, 1970-01-01 local) span one local day. */
    int64_t p0, p1;
    double yrs = incset_study_period(s, &f, &p0, &p1);
    ck_assert_int_eq(p0, -8 * 3600);
    ck_assert_int_eq(p1, 16 * 3600);
    ck_assert(fabs(yrs - 1 / 365.25) < 1e-15);
    hz_filter g = f;
    ck_assert_int_eq(filter_set(&g, "from", "1969-06-01", err, sizeof err), HZ_OK);
    ck_assert_int_eq(filter_set(&g, "to", "1970-06-01", err, sizeof err), HZ_OK);
    ck_assert(fabs(incset_study_period(s, &g, &p0, &p1) - 1 / 365.25) < 1e-15);
    ck_assert_int_eq(filter_set(&g, "from", "1970-01-01T12:00", err, sizeof err), HZ_OK);
    ck_assert(fabs(incset_study_period(s, &g, &p0, &p1) - 0.5 / 365.25) < 1e-15);
    ck_assert_int_eq(filter_set(&g, "from", "1971-01-01", err, sizeof err), HZ_EINVAL);
    hz_filter h = f;
    ck_assert_int_eq(filter_set(&h, "from", "1980-01-01", err, sizeof err), HZ_OK);
    ck_assert(incset_study_period(s, &h, &p0, &p1) == 0 && p0 == INT64_MIN);
    hz_points p;
    ck_assert_int_eq(filter_set(&f, "area", "A1", err, sizeof err), HZ_OK);
    ck_assert_int_eq(incset_select(s, &f, &p, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(p.n, 1);
    hz_points_free(&p);
    filter_set(&f, "area", "nope", err, sizeof err);
    ck_assert_int_eq(incset_select(s, &f, &p, err, sizeof err), HZ_EINVAL);
    incset_free(s);
    store_close(st);
}
END_TEST

START_TEST(test_store_open_errors)
{
    char err[512];
    ck_assert_ptr_null(store_open("/nonexistent/dir/x.sqlite", STORE_CREATE, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.sqlite"));
    ck_assert_ptr_null(store_open(dbpath, STORE_READONLY, err, sizeof err));
}
END_TEST

START_TEST(test_store_data_id)
{
    char err[512], id0[STORE_DATA_ID_SIZE], id1[STORE_DATA_ID_SIZE], id2[STORE_DATA_ID_SIZE];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_data_id(st, id0, sizeof id0), HZ_OK);
    ck_assert_uint_eq(strspn(id0, "0123456789abcdef"), 32);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1 - 1), HZ_EINVAL);
    /* A rollback keeps it, and so does a commit that changed nothing; a write renews it. */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    store_rollback(st);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_eq(id0, id1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_eq(id0, id1);
    unsigned char wkb[128];
    hz_area_rec a = {.code = "A1", .name = "A", .level = "subdistrict", .population = 1};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.0, 104.1, 30.1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_ne(id0, id1);
    store_close(st);
    /* Another database starts with another one. */
    char other[96];
    snprintf(other, sizeof other, "%s.2", dbpath);
    st = store_open(other, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_OK);
    ck_assert_str_ne(id0, id2);
    ck_assert_str_ne(id1, id2);
    store_close(st);
    tu_remove_db(other);
    /* A store from before identities: none read-only; the first read-write open adds one
     * without a new data version. */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "DELETE FROM meta WHERE key='data_id'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    int64_t v0, v1;
    st = store_open(dbpath, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_ENOTFOUND);
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    store_close(st);
    st = store_open(dbpath, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_OK);
    ck_assert_str_ne(id1, id2);
    ck_assert_int_eq(store_data_version(st, &v1), HZ_OK);
    ck_assert_int_eq(v1, v0);
    store_close(st);
}
END_TEST

static int64_t elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* store_wait_change() (issue 14): a second handle, as a replica's watcher, sees the commits of
 * another connection: a data write with its new version, a release with the same version; no
 * commit, no change (HZ_ELIMIT after the timeout). */
START_TEST(test_store_wait_change)
{
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    store *w = store_open(dbpath, 0, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    int64_t v0 = -1, v = -1;
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    /* a caller that knows an older version hears of the current one at once */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(store_wait_change(w, v0 - 1, 5000, &v), HZ_OK);
    ck_assert_int_eq(v, v0);
    ck_assert_int_lt(elapsed_ms(&t0), 1000);
    /* nothing committed: the timeout, with the known version */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(store_wait_change(w, v0, 3 * STORE_WATCH_POLL_MS, &v), HZ_ELIMIT);
    ck_assert_int_eq(v, v0);
    ck_assert_int_ge(elapsed_ms(&t0), 3 * STORE_WATCH_POLL_MS - 5);
    /* a data write by the other connection, made before the wait: its version */
    unsigned char wkb[128];
    hz_area_rec a = {.code = "A1", .name = "A", .level = "subdistrict", .population = 1};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.0, 104.1, 30.1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(store_wait_change(w, v0, 5000, &v), HZ_OK);
    ck_assert_int_eq(v, v0 + 1);
    ck_assert_int_lt(elapsed_ms(&t0), 1000);
    ck_assert_int_eq(store_wait_change(w, v0 + 1, STORE_WATCH_POLL_MS, &v), HZ_ELIMIT);
    /* a release keeps the data version but is a change all the same */
    store_release_rec r = {
        .created_at = "2025-01-31T08:00:00Z", .data_version = v0 + 1, .metadata = "{}"};
    int64_t id = 0;
    ck_assert_int_eq(store_release_put(st, &r, 0, NULL, &id, err, sizeof err), HZ_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(store_wait_change(w, v0 + 1, 5000, &v), HZ_OK);
    ck_assert_int_eq(v, v0 + 1);
    ck_assert_int_lt(elapsed_ms(&t0), 1000);
    store_close(w);
    store_close(st);
}
END_TEST

START_TEST(test_workcrs_errors)
{
    char err[256];
    ck_assert_ptr_null(workcrs_new("EPSG:4326", 0, 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "not a projected"));
    ck_assert_ptr_null(workcrs_new("EPSG:999999", 0, 0, err, sizeof err));
    ck_assert_int_eq(workcrs_utm_epsg(104.06, 30.65), 32648);
    ck_assert_int_eq(workcrs_utm_epsg(-46.6, -23.5), 32723);
}
END_TEST

typedef struct ring_log {
    int rings;
    size_t points;
    double sum; /* of every coordinate, to catch byte-order mistakes */
    uint32_t last_polygon;
} ring_log;

static int log_ring(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    ring_log *l = ud;
    (void)ring;
    l->rings++;
    l->points += n;
    l->last_polygon = polygon;
    for (size_t k = 0; k < 2 * n; k++)
        l->sum += xy[k];
    return 0;
}

/* Big-endian copy of a little-endian WKB polygon written by tu_square_wkb(). */
static void to_big_endian(unsigned char *b, size_t n)
{
    b[0] = 0;
    for (size_t o = 1; o + 4 <= 13; o += 4) { /* type, nrings, npts */
        unsigned char t[4] = {b[o + 3], b[o + 2], b[o + 1], b[o]};
        memcpy(b + o, t, 4);
    }
    for (size_t o = 13; o + 8 <= n; o += 8) {
        for (int i = 0; i < 4; i++) {
            unsigned char t = b[o + i];
            b[o + i] = b[o + 7 - i];
            b[o + 7 - i] = t;
        }
    }
}

START_TEST(test_wkb_rings)
{
    unsigned char poly[128], multi[256];
    size_t n = tu_square_wkb(poly, 1, 2, 3, 4);
    ring_log l = {0};
    ck_assert_int_eq(wkb_polygon_rings(poly, n, log_ring, &l), 0);
    ck_assert_int_eq(l.rings, 1);
    ck_assert_uint_eq(l.points, 5);
    ck_assert(l.sum == (1 + 2) + (3 + 2) + (3 + 4) + (1 + 4) + (1 + 2));
    /* The same polygon big-endian gives the same coordinates. */
    unsigned char be[128];
    memcpy(be, poly, n);
    to_big_endian(be, n);
    ring_log lb = {0};
    ck_assert_int_eq(wkb_polygon_rings(be, n, log_ring, &lb), 0);
    ck_assert(lb.sum == l.sum);
    /* A MULTIPOLYGON of two (one little-, one big-endian). */
    size_t o = 0;
    multi[o++] = 1;
    uint32_t type = 6, np = 2;
    memcpy(multi + o, &type, 4), o += 4;
    memcpy(multi + o, &np, 4), o += 4;
    memcpy(multi + o, poly, n), o += n;
    memcpy(multi + o, be, n), o += n;
    ring_log lm = {0};
    ck_assert_int_eq(wkb_polygon_rings(multi, o, log_ring, &lm), 0);
    ck_assert_int_eq(lm.rings, 2);
    ck_assert_uint_eq(lm.last_polygon, 1);
    ck_assert(lm.sum == 2 * l.sum);
    /* Truncated, wrong type, bad byte-order mark. */
    ring_log lx = {0};
    ck_assert_int_eq(wkb_polygon_rings(multi, o - 1, log_ring, &lx), -1);
    ck_assert_int_eq(wkb_polygon_rings(poly, 8, log_ring, &lx), -1);
    unsigned char bad[128];
    memcpy(bad, poly, n);
    bad[1] = 1; /* POINT */
    ck_assert_int_eq(wkb_polygon_rings(bad, n, log_ring, &lx), -1);
    bad[0] = 7;
    ck_assert_int_eq(wkb_polygon_rings(bad, n, log_ring, &lx), -1);
}
END_TEST

/* Writes a little-endian WKB point at b; returns its length (21). */
static size_t point_wkb(unsigned char *b, uint32_t type, double x, double y)
{
    b[0] = 1;
    memcpy(b + 1, &type, 4);
    memcpy(b + 5, &x, 8);
    memcpy(b + 13, &y, 8);
    return 21;
}

START_TEST(test_wkb_read)
{
    unsigned char b[256];
    size_t n = point_wkb(b, 1, 104.5, 30.25);
    wkb_geom *g = wkb_read(b, n);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(g->type, WKB_POINT);
    ck_assert_uint_eq(g->nparts, 1);
    ck_assert_uint_eq(g->nrings, 1);
    ck_assert_uint_eq(g->npoints, 1);
    ck_assert(g->xy[0] == 104.5 && g->xy[1] == 30.25);
    wkb_geom_free(g);
    wkb_geom_free(NULL);
    /* A MULTIPOLYGON of a square and an empty polygon: parts 2, rings 1 + 0, points 5. */
    unsigned char m[256];
    uint32_t t = 6, np = 2, poly = 3, zero = 0;
    size_t o = 0;
    m[o++] = 1;
    memcpy(m + o, &t, 4), o += 4;
    memcpy(m + o, &np, 4), o += 4;
    o += tu_square_wkb(m + o, 1, 2, 3, 4);
    m[o++] = 1;
    memcpy(m + o, &poly, 4), o += 4;
    memcpy(m + o, &zero, 4), o += 4;
    g = wkb_read(m, o);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g->nparts, 2);
    ck_assert_uint_eq(g->part_rings[0], 1);
    ck_assert_uint_eq(g->part_rings[1], 0);
    ck_assert_uint_eq(g->nrings, 1);
    ck_assert_uint_eq(g->ring_points[0], 5);
    ck_assert_uint_eq(g->npoints, 5);
    wkb_geom_free(g);
    /* Refused: a POINT member in a MULTIPOLYGON, POINT Z, a NaN (POINT EMPTY), a bad byte order. */
    t = 6;
    np = 1;
    o = 0;
    m[o++] = 1;
    memcpy(m + o, &t, 4), o += 4;
    memcpy(m + o, &np, 4), o += 4;
    o += point_wkb(m + o, 1, 1, 2);
    ck_assert_ptr_null(wkb_read(m, o));
    ck_assert_ptr_null(wkb_read(b, point_wkb(b, 1001, 1, 2)));
    ck_assert_ptr_null(wkb_read(b, point_wkb(b, 1, NAN, NAN)));
    point_wkb(b, 1, 1, 2);
    b[0] = 2;
    ck_assert_ptr_null(wkb_read(b, 21));
    ck_assert_ptr_null(wkb_read(NULL, 0));
}
END_TEST

Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tmpdb, tmpdb_rm);
    tcase_add_test(tc, test_days_from_civil_matches_timegm);
    tcase_add_test(tc, test_parse_iso);
    tcase_add_test(tc, test_parse_date_forms);
    tcase_add_test(tc, test_parse_format_and_time_of_day);
    tcase_add_test(tc, test_format_iso_matches_printf);
    tcase_add_test(tc, test_filter_parse);
    tcase_add_test(tc, test_filter_model);
    tcase_add_test(tc, test_store_roundtrip);
    tcase_add_test(tc, test_store_open_errors);
    tcase_add_test(tc, test_store_data_id);
    tcase_add_test(tc, test_store_wait_change);
    tcase_add_test(tc, test_workcrs_errors);
    tcase_add_test(tc, test_wkb_rings);
    tcase_add_test(tc, test_wkb_read);
    suite_add_tcase(s, tc);
    return s;
}
