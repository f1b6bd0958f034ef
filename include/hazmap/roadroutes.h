/* roadroutes.h - the road endpoints: the street layer's tiles /tiles/roads/{z}/{x}/{y}.png and
 * the OGC API collection `roads` (the road segments); the network density tiles
 * /tiles/network/{z}/{x}/{y}.png with their legend, and the collection `road_sites` (network
 * screening, screen.h).
 *
 * The street tiles and the roads are public: the road geometry and its attributes are
 * OpenStreetMap data (ODbL, "© OpenStreetMap contributors"), not health data, so every audience
 * gets the same answer. The network density and the screening are computed live from the
 * incidents: planners and editors only, the public gets 401 (a public version would have to come
 * from a published release, as the public's density does; not built yet). They read the roads
 * held with the request's snapshot (hctx.net, hctx.roads, hctx.nt): a store without roads has
 * transparent tiles and empty collections. See API.md for the shapes. */
#ifndef HAZMAP_ROADROUTES_H
#define HAZMAP_ROADROUTES_H

#include "hazmap/app.h"

/* GET /tiles/roads/{z}/{x}/{y}.png (seg[0..2]); no query parameter is accepted. */
void roadroutes_tile(hctx *c, const hreq *rq, hresp *rs);

/* The roads collection's items (f, bbox, limit, offset; no filter, no datetime) and one item by
 * its segment id. */
void roadroutes_items(hctx *c, const hreq *rq, hresp *rs);
void roadroutes_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

/* The roads' box in degrees into bb: 1, or 0 (bb untouched) when there are none. */
int roadroutes_extent(const hctx *c, double bb[4]);

/* GET /tiles/network/{z}/{x}/{y}.png and /tiles/network/legend.json: the shared filters and
 * bandwidth (nettile.h); the legend has the tiles' class breaks. */
void roadroutes_network_tile(hctx *c, const hreq *rq, hresp *rs);
void roadroutes_network_legend(hctx *c, const hreq *rq, hresp *rs);

/* The road_sites collection: the ranked screening results (screen_geojson()) under the shared
 * filters, paging and rank (excess, epdo or count), and one of them by its 1-based rank. */
void roadroutes_sites_items(hctx *c, const hreq *rq, hresp *rs);
void roadroutes_sites_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

#endif
