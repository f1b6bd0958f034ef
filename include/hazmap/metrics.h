/* metrics.h - request counters and latency histograms in the Prometheus text format.
 *
 * Every counter is a C11 atomic, so worker threads update them without locks and without races;
 * the registry is created once at start and freed after the workers have stopped. */
#ifndef HAZMAP_METRICS_H
#define HAZMAP_METRICS_H

#include <stddef.h>

typedef struct metrics metrics;

/* routes: the route labels (borrowed; must outlive the registry), n of them. NULL on OOM. */
metrics *metrics_new(const char *const *routes, size_t n);

/* NULL is a no-op. */
void metrics_free(metrics *m);

/* Counts one finished request of route index `route` (out of range: counted as the last
 * route) with HTTP status `status`, its latency in milliseconds and body bytes. */
void metrics_request(metrics *m, size_t route, int status, double ms, size_t bytes);

/* Cache outcome of one lookup: tile_cache 1 for the tile cache, 0 for the result cache. */
void metrics_cache(metrics *m, int tile_cache, int hit);

/* Counts one computation of analysis `name` (a string literal: borrowed for the registry's life),
 * rendered as hazmap_analysis_computations_total{analysis="name"}: how often a view was computed
 * rather than answered from the result cache. At most METRICS_MAX_ANALYSES names; more are
 * counted under the last one. */
#define METRICS_MAX_ANALYSES 16
void metrics_computation(metrics *m, const char *name);

/* Reports the analysis pool's jobs waiting and running, and jobs refused since start. */
typedef void (*metrics_pool_fn)(void *ud, size_t *waiting, size_t *running,
                                unsigned long long *refused);

/* Makes metrics_render() show the pool through fn(ud) (NULL: no pool lines). Call it while no
 * thread renders: before the server's threads start, and after they stop. */
void metrics_set_pool(metrics *m, metrics_pool_fn fn, void *ud);

/* The Prometheus exposition text (text/plain; version=0.0.4). snapshot_scans is rendered as
 * hazmap_snapshot_scans_total (full passes over the incident snapshot since start: the app
 * owns that count, see app_snapshot_scans()). Caller frees; NULL on OOM. */
char *metrics_render(metrics *m, unsigned long long snapshot_scans, size_t *len);

#endif
