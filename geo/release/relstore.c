/* relstore.c - a release in the store: the table blobs (encoding in release.h) and writing and
 * reading whole releases through store_release_*() (store.h).
 *
 * Blob layout: "HZR1", the number of cells and the length of the varint stream (both uint64
 * little-endian), then that stream compressed by zlib. Suppressed cells are a 0 and nothing else
 * (relimpl.h invariant 2 keeps their values out of memory, this keeps them out of the file). */
#include "relimpl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

enum { HEADER = 20 };

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

hz_status rel_blob_encode(const rel_table *t, unsigned char **out, size_t *len)
{
    *out = NULL;
    size_t cap = t->ncells * 10 + 1, n = 0;
    unsigned char *raw = malloc(cap);
    if (!raw) return HZ_ENOMEM;
    for (size_t c = 0; c < t->ncells; c++) {
        uint64_t v = 0;
        if (!t->suppressed[c]) {
            int64_t x = t->value[c];
            v = (((uint64_t)x << 1) ^ (x < 0 ? UINT64_MAX : 0)) + 1; /* zigzag, then + 1 */
        }
        do {
            raw[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
    }
    uLongf zlen = compressBound((uLong)n);
    unsigned char *blob = malloc(HEADER + zlen);
    if (!blob) {
        free(raw);
        return HZ_ENOMEM;
    }
    memcpy(blob, "HZR1", 4);
    put_u64(blob + 4, t->ncells);
    put_u64(blob + 12, n);
    int zrc = compress2(blob + HEADER, &zlen, raw, (uLong)n, 9);
    free(raw);
    if (zrc != Z_OK) {
        free(blob);
        return HZ_ENOMEM;
    }
    *out = blob;
    *len = HEADER + zlen;
    return HZ_OK;
}

hz_status rel_blob_decode(rel_table *t, const unsigned char *blob, size_t len)
{
    if (len < HEADER || memcmp(blob, "HZR1", 4) != 0 || get_u64(blob + 4) != t->ncells)
        return HZ_EINVAL;
    uint64_t rawlen = get_u64(blob + 12);
    if (rawlen < t->ncells || rawlen > (uint64_t)t->ncells * 10 || rawlen > ULONG_MAX)
        return HZ_EINVAL;
    unsigned char *raw = malloc(rawlen ? rawlen : 1);
    if (!raw) return HZ_ENOMEM;
    uLongf got = (uLongf)rawlen;
    hz_status st = HZ_OK;
    if (uncompress(raw, &got, blob + HEADER, (uLong)(len - HEADER)) != Z_OK || got != rawlen) {
        free(raw);
        return HZ_EINVAL;
    }
    size_t p = 0;
    for (size_t c = 0; c < t->ncells && st == HZ_OK; c++) {
        uint64_t v = 0;
        int shift = 0;
        for (;;) {
            if (p >= rawlen || shift > 63) {
                st = HZ_EINVAL;
                break;
            }
            unsigned char b = raw[p++];
            v |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
        }
        t->suppressed[c] = v == 0;
        v = v ? v - 1 : 0;
        t->value[c] = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    }
    if (st == HZ_OK && p != rawlen) st = HZ_EINVAL;
    free(raw);
    return st;
}

hz_status rel_publish(store *st, rel_release *r, int64_t *id, char *err, size_t errlen)
{
    store_release_blob *blobs = calloc(r->ntables ? r->ntables : 1, sizeof *blobs);
    char *meta = json_dumps(r->meta, JSON_COMPACT | JSON_SORT_KEYS);
    hz_status res = blobs && meta ? HZ_OK : HZ_ENOMEM;
    for (size_t k = 0; k < r->ntables && res == HZ_OK; k++) {
        unsigned char *b;
        blobs[k].name = r->tables[k].name;
        if ((res = rel_blob_encode(&r->tables[k], &b, &blobs[k].len)) == HZ_OK) blobs[k].data = b;
    }
    if (res != HZ_OK) {
        hz_fail(res, err, errlen, "out of memory");
    } else {
        store_release_rec rec = {
            .created_at = json_string_value(json_object_get(r->meta, "created_at")),
            .data_version = json_integer_value(json_object_get(r->meta, "data_version")),
            .metadata = meta};
        res = store_release_put(st, &rec, r->ntables, blobs, id, err, errlen);
        if (res == HZ_OK) r->id = *id;
    }
    for (size_t k = 0; blobs && k < r->ntables; k++)
        free((void *)blobs[k].data);
    free(blobs);
    free(meta);
    return res;
}

/* ---- loading ---- */

typedef struct load_ctx {
    rel_release *r;
    hz_status st;
    size_t decoded;
    char *err;
    size_t errlen;
} load_ctx;

/* Rebuilds table k's description from the metadata's "tables"[k]. */
static hz_status table_from_meta(rel_table *t, const json_t *j)
{
    const json_t *dims = json_object_get(j, "dims"), *shape = json_object_get(j, "shape");
    unsigned long long num, den;
    const char *s2 = json_string_value(json_object_get(j, "sigma2"));
    t->name = json_string_value(json_object_get(j, "name"));
    t->ndims = json_array_size(dims);
    if (!t->name || !s2 || t->ndims == 0 || t->ndims > REL_MAX_DIMS ||
        json_array_size(shape) != t->ndims || sscanf(s2, "%llu/%llu", &num, &den) != 2)
        return HZ_EINVAL;
    t->s2 = (dpn_ratio){num, den};
    t->half95 = json_integer_value(json_object_get(j, "ci95_halfwidth"));
    t->share = json_real_value(json_object_get(j, "share"));
    t->density_grid = json_is_true(json_object_get(j, "density_grid"));
    t->ncells = 1;
    for (size_t d = 0; d < t->ndims; d++) {
        json_int_t n = json_integer_value(json_array_get(shape, d));
        t->dim[d] = json_string_value(json_array_get(dims, d));
        if (!t->dim[d] || n < 0 || n > REL_MAX_CELLS) return HZ_EINVAL;
        t->shape[d] = (size_t)n;
        t->ncells *= t->shape[d];
        if (t->ncells > REL_MAX_CELLS) return HZ_EINVAL;
    }
    return dpn_ratio_valid(t->s2) && t->half95 >= 0 ? rel_table_alloc(t) : HZ_EINVAL;
}

static int load_meta(void *ud, const store_release_rec *rec)
{
    load_ctx *c = ud;
    rel_release *r = c->r;
    r->id = rec->id;
    r->meta = json_loads(rec->metadata, 0, NULL);
    const json_t *tabs = json_object_get(r->meta, "tables");
    r->ntables = json_array_size(tabs);
    r->tables = calloc(r->ntables ? r->ntables : 1, sizeof *r->tables);
    if (!r->meta || !json_is_array(tabs) || !r->tables) {
        r->ntables = 0;
        c->st = hz_fail(r->meta && r->tables ? HZ_EINVAL : HZ_ENOMEM, c->err, c->errlen,
                        "release %lld: unreadable metadata", (long long)rec->id);
        return 1;
    }
    for (size_t k = 0; k < r->ntables; k++)
        if ((c->st = table_from_meta(&r->tables[k], json_array_get(tabs, k))) != HZ_OK) {
            hz_fail(c->st, c->err, c->errlen, "release %lld: table %zu is malformed",
                    (long long)rec->id, k);
            return 1;
        }
    return 0;
}

static int load_blob(void *ud, const store_release_blob *b)
{
    load_ctx *c = ud;
    for (size_t k = 0; k < c->r->ntables; k++) {
        rel_table *t = &c->r->tables[k];
        if (strcmp(t->name, b->name) != 0) continue;
        if ((c->st = rel_blob_decode(t, b->data, b->len)) != HZ_OK) {
            hz_fail(c->st, c->err, c->errlen, "release %lld: table %s is malformed",
                    (long long)c->r->id, b->name);
            return 1;
        }
        c->decoded++;
        return 0;
    }
    return 0; /* a blob the metadata does not list is ignored */
}

hz_status rel_load(store *st, int64_t id, rel_release **out, char *err, size_t errlen)
{
    *out = NULL;
    hz_status res;
    if (id == 0 && (res = store_release_latest(st, &id, err, errlen)) != HZ_OK) return res;
    load_ctx c = {.r = calloc(1, sizeof(rel_release)), .err = err, .errlen = errlen};
    if (!c.r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    res = store_release_get(st, id, load_meta, load_blob, &c, err, errlen);
    if (res == HZ_OK) res = c.st;
    if (res == HZ_OK && c.decoded != c.r->ntables)
        res = hz_fail(HZ_EINVAL, err, errlen, "release %lld: %zu of %zu tables stored",
                      (long long)id, c.decoded, c.r->ntables);
    if (res != HZ_OK) {
        rel_free(c.r);
        return res;
    }
    *out = c.r;
    return HZ_OK;
}
