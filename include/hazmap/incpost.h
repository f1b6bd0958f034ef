/* incpost.h - POST /collections/incidents/items: adding incidents as GeoJSON.
 *
 * Accepts a Feature or a FeatureCollection (Content-Type application/geo+json or
 * application/json) from an editor or planner token. Every feature is validated first; if any
 * is invalid nothing is stored and the 400 lists each bad field by feature index:
 *   {"code": "InvalidParameterValue", "description": "...",
 *    "errors": [{"feature": 0, "field": "properties.mechanism", "reason": "..."}]}
 * Valid features get their area by point-in-polygon and are stored in one transaction, which
 * bumps the data version: cached tiles and results (keyed by it) and the snapshot are renewed.
 *
 * Feature fields: geometry Point [lon, lat] (WGS84, required); properties: source (default
 * "api"), source_id (required, or the feature's "id"), occurred_at (ISO 8601, +08:00 when no
 * offset), mechanism, place, intent, severity, sex (vocab.h names), victims (>= 0), age
 * (0..150), disability (boolean), description (string); any other property is kept in "extra". */
#ifndef HAZMAP_INCPOST_H
#define HAZMAP_INCPOST_H

#include <stddef.h>

#include <jansson.h>

#include "hazmap/app.h"

void incpost_handle(hctx *c, const hreq *rq, hresp *rs);

/* The validation step on its own (for tests): appends one {"feature","field","reason"} object
 * per problem of feature number index to errors. Returns the number of problems. */
int incpost_validate(const json_t *feature, size_t index, json_t *errors);

#endif
