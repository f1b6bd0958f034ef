/* webroot.c - serving the map page's static files from a confined directory. */
#include "hazmap/webroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} mime_map[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".geojson", "application/geo+json"},
    {".map", "application/json"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/plain; charset=utf-8"},
    {".pbf", "application/x-protobuf"},
};

const char *webroot_mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof mime_map / sizeof *mime_map; i++)
            if (strcasecmp(dot, mime_map[i].ext) == 0) return mime_map[i].type;
    return "application/octet-stream";
}

enum { MAX_STATIC_BYTES = 64 << 20 };

int webroot_serve_path(const char *root, const char *path, hresp *rs)
{
    if (path[0] != '/' || strlen(path) > 1024) {
        hresp_error(rs, 400, "InvalidParameterValue", "bad path");
        return 0;
    }
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == '\\' || *p == 0x7f) {
            hresp_error(rs, 400, "InvalidParameterValue", "bad character in path");
            return 0;
        }
        if (p[0] == '/' && p[1] == '.' && (p[2] == '.' || p[2] == '/' || p[2] == 0)) {
            /* "..", "./" and hidden dot-files are all refused */
            hresp_error(rs, 403, "Forbidden", "path outside the web root");
            return 0;
        }
    }
    char rroot[PATH_MAX], full[PATH_MAX * 2], rfull[PATH_MAX];
    if (!realpath(root, rroot)) return -1;
    snprintf(full, sizeof full, "%s%s", rroot, path);
    if (!realpath(full, rfull)) return -1;
    size_t rl = strlen(rroot);
    if (strncmp(rfull, rroot, rl) != 0 || rfull[rl] != '/') {
        hresp_error(rs, 403, "Forbidden", "path outside the web root");
        return 0;
    }
    int fd = open(rfull, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > MAX_STATIC_BYTES) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *b = malloc(n ? n : 1);
    size_t got = 0;
    while (b && got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            break;
        }
        got += (size_t)k;
    }
    close(fd);
    if (!b || got != n) {
        free(b);
        return -1;
    }
    hresp_take(rs, 200, webroot_mime(rfull), b, n);
    /* The page itself revalidates every time (it names the other files); assets may be cached. */
    const char *base = strrchr(rfull, '/');
    hresp_header(rs, "Cache-Control",
                 base && strcmp(base, "/index.html") == 0 ? "no-cache" : "public, max-age=3600");
    return 0;
}

int webroot_serve(const char *root, const hreq *rq, hresp *rs)
{
    return webroot_serve_path(root, strcmp(rq->path, "/") == 0 ? "/index.html" : rq->path, rs);
}
