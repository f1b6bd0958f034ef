/* check_migrate.c - the store's schema migrations (store.h): a database written by the hazmap
 * before issue 11 (schema 1, tests/data/schema1/, made by that binary) opened by this one. */
#include <check.h>
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

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

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
    copy_file("data/schema1/v1.sqlite", db);
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
    ck_assert_str_eq(sv, "3");

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

Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("schema 1");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schema1_migrated_in_place);
    suite_add_tcase(s, tc);
    return s;
}
