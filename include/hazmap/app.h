/* app.h - the server application: configuration, the shared snapshot, the per-thread store
 * connections, authentication and the route table. Independent of libmicrohttpd.
 *
 * Threads: app_handle() may be called from any number of threads at once. Each calling thread
 * gets its own store connection (created on its first request, kept in a pthread key, closed when
 * the thread exits or at app_free()). The in-memory snapshot is shared: a request takes a
 * reference; a write that changes the store's data version, made by this process or another
 * (replicas on one store), gets a new snapshot loaded off the request path by the change watcher
 * (or, for this process's own writes, by the writing request) and swapped in under a mutex; the
 * old one is freed when its last reader releases it.
 *
 * Ownership: app_new() copies the configuration; app_free() must be called after every thread
 * that called app_handle() has stopped calling it. */
#ifndef HAZMAP_APP_H
#define HAZMAP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/disclosure.h"
#include "hazmap/httpmsg.h"
#include "hazmap/incset.h"
#include "hazmap/metrics.h"
#include "hazmap/srvconf.h"
#include "hazmap/store.h"
#include "hazmap/tokens.h"

typedef struct app app;

enum { HCTX_MAX_SEGS = 4 };

/* What a handler gets besides the request. */
typedef struct hctx {
    app *app;
    const srvconf *cfg;
    store *st;          /* this thread's connection */
    const incset *snap; /* the current snapshot (NULL for routes that need none) */
    int64_t version;    /* its data version */
    hz_role role;
    char token_label[64]; /* the label of the request's token ("" without one or without label) */
    const struct rel_release *rel; /* the public's release (NULL for planners, or none yet) */
    struct reltile *rt;            /* the public's tiles of rel (NULL with rel) */
    metrics *metrics;
    struct tilecache *tile_cache;   /* rendered tiles */
    struct tilecache *result_cache; /* analysis JSON by canonical request (memory only) */
    struct tilerender *tr;          /* the renderer of this snapshot (NULL without tiles) */
    const struct ptindex *pti;      /* bbox index of the snapshot's incidents */
    const struct roadnet *net;      /* the store's roads at this data version (R_SNAP routes) */
    const struct roadtile *roads;   /* their tiles */
    struct nettile *nt;             /* network density tiles of this snapshot on them */
    char base[320];                 /* absolute links start with it (srvconf_base()) */
    const char *seg[HCTX_MAX_SEGS]; /* the path segments matched by {} in the route pattern */
    char segbuf[1024];
    hreq_where where; /* the request's (rq->where) */
} hctx;

/* A route handler: fills rs (status, body, headers) from rq. */
typedef void (*app_handler)(hctx *c, const hreq *rq, hresp *rs);

/* Applies the request's shared filters and checks them against the snapshot (an unknown area
 * code is a 400). On failure fills rs with the 400 and returns non-zero. */
int app_request_filter(hctx *c, const hreq *rq, hz_filter *f, hresp *rs);

/* A parameter set's setter (tilerender_params_set, nettile_params_set, ...): HZ_ENOTFOUND for a
 * name it does not take. */
typedef hz_status (*app_arg_setter)(void *params, const char *key, const char *value, char *err,
                                    size_t errlen);

/* Every argument of rq through set into params (an unknown name or a bad value is a 400), then
 * the area that filter f (inside params) names must be one of the snapshot's (400). On failure
 * fills rs and returns non-zero. */
int app_apply_args(hctx *c, const hreq *rq, app_arg_setter set, void *params, const hz_filter *f,
                   hresp *rs);

/* The disclosure policy of the request's audience: disc_public() from the configuration for
 * the public, all zero (nothing hidden) for planners and editors. */
disc_policy app_disclosure(const hctx *c);

/* Checks the arguments of a GET answered as JSON: f (json, geojson or html; anything else is a
 * 400), the names in extra (NULL-terminated, at most APP_MAX_ARGS, may be NULL) and, when
 * filters is non-zero, the filter parameters; an unknown or repeated argument is a 400. On
 * failure fills rs with the 400 and returns non-zero. */
enum { APP_MAX_ARGS = 16 };
int app_check_args(const hreq *rq, const char *const *extra, int filters, hresp *rs);

/* For a public request without a release (c->rel NULL): fills rs with the 503 saying to run
 * `hazmap publish` and returns non-zero. 0 for planners and when there is a release. */
int app_public_unreleased(const hctx *c, hresp *rs);

/* The time span the request's audience may see, as for incset_time_span(): for planners the
 * snapshot's first and last incident times; for the public the release's study period (its
 * first instant, and the last second before its end), INT64_MIN/INT64_MAX without a release. */
void app_time_span(const hctx *c, int64_t *tmin, int64_t *tmax);

/* Called by a handler just before expensive work (an analysis computed from the incidents, a
 * tile render, a publication) that no cache answered. On a network thread (c->where is
 * HREQ_EVENT) it empties rs, marks it rs->offload and returns 1: the handler returns at once and
 * the request is run again on the analysis pool. Elsewhere it returns 0 and the handler goes on.
 * Cheap answers (cached results and tiles, health, metrics, static files) never call it. */
int app_offload(const hctx *c, hresp *rs);

/* Fills rs with the error response for a core status and its message. */
void app_fail(hresp *rs, hz_status s, const char *msg);

/* Opens the database (checking that it is a hazmap store), loads the first snapshot. NULL with
 * the reason in err. */
app *app_new(const srvconf *cfg, char *err, size_t errlen);

/* NULL is a no-op. */
void app_free(app *a);

/* Whether the body of request rq (its headers only; a POST) may be read: 1 for a known editor
 * or planner token; 0 with rs filled (401, or 503 when the store fails) for no token, a
 * malformed or an unknown one. Called before any byte of the body is read, so an anonymous
 * client cannot make the server buffer bodies. */
int app_body_allowed(app *a, const hreq *rq, hresp *rs);

/* Answers one request: routing, authentication, CORS and security headers. rs must be zeroed;
 * the caller frees it with hresp_free(). Never leaves rs->status 0, except with rs->offload set
 * (only when rq->where is HREQ_EVENT; see app_offload()): then rs is empty and the caller must
 * call app_handle() again with the same request as HREQ_POOL on a pool thread. */
void app_handle(app *a, const hreq *rq, hresp *rs);

/* The metrics registry (borrowed). */
metrics *app_metrics(app *a);

/* The route labels, for the access log (index = hresp.route). */
const char *app_route_name(const app *a, int route);

/* Tells the app that this process committed data version `version` (a POST): loads its snapshot
 * on the calling thread (a request's, which has its store connection) before returning, so the
 * writer's next request reads its write while other requests keep the old snapshot until the
 * swap. Writes by other processes (another replica, an import) are loaded by the change watcher
 * (watcher.h) within a poll period (STORE_WATCH_POLL_MS) plus the load. */
void app_note_write(app *a, int64_t version);

/* Tells the app that this process stored release id (public requests use it at once). */
void app_note_release(app *a, int64_t id);

/* Full passes over incident snapshots since app_new(): those of the snapshots already retired
 * plus the current one's (incset_scans()). */
unsigned long long app_snapshot_scans(app *a);

/* Snapshots loaded since app_new(), by how (incset_source_of()): from the store's rows, from the
 * snapshot file, and incrementally from the previous snapshot (incset_reload()), for /metrics. */
void app_snapshot_loads(app *a, unsigned long long *rows, unsigned long long *file,
                        unsigned long long *delta);

/* Commits to the store the change watcher has handed on (0 without a watcher), for /metrics. */
unsigned long long app_store_changes(app *a);

/* Tells the app the port its listener was bound to (httpd_run(), before the port is announced).
 * With `port = 0` the kernel chose it, and the links of every answer (srvconf_base()) name it;
 * a configured base_url or port is kept. Not thread-safe: call it before any request. */
void app_set_port(app *a, int port);

/* Counts of the current snapshot, for the start-up message. */
void app_counts(app *a, size_t *areas, size_t *incidents, int64_t *version);

#endif
