/* pubmaps.h - the public's maps: density tiles with their TileJSON and legend, hot spots and
 * black spots, all drawn from the newest published release (release.h, reltile.h), never from
 * the incidents. The public may ask a map only by REL_VIEW_PARAMS (and, for collections, paging);
 * any other parameter is a 400 that says so. Results are cached under the release id and the
 * view, so a repeated request is served as stored bytes. */
#ifndef HAZMAP_PUBMAPS_H
#define HAZMAP_PUBMAPS_H

#include "hazmap/app.h"
#include "hazmap/release.h"

/* Parses a public map request into v: year, injury_group, place_group, and the names in extra
 * (NULL-terminated, may be NULL; each at most once, left for the caller to read). 0, or non-zero
 * with rs filled (400, or the 503 of a database that never published). */
int pubmaps_view(hctx *c, const hreq *rq, const char *const *extra, rel_view *v, hresp *rs);

/* Tile z/x/y (valid) of the request's view: a PNG whose ETag names the release. */
void pubmaps_tile(hctx *c, const hreq *rq, int z, long x, long y, hresp *rs);
void pubmaps_tilejson(hctx *c, const hreq *rq, hresp *rs);
void pubmaps_legend(hctx *c, const hreq *rq, hresp *rs);

/* The public's computed collections. */
typedef enum pubmaps_kind {
    PUB_BLACKSPOTS = 0,
    PUB_HOTSPOTS = 1,
    PUB_EMERGING = 2 /* every year of the release: a view's year is refused */
} pubmaps_kind;

/* The hot-spot, black-spot and emerging collections (and /api/blackspots, the black spots'
 * items), paged like paging.h's computed collections. */
void pubmaps_items(hctx *c, const hreq *rq, hresp *rs, pubmaps_kind kind);
void pubmaps_item(hctx *c, const char *fid, const hreq *rq, hresp *rs, pubmaps_kind kind);

struct reltile;
struct tilecache;

/* Renders the default view's tiles (every group, every year) of zooms zmin..zmax over the
 * release's grid into tc under the keys pubmaps_tile() reads, skipping those already there;
 * stops early once *stop is set. Returns the number rendered. */
size_t pubmaps_prerender(const rel_release *r, struct reltile *rt, struct tilecache *tc, int zmin,
                         int zmax, const _Atomic int *stop);

#endif
