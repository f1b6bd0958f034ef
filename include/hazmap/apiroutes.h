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

/* Items and single items of the computed collections ("hotspots", "blackspots"). */
void apiroutes_collection_items(hctx *c, const char *id, const hreq *rq, hresp *rs);
void apiroutes_collection_item(hctx *c, const char *id, const char *fid, const hreq *rq, hresp *rs);

#endif
