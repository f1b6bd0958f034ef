/* nkde.c - network kernel density (nkde.h), computed per sample segment.
 *
 * The kernels of nkde.h are symmetric in the event and the sample point (a path's factors depend
 * only on the nodes it passes, in either direction), so each segment f gathers its own lixels'
 * densities: the events on f reached without passing a node ("direct", summed one by one), then
 * every event segment e reached through f's two end nodes. For a path from f's end node to e's
 * end node X with length D and factor c, the events of e contribute, at a sample at offset o from
 * f's end, c sum_{d_i < h - D - o} w_i K(d_i + D + o), d_i the events' distances to X: one prefix
 * sum of e's events at X (nkde_impl.h), however many events e holds. The samples of f are taken
 * in increasing o, so the cut-off only moves down the prefix.
 *   - path methods: a depth-first walk from each end of f over the paths shorter than h (explicit
 *     stack), with the factors of discontinuous or continuous at each node;
 *   - simple: a Dijkstra from each end of f bounded by h; the distance from the event at s on e to
 *     the sample is min(s + A, L_e - s + B), A and B the sample's distances to e's end nodes, so
 *     the events split at s* = (L_e + B - A) / 2 into one prefix from each end; on f itself the
 *     direct distance |s - x| competes and the events in between are summed one by one.
 * Segments are handed to threads in chunks from an atomic counter; each segment's lixels are
 * written by one thread in a fixed order, so results do not depend on the thread count. */
#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "nkde_impl.h"

#define SEG_CHUNK 8
#define POLL_STEPS 4096 /* walk pops between polls of the cancellation and the step limit */

enum { STOP_NONE = 0, STOP_CANCEL, STOP_LIMIT, STOP_NOMEM };

typedef struct engine {
    const roadnet *net;
    const roadnet_seg *sg;
    const roadnet_node *nd;
    const roadnet_end *adj;
    const nkde_opts *o;
    const nkde_events *ev;
    const nkde_lix *lx;
    nkde_basis B;
    double h, factor, step_limit;
    double *out;
    _Atomic size_t next;
    _Atomic int stop;
    _Atomic unsigned long long steps;
} engine;

/* A path's state at a node it has reached through segment in_seg's end in_at. */
typedef struct walk_state {
    uint32_t node, in_seg;
    uint8_t in_at;
    int depth;
    double D, c;
} walk_state;

typedef struct heap_item {
    double d;
    uint32_t v;
} heap_item;

/* One thread's scratch space. */
typedef struct worker {
    engine *E;
    walk_state *stack;
    size_t cap;
    double *acc;     /* the current segment's lixel sums */
    double *dist[2]; /* simple: Dijkstra distances from f's ends (INFINITY unreached) */
    uint32_t *touched[2];
    size_t ntouched[2];
    heap_item *heap;
    size_t hcap;
    uint32_t *mark; /* simple: segment stamps */
    uint32_t *cand;
    unsigned long long steps, polled;
} worker;

static size_t nsamples(const engine *E, uint32_t f)
{
    return E->lx->first[f + 1] - E->lx->first[f];
}

/* sum_k q_k(a) P_k over the first cnt events of e at end `end`. */
static inline double end_sum(const engine *E, uint32_t e, int end, size_t cnt, double a)
{
    if (!cnt) return 0;
    const nkde_events *ev = E->ev;
    const double *row = ev->P[end] + (ev->off[end][e] + e + cnt) * (size_t)ev->nb;
    double q[NKDE_MAXB], v = 0;
    nkde_basis_shift(&E->B, a, q);
    for (int k = 0; k < ev->nb; k++)
        v += q[k] * row[k];
    return v;
}

/* The events of e within h of its end `end`: their distances and count. */
static inline const double *end_events(const engine *E, uint32_t e, int end, size_t *c)
{
    size_t o = E->ev->off[end][e];
    *c = E->ev->off[end][e + 1] - o;
    return E->ev->d[end] + o;
}

/* A path reaching e's end `at` at distance D from f's end alpha, with factor c: the events of e
 * added to f's samples in increasing distance from alpha. */
static void arrive(worker *W, uint32_t f, int alpha, uint32_t e, int at, double D, double c)
{
    const engine *E = W->E;
    size_t cnt;
    const double *d = end_events(E, e, at, &cnt);
    size_t m = nsamples(E, f);
    double lf = E->sg[f].length / (double)m, h = E->h;
    for (size_t k = 0; k < m && cnt; k++) {
        double off = ((double)k + 0.5) * lf, cut = h - D - off;
        if (!(cut > 0)) break;
        if (k == 0)
            cnt = nkde_count_below(d, cnt, cut);
        else /* the cut moves down by a lixel: a step or two */
            while (cnt && !(d[cnt - 1] < cut))
                cnt--;
        size_t j = alpha == 0 ? k : m - 1 - k;
        W->acc[j] += c * end_sum(E, e, at, cnt, (D + off) / h);
        W->steps++;
    }
}

static int push(worker *W, size_t *top, walk_state s)
{
    if (*top == W->cap) {
        size_t cap = W->cap ? 2 * W->cap : 256;
        walk_state *p = realloc(W->stack, cap * sizeof *p);
        if (!p) return -1;
        W->stack = p, W->cap = cap;
    }
    W->stack[(*top)++] = s;
    return 0;
}

/* Stops every thread when cancelled or past the step limit; 1 when stopped. */
static int poll_stop(worker *W)
{
    engine *E = W->E;
    unsigned long long total = atomic_fetch_add(&E->steps, W->steps - W->polled);
    total += W->steps - W->polled;
    W->polled = W->steps;
    if (hz_cancel_check()) atomic_store(&E->stop, STOP_CANCEL);
    if (E->step_limit > 0 && (double)total > E->step_limit) atomic_store(&E->stop, STOP_LIMIT);
    return atomic_load(&E->stop) != STOP_NONE;
}

/* The factor of a path at a node of degree n going on through end k, arrived through end in. */
static double node_factor(nkde_method m, int back, uint32_t n)
{
    if (m == NKDE_CONTINUOUS) return back ? (n > 2 ? (2.0 - n) / n : 0) : 2.0 / n;
    return back ? 0 : 1.0 / (n - 1);
}

/* The paths from f's end alpha (discontinuous, continuous). */
static void walk(worker *W, uint32_t f, int alpha)
{
    engine *E = W->E;
    size_t top = 0;
    const roadnet_seg *sf = &E->sg[f];
    walk_state s0 = {alpha ? sf->to : sf->from, f, (uint8_t)alpha, 0, 0, 1};
    if (push(W, &top, s0)) goto oom;
    while (top) {
        walk_state s = W->stack[--top];
        const roadnet_node *X = &E->nd[s.node];
        uint32_t n = X->degree;
        int depth = s.depth + (n > 2);
        if (n <= 1 || depth > E->o->max_depth) continue;
        for (uint32_t k = 0; k < n; k++) {
            roadnet_end end = E->adj[X->adj + k];
            int back = end.seg == s.in_seg && end.at_to == s.in_at;
            double c = s.c * node_factor(E->o->method, back, n);
            if (c == 0) continue;
            arrive(W, f, alpha, end.seg, end.at_to, s.D, c);
            const roadnet_seg *se = &E->sg[end.seg];
            double D2 = s.D + se->length;
            if (D2 < E->h) {
                walk_state t = {
                    end.at_to ? se->from : se->to, end.seg, (uint8_t)!end.at_to, depth, D2, c};
                if (push(W, &top, t)) goto oom;
            }
        }
        if (W->steps - W->polled > POLL_STEPS && poll_stop(W)) return;
    }
    return;
oom:
    atomic_store(&E->stop, STOP_NOMEM);
}

/* The events of f at indices [i0, i1) at distance |s - x| < h from the sample x. */
static double direct(const engine *E, uint32_t f, size_t i0, size_t i1, double x)
{
    const double *s = E->ev->s + E->ev->start[f], *w = E->ev->w + E->ev->start[f];
    double h = E->h, v = 0;
    size_t lo = i0 + nkde_count_below(s + i0, i1 - i0, x - h);
    for (size_t i = lo; i < i1; i++) {
        double d = fabs(s[i] - x);
        if (s[i] - x >= h) break;
        if (d < h) v += w[i] * nkde_basis_k(&E->B, d / h);
    }
    return v;
}

/* ---- simple: bounded Dijkstra from f's ends ---- */

static int heap_push(worker *W, size_t *n, heap_item it)
{
    if (*n == W->hcap) {
        size_t cap = W->hcap ? 2 * W->hcap : 256;
        heap_item *p = realloc(W->heap, cap * sizeof *p);
        if (!p) return -1;
        W->heap = p, W->hcap = cap;
    }
    size_t i = (*n)++;
    while (i && W->heap[(i - 1) / 2].d > it.d) {
        W->heap[i] = W->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    W->heap[i] = it;
    return 0;
}

static heap_item heap_pop(worker *W, size_t *n)
{
    heap_item top = W->heap[0], last = W->heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && W->heap[c + 1].d < W->heap[c].d) c++;
        if (!(W->heap[c].d < last.d)) break;
        W->heap[i] = W->heap[c];
        i = c;
    }
    if (*n) W->heap[i] = last;
    return top;
}

/* Distances below h from node src into W->dist[k]; the nodes set are listed in touched[k]. */
static int dijkstra(worker *W, int k, uint32_t src)
{
    const engine *E = W->E;
    double *dist = W->dist[k];
    size_t n = 0;
    dist[src] = 0;
    W->touched[k][W->ntouched[k]++] = src;
    if (heap_push(W, &n, (heap_item){0, src})) return -1;
    while (n) {
        heap_item it = heap_pop(W, &n);
        if (it.d > dist[it.v]) continue;
        const roadnet_node *X = &E->nd[it.v];
        for (uint32_t j = 0; j < X->degree; j++) {
            roadnet_end end = E->adj[X->adj + j];
            const roadnet_seg *se = &E->sg[end.seg];
            uint32_t y = end.at_to ? se->from : se->to;
            double d = it.d + se->length;
            if (d < E->h && d < dist[y]) {
                if (dist[y] == INFINITY) W->touched[k][W->ntouched[k]++] = y;
                dist[y] = d;
                if (heap_push(W, &n, (heap_item){d, y})) return -1;
            }
        }
    }
    return 0;
}

static void dijkstra_reset(worker *W)
{
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < W->ntouched[k]; i++)
            W->dist[k][W->touched[k][i]] = INFINITY;
        W->ntouched[k] = 0;
    }
}

/* The distance from the sample at x on f to node v. */
static inline double to_node(const worker *W, double x, double lf, uint32_t v)
{
    double a = x + W->dist[0][v], b = lf - x + W->dist[1][v];
    return a < b ? a : b;
}

/* simple: the events of e (!= f) at f's samples. */
static void simple_other(worker *W, uint32_t f, uint32_t e)
{
    const engine *E = W->E;
    const roadnet_seg *se = &E->sg[e];
    size_t m = nsamples(E, f), c0, c1;
    const double *d0 = end_events(E, e, 0, &c0), *d1 = end_events(E, e, 1, &c1);
    double lf = E->sg[f].length, step = lf / (double)m, h = E->h, L = se->length;
    for (size_t j = 0; j < m; j++) {
        double x = ((double)j + 0.5) * step;
        double A = to_node(W, x, lf, se->from), B = to_node(W, x, lf, se->to);
        if (!(A < h) && !(B < h)) continue;
        /* s* = (L + B - A) / 2: from-end events at s <= s*, to-end ones at L - s < L - s*. */
        double split = A == INFINITY ? -INFINITY : B == INFINITY ? INFINITY : (L + B - A) / 2;
        size_t n0 = nkde_count_below(d0, c0, h - A);
        size_t k0 = nkde_count_below(d0, c0, nextafter(split, INFINITY));
        size_t n1 = nkde_count_below(d1, c1, h - B);
        size_t k1 = nkde_count_below(d1, c1, L - split);
        W->acc[j] += end_sum(E, e, 0, n0 < k0 ? n0 : k0, A / h);
        W->acc[j] += end_sum(E, e, 1, n1 < k1 ? n1 : k1, B / h);
        W->steps++;
    }
}

/* simple: the events of f itself at its samples: round f's ends, or direct. */
static void simple_self(worker *W, uint32_t f)
{
    const engine *E = W->E;
    const roadnet_seg *sf = &E->sg[f];
    size_t m = nsamples(E, f), c0, c1, n = E->ev->start[f + 1] - E->ev->start[f];
    const double *d0 = end_events(E, f, 0, &c0), *d1 = end_events(E, f, 1, &c1);
    double L = sf->length, step = L / (double)m, h = E->h;
    for (size_t j = 0; j < m; j++) {
        double x = ((double)j + 0.5) * step;
        double A = to_node(W, x, L, sf->from), B = to_node(W, x, L, sf->to);
        /* Round the from-node beats |s - x| when s + A < x - s; round the to-node when
         * L - s + B < s - x. Those are the first k0 and the last k1 events. */
        size_t n0 = nkde_count_below(d0, c0, h - A), k0 = nkde_count_below(d0, c0, (x - A) / 2);
        size_t n1 = nkde_count_below(d1, c1, h - B);
        size_t k1 = nkde_count_below(d1, c1, (L - x - B) / 2);
        k0 = n0 < k0 ? n0 : k0;
        k1 = n1 < k1 ? n1 : k1;
        if (k0 + k1 > n) k1 = n - k0; /* cannot happen: s < x / 2 and s > x at once */
        W->acc[j] += end_sum(E, f, 0, k0, A / h) + end_sum(E, f, 1, k1, B / h);
        W->acc[j] += direct(E, f, k0, n - k1, x);
    }
}

static int simple_segment(worker *W, uint32_t f)
{
    const engine *E = W->E;
    if (dijkstra(W, 0, E->sg[f].from) || dijkstra(W, 1, E->sg[f].to)) {
        dijkstra_reset(W);
        return -1;
    }
    size_t nc = 0;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < W->ntouched[k]; i++) {
            const roadnet_node *X = &E->nd[W->touched[k][i]];
            for (uint32_t j = 0; j < X->degree; j++) {
                uint32_t e = E->adj[X->adj + j].seg;
                if (W->mark[e] != f + 1 && E->ev->start[e + 1] > E->ev->start[e]) {
                    W->mark[e] = f + 1;
                    W->cand[nc++] = e;
                }
            }
        }
    }
    for (size_t i = 0; i < nc; i++)
        if (W->cand[i] != f) simple_other(W, f, W->cand[i]);
    if (W->mark[f] == f + 1) simple_self(W, f);
    dijkstra_reset(W);
    return 0;
}

static void path_segment(worker *W, uint32_t f)
{
    const engine *E = W->E;
    size_t m = nsamples(E, f), n = E->ev->start[f + 1] - E->ev->start[f];
    double step = E->sg[f].length / (double)m;
    if (n) {
        for (size_t j = 0; j < m; j++)
            W->acc[j] += direct(E, f, 0, n, ((double)j + 0.5) * step);
    }
    walk(W, f, 0);
    if (atomic_load(&E->stop) == STOP_NONE) walk(W, f, 1);
}

static size_t max_samples(const engine *E)
{
    size_t mx = 1;
    for (size_t i = 0; i < E->ev->nseg; i++)
        if (nsamples(E, (uint32_t)i) > mx) mx = nsamples(E, (uint32_t)i);
    return mx;
}

static int worker_init(worker *W, engine *E)
{
    memset(W, 0, sizeof *W);
    W->E = E;
    W->acc = malloc(max_samples(E) * sizeof *W->acc);
    if (!W->acc) return -1;
    if (E->o->method != NKDE_SIMPLE) return 0;
    size_t nn = roadnet_node_count(E->net), ns = E->ev->nseg;
    for (int k = 0; k < 2; k++) {
        W->dist[k] = malloc((nn ? nn : 1) * sizeof *W->dist[k]);
        W->touched[k] = malloc((nn ? nn : 1) * sizeof *W->touched[k]);
        if (!W->dist[k] || !W->touched[k]) return -1;
        for (size_t v = 0; v < nn; v++)
            W->dist[k][v] = INFINITY;
    }
    W->mark = calloc(ns ? ns : 1, sizeof *W->mark);
    W->cand = malloc((ns ? ns : 1) * sizeof *W->cand);
    return W->mark && W->cand ? 0 : -1;
}

static void worker_free(worker *W)
{
    free(W->stack);
    free(W->acc);
    for (int k = 0; k < 2; k++) {
        free(W->dist[k]);
        free(W->touched[k]);
    }
    free(W->heap);
    free(W->mark);
    free(W->cand);
}

static void run_thread(void *ctx, size_t lo, size_t hi, int tid)
{
    (void)lo, (void)hi, (void)tid;
    engine *E = ctx;
    worker W;
    if (worker_init(&W, E)) {
        atomic_store(&E->stop, STOP_NOMEM);
        worker_free(&W);
        return;
    }
    size_t ns = E->ev->nseg;
    for (;;) {
        size_t f0 = atomic_fetch_add(&E->next, SEG_CHUNK);
        if (f0 >= ns || poll_stop(&W)) break;
        size_t f1 = f0 + SEG_CHUNK < ns ? f0 + SEG_CHUNK : ns;
        for (size_t f = f0; f < f1 && atomic_load(&E->stop) == STOP_NONE; f++) {
            size_t m = nsamples(E, (uint32_t)f);
            memset(W.acc, 0, m * sizeof *W.acc);
            if (E->o->method == NKDE_SIMPLE) {
                if (simple_segment(&W, (uint32_t)f)) atomic_store(&E->stop, STOP_NOMEM);
            } else {
                path_segment(&W, (uint32_t)f);
            }
            double *out = E->out + E->lx->first[f];
            for (size_t j = 0; j < m; j++)
                out[j] = W.acc[j] * E->factor;
        }
    }
    worker_free(&W);
}

/* Checks, the lixels and the events: what both the fast and the reference paths start with. */
static hz_status prepare(const roadnet *net, const hz_points *p, const nkde_opts *o, int nthreads,
                         nkde_lix *lx, nkde_events *ev, nkde_result **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!net || !p || !out) return hz_fail(HZ_EINVAL, err, errlen, "nkde: NULL argument");
    hz_status rc = nkde_opts_check(o, err, errlen);
    if (rc != HZ_OK) return rc;
    rc = nkde_lix_build(net, o->lixel, lx, err, errlen);
    if (rc != HZ_OK) return rc;
    nkde_basis B;
    nkde_basis_init(o->kernel, &B);
    rc = nkde_events_build(net, p, o->snap, o->bandwidth, &B, nthreads, ev, err, errlen);
    if (rc == HZ_OK) {
        *out = nkde_result_new(net, lx);
        if (!*out) {
            nkde_events_free(ev);
            rc = hz_fail(HZ_ENOMEM, err, errlen, "nkde: out of memory for %zu lixels", lx->n);
        }
    }
    if (rc != HZ_OK) {
        nkde_lix_free(lx);
        return rc;
    }
    (*out)->snapped = ev->snapped;
    (*out)->unsnapped = ev->unsnapped;
    (*out)->weight = ev->weight;
    (*out)->work = nkde_work(net, o);
    return HZ_OK;
}

hz_status nkde_compute(const roadnet *net, const hz_points *p, const nkde_opts *o,
                       nkde_result **out, char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (o && net && nkde_opts_check(o, NULL, 0) == HZ_OK && o->budget > 0 &&
        nkde_work(net, o) > o->budget)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "nkde: %.3g lixel pairs within reach is over the budget of %.3g (longer "
                       "lixels or a shorter bandwidth)",
                       nkde_work(net, o), o->budget);
    nkde_lix lx = {0};
    nkde_events ev;
    hz_status rc = prepare(net, p, o, o ? o->nthreads : 1, &lx, &ev, out, err, errlen);
    if (rc != HZ_OK) return rc;
    rc = hz_cancel_status(err, errlen);
    engine E = {.net = net,
                .sg = roadnet_segs(net),
                .nd = roadnet_nodes(net),
                .adj = roadnet_adj(net),
                .o = o,
                .ev = &ev,
                .lx = &lx,
                .h = o->bandwidth,
                .factor = nkde_out_factor(o, ev.weight) / o->bandwidth, /* K's 1/h */
                .step_limit = 64 * o->budget,
                .out = (*out)->density};
    nkde_basis_init(o->kernel, &E.B);
    atomic_init(&E.next, 0);
    atomic_init(&E.stop, STOP_NONE);
    atomic_init(&E.steps, 0);
    if (rc == HZ_OK && ev.snapped && ev.nseg) {
        int nt = par_threads(o->nthreads);
        par_for((size_t)nt, nt, run_thread, &E);
        int stop = atomic_load(&E.stop);
        if (stop == STOP_CANCEL)
            rc = hz_cancel_status(err, errlen);
        else if (stop == STOP_LIMIT)
            rc = hz_fail(HZ_ELIMIT, err, errlen,
                         "nkde: the paths within %g m took over 64 x the budget (%.3g steps); "
                         "lower max_depth or the bandwidth",
                         o->bandwidth, (double)atomic_load(&E.steps));
        else if (stop == STOP_NOMEM)
            rc = hz_fail(HZ_ENOMEM, err, errlen, "nkde: out of memory for the path walks");
        if (rc == HZ_OK && hz_cancel_check()) rc = hz_cancel_status(err, errlen);
    }
    nkde_events_free(&ev);
    nkde_lix_free(&lx);
    if (rc != HZ_OK) {
        nkde_result_free(*out);
        *out = NULL;
    }
    return rc;
}

hz_status nkde_prepare_reference(const roadnet *net, const hz_points *p, const nkde_opts *o,
                                 nkde_lix *lx, nkde_events *ev, nkde_result **out, char *err,
                                 size_t errlen)
{
    return prepare(net, p, o, 1, lx, ev, out, err, errlen);
}
