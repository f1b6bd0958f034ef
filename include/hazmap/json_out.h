/* json_out.h - a growable buffer for writing JSON text directly, for the large responses
 * (pages of up to 10,000 incidents) where building a jansson tree costs more than the rest of
 * the request (one allocation per value).
 *
 * Ownership: a jbuf owns its text; jbuf_take() hands it over (malloc'd, NUL-terminated). After an
 * allocation failure every call is a no-op and jbuf_take() returns NULL. */
#ifndef HAZMAP_JSON_OUT_H
#define HAZMAP_JSON_OUT_H

#include <stddef.h>

#include <jansson.h>

typedef struct jbuf {
    char *p;
    size_t len, cap;
    int failed;
} jbuf;

/* A zeroed jbuf is empty and valid. */
void jbuf_raw(jbuf *b, const char *s, size_t n);
void jbuf_lit(jbuf *b, const char *s); /* raw text up to the NUL */
void jbuf_str(jbuf *b, const char *s); /* a JSON string (escaped), or null for NULL */
void jbuf_int(jbuf *b, long long v);
void jbuf_num(jbuf *b, double v, int digits); /* %.{digits}g; null if not finite */
/* A real as jansson writes it with JSON_REAL_PRECISION(12): %.12g, ".0" added when the text has
 * neither '.' nor 'e' (so that a reader types it as a real, not an integer), the exponent
 * without '+' or leading zeros (1e-5, 2.5e20); null if not finite. */
void jbuf_real(jbuf *b, double v);
/* A coordinate rounded to 7 decimals (about 1 cm), trailing zeros dropped: 104.0759045. */
void jbuf_fixed7(jbuf *b, double v);
void jbuf_json(jbuf *b, const json_t *j); /* a jansson value, compact */

/* The text (caller frees) and its length; NULL after a failure. The buffer is reset. */
char *jbuf_take(jbuf *b, size_t *len);

/* Frees the text; the buffer is reset. */
void jbuf_free(jbuf *b);

#endif
