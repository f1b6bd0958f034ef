/* rescache.c - the cache of computed responses (rescache.h). */
#include "hazmap/rescache.h"
#include "hazmap/tilecache.h"

#include <stdio.h>
#include <string.h>

void rescache_key(const hctx *c, const char *route, const char *canon, char *key, size_t n)
{
    snprintf(key, n, "v%lld/%s/%s/%s", (long long)c->version, route,
             c->role == HZ_ROLE_PUBLIC ? "public" : "full", canon);
}

/* A request offloaded to the pool looks its key up twice (app_offload()): it is counted once,
 * on its first look. */
static void count(const hctx *c, int tile, int hit)
{
    if (c->where != HREQ_POOL) metrics_cache(c->metrics, tile, hit);
}

int rescache_lookup(hctx *c, const char *key, const char *type, hresp *rs)
{
    if (!c->result_cache) return 0;
    unsigned char *data;
    size_t len;
    if (tilecache_get(c->result_cache, key, &data, &len) == HZ_OK) {
        count(c, 0, 1);
        hresp_take(rs, 200, type, data, len);
        return 1;
    }
    count(c, 0, 0);
    return 0;
}

int rescache_borrow(hctx *c, const char *key, tilecache_reader fn, void *ud)
{
    if (!c->result_cache) return 0;
    int hit = tilecache_borrow(c->result_cache, key, fn, ud) == HZ_OK;
    count(c, 0, hit);
    return hit;
}

int rescache_copy(hctx *c, const char *key, unsigned char **data, size_t *len)
{
    if (!c->result_cache) return 0;
    int hit = tilecache_get(c->result_cache, key, data, len) == HZ_OK;
    metrics_cache(c->metrics, 0, hit);
    return hit;
}

void rescache_store_bytes(hctx *c, const char *key, const unsigned char *data, size_t len)
{
    if (c->result_cache) tilecache_put(c->result_cache, key, data, len, NULL, 0);
}

void rescache_store(hctx *c, const char *key, const hresp *rs)
{
    if (c->result_cache && rs->status == 200 && rs->body)
        tilecache_put(c->result_cache, key, rs->body, rs->len, NULL, 0);
}

json_t *rescache_json(hctx *c, const char *key)
{
    hresp cached = {0};
    if (!rescache_lookup(c, key, "application/json", &cached)) return NULL;
    json_t *j = json_loadb((const char *)cached.body, cached.len, 0, NULL);
    hresp_free(&cached);
    return j;
}

void rescache_store_json(hctx *c, const char *key, const json_t *j, const char *type)
{
    hresp tmp = {0};
    hresp_json(&tmp, 200, j, type);
    rescache_store(c, key, &tmp);
    hresp_free(&tmp);
}

static void tile_headers(hresp *rs, const char *etag, int max_age)
{
    char cc[64];
    snprintf(cc, sizeof cc, "public, max-age=%d", max_age);
    hresp_header(rs, "ETag", etag);
    hresp_header(rs, "Cache-Control", cc); /* Vary: set for every R_AUTH route by app.c */
}

void rescache_tile(hctx *c, const hreq *rq, const char *key, int max_age, rescache_render render,
                   void *ud, hresp *rs)
{
    char etag[TILECACHE_ETAG_LEN], err[512];
    tilecache_etag(key, etag);
    if (rq->if_none_match && strstr(rq->if_none_match, etag)) {
        count(c, 1, 1);
        hresp_bytes(rs, 304, "image/png", "", 0);
        tile_headers(rs, etag, max_age);
        return;
    }
    unsigned char *png = NULL;
    size_t len = 0;
    if (tilecache_get(c->tile_cache, key, &png, &len) == HZ_OK) {
        count(c, 1, 1);
    } else {
        count(c, 1, 0);
        if (app_offload(c, rs)) return;
        hz_status s = render(ud, &png, &len, err, sizeof err);
        if (s != HZ_OK) {
            app_fail(rs, s, err);
            return;
        }
        tilecache_put(c->tile_cache, key, png, len, NULL, 0);
    }
    hresp_take(rs, 200, "image/png", png, len);
    tile_headers(rs, etag, max_age);
}
