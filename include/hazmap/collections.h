/* collections.h - the collections of the OGC API - Features service in one table (id, title,
 * description, audience, and the handlers of their items) and the four routes served from it:
 * /collections, /collections/{id}, /collections/{id}/items and /collections/{id}/items/{fid}.
 *
 * areas and incidents are read from the snapshot and the store (oapif.h); hotspots and
 * blackspots are computed on request (apiroutes.h). The public (no token) does not see the
 * incidents collection: it is left out of /collections, and its routes answer 401. An unknown
 * collection is a 404. See API.md for the JSON shapes. */
#ifndef HAZMAP_COLLECTIONS_H
#define HAZMAP_COLLECTIONS_H

#include "hazmap/app.h"

void collections_list(hctx *c, const hreq *rq, hresp *rs);
void collections_one(hctx *c, const hreq *rq, hresp *rs);   /* seg[0] = id */
void collections_items(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id */
void collections_item(hctx *c, const hreq *rq, hresp *rs);  /* seg[0] = id, seg[1] = fid */

#endif
