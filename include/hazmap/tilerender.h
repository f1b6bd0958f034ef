/* tilerender.h - density tiles: kernel density of the filtered incidents on Web Mercator tiles.
 *
 * Values are ground densities, per km² per year (kde.h's scale = 1e6 / years). The colours of a
 * VIEW (filter, weight, kernel, bandwidth, data version) come from class breaks fitted once on a
 * reference lattice over all the view's incidents (tilerender_view(); colorramp.h has the
 * rule), so a colour means the same at every zoom and in every tile of that view.
 *
 * Method. For tile z/x/y the density is evaluated on a GLOBALLY ALIGNED square lattice in the
 * working CRS: nodes at ((i + 0.5) cell, (j + 0.5) cell) for integers i, j, with
 *     cell = the power of two (metres) just below clamp(ground pixel size, h/8, h/4)
 * where h is the bandwidth and the ground pixel size is taken at the latitude of the data's
 * centre, so the cell is the same for every tile of a zoom (doubled as needed so that a tile
 * spans at most 1024 cells, for very small bandwidths at low zooms). The lattice window
 * covers the tile's footprint plus two cells; each pixel centre (EPSG:3857 -> lon/lat ->
 * working CRS) then reads the lattice bilinearly. Since the lattice does not depend on the tile,
 * one ground point read through two neighbouring tiles gives the same value: tiles join
 * seamlessly (tests/check_tiles.c checks it).
 * The lattice values are computed in one of two ways, chosen per (filter, zoom) - never per
 * tile, so neighbours agree:
 *   exact   kde_compute() over the points within the kernel's reach (h; 4h for the Gaussian);
 *   binned  linear binning of the points onto the same lattice, then a direct convolution with
 *           the kernel sampled at the lattice offsets (kde_kernel_value()); Wand (1994), "Fast
 *           computation of multivariate kernel estimators", JCGS 3(4). Its cost does not grow
 *           with the number of points, which keeps an uncached tile over 1,000,000 incidents
 *           within ~100 ms.
 * TILERENDER_AUTO picks exact when kde_compute's estimated work over ALL the filter's points
 * (points x lattice rows within reach x 4 for the polynomial kernels, points x cells within
 * reach for the others) stays below 2e7 - about 250,000 incidents at h = 300 m - else binned.
 * Error: bilinear sampling and linear binning each err by at most (cell²/8)(|f_xx| + |f_yy|) (the
 * bilinear interpolation bound); for the quartic kernel that is at most 2 (cell/h)² of one
 * incident's peak 3/(pi h²) per incident within reach, i.e. <= 2.3 % per incident at cell = h/8
 * (zoom >= 13 for h = 300 m) and <= 12.5 % at cell = h/4.
 *
 * At low zooms, where the cell had to grow beyond h/4 to bound the lattice, point samples of
 * the kernel would alias: the binned method is used with each stencil tap the kernel's mean
 * over the cell, renormalised to unit mass, so pixels show incidents per area (mass conserved;
 * tested). Tiles farther than twice the kernel's reach from every incident are empty without
 * any projection; a tile whose footprint in the working CRS exceeds 1536 cells (far outside
 * the working CRS's zone) is HZ_ELIMIT.
 *
 * Years ("per year"): the study period of incset_study_period(): the filter's dates intersected
 * with the data's span (first to last incident day of the whole snapshot, unfiltered, in the
 * filter's tz offset); at least one day; 1 when nothing is dated.
 *
 * Thread-safety: a tilerender is shared by all threads. It caches the filtered, spatially
 * bucketed point sets (one per canonical filter, LRU within a byte budget) and a pool of
 * per-thread working-CRS transforms, both behind a mutex. It borrows the incset, which must
 * outlive it; when the data version changes, make a new tilerender for the new incset. */
#ifndef HAZMAP_TILERENDER_H
#define HAZMAP_TILERENDER_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/colorramp.h"
#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/kde.h"
#include "hazmap/status.h"

#define TILERENDER_DEFAULT_BANDWIDTH 300.0 /* metres */
#define TILERENDER_MAX_BANDWIDTH 20000.0   /* metres; larger requests are HZ_EINVAL */

typedef enum tilerender_method {
    TILERENDER_AUTO = 0, /* see above */
    TILERENDER_EXACT,
    TILERENDER_BINNED
} tilerender_method;

/* What a density tile shows. Plain struct: copy freely. */
typedef struct tile_params {
    hz_filter filter;
    kde_kernel kernel;        /* default KDE_QUARTIC */
    double bandwidth;         /* requested h, metres (default 300) */
    disc_policy disclosure;   /* the audience's floors (disclosure.h); zero = none */
    tilerender_method method; /* default TILERENDER_AUTO */
} tile_params;

/* Defaults: filter_init(), quartic, 300 m, no floor, auto. */
void tilerender_params_init(tile_params *p);

/* Sets "kernel" (kde_kernel_parse names) or "bandwidth" (metres, finite, > 0, <= 20000), or any
 * filter parameter (filter_set). HZ_EINVAL names a bad value; HZ_ENOTFOUND for a key that is
 * none of these (the server answers 400 "unknown parameter"). */
hz_status tilerender_params_set(tile_params *p, const char *key, const char *value, char *err,
                                size_t errlen);

/* The bandwidth actually used: the requested one raised to the audience's floor
 * (disc_bandwidth()), so a single incident cannot be located by the public. */
double tilerender_bandwidth(const tile_params *p);

/* Canonical query string of the params: filter_canonical() then "kernel=K&bandwidth=H" with the
 * EFFECTIVE bandwidth ("%.6g"), e.g. "mechanism=traffic&kernel=quartic&bandwidth=300".
 * Equal renderings give equal strings (cache keys, TileJSON URLs). Like snprintf. */
int tilerender_params_canonical(const tile_params *p, char *buf, size_t buflen);

typedef struct tilerender tilerender;

/* A renderer over snapshot s (borrowed). pointset_budget: bytes for cached point sets
 * (12 bytes per filtered incident plus a bucket index; 0 = 48 MB). NULL on failure (err). */
tilerender *tilerender_new(const incset *s, size_t pointset_budget, char *err, size_t errlen);

/* NULL is a no-op. No render may be running. */
void tilerender_free(tilerender *r);

/* The snapshot's data version (part of every cache key). */
int64_t tilerender_data_version(const tilerender *r);

/* Years of the "per year" denominator for filter f (rule above). */
double tilerender_years(const tilerender *r, const hz_filter *f);

/* What one set of tile parameters shows over the whole data: computed once per (data version,
 * canonical parameters) and memoised in the renderer (bounded: a colliding view replaces an
 * older one and is recomputed when asked again, with the same result).
 * Reference lattice: the view's incidents binned (linear binning, then the kernel sampled at
 * whole-cell offsets, as the binned tiles) on the global lattice with cell = the power of two
 * just below h/4 (doubled while the lattice over the incidents' extent plus the kernel's
 * reach would exceed TILERENDER_REF_MAX_CELLS); the scale is fitted on its non-zero nodes. */
#define TILERENDER_REF_MAX_CELLS (1 << 21)
typedef struct tile_view {
    colorramp_scale scale; /* class breaks of every tile of this view */
    size_t incidents;      /* incidents with a position passing the filter */
    size_t without_point;  /* incidents passing the filter without one: not drawn (incset.h) */
    double ref_cell;       /* metres */
    size_t ref_nonzero;    /* non-zero reference nodes the scale was fitted on */
    double top_share;      /* share of them in the top class */
} tile_view;

/* The view of p (see above). HZ_EINVAL for a bad bandwidth or an unknown area; HZ_ENOMEM. */
hz_status tilerender_view(tilerender *r, const tile_params *p, tile_view *v, char *err,
                          size_t errlen);

/* How a tile was computed (for logs, tests and provenance). */
typedef struct tile_info {
    double bandwidth; /* effective h, metres */
    double cell;      /* lattice cell, metres */
    double years;     /* denominator */
    size_t points;    /* incidents within reach of the tile */
    int method;       /* TILERENDER_EXACT or TILERENDER_BINNED */
    int empty;        /* 1 if every pixel is below the view's first colour break */
    double max_value; /* largest pixel value */
} tile_info;

/* Densities of the 256 x 256 pixel centres of tile z/x/y (row-major, north row first) into out,
 * per km² per year. info may be NULL. HZ_EINVAL for an invalid tile, a bad bandwidth or an
 * unknown area; HZ_ENOMEM; HZ_ECRS if the working CRS fails; HZ_ELIMIT for a tile too large
 * to render (see above). The server should answer HZ_EINVAL and HZ_ELIMIT with 400. */
hz_status tilerender_density(tilerender *r, const tile_params *p, int z, int x, int y, float *out,
                             tile_info *info, char *err, size_t errlen);

/* The tile as a paletted PNG classed by the view's scale (colorramp.h). *png is malloc'd, the
 * caller frees it. A tile with nothing to show is a copy of the constant transparent tile. */
hz_status tilerender_png(tilerender *r, const tile_params *p, int z, int x, int y,
                         unsigned char **png, size_t *len, tile_info *info, char *err,
                         size_t errlen);

/* The density at a ground point lon/lat as read through tile z/x/y's lattice; the point may lie
 * up to two lattice cells outside the tile (else HZ_EINVAL). Reading one point through two
 * neighbouring tiles gives the same value: the seamlessness guarantee, exposed for tests. */
hz_status tilerender_value_at(tilerender *r, const tile_params *p, int z, int x, int y, double lon,
                              double lat, double *value, char *err, size_t errlen);

/* The constant fully transparent 256 x 256 PNG. Borrowed, valid until tilerender_free(). */
const unsigned char *tilerender_empty_png(const tilerender *r, size_t *len);

/* Cache key of a tile of view v (from tilerender_view(r, p)):
 * "v<data_version>/<canonical params>/<scale canonical>/<z>/<x>/<y>". Like snprintf. */
int tilerender_cache_key(const tilerender *r, const tile_params *p, const tile_view *v, int z,
                         int x, int y, char *buf, size_t buflen);

#endif
