/* xxh64.c - the XXH64 hash, written from the xxHash specification (doc/xxhash_spec.md). */
#include "hazmap/xxh64.h"

#include <string.h>

static const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL,
                      P3 = 0x165667B19E3779F9ULL, P4 = 0x85EBCA77C2B2AE63ULL,
                      P5 = 0x27D4EB2F165667C5ULL;

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* The specification reads the input as little-endian words. */
static uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static uint64_t round64(uint64_t acc, uint64_t lane)
{
    return rotl(acc + lane * P2, 31) * P1;
}

static uint64_t merge(uint64_t acc, uint64_t lane)
{
    return (acc ^ round64(0, lane)) * P1 + P4;
}

/* Four accumulators over 32-byte stripes (the spec's steps 1 to 3); *p and *n advance. */
static uint64_t stripes(const unsigned char **p, size_t *n, uint64_t seed)
{
    uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    const unsigned char *q = *p;
    for (; *n >= 32; *n -= 32, q += 32) {
        v[0] = round64(v[0], read64(q));
        v[1] = round64(v[1], read64(q + 8));
        v[2] = round64(v[2], read64(q + 16));
        v[3] = round64(v[3], read64(q + 24));
    }
    *p = q;
    uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
    for (int i = 0; i < 4; i++)
        h = merge(h, v[i]);
    return h;
}

uint64_t xxh64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t len = n;
    uint64_t h = n >= 32 ? stripes(&p, &n, seed) : seed + P5;
    h += len;
    for (; n >= 8; n -= 8, p += 8)
        h = rotl(h ^ round64(0, read64(p)), 27) * P1 + P4;
    if (n >= 4) {
        h = rotl(h ^ read32(p) * P1, 23) * P2 + P3;
        n -= 4;
        p += 4;
    }
    for (; n > 0; n--, p++)
        h = rotl(h ^ *p * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}
