/* check_faults.c - the store under injected I/O errors (suite `faults`; RELIABILITY.md, "Faults").
 *
 * Through tests/faultvfs.c, registered as SQLite's default VFS, the N-th and every later xWrite,
 * xSync or xRead of the database, its journal and its WAL fail with an I/O error (or
 * SQLITE_FULL), for a sampled set of N from 0 to past the number of such calls the operation
 * makes. Each case starts from a copy of one database holding 300 incidents and checks:
 *  - the operation (a whole import_incidents(), or the server's write path: store_begin(),
 *    store_incident_put()..., store_commit()) returns an error, never HZ_OK, when a call failed,
 *    with a message naming the database file; HZ_ENOSPC for SQLITE_FULL, HZ_EDB for I/O errors;
 *  - once the device works again and the store is reopened: the same 300 incidents with the
 *    same content hashes, the same data version, PRAGMA integrity_check ok, and the same import
 *    then succeeds (the store is usable).
 * An operation that saw no failure (N past its calls) must succeed with the full result: that
 * ends the sampling for that kind. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "faultvfs.h"
#include "hazmap/import.h"
#include "hazmap/store.h"
#include "testutil.h"

static char base_db[128], db[128], csv_a[128], csv_b[128];

static void write_csv(const char *path, int from, int to, const char *severity)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "id,occurred_at,lon,lat,mechanism,severity,description\n");
    for (int i = from; i < to; i++)
        fprintf(
            f,
            "F%05d,2013-%02d-%02dT%02d:15:00+08:00,%.6f,%.6f,fall,%s,row %d of the fault tests\n",
            i, 1 + i % 12, 1 + i % 28, i % 24, 104.05 + (i % 97) * 1e-3, 30.62 + (i % 89) * 1e-3,
            severity, i);
    ck_assert_int_eq(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert(in >= 0 && out >= 0);
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    ck_assert_int_eq(n, 0);
    close(in);
    ck_assert_int_eq(close(out), 0);
}

/* The whole content of the incidents table (keys and hashes), the data version and the
 * integrity check, read over a connection of its own. */
typedef struct db_state {
    long long n, hashsum, version;
    char integrity[64];
} db_state;

static db_state read_state(const char *path)
{
    db_state s = {0};
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(c,
                                        "SELECT count(*), total(content_hash % 1000003 + id),"
                                        " (SELECT value FROM meta WHERE key='data_version')"
                                        " FROM incidents",
                                        -1, &q, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    s.n = sqlite3_column_int64(q, 0);
    s.hashsum = (long long)sqlite3_column_double(q, 1);
    s.version = sqlite3_column_int64(q, 2);
    sqlite3_finalize(q);
    ck_assert_int_eq(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    snprintf(s.integrity, sizeof s.integrity, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(c);
    return s;
}

static db_state base_state;
static const import_opts opts = {.source = "faults"};

static void setup(void)
{
    int pid = (int)getpid();
    snprintf(base_db, sizeof base_db, "/tmp/hazmap_check_faults_base_%d.sqlite", pid);
    snprintf(db, sizeof db, "/tmp/hazmap_check_faults_%d.sqlite", pid);
    snprintf(csv_a, sizeof csv_a, "/tmp/hazmap_check_faults_a_%d.csv", pid);
    snprintf(csv_b, sizeof csv_b, "/tmp/hazmap_check_faults_b_%d.csv", pid);
    write_csv(csv_a, 0, 300, "minor");
    write_csv(csv_b, 200, 700, "serious"); /* 100 replaced, 400 new */
    tu_remove_db(base_db);
    char err[512];
    store *st = store_open(base_db, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    import_summary sum;
    ck_assert_msg(import_incidents(st, csv_a, &opts, &sum, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(sum.loaded, 300);
    store_close(st); /* the last connection: the WAL is checkpointed and removed */
    base_state = read_state(base_db);
    ck_assert_int_eq(base_state.n, 300);
    ck_assert_str_eq(base_state.integrity, "ok");
    /* Only now: PROJ (through GDAL) opens its proj.db through a VFS of its own wrapping the
     * default VFS of that moment, and closes it at exit, after faultvfs_uninstall(); the import
     * above has made it open that file already. */
    ck_assert_int_eq(faultvfs_install(), SQLITE_OK);
}

static void teardown(void)
{
    faultvfs_uninstall();
    tu_remove_db(base_db);
    tu_remove_db(db);
    unlink(csv_a);
    unlink(csv_b);
}

static void fresh_copy(void)
{
    tu_remove_db(db);
    copy_file(base_db, db);
}

/* After a failed operation: the device works again; the database is what it was and usable. */
static void check_intact_and_usable(const char *what, long n)
{
    faultvfs_disarm();
    db_state now = read_state(db);
    ck_assert_msg(strcmp(now.integrity, "ok") == 0, "%s, N=%ld: integrity_check: %s", what, n,
                  now.integrity);
    ck_assert_msg(now.n == base_state.n && now.hashsum == base_state.hashsum &&
                      now.version == base_state.version,
                  "%s, N=%ld: %lld rows (hash sum %lld, version %lld), not %lld (%lld, %lld)", what,
                  n, now.n, now.hashsum, now.version, base_state.n, base_state.hashsum,
                  base_state.version);
    char err[512];
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s, N=%ld: reopen: %s", what, n, err);
    import_summary sum;
    ck_assert_msg(import_incidents(st, csv_b, &opts, &sum, err, sizeof err) == HZ_OK,
                  "%s, N=%ld: import after the fault: %s", what, n, err);
    ck_assert_int_eq(sum.loaded, 400);
    ck_assert_int_eq(sum.replaced, 100);
    store_close(st);
}

/* The sampled N: every one up to 12, then about 25 spread to past the total. */
static long next_n(long n, long total)
{
    if (n < 12) return n + 1;
    long step = total / 25 > 1 ? total / 25 : 1;
    return n + step;
}

typedef hz_status (*op_fn)(store *st, char *err, size_t errlen);

static hz_status op_import(store *st, char *err, size_t errlen)
{
    import_summary sum;
    hz_status s = import_incidents(st, csv_b, &opts, &sum, err, errlen);
    if (s == HZ_OK) ck_assert_msg(sum.loaded == 400 && sum.replaced == 100, "import summary");
    return s;
}

/* The server's write path (incpost.c store_all()): single puts in one transaction. */
static hz_status op_puts(store *st, char *err, size_t errlen)
{
    hz_status s = store_begin(st, err, errlen);
    for (int i = 250; s == HZ_OK && i < 450; i++) {
        char id[16], t[32];
        snprintf(id, sizeof id, "P%05d", i);
        snprintf(t, sizeof t, "2014-02-%02dT10:00:00+08:00", 1 + i % 28);
        hz_incident_rec r = {.source = "post",
                             .source_id = id,
                             .occurred_at = t,
                             .t = 1391220000 + i * 86400LL,
                             .victims = 1,
                             .age = 30 + i % 50,
                             .disability = -1,
                             .lon = 104.06 + i * 1e-5,
                             .lat = 30.64};
        store_put_outcome out;
        s = store_incident_put(st, &r, &out, err, errlen);
    }
    if (s == HZ_OK) return store_commit(st, err, errlen);
    store_rollback(st);
    return s;
}

/* Runs op on fresh copies with the kinds failing with code after N calls, N sampled up to the
 * first N the operation does not reach. Returns how many cases failed the operation. */
static int sweep(const char *what, op_fn op, unsigned kinds, int code, hz_status want)
{
    /* a dry run counts the calls */
    fresh_copy();
    char err[512];
    faultvfs_arm(kinds, -1, code);
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_msg(op(st, err, sizeof err) == HZ_OK, "%s dry run: %s", what, err);
    store_close(st);
    long total = faultvfs_calls();
    faultvfs_disarm();
    ck_assert_msg(total > 0, "%s: no calls of the kind", what);
    int failed_cases = 0;
    for (long n = 0;; n = next_n(n, total)) {
        fresh_copy();
        err[0] = 0;
        faultvfs_arm(kinds, n, code);
        st = store_open(db, 0, err, sizeof err);
        hz_status s = HZ_OK;
        if (!st) {
            /* the open itself failed: fine, when it says so naming the file */
            ck_assert_msg(faultvfs_failed() > 0, "%s, N=%ld: open failed unprovoked: %s", what, n,
                          err);
            ck_assert_msg(strstr(err, db) != NULL, "%s, N=%ld: '%s' names no file", what, n, err);
            failed_cases++;
            check_intact_and_usable(what, n);
            continue;
        }
        s = op(st, err, sizeof err);
        /* closing with the device still failing: must not crash (a hot journal may stay) */
        store_close(st);
        long fired = faultvfs_failed();
        if (fired == 0) {
            ck_assert_msg(s == HZ_OK, "%s, N=%ld: failed without a fault: %s", what, n, err);
            ck_assert_msg(n >= total, "%s: N=%ld of %ld calls did not fire", what, n, total);
            break;
        }
        if (s == HZ_OK) {
            /* the failed call came after the commit (the checkpoint at close): the data must be
             * there in full once the device works */
            faultvfs_disarm();
            db_state now = read_state(db);
            ck_assert_str_eq(now.integrity, "ok");
            ck_assert_msg(now.n > base_state.n, "%s, N=%ld: committed but lost", what, n);
            continue;
        }
        failed_cases++;
        ck_assert_msg(strstr(err, db) != NULL, "%s, N=%ld: message '%s' names no file", what, n,
                      err);
        if (want != HZ_OK)
            ck_assert_msg(s == want, "%s, N=%ld: status %s, not %s (%s)", what, n, hz_status_str(s),
                          hz_status_str(want), err);
        else
            ck_assert_msg(s == HZ_EDB || s == HZ_ENOSPC, "%s, N=%ld: status %s (%s)", what, n,
                          hz_status_str(s), err);
        check_intact_and_usable(what, n);
    }
    ck_assert_msg(failed_cases > 0, "%s: no case failed", what);
    return failed_cases;
}

START_TEST(import_write_error)
{
    sweep("import, xWrite IOERR", op_import, FV_WRITE, SQLITE_IOERR_WRITE, HZ_EDB);
}
END_TEST

START_TEST(import_sync_error)
{
    sweep("import, xSync IOERR", op_import, FV_SYNC, SQLITE_IOERR_FSYNC, HZ_OK);
}
END_TEST

START_TEST(import_read_error)
{
    sweep("import, xRead IOERR", op_import, FV_READ, SQLITE_IOERR_READ, HZ_OK);
}
END_TEST

START_TEST(import_disk_full)
{
    sweep("import, xWrite SQLITE_FULL", op_import, FV_WRITE, SQLITE_FULL, HZ_ENOSPC);
}
END_TEST

START_TEST(puts_write_error)
{
    sweep("puts, xWrite/xSync IOERR", op_puts, FV_WRITE | FV_SYNC, SQLITE_IOERR_WRITE, HZ_OK);
}
END_TEST

START_TEST(puts_disk_full)
{
    sweep("puts, xWrite SQLITE_FULL", op_puts, FV_WRITE, SQLITE_FULL, HZ_ENOSPC);
}
END_TEST

/* Reads fail from the N-th on while the store opens: the open fails naming the file, and never
 * goes on to create a schema (before the fix, store_open(STORE_CREATE) took an unreadable schema
 * for a new database and ran InitSpatialMetadata on it). */
START_TEST(open_read_error_creates_nothing)
{
    for (long n = 0;; n++) {
        fresh_copy();
        char err[512] = "";
        faultvfs_arm(FV_READ, n, SQLITE_IOERR_READ);
        store *st = store_open(db, STORE_CREATE, err, sizeof err);
        long fired = faultvfs_failed();
        faultvfs_disarm();
        if (st) {
            store_close(st);
            ck_assert_msg(n > 0, "open succeeded with every read failing");
            if (fired == 0) break;
            continue;
        }
        ck_assert_msg(strstr(err, db) != NULL, "N=%ld: %s", n, err);
        ck_assert_msg(strstr(err, "creating schema") == NULL, "N=%ld: %s", n, err);
        check_intact_and_usable("open", n);
    }
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, open_read_error_creates_nothing);
    tcase_add_test(tc, import_write_error);
    tcase_add_test(tc, import_sync_error);
    tcase_add_test(tc, import_read_error);
    tcase_add_test(tc, import_disk_full);
    tcase_add_test(tc, puts_write_error);
    tcase_add_test(tc, puts_disk_full);
    suite_add_tcase(s, tc);
    return s;
}
