/* pubmaps.c - the public's maps from the release (pubmaps.h). */
#include "hazmap/pubmaps.h"
#include "hazmap/paging.h"
#include "hazmap/rescache.h"
#include "hazmap/reltile.h"
#include "hazmap/tilecache.h"
#include "hazmap/tileexport.h"
#include "hazmap/tilemath.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int in_list(const char *const *list, const char *k)
{
    for (; list && *list; list++)
        if (strcmp(*list, k) == 0) return 1;
    return 0;
}

int pubmaps_view(hctx *c, const hreq *rq, const char *const *extra, rel_view *v, hresp *rs)
{
    if (app_public_unreleased(c, rs)) return -1;
    rel_view_init(v);
    char err[768];
    for (size_t i = 0; i < rq->nargs; i++) {
        const char *k = rq->args[i].key;
        if (in_list(extra, k)) continue;
        hz_status s = rel_view_set(c->rel, v, k, rq->args[i].value, err, sizeof err);
        if (s == HZ_ENOTFOUND)
            hresp_error(rs, 400, "InvalidParameterValue",
                        "%.64s: the public maps come from the published release and may be asked "
                        "only by " REL_VIEW_PARAMS,
                        k);
        else if (s != HZ_OK)
            hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        if (s != HZ_OK) return -1;
    }
    return 0;
}

/* The view as a query string ("year=2013&injury_group=traffic"; "" for the default). */
static void view_query(const rel_release *r, const rel_view *v, char *buf, size_t n)
{
    const json_t *dims = json_object_get(rel_metadata(r), "dimensions");
    const json_t *years = json_object_get(json_object_get(dims, "year"), "labels");
    size_t used = 0;
    buf[0] = 0;
    for (size_t k = 0; k < json_array_size(years) && k < 32 && used < n; k++)
        if (v->years >> k & 1)
            used += (size_t)snprintf(buf + used, n - used, "year=%s",
                                     json_string_value(json_array_get(years, k)));
    if (v->group >= 0 && used < n) {
        const json_t *labels = json_object_get(json_object_get(dims, v->family), "labels");
        snprintf(buf + used, n - used, "%s%s=%s", used ? "&" : "", v->family,
                 json_string_value(json_array_get(labels, (size_t)v->group)));
    }
}

/* One public tile to render (rescache_render). */
typedef struct tile_job {
    reltile *rt;
    const rel_view *v;
    int z, x, y;
} tile_job;

static hz_status render_tile(void *ud, unsigned char **png, size_t *len, char *err, size_t errlen)
{
    tile_job *j = ud;
    return reltile_png(j->rt, j->v, j->z, j->x, j->y, png, len, err, errlen);
}

/* The cache key of tile z/x/y of view v of release r: the one home of its form. */
static void tile_key(const rel_release *r, const rel_view *v, int z, long x, long y, char *key,
                     size_t n)
{
    char canon[160];
    rel_view_canonical(r, v, canon, sizeof canon);
    snprintf(key, n, "%s/tile/%d/%ld/%ld", canon, z, x, y);
}

void pubmaps_tile(hctx *c, const hreq *rq, int z, long x, long y, hresp *rs)
{
    rel_view v;
    if (pubmaps_view(c, rq, NULL, &v, rs)) return;
    char key[256];
    tile_key(c->rel, &v, z, x, y, key, sizeof key);
    tile_job job = {c->rt, &v, z, (int)x, (int)y};
    rescache_tile(c, rq, key, 300, render_tile, &job, rs);
}

void pubmaps_tilejson(hctx *c, const hreq *rq, hresp *rs)
{
    rel_view v;
    if (pubmaps_view(c, rq, NULL, &v, rs)) return;
    char q[256], err[256];
    view_query(c->rel, &v, q, sizeof q);
    double b[4];
    hz_status s = reltile_bounds(c->rt, b, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    json_t *j = tileexport_tilejson(
        c->base, q, 10, 18, b, c->cfg->basemap_attribution[0] ? c->cfg->basemap_attribution : NULL);
    if (j) json_object_set_new(j, "release", json_integer((json_int_t)rel_id(c->rel)));
    if (!j) {
        app_fail(rs, HZ_ENOMEM, "out of memory");
        return;
    }
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void pubmaps_legend(hctx *c, const hreq *rq, hresp *rs)
{
    rel_view v;
    if (pubmaps_view(c, rq, NULL, &v, rs)) return;
    char err[512], canon[160];
    colorramp_scale scale;
    hz_status s = reltile_scale(c->rt, &v, &scale, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    json_t *j = colorramp_legend_json(&scale, HZ_WEIGHT_COUNT);
    if (!j) {
        app_fail(rs, HZ_ENOMEM, "out of memory");
        return;
    }
    rel_view_canonical(c->rel, &v, canon, sizeof canon);
    json_object_set_new(j, "view", json_string(canon));
    json_object_set_new(j, "release", json_integer((json_int_t)rel_id(c->rel)));
    json_object_set_new(j, "fitted_on",
                        json_pack("{s:s, s:s}", "surface",
                                  "the release's noisy 100 m grid spread with the quartic kernel "
                                  "at the public bandwidth",
                                  "rule",
                                  "1-2-5 series, top break nearest the 99.5th percentile of the "
                                  "surface's non-zero cells, at most 1 % above it"));
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "public, max-age=300");
}

static const char *const kind_names[] = {"blackspots", "hotspots", "emerging"};

static hz_status spots_compute(hctx *c, const rel_view *v, pubmaps_kind kind, json_t **fc,
                               char *err, size_t errlen)
{
    switch (kind) {
    case PUB_HOTSPOTS:
        return rel_hotspots(c->rel, v, c->snap, c->cfg->min_count, fc, err, errlen);
    case PUB_EMERGING:
        return rel_emerging(c->rel, v, c->snap, c->cfg->min_count, fc, err, errlen);
    default:
        return rel_blackspots(c->rel, v, c->cfg->min_count, fc, err, errlen);
    }
}

/* The view's collection of this kind, cached; NULL with rs filled. */
static json_t *spots_fc(hctx *c, const rel_view *v, pubmaps_kind kind, hresp *rs)
{
    char canon[160], key[256], err[512];
    rel_view_canonical(c->rel, v, canon, sizeof canon);
    snprintf(key, sizeof key, "%s/%s", canon, kind_names[kind]);
    json_t *fc = rescache_json(c, key);
    if (fc) return fc;
    hz_status s = spots_compute(c, v, kind, &fc, err, sizeof err);
    if (s == HZ_EINVAL && kind != PUB_BLACKSPOTS) {
        /* a flat grid (say, one empty group): nothing to test is an empty map, not an error */
        s = HZ_OK;
        fc = json_pack("{s:s, s:[], s:{s:I, s:s, s:s}}", "type", "FeatureCollection", "features",
                       "provenance", "release", (json_int_t)rel_id(c->rel), "view", canon, "note",
                       err);
    }
    if (s != HZ_OK || !fc) {
        app_fail(rs, s != HZ_OK ? s : HZ_ENOMEM, err);
        return NULL;
    }
    rescache_store_json(c, key, fc, "application/geo+json");
    return fc;
}

/* The emerging hot spots take every year: a view of one year is a 400. */
static int whole_period(const rel_view *v, pubmaps_kind kind, hresp *rs)
{
    if (kind != PUB_EMERGING || v->years == 0) return 0;
    hresp_error(rs, 400, "InvalidParameterValue",
                "year: the emerging hot spots are a trend over every year of the release");
    return -1;
}

void pubmaps_items(hctx *c, const hreq *rq, hresp *rs, pubmaps_kind kind)
{
    static const char *const paging_args[] = {"f",   "limit",    "offset", "bbox",
                                              "crs", "bbox-crs", NULL};
    static const char *const view_args[] = {"year", "injury_group", "place_group", NULL};
    rel_view v;
    paging_params pg;
    hz_filter f;
    if (pubmaps_view(c, rq, paging_args, &v, rs) || paging_parse(c, rq, &pg, &f, rs, view_args) ||
        whole_period(&v, kind, rs))
        return;
    json_t *fc = spots_fc(c, &v, kind, rs);
    if (fc) paging_send_computed(c, rq, rs, &pg, fc);
}

void pubmaps_item(hctx *c, const char *fid, const hreq *rq, hresp *rs, pubmaps_kind kind)
{
    rel_view v;
    if (pubmaps_view(c, rq, (const char *const[]){"f", NULL}, &v, rs) || whole_period(&v, kind, rs))
        return;
    json_t *fc = spots_fc(c, &v, kind, rs);
    if (fc) paging_send_item(c, rs, fc, fid);
}

size_t pubmaps_prerender(const rel_release *r, reltile *rt, tilecache *tc, int zmin, int zmax,
                         const _Atomic int *stop)
{
    rel_view v;
    rel_view_init(&v);
    double b[4];
    char err[512], key[256];
    if (reltile_bounds(rt, b, err, sizeof err) != HZ_OK) return 0;
    size_t n = 0;
    for (int z = zmin; z <= zmax && !atomic_load(stop); z++) {
        int x0, y0, x1, y1;
        tilemath_tile_range(b, z, &x0, &y0, &x1, &y1);
        for (int y = y0; y <= y1 && !atomic_load(stop); y++)
            for (int x = x0; x <= x1 && !atomic_load(stop); x++) {
                tile_key(r, &v, z, x, y, key, sizeof key);
                unsigned char *png = NULL;
                size_t len = 0;
                if (tilecache_get(tc, key, &png, &len) == HZ_OK) {
                    free(png);
                    continue;
                }
                if (reltile_png(rt, &v, z, x, y, &png, &len, err, sizeof err) != HZ_OK) continue;
                tilecache_put(tc, key, png, len, NULL, 0);
                free(png);
                n++;
            }
    }
    return n;
}
