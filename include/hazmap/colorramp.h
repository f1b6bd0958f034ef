/* colorramp.h - the fixed colour ramp of density tiles, its legend and paletted PNG encoding.
 *
 * The ramp is ColorBrewer YlOrRd, 9 classes (Brewer & Harrower, colorbrewer2.org, sequential),
 * with FIXED class breaks in ground units, per km² per year (incidents, or severity score when
 * the filter's weight is "score"), so a colour means the same at every zoom, in every tile and
 * in every view:
 *     class k (0..8) holds values v with breaks[k] <= v < breaks[k+1] (the last is open-ended)
 *     breaks = 1, 2, 5, 10, 20, 50, 100, 200, 500
 * Below the first break (where nothing or almost nothing is) the pixel is fully transparent.
 * Alpha grows with the class (0x66 for the lowest to 0xE6 for the highest) so that sparse areas
 * let the base map show through. A single incident per year under a 300 m quartic kernel peaks
 * at 3 / (pi 0.09 km²) = 10.6 per km² per year (class 3).
 *
 * Thread-safety: everything here is pure and reentrant. */
#ifndef HAZMAP_COLORRAMP_H
#define HAZMAP_COLORRAMP_H

#include <jansson.h>
#include <stddef.h>

#include "hazmap/filter.h"
#include "hazmap/status.h"

#define COLORRAMP_CLASSES 9

/* The 9 ascending class breaks (per km² per year). Borrowed, static. */
const double *colorramp_breaks(void);

/* Class of a value: -1 below the first break or NaN, else 0..COLORRAMP_CLASSES-1. */
int colorramp_class(double v);

/* RGBA of class k (0..8); k = -1 gives transparent {0,0,0,0}. */
void colorramp_rgba(int k, unsigned char rgba[4]);

/* {"unit": "incidents per km² per year" (or "severity score per km² per year" for
 *  HZ_WEIGHT_SCORE), "breaks": [1, 2, ...], "colors": ["#ffffcc66", ...],
 *  "ramp": "ColorBrewer YlOrRd 9", "below_first": "transparent"}.
 * New reference owned by the caller (json_decref); NULL only on out of memory. */
json_t *colorramp_legend_json(hz_weight_mode mode);

/* Encodes w x h values (row-major, north row first) as an 8-bit paletted PNG with a tRNS chunk
 * (palette index 0 transparent, k + 1 = class k), zlib level 2. *png is malloc'd, caller frees;
 * on failure *png is NULL. HZ_EINVAL for a bad size, HZ_ENOMEM, HZ_EIO for a libpng error. */
hz_status colorramp_png(const float *values, int w, int h, unsigned char **png, size_t *len,
                        char *err, size_t errlen);

#endif
