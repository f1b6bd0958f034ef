/* releases.c - the public releases over HTTP (releases.h). */
#include "hazmap/releases.h"
#include "hazmap/dpnoise.h"
#include "hazmap/oapif.h"
#include "hazmap/release.h"
#include "hazmap/rescache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- listing ---- */

typedef struct list_ctx {
    json_t *arr;
    double rho_total;
    double delta; /* of the newest */
    int64_t last_version;
    const char *base;
    int planner;
} list_ctx;

static int list_cb(void *ud, const store_release_rec *r)
{
    list_ctx *l = ud;
    json_t *m = json_loads(r->metadata, 0, NULL);
    const json_t *p = json_object_get(m, "privacy"), *per = json_object_get(m, "period");
    char href[400];
    snprintf(href, sizeof href, "%s/api/releases/%lld", l->base, (long long)r->id);
    json_t *o =
        json_pack("{s:I, s:s, s:O, s:{s:O, s:O, s:O}, s:s}", "id", (json_int_t)r->id, "created_at",
                  r->created_at, "period", per ? per : json_null(), "privacy", "epsilon",
                  json_object_get(p, "epsilon"), "delta", json_object_get(p, "delta"), "rho",
                  json_object_get(p, "rho"), "href", href);
    if (o && l->planner) json_object_set_new(o, "data_version", json_integer(r->data_version));
    l->rho_total += json_number_value(json_object_get(p, "rho"));
    l->delta = json_number_value(json_object_get(p, "delta"));
    l->last_version = r->data_version;
    json_decref(m);
    return o && !json_array_append_new(l->arr, o) ? 0 : -1;
}

void releases_list(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    char err[512];
    list_ctx l = {json_array(), 0, 0, 0, c->base, c->role != HZ_ROLE_PUBLIC};
    hz_status s = store_release_list(c->st, list_cb, &l, err, sizeof err);
    if (s != HZ_OK) {
        json_decref(l.arr);
        app_fail(rs, s, err);
        return;
    }
    /* zCDP composes by adding rho; the epsilon of the sum at the newest delta (Bun & Steinke
     * 2016, Prop. 1.3), the same conversion as one release's. */
    double eps =
        l.rho_total > 0 && l.delta > 0 ? l.rho_total + 2 * sqrt(l.rho_total * log(1 / l.delta)) : 0;
    json_t *j = json_pack(
        "{s:o, s:{s:f, s:f, s:f, s:s}}", "releases", l.arr, "budget_spent", "rho", l.rho_total,
        "epsilon", eps, "delta", l.delta, "note",
        "every release of the same incidents spends its own budget: zCDP rho adds up over "
        "releases (PRIVACY.md)");
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* ---- one release ---- */

/* Release seg[0] loaded from the store, or NULL with rs filled (404 for none). */
static rel_release *load_release(hctx *c, hresp *rs)
{
    char *end, err[512];
    long long id = strtoll(c->seg[0], &end, 10);
    if (*end || end == c->seg[0] || id <= 0 || strlen(c->seg[0]) > 18) {
        hresp_error(rs, 404, "NotFound", "no release '%.32s'", c->seg[0]);
        return NULL;
    }
    rel_release *r = NULL;
    hz_status s = rel_load(c->st, (int64_t)id, &r, err, sizeof err);
    if (s == HZ_ENOTFOUND)
        hresp_error(rs, 404, "NotFound", "no release %lld", id);
    else if (s != HZ_OK)
        app_fail(rs, s, err);
    return r;
}

static json_t *release_json(const hctx *c, const rel_release *r)
{
    json_t *tables = json_array();
    for (size_t k = 0; k < rel_table_count(r); k++) {
        const rel_table *t = rel_table_at(r, k);
        char href[400];
        snprintf(href, sizeof href, "%s/api/releases/%lld/tables/%s", c->base, (long long)rel_id(r),
                 rel_table_name(t));
        json_array_append_new(tables,
                              json_pack("{s:s, s:I, s:s}", "name", rel_table_name(t), "cells",
                                        (json_int_t)rel_table_cells(t), "href", href));
    }
    return json_pack("{s:I, s:O, s:o}", "id", (json_int_t)rel_id(r), "metadata", rel_metadata(r),
                     "tables", tables);
}

static json_t *table_json(const rel_release *r, const rel_table *t)
{
    json_t *dims = json_array(), *shape = json_array(), *vals = json_array();
    for (size_t d = 0; d < rel_table_ndims(t); d++) {
        json_array_append_new(dims, json_string(rel_table_dim(t, d)));
        json_array_append_new(shape, json_integer((json_int_t)rel_table_shape(t, d)));
    }
    for (size_t k = 0; k < rel_table_cells(t); k++) {
        rel_value v;
        json_array_append_new(vals, rel_table_cell(t, k, &v) ? json_integer(v.value) : json_null());
    }
    return json_pack("{s:I, s:s, s:o, s:o, s:I, s:s, s:o}", "release", (json_int_t)rel_id(r),
                     "table", rel_table_name(t), "dims", dims, "shape", shape, "ci95_halfwidth",
                     (json_int_t)rel_table_half95(t), "order",
                     "row-major, last dimension fastest; null = withheld (below min_count)",
                     "values", vals);
}

/* Answers from the cache under key, or computes with one of the two forms above. */
static void send_release(hctx *c, const rel_release *r, const char *table, const char *key,
                         hresp *rs)
{
    json_t *j = NULL;
    if (!table) {
        j = release_json(c, r);
    } else {
        const rel_table *t = rel_table_find(r, table);
        if (!t) {
            hresp_error(rs, 404, "NotFound", "release %lld has no table '%.64s'",
                        (long long)rel_id(r), table);
            return;
        }
        j = table_json(r, t);
    }
    if (!j) {
        app_fail(rs, HZ_ENOMEM, "out of memory");
        return;
    }
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    rescache_store(c, key, rs);
}

static void release_route(hctx *c, const hreq *rq, hresp *rs, const char *table)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    char key[256];
    snprintf(key, sizeof key, "release/%.32s/%.64s", c->seg[0], table ? table : "");
    if (!rescache_lookup(c, key, "application/json", rs)) {
        rel_release *r = load_release(c, rs);
        if (!r) return;
        send_release(c, r, table, key, rs);
        rel_free(r);
    }
    hresp_header(rs, "Cache-Control", "public, max-age=86400, immutable");
}

void releases_one(hctx *c, const hreq *rq, hresp *rs)
{
    release_route(c, rq, rs, NULL);
}

void releases_table(hctx *c, const hreq *rq, hresp *rs)
{
    release_route(c, rq, rs, c->seg[1]);
}

/* ---- publishing ---- */

hz_status releases_publish(const incset *s, store *st, const srvconf *cfg, int64_t *id, char *err,
                           size_t errlen)
{
    rel_options o;
    rel_options_init(&o);
    o.disclosure = disc_public(cfg->min_count, cfg->min_bandwidth);
    dpn_source *noise = dpn_source_system();
    if (!noise) return hz_fail(HZ_ENOMEM, err, errlen, "cannot set up the noise source");
    rel_release *r = NULL;
    hz_status hs = rel_build(s, &o, noise, &r, err, errlen);
    if (hs == HZ_OK) hs = rel_publish_projects(st, r, s, &o.disclosure, id, err, errlen);
    rel_free(r);
    dpn_source_free(noise);
    return hs;
}

static int latest_cb(void *ud, const store_release_rec *r)
{
    *(int64_t *)ud = r->data_version;
    return 0;
}

hz_status releases_latest_version(store *st, int64_t *version, char *err, size_t errlen)
{
    *version = 0;
    return store_release_list(st, latest_cb, version, err, errlen);
}

void releases_post(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role != HZ_ROLE_PLANNER) {
        hresp_error(rs, c->role == HZ_ROLE_PUBLIC ? 401 : 403,
                    c->role == HZ_ROLE_PUBLIC ? "Unauthorized" : "Forbidden",
                    "publishing a release needs a planner token");
        if (c->role == HZ_ROLE_PUBLIC) hresp_header(rs, "WWW-Authenticate", "Bearer");
        return;
    }
    if (app_check_args(rq, NULL, 0, rs) || app_offload(c, rs)) return;
    char err[512];
    int64_t id = 0;
    hz_status s = releases_publish(c->snap, c->st, c->cfg, &id, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    app_note_release(c->app, id);
    char href[400];
    snprintf(href, sizeof href, "%s/api/releases/%lld", c->base, (long long)id);
    json_t *j = json_pack("{s:I, s:I, s:s}", "id", (json_int_t)id, "data_version",
                          (json_int_t)c->version, "href", href);
    hresp_json(rs, 201, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Location", href);
}
