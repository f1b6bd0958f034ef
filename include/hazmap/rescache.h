/* rescache.h - the server's cache of computed responses (analysis JSON, GeoTIFFs), in memory,
 * keyed by a string that names everything the response depends on: for planners the data
 * version, the route, the audience and the canonical parameters; for the public the release id,
 * the route and the view (a public answer depends on nothing else). A write bumps the data
 * version and a new release has a new id, so no entry is ever stale. */
#ifndef HAZMAP_RESCACHE_H
#define HAZMAP_RESCACHE_H

#include <stddef.h>

#include "hazmap/app.h"

/* "v<version>/<route>/<audience>/<canonical>" into key. */
void rescache_key(const hctx *c, const char *route, const char *canon, char *key, size_t n);

/* 1 with rs holding the cached body (200, type) for key; 0 on a miss. Counts hits and misses. */
int rescache_lookup(hctx *c, const char *key, const char *type, hresp *rs);

/* Keeps rs's body under key when rs is a 200 with a body. */
void rescache_store(hctx *c, const char *key, const hresp *rs);

/* The JSON cached under key (new reference), or NULL on a miss. */
json_t *rescache_json(hctx *c, const char *key);

/* Keeps j (borrowed) under key as JSON of media type type. */
void rescache_store_json(hctx *c, const char *key, const json_t *j, const char *type);

#endif
