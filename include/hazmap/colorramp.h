/* colorramp.h - the colour scale of density tiles: class breaks fitted to a view, the legend and
 * PNG encoding (paletted for density, RGBA for line tiles).
 *
 * The ramp is ColorBrewer YlOrRd, 9 classes (Brewer & Harrower, colorbrewer2.org, sequential).
 * Class k (0..8) holds values v with breaks[k] <= v < breaks[k+1] (the last is open-ended), in
 * ground units, per km² per year (incidents, or severity score when the filter's weight is
 * "score"). Below the first break the pixel is fully transparent. Alpha grows with the class
 * (0x66 for the lowest to 0xE6 for the highest) so that sparse areas let the base map show.
 *
 * The breaks are not fixed: a fixed scale saturates (a city's million incidents paint a whole
 * centre in the top class) or stays pale (a filter of a thousand). colorramp_scale_fit() chooses
 * them once per view from the densities of the whole study area at a reference resolution
 * (tilerender.h says which), and every tile and zoom of that view uses the same breaks, so a
 * colour means the same everywhere on one map. The rule, in one place:
 *   - the top break is the largest "nice" number ({1, 1.5, 2, 3, 4, 5, 6, 8} x 10^e) at or
 *     below the 99.5th percentile of the non-zero reference cells, so the darkest colour is
 *     used, raised one nice number at a time while more than 1 % of those cells would be in the
 *     top class: the darkest colour marks the worst ~0.5-1 % of the area;
 *   - the other 8 breaks are consecutive terms of the 1-2-5 series (..., 0.1, 0.2, 0.5, 1, 2,
 *     5, ...), easy to read in a legend, the highest of them at most top / 1.5; the first is
 *     then about 1/500 of the top, near the faintest density a reader can tell from nothing.
 * With no non-zero cell the default scale 1, 2, 5, ..., 500 is used.
 *
 * Thread-safety: everything here is pure and reentrant. */
#ifndef HAZMAP_COLORRAMP_H
#define HAZMAP_COLORRAMP_H

#include <jansson.h>
#include <stddef.h>

#include "hazmap/filter.h"
#include "hazmap/status.h"

#define COLORRAMP_CLASSES 9
#define COLORRAMP_TOP_SHARE 0.01 /* at most this share of non-zero cells in the top class */

/* Class breaks, ascending. Plain struct: copy freely. */
typedef struct colorramp_scale {
    double breaks[COLORRAMP_CLASSES];
} colorramp_scale;

/* The default scale: 1, 2, 5, 10, 20, 50, 100, 200, 500. */
void colorramp_scale_default(colorramp_scale *s);

/* Fits s to the n densities in values (the non-zero cells of a reference grid; values is
 * sorted in place) by the rule above. *top_share (may be NULL) receives the share of the n
 * values in the top class. n = 0 gives the default scale and share 0. */
void colorramp_scale_fit(double *values, size_t n, colorramp_scale *s, double *top_share);

/* The 1-2-5 series: term k is {1,2,5}[k mod 3] x 10^floor(k/3) (k = 0 is 1, k = -1 is 0.5). */
double colorramp_series(int k);

/* "b=1,2,5,...,500" (%.6g each): equal scales give equal strings (cache keys). Like snprintf. */
int colorramp_scale_canonical(const colorramp_scale *s, char *buf, size_t buflen);

/* Class of a value: -1 below the first break or NaN, else 0..COLORRAMP_CLASSES-1. */
int colorramp_class(const colorramp_scale *s, double v);

/* RGBA of class k (0..8); k = -1 gives transparent {0,0,0,0}. */
void colorramp_rgba(int k, unsigned char rgba[4]);

/* {"unit": "incidents per km² per year" (or "severity score per km² per year" for
 *  HZ_WEIGHT_SCORE), "breaks": [...s...], "colors": ["#ffffcc66", ...],
 *  "ramp": "ColorBrewer YlOrRd 9", "below_first": "transparent"}.
 * New reference owned by the caller (json_decref); NULL only on out of memory. */
json_t *colorramp_legend_json(const colorramp_scale *s, hz_weight_mode mode);

/* Encodes w x h values (row-major, north row first), classed by s, as an 8-bit paletted PNG with a
 * tRNS chunk (palette index 0 transparent, k + 1 = class k), zlib level 2. *png is malloc'd, caller
 * frees; on failure *png is NULL. HZ_EINVAL for a bad size, HZ_ENOMEM, HZ_EIO for a libpng error.
 */
hz_status colorramp_png(const float *values, int w, int h, const colorramp_scale *s,
                        unsigned char **png, size_t *len, char *err, size_t errlen);

/* Encodes w x h straight RGBA pixels (4 bytes each, row-major, north row first) as an 8-bit RGBA
 * PNG through the same libpng writer (the line tiles, linerender.h). *png is malloc'd, caller
 * frees; on failure *png is NULL. HZ_EINVAL for a bad size, HZ_ENOMEM, HZ_EIO. */
hz_status colorramp_png_rgba(const unsigned char *rgba, int w, int h, unsigned char **png,
                             size_t *len, char *err, size_t errlen);

#endif
