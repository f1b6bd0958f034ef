/* tilecache.h - the rendered-tile cache: an LRU in memory within a byte budget, plus an
 * optional directory on disk.
 *
 * Keys are strings (tilerender_cache_key(): data version + canonical filter + kernel +
 * bandwidth + z/x/y). Because every key carries the data version, a new version simply stops
 * hitting the old entries, which age out of memory; tilecache_purge() clears everything.
 * The ETag of a key is a strong validator: the same key always yields the same bytes, so the
 * server may answer If-None-Match with 304 from the key alone, before any lookup.
 *
 * Disk layout: DIR/hh/hhhh...hhhh.png where the name is the SHA-256 (hex) of the key; written
 * to a temporary file in the same directory, then rename()d, so readers never see half a file.
 *
 * Thread-safety: all functions may be called from any thread (one mutex; lookups copy out). */
#ifndef HAZMAP_TILECACHE_H
#define HAZMAP_TILECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

#define TILECACHE_ETAG_LEN 35 /* '"' + 32 hex digits + '"' + NUL */

typedef struct tilecache tilecache;

/* mem_bytes: memory budget (entries larger than a quarter of it, or than
 * tilecache_set_max_entry(), are not kept in memory).
 * disk_dir: NULL or "" for memory only; created (one level) if absent. NULL on failure (err). */
tilecache *tilecache_new(size_t mem_bytes, const char *disk_dir, char *err, size_t errlen);

/* NULL is a no-op. */
void tilecache_free(tilecache *c);

/* Keeps entries of up to bytes (at most the budget) in memory instead of a quarter of the
 * budget: for a cache of few large entries (the server's packed analysis views). */
void tilecache_set_max_entry(tilecache *c, size_t bytes);

/* Looks key up in memory, then on disk (a disk hit is promoted into memory). On a hit returns
 * HZ_OK with *data malloc'd (caller frees) and *len; on a miss HZ_ENOTFOUND and *data NULL. */
hz_status tilecache_get(tilecache *c, const char *key, unsigned char **data, size_t *len);

/* Looks key up in memory, then on disk, and on a hit calls fn(ud, data, len) with the entry's
 * bytes borrowed for the duration of the call (a memory entry under the cache's mutex: fn must be
 * short and must not call back into the cache); returns HZ_OK after fn, HZ_ENOTFOUND on a miss
 * (fn not called). What a reader of a slice of a large entry uses instead of copying it all. */
typedef void (*tilecache_reader)(void *ud, const unsigned char *data, size_t len);
hz_status tilecache_borrow(tilecache *c, const char *key, tilecache_reader fn, void *ud);

/* Stores a copy of data under key in memory (evicting least recently used entries to fit the
 * budget) and, with a disk directory, on disk. A disk write failure is returned (HZ_EIO) but
 * the memory copy stays. */
hz_status tilecache_put(tilecache *c, const char *key, const unsigned char *data, size_t len,
                        char *err, size_t errlen);

/* Drops every memory entry and, if disk too is non-zero, every cached file on disk. */
void tilecache_purge(tilecache *c, int disk_too);

/* The strong ETag of key, quoted: "\"" + first 128 bits of SHA-256(key) in hex + "\"". */
void tilecache_etag(const char *key, char etag[TILECACHE_ETAG_LEN]);

typedef struct tilecache_stats {
    uint64_t hits;      /* memory hits */
    uint64_t disk_hits; /* misses in memory found on disk */
    uint64_t misses;    /* found nowhere */
    uint64_t evictions; /* memory entries dropped for the budget */
    size_t entries;     /* now in memory */
    size_t bytes;       /* now in memory (payload + per-entry overhead) */
    size_t budget;
} tilecache_stats;

void tilecache_get_stats(tilecache *c, tilecache_stats *s);

#endif
