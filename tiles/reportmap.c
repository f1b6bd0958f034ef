/* reportmap.c - the report's static maps (reportmap.h). */
#include "hazmap/reportmap.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/colorramp.h"
#include "hazmap/linerender.h"
#include "hazmap/roadtile.h"
#include "hazmap/tilemath.h"
#include "hazmap/wkb.h"

enum { MARGIN = 16 };

#define HALF_WORLD (M_PI * TILEMATH_R)

/* Global pixel of lon/lat at zoom z (x east, y south). */
static void global_px(double lon, double lat, int z, double *gx, double *gy)
{
    double mx, my;
    tilemath_lonlat_to_merc(lon, lat, &mx, &my);
    double span = tilemath_tile_span(z);
    *gx = (mx + HALF_WORLD) / span * TILEMATH_SIZE;
    *gy = (HALF_WORLD - my) / span * TILEMATH_SIZE;
}

int reportmap_window(const double bbox[4], int width, int height, int *z, double *ox, double *oy)
{
    if (!(bbox[2] > bbox[0]) || !(bbox[3] > bbox[1])) return -1;
    int best = 0;
    for (int zz = 0; zz <= 18; zz++) {
        double x0, y0, x1, y1;
        global_px(bbox[0], bbox[3], zz, &x0, &y0);
        global_px(bbox[2], bbox[1], zz, &x1, &y1);
        if (x1 - x0 + 2 * MARGIN > width || y1 - y0 + 2 * MARGIN > height) break;
        best = zz;
    }
    double x0, y0, x1, y1;
    global_px(bbox[0], bbox[3], best, &x0, &y0);
    global_px(bbox[2], bbox[1], best, &x1, &y1);
    *z = best;
    *ox = floor((x0 + x1) / 2 - width / 2.0);
    *oy = floor((y0 + y1) / 2 - height / 2.0);
    return 0;
}

typedef struct mapctx {
    int z, w, h;
    double ox, oy;
    unsigned char *rgb; /* w x h x 3, opaque */
} mapctx;

/* Composites straight RGBA src (w x h) OVER the opaque image. */
static void over(mapctx *m, const unsigned char *src)
{
    for (size_t i = 0; i < (size_t)m->w * m->h; i++) {
        unsigned a = src[4 * i + 3];
        if (!a) continue;
        for (int k = 0; k < 3; k++)
            m->rgb[3 * i + k] =
                (unsigned char)((src[4 * i + k] * a + m->rgb[3 * i + k] * (255 - a) + 127) / 255);
    }
}

static void to_px(const mapctx *m, double lon, double lat, double *x, double *y)
{
    global_px(lon, lat, m->z, x, y);
    *x -= m->ox;
    *y -= m->oy;
}

/* The density layer: every tile under the window, classed by the view's scale. */
static hz_status draw_density(mapctx *m, tilerender *tr, const tile_params *p, char *err,
                              size_t errlen)
{
    tile_view v;
    hz_status rc = tilerender_view(tr, p, &v, err, errlen);
    if (rc != HZ_OK) return rc;
    unsigned char *layer = calloc((size_t)m->w * m->h, 4);
    float *vals = malloc(sizeof(float) * TILEMATH_SIZE * TILEMATH_SIZE);
    if (!layer || !vals) {
        free(layer);
        free(vals);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    long tx0 = (long)floor(m->ox / TILEMATH_SIZE), ty0 = (long)floor(m->oy / TILEMATH_SIZE);
    long tx1 = (long)floor((m->ox + m->w - 1) / TILEMATH_SIZE);
    long ty1 = (long)floor((m->oy + m->h - 1) / TILEMATH_SIZE);
    for (long ty = ty0; ty <= ty1 && rc == HZ_OK; ty++)
        for (long tx = tx0; tx <= tx1 && rc == HZ_OK; tx++) {
            if (!tilemath_valid(m->z, tx, ty)) continue;
            rc = tilerender_density(tr, p, m->z, (int)tx, (int)ty, vals, NULL, err, errlen);
            for (int j = 0; rc == HZ_OK && j < TILEMATH_SIZE; j++) {
                long y = ty * TILEMATH_SIZE + j - (long)m->oy;
                if (y < 0 || y >= m->h) continue;
                for (int i = 0; i < TILEMATH_SIZE; i++) {
                    long x = tx * TILEMATH_SIZE + i - (long)m->ox;
                    if (x < 0 || x >= m->w) continue;
                    int k = colorramp_class(&v.scale, vals[j * TILEMATH_SIZE + i]);
                    colorramp_rgba(k, layer + 4 * ((size_t)y * m->w + x));
                }
            }
        }
    if (rc == HZ_OK) over(m, layer);
    free(layer);
    free(vals);
    return rc;
}

static void draw_streets(const mapctx *m, linerender *c, const roadnet *net)
{
    const double *lon, *lat;
    roadnet_lonlat(net, &lon, &lat);
    const roadnet_seg *segs = roadnet_segs(net);
    size_t cap = 0;
    double *x = NULL, *y = NULL;
    static const unsigned char grey[4] = ROADTILE_STREET_RGBA;
    for (size_t s = 0; s < roadnet_seg_count(net); s++) {
        size_t n = segs[s].npts;
        if (n > cap) {
            double *nx = realloc(x, n * sizeof *x), *ny = nx ? realloc(y, n * sizeof *y) : NULL;
            if (nx) x = nx;
            if (!ny) break; /* out of memory: fewer streets, never a wrong map */
            y = ny;
            cap = n;
        }
        for (size_t k = 0; k < n; k++)
            to_px(m, lon[segs[s].pts + k], lat[segs[s].pts + k], &x[k], &y[k]);
        linerender_polyline(c, x, y, n, roadtile_class_width(segs[s].cls, m->z), grey);
    }
    free(x);
    free(y);
}

typedef struct ringctx {
    const mapctx *m;
    linerender *c;
    double width;
    const unsigned char *rgba;
} ringctx;

static int ring_cb(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    (void)polygon;
    (void)ring;
    ringctx *r = ud;
    double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
    if (x && y) {
        for (size_t k = 0; k < n; k++)
            to_px(r->m, xy[2 * k], xy[2 * k + 1], &x[k], &y[k]);
        if (n) {
            x[n] = x[0];
            y[n] = y[0];
        }
        linerender_polyline(r->c, x, y, n + 1, r->width, r->rgba);
    }
    free(x);
    free(y);
    return 0;
}

static void draw_areas(const mapctx *m, linerender *c, const incset *s)
{
    static const unsigned char sub[4] = {90, 90, 110, 200}, top[4] = {40, 40, 60, 255};
    const hz_area *a = incset_areas(s);
    for (int pass = 0; pass < 2; pass++) /* the inner boundaries first, the outline on top */
        for (size_t i = 0; i < incset_area_count(s); i++) {
            int is_top = a[i].parent < 0;
            if (is_top != pass) continue;
            ringctx r = {m, c, is_top ? 2.5 : 1.0, is_top ? top : sub};
            wkb_polygon_rings(a[i].wkb, a[i].wkb_len, ring_cb, &r);
        }
}

/* A stroke font for the labels (digits only: the tables' ranks), drawn with the line canvas so
 * no font is needed: each digit one or more polylines on a 4 x 6 grid (y down), '|' between
 * polylines. Fonts through Cairo's toy API would also leave fontconfig's caches behind. */
static const char *const DIGITS[10] = {
    "0040460600",   "112026|1636",  "004043030646", "00404606|1343",   "000343|4046",
    "400003434606", "400006464303", "004026",       "0040460600|0343", "430300404606"};

enum { GLYPH_PX = 2, GLYPH_ADVANCE = 6 }; /* pixels per grid unit; grid units per digit */

static void draw_glyph(linerender *c, double x0, double y0, int d, double width,
                       const unsigned char rgba[4])
{
    double x[8], y[8];
    size_t n = 0;
    for (const char *p = DIGITS[d];; p++) {
        if (*p == '|' || !*p) {
            linerender_polyline(c, x, y, n, width, rgba);
            n = 0;
            if (!*p) break;
            continue;
        }
        if (n < 8 && p[1]) {
            x[n] = x0 + (p[0] - '0') * GLYPH_PX;
            y[n++] = y0 + (p[1] - '0') * GLYPH_PX;
        }
        p++;
    }
}

/* Draws the digits of text (other characters are skipped) from the top-left (x, y), dark on a
 * white halo. */
static void draw_label(linerender *c, double x, double y, const char *text)
{
    static const unsigned char ink[4] = {20, 20, 20, 255}, halo[4] = {255, 255, 255, 235};
    for (int pass = 0; pass < 2; pass++) {
        double cx = x;
        for (const char *t = text; *t; t++) {
            if (*t < '0' || *t > '9') continue;
            draw_glyph(c, cx, y, *t - '0', pass ? 1.6 : 4.5, pass ? ink : halo);
            cx += GLYPH_ADVANCE * GLYPH_PX;
        }
    }
}

static void draw_marks(const mapctx *m, linerender *c, const reportmap_mark *marks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const reportmap_mark *k = &marks[i];
        size_t np = k->n == 1 ? 2 : k->n + (k->closed ? 1 : 0);
        double *x = malloc(np * sizeof *x), *y = malloc(np * sizeof *y);
        if (x && y && k->n) {
            for (size_t j = 0; j < k->n; j++)
                to_px(m, k->lon[j], k->lat[j], &x[j], &y[j]);
            if (k->n == 1) { /* a dot: a stroke of a tenth of a pixel with round caps */
                x[1] = x[0] + 0.1;
                y[1] = y[0];
            } else if (k->closed) {
                x[k->n] = x[0];
                y[k->n] = y[0];
            }
            linerender_polyline(c, x, y, np, k->width, k->rgba);
        }
        free(x);
        free(y);
    }
    for (size_t i = n; i-- > 0;) /* the first (worst) on top */
        if (marks[i].label && marks[i].n) {
            double x, y;
            to_px(m, marks[i].lon[0], marks[i].lat[0], &x, &y);
            draw_label(c, x + 6, y - 16, marks[i].label);
        }
}

/* Strokes one line layer on a fresh canvas and composites it. */
static hz_status line_layer(mapctx *m, int which, const reportmap_spec *s, char *err, size_t errlen)
{
    linerender *c = linerender_new(m->w, m->h, err, errlen);
    if (!c) return HZ_ENOMEM;
    if (which == 0)
        draw_streets(m, c, s->net);
    else if (which == 1)
        draw_areas(m, c, s->areas);
    else
        draw_marks(m, c, s->marks, s->nmarks);
    unsigned char *rgba = malloc((size_t)m->w * m->h * 4);
    if (!rgba) {
        linerender_free(c);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    linerender_rgba(c, rgba);
    over(m, rgba);
    free(rgba);
    linerender_free(c);
    return HZ_OK;
}

hz_status reportmap_png(const reportmap_spec *s, unsigned char **png, size_t *len, char *err,
                        size_t errlen)
{
    assert(s && s->areas && png && len);
    *png = NULL;
    *len = 0;
    if (s->width < 64 || s->height < 64 || s->width > 2048 || s->height > 2048)
        return hz_fail(HZ_EINVAL, err, errlen, "report map: bad size %dx%d", s->width, s->height);
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    const hz_area *a = incset_areas(s->areas);
    for (size_t i = 0; i < incset_area_count(s->areas); i++) {
        bb[0] = fmin(bb[0], a[i].minlon);
        bb[1] = fmin(bb[1], a[i].minlat);
        bb[2] = fmax(bb[2], a[i].maxlon);
        bb[3] = fmax(bb[3], a[i].maxlat);
    }
    mapctx m = {.w = s->width, .h = s->height};
    if (reportmap_window(bb, m.w, m.h, &m.z, &m.ox, &m.oy) != 0)
        return hz_fail(HZ_EINVAL, err, errlen, "report map: no area to draw");
    m.rgb = malloc((size_t)m.w * m.h * 3);
    unsigned char *rgba = malloc((size_t)m.w * m.h * 4);
    if (!m.rgb || !rgba) {
        free(m.rgb);
        free(rgba);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    memset(m.rgb, 255, (size_t)m.w * m.h * 3);
    hz_status rc = HZ_OK;
    if (s->tr && s->density) rc = draw_density(&m, s->tr, s->density, err, errlen);
    if (rc == HZ_OK && s->net) rc = line_layer(&m, 0, s, err, errlen);
    if (rc == HZ_OK) rc = line_layer(&m, 1, s, err, errlen);
    if (rc == HZ_OK && s->nmarks) rc = line_layer(&m, 2, s, err, errlen);
    if (rc == HZ_OK) {
        for (size_t i = 0; i < (size_t)m.w * m.h; i++) {
            memcpy(rgba + 4 * i, m.rgb + 3 * i, 3);
            rgba[4 * i + 3] = 255;
        }
        rc = colorramp_png_rgba(rgba, m.w, m.h, png, len, err, errlen);
    }
    free(m.rgb);
    free(rgba);
    return rc;
}
