/* ogctiles.c - OGC API - Tiles for the density layer (ogctiles.h). */
#include "hazmap/ogctiles.h"
#include "hazmap/apiroutes.h"
#include "hazmap/geojson.h"
#include "hazmap/oapif.h"
#include "hazmap/tileexport.h"
#include "hazmap/tilemath.h"

#include <stdio.h>
#include <string.h>

#define WMQ "WebMercatorQuad"
#define WMQ_URI "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
#define EPSG3857 "http://www.opengis.net/def/crs/EPSG/0/3857"
#define REL_TILESETS "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"
#define REL_SCHEME "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
#define MINZOOM 10 /* as the TileJSON (apiroutes_tilejson()) */
#define MAXZOOM 18

/* "?k=v&..." of the request's arguments but f (URL-encoded), or "" without any: the view the
 * links must keep. */
static void view_query(const hreq *rq, char *q, size_t n)
{
    size_t off = 0;
    q[0] = 0;
    for (size_t i = 0; i < rq->nargs; i++) {
        if (strcmp(rq->args[i].key, "f") == 0) continue;
        if (off + 2 >= n) break;
        q[off] = off == 0 ? '?' : '&';
        off++;
        q[off] = 0;
        if (geojson_urlencode(q, n, &off, rq->args[i].key) || off + 2 >= n) break;
        q[off++] = '=';
        q[off] = 0;
        if (geojson_urlencode(q, n, &off, rq->args[i].value)) break;
    }
}

static json_t *link(const hctx *c, const char *path, const char *q, const char *rel,
                    const char *type, const char *title)
{
    char p[2600];
    snprintf(p, sizeof p, "%s%s", path, q);
    return oapif_link(c->base, p, rel, type, title);
}

/* The metadata routes pass the view's parameters on to the links; the tile checks them. */
void ogctiles_collection(hctx *c, const hreq *rq, hresp *rs)
{
    char q[2048];
    view_query(rq, q, sizeof q);
    double b[4];
    if (!c->snap || tileexport_bounds(c->snap, b) != HZ_OK) {
        b[0] = -180;
        b[1] = -85;
        b[2] = 180;
        b[3] = 85;
    }
    json_t *links = json_array();
    json_array_append_new(
        links, link(c, "/collections/density", q, "self", "application/json", "The density layer"));
    json_array_append_new(links, link(c, "/collections/density/tiles", q, REL_TILESETS,
                                      "application/json", "The density map tilesets"));
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:[[f,f,f,f]], s:s}}, s:s}", "id", "density",
                          "title", "Incident density", "description",
                          "Kernel density of the filtered incidents as map tiles (the same PNG "
                          "tiles as /tiles/density/{z}/{x}/{y}.png)",
                          "links", links, "extent", "spatial", "bbox", b[0], b[1], b[2], b[3],
                          "crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "dataType", "map");
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

static json_t *tileset_links(const hctx *c, const char *q)
{
    char tmpl[2600];
    json_t *links = json_array();
    json_array_append_new(links, link(c, "/collections/density/tiles/" WMQ, q, "self",
                                      "application/json", "The density tileset"));
    json_array_append_new(links, link(c, "/tileMatrixSets/" WMQ, "", REL_SCHEME, "application/json",
                                      "The tiling scheme"));
    /* the template's own query joins the view's */
    snprintf(tmpl, sizeof tmpl,
             "%s/collections/density/tiles/" WMQ "/{tileMatrix}/{tileRow}/{tileCol}%s", c->base, q);
    json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s, s:b}", "href", tmpl, "rel", "item",
                                           "type", "image/png", "title", "A density tile",
                                           "templated", 1));
    return links;
}

static json_t *tileset_json(const hctx *c, const char *q, int full)
{
    json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:o}", "title", "Incident density (" WMQ ")",
                          "dataType", "map", "crs", EPSG3857, "tileMatrixSetURI", WMQ_URI, "links",
                          tileset_links(c, q));
    if (!t || !full) return t;
    double b[4];
    if (!c->snap || tileexport_bounds(c->snap, b) != HZ_OK) {
        b[0] = -180;
        b[1] = -85;
        b[2] = 180;
        b[3] = 85;
    }
    json_t *lim = json_array();
    for (int z = MINZOOM; z <= MAXZOOM; z++) {
        int x0, y0, x1, y1;
        tilemath_tile_range(b, z, &x0, &y0, &x1, &y1);
        char id[16]; /* "%d" of any int fits (the ASan build's -O1 cannot see z's range) */
        snprintf(id, sizeof id, "%d", z);
        json_array_append_new(lim,
                              json_pack("{s:s, s:i, s:i, s:i, s:i}", "tileMatrix", id, "minTileRow",
                                        y0, "maxTileRow", y1, "minTileCol", x0, "maxTileCol", x1));
    }
    json_object_set_new(t, "tileMatrixSetLimits", lim);
    json_object_set_new(t, "boundingBox",
                        json_pack("{s:[f,f], s:[f,f], s:s}", "lowerLeft", b[0], b[1], "upperRight",
                                  b[2], b[3], "crs",
                                  "http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
    return t;
}

void ogctiles_tilesets(hctx *c, const hreq *rq, hresp *rs)
{
    char q[2048];
    view_query(rq, q, sizeof q);
    json_t *links = json_array();
    json_array_append_new(links, link(c, "/collections/density/tiles", q, "self",
                                      "application/json", "The density tilesets"));
    json_t *j = json_pack("{s:o, s:[o]}", "links", links, "tilesets", tileset_json(c, q, 0));
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

static int is_wmq(const char *id, hresp *rs)
{
    if (strcmp(id, WMQ) == 0) return 1;
    hresp_error(rs, 404, "NotFound", "no tile matrix set '%.64s' (only " WMQ ")", id);
    return 0;
}

void ogctiles_tileset(hctx *c, const hreq *rq, hresp *rs)
{
    if (!is_wmq(c->seg[0], rs)) return;
    char q[2048];
    view_query(rq, q, sizeof q);
    json_t *j = tileset_json(c, q, 1);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void ogctiles_tile(hctx *c, const hreq *rq, hresp *rs)
{
    if (!is_wmq(c->seg[0], rs)) return;
    /* {tileMatrix}/{tileRow}/{tileCol}: the XYZ route's {z}/{x}/{y}.png with row and column
     * swapped (WebMercatorQuad's rows count from the north, as XYZ's y) */
    char ypng[24];
    const char *z = c->seg[1], *row = c->seg[2], *col = c->seg[3];
    if (strlen(row) > 12) {
        hresp_error(rs, 400, "InvalidParameterValue", "tileRow: '%.16s' is not a row", row);
        return;
    }
    snprintf(ypng, sizeof ypng, "%s.png", row);
    c->seg[0] = z;
    c->seg[1] = col;
    c->seg[2] = ypng;
    apiroutes_tile(c, rq, rs);
}

/* The WebMercatorQuad tile matrix set of OGC 17-083r4 (Annex D.1), zooms 0..TILEMATH_MAXZOOM: a
 * tile of zoom z has 2^z columns and rows, 256 pixels of 2 pi R / 256 / 2^z metres; the scale
 * denominator is the cell size over the standard 0.28 mm pixel. */
static json_t *wmq_json(void)
{
    json_t *m = json_array();
    const double origin = TILEMATH_R * 3.14159265358979323846;
    for (int z = 0; z <= TILEMATH_MAXZOOM; z++) {
        char id[16]; /* "%d" of any int fits (the ASan build's -O1 cannot see z's range) */
        snprintf(id, sizeof id, "%d", z);
        double cell = tilemath_tile_span(z) / 256;
        json_int_t n = (json_int_t)1 << z;
        json_array_append_new(m, json_pack("{s:s, s:f, s:f, s:s, s:[f,f], s:i, s:i, s:I, s:I}",
                                           "id", id, "scaleDenominator", cell / 0.00028, "cellSize",
                                           cell, "cornerOfOrigin", "topLeft", "pointOfOrigin",
                                           -origin, origin, "tileWidth", 256, "tileHeight", 256,
                                           "matrixWidth", n, "matrixHeight", n));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:s, s:o}", "id", WMQ, "title",
                     "Google Maps Compatible for the World", "uri", WMQ_URI, "crs", EPSG3857,
                     "orderedAxes", "E", "N", "wellKnownScaleSet",
                     "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible", "tileMatrices",
                     m);
}

void ogctiles_tms_list(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    json_t *links = json_array();
    json_array_append_new(links, oapif_link(c->base, "/tileMatrixSets/" WMQ, "self",
                                            "application/json", "WebMercatorQuad"));
    json_t *j = json_pack("{s:[{s:s, s:s, s:o}]}", "tileMatrixSets", "id", WMQ, "uri", WMQ_URI,
                          "links", links);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void ogctiles_tms(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs) || !is_wmq(c->seg[0], rs)) return;
    json_t *j = wmq_json();
    /* every digit: a client computes tile corners from the origin and the cell size */
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    hresp_take(rs, 200, "application/json", (unsigned char *)text, strlen(text));
}
