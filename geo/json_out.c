/* json_out.c - direct JSON text output into a growable buffer. */
#include "hazmap/json_out.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(jbuf *b, size_t n)
{
    if (b->failed) return -1;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void jbuf_raw(jbuf *b, const char *s, size_t n)
{
    if (reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void jbuf_lit(jbuf *b, const char *s)
{
    jbuf_raw(b, s, strlen(s));
}

void jbuf_str(jbuf *b, const char *s)
{
    if (!s) {
        jbuf_lit(b, "null");
        return;
    }
    size_t n = strlen(s);
    if (reserve(b, 6 * n + 2)) return; /* worst case: every byte as \u00XX */
    char *o = b->p + b->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (ch == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (ch == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (ch < 0x20 || ch == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = hex[ch >> 4];
            o[5] = hex[ch & 15];
            o += 6;
        } else {
            *o++ = (char)ch; /* UTF-8 passes through; the store holds valid UTF-8 */
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = 0;
}

void jbuf_int(jbuf *b, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    jbuf_raw(b, t, (size_t)n);
}

void jbuf_num(jbuf *b, double v, int digits)
{
    if (!isfinite(v)) {
        jbuf_lit(b, "null");
        return;
    }
    char t[40];
    int n = snprintf(t, sizeof t, "%.*g", digits, v);
    jbuf_raw(b, t, (size_t)n);
}

void jbuf_real(jbuf *b, double v)
{
    if (!isfinite(v)) {
        jbuf_lit(b, "null");
        return;
    }
    char t[48];
    int n = snprintf(t, sizeof t, "%.12g", v);
    assert(n > 0 && (size_t)n < sizeof t - 2);
    char *e = strchr(t, 'e');
    if (!e && !strchr(t, '.')) {
        memcpy(t + n, ".0", 3);
        n += 2;
    } else if (e) { /* e+20 -> e20, e-05 -> e-5 */
        char *from = e + 1, *to = e + 1;
        if (*from == '+')
            from++;
        else if (*from == '-')
            from = to = e + 2;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(t);
    }
    jbuf_raw(b, t, (size_t)n);
}

void jbuf_fixed7(jbuf *b, double v)
{
    /* Integer formatting of llround(v * 1e7): several times faster than printf("%.7f"). The
     * result is the nearest multiple of 1e-7 except at exact decimal ties, where the rounding
     * of the product may pick the other neighbour (1e-7 degrees: 1 cm). */
    if (!isfinite(v) || fabs(v) > 1e9) {
        jbuf_num(b, v, 17);
        return;
    }
    long long q = llround(v * 1e7);
    char t[40], *o = t + sizeof t;
    int neg = q < 0;
    unsigned long long u = neg ? (unsigned long long)(-q) : (unsigned long long)q;
    unsigned long long ip = u / 10000000ULL, fp = u % 10000000ULL;
    int digits = 7;
    while (digits > 0 && fp % 10 == 0) {
        fp /= 10;
        digits--;
    }
    if (digits > 0) {
        for (int i = 0; i < digits; i++) {
            *--o = (char)('0' + fp % 10);
            fp /= 10;
        }
        *--o = '.';
    }
    do {
        *--o = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (neg) *--o = '-';
    jbuf_raw(b, o, (size_t)(t + sizeof t - o));
}

void jbuf_json(jbuf *b, const json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
    if (!t) {
        b->failed = 1;
        return;
    }
    jbuf_lit(b, t);
    free(t);
}

char *jbuf_take(jbuf *b, size_t *len)
{
    char *p = b->failed ? NULL : b->p;
    if (b->failed)
        free(b->p);
    else if (!p)
        p = calloc(1, 1);
    *len = p ? b->len : 0;
    memset(b, 0, sizeof *b);
    return p;
}

void jbuf_free(jbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
