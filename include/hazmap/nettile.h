/* nettile.h - network density tiles: the roads coloured by the network kernel density of the
 * filtered incidents (nkde.h), drawn by roadtile.h.
 *
 * A VIEW is the shared filter plus the bandwidth (metres along the network, default 300,
 * 50..1000) at one data version. Its densities are nkde_compute() over the view's incidents with
 * nkde's defaults otherwise (20 m lixels, 30 m snap, quartic, discontinuous, paths through at most
 * 10 junctions: nkde.h says why not spNetwork's 15; the bandwidth is capped for the same reason,
 * the paths multiplying with every junction within reach). In incidents (or severity score,
 * with the filter's weight) per km of road per year over the study period of
 * incset_study_period() (1 year when nothing is dated). Its colours follow the density tiles'
 * rule (colorramp.h): class breaks fitted once per view on the non-zero lixel densities, so a
 * colour means the same in every tile and zoom of the view; a lixel below the first break is not
 * drawn. Each coloured lixel is drawn over its stretch of road at 1.6 times the road's class
 * width, the darkest classes last (on top).
 *
 * Views are memoised in the nettile (the last NETTILE_VIEWS; an evicted one is recomputed when
 * asked again, with the same result): the first request of a view pays for the density, later
 * tiles only draw. Work: nkde_work() is checked against NETTILE_MAX_WORK before computing
 * (HZ_ELIMIT beyond it).
 *
 * Ownership: nettile_new() borrows the snapshot, the network and its roadtile, which must outlive
 * it; nettile_free() releases it (NULL is a no-op). Thread-safety: any number of threads may ask
 * views and render at once (a mutex guards the memo; a view in use is reference-counted). */
#ifndef HAZMAP_NETTILE_H
#define HAZMAP_NETTILE_H

#include <stddef.h>

#include "hazmap/colorramp.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/roadtile.h"
#include "hazmap/status.h"

#define NETTILE_VIEWS 8
#define NETTILE_DEFAULT_BANDWIDTH 300.0
#define NETTILE_MAX_BANDWIDTH 1000.0
#define NETTILE_MAX_WORK 5e7 /* nkde_work() units: 2.5e6 for Jinjiang's 1,560 km at 300 m */
#define NETTILE_WIDTH_SCALE 1.6

/* What a network density tile shows. Plain struct: copy freely. */
typedef struct nettile_params {
    hz_filter filter;
    double bandwidth; /* metres along the network */
} nettile_params;

/* filter_init(), 300 m. */
void nettile_params_init(nettile_params *p);

/* Sets "bandwidth" (metres, 50..NETTILE_MAX_BANDWIDTH) or a filter parameter (filter_set).
 * HZ_EINVAL names a bad value; HZ_ENOTFOUND for any other key. */
hz_status nettile_params_set(nettile_params *p, const char *key, const char *value, char *err,
                             size_t errlen);

/* filter_canonical() then "&bandwidth=H" ("%.6g"). Like snprintf. */
int nettile_params_canonical(const nettile_params *p, char *buf, size_t buflen);

typedef struct nettile nettile;

nettile *nettile_new(const incset *s, const roadnet *net, const roadtile *rt, char *err,
                     size_t errlen);

void nettile_free(nettile *nt);

/* What one view shows over the whole network. */
typedef struct nettile_view {
    colorramp_scale scale;
    size_t lixels, nonzero; /* lixels, and those with a density > 0 */
    size_t snapped, unsnapped;
    size_t without_point; /* filtered incidents left out: no point (incset.h) */
    double years, top_share;
} nettile_view;

/* 1 when p's view is memoised (asking it costs nothing), else 0. */
int nettile_view_ready(nettile *nt, const nettile_params *p);

/* The view of p, computed when not memoised. HZ_EINVAL for an unknown area or a bad bandwidth,
 * HZ_ELIMIT for too much work (or cancelled), HZ_ENOMEM. */
hz_status nettile_view_get(nettile *nt, const nettile_params *p, nettile_view *v, char *err,
                           size_t errlen);

/* Tile z/x/y of p's view as an RGBA PNG (*png malloc'd; the caller frees it). As
 * nettile_view_get(), and HZ_EINVAL for an invalid tile. */
hz_status nettile_png(nettile *nt, const nettile_params *p, int z, int x, int y,
                      unsigned char **png, size_t *len, char *err, size_t errlen);

/* "net/v<data_version>/<canonical params>/<scale canonical>/<z>/<x>/<y>". Like snprintf. */
int nettile_cache_key(const nettile *nt, const nettile_params *p, const nettile_view *v, int z,
                      int x, int y, char *buf, size_t buflen);

/* The view's legend: colorramp_legend_json() with the unit per km of road per year. NULL on OOM. */
json_t *nettile_legend_json(const nettile_params *p, const nettile_view *v);

#endif
