/* apiroutes.c - the analysis endpoints, the computed collections (hot spots and black spots, paged
 * by paging.c) and /metrics.
 *
 * Every analysis takes the shared filters; the public (no token) gets the same analyses with
 * aggregates hidden by the disclosure policy (disclosure.h) through the modules' *_json() and
 * density bandwidths floored at min_bandwidth. Analysis JSON is cached in memory under a key made
 * of the data version, the route, the audience and the canonical parameters, so a write (which
 * bumps the data version) invalidates it. */
#include "hazmap/apiroutes.h"
#include "hazmap/paging.h"
#include "hazmap/pubmaps.h"
#include "hazmap/pubstats.h"
#include "hazmap/release.h"
#include "hazmap/qparam.h"
#include "hazmap/rescache.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/colorramp.h"
#include "hazmap/tilecache.h"
#include "hazmap/tileexport.h"
#include "hazmap/tilemath.h"
#include "hazmap/tilerender.h"
#include "hazmap/emerging.h"
#include "hazmap/hotspack.h"
#include "hazmap/hotspots.h"
#include "hazmap/blackspots.h"
#include "hazmap/rates.h"
#include "hazmap/density.h"
#include "hazmap/densitystyle.h"
#include "hazmap/htmlpage.h"
#include "hazmap/evaluate.h"
#include "hazmap/hztime.h"
#include "hazmap/linkage_db.h"

void apiroutes_metrics(hctx *c, const hreq *rq, hresp *rs)
{
    char err[256];
    if (hreq_check_args(rq, NULL, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    size_t len = 0;
    char *text = metrics_render(c->metrics, app_snapshot_scans(c->app), &len);
    /* the replica's view of the store (app.c invariant 7) */
    size_t areas = 0, incidents = 0;
    int64_t version = 0;
    app_counts(c->app, &areas, &incidents, &version);
    unsigned long long lrows, lfile, ldelta;
    app_snapshot_loads(c->app, &lrows, &lfile, &ldelta);
    char more[1024];
    int n =
        snprintf(more, sizeof more,
                 "# HELP hazmap_store_changes_total Commits to the store (by any process) the "
                 "change watcher handed on.\n"
                 "# TYPE hazmap_store_changes_total counter\n"
                 "hazmap_store_changes_total %llu\n"
                 "# HELP hazmap_data_version The data version of the snapshot being served.\n"
                 "# TYPE hazmap_data_version gauge\n"
                 "hazmap_data_version %lld\n"
                 "# HELP hazmap_snapshot_loads_total Snapshots loaded: from the store's rows, "
                 "from the snapshot file, or from the previous one and the rows written since.\n"
                 "# TYPE hazmap_snapshot_loads_total counter\n"
                 "hazmap_snapshot_loads_total{from=\"rows\"} %llu\n"
                 "hazmap_snapshot_loads_total{from=\"file\"} %llu\n"
                 "hazmap_snapshot_loads_total{from=\"delta\"} %llu\n",
                 app_store_changes(c->app), (long long)version, lrows, lfile, ldelta);
    char *all =
        text && n > 0 && (size_t)n < sizeof more ? realloc(text, len + (size_t)n + 1) : NULL;
    if (all) {
        memcpy(all + len, more, (size_t)n + 1);
        len += (size_t)n;
        text = all;
    }
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    hresp_take(rs, 200, "text/plain; version=0.0.4; charset=utf-8", (unsigned char *)text, len);
    hresp_header(rs, "Cache-Control", "no-store");
}

/* ---- shared helpers ---- */

static int bad_args(const hreq *rq, const char *const *allowed, int filters, hresp *rs)
{
    char err[256];
    if (hreq_check_args(rq, allowed, filters, err, sizeof err) == HZ_OK) return 0;
    hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
    return 1;
}

/* Server-side work limits for everyone: a hot-spot lattice of at most SERVER_MAX_HOTSPOT_CELLS
 * cells and a band of at most SERVER_MAX_BAND_RATIO cell sizes (prefix sums cost 2 x ratio + 1
 * row sums per cell: at most ~5e7 for a request, well under 2 s). What the public may see is
 * decided by the disclosure policy (disclosure.h, app_disclosure()). */
enum { SERVER_MAX_HOTSPOT_CELLS = 250000, SERVER_MAX_EMERGING_BINS = 2000000 };
#define SERVER_MAX_BAND_RATIO 100.0

/* Sends j (consumed) or the failure of s. */
static void send_result(hresp *rs, hz_status s, json_t *j, const char *type, const char *err)
{
    if (s != HZ_OK || !j) {
        json_decref(j);
        app_fail(rs, s != HZ_OK ? s : HZ_ENOMEM, err);
        return;
    }
    hresp_json(rs, 200, j, type);
    json_decref(j);
}

/* ---- hot spots ---- */

static const char *const hotspot_args[] = {"cell", "shape", "band", "star", NULL};

/* Parses the hot-spot parameters; "weights" is binary|row here, else the filter's severity
 * weights. canon receives a canonical form for the cache key. */
static int hotspot_params(hctx *c, const hreq *rq, hz_filter *f, hotspots_params *hp, char *canon,
                          size_t n, hresp *rs)
{
    hotspots_params_init(hp);
    char err[512];
    const char *v;
    hz_status s = HZ_OK;
    filter_init(f);
    for (size_t i = 0; i < rq->nargs && s == HZ_OK; i++) {
        const char *k = rq->args[i].key;
        v = rq->args[i].value;
        if (strcmp(k, "weights") == 0 && (!strcmp(v, "binary") || !strcmp(v, "row")))
            hotspots_weights_parse(v, &hp->weights);
        else if (filter_is_param(k))
            s = filter_set(f, k, v, err, sizeof err);
    }
    if (s == HZ_OK && (v = hreq_arg_get(rq, "cell")) && strcmp(v, "auto"))
        s = qparam_double("cell", v, 1, 100000, &hp->cell, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "band")) && strcmp(v, "auto")) {
        if (strcmp(v, "contiguity") == 0)
            hp->contiguity = 1;
        else
            s = qparam_double("band", v, 1, 1000000, &hp->band, err, sizeof err);
    }
    if (s == HZ_OK && (v = hreq_arg_get(rq, "shape")) && hotspots_shape_parse(v, &hp->shape))
        s = hz_fail(HZ_EINVAL, err, sizeof err, "shape: '%.32s' is not square or hex", v);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "star"))) {
        long star;
        s = qparam_long("star", v, 0, 1, &star, err, sizeof err);
        hp->star = (int)star;
    }
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    if (f->area[0] && incset_area_find(c->snap, f->area) < 0) {
        hresp_error(rs, 400, "InvalidParameterValue", "area: no area with code '%.64s'", f->area);
        return -1;
    }
    hp->max_cells = SERVER_MAX_HOTSPOT_CELLS;
    hp->max_band_ratio = SERVER_MAX_BAND_RATIO;
    hp->disclosure = app_disclosure(c);
    char fc[1024];
    filter_canonical(f, fc, sizeof fc);
    snprintf(canon, n, "%s|cell=%g|band=%g|cont=%d|shape=%d|w=%d|star=%d", fc, hp->cell, hp->band,
             hp->contiguity, hp->shape, hp->weights, hp->star);
    return 0;
}

/* One view of a computed collection: its parameters and the key of its result in the cache
 * (key2: the key of a sibling collection computed with it, "" for none). */
typedef struct spots_view {
    hz_filter f;
    hotspots_params hp;
    blackspots_params bp;
    emerging_params ep;
    int series;
    char key[1600], key2[1600];
} spots_view;

/* Parses the request's view of a collection into v (f0: an items request's filter, whose dates
 * narrow the view; NULL for one item); 0, or -1 with rs filled. */
typedef int (*view_parse)(hctx *c, const hreq *rq, const hz_filter *f0, int one, spots_view *v,
                          hresp *rs);
/* Computes the view's FeatureCollection (new reference), and the sibling's into *sibling when
 * the view has one; NULL with rs filled on failure. */
typedef json_t *(*view_compute)(hctx *c, const spots_view *v, json_t **sibling, hresp *rs);
/* Or computes the view straight into its packed form (paging_pack()): *blob (malloc'd), *len;
 * -1 with rs filled on failure. For the views too large for a FeatureCollection tree. */
typedef int (*view_pack)(hctx *c, const spots_view *v, unsigned char **blob, size_t *len,
                         hresp *rs);

static int hotspots_view(hctx *c, const hreq *rq, const hz_filter *f0, int one, spots_view *v,
                         hresp *rs)
{
    (void)one;
    char canon[1400];
    if (hotspot_params(c, rq, &v->f, &v->hp, canon, sizeof canon, rs)) return -1;
    /* datetime of an items request narrows the filter */
    if (f0) {
        v->f.from = f0->from;
        v->f.to = f0->to;
        snprintf(canon + strlen(canon), sizeof canon - strlen(canon), "|%lld-%lld",
                 (long long)v->f.from, (long long)v->f.to);
    }
    rescache_key(c, "hotspots", canon, v->key, sizeof v->key);
    v->key2[0] = 0;
    return 0;
}

static int hotspots_view_pack(hctx *c, const spots_view *v, unsigned char **blob, size_t *len,
                              hresp *rs)
{
    char err[512], why[1024];
    hotspots_result *r = NULL;
    hz_status s = hotspots_run(c->snap, &v->f, &v->hp, &r, why, sizeof why, err, sizeof err);
    if (s == HZ_EINVAL) {
        /* Parameters were checked above: this is the data (no incidents, too few cells).
         * An empty collection that says why is more useful to a map than an error. */
        json_t *fc = json_pack("{s:s, s:[], s:{s:s}}", "type", "FeatureCollection", "features",
                               "provenance", "note", err);
        int rc = fc ? paging_pack(fc, blob, len) : -1;
        json_decref(fc);
        if (rc) app_fail(rs, HZ_ENOMEM, "out of memory");
        return rc;
    }
    if (s == HZ_OK) {
        disc_policy pol = app_disclosure(c);
        s = hotspack_pack(r, &pol, blob, len, err, sizeof err);
    }
    hotspots_free(r);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return -1;
    }
    return 0;
}

/* ---- black spots ---- */

static const char *const blackspot_args[] = {"eps", "min_points", NULL};

/* The black spots and their hulls are one computation: either view stores both. */
static int blackspots_view_of(hctx *c, const hreq *rq, const hz_filter *f0, spots_view *v,
                              int hulls, hresp *rs)
{
    if (app_request_filter(c, rq, &v->f, rs)) return -1;
    if (f0) {
        v->f.from = f0->from;
        v->f.to = f0->to;
    }
    blackspots_params *bp = &v->bp;
    blackspots_params_init(bp);
    bp->max_work = (double)c->cfg->blackspots_max_work;
    char err[512];
    const char *val;
    hz_status s = HZ_OK;
    if ((val = hreq_arg_get(rq, "eps")))
        s = qparam_double("eps", val, 1, 5000, &bp->eps, err, sizeof err);
    if (s == HZ_OK && (val = hreq_arg_get(rq, "min_points")) && strcmp(val, "auto") != 0) {
        long mp;
        s = qparam_long("min_points", val, 2, 100000, &mp, err, sizeof err);
        bp->min_points = (int)mp;
    }
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    char fcanon[1024], canon[1400];
    filter_canonical(&v->f, fcanon, sizeof fcanon);
    snprintf(canon, sizeof canon, "%s|eps=%g|mp=%d|%lld-%lld", fcanon, bp->eps, bp->min_points,
             (long long)v->f.from, (long long)v->f.to);
    rescache_key(c, hulls ? "blackspot_hulls" : "blackspots", canon, v->key, sizeof v->key);
    rescache_key(c, hulls ? "blackspots" : "blackspot_hulls", canon, v->key2, sizeof v->key2);
    return 0;
}

static int blackspots_view(hctx *c, const hreq *rq, const hz_filter *f0, int one, spots_view *v,
                           hresp *rs)
{
    (void)one;
    return blackspots_view_of(c, rq, f0, v, 0, rs);
}

static int hulls_view(hctx *c, const hreq *rq, const hz_filter *f0, int one, spots_view *v,
                      hresp *rs)
{
    (void)one;
    return blackspots_view_of(c, rq, f0, v, 1, rs);
}

/* The hulls of the black spots fc (borrowed): each feature with its hull as the geometry and
 * the same properties less the hull (a suppressed one keeps its null geometry). */
static json_t *hulls_of(const json_t *fc)
{
    json_t *out = json_deep_copy(fc);
    json_t *all = json_object_get(out, "features");
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *f = json_array_get(all, i), *p = json_object_get(f, "properties");
        json_t *hull = json_object_get(p, "hull");
        if (!hull) continue;
        json_object_set(f, "geometry", hull);
        json_object_del(p, "hull");
    }
    return out;
}

static json_t *blackspots_compute_both(hctx *c, const spots_view *v, json_t **points,
                                       json_t **hulls, hresp *rs)
{
    char err[512];
    blackspots_result *r = NULL;
    json_t *fc = NULL;
    hz_status s = blackspots_compute(c->snap, &v->f, &v->bp, &r, err, sizeof err);
    disc_policy pol = app_disclosure(c);
    if (s == HZ_OK) s = blackspots_geojson(r, &pol, &fc, err, sizeof err);
    blackspots_free(r);
    if (s == HZ_OK && !(*hulls = hulls_of(fc))) s = hz_fail(HZ_ENOMEM, err, sizeof err, "OOM");
    if (s != HZ_OK) {
        json_decref(fc);
        app_fail(rs, s, err);
        return NULL;
    }
    *points = fc;
    return fc;
}

static json_t *blackspots_compute_points(hctx *c, const spots_view *v, json_t **sibling, hresp *rs)
{
    json_t *points = NULL;
    return blackspots_compute_both(c, v, &points, sibling, rs);
}

static json_t *hulls_compute(hctx *c, const spots_view *v, json_t **sibling, hresp *rs)
{
    json_t *hulls = NULL;
    if (!blackspots_compute_both(c, v, sibling, &hulls, rs)) return NULL;
    return hulls;
}

/* /api/blackspots is the black-spot collection's items: paged and capped like every collection
 * (limit 100 by default, at most 10,000), the ranking in feature order. */
void apiroutes_blackspots(hctx *c, const hreq *rq, hresp *rs)
{
    apiroutes_blackspots_items(c, rq, rs);
    htmlpage_convert(c, rq, rs, "Black spots"); /* f=html, as the collection's items */
}

/* ---- emerging hot spots ---- */

static const char *const emerging_args[] = {"cell", "shape", "band", "step", "time_lag", NULL};

/* Parses the emerging parameters (the hot-spot ones and step, time_lag) into *ep and the filter,
 * and their canonical form into canon. 0, or -1 with rs filled. */
static int emerging_params_of(hctx *c, const hreq *rq, hz_filter *f, emerging_params *ep,
                              char *canon, size_t n, hresp *rs)
{
    emerging_params_init(ep);
    if (hotspot_params(c, rq, f, &ep->space, canon, n, rs)) return -1;
    char err[256];
    const char *v;
    if ((v = hreq_arg_get(rq, "step")) && ts_unit_parse(v, &ep->step)) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "step: '%.32s' is not week, month, quarter or year", v);
        return -1;
    }
    long lag;
    if ((v = hreq_arg_get(rq, "time_lag"))) {
        if (qparam_long("time_lag", v, 0, 52, &lag, err, sizeof err) != HZ_OK) {
            hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
            return -1;
        }
        ep->time_lag = (int)lag;
    }
    ep->max_bins = SERVER_MAX_EMERGING_BINS;
    size_t l = strlen(canon);
    snprintf(canon + l, n - l, "|step=%d|lag=%d", ep->step, ep->time_lag);
    return 0;
}

/* The emerging collection of a view: with each cell's series for one item (a click's chart),
 * without for the items (a map's worth). A period the data cannot meet (emerging_period(): past
 * the data's span, no whole step) is a 400 before any work; a filter that leaves nothing to test
 * is an empty collection that says why, as for hot spots. */
static int emerging_view(hctx *c, const hreq *rq, const hz_filter *f0, int one, spots_view *v,
                         hresp *rs)
{
    char canon[1400];
    if (emerging_params_of(c, rq, &v->f, &v->ep, canon, sizeof canon, rs)) return -1;
    if (f0) {
        v->f.from = f0->from;
        v->f.to = f0->to;
    }
    v->series = one;
    char err[512];
    int64_t first, last, t0, t1;
    incset_time_span(c->snap, &t0, &t1);
    hz_status s = t0 == INT64_MIN
                      ? HZ_OK /* no date at all: the empty answer says so */
                      : emerging_period(c->snap, &v->f, v->ep.step, &first, &last, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return -1;
    }
    size_t l = strlen(canon);
    snprintf(canon + l, sizeof canon - l, "|%lld-%lld|s%d", (long long)v->f.from,
             (long long)v->f.to, one);
    rescache_key(c, "emerging", canon, v->key, sizeof v->key);
    v->key2[0] = 0;
    return 0;
}

static json_t *emerging_view_compute(hctx *c, const spots_view *v, json_t **sibling, hresp *rs)
{
    (void)sibling;
    char err[512], why[2048];
    emerging_result *r = NULL;
    json_t *fc = NULL;
    hz_status s = emerging_run(c->snap, &v->f, &v->ep, &r, why, sizeof why, err, sizeof err);
    if (s == HZ_EINVAL) {
        fc = json_pack("{s:s, s:[], s:{s:s}}", "type", "FeatureCollection", "features",
                       "provenance", "note", err);
    } else if (s == HZ_OK) {
        disc_policy pol = app_disclosure(c);
        s = emerging_geojson(r, &pol, v->series, &fc, err, sizeof err);
    }
    emerging_free(r);
    if (s != HZ_OK && s != HZ_EINVAL) {
        app_fail(rs, s, err);
        return NULL;
    }
    if (!fc) app_fail(rs, HZ_ENOMEM, "out of memory");
    return fc;
}

/* A computed collection: its own parameters besides the filters, how a request names its view,
 * and how the view is computed; name labels its computations in /metrics. */
typedef struct computed_kind {
    const char *name;
    const char *const *args;
    view_parse parse;
    view_compute compute; /* one of compute and pack */
    view_pack pack;
} computed_kind;

/* Where a page or an item of a packed result goes (the result cache's reader). */
typedef struct page_job {
    hctx *c;
    const hreq *rq;
    hresp *rs;
    const paging_params *pg; /* NULL: one item */
    const char *fid;
    int crs; /* an item's crs (a page's is pg's) */
} page_job;

static void page_from(void *ud, const unsigned char *blob, size_t len)
{
    page_job *j = ud;
    if (j->pg)
        paging_send_packed(j->c, j->rq, j->rs, j->pg, blob, len);
    else
        paging_send_packed_item(j->c, j->rs, blob, len, j->fid, j->crs);
}

/* Packs fc (consumed) and keeps it under key. -1 on OOM. */
static int keep_packed(hctx *c, const char *key, json_t *fc)
{
    unsigned char *b = NULL;
    size_t n = 0;
    int rc = paging_pack(fc, &b, &n);
    json_decref(fc);
    if (rc) return -1;
    rescache_store_bytes(c, key, b, n);
    free(b);
    return 0;
}

/* Computes k's view v in its packed form (paging_pack()): *blob (malloc'd) and *len; a sibling
 * view computed with it is kept under v->key2. -1 with rs filled. */
static int compute_packed(hctx *c, const computed_kind *k, const spots_view *v,
                          unsigned char **blob, size_t *len, hresp *rs)
{
    if (k->pack) return k->pack(c, v, blob, len, rs);
    json_t *sibling = NULL, *fc = k->compute(c, v, &sibling, rs);
    if (!fc) return -1;
    int rc = paging_pack(fc, blob, len);
    json_decref(fc);
    if (sibling && (rc || !v->key2[0]))
        json_decref(sibling);
    else if (sibling && keep_packed(c, v->key2, sibling)) {
        free(*blob);
        rc = -1;
    }
    if (rc) hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
    return rc;
}

/* The one path of every computed collection's pages and items: a view is computed once (counted
 * in /metrics as hazmap_analysis_computations_total), packed into the result cache, and every
 * page or item of it is then read from the cache in O(page) (paging_send_packed()). */
static void computed_serve(hctx *c, const hreq *rq, hresp *rs, const computed_kind *k,
                           const paging_params *pg, const hz_filter *f0, const char *fid)
{
    spots_view v;
    page_job job = {c, rq, rs, pg, fid, 0};
    if (k->parse(c, rq, f0, fid != NULL, &v, rs) || (!pg && paging_crs(c, rq, &job.crs, rs)))
        return;
    /* A download or another CRS is seconds of OGR or PROJ work for a large view: it runs on the
     * analysis pool, from a copy of the view, not under the cache's lock as a page does. */
    int heavy = (pg && (pg->format != PAGING_GEOJSON || pg->crs)) || job.crs;
    if (heavy) {
        unsigned char *copy;
        size_t n;
        if (app_offload(c, rs)) return;
        if (rescache_copy(c, v.key, &copy, &n)) {
            page_from(&job, copy, n);
            free(copy);
            return;
        }
    } else if (rescache_borrow(c, v.key, page_from, &job)) {
        return;
    }
    if (app_offload(c, rs)) return;
    unsigned char *blob = NULL;
    size_t len = 0;
    if (compute_packed(c, k, &v, &blob, &len, rs)) return;
    metrics_computation(c->metrics, k->name);
    rescache_store_bytes(c, v.key, blob, len);
    page_from(&job, blob, len);
    free(blob);
}

static void computed_items(hctx *c, const hreq *rq, hresp *rs, const computed_kind *k)
{
    paging_params pg;
    hz_filter f;
    if (paging_parse(c, rq, &pg, &f, rs, k->args)) return;
    computed_serve(c, rq, rs, k, &pg, &f, NULL);
}

static void computed_item(hctx *c, const char *fid, const hreq *rq, hresp *rs,
                          const computed_kind *k)
{
    const char *allowed[APP_MAX_ARGS + 1];
    int n = 0;
    for (const char *const *a = k->args; *a; a++)
        allowed[n++] = *a;
    allowed[n++] = "crs";
    allowed[n] = NULL;
    if (app_check_args(rq, allowed, 1, rs)) return;
    computed_serve(c, rq, rs, k, NULL, NULL, fid);
}

/* ---- statistics ---- */

/* Computes the statistics of f grouped by `by` into rs as JSON (fmt 0) or CSV (fmt 1),
 * counting linked events once unless f counts records (filter.h; the snapshot's event map). */
static void stats_compute(hctx *c, const hz_filter *f, unsigned by, int fmt, hresp *rs)
{
    char err[512];
    disc_policy pol = app_disclosure(c);
    rates_result *r = NULL;
    size_t nevents = 0;
    const uint32_t *event = f->count_records ? NULL : incset_events(c->snap, &nevents);
    hz_status s = rates_compute_events(c->snap, f, by, event, nevents, &r, err, sizeof err);
    if (s == HZ_OK && fmt == 1) {
        char *csv = NULL;
        size_t len = 0;
        s = rates_csv(r, &pol, &csv, &len, err, sizeof err);
        if (s == HZ_OK) hresp_take(rs, 200, "text/csv; charset=utf-8", (unsigned char *)csv, len);
    } else if (s == HZ_OK) {
        json_t *j = NULL;
        s = rates_json(r, &pol, &j, err, sizeof err);
        if (s == HZ_OK) send_result(rs, s, j, "application/json", err);
    }
    rates_free(r);
    if (s != HZ_OK) app_fail(rs, s, err);
}

void apiroutes_stats(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubstats_handle(c, rq, rs);
        return;
    }
    static const char *const allowed[] = {"by", "format", NULL};
    if (bad_args(rq, allowed, 1, rs)) return;
    hz_filter f;
    if (app_request_filter(c, rq, &f, rs)) return;
    char err[512];
    unsigned by = RATES_BY_AREA;
    const char *v = hreq_arg_get(rq, "by");
    if (v && rates_parse_by(v, &by, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "by: %s", err);
        return;
    }
    static const char *const formats[] = {"json", "csv", NULL};
    int fmt = 0;
    v = hreq_arg_get(rq, "format");
    if (v && qparam_enum("format", v, formats, &fmt, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    /* count (filter.h): events (linked records once) by default when the store has links */
    char fc[1024], canon[1200], key[1400];
    filter_canonical(&f, fc, sizeof fc);
    snprintf(canon, sizeof canon, "%s|by=%u|fmt=%d", fc, by, fmt);
    rescache_key(c, "stats", canon, key, sizeof key);
    const char *type = fmt == 1 ? "text/csv; charset=utf-8" : "application/json";
    if (!rescache_lookup(c, key, type, rs)) {
        if (app_offload(c, rs)) return;
        stats_compute(c, &f, by, fmt, rs);
        rescache_store(c, key, rs);
    }
    if (fmt == 1 && rs->status == 200)
        hresp_header(rs, "Content-Disposition", "attachment; filename=\"hazmap-stats.csv\"");
}

/* ---- before/after evaluation ---- */

void apiroutes_evaluate(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubstats_evaluate(c, rq, rs);
        return;
    }
    static const char *const allowed[] = {"start", "before_days", "after_days", "compare", NULL};
    if (bad_args(rq, allowed, 1, rs)) return;
    hz_filter f;
    if (app_request_filter(c, rq, &f, rs)) return;
    char err[512];
    const char *start = hreq_arg_get(rq, "start"), *v;
    if (!f.area[0] || !start) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "area=CODE and start=YYYY-MM-DD are required");
        return;
    }
    int64_t t0;
    if (hztime_parse_iso(start, HZ_TZ_SHANGHAI, &t0) != 0) {
        hresp_error(rs, 400, "InvalidParameterValue", "start: '%.64s' is not a date", start);
        return;
    }
    long before = 365, after = 365;
    hz_status s = HZ_OK;
    if ((v = hreq_arg_get(rq, "before_days")))
        s = qparam_long("before_days", v, 1, 36600, &before, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "after_days")))
        s = qparam_long("after_days", v, 1, 36600, &after, err, sizeof err);
    const char *compare = hreq_arg_get(rq, "compare");
    if (s == HZ_OK && compare && incset_area_find(c->snap, compare) < 0)
        s = hz_fail(HZ_EINVAL, err, sizeof err, "compare: no area with code '%.64s'", compare);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    char fc[1024], canon[1300], key[1500];
    filter_canonical(&f, fc, sizeof fc);
    snprintf(canon, sizeof canon, "%s|t0=%lld|b=%ld|a=%ld|cmp=%s", fc, (long long)t0, before, after,
             compare ? compare : "");
    rescache_key(c, "evaluate", canon, key, sizeof key);
    if (!rescache_lookup(c, key, "application/json", rs)) {
        if (app_offload(c, rs)) return;
        evaluate_result r;
        json_t *j = NULL;
        s = evaluate_run(c->snap, &f, f.area, compare, t0, (int)before, (int)after, &r, err,
                         sizeof err);
        disc_policy pol = app_disclosure(c);
        if (s == HZ_OK) s = evaluate_json(&r, &pol, &j, err, sizeof err);
        send_result(rs, s, j, "application/json", err);
        rescache_store(c, key, rs);
    }
}

/* ---- density tiles ---- */

static hz_status tile_set(void *p, const char *k, const char *v, char *err, size_t errlen)
{
    return tilerender_params_set(p, k, v, err, errlen);
}

/* Parses the tile parameters (filters, kernel, bandwidth); the public gets the floor. */
static int tile_params_of(hctx *c, const hreq *rq, tile_params *p, hresp *rs)
{
    tilerender_params_init(p);
    p->disclosure = app_disclosure(c);
    return app_apply_args(c, rq, tile_set, p, &p->filter, rs);
}

/* One planner tile to render (rescache_render). */
typedef struct tile_job {
    tilerender *tr;
    const tile_params *p;
    int z, x, y;
} tile_job;

static hz_status render_tile(void *ud, unsigned char **png, size_t *len, char *err, size_t errlen)
{
    tile_job *j = ud;
    return tilerender_png(j->tr, j->p, j->z, j->x, j->y, png, len, NULL, err, errlen);
}

void apiroutes_tile(hctx *c, const hreq *rq, hresp *rs)
{
    int z;
    long x, y;
    if (tilemath_parse_zxy(c->seg[0], c->seg[1], c->seg[2], ".png", &z, &x, &y)) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "tile: /tiles/density/{z}/{x}/{y}.png with z 0..%d and x, y 0..2^z-1",
                    TILEMATH_MAXZOOM);
        return;
    }
    if (c->role == HZ_ROLE_PUBLIC) {
        pubmaps_tile(c, rq, (int)z, x, y, rs);
        return;
    }
    tile_params p;
    if (tile_params_of(c, rq, &p, rs)) return;
    char err[512];
    tile_view view;
    hz_status vs = tilerender_view(c->tr, &p, &view, err, sizeof err);
    if (vs != HZ_OK) {
        app_fail(rs, vs, err);
        return;
    }
    char key[2048];
    tilerender_cache_key(c->tr, &p, &view, (int)z, (int)x, (int)y, key, sizeof key);
    tile_job job = {c->tr, &p, (int)z, (int)x, (int)y};
    rescache_tile(c, rq, key, 60, render_tile, &job, rs);
}

void apiroutes_tilejson(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubmaps_tilejson(c, rq, rs);
        return;
    }
    tile_params p;
    if (tile_params_of(c, rq, &p, rs)) return;
    char q[2048];
    tilerender_params_canonical(&p, q, sizeof q);
    double b[4];
    if (tileexport_bounds(c->snap, b) != HZ_OK) {
        b[0] = -180;
        b[1] = -85;
        b[2] = 180;
        b[3] = 85;
    }
    json_t *j = tileexport_tilejson(
        c->base, q, 10, 18, b, c->cfg->basemap_attribution[0] ? c->cfg->basemap_attribution : NULL);
    send_result(rs, j ? HZ_OK : HZ_ENOMEM, j, "application/json", "out of memory");
}

/* The legend of one view: the same parameters as its tiles give the breaks every tile of the
 * view is classed by. */
void apiroutes_legend(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubmaps_legend(c, rq, rs);
        return;
    }
    tile_params p;
    if (tile_params_of(c, rq, &p, rs)) return;
    char err[512];
    tile_view view;
    hz_status s = tilerender_view(c->tr, &p, &view, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    json_t *j = colorramp_legend_json(&view.scale, p.filter.weight);
    if (j) {
        char q[2048];
        tilerender_params_canonical(&p, q, sizeof q);
        json_object_set_new(j, "view", json_string(q));
        json_object_set_new(j, "data_version", json_integer((json_int_t)c->version));
        json_object_set_new(j, "fitted_on",
                            json_pack("{s:f, s:s}", "reference_cell_m", view.ref_cell, "rule",
                                      "1-2-5 series, top break nearest the 99.5th percentile of "
                                      "the non-zero reference cells, at most 1 % above it"));
        json_object_set_new(json_object_get(j, "fitted_on"), "top_share",
                            json_real(view.top_share));
        json_object_set_new(j, "without_point", json_integer((json_int_t)view.without_point));
    }
    send_result(rs, j ? HZ_OK : HZ_ENOMEM, j, "application/json", "out of memory");
    hresp_header(rs, "Cache-Control", "public, max-age=60");
}

/* ---- GeoTIFF download ---- */

/* A download is one request's worth of work: the grid is capped well below the CLI's limit. */
enum { SERVER_MAX_DENSITY_CELLS = 2000000 };
/* ... and of work (kde_work() units, about 3 ns each on one core): a few seconds on two cores.
 * 1M incidents with a 500 m quartic kernel on 10 m cells is 4e8; a 100 km Gaussian on 590 m
 * cells over the sample, which took two minutes before this limit, is 8e10. */
#define SERVER_MAX_DENSITY_WORK 3e9

/* f of /api/density.tif: 0 for the GeoTIFF (tif, the default), 1 for the ZIP of the GeoTIFF,
 * its QGIS style and its legend (zip); -1 with a 400 in rs. */
static int tif_format(const hreq *rq, hresp *rs)
{
    const char *f = hreq_arg_get(rq, "f");
    if (!f || strcmp(f, "tif") == 0) return 0;
    if (strcmp(f, "zip") == 0) return 1;
    hresp_error(rs, 400, "InvalidParameterValue",
                "f: '%.32s' is not tif (the GeoTIFF) or zip (the GeoTIFF, its QGIS style and "
                "legend)",
                f);
    return -1;
}

/* The ZIP of f=zip: hazmap-density.tif, hazmap-density.qml and hazmap-density.legend.json. */
static hz_status styled_zip(const unsigned char *tif, size_t tiflen, const colorramp_scale *sc,
                            hz_weight_mode mode, unsigned char **zip, size_t *ziplen, char *err,
                            size_t errlen)
{
    char *qml = densitystyle_qml(sc, mode);
    json_t *legend = colorramp_legend_json(sc, mode);
    char *lj = legend ? json_dumps(legend, JSON_INDENT(2)) : NULL;
    json_decref(legend);
    hz_status s = HZ_ENOMEM;
    if (qml && lj) {
        const densitystyle_file files[] = {{"hazmap-density.tif", tif, tiflen},
                                           {"hazmap-density.qml", qml, strlen(qml)},
                                           {"hazmap-density.legend.json", lj, strlen(lj)}};
        s = densitystyle_zip(files, 3, zip, ziplen, err, errlen);
    } else {
        hz_fail(s, err, errlen, "out of memory");
    }
    free(qml);
    free(lj);
    return s;
}

/* The GeoTIFF of density r (consumed; s and err are how computing it went), its band carrying
 * the legend fitted to it (densitystyle.h), or with zip its ZIP with the QML and legend, into
 * rs, stored in the result cache under key. Non-zero, with rs holding the error, on failure. */
static int send_geotiff(hctx *c, const char *key, hz_status s, density_result *r,
                        hz_weight_mode mode, int zip, char *err, size_t errlen, hresp *rs)
{
    unsigned char *buf = NULL, *z = NULL;
    size_t len = 0, zlen = 0;
    colorramp_scale sc;
    char **meta = NULL;
    if (s == HZ_OK) s = densitystyle_fit(r, &sc, err, errlen);
    if (s == HZ_OK && !(meta = densitystyle_band_meta(&sc, mode, "hazmap-density.qml")))
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (s == HZ_OK)
        s = density_geotiff_bytes(r, (const char *const *)meta, &buf, &len, err, errlen);
    densitystyle_meta_free(meta);
    density_result_free(r);
    if (s == HZ_OK && zip) {
        s = styled_zip(buf, len, &sc, mode, &z, &zlen, err, errlen);
        free(buf);
        buf = z;
        len = zlen;
    }
    if (s != HZ_OK) {
        free(buf);
        app_fail(rs, s, err);
        return -1;
    }
    hresp_take(rs, 200, zip ? "application/zip" : "image/tiff", buf, len);
    rescache_store(c, key, rs);
    return 0;
}

static void tif_disposition(hresp *rs, int zip)
{
    hresp_header(rs, "Content-Disposition",
                 zip ? "attachment; filename=\"hazmap-density.zip\""
                     : "attachment; filename=\"hazmap-density.tif\"");
}

/* The public's GeoTIFF: the release's grid, smoothed (rel_density()). Parameters: year (a label
 * of the release, or all), and at most one of injury_group, place_group; f. */
static void public_density_tif(hctx *c, const hreq *rq, hresp *rs)
{
    static const char *const extra[] = {"f", NULL};
    rel_view v;
    int zip = tif_format(rq, rs);
    if (zip < 0 || pubmaps_view(c, rq, extra, &v, rs)) return;
    char canon[160], key[256];
    rel_view_canonical(c->rel, &v, canon, sizeof canon);
    snprintf(key, sizeof key, "%s/density.%s", canon, zip ? "zip" : "tif");
    if (!rescache_lookup(c, key, zip ? "application/zip" : "image/tiff", rs)) {
        if (app_offload(c, rs)) return;
        density_result *r = NULL;
        char err[512];
        disc_policy pol = app_disclosure(c);
        hz_status s = rel_density(c->rel, v.family, v.group, v.years, pol.min_bandwidth,
                                  pol.min_bandwidth, &r, err, sizeof err);
        if (send_geotiff(c, key, s, r, HZ_WEIGHT_COUNT, zip, err, sizeof err, rs)) return;
    }
    tif_disposition(rs, zip);
}

void apiroutes_density_tif(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        public_density_tif(c, rq, rs);
        return;
    }
    static const char *const allowed[] = {"kernel", "bandwidth", "cell", "extent", "f", NULL};
    int zip = tif_format(rq, rs);
    if (zip < 0 || bad_args(rq, allowed, 1, rs)) return;
    hz_filter f;
    if (app_request_filter(c, rq, &f, rs)) return;
    density_opts o;
    density_opts_init(&o);
    o.max_cells = SERVER_MAX_DENSITY_CELLS;
    o.max_work = SERVER_MAX_DENSITY_WORK;
    o.disclosure = app_disclosure(c);
    char err[512];
    for (const char *const *k = allowed; *k && strcmp(*k, "f"); k++) {
        const char *v = hreq_arg_get(rq, *k);
        if (v && density_opts_set(&o, *k, v, err, sizeof err) != HZ_OK) {
            hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
            return;
        }
    }
    /* Keyed by the parameters as given (a differently spelt equal request recomputes). */
    char canon[1600], key[1800];
    int n = filter_canonical(&f, canon, sizeof canon);
    for (const char *const *k = allowed; *k && n >= 0 && (size_t)n < sizeof canon; k++) {
        const char *v = hreq_arg_get(rq, *k);
        n += snprintf(canon + n, sizeof canon - (size_t)n, "|%s=%s", *k, v ? v : "");
    }
    rescache_key(c, zip ? "density.zip" : "density.tif", canon, key, sizeof key);
    if (!rescache_lookup(c, key, zip ? "application/zip" : "image/tiff", rs)) {
        if (app_offload(c, rs)) return;
        density_result *r = NULL;
        hz_status s = density_run(c->snap, &f, &o, &r, err, sizeof err);
        if (send_geotiff(c, key, s, r, f.weight, zip, err, sizeof err, rs)) return;
    }
    tif_disposition(rs, zip);
}

/* GET /api/emerging.gpkg: the planners' space-time cube as a GeoPackage (emerging_gpkg()), one
 * row per bin for QGIS's temporal controller; the public's emerging hot spots are the
 * collection's (from the release). */
void apiroutes_emerging_gpkg(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        hresp_error(rs, 401, "Unauthorized",
                    "the space-time cube download is for planners; the public's emerging hot "
                    "spots are at /collections/emerging/items");
        return;
    }
    if (bad_args(rq, emerging_args, 1, rs)) return;
    hz_filter f;
    emerging_params ep;
    char canon[1400], key[1600], err[512], why[2048];
    if (emerging_params_of(c, rq, &f, &ep, canon, sizeof canon, rs)) return;
    rescache_key(c, "emerging.gpkg", canon, key, sizeof key);
    if (!rescache_lookup(c, key, "application/geopackage+sqlite3", rs)) {
        if (app_offload(c, rs)) return;
        emerging_result *r = NULL;
        unsigned char *buf = NULL;
        size_t len = 0;
        hz_status s = emerging_run(c->snap, &f, &ep, &r, why, sizeof why, err, sizeof err);
        if (s == HZ_OK) s = emerging_gpkg_bytes(r, &buf, &len, err, sizeof err);
        emerging_free(r);
        if (s != HZ_OK) {
            app_fail(rs, s, err);
            return;
        }
        hresp_take(rs, 200, "application/geopackage+sqlite3", buf, len);
        rescache_store(c, key, rs);
    }
    hresp_header(rs, "Content-Disposition", "attachment; filename=\"hazmap-emerging.gpkg\"");
}

/* ---- the computed collections: planners' from the snapshot, the public's from the release ---- */

static const computed_kind computed_kinds[] = {
    [PUB_BLACKSPOTS] = {"blackspots", blackspot_args, blackspots_view, blackspots_compute_points,
                        NULL},
    [PUB_HOTSPOTS] = {"hotspots", hotspot_args, hotspots_view, NULL, hotspots_view_pack},
    [PUB_EMERGING] = {"emerging", emerging_args, emerging_view, emerging_view_compute, NULL},
};
/* the hulls are the black spots' computation (either stores both); the public's released black
 * spots are grid squares, polygons already */
static const computed_kind hulls_kind = {"blackspots", blackspot_args, hulls_view, hulls_compute,
                                         NULL};

static void spots_items(hctx *c, const hreq *rq, hresp *rs, pubmaps_kind k)
{
    if (c->role == HZ_ROLE_PUBLIC)
        pubmaps_items(c, rq, rs, k);
    else
        computed_items(c, rq, rs, &computed_kinds[k]);
}

static void spots_item(hctx *c, const char *fid, const hreq *rq, hresp *rs, pubmaps_kind k)
{
    if (c->role == HZ_ROLE_PUBLIC)
        pubmaps_item(c, fid, rq, rs, k);
    else
        computed_item(c, fid, rq, rs, &computed_kinds[k]);
}

void apiroutes_hotspots_items(hctx *c, const hreq *rq, hresp *rs)
{
    spots_items(c, rq, rs, PUB_HOTSPOTS);
}

void apiroutes_hotspots_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    spots_item(c, fid, rq, rs, PUB_HOTSPOTS);
}

void apiroutes_blackspots_items(hctx *c, const hreq *rq, hresp *rs)
{
    spots_items(c, rq, rs, PUB_BLACKSPOTS);
}

void apiroutes_blackspots_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    spots_item(c, fid, rq, rs, PUB_BLACKSPOTS);
}

void apiroutes_blackspot_hulls_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC)
        pubmaps_items(c, rq, rs, PUB_BLACKSPOTS);
    else
        computed_items(c, rq, rs, &hulls_kind);
}

void apiroutes_blackspot_hulls_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC)
        pubmaps_item(c, fid, rq, rs, PUB_BLACKSPOTS);
    else
        computed_item(c, fid, rq, rs, &hulls_kind);
}

void apiroutes_emerging_items(hctx *c, const hreq *rq, hresp *rs)
{
    spots_items(c, rq, rs, PUB_EMERGING);
}

void apiroutes_emerging_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    spots_item(c, fid, rq, rs, PUB_EMERGING);
}
