/* links.h - the record links over HTTP, for reviewers (planners and editors; the public gets
 * 401): the links `hazmap link` stored, a reviewer's decision on one, and the sources'
 * capture-recapture summary (linkage_db.h, store_links.h).
 *
 *   GET  /api/links?status=S&limit=N&offset=K  a page of links (status auto|possible|confirmed|
 *                                              rejected|all, default possible; limit 1..1000,
 *                                              default 100), in id order, with the two
 *                                              records for roles that read incidents
 *   GET  /api/links/summary                    per-source counts, overlaps, estimated total
 *   GET  /api/links/{id}                       one link
 *   POST /api/links/{id}                       {"status": "confirmed"|"rejected"}: the decision,
 *                                              recorded with the reviewer's role and the time;
 *                                              200 with the link. It bumps the data version
 *                                              (events change what analyses count).
 *
 * Errors: 401 without a token, 400 for a bad parameter or body, 404 for an unknown link, 415
 * for a body that is not JSON. */
#ifndef HAZMAP_LINKS_H
#define HAZMAP_LINKS_H

#include "hazmap/app.h"

void links_list(hctx *c, const hreq *rq, hresp *rs);
void links_summary(hctx *c, const hreq *rq, hresp *rs);
void links_one(hctx *c, const hreq *rq, hresp *rs);    /* seg[0] = id */
void links_review(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id */

/* Adds the routes above to an OpenAPI document's paths object (openapi.c). */
void links_openapi(json_t *paths);

#endif
