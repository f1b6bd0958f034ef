/* allocfail.c - the failing allocator of the allocation-failure build (`make allocfail`;
 * RELIABILITY.md, "Faults").
 *
 * The library's objects are copied into liballocfail.a with their calls to malloc, calloc,
 * realloc, strdup and strndup renamed (objcopy --redefine-sym) to the af_* functions below, so
 * only the library's own allocations are counted, never the test code's, Check's, SQLite's or
 * GDAL's. With ALLOCFAIL_N=N in the environment, the N-th such allocation of the process (of each
 * test, as Check forks one child per test) returns NULL, once; when it does, "hit" is appended
 * to the file named by ALLOCFAIL_LOG, so that the harness (tests/allocfail.sh) knows when N has
 * passed every test's last allocation. ALLOCFAIL_BACKTRACE=1 prints the failing call's stack to
 * stderr. Without ALLOCFAIL_N nothing fails. */
#include <execinfo.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *af_malloc(size_t n);
void *af_calloc(size_t n, size_t size);
void *af_realloc(void *p, size_t n);
char *af_strdup(const char *s);
char *af_strndup(const char *s, size_t n);

static atomic_long count;
static long fail_at = -1; /* -1: not read yet, 0: never */

static int fail_now(void)
{
    if (fail_at < 0) {
        const char *e = getenv("ALLOCFAIL_N");
        fail_at = e ? atol(e) : 0;
    }
    if (fail_at <= 0) return 0;
    if (atomic_fetch_add(&count, 1) + 1 != fail_at) return 0;
    const char *log = getenv("ALLOCFAIL_LOG");
    if (log) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, "hit\n", 4);
            (void)w;
            close(fd);
        }
    }
    if (getenv("ALLOCFAIL_BACKTRACE")) {
        void *frames[32];
        static const char msg[] = "allocfail: this allocation fails:\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
    }
    return 1;
}

void *af_malloc(size_t n)
{
    return fail_now() ? NULL : malloc(n);
}

void *af_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : calloc(n, size);
}

void *af_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : realloc(p, n);
}

char *af_strdup(const char *s)
{
    return fail_now() ? NULL : strdup(s);
}

char *af_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : strndup(s, n);
}
