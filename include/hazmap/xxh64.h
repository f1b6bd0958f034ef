/* xxh64.h - the XXH64 hash (Yann Collet, xxHash, https://github.com/Cyan4973/xxHash, format
 * spec doc/xxhash_spec.md): 64 bits, about 10 GB/s, for checksums of large cache files.
 *
 * Not a cryptographic hash: it detects accidental damage (a torn write, a truncated or
 * overwritten file), not a forgery. */
#ifndef HAZMAP_XXH64_H
#define HAZMAP_XXH64_H

#include <stddef.h>
#include <stdint.h>

/* The XXH64 of the n bytes at p (NULL only when n is 0) with the given seed; the same value
 * as the reference implementation's XXH64(p, n, seed) on every platform. Hashing a message
 * in parts: pass the hash of one part as the seed of the next. */
uint64_t xxh64(const void *p, size_t n, uint64_t seed);

#endif
