/* srvconf.c - defaults, parsing and the key = value file of the server configuration. */
#include "hazmap/srvconf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void srvconf_init(srvconf *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->bind, sizeof c->bind, "127.0.0.1");
    c->port = 8080;
    snprintf(c->title, sizeof c->title, "hazmap");
    c->min_count = 10;
    c->min_bandwidth = 300;
    c->blackspots_max_work = 100000000000L;
    c->prerender_max_zoom = 16;
    c->cache_mb = 128;
    c->query_timeout_ms = 10000;
    c->max_body_bytes = 10L * 1024 * 1024;
    c->threads = 0;
    c->analysis_threads = 0;
    c->analysis_queue = 64;
    c->connection_timeout_s = 30;
    c->per_ip_connections = 64;
    c->header_deadline_s = 10;
    c->body_deadline_s = 60;
    c->body_bytes_per_addr = 0;
    snprintf(c->work_srs, sizeof c->work_srs, "auto");
}

static hz_status set_long(long *out, const char *key, const char *v, long lo, long hi, char *err,
                          size_t errlen)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: '%s' is not an integer in %ld..%ld", key, v, lo,
                       hi);
    *out = x;
    return HZ_OK;
}

static hz_status set_int(int *out, const char *key, const char *v, long lo, long hi, char *err,
                         size_t errlen)
{
    long x;
    hz_status s = set_long(&x, key, v, lo, hi, err, errlen);
    if (s == HZ_OK) *out = (int)x;
    return s;
}

static hz_status set_str(char *out, size_t cap, const char *key, const char *v, char *err,
                         size_t errlen)
{
    size_t n = strlen(v);
    if (n >= cap)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: value longer than %zu bytes", key, cap - 1);
    memcpy(out, v, n + 1);
    return HZ_OK;
}

/* base_url: "http://" or "https://", a host, then an optional path; printable ASCII without
 * blanks, quotes, angle brackets, backslashes, '?' or '#' (it is written into JSON and URLs as
 * it is). "" unsets it. One trailing '/' is dropped, so links join as base_url + "/path". */
static hz_status set_base_url(srvconf *c, const char *v, char *err, size_t errlen)
{
    if (!*v) {
        c->base_url[0] = 0; /* links from the bind address */
        return HZ_OK;
    }
    size_t n = strlen(v), scheme = strncmp(v, "https://", 8) == 0  ? 8
                                   : strncmp(v, "http://", 7) == 0 ? 7
                                                                   : 0;
    if (n && v[n - 1] == '/') n--;
    if (!scheme || n <= scheme || v[scheme] == '/')
        return hz_fail(HZ_EINVAL, err, errlen,
                       "base_url: '%.300s' is not an http:// or https:// URL with a host", v);
    if (n >= sizeof c->base_url)
        return hz_fail(HZ_EINVAL, err, errlen, "base_url: longer than %zu bytes",
                       sizeof c->base_url - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 127 || strchr("\"<>\\?#", v[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "base_url: character '%c' not allowed",
                           (unsigned char)v[i] > ' ' && (unsigned char)v[i] < 127 ? v[i] : '?');
    memcpy(c->base_url, v, n);
    c->base_url[n] = 0;
    return HZ_OK;
}

void srvconf_base(const srvconf *c, char *buf, size_t buflen)
{
    if (c->base_url[0])
        snprintf(buf, buflen, "%s", c->base_url);
    else if (strchr(c->bind, ':'))
        snprintf(buf, buflen, "http://[%s]:%d", c->bind, c->port);
    else
        snprintf(buf, buflen, "http://%s:%d", c->bind, c->port);
}

hz_status srvconf_set(srvconf *c, const char *key, const char *v, char *err, size_t errlen)
{
    if (strcmp(key, "base_url") == 0) return set_base_url(c, v, err, errlen);
    if (strcmp(key, "title") == 0) return set_str(c->title, sizeof c->title, key, v, err, errlen);
    if (strcmp(key, "db") == 0) return set_str(c->db, sizeof c->db, key, v, err, errlen);
    if (strcmp(key, "bind") == 0) return set_str(c->bind, sizeof c->bind, key, v, err, errlen);
    if (strcmp(key, "web") == 0) return set_str(c->web, sizeof c->web, key, v, err, errlen);
    if (strcmp(key, "basemap_url") == 0)
        return set_str(c->basemap_url, sizeof c->basemap_url, key, v, err, errlen);
    if (strcmp(key, "basemap_attribution") == 0)
        return set_str(c->basemap_attribution, sizeof c->basemap_attribution, key, v, err, errlen);
    if (strcmp(key, "cache_dir") == 0)
        return set_str(c->cache_dir, sizeof c->cache_dir, key, v, err, errlen);
    if (strcmp(key, "work_srs") == 0)
        return set_str(c->work_srs, sizeof c->work_srs, key, v, err, errlen);
    if (strcmp(key, "port") == 0) return set_int(&c->port, key, v, 0, 65535, err, errlen);
    if (strcmp(key, "min_count") == 0)
        return set_int(&c->min_count, key, v, 0, 1000000, err, errlen);
    if (strcmp(key, "cache_mb") == 0) return set_int(&c->cache_mb, key, v, 0, 1 << 20, err, errlen);
    if (strcmp(key, "query_timeout_ms") == 0)
        return set_int(&c->query_timeout_ms, key, v, 0, 3600000, err, errlen);
    if (strcmp(key, "publish_every_h") == 0)
        return set_int(&c->publish_every_h, key, v, 0, 24 * 366, err, errlen);
    if (strcmp(key, "prerender_max_zoom") == 0)
        return set_int(&c->prerender_max_zoom, key, v, 0, 18, err, errlen);
    if (strcmp(key, "threads") == 0) return set_int(&c->threads, key, v, 0, 1024, err, errlen);
    if (strcmp(key, "analysis_threads") == 0)
        return set_int(&c->analysis_threads, key, v, 0, 1024, err, errlen);
    if (strcmp(key, "analysis_queue") == 0)
        return set_int(&c->analysis_queue, key, v, 0, 100000, err, errlen);
    if (strcmp(key, "connection_timeout_s") == 0)
        return set_int(&c->connection_timeout_s, key, v, 1, 3600, err, errlen);
    if (strcmp(key, "per_ip_connections") == 0)
        return set_int(&c->per_ip_connections, key, v, 1, 100000, err, errlen);
    if (strcmp(key, "header_deadline_s") == 0)
        return set_int(&c->header_deadline_s, key, v, 1, 3600, err, errlen);
    if (strcmp(key, "body_deadline_s") == 0)
        return set_int(&c->body_deadline_s, key, v, 1, 86400, err, errlen);
    if (strcmp(key, "body_bytes_per_addr") == 0)
        return set_long(&c->body_bytes_per_addr, key, v, 0, 1L << 34, err, errlen);
    if (strcmp(key, "blackspots_max_work") == 0)
        return set_long(&c->blackspots_max_work, key, v, 1, 1L << 50, err, errlen);
    if (strcmp(key, "max_body_bytes") == 0)
        return set_long(&c->max_body_bytes, key, v, 1024, 1L << 30, err, errlen);
    if (strcmp(key, "min_bandwidth") == 0) {
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x) || x < 0 || x > 100000)
            return hz_fail(HZ_EINVAL, err, errlen, "%s: '%s' is not a distance in 0..100000 m", key,
                           v);
        c->min_bandwidth = x;
        return HZ_OK;
    }
    if (strcmp(key, "basemap_gcj02") == 0) {
        if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
            c->basemap_gcj02 = 1;
        else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
            c->basemap_gcj02 = 0;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "%s: '%s' is not true or false", key, v);
        return HZ_OK;
    }
    return hz_fail(HZ_EINVAL, err, errlen, "unknown key '%s'", key);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

hz_status srvconf_load(srvconf *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return hz_fail(HZ_EIO, err, errlen, "%s: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0;
    hz_status rc = HZ_OK;
    while (rc == HZ_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = hz_fail(HZ_EINVAL, err, errlen, "%s:%d: line too long", path, lineno);
            break;
        }
        char *p = trim(line);
        if (!*p || *p == '#') continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            rc = hz_fail(HZ_EINVAL, err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            break;
        }
        *eq = 0;
        char msg[512];
        if (srvconf_set(c, trim(p), trim(eq + 1), msg, sizeof msg) != HZ_OK)
            rc = hz_fail(HZ_EINVAL, err, errlen, "%s:%d: %s", path, lineno, msg);
    }
    fclose(f);
    return rc;
}
