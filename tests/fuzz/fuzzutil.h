/* fuzzutil.h - what the libFuzzer harnesses of tests/fuzz/ share: the entry points' prototypes,
 * an invariant check that aborts, a UTF-8 validator and a file holding the input for the readers
 * that take a path (the CSV reader, the mapping-file parser).
 *
 * A harness calls the library's real functions and checks an invariant of what they return with
 * FUZZ_CHECK; a violation aborts, which libFuzzer reports as a crash with the input saved. */
#ifndef HAZMAP_FUZZUTIL_H
#define HAZMAP_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static inline int fuzz_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= k) return 0;
        unsigned cp = c & (0x3f >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += k + 1;
    }
    return 1;
}

/* A path (/proc/self/fd/N of an in-memory file) whose content is data[0..size): the readers
 * open it by name like any file. The file is made once and rewritten on each call. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) abort();
    for (size_t off = 0; off < size;) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    return path;
}

#endif
