/* linerender.h - an antialiased RGBA canvas for line tiles (the street layer and the roads
 * coloured by network density), drawn with Cairo and encoded as an RGBA PNG.
 *
 * Coordinates are Cairo's: x grows east, y south, in pixels; pixel (i, j) covers the unit square
 * [i, i + 1] x [j, j + 1], so its centre is (i + 0.5, j + 0.5). A polyline is stroked with round
 * caps and joins at the given width, antialiased (Cairo's default: the pixel's coverage of the
 * stroke scales its alpha), so a pixel whose centre is within width/2 of the line is coloured,
 * and one farther than width/2 + 1 (its square then misses the stroke) stays transparent
 * (tests/check_linerender.c compares with a brute-force distance to the segments).
 *
 * Colours are straight (not premultiplied) RGBA; strokes are composited OVER what is drawn.
 *
 * Ownership: linerender_new() returns a canvas that linerender_free() releases (NULL is a no-op).
 * Thread-safety: a canvas is used by one thread at a time; separate canvases are independent. */
#ifndef HAZMAP_LINERENDER_H
#define HAZMAP_LINERENDER_H

#include <stddef.h>

#include "hazmap/status.h"

typedef struct linerender linerender;

/* A transparent w x h canvas (1..4096 each), or NULL with the reason in err (HZ_EINVAL for a bad
 * size, HZ_ENOMEM). */
linerender *linerender_new(int w, int h, char *err, size_t errlen);

void linerender_free(linerender *c);

/* Strokes the polyline of n points (x[i], y[i]) at width pixels (> 0) in colour rgba. Points
 * that are not finite break the line there (the parts on either side are drawn). n < 2 draws
 * nothing. */
void linerender_polyline(linerender *c, const double *x, const double *y, size_t n, double width,
                         const unsigned char rgba[4]);

/* 1 while nothing visible has been drawn (every pixel fully transparent). */
int linerender_blank(const linerender *c);

/* The canvas as straight RGBA, row-major, north row first, 4 w h bytes into out. */
void linerender_rgba(const linerender *c, unsigned char *out);

/* The canvas as an RGBA PNG (colorramp_png_rgba()); *png malloc'd, the caller frees it.
 * HZ_ENOMEM, HZ_EIO for a libpng error. */
hz_status linerender_png(const linerender *c, unsigned char **png, size_t *len, char *err,
                         size_t errlen);

#endif
