/* oapif.h - OGC API - Features Part 1 (core, geojson, oas30) handlers: landing page, conformance,
 * the items and single features of the areas and incidents collections (routed by the table of
 * collections, collections.h), /healthz and /api/config.
 *
 * The public (no token) gets no incidents (401) and suppressed area counts; see API.md for the
 * JSON shapes. */
#ifndef HAZMAP_OAPIF_H
#define HAZMAP_OAPIF_H

#include <jansson.h>

#include "hazmap/app.h"

void oapif_landing(hctx *c, const hreq *rq, hresp *rs);
void oapif_conformance(hctx *c, const hreq *rq, hresp *rs);
void oapif_healthz(hctx *c, const hreq *rq, hresp *rs);
void oapif_config(hctx *c, const hreq *rq, hresp *rs);

/* The areas collection: a page of areas in store order with counts, rates and suppression under
 * the filters (paging.h), and one area by its code. */
void oapif_areas_items(hctx *c, const hreq *rq, hresp *rs);
void oapif_area_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

/* Sends feat (consumed; a GeoJSON Feature with its links) with its geometry in EPSG:crs (0:
 * CRS84) and Content-Crs: paging_send_feature(). */
void oapif_send_feature(hresp *rs, json_t *feat, int crs);

/* The incidents collection (planners only: 401 for the public, 403 for editors): a page in id
 * order, and one incident by its id. */
void oapif_incidents_items(hctx *c, const hreq *rq, hresp *rs);
void oapif_incident_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

/* 0 if c's audience may read individual incidents (tokens_reads_incidents()); else -1 with rs
 * filled: 401 without a token, 403 for an editor. */
int oapif_incidents_refused(hctx *c, hresp *rs);

/* An OGC link object {href: base + path, rel, type, title} (new reference; NULL on OOM). */
json_t *oapif_link(const char *base, const char *path, const char *rel, const char *type,
                   const char *title);

#endif
