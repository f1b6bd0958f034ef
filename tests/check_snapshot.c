/* check_snapshot.c - tests of the snapshot cache: the XXH64 checksum and the file format. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "hazmap/snapfile.h"
#include "hazmap/xxh64.h"

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

/* ---- XXH64 ---- */

START_TEST(test_xxh64_reference_values)
{
    /* From the reference implementation (libxxhash 0.8.1, XXH64()). */
    ck_assert_uint_eq(xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
    ck_assert_uint_eq(xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
    ck_assert_uint_eq(xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    ck_assert_uint_eq(xxh64(fox, strlen(fox), 0), 0x0B242D361FDA71BCULL);
    unsigned char buf[299];
    for (int i = 0; i < 299; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    ck_assert_uint_eq(xxh64(buf, 100, 0), 0xA61F8D4C170FE531ULL);
    ck_assert_uint_eq(xxh64(buf, 299, 0), 0x5E6F8A0C9110E74EULL);
    ck_assert_uint_eq(xxh64(buf, 299, 12345), 0xEEA07702080F7F68ULL);
    ck_assert_uint_eq(xxh64(buf, 33, 12345), 0x1EDC993457CF1FD8ULL);
}
END_TEST

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

Suite *snapshot_suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, tmpdir_make, tmpdir_rm);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_xxh64_reference_values);
    tcase_add_test(tc, test_snapfile_roundtrip_and_every_damaged_byte);
    tcase_add_test(tc, test_snapfile_write_empty_mode_and_failure);
    suite_add_tcase(s, tc);
    return s;
}
