/* check_migrate.c - the store's schema migrations (store.h): a database written by the hazmap
 * before issue 11 (schema 1, tests/data/schema1/, made by that binary) and one written by the
 * hazmap of schema 2 (tests/data/schema2/) opened by this one. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazmap/filter.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "testutil.h"

/* The value of one column of the incident whose source_id is id ("" for NULL). */
static void column(const char *db, const char *col, const char *id, char *out, size_t len)
{
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM incidents WHERE source_id=?", col);
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(c, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(out, len, "%s", t ? (const char *)t : "");
    sqlite3_finalize(s);
    sqlite3_close(c);
}

static int64_t count_where(const incset *s, const char *key, const char *value)
{
    hz_filter f;
    filter_init(&f);
    char err[512];
    ck_assert_msg(filter_set(&f, key, value, err, sizeof err) == HZ_OK, "%s", err);
    size_t n = 0;
    ck_assert_msg(incset_filter_count(s, &f, &n, err, sizeof err) == HZ_OK, "%s", err);
    return (int64_t)n;
}

START_TEST(test_schema1_migrated_in_place)
{
    char db[64];
    snprintf(db, sizeof db, "/tmp/hazmap-migrate-%d.sqlite", (int)getpid());
    tu_remove_db(db);
    tu_copy_file("data/schema1/v1.sqlite", db);
    char err[512];
    /* a read-only open migrates through a read-write connection first */
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    int64_t version = -1;
    ck_assert_int_eq(store_data_version(st, &version), HZ_OK);
    ck_assert_int_eq(version, 2); /* the import, then the migration */
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(st);

    static const struct {
        const char *id, *mech, *intent;
    } want[] = {
        {"m1", "traffic_other", "unintentional"}, {"m2", "unspecified", "assault"},
        {"m3", "unspecified", "assault"},         {"m4", "unspecified", "self_harm"},
        {"m5", "unspecified", "self_harm"},       {"m6", "poisoning", "self_harm"},
        {"m7", "fire_flame", "unintentional"},    {"m8", "struck", "unintentional"},
        {"m9", "bites_stings", "unintentional"},  {"m10", "fall", "unintentional"},
        {"m11", "unspecified", "assault"},        {"m12", "", ""},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char m[64], it[64], v[16];
        column(db, "mechanism", want[i].id, m, sizeof m);
        column(db, "intent", want[i].id, it, sizeof it);
        ck_assert_msg(strcmp(m, want[i].mech) == 0 && strcmp(it, want[i].intent) == 0,
                      "%s: %s/%s, want %s/%s", want[i].id, m, it, want[i].mech, want[i].intent);
        column(db, "activity", want[i].id, v, sizeof v);
        ck_assert_str_eq(v, "");
    }
    char sv[8];
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(
        sqlite3_prepare_v2(c, "SELECT value FROM meta WHERE key='schema_version'", -1, &q, NULL),
        SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    snprintf(sv, sizeof sv, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(c);
    ck_assert_int_eq(atoi(sv), STORE_SCHEMA_VERSION);

    /* the old filter words select what they selected before the migration (self_harm now the
     * intent: the self-poisoning m6 too) */
    ck_assert_int_eq(count_where(s, "mechanism", "violence"), 3);
    ck_assert_int_eq(count_where(s, "intent", "assault"), 3);
    ck_assert_int_eq(count_where(s, "mechanism", "traffic"), 1);
    ck_assert_int_eq(count_where(s, "mechanism", "fire_burn"), 1);
    ck_assert_int_eq(count_where(s, "mechanism", "crush"), 1);
    ck_assert_int_eq(count_where(s, "mechanism", "animal"), 1);
    ck_assert_int_eq(count_where(s, "mechanism", "self_harm"), 3);
    ck_assert_int_eq(count_where(s, "mechanism", "violence,fall"), 4);
    incset_free(s);

    /* the content hashes were recomputed: re-importing the file that made the database changes
     * nothing, except the contradictory row, which today's importer rejects */
    st = store_open(db, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    import_opts o = {.id = "id", .source = "incidents_v1.csv"};
    import_summary sum;
    ck_assert_msg(
        import_incidents(st, "data/schema1/incidents_v1.csv", &o, &sum, err, sizeof err) == HZ_OK,
        "%s", err);
    ck_assert_int_eq(sum.unchanged, 11);
    ck_assert_int_eq(sum.loaded, 0);
    ck_assert_int_eq(sum.replaced, 0);
    ck_assert_int_eq(sum.rejected, 1);
    /* opening again does not migrate again */
    ck_assert_int_eq(store_data_version(st, &version), HZ_OK);
    store_close(st);
    st = store_open(db, 0, err, sizeof err);
    int64_t v2 = -1;
    ck_assert_int_eq(store_data_version(st, &v2), HZ_OK);
    ck_assert_int_eq(v2, version);
    store_close(st);
    tu_remove_db(db);
}
END_TEST

/* Every row's id, point (columns and geometry BLOB) and content hash as one text, read without
 * SpatiaLite; and the result of one integer query. */
static char *rows_text(const char *db)
{
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(c,
                                        "SELECT group_concat(id||' '||quote(lon)||' '||quote(lat)"
                                        "||' '||hex(geom)||' '||content_hash||' '||source_id,"
                                        "char(10)) FROM (SELECT * FROM incidents ORDER BY id)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    char *t = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(c);
    return t;
}

static int64_t sql_int(const char *db, const char *sql)
{
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    ck_assert_msg(sqlite3_prepare_v2(c, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(c));
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(c);
    return v;
}

static int first_lon_nan(void *ud, const hz_incident_rec *r)
{
    *(int *)ud =
        isnan(r->lon) && isnan(r->lat) && r->area_code && strcmp(r->area_code, "510104003") == 0;
    return 1;
}

/* Schema 2 -> 3: lon, lat and geom lose their NOT NULL in place; every row is kept byte for
 * byte, an area-only incident can then be stored, and the R*Tree holds the points only. */
START_TEST(test_schema2_migrated_in_place)
{
    char db[64];
    snprintf(db, sizeof db, "/tmp/hazmap-migrate2-%d.sqlite", (int)getpid());
    tu_remove_db(db);
    tu_copy_file("data/schema2/v2.sqlite", db);
    char *before = rows_text(db);
    int64_t n = sql_int(db, "SELECT count(*) FROM incidents");
    ck_assert_int_eq(n, 20);
    ck_assert_int_eq(sql_int(db, "SELECT instr(sql,'lon REAL NOT NULL') > 0 FROM sqlite_master"
                                 " WHERE name='incidents'"),
                     1);
    char err[512];
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    char *after = rows_text(db);
    ck_assert_str_eq(after, before); /* every row as it was */
    free(after);
    ck_assert_int_eq(
        sql_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'"),
        STORE_SCHEMA_VERSION);
    ck_assert_int_eq(sql_int(db, "SELECT instr(sql,'NOT NULL, lat') + instr(sql,'POINT NOT NULL')"
                                 " FROM sqlite_master WHERE name='incidents'"),
                     0);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE"
                                 " integrity_check <> 'ok'"),
                     0);

    /* an area-only incident goes in and reads back without a point */
    hz_incident_rec r = {.source = "api",
                         .source_id = "area-only-1",
                         .t = INT64_MIN,
                         .victims = -1,
                         .age = -1,
                         .disability = -1,
                         .area_code = "510104003",
                         .lon = NAN,
                         .lat = NAN};
    store_put_outcome out;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_msg(store_incident_put(st, &r, &out, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(out, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_incident_put(st, &r, &out, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(out, STORE_PUT_UNCHANGED); /* the hash of "no point" is stable */
    int64_t id = sql_int(db, "SELECT id FROM incidents WHERE source_id='area-only-1'");
    int nan_ok = 0;
    ck_assert_int_eq(store_incidents_get(st, &id, 1, first_lon_nan, &nan_ok, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(nan_ok, 1);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM incidents WHERE lon IS NULL AND lat IS NULL"
                                 " AND geom IS NULL"),
                     1);
    /* the R*Tree: one entry per point, none for the area-only row */
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM idx_incidents_geom"), n);

    /* the snapshot keeps it (counts) and the point analyses leave it out (incset.h) */
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_uint_eq(incset_count(s), (size_t)n + 1);
    hz_filter f;
    filter_init(&f);
    hz_points p;
    ck_assert_int_eq(incset_select(s, &f, &p, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(p.n, (size_t)n);
    ck_assert_uint_eq(p.without_point, 1);
    hz_points_free(&p);
    incset_free(s);

    /* re-importing the file that made the database finds every row unchanged */
    import_opts o = {.id = "id", .source = "incidents_v2.csv"};
    import_summary sum;
    ck_assert_msg(
        import_incidents(st, "data/schema2/incidents_v2.csv", &o, &sum, err, sizeof err) == HZ_OK,
        "%s", err);
    ck_assert_int_eq(sum.unchanged, n);
    ck_assert_int_eq(sum.loaded + sum.replaced + sum.rejected, 0);
    store_close(st);
    /* a second open does not migrate again */
    int64_t v1 = -1, v2 = -1;
    st = store_open(db, STORE_READONLY, err, sizeof err);
    ck_assert_int_eq(store_data_version(st, &v1), HZ_OK);
    store_close(st);
    st = store_open(db, 0, err, sizeof err);
    ck_assert_int_eq(store_data_version(st, &v2), HZ_OK);
    ck_assert_int_eq(v1, v2);
    store_close(st);
    free(before);
    tu_remove_db(db);
}
END_TEST

Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("schema 1");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema1_migrated_in_place);
    suite_add_tcase(s, tc);
    tc = tcase_create("schema 2");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema2_migrated_in_place);
    suite_add_tcase(s, tc);
    return s;
}
