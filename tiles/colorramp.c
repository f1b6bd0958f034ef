/* colorramp.c - the YlOrRd density ramp: fitted class breaks, legend, paletted PNG (libpng). */
#include "hazmap/colorramp.h"

#include <assert.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ColorBrewer YlOrRd 9-class (Cynthia Brewer, colorbrewer2.org), with alpha graded from 0x66 to
 * 0xE6 in equal steps of 0x10. */
static const unsigned char ramp_rgba[COLORRAMP_CLASSES][4] = {
    {0xff, 0xff, 0xcc, 0x66}, {0xff, 0xed, 0xa0, 0x76}, {0xfe, 0xd9, 0x76, 0x86},
    {0xfe, 0xb2, 0x4c, 0x96}, {0xfd, 0x8d, 0x3c, 0xa6}, {0xfc, 0x4e, 0x2a, 0xb6},
    {0xe3, 0x1a, 0x1c, 0xc6}, {0xbd, 0x00, 0x26, 0xd6}, {0x80, 0x00, 0x26, 0xe6}};

double colorramp_series(int k)
{
    static const double mant[3] = {1, 2, 5};
    int e = k >= 0 ? k / 3 : -((-k + 2) / 3); /* floor(k / 3) */
    assert(k - 3 * e >= 0 && k - 3 * e < 3);
    return mant[k - 3 * e] * pow(10.0, e);
}

void colorramp_scale_default(colorramp_scale *s)
{
    for (int k = 0; k < COLORRAMP_CLASSES; k++)
        s->breaks[k] = colorramp_series(k); /* 1, 2, 5, ..., 500 */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Share of the sorted values v[0..n) at or above t. */
static double share_at_least(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n; /* first index with v >= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (double)(n - lo) / (double)n;
}

/* The "nice" numbers a top break may take: {1, 1.5, 2, 3, 4, 5, 6, 8} x 10^e, term k of them. */
static double nice_number(int k)
{
    static const double mant[8] = {1, 1.5, 2, 3, 4, 5, 6, 8};
    int e = k >= 0 ? k / 8 : -((-k + 7) / 8); /* floor(k / 8) */
    assert(k - 8 * e >= 0 && k - 8 * e < 8);
    return mant[k - 8 * e] * pow(10.0, e);
}

void colorramp_scale_fit(double *values, size_t n, colorramp_scale *s, double *top_share)
{
    if (top_share) *top_share = 0;
    colorramp_scale_default(s);
    if (n == 0) return;
    qsort(values, n, sizeof *values, cmp_double);
    size_t rank = (size_t)ceil(0.995 * (double)n); /* nearest-rank percentile, 1-based */
    double p = values[(rank ? rank : 1) - 1];
    if (!(p > 0) || !isfinite(p)) return;
    /* top: the largest nice number at or below p (eight per decade; start below, walk up),
     * raised while more than COLORRAMP_TOP_SHARE of the values would be in the top class */
    int k = 8 * (int)floor(log10(p)) - 8;
    while (nice_number(k + 1) <= p)
        k++;
    while (share_at_least(values, n, nice_number(k)) > COLORRAMP_TOP_SHARE)
        k++;
    double top = nice_number(k);
    /* below it: the 1-2-5 terms at most top / 1.5 (no sliver of a class under the top) */
    int j = 3 * (int)floor(log10(top)) + 3;
    while (colorramp_series(j) > top / 1.5 * (1 + 1e-12))
        j--;
    for (int i = 0; i < COLORRAMP_CLASSES - 1; i++)
        s->breaks[i] = colorramp_series(j - (COLORRAMP_CLASSES - 2) + i);
    s->breaks[COLORRAMP_CLASSES - 1] = top;
    if (top_share) *top_share = share_at_least(values, n, top);
    assert(share_at_least(values, n, top) <= COLORRAMP_TOP_SHARE);
}

int colorramp_scale_canonical(const colorramp_scale *s, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "b=");
    for (int k = 0; k < COLORRAMP_CLASSES && n >= 0; k++) {
        size_t at = (size_t)n < buflen ? (size_t)n : buflen;
        int m = snprintf(buf + at, buflen - at, "%s%.6g", k ? "," : "", s->breaks[k]);
        n = m < 0 ? m : n + m;
    }
    return n;
}

int colorramp_class(const colorramp_scale *s, double v)
{
    const double *b = s->breaks;
    if (!(v >= b[0])) return -1; /* also NaN */
    int k = 0;
    while (k + 1 < COLORRAMP_CLASSES && v >= b[k + 1])
        k++;
    return k;
}

void colorramp_rgba(int k, unsigned char rgba[4])
{
    if (k < 0 || k >= COLORRAMP_CLASSES) {
        memset(rgba, 0, 4);
        return;
    }
    memcpy(rgba, ramp_rgba[k], 4);
}

json_t *colorramp_legend_json(const colorramp_scale *s, hz_weight_mode mode)
{
    json_t *breaks = json_array(), *colors = json_array();
    for (int k = 0; breaks && colors && k < COLORRAMP_CLASSES; k++) {
        char hex[10];
        const unsigned char *c = ramp_rgba[k];
        snprintf(hex, sizeof hex, "#%02x%02x%02x%02x", c[0], c[1], c[2], c[3]);
        json_array_append_new(breaks, json_real(s->breaks[k]));
        json_array_append_new(colors, json_string(hex));
    }
    json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:s}", "unit",
                          mode == HZ_WEIGHT_SCORE ? "severity score per km² per year"
                                                  : "incidents per km² per year",
                          "breaks", breaks, "colors", colors, "ramp", "ColorBrewer YlOrRd 9",
                          "below_first", "transparent");
    return o;
}

/* libpng writes through this callback into a growing buffer. */
typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} membuf;

static void mem_write(png_structp png, png_bytep data, png_size_t n)
{
    membuf *b = png_get_io_ptr(png);
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* The libpng encoder of both PNG kinds: h rows of w pixels of colour type ctype (palette
 * pal/trns of npal entries for PNG_COLOR_TYPE_PALETTE) into a malloc'd buffer, zlib level 2. */
static hz_status png_encode(png_bytep *rows, int w, int h, int ctype, const png_color *pal,
                            const png_byte *trns, int npal, int filters, unsigned char **png,
                            size_t *len)
{
    membuf b = {0};
    hz_status st = HZ_OK;
    png_structp ps = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop pi = ps ? png_create_info_struct(ps) : NULL;
    if (!ps || !pi) {
        st = HZ_ENOMEM;
        goto done;
    }
    if (setjmp(png_jmpbuf(ps))) {
        st = HZ_EIO;
        goto done;
    }
    png_set_write_fn(ps, &b, mem_write, mem_flush);
    png_set_IHDR(ps, pi, (png_uint_32)w, (png_uint_32)h, 8, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (pal) {
        png_set_PLTE(ps, pi, pal, npal);
        png_set_tRNS(ps, pi, trns, npal, NULL);
    }
    png_set_filter(ps, 0, filters);
    png_set_compression_level(ps, 2);
    png_set_rows(ps, pi, rows);
    png_write_png(ps, pi, PNG_TRANSFORM_IDENTITY, NULL);
    if (b.failed) st = HZ_ENOMEM;
done:
    png_destroy_write_struct(ps ? &ps : NULL, pi ? &pi : NULL);
    if (st != HZ_OK) {
        free(b.p);
        return st;
    }
    *png = b.p;
    *len = b.len;
    return HZ_OK;
}

hz_status colorramp_png(const float *values, int w, int h, const colorramp_scale *s,
                        unsigned char **png, size_t *len, char *err, size_t errlen)
{
    *png = NULL;
    *len = 0;
    if (w <= 0 || h <= 0 || w > 8192 || h > 8192)
        return hz_fail(HZ_EINVAL, err, errlen, "colorramp_png: bad size %dx%d", w, h);
    unsigned char *idx = malloc((size_t)w * (size_t)h);
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    if (!idx || !rows) {
        free(idx);
        free(rows);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t k = 0; k < (size_t)w * (size_t)h; k++)
        idx[k] = (unsigned char)(colorramp_class(s, values[k]) + 1);
    for (int r = 0; r < h; r++)
        rows[r] = idx + (size_t)r * (size_t)w;
    png_color pal[COLORRAMP_CLASSES + 1];
    png_byte trns[COLORRAMP_CLASSES + 1];
    pal[0].red = pal[0].green = pal[0].blue = 0;
    trns[0] = 0;
    for (int k = 0; k < COLORRAMP_CLASSES; k++) {
        pal[k + 1].red = ramp_rgba[k][0];
        pal[k + 1].green = ramp_rgba[k][1];
        pal[k + 1].blue = ramp_rgba[k][2];
        trns[k + 1] = ramp_rgba[k][3];
    }
    /* Paletted images compress best unfiltered (libpng manual, "Compression"); level 2 trades a
     * few per cent of size for speed. */
    hz_status st = png_encode(rows, w, h, PNG_COLOR_TYPE_PALETTE, pal, trns, COLORRAMP_CLASSES + 1,
                              PNG_FILTER_NONE, png, len);
    free(idx);
    free(rows);
    if (st != HZ_OK)
        return hz_fail(st, err, errlen, "colorramp_png: %s",
                       st == HZ_EIO ? "libpng error" : "out of memory");
    return HZ_OK;
}

hz_status colorramp_png_rgba(const unsigned char *rgba, int w, int h, unsigned char **png,
                             size_t *len, char *err, size_t errlen)
{
    *png = NULL;
    *len = 0;
    if (w <= 0 || h <= 0 || w > 8192 || h > 8192)
        return hz_fail(HZ_EINVAL, err, errlen, "colorramp_png_rgba: bad size %dx%d", w, h);
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    if (!rows) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (int r = 0; r < h; r++)
        rows[r] = (png_bytep)(rgba + (size_t)r * (size_t)w * 4);
    /* Antialiased lines on transparency: the Sub filter suits the long runs of equal pixels. */
    hz_status st =
        png_encode(rows, w, h, PNG_COLOR_TYPE_RGBA, NULL, NULL, 0, PNG_FILTER_SUB, png, len);
    free(rows);
    if (st != HZ_OK)
        return hz_fail(st, err, errlen, "colorramp_png_rgba: %s",
                       st == HZ_EIO ? "libpng error" : "out of memory");
    return HZ_OK;
}
