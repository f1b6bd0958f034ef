/* apiroutes.h - the analysis endpoints (statistics, evaluation, black spots, hot spots, density
 * GeoTIFF, density tiles with TileJSON and legend) and /metrics.
 *
 * Each handler parses its parameters strictly, runs the analysis module (rates, evaluate,
 * blackspots, hotspots, density, tilerender) on the request's snapshot and sends the module's own
 * JSON under the audience's disclosure policy (disclosure.h, app_disclosure()). */
#ifndef HAZMAP_APIROUTES_H
#define HAZMAP_APIROUTES_H

#include "hazmap/app.h"

void apiroutes_metrics(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_stats(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_evaluate(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_blackspots(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_density_tif(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_tilejson(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_legend(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_tile(hctx *c, const hreq *rq, hresp *rs); /* seg[0..2] = z, x, y.png */

/* The computed collections (routed by the table of collections, collections.h): a page of the
 * hot-spot cells or black spots of the request's parameters (paging.h), each feature's id its
 * 1-based position in the whole analysis; and one feature by that position. */
void apiroutes_hotspots_items(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_hotspots_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);
void apiroutes_blackspots_items(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_emerging_items(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_emerging_gpkg(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_emerging_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);
void apiroutes_blackspots_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);
/* The black spots' convex hulls as polygons (the same view, ranks and properties less the hull;
 * one computation with the black spots); the public's released black spots, squares. */
void apiroutes_blackspot_hulls_items(hctx *c, const hreq *rq, hresp *rs);
void apiroutes_blackspot_hulls_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

#endif
