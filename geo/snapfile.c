/* snapfile.c - keyed, checksummed cache files of fixed-size records (format in snapfile.h).
 *
 * Invariants:
 *  1. snapfile_read() returns records only after every check has passed: magic, byte order,
 *     record size, key, exact file length, checksum. It never allocates more than the file's
 *     length says it holds.
 *  2. snapfile_write() never writes to path itself: the only operation on path is the final
 *     rename() of a complete temporary file. */
#include "hazmap/snapfile.h"

#include <xxhash.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct header {
    char magic[8];
    uint32_t bom, keylen, metalen, zero;
    uint64_t rec_size, count, checksum;
} header;

_Static_assert(sizeof(header) == 48, "the header is 48 bytes without padding");

static const char magic[8] = {'H', 'Z', 'S', 'N', 'A', 'P', '1', '\n'};
enum { BOM = 0x01020304 };

/* The checksum of a file whose header h has checksum 0 (snapfile.h). */
static uint64_t checksum(const header *h, const char *key, const char *meta, const void *recs,
                         size_t bytes)
{
    assert(h->checksum == 0);
    uint64_t c = XXH64(h, sizeof *h, 0);
    c = XXH64(key, h->keylen, c);
    c = XXH64(meta, h->metalen, c);
    return XXH64(recs, bytes, c);
}

/* Reads exactly n bytes; 0, or -1 on an error or a short file. */
static int read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Checks a header against what the reader expects; returns the mismatch or NULL. */
static const char *header_mismatch(const header *h, size_t rec_size, size_t keylen)
{
    if (memcmp(h->magic, magic, sizeof magic) != 0) return "not a snapshot file of this format";
    if (h->bom != BOM) return "written in another byte order";
    if (h->zero != 0 || h->keylen > SNAPFILE_MAX_TEXT || h->metalen > SNAPFILE_MAX_TEXT)
        return "damaged header";
    if (h->rec_size != rec_size) return "another record size";
    if (h->keylen != keylen) return "another key";
    return NULL;
}

/* The body of snapfile_read() once the file is open; see there. */
static hz_status read_open(int fd, const char *key, size_t rec_size, void **recs, size_t *n,
                           char *meta, size_t metalen, char *why, size_t whylen)
{
    struct stat sb;
    header h;
    if (fstat(fd, &sb) != 0) return hz_fail(HZ_EIO, why, whylen, "stat: %s", strerror(errno));
    if (read_full(fd, &h, sizeof h) != 0) return hz_fail(HZ_EINVAL, why, whylen, "truncated");
    const char *bad = header_mismatch(&h, rec_size, strlen(key));
    if (bad) return hz_fail(HZ_EINVAL, why, whylen, "%s", bad);
    /* The count comes from the file: check it against the file's length before trusting it. */
    size_t text = (size_t)h.keylen + h.metalen;
    if ((uint64_t)sb.st_size < sizeof h + text) return hz_fail(HZ_EINVAL, why, whylen, "truncated");
    uint64_t room = (uint64_t)sb.st_size - sizeof h - text;
    if (room % rec_size != 0 || room / rec_size != h.count || room > SIZE_MAX)
        return hz_fail(HZ_EINVAL, why, whylen, "length does not match the record count");
    size_t bytes = (size_t)room;
    char *txt = malloc(text + 1);
    void *r = malloc(bytes ? bytes : 1);
    hz_status st = HZ_OK;
    if (!txt || !r)
        st = hz_fail(HZ_ENOMEM, why, whylen, "out of memory");
    else if (read_full(fd, txt, text) != 0)
        st = hz_fail(HZ_EINVAL, why, whylen, "truncated");
    else if (memcmp(txt, key, h.keylen) != 0)
        st = hz_fail(HZ_EINVAL, why, whylen, "another key");
    else if (read_full(fd, r, bytes) != 0)
        st = hz_fail(HZ_EINVAL, why, whylen, "truncated");
    uint64_t sum = h.checksum;
    h.checksum = 0;
    if (st == HZ_OK && checksum(&h, txt, txt + h.keylen, r, bytes) != sum)
        st = hz_fail(HZ_EINVAL, why, whylen, "checksum mismatch (damaged file)");
    if (st == HZ_OK && metalen > 0) {
        size_t m = h.metalen < metalen - 1 ? h.metalen : metalen - 1;
        memcpy(meta, txt + h.keylen, m);
        meta[m] = '\0';
    }
    free(txt);
    if (st != HZ_OK) {
        free(r);
        return st;
    }
    *recs = r;
    *n = (size_t)h.count;
    return HZ_OK;
}

hz_status snapfile_read(const char *path, const char *key, size_t rec_size, void **recs, size_t *n,
                        char *meta, size_t metalen, char *why, size_t whylen)
{
    assert(rec_size > 0);
    *recs = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hz_fail(errno == ENOENT ? HZ_ENOTFOUND : HZ_EIO, why, whylen, "%s: %s", path,
                       strerror(errno));
    hz_status st = read_open(fd, key, rec_size, recs, n, meta, metalen, why, whylen);
    close(fd);
    return st;
}

/* Writes the whole file to fd. */
static int write_body(int fd, const char *key, const char *meta, const void *recs, size_t rec_size,
                      size_t n)
{
    header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, magic, sizeof magic);
    h.bom = BOM;
    h.keylen = (uint32_t)strlen(key);
    h.metalen = (uint32_t)strlen(meta);
    h.rec_size = rec_size;
    h.count = n;
    h.checksum = checksum(&h, key, meta, recs, n * rec_size);
    return write_full(fd, &h, sizeof h) || write_full(fd, key, h.keylen) ||
                   write_full(fd, meta, h.metalen) || write_full(fd, recs, n * rec_size)
               ? -1
               : 0;
}

hz_status snapfile_write(const char *path, const char *key, const char *meta, const void *recs,
                         size_t rec_size, size_t n, const char *mode_of, char *err, size_t errlen)
{
    assert(rec_size > 0 && (recs || n == 0));
    if (strlen(key) > SNAPFILE_MAX_TEXT || strlen(meta) > SNAPFILE_MAX_TEXT)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: key or meta too long", path);
    if (n > SIZE_MAX / rec_size)
        return hz_fail(HZ_ELIMIT, err, errlen, "%s: too many records", path);
    size_t plen = strlen(path) + 8;
    char *tmp = malloc(plen);
    if (!tmp) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    snprintf(tmp, plen, "%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
    if (fd < 0) {
        hz_fail(HZ_EIO, err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return HZ_EIO;
    }
    struct stat sb;
    if (mode_of && stat(mode_of, &sb) == 0) fchmod(fd, sb.st_mode & 0666);
    int bad = write_body(fd, key, meta, recs, rec_size, n);
    int saved = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        hz_fail(HZ_EIO, err, errlen, "%s: cannot write: %s", path, strerror(saved));
    }
    free(tmp);
    return bad ? HZ_EIO : HZ_OK;
}
