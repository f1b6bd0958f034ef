/* metrics.c - lock-free request metrics rendered as Prometheus text. */
#include "hazmap/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statuses the server answers with; anything else is counted as "other". */
static const int statuses[] = {200, 201, 204, 206, 304, 400, 401, 403, 404, 405,
                               406, 413, 415, 422, 429, 500, 501, 503, 0};
enum { NSTATUS = sizeof statuses / sizeof *statuses };

/* Latency bucket upper bounds in seconds (Prometheus convention), +Inf implied. */
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   10};
enum { NBUCKET = sizeof buckets / sizeof *buckets };

typedef struct route_counters {
    atomic_ulong by_status[NSTATUS];
    atomic_ulong hist[NBUCKET + 1]; /* non-cumulative; summed when rendered */
    atomic_ulong sum_us;
    atomic_ulong bytes;
} route_counters;

struct metrics {
    const char *const *routes;
    size_t n;
    route_counters *rc;
    atomic_ulong cache[2][2]; /* [tile_cache][hit] */
    /* analysis names claimed in order by compare-and-swap (NULL: free), and their counts */
    _Atomic(const char *) an_name[METRICS_MAX_ANALYSES];
    atomic_ulong an_count[METRICS_MAX_ANALYSES];
    metrics_pool_fn pool; /* set only while no thread renders (metrics_set_pool()) */
    void *pool_ud;
};

void metrics_set_pool(metrics *m, metrics_pool_fn fn, void *ud)
{
    m->pool = fn;
    m->pool_ud = ud;
}

metrics *metrics_new(const char *const *routes, size_t n)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->routes = routes;
    m->n = n ? n : 1;
    m->rc = calloc(m->n, sizeof *m->rc);
    if (!m->rc) {
        free(m);
        return NULL;
    }
    /* calloc's zero bytes are a valid initial state for atomic_ulong on every target we build for;
     * atomic_init makes that explicit. */
    for (size_t r = 0; r < m->n; r++) {
        for (int i = 0; i < NSTATUS; i++)
            atomic_init(&m->rc[r].by_status[i], 0);
        for (int i = 0; i <= NBUCKET; i++)
            atomic_init(&m->rc[r].hist[i], 0);
        atomic_init(&m->rc[r].sum_us, 0);
        atomic_init(&m->rc[r].bytes, 0);
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            atomic_init(&m->cache[i][j], 0);
    for (int i = 0; i < METRICS_MAX_ANALYSES; i++) {
        atomic_init(&m->an_name[i], NULL);
        atomic_init(&m->an_count[i], 0);
    }
    return m;
}

void metrics_free(metrics *m)
{
    if (!m) return;
    free(m->rc);
    free(m);
}

void metrics_request(metrics *m, size_t route, int status, double ms, size_t bytes)
{
    if (!m) return;
    if (route >= m->n) route = m->n - 1;
    route_counters *rc = &m->rc[route];
    int si = NSTATUS - 1;
    for (int i = 0; i < NSTATUS - 1; i++)
        if (statuses[i] == status) si = i;
    atomic_fetch_add_explicit(&rc->by_status[si], 1, memory_order_relaxed);
    double s = ms / 1000.0;
    int b = NBUCKET;
    for (int i = 0; i < NBUCKET; i++)
        if (s <= buckets[i]) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&rc->hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rc->sum_us, (unsigned long)(ms * 1000.0 + 0.5),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&rc->bytes, (unsigned long)bytes, memory_order_relaxed);
}

void metrics_cache(metrics *m, int tile_cache, int hit)
{
    if (!m) return;
    atomic_fetch_add_explicit(&m->cache[tile_cache ? 1 : 0][hit ? 1 : 0], 1, memory_order_relaxed);
}

void metrics_computation(metrics *m, const char *name)
{
    if (!m) return;
    int i = 0;
    for (; i < METRICS_MAX_ANALYSES - 1; i++) {
        const char *cur = atomic_load_explicit(&m->an_name[i], memory_order_acquire);
        if (!cur) {
            const char *expected = NULL;
            if (atomic_compare_exchange_strong(&m->an_name[i], &expected, name)) break;
            cur = expected; /* another thread claimed the slot first */
        }
        if (strcmp(cur, name) == 0) break;
    }
    if (i == METRICS_MAX_ANALYSES - 1) {
        const char *expected = NULL;
        atomic_compare_exchange_strong(&m->an_name[i], &expected, name);
    }
    atomic_fetch_add_explicit(&m->an_count[i], 1, memory_order_relaxed);
}

typedef struct buf {
    char *p;
    size_t len, cap;
    int failed;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(buf *b, const char *fmt, ...)
{
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static void render_pool(metrics *m, buf *b)
{
    size_t waiting = 0, running = 0;
    unsigned long long refused = 0;
    m->pool(m->pool_ud, &waiting, &running, &refused);
    bprintf(b,
            "# HELP hazmap_analysis_waiting Analysis requests waiting for a pool thread.\n"
            "# TYPE hazmap_analysis_waiting gauge\n"
            "hazmap_analysis_waiting %zu\n"
            "# HELP hazmap_analysis_running Analysis requests being computed.\n"
            "# TYPE hazmap_analysis_running gauge\n"
            "hazmap_analysis_running %zu\n"
            "# HELP hazmap_analysis_refused_total Analysis requests refused (503) by a full "
            "queue.\n"
            "# TYPE hazmap_analysis_refused_total counter\n"
            "hazmap_analysis_refused_total %llu\n",
            waiting, running, refused);
}

char *metrics_render(metrics *m, unsigned long long snapshot_scans, size_t *len)
{
    buf b = {malloc(4096), 0, 4096, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    bprintf(&b, "# HELP hazmap_http_requests_total HTTP requests by route and status.\n"
                "# TYPE hazmap_http_requests_total counter\n");
    for (size_t r = 0; r < m->n; r++)
        for (int i = 0; i < NSTATUS; i++) {
            unsigned long v = atomic_load_explicit(&m->rc[r].by_status[i], memory_order_relaxed);
            if (!v) continue;
            if (statuses[i])
                bprintf(&b, "hazmap_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n",
                        m->routes[r], statuses[i], v);
            else
                bprintf(&b, "hazmap_http_requests_total{route=\"%s\",status=\"other\"} %lu\n",
                        m->routes[r], v);
        }
    bprintf(&b, "# HELP hazmap_http_request_duration_seconds Request latency by route.\n"
                "# TYPE hazmap_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < m->n; r++) {
        unsigned long cum = 0;
        unsigned long counts[NBUCKET + 1];
        for (int i = 0; i <= NBUCKET; i++)
            counts[i] = atomic_load_explicit(&m->rc[r].hist[i], memory_order_relaxed);
        unsigned long total = 0;
        for (int i = 0; i <= NBUCKET; i++)
            total += counts[i];
        if (!total) continue;
        for (int i = 0; i < NBUCKET; i++) {
            cum += counts[i];
            bprintf(&b, "hazmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                    m->routes[r], buckets[i], cum);
        }
        bprintf(&b, "hazmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
                m->routes[r], total);
        bprintf(&b, "hazmap_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", m->routes[r],
                (double)atomic_load_explicit(&m->rc[r].sum_us, memory_order_relaxed) / 1e6);
        bprintf(&b, "hazmap_http_request_duration_seconds_count{route=\"%s\"} %lu\n", m->routes[r],
                total);
    }
    bprintf(&b, "# HELP hazmap_http_response_bytes_total Response body bytes by route.\n"
                "# TYPE hazmap_http_response_bytes_total counter\n");
    for (size_t r = 0; r < m->n; r++) {
        unsigned long v = atomic_load_explicit(&m->rc[r].bytes, memory_order_relaxed);
        if (v) bprintf(&b, "hazmap_http_response_bytes_total{route=\"%s\"} %lu\n", m->routes[r], v);
    }
    static const char *const cache_names[2] = {"result", "tile"};
    bprintf(&b, "# HELP hazmap_cache_requests_total Cache lookups by cache and outcome.\n"
                "# TYPE hazmap_cache_requests_total counter\n");
    for (int c = 0; c < 2; c++)
        for (int h = 0; h < 2; h++)
            bprintf(&b, "hazmap_cache_requests_total{cache=\"%s\",outcome=\"%s\"} %lu\n",
                    cache_names[c], h ? "hit" : "miss",
                    atomic_load_explicit(&m->cache[c][h], memory_order_relaxed));
    bprintf(&b,
            "# HELP hazmap_snapshot_scans_total Full passes over the in-memory incident snapshot.\n"
            "# TYPE hazmap_snapshot_scans_total counter\n"
            "hazmap_snapshot_scans_total %llu\n",
            snapshot_scans);
    for (int i = 0; i < METRICS_MAX_ANALYSES; i++) {
        const char *name = atomic_load_explicit(&m->an_name[i], memory_order_acquire);
        if (!name) break; /* slots are claimed in order */
        if (i == 0)
            bprintf(&b, "# HELP hazmap_analysis_computations_total Views computed (not answered "
                        "from the result cache), by analysis.\n"
                        "# TYPE hazmap_analysis_computations_total counter\n");
        bprintf(&b, "hazmap_analysis_computations_total{analysis=\"%s\"} %lu\n", name,
                atomic_load_explicit(&m->an_count[i], memory_order_relaxed));
    }
    if (m->pool) render_pool(m, &b);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
