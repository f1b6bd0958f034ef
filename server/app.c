/* app.c - the server application: route table, authentication, the shared snapshot and the
 * per-thread store connections.
 *
 * Invariants:
 *  1. a->cur is the newest loaded snapshot; a->cur->refs counts the app's own reference plus one
 *     per request holding it. A snapshot is freed when refs reaches 0, which happens only after
 *     it has been replaced (the app drops its reference when it swaps a newer one in).
 *  2. Only one thread loads a snapshot at a time (load_mu); readers keep using the old one
 *     until the swap, which happens under mu.
 *  3. Every thread context is in the list a->threads until its thread exits or app_free().
 *  4. a->rel is the newest loaded public release (NULL while none was published), counted like
 *     a->cur: refs is the app's reference plus one per request holding it. A public request
 *     gets the release whose id the store last reported (polled with the data version).
 *  5. With publish_every_h > 0 one thread (a->sched) publishes a release every that many hours
 *     when the data version differs from the newest release's; it has its own store connection
 *     and stops (sched_stop, under sched_mu) before app_free() frees anything it reads.
 *  6. With prerender_max_zoom >= 10 one thread (a->pre) renders the public's default tiles of
 *     zooms 10..prerender_max_zoom of each newly loaded release (pre_want) into the tile cache,
 *     holding a reference to the release while it does; app_free() stops and joins it first.
 *  7. Replicas: the change watcher (a->watch, watcher.h) sees every commit to the store, this
 *     process's or another's, and loads the new snapshot and release on its own thread, then
 *     publishes their version and id in known_version and known_release. Requests read those and
 *     take a->cur, which by then is that version, so no request waits for a load another
 *     process's write caused: the old snapshot answers until the new one is swapped in. A write
 *     through this process loads in the writing request (app_note_write()), so its client reads
 *     its own write next; other requests keep the old snapshot meanwhile. known_version may lag
 *     a->cur (never the reverse, but for a failed load): a request takes a->cur when it is at
 *     least the version asked for. Without a watcher (it could not start) requests poll the
 *     version themselves every VERSION_CHECK_NS and the first to see a change loads it. */
#include "hazmap/app.h"
#include "hazmap/apiroutes.h"
#include "hazmap/links.h"
#include "hazmap/linkage_db.h"
#include "hazmap/projroutes.h"
#include "hazmap/collections.h"
#include "hazmap/ogctiles.h"
#include "hazmap/incpost.h"
#include "hazmap/oapif.h"
#include "hazmap/openapi.h"
#include "hazmap/ptindex.h"
#include "hazmap/pubmaps.h"
#include "hazmap/hztime.h"
#include "hazmap/release.h"
#include "hazmap/releases.h"
#include "hazmap/reportroute.h"
#include "hazmap/reltile.h"
#include "hazmap/roadroutes.h"
#include "hazmap/nettile.h"
#include "hazmap/roadnet.h"
#include "hazmap/roadtile.h"
#include "hazmap/webroot.h"
#include "hazmap/workcrs.h"
#include "hazmap/tilecache.h"
#include "hazmap/tilerender.h"
#include "hazmap/watcher.h"

#include <assert.h>
#include <stdatomic.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct snapref {
    incset *s;
    struct tilerender *tr; /* renders from s; freed before it */
    ptindex *pti;          /* bbox index of s; freed before it */
    roadnet *net;          /* the store's roads at s's data version (empty without any) */
    roadtile *roads;       /* draws net; freed before it */
    nettile *nt;           /* network density of s on net; freed before both */
    int refs;
} snapref;

static void snapref_free(snapref *r)
{
    if (!r) return;
    nettile_free(r->nt);
    roadtile_free(r->roads);
    roadnet_free(r->net);
    tilerender_free(r->tr);
    ptindex_free(r->pti);
    incset_free(r->s);
    free(r);
}

typedef struct relref {
    rel_release *r;
    reltile *rt; /* the public's tiles of r; freed before it */
    int refs;
} relref;

typedef struct tctx {
    app *a;
    store *st;
    struct tctx *next, *prev;
} tctx;

enum { R_SNAP = 1, R_AUTH = 2 };

typedef struct route {
    const char *method;  /* "GET" (also answers HEAD) or "POST" */
    const char *pattern; /* "/collections/{}/items": {} matches one segment */
    app_handler h;
    int flags;
    const char *name; /* metrics label */
} route;

static const route routes[] = {
    {"GET", "/", oapif_landing, R_SNAP | R_AUTH, "landing"},
    {"GET", "/conformance", oapif_conformance, 0, "conformance"},
    {"GET", "/api", openapi_document, R_AUTH, "api"},
    {"GET", "/collections", collections_list, R_SNAP | R_AUTH, "collections"},
    /* OGC API - Tiles of the density layer (before /collections/{}: density is no feature
     * collection) */
    {"GET", "/collections/density", ogctiles_collection, R_SNAP | R_AUTH, "density_collection"},
    {"GET", "/collections/density/tiles", ogctiles_tilesets, R_SNAP | R_AUTH, "density_tilesets"},
    {"GET", "/collections/density/tiles/{}", ogctiles_tileset, R_SNAP | R_AUTH, "density_tileset"},
    {"GET", "/collections/density/tiles/{}/{}/{}/{}", ogctiles_tile, R_SNAP | R_AUTH,
     "density_ogc_tile"},
    {"GET", "/tileMatrixSets", ogctiles_tms_list, 0, "tile_matrix_sets"},
    {"GET", "/tileMatrixSets/{}", ogctiles_tms, 0, "tile_matrix_set"},
    {"GET", "/collections/{}", collections_one, R_SNAP | R_AUTH, "collection"},
    {"GET", "/collections/{}/items", collections_items, R_SNAP | R_AUTH, "items"},
    {"POST", "/collections/{}/items", incpost_handle, R_SNAP | R_AUTH, "items_post"},
    {"GET", "/collections/{}/items/{}", collections_item, R_SNAP | R_AUTH, "item"},
    {"GET", "/api/config", oapif_config, R_SNAP | R_AUTH, "config"},
    {"GET", "/api/stats", apiroutes_stats, R_SNAP | R_AUTH, "stats"},
    {"GET", "/api/evaluate", apiroutes_evaluate, R_SNAP | R_AUTH, "evaluate"},
    {"GET", "/api/report", reportroute_handle, R_SNAP | R_AUTH, "report"},
    {"GET", "/api/blackspots", apiroutes_blackspots, R_SNAP | R_AUTH, "blackspots"},
    {"GET", "/api/density.tif", apiroutes_density_tif, R_SNAP | R_AUTH, "density_tif"},
    {"GET", "/api/emerging.gpkg", apiroutes_emerging_gpkg, R_SNAP | R_AUTH, "emerging_gpkg"},
    {"GET", "/tiles/density.json", apiroutes_tilejson, R_SNAP | R_AUTH, "tilejson"},
    {"GET", "/tiles/density/legend.json", apiroutes_legend, R_SNAP | R_AUTH, "legend"},
    {"GET", "/tiles/density/{}/{}/{}", apiroutes_tile, R_SNAP | R_AUTH, "tile"},
    /* OpenStreetMap roads: the same tile for everyone, so no token is read (no Vary) */
    {"GET", "/tiles/roads/{}/{}/{}", roadroutes_tile, R_SNAP, "roads_tile"},
    {"GET", "/tiles/network/legend.json", roadroutes_network_legend, R_SNAP | R_AUTH,
     "network_legend"},
    {"GET", "/tiles/network/{}/{}/{}", roadroutes_network_tile, R_SNAP | R_AUTH, "network_tile"},
    {"GET", "/api/releases", releases_list, R_AUTH, "releases"},
    {"POST", "/api/releases", releases_post, R_SNAP | R_AUTH, "releases_post"},
    {"GET", "/api/releases/{}", releases_one, R_AUTH, "release"},
    {"GET", "/api/releases/{}/tables/{}", releases_table, R_AUTH, "release_table"},
    {"GET", "/api/links", links_list, R_AUTH, "links"},
    {"GET", "/api/links/summary", links_summary, R_AUTH, "links_summary"},
    {"GET", "/api/links/{}", links_one, R_AUTH, "link"},
    {"POST", "/api/links/{}", links_review, R_AUTH, "link_post"},
    /* the projects registry (projroutes.h); audit before {}: "audit" is no project id */
    {"GET", "/api/projects", projroutes_list, R_AUTH, "projects"},
    {"POST", "/api/projects", projroutes_post, R_AUTH, "projects_post"},
    {"GET", "/api/projects/audit", projroutes_audit, R_AUTH, "projects_audit"},
    {"GET", "/api/projects/{}", projroutes_one, R_AUTH, "project"},
    {"PUT", "/api/projects/{}", projroutes_put, R_AUTH, "project_put"},
    {"DELETE", "/api/projects/{}", projroutes_delete, R_AUTH, "project_delete"},
    {"GET", "/api/projects/{}/audit", projroutes_audit, R_AUTH, "project_audit"},
    {"GET", "/api/projects/{}/evaluation", projroutes_evaluation, R_SNAP | R_AUTH,
     "project_evaluation"},
    {"GET", "/healthz", oapif_healthz, R_SNAP | R_AUTH, "healthz"},
    {"GET", "/metrics", apiroutes_metrics, 0, "metrics"},
};
enum { NROUTES = sizeof routes / sizeof *routes };
/* Labels beyond the table: static files, preflight, and requests that matched nothing. */
enum { ROUTE_STATIC = NROUTES, ROUTE_OPTIONS, ROUTE_NONE, ROUTE_COUNT };

struct app {
    srvconf cfg;
    metrics *m;
    pthread_key_t key;
    pthread_mutex_t mu;      /* guards cur and threads */
    pthread_mutex_t load_mu; /* invariant 2 */
    snapref *cur;
    relref *rel;                      /* invariant 4 */
    unsigned long long retired_scans; /* scans of snapshots already freed; guarded by mu */
    unsigned long long loads[3];      /* snapshots loaded, by incset_source; guarded by mu */
    tctx *threads;
    /* The planners' caches, keyed by data version and emptied when a write loads a new snapshot;
     * the public's, keyed by release id and never emptied by a write (a release outlives any
     * number of them: its pre-rendered tiles must stay). */
    struct tilecache *tile_cache, *result_cache;
    struct tilecache *pub_tiles, *pub_results;
    /* The store's data version as last read, and when (CLOCK_MONOTONIC ns): see version_now(). */
    _Atomic int64_t known_version;
    _Atomic int64_t known_release; /* the newest release's id as last read; 0 = none */
    _Atomic int64_t checked_ns;
    const char *labels[ROUTE_COUNT]; /* metrics labels, filled once by app_new() */
    char base[320];                  /* the prefix of absolute links (srvconf_base()) */
    /* the scheduled publisher (invariant 5): runs while sched_run, woken by sched_cv */
    pthread_t sched;
    int sched_started, sched_stop; /* sched_stop guarded by sched_mu */
    pthread_mutex_t sched_mu;
    pthread_cond_t sched_cv;
    /* the pre-renderer of the public's tiles (invariant 6): renders release pre_want */
    pthread_t pre;
    int pre_started;
    _Atomic int pre_stop;
    int64_t pre_want; /* guarded by pre_mu */
    pthread_mutex_t pre_mu;
    pthread_cond_t pre_cv;
    watcher *watch;     /* invariant 7; NULL when it could not start */
    int64_t watch_last; /* the version on_change() was last given; the watcher's thread only */
};

static void route_labels_init(const char **labels)
{
    for (int i = 0; i < NROUTES; i++)
        labels[i] = routes[i].name;
    labels[ROUTE_STATIC] = "static";
    labels[ROUTE_OPTIONS] = "options";
    labels[ROUTE_NONE] = "none";
}

const char *app_route_name(const app *a, int idx)
{
    if (idx < 0 || idx >= ROUTE_COUNT || !a->labels[idx]) return "none";
    return a->labels[idx];
}

metrics *app_metrics(app *a)
{
    return a->m;
}

static void tctx_destroy(void *p)
{
    tctx *t = p;
    if (!t) return;
    app *a = t->a;
    pthread_mutex_lock(&a->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        a->threads = t->next;
    if (t->next) t->next->prev = t->prev;
    pthread_mutex_unlock(&a->mu);
    store_close(t->st);
    free(t);
}

/* This thread's store connection, opened on first use. */
static store *thread_store(app *a, char *err, size_t errlen)
{
    tctx *t = pthread_getspecific(a->key);
    if (t) {
        assert(t->st); /* a context is registered only once its store is open */
        return t->st;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    t->a = a;
    if (!(t->st = store_open(a->cfg.db, 0, err, errlen))) {
        free(t);
        return NULL;
    }
    store_set_timeout(t->st, a->cfg.query_timeout_ms);
    pthread_mutex_lock(&a->mu);
    t->next = a->threads;
    if (a->threads) a->threads->prev = t;
    a->threads = t;
    pthread_mutex_unlock(&a->mu);
    pthread_setspecific(a->key, t);
    return t->st;
}

static void snap_release(app *a, snapref *r)
{
    if (!r) return;
    pthread_mutex_lock(&a->mu);
    int last = --r->refs == 0;
    if (last) a->retired_scans += incset_scans(r->s);
    pthread_mutex_unlock(&a->mu);
    if (last) snapref_free(r);
}

unsigned long long app_store_changes(app *a)
{
    return watcher_changes(a->watch);
}

void app_snapshot_loads(app *a, unsigned long long *rows, unsigned long long *file,
                        unsigned long long *delta)
{
    pthread_mutex_lock(&a->mu);
    *rows = a->loads[INCSET_ROWS];
    *file = a->loads[INCSET_FILE];
    *delta = a->loads[INCSET_DELTA];
    pthread_mutex_unlock(&a->mu);
}

unsigned long long app_snapshot_scans(app *a)
{
    pthread_mutex_lock(&a->mu);
    unsigned long long n = a->retired_scans + (a->cur ? incset_scans(a->cur->s) : 0);
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* A reference to a snapshot of data version `version` (loading it if the current one is older). */
/* The store's roads at the snapshot's data version, in its working CRS, into r (an empty
 * network when the store has none or they cannot be read), their tiles and network density
 * tiles. Read with the incidents: a write of roads renews the data version as any other write
 * does. */
static hz_status roads_load(app *a, store *st, snapref *r, char *err, size_t errlen)
{
    workcrs *w = workcrs_new(incset_work_srs(r->s), 0, 0, err, errlen);
    if (!w) return HZ_ECRS;
    store_set_timeout(st, 0);
    r->net = roadnet_load(st, w, err, errlen);
    store_set_timeout(st, a->cfg.query_timeout_ms);
    workcrs_free(w);
    if (!r->net) {
        /* Roads that cannot be read must not take the incidents' answers down with them: the
         * server runs without roads (transparent street tiles, empty road collections). */
        fprintf(stderr, "hazmap: roads not loaded, serving without them: %s\n", err);
        r->net = roadnet_build(0, NULL, err, errlen);
        if (!r->net) return HZ_ENOMEM;
    }
    r->roads = roadtile_new(r->net, err, errlen);
    if (r->roads) r->nt = nettile_new(r->s, r->net, r->roads, err, errlen);
    return r->nt ? HZ_OK : HZ_ENOMEM;
}

/* A reference to a snapshot of data version `version` or newer (invariant 7), loading one when
 * the current one is older. With exact, only that very version will do: the watcher's reload of
 * a store whose versions went back (a database rebuilt from scratch). */
static hz_status snap_get(app *a, store *st, int64_t version, int exact, snapref **out, char *err,
                          size_t errlen)
{
    pthread_mutex_lock(&a->mu);
    snapref *r = a->cur;
    int64_t have = r ? incset_data_version(r->s) : 0;
    if (r && (have == version || (!exact && have > version))) {
        r->refs++;
        pthread_mutex_unlock(&a->mu);
        *out = r;
        return HZ_OK;
    }
    pthread_mutex_unlock(&a->mu);

    pthread_mutex_lock(&a->load_mu);
    pthread_mutex_lock(&a->mu);
    r = a->cur;
    have = r ? incset_data_version(r->s) : 0;
    if (r && (have == version || (!exact && have > version))) { /* loaded it meanwhile */
        r->refs++;
        pthread_mutex_unlock(&a->mu);
        pthread_mutex_unlock(&a->load_mu);
        *out = r;
        return HZ_OK;
    }
    pthread_mutex_unlock(&a->mu);
    /* Loading reads everything; the query time limit is for requests, not for this. r stays
     * valid: only a holder of load_mu replaces a->cur. From an older snapshot of the same
     * store only the rows written since are read (incset_reload()); a store whose versions went
     * back (exact) is another database and is read whole. */
    store_set_timeout(st, 0);
    const char *srs = strcmp(a->cfg.work_srs, "auto") ? a->cfg.work_srs : NULL;
    incset *s = r && !exact && have < version ? incset_reload(r->s, st, srs, err, errlen)
                                              : incset_load(st, srs, err, errlen);
    /* The events of the stored links, for the point analyses' default count (filter.h) */
    if (s && linkage_db_attach_events(st, s, err, errlen) != HZ_OK) {
        incset_free(s);
        s = NULL;
    }
    store_set_timeout(st, a->cfg.query_timeout_ms);
    snapref *nr = s ? calloc(1, sizeof *nr) : NULL;
    if (!nr) {
        incset_free(s);
        pthread_mutex_unlock(&a->load_mu);
        if (s) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return HZ_EDB;
    }
    nr->s = s;
    nr->refs = 2; /* the app's and the caller's */
    if (!(nr->pti = ptindex_new(s))) {
        snapref_free(nr);
        pthread_mutex_unlock(&a->load_mu);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    /* The renderer keeps filtered point sets per filter: a quarter of the cache budget. */
    nr->tr = tilerender_new(s, (size_t)a->cfg.cache_mb * (1u << 20) / 4, err, errlen);
    hz_status rs = nr->tr ? roads_load(a, st, nr, err, errlen) : HZ_ENOMEM;
    if (rs != HZ_OK) {
        snapref_free(nr);
        pthread_mutex_unlock(&a->load_mu);
        return rs;
    }
    /* Keys carry the data version, so old entries simply stop matching; dropping them at once
     * frees the space sooner. The disk cache is emptied too, also at start-up: a database
     * rebuilt from scratch starts its versions again, and its tiles must not be answered with
     * files rendered from the old one. */
    if (a->result_cache) tilecache_purge(a->result_cache, 0);
    if (a->tile_cache) tilecache_purge(a->tile_cache, 1);
    pthread_mutex_lock(&a->mu);
    snapref *old = a->cur;
    a->cur = nr;
    a->loads[incset_source_of(s, NULL)]++;
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_unlock(&a->load_mu);
    snap_release(a, old);
    *out = nr;
    return HZ_OK;
}

static hz_status snap_acquire(app *a, store *st, int64_t version, snapref **out, char *err,
                              size_t errlen)
{
    return snap_get(a, st, version, 0, out, err, errlen);
}

static void rel_release_ref(app *a, relref *r)
{
    if (!r) return;
    pthread_mutex_lock(&a->mu);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&a->mu);
    if (last) {
        reltile_free(r->rt);
        rel_free(r->r);
        free(r);
    }
}

/* A reference to release `id` (loading it if the current one is older), or *out = NULL when id
 * is 0 (none published). Public caches need no purge: their keys carry the release id. */
static hz_status rel_acquire(app *a, store *st, int64_t id, relref **out, char *err, size_t errlen)
{
    *out = NULL;
    if (id <= 0) return HZ_OK;
    pthread_mutex_lock(&a->mu);
    relref *r = a->rel;
    if (r && rel_id(r->r) >= id) {
        r->refs++;
        pthread_mutex_unlock(&a->mu);
        *out = r;
        return HZ_OK;
    }
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_lock(&a->load_mu);
    pthread_mutex_lock(&a->mu);
    r = a->rel;
    if (r && rel_id(r->r) >= id) { /* another thread loaded it meanwhile */
        r->refs++;
        pthread_mutex_unlock(&a->mu);
        pthread_mutex_unlock(&a->load_mu);
        *out = r;
        return HZ_OK;
    }
    pthread_mutex_unlock(&a->mu);
    rel_release *rel = NULL;
    store_set_timeout(st, 0);
    hz_status s = rel_load(st, id, &rel, err, errlen);
    store_set_timeout(st, a->cfg.query_timeout_ms);
    relref *nr = s == HZ_OK ? calloc(1, sizeof *nr) : NULL;
    if (nr && !(nr->rt = reltile_new(rel, a->cfg.min_bandwidth, err, errlen))) {
        free(nr);
        nr = NULL;
        s = HZ_ECRS;
    }
    if (!nr) {
        rel_free(rel);
        pthread_mutex_unlock(&a->load_mu);
        return s != HZ_OK ? s : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    nr->r = rel;
    nr->refs = 2; /* the app's and the caller's */
    pthread_mutex_lock(&a->mu);
    relref *old = a->rel;
    a->rel = nr;
    pthread_mutex_unlock(&a->mu);
    pthread_mutex_lock(&a->pre_mu);
    a->pre_want = rel_id(rel);
    pthread_cond_signal(&a->pre_cv);
    pthread_mutex_unlock(&a->pre_mu);
    pthread_mutex_unlock(&a->load_mu);
    rel_release_ref(a, old);
    *out = nr;
    return HZ_OK;
}

/* One scheduled round: publishes when the data changed since the newest release. */
static void sched_round(app *a, store *st)
{
    char err[512];
    int64_t v = 0, rv = 0, id = 0;
    snapref *r = NULL;
    hz_status s = store_data_version(st, &v);
    if (s == HZ_OK) s = releases_latest_version(st, &rv, err, sizeof err);
    if (s != HZ_OK || v == rv) return; /* nothing new to release (or the store is busy) */
    if (snap_acquire(a, st, v, &r, err, sizeof err) != HZ_OK) {
        fprintf(stderr, "hazmap: scheduled publish: %s\n", err);
        return;
    }
    s = releases_publish(r->s, st, &a->cfg, &id, err, sizeof err);
    snap_release(a, r);
    if (s != HZ_OK) {
        fprintf(stderr, "hazmap: scheduled publish: %s\n", err);
        return;
    }
    app_note_release(a, id);
    fprintf(stderr, "hazmap: published release %lld of data version %lld (every %d h)\n",
            (long long)id, (long long)v, a->cfg.publish_every_h);
}

static void *sched_main(void *ud)
{
    app *a = ud;
    char err[512];
    store *st = store_open(a->cfg.db, 0, err, sizeof err);
    if (!st) fprintf(stderr, "hazmap: scheduled publish disabled: %s\n", err);
    if (st) sched_round(a, st); /* catch up at start: the data may have changed while down */
    pthread_mutex_lock(&a->sched_mu);
    while (st && !a->sched_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)a->cfg.publish_every_h * 3600;
        while (!a->sched_stop && pthread_cond_timedwait(&a->sched_cv, &a->sched_mu, &until) == 0)
            ;
        if (a->sched_stop) break;
        pthread_mutex_unlock(&a->sched_mu);
        sched_round(a, st);
        pthread_mutex_lock(&a->sched_mu);
    }
    pthread_mutex_unlock(&a->sched_mu);
    store_close(st);
    return NULL;
}

static void sched_stop(app *a)
{
    if (!a->sched_started) return;
    pthread_mutex_lock(&a->sched_mu);
    a->sched_stop = 1;
    pthread_cond_signal(&a->sched_cv);
    pthread_mutex_unlock(&a->sched_mu);
    pthread_join(a->sched, NULL);
    a->sched_started = 0;
}

/* Renders the default public tiles of each new release (invariant 6). */
static void *pre_main(void *ud)
{
    app *a = ud;
    int64_t done = 0;
    pthread_mutex_lock(&a->pre_mu);
    while (!atomic_load(&a->pre_stop)) {
        if (a->pre_want == done) {
            pthread_cond_wait(&a->pre_cv, &a->pre_mu);
            continue;
        }
        int64_t want = a->pre_want;
        pthread_mutex_unlock(&a->pre_mu);
        pthread_mutex_lock(&a->mu);
        relref *rr = a->rel;
        if (rr) rr->refs++;
        pthread_mutex_unlock(&a->mu);
        if (rr && rel_id(rr->r) == want)
            pubmaps_prerender(rr->r, rr->rt, a->pub_tiles, 10, a->cfg.prerender_max_zoom,
                              &a->pre_stop);
        rel_release_ref(a, rr);
        done = want;
        pthread_mutex_lock(&a->pre_mu);
    }
    pthread_mutex_unlock(&a->pre_mu);
    return NULL;
}

static void pre_stop(app *a)
{
    if (!a->pre_started) return;
    atomic_store(&a->pre_stop, 1);
    pthread_mutex_lock(&a->pre_mu);
    pthread_cond_signal(&a->pre_cv);
    pthread_mutex_unlock(&a->pre_mu);
    pthread_join(a->pre, NULL);
    a->pre_started = 0;
}

/* The watcher's callback (invariant 7), on its thread with its connection: loads the snapshot of
 * version and the newest release, swaps them in (which empties the planners' caches), and only
 * then tells the requests. A snapshot already newer (this process's writer loaded a later commit
 * meanwhile) is kept, unless the store's version went back (a database rebuilt from scratch):
 * then that very version is loaded. A failed load is logged and left to the requests, which
 * retry it. */
static void on_change(void *ud, store *st, int64_t version)
{
    app *a = ud;
    char err[512];
    snapref *r = NULL;
    int went_back = version < a->watch_last;
    a->watch_last = version;
    if (snap_get(a, st, version, went_back, &r, err, sizeof err) != HZ_OK)
        fprintf(stderr, "hazmap: reloading data version %lld: %s\n", (long long)version, err);
    snap_release(a, r);
    int64_t rid = 0;
    relref *rr = NULL;
    hz_status s = store_release_latest(st, &rid, err, sizeof err);
    if (s == HZ_ENOTFOUND) rid = 0, s = HZ_OK;
    if (s == HZ_OK && rid > atomic_load(&a->known_release)) {
        s = rel_acquire(a, st, rid, &rr, err, sizeof err);
        rel_release_ref(a, rr);
        if (s == HZ_OK) atomic_store(&a->known_release, rid);
    }
    if (s != HZ_OK) fprintf(stderr, "hazmap: reloading the newest release: %s\n", err);
    atomic_store(&a->known_version, version);
}

app *app_new(const srvconf *cfg, char *err, size_t errlen)
{
    app *a = calloc(1, sizeof *a);
    if (!a) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    route_labels_init(a->labels);
    atomic_init(&a->known_version, 0);
    atomic_init(&a->checked_ns, INT64_MIN / 2);
    a->cfg = *cfg;
    srvconf_base(cfg, a->base, sizeof a->base);
    if (pthread_key_create(&a->key, tctx_destroy) != 0) {
        free(a);
        hz_fail(HZ_ENOMEM, err, errlen, "cannot create a thread key");
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->load_mu, NULL);
    pthread_mutex_init(&a->sched_mu, NULL);
    pthread_cond_init(&a->sched_cv, NULL);
    pthread_mutex_init(&a->pre_mu, NULL);
    pthread_cond_init(&a->pre_cv, NULL);
    atomic_init(&a->pre_stop, 0);
    a->m = metrics_new(a->labels, ROUTE_COUNT);
    size_t budget = (size_t)cfg->cache_mb * (1u << 20);
    /* The budget's shares: tiles 5/16, results 8/16, the public's tiles 2/16 and results 1/16. A
     * result may take the whole results' share: a view of a computed collection is packed there
     * whole (paging.h), and its pages are read from it (the sample's auto hot spots: ~29 MB). */
    a->tile_cache = tilecache_new(budget / 16 * 5, cfg->cache_dir, err, errlen);
    a->result_cache = a->tile_cache ? tilecache_new(budget / 2, NULL, err, errlen) : NULL;
    if (a->result_cache) tilecache_set_max_entry(a->result_cache, budget / 2);
    a->pub_tiles = a->result_cache ? tilecache_new(budget / 8, NULL, err, errlen) : NULL;
    a->pub_results = a->pub_tiles ? tilecache_new(budget / 16, NULL, err, errlen) : NULL;
    if (!a->pub_results) {
        app_free(a);
        return NULL;
    }
    store *st = a->m ? thread_store(a, err, errlen) : NULL;
    int64_t v = 0;
    snapref *r = NULL;
    if (!st || store_data_version(st, &v) != HZ_OK ||
        snap_acquire(a, st, v, &r, err, errlen) != HZ_OK) {
        if (!a->m) hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        app_free(a);
        return NULL;
    }
    snap_release(a, r);
    int64_t rid = 0;
    relref *rr = NULL;
    hz_status rst = store_release_latest(st, &rid, err, errlen);
    if (rst == HZ_ENOTFOUND) rid = 0, rst = HZ_OK;
    if (rst == HZ_OK) rst = rel_acquire(a, st, rid, &rr, err, errlen);
    if (rst != HZ_OK) {
        app_free(a);
        return NULL;
    }
    atomic_store(&a->known_release, rid);
    atomic_store(&a->known_version, v);
    a->watch_last = v;
    rel_release_ref(a, rr);
    char werr[512];
    if (!(a->watch = watcher_start(cfg->db, v, on_change, a, werr, sizeof werr)))
        fprintf(stderr, "hazmap: no change watcher (%s): requests poll the data version\n", werr);
    if (cfg->publish_every_h > 0 && pthread_create(&a->sched, NULL, sched_main, a) == 0)
        a->sched_started = 1;
    if (cfg->prerender_max_zoom >= 10 && pthread_create(&a->pre, NULL, pre_main, a) == 0)
        a->pre_started = 1;
    return a;
}

void app_free(app *a)
{
    if (!a) return;
    watcher_stop(a->watch); /* first: its callback loads into everything below */
    a->watch = NULL;
    sched_stop(a);
    pre_stop(a);
    pthread_setspecific(a->key, NULL);
    while (a->threads) {
        assert(a->threads->a == a && !a->threads->prev); /* the head of a's list */
        tctx_destroy(a->threads);
    }
    pthread_key_delete(a->key);
    if (a->cur) {
        assert(a->cur->refs == 1);
        snapref_free(a->cur);
    }
    if (a->rel) {
        assert(a->rel->refs == 1);
        reltile_free(a->rel->rt);
        rel_free(a->rel->r);
        free(a->rel);
    }
    tilecache_free(a->tile_cache);
    tilecache_free(a->result_cache);
    tilecache_free(a->pub_tiles);
    tilecache_free(a->pub_results);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->load_mu);
    pthread_mutex_destroy(&a->sched_mu);
    pthread_cond_destroy(&a->sched_cv);
    pthread_mutex_destroy(&a->pre_mu);
    pthread_cond_destroy(&a->pre_cv);
    metrics_free(a->m);
    free(a);
}

/* Without a watcher (invariant 7): how stale the data version may be for a write made by ANOTHER
 * process (an import while the server runs): reading it costs an SQL statement and file locks,
 * which at tens of thousands of cached-tile requests a second would be most of the work. Writes
 * through this server are seen at once (app_note_write()). */
enum { VERSION_CHECK_NS = 100 * 1000 * 1000 };

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static hz_status version_now(app *a, store *st, int64_t *v, char *err, size_t errlen)
{
    int64_t now = now_ns();
    if (a->watch || now - atomic_load(&a->checked_ns) < VERSION_CHECK_NS) {
        *v = atomic_load(&a->known_version);
        return HZ_OK;
    }
    hz_status s = store_data_version(st, v);
    if (s != HZ_OK) return hz_fail(s, err, errlen, "reading the data version failed");
    /* `hazmap publish` adds a release without changing the data version: poll its id too. */
    int64_t rid = 0;
    s = store_release_latest(st, &rid, err, errlen);
    if (s == HZ_ENOTFOUND) rid = 0, s = HZ_OK;
    if (s != HZ_OK) return s;
    atomic_store(&a->known_release, rid);
    atomic_store(&a->known_version, *v);
    atomic_store(&a->checked_ns, now);
    return HZ_OK;
}

void app_note_release(app *a, int64_t id)
{
    atomic_store(&a->known_release, id);
}

void app_note_write(app *a, int64_t version)
{
    /* Loaded here, in the writing request, before its answer (invariant 7): its client reads its
     * own write next, and no other request waits for the load. A failure leaves the load to the
     * next request. */
    char err[512];
    snapref *r = NULL;
    store *st = thread_store(a, err, sizeof err);
    if (st && snap_acquire(a, st, version, &r, err, sizeof err) != HZ_OK)
        fprintf(stderr, "hazmap: loading data version %lld: %s\n", (long long)version, err);
    snap_release(a, r);
    atomic_store(&a->known_version, version);
    atomic_store(&a->checked_ns, now_ns());
}

void app_set_port(app *a, int port)
{
    assert(port > 0 && port <= 65535);
    if (a->cfg.port != 0) return;
    a->cfg.port = port;
    srvconf_base(&a->cfg, a->base, sizeof a->base);
}

void app_counts(app *a, size_t *areas, size_t *incidents, int64_t *version)
{
    pthread_mutex_lock(&a->mu);
    *areas = a->cur ? incset_area_count(a->cur->s) : 0;
    *incidents = a->cur ? incset_count(a->cur->s) : 0;
    *version = a->cur ? incset_data_version(a->cur->s) : 0;
    pthread_mutex_unlock(&a->mu);
}

void app_fail(hresp *rs, hz_status s, const char *msg)
{
    const char *code;
    int status = hresp_status_of(s, &code);
    /* Internal failures are reported without their details (which name files and SQL); the
     * details go to the log line instead. */
    if (status >= 500) {
        fprintf(stderr, "hazmap: internal error: %s\n", msg);
        hresp_error(rs, status, code, "%s",
                    status == 503   ? "temporarily unavailable"
                    : status == 507 ? "insufficient storage: the server's disk is full, nothing "
                                      "was stored; try again later"
                                    : "internal error");
    } else if (msg[0] == '/') {
        /* a store message naming the database file: keep the file out of the answer */
        const char *tail = strrchr(msg, ':');
        hresp_error(rs, status, code, "%s", tail && tail[1] ? tail + 2 : "invalid request");
    } else {
        hresp_error(rs, status, code, "%s", msg);
    }
}

int app_public_unreleased(const hctx *c, hresp *rs)
{
    if (c->role != HZ_ROLE_PUBLIC || c->rel) return 0;
    hresp_error(rs, 503, "ServiceUnavailable",
                "no public release yet: the public sees only published statistics; run "
                "`hazmap publish --db DB` to publish one");
    hresp_header(rs, "Retry-After", "60");
    return 1;
}

void app_time_span(const hctx *c, int64_t *tmin, int64_t *tmax)
{
    if (c->role != HZ_ROLE_PUBLIC) {
        incset_time_span(c->snap, tmin, tmax);
        return;
    }
    *tmin = INT64_MIN;
    *tmax = INT64_MAX;
    if (!c->rel) return;
    const json_t *period = json_object_get(rel_metadata(c->rel), "period");
    const char *from = json_string_value(json_object_get(period, "from")),
               *until = json_string_value(json_object_get(period, "until"));
    int64_t t0, t1;
    if (from && until && hztime_parse_iso(from, HZ_TZ_SHANGHAI, &t0) == 0 &&
        hztime_parse_iso(until, HZ_TZ_SHANGHAI, &t1) == 0) {
        *tmin = t0;
        *tmax = t1 - 1;
    }
}

disc_policy app_disclosure(const hctx *c)
{
    if (c->role == HZ_ROLE_PUBLIC) return disc_public(c->cfg->min_count, c->cfg->min_bandwidth);
    disc_policy none;
    memset(&none, 0, sizeof none);
    return none;
}

int app_request_filter(hctx *c, const hreq *rq, hz_filter *f, hresp *rs)
{
    char err[512];
    filter_init(f);
    if (hreq_filter(rq, f, err, sizeof err) != HZ_OK) {
        app_fail(rs, HZ_EINVAL, err);
        return -1;
    }
    if (f->area[0] && c->snap && incset_area_find(c->snap, f->area) < 0) {
        hresp_error(rs, 400, "InvalidParameterValue", "area: no area with code '%.64s'", f->area);
        return -1;
    }
    return 0;
}

int app_apply_args(hctx *c, const hreq *rq, app_arg_setter set, void *params, const hz_filter *f,
                   hresp *rs)
{
    char err[512];
    for (size_t i = 0; i < rq->nargs; i++) {
        const char *k = rq->args[i].key;
        hz_status s = set(params, k, rq->args[i].value, err, sizeof err);
        if (s == HZ_ENOTFOUND) {
            hresp_error(rs, 400, "InvalidParameterValue", "unknown parameter '%.64s'", k);
            return -1;
        }
        if (s != HZ_OK) {
            hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
            return -1;
        }
    }
    if (f->area[0] && incset_area_find(c->snap, f->area) < 0) {
        hresp_error(rs, 400, "InvalidParameterValue", "area: no area with code '%.64s'", f->area);
        return -1;
    }
    return 0;
}

int app_check_args(const hreq *rq, const char *const *extra, int filters, hresp *rs)
{
    const char *allowed[APP_MAX_ARGS + 2] = {"f"};
    int n = 1;
    for (const char *const *e = extra; e && *e; e++) {
        assert(n <= APP_MAX_ARGS);
        allowed[n++] = *e;
    }
    allowed[n] = NULL;
    char err[512];
    if (hreq_check_args(rq, allowed, filters, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    const char *f = hreq_arg_get(rq, "f");
    if (f && strcmp(f, "json") && strcmp(f, "html") && strcmp(f, "geojson")) {
        hresp_error(rs, 400, "InvalidParameterValue", "f: '%.32s' is not json or html", f);
        return -1;
    }
    return 0;
}

/* Matches path against pattern, filling c->seg. 1 on a match. */
static int match(const char *pattern, const char *path, hctx *c)
{
    size_t used = 0;
    int nseg = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(q, '/');
            size_t len = end ? (size_t)(end - q) : strlen(q);
            if (len == 0 || nseg >= HCTX_MAX_SEGS || used + len + 1 > sizeof c->segbuf) return 0;
            memcpy(c->segbuf + used, q, len);
            c->segbuf[used + len] = 0;
            c->seg[nseg++] = c->segbuf + used;
            used += len + 1;
            p += 2;
            q += len;
            continue;
        }
        if (*p != *q) return 0;
        p++;
        q++;
    }
    return !*p && !*q;
}

/* Every answer of an R_AUTH route may differ between the public, editors and planners (its
 * body, or a 401 for a bad token), so a shared cache must key it on the Authorization header:
 * this is the one place that says so. */
static void set_common_headers(hresp *rs)
{
    hresp_header(rs, "X-Content-Type-Options", "nosniff");
    hresp_header(rs, "Access-Control-Allow-Origin", "*");
    if (rs->route >= 0 && rs->route < NROUTES && (routes[rs->route].flags & R_AUTH) &&
        !hresp_header_get(rs, "Vary"))
        hresp_header(rs, "Vary", "Authorization");
}

/* The role of rq's token (HZ_ROLE_PUBLIC without one) into *role, through st; non-zero with rs
 * filled (401 for a malformed or unknown token) otherwise. The one home of authentication. */
static int authenticate(store *st, const hreq *rq, hz_role *role, char label[64], hresp *rs)
{
    char t[HREQ_TOKEN_MAX + 1], err[512];
    int b = hreq_token(rq, t);
    if (b < 0) {
        hresp_error(rs, 401, "Unauthorized",
                    "malformed Authorization header (Bearer TOKEN, or Basic with the token "
                    "as the password)");
        hresp_header(rs, "WWW-Authenticate", "Bearer");
        return -1;
    }
    if (b == 0) return 0;
    hz_status s = tokens_lookup_label(st, t, role, label, 64, err, sizeof err);
    if (s == HZ_ENOTFOUND) {
        hresp_error(rs, 401, "Unauthorized", "unknown token");
        hresp_header(rs, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        return -1;
    }
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return -1;
    }
    return 0;
}

int app_body_allowed(app *a, const hreq *rq, hresp *rs)
{
    char err[512];
    store *st = thread_store(a, err, sizeof err);
    if (!st) {
        app_fail(rs, HZ_EDB, err);
        return 0;
    }
    hz_role role = HZ_ROLE_PUBLIC;
    char label[64];
    if (authenticate(st, rq, &role, label, rs)) return 0;
    if (role != HZ_ROLE_PUBLIC) return 1;
    hresp_error(rs, 401, "Unauthorized", "a request with a body needs an editor or planner token");
    hresp_header(rs, "WWW-Authenticate", "Bearer");
    return 0;
}

static void handle(app *a, const hreq *rq, hresp *rs)
{
    hctx c;
    memset(&c, 0, sizeof c);
    c.app = a;
    c.cfg = &a->cfg;
    c.metrics = a->m;
    c.tile_cache = a->tile_cache;
    c.result_cache = a->result_cache;
    c.where = rq->where;
    /* Links never echo the request's Host header (which any client sets): srvconf_base(). */
    snprintf(c.base, sizeof c.base, "%s", a->base);

    if (strcmp(rq->method, "OPTIONS") == 0) {
        rs->route = ROUTE_OPTIONS;
        hresp_bytes(rs, 204, "text/plain", "", 0);
        hresp_header(rs, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        hresp_header(rs, "Access-Control-Allow-Headers",
                     "Authorization, Content-Type, If-None-Match");
        hresp_header(rs, "Access-Control-Max-Age", "86400");
        return;
    }
    int is_get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    const route *rt = NULL;
    int path_matched = 0;
    for (int i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, rq->path, &c)) continue;
        path_matched = 1;
        if ((strcmp(routes[i].method, "GET") == 0 && is_get) ||
            strcmp(routes[i].method, rq->method) == 0) {
            rt = &routes[i];
            rs->route = i;
            break;
        }
    }
    if (!rt) {
        if (path_matched) {
            rs->route = ROUTE_NONE;
            hresp_error(rs, 405, "MethodNotAllowed", "method %.16s not allowed on %.128s",
                        rq->method, rq->path);
            hresp_header(rs, "Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
            return;
        }
        if (is_get && a->cfg.web[0] &&
            (webroot_serve(a->cfg.web, rq, rs) == 0 || webroot_not_found(rq->path, rs) == 0)) {
            rs->route = ROUTE_STATIC;
            return;
        }
        rs->route = ROUTE_NONE;
        if (!is_get)
            hresp_error(rs, 405, "MethodNotAllowed", "method %.16s not allowed", rq->method);
        else
            hresp_error(rs, 404, "NotFound", "no resource at this path");
        return;
    }
    const char *dup = hreq_repeated_arg(rq);
    if (dup) {
        hresp_error(rs, 400, "InvalidParameterValue", "parameter '%.64s' given twice", dup);
        return;
    }
    char err[512];
    if (rt->flags & (R_SNAP | R_AUTH)) {
        if (!(c.st = thread_store(a, err, sizeof err))) {
            app_fail(rs, HZ_EDB, err);
            return;
        }
    }
    if ((rt->flags & R_AUTH) && authenticate(c.st, rq, &c.role, c.token_label, rs)) return;
    /* The public's answers are keyed by the release and kept across writes. A route without
     * R_AUTH (the street tiles) answers everyone alike from the data version: its tiles go to
     * the version-keyed cache, and never crowd the public's pre-rendered density tiles out. */
    if (c.role == HZ_ROLE_PUBLIC && (rt->flags & R_AUTH)) {
        c.tile_cache = a->pub_tiles;
        c.result_cache = a->pub_results;
    }
    snapref *r = NULL;
    if (rt->flags & R_SNAP) {
        hz_status s = version_now(a, c.st, &c.version, err, sizeof err);
        if (s == HZ_OK) s = snap_acquire(a, c.st, c.version, &r, err, sizeof err);
        if (s != HZ_OK) {
            app_fail(rs, s, err);
            return;
        }
        c.snap = r->s;
        c.tr = r->tr;
        c.pti = r->pti;
        c.net = r->net;
        c.roads = r->roads;
        c.nt = r->nt;
        c.version = incset_data_version(r->s);
    }
    relref *rr = NULL;
    if ((rt->flags & R_SNAP) && c.role == HZ_ROLE_PUBLIC) {
        hz_status s = rel_acquire(a, c.st, atomic_load(&a->known_release), &rr, err, sizeof err);
        if (s != HZ_OK) {
            snap_release(a, r);
            app_fail(rs, s, err);
            return;
        }
        c.rel = rr ? rr->r : NULL;
        c.rt = rr ? rr->rt : NULL;
    }
    rt->h(&c, rq, rs);
    rel_release_ref(a, rr);
    snap_release(a, r);
}

int app_offload(const hctx *c, hresp *rs)
{
    if (c->where != HREQ_EVENT) return 0;
    int idx = rs->route;
    hresp_free(rs);
    rs->route = idx;
    rs->offload = 1;
    return 1;
}

void app_handle(app *a, const hreq *rq, hresp *rs)
{
    handle(a, rq, rs);
    if (rs->offload) {
        int idx = rs->route;
        hresp_free(rs); /* a handler may have added headers after app_offload() */
        rs->route = idx;
        rs->offload = 1;
        return;
    }
    if (!rs->status) hresp_error(rs, 500, "InternalError", "internal error");
    set_common_headers(rs);
}
