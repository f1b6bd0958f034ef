/* roadroutes.h - the road endpoints: the street layer's tiles /tiles/roads/{z}/{x}/{y}.png and
 * the OGC API collection `roads` (the road segments).
 *
 * Both are public: the road geometry and its attributes are OpenStreetMap data (ODbL,
 * "© OpenStreetMap contributors"), not health data, so every audience gets the same answer.
 * They read the roads held with the request's snapshot (hctx.net, hctx.roads): a store without
 * roads has transparent tiles and an empty collection. See API.md for the shapes. */
#ifndef HAZMAP_ROADROUTES_H
#define HAZMAP_ROADROUTES_H

#include "hazmap/app.h"

/* GET /tiles/roads/{z}/{x}/{y}.png (seg[0..2]); no query parameter is accepted. */
void roadroutes_tile(hctx *c, const hreq *rq, hresp *rs);

/* The roads collection's items (f, bbox, limit, offset; no filter, no datetime) and one item by
 * its segment id. */
void roadroutes_items(hctx *c, const hreq *rq, hresp *rs);
void roadroutes_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

#endif
