/* check_normalise.c - one table of good and bad incident records fed through every way in: a CSV
 * file (import_incidents), a GeoJSON file (import_incidents through OGR) and POST
 * /collections/incidents/items (the server's handler, without sockets). Each path must store the
 * same values (read back from the store with SQL) or reject with the same reason, and both must
 * be the ones the table states, worked out by hand from the rules in normalise.h. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "testutil.h"
#include "hazmap/app.h"
#include "hazmap/import.h"
#include "hazmap/srvconf.h"
#include "hazmap/store.h"
#include "hazmap/tokens.h"

/* The record's fields as JSON literals (NULL: absent). A CSV cell is the literal without its
 * quotes, "null" an empty cell; a GeoJSON file and a POST carry the literal itself. */
typedef struct ncase {
    const char *id, *lon, *lat, *occurred_at, *mechanism, *severity, *sex, *age, *victims,
        *disability;
    int json_ok; /* 0: no JSON form (JSON has no NaN, RFC 8259 section 6) */
    /* the outcome: reason NULL means stored with these values (NULL text: stored as NULL) */
    const char *reason;
    const char *at, *mech, *sev, *sexv;
    int agev, victimsv, disv; /* -1: NULL */
    double lonv, latv;
} ncase;

/* A full valid record with one field changed. */
#define BASE "104.06", "30.66", "\"2013-05-01 08:30\"", "\"traffic\"", "\"minor\"", "\"female\""
#define STORED(at, mech, sev, sex, age, vic, dis)                                                  \
    NULL, at, mech, sev, sex, age, vic, dis, 104.06, 30.66
#define REJECTED(reason) reason, NULL, NULL, NULL, NULL, -1, -1, -1, 0, 0
#define AT0 "2013-05-01T08:30:00+08:00"
/* 10 characters of 3 bytes: a long value is quoted cut at a character boundary (99 bytes) */
#define JIE10 "跌跌跌跌跌跌跌跌跌跌"

static const ncase cases[] = {
    /* valid, the boundaries of the ranges, and the words of other sources */
    {"\"r01\"", BASE, "34", "1", "false", 1,
     STORED(AT0, "traffic_other", "minor", "female", 34, 1, 0)},
    {"\"r02\"", BASE, "130", "10000", NULL, 1,
     STORED(AT0, "traffic_other", "minor", "female", 130, 10000, -1)},
    {"\"r03\"", BASE, "0", "0", "true", 1,
     STORED(AT0, "traffic_other", "minor", "female", 0, 0, 1)},
    {"\"r04\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"跌倒\"", "\"轻伤\"", "\"男\"", NULL,
     NULL, NULL, 1, STORED(AT0, "fall", "minor", "male", -1, -1, -1)},
    {"\"r05\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"交通事故\"", "\"重伤\"", "\"女\"",
     NULL, NULL, "\"是\"", 1, STORED(AT0, "traffic_other", "serious", "female", -1, -1, 1)},
    {"\"r06\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"traffic\"", "\"不详\"", "\"M\"", NULL,
     NULL, NULL, 1, STORED(AT0, "traffic_other", NULL, "male", -1, -1, -1)},
    /* the mechanism x intent model (SURVEILLANCE.md): old words and the card's code list */
    {"\"r13\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"violence\"", NULL, NULL, NULL, NULL,
     NULL, 1, STORED(AT0, "unspecified", NULL, NULL, -1, -1, -1)},
    {"\"r14\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"钝器伤\"", NULL, NULL, NULL, NULL,
     NULL, 1, STORED(AT0, "struck", NULL, NULL, -1, -1, -1)},
    {"\"r15\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"烫伤\"", NULL, NULL, NULL, NULL, NULL,
     1, STORED(AT0, "hot_substance", NULL, NULL, -1, -1, -1)},
    {"\"r16\"", "104.06", "30.66", "\"2013-05-01 08:30\"", "\"traffic_pedal_cyclist\"", NULL, NULL,
     NULL, NULL, NULL, 1, STORED(AT0, "traffic_pedal_cyclist", NULL, NULL, -1, -1, -1)},
    /* times: an offset, the other written forms, leap days by the 4/100/400 rule */
    {"\"r07\"", "104.06", "30.66", "\"2013-05-01T08:30:00+02:00\"", NULL, NULL, NULL, NULL, NULL,
     NULL, 1, STORED("2013-05-01T14:30:00+08:00", NULL, NULL, NULL, -1, -1, -1)},
    {"\"r08\"", "104.06", "30.66", "\"2013/05/01 08:30\"", NULL, NULL, NULL, NULL, NULL, NULL, 1,
     STORED(AT0, NULL, NULL, NULL, -1, -1, -1)},
    {"\"r09\"", "104.06", "30.66", "\"01/05/2013\"", NULL, NULL, NULL, NULL, NULL, NULL, 1,
     STORED("2013-05-01T00:00:00+08:00", NULL, NULL, NULL, -1, -1, -1)},
    {"\"r10\"", "104.06", "30.66", "\"2012-02-29\"", NULL, NULL, NULL, NULL, NULL, NULL, 1,
     STORED("2012-02-29T00:00:00+08:00", NULL, NULL, NULL, -1, -1, -1)},
    {"\"r11\"", "104.06", "30.66", "\"2000-02-29T23:59:59Z\"", NULL, NULL, NULL, NULL, NULL, NULL,
     1, STORED("2000-03-01T07:59:59+08:00", NULL, NULL, NULL, -1, -1, -1)},
    {"\"r12\"", "104.06", "30.66", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,
     STORED(NULL, NULL, NULL, NULL, -1, -1, -1)},
    /* rejected */
    {"\"x01\"", BASE, "131", NULL, NULL, 1,
     REJECTED("age '131' is not a whole number of years (0-130)")},
    {"\"x02\"", BASE, "150", NULL, NULL, 1,
     REJECTED("age '150' is not a whole number of years (0-130)")},
    {"\"x03\"", BASE, "-3", NULL, NULL, 1,
     REJECTED("age '-3' is not a whole number of years (0-130)")},
    {"\"x04\"", BASE, "\"34.5\"", NULL, NULL, 1,
     REJECTED("age '34.5' is not a whole number of years (0-130)")},
    {"\"x05\"", BASE, NULL, "20000", NULL, 1,
     REJECTED("victims '20000' is not a whole number (0-10000)")},
    {"\"x06\"", "104.06", "30.66", "\"2013-02-29\"", NULL, NULL, NULL, NULL, NULL, NULL, 1,
     REJECTED("malformed date '2013-02-29' in field 'occurred_at'")},
    {"\"x07\"", "104.06", "30.66", "\"1900-02-29\"", NULL, NULL, NULL, NULL, NULL, NULL, 1,
     REJECTED("malformed date '1900-02-29' in field 'occurred_at'")},
    {"\"x08\"", "104.06", "30.66", "\"2013-05-01T08:30+25:00\"", NULL, NULL, NULL, NULL, NULL, NULL,
     1, REJECTED("malformed date '2013-05-01T08:30+25:00' in field 'occurred_at'")},
    {"\"x09\"", "104.06", "30.66", "\"2013-05-01\"", "\"spaceship\"", NULL, NULL, NULL, NULL, NULL,
     1, REJECTED("unknown mechanism value 'spaceship' in field 'mechanism'")},
    {"\"x10\"", "104.06", "30.66", NULL, NULL, "\"轻微擦伤\"", NULL, NULL, NULL, NULL, 1,
     REJECTED("unknown severity value '轻微擦伤' in field 'severity'")},
    {"\"x11\"", "104.06", "30.66", NULL, NULL, NULL, NULL, NULL, NULL, "\"maybe\"", 1,
     REJECTED("disability 'maybe' is not yes/no/1/0")},
    {"\"x12\"", "200", "30.66", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,
     REJECTED("coordinates out of range: lon 200, lat 30.66")},
    {"\"x13\"", "104.06", "-91", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,
     REJECTED("coordinates out of range: lon 104.06, lat -91")},
    {"\"x14\"", "104.06", "null", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1,
     REJECTED("empty coordinates (no lon/lat value or no geometry)")},
    {"\"x15\"", "104.06", "NaN", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
     REJECTED("coordinates are not finite (104.06, nan)")},
    {"\"x16\"", "104.06", "30.66", NULL, "\"" JIE10 JIE10 JIE10 JIE10 JIE10 JIE10 "\"", NULL, NULL,
     NULL, NULL, NULL, 1,
     REJECTED("unknown mechanism value '" JIE10 JIE10 JIE10 "跌跌跌...' in field 'mechanism'")},
    {"\"\"", "104.06", "30.66", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, REJECTED("empty id")},
};
#define NCASES (sizeof cases / sizeof *cases)

/* What a path did with one case. */
typedef struct outcome {
    int seen;   /* 0: the path has no form for the case */
    int stored; /* 1: a row; 0: rejected */
    char reason[400];
    char at[40], mech[24], sev[24], sexv[24], area[16];
    int agev, victimsv, disv;
    double lonv, latv;
    int64_t hash;
} outcome;

static char dir[128];

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* A store with one district around the cases' point, so the area assignment is compared too. */
static void make_store(const char *db)
{
    tu_remove_db(db);
    char err[512];
    store *st = store_open(db, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char wkb[256];
    hz_area_rec a = {.code = "D1", .name = "锦江区", .level = "district", .population = 1000};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.6, 104.2, 30.7);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    store_close(st);
}

/* The literal as a CSV cell: quotes dropped, null empty (no value of the table needs quoting). */
static const char *csv_cell(const char *lit, char *buf, size_t len)
{
    if (!lit || strcmp(lit, "null") == 0) return "";
    size_t n = strlen(lit);
    if (lit[0] != '"') return lit;
    snprintf(buf, len, "%.*s", (int)(n - 2), lit + 1);
    return buf;
}

/* The case's properties as JSON members after "{", with its id under idkey. */
static void json_props(FILE *f, const ncase *c, const char *idkey)
{
    const char *names[] = {"occurred_at", "mechanism", "severity",  "sex",
                           "age",         "victims",   "disability"};
    const char *vals[] = {c->occurred_at, c->mechanism, c->severity,  c->sex,
                          c->age,         c->victims,   c->disability};
    fprintf(f, "\"%s\":%s", idkey, c->id);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (vals[k]) fprintf(f, ",\"%s\":%s", names[k], vals[k]);
}

static void json_feature(FILE *f, const ncase *c, const char *idkey)
{
    fputs("{\"type\":\"Feature\",\"properties\":{", f);
    json_props(f, c, idkey);
    fprintf(f, "},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%s,%s]}}", c->lon, c->lat);
}

/* Reads back the row of source_id id into o (stored = 1), if there is one. */
static void read_row(sqlite3 *db, const char *id, outcome *o)
{
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT occurred_at, mechanism, severity, sex, age,"
                                        " victims, disability, lon, lat, area_code, content_hash"
                                        " FROM incidents WHERE source_id = ?",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW) {
        o->stored = 1;
        char *txt[] = {o->at, o->mech, o->sev, o->sexv};
        size_t cap[] = {sizeof o->at, sizeof o->mech, sizeof o->sev, sizeof o->sexv};
        for (int k = 0; k < 4; k++) {
            const unsigned char *v = sqlite3_column_text(s, k);
            snprintf(txt[k], cap[k], "%s", v ? (const char *)v : "(null)");
        }
        int *num[] = {&o->agev, &o->victimsv, &o->disv};
        for (int k = 0; k < 3; k++)
            *num[k] =
                sqlite3_column_type(s, 4 + k) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4 + k);
        o->lonv = sqlite3_column_double(s, 7);
        o->latv = sqlite3_column_double(s, 8);
        const unsigned char *a = sqlite3_column_text(s, 9);
        snprintf(o->area, sizeof o->area, "%s", a ? (const char *)a : "(null)");
        o->hash = sqlite3_column_int64(s, 10);
    }
    sqlite3_finalize(s);
}

/* The rejects of the last import, "line N: reason" with N = first_line + case index. */
static void read_rejects(sqlite3 *db, int first_line, outcome *out)
{
    sqlite3_stmt *s;
    ck_assert_int_eq(
        sqlite3_prepare_v2(db, "SELECT line, reason FROM import_rejects", -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int i = sqlite3_column_int(s, 0) - first_line;
        ck_assert_msg(i >= 0 && i < (int)NCASES, "reject of line %d", i + first_line);
        const char *r = (const char *)sqlite3_column_text(s, 1);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "line %d: ", i + first_line);
        ck_assert_msg(strncmp(r, prefix, strlen(prefix)) == 0, "reason '%s'", r);
        snprintf(out[i].reason, sizeof out[i].reason, "%s", r + strlen(prefix));
    }
    sqlite3_finalize(s);
}

/* Reads every case's row (or its reject) from the store at db. */
static void read_back(const char *db, int first_line, outcome *out)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char idbuf[64];
    for (size_t i = 0; i < NCASES; i++)
        if (out[i].seen) read_row(h, csv_cell(cases[i].id, idbuf, sizeof idbuf), &out[i]);
    if (first_line > 0) read_rejects(h, first_line, out);
    sqlite3_close(h);
}

static void import_file(const char *db, const char *file, outcome *out, int first_line)
{
    make_store(db);
    char err[512];
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    import_summary sum;
    ck_assert_msg(import_incidents(st, file, NULL, &sum, err, sizeof err) == HZ_OK, "%s", err);
    store_close(st);
    read_back(db, first_line, out);
}

/* (a) a CSV file */
static void run_csv(outcome *out)
{
    char file[300], db[300], b[16][256];
    path_of(file, sizeof file, "cases.csv");
    path_of(db, sizeof db, "csv.sqlite");
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("id,lon,lat,occurred_at,mechanism,severity,sex,age,victims,disability\n", f);
    for (size_t i = 0; i < NCASES; i++) {
        const ncase *c = &cases[i];
        const char *v[] = {c->id,       c->lon, c->lat, c->occurred_at, c->mechanism,
                           c->severity, c->sex, c->age, c->victims,     c->disability};
        for (int k = 0; k < 10; k++)
            fprintf(f, "%s%s", k ? "," : "", csv_cell(v[k], b[k], sizeof b[k]));
        fputc('\n', f);
        out[i].seen = 1;
    }
    fclose(f);
    import_file(db, file, out, 2);
}

/* (b) a GeoJSON file: the cases as features 1.. */
static void run_geojson(outcome *out)
{
    char file[300], db[300];
    path_of(file, sizeof file, "cases.geojson");
    path_of(db, sizeof db, "geojson.sqlite");
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
    int n = 0;
    for (size_t i = 0; i < NCASES; i++) {
        if (!cases[i].json_ok) continue;
        fputs(n++ ? ",\n" : "\n", f);
        json_feature(f, &cases[i], "id");
        out[i].seen = 1;
    }
    fputs("]}\n", f);
    fclose(f);
    import_file(db, file, out, 0);
    /* the features skipped above do not count: feature numbers are the JSON cases' */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT line, reason FROM import_rejects", -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int line = sqlite3_column_int(s, 0), k = 0;
        size_t i = 0;
        for (; i < NCASES; i++)
            if (cases[i].json_ok && ++k == line) break;
        ck_assert_msg(i < NCASES, "reject of feature %d", line);
        const char *r = (const char *)sqlite3_column_text(s, 1), *why = strstr(r, ": ");
        snprintf(out[i].reason, sizeof out[i].reason, "%s", why ? why + 2 : r);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
}

/* (c) POST /collections/incidents/items, one feature per request, with an editor's token */
static void run_post(outcome *out)
{
    char db[300], err[512], tok[65], auth[80];
    path_of(db, sizeof db, "post.sqlite");
    make_store(db);
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_EDITOR, NULL, tok, err, sizeof err), HZ_OK);
    store_close(st);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    srvconf cfg;
    srvconf_init(&cfg);
    snprintf(cfg.db, sizeof cfg.db, "%s", db);
    app *a = app_new(&cfg, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    for (size_t i = 0; i < NCASES; i++) {
        if (!cases[i].json_ok) continue;
        char *body = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&body, &blen);
        json_feature(f, &cases[i], "source_id");
        fclose(f);
        hreq rq = {.method = "POST",
                   .path = "/collections/incidents/items",
                   .host = "test:1",
                   .authorization = auth,
                   .body = body,
                   .body_len = blen,
                   .content_type = "application/geo+json"};
        hresp rs;
        memset(&rs, 0, sizeof rs);
        app_handle(a, &rq, &rs);
        json_t *j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
        ck_assert_msg(rs.status == 201 || rs.status == 400, "%s: %d %.*s", body, rs.status,
                      (int)rs.len, (const char *)rs.body);
        if (rs.status == 400) {
            json_t *errs = json_object_get(j, "errors");
            ck_assert_msg(json_array_size(errs) == 1, "%s: %.*s", body, (int)rs.len,
                          (const char *)rs.body);
            snprintf(out[i].reason, sizeof out[i].reason, "%s",
                     json_string_value(json_object_get(json_array_get(errs, 0), "reason")));
        }
        out[i].seen = 1;
        json_decref(j);
        hresp_free(&rs);
        free(body);
    }
    app_free(a);
    read_back(db, 0, out);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/hazmap_check_normalise_%d", (int)getpid());
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

/* One path's outcomes against the table. */
static void check_against_table(const char *path, const outcome *out)
{
    for (size_t i = 0; i < NCASES; i++) {
        const ncase *c = &cases[i];
        const outcome *o = &out[i];
        if (!o->seen) continue;
        if (c->reason) {
            ck_assert_msg(!o->stored, "%s: case %s (%zu) stored; want rejected: %s", path, c->id, i,
                          c->reason);
            ck_assert_msg(strcmp(o->reason, c->reason) == 0,
                          "%s: case %s (%zu): reason '%s', want '%s'", path, c->id, i, o->reason,
                          c->reason);
            continue;
        }
        ck_assert_msg(o->stored, "%s: case %s (%zu) rejected: %s", path, c->id, i, o->reason);
        const char *got[] = {o->at, o->mech, o->sev, o->sexv};
        const char *want[] = {c->at, c->mech, c->sev, c->sexv};
        for (int k = 0; k < 4; k++)
            ck_assert_msg(strcmp(got[k], or_null(want[k])) == 0, "%s: case %s: '%s', want '%s'",
                          path, c->id, got[k], or_null(want[k]));
        ck_assert_msg(o->agev == c->agev && o->victimsv == c->victimsv && o->disv == c->disv,
                      "%s: case %s: age %d victims %d disability %d", path, c->id, o->agev,
                      o->victimsv, o->disv);
        ck_assert_double_eq(o->lonv, c->lonv);
        ck_assert_double_eq(o->latv, c->latv);
        ck_assert_str_eq(o->area, "D1");
    }
}

START_TEST(test_csv_path)
{
    outcome out[NCASES] = {{0}};
    run_csv(out);
    check_against_table("CSV", out);
}
END_TEST

START_TEST(test_geojson_path)
{
    outcome out[NCASES] = {{0}};
    run_geojson(out);
    check_against_table("GeoJSON file", out);
}
END_TEST

START_TEST(test_post_path)
{
    outcome out[NCASES] = {{0}};
    run_post(out);
    check_against_table("POST", out);
}
END_TEST

/* The three paths against each other: the same outcome, and for stored rows the same content hash
 * (every stored field but the source, so the binders and the normaliser agree to the bit). */
START_TEST(test_paths_agree)
{
    static outcome o[3][NCASES];
    memset(o, 0, sizeof o);
    run_csv(o[0]);
    run_geojson(o[1]);
    run_post(o[2]);
    static const char *const names[] = {"CSV", "GeoJSON file", "POST"};
    for (size_t i = 0; i < NCASES; i++)
        for (int p = 1; p < 3; p++) {
            if (!o[p][i].seen) continue;
            ck_assert_msg(o[p][i].stored == o[0][i].stored &&
                              strcmp(o[p][i].reason, o[0][i].reason) == 0,
                          "case %s: %s %s '%s', CSV %s '%s'", cases[i].id, names[p],
                          o[p][i].stored ? "stored" : "rejected", o[p][i].reason,
                          o[0][i].stored ? "stored" : "rejected", o[0][i].reason);
            ck_assert_msg(o[p][i].hash == o[0][i].hash, "case %s: %s content hash differs",
                          cases[i].id, names[p]);
        }
}
END_TEST

Suite *normalise_suite(void)
{
    Suite *s = suite_create("normalise");
    TCase *tc = tcase_create("one table, three paths");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_csv_path);
    tcase_add_test(tc, test_geojson_path);
    tcase_add_test(tc, test_post_path);
    tcase_add_test(tc, test_paths_agree);
    suite_add_tcase(s, tc);
    return s;
}
