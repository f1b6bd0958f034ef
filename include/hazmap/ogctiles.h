/* ogctiles.h - OGC API - Tiles (OGC 20-057) for the density layer: the map tiles of
 * /tiles/density/{z}/{x}/{y}.png described the standard's way, so that clients that speak it
 * (GDAL's OGCAPI driver, QGIS) find them from the collection:
 *
 *   /collections/density                                  the collection, linking its tilesets
 *   /collections/density/tiles                            the tilesets (one: WebMercatorQuad)
 *   /collections/density/tiles/WebMercatorQuad            the tileset's metadata
 *   /collections/density/tiles/WebMercatorQuad/{z}/{y}/{x}  a tile: row before column, the same
 *                                                        PNG as /tiles/density/{z}/{x}/{y}.png
 *   /tileMatrixSets, /tileMatrixSets/WebMercatorQuad      the tiling scheme (OGC 17-083r4)
 *
 * Every route takes the density tiles' parameters (filters, kernel, bandwidth; the public's
 * release view), repeated in the links. density is not a feature collection: /collections does
 * not list it (a feature client would ask for its items). */
#ifndef HAZMAP_OGCTILES_H
#define HAZMAP_OGCTILES_H

#include "hazmap/app.h"

void ogctiles_collection(hctx *c, const hreq *rq, hresp *rs);
void ogctiles_tilesets(hctx *c, const hreq *rq, hresp *rs);
void ogctiles_tileset(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = tile matrix set id */
void ogctiles_tile(hctx *c, const hreq *rq, hresp *rs);    /* seg[0..3] = tms, z, y, x */
void ogctiles_tms_list(hctx *c, const hreq *rq, hresp *rs);
void ogctiles_tms(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id */

#endif
