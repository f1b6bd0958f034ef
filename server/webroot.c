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

#define MISSING_JSON "{\"code\":\"NotFound\",\"description\":\"no file at this path\"}"
#define MISSING_TEXT "404 Not Found\n"

/* Media type by extension, and the body of a 404 for a missing file of that type: one that is
 * valid in the type (a comment, a JSON error; NULL: empty, e.g. for an image), because the 404
 * is labelled with the type the browser asked for rather than with the API's application/json. */
static const struct {
    const char *ext, *type, *missing;
} mime_map[] = {
    {".html", "text/html; charset=utf-8",
     "<!doctype html>\n<title>404 Not Found</title>\n<p>404 Not Found</p>\n"},
    {".css", "text/css; charset=utf-8", "/* 404 Not Found */\n"},
    {".js", "text/javascript; charset=utf-8", "/* 404 Not Found */\n"},
    {".mjs", "text/javascript; charset=utf-8", "/* 404 Not Found */\n"},
    {".json", "application/json", MISSING_JSON},
    {".geojson", "application/geo+json", MISSING_JSON},
    {".map", "application/json", MISSING_JSON},
    {".png", "image/png", NULL},
    {".jpg", "image/jpeg", NULL},
    {".jpeg", "image/jpeg", NULL},
    {".gif", "image/gif", NULL},
    {".svg", "image/svg+xml", NULL},
    {".ico", "image/x-icon", NULL},
    {".webp", "image/webp", NULL},
    {".woff", "font/woff", NULL},
    {".woff2", "font/woff2", NULL},
    {".txt", "text/plain; charset=utf-8", MISSING_TEXT},
    {".md", "text/plain; charset=utf-8", MISSING_TEXT},
    {".pbf", "application/x-protobuf", NULL},
};

/* The extension of the last segment of name, dot included ("/a/b.js" -> ".js"), or NULL. As in
 * Python's os.path.splitext, the leading dot of a dot-file (".hidden") starts no extension. */
static const char *extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name && dot[-1] != '/' && !strchr(dot, '/') ? dot : NULL;
}

/* The mime_map index for name's extension, or -1. */
static int mime_index(const char *name)
{
    const char *dot = extension(name);
    if (dot)
        for (size_t i = 0; i < sizeof mime_map / sizeof *mime_map; i++)
            if (strcasecmp(dot, mime_map[i].ext) == 0) return (int)i;
    return -1;
}

const char *webroot_mime(const char *name)
{
    int i = mime_index(name);
    return i >= 0 ? mime_map[i].type : "application/octet-stream";
}

int webroot_not_found(const char *path, hresp *rs)
{
    if (!extension(path)) return -1;
    int i = mime_index(path);
    const char *type = i >= 0 ? mime_map[i].type : "text/plain; charset=utf-8";
    const char *body = i >= 0 ? mime_map[i].missing : MISSING_TEXT;
    hresp_bytes(rs, 404, type, body ? body : "", body ? strlen(body) : 0);
    return 0;
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
        if (p[0] == '/' && p[1] == '.') {
            /* every segment starting with '.' is refused: "..", ".", dot-files and
             * dot-directories (.git, .env) alike */
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
