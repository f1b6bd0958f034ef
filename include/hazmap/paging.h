/* paging.h - one page of a collection's items (OGC API - Features Part 1, /collections/{id}/items):
 * the request's limit, offset, bbox and datetime beside the shared filters; which of the matching
 * features make the page; and the FeatureCollection written around them in one pass (features,
 * numberMatched, numberReturned, timeStamp, self/next/prev links, the analysis' provenance).
 *
 * The rule of a page, here and nowhere else: the features that match, in the collection's own
 * stable order, are numbered 1, 2, ...; the page holds numbers offset + 1 to offset + limit;
 * numberMatched counts them all. The next link is there while offset + returned < matched, the
 * previous one while offset > 0 (at offset - limit, not below 0).
 *
 * A producer of features (the areas, the incidents, a computed FeatureCollection) walks its
 * matching features in order and asks paging_match() of each whether it belongs on the page; it
 * then adds those that do (paging_add_json() or paging_add_text()) and sends the page
 * (paging_send()). paging_send_computed() does all of it for a computed FeatureCollection.
 *
 * Ownership: paging_page_new() returns a page that paging_send() consumes; paging_page_free()
 * frees one that is not sent (NULL is a no-op). NULL on OOM. */
#ifndef HAZMAP_PAGING_H
#define HAZMAP_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/app.h"
#include "hazmap/json_out.h"

/* The largest page; a larger limit is clamped to it (OGC API - Features 1, 7.15.4). */
#define PAGING_MAX_LIMIT 10000

/* The largest download (f=csv, f=gpkg): the features matching, from offset, at most this many
 * (a larger limit is clamped to it; without a limit, this many). */
#define PAGING_MAX_DOWNLOAD 100000

/* What an items request answers with (its f): a GeoJSON page, or the features as a download. */
typedef enum paging_format {
    PAGING_GEOJSON = 0, /* f absent, json, geojson or html */
    PAGING_CSV,         /* f=csv: UTF-8 with a BOM, the geometry as WKT (fcexport.h) */
    PAGING_GPKG         /* f=gpkg: a GeoPackage built by OGR (fcexport.h) */
} paging_format;

/* The paging and selection parameters of an items request. */
typedef struct paging_params {
    double bb[4]; /* bbox [west, south, east, north] in WGS84, when has_bbox */
    int has_bbox;
    int64_t dt_from, dt_to; /* datetime, [from, to); INT64_MIN / INT64_MAX when open */
    long limit;             /* 1..PAGING_MAX_LIMIT, default 100 (a larger one is clamped) */
    long offset;            /* 0..1e9, default 0 */
    paging_format format;
    int crs; /* crs: the EPSG code the features are sent in, 0 for CRS84 (outcrs.h) */
} paging_params;

/* The EPSG code of the snapshot's working CRS when it is a UTM zone (326NN, 327NN), else 0: the
 * one served CRS that depends on the data. */
int paging_work_epsg(const hctx *c);

/* Parses rq's crs (OGC API - Features Part 2; absent: CRS84) into *epsg; an unknown CRS is a 400
 * in rs and -1. */
int paging_crs(const hctx *c, const hreq *rq, int *epsg, hresp *rs);

/* Checks the items arguments (f: json, geojson, html, csv or gpkg; crs and bbox-crs of OGC API -
 * Features Part 2, the bbox read in bbox-crs and kept in CRS84; bbox, limit, offset, datetime,
 * the filters and the names in extra, NULL-terminated, may be NULL) and parses them into pg and the
 * filter f; datetime narrows f's date range (an empty intersection matches nothing; it is no
 * error). On failure fills rs with the 400 and returns non-zero. */
int paging_parse(hctx *c, const hreq *rq, paging_params *pg, hz_filter *f, hresp *rs,
                 const char *const *extra);

/* The same rules for a collection of things that are not incidents and have no time (the
 * roads): only f, bbox, bbox-crs, crs, limit and offset; a filter or datetime is an unknown
 * parameter (400). */
int paging_parse_untimed(hctx *c, const hreq *rq, paging_params *pg, hresp *rs);

/* 1 when a feature meets the request's bbox (always, without one): OGC API - Features 1,
 * /req/core/fc-bbox-response selects by the geometry, not its envelope. bb is the feature's
 * envelope (NAN or empty: no geometry, never selected); only a feature whose envelope meets a
 * part of the bbox (two across the antimeridian) without lying inside it is tested exactly, by
 * exact(ud, part) (boxhit.h). */
typedef int (*paging_exact)(void *ud, const double box[4]);
int paging_bbox_meets(const paging_params *pg, const double bb[4], paging_exact exact, void *ud);

typedef struct paging_page paging_page;

/* An empty page for pg (copied). */
paging_page *paging_page_new(const paging_params *pg);

void paging_page_free(paging_page *p);

/* Counts the next matching feature; 1 when it belongs on the page (the caller adds it), 0 when it
 * comes before the offset or after a full page. */
int paging_match(paging_page *p);

/* 1 once limit features have been selected: later matches are only counted. */
int paging_full(const paging_page *p);

/* Sets numberMatched to n for a producer that knows it without counting on (every feature
 * matches); n is at least what paging_match() has counted. */
void paging_set_matched(paging_page *p, size_t n);

/* Adds one selected feature (not consumed). */
void paging_add_json(paging_page *p, const json_t *feature);

/* Adds n selected features written as JSON text, comma-separated, without brackets. */
void paging_add_text(paging_page *p, const char *features, size_t len, size_t n);

/* Sends the FeatureCollection of the page (200 application/geo+json, or 503 on OOM) with prov
 * (borrowed; NULL for none) as its "provenance" member and, compact and ASCII, as the header
 * X-Hazmap-Provenance (so that a GIS client that keeps headers, not members, keeps it). For a
 * download (pg's format) the features go through fcexport_bytes() instead, as an attachment
 * named after the collection. Consumes p. */
void paging_send(hctx *c, const hreq *rq, hresp *rs, paging_page *p, const json_t *prov);

/* Pages a computed FeatureCollection fc (consumed): its features, in order, that meet the bbox
 * (by the bounding box of their coordinates), each given "id" = its 1-based position in fc; the
 * page carries fc's "provenance", as every page of the analysis' features must. */
void paging_send_computed(hctx *c, const hreq *rq, hresp *rs, const paging_params *pg, json_t *fc);

/* A computed FeatureCollection packed for paging from the result cache: each feature's JSON text
 * (its "id" set to its 1-based position, as paging_send_computed()) with its bounding box, and
 * the provenance; a page of it is written from the page's features alone. paging_pack() reads fc
 * (borrowed) into *blob (malloc'd) and *len; -1 on OOM. */
int paging_pack(const json_t *fc, unsigned char **blob, size_t *len);

/* Packing feature by feature, for a producer that writes its features as text (hotspots_json.c)
 * instead of building a FeatureCollection: paging_pack() is this over fc's features. Each
 * feature's text is written into paging_packer_text() and closed by paging_packer_end() with
 * its lon/lat bounding box (NAN: no coordinates, never in a bbox); its "id" must be its 1-based
 * position, as paging_pack() sets it. paging_packer_finish() consumes pk and leaves the packed
 * bytes in *blob (malloc'd) and *len; -1 (and pk freed) on OOM. */
typedef struct paging_packer paging_packer;
paging_packer *paging_packer_new(size_t n_hint);
jbuf *paging_packer_text(paging_packer *pk);
int paging_packer_end(paging_packer *pk, const double bb[4]);
int paging_packer_finish(paging_packer *pk, const json_t *prov, unsigned char **blob, size_t *len);
void paging_packer_free(paging_packer *pk);

/* Pages a packed FeatureCollection as paging_send_computed() pages the FeatureCollection: with a
 * bbox every feature's box is tested, without one only the page's features are read (O(page)).
 * blob is borrowed (the result cache's entry). A malformed blob is a 500. */
void paging_send_packed(hctx *c, const hreq *rq, hresp *rs, const paging_params *pg,
                        const unsigned char *blob, size_t len);

/* Feature fid (its 1-based position) of a packed FeatureCollection, with its links, its geometry
 * in EPSG:crs (0: CRS84); 404 when there is no such feature. */
void paging_send_packed_item(hctx *c, hresp *rs, const unsigned char *blob, size_t len,
                             const char *fid, int crs);

/* Sends one GeoJSON Feature written as text (its links included; borrowed) as a 200 with its
 * geometry in EPSG:crs (0: CRS84) and the Content-Crs header (OGC API - Features Part 2,
 * /req/crs/crs-action, /req/crs/ogc-crs-header); a 500 when it cannot be transformed. */
void paging_send_feature(hresp *rs, const char *ftext, size_t flen, int crs);

/* Walks the snapshot's areas in order: each that meets the request's bbox and belongs on the
 * page is made by feature(ud, index) (a new reference, or NULL to skip) and added. */
void paging_add_areas(hctx *c, const paging_params *pg, paging_page *page,
                      json_t *(*feature)(void *ud, size_t i), void *ud);

/* The links of a single feature of route /collections/{id}/items/{fid} (c->seg[0], c->seg[1]):
 * self and collection (OGC API - Features 1, 7.16.2). New reference. */
json_t *paging_item_links(const hctx *c);

/* Sends feature fid (its 1-based position, as the items' ids) of a computed FeatureCollection fc
 * (consumed), with "id" and its links set; 404 when there is no such feature. */
void paging_send_item(hctx *c, hresp *rs, json_t *fc, const char *fid);

#endif
