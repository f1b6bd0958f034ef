/* reltile.h - the public's density tiles and legends, drawn from a release only.
 *
 * A view's surface is rel_density() of the release (its noisy 100 m grid spread with the quartic
 * kernel at the public bandwidth, per km² per year, clamped at 0): post-processing of released
 * numbers, so the release's guarantee covers every pixel. A pixel centre of tile z/x/y
 * (EPSG:3857 -> lon/lat -> the release's working CRS, see reltile_values()) reads the surface
 * bilinearly between the centres of its cells (0 beyond the grid). The class breaks of a view are
 * colorramp_scale_fit() over the surface's non-zero cells, so one colour means one density at every
 * zoom.
 *
 * Ownership and threads: a reltile borrows its release, which must outlive it. It memoises up to
 * RELTILE_VIEWS views (surface and breaks; a colliding view replaces an older one and is
 * recomputed when asked again, with the same result) behind a mutex; any number of threads may
 * use one reltile. */
#ifndef HAZMAP_RELTILE_H
#define HAZMAP_RELTILE_H

#include <stddef.h>

#include "hazmap/colorramp.h"
#include "hazmap/release.h"
#include "hazmap/status.h"

enum { RELTILE_VIEWS = 64 };

typedef struct reltile reltile;

/* A renderer of release r's views with the quartic kernel of bandwidth h metres. NULL on
 * failure (err). */
reltile *reltile_new(const rel_release *r, double h, char *err, size_t errlen);

/* NULL is a no-op. No render may be running. */
void reltile_free(reltile *t);

/* The class breaks of view v. HZ_EINVAL for a view the release cannot answer; HZ_ENOMEM;
 * HZ_ECRS. */
hz_status reltile_scale(reltile *t, const rel_view *v, colorramp_scale *s, char *err,
                        size_t errlen);

/* The surface at tile z/x/y's 256 x 256 pixel centres (row-major, north row first) into out, and
 * the view's breaks into *scale (may be NULL). Pixel positions are projected exactly every 16
 * pixels and interpolated between (under a metre off at zoom 10, millimetres at 16). Errors as
 * reltile_png(). */
hz_status reltile_values(reltile *t, const rel_view *v, int z, int x, int y, float *out,
                         colorramp_scale *scale, char *err, size_t errlen);

/* Tile z/x/y of view v as a paletted PNG (colorramp_png()); *png is malloc'd, the caller frees
 * it. HZ_EINVAL for an invalid tile or view; HZ_ENOMEM; HZ_ECRS. */
hz_status reltile_png(reltile *t, const rel_view *v, int z, int x, int y, unsigned char **png,
                      size_t *len, char *err, size_t errlen);

/* The lon/lat bounds [west, south, east, north] of the release's grid. HZ_ECRS. */
hz_status reltile_bounds(reltile *t, double b[4], char *err, size_t errlen);

#endif
