/* httpmsg.h - one HTTP request and its response as plain data, independent of libmicrohttpd.
 *
 * The handlers read an hreq and fill an hresp; server/httpd.c translates to and from
 * libmicrohttpd, and the unit tests call the handlers directly with hand-made requests.
 *
 * Ownership: every pointer in an hreq is borrowed from the caller for the duration of the
 * handler. An hresp owns its body and headers; hresp_free() releases them (a zeroed hresp is a
 * valid empty response and hresp_free() of it is a no-op). */
#ifndef HAZMAP_HTTPMSG_H
#define HAZMAP_HTTPMSG_H

#include <stddef.h>

#include <jansson.h>

#include "hazmap/filter.h"
#include "hazmap/status.h"

typedef struct hreq_arg {
    const char *key;
    const char *value; /* "" for a key without '=' */
} hreq_arg;

/* Where a request is being answered (server/httpd.c). HREQ_INLINE: wherever the caller is (the
 * unit tests, or a server without an analysis pool). HREQ_EVENT: on a network thread, which must
 * never compute: a handler about to do expensive work calls app_offload() and returns, and the
 * request is answered again from the start as HREQ_POOL on the analysis pool (wpool.h). */
typedef enum hreq_where { HREQ_INLINE = 0, HREQ_EVENT, HREQ_POOL } hreq_where;

typedef struct hreq {
    const char *method;   /* "GET", "HEAD", "POST", "OPTIONS", ... */
    const char *path;     /* percent-decoded path, without the query */
    const hreq_arg *args; /* decoded query arguments in order (repeats kept: see below) */
    size_t nargs;
    const char *host; /* header values or NULL */
    const char *accept;
    const char *authorization;
    const char *if_none_match;
    const char *content_type;
    const char *body; /* request body (POST) or NULL */
    size_t body_len;
    hreq_where where;
} hreq;

enum { HRESP_MAX_HEADERS = 12 };

typedef struct hresp {
    int status; /* 0 until set */
    char content_type[96];
    unsigned char *body; /* owned, malloc'd; may be NULL for an empty body */
    size_t len;
    char *hname[HRESP_MAX_HEADERS], *hvalue[HRESP_MAX_HEADERS]; /* extra headers, owned */
    int nheaders;
    int route;   /* route index for the metrics and the access log */
    int offload; /* set by app_offload(): no answer yet, run the request on the pool */
} hresp;

/* The first value of query argument key, or NULL. */
const char *hreq_arg_get(const hreq *rq, const char *key);

/* HZ_EINVAL naming the first argument that is neither in allowed (NULL-terminated, may be NULL)
 * nor, when filters is non-zero, a filter parameter. (Repeats: hreq_repeated_arg().) */
hz_status hreq_check_args(const hreq *rq, const char *const *allowed, int filters, char *err,
                          size_t errlen);

/* The name of the first query argument given more than once with different values, or NULL. No
 * parameter may be repeated with another value (lists are comma-separated): app.c refuses such a
 * request before any handler runs, so no handler sees "last wins" or "first wins". The same value
 * twice is no ambiguity, and GDAL's OAPIF driver sends it: it repeats the query of the URL it was
 * given (crs=...) on each next link, which already carries it. */
const char *hreq_repeated_arg(const hreq *rq);

/* Applies every filter argument of rq to f (initialised by the caller). Strict (filter_set). */
hz_status hreq_filter(const hreq *rq, hz_filter *f, char *err, size_t errlen);

/* 1 if the Accept header prefers text/html over JSON (a browser), else 0. */
int hreq_wants_html(const hreq *rq);

/* The API token of the Authorization header, copied NUL-terminated into buf (HREQ_TOKEN_MAX + 1
 * bytes): "Bearer TOKEN", or "Basic base64(USER:TOKEN)" with any user name - the token as the
 * password, which is what GIS clients without custom headers (QGIS 3.22's authcfg) can send.
 * 1 with the token, 0 when there is no header, -1 when the header is malformed (another scheme,
 * bad base64, no colon, an empty or over-long token, control or non-ASCII characters). */
#define HREQ_TOKEN_MAX 256
int hreq_token(const hreq *rq, char buf[HREQ_TOKEN_MAX + 1]);

/* Sets the body to the compact JSON text of j (j is not consumed) with the status and type
 * (NULL type = "application/json"). On OOM the response becomes a 503. */
void hresp_json(hresp *rs, int status, const json_t *j, const char *type);

/* Sets a JSON error body {"code": code, "description": printf text}. */
void hresp_error(hresp *rs, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The HTTP status and OGC exception code for a status from the core (HZ_EINVAL 400
 * InvalidParameterValue, HZ_ENOTFOUND 404, HZ_ELIMIT 422, HZ_EAUTH 401, ...). */
int hresp_status_of(hz_status s, const char **code);

/* Copies n bytes as the body. */
void hresp_bytes(hresp *rs, int status, const char *type, const void *data, size_t n);

/* Takes ownership of a malloc'd body. */
void hresp_take(hresp *rs, int status, const char *type, unsigned char *data, size_t n);

/* Adds a header (copied). Silently ignored beyond HRESP_MAX_HEADERS or on OOM. */
void hresp_header(hresp *rs, const char *name, const char *value);

/* The value of an added header, or NULL. */
const char *hresp_header_get(const hresp *rs, const char *name);

/* Releases body and headers and zeroes rs. */
void hresp_free(hresp *rs);

#endif
