/* linerender.c - an antialiased RGBA line canvas on a Cairo image surface (linerender.h).
 *
 * Cairo's ARGB32 surface holds premultiplied alpha in native-endian 32-bit words (Cairo manual,
 * "Image Surfaces", CAIRO_FORMAT_ARGB32); linerender_rgba() unpremultiplies into the straight
 * RGBA bytes that PNG stores. */
#include "hazmap/linerender.h"
#include "hazmap/colorramp.h"

#include <assert.h>
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct linerender {
    cairo_surface_t *s;
    cairo_t *cr;
    int w, h;
};

linerender *linerender_new(int w, int h, char *err, size_t errlen)
{
    if (w < 1 || h < 1 || w > 4096 || h > 4096) {
        hz_fail(HZ_EINVAL, err, errlen, "linerender: bad size %dx%d", w, h);
        return NULL;
    }
    linerender *c = calloc(1, sizeof *c);
    if (!c) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    c->w = w;
    c->h = h;
    /* A new image surface is cleared to transparent black (Cairo manual). */
    c->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(c->s) == CAIRO_STATUS_SUCCESS) c->cr = cairo_create(c->s);
    if (!c->cr || cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        linerender_free(c);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory (cairo)");
        return NULL;
    }
    cairo_set_antialias(c->cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_set_line_cap(c->cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_ROUND);
    return c;
}

void linerender_free(linerender *c)
{
    if (!c) return;
    if (c->cr) cairo_destroy(c->cr);
    if (c->s) cairo_surface_destroy(c->s);
    free(c);
}

void linerender_polyline(linerender *c, const double *x, const double *y, size_t n, double width,
                         const unsigned char rgba[4])
{
    if (n < 2 || !(width > 0) || rgba[3] == 0) return;
    cairo_t *cr = c->cr;
    cairo_set_source_rgba(cr, rgba[0] / 255.0, rgba[1] / 255.0, rgba[2] / 255.0, rgba[3] / 255.0);
    cairo_set_line_width(cr, width);
    cairo_new_path(cr);
    int pen = 0; /* a point is placed: the next finite one continues the line */
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = 0;
            continue;
        }
        if (pen)
            cairo_line_to(cr, x[i], y[i]);
        else
            cairo_move_to(cr, x[i], y[i]);
        pen = 1;
    }
    /* One stroke per polyline: its joins are round and it never darkens where it overlaps
     * itself (a translucent colour would otherwise show every vertex). */
    cairo_stroke(cr);
}

int linerender_blank(const linerender *c)
{
    cairo_surface_flush(c->s);
    const unsigned char *data = cairo_image_surface_get_data(c->s);
    int stride = cairo_image_surface_get_stride(c->s);
    for (int j = 0; j < c->h; j++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)j * (size_t)stride);
        for (int i = 0; i < c->w; i++)
            if (row[i] >> 24) return 0;
    }
    return 1;
}

void linerender_rgba(const linerender *c, unsigned char *out)
{
    cairo_surface_flush(c->s);
    const unsigned char *data = cairo_image_surface_get_data(c->s);
    int stride = cairo_image_surface_get_stride(c->s);
    assert(stride >= 4 * c->w);
    for (int j = 0; j < c->h; j++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)j * (size_t)stride);
        unsigned char *o = out + (size_t)j * (size_t)c->w * 4;
        for (int i = 0; i < c->w; i++, o += 4) {
            uint32_t p = row[i];
            unsigned a = p >> 24;
            if (!a) {
                memset(o, 0, 4);
                continue;
            }
            /* premultiplied -> straight, rounded */
            o[0] = (unsigned char)((((p >> 16) & 0xff) * 255 + a / 2) / a);
            o[1] = (unsigned char)((((p >> 8) & 0xff) * 255 + a / 2) / a);
            o[2] = (unsigned char)(((p & 0xff) * 255 + a / 2) / a);
            o[3] = (unsigned char)a;
        }
    }
}

hz_status linerender_png(const linerender *c, unsigned char **png, size_t *len, char *err,
                         size_t errlen)
{
    *png = NULL;
    *len = 0;
    unsigned char *rgba = malloc((size_t)c->w * (size_t)c->h * 4);
    if (!rgba) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    linerender_rgba(c, rgba);
    hz_status s = colorramp_png_rgba(rgba, c->w, c->h, png, len, err, errlen);
    free(rgba);
    return s;
}
