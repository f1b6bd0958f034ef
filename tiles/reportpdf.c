/* reportpdf.c - the report printed to PDF by headless Chromium (report_pdf(), report.h).
 *
 * Chromium runs in its own process group (so a timeout kills its helpers too), with a fresh
 * profile in a private temporary directory (two prints at once do not share one), output to
 * /dev/null, and --no-sandbox only when running as root (Chromium refuses root otherwise). */
#include "hazmap/report.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static hz_status write_file(const char *path, const char *data, size_t len, char *err,
                            size_t errlen)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return hz_fail(HZ_EIO, err, errlen, "report: cannot write %s: %s", path, strerror(errno));
    int bad = fwrite(data, 1, len, fp) != len;
    bad |= fclose(fp) != 0;
    return bad ? hz_fail(HZ_EIO, err, errlen, "report: cannot write %s", path) : HZ_OK;
}

static hz_status read_file(const char *path, unsigned char **out, size_t *len, char *err,
                           size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return hz_fail(HZ_EIO, err, errlen, "report: Chromium wrote no PDF");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap = cap ? 2 * cap : 1 << 16);
            if (!nb) {
                free(buf);
                fclose(fp);
                return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    fclose(fp);
    if (n < 5 || memcmp(buf, "%PDF", 4) != 0) {
        free(buf);
        return hz_fail(HZ_EIO, err, errlen, "report: Chromium's output is not a PDF");
    }
    *out = buf;
    *len = n;
    return HZ_OK;
}

/* Runs argv in its own process group, waiting at most timeout_s; HZ_EIO on failure. */
static hz_status run(const char **argv, int timeout_s, char *err, size_t errlen)
{
    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e != 0)
        return hz_fail(HZ_EIO, err, errlen, "report: cannot run %s: %s", argv[0], strerror(e));
    struct timespec t0, now, nap = {0, 50 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            kill(-pid, SIGKILL); /* helpers left behind */
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return HZ_OK;
            return hz_fail(HZ_EIO, err, errlen, "report: %s failed (status %d)", argv[0], status);
        }
        if (w < 0 && errno != EINTR)
            return hz_fail(HZ_EIO, err, errlen, "report: waiting for %s: %s", argv[0],
                           strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= timeout_s) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return hz_fail(HZ_EIO, err, errlen, "report: %s took more than %d s", argv[0],
                           timeout_s);
        }
        nanosleep(&nap, NULL);
    }
}

hz_status report_pdf(const char *html, size_t len, const char *chromium, int timeout_s,
                     unsigned char **pdf, size_t *pdflen, char *err, size_t errlen)
{
    *pdf = NULL;
    *pdflen = 0;
    char dir[] = "/tmp/hazmap-report-XXXXXX";
    if (!mkdtemp(dir)) return hz_fail(HZ_EIO, err, errlen, "report: mkdtemp: %s", strerror(errno));
    char in[64], out[64], prof[64], outarg[80], profarg[80], url[80];
    snprintf(in, sizeof in, "%s/report.html", dir);
    snprintf(out, sizeof out, "%s/report.pdf", dir);
    snprintf(prof, sizeof prof, "%s/profile", dir);
    snprintf(outarg, sizeof outarg, "--print-to-pdf=%s", out);
    snprintf(profarg, sizeof profarg, "--user-data-dir=%s", prof);
    snprintf(url, sizeof url, "file://%s", in);
    hz_status rc = write_file(in, html, len, err, errlen);
    if (rc == HZ_OK) {
        const char *argv[] = {chromium ? chromium : "chromium",
                              "--headless",
                              "--disable-gpu",
                              "--no-pdf-header-footer",
                              "--no-first-run",
                              profarg,
                              outarg,
                              url,
                              NULL,
                              NULL};
        if (geteuid() == 0) { /* Chromium's sandbox refuses root */
            memmove(&argv[2], &argv[1], 7 * sizeof *argv);
            argv[1] = "--no-sandbox";
        }
        rc = run(argv, timeout_s, err, errlen);
    }
    if (rc == HZ_OK) rc = read_file(out, pdf, pdflen, err, errlen);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
