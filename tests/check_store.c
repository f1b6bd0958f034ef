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

#include <libpq-fe.h>
#include <sqlite3.h>

#include "testutil.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/store_bulk.h"
#include "hazmap/store_copy.h"
#include "hazmap/store_links.h"
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
    check_all(b, tok);
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
    tcase_add_test(tc, test_snapshot_file);
    suite_add_tcase(s, tc);
    return s;
}
