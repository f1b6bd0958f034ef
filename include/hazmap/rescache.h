/* rescache.h - the server's cache of computed responses (analysis JSON, GeoTIFFs), in memory,
 * keyed by a string that names everything the response depends on: for planners the data
 * version, the route, the audience and the canonical parameters; for the public the release id,
 * the route and the view (a public answer depends on nothing else). A write bumps the data
 * version and a new release has a new id, so no entry is ever stale. */
#ifndef HAZMAP_RESCACHE_H
#define HAZMAP_RESCACHE_H

#include <stddef.h>

#include "hazmap/app.h"
#include "hazmap/tilecache.h"

/* "v<version>/<route>/<audience>/<canonical>" into key. */
void rescache_key(const hctx *c, const char *route, const char *canon, char *key, size_t n);

/* 1 with rs holding the cached body (200, type) for key; 0 on a miss. Counts hits and misses. */
int rescache_lookup(hctx *c, const char *key, const char *type, hresp *rs);

/* Keeps rs's body under key when rs is a 200 with a body. */
void rescache_store(hctx *c, const char *key, const hresp *rs);

/* 1 when key is cached: fn(ud, bytes, len) has been called with the entry borrowed
 * (tilecache_borrow(): fn must be short); 0 on a miss. Counts hits and misses. */
int rescache_borrow(hctx *c, const char *key, tilecache_reader fn, void *ud);

/* 1 with a copy of the bytes cached under key in *data (malloc'd; caller frees) and *len; 0 on a
 * miss. Counts the hit or miss whatever thread asks (a request that looks only once). */
int rescache_copy(hctx *c, const char *key, unsigned char **data, size_t *len);

/* Keeps a copy of the len bytes at data under key. */
void rescache_store_bytes(hctx *c, const char *key, const unsigned char *data, size_t len);

/* The JSON cached under key (new reference), or NULL on a miss. */
json_t *rescache_json(hctx *c, const char *key);

/* Keeps j (borrowed) under key as JSON of media type type. */
void rescache_store_json(hctx *c, const char *key, const json_t *j, const char *type);

/* Renders a tile's PNG into *png (malloc'd) and *len; non-OK with err on failure. */
typedef hz_status (*rescache_render)(void *ud, unsigned char **png, size_t *len, char *err,
                                     size_t errlen);

/* Answers a tile request from the tile cache under key: 304 when If-None-Match has the ETag
 * made from key, the cached bytes, or render()'s bytes (then kept); with the ETag and
 * Cache-Control max-age. The one home of how a tile is cached and revalidated. */
void rescache_tile(hctx *c, const hreq *rq, const char *key, int max_age, rescache_render render,
                   void *ud, hresp *rs);

#endif
