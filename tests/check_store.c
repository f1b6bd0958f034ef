/* check_store.c - the store suite, run on both backends: the same cases against a SpatiaLite file
 * (by default) and against PostGIS when HAZMAP_TEST_PG holds the conninfo of a PostgreSQL server
 * (without dbname; tests/integration/postgis.sh starts a throwaway one). Every case gets a new
 * database (a file, or CREATE DATABASE from template1, which has the postgis extension).
 *
 * References are independent of the store's own readers: the records the test wrote, and the
 * database read over a separate connection (libpq or SQLite with mod_spatialite). */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "testutil.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/store_bulk.h"
#include "hazmap/store_copy.h"
#include "hazmap/store_links.h"
#include "hazmap/store_projects.h"
#include "hazmap/store_query.h"
#include "hazmap/tokens.h"
#include "hazmap/vocab.h"
#include "hazmap/wkb.h"

static char target[512]; /* the store: a file path or a conninfo */
static char pgname[64];  /* the database's name on PostgreSQL, else empty */
static int ncase;

static const char *pg_base(void)
{
    const char *b = getenv("HAZMAP_TEST_PG");
    return b && *b ? b : NULL;
}

/* Runs sql on the server's maintenance database. */
static void pg_admin(const char *sql)
{
    char ci[600];
    snprintf(ci, sizeof ci, "%s dbname=postgres", pg_base());
    PGconn *c = PQconnectdb(ci);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages=warning"));
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static void fresh(void)
{
    ncase++;
    if (pg_base()) {
        snprintf(pgname, sizeof pgname, "hz_store_%d_%d", (int)getpid(), ncase);
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", pgname);
        pg_admin(sql);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", pgname);
        pg_admin(sql);
        snprintf(target, sizeof target, "%s dbname=%s", pg_base(), pgname);
    } else {
        pgname[0] = '\0';
        snprintf(target, sizeof target, "/tmp/hazmap-store-%d-%d.sqlite", (int)getpid(), ncase);
        tu_remove_db(target);
    }
}

static void gone(void)
{
    if (pgname[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", pgname);
        pg_admin(sql);
    } else {
        tu_remove_db(target);
    }
}

/* ---- the reference connection: one number from SQL, or whether a statement succeeds ---- */

static int ref_sql(const char *sql, int64_t *out)
{
    if (pgname[0]) {
        PGconn *c = PQconnectdb(target);
        ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
        PGresult *r = PQexec(c, sql);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
        if (ok && out) *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return ok ? 0 : -1;
    }
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(target, &db), SQLITE_OK);
    sqlite3_enable_load_extension(db, 1);
    ck_assert_int_eq(sqlite3_exec(db, "SELECT load_extension('mod_spatialite')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *s;
    int ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK;
    int rc = ok ? sqlite3_step(s) : SQLITE_ERROR;
    ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (rc == SQLITE_ROW && out) *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return ok ? 0 : -1;
}

static int64_t ref_count(const char *sql)
{
    int64_t n = -1;
    ck_assert_msg(ref_sql(sql, &n) == 0, "%s", sql);
    return n;
}

static store *open_new(void)
{
    char err[512];
    store *st = store_open(target, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_str_eq(store_backend_name(st), pgname[0] ? "postgis" : "spatialite");
    return st;
}

static int64_t version_of(store *st)
{
    int64_t v = -1;
    ck_assert_int_eq(store_data_version(st, &v), HZ_OK);
    return v;
}

/* ---- records made by the test ---- */

enum { NGEN = 700 };
static char gen_sid[NGEN][16], gen_desc[NGEN][32];

static hz_incident_rec gen(int i)
{
    snprintf(gen_sid[i], sizeof gen_sid[i], "r%d", i);
    snprintf(gen_desc[i], sizeof gen_desc[i], "跌倒 %d", i);
    hz_incident_rec r = {.source = "gen.csv",
                         .source_id = gen_sid[i],
                         .occurred_at = i % 5 ? "2013-05-01T08:30:00+08:00" : NULL,
                         .t = i % 5 ? 1367368200 + i : INT64_MIN,
                         .mechanism = 1 + i % 12,
                         .place = i % 3,
                         .intent = i % 4,
                         .severity = i % 3,
                         .sex = i % 3,
                         .activity = i % 2,
                         .outcome = i % 3,
                         .nature = i % 2,
                         .body_part = i % 4,
                         .victims = i % 7 ? 1 : -1,
                         .age = i % 11 ? i % 90 : -1,
                         .disability = i % 3 - 1,
                         .description = i % 2 ? gen_desc[i] : NULL,
                         .area_code = i % 4 ? "A1" : NULL,
                         .extra = i % 6 ? NULL : "{\"k\":1}",
                         .lon = 104.0 + i * 1e-4 + 1.0 / 3.0 * 1e-7,
                         .lat = 30.0 + i * 7e-5 + 1.0 / 7.0 * 1e-7};
    return r;
}

/* The fields an analysis scan gives (store_incidents_scan()) equal the record's. */
static void same_scan_fields(const hz_incident_rec *a, const hz_incident_rec *b)
{
    ck_assert_int_eq(a->t, b->t);
    ck_assert_int_eq(a->mechanism, b->mechanism);
    ck_assert_int_eq(a->place, b->place);
    ck_assert_int_eq(a->intent, b->intent);
    ck_assert_int_eq(a->severity, b->severity);
    ck_assert_int_eq(a->sex, b->sex);
    ck_assert_int_eq(a->activity, b->activity);
    ck_assert_int_eq(a->outcome, b->outcome);
    ck_assert_int_eq(a->nature, b->nature);
    ck_assert_int_eq(a->body_part, b->body_part);
    ck_assert_int_eq(a->victims, b->victims);
    ck_assert_int_eq(a->age, b->age);
    ck_assert_int_eq(a->disability, b->disability);
    ck_assert(a->lon == b->lon && a->lat == b->lat); /* bit for bit */
    ck_assert(!a->area_code == !b->area_code);
    if (a->area_code) ck_assert_str_eq(a->area_code, b->area_code);
}

typedef struct collect {
    int n;
    int64_t ids[NGEN + 8];
    int want_from; /* record k of the scan is gen(want_from + k); -1: do not compare */
} collect;

static int collect_cb(void *ud, const hz_incident_rec *r)
{
    collect *c = ud;
    if (c->want_from >= 0) {
        hz_incident_rec w = gen(c->want_from + c->n);
        same_scan_fields(r, &w);
        ck_assert_ptr_null(r->source);
    }
    c->ids[c->n++] = r->id;
    return 0;
}

static void put_area(store *st, const char *code, double x0)
{
    char err[512];
    unsigned char wkb[128];
    hz_area_rec a = {.code = code, .name = "春熙路", .level = "subdistrict", .population = 1000};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, x0, 30.0, x0 + 0.1, 30.1);
    ck_assert_msg(store_area_put(st, &a, err, sizeof err) == HZ_OK, "%s", err);
}

/* ---- cases ---- */

START_TEST(test_roundtrip_and_version)
{
    char err[512];
    store *st = open_new();
    int64_t v0 = version_of(st), na, ni;
    ck_assert_int_eq(v0, 0);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    hz_incident_rec r = gen(1);
    store_put_outcome o;
    ck_assert_msg(store_incident_put(st, &r, &o, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(o, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    r.age = 71;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_REPLACED);
    hz_incident_rec r2 = gen(2);
    ck_assert_int_eq(store_incident_put(st, &r2, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v0 + 1);
    ck_assert_int_eq(store_counts(st, &na, &ni), HZ_OK);
    ck_assert_int_eq(na, 1);
    ck_assert_int_eq(ni, 2);
    /* invariant 2 read over another connection: the point is the stored lon/lat */
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE ST_X(geom)=lon AND "
                               "ST_Y(geom)=lat AND ST_SRID(geom)=4326"),
                     2);
    ck_assert_int_eq(ref_count("SELECT age FROM incidents WHERE source_id='r1'"), 71);

    /* a rollback leaves nothing and keeps the version */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    hz_incident_rec r3 = gen(3);
    ck_assert_int_eq(store_incident_put(st, &r3, &o, err, sizeof err), HZ_OK);
    store_rollback(st);
    ck_assert_int_eq(store_counts(st, &na, &ni), HZ_OK);
    ck_assert_int_eq(ni, 2);
    ck_assert_int_eq(version_of(st), v0 + 1);
    /* a commit that changed nothing keeps the version and the identity */
    char id1[STORE_DATA_ID_SIZE], id2[STORE_DATA_ID_SIZE];
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_incident_put(st, &r2, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v0 + 1);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_OK);
    ck_assert_str_eq(id1, id2);

    /* the analysis scan, in id order, against the records written */
    collect c = {.want_from = -1};
    ck_assert_int_eq(store_incidents_scan(st, collect_cb, &c, err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.n, 2);
    ck_assert(c.ids[0] < c.ids[1]);
    /* the snapshot load: the incident in A1 is linked to it, the other is not */
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_uint_eq(incset_count(s), 2);
    ck_assert_uint_eq(incset_area_count(s), 1);
    ck_assert_str_eq(incset_areas(s)[0].name, "春熙路");
    ck_assert(fabs(incset_areas(s)[0].minlon - 104.0) < 1e-12);
    const hz_incident *it = incset_items(s);
    ck_assert_int_eq(it[0].age, 71);
    ck_assert_int_eq(it[0].area, 0);
    ck_assert_int_eq(it[1].area, 0);
    incset_free(s);
    store_close(st);
}
END_TEST

/* The snapshot file: the second load reads it (the same records as the rows gave), a commit
 * makes the next load read the rows again. A PostGIS store's file is in HAZMAP_SNAPSHOT_DIR
 * (named by the data id), a SpatiaLite store's beside the file (the variable is ignored). */
static incset *load_expect(store *st, int cached, size_t n)
{
    char err[512];
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_eq(incset_cached(s), cached);
    ck_assert_uint_eq(incset_count(s), n);
    return s;
}

/* The snapshot files in dir: their count, the name of the last one in name. */
static int snap_files(const char *dir, char *name, size_t len)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            n++;
            snprintf(name, len, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    return n;
}

START_TEST(test_snapshot_file)
{
    char err[512], dir[] = "/tmp/hazmap-snapdir-XXXXXX", path[600];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(setenv("HAZMAP_SNAPSHOT_DIR", dir, 1), 0);
    store *st = open_new();
    store_put_outcome o;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    for (int i = 1; i <= 3; i++) {
        hz_incident_rec r = gen(i);
        ck_assert_msg(store_incident_put(st, &r, &o, err, sizeof err) == HZ_OK, "%s", err);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset *rows = load_expect(st, 0, 3), *file = load_expect(st, 1, 3);
    ck_assert_int_eq(memcmp(incset_items(rows), incset_items(file), 3 * sizeof(hz_incident)), 0);
    /* PostGIS: one file in the directory; SpatiaLite: none there (DB.snapshot is beside DB) */
    ck_assert_int_eq(snap_files(dir, path, sizeof path), pg_base() ? 1 : 0);
    incset_free(rows);
    incset_free(file);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    hz_incident_rec r = gen(4);
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    incset_free(load_expect(st, 0, 4));
    incset_free(load_expect(st, 1, 4));
    /* the load after the write replaced the file rather than adding one */
    ck_assert_int_eq(snap_files(dir, path, sizeof path), pg_base() ? 1 : 0);
    store_close(st);
    unsetenv("HAZMAP_SNAPSHOT_DIR");
    if (pg_base()) ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_data_id)
{
    char err[512], id0[STORE_DATA_ID_SIZE], id1[STORE_DATA_ID_SIZE], id2[STORE_DATA_ID_SIZE];
    store *st = open_new();
    ck_assert_int_eq(store_data_id(st, id0, sizeof id0), HZ_OK);
    ck_assert_uint_eq(strspn(id0, "0123456789abcdef"), 32);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1 - 1), HZ_EINVAL);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    store_rollback(st);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_eq(id0, id1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_data_id(st, id2, sizeof id2), HZ_OK);
    ck_assert_str_ne(id0, id2);
    ck_assert_int_eq(version_of(st), 1);
    store_close(st);
    /* reopened read-only: the same identity and version */
    st = store_open(target, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_eq(id1, id2);
    ck_assert_int_eq(version_of(st), 1);
    store_close(st);
}
END_TEST

START_TEST(test_open_errors)
{
    char err[512];
    /* a database without the schema, opened without STORE_CREATE */
    if (!pgname[0]) {
        FILE *f = fopen(target, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    }
    ck_assert_ptr_null(store_open(target, 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "not a hazmap database"));
    if (pgname[0]) {
        char bad[600];
        snprintf(bad, sizeof bad, "%s dbname=no_such_db password=s3cret", pg_base());
        ck_assert_ptr_null(store_open(bad, STORE_CREATE, err, sizeof err));
        ck_assert_ptr_nonnull(strstr(err, "no_such_db"));
        ck_assert_ptr_null(strstr(err, "s3cret")); /* the password stays out of messages */
    }
}
END_TEST

START_TEST(test_bulk_outcomes)
{
    char err[512];
    store *st = open_new();
    int64_t batch = 0;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_batch_begin(st, "incidents", "gen.csv", &batch, err, sizeof err), HZ_OK);
    store_bulk *b = store_bulk_begin(st, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    static hz_incident_rec recs[NGEN];
    static const hz_incident_rec *ptrs[NGEN + 1];
    static store_put_outcome outs[NGEN + 1];
    for (int i = 0; i < NGEN; i++) {
        recs[i] = gen(i);
        ptrs[i] = &recs[i];
    }
    /* one row by itself, then the rest in groups, then a group holding the same key twice */
    ck_assert_msg(store_bulk_put(b, ptrs[0], batch, &outs[0], err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_msg(store_bulk_put_many(b, ptrs + 1, 400, batch, outs + 1, err, sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_msg(
        store_bulk_put_many(b, ptrs + 401, NGEN - 401, batch, outs + 401, err, sizeof err) == HZ_OK,
        "%s", err);
    for (int i = 0; i < NGEN; i++)
        ck_assert_int_eq(outs[i], STORE_PUT_INSERTED);
    hz_incident_rec again[3] = {gen(5), gen(6), gen(5)};
    again[2].age = 33;
    const hz_incident_rec *ap[3] = {&again[0], &again[1], &again[2]};
    ck_assert_int_eq(store_bulk_put_many(b, ap, 3, batch, outs, err, sizeof err), HZ_OK);
    ck_assert_int_eq(outs[0], STORE_PUT_UNCHANGED);
    ck_assert_int_eq(outs[1], STORE_PUT_UNCHANGED);
    ck_assert_int_eq(outs[2], STORE_PUT_REPLACED);
    /* the same in a group large enough for COPY: a new key given twice, then an old one twice */
    static hz_incident_rec big[44];
    static const hz_incident_rec *bp[44];
    char nsid[16] = "n1";
    for (int i = 0; i < 44; i++) {
        big[i] = gen(100 + i);
        bp[i] = &big[i];
    }
    big[0].source_id = nsid;
    big[1].source_id = nsid;
    big[1].age = 122;
    big[43] = gen(100);
    big[43].age = 124;
    ck_assert_int_eq(store_bulk_put_many(b, bp, 44, batch, outs, err, sizeof err), HZ_OK);
    ck_assert_int_eq(outs[0], STORE_PUT_INSERTED);
    ck_assert_int_eq(outs[1], STORE_PUT_REPLACED);
    for (int i = 2; i < 43; i++)
        ck_assert_int_eq(outs[i], STORE_PUT_UNCHANGED);
    ck_assert_int_eq(outs[43], STORE_PUT_REPLACED);
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), 1);
    ck_assert_int_eq(ref_count("SELECT age FROM incidents WHERE source_id='n1'"), 122);
    ck_assert_int_eq(ref_count("SELECT age FROM incidents WHERE source_id='r100'"), 124);
    /* a COPY group of new and changed rows without duplicates */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    for (int i = 0; i < 44; i++) {
        big[i] = gen(200 + i);
        big[i].age = i % 2 ? big[i].age : 123; /* even rows changed */
    }
    ck_assert_int_eq(store_bulk_put_many(b, bp, 44, batch, outs, err, sizeof err), HZ_OK);
    for (int i = 0; i < 44; i++)
        ck_assert_int_eq(outs[i], i % 2 ? STORE_PUT_UNCHANGED : STORE_PUT_REPLACED);
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE age=123"), 22);
    /* back as generated */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    for (int i = 0; i < 44; i++)
        big[i] = gen(200 + i);
    big[43] = gen(100);
    ck_assert_int_eq(store_bulk_put_many(b, bp, 44, batch, outs, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_bulk_finish(b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE age=123 OR age=124"), 0);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_incident_put(st, &recs[5], &outs[0], err, sizeof err), HZ_OK);
    ck_assert_int_eq(outs[0], STORE_PUT_REPLACED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    /* n1 is no generated row: out of the comparison below (removed behind the store's back) */
    ck_assert_int_eq(ref_sql("DELETE FROM incidents WHERE source_id='n1'", NULL), 0);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM incidents WHERE batch_id=%" PRId64, batch);
    ck_assert_int_eq(ref_count(sql), NGEN);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE ST_X(geom)=lon AND "
                               "ST_Y(geom)=lat"),
                     NGEN);
    /* every row is back as generated: every field matches, in id order */
    collect c = {.want_from = 0};
    ck_assert_int_eq(store_incidents_scan(st, collect_cb, &c, err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.n, NGEN);

    /* the same load again changes nothing: all unchanged, the version stays */
    int64_t v = version_of(st);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(store_bulk_put_many(b, ptrs, NGEN, batch, outs, err, sizeof err), HZ_OK);
    for (int i = 0; i < NGEN; i++)
        ck_assert_int_eq(outs[i], STORE_PUT_UNCHANGED);
    ck_assert_int_eq(store_bulk_finish(b, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v);
    /* a load rolled back leaves nothing */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    hz_incident_rec extra = gen(NGEN - 1);
    extra.source_id = "new";
    const hz_incident_rec *ep = &extra;
    ck_assert_int_eq(store_bulk_put_many(b, &ep, 1, batch, outs, err, sizeof err), HZ_OK);
    ck_assert_int_eq(outs[0], STORE_PUT_INSERTED);
    store_bulk_free(b);
    store_rollback(st);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents"), NGEN);
    ck_assert_int_eq(version_of(st), v);
    store_close(st);
}
END_TEST

typedef struct got_rec {
    int n;
    char sid[8][16];
    char desc[8][32];
    int has_extra[8];
} got_rec;

static int got_cb(void *ud, const hz_incident_rec *r)
{
    got_rec *g = ud;
    snprintf(g->sid[g->n], sizeof g->sid[0], "%s", r->source_id);
    snprintf(g->desc[g->n], sizeof g->desc[0], "%s", r->description ? r->description : "-");
    g->has_extra[g->n] = r->extra != NULL;
    ck_assert_str_eq(r->source, "gen.csv");
    g->n++;
    return 0;
}

START_TEST(test_get_in_read_tx)
{
    char err[512];
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    store_put_outcome o;
    for (int i = 0; i < 4; i++) {
        hz_incident_rec r = gen(i);
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    collect c = {.want_from = 0};
    ck_assert_int_eq(store_incidents_scan(st, collect_cb, &c, err, sizeof err), HZ_OK);
    int64_t ids[3] = {c.ids[3], 987654, c.ids[0]};
    got_rec g = {0};
    ck_assert_int_eq(store_query_read_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_incidents_get(st, ids, 3, got_cb, &g, err, sizeof err), HZ_OK);
    store_query_read_end(st);
    ck_assert_int_eq(g.n, 2);
    ck_assert_str_eq(g.sid[0], "r3");
    ck_assert_str_eq(g.desc[0], "跌倒 3");
    ck_assert_str_eq(g.sid[1], "r0");
    ck_assert_str_eq(g.desc[1], "-");
    ck_assert_int_eq(g.has_extra[1], 1);
    store_close(st);
}
END_TEST

typedef struct area_seen {
    int n;
    char codes[4][8];
    double x0;
    size_t rings, points;
} area_seen;

static int ring_cb(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    area_seen *a = ud;
    ck_assert_int_eq(polygon, 0);
    ck_assert_int_eq(ring, 0);
    a->rings++;
    a->points += n;
    for (size_t i = 0; i < n; i++)
        if (xy[2 * i] < a->x0) a->x0 = xy[2 * i];
    return 0;
}

static int area_cb(void *ud, const hz_area_rec *a)
{
    area_seen *s = ud;
    snprintf(s->codes[s->n++], sizeof s->codes[0], "%s", a->code);
    ck_assert_int_eq(a->population, 1000);
    ck_assert_ptr_null(a->name_en);
    ck_assert(a->wkb_len > 5 && a->wkb[0] == 1);
    uint32_t type;
    memcpy(&type, a->wkb + 1, 4);
    ck_assert_int_eq(type, 6); /* MULTIPOLYGON */
    ck_assert_int_eq(wkb_polygon_rings(a->wkb, a->wkb_len, ring_cb, s), 0);
    return 0;
}

START_TEST(test_areas_scan)
{
    char err[512];
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "b", 104.0);
    put_area(st, "a", 104.0);
    put_area(st, "B", 103.5);
    put_area(st, "a", 104.25); /* replaces */
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    area_seen s = {.x0 = 1e9};
    ck_assert_int_eq(store_areas_scan(st, area_cb, &s, err, sizeof err), HZ_OK);
    ck_assert_int_eq(s.n, 3);
    /* byte order of the codes, as SQLite's BINARY collation */
    ck_assert_str_eq(s.codes[0], "B");
    ck_assert_str_eq(s.codes[1], "a");
    ck_assert_str_eq(s.codes[2], "b");
    ck_assert_uint_eq(s.rings, 3);
    ck_assert_uint_eq(s.points, 15);
    ck_assert(s.x0 == 103.5);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM areas WHERE code='a' AND ST_X(ST_PointN("
                               "ST_ExteriorRing(ST_GeometryN(geom,1)),1)) = 104.25"),
                     1);
    store_close(st);
}
END_TEST

START_TEST(test_bookkeeping)
{
    char err[512];
    store *st = open_new();
    int64_t batch = 0, v = version_of(st);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_batch_begin(st, "incidents", "x.csv", &batch, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_reject_add(st, batch, 3, "1,2,3", "bad date", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_reject_add(st, batch, 4, NULL, "empty", err, sizeof err), HZ_OK);
    /* a rejected row's raw text is often not UTF-8 (a GBK file read as UTF-8) */
    ck_assert_msg(
        store_reject_add(st, batch, 5, "\xb5\xf8\xb5\xb9,x", "encoding", err, sizeof err) == HZ_OK,
        "%s", err);
    ck_assert_int_eq(store_batch_finish(st, batch, "{\"read\":3}", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    /* bookkeeping is not data: the version stays */
    ck_assert_int_eq(version_of(st), v);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM import_rejects"), 3);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM import_rejects WHERE raw IS NULL"), 1);
    ck_assert_int_eq(
        ref_count("SELECT count(*) FROM import_batches WHERE finished_at IS NOT NULL AND "
                  "summary='{\"read\":3}' AND kind='incidents' AND file='x.csv'"),
        1);
    /* rolled back with the import */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_batch_begin(st, "incidents", "y.csv", &batch, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_reject_add(st, batch, 1, "z", "bad", err, sizeof err), HZ_OK);
    store_rollback(st);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM import_batches"), 1);
    store_close(st);
}
END_TEST

START_TEST(test_tokens)
{
    char err[512], tok[65], tok2[65];
    store *st = open_new();
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PLANNER, "ana", tok, err, sizeof err), HZ_OK);
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_EDITOR, NULL, tok2, err, sizeof err), HZ_OK);
    hz_role r;
    ck_assert_int_eq(tokens_lookup(st, tok, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r, HZ_ROLE_PLANNER);
    ck_assert_int_eq(tokens_lookup(st, tok2, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r, HZ_ROLE_EDITOR);
    /* the label, for the actor of an audited write ("" without one) */
    char label[16] = "?";
    ck_assert_int_eq(tokens_lookup_label(st, tok, &r, label, sizeof label, err, sizeof err), HZ_OK);
    ck_assert_str_eq(label, "ana");
    ck_assert_int_eq(tokens_lookup_label(st, tok2, &r, label, sizeof label, err, sizeof err),
                     HZ_OK);
    ck_assert_str_eq(label, "");
    tok[0] = tok[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(tokens_lookup(st, tok, &r, err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(r, HZ_ROLE_PUBLIC);
    /* only the hash is stored */
    char hex[65], sql[160];
    tokens_hash(tok2, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tokens WHERE hash='%s' AND role='editor'", hex);
    ck_assert_int_eq(ref_count(sql), 1);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM tokens WHERE label='ana'"), 1);
    ck_assert_int_eq(version_of(st), 0);
    store_close(st);
}
END_TEST

typedef struct rel_seen {
    int n, nblobs;
    int64_t ids[4];
    char meta[4][32];
    size_t lens[4];
    unsigned char first[4];
} rel_seen;

static int rel_cb(void *ud, const store_release_rec *r)
{
    rel_seen *s = ud;
    s->ids[s->n] = r->id;
    snprintf(s->meta[s->n], sizeof s->meta[0], "%s", r->metadata);
    s->n++;
    return 0;
}

static int blob_cb(void *ud, const store_release_blob *b)
{
    rel_seen *s = ud;
    s->lens[s->nblobs] = b->len;
    s->first[s->nblobs] = b->len ? b->data[0] : 0;
    s->nblobs++;
    return 0;
}

START_TEST(test_releases)
{
    char err[512];
    store *st = open_new();
    int64_t latest;
    ck_assert_int_eq(store_release_latest(st, &latest, err, sizeof err), HZ_ENOTFOUND);
    unsigned char cells[300];
    for (int i = 0; i < 300; i++)
        cells[i] = (unsigned char)(i * 7);
    cells[0] = 0; /* a NUL byte in a blob */
    store_release_blob blobs[2] = {{.name = "z_table", .data = cells, .len = 300},
                                   {.name = "a_table", .data = cells + 1, .len = 10}};
    store_release_rec r = {
        .created_at = "2025-01-31T08:00:00Z", .data_version = 4, .metadata = "{\"m\":1}"};
    int64_t id1, id2;
    ck_assert_msg(store_release_put(st, &r, 2, blobs, &id1, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(version_of(st), 0); /* releases are not incident data */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r.metadata = "{\"m\":2}";
    ck_assert_int_eq(store_release_put(st, &r, 0, NULL, &id2, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(id2, id1 + 1);
    ck_assert_int_eq(store_release_latest(st, &latest, err, sizeof err), HZ_OK);
    ck_assert_int_eq(latest, id2);
    rel_seen s = {0};
    ck_assert_int_eq(store_release_list(st, rel_cb, &s, err, sizeof err), HZ_OK);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.meta[0], "{\"m\":1}");
    rel_seen g = {0};
    ck_assert_int_eq(store_release_get(st, id1, rel_cb, blob_cb, &g, err, sizeof err), HZ_OK);
    ck_assert_int_eq(g.n, 1);
    ck_assert_int_eq(g.nblobs, 2);
    ck_assert_uint_eq(g.lens[0], 10); /* by name: a_table first */
    ck_assert_uint_eq(g.first[0], 7);
    ck_assert_uint_eq(g.lens[1], 300);
    ck_assert_uint_eq(g.first[1], 0);
    ck_assert_int_eq(store_release_get(st, 99, rel_cb, NULL, &g, err, sizeof err), HZ_ENOTFOUND);
    store_close(st);
    /* immutable, whoever asks */
    ck_assert_int_eq(ref_sql("UPDATE releases SET metadata='x'", NULL), -1);
    ck_assert_int_eq(ref_sql("DELETE FROM release_tables", NULL), -1);
    ck_assert_int_eq(
        ref_sql("INSERT INTO release_tables(release_id,name,cells) VALUES(1,'n','x')", NULL), -1);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM release_tables"), 2);
}
END_TEST

START_TEST(test_import_idempotent)
{
    char err[512], path[128];
    snprintf(path, sizeof path, "/tmp/hazmap-store-import-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("id,occurred_at,lon,lat,severity,mechanism,age\n"
          "1,2013-01-02T08:00:00,104.05,30.05,minor,fall,70\n"
          "2,2013-01-03,104.06,30.06,serious,traffic,\n"
          "3,2013-02-30,104.06,30.06,minor,fall,5\n"
          "4,2013-01-04,200,30.06,minor,fall,5\n"
          "5,2013-01-05,104.5,30.5,minor,drowning,12\n",
          f);
    fclose(f);
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    import_summary sum;
    import_opts o = {.source = "t"};
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.read, 5);
    ck_assert_int_eq(sum.loaded, 3);
    ck_assert_int_eq(sum.rejected, 2);
    ck_assert_int_eq(sum.outside, 1);
    int64_t v = version_of(st);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM import_rejects"), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE area_code='A1'"), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE source='t' AND "
                               "occurred_at='2013-01-02T08:00:00+08:00' AND age=70"),
                     1);
    /* the same file again: nothing changes, the version stays */
    ck_assert_msg(import_incidents(st, path, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 0);
    ck_assert_int_eq(sum.unchanged, 3);
    ck_assert_int_eq(version_of(st), v);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents"), 3);
    store_close(st);
    unlink(path);
}
END_TEST

/* ---- the incremental reload (incset_reload()) ---- */

static char reload_dir[64]; /* HAZMAP_SNAPSHOT_DIR of test_incremental_reload */

/* Removes every snapshot file of the store, so that the next incset_load() reads the rows. */
static void drop_snapshot_files(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s.snapshot", target);
    unlink(p);
    DIR *d = opendir(reload_dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", reload_dir, e->d_name);
            ck_assert_int_eq(unlink(p), 0);
        }
    closedir(d);
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* got equals a full load of the store made now from its rows, field by field. */
static void same_as_full_load(store *st, const incset *got)
{
    char err[512];
    drop_snapshot_files();
    incset *want = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(want != NULL, "%s", err);
    ck_assert_int_eq(incset_source_of(want, NULL), INCSET_ROWS);
    ck_assert_int_eq(incset_data_version(got), incset_data_version(want));
    ck_assert_str_eq(incset_work_srs(got), incset_work_srs(want));
    ck_assert_uint_eq(incset_area_count(got), incset_area_count(want));
    for (size_t k = 0; k < incset_area_count(want); k++) {
        ck_assert_str_eq(incset_areas(got)[k].code, incset_areas(want)[k].code);
        ck_assert_int_eq(incset_areas(got)[k].parent, incset_areas(want)[k].parent);
    }
    ck_assert_uint_eq(incset_count(got), incset_count(want));
    const hz_incident *g = incset_items(got), *w = incset_items(want);
    for (size_t k = 0; k < incset_count(want); k++) {
        ck_assert_int_eq(g[k].id, w[k].id);
        ck_assert(same_double(g[k].lon, w[k].lon) && same_double(g[k].lat, w[k].lat));
        ck_assert(same_double(g[k].x, w[k].x) && same_double(g[k].y, w[k].y));
        ck_assert_int_eq(g[k].t, w[k].t);
        ck_assert_int_eq(g[k].area, w[k].area);
        ck_assert_int_eq(g[k].mechanism, w[k].mechanism);
        ck_assert_int_eq(g[k].place, w[k].place);
        ck_assert_int_eq(g[k].intent, w[k].intent);
        ck_assert_int_eq(g[k].severity, w[k].severity);
        ck_assert_int_eq(g[k].sex, w[k].sex);
        ck_assert_int_eq(g[k].disability, w[k].disability);
        ck_assert_int_eq(g[k].age, w[k].age);
        ck_assert_int_eq(g[k].victims, w[k].victims);
        ck_assert_int_eq(g[k].activity, w[k].activity);
        ck_assert_int_eq(g[k].outcome, w[k].outcome);
    }
    ck_assert_int_eq(memcmp(g, w, incset_count(want) * sizeof *g), 0); /* the file's bytes too */
    int64_t t0, t1, u0, u1;
    incset_time_span(got, &t0, &t1);
    incset_time_span(want, &u0, &u1);
    ck_assert(t0 == u0 && t1 == u1);
    incset_free(want);
}

/* Reloads from old, expecting how it is built and (with INCSET_DELTA) the rows it read; checks
 * the result against a full load; frees old and returns the new snapshot. */
static incset *reload_expect(store *st, incset *old, incset_source how, size_t rows)
{
    char err[512];
    drop_snapshot_files(); /* a full load then reads the rows (INCSET_ROWS), not a file */
    incset *s = incset_reload(old, st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    size_t got_rows;
    ck_assert_int_eq(incset_source_of(s, &got_rows), how);
    if (how == INCSET_DELTA) ck_assert_uint_eq(got_rows, rows);
    incset_free(old);
    same_as_full_load(st, s);
    return s;
}

static void write_csv(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_incremental_reload)
{
    char err[512], csv[128];
    snprintf(reload_dir, sizeof reload_dir, "/tmp/hazmap-reload-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(reload_dir));
    ck_assert_int_eq(setenv("HAZMAP_SNAPSHOT_DIR", reload_dir, 1), 0);
    snprintf(csv, sizeof csv, "/tmp/hazmap-store-reload-%d.csv", (int)getpid());
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    put_area(st, "A2", 104.2);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    import_summary sum;
    import_opts o = {.source = "t"};
    write_csv(csv, "id,occurred_at,lon,lat,severity,mechanism,age\n"
                   "1,2013-01-02T08:00:00,104.05,30.05,minor,fall,70\n"
                   "2,2013-01-03,104.06,30.06,serious,traffic,\n"
                   "3,2013-01-04,104.25,30.02,minor,fall,5\n"
                   "4,2013-01-05,104.5,30.5,minor,drowning,12\n");
    ck_assert_msg(import_incidents(st, csv, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 4);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_eq(incset_source_of(s, NULL), INCSET_ROWS);
    incset_free(s);
    s = incset_load(st, NULL, err, sizeof err); /* from the file: it knows its batch too */
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_eq(incset_source_of(s, NULL), INCSET_FILE);

    /* a re-import: row 1 changed, 2 and 3 unchanged, 4 changed, 5 and 6 new; 2 rows replaced and
     * 2 added, nothing else read */
    write_csv(csv, "id,occurred_at,lon,lat,severity,mechanism,age\n"
                   "1,2013-01-02T08:00:00,104.05,30.05,minor,fall,71\n"
                   "2,2013-01-03,104.06,30.06,serious,traffic,\n"
                   "3,2013-01-04,104.25,30.02,minor,fall,5\n"
                   "4,2013-01-07,104.07,30.07,serious,drowning,12\n"
                   "5,2013-02-01,104.21,30.01,minor,traffic,30\n"
                   "6,2012-12-31,104.08,30.08,minor,fall,40\n");
    ck_assert_msg(import_incidents(st, csv, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 2);
    ck_assert_int_eq(sum.replaced, 2);
    ck_assert_int_eq(sum.unchanged, 2);
    s = reload_expect(st, s, INCSET_DELTA, 4);
    incset *keep = incset_reload(s, st, NULL, err, sizeof err); /* same version: nothing new */
    ck_assert_msg(keep != NULL, "%s", err);
    ck_assert_int_eq(incset_source_of(keep, NULL), INCSET_DELTA);

    /* a POSTed incident (a new source id, outside any batch) */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    hz_incident_rec r = gen(7);
    store_put_outcome po;
    ck_assert_int_eq(store_incident_put(st, &r, &po, err, sizeof err), HZ_OK);
    ck_assert_int_eq(po, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    s = reload_expect(st, s, INCSET_DELTA, 1);
    /* two commits at once, from the snapshot of two versions ago */
    ck_assert_msg(import_incidents(st, csv, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.unchanged, 6);
    write_csv(csv, "id,occurred_at,lon,lat,severity,mechanism,age\n"
                   "6,2012-12-30,104.08,30.08,minor,fall,40\n"
                   "7,2014-01-01,104.09,30.09,minor,fall,9\n");
    ck_assert_msg(import_incidents(st, csv, &o, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r = gen(8);
    ck_assert_int_eq(store_incident_put(st, &r, &po, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    keep = reload_expect(st, keep, INCSET_DELTA, 4); /* 1 POST and 6, 7 of the first two */

    /* a POST replacing a record outside any batch: the horizon forces a full load, for every
     * snapshot older than that commit, and a later one reloads by the rows again */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r = gen(7);
    r.age = 3;
    ck_assert_int_eq(store_incident_put(st, &r, &po, err, sizeof err), HZ_OK);
    ck_assert_int_eq(po, STORE_PUT_REPLACED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    s = reload_expect(st, s, INCSET_ROWS, 0);
    keep = reload_expect(st, keep, INCSET_ROWS, 0);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r = gen(9);
    ck_assert_int_eq(store_incident_put(st, &r, &po, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    s = reload_expect(st, s, INCSET_DELTA, 1);
    incset_free(keep);

    /* a bulk load outside any batch (batch 0, as store_copy() loads) that replaces records:
     * the horizon again, through the row-by-row and the grouped (COPY on PostGIS) paths */
    for (int group = 1; group <= 40; group += 39) {
        ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
        store_bulk *b = store_bulk_begin(st, err, sizeof err);
        ck_assert_msg(b != NULL, "%s", err);
        hz_incident_rec recs[40];
        const hz_incident_rec *pr[40];
        store_put_outcome outs[40];
        for (int k = 0; k < group; k++) {
            recs[k] = gen(group == 1 ? 20 : 30 + k);
            pr[k] = &recs[k];
        }
        ck_assert_int_eq(store_bulk_put_many(b, pr, (size_t)group, 0, outs, err, sizeof err),
                         HZ_OK);
        ck_assert_int_eq(store_bulk_finish(b, err, sizeof err), HZ_OK);
        ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
        s = reload_expect(st, s, INCSET_DELTA, (size_t)group); /* new ones */
        ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
        b = store_bulk_begin(st, err, sizeof err);
        ck_assert_msg(b != NULL, "%s", err);
        for (int k = 0; k < group; k++)
            recs[k].age = 77;
        ck_assert_int_eq(store_bulk_put_many(b, pr, (size_t)group, 0, outs, err, sizeof err),
                         HZ_OK);
        ck_assert_int_eq(outs[0], STORE_PUT_REPLACED);
        ck_assert_int_eq(store_bulk_finish(b, err, sizeof err), HZ_OK);
        ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
        s = reload_expect(st, s, INCSET_ROWS, 0);
    }

    /* a changed area: full load */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A2", 104.3);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    s = reload_expect(st, s, INCSET_ROWS, 0);

    /* a row deleted behind the store's back, then a commit: the count differs, full load */
    ck_assert_int_eq(ref_sql("DELETE FROM incidents WHERE id=2", NULL), 0);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    r = gen(10);
    ck_assert_int_eq(store_incident_put(st, &r, &po, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    s = reload_expect(st, s, INCSET_ROWS, 0);
    incset_free(s);
    store_close(st);
    drop_snapshot_files();
    unsetenv("HAZMAP_SNAPSHOT_DIR");
    ck_assert_int_eq(rmdir(reload_dir), 0);
    unlink(csv);
}
END_TEST

typedef struct links_seen {
    int n;
    int64_t id[8], a[8], b[8];
    double score[8];
    char status[8][12];
    int reviewed[8];
} links_seen;

static int link_cb(void *ud, const store_link_rec *l)
{
    links_seen *s = ud;
    s->id[s->n] = l->id;
    s->a[s->n] = l->a;
    s->b[s->n] = l->b;
    s->score[s->n] = l->score;
    snprintf(s->status[s->n], sizeof s->status[0], "%s", l->status);
    s->reviewed[s->n] = l->reviewer != NULL && l->at != NULL;
    s->n++;
    return 0;
}

START_TEST(test_links)
{
    char err[512];
    store *st = open_new();
    links_seen s = {0};
    int64_t total = -1, changed = -1;
    ck_assert_int_eq(store_links_scan(st, NULL, 0, -1, link_cb, &s, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(total, 0);
    store_link_rec l1[3] = {{.a = 2, .b = 3, .score = 0.5, .status = "auto"},
                            {.a = 1, .b = 2, .score = 3.5, .status = "auto"},
                            {.a = 1, .b = 3, .score = 1.0 / 3.0, .status = "possible"}};
    ck_assert_msg(store_links_sync(st, l1, 3, &changed, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(changed, 3);
    int64_t v = version_of(st);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(store_links_sync(st, l1, 3, &changed, err, sizeof err), HZ_OK);
    ck_assert_int_eq(changed, 0);
    ck_assert_int_eq(version_of(st), v);
    ck_assert_int_eq(store_links_scan(st, NULL, 0, -1, link_cb, &s, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(s.n, 3);
    /* written in (a, b) order */
    ck_assert(s.a[0] == 1 && s.b[0] == 2 && s.a[1] == 1 && s.b[1] == 3 && s.a[2] == 2);
    ck_assert(s.score[1] == 1.0 / 3.0);
    ck_assert(s.id[0] < s.id[1] && s.id[1] < s.id[2]);
    ck_assert_int_eq(store_link_review(st, s.id[0], "rejected", "ana", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_link_review(st, s.id[1], "confirmed", "bo", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_link_review(st, 9999, "rejected", "ana", err, sizeof err), HZ_ENOTFOUND);
    ck_assert_int_eq(store_link_review(st, s.id[2], "maybe", "ana", err, sizeof err), HZ_EINVAL);
    ck_assert_int_eq(version_of(st), v + 2);
    /* a re-run: reviewed rows stay as decided, the rest follow the linkage */
    store_link_rec l2[3] = {{.a = 1, .b = 3, .score = 2.0, .status = "auto"},
                            {.a = 2, .b = 3, .score = 0.75, .status = "possible"},
                            {.a = 3, .b = 4, .score = 1.0, .status = "auto"}};
    ck_assert_int_eq(store_links_sync(st, l2, 3, &changed, err, sizeof err), HZ_OK);
    ck_assert_int_eq(changed, 2);
    links_seen t = {0};
    ck_assert_int_eq(store_links_scan(st, NULL, 0, -1, link_cb, &t, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(t.n, 4);
    ck_assert_int_eq(total, 4);
    ck_assert_str_eq(t.status[0], "rejected");
    ck_assert_str_eq(t.status[1], "confirmed");
    ck_assert(t.reviewed[0] && t.reviewed[1] && !t.reviewed[2]);
    ck_assert(t.score[1] == 1.0 / 3.0); /* not touched */
    ck_assert_str_eq(t.status[2], "possible");
    ck_assert(t.score[2] == 0.75 && t.id[2] == s.id[2]);
    ck_assert(t.a[3] == 3 && t.b[3] == 4);
    /* paging and a status */
    links_seen u = {0};
    ck_assert_int_eq(store_links_scan(st, NULL, 1, 2, link_cb, &u, &total, err, sizeof err), HZ_OK);
    ck_assert_int_eq(u.n, 2);
    ck_assert_int_eq(u.id[0], t.id[1]);
    links_seen w = {0};
    ck_assert_int_eq(store_links_scan(st, "auto", 0, -1, link_cb, &w, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(w.n, 1);
    ck_assert_int_eq(total, 1);
    links_seen g = {0};
    ck_assert_int_eq(store_link_get(st, t.id[3], link_cb, &g, err, sizeof err), HZ_OK);
    ck_assert_int_eq(g.a[0], 3);
    ck_assert_int_eq(store_link_get(st, 9999, link_cb, &g, err, sizeof err), HZ_ENOTFOUND);
    store_close(st);
}
END_TEST

typedef struct roads_seen {
    int nseg, nnode;
    double sum_lon, maxspeed_nan, lanes;
    int64_t from_node[4];
    size_t npts[4];
    char name[4][16];
} roads_seen;

static int seg_cb(void *ud, const hz_road_seg_rec *r)
{
    roads_seen *s = ud;
    for (size_t k = 0; k < r->npts; k++)
        s->sum_lon += r->lon[k];
    s->from_node[s->nseg] = r->from_node;
    s->npts[s->nseg] = r->npts;
    snprintf(s->name[s->nseg], sizeof s->name[0], "%s", r->name ? r->name : "-");
    if (isnan(r->maxspeed_kmh)) s->maxspeed_nan++;
    s->lanes += r->lanes;
    s->nseg++;
    return 0;
}

static int node_cb(void *ud, const hz_road_node_rec *r)
{
    roads_seen *s = ud;
    ck_assert_str_eq(r->source, "net.geojson");
    s->nnode++;
    return 0;
}

START_TEST(test_roads)
{
    char err[512];
    store *st = open_new();
    hz_road_node_rec nodes[3] = {{.node = 10, .degree = 1, .lon = 104.0, .lat = 30.0},
                                 {.node = 20, .degree = 2, .lon = 104.01, .lat = 30.0},
                                 {.node = 30, .degree = 1, .lon = 104.02, .lat = 30.01}};
    double lon1[3] = {104.0, 104.005, 104.01}, lat1[3] = {30.0, 30.0001, 30.0};
    double lon2[2] = {104.01, 104.02}, lat2[2] = {30.0, 30.01};
    hz_road_seg_rec segs[2] = {{.source_id = "a",
                                .from_node = 10,
                                .to_node = 20,
                                .name = "红星路",
                                .cls = "primary",
                                .oneway = 1,
                                .lanes = 4,
                                .maxspeed_kmh = 50,
                                .volume = NAN,
                                .length_m = 960.5,
                                .npts = 3,
                                .lon = lon1,
                                .lat = lat1},
                               {.source_id = "b",
                                .from_node = 20,
                                .to_node = 30,
                                .cls = "residential",
                                .lanes = -1,
                                .maxspeed_kmh = NAN,
                                .volume = 1200,
                                .length_m = 1400,
                                .npts = 2,
                                .lon = lon2,
                                .lat = lat2}};
    store_put_outcome o;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_msg(store_roads_put(st, "net.geojson", 3, nodes, 2, segs, &o, err, sizeof err) ==
                      HZ_OK,
                  "%s", err);
    ck_assert_int_eq(o, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    int64_t v = version_of(st), ns, nn;
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(store_roads_counts(st, &ns, &nn), HZ_OK);
    ck_assert(ns == 2 && nn == 3);
    /* a segment end that is no node is refused before anything is written */
    segs[1].to_node = 99;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_roads_put(st, "x", 3, nodes, 2, segs, &o, err, sizeof err), HZ_EINVAL);
    store_rollback(st);
    segs[1].to_node = 30;
    /* the same network again: unchanged, the version stays */
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_roads_put(st, "net.geojson", 3, nodes, 2, segs, &o, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v);
    /* other content replaces the source's rows */
    segs[1].name = "东大街";
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_roads_put(st, "net.geojson", 3, nodes, 2, segs, &o, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_REPLACED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v + 1);
    roads_seen r = {0};
    ck_assert_int_eq(store_road_segs_scan(st, seg_cb, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_road_nodes_scan(st, node_cb, &r, err, sizeof err), HZ_OK);
    ck_assert_int_eq(r.nseg, 2);
    ck_assert_int_eq(r.nnode, 3);
    ck_assert(r.sum_lon == 104.0 + 104.005 + 104.01 + 104.01 + 104.02);
    ck_assert(r.from_node[0] == 10 && r.from_node[1] == 20);
    ck_assert(r.npts[0] == 3 && r.npts[1] == 2);
    ck_assert_str_eq(r.name[1], "东大街");
    ck_assert(r.maxspeed_nan == 1 && r.lanes == 3);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM road_segments WHERE ST_NPoints(geom)=3 AND "
                               "ST_SRID(geom)=4326"),
                     1);
    store_close(st);
}
END_TEST

/* Fills st with a little of everything store_copy() copies. */
static void fill_all(store *st, char tok[65])
{
    char err[512];
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    put_area(st, "A2", 104.2);
    store_put_outcome o;
    for (int i = 0; i < 50; i++) {
        hz_incident_rec r = gen(i);
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    hz_road_node_rec nodes[2] = {{.node = 1, .degree = 1, .lon = 104.0, .lat = 30.0},
                                 {.node = 2, .degree = 1, .lon = 104.01, .lat = 30.0}};
    double lon[2] = {104.0, 104.01}, lat[2] = {30.0, 30.0};
    hz_road_seg_rec seg = {.source_id = "s",
                           .from_node = 1,
                           .to_node = 2,
                           .name = "路",
                           .lanes = 2,
                           .maxspeed_kmh = NAN,
                           .volume = NAN,
                           .length_m = 960,
                           .npts = 2,
                           .lon = lon,
                           .lat = lat};
    ck_assert_int_eq(store_roads_put(st, "r1", 2, nodes, 1, &seg, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_roads_put(st, "r2", 2, nodes, 1, &seg, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    unsigned char cells[3] = {0, 1, 2};
    store_release_blob bl = {.name = "t", .data = cells, .len = 3};
    store_release_rec rel = {
        .created_at = "2025-01-31T08:00:00Z", .data_version = 1, .metadata = "{}"};
    int64_t rid;
    ck_assert_int_eq(store_release_put(st, &rel, 1, &bl, &rid, err, sizeof err), HZ_OK);
    collect c = {.want_from = -1};
    ck_assert_int_eq(store_incidents_scan(st, collect_cb, &c, err, sizeof err), HZ_OK);
    store_link_rec l[2] = {{.a = c.ids[3], .b = c.ids[7], .score = 2.5, .status = "auto"},
                           {.a = c.ids[4], .b = c.ids[9], .score = 0.5, .status = "possible"}};
    ck_assert_int_eq(store_links_sync(st, l, 2, NULL, err, sizeof err), HZ_OK);
    links_seen ls = {0};
    ck_assert_int_eq(store_links_scan(st, NULL, 0, -1, link_cb, &ls, NULL, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_link_review(st, ls.id[1], "confirmed", "ana", err, sizeof err), HZ_OK);
    ck_assert_int_eq(tokens_create(st, HZ_ROLE_PLANNER, "x", tok, err, sizeof err), HZ_OK);
    /* import bookkeeping: a batch with two rejected rows */
    int64_t batch;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_batch_begin(st, "incidents", "x.csv", &batch, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_reject_add(st, batch, 3, "1,2,3", "bad date", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_reject_add(st, batch, 4, NULL, "empty", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_batch_finish(st, batch, "{\"read\":3}", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    /* projects: one at version 3, one at version 1, the newest deleted (its id not to be reused) */
    unsigned char wkb[128];
    static char a1[] = "A1", i1[] = "跌倒人数", title[] = "防跌倒", group[] = "elderly", all[] = "";
    char *areas[1] = {a1}, *ind[1] = {i1};
    hz_project p = {.title = title,
                    .group = group,
                    .type = HZ_PTYPE_EDUCATION,
                    .target = all,
                    .areas = areas,
                    .nareas = 1,
                    .wkb = wkb,
                    .start = "2024-03-01",
                    .status = HZ_PSTATUS_ACTIVE,
                    .indicators = ind,
                    .nindicators = 1};
    p.wkb_len = tu_square_wkb(wkb, 104.01, 30.01, 104.02, 30.02);
    int64_t id[3];
    for (int i = 0; i < 3; i++)
        ck_assert_msg(store_project_add(st, &p, i ? "cli" : "planner:a", &id[i], err, sizeof err) ==
                          HZ_OK,
                      "%s", err);
    for (int v = 1; v <= 2; v++) {
        hz_project g;
        ck_assert_int_eq(store_project_get(st, id[0], &g, err, sizeof err), HZ_OK);
        snprintf(g.end, sizeof g.end, "%s", v == 1 ? "2025-01-01" : "2025-02-01");
        g.buffer_m = 0.1 * v;
        ck_assert_int_eq(store_project_update(st, &g, "editor:b", err, sizeof err), HZ_OK);
        project_free(&g);
    }
    ck_assert_int_eq(store_project_delete(st, id[2], 1, "cli", err, sizeof err), HZ_OK);
}

typedef struct proj_list {
    int n;
    char *text[4]; /* id, version, times and the API JSON of each */
} proj_list;

static int proj_list_cb(void *ud, const hz_project *p)
{
    proj_list *l = ud;
    ck_assert_int_lt(l->n, 4);
    json_t *j = project_to_json(p);
    char *js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    char buf[4096];
    snprintf(buf, sizeof buf, "%lld|%lld|%s|%s|%s", (long long)p->id, (long long)p->version,
             p->created_at, p->updated_at, js);
    l->text[l->n++] = strdup(buf);
    free(js);
    json_decref(j);
    return 0;
}

typedef struct audit_list {
    int n;
    char *text[16];
} audit_list;

static int audit_list_cb(void *ud, const store_audit_rec *a)
{
    audit_list *l = ud;
    ck_assert_int_lt(l->n, 16);
    size_t len = strlen(a->before ? a->before : "") + strlen(a->after ? a->after : "") + 256;
    char *t = malloc(len);
    snprintf(t, len, "%lld|%lld|%s|%s|%s|%s|%s", (long long)a->id, (long long)a->project_id, a->at,
             a->actor, a->action, a->before ? a->before : "NULL", a->after ? a->after : "NULL");
    l->text[l->n++] = t;
    return 0;
}

/* The projects registry of b is a's, row for row: ids, versions, times, fields; audit rows with
 * their ids, times, actors, before and after. A project added to b gets an id above every id
 * a's audit log names (the deleted newest one included). */
static void same_projects(store *a, store *b)
{
    char err[512];
    proj_list pa = {0}, pb = {0};
    audit_list aa = {0}, ab = {0};
    ck_assert_int_eq(store_projects_scan(a, NULL, -1, proj_list_cb, &pa, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_projects_scan(b, NULL, -1, proj_list_cb, &pb, err, sizeof err), HZ_OK);
    ck_assert_int_eq(pa.n, 2);
    ck_assert_int_eq(pb.n, pa.n);
    for (int i = 0; i < pa.n; i++) {
        ck_assert_str_eq(pb.text[i], pa.text[i]);
        free(pa.text[i]);
        free(pb.text[i]);
    }
    ck_assert_int_eq(
        store_project_audit_scan(a, 0, 0, -1, audit_list_cb, &aa, NULL, err, sizeof err), HZ_OK);
    ck_assert_int_eq(
        store_project_audit_scan(b, 0, 0, -1, audit_list_cb, &ab, NULL, err, sizeof err), HZ_OK);
    ck_assert_int_eq(aa.n, 6); /* 3 creates, 2 updates, 1 delete */
    ck_assert_int_eq(ab.n, aa.n);
    for (int i = 0; i < aa.n; i++) {
        ck_assert_str_eq(ab.text[i], aa.text[i]);
        free(aa.text[i]);
        free(ab.text[i]);
    }
}

/* A new project in st gets an id above every one its audit log names; it is deleted again. */
static void next_project_id_fresh(store *st)
{
    char err[512];
    hz_project g;
    int64_t top = 0, id;
    ck_assert_int_eq(store_project_get(st, 1, &g, err, sizeof err), HZ_OK);
    audit_list al = {0};
    ck_assert_int_eq(
        store_project_audit_scan(st, 0, 0, -1, audit_list_cb, &al, NULL, err, sizeof err), HZ_OK);
    for (int i = 0; i < al.n; i++) {
        long long pid = strtoll(strchr(al.text[i], '|') + 1, NULL, 10);
        if (pid > top) top = pid;
        free(al.text[i]);
    }
    ck_assert_int_eq(store_project_add(st, &g, "cli", &id, err, sizeof err), HZ_OK);
    ck_assert_int_gt(id, top);
    ck_assert_int_eq(store_project_delete(st, id, 0, "cli", err, sizeof err), HZ_OK);
    project_free(&g);
}

/* st holds what fill_all() wrote. */
static void check_all(store *st, const char *tok)
{
    char err[512];
    int64_t na, ni, ns, nn;
    ck_assert_int_eq(store_counts(st, &na, &ni), HZ_OK);
    ck_assert(na == 2 && ni == 50);
    collect c = {.want_from = 0};
    ck_assert_int_eq(store_incidents_scan(st, collect_cb, &c, err, sizeof err), HZ_OK);
    got_rec g = {0};
    ck_assert_int_eq(store_incidents_get(st, c.ids + 3, 1, got_cb, &g, err, sizeof err), HZ_OK);
    ck_assert_str_eq(g.desc[0], "跌倒 3");
    ck_assert_int_eq(store_roads_counts(st, &ns, &nn), HZ_OK);
    ck_assert(ns == 2 && nn == 4);
    rel_seen r = {0};
    ck_assert_int_eq(store_release_get(st, 1, rel_cb, blob_cb, &r, err, sizeof err), HZ_OK);
    ck_assert(r.nblobs == 1 && r.lens[0] == 3);
    links_seen ls = {0};
    ck_assert_int_eq(store_links_scan(st, NULL, 0, -1, link_cb, &ls, NULL, err, sizeof err), HZ_OK);
    ck_assert_int_eq(ls.n, 2);
    ck_assert(ls.a[0] == c.ids[3] && ls.b[0] == c.ids[7] && ls.score[0] == 2.5);
    ck_assert(ls.a[1] == c.ids[4] && ls.b[1] == c.ids[9]);
    ck_assert_str_eq(ls.status[1], "confirmed");
    ck_assert(ls.reviewed[1]);
    hz_role role;
    ck_assert_int_eq(tokens_lookup(st, tok, &role, err, sizeof err), HZ_OK);
    ck_assert_int_eq(role, HZ_ROLE_PLANNER);
}

START_TEST(test_copy_between_backends)
{
    char err[512], tok[65];
    store *a = open_new();
    fill_all(a, tok);
    check_all(a, tok);
    /* into a SpatiaLite file (from PostGIS when the suite runs there), then back into a new
     * database of the suite's backend */
    char file[96], again[600], name2[80] = "";
    snprintf(file, sizeof file, "/tmp/hazmap-store-copy-%d.sqlite", (int)getpid());
    tu_remove_db(file);
    store *b = store_open(file, STORE_CREATE, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    store_copy_summary sum;
    ck_assert_msg(store_copy(a, b, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert(sum.areas == 2 && sum.incidents == 50 && sum.road_sources == 2 && sum.releases == 1 &&
              sum.links == 2 && sum.tokens == 1);
    ck_assert(sum.projects == 2 && sum.audit == 6 && sum.batches == 1 && sum.rejects == 2);
    check_all(b, tok);
    same_projects(a, b);
    /* a store that is not empty is refused */
    ck_assert_int_eq(store_copy(a, b, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not empty"));
    if (pgname[0]) {
        snprintf(name2, sizeof name2, "%s_c", pgname);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", name2);
        pg_admin(sql);
        snprintf(again, sizeof again, "%s dbname=%s", pg_base(), name2);
    } else {
        snprintf(again, sizeof again, "%s.2", file);
        tu_remove_db(again);
    }
    store *c = store_open(again, STORE_CREATE, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_msg(store_copy(b, c, &sum, err, sizeof err) == HZ_OK, "%s", err);
    check_all(c, tok);
    same_projects(a, c);
    ck_assert(sum.projects == 2 && sum.audit == 6 && sum.batches == 1 && sum.rejects == 2);
    next_project_id_fresh(b);
    next_project_id_fresh(c);
    store_close(a);
    store_close(b);
    store_close(c);
    tu_remove_db(file);
    if (name2[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", name2);
        pg_admin(sql);
    } else {
        tu_remove_db(again);
    }
}
END_TEST

/* ---- two writers on two connections ---- */

typedef struct writer {
    store *st;
    int began;
    hz_status s;
} writer;

static void *slow_writer(void *ud)
{
    writer *w = ud;
    char err[512];
    store_put_outcome o;
    hz_incident_rec r = gen(1);
    w->s = store_begin(w->st, err, sizeof err);
    __atomic_store_n(&w->began, 1, __ATOMIC_SEQ_CST);
    if (w->s == HZ_OK) w->s = store_incident_put(w->st, &r, &o, err, sizeof err);
    struct timespec pause = {0, 300000000};
    nanosleep(&pause, NULL);
    if (w->s == HZ_OK) w->s = store_commit(w->st, err, sizeof err);
    return NULL;
}

START_TEST(test_writers_serialised)
{
    char err[512];
    store *a = open_new(), *b = store_open(target, 0, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    writer w = {.st = a};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, slow_writer, &w), 0);
    while (!__atomic_load_n(&w.began, __ATOMIC_SEQ_CST))
        usleep(1000);
    /* b's transaction starts only after a's commit, so it finds a's row as a wrote it; nothing
     * is asserted until the writer thread has ended */
    store_put_outcome o1 = STORE_PUT_INSERTED, o2 = STORE_PUT_UNCHANGED;
    hz_incident_rec r = gen(1), r2 = gen(2);
    hz_status s = store_begin(b, err, sizeof err);
    if (s == HZ_OK) s = store_incident_put(b, &r, &o1, err, sizeof err);
    if (s == HZ_OK) s = store_incident_put(b, &r2, &o2, err, sizeof err);
    if (s == HZ_OK) s = store_commit(b, err, sizeof err);
    if (s != HZ_OK) store_rollback(b);
    pthread_join(th, NULL);
    ck_assert_msg(s == HZ_OK, "%s", err);
    ck_assert_int_eq(w.s, HZ_OK);
    ck_assert_int_eq(o1, STORE_PUT_UNCHANGED);
    ck_assert_int_eq(o2, STORE_PUT_INSERTED);
    ck_assert_int_eq(version_of(a), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents"), 2);
    store_close(a);
    store_close(b);
}
END_TEST

/* ---- records with an area but no point (schema 3) ---- */

static int nopoint_of(int i)
{
    return i % 3 == 0;
}

static hz_incident_rec gen_nopoint(int i)
{
    hz_incident_rec r = gen(i);
    if (nopoint_of(i)) {
        r.lon = r.lat = NAN;
        r.area_code = "A1";
    }
    return r;
}

typedef struct nopoint_scan {
    int n, without;
} nopoint_scan;

static int nopoint_cb(void *ud, const hz_incident_rec *r)
{
    nopoint_scan *c = ud;
    /* both coordinates NaN together, or both numbers */
    ck_assert_int_eq(isnan(r->lon), isnan(r->lat));
    c->without += !hz_rec_has_point(r);
    c->n++;
    return 0;
}

static int64_t nopoint_rows(void)
{
    return ref_count("SELECT count(*) FROM incidents WHERE lon IS NULL AND lat IS NULL"
                     " AND geom IS NULL");
}

/* Incidents without a point through every write path (one row, a bulk group copied straight into
 * an empty table, a staged bulk group with inserts and replacements): stored as NULL lon, lat and
 * geom (read over the reference connection), read back as NaN, idempotent, and the schema version
 * row says STORE_SCHEMA_VERSION on both backends. */
START_TEST(test_area_only)
{
    char err[512];
    store *st = open_new();
    ck_assert_int_eq(ref_count("SELECT CAST(value AS INTEGER) FROM meta"
                               " WHERE key='schema_version'"),
                     STORE_SCHEMA_VERSION);
    enum { N1 = 60, N2 = 120 };
    static hz_incident_rec recs[N2 + 1];
    static const hz_incident_rec *ptrs[N2 + 1];
    static store_put_outcome outs[N2 + 1];
    for (int i = 0; i < N2; i++) {
        recs[i] = gen_nopoint(i);
        ptrs[i] = &recs[i];
    }
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    store_bulk *b = store_bulk_begin(st, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    ck_assert_msg(store_bulk_put_many(b, ptrs, N1, 0, outs, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(nopoint_rows(), N1 / 3);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE lon IS NOT NULL AND"
                               " ST_X(geom)=lon AND ST_Y(geom)=lat"),
                     N1 - N1 / 3);
    /* a staged group: rows N1.. new, rows 1 and 2 lose their point, row 3 gains one */
    recs[1].lon = recs[1].lat = NAN;
    recs[2].lon = NAN; /* half a point is no point */
    recs[3] = gen(3);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(store_bulk_put_many(b, ptrs, N2, 0, outs, err, sizeof err), HZ_OK);
    for (int i = 0; i < N2; i++)
        ck_assert_int_eq(outs[i], i >= N1            ? STORE_PUT_INSERTED
                                  : i >= 1 && i <= 3 ? STORE_PUT_REPLACED
                                                     : STORE_PUT_UNCHANGED);
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    /* one row by itself, then the same again */
    recs[N2] = gen(N2);
    recs[N2].lon = recs[N2].lat = NAN;
    ptrs[N2] = &recs[N2];
    store_put_outcome o;
    ck_assert_int_eq(store_incident_put(st, &recs[N2], &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_INSERTED);
    ck_assert_int_eq(store_incident_put(st, &recs[N2], &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(o, STORE_PUT_UNCHANGED);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    int want = N2 / 3 - 1 + 2 + 1; /* every third but row 3; rows 1, 2; the single row */
    ck_assert_int_eq(nopoint_rows(), want);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE geom IS NOT NULL AND"
                               " lon IS NOT NULL AND lat IS NOT NULL"),
                     N2 + 1 - want);
    /* a second pass of everything changes nothing */
    int64_t v = version_of(st);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    b = store_bulk_begin(st, err, sizeof err);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(store_bulk_put_many(b, ptrs, N2 + 1, 0, outs, err, sizeof err), HZ_OK);
    for (int i = 0; i <= N2; i++)
        ck_assert_int_eq(outs[i], STORE_PUT_UNCHANGED);
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(version_of(st), v);
    /* the readers: the analysis scan and the full record give NaN */
    nopoint_scan c = {0};
    ck_assert_int_eq(store_incidents_scan(st, nopoint_cb, &c, err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.n, N2 + 1);
    ck_assert_int_eq(c.without, want);
    int64_t ids[2] = {ref_count("SELECT id FROM incidents WHERE source_id='r2'"),
                      ref_count("SELECT id FROM incidents WHERE source_id='r3'")};
    c = (nopoint_scan){0};
    ck_assert_int_eq(store_incidents_get(st, ids, 2, nopoint_cb, &c, err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.n, 2);
    ck_assert_int_eq(c.without, 1);
    store_close(st);
}
END_TEST

/* PostGIS: a store of schema 2 (NOT NULL points and no project tables, as the first PostGIS
 * stores were made) is migrated on open through 3 and 4: its rows kept, the points nullable, the
 * project tables made, the version row 4, the data version renewed. (SpatiaLite's migrations are
 * check_migrate.c's and check_project.c's.) */
START_TEST(test_pg_migrate)
{
    if (!pgname[0]) return;
    char err[512];
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    hz_incident_rec r = gen(1);
    store_put_outcome o;
    ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    store_close(st);
    ck_assert_int_eq(ref_sql("ALTER TABLE incidents ALTER lon SET NOT NULL, ALTER lat SET NOT NULL,"
                             " ALTER geom SET NOT NULL; DROP TABLE projects, project_audit;"
                             " DROP FUNCTION hazmap_audit_append_only();"
                             "UPDATE meta SET value='2' WHERE key='schema_version'",
                             NULL),
                     0);
    const char *notnull = "SELECT count(*) FROM pg_attribute WHERE attrelid='incidents'::regclass"
                          " AND attname IN ('lon','lat','geom') AND attnotnull";
    ck_assert_int_eq(ref_count(notnull), 3);
    st = store_open(target, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_int_eq(ref_count(notnull), 0);
    ck_assert_int_eq(ref_count("SELECT value::int FROM meta WHERE key='schema_version'"), 4);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM project_audit"), 0); /* 3 -> 4 made it */
    ck_assert_int_eq(version_of(st), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents WHERE source_id='r1'"), 1);
    hz_incident_rec r2 = gen(2);
    r2.lon = r2.lat = NAN;
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_msg(store_incident_put(st, &r2, &o, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    ck_assert_int_eq(nopoint_rows(), 1);
    store_close(st);
}
END_TEST

/* ---- store_wait_change(): a second handle, as a replica's watcher ---- */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

typedef struct late_writer {
    store *st;
    const char *code;
    int64_t committed_ms; /* when the commit returned */
    hz_status s;
} late_writer;

/* Writes an area 300 ms after it starts, while the other handle waits. */
static void *late_write(void *ud)
{
    late_writer *lw = ud;
    char err[512];
    usleep(300 * 1000);
    unsigned char wkb[128];
    hz_area_rec a = {.code = lw->code, .name = "A", .level = "subdistrict", .population = 1};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.0, 104.1, 30.1);
    lw->s = store_begin(lw->st, err, sizeof err);
    if (lw->s == HZ_OK) lw->s = store_area_put(lw->st, &a, err, sizeof err);
    if (lw->s == HZ_OK) lw->s = store_commit(lw->st, err, sizeof err);
    __atomic_store_n(&lw->committed_ms, mono_ms(), __ATOMIC_SEQ_CST);
    return NULL;
}

/* Waits on w while st writes an area: the wait returns the new version within 1 s of the commit. */
static void wakes_within_1s(store *st, store *w, const char *code, int64_t known)
{
    late_writer lw = {.st = st, .code = code};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, late_write, &lw), 0);
    int64_t v = -1;
    hz_status s = store_wait_change(w, known, 5000, &v);
    int64_t woke = mono_ms();
    pthread_join(th, NULL);
    ck_assert_int_eq(lw.s, HZ_OK);
    ck_assert_int_eq(s, HZ_OK);
    ck_assert_int_eq(v, known + 1);
    ck_assert_int_ge(woke, lw.committed_ms - 50); /* woken by the commit, not before it */
    ck_assert_int_lt(woke - lw.committed_ms, 1000);
}

/* A commit through one handle wakes store_wait_change() on another within 1 s (on PostGIS by
 * LISTEN/NOTIFY, on SpatiaLite by polling); a release, which keeps the data version, wakes it
 * too; no commit, the timeout. PostGIS: the watcher's connection killed by the server, the next
 * wait reconnects and reports the commit made meanwhile, and LISTEN works again after. */
START_TEST(test_wait_change)
{
    char err[512];
    store *st = open_new();
    store *w = store_open(target, 0, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    int64_t v0 = version_of(st), v = -1;
    int64_t t0 = mono_ms();
    ck_assert_int_eq(store_wait_change(w, v0, 3 * STORE_WATCH_POLL_MS, &v), HZ_ELIMIT);
    ck_assert_int_eq(v, v0);
    ck_assert_int_ge(mono_ms() - t0, 3 * STORE_WATCH_POLL_MS - 5);
    wakes_within_1s(st, w, "A1", v0);
    ck_assert_int_eq(store_wait_change(w, v0 + 1, STORE_WATCH_POLL_MS, &v), HZ_ELIMIT);
    store_release_rec r = {
        .created_at = "2025-01-31T08:00:00Z", .data_version = v0 + 1, .metadata = "{}"};
    int64_t id = 0;
    ck_assert_int_eq(store_release_put(st, &r, 0, NULL, &id, err, sizeof err), HZ_OK);
    t0 = mono_ms();
    ck_assert_int_eq(store_wait_change(w, v0 + 1, 5000, &v), HZ_OK);
    ck_assert_int_eq(v, v0 + 1);
    ck_assert_int_lt(mono_ms() - t0, 1000);
    ck_assert_int_eq(store_wait_change(w, v0 + 1, STORE_WATCH_POLL_MS, &v), HZ_ELIMIT);
    if (pgname[0]) {
        ck_assert_int_eq(ref_count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                   " WHERE query LIKE '%hazmap watch%' AND pid<>pg_backend_pid()"),
                         1);
        unsigned char wkb[128];
        hz_area_rec a = {.code = "A2", .name = "B", .level = "subdistrict", .population = 1};
        a.wkb = wkb;
        a.wkb_len = tu_square_wkb(wkb, 104.0, 30.0, 104.1, 30.1);
        ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
        ck_assert_int_eq(store_area_put(st, &a, err, sizeof err), HZ_OK);
        ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
        t0 = mono_ms();
        hz_status s = HZ_EDB;
        while (s != HZ_OK && mono_ms() - t0 < 5000)
            s = store_wait_change(w, v0 + 1, 1000, &v);
        ck_assert_int_eq(s, HZ_OK);
        ck_assert_int_eq(v, v0 + 2);
        ck_assert_int_lt(mono_ms() - t0, 1000);
        wakes_within_1s(st, w, "A3", v0 + 2);
        /* the reconnected handle has its prepared statements back: a write through it */
        hz_incident_rec r1 = gen(1);
        store_put_outcome o;
        ck_assert_int_eq(store_begin(w, err, sizeof err), HZ_OK);
        ck_assert_msg(store_incident_put(w, &r1, &o, err, sizeof err) == HZ_OK, "%s", err);
        ck_assert_int_eq(store_commit(w, err, sizeof err), HZ_OK);
        ck_assert_int_eq(o, STORE_PUT_INSERTED);
        ck_assert_int_eq(ref_count("SELECT count(*) FROM incidents"), 1);
    }
    store_close(w);
    store_close(st);
}
END_TEST

/* ---- the projects registry (schema 4) ---- */

typedef struct audit_seen {
    int n;
    char actions[8][8];
    int before_null[8], after_null[8];
    int64_t total;
} audit_seen;

static int audit_seen_cb(void *ud, const store_audit_rec *a)
{
    audit_seen *s = ud;
    ck_assert_int_lt(s->n, 8);
    snprintf(s->actions[s->n], sizeof s->actions[s->n], "%s", a->action);
    s->before_null[s->n] = a->before == NULL;
    s->after_null[s->n] = a->after == NULL;
    ck_assert_int_eq(strlen(a->at), 20);
    s->n++;
    return 0;
}

static int count_projects_cb(void *ud, const hz_project *p)
{
    (void)p;
    ++*(int *)ud;
    return 0;
}

/* Projects and their audit log on both backends: written fields read back as written (the drawn
 * location byte for byte), a write bumps the data version, optimistic locking, ids never reused,
 * one audit row per change, the audit log refuses UPDATE and DELETE over another connection. */
START_TEST(test_projects)
{
    char err[512];
    store *st = open_new();
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    put_area(st, "A1", 104.0);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    unsigned char wkb[128];
    static char pa[] = "街道办", pb[] = "社区卫生服务中心", a1[] = "A1", z9[] = "Z9";
    static char i1[] = "跌倒人数", title[] = "老年人防跌倒", group[] = "elderly";
    static char ptarget[] = "mechanism=fall";
    char *partners[2] = {pa, pb}, *areas[1] = {a1}, *ind[1] = {i1}, *bad_areas[1] = {z9};
    hz_project p = {.title = title,
                    .group = group,
                    .partners = partners,
                    .npartners = 2,
                    .type = HZ_PTYPE_EDUCATION,
                    .target = ptarget,
                    .areas = areas,
                    .nareas = 1,
                    .wkb = wkb,
                    .buffer_m = 0,
                    .start = "2024-03-01",
                    .status = HZ_PSTATUS_ACTIVE,
                    .indicators = ind,
                    .nindicators = 1};
    p.wkb_len = tu_square_wkb(wkb, 104.01, 30.01, 104.02, 30.02);
    int64_t v0 = version_of(st), id = 0, id2 = 0;
    ck_assert_msg(store_project_add(st, &p, "planner:a", &id, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(version_of(st), v0 + 1);
    hz_project g;
    ck_assert_int_eq(store_project_get(st, id, &g, err, sizeof err), HZ_OK);
    ck_assert_int_eq(g.version, 1);
    ck_assert_str_eq(g.title, p.title);
    ck_assert_ptr_null(g.title_en);
    ck_assert_str_eq(g.group, "elderly");
    ck_assert_int_eq(g.npartners, 2);
    ck_assert_str_eq(g.partners[1], "社区卫生服务中心");
    ck_assert_int_eq(g.type, HZ_PTYPE_EDUCATION);
    ck_assert_str_eq(g.target, "mechanism=fall");
    ck_assert_int_eq(g.nareas, 1);
    ck_assert_int_eq(g.nsites, 0);
    ck_assert_uint_eq(g.wkb_len, p.wkb_len);
    ck_assert_int_eq(memcmp(g.wkb, wkb, p.wkb_len), 0);
    ck_assert_str_eq(g.start, "2024-03-01");
    ck_assert_str_eq(g.end, "");
    ck_assert_int_eq(g.status, HZ_PSTATUS_ACTIVE);
    ck_assert_int_eq(strlen(g.created_at), 20);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM projects WHERE geom IS NOT NULL"), 1);
    /* an unknown area: refused, nothing written */
    p.areas = bad_areas;
    ck_assert_int_eq(store_project_add(st, &p, "planner:a", &id2, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "'Z9'") != NULL, "%s", err);
    p.areas = areas;
    ck_assert_int_eq(ref_count("SELECT count(*) FROM projects"), 1);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM project_audit"), 1);
    /* an update at version 1 makes version 2; version 1 again conflicts */
    free(g.title);
    g.title = strdup("新标题");
    g.end[0] = '\0';
    snprintf(g.end, sizeof g.end, "2024-12-31");
    ck_assert_msg(store_project_update(st, &g, "editor", err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_project_update(st, &g, "editor", err, sizeof err), HZ_ECONFLICT);
    ck_assert_int_eq(version_of(st), v0 + 2);
    ck_assert_int_eq(ref_count("SELECT version FROM projects"), 2);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM projects WHERE end_date='2024-12-31'"), 1);
    project_free(&g);
    /* delete: the stale version refused, the right one deletes; ids never reused */
    ck_assert_int_eq(store_project_delete(st, id, 1, "cli", err, sizeof err), HZ_ECONFLICT);
    ck_assert_int_eq(store_project_delete(st, id, 2, "cli", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_project_get(st, id, &g, err, sizeof err), HZ_ENOTFOUND);
    project_free(&g);
    ck_assert_int_eq(store_project_add(st, &p, "cli", &id2, err, sizeof err), HZ_OK);
    ck_assert_int_gt(id2, id);
    /* one audit row per change, in order; pages */
    audit_seen a = {0};
    ck_assert_int_eq(
        store_project_audit_scan(st, id, 0, -1, audit_seen_cb, &a, &a.total, err, sizeof err),
        HZ_OK);
    ck_assert_int_eq(a.n, 3);
    ck_assert_int_eq(a.total, 3);
    ck_assert_str_eq(a.actions[0], "create");
    ck_assert_str_eq(a.actions[1], "update");
    ck_assert_str_eq(a.actions[2], "delete");
    ck_assert(a.before_null[0] && !a.after_null[0] && !a.before_null[1] && a.after_null[2]);
    a = (audit_seen){0};
    ck_assert_int_eq(
        store_project_audit_scan(st, 0, 1, 2, audit_seen_cb, &a, &a.total, err, sizeof err), HZ_OK);
    ck_assert_int_eq(a.total, 4);
    ck_assert_int_eq(a.n, 2);
    ck_assert_str_eq(a.actions[0], "update");
    ck_assert_int_eq(ref_sql("UPDATE project_audit SET actor='x'", NULL), -1);
    ck_assert_int_eq(ref_sql("DELETE FROM project_audit", NULL), -1);
    ck_assert_int_eq(ref_count("SELECT count(*) FROM project_audit"), 4);
    /* scans by group and status */
    int n = 0;
    ck_assert_int_eq(store_projects_scan(st, "elderly", HZ_PSTATUS_ACTIVE, count_projects_cb, &n,
                                         err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(n, 1);
    n = 0;
    ck_assert_int_eq(store_projects_scan(st, "elderly", HZ_PSTATUS_FINISHED, count_projects_cb, &n,
                                         err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(n, 0);
    n = 0;
    ck_assert_int_eq(store_projects_scan(st, NULL, -1, count_projects_cb, &n, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(n, 1);
    store_close(st);
}
END_TEST

Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create(getenv("HAZMAP_TEST_PG") ? "store-postgis" : "store-spatialite");
    tcase_add_checked_fixture(tc, fresh, gone);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_roundtrip_and_version);
    tcase_add_test(tc, test_data_id);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_bulk_outcomes);
    tcase_add_test(tc, test_get_in_read_tx);
    tcase_add_test(tc, test_areas_scan);
    tcase_add_test(tc, test_bookkeeping);
    tcase_add_test(tc, test_tokens);
    tcase_add_test(tc, test_releases);
    tcase_add_test(tc, test_import_idempotent);
    tcase_add_test(tc, test_links);
    tcase_add_test(tc, test_roads);
    tcase_add_test(tc, test_copy_between_backends);
    tcase_add_test(tc, test_writers_serialised);
    tcase_add_test(tc, test_area_only);
    tcase_add_test(tc, test_pg_migrate);
    tcase_add_test(tc, test_wait_change);
    tcase_add_test(tc, test_projects);
    tcase_add_test(tc, test_snapshot_file);
    tcase_add_test(tc, test_incremental_reload);
    suite_add_tcase(s, tc);
    return s;
}
