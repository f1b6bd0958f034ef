/* incpost.h - POST /collections/incidents/items: adding incidents as GeoJSON.
 *
 * Accepts a Feature or a FeatureCollection (Content-Type application/geo+json or
 * application/json) from an editor or planner token. Every feature is validated first; if any
 * is invalid nothing is stored and the 400 lists each bad field by feature index:
 *   {"code": "InvalidParameterValue", "description": "...",
 *    "errors": [{"feature": 0, "field": "properties.mechanism", "reason": "..."}]}
 * Valid features get their area by point-in-polygon; a point in no area is invalid (field
 * "geometry") unless the query says ?outside=accept. They are stored in one transaction, which
 * bumps the data version when it inserted or replaced any (store_commit()): cached tiles and
 * results (keyed by it) and the snapshot are then renewed; an unchanged POST keeps them.
 *
 * Feature fields: geometry Point [lon, lat] (WGS84; null or a null member is a missing
 * coordinate); properties: source (default "api"), source_id (required, or the feature's "id"),
 * occurred_at, mechanism, place, intent, severity, sex, victims, age, disability, description;
 * any other property is kept in "extra". The fields follow the rules of normalise.h, the same as
 * the importers': a value is read as the text a GeoJSON file would give (numbers as written,
 * true/false), so "age": 34 and "age": "34" are alike, vocabulary values may be the built-in
 * synonyms (男, 轻伤, slight, ...), dates may be any form hztime_parse_date() reads (+08:00 when
 * without an offset), and a bad value's reason is the importer's text for it. */
#ifndef HAZMAP_INCPOST_H
#define HAZMAP_INCPOST_H

#include <stddef.h>

#include <jansson.h>

#include "hazmap/app.h"

void incpost_handle(hctx *c, const hreq *rq, hresp *rs);

/* The validation step on its own: appends one {"feature","field","reason"} object per problem of
 * feature number index to errors (the fields' rules with the built-in vocabulary synonyms, times
 * at +08:00). Returns the number of problems. */
int incpost_validate(const json_t *feature, size_t index, json_t *errors);

#endif
