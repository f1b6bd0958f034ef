/* snapfile.h - a cache file of fixed-size records, named by a key and checked on every read.
 *
 * The file holds a key (what the records were computed from), a short note for the reader
 * (meta) and n records of one size. snapfile_read() hands the records back only when the key
 * matches byte for byte, the record size matches, the length is exact and the XXH64 checksum
 * over everything agrees; any other file, including a truncated, damaged or foreign one, is a
 * miss, never data. snapfile_write() writes a temporary file beside path and renames it over
 * path, so a reader sees the old file or the new one, never a part of either. Nothing is
 * synced to disk: a file torn by a crash fails its checksum and is simply rewritten.
 *
 * Layout, in the writer's byte order (a file from the other byte order does not match):
 *   0  "HZSNAP1\n"               magic and format version
 *   8  u32 0x01020304            byte-order mark
 *   12 u32 key length, u32 meta length, u32 0
 *   24 u64 record size, u64 record count, u64 checksum
 *   48 key, meta, records
 * checksum = XXH64(records, seed = XXH64(the 48 header bytes with checksum 0, key, meta)), by
 * libxxhash (Debian libxxhash-dev).
 *
 * The records are copied byte for byte: the caller chooses a key that changes whenever their
 * layout or meaning does. */
#ifndef HAZMAP_SNAPFILE_H
#define HAZMAP_SNAPFILE_H

#include <stddef.h>

#include "hazmap/status.h"

enum { SNAPFILE_MAX_TEXT = 8192 }; /* longest key or meta, bytes */

/* Reads path. On HZ_OK *recs (malloc'd, freed by the caller; never NULL) holds *n records of
 * rec_size bytes and meta (if metalen > 0) the writer's note, NUL-terminated. Otherwise *recs
 * is NULL and why says what did not match: HZ_ENOTFOUND no file, HZ_EINVAL a file that does
 * not match key or is damaged, HZ_EIO a read error, HZ_ENOMEM. */
hz_status snapfile_read(const char *path, const char *key, size_t rec_size, void **recs, size_t *n,
                        char *meta, size_t metalen, char *why, size_t whylen);

/* Writes n records of rec_size bytes at recs (NULL when n is 0) under key with the note meta
 * (both NUL-terminated text up to SNAPFILE_MAX_TEXT bytes) and renames the result over path.
 * The file gets the permission bits of mode_of (the data it was derived from, so that it is
 * never more readable than that), or 0600 when mode_of is NULL or cannot be read. On failure
 * path is untouched, the temporary file removed, and err says why. */
hz_status snapfile_write(const char *path, const char *key, const char *meta, const void *recs,
                         size_t rec_size, size_t n, const char *mode_of, char *err, size_t errlen);

#endif
