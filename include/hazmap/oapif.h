/* oapif.h - OGC API - Features Part 1 (core, geojson, oas30) handlers: landing page, conformance,
 * collections, items and single features of the areas and incidents collections, plus /healthz
 * and /api/config.
 *
 * The public (no token) sees no incidents collection (401 on its items) and suppressed area
 * counts; see API.md for the JSON shapes. */
#ifndef HAZMAP_OAPIF_H
#define HAZMAP_OAPIF_H

#include "hazmap/app.h"

void oapif_landing(hctx *c, const hreq *rq, hresp *rs);
void oapif_conformance(hctx *c, const hreq *rq, hresp *rs);
void oapif_collections(hctx *c, const hreq *rq, hresp *rs);
void oapif_collection(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id */
void oapif_items(hctx *c, const hreq *rq, hresp *rs);      /* seg[0] = id */
void oapif_item(hctx *c, const hreq *rq, hresp *rs);       /* seg[0] = id, seg[1] = fid */
void oapif_healthz(hctx *c, const hreq *rq, hresp *rs);
void oapif_config(hctx *c, const hreq *rq, hresp *rs);

/* Paging and selection parameters of an items request. */
typedef struct oapif_paging {
    double bb[4];
    int has_bbox;
    int64_t dt_from, dt_to; /* datetime, [from, to) */
    long limit, offset;
} oapif_paging;

/* Checks the items arguments (f, bbox, limit, offset, datetime, the filters and the extra names,
 * NULL-terminated, may be NULL), parses them into pg and the filter f (datetime narrows f's
 * date range). On failure fills rs with the 400 and returns non-zero. */
int oapif_parse_paging(hctx *c, const hreq *rq, oapif_paging *pg, hz_filter *f, hresp *rs,
                       const char *const *extra);

/* Sends a FeatureCollection page: features (consumed) with numberMatched, numberReturned,
 * timeStamp and self/next/prev links carrying the offset. */
void oapif_send_collection(hctx *c, const hreq *rq, hresp *rs, json_t *features, size_t matched,
                           const oapif_paging *pg);

#endif
