/* check_snapshot.c - tests of the snapshot cache: the snapshot file format, and
 * incset_load() reading DB.snapshot only when it describes the database as it is. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "hazmap/incset.h"
#include "hazmap/snapfile.h"
#include "hazmap/store.h"
#include "hazmap/vocab.h"

/* ---- fixtures: a directory holding db.sqlite ---- */

static char dir[64], db[96], snap[128];

static void tmpdir_make(void)
{
    snprintf(dir, sizeof dir, "/tmp/hazmap-snap-%d-XXXXXX", (int)getpid());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(db, sizeof db, "%s/db.sqlite", dir);
    snprintf(snap, sizeof snap, "%s.snapshot", db);
}

static void tmpdir_rm(void)
{
    chmod(dir, 0755);
    tu_remove_db(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void flip_byte(const char *path, off_t at)
{
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char c;
    ck_assert_int_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x20;
    ck_assert_int_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- the file format ---- */

typedef struct rec {
    int64_t a;
    double b;
} rec;

START_TEST(test_snapfile_roundtrip_and_every_damaged_byte)
{
    char path[128], err[256], meta[64];
    snprintf(path, sizeof path, "%s/f.snapshot", dir);
    rec in[5];
    for (int i = 0; i < 5; i++)
        in[i] = (rec){i * 1000003LL, i / 3.0};
    ck_assert_int_eq(
        snapfile_write(path, "key 1", "note", in, sizeof *in, 5, NULL, err, sizeof err), HZ_OK);
    void *out;
    size_t n;
    ck_assert_int_eq(
        snapfile_read(path, "key 1", sizeof(rec), &out, &n, meta, sizeof meta, err, sizeof err),
        HZ_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(out, in, sizeof in);
    ck_assert_str_eq(meta, "note");
    free(out);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600); /* no mode_of: private */

    /* Another key or record size is a miss. */
    ck_assert_int_eq(snapfile_read(path, "key 2", sizeof(rec), &out, &n, NULL, 0, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(snapfile_read(path, "key", sizeof(rec), &out, &n, NULL, 0, err, sizeof err),
                     HZ_EINVAL);
    ck_assert_int_eq(snapfile_read(path, "key 1", 8, &out, &n, NULL, 0, err, sizeof err),
                     HZ_EINVAL);

    /* Any one damaged byte, anywhere, is caught. */
    off_t size = file_size(path);
    ck_assert_int_eq(size, 48 + 5 + 4 + (off_t)sizeof in);
    for (off_t at = 0; at < size; at++) {
        flip_byte(path, at);
        hz_status st =
            snapfile_read(path, "key 1", sizeof(rec), &out, &n, NULL, 0, err, sizeof err);
        ck_assert_msg(st == HZ_EINVAL && out == NULL, "byte %ld flipped: %d", (long)at, st);
        flip_byte(path, at);
    }
    /* Every truncation and an appended byte too. */
    char tpath[160];
    snprintf(tpath, sizeof tpath, "%s.t", path);
    for (off_t len = 0; len < size; len++) {
        copy_file(path, tpath);
        ck_assert_int_eq(truncate(tpath, len), 0);
        ck_assert_int_eq(
            snapfile_read(tpath, "key 1", sizeof(rec), &out, &n, NULL, 0, err, sizeof err),
            HZ_EINVAL);
    }
    FILE *fh = fopen(tpath, "ab");
    ck_assert_ptr_nonnull(fh);
    fputc(0, fh);
    fclose(fh);
    ck_assert_int_eq(snapfile_read(tpath, "key 1", sizeof(rec), &out, &n, NULL, 0, err, sizeof err),
                     HZ_EINVAL);
    unlink(tpath);
    ck_assert_int_eq(snapfile_read(tpath, "key 1", sizeof(rec), &out, &n, NULL, 0, err, sizeof err),
                     HZ_ENOTFOUND);
}
END_TEST

START_TEST(test_snapfile_write_empty_mode_and_failure)
{
    char path[128], other[128], err[256];
    snprintf(path, sizeof path, "%s/e.snapshot", dir);
    snprintf(other, sizeof other, "%s/data", dir);
    FILE *fh = fopen(other, "w");
    ck_assert_ptr_nonnull(fh);
    fclose(fh);
    chmod(other, 0640);
    ck_assert_int_eq(snapfile_write(path, "k", "", NULL, 16, 0, other, err, sizeof err), HZ_OK);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640); /* the permissions of the data it came from */
    void *out;
    size_t n = 99;
    ck_assert_int_eq(snapfile_read(path, "k", 16, &out, &n, NULL, 0, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(out);
    free(out);
    /* A directory that does not exist: an error, and nothing left behind. */
    snprintf(path, sizeof path, "%s/missing/x.snapshot", dir);
    ck_assert_int_eq(snapfile_write(path, "k", "", NULL, 16, 0, NULL, err, sizeof err), HZ_EIO);
    /* A directory in the way of the rename: the temporary file is removed. */
    snprintf(path, sizeof path, "%s/sub", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    char probe[160];
    snprintf(probe, sizeof probe, "%s/keep", path);
    fh = fopen(probe, "w");
    fclose(fh);
    ck_assert_int_eq(snapfile_write(path, "k", "", NULL, 16, 0, NULL, err, sizeof err), HZ_EIO);
    char cmd[256];
    int entries = 0;
    snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
    FILE *ls = popen(cmd, "r");
    char line[256];
    while (fgets(line, sizeof line, ls))
        entries++;
    pclose(ls);
    ck_assert_int_eq(entries, 3); /* data, e.snapshot, sub */
}
END_TEST

/* ---- incset_load() and DB.snapshot ---- */

/* Writes n incidents (values vary with i and variant) in one transaction. */
static void put_incidents(store *st, int first, int n, int variant)
{
    char err[512], sid[32];
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    for (int i = first; i < first + n; i++) {
        snprintf(sid, sizeof sid, "%d", i);
        int k = i + variant;
        double lon = i % 11 == 0 ? 104.5 : 104.001 + (k % 97) * 0.001;
        hz_incident_rec r = {
            .source = "t.csv",
            .source_id = sid,
            .t = k % 7 == 0 ? INT64_MIN : 1300000000 + (int64_t)k * 3600,
            .mechanism = k % HZ_MECH_COUNT,
            .place = k % HZ_PLACE_COUNT,
            .intent = k % HZ_INTENT_COUNT,
            .severity = k % HZ_SEV_COUNT,
            .sex = k % HZ_SEX_COUNT,
            .victims = k % 4 - 1,
            .age = k % 5 == 0 ? -1 : k % 100,
            .disability = k % 3 - 1,
            .area_code = i % 11 == 0    ? NULL
                         : lon < 104.05 ? "A1"
                                        : "A2",
            .lon = lon,
            .lat = 30.01 + (k % 89) * 0.001,
        };
        store_put_outcome o;
        ck_assert_int_eq(store_incident_put(st, &r, &o, err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
}

/* A store with a district, two sub-districts and 300 incidents, after two commits. */
static void make_store(const char *path, int variant)
{
    char err[512];
    store *st = store_open(path, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char wkb[3][128];
    hz_area_rec a[3] = {
        {.code = "D", .name = "district", .level = "district", .population = 5000},
        {.code = "A1", .name = "a1", .level = "subdistrict", .parent_code = "D", .population = 1},
        {.code = "A2", .name = "a2", .level = "subdistrict", .parent_code = "D", .population = -1},
    };
    double x[4] = {104.0, 104.05, 104.1};
    a[0].wkb_len = tu_square_wkb(wkb[0], 104.0, 30.0, 104.1, 30.1);
    for (int i = 1; i < 3; i++)
        a[i].wkb_len = tu_square_wkb(wkb[i], x[i - 1], 30.0, x[i], 30.1);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    for (int i = 0; i < 3; i++) {
        a[i].wkb = wkb[i];
        ck_assert_int_eq(store_area_put(st, &a[i], err, sizeof err), HZ_OK);
    }
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    put_incidents(st, 0, 300, variant);
    store_close(st);
}

static incset *load(const char *path, int flags)
{
    char err[512];
    store *st = store_open(path, flags, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    store_close(st);
    return s;
}

static void add_one(const char *path, int id)
{
    char err[512];
    store *st = store_open(path, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    put_incidents(st, id, 1, 0);
    store_close(st);
}

/* Field by field, doubles bit for bit (NaN included). */
static void assert_same(const incset *a, const incset *b)
{
    ck_assert_uint_eq(incset_count(a), incset_count(b));
    ck_assert_str_eq(incset_work_srs(a), incset_work_srs(b));
    ck_assert_int_eq(incset_data_version(a), incset_data_version(b));
    ck_assert_uint_eq(incset_area_count(a), incset_area_count(b));
    for (size_t k = 0; k < incset_area_count(a); k++)
        ck_assert_str_eq(incset_areas(a)[k].code, incset_areas(b)[k].code);
    const hz_incident *p = incset_items(a), *q = incset_items(b);
    for (size_t k = 0; k < incset_count(a); k++) {
        ck_assert_int_eq(p[k].id, q[k].id);
        ck_assert_mem_eq(&p[k].lon, &q[k].lon, sizeof p[k].lon);
        ck_assert_mem_eq(&p[k].lat, &q[k].lat, sizeof p[k].lat);
        ck_assert_mem_eq(&p[k].x, &q[k].x, sizeof p[k].x);
        ck_assert_mem_eq(&p[k].y, &q[k].y, sizeof p[k].y);
        ck_assert_int_eq(p[k].t, q[k].t);
        ck_assert_int_eq(p[k].area, q[k].area);
        ck_assert_int_eq(p[k].mechanism, q[k].mechanism);
        ck_assert_int_eq(p[k].place, q[k].place);
        ck_assert_int_eq(p[k].intent, q[k].intent);
        ck_assert_int_eq(p[k].severity, q[k].severity);
        ck_assert_int_eq(p[k].sex, q[k].sex);
        ck_assert_int_eq(p[k].disability, q[k].disability);
        ck_assert_int_eq(p[k].age, q[k].age);
        ck_assert_int_eq(p[k].victims, q[k].victims);
    }
    hz_filter f;
    filter_init(&f);
    int64_t a0, a1, b0, b1;
    ck_assert(incset_study_period(a, &f, &a0, &a1) == incset_study_period(b, &f, &b0, &b1));
    ck_assert_int_eq(a0, b0);
    ck_assert_int_eq(a1, b1);
}

/* Loads from the store's rows only (the snapshot file set aside), as the reference. */
static incset *load_from_rows(const char *path)
{
    char aside[160];
    snprintf(aside, sizeof aside, "%s.aside", snap);
    int had = rename(snap, aside) == 0;
    char err[512];
    store *st = store_open(path, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    incset *s = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_int_eq(incset_cached(s), 0);
    store_close(st);
    if (had)
        ck_assert_int_eq(rename(aside, snap), 0);
    else
        unlink(snap);
    return s;
}

/* Removes the database but not its snapshot file. */
static void remove_db_only(void)
{
    char p[160];
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
}

START_TEST(test_cache_equals_rows)
{
    make_store(db, 0);
    incset *a = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(a), 0);
    ck_assert_int_gt(file_size(snap), 0);
    incset *b = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(b), 1);
    ck_assert_uint_eq(incset_count(b), 300);
    assert_same(a, b);
    /* The areas' links are rebuilt from the store either way. */
    ck_assert_int_eq(incset_areas(b)[incset_area_find(b, "A1")].parent, incset_area_find(b, "D"));
    int outside = 0;
    for (size_t k = 0; k < incset_count(b); k++)
        outside += incset_items(b)[k].area == -1;
    ck_assert_int_eq(outside, 28); /* i % 11 == 0 */
    incset *c = load_from_rows(db);
    assert_same(b, c);
    /* The cache file is no more readable than the database. */
    struct stat sdb, ssn;
    ck_assert_int_eq(stat(db, &sdb), 0);
    ck_assert_int_eq(stat(snap, &ssn), 0);
    ck_assert_int_eq(ssn.st_mode & 0777, sdb.st_mode & 0666);
    incset_free(a);
    incset_free(b);
    incset_free(c);
}
END_TEST

START_TEST(test_write_invalidates)
{
    make_store(db, 0);
    char err[512], id0[STORE_DATA_ID_SIZE], id1[STORE_DATA_ID_SIZE];
    store *st = store_open(db, 0, err, sizeof err);
    ck_assert_int_eq(store_data_id(st, id0, sizeof id0), HZ_OK);
    ck_assert_uint_eq(strlen(id0), 32);
    store_close(st);
    incset_free(load(db, STORE_READONLY));
    incset *a = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(a), 1);

    add_one(db, 1000); /* a new incident: version and identity move on */
    st = store_open(db, 0, err, sizeof err);
    ck_assert_int_eq(store_data_id(st, id1, sizeof id1), HZ_OK);
    ck_assert_str_ne(id0, id1);
    store_close(st);
    incset *b = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(b), 0);
    ck_assert_uint_eq(incset_count(b), 301);
    ck_assert_int_eq(incset_data_version(b), incset_data_version(a) + 1);
    incset *c = load(db, STORE_READONLY); /* rebuilt by the load before */
    ck_assert_int_eq(incset_cached(c), 1);
    assert_same(b, c);

    /* A changed row, same count: still a miss. */
    st = store_open(db, 0, err, sizeof err);
    put_incidents(st, 5, 1, 1);
    store_close(st);
    incset *d = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(d), 0);
    incset *e = load_from_rows(db);
    assert_same(d, e);
    /* Another working CRS is another key: both loads read rows. */
    store *ro = store_open(db, STORE_READONLY, err, sizeof err);
    incset *f = incset_load(ro, "EPSG:3857", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(incset_cached(f), 0);
    ck_assert_str_eq(incset_work_srs(f), "EPSG:3857");
    incset *g = incset_load(ro, NULL, err, sizeof err);
    ck_assert_int_eq(incset_cached(g), 0);
    ck_assert_str_eq(incset_work_srs(g), "EPSG:32648");
    store_close(ro);
    incset_free(a);
    incset_free(b);
    incset_free(c);
    incset_free(d);
    incset_free(e);
    incset_free(f);
    incset_free(g);
}
END_TEST

START_TEST(test_recreated_or_foreign_store)
{
    make_store(db, 0);
    incset_free(load(db, STORE_READONLY)); /* writes the file */
    char keep[160];
    snprintf(keep, sizeof keep, "%s.keep", snap);
    copy_file(snap, keep);
    /* The database deleted and built again with other data at the same data version. */
    int64_t v0 = 0;
    {
        incset *s = load(db, STORE_READONLY);
        ck_assert_int_eq(incset_cached(s), 1);
        v0 = incset_data_version(s);
        incset_free(s);
    }
    remove_db_only();
    make_store(db, 1);
    incset *a = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_data_version(a), v0);
    ck_assert_int_eq(incset_cached(a), 0);
    incset *ref = load_from_rows(db);
    assert_same(a, ref);
    /* Another store's file copied in place: ignored, then replaced. */
    copy_file(keep, snap);
    incset *b = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(b), 0);
    assert_same(b, ref);
    incset *c = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(c), 1);
    assert_same(c, ref);
    unlink(keep);
    incset_free(a);
    incset_free(b);
    incset_free(c);
    incset_free(ref);
}
END_TEST

START_TEST(test_restored_backup_written_again)
{
    /* Version numbers repeat along two histories of one store: the data identity does not. */
    make_store(db, 0);
    char backup[160];
    snprintf(backup, sizeof backup, "%s.bak", db);
    copy_file(db, backup);
    add_one(db, 3000);
    incset *a = load(db, STORE_READONLY); /* the file now holds this history's next version */
    ck_assert_int_eq(incset_cached(a), 0);
    remove_db_only();
    copy_file(backup, db);
    add_one(db, 4000); /* the restored store reaches the same version with other data */
    incset *b = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_data_version(b), incset_data_version(a));
    ck_assert_int_eq(incset_cached(b), 0);
    incset *ref = load_from_rows(db);
    assert_same(b, ref);
    ck_assert_int_eq(incset_items(b)[300].id, incset_items(a)[300].id);
    ck_assert(incset_items(b)[300].lon != incset_items(a)[300].lon ||
              incset_items(b)[300].lat != incset_items(a)[300].lat);
    unlink(backup);
    incset_free(a);
    incset_free(b);
    incset_free(ref);
}
END_TEST

START_TEST(test_damaged_file_ignored_and_replaced)
{
    make_store(db, 0);
    incset *ref = load_from_rows(db);
    incset_free(load(db, STORE_READONLY));
    off_t size = file_size(snap);
    ck_assert_int_gt(size, 300 * (off_t)sizeof(hz_incident));
    /* In the records, in the key, a truncation, an empty file, text. */
    off_t flips[] = {size - 100, size / 2, 60};
    for (int k = 0; k < 5; k++) {
        if (k < 3) {
            flip_byte(snap, flips[k]);
        } else if (k == 3) {
            ck_assert_int_eq(truncate(snap, size - sizeof(hz_incident)), 0);
        } else {
            FILE *fh = fopen(snap, "w");
            fputs("not a snapshot\n", fh);
            fclose(fh);
        }
        incset *a = load(db, STORE_READONLY);
        ck_assert_msg(incset_cached(a) == 0, "damage %d not noticed", k);
        assert_same(a, ref);
        incset_free(a);
        ck_assert_int_eq(file_size(snap), size); /* replaced */
        incset *b = load(db, STORE_READONLY);
        ck_assert_int_eq(incset_cached(b), 1);
        assert_same(b, ref);
        incset_free(b);
    }
    incset_free(ref);
}
END_TEST

START_TEST(test_store_without_identity)
{
    make_store(db, 0);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "DELETE FROM meta WHERE key='data_id'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    /* Read-only: no identity, so no cache, and no file written. */
    incset *a = load(db, STORE_READONLY);
    incset *b = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(b), 0);
    ck_assert_int_eq(file_size(snap), -1);
    assert_same(a, b);
    /* The first read-write open gives the store one, without a new data version. */
    incset *c = load(db, 0);
    ck_assert_int_eq(incset_data_version(c), incset_data_version(a));
    incset *d = load(db, STORE_READONLY);
    ck_assert_int_eq(incset_cached(d), 1);
    assert_same(a, d);
    incset_free(a);
    incset_free(b);
    incset_free(c);
    incset_free(d);
}
END_TEST

/* In a child process (the directory's permissions do not bind root, so a root test runner
 * becomes nobody): loads twice from a directory it cannot write, with a stale file in it. */
static int readonly_child(size_t expect)
{
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 10;
    if (access(dir, W_OK) == 0) return 11;
    for (int k = 0; k < 2; k++) {
        char err[512];
        store *st = store_open(db, STORE_READONLY, err, sizeof err);
        if (!st) return 12;
        incset *s = incset_load(st, NULL, err, sizeof err);
        store_close(st);
        if (!s) return 13;
        if (incset_cached(s) || incset_count(s) != expect) return 14;
        incset_free(s);
    }
    return 0;
}

START_TEST(test_readonly_directory)
{
    make_store(db, 0);
    incset_free(load(db, STORE_READONLY)); /* a file, made stale by the next write */
    add_one(db, 2000);
    incset *ref = load_from_rows(db);
    struct stat before;
    ck_assert_int_eq(stat(snap, &before), 0);
    /* A read-only WAL database needs its -shm file; a rollback journal needs nothing. */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) _exit(readonly_child(incset_count(ref)));
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    chmod(dir, 0755);
    struct stat after;
    ck_assert_int_eq(stat(snap, &after), 0);
    ck_assert_int_eq(after.st_ino, before.st_ino); /* untouched */
    incset_free(ref);
}
END_TEST

Suite *snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, tmpdir_make, tmpdir_rm);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_snapfile_roundtrip_and_every_damaged_byte);
    tcase_add_test(tc, test_snapfile_write_empty_mode_and_failure);
    tcase_add_test(tc, test_cache_equals_rows);
    tcase_add_test(tc, test_write_invalidates);
    tcase_add_test(tc, test_recreated_or_foreign_store);
    tcase_add_test(tc, test_restored_backup_written_again);
    tcase_add_test(tc, test_damaged_file_ignored_and_replaced);
    tcase_add_test(tc, test_store_without_identity);
    tcase_add_test(tc, test_readonly_directory);
    suite_add_tcase(s, tc);
    return s;
}
