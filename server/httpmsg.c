/* httpmsg.c - request helpers (arguments, filters, content negotiation) and response building. */
#include "hazmap/httpmsg.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *hreq_arg_get(const hreq *rq, const char *key)
{
    for (size_t i = 0; i < rq->nargs; i++)
        if (strcmp(rq->args[i].key, key) == 0) return rq->args[i].value;
    return NULL;
}

hz_status hreq_check_args(const hreq *rq, const char *const *allowed, int filters, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < rq->nargs; i++) {
        const char *k = rq->args[i].key;
        int known = 0;
        for (const char *const *a = allowed; a && *a; a++)
            if (strcmp(*a, k) == 0) known = 1;
        int is_filter = filters && filter_is_param(k);
        if (!known && !is_filter)
            return hz_fail(HZ_EINVAL, err, errlen, "unknown parameter '%.64s'", k);
    }
    return HZ_OK;
}

const char *hreq_repeated_arg(const hreq *rq)
{
    for (size_t i = 0; i < rq->nargs; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(rq->args[j].key, rq->args[i].key) == 0 &&
                strcmp(rq->args[j].value, rq->args[i].value) != 0)
                return rq->args[i].key;
    return NULL;
}

hz_status hreq_filter(const hreq *rq, hz_filter *f, char *err, size_t errlen)
{
    for (size_t i = 0; i < rq->nargs; i++) {
        if (!filter_is_param(rq->args[i].key)) continue;
        hz_status s = filter_set(f, rq->args[i].key, rq->args[i].value, err, errlen);
        if (s != HZ_OK) return s;
    }
    return HZ_OK;
}

/* The q value of the first media range in accept that starts with type, -1 when absent. */
static double accept_q(const char *accept, const char *type)
{
    size_t tl = strlen(type);
    const char *p = accept;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= tl && strncasecmp(p, type, tl) == 0 &&
            (len == tl || p[tl] == ';' || p[tl] == ' ')) {
            double q = 1;
            const char *qp = strstr(p, ";q=");
            if (qp && qp < p + len) {
                char *e;
                q = strtod(qp + 3, &e);
                if (e == qp + 3 || q < 0 || q > 1) q = 1;
            }
            return q;
        }
        p = end;
    }
    return -1;
}

int hreq_wants_html(const hreq *rq)
{
    if (!rq->accept) return 0;
    double html = accept_q(rq->accept, "text/html");
    if (html <= 0) return 0;
    double json = accept_q(rq->accept, "application/json");
    double geo = accept_q(rq->accept, "application/geo+json");
    return html >= json && html >= geo && !(json == html && json > 0);
}

/* Copies h[0..n) trimmed of spaces into buf if it is a plausible token (printable ASCII, no
 * spaces inside, 1..HREQ_TOKEN_MAX bytes). 1 or -1. */
static int token_copy(const char *h, size_t n, char *buf)
{
    while (n && *h == ' ')
        h++, n--;
    while (n && h[n - 1] == ' ')
        n--;
    if (n == 0 || n > HREQ_TOKEN_MAX) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)h[i] <= ' ' || (unsigned char)h[i] >= 127) return -1;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return 1;
}

/* "Basic base64(user:password)" (RFC 7617): the password is the token. */
static int basic_token(const char *b64, char *buf)
{
    while (*b64 == ' ')
        b64++;
    size_t n = strlen(b64);
    while (n && b64[n - 1] == ' ')
        n--;
    /* user (at most a few hundred bytes) + ':' + token, base64: 4 chars per 3 bytes */
    if (n == 0 || n % 4 || n > 1024) return -1;
    unsigned char dec[1024];
    int m = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
    if (m < 0) return -1;
    /* EVP_DecodeBlock counts the padding's zero bytes: drop them */
    if (n >= 1 && b64[n - 1] == '=') m--;
    if (n >= 2 && b64[n - 2] == '=') m--;
    if (memchr(dec, '\0', (size_t)m)) return -1;
    const unsigned char *colon = memchr(dec, ':', (size_t)m);
    if (!colon) return -1;
    size_t off = (size_t)(colon - dec) + 1;
    return token_copy((const char *)dec + off, (size_t)m - off, buf);
}

int hreq_token(const hreq *rq, char buf[HREQ_TOKEN_MAX + 1])
{
    const char *h = rq->authorization;
    buf[0] = '\0';
    if (!h) return 0;
    if (strncasecmp(h, "Bearer ", 7) == 0) return token_copy(h + 7, strlen(h + 7), buf);
    if (strncasecmp(h, "Basic ", 6) == 0) return basic_token(h + 6, buf);
    return -1;
}

void hresp_take(hresp *rs, int status, const char *type, unsigned char *data, size_t n)
{
    free(rs->body);
    rs->body = data;
    rs->len = n;
    rs->status = status;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", type ? type : "application/json");
}

void hresp_bytes(hresp *rs, int status, const char *type, const void *data, size_t n)
{
    unsigned char *b = malloc(n ? n : 1);
    if (!b) {
        hresp_take(rs, 503, "application/json", NULL, 0);
        return;
    }
    if (n) memcpy(b, data, n);
    hresp_take(rs, status, type, b, n);
}

void hresp_json(hresp *rs, int status, const json_t *j, const char *type)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (!text) {
        static const char oom[] =
            "{\"code\":\"ServiceUnavailable\",\"description\":\"out of memory\"}";
        hresp_bytes(rs, 503, "application/json", oom, sizeof oom - 1);
        return;
    }
    hresp_take(rs, status, type, (unsigned char *)text, strlen(text));
}

void hresp_error(hresp *rs, int status, const char *code, const char *fmt, ...)
{
    char desc[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:s, s:s}", "code", code, "description", desc);
    if (!j) { /* description not valid UTF-8 (an echoed parameter): say less */
        j = json_pack("{s:s, s:s}", "code", code, "description", "invalid request");
    }
    hresp_json(rs, status, j, "application/json");
    json_decref(j);
}

int hresp_status_of(hz_status s, const char **code)
{
    switch (s) {
    case HZ_OK:
        *code = "OK";
        return 200;
    case HZ_EINVAL:
        *code = "InvalidParameterValue";
        return 400;
    case HZ_EUNSUPPORTED:
        *code = "InvalidParameterValue";
        return 400;
    case HZ_ECRS:
        *code = "InvalidParameterValue";
        return 400;
    case HZ_ENOTFOUND:
        *code = "NotFound";
        return 404;
    case HZ_ELIMIT:
        *code = "QueryTooExpensive";
        return 422;
    case HZ_EAUTH:
        *code = "Unauthorized";
        return 401;
    case HZ_EFORBIDDEN:
        *code = "Forbidden";
        return 403;
    case HZ_ENOMEM:
        *code = "ServiceUnavailable";
        return 503;
    case HZ_ENOSPC:
        *code = "InsufficientStorage";
        return 507;
    case HZ_ECONFLICT:
        *code = "Conflict";
        return 409;
    default:
        *code = "InternalError";
        return 500;
    }
}

void hresp_header(hresp *rs, const char *name, const char *value)
{
    if (rs->nheaders >= HRESP_MAX_HEADERS) return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    rs->hname[rs->nheaders] = n;
    rs->hvalue[rs->nheaders] = v;
    rs->nheaders++;
}

const char *hresp_header_get(const hresp *rs, const char *name)
{
    for (int i = 0; i < rs->nheaders; i++)
        if (strcasecmp(rs->hname[i], name) == 0) return rs->hvalue[i];
    return NULL;
}

void hresp_free(hresp *rs)
{
    free(rs->body);
    for (int i = 0; i < rs->nheaders; i++) {
        free(rs->hname[i]);
        free(rs->hvalue[i]);
    }
    memset(rs, 0, sizeof *rs);
}
